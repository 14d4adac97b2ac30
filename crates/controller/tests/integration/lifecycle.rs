//! The decision against statuses written the way kustomize-controller and helm-controller write
//! them (see docs/controller.md, "How Flux reports"), with the built-in patterns.

use proptest::prelude::*;
use recovery_patterns::{Action, PatternSet};
use serde_json::{json, Value};
use unstuck_controller::budget::DestructiveBudget;
use unstuck_controller::config::Config;
use unstuck_controller::decide::{decide, Decision, Inputs, Phase, SkipReason, Step};
use unstuck_controller::flux::{format_time, FluxKind, ObjectState};
use unstuck_controller::record::RecoveryRecord;

const T0: u64 = 1_767_225_600;
const REV1: &str = "main@sha1:1111111";
const REV2: &str = "main@sha1:2222222";
const STS_IMMUTABLE: &str = "StatefulSet/db/pg dry-run failed (Invalid): StatefulSet.apps \"pg\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";
const HELM_STS_IMMUTABLE: &str = "Helm upgrade failed for release db/pg with chart pg@1.2.3: cannot patch \"pg\" with kind StatefulSet: StatefulSet.apps \"pg\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";
const HELM_UPGRADE_FAILED: &str =
    "Helm upgrade failed for release apps/web with chart web@1.2.3: post-upgrade hooks failed: job web-migrate failed: BackoffLimitExceeded";

/// One status as Flux writes it.
#[derive(Clone)]
struct Status {
    ready: &'static str,
    reason: &'static str,
    message: String,
    /// `lastTransitionTime` of Ready: Flux moves it on every status change.
    since: u64,
    generation: i64,
    observed: i64,
    revision: &'static str,
    /// `Stalled=True` with this reason and message.
    stalled: Option<(&'static str, &'static str)>,
}

impl Status {
    fn failing(message: &str, at: u64) -> Self {
        Status {
            ready: "False",
            reason: "ReconciliationFailed",
            message: message.to_owned(),
            since: at,
            generation: 4,
            observed: 3,
            revision: REV1,
            stalled: None,
        }
    }

    /// kustomize-controller at the start of every attempt.
    fn progressing(at: u64) -> Self {
        Status {
            ready: "Unknown",
            reason: "Progressing",
            message: "Reconciliation in progress".to_owned(),
            ..Status::failing("", at)
        }
    }

    fn json(&self, spec: Value) -> Value {
        let mut conditions = vec![json!({
            "type": "Ready", "status": self.ready, "reason": self.reason, "message": self.message,
            "lastTransitionTime": format_time(i64::try_from(self.since).unwrap())
        })];
        if let Some((reason, message)) = self.stalled {
            conditions.push(json!({"type": "Stalled", "status": "True", "reason": reason,
                "message": message, "lastTransitionTime": format_time(i64::try_from(self.since).unwrap())}));
        }
        json!({
            "metadata": {"name": "apps", "namespace": "db", "generation": self.generation},
            "spec": spec,
            "status": {"observedGeneration": self.observed, "lastAttemptedRevision": self.revision,
                       "conditions": conditions}
        })
    }
}

struct Flux {
    kind: FluxKind,
    spec: Value,
    record: RecoveryRecord,
    patterns: PatternSet,
    config: Config,
    budget: DestructiveBudget,
}

impl Flux {
    fn new(kind: FluxKind) -> Self {
        Flux {
            kind,
            spec: json!({}),
            record: RecoveryRecord::default(),
            patterns: PatternSet::builtin(),
            config: Config::default(),
            budget: DestructiveBudget::new(100, 3600),
        }
    }

    /// The controller sees `status` at `now`; the record is carried forward as it would be
    /// persisted.
    fn see(&mut self, status: &Status, now: u64) -> Decision {
        let object = ObjectState::from_json(self.kind, &status.json(self.spec.clone()));
        let record = RecoveryRecord::decode(Some(&self.record.encode())).unwrap();
        let d = decide(Inputs {
            object: &object,
            record: &record,
            config: &self.config,
            classifier: &self.patterns,
            budget: &self.budget,
            now,
        });
        self.record = d.record.clone();
        d
    }
}

fn acts(d: &Decision) -> Vec<String> {
    d.steps
        .iter()
        .filter_map(|s| match s {
            Step::Act(p) => Some(format!(
                "{}:{}",
                p.action,
                p.target
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            )),
            _ => None,
        })
        .collect()
}

fn skips(d: &Decision) -> Vec<SkipReason> {
    d.steps
        .iter()
        .filter_map(|s| match s {
            Step::Skip { reason, .. } => Some(*reason),
            _ => None,
        })
        .collect()
}

