//! Suspending, resuming and reconciling Flux objects with Flux's own fields and annotations, as
//! the `flux` CLI does: `spec.suspend` (`flux suspend`/`flux resume`) and
//! `reconcile.fluxcd.io/requestedAt` (`flux reconcile`; with `--with-source` the source is asked
//! first, so the object then reconciles from a fresh artifact).

use kube::api::ApiResource;
use serde_json::{json, Value};

use crate::flux::REQUESTED_AT;
use crate::object::{text, ObjectId};
use crate::plan::{Backup, Decision, Plan, Refusal};
use crate::request::{resource_path, ApiRequest, Verb};

/// Which Flux operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FluxOp {
    /// `spec.suspend: true`.
    Suspend,
    /// `spec.suspend: false` plus a reconcile request.
    Resume,
    /// A reconcile request.
    Reconcile,
}

/// Whether an API group is one of Flux's (`*.toolkit.fluxcd.io`).
pub fn is_flux_group(group: &str) -> bool {
    group.ends_with(".toolkit.fluxcd.io")
}

fn suspended(object: &Value) -> bool {
    object
        .pointer("/spec/suspend")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

fn patch(resource: &ApiResource, object: &Value, body: Value) -> ApiRequest {
    ApiRequest::new(
        Verb::Patch,
        resource_path(
            resource,
            text(object, "/metadata/namespace"),
            text(object, "/metadata/name"),
            None,
        ),
        Some(body),
    )
}

/// The requests of `op` on a Flux object and, with `--with-source`, its source (each with its
/// API resource), `token` being the `requestedAt` value (RFC 3339 of now, as `flux` writes it).
///
/// ```
/// use recovery_actions::fluxops::{flux_op, FluxOp};
/// use recovery_actions::flux::FluxKind;
/// use recovery_actions::plan::Decision;
/// let ks = serde_json::json!({"kind": "Kustomization", "metadata": {"name": "apps", "namespace": "flux-system"}});
/// let resource = FluxKind::Kustomization.api_resource();
/// let Decision::Act(plan) = flux_op(FluxOp::Suspend, (&resource, &ks), None, "2026-01-01T00:00:00Z") else { panic!() };
/// assert_eq!(plan.requests[0].to_string(),
///     r#"PATCH /apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/apps {"spec":{"suspend":true}}"#);
/// ```
pub fn flux_op(
    op: FluxOp,
    object: (&ApiResource, &Value),
    source: Option<(&ApiResource, &Value)>,
    token: &str,
) -> Decision {
    let (resource, live) = object;
    if !is_flux_group(&resource.group) {
        return Decision::Refused(Refusal::NotFlux {
            kind: resource.kind.clone(),
        });
    }
    let id = ObjectId::of(live);
    // The source first: a reconcile of the object then sees the source's fresh artifact.
    let targets: Vec<(&ApiResource, &Value)> = source.into_iter().chain([object]).collect();
    let mut plan = Plan::default();
    match op {
        FluxOp::Suspend => {
            for (resource, target) in targets.into_iter().filter(|(_, t)| !suspended(t)) {
                plan.backups.push(Backup::of(target));
                plan.requests
                    .push(patch(resource, target, json!({"spec": {"suspend": true}})));
            }
        }
        FluxOp::Resume => {
            for (resource, target) in targets.into_iter().filter(|(_, t)| suspended(t)) {
                plan.backups.push(Backup::of(target));
                plan.requests.push(patch(
                    resource,
                    target,
                    json!({"spec": {"suspend": false},
                           "metadata": {"annotations": {REQUESTED_AT: token}}}),
                ));
            }
        }
        FluxOp::Reconcile => {
            if suspended(live) {
                return Decision::Refused(Refusal::Suspended {
                    object: id.to_string(),
                });
            }
            for (resource, target) in targets.into_iter().filter(|(_, t)| !suspended(t)) {
                plan.requests.push(patch(
                    resource,
                    target,
                    json!({"metadata": {"annotations": {REQUESTED_AT: token}}}),
                ));
            }
        }
    }
    if plan.requests.is_empty() {
        let state = if op == FluxOp::Suspend {
            "already suspended"
        } else {
            "not suspended"
        };
        return Decision::NothingToDo(format!("{id} is {state}"));
    }
    Decision::Act(plan)
}
