//! Messages that must match nothing: progress, success, and errors no built-in knows.

use crate::support::BUILTIN;

const PROGRESS_AND_SUCCESS: &[&str] = &[
    "Reconciliation in progress",
    "Applied revision: main@sha1:4f1c2b7d9e0a1b2c3d4e5f60718293a4b5c6d7e8",
    "Applied revision: refs/heads/main@sha1:4f1c2b7d",
    "Running health checks for revision main@sha1:4f1c2b7d with a timeout of 5m0s",
    "Health check passed in 2.031s",
    "Reconciliation finished in 1.2s, next run in 10m0s",
    "Helm install succeeded for release podinfo/podinfo.v1 with chart podinfo@6.5.4",
    "Helm upgrade succeeded for release podinfo/podinfo.v3 with chart podinfo@6.5.4",
    "Helm rollback to previous release podinfo/podinfo.v2 with chart podinfo@6.5.3 succeeded",
    "Release reconciliation succeeded",
    "Fulfilling prerequisites",
    "Running 'upgrade' action with timeout of 5m0s",
    "Running 'install' action with timeout of 10m0s",
    "stored artifact for revision 'main@sha1:4f1c2b7d'",
    "no drift detected",
    "Detecting drift for revision main@sha1:4f1c2b7d with a timeout of 5m0s",
    "ReconciliationSucceeded",
    "",
];

const UNRELATED_ERRORS: &[&str] = &[
    // A generic "not found" must not be mistaken for anything recreatable.
    r#"Kustomization.kustomize.toolkit.fluxcd.io "apps" not found"#,
    "secrets \"db-credentials\" not found",
    "the object has been modified; please apply your changes to the latest version and try again",
    "something went wrong",
    "Progressing",
];

#[test]
fn progress_and_success_match_nothing() {
    let patterns = &*BUILTIN;
    for message in PROGRESS_AND_SUCCESS {
        for carrier in [None, Some("Kustomization"), Some("HelmRelease")] {
            let found = patterns.classify(message, carrier);
            assert!(
                found.is_none(),
                "{message:?} matched {:?}",
                found.map(|f| f.pattern)
            );
        }
    }
}

#[test]
fn unrelated_errors_match_nothing() {
    let patterns = &*BUILTIN;
    for message in UNRELATED_ERRORS {
        let found = patterns.classify(message, None);
        assert!(
            found.is_none(),
            "{message:?} matched {:?}",
            found.map(|f| f.pattern)
        );
    }
}

#[test]
fn lookalikes_of_known_messages_do_not_match() {
    let patterns = &*BUILTIN;
    for message in [
        "field is mutable",
        "upgrade retries remaining: 2",
        "dependency is ready",
        "Helm upgrade succeeded",
        "statefulset spec updated",
    ] {
        assert!(patterns.classify(message, None).is_none(), "{message}");
    }
}
