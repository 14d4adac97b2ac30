//! The recovery policy as one pure function.
//!
//! [`decide`] takes what the controller knows — the Flux object's state, the persisted
//! [`RecoveryRecord`], the [`Config`], the destructive [`DestructiveBudget`] and the time — and
//! returns the [`Step`]s to take plus the record to persist. It performs no I/O, so the whole
//! policy (thresholds, retries, backoff, escalation, every safety rule) is tested without a cluster.
//!
//! Classification and retry bookkeeping come from `recovery-patterns`
//! ([`recovery_patterns::PatternSet`], [`recovery_patterns::retry::RetryState`]); this module only
//! adds what is specific to running in a cluster: episodes, verification, and the safety rules.

use recovery_patterns::retry::{AttemptOutcome, RetryDecision, RetryPolicy};
use recovery_patterns::{
    Action, Classification, Context, PatternSet, Target, UnknownFailure, Verdict,
};
use serde::{Deserialize, Serialize};

use crate::budget::DestructiveBudget;
use crate::config::{Config, Mode, Propagation};
use crate::flux::{ConditionStatus, FluxKind, ObjectRef, ObjectState};
use crate::record::{
    bounded_message, fingerprint, DestructiveMark, Episode, PendingAttempt, RecoveryRecord,
};

/// Classifies a not-Ready object's message. Implemented by [`PatternSet`]; tests may supply their own.
pub trait Classify {
    /// The classification of `message` carried by `object`, if any pattern matches.
    fn classify(&self, object: &ObjectState, message: &str) -> Option<Classification>;

    /// Everything said about `message`: a known classification, a failure no pattern matched, or
    /// no failure. A classifier that only knows classifications never calls a failure unknown.
    fn verdict(&self, object: &ObjectState, message: &str) -> Verdict {
        self.classify(object, message)
            .map_or(Verdict::NotAFailure, Verdict::Known)
    }
}

impl Classify for PatternSet {
    fn classify(&self, object: &ObjectState, message: &str) -> Option<Classification> {
        self.classify_with(&context(object, message))
    }

    fn verdict(&self, object: &ObjectState, message: &str) -> Verdict {
        PatternSet::verdict(self, &context(object, message))
    }
}

fn context<'a>(object: &'a ObjectState, message: &'a str) -> Context<'a> {
    Context {
        message,
        carrier_kind: Some(object.kind.as_str()),
        namespace: Some(&object.namespace),
        reason: object.reason.as_deref(),
    }
}

/// Everything [`decide`] looks at.
#[derive(Clone, Copy)]
pub struct Inputs<'a> {
    /// The Flux object as last observed.
    pub object: &'a ObjectState,
    /// The persisted (or cached) recovery record of that object.
    pub record: &'a RecoveryRecord,
    /// Configuration.
    pub config: &'a Config,
    /// Message classifier.
    pub classifier: &'a dyn Classify,
    /// The cluster-wide destructive budget.
    pub budget: &'a DestructiveBudget,
    /// Unix seconds.
    pub now: u64,
}

/// What [`decide`] concluded.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Health of the object, for metrics.
    pub health: Health,
    /// The classification of the current failure, if any.
    pub classification: Option<Classification>,
    /// The current failure, when it is one no pattern matched (the `unknown` verdict): reported
    /// once per episode, never acted on.
    pub unrecognised: Option<UnknownFailure>,
    /// What to do, in order.
    pub steps: Vec<Step>,
    /// The record to persist.
    pub record: RecoveryRecord,
    /// Look at the object again after this many seconds (`None`: only on the next change).
    pub requeue_after: Option<u64>,
}

/// Health of one Flux object.
#[allow(clippy::struct_excessive_bools)] // independent facts, not a state machine
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Health {
    /// `Ready=True` for the current generation.
    pub ready: bool,
    /// `spec.suspend` is set.
    pub suspended: bool,
    /// Seconds since the current failure episode's first failure (0 without one).
    pub not_ready_secs: u64,
    /// Seconds the current failure message has been unchanged.
    pub same_message_secs: u64,
    /// Failing for the same generation and revision for longer than the threshold.
    pub stuck: bool,
    /// The pattern's retries are used up.
    pub exhausted: bool,
}

