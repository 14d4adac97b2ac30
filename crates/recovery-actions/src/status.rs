//! `rescue status`: what in a cluster is stuck, and nothing that is healthy.

use serde::Serialize;
use serde_json::Value;

use crate::helm::release_heads;
use crate::object::{deletion_timestamp, finalizers, text, ObjectId};
use crate::terminating::is_terminating_namespace;

/// What was read from the cluster. Listed objects carry their `kind`.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Every namespace.
    pub namespaces: Vec<Value>,
    /// Every object of every listable namespaced or cluster-scoped kind.
    pub objects: Vec<Value>,
    /// Kustomizations and HelmReleases.
    pub flux: Vec<Value>,
    /// Flux sources (GitRepository, OCIRepository, HelmRepository, HelmChart, Bucket).
    pub sources: Vec<Value>,
    /// Helm storage Secrets (`owner=helm`).
    pub helm_secrets: Vec<Value>,
}

impl Snapshot {
    /// Sorts listed objects (each with its `kind` and `apiVersion`) into the snapshot: Flux
    /// objects, Flux sources and Helm storage Secrets apart from the rest.
    pub fn from_objects(namespaces: Vec<Value>, objects: Vec<Value>) -> Self {
        let mut snapshot = Snapshot {
            namespaces,
            ..Snapshot::default()
        };
        for object in objects {
            let api_version = text(&object, "/apiVersion").unwrap_or_default();
            let kind = text(&object, "/kind").unwrap_or_default();
            if kind == "Namespace" && api_version == "v1" {
                continue;
            }
            if (kind == "Kustomization" && api_version.starts_with("kustomize.toolkit.fluxcd.io/"))
                || (kind == "HelmRelease" && api_version.starts_with("helm.toolkit.fluxcd.io/"))
            {
                snapshot.flux.push(object);
            } else if api_version.starts_with("source.toolkit.fluxcd.io/") {
                snapshot.sources.push(object);
            } else {
                if kind == "Secret" && text(&object, "/metadata/labels/owner") == Some("helm") {
                    snapshot.helm_secrets.push(object.clone());
                }
                snapshot.objects.push(object);
            }
        }
        snapshot
    }
}

/// A terminating namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StuckNamespace {
    /// Name.
    pub name: String,
    /// `metadata.deletionTimestamp`.
    pub terminating_since: Option<String>,
    /// Objects with finalizers still in it.
    pub blockers: Vec<Blocker>,
    /// `status.conditions` that are `True` (`NamespaceContentRemaining`,
    /// `NamespaceFinalizersRemaining`, ...), as `Type: message`; human output only.
    #[serde(skip)]
    pub conditions: Vec<String>,
}

/// An object with finalizers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Blocker {
    /// Kind.
    pub kind: String,
    /// Namespace.
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
    /// `metadata.finalizers`.
    pub finalizers: Vec<String>,
}

/// An object being deleted and held by finalizers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TerminatingObject {
    /// Kind.
    pub kind: String,
    /// Namespace.
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
    /// `metadata.finalizers`.
    pub finalizers: Vec<String>,
    /// `metadata.deletionTimestamp`.
    pub since: Option<String>,
}

/// A Flux object that is not Ready.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotReady {
    /// `Kustomization` or `HelmRelease`.
    pub kind: String,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Seconds since the Ready condition last changed (`None`: no Ready condition yet).
    pub not_ready_for_s: Option<u64>,
    /// The Ready message.
    pub message: Option<String>,
    /// The pattern that classified the failure.
    pub pattern: Option<String>,
    /// The pattern's action.
    pub action: Option<String>,
    /// What to do next.
    pub next_step: String,
}

/// What a classifier says about a Flux object that is not Ready.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verdict {
    /// Matched pattern.
    pub pattern: Option<String>,
    /// Its action.
    pub action: Option<String>,
    /// The next step.
    pub next_step: String,
}

/// A suspended Flux object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suspended {
    /// Kind.
    pub kind: String,
    /// Namespace.
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
}

/// The whole report; its JSON form is the `rescue status --format json` output.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct StatusReport {
    /// Terminating namespaces.
    pub namespaces: Vec<StuckNamespace>,
    /// Objects held while being deleted.
    pub terminating_objects: Vec<TerminatingObject>,
    /// Flux objects not Ready.
    pub flux: Vec<NotReady>,
    /// Locked Helm releases.
    pub helm_locks: Vec<crate::helm::ReleaseHead>,
    /// Suspended Flux objects.
    pub suspended: Vec<Suspended>,
}

