//! The reconcile loop: read the object, [`decide`], carry the decision out according to the mode,
//! persist the record, export metrics.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::controller::Action as Requeue;
use kube::runtime::events::{Event, EventType, Recorder};
use recovery_patterns::{Action, PatternSet};
use serde_json::Value;

use crate::actions::{request_annotations, ActionError, Deletion, Executor, RecreateOutcome};
use crate::budget::DestructiveBudget;
use crate::config::{Config, Mode};
use crate::decide::{decide, Decision, Inputs, Plan, SkipReason, Step};
use crate::flux::{FluxKind, ObjectState};
use crate::metrics::Metrics;
use crate::record::{AwaitedDeletion, RecordError, RecoveryRecord, STATE_ANNOTATION};

/// Reason of the Warning Event about a failure no recovery pattern matched.
pub const UNRECOGNISED_FAILURE_REASON: &str = "UnrecognisedFailure";
/// Requeue soon after a 409: the object changed under us, look again with the new version.
const CONFLICT_REQUEUE_SECS: u64 = 2;
/// Resync interval of a Ready object.
const READY_RESYNC_SECS: u64 = 300;
/// Resync interval of a not-Ready object (keeps the seconds-not-Ready gauges fresh).
const NOT_READY_RESYNC_SECS: u64 = 60;
/// Requeue while the destructive budget is not rebuilt yet.
const UNSYNCED_BUDGET_REQUEUE_SECS: u64 = 2;
/// Resync interval while a deleted target is still terminating.
const AWAIT_DELETION_SECS: u64 = 10;

/// The reconcile loop failed for one object; it is retried after [`error_policy`]'s delay.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The persisted recovery state is unreadable: the controller refuses to act on the object.
    #[error("refusing to act on {object}")]
    State {
        /// The object.
        object: String,
        /// The decoding error.
        #[source]
        source: RecordError,
    },
    /// An action failed.
    #[error("recovery action on {object} failed")]
    Action {
        /// The object.
        object: String,
        /// The failure.
        #[source]
        source: ActionError,
    },
}

/// Shared state of the reconcile loop.
pub struct Context {
    /// Configuration (its `mode` is the mode of the leader).
    pub config: Config,
    /// Classification patterns.
    pub patterns: PatternSet,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// API executor.
    pub executor: Executor,
    /// Event recorder (`None` disables Events, e.g. in tests).
    pub recorder: Option<Recorder>,
    /// Cluster-wide destructive budget.
    pub budget: Mutex<DestructiveBudget>,
    /// Records of objects in `observe` and `dry-run` mode, which never write to the cluster.
    pub cache: Mutex<HashMap<String, RecoveryRecord>>,
    /// Whether this replica is the leader (only the leader decides and acts).
    pub leader: Arc<AtomicBool>,
    /// Current time in Unix seconds (a seam for tests).
    pub clock: Box<dyn Fn() -> u64 + Send + Sync>,
    /// The budget's window has been rebuilt from every Flux object's marks since this replica
    /// last became the leader; until then no destructive action starts.
    pub budget_synced: AtomicBool,
}

impl Context {
    /// A context with the wall clock and a budget from `config`.
    pub fn new(
        config: Config,
        patterns: PatternSet,
        metrics: Arc<Metrics>,
        executor: Executor,
    ) -> Self {
        let budget = DestructiveBudget::new(
            config.max_destructive_actions,
            config.destructive_window_secs,
        );
        Context {
            config,
            patterns,
            metrics,
            executor,
            recorder: None,
            budget: Mutex::new(budget),
            cache: Mutex::new(HashMap::new()),
            leader: Arc::new(AtomicBool::new(true)),
            clock: Box::new(|| jiff::Timestamp::now().as_second().try_into().unwrap_or(0)),
            budget_synced: AtomicBool::new(true),
        }
    }

    /// The effective mode: followers only observe.
    pub fn mode(&self) -> Mode {
        if self.leader.load(Ordering::Relaxed) {
            self.config.mode
        } else {
            Mode::Observe
        }
    }

