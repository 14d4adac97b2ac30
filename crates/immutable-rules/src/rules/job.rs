//! Job (`batch/v1`): immutable selector, template (with the suspended-Job relaxations),
//! completions (elastic for Indexed Jobs), completionMode and the newer policy fields.
//! CronJob has no immutable field: its `jobTemplate` only shapes future Jobs.

use serde_json::Value;

use super::Checker;
use crate::context::Mode;
use crate::violation::Severity;

const TEMPLATE_ERROR: &str =
    "spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable";

rule!(JOB_SELECTOR, "job-selector",
    kinds: ["Job.batch"], fields: ["spec.selector"],
    condition: "spec.selector changes; a selector the server generated and git never set is kept by apply, but `kubectl replace` of a manifest without it removes it",
    versions: "all",
    severity: Error, remediations: [Recreate, FluxForce, DropField]);
rule!(JOB_TEMPLATE, "job-template",
    kinds: ["Job.batch"], fields: ["spec.template"],
    condition: "spec.template changes, except while the live Job is suspended and has not started (or, 1.36+, is suspended with no active pods): then labels, annotations, nodeSelector, nodeAffinity, tolerations, schedulingGates (1.27+) and container resources (1.36+) may change",
    versions: "all; relaxations GA 1.27 (scheduling directives) and beta 1.36 (resources, safely suspended Jobs)",
    severity: Error, remediations: [Recreate, FluxForce, RenameBlueGreen]);
rule!(JOB_COMPLETIONS, "job-completions",
    kinds: ["Job.batch"], fields: ["spec.completions"],
    condition: "spec.completions changes on a NonIndexed Job, or on an Indexed Job without being set equal to spec.parallelism",
    versions: "Indexed Jobs elastic since 1.27 (beta), GA 1.31",
    severity: Error, remediations: [Recreate, FluxForce, Revert]);
rule!(JOB_COMPLETION_MODE, "job-completion-mode",
    kinds: ["Job.batch"], fields: ["spec.completionMode"],
    condition: "spec.completionMode changes (omitted = NonIndexed)",
    versions: "all",
    severity: Error, remediations: [Recreate, FluxForce, Revert]);
rule!(JOB_POD_FAILURE_POLICY, "job-pod-failure-policy",
    kinds: ["Job.batch"], fields: ["spec.podFailurePolicy"],
    condition: "spec.podFailurePolicy changes",
    versions: "1.25+ (field introduced)",
    severity: Error, remediations: [Recreate, FluxForce, Revert]);
rule!(JOB_BACKOFF_LIMIT_PER_INDEX, "job-backoff-limit-per-index",
    kinds: ["Job.batch"], fields: ["spec.backoffLimitPerIndex"],
    condition: "spec.backoffLimitPerIndex changes",
    versions: "1.28+ (field introduced)",
    severity: Error, remediations: [Recreate, FluxForce, Revert]);
rule!(JOB_MANAGED_BY, "job-managed-by",
    kinds: ["Job.batch"], fields: ["spec.managedBy"],
    condition: "spec.managedBy changes",
    versions: "1.30+ (field introduced)",
    severity: Error, remediations: [Recreate, FluxForce, Revert]);
rule!(JOB_SUCCESS_POLICY, "job-success-policy",
    kinds: ["Job.batch"], fields: ["spec.successPolicy"],
    condition: "spec.successPolicy changes",
    versions: "1.30+ (field introduced)",
    severity: Error, remediations: [Recreate, FluxForce, Revert]);

rule!(CRONJOB_JOB_TEMPLATE_SELECTOR, "cronjob-job-template-selector",
    kinds: ["CronJob.batch"], fields: ["spec.jobTemplate.spec.selector", "spec.jobTemplate.spec.manualSelector"],
    condition: "the job template sets a selector or manualSelector: true (the Job controller generates selectors for CronJob Jobs); not immutability, but every update fails",
    versions: "all",
    severity: Error, remediations: [DropField]);
