//! Prometheus metrics, all prefixed `unstuck_` (see `docs/controller.md` for the full list).
//!
//! Per-object gauges carry `kind`, `namespace` and `name` labels; series of an object that is
//! deleted, or whose reason or classification changes, are removed so they do not linger.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::Mutex;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::decide::{Decision, Phase, SkipReason};
use crate::flux::ObjectState;

/// Every metric the controller exports, as Prometheus names them (counters end in `_total`).
pub const EXPORTED: &[&str] = &[
    "unstuck_object_ready",
    "unstuck_object_suspended",
    "unstuck_object_stuck",
    "unstuck_object_not_ready_seconds",
    "unstuck_object_same_message_seconds",
    "unstuck_object_reason",
    "unstuck_object_classification",
    "unstuck_immutable_conflict",
    "unstuck_recovery_exhausted",
    "unstuck_reconcile_failures_total",
    "unstuck_classifications_total",
    "unstuck_recovery_attempts_total",
    "unstuck_recovery_results_total",
    "unstuck_recovery_skipped_total",
    "unstuck_escalations_total",
    "unstuck_controller_reconcile_errors_total",
    "unstuck_leader",
    "unstuck_build_info",
];

/// The actions whose results `UnstuckRecoveryActionsFailing` watches: those that change the cluster.
pub const RESULT_ACTIONS: [recovery_patterns::Action; 6] = [
    recovery_patterns::Action::RequestReconcile,
    recovery_patterns::Action::RetrySource,
    recovery_patterns::Action::ResetHelmRelease,
    recovery_patterns::Action::RollbackHelmRelease,
    recovery_patterns::Action::UnlockHelmRelease,
    recovery_patterns::Action::RecreateResource,
];

/// The `action` label of a failure no pattern matched (`pattern="unknown"`): the controller takes
/// none.
pub const UNRECOGNISED_ACTION: &str = "none";

/// Labels identifying one Flux object.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ObjectLabels {
    /// Flux kind.
    pub kind: String,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
}

/// An object plus its Ready reason.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    /// Flux kind.
    pub kind: String,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// The Ready condition's reason.
    pub reason: String,
}

/// An object plus its current classification.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ClassLabels {
    /// Flux kind.
    pub kind: String,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Pattern name.
    pub pattern: String,
    /// Recovery action.
    pub action: String,
}

/// An object plus the target of an immutable-field conflict.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ConflictLabels {
    /// Flux kind.
    pub kind: String,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// The object whose immutable field changed, `Kind/namespace/name`.
    pub target: String,
}

/// Counters by kind and reason.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FailureLabels {
    /// Flux kind.
    pub kind: String,
    /// The Ready condition's reason.
    pub reason: String,
}

/// Counters by pattern and action.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PatternLabels {
    /// Flux kind.
    pub kind: String,
    /// Pattern name.
    pub pattern: String,
    /// Recovery action.
    pub action: String,
}

/// Counters by action and mode.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AttemptLabels {
    /// Recovery action.
    pub action: String,
    /// `dry-run` or `enforce`.
    pub mode: String,
}

/// Counters by action and result.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    /// Recovery action.
    pub action: String,
    /// `succeeded`, `failed` (not Ready in time), `error` (API call failed) or `blocked`.
    pub result: String,
}

/// Counters by action and skip reason.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SkipLabels {
    /// Recovery action.
    pub action: String,
    /// Why it was not carried out.
    pub reason: String,
}

/// Labels of `unstuck_build_info`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BuildLabels {
    /// Crate version.
    pub version: String,
    /// Operating mode.
    pub mode: String,
}

/// Labels of controller-internal counters.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    /// Flux kind.
    pub kind: String,
}

type GaugeF = Gauge<f64, AtomicU64>;