    /// Rebuilds the destructive budget's window from the marks persisted on `objects` (every
    /// Flux object, as listed by the watches), then allows destructive actions. Called at start
    /// and whenever this replica becomes the leader, before it acts.
    pub fn rebuild_budget<'a>(&self, objects: impl IntoIterator<Item = (FluxKind, &'a Value)>) {
        let now = (self.clock)();
        let mut budget = lock(&self.budget);
        for (kind, obj) in objects {
            let object = ObjectState::from_json(kind, obj);
            // An unreadable record is refused when that object is reconciled; it has no marks here.
            if let Ok(record) = RecoveryRecord::decode(object.persisted.as_deref()) {
                budget.recall(&object.key(), &record.destructive, now);
            }
        }
        drop(budget);
        self.budget_synced.store(true, Ordering::SeqCst);
    }

    /// Reconciles one Flux object given as JSON; returns when to look again.
    pub async fn reconcile_object(&self, kind: FluxKind, obj: &Value) -> Result<Duration, Error> {
        let object = ObjectState::from_json(kind, obj);
        let now = (self.clock)();
        let mode = self.mode();
        let key = object.key();
        let mut record = if mode == Mode::Enforce {
            let record = RecoveryRecord::decode(object.persisted.as_deref()).map_err(|source| {
                Error::State {
                    object: key.clone(),
                    source,
                }
            })?;
            // The rate limit's window outlives restarts: it is rebuilt from persisted marks.
            lock(&self.budget).recall(&key, &record.destructive, now);
            record
        } else {
            lock(&self.cache).get(&key).cloned().unwrap_or_default()
        };
        if mode == Mode::Enforce && self.finish_awaited_deletion(&object, &mut record).await? {
            return Ok(Duration::from_secs(CONFLICT_REQUEUE_SECS));
        }
        // Until the budget's window is rebuilt from every object's marks (after the initial list,
        // and at the start of every leadership term) the leader only observes.
        let synced = self.budget_synced.load(Ordering::SeqCst);
        let mode = if mode == Mode::Enforce && !synced {
            Mode::Observe
        } else {
            mode
        };
        let config = Config {
            mode,
            ..self.config.clone()
        };
        let decision = self.decide_and_reserve(&object, &record, &config, now);
        self.metrics.observe(&object, &decision);
        let why = decision
            .classification
            .as_ref()
            .and_then(crate::explain::explain);
        let resync = if decision.health.ready {
            READY_RESYNC_SECS
        } else {
            NOT_READY_RESYNC_SECS
        };
        let awaiting = decision
            .record
            .pending
            .as_ref()
            .is_some_and(|p| p.awaiting_deletion.is_some());
        let resync = if awaiting {
            AWAIT_DELETION_SECS
        } else {
            resync
        };
        let resync = if synced {
            resync
        } else {
            UNSYNCED_BUDGET_REQUEUE_SECS
        };
        let requeue = decision.requeue_after.unwrap_or(resync).clamp(1, resync);
        match mode {
            Mode::Observe => {
                lock(&self.cache).insert(key, decision.record);
            }
            Mode::DryRun => {
                self.report_dry_run(&object, &decision, why.as_deref())
                    .await;
                lock(&self.cache).insert(key, decision.record);
            }
            Mode::Enforce => {
                if let Some(soon) = self.enforce(&object, decision, now, why.as_deref()).await? {
                    return Ok(Duration::from_secs(soon));
                }
            }
        }
        Ok(Duration::from_secs(requeue))
    }

    /// [`decide`] against the live budget, and — in the same critical section — reserve the slot
    /// of a planned destructive action, so that concurrent reconciles cannot both spend the last
    /// one.
    fn decide_and_reserve(
        &self,
        object: &ObjectState,
        record: &RecoveryRecord,
        config: &Config,
        now: u64,
    ) -> Decision {
        let mut budget = lock(&self.budget);
        let closed = DestructiveBudget::new(0, config.destructive_window_secs);
        let inputs = Inputs {
            object,
            record,
            config,
            classifier: &self.patterns,
            budget: &closed,
            now,
        };
        let decision = decide(Inputs {
            budget: &budget,
            ..inputs
        });
        let planned = decision
            .steps
            .iter()
            .any(|step| matches!(step, Step::Act(plan) if plan.action.is_destructive()));
        if !planned {
            return decision;
        }
        let key = object.key();
        let mark = decision
            .record
            .destructive
            .last()
            .expect("a destructive plan marks its target")
            .clone();
        if budget.reserve(&key, &mark) {
            decision
        } else {
            // Cannot happen while the lock is held from the check to here; should the two ever
            // disagree, the action is refused rather than the budget overspent.
            decide(inputs)
        }
    }

    /// An earlier `recreate_resource` left its target terminating: request the reconcile once it
    /// is gone. `Ok(true)`: a request was written (or met a 409): look again soon.
    async fn finish_awaited_deletion(
        &self,
        object: &ObjectState,
        record: &mut RecoveryRecord,
    ) -> Result<bool, Error> {
        let Some(awaited) = record
            .pending
            .as_ref()
            .and_then(|p| p.awaiting_deletion.clone())
        else {
            return Ok(false);
        };
        let key = object.key();
        let fail = |source| Error::Action {
            object: key.clone(),
            source,
        };
        match self
            .executor
            .deletion(object, &awaited.target, &awaited.uid)
            .await
            .map_err(fail)?
        {
            Deletion::Pending { .. } => Ok(false),
            Deletion::Gone => {
                if let Some(pending) = record.pending.as_mut() {
                    pending.awaiting_deletion = None;
                }
                let mut annotations =
                    request_annotations(object.kind, &Action::RecreateResource, &awaited.token);
                annotations.insert(STATE_ANNOTATION.to_owned(), record.encode());
                match self
                    .executor
                    .annotate_flux(object, &annotations, true)
                    .await
                {
                    Ok(()) => {}
                    Err(e) if e.is_conflict() => return Ok(true),
                    Err(e) => return Err(fail(e)),
                }
                let note = format!(
                    "{} is gone; requested a reconcile ({})",
                    awaited.target,
                    annotations_list(&annotations)
                );
                tracing::info!(object = %key, "{note}");
                self.event(
                    None,
                    object,
                    EventType::Normal,
                    "RecoveryStarted",
                    Action::RecreateResource.as_str(),
                    note,
                )
                .await;
                Ok(true)
            }
        }
    }

    async fn report_dry_run(&self, object: &ObjectState, decision: &Decision, why: Option<&str>) {
        for step in &decision.steps {
            if let Step::Act(plan) = step {
                self.metrics
                    .attempt(plan.action.as_str(), Mode::DryRun.as_str());
                let note = format!("dry-run: would {}", describe(object.kind, plan));
                tracing::info!(object = %object.key(), "{note}");
                self.event(
                    why,
                    object,
                    EventType::Normal,
                    "RecoveryDryRun",
                    plan.action.as_str(),
                    note,
                )
                .await;
            } else {
                self.report(object, step, why).await;
            }
        }
    }

    /// Carries a decision out. `Ok(Some(secs))` asks for an early requeue (after a 409).
    ///
    /// Order: the state (with the attempt, and for a destructive action its mark) is written in a
    /// `resourceVersion`-guarded patch first; side effects — the deletion, the source request,
    /// Events and counters — follow only once that write succeeded, so a 409 repeats none of them.
    async fn enforce(
        &self,
        object: &ObjectState,
        decision: Decision,
        now: u64,
        why: Option<&str>,
    ) -> Result<Option<u64>, Error> {
        let key = object.key();
        let fail = |source| Error::Action {
            object: key.clone(),
            source,
        };
        let record = decision.record;
        let destructive = decision.steps.iter().find_map(|step| match step {
            Step::Act(plan) if plan.action == Action::RecreateResource => Some(plan),
            _ => None,
        });
        if let Some(plan) = destructive {
            return self
                .enforce_recreate(object, &decision.steps, plan, record, now, why)
                .await;
        }
        let mut annotations = BTreeMap::new();
        for step in &decision.steps {
            if let Step::Act(plan) = step {
                annotations.extend(request_annotations(object.kind, &plan.action, &plan.token));
            }
        }
        let encoded = record.encode();
        if encoded != object.persisted.as_deref().unwrap_or("{}") || !annotations.is_empty() {
            annotations.insert(STATE_ANNOTATION.to_owned(), encoded);
            match self
                .executor
                .annotate_flux(object, &annotations, true)
                .await
            {
                Ok(()) => {}
                Err(e) if e.is_conflict() => return Ok(Some(CONFLICT_REQUEUE_SECS)),
                Err(e) => return Err(fail(e)),
            }
        }
        for step in &decision.steps {
            let Step::Act(plan) = step else {
                self.report(object, step, why).await;
                continue;
            };
            self.metrics
                .attempt(plan.action.as_str(), Mode::Enforce.as_str());
            if let (Action::RetrySource, Some(source)) = (&plan.action, &plan.target) {
                let source = self.with_api_version(source);
                if let Err(e) = self.executor.request_source(&source, &plan.token).await {
                    // The Flux object's own request is written: the attempt stays pending.
                    self.metrics.result(plan.action.as_str(), "error");
                    return Err(fail(e));
                }
            }
            self.event(
                why,
                object,
                EventType::Normal,
                "RecoveryStarted",
                plan.action.as_str(),
                describe(object.kind, plan),
            )
            .await;
        }
        Ok(None)
    }

    /// A source reference with its `apiVersion` filled in from the configuration.
    fn with_api_version(&self, source: &crate::flux::ObjectRef) -> crate::flux::ObjectRef {
        let mut source = source.clone();
        if source.api_version.is_none() {
            source.api_version = Some(self.config.source_api_version(&source.kind));
        }
        source
    }

    /// `recreate_resource`: write-ahead mark, then back up, delete, wait, request.
    async fn enforce_recreate(
        &self,
        object: &ObjectState,
        steps: &[Step],
        plan: &Plan,
        mut record: RecoveryRecord,
        now: u64,
        why: Option<&str>,
    ) -> Result<Option<u64>, Error> {
        let key = object.key();
        let fail = |source| Error::Action {
            object: key.clone(),
            source,
        };
        let mark = record
            .destructive
            .last()
            .cloned()
            .expect("a recreate plan marks its target");
        // Write-ahead: the destructive mark is persisted before anything is deleted.
        let state = BTreeMap::from([(STATE_ANNOTATION.to_owned(), record.encode())]);
        match self.executor.annotate_flux(object, &state, true).await {
            Ok(()) => {}
            Err(e) => {
                lock(&self.budget).release(&key, &mark);
                if e.is_conflict() {
                    return Ok(Some(CONFLICT_REQUEUE_SECS));
                }
                return Err(fail(e));
            }
        }
        for step in steps.iter().filter(|s| !matches!(s, Step::Act(_))) {
            self.report(object, step, why).await;
        }
        self.metrics
            .attempt(plan.action.as_str(), Mode::Enforce.as_str());
        let target = plan.target.as_ref().expect("recreate plans name a target");
        let propagation = plan
            .propagation
            .unwrap_or_else(|| self.config.propagation_for(&target.kind));
        let outcome = match self
            .executor
            .recreate(
                object,
                target,
                propagation,
                &self.config.allow_delete_kinds,
                now,
            )
            .await
        {
            Ok(outcome) => outcome,
            Err(e) => {
                self.metrics.result(plan.action.as_str(), "error");
                record.pending = None;
                if !e.delete_may_have_happened() {
                    // Nothing was deleted: drop the mark so a later attempt may try again.
                    record.destructive.retain(|m| *m != mark);
                    lock(&self.budget).release(&key, &mark);
                }
                let state = BTreeMap::from([(STATE_ANNOTATION.to_owned(), record.encode())]);
                if let Err(persist) = self.executor.annotate_flux(object, &state, false).await {
                    tracing::warn!(object = %key, error = %persist, "could not persist recovery state after a failed action");
                }
                let note = format!(
                    "{} failed: {}",
                    describe(object.kind, plan),
                    error_chain(&e)
                );
                self.event(
                    why,
                    object,
                    EventType::Warning,
                    "RecoveryFailed",
                    plan.action.as_str(),
                    note,
                )
                .await;
                return Err(fail(e));
            }
        };
        let mut annotations = BTreeMap::new();
        let mut look_again = None;
        let (type_, reason, note) = match &outcome {
            RecreateOutcome::Deleted {
                backup, gone: true, ..
            } => {
                annotations = request_annotations(object.kind, &plan.action, &plan.token);
                (
                    EventType::Normal,
                    "RecoveryStarted",
                    format!(
                        "{}; backup in Secret {}/{backup}",
                        describe(object.kind, plan),
                        self.config.backup_namespace
                    ),
                )
            }
            RecreateOutcome::Deleted {
                backup,
                gone: false,
                finalizers,
                uid,
            } => {
                look_again = Some(AWAIT_DELETION_SECS);
                if let Some(pending) = record.pending.as_mut() {
                    pending.awaiting_deletion = Some(AwaitedDeletion {
                        target: target.clone(),
                        uid: uid.clone(),
                        token: plan.token.clone(),
                    });
                }
                (
                    EventType::Warning,
                    "RecoveryWaiting",
                    format!(
                        "deleted {target} (backup in Secret {}/{backup}), but it is still terminating after {}s, waiting on finalizers [{}]; the reconcile is requested once it is gone",
                        self.config.backup_namespace,
                        self.config.deletion_wait_secs,
                        finalizers.join(", ")
                    ),
                )
            }
            RecreateOutcome::AlreadyGone => {
                annotations = request_annotations(object.kind, &plan.action, &plan.token);
                (
                    EventType::Normal,
                    "RecoveryStarted",
                    format!("{target} was already gone; requested a reconcile"),
                )
            }
            RecreateOutcome::Refused(refusal) => {
                record.pending = None;
                self.metrics.result(plan.action.as_str(), "blocked");
                (
                    EventType::Warning,
                    "RecoveryRefused",
                    format!(
                        "not deleting {target}: {} (a human must act)",
                        refusal.as_str()
                    ),
                )
            }
        };
        annotations.insert(STATE_ANNOTATION.to_owned(), record.encode());
        // Unguarded: the write-ahead already changed the resourceVersion, and this patch only
        // adds what the action's outcome determined.
        let written = self
            .executor
            .annotate_flux(object, &annotations, false)
            .await;
        self.event(why, object, type_, reason, plan.action.as_str(), note)
            .await;
        written.map_err(fail)?;
        Ok(look_again)
    }

    /// Events, logs and metrics of the steps that change nothing in the cluster.
    async fn report(&self, object: &ObjectState, step: &Step, why: Option<&str>) {
        let key = object.key();
        match step {
            Step::Act(_) => {}
            Step::Notify {
                action,
                pattern,
                target,
            } => {
                self.metrics.result(action.as_str(), "notified");
                let what = match action {
                    Action::WaitForDependencies => "waiting for a dependency to become ready",
                    Action::FixInGit => {
                        "the desired state in Git is invalid and must be fixed there"
                    }
                    Action::NamespaceTerminating => "the target namespace is being deleted",
                    _ => "a human must act",
                };
                let about = target
                    .as_ref()
                    .map(|t| format!(" ({t})"))
                    .unwrap_or_default();
                let note = format!("{what}{about}; pattern {pattern}; no change made");
                tracing::warn!(object = %key, "{note}");
                self.event(
                    why,
                    object,
                    EventType::Warning,
                    "ActionRequired",
                    action.as_str(),
                    note,
                )
                .await;
            }
            Step::Skip {
                action,
                pattern,
                reason,
            } => {
                self.metrics.skipped(action.as_str(), *reason);
                let note = format!(
                    "not running {action} for pattern {pattern}: {}",
                    skip_text(*reason)
                );
                tracing::warn!(object = %key, "{note}");
                if reason.is_permanent() {
                    self.event(
                        why,
                        object,
                        EventType::Warning,
                        "RecoverySkipped",
                        action.as_str(),
                        note,
                    )
                    .await;
                }
            }
            Step::Escalate {
                action,
                pattern,
                attempts,
            } => {
                self.metrics
                    .escalation(object.kind.as_str(), pattern, action.as_str());
                let note = format!("{action} tried {attempts} time(s) for pattern {pattern} without success; giving up, a human must act");
                tracing::error!(object = %key, "{note}");
                self.event(
                    why,
                    object,
                    EventType::Warning,
                    "RecoveryExhausted",
                    action.as_str(),
                    note,
                )
                .await;
            }
            Step::Unrecognised { line, target } => {
                let note = crate::explain::unrecognised(line, target.as_ref());
                tracing::warn!(object = %key, "{note}");
                self.event(
                    None,
                    object,
                    EventType::Warning,
                    UNRECOGNISED_FAILURE_REASON,
                    recovery_patterns::UNKNOWN_NEXT_STEP,
                    note,
                )
                .await;
            }
            Step::Verified {
                action,
                pattern,
                succeeded,
            } => {
                let result = if *succeeded { "succeeded" } else { "failed" };
                self.metrics.result(action.as_str(), result);
                let note = format!("{action} for pattern {pattern} {result}");
                tracing::info!(object = %key, "{note}");
                let ty = if *succeeded {
                    EventType::Normal
                } else {
                    EventType::Warning
                };
                self.event(why, object, ty, "RecoveryVerified", action.as_str(), note)
                    .await;
            }
        }
    }

    /// Publishes an Event on the Flux object. `why` (the immutable-rules explanation of the
    /// current conflict) is appended to notes about `recreate_resource`.
    async fn event(
        &self,
        why: Option<&str>,
        object: &ObjectState,
        type_: EventType,
        reason: &str,
        action: &str,
        mut note: String,
    ) {
        let Some(recorder) = &self.recorder else {
            return;
        };
        if let Some(why) = why.filter(|_| action == Action::RecreateResource.as_str()) {
            note.push_str(". ");
            note.push_str(why);
        }
        let reference = ObjectReference {
            api_version: object.object_ref().api_version,
            kind: Some(object.kind.to_string()),
            namespace: Some(object.namespace.clone()),
            name: Some(object.name.clone()),
            uid: object.uid.clone(),
            ..ObjectReference::default()
        };
        // Event notes are limited to 1 kB.
        let note = truncate(note, 1000);
        let event = Event {
            type_,
            reason: reason.to_owned(),
            note: Some(note),
            action: camel(action),
            secondary: None,
        };
        if let Err(error) = recorder.publish(&event, &reference).await {
            tracing::warn!(object = %object.key(), %error, "could not publish event");
        }
    }
}

