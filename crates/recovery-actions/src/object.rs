//! Reading the facts recovery needs from any live object, whatever its kind.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

/// Which object: kind, namespace (absent for cluster-scoped objects) and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ObjectId {
    /// Kind, e.g. `ConfigMap`.
    pub kind: String,
    /// Namespace.
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
}

impl ObjectId {
    /// The id of a live object (`kind`, `metadata.namespace`, `metadata.name`).
    pub fn of(object: &Value) -> Self {
        ObjectId {
            kind: text(object, "/kind").unwrap_or("Object").to_owned(),
            namespace: text(object, "/metadata/namespace").map(str::to_owned),
            name: text(object, "/metadata/name")
                .unwrap_or_default()
                .to_owned(),
        }
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{}/{}", self.kind, ns, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

/// A non-empty string at a JSON pointer.
pub fn text<'a>(object: &'a Value, pointer: &str) -> Option<&'a str> {
    object
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// `metadata.deletionTimestamp`: set once a delete was accepted and finalizers hold the object.
pub fn deletion_timestamp(object: &Value) -> Option<&str> {
    text(object, "/metadata/deletionTimestamp")
}

/// `metadata.finalizers`.
pub fn finalizers(object: &Value) -> Vec<String> {
    strings(object, "/metadata/finalizers")
}

/// The strings of an array at a JSON pointer.
pub fn strings(object: &Value, pointer: &str) -> Vec<String> {
    object
        .pointer(pointer)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the object is being deleted and finalizers still hold it: the one state in which
/// removing finalizers is a recovery rather than a bypass of a normal delete.
pub fn is_held_terminating(object: &Value) -> bool {
    deletion_timestamp(object).is_some() && !finalizers(object).is_empty()
}
