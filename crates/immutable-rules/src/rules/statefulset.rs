//! StatefulSet: everything in `spec` outside an allow-list that grew over releases is immutable
//! (`ValidateStatefulSetUpdate` compares the rest of the spec as a whole).

use serde_json::{Map, Value};

use super::Checker;
use crate::compare::{Slot, Walker};
use crate::context::Mode;
use crate::update::Sent;
use crate::violation::Severity;

rule!(STATEFULSET_SELECTOR, "statefulset-selector",
    kinds: ["StatefulSet.apps"], fields: ["spec.selector"],
    condition: "any change of spec.selector",
    versions: "all",
    severity: Error, remediations: [RecreateOrphan, FluxForce, Revert]);
rule!(STATEFULSET_SERVICE_NAME, "statefulset-service-name",
    kinds: ["StatefulSet.apps"], fields: ["spec.serviceName"],
    condition: "spec.serviceName changes, including removing it from git after it was applied",
    versions: "all",
    severity: Error, remediations: [RecreateOrphan, FluxForce, Revert]);
rule!(STATEFULSET_POD_MANAGEMENT_POLICY, "statefulset-pod-management-policy",
    kinds: ["StatefulSet.apps"], fields: ["spec.podManagementPolicy"],
    condition: "spec.podManagementPolicy changes (an omitted value defaults to OrderedReady)",
    versions: "all",
    severity: Error, remediations: [RecreateOrphan, FluxForce, Revert]);
rule!(STATEFULSET_VOLUME_CLAIM_TEMPLATES, "statefulset-volume-claim-templates",
    kinds: ["StatefulSet.apps"], fields: ["spec.volumeClaimTemplates"],
    condition: "any change of the volumeClaimTemplates list: templates added, removed or reordered, names, labels, storage class, access modes, requested size (equal quantities in other units are no change)",
    versions: "all (KEP-4650 unreleased)",
    severity: Error, remediations: [RecreateOrphan, FluxForce, Revert]);
rule!(STATEFULSET_REVISION_HISTORY_LIMIT, "statefulset-revision-history-limit",
    kinds: ["StatefulSet.apps"], fields: ["spec.revisionHistoryLimit"],
    condition: "spec.revisionHistoryLimit changes on a server that does not list it as mutable",
    versions: "immutable up to at least 1.32, mutable in current releases (first mutable release 1.33 or 1.34, unconfirmed)",
    severity: Warning, remediations: [Revert, RecreateOrphan]);
rule!(STATEFULSET_SPEC, "statefulset-spec",
    kinds: ["StatefulSet.apps"], fields: ["spec.*"],
    condition: "a spec field outside the allow-list changes (allowed: replicas, ordinals, template, updateStrategy, revisionHistoryLimit, persistentVolumeClaimRetentionPolicy, minReadySeconds, as far as the server release knows them)",
    versions: "minReadySeconds mutable since 1.22, ordinals and persistentVolumeClaimRetentionPolicy since 1.27",
    severity: Error, remediations: [RecreateOrphan, FluxForce, Revert]);

rule!(STATEFULSET_ON_DELETE_ROLLING_UPDATE, "statefulset-ondelete-rolling-update",
    kinds: ["StatefulSet.apps"], fields: ["spec.updateStrategy.type", "spec.updateStrategy.rollingUpdate"],
    condition: "updateStrategy.type becomes OnDelete while the rollingUpdate block the server defaulted (for an omitted type) survives the apply merge (not an immutable field, but the update fails)",
    versions: "all",
    severity: Error, remediations: [ClearKeptField]);

/// The `Forbidden` text the server returns, whose list of mutable fields grew over releases.
fn forbidden_message(c: &Checker<'_>) -> String {
    let allowed = if c.ctx.older_than(1, 22) {
        "'replicas', 'template', and 'updateStrategy'"
    } else if c.ctx.older_than(1, 27) {
        "'replicas', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds'"
    } else if c.ctx.older_than(1, 34) {
        "'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds'"
    } else {
        "'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds'"
    };
    format!("spec: Forbidden: updates to statefulset spec for fields other than {allowed} are forbidden")
}