/// Requeue policy after a reconcile error.
pub fn error_policy(kind: FluxKind, error: &Error, metrics: &Metrics) -> Requeue {
    metrics.reconcile_error(kind.as_str());
    tracing::warn!(error = %error_chain(error), "reconcile failed");
    Requeue::requeue(Duration::from_secs(30))
}

fn annotations_list(annotations: &BTreeMap<String, String>) -> String {
    annotations
        .keys()
        .filter(|k| k.as_str() != STATE_ANNOTATION)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe(kind: FluxKind, plan: &Plan) -> String {
    let target = plan
        .target
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    match &plan.action {
        Action::RecreateResource => format!(
            "recreate {target} (delete with propagation {:?}, wait until it is gone, then set {}), attempt {}",
            plan.propagation.unwrap_or(crate::config::Propagation::Background),
            request_annotations(kind, &plan.action, &plan.token).into_keys().collect::<Vec<_>>().join(", "),
            plan.attempt
        ),
        Action::RetrySource => format!("request a reconcile of source {target} and of this object, attempt {}", plan.attempt),
        action => {
            let keys: Vec<String> = request_annotations(kind, action, &plan.token).into_keys().collect();
            format!("{action}: set {} to {}, attempt {}", keys.join(", "), plan.token, plan.attempt)
        }
    }
}

fn skip_text(reason: SkipReason) -> &'static str {
    match reason {
        SkipReason::Manual => "the object has recovery-policy: manual",
        SkipReason::ProtectedKind => "the target is a protected kind that is not allow-listed",
        SkipReason::AlreadyAttempted => "the target was already deleted once for this generation and source revision",
        SkipReason::RateLimited => "the destructive rate limit is reached",
        SkipReason::NoTarget => "the message names no object to act on",
        SkipReason::ValidationRequired => "the pattern requires human validation",
        SkipReason::WrongKind => "the action does not apply to this kind",
        SkipReason::Unsupported => "the controller has no implementation of this custom action",
        SkipReason::NoRemediation => "Flux has no roll-back request and spec.upgrade.remediation does not make helm-controller roll back (set retries, or roll back by hand with `helm rollback`)",
    }
}

/// `recreate_resource` → `RecreateResource` (Events want PascalCase actions).
fn camel(action: &str) -> String {
    action
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

/// An error and its sources, `: `-separated.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        out.push_str(": ");
        out.push_str(&e.to_string());
        source = e.source();
    }
    out
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
