//! Advice that knows the engine: a change the API server refuses in place is no blocker when
//! the engine deploying the object recreates it anyway — but recreating has a cost, which the
//! finding then states.
//!
//! Flux's kustomize-controller recreates an object whose update fails on an immutable field
//! when its Kustomization sets `spec.force: true`, or when the object carries the label or
//! annotation `kustomize.toolkit.fluxcd.io/force: enabled`: it deletes the object (background
//! propagation, so what the object owns is garbage-collected) and applies it again
//! (`fluxcd/kustomize-controller` `docs/spec/v1/kustomizations.md`, "Force" and "Controlling
//! the apply behavior of resources"; `fluxcd/pkg` `ssa/manager_apply.go`, `Apply`).

use immutable_rules::{Finding, ObjectRef, Remediation, Severity, CREATED_RULE, PRUNED_RULE};
use serde_json::Value;

use crate::render::Rendering;

/// The label or annotation with which an object asks Flux to recreate it.
pub const FLUX_FORCE_KEY: &str = "kustomize.toolkit.fluxcd.io/force";

/// Turn each `error` finding on an object that every Flux Kustomization rendering it will
/// recreate into a `warning` that says so and what it costs.
pub(crate) fn apply_engine_advice(findings: &mut [Finding], head: &Rendering) {
    for finding in findings {
        let v = &finding.violation;
        if v.severity != Severity::Error || v.rule == PRUNED_RULE || v.rule == CREATED_RULE {
            continue;
        }
        let mut mechanisms = Vec::new();
        let mut every_unit_recreates = true;
        for unit in &finding.dirs {
            let Some(rendered) = head.units.get(unit) else {
                continue;
            };
            let Some(ks) = &rendered.flux else { continue };
            let object = rendered.objects.as_ref().ok().and_then(|objects| {
                objects
                    .iter()
                    .find(|object| ObjectRef::of(object) == v.object)
            });
            if ks.spec("force").and_then(Value::as_bool) == Some(true) {
                mechanisms.push(format!(
                    "`spec.force: true` on Flux Kustomization {}",
                    ks.id
                ));
            } else if object.is_some_and(asks_flux_to_force) {
                mechanisms.push(format!("the object's `{FLUX_FORCE_KEY}: enabled`"));
            } else {
                every_unit_recreates = false;
            }
        }
        if mechanisms.is_empty() || !every_unit_recreates {
            continue;
        }
        mechanisms.dedup();
        let v = &mut finding.violation;
        v.severity = Severity::Warning;
        v.reason = format!(
            "{}. Flux deletes and recreates it instead of updating it ({}), so the change goes through, at a cost: {}",
            v.reason.trim_end_matches('.'),
            mechanisms.join(", "),
            recreate_cost(&v.object.kind)
        );
        // Flux already does what these two advise.
        v.remediations
            .retain(|r| !matches!(r, Remediation::FluxForce | Remediation::Recreate));
        if v.remediations.is_empty() {
            v.remediations.push(Remediation::Revert);
        }
    }
}

/// Whether `object` carries `kustomize.toolkit.fluxcd.io/force: enabled` as a label or an
/// annotation (Flux reads the value case-insensitively: `Enabled` works too).
fn asks_flux_to_force(object: &Value) -> bool {
    ["annotations", "labels"].iter().any(|field| {
        object["metadata"][field][FLUX_FORCE_KEY]
            .as_str()
            .is_some_and(|value| value.eq_ignore_ascii_case("enabled"))
    })
}

/// What deleting and recreating an object of `kind` costs.
fn recreate_cost(kind: &str) -> &'static str {
    match kind {
        "Deployment" | "DaemonSet" | "ReplicaSet" | "ReplicationController" => {
            "its pods are deleted with it, so what it serves is down until the new pods are ready"
        }
        "StatefulSet" => {
            "its pods are deleted with it and recreated one by one (downtime); the PersistentVolumeClaims of its volumeClaimTemplates are kept and re-attached, so check they fit the new templates"
        }
        "Job" => "its pods are deleted and the Job runs again from the start",
        "CronJob" => "its Jobs and their pods are deleted with it",
        "Service" => {
            "the Service is gone between the delete and the create, and it may get a new clusterIP"
        }
        "PersistentVolumeClaim" => {
            "the claim is deleted; with the reclaim policy `Delete` (the default of dynamically provisioned volumes) its data is lost"
        }
        "PersistentVolume" => {
            "the volume object is deleted; whether its data survives depends on its reclaim policy"
        }
        _ => "it is absent between the delete and the create, and what it owns is deleted with it",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_force_annotation_or_label_is_read_case_insensitively() {
        let annotated = json!({"metadata": {"annotations": {FLUX_FORCE_KEY: "Enabled"}}});
        let labelled = json!({"metadata": {"labels": {FLUX_FORCE_KEY: "enabled"}}});
        let disabled = json!({"metadata": {"annotations": {FLUX_FORCE_KEY: "disabled"}}});
        assert!(asks_flux_to_force(&annotated));
        assert!(asks_flux_to_force(&labelled));
        assert!(!asks_flux_to_force(&disabled));
        assert!(!asks_flux_to_force(&json!({"metadata": {}})));
    }

    #[test]
    fn every_kind_has_a_cost() {
        assert!(recreate_cost("StatefulSet").contains("PersistentVolumeClaims"));
        assert!(recreate_cost("Deployment").contains("pods"));
        assert!(recreate_cost("Widget").contains("owns"));
    }
}