/// StatefulSet rules.
pub(super) fn check(c: &mut Checker<'_>) {
    let upd = c.upd;
    let mut selector_changed = false;
    for key in upd.keys(&["spec"]) {
        match key {
            "replicas" | "template" | "updateStrategy" => {}
            "minReadySeconds" if c.at_least(1, 22) => {}
            "ordinals" | "persistentVolumeClaimRetentionPolicy" if c.at_least(1, 27) => {}
            "revisionHistoryLimit" => revision_history_limit(c),
            "selector" => {
                if let Some(field) = upd.difference(&["spec", "selector"]) {
                    selector_changed = true;
                    let reason =
                        format!("the StatefulSet owns its pods by spec.selector ({field} changes)");
                    let error = forbidden_message(c);
                    c.report(&STATEFULSET_SELECTOR, "spec.selector", &reason, &error);
                }
            }
            "serviceName" => {
                if c.immutable_defaulted(
                    &STATEFULSET_SERVICE_NAME,
                    &["spec", "serviceName"],
                    "",
                    "",
                ) {
                    fix_last_error(c, "pods get their stable DNS names from the governing Service; the name cannot change under them");
                }
            }
            "podManagementPolicy" => {
                if c.immutable_defaulted(
                    &STATEFULSET_POD_MANAGEMENT_POLICY,
                    &["spec", "podManagementPolicy"],
                    "OrderedReady",
                    "",
                ) {
                    fix_last_error(c, "the ordering guarantee of existing pods cannot change");
                }
            }
            "volumeClaimTemplates" => volume_claim_templates(c),
            other => {
                let path = ["spec", other];
                if let Some(field) = upd.difference(&path) {
                    let error = forbidden_message(c);
                    let reason = format!("spec.{other} is not in the list of fields this server lets a StatefulSet update change");
                    c.report(&STATEFULSET_SPEC, &field, &reason, &error);
                }
            }
        }
    }
    super::workloads::template_matches_selector(c, selector_changed);
    super::workloads::strategy_keeps_rolling_update(
        c,
        &super::workloads::StrategySwitch {
            rule: &STATEFULSET_ON_DELETE_ROLLING_UPDATE,
            strategy: ["spec", "updateStrategy"],
            target: "OnDelete",
            // `SetDefaults_StatefulSet` creates the block only when it defaults the type itself;
            // an explicit `type: RollingUpdate` without a block stays without one.
            defaults_block: |old_type| old_type.is_none(),
            reason: "updateStrategy OnDelete forbids a rollingUpdate block, and the update keeps one",
            append_advice: true,
            api_error: "spec.updateStrategy.rollingUpdate: Invalid value: ...: only allowed for updateStrategy 'RollingUpdate'",
        },
    );
}

/// Give the violation just reported the version-specific server message and a reason.
fn fix_last_error(c: &mut Checker<'_>, reason: &str) {
    let error = forbidden_message(c);
    if let Some(last) = c.out.last_mut() {
        last.api_error = error;
        reason.clone_into(&mut last.reason);
    }
}

fn revision_history_limit(c: &mut Checker<'_>) {
    let path = ["spec", "revisionHistoryLimit"];
    let old = c.upd.old_at(&path).and_then(Value::as_i64).unwrap_or(10);
    let new = match (c.upd.sent(&path), c.upd.mode) {
        (Sent::Absent, Mode::Apply) => return,
        (Sent::Value(v), _) => v.as_i64().unwrap_or(10),
        _ => 10,
    };
    if old == new || c.at_least(1, 34) && c.ctx.server_version.is_some() {
        return;
    }
    let severity = if c.ctx.older_than(1, 33) {
        Severity::Error
    } else {
        Severity::Warning
    };
    let error = forbidden_message(c);
    c.report_as(
        &STATEFULSET_REVISION_HISTORY_LIMIT,
        severity,
        "spec.revisionHistoryLimit",
        "servers up to at least 1.32 refuse revisionHistoryLimit changes; current releases accept them (pass --server-version to decide)",
        &error,
    );
}

/// Fill what the server defaults on a volume claim template, so omitted defaults compare equal.
fn normalized_template(template: &Value) -> Value {
    let mut t = template.clone();
    if let Value::Object(map) = &mut t {
        map.remove("apiVersion");
        map.remove("kind");
        if let Some(Value::Object(meta)) = map.get_mut("metadata") {
            if meta.get("creationTimestamp").is_some_and(Value::is_null) {
                meta.remove("creationTimestamp");
            }
        }
        let spec = map
            .entry("spec")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(spec) = spec {
            spec.entry("volumeMode")
                .or_insert_with(|| Value::String("Filesystem".into()));
        }
        let status = map
            .entry("status")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(status) = status {
            status
                .entry("phase")
                .or_insert_with(|| Value::String("Pending".into()));
        }
    }
    t
}

fn normalized_list(list: Option<&Value>) -> Value {
    match list {
        Some(Value::Array(items)) => Value::Array(items.iter().map(normalized_template).collect()),
        _ => Value::Array(Vec::new()),
    }
}

fn volume_claim_templates(c: &mut Checker<'_>) {
    let path = ["spec", "volumeClaimTemplates"];
    if !c.upd.changed(&path) {
        return;
    }
    let new = match c.upd.sent(&path) {
        Sent::Value(v) => Some(v),
        _ => None,
    };
    let old = normalized_list(c.upd.old_at(&path));
    let new = normalized_list(new);
    let walker = Walker::new(Mode::Git, &[]);
    if let Some(field) = walker.first_difference(
        Some(&old),
        Some(&new),
        Slot::Field,
        "spec.volumeClaimTemplates",
    ) {
        let error = forbidden_message(c);
        let reason = format!(
            "the PVCs of existing pods were created from these templates; the API server refuses any change to the list ({field} differs). To grow volumes, expand the existing PVCs, then recreate the StatefulSet with --cascade=orphan"
        );
        c.report(&STATEFULSET_VOLUME_CLAIM_TEMPLATES, &field, &reason, &error);
    }
}
