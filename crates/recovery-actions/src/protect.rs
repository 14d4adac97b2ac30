//! The safety rules every destructive step obeys, whoever runs it: protected kinds, per-kind
//! propagation, and Flux ownership.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::flux::{FluxKind, ObjectState};

/// How dependents of a deleted object are treated (Kubernetes `propagationPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Propagation {
    /// Leave dependents in place (their owner references are removed).
    Orphan,
    /// Delete dependents in the background after the owner is gone.
    Background,
    /// Delete dependents before the owner.
    Foreground,
}

impl Propagation {
    /// The value of `propagationPolicy` in a delete request.
    pub fn as_str(self) -> &'static str {
        match self {
            Propagation::Orphan => "Orphan",
            Propagation::Background => "Background",
            Propagation::Foreground => "Foreground",
        }
    }
}

/// Kinds never deleted unless a configuration allow-lists them by name.
pub const PROTECTED_KINDS: [&str; 5] = [
    "Namespace",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Secret",
    "CustomResourceDefinition",
];

/// Whether `kind` is one of the [`PROTECTED_KINDS`].
pub fn is_protected_kind(kind: &str) -> bool {
    PROTECTED_KINDS.contains(&kind)
}

/// Whether deleting an object of `kind` is allowed: it is not protected, or `allowed` names it.
///
/// ```
/// use std::collections::BTreeSet;
/// use recovery_actions::protect::may_delete_kind;
/// assert!(may_delete_kind("Job", &BTreeSet::new()));
/// assert!(!may_delete_kind("PersistentVolumeClaim", &BTreeSet::new()));
/// assert!(may_delete_kind("PersistentVolumeClaim", &BTreeSet::from(["PersistentVolumeClaim".to_owned()])));
/// ```
pub fn may_delete_kind(kind: &str, allowed: &BTreeSet<String>) -> bool {
    !is_protected_kind(kind) || allowed.contains(kind)
}

/// The built-in propagation policy of a kind.
///
/// StatefulSet: orphan, so its pods and their PersistentVolumeClaims survive the recreation and the
/// new StatefulSet adopts them. Everything else: background, as Flux's own force-apply does (a Job's
/// pods must go with it; a Deployment's old ReplicaSets would otherwise linger unowned).
pub fn default_propagation(kind: &str) -> Propagation {
    match kind {
        "StatefulSet" => Propagation::Orphan,
        _ => Propagation::Background,
    }
}

/// Whether an object's labels say Flux applied it on behalf of `owner`.
pub fn owned_by(labels: &Value, owner: &ObjectState) -> bool {
    let prefix = match owner.kind {
        FluxKind::Kustomization => "kustomize.toolkit.fluxcd.io",
        FluxKind::HelmRelease => "helm.toolkit.fluxcd.io",
    };
    labels[format!("{prefix}/name")].as_str() == Some(owner.name.as_str())
        && labels[format!("{prefix}/namespace")].as_str() == Some(owner.namespace.as_str())
}
