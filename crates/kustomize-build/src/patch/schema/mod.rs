//! Which lists a strategic-merge patch merges, and by which keys.
//!
//! kustomize (kyaml) looks up an object's type in the Kubernetes `OpenAPI` schema it embeds
//! (v1.21.2) by exact `apiVersion` and `kind`, walks field by field through `$ref`s, and merges a
//! list element by element only where the schema gives that list the `merge` patch strategy; the
//! merge keys are `x-kubernetes-list-map-keys` when present, else `x-kubernetes-patch-merge-key`,
//! and a `merge` list without keys is a set of primitives (`finalizers`). Every other list — all
//! lists of types the schema does not know, such as custom resources — is replaced whole.
//!
//! The built-in table (`builtin.table`) keeps only what changes a merge: the resource types, and
//! for each definition the fields through which a `merge` list can be reached. A test checks it
//! against the reference schema. A kustomization's `openapi` file replaces the built-in schema, as
//! in kustomize; [`Schema::from_openapi_text`] reads such a document.
//!
//! # Which schema a build uses
//!
//! kustomize keeps one schema for the whole build, set once: by the top kustomization's
//! `openapi` when it has one (`path` → [`Schema::from_openapi_text`], `version` →
//! [`Schema::builtin_version`]; both at once is an error, "builtin version and custom schema
//! provided, cannot use both"), otherwise by the first base or component, in accumulation order,
//! whose kustomization sets `openapi` (it is set before that base's own transformers run, and
//! stays for every later step, overlays included). Without any, the built-in schema applies.
//! Pass the chosen schema to the patch plugins with `with_schema`.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::value::Value;

/// A schema node: an object (with properties), an array (with items and a patch strategy), or a
/// reference to a named definition.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Node {
    reference: Option<String>,
    properties: HashMap<String, Node>,
    additional: Option<Box<Node>>,
    items: Option<Box<Node>>,
    is_array: bool,
    strategy: String,
    keys: Vec<String>,
}

impl Node {
    /// Whether the list this node describes merges element by element.
    pub(crate) fn merges(&self) -> bool {
        self.is_array && self.strategy.split(',').any(|s| s == "merge")
    }

    /// The merge keys of a merging list (empty for a list of primitives).
    pub(crate) fn keys(&self) -> &[String] {
        &self.keys
    }
}

/// The type information strategic merge consults: resource types and their field trees.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schema {
    resources: HashMap<(String, String), String>,
    definitions: HashMap<String, Node>,
}

/// Why a custom schema document could not be used.
#[derive(Debug, thiserror::Error)]
#[error("invalid OpenAPI schema: {reason}")]
pub struct SchemaError {
    reason: String,
}

const BUILTIN_TABLE: &str = include_str!("builtin.table");