/// One thing to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// Carry out an action (in `dry-run`: report that it would be carried out).
    Act(Plan),
    /// A notify-only action: tell a human what to do; the cluster is not changed.
    Notify {
        /// The action (`wait_for_dependencies`, `fix_in_git`, `namespace_terminating`).
        action: Action,
        /// The pattern.
        pattern: String,
        /// The object the message names, if any.
        target: Option<ObjectRef>,
    },
    /// An action was decided but a safety rule stopped it.
    Skip {
        /// The action.
        action: Action,
        /// The pattern.
        pattern: String,
        /// Why.
        reason: SkipReason,
    },
    /// Retries are used up: report to a human and stop acting.
    Escalate {
        /// The action that kept failing.
        action: Action,
        /// The pattern.
        pattern: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The failure matches no recovery pattern (the `unknown` verdict): tell a human, change
    /// nothing. Nothing is known to be safe, so no action is planned and no budget is spent.
    Unrecognised {
        /// The line of the message that reports the failure.
        line: String,
        /// The object the message names, if any.
        target: Option<ObjectRef>,
    },
    /// An earlier action's result is known.
    Verified {
        /// The action.
        action: Action,
        /// The pattern.
        pattern: String,
        /// The object became Ready within the verification timeout.
        succeeded: bool,
    },
}

/// An action to carry out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// The action.
    pub action: Action,
    /// The pattern that chose it.
    pub pattern: String,
    /// 1-based attempt number.
    pub attempt: u32,
    /// The object acted on besides the Flux object: the object to recreate, or the source to retry.
    pub target: Option<ObjectRef>,
    /// Deletion propagation, for `recreate_resource`.
    pub propagation: Option<Propagation>,
    /// Request-annotation token (RFC 3339 of `now`), written to Flux's request annotations.
    pub token: String,
}

/// Why a decided action was not carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The Flux object asks for manual recovery.
    Manual,
    /// The target is a protected kind that is not allow-listed.
    ProtectedKind,
    /// This target was already deleted once for this generation and source revision of the Flux
    /// object.
    AlreadyAttempted,
    /// The cluster-wide destructive budget is used up for now.
    RateLimited,
    /// The message names no target the action could work on.
    NoTarget,
    /// The pattern asks for human validation before acting.
    ValidationRequired,
    /// The action does not apply to this kind of Flux object (a Helm action on a Kustomization).
    WrongKind,
    /// A custom action: the controller has no implementation for it.
    Unsupported,
    /// `rollback_helm_release` on a HelmRelease whose `spec.upgrade.remediation` does not make
    /// helm-controller roll back (the default: no retries, no `remediateLastFailure`).
    NoRemediation,
}

impl SkipReason {
    /// The reason's name, as used in metrics and Events.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Manual => "manual",
            SkipReason::ProtectedKind => "protected_kind",
            SkipReason::AlreadyAttempted => "already_attempted",
            SkipReason::RateLimited => "rate_limited",
            SkipReason::NoTarget => "no_target",
            SkipReason::ValidationRequired => "validation_required",
            SkipReason::WrongKind => "wrong_kind",
            SkipReason::Unsupported => "unsupported",
            SkipReason::NoRemediation => "no_remediation",
        }
    }

    /// Whether the skip lasts until a human (or a new generation) intervenes.
    pub fn is_permanent(self) -> bool {
        !matches!(self, SkipReason::RateLimited)
    }
}

/// Where a Flux object is in Flux's own lifecycle, read from its conditions.
///
/// kustomize-controller marks `Ready=Unknown` (reason `Progressing`, "Reconciliation in
/// progress") at the start of every attempt and `Ready=False` with the error at its end; it sets
/// `status.observedGeneration` only when an attempt succeeds (`KustomizationReconciler.reconcile`
/// and `finalizeStatus`). helm-controller marks `Ready=Unknown` before each release action and
/// reports exhausted retries in `Stalled=True` (reason `RetriesExceeded`, `AtomicRelease.Reconcile`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// `Ready=True` for the current generation.
    Healthy,
    /// `Ready=True` for an older generation: Flux has not reconciled the new spec yet.
    Pending,
    /// `Ready=Unknown` (or no Ready condition): an attempt is running. Neither a failure nor the
    /// end of one.
    Progressing,
    /// `Ready=False`, or `Stalled=True` whatever Ready says.
    Failing,
}

