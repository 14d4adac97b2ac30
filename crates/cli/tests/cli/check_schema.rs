//! `unstuck check`'s schema check: the schema problems a change introduces, in every format,
//! and the schema flags it shares with `validate`.

use std::path::Path;

use crate::check::write;
use crate::support::{stdout, unstuck_in};

const SERVICE: &str =
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - port: 80\n";
const HPA: &str = "kind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: web\n  minReplicas: 1\n  maxReplicas: 3\n";
/// Misspelt at both sides: not the change's doing.
const CONFIG: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndatta:\n  a: b\n";

/// `before/` and `after/`: the change misspells the Service's `ports` and moves the HPA to an
/// API version Kubernetes 1.26 removed.
fn change() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for side in ["before", "after"] {
        write(
            root,
            &format!("{side}/app/kustomization.yaml"),
            "resources: [svc.yaml, hpa.yaml, config.yaml]\n",
        );
        write(root, &format!("{side}/app/config.yaml"), CONFIG);
    }
    write(root, "before/app/svc.yaml", SERVICE);
    write(
        root,
        "before/app/hpa.yaml",
        &format!("apiVersion: autoscaling/v2\n{HPA}"),
    );
    write(
        root,
        "after/app/svc.yaml",
        &SERVICE.replace("ports", "prots"),
    );
    write(
        root,
        "after/app/hpa.yaml",
        &format!("apiVersion: autoscaling/v2beta2\n{HPA}"),
    );
    dir
}

fn check(root: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["check", "--base-dir", "before", "--head-dir", "after"];
    args.extend_from_slice(extra);
    unstuck_in(root, &args)
}

#[test]
fn introduced_schema_problems_fail_the_check_in_every_format() {
    let dir = change();
    // A fixed release, so the messages do not change when a newer one is embedded.
    let human = check(dir.path(), &["--kube-version", "1.33"]);
    assert_eq!(human.status.code(), Some(1));
    insta::assert_snapshot!("check_schema_human", stdout(&human));

    let github = check(
        dir.path(),
        &["--kube-version", "1.33", "--format", "github"],
    );
    assert_eq!(github.status.code(), Some(1));
    insta::assert_snapshot!("check_schema_github", stdout(&github));

    let json = check(dir.path(), &["--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let problems: Vec<(&str, &str, &str)> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["rule"].as_str().unwrap(),
                p["kind"].as_str().unwrap(),
                p["source"]["file"].as_str().unwrap(),
            )
        })
        .collect();
    // The ConfigMap's misspelling predates the change: not listed.
    assert_eq!(
        problems,
        [
            ("schema-unknown-field", "Service", "app/svc.yaml"),
            ("api-removed", "HorizontalPodAutoscaler", "app/hpa.yaml"),
        ]
    );

    let sarif = check(dir.path(), &["--format", "sarif"]);
    let log: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let results: Vec<(&str, &str, u64)> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let location = &r["locations"][0]["physicalLocation"];
            (
                r["ruleId"].as_str().unwrap(),
                location["artifactLocation"]["uri"].as_str().unwrap(),
                location["region"]["startLine"].as_u64().unwrap(),
            )
        })
        .filter(|(rule, _, _)| *rule != "gitops-impact")
        .collect();
    assert_eq!(
        results,
        [
            ("schema-unknown-field", "app/svc.yaml", 6),
            ("api-removed", "app/hpa.yaml", 1),
        ]
    );
}

#[test]
fn schema_flags_choose_the_release_or_skip_the_check() {
    let dir = change();
    let skipped = check(dir.path(), &["--no-schema", "--format", "json"]);
    assert_eq!(skipped.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&skipped.stdout).unwrap();
    assert_eq!(report["problems"], serde_json::json!([]));

    // Kubernetes 1.25 still served autoscaling/v2beta2, deprecated: a warning, not an error.
    let old = check(dir.path(), &["--kube-version", "1.25", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&old.stdout).unwrap();
    let severities: Vec<(&str, &str)> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["rule"].as_str().unwrap(), p["severity"].as_str().unwrap()))
        .collect();
    assert_eq!(
        severities,
        [
            ("schema-unknown-field", "error"),
            ("api-deprecated", "warning"),
        ]
    );
    assert_eq!(old.status.code(), Some(1), "the misspelling still fails it");
}