impl Schema {
    /// The schema kustomize v5.5.0 embeds (Kubernetes v1.21.2), reduced to what merges need.
    pub fn builtin() -> &'static Schema {
        static BUILTIN: OnceLock<Schema> = OnceLock::new();
        BUILTIN.get_or_init(|| parse_table(BUILTIN_TABLE))
    }

    /// The built-in schema of a Kubernetes version, for a kustomization's
    /// `openapi: {version: …}`. kustomize v5.5.0 builds in only `v1.21.2`.
    pub fn builtin_version(version: &str) -> Result<&'static Schema, SchemaError> {
        if version == "v1.21.2" {
            Ok(Self::builtin())
        } else {
            Err(SchemaError {
                reason: format!("the specified OpenAPI version {version:?} is not built in"),
            })
        }
    }

    /// Read a schema file's text for a kustomization's `openapi: {path: …}`: JSON when it starts
    /// with `{`, YAML otherwise (as kustomize decides).
    pub fn from_openapi_text(text: &str) -> Result<Self, SchemaError> {
        let document: Value = if text.starts_with('{') {
            serde_json::from_str(text).map_err(|e| SchemaError {
                reason: e.to_string(),
            })?
        } else {
            crate::yaml::parse_documents(text)
                .map_err(|e| SchemaError {
                    reason: e.to_string(),
                })?
                .into_iter()
                .next()
                .unwrap_or(Value::Null)
        };
        Self::from_openapi(&document)
    }

    /// An empty schema: every list is replaced whole.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Read a Swagger/OpenAPI v2 document (`definitions` with `x-kubernetes-group-version-kind`,
    /// `properties`, `items`, `$ref`, `x-kubernetes-patch-strategy`,
    /// `x-kubernetes-patch-merge-key`, `x-kubernetes-list-map-keys`), as a kustomization's
    /// `openapi: {path: …}` file provides. kustomize uses such a file *instead of* the built-in
    /// schema.
    pub fn from_openapi(document: &Value) -> Result<Self, SchemaError> {
        let mut schema = Self::default();
        schema.add_openapi(document)?;
        Ok(schema)
    }

    /// Add the definitions of another `OpenAPI` document to this schema (later definitions win).
    pub fn add_openapi(&mut self, document: &Value) -> Result<(), SchemaError> {
        let Some(definitions) = document.get("definitions") else {
            return Ok(());
        };
        let definitions = definitions.as_object().ok_or_else(|| SchemaError {
            reason: "`definitions` is not a mapping".to_owned(),
        })?;
        for (name, definition) in definitions {
            self.definitions
                .insert(name.to_string(), node_from_openapi(definition));
            for gvk in definition
                .get("x-kubernetes-group-version-kind")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let text = |key: &str| gvk.get(key).and_then(Value::as_str).unwrap_or("");
                let api_version = if text("group").is_empty() {
                    text("version").to_owned()
                } else {
                    format!("{}/{}", text("group"), text("version"))
                };
                self.resources
                    .insert((api_version, text("kind").to_owned()), name.to_string());
            }
        }
        Ok(())
    }

    /// The schema of objects of `api_version`/`kind`, when the schema knows the type.
    pub(crate) fn resource(&self, api_version: &str, kind: &str) -> Option<&Node> {
        let name = self
            .resources
            .get(&(api_version.to_owned(), kind.to_owned()))?;
        self.definitions.get(name)
    }

    /// Whether the schema knows objects of `api_version`/`kind`.
    pub fn knows(&self, api_version: &str, kind: &str) -> bool {
        self.resource(api_version, kind).is_some()
    }

    /// The merge keys of the list at `path` (field names, `[]` for list elements) in objects of
    /// `api_version`/`kind`: `Some(keys)` for a list merged element by element (empty keys for
    /// a set of primitives), `None` for a list replaced whole or an unknown path.
    pub fn list_merge_keys(
        &self,
        api_version: &str,
        kind: &str,
        path: &[&str],
    ) -> Option<Vec<String>> {
        let mut node = self.resource(api_version, kind)?;
        for step in path {
            node = if *step == "[]" {
                self.elements(node)?
            } else {
                self.field(node, step)?
            };
        }
        node.merges().then(|| node.keys.clone())
    }

    fn resolve<'a>(&'a self, mut node: &'a Node) -> &'a Node {
        // Follow reference chains; a dangling reference leaves the node as is.
        for _ in 0..32 {
            match node
                .reference
                .as_ref()
                .and_then(|r| self.definitions.get(r))
            {
                Some(target) => node = target,
                None => break,
            }
        }
        node
    }

    /// The schema of field `name` of an object described by `node`.
    pub(crate) fn field<'a>(&'a self, node: &'a Node, name: &str) -> Option<&'a Node> {
        let object = self.resolve(node);
        object.properties.get(name).or(object.additional.as_deref())
    }

    /// The schema of the elements of a list described by `node`.
    pub(crate) fn elements<'a>(&'a self, node: &'a Node) -> Option<&'a Node> {
        let list = self.resolve(node);
        if !list.is_array {
            return None;
        }
        list.items.as_deref()
    }
}