rule!(CRONJOB_SCHEDULE_TIME_ZONE, "cronjob-schedule-time-zone",
    kinds: ["CronJob.batch"], fields: ["spec.schedule"],
    condition: "the schedule gains a TZ= or CRON_TZ= prefix it did not have (use spec.timeZone)",
    versions: "1.25+ (timeZone field)",
    severity: Error, remediations: [Revert]);

/// CronJob rules: its jobTemplate is fully mutable, but validation still bites on update.
pub(super) fn cronjob(c: &mut Checker<'_>) {
    let selector = c.upd.new_at(&["spec", "jobTemplate", "spec", "selector"]);
    if selector.is_some_and(|s| !crate::compare::is_vacuous(s)) {
        c.report(
            &CRONJOB_JOB_TEMPLATE_SELECTOR,
            "spec.jobTemplate.spec.selector",
            "a CronJob's Jobs get generated selectors; remove the selector from the job template",
            "spec.jobTemplate.spec.selector: Invalid value: ...: `selector` will be auto-generated",
        );
    }
    if c.upd
        .new_at(&["spec", "jobTemplate", "spec", "manualSelector"])
        .and_then(Value::as_bool)
        == Some(true)
    {
        c.report(
            &CRONJOB_JOB_TEMPLATE_SELECTOR,
            "spec.jobTemplate.spec.manualSelector",
            "a CronJob's Jobs cannot use manualSelector",
            "spec.jobTemplate.spec.manualSelector: Unsupported value: true: supported values: \"false\"",
        );
    }
    let has_tz = |s: Option<&str>| s.is_some_and(|s| s.contains("TZ="));
    if has_tz(c.upd.new_str(&["spec", "schedule"])) && !has_tz(c.upd.old_str(&["spec", "schedule"]))
    {
        c.report(
            &CRONJOB_SCHEDULE_TIME_ZONE,
            "spec.schedule",
            "time zones in the schedule string are refused unless the live schedule already had one; set spec.timeZone instead",
            "spec.schedule: Invalid value: ...: cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
        );
    }
}

/// Template paths the scheduling-directives relaxation frees.
const SCHEDULING_DIRECTIVES: &[&[&str]] = &[
    &["metadata", "labels"],
    &["metadata", "annotations"],
    &["spec", "nodeSelector"],
    &["spec", "affinity", "nodeAffinity"],
    &["spec", "tolerations"],
    &["spec", "schedulingGates"],
];
/// Template paths the pod-resources relaxation frees.
const RESOURCES: &[&[&str]] = &[
    &["spec", "containers", "[]", "resources"],
    &["spec", "initContainers", "[]", "resources"],
];

/// Job rules.
pub(super) fn check(c: &mut Checker<'_>) {
    if c.upd.difference(&["spec", "selector"]).is_some() {
        c.report(
            &JOB_SELECTOR,
            "spec.selector",
            "the Job tracks its pods by spec.selector; it cannot change while the Job exists",
            "spec.selector: Invalid value: ...: field is immutable",
        );
    }
    template(c);
    completions(c);
    c.immutable_defaulted(
        &JOB_COMPLETION_MODE,
        &["spec", "completionMode"],
        "NonIndexed",
        "spec.completionMode: Invalid value: ...: field is immutable",
    );
    for (rule, key) in [
        (&JOB_POD_FAILURE_POLICY, "podFailurePolicy"),
        (&JOB_BACKOFF_LIMIT_PER_INDEX, "backoffLimitPerIndex"),
        (&JOB_MANAGED_BY, "managedBy"),
        (&JOB_SUCCESS_POLICY, "successPolicy"),
    ] {
        let error = format!("spec.{key}: Invalid value: ...: field is immutable");
        c.immutable(rule, &["spec", key], &error);
    }
}

/// What the engine knows about whether the live Job may have its template relaxed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Suspension {
    /// Not suspended: the template is frozen.
    Running,
    /// Suspended; whether it started is unknown (git mode has no status).
    SuspendedUnknown,
    /// Suspended and never started, or (1.36+) suspended with its pods gone.
    SafelySuspended,
    /// Suspended but started and not yet safe.
    SuspendedStarted,
}

