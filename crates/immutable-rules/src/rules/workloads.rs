//! Deployment, ReplicaSet and DaemonSet: immutable selectors, template labels that must still
//! match them, and the Deployment strategy switch that apply cannot complete.

use serde_json::Value;

use super::Checker;
use crate::compare::is_vacuous;
use crate::context::Mode;
use crate::update::Sent;

const SELECTOR_ERROR: &str =
    "spec.selector: Invalid value: v1.LabelSelector{...}: field is immutable";

rule!(DEPLOYMENT_SELECTOR, "deployment-selector",
    kinds: ["Deployment.apps"], fields: ["spec.selector"],
    condition: "any change of spec.selector: a matchLabels entry added, removed or changed, matchExpressions added or reordered (matchLabels key order does not matter)",
    versions: "apps/v1 (1.9+); only the removed extensions/v1beta1 and apps/v1beta1 allowed it",
    severity: Error, remediations: [RenameBlueGreen, Recreate, FluxForce, Revert]);
rule!(DEPLOYMENT_RECREATE_ROLLING_UPDATE, "deployment-recreate-rolling-update",
    kinds: ["Deployment.apps"], fields: ["spec.strategy.type", "spec.strategy.rollingUpdate"],
    condition: "strategy.type becomes Recreate while the server-defaulted rollingUpdate block survives the apply merge (not an immutable field, but the update fails)",
    versions: "all",
    severity: Error, remediations: [DropField]);
rule!(REPLICASET_SELECTOR, "replicaset-selector",
    kinds: ["ReplicaSet.apps"], fields: ["spec.selector"],
    condition: "any change of spec.selector",
    versions: "apps/v1 (1.9+)",
    severity: Error, remediations: [RenameBlueGreen, Recreate, FluxForce, Revert]);
rule!(DAEMONSET_SELECTOR, "daemonset-selector",
    kinds: ["DaemonSet.apps"], fields: ["spec.selector"],
    condition: "any change of spec.selector",
    versions: "apps/v1 (1.9+)",
    severity: Error, remediations: [RenameBlueGreen, Recreate, FluxForce, Revert]);
rule!(SELECTOR_TEMPLATE_MISMATCH, "selector-template-mismatch",
    kinds: ["Deployment.apps", "ReplicaSet.apps", "DaemonSet.apps", "StatefulSet.apps"], fields: ["spec.template.metadata.labels"],
    condition: "after the update the template labels no longer satisfy the (immutable) selector",
    versions: "all",
    severity: Error, remediations: [Revert]);

/// Deployment rules.
pub(super) fn deployment(c: &mut Checker<'_>) {
    selector(c, &DEPLOYMENT_SELECTOR);
    recreate_keeps_rolling_update(c);
}

/// ReplicaSet rules.
pub(super) fn replicaset(c: &mut Checker<'_>) {
    selector(c, &REPLICASET_SELECTOR);
}

/// DaemonSet rules.
pub(super) fn daemonset(c: &mut Checker<'_>) {
    selector(c, &DAEMONSET_SELECTOR);
}

fn selector(c: &mut Checker<'_>, rule: &'static crate::catalog::RuleInfo) {
    let selector_changed = if let Some(field) = c.upd.difference(&["spec", "selector"]) {
        let reason = format!(
            "{} selects its pods by spec.selector; changing it would orphan the pods it owns, so the API server forbids it ({field} changes)",
            c.object.kind
        );
        c.report(rule, "spec.selector", &reason, SELECTOR_ERROR);
        true
    } else {
        false
    };
    template_matches_selector(c, selector_changed);
}

/// Template labels must satisfy the selector after the update.
pub(super) fn template_matches_selector(c: &mut Checker<'_>, selector_changed: bool) {
    if !selector_changed && !c.upd.changed(&["spec", "template", "metadata", "labels"]) {
        return;
    }
    let Some(selector) = c.upd.merged_at(&["spec", "selector"]) else {
        return;
    };
    if is_vacuous(&selector) {
        return;
    }
    let labels = c
        .upd
        .merged_at(&["spec", "template", "metadata", "labels"])
        .unwrap_or(Value::Null);
    if !selector_matches(&selector, &labels) {
        c.report(
            &SELECTOR_TEMPLATE_MISMATCH,
            "spec.template.metadata.labels",
            "the pods a template creates must be selected by the selector",
            "spec.template.metadata.labels: Invalid value: ...: `selector` does not match template `labels`",
        );
    }
}