#[test]
fn retries_with_progress_interludes_are_one_episode_dated_from_the_first_failure() {
    // retryInterval 60s: every minute Flux writes Unknown "Reconciliation in progress", then
    // False with the error, moving lastTransitionTime each time.
    let mut flux = Flux::new(FluxKind::Kustomization);
    let mut writes = 0;
    let mut previous = flux.record.clone();
    let mut first_act = None;
    for minute in 0..8u64 {
        let start = T0 + minute * 60;
        for (status, at) in [
            (Status::progressing(start), start),
            (Status::failing(STS_IMMUTABLE, start + 5), start + 5),
        ] {
            let d = flux.see(&status, at);
            if minute > 0 || status.ready == "False" {
                assert_eq!(
                    d.health.not_ready_secs,
                    at - (T0 + 5),
                    "dated from the first failure"
                );
                assert_eq!(
                    d.classification.as_ref().map(|c| c.action.clone()),
                    Some(Action::RecreateResource),
                    "classified across the interlude"
                );
            }
            assert_eq!(d.health.stuck, at >= T0 + 5 + 300, "at {at}");
            if !acts(&d).is_empty() {
                first_act.get_or_insert(at);
            }
            if flux.record != previous {
                writes += 1;
                previous = flux.record.clone();
            }
        }
    }
    assert_eq!(
        flux.record.episode.as_ref().unwrap().since,
        T0 + 5,
        "kept in the controller's state"
    );
    assert_eq!(
        first_act,
        Some(T0 + 5 * 60 + 5),
        "acts on the first failure after the threshold"
    );
    // The episode is written when it starts, then once to act: the alternation writes nothing.
    assert_eq!(writes, 2, "{:?}", flux.record);
}

#[test]
fn progress_alone_is_neither_a_failure_nor_written() {
    let mut flux = Flux::new(FluxKind::Kustomization);
    for minute in 0..20 {
        let d = flux.see(&Status::progressing(T0 + minute * 60), T0 + minute * 60);
        assert!(!d.health.stuck && d.steps.is_empty());
        assert_eq!(d.health.not_ready_secs, 0);
    }
    assert_eq!(flux.record, RecoveryRecord::default());
}

#[test]
fn ready_for_an_older_generation_is_pending_not_failing() {
    let mut flux = Flux::new(FluxKind::Kustomization);
    let pending = Status {
        ready: "True",
        reason: "ReconciliationSucceeded",
        message: format!("Applied revision: {REV1}"),
        since: T0 - 5 * 86_400,
        ..Status::failing("", T0)
    };
    let object = ObjectState::from_json(FluxKind::Kustomization, &pending.json(json!({})));
    assert_eq!(Phase::of(&object), Phase::Pending);
    let d = flux.see(&pending, T0);
    assert!(!d.health.ready && !d.health.stuck);
    assert_eq!(
        d.health.not_ready_secs, 0,
        "not dated from a transition days ago"
    );
    assert_eq!(flux.record, RecoveryRecord::default());
}

#[test]
fn a_new_commit_ends_the_episode_and_rearms_the_recreate() {
    let mut flux = Flux::new(FluxKind::Kustomization);
    flux.see(&Status::failing(STS_IMMUTABLE, T0), T0);
    let d = flux.see(&Status::failing(STS_IMMUTABLE, T0), T0 + 300);
    assert_eq!(acts(&d), ["recreate_resource:StatefulSet/db/pg"]);
    // Verification times out: the same commit never deletes the object again.
    let d = flux.see(&Status::failing(STS_IMMUTABLE, T0), T0 + 300 + 600);
    assert!(acts(&d).is_empty());
    assert_eq!(skips(&d), [SkipReason::AlreadyAttempted]);
    // A new commit changes lastAttemptedRevision (not the Kustomization's generation): a new
    // episode, and once it is stuck the recreate is allowed again.
    let next = Status {
        revision: REV2,
        ..Status::failing(STS_IMMUTABLE, T0 + 1000)
    };
    let d = flux.see(&next, T0 + 1000);
    assert!(!d.health.stuck, "a new episode starts");
    let d = flux.see(&next, T0 + 1300);
    assert_eq!(acts(&d), ["recreate_resource:StatefulSet/db/pg"]);
    assert_eq!(flux.record.destructive.len(), 2);
}

#[test]
fn stalled_is_a_failure_and_exhausted_helm_releases_are_reset() {
    // helm-controller with default remediation: the failed upgrade stalls at once; Ready may be
    // left Unknown ("Running 'upgrade' action …") while Stalled reports the exhaustion.
    let mut flux = Flux::new(FluxKind::HelmRelease);
    let stalled = Status {
        ready: "Unknown",
        reason: "Progressing",
        message: "Running 'upgrade' action with timeout of 5m0s".into(),
        stalled: Some(("RetriesExceeded", "Failed to upgrade after 1 attempt(s)")),
        ..Status::failing("", T0)
    };
    let d = flux.see(&stalled, T0);
    assert_eq!(d.health.not_ready_secs, 0);
    assert!(
        flux.record.episode.is_some(),
        "Stalled=True starts an episode"
    );
    let d = flux.see(&stalled, T0 + 300);
    assert_eq!(acts(&d), ["reset_helm_release:"]);
}