fn suspension(c: &Checker<'_>) -> Suspension {
    let upd = c.upd;
    if !upd.old_true(&["spec", "suspend"]) {
        return Suspension::Running;
    }
    if upd.mode == Mode::Git {
        return Suspension::SuspendedUnknown;
    }
    let never_started = upd.old_at(&["status", "startTime"]).is_none();
    let no_active = upd
        .old_at(&["status", "active"])
        .and_then(Value::as_i64)
        .unwrap_or(0)
        == 0;
    let suspended_condition = upd
        .old_at(&["status", "conditions"])
        .and_then(Value::as_array)
        .is_some_and(|conditions| {
            conditions.iter().any(|cond| {
                cond.get("type").and_then(Value::as_str) == Some("Suspended")
                    && cond.get("status").and_then(Value::as_str) == Some("True")
            })
        });
    if never_started || (c.at_least(1, 36) && no_active && suspended_condition) {
        Suspension::SafelySuspended
    } else {
        Suspension::SuspendedStarted
    }
}

fn template(c: &mut Checker<'_>) {
    let path = ["spec", "template"];
    let Some(field) = c.upd.difference(&path) else {
        return;
    };
    let mut relaxed: Vec<&[&str]> = Vec::new();
    if c.at_least(1, 23) {
        relaxed.extend_from_slice(SCHEDULING_DIRECTIVES);
    }
    if c.at_least(1, 36) {
        relaxed.extend_from_slice(RESOURCES);
    }
    let frozen_change = c.upd.difference_except(&path, &relaxed);
    match (suspension(c), frozen_change) {
        (Suspension::SafelySuspended, None) => {}
        (Suspension::SuspendedUnknown, None) => c.report_as(
            &JOB_TEMPLATE,
            Severity::Warning,
            &field,
            "this template field may change only while the Job is suspended and has not started; git cannot tell whether it has",
            TEMPLATE_ERROR,
        ),
        (_, Some(frozen)) => c.report(
            &JOB_TEMPLATE,
            &frozen,
            "a Job's pod template is frozen once created; only scheduling directives (and, 1.36+, resources) of a suspended Job that has not started may change",
            TEMPLATE_ERROR,
        ),
        (Suspension::Running | Suspension::SuspendedStarted, None) => c.report(
            &JOB_TEMPLATE,
            &field,
            "scheduling directives of a Job's template may change only while the Job is suspended and has not started (1.36+: or has no active pods)",
            TEMPLATE_ERROR,
        ),
    }
}

fn completions(c: &mut Checker<'_>) {
    let path = ["spec", "completions"];
    if !c.upd.changed(&path) {
        return;
    }
    let new_completions = c.upd.new_at(&path).and_then(Value::as_i64);
    let indexed = c.upd.new_str(&["spec", "completionMode"]) == Some("Indexed")
        && c.upd.old_str(&["spec", "completionMode"]) == Some("Indexed");
    if indexed && c.at_least(1, 27) {
        let parallelism = c
            .upd
            .new_at(&["spec", "parallelism"])
            .and_then(Value::as_i64);
        if new_completions.is_some() && new_completions == parallelism {
            return;
        }
        let error = format!(
            "spec.completions: Invalid value: {}: can only be modified in tandem with spec.parallelism",
            new_completions.map_or_else(|| "null".to_owned(), |n| n.to_string())
        );
        c.report(
            &JOB_COMPLETIONS,
            "spec.completions",
            "an Indexed Job may change completions only when it sets completions and parallelism to the same value",
            &error,
        );
        return;
    }
    let error = format!(
        "spec.completions: Invalid value: {}: field is immutable",
        new_completions.map_or_else(|| "null".to_owned(), |n| n.to_string())
    );
    c.report(
        &JOB_COMPLETIONS,
        "spec.completions",
        "completions of a NonIndexed Job is fixed at creation",
        &error,
    );
}
