//! The recovery policy, table-driven and by property.

use proptest::prelude::*;
use recovery_patterns::{Action, Classification, PatternSet, Severity, Target};
use serde_json::json;
use unstuck_controller::budget::DestructiveBudget;
use unstuck_controller::config::{Config, Mode, Propagation};
use unstuck_controller::decide::{decide, Classify, Decision, Inputs, SkipReason, Step};
use unstuck_controller::flux::{ConditionStatus, FluxKind, ObjectState};
use unstuck_controller::record::{DestructiveMark, Episode, RecoveryRecord};

/// 2026-01-01T00:00:00Z, when every test object's Ready condition turned False.
const T0: u64 = 1_767_225_600;

/// A classifier that returns one fixed classification for every message.
struct Fixed(Option<Classification>);

impl Classify for Fixed {
    fn classify(&self, _: &ObjectState, _: &str) -> Option<Classification> {
        self.0.clone()
    }
}

fn classification(action: Action, target: Option<(&str, Option<&str>, &str)>) -> Classification {
    Classification {
        pattern: format!("test-{action}"),
        action,
        severity: Severity::High,
        target: target.map(|(kind, ns, name)| Target {
            kind: kind.into(),
            namespace: ns.map(Into::into),
            name: name.into(),
            field: None,
        }),
        max_retries: 3,
        min_occurrences: None,
        description: None,
        cleanup_dependencies: false,
        validation_required: false,
        builtin: false,
    }
}

fn object(_kind: FluxKind, ready: &str, message: &str) -> serde_json::Value {
    json!({
        "metadata": {"name": "apps", "namespace": "flux-system", "generation": 4, "uid": "uid-apps",
                     "resourceVersion": "100"},
        "spec": {"sourceRef": {"kind": "GitRepository", "name": "repo"}},
        "status": {"observedGeneration": 4, "conditions": [{
            "type": "Ready", "status": ready, "reason": "ReconciliationFailed", "message": message,
            "lastTransitionTime": "2026-01-01T00:00:00Z"}]}
    })
}

fn state(kind: FluxKind, ready: &str) -> ObjectState {
    ObjectState::from_json(kind, &object(kind, ready, "something failed"))
}

fn failing_since(since: u64) -> RecoveryRecord {
    RecoveryRecord {
        episode: Some(Episode {
            generation: 4,
            revision: None,
            message: "something failed".into(),
            since,
            message_since: since,
            pattern: None,
            reason: None,
            reported: false,
        }),
        ..RecoveryRecord::default()
    }
}

struct Run<'a> {
    object: ObjectState,
    record: RecoveryRecord,
    config: Config,
    classifier: &'a dyn Classify,
    budget: DestructiveBudget,
    now: u64,
}

impl<'a> Run<'a> {
    /// A Kustomization the controller has seen failing for its generation since `T0`.
    fn new(classifier: &'a dyn Classify) -> Self {
        Run {
            object: state(FluxKind::Kustomization, "False"),
            record: failing_since(T0),
            config: Config::default(),
            classifier,
            budget: DestructiveBudget::new(3, 3600),
            now: T0 + 600,
        }
    }

    fn decide(&self) -> Decision {
        decide(Inputs {
            object: &self.object,
            record: &self.record,
            config: &self.config,
            classifier: self.classifier,
            budget: &self.budget,
            now: self.now,
        })
    }