impl Phase {
    /// The phase of `object`.
    pub fn of(object: &ObjectState) -> Phase {
        if object.stalled {
            return Phase::Failing;
        }
        match object.ready {
            ConditionStatus::True
                if object
                    .observed_generation
                    .is_none_or(|observed| observed >= object.generation) =>
            {
                Phase::Healthy
            }
            ConditionStatus::True => Phase::Pending,
            ConditionStatus::False => Phase::Failing,
            ConditionStatus::Unknown => Phase::Progressing,
        }
    }
}

/// The failure message the object reports right now (only in [`Phase::Failing`]) and its
/// verdict. A `Stalled` HelmRelease is classified by its Ready message (the error itself:
/// an immutable field, a locked release) unless that only asks for what helm-controller will no
/// longer do once stalled — a plain reconcile, or a rollback it is not configured to perform —
/// in which case the Stalled message ("Failed to upgrade after 1 attempt(s)") decides.
fn current_failure(object: &ObjectState, classifier: &dyn Classify) -> Option<(String, Verdict)> {
    let classify = |message: &str| {
        if message.is_empty() {
            Verdict::NotAFailure
        } else {
            classifier.verdict(object, message)
        }
    };
    let ready_message = (object.ready == ConditionStatus::False).then(|| {
        object
            .message
            .as_deref()
            .or(object.reason.as_deref())
            .unwrap_or("")
            .to_owned()
    });
    let stalled_message = object.stalled.then(|| {
        object
            .stalled_message
            .as_deref()
            .or(object.stalled_reason.as_deref())
            .unwrap_or("")
            .to_owned()
    });
    match (ready_message, stalled_message) {
        (None, None) => None,
        (Some(ready), None) => {
            let c = classify(&ready);
            Some((ready, c))
        }
        (None, Some(stalled)) => {
            let c = classify(&stalled);
            Some((stalled, c))
        }
        (Some(ready), Some(stalled)) => {
            let from_ready = classify(&ready);
            let stalled_decides = match from_ready.classification().map(|c| &c.action) {
                None | Some(Action::RequestReconcile) => true,
                Some(Action::RollbackHelmRelease) => !object.upgrade_remediation.rolls_back(),
                Some(_) => false,
            };
            if stalled_decides {
                let from_stalled = classify(&stalled);
                // A known Stalled message decides; an unrecognised one only when the Ready
                // message reports no failure at all.
                if matches!(from_stalled, Verdict::Known(_))
                    || (!from_ready.is_failure() && from_stalled.is_failure())
                {
                    return Some((stalled, from_stalled));
                }
            }
            Some((ready, from_ready))
        }
    }
}

