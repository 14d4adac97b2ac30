//! Objects and namespaces stuck while being deleted: deciding whether they really are, and the
//! requests that release them.
//!
//! Finalizers are removed only from objects that already have a `deletionTimestamp` — on any other
//! object that would be a way around a normal delete, not a recovery. A namespace's own finalizers
//! are cleared only through its `/finalize` subresource (the only way the API server accepts a
//! change of `spec.finalizers`, `pkg/registry/core/namespace/storage`'s `FinalizeREST`), only while
//! it is `Terminating`, and only if it is still stuck after its remaining objects were released.

use kube::api::{ApiResource, GroupVersionKind};
use serde_json::{json, Value};

use crate::object::{deletion_timestamp, finalizers, is_held_terminating, strings, text, ObjectId};
use crate::plan::{Backup, Decision, Plan, Refusal};
use crate::request::{resource_path, ApiRequest, Guard, Verb};

/// The merge patch that removes every finalizer, guarded by the `resourceVersion` that was read:
/// if the object changed since, the API server answers 409 and nothing is removed.
fn remove_finalizers(resource: &ApiResource, live: &Value) -> ApiRequest {
    let id = ObjectId::of(live);
    let mut metadata = json!({ "finalizers": null });
    if let Some(rv) = text(live, "/metadata/resourceVersion") {
        metadata["resourceVersion"] = json!(rv);
    }
    ApiRequest::new(
        Verb::Patch,
        resource_path(resource, id.namespace.as_deref(), Some(&id.name), None),
        Some(json!({ "metadata": metadata })),
    )
}

/// `force-delete`: release an object held by finalizers after its deletion was requested.
///
/// `live` is the object as read (`None`: it does not exist), `resource` its API resource.
///
/// ```
/// use kube::api::{ApiResource, GroupVersionKind};
/// use recovery_actions::plan::Decision;
/// use recovery_actions::terminating::force_delete;
/// let cm = ApiResource::from_gvk(&GroupVersionKind::gvk("", "v1", "ConfigMap"));
/// let stuck = serde_json::json!({"kind": "ConfigMap", "metadata": {"name": "web", "namespace": "apps",
///     "resourceVersion": "7", "deletionTimestamp": "2026-01-01T00:00:00Z", "finalizers": ["example.com/hold"]}});
/// let Decision::Act(plan) = force_delete(&cm, Some(&stuck)) else { panic!() };
/// assert_eq!(plan.requests[0].to_string(),
///     r#"PATCH /api/v1/namespaces/apps/configmaps/web {"metadata":{"finalizers":null,"resourceVersion":"7"}}"#);
/// let healthy = serde_json::json!({"kind": "ConfigMap", "metadata": {"name": "web", "namespace": "apps"}});
/// assert!(matches!(force_delete(&cm, Some(&healthy)), Decision::Refused(_)));
/// ```
pub fn force_delete(resource: &ApiResource, live: Option<&Value>) -> Decision {
    let Some(live) = live else {
        return Decision::NothingToDo("the object does not exist (already deleted)".to_owned());
    };
    let id = ObjectId::of(live);
    if deletion_timestamp(live).is_none() {
        return Decision::Refused(Refusal::NotTerminating {
            object: id.to_string(),
        });
    }
    if finalizers(live).is_empty() {
        return Decision::NothingToDo(format!(
            "{id} is being deleted and has no finalizers left; the API server removes it"
        ));
    }
    Decision::Act(Plan {
        backups: vec![Backup::of(live)],
        requests: vec![remove_finalizers(resource, live)],
    })
}

/// The `Namespace` API resource.
pub fn namespace_resource() -> ApiResource {
    ApiResource::from_gvk(&GroupVersionKind::gvk("", "v1", "Namespace"))
}

/// Whether a namespace is `Terminating` (its deletion was requested).
pub fn is_terminating_namespace(namespace: &Value) -> bool {
    deletion_timestamp(namespace).is_some()
        || text(namespace, "/status/phase") == Some("Terminating")
}

/// Whether a namespace (as just read; `None`: gone) is still stuck: terminating with finalizers,
/// its own (`spec.finalizers`) or on its metadata.
pub fn namespace_still_stuck(namespace: Option<&Value>) -> bool {
    namespace.is_some_and(|ns| {
        is_terminating_namespace(ns)
            && !(strings(ns, "/spec/finalizers").is_empty() && finalizers(ns).is_empty())
    })
}

/// The objects still in a terminating namespace that hold it: every object with finalizers.
pub fn blockers(remaining: &[(ApiResource, Value)]) -> impl Iterator<Item = &Value> {
    remaining
        .iter()
        .map(|(_, object)| object)
        .filter(|object| !finalizers(object).is_empty())
}

/// `finalize-namespace`: back up the namespace and what remains in it, release the remaining
/// objects that are themselves being deleted, then — only if the namespace is still stuck —
/// clear its finalizers through `/finalize`.
///
/// `remaining` is every object still in the namespace, with its API resource. Objects with
/// finalizers that are not being deleted are left alone: the namespace controller deletes them
/// first, and their finalizers then do their work.
pub fn finalize_namespace(namespace: &Value, remaining: &[(ApiResource, Value)]) -> Decision {
    let name = text(namespace, "/metadata/name")
        .unwrap_or_default()
        .to_owned();
    if !is_terminating_namespace(namespace) {
        return Decision::Refused(Refusal::NamespaceNotTerminating { namespace: name });
    }
    let mut plan = Plan {
        backups: std::iter::once(namespace)
            .chain(remaining.iter().map(|(_, object)| object))
            .map(Backup::of)
            .collect(),
        requests: remaining
            .iter()
            .filter(|(_, object)| is_held_terminating(object))
            .map(|(resource, object)| remove_finalizers(resource, object))
            .collect(),
    };
    let resource = namespace_resource();
    let guard = Guard::NamespaceStillStuck {
        namespace: name.clone(),
    };
    if !finalizers(namespace).is_empty() {
        plan.requests.push(
            ApiRequest::new(
                Verb::Patch,
                resource_path(&resource, None, Some(&name), None),
                Some(json!({"metadata": {"finalizers": null}})),
            )
            .guarded(guard.clone()),
        );
    }
    if !strings(namespace, "/spec/finalizers").is_empty() {
        plan.requests.push(
            ApiRequest::new(
                Verb::Put,
                resource_path(&resource, None, Some(&name), Some("finalize")),
                Some(json!({"apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": name}, "spec": {"finalizers": []}})),
            )
            .guarded(guard),
        );
    }
    if plan.requests.is_empty() {
        return Decision::NothingToDo(format!(
            "namespace {name} is terminating with no finalizers left; the API server removes it once its objects are gone"
        ));
    }
    Decision::Act(plan)
}
