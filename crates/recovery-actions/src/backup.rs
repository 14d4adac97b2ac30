//! Backups of objects taken before they are changed or deleted: into a Secret (the controller,
//! one Secret per deletion) or into a directory (`unstuck rescue`, one JSON file per object).
//!
//! The Secret lives in the controller's namespace, has type [`BACKUP_SECRET_TYPE`], the labels
//! `app.kubernetes.io/managed-by=unstuck-controller` and `unstuck.dev/backup=true`, and holds the
//! object under the key [`BACKUP_KEY`], stripped of server-set fields so it can be re-created as is:
//!
//! ```text
//! kubectl -n unstuck-system get secret NAME -o jsonpath='{.data.object\.json}' | base64 -d | kubectl create -f -
//! ```

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::ByteString;
use serde_json::Value;

use crate::flux::{ObjectRef, ObjectState};

/// Secret type of backups.
pub const BACKUP_SECRET_TYPE: &str = "unstuck.dev/backup";
/// Key holding the object's JSON.
pub const BACKUP_KEY: &str = "object.json";
/// Label marking backups.
pub const BACKUP_LABEL: &str = "unstuck.dev/backup";
/// Annotation naming the backed-up object (`Kind/namespace/name`).
pub const BACKUP_OF: &str = "unstuck.dev/backup-of";
/// Annotation naming the Flux object the recovery was for.
pub const BACKUP_FOR: &str = "unstuck.dev/recovery-for";
/// Secrets are limited to 1 MiB; leave room for metadata.
pub const MAX_BACKUP_BYTES: usize = 1024 * 1024 - 16 * 1024;

/// Metadata fields set by the API server, removed so the backup can be re-created.
const SERVER_FIELDS: [&str; 8] = [
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

/// The object as it should be restored: without `status` and server-set metadata.
pub fn restorable(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(map) = object.as_object_mut() {
        map.remove("status");
        if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
            for field in SERVER_FIELDS {
                meta.remove(field);
            }
        }
    }
    object
}

/// The backup Secret for `live` (the target as read just before deletion).
///
/// Returns `None` when the object is too large for a Secret: then it is not deleted either.
pub fn backup_secret(
    owner: &ObjectState,
    target: &ObjectRef,
    live: &Value,
    namespace: &str,
    now: u64,
) -> Option<Secret> {
    let body = serde_json::to_vec_pretty(&restorable(live)).ok()?;
    if body.len() > MAX_BACKUP_BYTES {
        return None;
    }
    Some(Secret {
        metadata: ObjectMeta {
            name: Some(backup_name(target, now)),
            namespace: Some(namespace.to_owned()),
            labels: Some(BTreeMap::from([
                (
                    "app.kubernetes.io/managed-by".to_owned(),
                    "unstuck-controller".to_owned(),
                ),
                (BACKUP_LABEL.to_owned(), "true".to_owned()),
            ])),
            annotations: Some(BTreeMap::from([
                (BACKUP_OF.to_owned(), target.to_string()),
                (BACKUP_FOR.to_owned(), owner.key()),
            ])),
            ..ObjectMeta::default()
        },
        type_: Some(BACKUP_SECRET_TYPE.to_owned()),
        data: Some(BTreeMap::from([(BACKUP_KEY.to_owned(), ByteString(body))])),
        ..Secret::default()
    })
}

/// `unstuck-backup-<kind>-<name>-<unix seconds>`, within the 253-character name limit.
pub fn backup_name(target: &ObjectRef, now: u64) -> String {
    let suffix = format!("-{now}");
    let mut base = format!(
        "unstuck-backup-{}-{}",
        target.kind.to_ascii_lowercase(),
        target.name
    );
    base.truncate(253 - suffix.len());
    let base = base.trim_end_matches(['-', '.']);
    format!("{base}{suffix}")
}

/// A backup could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the backup of {object} to {location}")]
pub struct BackupError {
    /// The object.
    pub object: String,
    /// Where it was to be written.
    pub location: String,
    /// Why.
    #[source]
    pub source: std::io::Error,
}

/// Somewhere backups are kept before anything is written to the cluster.
pub trait BackupStore {
    /// Saves one backup; returns where it went.
    fn save(&mut self, backup: &crate::plan::Backup) -> Result<String, BackupError>;
}

/// The relative file of an object's backup: `<namespace>/<kind>-<name>.json`, cluster-scoped
/// objects under `_cluster/` (a namespace cannot be named so: `_` is not allowed in names).
///
/// ```
/// use recovery_actions::backup::backup_file;
/// use recovery_actions::object::ObjectId;
/// let id = ObjectId { kind: "ConfigMap".into(), namespace: Some("apps".into()), name: "web".into() };
/// assert_eq!(backup_file(&id), std::path::Path::new("apps/configmap-web.json"));
/// ```
pub fn backup_file(id: &crate::object::ObjectId) -> std::path::PathBuf {
    let dir = id.namespace.as_deref().unwrap_or("_cluster");
    std::path::Path::new(dir).join(format!("{}-{}.json", id.kind.to_ascii_lowercase(), id.name))
}