/// Decides what to do about one Flux object. Pure: same inputs, same output.
pub fn decide(inputs: Inputs<'_>) -> Decision {
    let Inputs {
        object,
        config,
        now,
        ..
    } = inputs;
    let mut record = inputs.record.clone();
    let mut steps = Vec::new();
    let key = object.key();
    let phase = Phase::of(object);

    if phase == Phase::Healthy {
        if let Some(pending) = record.pending.take() {
            record
                .retries
                .entry(&key, &pending.pattern)
                .record_result(AttemptOutcome::Succeeded);
            steps.push(Step::Verified {
                action: pending.action,
                pattern: pending.pattern,
                succeeded: true,
            });
        }
        record.episode = None;
        record.retries.forget_object(&key);
        return Decision {
            health: Health {
                ready: true,
                suspended: object.suspended,
                ..Health::default()
            },
            classification: None,
            unrecognised: None,
            steps,
            record,
            requeue_after: None,
        };
    }

    let revision = object.last_attempted_revision.as_deref();
    let failure = (phase == Phase::Failing)
        .then(|| current_failure(object, inputs.classifier))
        .flatten();
    let previous = record.episode.take();
    let same_attempt = previous
        .as_ref()
        .is_some_and(|e| e.is_for(object.generation, revision));
    if previous.is_some() && !same_attempt {
        // Flux moved on to another generation or commit: what was tried for the old one is no
        // longer a reason to hold back (destructive marks are keyed separately and stay).
        record.retries.forget_object(&key);
    }
    let mut verdict = Verdict::NotAFailure;
    record.episode = match (previous.filter(|_| same_attempt), failure) {
        (Some(mut episode), Some((message, v))) => {
            if fingerprint(&message) != fingerprint(&episode.message) {
                episode.message_since = now;
            }
            let pattern = v.classification().map(|c| c.pattern.clone());
            if pattern != episode.pattern {
                episode.reported = false;
                episode.pattern = pattern;
            }
            episode.message = bounded_message(&message);
            episode.reason.clone_from(&object.reason);
            verdict = v;
            Some(episode)
        }
        // Between two attempts: the failure persists, judged from its last message and reason
        // (the current reason is Flux's `Progressing`, which says nothing about the failure).
        (Some(episode), None) => {
            if !episode.message.is_empty() {
                let at_failure = ObjectState {
                    reason: episode.reason.clone(),
                    ..object.clone()
                };
                verdict = inputs.classifier.verdict(&at_failure, &episode.message);
            }
            Some(episode)
        }
        (None, Some((message, v))) => {
            verdict = v;
            Some(Episode {
                generation: object.generation,
                revision: revision.map(str::to_owned),
                message: bounded_message(&message),
                since: now,
                message_since: now,
                pattern: verdict.classification().map(|c| c.pattern.clone()),
                reason: object.reason.clone(),
                reported: false,
            })
        }
        (None, None) => None,
    };
    let (classification, unrecognised) = match verdict {
        Verdict::Known(c) => (Some(c), None),
        Verdict::Unknown(u) => (None, Some(u)),
        Verdict::NotAFailure => (None, None),
    };

    let (failing_secs, same_message_secs, threshold) = match &record.episode {
        Some(e) => (
            now.saturating_sub(e.since),
            now.saturating_sub(e.message_since),
            config.threshold_for(e.pattern.as_deref()),
        ),
        None => (0, 0, config.stuck_threshold_secs),
    };
    let exhausted = classification.as_ref().is_some_and(|c| {
        record
            .retries
            .get(&key, &c.pattern)
            .is_some_and(|state| state.attempts >= c.max_retries)
    });
    let mut decision = Decision {
        health: Health {
            ready: false,
            suspended: object.suspended,
            not_ready_secs: failing_secs,
            same_message_secs,
            stuck: !object.suspended && record.episode.is_some() && failing_secs >= threshold,
            exhausted,
        },
        classification,
        unrecognised,
        steps,
        record,
        requeue_after: None,
    };
    if object.suspended || config.mode == Mode::Observe {
        return decision;
    }

    // An earlier action waits for the object to become Ready: nothing new until it does or times out.
    if let Some(pending) = decision.record.pending.clone() {
        let deadline = pending
            .started_at
            .saturating_add(config.verify_timeout_secs);
        if now < deadline {
            decision.requeue_after = Some(deadline - now);
            return decision;
        }
        let state = decision.record.retries.entry(&key, &pending.pattern);
        state.record_result(AttemptOutcome::Failed);
        // The backoff counts from the failed verification, so a backoff shorter than the
        // verification window still separates two attempts.
        // (Patterns set retries, not delays: every classification backs off like the default.)
        let backoff = RetryPolicy::default().backoff_with_jitter(state.attempts.max(1), state.seed);
        state.next_attempt_at = Some(
            state
                .next_attempt_at
                .unwrap_or(0)
                .max(now.saturating_add(backoff)),
        );
        decision.record.pending = None;
        decision.steps.push(Step::Verified {
            action: pending.action,
            pattern: pending.pattern,
            succeeded: false,
        });
    }

    if decision.record.episode.is_none() {
        return decision;
    }
    if !decision.health.stuck {
        decision.requeue_after = Some(threshold.saturating_sub(failing_secs).max(1));
        return decision;
    }
    // Act only on a reported failure, never while Flux is in the middle of an attempt.
    if phase != Phase::Failing {
        decision.requeue_after = Some(config.sighting_interval_secs);
        return decision;
    }
    let Some(classification) = decision.classification.clone() else {
        decision.requeue_after = Some(config.sighting_interval_secs);
        if let Some(unknown) = decision.unrecognised.clone() {
            // Report, do not act: no retries, no sightings, no budget.
            report_once(
                &mut decision,
                Step::Unrecognised {
                    line: unknown.line,
                    target: unknown.target.as_ref().map(target_ref),
                },
            );
        }
        return decision;
    };
    plan(inputs, &key, &classification, &mut decision);
    decision
}

