//! A built Kubernetes object and its identity.
//!
//! A [`Resource`] is the object as a JSON value (kustomize round-trips every object through
//! JSON, so key order and YAML styles do not survive a build; the emitter sorts keys). Bookkeeping
//! that must travel with an object between nested builds — previous names after a prefix, the
//! generator behaviour, whether a hash suffix is wanted — is kept, as kustomize keeps it, in
//! `internal.config.kubernetes.io/*` and `kustomize.config.k8s.io/*` annotations that the emitter
//! strips.

use std::fmt;

use crate::value::{Map, Value};
use serde::{Deserialize, Serialize};

/// The identity kustomize uses to tell objects apart: group, version, kind, namespace, name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ResId {
    /// API group, empty for the core group.
    pub group: String,
    /// API version within the group.
    pub version: String,
    /// Kind.
    pub kind: String,
    /// Namespace, empty when the object has none.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
}

impl ResId {
    /// The identity of `object`, read from `apiVersion`, `kind` and `metadata`.
    pub fn of(object: &Value) -> Self {
        let api_version = str_at(object, &["apiVersion"]);
        let (group, version) = match api_version.split_once('/') {
            Some((group, version)) => (group.to_owned(), version.to_owned()),
            None => (String::new(), api_version.to_owned()),
        };
        Self {
            group,
            version,
            kind: str_at(object, &["kind"]).to_owned(),
            namespace: scalar_text_at(object, &["metadata", "namespace"]),
            name: scalar_text_at(object, &["metadata", "name"]),
        }
    }

    /// `apiVersion` as written in a manifest (`group/version`, or `version` for the core group).
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

impl ResId {
    /// Whether the schema says objects of this group and kind live outside namespaces.
    pub fn is_cluster_scoped(&self) -> bool {
        !crate::selector::is_namespaceable(&self.api_version(), &self.kind)
    }

    /// kustomize's `EffectiveNamespace` (see [`crate::selector::effective_namespace`]).
    pub fn effective_namespace(&self) -> &str {
        crate::selector::effective_namespace(self)
    }

    /// kustomize's `ResId.Equals`: same group, version, kind and name, same effective namespace.
    pub fn same_as(&self, other: &ResId) -> bool {
        self.gvkn_equals(other) && self.effective_namespace() == other.effective_namespace()
    }

    /// Same group, version, kind and name, whatever the namespace.
    pub fn gvkn_equals(&self, other: &ResId) -> bool {
        self.name == other.name
            && self.kind == other.kind
            && self.group == other.group
            && self.version == other.version
    }
}

impl fmt::Display for ResId {
    /// kustomize's notation: `Kind.version.group/name.namespace` with `[noGrp]`/`[noNs]` gaps.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let group = if self.group.is_empty() {
            "[noGrp]"
        } else {
            &self.group
        };
        let namespace = if self.namespace.is_empty() {
            "[noNs]"
        } else {
            &self.namespace
        };
        write!(
            f,
            "{}.{}.{}/{}.{}",
            self.kind, self.version, group, self.name, namespace
        )
    }
}

/// One object of a build.
///
/// Cloning a resource is cheap: its object is a [`Value`], whose maps and lists are shared
/// until one of the clones changes them, and then only those on the changed path are copied.
/// A shared base's result is read by several kustomizations and kept for later ones; most of
/// what they leave unchanged (a CRD's schema, say) is held once rather than once per reader.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    object: Value,
}

impl Resource {
    /// Wrap an object. Callers make sure it is a mapping.
    pub fn new(object: Value) -> Self {
        Self { object }
    }

    /// The object as a JSON value.
    pub fn object(&self) -> &Value {
        &self.object
    }

    /// The object, for transformers; what they change is copied first where another clone
    /// shares it.
    pub fn object_mut(&mut self) -> &mut Value {
        &mut self.object
    }

    /// Unwrap into the object.
    pub fn into_object(self) -> Value {
        self.object
    }

    /// The current identity.
    pub fn id(&self) -> ResId {
        ResId::of(&self.object)
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        str_at(&self.object, &["metadata", "name"])
    }

    /// `metadata.namespace`, empty when unset.
    pub fn namespace(&self) -> &str {
        str_at(&self.object, &["metadata", "namespace"])
    }

    /// `kind`.
    pub fn kind(&self) -> &str {
        str_at(&self.object, &["kind"])
    }

    /// `metadata.annotations`, when present and a mapping.
    pub fn annotations(&self) -> Option<&Map> {
        self.object
            .pointer("/metadata/annotations")
            .and_then(Value::as_object)
    }

    /// `metadata.labels`, when present and a mapping.
    pub fn labels(&self) -> Option<&Map> {
        self.object
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
    }