    /// Decide and carry the record forward, as the controller does.
    fn step(&mut self) -> Decision {
        let d = self.decide();
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

fn skip_reason(d: &Decision) -> Option<SkipReason> {
    d.steps.iter().find_map(|s| match s {
        Step::Skip { reason, .. } => Some(*reason),
        _ => None,
    })
}

#[test]
fn table_of_single_decisions() {
    struct Case {
        name: &'static str,
        classification: Option<Classification>,
        tweak: fn(&mut Run<'_>),
        acts: &'static [&'static str],
        skip: Option<SkipReason>,
        stuck: bool,
    }
    let recreate_job = classification(
        Action::RecreateResource,
        Some(("Job", Some("apps"), "migrate")),
    );
    let recreate_pvc = classification(
        Action::RecreateResource,
        Some(("PersistentVolumeClaim", Some("apps"), "data")),
    );
    let cases = vec![
        Case {
            name: "under the threshold nothing happens",
            classification: Some(recreate_job.clone()),
            tweak: |r| r.now = T0 + 299,
            acts: &[],
            skip: None,
            stuck: false,
        },
        Case {
            name: "stuck immutable Job is recreated",
            classification: Some(recreate_job.clone()),
            tweak: |_| {},
            acts: &["recreate_resource:Job/apps/migrate"],
            skip: None,
            stuck: true,
        },
        Case {
            name: "target without namespace gets the Flux object's namespace",
            classification: Some(classification(
                Action::RecreateResource,
                Some(("Service", None, "web")),
            )),
            tweak: |_| {},
            acts: &["recreate_resource:Service/flux-system/web"],
            skip: None,
            stuck: true,
        },
        Case {
            name: "per-pattern threshold overrides the default",
            classification: Some(recreate_job.clone()),
            tweak: |r| {
                r.config
                    .pattern_thresholds
                    .insert("test-recreate_resource".into(), 1200);
            },
            acts: &[],
            skip: None,
            stuck: false,
        },
        Case {
            name: "protected kind is never deleted",
            classification: Some(recreate_pvc.clone()),
            tweak: |_| {},
            acts: &[],
            skip: Some(SkipReason::ProtectedKind),
            stuck: true,
        },
        Case {
            name: "allow-listed protected kind is deleted",
            classification: Some(recreate_pvc.clone()),
            tweak: |r| {
                r.config
                    .allow_delete_kinds
                    .insert("PersistentVolumeClaim".into());
            },
            acts: &["recreate_resource:PersistentVolumeClaim/apps/data"],
            skip: None,
            stuck: true,
        },
        Case {
            name: "manual policy on the Flux object",
            classification: Some(recreate_job.clone()),
            tweak: |r| r.object.manual = true,
            acts: &[],
            skip: Some(SkipReason::Manual),
            stuck: true,
        },
        Case {
            name: "suspended objects are left alone",
            classification: Some(recreate_job.clone()),
            tweak: |r| r.object.suspended = true,
            acts: &[],
            skip: None,
            stuck: false,
        },
        Case {
            name: "observe mode decides nothing",
            classification: Some(recreate_job.clone()),
            tweak: |r| r.config.mode = Mode::Observe,
            acts: &[],
            skip: None,
            stuck: true,
        },
        Case {
            name: "already deleted for this generation",
            classification: Some(recreate_job.clone()),
            tweak: |r| {
                r.record.mark_destructive(DestructiveMark {
                    revision: None,
                    generation: 4,
                    target: "Job/apps/migrate".into(),
                    at: T0,
                });
            },
            acts: &[],
            skip: Some(SkipReason::AlreadyAttempted),
            stuck: true,
        },
        Case {
            name: "deleted for an older generation may be deleted again",
            classification: Some(recreate_job.clone()),
            tweak: |r| {
                r.record.mark_destructive(DestructiveMark {
                    revision: None,
                    generation: 3,
                    target: "Job/apps/migrate".into(),
                    at: T0,
                });
            },
            acts: &["recreate_resource:Job/apps/migrate"],
            skip: None,
            stuck: true,
        },
        Case {
            name: "destructive budget used up",
            classification: Some(recreate_job.clone()),
            tweak: |r| r.budget = DestructiveBudget::new(0, 3600),
            acts: &[],
            skip: Some(SkipReason::RateLimited),
            stuck: true,
        },
        Case {
            name: "request reconcile needs no target",
            classification: Some(classification(Action::RequestReconcile, None)),
            tweak: |_| {},
            acts: &["request_reconcile:"],
            skip: None,
            stuck: true,
        },
        Case {
            name: "retry source falls back to spec.sourceRef",
            classification: Some(classification(Action::RetrySource, None)),
            tweak: |_| {},
            acts: &["retry_source:GitRepository/flux-system/repo"],
            skip: None,
            stuck: true,
        },
        Case {
            name: "retry source prefers the source the message names",
            classification: Some(classification(
                Action::RetrySource,
                Some(("OCIRepository", Some("infra"), "oci")),
            )),
            tweak: |_| {},
            acts: &["retry_source:OCIRepository/infra/oci"],
            skip: None,
            stuck: true,
        },
        Case {
            name: "helm actions do not apply to Kustomizations",
            classification: Some(classification(Action::ResetHelmRelease, None)),
            tweak: |_| {},
            acts: &[],
            skip: Some(SkipReason::WrongKind),
            stuck: true,
        },
        Case {
            name: "helm reset on a HelmRelease",
            classification: Some(classification(Action::ResetHelmRelease, None)),
            tweak: |r| r.object = state(FluxKind::HelmRelease, "False"),
            acts: &["reset_helm_release:"],
            skip: None,
            stuck: true,
        },
        Case {
            name: "custom actions are not executed",
            classification: Some(classification(Action::Custom("page-oncall".into()), None)),
            tweak: |_| {},
            acts: &[],
            skip: Some(SkipReason::Unsupported),
            stuck: true,
        },
        Case {
            name: "validation-required patterns wait for a human",
            classification: Some(Classification {
                validation_required: true,
                ..recreate_job.clone()
            }),
            tweak: |_| {},
            acts: &[],
            skip: Some(SkipReason::ValidationRequired),
            stuck: true,
        },
        Case {
            name: "missing target",
            classification: Some(classification(Action::RecreateResource, None)),
            tweak: |_| {},
            acts: &[],
            skip: Some(SkipReason::NoTarget),
            stuck: true,
        },
        Case {
            name: "unclassified stuck object only shows in metrics",
            classification: None,
            tweak: |_| {},
            acts: &[],
            skip: None,
            stuck: true,
        },
        Case {
            name: "ready object is not stuck",
            classification: Some(recreate_job.clone()),
            tweak: |r| r.object = state(FluxKind::Kustomization, "True"),
            acts: &[],
            skip: None,
            stuck: false,
        },
    ];
    for case in cases {
        let classifier = Fixed(case.classification.clone());
        let mut run = Run::new(&classifier);
        (case.tweak)(&mut run);
        let d = run.decide();
        assert_eq!(acts(&d), case.acts, "{}: acts", case.name);
        assert_eq!(skip_reason(&d), case.skip, "{}: skip", case.name);
        assert_eq!(d.health.stuck, case.stuck, "{}: stuck", case.name);
    }
}

#[test]
fn statefulsets_are_deleted_with_orphan_propagation() {
    let classifier = Fixed(Some(classification(
        Action::RecreateResource,
        Some(("StatefulSet", Some("db"), "pg")),
    )));
    let d = Run::new(&classifier).decide();
    let Step::Act(plan) = &d.steps[0] else {
        panic!("{d:?}")
    };
    assert_eq!(plan.propagation, Some(Propagation::Orphan));
    assert_eq!(plan.token, "2026-01-01T00:10:00Z");
}

#[test]
fn threshold_requeue_points_at_the_moment_it_becomes_stuck() {
    let classifier = Fixed(None);
    let mut run = Run::new(&classifier);
    run.now = T0 + 100;
    let d = run.decide();
    assert_eq!(d.requeue_after, Some(200));
    assert_eq!(d.health.not_ready_secs, 100);
}

#[test]
fn a_new_message_is_not_a_new_episode_but_a_new_commit_is() {
    let classifier = Fixed(Some(classification(Action::RequestReconcile, None)));
    let mut run = Run::new(&classifier);
    run.now = T0 + 100;
    run.step();
    run.object.message = Some("another failure".into());
    run.now = T0 + 1000;
    let d = run.step();
    assert!(
        d.health.stuck,
        "still failing for the same generation and revision"
    );
    assert_eq!(d.health.same_message_secs, 0);
    assert_eq!(d.health.not_ready_secs, 1000);
    // Numbers changing inside the message do not restart the message clock.
    run.object.message = Some("another failure 17".into());
    run.now = T0 + 1100;
    run.step();
    run.object.message = Some("another failure 42".into());
    run.now = T0 + 1400;
    assert_eq!(run.step().health.same_message_secs, 300);
    // A new commit: Flux attempts another revision; its failure is a new episode.
    run.object.last_attempted_revision = Some("main@sha1:new".into());
    run.now = T0 + 1500;
    let d = run.step();
    assert!(!d.health.stuck);
    assert_eq!(d.health.not_ready_secs, 0);
    assert_eq!(run.record.episode.as_ref().unwrap().since, T0 + 1500);
}

#[test]
fn verification_success_and_failure() {
    let classifier = Fixed(Some(classification(Action::RequestReconcile, None)));
    let mut run = Run::new(&classifier);
    assert_eq!(acts(&run.step()), ["request_reconcile:"]);
    // While the action is being verified nothing else happens.
    run.now += 300;
    let waiting = run.step();
    assert!(waiting.steps.is_empty());
    assert_eq!(waiting.requeue_after, Some(300));
    // Timeout: the attempt failed. The backoff (60s, less jitter) is shorter than the
    // verification window; it counts from the failed verification, so it still takes effect.
    run.now += 300;
    let failed = run.step();
    assert!(
        matches!(
            failed.steps[..],
            [Step::Verified {
                succeeded: false,
                ..
            }]
        ),
        "{failed:?}"
    );
    let wait = failed.requeue_after.unwrap();
    assert!((48..=60).contains(&wait), "{wait}");
    run.now += wait - 1;
    assert!(
        acts(&run.step()).is_empty(),
        "not before the backoff is over"
    );
    run.now += 1;
    assert_eq!(acts(&run.step()), ["request_reconcile:"]);
    // Ready: success, and the record is cleared apart from destructive marks.
    run.object = state(FluxKind::Kustomization, "True");
    run.now += 10;
    let ok = run.step();
    assert!(matches!(
        ok.steps[..],
        [Step::Verified {
            succeeded: true,
            ..
        }]
    ));
    assert_eq!(run.record, RecoveryRecord::default());
}

#[test]
fn retries_run_out_then_escalate_once_and_stop() {
    let classifier = Fixed(Some(classification(Action::RequestReconcile, None)));
    let mut run = Run::new(&classifier);
    let mut attempts = 0;
    let mut escalations = 0;
    for _ in 0..200 {
        let d = run.step();
        attempts += acts(&d).len();
        escalations += d
            .steps
            .iter()
            .filter(|s| matches!(s, Step::Escalate { .. }))
            .count();
        run.now += 120;
    }
    assert_eq!(attempts, 3, "max_retries");
    assert_eq!(escalations, 1);
    assert!(run.decide().health.exhausted);
}

#[test]
fn notify_only_actions_report_once_per_episode() {
    let classifier = Fixed(Some(classification(
        Action::WaitForDependencies,
        Some(("Kustomization", Some("flux-system"), "infra")),
    )));
    let mut run = Run::new(&classifier);
    let first = run.step();
    assert!(
        matches!(&first.steps[..], [Step::Notify { target: Some(t), .. }] if t.to_string() == "Kustomization/flux-system/infra")
    );
    run.now += 120;
    assert!(run.step().steps.is_empty());
}

#[test]
fn min_occurrences_counts_one_sighting_per_interval() {
    let mut c = classification(Action::RequestReconcile, None);
    c.min_occurrences = Some(recovery_patterns::MinOccurrences {
        count: 3,
        time_window: 600,
    });
    let classifier = Fixed(Some(c));
    let mut run = Run::new(&classifier);
    assert!(acts(&run.step()).is_empty());
    // Many events within one interval (our own patches, status churn) are one sighting.
    for _ in 0..10 {
        run.now += 1;
        assert!(acts(&run.step()).is_empty());
    }
    run.now += 60;
    assert!(acts(&run.step()).is_empty());
    run.now += 60;
    assert_eq!(acts(&run.step()), ["request_reconcile:"]);
}

#[test]
fn builtin_patterns_drive_the_real_decision() {
    let patterns = PatternSet::builtin();
    let obj = ObjectState::from_json(
        FluxKind::HelmRelease,
        &object(
            FluxKind::HelmRelease,
            "False",
            "Helm upgrade failed: another operation (install/upgrade/rollback) is in progress",
        ),
    );
    let mut run = Run::new(&patterns);
    run.object = obj;
    let d = run.decide();
    assert_eq!(
        d.classification.as_ref().map(|c| c.action.clone()),
        Some(Action::UnlockHelmRelease)
    );
    assert_eq!(acts(&d), ["unlock_helm_release:"]);
}

/// A Kustomization failure no built-in pattern matches (kustomize-controller `reconcile`:
/// `tmp dir error: %w`, left to the `unknown` default in docs/recovery-patterns.md).
const UNRECOGNISED: &str =
    "tmp dir error: mkdir /tmp/kustomization-1762639108: no space left on device";

/// A Kustomization the controller has seen failing on [`UNRECOGNISED`] since `T0`, in enforce mode.
fn unrecognised_run(patterns: &PatternSet) -> Run<'_> {
    let mut run = Run::new(patterns);
    run.config.mode = Mode::Enforce;
    run.object.message = Some(UNRECOGNISED.into());
    run
}

fn unrecognised_steps(d: &Decision) -> Vec<String> {
    d.steps
        .iter()
        .filter_map(|s| match s {
            Step::Unrecognised { line, .. } => Some(line.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn an_unrecognised_failure_is_reported_once_per_episode_and_never_acted_on() {
    let patterns = PatternSet::builtin();
    let mut run = unrecognised_run(&patterns);
    run.now = T0 + 299;
    let d = run.step();
    assert!(!d.health.stuck);
    assert!(d.steps.is_empty(), "{:?}", d.steps);
    assert_eq!(d.classification, None);
    let unknown = d.unrecognised.as_ref().expect("the unknown verdict");
    assert_eq!(unknown.pattern, "unknown");
    assert_eq!(unknown.line, UNRECOGNISED);

    // Stuck: report, do not act — no attempt, no sighting, no destructive mark, no budget.
    run.now = T0 + 600;
    run.budget = DestructiveBudget::new(0, 3600);
    let d = run.step();
    assert!(d.health.stuck);
    assert_eq!(
        d.steps,
        [Step::Unrecognised {
            line: UNRECOGNISED.into(),
            target: None
        }]
    );
    assert!(d.record.retries.is_empty());
    assert!(d.record.pending.is_none());
    assert!(d.record.destructive.is_empty());
    assert!(d.record.episode.as_ref().unwrap().reported);
    assert_eq!(d.requeue_after, Some(run.config.sighting_interval_secs));

    // The same episode, on every later reconcile and through Flux's progress interludes: silent,
    // still unknown (judged with the failure's reason, not `Progressing`).
    run.now += 60;
    assert!(run.step().steps.is_empty());
    run.object.ready = ConditionStatus::Unknown;
    run.object.reason = Some("Progressing".into());
    run.object.message = Some("Reconciliation in progress".into());
    run.now += 60;
    let d = run.step();
    assert!(d.steps.is_empty(), "{:?}", d.steps);
    assert!(d.health.stuck);
    assert_eq!(
        d.unrecognised.as_ref().map(|u| u.line.as_str()),
        Some(UNRECOGNISED)
    );
    // Restarted controller: the persisted record says it was reported.
    run.record = RecoveryRecord::decode(Some(&run.record.encode())).unwrap();
    run.object.ready = ConditionStatus::False;
    run.object.reason = Some("ReconciliationFailed".into());
    run.object.message = Some(UNRECOGNISED.replace("1762639108", "1762639170"));
    run.now += 60;
    assert!(run.step().steps.is_empty());

    // A new commit is a new episode: reported again once it is stuck.
    run.object.last_attempted_revision = Some("main@sha1:new".into());
    let d = run.step();
    assert!(!d.health.stuck);
    assert!(d.steps.is_empty());
    run.now += 300;
    assert_eq!(unrecognised_steps(&run.step()).len(), 1);
    run.now += 60;
    assert!(run.step().steps.is_empty());
}

#[test]
fn a_failure_that_changes_between_known_and_unknown_is_handled_as_what_it_is_now() {
    let patterns = PatternSet::builtin();
    let mut run = unrecognised_run(&patterns);
    assert_eq!(unrecognised_steps(&run.step()).len(), 1);
    // Now a recognised failure in the same episode: the pattern decides and acts.
    run.object.message = Some("Health check failed after 5m0s, timeout waiting for: [Deployment/apps/web status: 'InProgress']".into());
    run.now += 60;
    let d = run.step();
    assert_eq!(acts(&d), ["request_reconcile:"]);
    assert_eq!(d.unrecognised, None);
    // And back to an unrecognised one: once the reconcile request's verification window has
    // closed, reported, since the episode's pattern changed; the request is not repeated.
    run.object.message = Some(UNRECOGNISED.into());
    run.now += 60;
    assert!(
        run.step().steps.is_empty(),
        "waiting for the request's result"
    );
    run.now += run.config.verify_timeout_secs;
    let d = run.step();
    assert!(matches!(
        d.steps[0],
        Step::Verified {
            succeeded: false,
            ..
        }
    ));
    assert_eq!(unrecognised_steps(&d), [UNRECOGNISED]);
    assert!(acts(&d).is_empty());
}

#[test]
fn unrecognised_failures_are_not_reported_in_observe_mode_or_when_suspended() {
    let patterns = PatternSet::builtin();
    let mut run = unrecognised_run(&patterns);
    run.config.mode = Mode::Observe;
    let d = run.decide();
    assert!(d.steps.is_empty());
    assert!(d.unrecognised.is_some(), "still known to metrics");
    run.config.mode = Mode::DryRun;
    assert_eq!(unrecognised_steps(&run.decide()).len(), 1);
    run.object.suspended = true;
    let d = run.decide();
    assert!(d.steps.is_empty());
    assert!(!d.health.stuck);
    // A classifier that only knows classifications never calls a failure unknown.
    let only_known = Fixed(None);
    let d = Run::new(&only_known).decide();
    assert!(d.health.stuck);
    assert_eq!(d.unrecognised, None);
    assert!(d.steps.is_empty());
}

#[test]
fn a_helm_release_failing_on_an_unrecognised_message_is_reported() {
    // helm-controller `AtomicRelease.Reconcile`: `Could not determine release state: %s`
    // (left to the `unknown` default), reason `StateError`.
    let patterns = PatternSet::builtin();
    let mut run = Run::new(&patterns);
    let mut obj = object(
        FluxKind::HelmRelease,
        "False",
        "Could not determine release state: unable to determine state for release with version 3",
    );
    obj["status"]["conditions"][0]["reason"] = json!("StateError");
    run.object = ObjectState::from_json(FluxKind::HelmRelease, &obj);
    let d = run.decide();
    assert_eq!(
        unrecognised_steps(&d),
        ["Could not determine release state: unable to determine state for release with version 3"]
    );
    assert!(acts(&d).is_empty());
}

fn kinds() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "Namespace",
        "PersistentVolume",
        "PersistentVolumeClaim",
        "Secret",
        "CustomResourceDefinition",
        "Deployment",
        "StatefulSet",
        "Job",
        "Service",
    ])
    .prop_map(str::to_owned)
}

fn actions() -> impl Strategy<Value = Action> {
    prop::sample::select(Action::BUILTIN.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever the classification, configuration and history, a protected kind is deleted only
    /// when allow-listed, and observe mode never acts.
    #[test]
    fn protected_kinds_are_never_deleted_unless_allow_listed(
        kind in kinds(),
        action in actions(),
        allow in prop::collection::btree_set(kinds(), 0..3),
        mode in prop::sample::select(vec![Mode::Observe, Mode::DryRun, Mode::Enforce]),
        elapsed in 0u64..100_000,
        manual in any::<bool>(),
    ) {
        let classifier = Fixed(Some(classification(action, Some((&kind, Some("ns"), "x")))));
        let mut run = Run::new(&classifier);
        run.config.allow_delete_kinds = allow.clone();
        run.config.mode = mode;
        run.object.manual = manual;
        run.now = T0 + elapsed;
        let d = run.decide();
        for step in &d.steps {
            if let Step::Act(plan) = step {
                prop_assert!(mode != Mode::Observe);
                prop_assert!(!manual);
                if plan.action == Action::RecreateResource {
                    let target = plan.target.as_ref().unwrap();
                    let protected = unstuck_controller::config::is_protected_kind(&target.kind);
                    prop_assert!(!protected || allow.contains(&target.kind), "{} deleted", target.kind);
                }
            }
        }
    }

    /// Across any sequence of observations and restarts (the record reloaded from its persisted
    /// form, or even an in-memory cache that is lost), a target is deleted at most once per
    /// generation of the Flux object as long as the persisted record survives.
    #[test]
    fn destructive_actions_never_repeat_for_one_generation(
        steps in prop::collection::vec((1u64..2_000, any::<bool>(), any::<bool>(), 0i64..3), 1..60),
    ) {
        let classifier = Fixed(Some(classification(Action::RecreateResource, Some(("Deployment", Some("apps"), "web")))));
        let mut run = Run::new(&classifier);
        run.budget = DestructiveBudget::new(u32::MAX, 1);
        let mut deletions = std::collections::BTreeMap::<i64, u32>::new();
        for (dt, restart, ready, generation_bump) in steps {
            run.now += dt;
            if restart {
                // Restart: only what was persisted (encoded) survives.
                run.record = RecoveryRecord::decode(Some(&run.record.encode())).unwrap();
            }
            let generation = 4 + generation_bump;
            let mut obj = object(FluxKind::Kustomization, if ready { "True" } else { "False" }, "x");
            obj["metadata"]["generation"] = json!(generation);
            obj["status"]["observedGeneration"] = json!(generation);
            run.object = ObjectState::from_json(FluxKind::Kustomization, &obj);
            let d = run.step();
            for a in acts(&d) {
                prop_assert_eq!(a, "recreate_resource:Deployment/apps/web");
                *deletions.entry(generation).or_default() += 1;
            }
        }
        for (generation, count) in deletions {
            prop_assert!(count <= 1, "generation {} deleted {} times", generation, count);
        }
    }

    /// A failure no pattern matches is never acted on, whatever the mode, history, budget and
    /// Flux's alternation of attempts: at most one report per episode, no retry, no mark.
    #[test]
    fn unrecognised_failures_are_reported_at_most_once_and_never_acted_on(
        detail in "[a-z ]{0,40}",
        mode in prop::sample::select(vec![Mode::Observe, Mode::DryRun, Mode::Enforce]),
        steps in prop::collection::vec((1u64..1_000, any::<bool>(), any::<bool>()), 1..40),
        budget in 0u32..4,
    ) {
        let patterns = PatternSet::builtin();
        let message = format!("tmp dir error: {detail}");
        let mut run = unrecognised_run(&patterns);
        run.config.mode = mode;
        run.budget = DestructiveBudget::new(budget, 3600);
        run.object.message = Some(message.clone());
        prop_assume!(run.decide().unrecognised.is_some());
        let mut reports = 0;
        for (dt, in_progress, restart) in steps {
            run.now += dt;
            if restart {
                run.record = RecoveryRecord::decode(Some(&run.record.encode())).unwrap();
            }
            if in_progress {
                run.object.ready = ConditionStatus::Unknown;
                run.object.reason = Some("Progressing".into());
                run.object.message = Some("Reconciliation in progress".into());
            } else {
                run.object.ready = ConditionStatus::False;
                run.object.reason = Some("ReconciliationFailed".into());
                run.object.message = Some(message.clone());
            }
            let d = run.step();
            prop_assert!(d.unrecognised.is_some());
            for step in &d.steps {
                prop_assert!(matches!(step, Step::Unrecognised { .. }), "{:?}", step);
                reports += 1;
            }
            prop_assert!(d.record.retries.is_empty());
            prop_assert!(d.record.destructive.is_empty());
            prop_assert!(d.record.pending.is_none());
        }
        prop_assert!(reports <= 1);
        if mode == Mode::Observe {
            prop_assert_eq!(reports, 0);
        }
    }

    /// A used-up budget never lets a destructive action through, and then nothing is recorded.
    #[test]
    fn budget_blocks_all_destructive_actions(elapsed in 300u64..100_000, action in actions()) {
        let classifier = Fixed(Some(classification(action, Some(("Deployment", Some("apps"), "web")))));
        let mut run = Run::new(&classifier);
        run.budget = DestructiveBudget::new(0, 3600);
        run.now = T0 + elapsed;
        let d = run.decide();
        prop_assert!(!acts(&d).iter().any(|a| a.starts_with("recreate_resource")));
        prop_assert!(d.record.destructive.is_empty());
    }
}
