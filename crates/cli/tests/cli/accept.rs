//! `unstuck check` with acceptances: a deliberate deletion of a `PersistentVolumeClaim` accepted
//! by the head's `.unstuck.yaml` or by `--accept`, in every format.

use std::path::Path;

use crate::check::{commit_all, git, write};
use crate::support::{stderr, stdout, unstuck_in};

const FLUX: &str = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  prune: true\n  path: ./apps\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n";
const PVC: &str = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: plex-config\n  namespace: media\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n";
const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keep\n  namespace: media\n";
const ACCEPT: &str = "# Deliberate: plex is retired.\naccept:\n  - rule: prune-persistent-volume-claim\n    kind: PersistentVolumeClaim\n    namespace: media\n    name: plex-config\n    reason: plex is retired; its library is backed up on the NAS\n";

/// A pruning Flux Kustomization loses its PVC at HEAD; `accept` is HEAD's `.unstuck.yaml`.
fn deletion(accept: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    write(root, "clusters/apps.yaml", FLUX);
    write(
        root,
        "apps/kustomization.yaml",
        "resources: [pvc.yaml, cm.yaml]\n",
    );
    write(root, "apps/pvc.yaml", PVC);
    write(root, "apps/cm.yaml", CM);
    commit_all(root, "plex");
    write(root, "apps/kustomization.yaml", "resources: [cm.yaml]\n");
    std::fs::remove_file(root.join("apps/pvc.yaml")).unwrap();
    if let Some(text) = accept {
        write(root, ".unstuck.yaml", text);
    }
    commit_all(root, "retire plex");
    dir
}

fn check(root: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["check", "--color", "never"];
    all.extend_from_slice(args);
    unstuck_in(root, &all)
}

#[test]
fn an_accepted_deletion_passes_and_says_who_accepted_it_why() {
    let repo = deletion(None);
    assert_eq!(check(repo.path(), &[]).status.code(), Some(1));

    let repo = deletion(Some(ACCEPT));
    let output = check(repo.path(), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn every_format_reports_the_accepted_finding() {
    let repo = deletion(Some(ACCEPT));
    let json: serde_json::Value =
        serde_json::from_slice(&check(repo.path(), &["--format", "json"]).stdout).unwrap();
    assert!(json["violations"]
        .as_array()
        .unwrap()
        .iter()
        .all(|v| v["severity"] != "error"));
    let accepted = &json["accepted"][0];
    assert_eq!(accepted["rule"], "prune-persistent-volume-claim");
    assert_eq!(accepted["name"], "plex-config");
    assert_eq!(accepted["acceptance"]["source"]["line"], 3);

    let sarif: serde_json::Value =
        serde_json::from_slice(&check(repo.path(), &["--format", "sarif"]).stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let suppressed: Vec<&serde_json::Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["ruleId"], "prune-persistent-volume-claim");
    assert_eq!(
        suppressed[0]["suppressions"][0]["justification"],
        "plex is retired; its library is backed up on the NAS"
    );
    assert!(results.iter().all(|r| r["level"] != "error"));

    let github = stdout(&check(repo.path(), &["--format", "github"]));
    let notice = github
        .lines()
        .find(|l| l.contains("accepted prune-persistent-volume-claim"))
        .expect("an annotation for the accepted finding");
    assert!(notice.starts_with("::notice "), "{notice}");
    assert!(
        notice.contains("Accepted by .unstuck.yaml:3: plex is retired"),
        "{notice}"
    );
    assert!(
        github.ends_with("unstuck: 0 errors, 2 annotations in total\n"),
        "{github}"
    );
}

#[test]
fn accept_flags_accept_and_stale_entries_warn() {
    // The file accepts the wrong claim: stale, and the real one still fails...
    let repo = deletion(Some(
        &ACCEPT.replace("name: plex-config", "name: plex-cache"),
    ));
    let output = check(repo.path(), &["--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let stale = &json["warnings"][0];
    assert_eq!(stale["rule"], "accept-stale");
    assert_eq!(stale["source"]["line"], 3);
    // ...until the command line accepts it.
    let output = check(
        repo.path(),
        &[
            "--accept",
            "prune-persistent-volume-claim:PersistentVolumeClaim/media/plex-config=retiring plex",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let text = stdout(&output);
    assert!(
        text.contains("accepted by --accept: retiring plex"),
        "{text}"
    );
    assert!(
        text.contains("warning: accept-stale .unstuck.yaml"),
        "{text}"
    );
}

#[test]
fn malformed_acceptances_are_usage_errors_naming_where() {
    let repo = deletion(Some(
        &ACCEPT.replace("    kind: PersistentVolumeClaim\n", ""),
    ));
    let output = check(repo.path(), &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(".unstuck.yaml:3: entry 1 has no `kind`; name the object's kind"),
        "{}",
        stderr(&output)
    );
    let output = check(repo.path(), &["--accept", "prune-namespace"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no `:` after the rule; write RULE:KIND/NAMESPACE/NAME"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn plan_lists_the_accepted_deletion_and_plans_nothing() {
    let repo = deletion(Some(ACCEPT));
    let output = unstuck_in(repo.path(), &["plan"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.starts_with("accepted, not planned: PersistentVolumeClaim plex-config (prune-persistent-volume-claim): plex is retired; its library is backed up on the NAS\n"),
        "{text}"
    );
    assert!(
        text.ends_with("nothing to plan, check finds no error\n"),
        "{text}"
    );
}