/// The stuck, classified part of [`decide`]: safety rules, retries, and the plan.
fn plan(inputs: Inputs<'_>, key: &str, c: &Classification, decision: &mut Decision) {
    let Inputs {
        object,
        config,
        now,
        budget,
        ..
    } = inputs;
    let pattern = c.pattern.clone();
    decision.requeue_after = Some(config.sighting_interval_secs);

    // Rules that do not depend on retries come first: a blocked action consumes no retries and
    // records no sightings (so the persisted record, and the object, stay untouched).
    if !c.action.changes_cluster() {
        let target = c.target.as_ref().map(target_ref);
        report_once(
            decision,
            Step::Notify {
                action: c.action.clone(),
                pattern,
                target,
            },
        );
        return;
    }
    let target = match precheck(object, config, c, &decision.record) {
        Ok(target) => target,
        Err(reason) => {
            skip_once(decision, c, reason);
            return;
        }
    };

    let policy = RetryPolicy::for_classification(c);
    let state = decision.record.retries.entry(key, &pattern);
    let retry = match state.decide(now, &policy) {
        exhausted @ RetryDecision::Exhausted { .. } => exhausted,
        // Sightings only matter for `min_occurrences`; one per resync interval, so that our own
        // annotation writes and status churn do not count as occurrences.
        _ if state.first_seen.is_none()
            || (policy.min_occurrences.is_some()
                && state.last_seen.is_none_or(|seen| {
                    now >= seen.saturating_add(config.sighting_interval_secs)
                })) =>
        {
            state.observe(now, &policy)
        }
        other => other,
    };
    match retry {
        RetryDecision::Pending { .. } => return,
        RetryDecision::Wait { until } => {
            decision.requeue_after = Some(until.saturating_sub(now).max(1));
            return;
        }
        RetryDecision::Exhausted {
            attempts,
            escalated,
        } => {
            decision.health.exhausted = true;
            if !escalated {
                state.record_escalation(now);
                decision.steps.push(Step::Escalate {
                    action: c.action.clone(),
                    pattern,
                    attempts,
                });
            }
            decision.requeue_after = None;
            return;
        }
        RetryDecision::Act { .. } => {}
    }

    let mut propagation = None;
    if c.action.is_destructive() {
        if !budget.allows(now) {
            decision.steps.push(Step::Skip {
                action: c.action.clone(),
                pattern,
                reason: SkipReason::RateLimited,
            });
            decision.requeue_after = budget.next_free(now).map(|t| t.saturating_sub(now).max(1));
            return;
        }
        let target = target
            .as_ref()
            .expect("precheck gives destructive actions a target");
        propagation = Some(config.propagation_for(&target.kind));
        decision.record.mark_destructive(DestructiveMark {
            generation: object.generation,
            revision: object.last_attempted_revision.clone(),
            target: target.to_string(),
            at: now,
        });
    }
    let attempt = decision
        .record
        .retries
        .entry(key, &pattern)
        .record_attempt(now, &policy);
    decision.record.pending = Some(PendingAttempt {
        action: c.action.clone(),
        pattern: pattern.clone(),
        attempt,
        started_at: now,
        awaiting_deletion: None,
    });
    decision.requeue_after = Some(config.verify_timeout_secs);
    decision.steps.push(Step::Act(Plan {
        action: c.action.clone(),
        pattern,
        attempt,
        target,
        propagation,
        token: crate::flux::format_time(i64::try_from(now).unwrap_or(i64::MAX)),
    }));
}