/// Backups as pretty JSON files under a directory ([`backup_file`]).
#[derive(Debug, Clone)]
pub struct DirStore {
    root: std::path::PathBuf,
}

impl DirStore {
    /// A store writing under `root` (created when the first backup is written).
    pub fn new(root: impl Into<std::path::PathBuf>) -> Self {
        DirStore { root: root.into() }
    }

    /// The directory.
    pub fn root(&self) -> &std::path::Path {
        &self.root
    }
}

impl BackupStore for DirStore {
    fn save(&mut self, backup: &crate::plan::Backup) -> Result<String, BackupError> {
        let path = self.root.join(backup_file(&backup.id));
        let fail = |source| BackupError {
            object: backup.id.to_string(),
            location: path.display().to_string(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(fail)?;
        }
        let mut body = serde_json::to_vec_pretty(&backup.object).unwrap_or_default();
        body.push(b'\n');
        std::fs::write(&path, body).map_err(fail)?;
        Ok(path.display().to_string())
    }
}

/// `restore`: for each backed-up object (its resource, the backup, and the live object of that
/// name if there is one), create what is missing. A live object is never overwritten.
pub fn restore(items: &[(kube::api::ApiResource, Value, Option<Value>)]) -> crate::plan::Decision {
    use crate::request::{resource_path, ApiRequest, Verb};
    let requests: Vec<ApiRequest> = items
        .iter()
        .filter(|(_, _, live)| live.is_none())
        .map(|(resource, backup, _)| {
            let namespace = backup
                .pointer("/metadata/namespace")
                .and_then(Value::as_str);
            ApiRequest::new(
                Verb::Post,
                resource_path(resource, namespace, None, None),
                Some(restorable(backup)),
            )
        })
        .collect();
    if requests.is_empty() {
        return crate::plan::Decision::NothingToDo(
            "every backed-up object exists; live objects are never overwritten".to_owned(),
        );
    }
    crate::plan::Decision::Act(crate::plan::Plan {
        backups: Vec::new(),
        requests,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flux::FluxKind;
    use serde_json::json;

    fn target() -> ObjectRef {
        ObjectRef {
            api_version: None,
            kind: "StatefulSet".into(),
            namespace: Some("db".into()),
            name: "pg".into(),
        }
    }

    #[test]
    fn backup_is_restorable_and_labelled() {
        let owner = ObjectState::from_json(
            FluxKind::Kustomization,
            &json!({"metadata": {"name": "apps", "namespace": "flux-system"}}),
        );
        let live = json!({
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "pg", "namespace": "db", "uid": "u", "resourceVersion": "7",
                         "managedFields": [{}], "labels": {"app": "pg"}},
            "spec": {"replicas": 1},
            "status": {"replicas": 1}
        });
        let secret =
            backup_secret(&owner, &target(), &live, "unstuck-system", 1_767_225_600).unwrap();
        assert_eq!(
            secret.metadata.name.as_deref(),
            Some("unstuck-backup-statefulset-pg-1767225600")
        );
        assert_eq!(secret.metadata.namespace.as_deref(), Some("unstuck-system"));
        assert_eq!(secret.type_.as_deref(), Some(BACKUP_SECRET_TYPE));
        let annotations = secret.metadata.annotations.unwrap();
        assert_eq!(annotations[BACKUP_OF], "StatefulSet/db/pg");
        assert_eq!(annotations[BACKUP_FOR], "Kustomization/flux-system/apps");
        let stored: Value = serde_json::from_slice(&secret.data.unwrap()[BACKUP_KEY].0).unwrap();
        assert_eq!(
            stored,
            json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
                   "metadata": {"name": "pg", "namespace": "db", "labels": {"app": "pg"}},
                   "spec": {"replicas": 1}})
        );
    }

    #[test]
    fn oversized_objects_are_not_backed_up() {
        let owner =
            ObjectState::from_json(FluxKind::Kustomization, &json!({"metadata": {"name": "a"}}));
        let live = json!({"data": {"big": "x".repeat(MAX_BACKUP_BYTES)}});
        assert!(backup_secret(&owner, &target(), &live, "ns", 0).is_none());
    }

    #[test]
    fn long_names_are_truncated() {
        let mut t = target();
        t.name = "n".repeat(300);
        let name = backup_name(&t, 1);
        assert!(name.len() <= 253);
        assert!(name.ends_with("-1"));
    }
}