fn node_from_openapi(value: &Value) -> Node {
    let text = |key: &str| value.get(key).and_then(Value::as_str).unwrap_or("");
    let mut node = Node {
        reference: value
            .get("$ref")
            .and_then(Value::as_str)
            .map(|r| r.rsplit('/').next().unwrap_or(r).to_owned()),
        is_array: text("type") == "array",
        strategy: text("x-kubernetes-patch-strategy").to_owned(),
        ..Node::default()
    };
    if let Some(properties) = value.get("properties").and_then(Value::as_object) {
        node.properties = properties
            .iter()
            .map(|(k, v)| (k.to_string(), node_from_openapi(v)))
            .collect();
    }
    if let Some(additional) = value.get("additionalProperties").filter(|v| v.is_object()) {
        node.additional = Some(Box::new(node_from_openapi(additional)));
    }
    if let Some(items) = value.get("items").filter(|v| v.is_object()) {
        node.items = Some(Box::new(node_from_openapi(items)));
    }
    if !node.strategy.is_empty() {
        let strings = |key: &str| -> Option<Vec<String>> {
            value.get(key).and_then(Value::as_array).map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
        };
        node.keys = strings("x-kubernetes-list-map-keys").unwrap_or_else(|| {
            let key = text("x-kubernetes-patch-merge-key");
            if key.is_empty() {
                Vec::new()
            } else {
                vec![key.to_owned()]
            }
        });
    }
    node
}

/// Definition names in the table drop the common `io.k8s.` prefix.
fn full_name(short: &str) -> String {
    format!("io.k8s.{short}")
}

/// Parse the compact table. Lines:
/// `@ APIVERSION KIND DEF` (a resource type),
/// `DEF FIELD [] STRATEGY KEYS ITEMDEF` (a list field; `-` for none),
/// `DEF FIELD * VALUEDEF` (a map whose values are `VALUEDEF`),
/// `DEF FIELD FIELDDEF` (an object field).
fn parse_table(table: &str) -> Schema {
    let mut schema = Schema::default();
    let dash = |s: &str| (s != "-").then(|| s.to_owned());
    for line in table.lines().filter(|l| !l.trim().is_empty()) {
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts.as_slice() {
            ["@", api_version, kind, definition] => {
                schema.resources.insert(
                    ((*api_version).to_owned(), (*kind).to_owned()),
                    full_name(definition),
                );
            }
            [definition, field, "[]", strategy, keys, items] => {
                let list = Node {
                    is_array: true,
                    strategy: dash(strategy).unwrap_or_default(),
                    keys: dash(keys)
                        .map(|k| k.split(',').map(str::to_owned).collect())
                        .unwrap_or_default(),
                    items: Some(Box::new(Node {
                        reference: dash(items).map(|i| full_name(&i)),
                        ..Node::default()
                    })),
                    ..Node::default()
                };
                definition_mut(&mut schema, definition)
                    .properties
                    .insert((*field).to_owned(), list);
            }
            [definition, field, "*", values] => {
                let map = Node {
                    additional: Some(Box::new(reference(values))),
                    ..Node::default()
                };
                definition_mut(&mut schema, definition)
                    .properties
                    .insert((*field).to_owned(), map);
            }
            [definition, field, target] => {
                definition_mut(&mut schema, definition)
                    .properties
                    .insert((*field).to_owned(), reference(target));
            }
            _ => debug_assert!(false, "malformed schema table line: {line}"),
        }
    }
    schema
}

fn reference(short: &str) -> Node {
    Node {
        reference: Some(full_name(short)),
        ..Node::default()
    }
}

fn definition_mut<'a>(schema: &'a mut Schema, short: &str) -> &'a mut Node {
    schema.definitions.entry(full_name(short)).or_default()
}

#[cfg(test)]
mod tests;
