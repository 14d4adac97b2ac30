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
//!
//! Argo CD recreates an object when its sync uses both `Replace=true` and `Force=true` — in the
//! Application's `spec.syncPolicy.syncOptions` or the object's `argocd.argoproj.io/sync-options`
//! annotation: it then runs `kubectl replace --force`, which deletes the object and creates it
//! again (argo-cd `docs/user-guide/sync-options.md`, "Replace Resource Instead Of Applying
//! Changes" and "Force"). For objects only Argo CD deploys, the fix suggestions name that
//! mechanism instead of Flux's.

use immutable_rules::{Finding, ObjectRef, Remediation, Severity, CREATED_RULE, PRUNED_RULE};
use serde_json::Value;

use crate::argo::{forces_replace, object_sync_options, SYNC_OPTIONS_ANNOTATION};
use crate::render::Rendering;

/// The label or annotation with which an object asks Flux to recreate it.
pub const FLUX_FORCE_KEY: &str = "kustomize.toolkit.fluxcd.io/force";

/// Turn each `error` finding on an object that every Flux Kustomization or Argo CD Application
/// rendering it will recreate into a `warning` that says so and what it costs; on an object
/// only Argo CD deploys, suggest Argo's `Force=true,Replace=true` instead of Flux's annotation.
pub(crate) fn apply_engine_advice(findings: &mut [Finding], head: &Rendering) {
    for finding in findings {
        let v = &finding.violation;
        if v.severity != Severity::Error || v.rule == PRUNED_RULE || v.rule == CREATED_RULE {
            continue;
        }
        let mut mechanisms = Vec::new();
        let mut every_unit_recreates = true;
        let mut engines = Engines::default();
        for unit in &finding.dirs {
            let Some(rendered) = head.units.get(unit) else {
                continue;
            };
            let object = rendered.objects.as_ref().ok().and_then(|objects| {
                objects
                    .iter()
                    .find(|object| ObjectRef::of(object) == v.object)
            });
            if let Some(app) = &rendered.argo {
                engines.argo = true;
                if forces_replace(app.sync_options()) {
                    mechanisms.push(format!(
                        "`Force=true,Replace=true` in the syncOptions of Argo CD Application {}",
                        app.id
                    ));
                } else if object.is_some_and(|o| forces_replace(object_sync_options(o))) {
                    mechanisms.push(format!(
                        "the object's `{SYNC_OPTIONS_ANNOTATION}: Force=true,Replace=true`"
                    ));
                } else {
                    every_unit_recreates = false;
                }
                continue;
            }
            let Some(ks) = &rendered.flux else {
                engines.other = true;
                continue;
            };
            engines.flux = true;
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
        if engines.argo && !engines.flux && !engines.other {
            // Only Argo CD deploys it: suggest Argo's way of recreating, not Flux's.
            let v = &mut finding.violation;
            for remediation in &mut v.remediations {
                if *remediation == Remediation::FluxForce {
                    *remediation = Remediation::ArgoForceReplace;
                }
            }
        }
        if mechanisms.is_empty() || !every_unit_recreates {
            continue;
        }
        mechanisms.dedup();
        let engine = match (engines.flux, engines.argo) {
            (true, true) => "Flux and Argo CD delete",
            (false, true) => "Argo CD deletes",
            _ => "Flux deletes",
        };
        let v = &mut finding.violation;
        v.severity = Severity::Warning;
        v.reason = format!(
            "{}. {engine} and recreates it instead of updating it ({}), so the change goes through, at a cost: {}",
            v.reason.trim_end_matches('.'),
            mechanisms.join(", "),
            recreate_cost(&v.object.kind)
        );
        // The engine already does what these advise.
        v.remediations.retain(|r| {
            !matches!(
                r,
                Remediation::FluxForce | Remediation::ArgoForceReplace | Remediation::Recreate
            )
        });
        if v.remediations.is_empty() {
            v.remediations.push(Remediation::Revert);
        }
    }
}

/// Which engines deploy the object a finding is about.
#[derive(Default)]
struct Engines {
    flux: bool,
    argo: bool,
    /// A plain kustomization directory.
    other: bool,
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
