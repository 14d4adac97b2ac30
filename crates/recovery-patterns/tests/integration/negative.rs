//! Messages that must match nothing: progress, success, and errors no built-in knows.

use recovery_patterns::{Context, Verdict};

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
    "Installed release podinfo/podinfo.v1 with chart podinfo@6.5.4",
    "Upgraded release podinfo/podinfo.v3 with chart podinfo@6.5.4",
    "Rolled back to previous release podinfo/podinfo.v2 with chart podinfo@6.5.3",
    "Unlocked release podinfo/podinfo.v3 with chart podinfo@6.5.4 in pending-upgrade state",
    "Helm release podinfo/podinfo.v3 with chart podinfo@6.5.4 is awaiting tests",
    "Helm test succeeded for release podinfo/podinfo.v3 with chart podinfo@6.5.4: 1 test, 0 failed",
    "Deployment/apps/web configured\nService/apps/web created",
    "building artifact: new upstream revision 'main@sha1:4f1c2b7d'",
    "ReconciliationSucceeded",
    "",
];

const UNRELATED_ERRORS: &[&str] = &[
    // A generic "not found" must not be mistaken for anything recreatable.
    r#"Kustomization.kustomize.toolkit.fluxcd.io "apps" not found"#,
    "secrets \"db-credentials\" not found",
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
fn progress_and_success_are_not_failures() {
    for message in PROGRESS_AND_SUCCESS {
        for reason in [None, Some("Progressing"), Some("ReconciliationFailed")] {
            let verdict = BUILTIN.verdict(&Context {
                message,
                reason,
                ..Context::default()
            });
            assert_eq!(verdict, Verdict::NotAFailure, "{message:?} with {reason:?}");
        }
    }
}

#[test]
fn unrelated_errors_are_unknown_failures_not_silence() {
    for message in UNRELATED_ERRORS.iter().filter(|m| **m != "Progressing") {
        let Verdict::Unknown(failure) = BUILTIN.verdict(&Context::new(message)) else {
            panic!("{message:?} must be an unknown failure");
        };
        assert_eq!(failure.pattern, recovery_patterns::UNKNOWN_PATTERN);
        assert_eq!(failure.severity, recovery_patterns::UNKNOWN_SEVERITY);
        assert_eq!(failure.next_step, "investigate");
        assert_eq!(failure.line, *message);
    }
    let named = BUILTIN.verdict(&Context {
        message: "Deployment/apps/web dry-run failed (BadRequest): something new",
        reason: Some("ReconciliationFailed"),
        ..Context::default()
    });
    let Verdict::Unknown(failure) = named else {
        panic!("{named:?}")
    };
    let target = failure.target.expect("the message names an object");
    assert_eq!(target.to_string(), "Deployment/apps/web");
}

#[test]
fn a_write_conflict_is_transient() {
    let found = BUILTIN
        .classify(
            "the object has been modified; please apply your changes to the latest version and try again",
            None,
        )
        .unwrap();
    assert_eq!(found.pattern, "api-conflict");
    assert_eq!(found.action, recovery_patterns::Action::RequestReconcile);
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