/// Every metric the controller exports.
#[derive(Debug, Default)]
pub struct Metrics {
    ready: Family<ObjectLabels, Gauge>,
    suspended: Family<ObjectLabels, Gauge>,
    stuck: Family<ObjectLabels, Gauge>,
    not_ready_seconds: Family<ObjectLabels, GaugeF>,
    stuck_seconds: Family<ObjectLabels, GaugeF>,
    reason: Family<ReasonLabels, Gauge>,
    classification: Family<ClassLabels, Gauge>,
    immutable_conflict: Family<ConflictLabels, Gauge>,
    exhausted: Family<ClassLabels, Gauge>,
    failures: Family<FailureLabels, Counter>,
    classifications: Family<PatternLabels, Counter>,
    attempts: Family<AttemptLabels, Counter>,
    results: Family<ResultLabels, Counter>,
    skipped: Family<SkipLabels, Counter>,
    escalations: Family<PatternLabels, Counter>,
    reconcile_errors: Family<KindLabels, Counter>,
    leader: Gauge,
    build_info: Family<BuildLabels, Gauge>,
    /// Label sets of the per-object series that change with the object, to remove stale ones.
    series: Mutex<HashMap<ObjectLabels, ObjectSeries>>,
}

#[derive(Debug, Default, Clone, PartialEq)]
struct ObjectSeries {
    reason: Option<ReasonLabels>,
    classification: Option<ClassLabels>,
    conflict: Option<ConflictLabels>,
    exhausted: Option<ClassLabels>,
    episode: Option<String>,
}

impl Metrics {
    /// Registers every metric in `registry` (which should have no prefix: names carry `unstuck_`).
    pub fn register(self: &std::sync::Arc<Self>, registry: &mut Registry) {
        self.preinitialise();
        let r = registry.sub_registry_with_prefix("unstuck");
        r.register(
            "object_ready",
            "Flux object is Ready (1) or not (0)",
            self.ready.clone(),
        );
        r.register(
            "object_suspended",
            "Flux object is suspended",
            self.suspended.clone(),
        );
        r.register(
            "object_stuck",
            "Flux object has been failing for one generation and revision for longer than its threshold",
            self.stuck.clone(),
        );
        r.register(
            "object_not_ready_seconds",
            "Seconds since the first failure of the Flux object's current failure episode (0 without one)",
            self.not_ready_seconds.clone(),
        );
        r.register(
            "object_same_message_seconds",
            "Seconds a not-Ready Flux object has shown the same (normalised) message",
            self.stuck_seconds.clone(),
        );
        r.register(
            "object_reason",
            "Reason of the current failure (value 1)",
            self.reason.clone(),
        );
        r.register(
            "object_classification",
            "Pattern and recovery action of a not-Ready object's message (value 1); pattern=\"unknown\", action=\"none\" when no pattern matched the failure",
            self.classification.clone(),
        );
        r.register(
            "immutable_conflict",
            "A Flux object is failing on an immutable-field change of the target object (value 1)",
            self.immutable_conflict.clone(),
        );
        r.register(
            "recovery_exhausted",
            "Recovery retries for the object's pattern are used up; a human must act (value 1)",
            self.exhausted.clone(),
        );
        r.register(
            "reconcile_failures",
            "Failures of Flux reconciliations observed (one per new failure message)",
            self.failures.clone(),
        );
        r.register(
            "classifications",
            "Failure episodes by pattern and action (pattern=\"unknown\": no pattern matched)",
            self.classifications.clone(),
        );
        r.register(
            "recovery_attempts",
            "Recovery actions started (or reported in dry-run)",
            self.attempts.clone(),
        );
        r.register(
            "recovery_results",
            "Results of recovery actions",
            self.results.clone(),
        );
        r.register(
            "recovery_skipped",
            "Recovery actions stopped by a safety rule",
            self.skipped.clone(),
        );
        r.register(
            "escalations",
            "Failures escalated to a human after the last retry",
            self.escalations.clone(),
        );
        r.register(
            "controller_reconcile_errors",
            "Errors of the controller's own reconcile loop (API errors, unreadable state)",
            self.reconcile_errors.clone(),
        );
        r.register(
            "leader",
            "This replica holds the leader Lease (1) or not (0)",
            self.leader.clone(),
        );
        r.register(
            "build_info",
            "Version and mode of the controller (value 1)",
            self.build_info.clone(),
        );
    }

