//! Acknowledging a deliberate deletion: the head's `.unstuck.yaml` (or the caller) accepts a
//! finding, which is then reported as accepted, with its reason, and no longer fails the check.

use std::path::Path;

use gitops_repo::accept::{Acceptance, STALE_RULE};
use gitops_repo::{compare, Error, NoProgress, RenderOptions, Report, Snapshot};
use kustomize_build::fs::MemFs;

const FLUX: &str = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  prune: true\n  path: ./apps\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n";
const PVC: &str = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: plex-config\n  namespace: media\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n";
const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keep\n  namespace: media\n";

const ACCEPT_PVC: &str = "# plex is retired\naccept:\n  - rule: prune-persistent-volume-claim\n    kind: PersistentVolumeClaim\n    namespace: media\n    name: plex-config\n    reason: plex is retired; its library is backed up\n";

/// The base and the head of a change that drops the PVC from a pruning Flux Kustomization;
/// `accept_file` is the head's `.unstuck.yaml`, when given.
fn deletion_snapshots(accept_file: Option<&str>) -> (Snapshot, Snapshot) {
    let mut before = MemFs::new();
    before.add_file("/r/clusters/apps.yaml", FLUX);
    before.add_file(
        "/r/apps/kustomization.yaml",
        "resources: [pvc.yaml, cm.yaml]\n",
    );
    before.add_file("/r/apps/pvc.yaml", PVC);
    before.add_file("/r/apps/cm.yaml", CM);
    let mut after = before.clone();
    after.add_file("/r/apps/kustomization.yaml", "resources: [cm.yaml]\n");
    if let Some(text) = accept_file {
        after.add_file("/r/.unstuck.yaml", text);
    }
    let root = Path::new("/r");
    (
        Snapshot::new("before", Box::new(before), root, root),
        Snapshot::new("after", Box::new(after), root, root),
    )
}

/// `check` of [`deletion_snapshots`].
fn deletion(accept_file: Option<&str>, options: &RenderOptions) -> Result<Report, Error> {
    let (before, after) = deletion_snapshots(accept_file);
    compare(&before, &after, options, &NoProgress)
}

#[test]
fn without_an_acceptance_the_deletion_fails_the_check() {
    let report = deletion(None, &RenderOptions::new()).unwrap();
    assert!(report.failed());
    assert_eq!(
        report.violations[0].finding.violation.rule,
        "prune-persistent-volume-claim"
    );
    assert!(report.accepted.is_empty());
}

#[test]
fn the_heads_acceptance_file_accepts_it_with_its_reason() {
    let report = deletion(Some(ACCEPT_PVC), &RenderOptions::new()).unwrap();
    assert!(!report.failed(), "{:?}", report.violations);
    assert!(report
        .violations
        .iter()
        .all(|v| v.finding.violation.rule != "prune-persistent-volume-claim"));
    assert_eq!(report.accepted.len(), 1);
    let accepted = &report.accepted[0];
    assert_eq!(
        accepted.violation.finding.violation.object.name,
        "plex-config"
    );
    assert_eq!(
        accepted.acceptance.reason,
        "plex is retired; its library is backed up"
    );
    assert!(report.warnings.iter().all(|w| w.rule != STALE_RULE));
    // JSON: the violation's keys, and what accepted it (file and line of the entry).
    let json = serde_json::to_value(&report).unwrap();
    let entry = &json["accepted"][0];
    assert_eq!(entry["rule"], "prune-persistent-volume-claim");
    assert_eq!(entry["severity"], "error");
    assert_eq!(entry["namespace"], "media");
    assert_eq!(
        entry["acceptance"]["reason"],
        "plex is retired; its library is backed up"
    );
    assert_eq!(entry["acceptance"]["source"]["file"], ".unstuck.yaml");
    assert_eq!(entry["acceptance"]["source"]["line"], 3);
}

#[test]
fn an_acceptance_matching_nothing_is_a_stale_warning() {
    let stale = ACCEPT_PVC.replace("name: plex-config", "name: other");
    let report = deletion(Some(&stale), &RenderOptions::new()).unwrap();
    // The real finding is not covered: the check still fails.
    assert!(report.failed());
    let warning = report
        .warnings
        .iter()
        .find(|w| w.rule == STALE_RULE)
        .expect("a stale warning");
    assert_eq!(
        warning.message,
        "accepts prune-persistent-volume-claim PersistentVolumeClaim media/other, which this change does not cause"
    );
    let source = warning.source.as_ref().unwrap();
    assert_eq!((source.file.as_str(), source.line), (".unstuck.yaml", 3));
}

#[test]
fn a_malformed_acceptance_file_is_an_error_naming_file_and_line() {
    let no_reason = ACCEPT_PVC.replace(
        "    reason: plex is retired; its library is backed up\n",
        "",
    );
    let error = deletion(Some(&no_reason), &RenderOptions::new()).unwrap_err();
    assert!(matches!(error, Error::Acceptance(_)));
    assert_eq!(
        error.to_string(),
        ".unstuck.yaml:3: entry 1 has no `reason`; say why the finding is meant"
    );
    let misspelt = ACCEPT_PVC.replace("    namespace: media", "    namepsace: media");
    let error = deletion(Some(&misspelt), &RenderOptions::new()).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with(".unstuck.yaml:3: entry 1 has an unknown key `namepsace`"),
        "{error}"
    );
}

#[test]
fn a_callers_acceptance_works_as_the_files_do() {
    let flag = Acceptance::parse_flag(
        "prune-persistent-volume-claim:PersistentVolumeClaim/media/plex-config",
    )
    .unwrap();
    let report = deletion(None, &RenderOptions::new().with_acceptance(flag)).unwrap();
    assert!(!report.failed());
    assert_eq!(
        report.accepted[0].acceptance.reason,
        "accepted with --accept"
    );
    let json = serde_json::to_value(&report).unwrap();
    assert!(json["accepted"][0]["acceptance"]["source"].is_null());

    // Given for a namespace the change does not delete: stale, named `--accept`.
    let flag = Acceptance::parse_flag("prune-namespace:Namespace/media").unwrap();
    let report = deletion(None, &RenderOptions::new().with_acceptance(flag)).unwrap();
    let stale = report
        .warnings
        .iter()
        .find(|w| w.rule == STALE_RULE)
        .unwrap();
    assert_eq!(stale.path, "--accept");
    assert!(stale.source.is_none());
}

#[test]
fn plan_lists_an_accepted_error_instead_of_planning_it() {
    let (before, after) = deletion_snapshots(Some(ACCEPT_PVC));
    let plan =
        gitops_repo::plan::plan(&before, &after, &RenderOptions::new(), &NoProgress).unwrap();
    assert!(plan.unplanned.is_empty() && plan.migrations.is_empty());
    assert_eq!(plan.accepted.len(), 1);
    assert_eq!(plan.accepted[0].object.name, "plex-config");
    assert_eq!(
        plan.accepted[0].reason,
        "plex is retired; its library is backed up"
    );
}