impl StatusReport {
    /// Whether nothing is stuck.
    pub fn is_empty(&self) -> bool {
        self.namespaces.is_empty()
            && self.terminating_objects.is_empty()
            && self.flux.is_empty()
            && self.helm_locks.is_empty()
            && self.suspended.is_empty()
    }
}

fn ready_condition(object: &Value) -> Option<&Value> {
    object
        .pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c["type"].as_str() == Some("Ready"))
}

/// Builds the report from a snapshot read at `now` (Unix seconds); `classify` explains a Flux
/// object that is not Ready.
///
/// ```
/// use recovery_actions::status::{status, Snapshot, Verdict};
/// let snapshot = Snapshot {
///     namespaces: vec![
///         serde_json::json!({"kind": "Namespace", "metadata": {"name": "old", "deletionTimestamp": "2026-01-01T00:00:00Z"},
///             "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Terminating"}}),
///         serde_json::json!({"kind": "Namespace", "metadata": {"name": "apps"}, "status": {"phase": "Active"}}),
///     ],
///     ..Snapshot::default()
/// };
/// let report = status(&snapshot, 1_767_225_600, |_| Verdict::default());
/// assert_eq!(report.namespaces.len(), 1);
/// assert_eq!(report.namespaces[0].name, "old");
/// ```
pub fn status(snapshot: &Snapshot, now: u64, classify: impl Fn(&Value) -> Verdict) -> StatusReport {
    let mut report = StatusReport::default();
    for ns in snapshot
        .namespaces
        .iter()
        .filter(|ns| is_terminating_namespace(ns))
    {
        let name = text(ns, "/metadata/name").unwrap_or_default().to_owned();
        let blockers = snapshot
            .objects
            .iter()
            .filter(|o| text(o, "/metadata/namespace") == Some(name.as_str()))
            .filter(|o| !finalizers(o).is_empty())
            .map(|o| {
                let id = ObjectId::of(o);
                Blocker {
                    kind: id.kind,
                    namespace: id.namespace,
                    name: id.name,
                    finalizers: finalizers(o),
                }
            })
            .collect();
        let conditions = ns
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|c| c["status"].as_str() == Some("True"))
            .map(|c| {
                format!(
                    "{}: {}",
                    c["type"].as_str().unwrap_or_default(),
                    c["message"].as_str().unwrap_or_default()
                )
            })
            .collect();
        report.namespaces.push(StuckNamespace {
            terminating_since: deletion_timestamp(ns).map(str::to_owned),
            name,
            blockers,
            conditions,
        });
    }
    for object in snapshot
        .objects
        .iter()
        .chain(&snapshot.flux)
        .chain(&snapshot.sources)
        .filter(|o| deletion_timestamp(o).is_some() && !finalizers(o).is_empty())
    {
        let id = ObjectId::of(object);
        report.terminating_objects.push(TerminatingObject {
            kind: id.kind,
            namespace: id.namespace,
            name: id.name,
            finalizers: finalizers(object),
            since: deletion_timestamp(object).map(str::to_owned),
        });
    }
    for object in &snapshot.flux {
        let ready = ready_condition(object);
        if ready.and_then(|c| c["status"].as_str()) == Some("True") {
            continue;
        }
        let id = ObjectId::of(object);
        let verdict = classify(object);
        report.flux.push(NotReady {
            kind: id.kind,
            namespace: id.namespace.unwrap_or_default(),
            name: id.name,
            not_ready_for_s: ready
                .and_then(|c| c["lastTransitionTime"].as_str())
                .and_then(crate::flux::parse_time)
                .and_then(|t| u64::try_from(t).ok())
                .map(|t| now.saturating_sub(t)),
            message: ready.and_then(|c| c["message"].as_str()).map(str::to_owned),
            pattern: verdict.pattern,
            action: verdict.action,
            next_step: verdict.next_step,
        });
    }
    report.helm_locks = release_heads(&snapshot.helm_secrets)
        .into_iter()
        .filter(crate::helm::ReleaseHead::is_locked)
        .collect();
    for object in snapshot.flux.iter().chain(&snapshot.sources) {
        if object.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true) {
            let id = ObjectId::of(object);
            report.suspended.push(Suspended {
                kind: id.kind,
                namespace: id.namespace,
                name: id.name,
            });
        }
    }
    report
}