    /// Creates, at 0, every counter series the shipped alerts select, so that `increase()` sees
    /// the first failure too (a series born at 1 has no earlier sample to increase from).
    pub fn preinitialise(&self) {
        for action in RESULT_ACTIONS {
            for result in ["succeeded", "failed", "error", "blocked"] {
                let _ = self.results.get_or_create(&ResultLabels {
                    action: action.as_str().into(),
                    result: result.into(),
                });
            }
        }
        for kind in crate::flux::FluxKind::ALL {
            let _ = self.reconcile_errors.get_or_create(&KindLabels {
                kind: kind.as_str().into(),
            });
        }
    }

    /// Sets `unstuck_build_info`.
    pub fn set_build_info(&self, version: &str, mode: &str) {
        self.build_info
            .get_or_create(&BuildLabels {
                version: version.into(),
                mode: mode.into(),
            })
            .set(1);
    }

    /// Sets `unstuck_leader`.
    pub fn set_leader(&self, leader: bool) {
        self.leader.set(i64::from(leader));
    }

    /// Updates every per-object series from a decision.
    pub fn observe(&self, object: &ObjectState, decision: &Decision) {
        let labels = object_labels(object);
        let health = decision.health;
        self.ready
            .get_or_create(&labels)
            .set(i64::from(health.ready));
        self.suspended
            .get_or_create(&labels)
            .set(i64::from(health.suspended));
        self.stuck
            .get_or_create(&labels)
            .set(i64::from(health.stuck));
        #[allow(clippy::cast_precision_loss)] // seconds fit f64 exactly for any realistic age
        {
            self.not_ready_seconds
                .get_or_create(&labels)
                .set(health.not_ready_secs as f64);
            self.stuck_seconds
                .get_or_create(&labels)
                .set(health.same_message_secs as f64);
        }

        let mut series = self
            .series
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let previous = series.get(&labels).cloned().unwrap_or_default();
        let mut next = ObjectSeries::default();
        if let Some(episode) = decision.record.episode.as_ref().filter(|_| !health.ready) {
            // Keyed by what makes an episode (generation and revision), not by its start time:
            // before the destructive budget is rebuilt the leader decides from an in-memory
            // record, then from the persisted one, and the two start the same episode at
            // different seconds — counting it twice. An episode that ends (Ready) clears the key.
            next.episode = Some(format!(
                "{}|{}",
                episode.generation,
                episode.revision.as_deref().unwrap_or_default(),
            ));
            next.reason = if Phase::of(object) == Phase::Failing {
                let reason = if object.ready == crate::flux::ConditionStatus::False {
                    object.reason.as_ref()
                } else {
                    object.stalled_reason.as_ref()
                };
                reason.map(|reason| ReasonLabels {
                    kind: labels.kind.clone(),
                    namespace: labels.namespace.clone(),
                    name: labels.name.clone(),
                    reason: reason.clone(),
                })
            } else {
                // Between two attempts the failure's reason stays; `Progressing` is not one.
                previous.reason.clone()
            };
        }
        if let Some(c) = decision.classification.as_ref().filter(|_| !health.ready) {
            let class = ClassLabels {
                kind: labels.kind.clone(),
                namespace: labels.namespace.clone(),
                name: labels.name.clone(),
                pattern: c.pattern.clone(),
                action: c.action.to_string(),
            };
            if c.action == recovery_patterns::Action::RecreateResource {
                next.conflict = c.target.as_ref().map(|t| ConflictLabels {
                    kind: labels.kind.clone(),
                    namespace: labels.namespace.clone(),
                    name: labels.name.clone(),
                    target: t.to_string(),
                });
            }
            if health.exhausted {
                next.exhausted = Some(class.clone());
            }
            next.classification = Some(class);
        } else if decision.unrecognised.is_some() && !health.ready {
            // One fixed label value, never the message: the series count stays bounded.
            next.classification = Some(ClassLabels {
                kind: labels.kind.clone(),
                namespace: labels.namespace.clone(),
                name: labels.name.clone(),
                pattern: recovery_patterns::UNKNOWN_PATTERN.into(),
                action: UNRECOGNISED_ACTION.into(),
            });
        }

        if next.episode.is_some() && next.episode != previous.episode {
            let reason = next
                .reason
                .as_ref()
                .map_or_else(|| "Unknown".into(), |r| r.reason.clone());
            self.failures
                .get_or_create(&FailureLabels {
                    kind: labels.kind.clone(),
                    reason,
                })
                .inc();
            if let Some(c) = &next.classification {
                self.classifications
                    .get_or_create(&PatternLabels {
                        kind: labels.kind.clone(),
                        pattern: c.pattern.clone(),
                        action: c.action.clone(),
                    })
                    .inc();
            }
        }
        replace(&self.reason, previous.reason.as_ref(), next.reason.as_ref());
        replace(
            &self.classification,
            previous.classification.as_ref(),
            next.classification.as_ref(),
        );
        replace(
            &self.immutable_conflict,
            previous.conflict.as_ref(),
            next.conflict.as_ref(),
        );
        replace(
            &self.exhausted,
            previous.exhausted.as_ref(),
            next.exhausted.as_ref(),
        );
        series.insert(labels, next);
    }