#[test]
fn a_stalled_helm_release_is_reset_rather_than_reconciled() {
    // Ready names a transient error, which alone asks for a plain reconcile; helm-controller
    // ignores plain reconciles once stalled, so the Stalled message decides.
    let mut flux = Flux::new(FluxKind::HelmRelease);
    let stalled = Status {
        reason: "UpgradeFailed",
        stalled: Some(("RetriesExceeded", "Failed to upgrade after 1 attempt(s)")),
        ..Status::failing(
            "Helm upgrade failed for release apps/web with chart web@1.2.3: timed out waiting for the condition",
            T0,
        )
    };
    flux.see(&stalled, T0);
    let d = flux.see(&stalled, T0 + 300);
    assert_eq!(acts(&d), ["reset_helm_release:"]);
    // Not stalled yet: helm-controller still retries by itself; a reconcile request is enough.
    let mut flux = Flux::new(FluxKind::HelmRelease);
    let retrying = Status {
        stalled: None,
        ..stalled
    };
    flux.see(&retrying, T0);
    let d = flux.see(&retrying, T0 + 300);
    assert_eq!(acts(&d), ["request_reconcile:"]);
}

#[test]
fn a_stalled_helm_release_with_an_immutable_field_is_recreated() {
    let mut flux = Flux::new(FluxKind::HelmRelease);
    let stalled = Status {
        reason: "UpgradeFailed",
        stalled: Some(("RetriesExceeded", "Failed to upgrade after 1 attempt(s)")),
        ..Status::failing(HELM_STS_IMMUTABLE, T0)
    };
    flux.see(&stalled, T0);
    let d = flux.see(&stalled, T0 + 300);
    assert_eq!(acts(&d), ["recreate_resource:StatefulSet/db/pg"]);
}

#[test]
fn rollback_needs_a_rollback_remediation() {
    // Default remediation: Flux will not roll back, and there is no request that makes it.
    let mut flux = Flux::new(FluxKind::HelmRelease);
    let failing = Status {
        reason: "UpgradeFailed",
        ..Status::failing(HELM_UPGRADE_FAILED, T0)
    };
    flux.see(&failing, T0);
    let d = flux.see(&failing, T0 + 300);
    assert!(acts(&d).is_empty());
    assert_eq!(skips(&d), [SkipReason::NoRemediation]);
    // Once helm-controller reports the exhaustion, the reset is what helps.
    let stalled = Status {
        stalled: Some(("RetriesExceeded", "Failed to upgrade after 1 attempt(s)")),
        ..failing.clone()
    };
    let d = flux.see(&stalled, T0 + 360);
    assert_eq!(acts(&d), ["reset_helm_release:"]);

    // With `spec.upgrade.remediation.retries`, helm-controller rolls a failed upgrade back
    // itself: re-arming its counters (resetAt) is the rollback request.
    let mut flux = Flux::new(FluxKind::HelmRelease);
    flux.spec = json!({"upgrade": {"remediation": {"retries": 2}}});
    flux.see(&stalled, T0);
    let d = flux.see(&stalled, T0 + 300);
    assert_eq!(acts(&d), ["rollback_helm_release:"]);
}

fn phases() -> impl Strategy<Value = u8> {
    0u8..4
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Whatever Flux writes in whatever order (progress, failures, successes, new commits,
    /// restarts of the controller), a target is deleted at most once per (generation, revision),
    /// and an episode's clock never moves while the generation and revision stay the same.
    #[test]
    fn one_deletion_per_generation_and_revision(
        steps in prop::collection::vec((1u64..400, phases(), 0i64..2, 0usize..2, any::<bool>()), 1..80),
    ) {
        let mut flux = Flux::new(FluxKind::Kustomization);
        let mut now = T0;
        let mut deletions = std::collections::BTreeMap::<(i64, usize), u32>::new();
        for (dt, phase, generation_bump, revision, restart) in steps {
            now += dt;
            if restart {
                flux.record = RecoveryRecord::decode(Some(&flux.record.encode())).unwrap();
            }
            let base = Status {
                generation: 4 + generation_bump,
                revision: [REV1, REV2][revision],
                ..Status::failing(STS_IMMUTABLE, now)
            };
            let status = match phase {
                0 => Status { ready: "Unknown", reason: "Progressing", message: "Reconciliation in progress".into(), ..base },
                1 => Status { ready: "True", reason: "ReconciliationSucceeded", observed: base.generation, message: "Applied".into(), ..base },
                _ => base,
            };
            let before = flux.record.episode.clone();
            let d = flux.see(&status, now);
            if let (Some(before), Some(after)) = (before, flux.record.episode.as_ref()) {
                if before.generation == after.generation && before.revision == after.revision {
                    prop_assert_eq!(before.since, after.since);
                }
            }
            for a in acts(&d) {
                prop_assert_eq!(a, "recreate_resource:StatefulSet/db/pg");
                *deletions.entry((status.generation, revision)).or_default() += 1;
            }
        }
        for (key, count) in deletions {
            prop_assert!(count <= 1, "{:?} deleted {} times", key, count);
        }
    }
}
