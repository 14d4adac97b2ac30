//! The findings [`check`](crate::check) returns: data, never errors.

use std::fmt;

use serde::ser::SerializeStruct as _;
use serde::{Serialize, Serializer};

/// How sure the engine is that the API server refuses the update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// An identity change (rename, new namespace, new kind) or a change the server silently
    /// drops: delete + create or no effect, not an immutability error.
    Info,
    /// Rejected depending on cluster state or server version the engine does not know.
    Warning,
    /// The API server rejects the update.
    Error,
}

impl Severity {
    /// The kebab-case name used in JSON output.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A way out of an update the API server refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Remediation {
    /// Delete the object and let GitOps create it again.
    Recreate,
    /// Delete only the StatefulSet object, keeping its pods and PVCs, then let GitOps create it.
    RecreateOrphan,
    /// Give the new object a new name, run both, then remove the old one (blue-green).
    RenameBlueGreen,
    /// Let Flux replace the object: annotate it with `kustomize.toolkit.fluxcd.io/force: enabled`.
    FluxForce,
    /// Let Argo CD replace the object: give it the annotation
    /// `argocd.argoproj.io/sync-options: Force=true,Replace=true`.
    ArgoForceReplace,
    /// Put the old value back in git.
    Revert,
    /// Remove the field from the manifest; the server keeps (or re-fills) the live value.
    DropField,
    /// Git does not own a field that breaks the updated object, so apply keeps its live value:
    /// set it to `null` in the manifest, or remove it from the live object once.
    ClearKeptField,
    /// A rename or move: keep the old object in git next to the new one until the new one is
    /// ready, then remove the old one in a later change.
    KeepUntilReplaced,
    /// A deletion: put the object back in git if it should stay.
    RestoreIfUnintended,
    /// A new object: nothing to do when it is meant to be new.
    ConfirmNew,
}

impl Remediation {
    /// Stable kebab-case identifier.
    pub const fn id(self) -> &'static str {
        match self {
            Remediation::Recreate => "recreate",
            Remediation::RecreateOrphan => "recreate-orphan",
            Remediation::RenameBlueGreen => "rename",
            Remediation::FluxForce => "flux-force",
            Remediation::ArgoForceReplace => "argo-force-replace",
            Remediation::Revert => "revert",
            Remediation::DropField => "drop-field",
            Remediation::ClearKeptField => "clear-kept-field",
            Remediation::KeepUntilReplaced => "keep-until-replaced",
            Remediation::RestoreIfUnintended => "restore",
            Remediation::ConfirmNew => "confirm-new",
        }
    }

    /// What the user does, in one sentence.
    pub const fn text(self) -> &'static str {
        match self {
            Remediation::Recreate => "delete the object and let GitOps recreate it (causes downtime for what it serves)",
            Remediation::RecreateOrphan => "delete only the StatefulSet with `kubectl delete statefulset NAME --cascade=orphan`; pods and PVCs survive and the recreated StatefulSet adopts them",
            Remediation::RenameBlueGreen => "give the object a new name so GitOps creates it next to the old one, then remove the old one (blue-green)",
            Remediation::FluxForce => "let Flux recreate it: add the annotation `kustomize.toolkit.fluxcd.io/force: enabled` to the object in git",
            Remediation::ArgoForceReplace => "let Argo CD recreate it: add the annotation `argocd.argoproj.io/sync-options: Force=true,Replace=true` to the object in git",
            Remediation::Revert => "keep the old value in git",
            Remediation::DropField => "remove the field from the manifest; the server keeps or re-fills the live value",
            Remediation::ClearKeptField => "git does not own the field, so apply keeps its live value: set it to null in the manifest (client-side apply), or remove it from the live object once with `kubectl patch --type=json` (the violation names the path)",
            Remediation::KeepUntilReplaced => "to avoid a gap between the delete and the create, keep the old object in git next to the new one and remove it in a later change, once the new one is ready",
            Remediation::RestoreIfUnintended => "if the object should stay, put it back in git; otherwise make sure nothing still uses it",
            Remediation::ConfirmNew => "nothing to do if the object is meant to be new; check its name and namespace",
        }
    }
}

impl fmt::Display for Remediation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

impl Serialize for Remediation {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Remediation", 2)?;
        s.serialize_field("id", self.id())?;
        s.serialize_field("text", self.text())?;
        s.end()
    }
}

/// Which object a violation is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ObjectRef {
    /// API group, `""` for the core group.
    pub group: String,
    /// API version inside the group (`v1`).
    pub version: String,
    /// Kind (`Deployment`).
    pub kind: String,
    /// Namespace, absent for cluster-scoped objects and manifests that leave it to the tool.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
}

impl ObjectRef {
    /// Read the reference of an untyped object; missing parts stay empty.
    pub fn of(object: &serde_json::Value) -> Self {
        let api_version = object
            .get("apiVersion")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("");
        let (group, version) = match api_version.rsplit_once('/') {
            Some((group, version)) => (group, version),
            None => ("", api_version),
        };
        let meta = object.get("metadata");
        let text = |key: &str| {
            meta.and_then(|m| m.get(key))
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        };
        Self {
            group: group.to_owned(),
            version: version.to_owned(),
            kind: object
                .get("kind")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("")
                .to_owned(),
            namespace: text("namespace").filter(|n| !n.is_empty()),
            name: text("name").unwrap_or_default(),
        }
    }

    /// `apiVersion` as written in manifests (`apps/v1`, `v1`).
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

impl fmt::Display for ObjectRef {
    /// `Deployment.apps prod/web`, `Namespace team-a`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kind)?;
        if !self.group.is_empty() {
            write!(f, ".{}", self.group)?;
        }
        f.write_str(" ")?;
        if let Some(namespace) = &self.namespace {
            write!(f, "{namespace}/")?;
        }
        f.write_str(if self.name.is_empty() {
            "<unnamed>"
        } else {
            &self.name
        })
    }
}

/// One field change the API server refuses (or, for `info`, an update that is really a
/// replacement or has no effect).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Violation {
    /// Stable kebab-case rule id, e.g. `deployment-selector`.
    pub rule: String,
    /// How sure the engine is that the server refuses it.
    pub severity: Severity,
    /// The object.
    pub object: ObjectRef,
    /// The field whose change decides it, e.g. `spec.volumeClaimTemplates[0].spec.storageClassName`.
    pub field: String,
    /// The live (or previous) value, rendered short; `(unset)` when absent.
    pub old: String,
    /// The value after the update, rendered short; `(unset)` when absent.
    pub new: String,
    /// Why the API server refuses it, in plain words.
    pub reason: String,
    /// The error text the API server returns (path and detail; printed values vary by release).
    pub api_error: String,
    /// Ways out, most appropriate first.
    pub remediations: Vec<Remediation>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ref_reads_group_version_and_display() {
        let obj = serde_json::json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "prod"}
        });
        let r = ObjectRef::of(&obj);
        assert_eq!(r.group, "apps");
        assert_eq!(r.api_version(), "apps/v1");
        assert_eq!(r.to_string(), "Deployment.apps prod/web");
        let core = ObjectRef::of(
            &serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}),
        );
        assert_eq!(core.to_string(), "Namespace a");
        assert_eq!(core.api_version(), "v1");
    }

    #[test]
    fn severity_orders_info_warning_error() {
        assert!(Severity::Error > Severity::Warning && Severity::Warning > Severity::Info);
    }
}