    /// Removes every series of an object that no longer exists.
    pub fn forget(&self, kind: &str, namespace: &str, name: &str) {
        let labels = ObjectLabels {
            kind: kind.into(),
            namespace: namespace.into(),
            name: name.into(),
        };
        for family in [&self.ready, &self.suspended, &self.stuck] {
            family.remove(&labels);
        }
        self.not_ready_seconds.remove(&labels);
        self.stuck_seconds.remove(&labels);
        let mut series = self
            .series
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(previous) = series.remove(&labels) {
            replace(&self.reason, previous.reason.as_ref(), None);
            replace(&self.classification, previous.classification.as_ref(), None);
            replace(&self.immutable_conflict, previous.conflict.as_ref(), None);
            replace(&self.exhausted, previous.exhausted.as_ref(), None);
        }
    }

    /// Counts a recovery action started (or reported, in dry-run).
    pub fn attempt(&self, action: &str, mode: &str) {
        self.attempts
            .get_or_create(&AttemptLabels {
                action: action.into(),
                mode: mode.into(),
            })
            .inc();
    }

    /// Counts a recovery result.
    pub fn result(&self, action: &str, result: &str) {
        self.results
            .get_or_create(&ResultLabels {
                action: action.into(),
                result: result.into(),
            })
            .inc();
    }

    /// Counts an action stopped by a safety rule.
    pub fn skipped(&self, action: &str, reason: SkipReason) {
        self.skipped
            .get_or_create(&SkipLabels {
                action: action.into(),
                reason: reason.as_str().into(),
            })
            .inc();
    }

    /// Counts an escalation.
    pub fn escalation(&self, kind: &str, pattern: &str, action: &str) {
        self.escalations
            .get_or_create(&PatternLabels {
                kind: kind.into(),
                pattern: pattern.into(),
                action: action.into(),
            })
            .inc();
    }

    /// Counts an error of the controller's own reconcile loop.
    pub fn reconcile_error(&self, kind: &str) {
        self.reconcile_errors
            .get_or_create(&KindLabels { kind: kind.into() })
            .inc();
    }
}

fn object_labels(object: &ObjectState) -> ObjectLabels {
    ObjectLabels {
        kind: object.kind.to_string(),
        namespace: object.namespace.clone(),
        name: object.name.clone(),
    }
}

/// Moves an info-style (value 1) series from `old` to `new` labels.
fn replace<L: EncodeLabelSet + Clone + Eq + std::hash::Hash + std::fmt::Debug>(
    family: &Family<L, Gauge>,
    old: Option<&L>,
    new: Option<&L>,
) {
    if let Some(old) = old.filter(|old| Some(*old) != new) {
        family.remove(old);
    }
    if let Some(new) = new {
        family.get_or_create(new).set(1);
    }
}

/// Renders a registry in the OpenMetrics text format.
pub fn render(registry: &Registry) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut out, registry);
    out
}