/// Whether a LabelSelector selects a label map.
pub(crate) fn selector_matches(selector: &Value, labels: &Value) -> bool {
    let label = |key: &str| labels.get(key).and_then(Value::as_str);
    if let Some(Value::Object(match_labels)) = selector.get("matchLabels") {
        for (key, value) in match_labels {
            if label(key) != value.as_str() {
                return false;
            }
        }
    }
    if let Some(Value::Array(expressions)) = selector.get("matchExpressions") {
        for expression in expressions {
            let Some(key) = expression.get("key").and_then(Value::as_str) else {
                continue;
            };
            let values: Vec<&str> = expression
                .get("values")
                .and_then(Value::as_array)
                .map(|v| v.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let current = label(key);
            let ok = match expression.get("operator").and_then(Value::as_str) {
                Some("In") => current.is_some_and(|v| values.contains(&v)),
                Some("NotIn") => current.is_none_or(|v| !values.contains(&v)),
                Some("Exists") => current.is_some(),
                Some("DoesNotExist") => current.is_none(),
                _ => true,
            };
            if !ok {
                return false;
            }
        }
    }
    true
}

/// A switch of a workload's update strategy to a type that forbids the `rollingUpdate` block,
/// while the server-defaulted block survives the apply merge.
pub(super) struct StrategySwitch {
    pub(super) rule: &'static crate::catalog::RuleInfo,
    /// `["spec", "strategy"]` or `["spec", "updateStrategy"]`.
    pub(super) strategy: [&'static str; 2],
    /// The type that forbids `rollingUpdate` (`Recreate`, `OnDelete`).
    pub(super) target: &'static str,
    /// Whether the server defaults `rollingUpdate` for an old manifest with this `type` (absent
    /// when `None`) and no `rollingUpdate` block.
    pub(super) defaults_block: fn(Option<&str>) -> bool,
    pub(super) reason: &'static str,
    /// Whether to append what to change in git (path and `kubectl patch` command) to `reason`.
    pub(super) append_advice: bool,
    pub(super) api_error: &'static str,
}

/// Report `switch.rule` when the new strategy type forbids a `rollingUpdate` block that survives.
pub(super) fn strategy_keeps_rolling_update(c: &mut Checker<'_>, switch: &StrategySwitch) {
    let upd = c.upd;
    let [spec, strategy] = switch.strategy;
    // The update itself must touch the strategy: an unchanged object is never blamed.
    if upd.new_str(&[spec, strategy, "type"]) != Some(switch.target)
        || !upd.changed(&[spec, strategy])
    {
        return;
    }
    let rolling = [spec, strategy, "rollingUpdate"];
    // A block counts once it exists, even `{partition: 0}`: the server checks for a nil pointer.
    let survives = match (upd.sent(&rolling), upd.mode) {
        (Sent::Value(v), _) => !v.is_null(),
        (Sent::Null, _) => false,
        (Sent::Absent, Mode::Apply) => upd.old_at(&rolling).is_some(),
        // Git: the live object has a defaulted block unless it already had the target type or
        // git owned the block (then apply removes it together with the rest of git's old fields).
        (Sent::Absent, Mode::Git) => {
            let old_type = upd.old_str(&[spec, strategy, "type"]);
            old_type != Some(switch.target)
                && (switch.defaults_block)(old_type)
                && upd.old_at(&rolling).is_none()
        }
    };
    if survives {
        let field = rolling.join(".");
        let reason = if switch.append_advice {
            format!("{}: {}", switch.reason, super::kept::advice(c, &rolling))
        } else {
            switch.reason.to_owned()
        };
        c.report(switch.rule, &field, &reason, switch.api_error);
    }
}

/// `strategy.type: Recreate` with a `rollingUpdate` block that apply keeps.
fn recreate_keeps_rolling_update(c: &mut Checker<'_>) {
    strategy_keeps_rolling_update(
        c,
        &StrategySwitch {
            rule: &DEPLOYMENT_RECREATE_ROLLING_UPDATE,
            strategy: ["spec", "strategy"],
            target: "Recreate",
            // `SetDefaults_Deployment` fills the block whenever the type is (or defaults to)
            // RollingUpdate.
            defaults_block: |_| true,
            reason: "the server defaulted spec.strategy.rollingUpdate, which nobody owns in git, so apply keeps it; Recreate forbids it. Put `rollingUpdate: null` next to `type: Recreate` (client-side apply) or delete the block on the live object once",
            append_advice: false,
            api_error: "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selector_matching() {
        let labels = json!({"app": "web", "tier": "fe"});
        assert!(selector_matches(
            &json!({"matchLabels": {"app": "web"}}),
            &labels
        ));
        assert!(!selector_matches(
            &json!({"matchLabels": {"app": "db"}}),
            &labels
        ));
        let exprs = json!({"matchExpressions": [
            {"key": "app", "operator": "In", "values": ["web", "api"]},
            {"key": "canary", "operator": "DoesNotExist"}]});
        assert!(selector_matches(&exprs, &labels));
        let not_in =
            json!({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["fe"]}]});
        assert!(!selector_matches(&not_in, &labels));
    }
}