/// The safety rules that need no retry state. `Ok` carries the object acted on besides the Flux
/// object (the object to recreate, the source to retry), if any.
fn precheck(
    object: &ObjectState,
    config: &Config,
    c: &Classification,
    record: &RecoveryRecord,
) -> Result<Option<ObjectRef>, SkipReason> {
    if object.manual {
        return Err(SkipReason::Manual);
    }
    if c.validation_required {
        return Err(SkipReason::ValidationRequired);
    }
    match &c.action {
        Action::RecreateResource => {
            let target = c.target.as_ref().ok_or(SkipReason::NoTarget)?;
            if !config.may_delete_kind(&target.kind) {
                return Err(SkipReason::ProtectedKind);
            }
            let target = resolve_namespace(object, target);
            if record.destroyed_at(
                object.generation,
                object.last_attempted_revision.as_deref(),
                &target.to_string(),
            ) {
                return Err(SkipReason::AlreadyAttempted);
            }
            Ok(Some(target))
        }
        Action::RollbackHelmRelease | Action::ResetHelmRelease | Action::UnlockHelmRelease
            if object.kind != FluxKind::HelmRelease =>
        {
            Err(SkipReason::WrongKind)
        }
        // Flux has no "roll back now" request: helm-controller rolls back only as the upgrade
        // remediation it is configured for. Without one, a reset would merely upgrade again.
        Action::RollbackHelmRelease if !object.upgrade_remediation.rolls_back() => {
            Err(SkipReason::NoRemediation)
        }
        Action::RetrySource => {
            let named = c
                .target
                .as_ref()
                .filter(|t| is_source_kind(&t.kind))
                .map(|t| resolve_namespace(object, t));
            named
                .or_else(|| object.source.clone())
                .map(Some)
                .ok_or(SkipReason::NoTarget)
        }
        Action::Custom(_) => Err(SkipReason::Unsupported),
        _ => Ok(None),
    }
}

/// A permanent skip is reported once per episode; the object stays stuck (and alerting) meanwhile.
fn skip_once(decision: &mut Decision, c: &Classification, reason: SkipReason) {
    report_once(
        decision,
        Step::Skip {
            action: c.action.clone(),
            pattern: c.pattern.clone(),
            reason,
        },
    );
}

/// Add `step` unless the current episode already reported something.
fn report_once(decision: &mut Decision, step: Step) {
    let episode = decision
        .record
        .episode
        .as_mut()
        .expect("episode set before planning");
    if !episode.reported {
        episode.reported = true;
        decision.steps.push(step);
    }
}

fn target_ref(target: &Target) -> ObjectRef {
    ObjectRef {
        api_version: None,
        kind: target.kind.clone(),
        namespace: target.namespace.clone(),
        name: target.name.clone(),
    }
}

/// A target without a namespace gets the Flux object's namespace only when it cannot be
/// cluster-scoped; the executor checks the real scope (and ownership labels) before acting.
fn resolve_namespace(object: &ObjectState, target: &Target) -> ObjectRef {
    let mut r = target_ref(target);
    if r.namespace.is_none() && !crate::target::is_cluster_scoped_kind(&r.kind) {
        r.namespace = Some(
            object
                .target_namespace
                .clone()
                .unwrap_or_else(|| object.namespace.clone()),
        );
    }
    r
}

/// Whether `kind` is a Flux source kind.
pub fn is_source_kind(kind: &str) -> bool {
    matches!(
        kind,
        "GitRepository"
            | "OCIRepository"
            | "HelmRepository"
            | "HelmChart"
            | "Bucket"
            | "ExternalArtifact"
    )
}