    /// One annotation's value.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations()
            .and_then(|a| a.get(key))
            .and_then(Value::as_str)
    }

    /// Set an annotation, creating `metadata.annotations` when needed.
    pub fn set_annotation(&mut self, key: &str, value: &str) {
        let annotations = metadata_map(self.object_mut(), "annotations");
        annotations.insert(key.to_owned(), Value::String(value.to_owned()));
    }

    /// Remove an annotation; drops `metadata.annotations` when it becomes empty.
    pub fn remove_annotation(&mut self, key: &str) -> Option<Value> {
        // Only a change copies a shared object; removing from an empty map drops the map.
        let annotations = self.annotations()?;
        if !annotations.contains_key(key) && !annotations.is_empty() {
            return None;
        }
        let metadata = self.object_mut().get_mut("metadata")?.as_object_mut()?;
        let annotations = metadata.get_mut("annotations")?.as_object_mut()?;
        let removed = annotations.shift_remove(key);
        if annotations.is_empty() {
            metadata.shift_remove("annotations");
        }
        removed
    }

    /// The identities this object had before transformers renamed, re-kinded or moved it, oldest
    /// first, read from kustomize's `internal.config.kubernetes.io/previous*` annotations.
    pub fn prev_ids(&self) -> Vec<ResId> {
        crate::selector::previous_ids(self)
    }

    /// The identity the object was read or generated with (kustomize's `OrgId`).
    pub fn org_id(&self) -> ResId {
        self.prev_ids()
            .into_iter()
            .next()
            .unwrap_or_else(|| self.id())
    }

    /// Record the current name, namespace and kind as previous ones (kustomize's
    /// `StorePreviousId`), before a transformer changes them.
    pub fn store_previous_id(&mut self) {
        crate::builtins::tracking::store_previous_id(self);
    }

    /// Set `metadata.name`.
    pub fn set_name(&mut self, name: &str) {
        metadata(self.object_mut()).insert("name".to_owned(), Value::String(name.to_owned()));
    }

    /// Set `metadata.namespace`.
    pub fn set_namespace(&mut self, namespace: &str) {
        metadata(self.object_mut())
            .insert("namespace".to_owned(), Value::String(namespace.to_owned()));
    }
}

/// The string at `path` of nested mappings, or `""`.
/// The text of the scalar at `path`: a string as it is, a number or boolean as JSON writes it
/// (a finished build prints `name: 123` as a number, as kustomize does), empty otherwise.
fn scalar_text_at(value: &Value, path: &[&str]) -> String {
    let mut current = value;
    for key in path {
        match current.get(key) {
            Some(next) => current = next,
            None => return String::new(),
        }
    }
    match current {
        Value::String(text) => text.clone(),
        Value::Number(_) | Value::Bool(_) => current.to_string(),
        _ => String::new(),
    }
}

pub(crate) fn str_at<'a>(value: &'a Value, path: &[&str]) -> &'a str {
    let mut current = value;
    for key in path {
        match current.get(key) {
            Some(next) => current = next,
            None => return "",
        }
    }
    current.as_str().unwrap_or("")
}

fn metadata(object: &mut Value) -> &mut Map {
    let root = ensure_object(object);
    ensure_object(
        root.entry("metadata")
            .or_insert_with(|| Value::Object(Map::new())),
    )
}

fn metadata_map<'a>(object: &'a mut Value, key: &str) -> &'a mut Map {
    ensure_object(
        metadata(object)
            .entry(key)
            .or_insert_with(|| Value::Object(Map::new())),
    )
}

fn ensure_object(value: &mut Value) -> &mut Map {
    if !value.is_object() {
        *value = Value::Object(Map::new());
    }
    match value {
        Value::Object(map) => map,
        _ => unreachable!("just made an object"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn id_splits_group_and_version() {
        let id = ResId::of(&json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "prod"}}));
        assert_eq!((id.group.as_str(), id.version.as_str()), ("apps", "v1"));
        assert_eq!(id.to_string(), "Deployment.v1.apps/web.prod");
        let core =
            ResId::of(&json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}));
        assert_eq!(core.to_string(), "ConfigMap.v1.[noGrp]/c.[noNs]");
    }

    #[test]
    fn annotations_round_trip_and_empty_map_is_dropped() {
        let mut r = Resource::new(json!({"kind": "ConfigMap", "metadata": {"name": "c"}}));
        r.set_annotation("a", "1");
        assert_eq!(r.annotation("a"), Some("1"));
        assert_eq!(r.remove_annotation("a"), Some(Value::String("1".into())));
        assert_eq!(
            r.object(),
            &json!({"kind": "ConfigMap", "metadata": {"name": "c"}})
        );
    }
}
