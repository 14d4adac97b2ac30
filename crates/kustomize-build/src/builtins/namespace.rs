//! `namespace`: kustomize's `NamespaceTransformer`.
//!
//! Sets `metadata.namespace` on every namespaced object (cluster-scoped kinds are left alone), the
//! extra fields of the `namespace` field specs (a `v1` Namespace's own name, `APIService` and CRD
//! webhook service namespaces), and the namespace of RoleBinding/ClusterRoleBinding subjects:
//! subjects named `default` (`setRoleBindingSubjects: defaultOnly`, the default), every
//! `ServiceAccount` subject (`allServiceAccounts`) or none (`none`). With `unsetOnly: true` only
//! missing or empty namespaces are set.

use crate::value::{Map, Value};
use serde::{Deserialize, Serialize};

use std::collections::HashMap;

use super::tracking::{effective_namespace, is_empty_object, store_previous_id};
use crate::config::scope::is_cluster_scoped;
use crate::error::{BuildError, Result};
use crate::fieldspec::{apply, apply_all, node_kind, Create, FieldSpec, Gvk};
use crate::loader::Loader;
use crate::plugin::Transformer;
use crate::resmap::ResMap;

/// Object metadata as builtin plugin configs carry it (`metadata.name`, `metadata.namespace`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginMeta {
    /// `metadata.name`.
    #[serde(default)]
    pub name: String,
    /// `metadata.namespace`.
    #[serde(default)]
    pub namespace: String,
}

impl PluginMeta {
    /// Neither name nor namespace is set.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.name.is_empty() && self.namespace.is_empty()
    }
}

/// Which RoleBinding/ClusterRoleBinding subjects get the namespace.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoleBindingSubjects {
    /// Subjects named `default` (kustomize's default).
    #[default]
    #[serde(rename = "defaultOnly", alias = "")]
    DefaultOnly,
    /// Every subject of kind `ServiceAccount`.
    #[serde(rename = "allServiceAccounts")]
    AllServiceAccounts,
    /// No subject.
    #[serde(rename = "none")]
    None,
}

/// `NamespaceTransformer`: the namespace is `metadata.namespace` of the plugin config.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceTransformer {
    /// Carries the namespace to set.
    #[serde(default)]
    pub metadata: PluginMeta,
    /// Fields besides `metadata/namespace` to set (kustomize's `namespace` configuration).
    #[serde(default)]
    pub field_specs: Vec<FieldSpec>,
    /// Only set namespaces that are missing or empty.
    #[serde(default)]
    pub unset_only: bool,
    /// Which binding subjects get the namespace.
    #[serde(default)]
    pub set_role_binding_subjects: RoleBindingSubjects,
}

impl NamespaceTransformer {
    /// A transformer setting `namespace` with the given field specs.
    pub fn new(namespace: &str, field_specs: Vec<FieldSpec>) -> Self {
        Self {
            metadata: PluginMeta {
                name: String::new(),
                namespace: namespace.to_owned(),
            },
            field_specs,
            ..Self::default()
        }
    }
}

impl Transformer for NamespaceTransformer {
    fn transform(&self, resources: &mut ResMap, _loader: &Loader<'_>) -> Result<()> {
        let namespace = self.metadata.namespace.as_str();
        if namespace.is_empty() {
            return Ok(());
        }
        // kustomize checks after each object that its new id is unique among the current ids;
        // keep a count per id so the check stays linear.
        let mut counts: HashMap<IdKey, usize> = HashMap::new();
        for resource in resources.iter() {
            *counts.entry(IdKey::of(&resource.id())).or_default() += 1;
        }
        for resource in resources.iter_mut() {
            if is_empty_object(resource) {
                continue;
            }
            let before = IdKey::of(&resource.id());
            store_previous_id(resource);
            set_namespaces(self, namespace, resource.object_mut()).map_err(|e| match e {
                BuildError::FieldPath {
                    path,
                    object,
                    reason,
                } if reason.starts_with("wrong node kind") => BuildError::FieldPath {
                    path,
                    object,
                    reason: format!("namespace field specs must target scalar nodes: {reason}"),
                },
                other => other,
            })?;
            let id = resource.id();
            let after = IdKey::of(&id);
            if let Some(count) = counts.get_mut(&before) {
                *count -= 1;
            }
            let count = counts.entry(after).or_default();
            *count += 1;
            if *count != 1 {
                return Err(BuildError::Plugin {
                    plugin: "NamespaceTransformer",
                    reason: format!("namespace transformation produces ID conflict: {id}"),
                });
            }
        }
        Ok(())
    }
}

/// An id as kustomize compares ids: group, version, kind, name and effective namespace.
#[derive(Debug, PartialEq, Eq, Hash)]
struct IdKey([String; 5]);

impl IdKey {
    fn of(id: &crate::resource::ResId) -> Self {
        Self([
            id.group.clone(),
            id.version.clone(),
            id.kind.clone(),
            id.name.clone(),
            effective_namespace(id),
        ])
    }
}

fn set_namespaces(t: &NamespaceTransformer, namespace: &str, object: &mut Value) -> Result<()> {
    let gvk = Gvk::of(object);
    let api_version = gvk.api_version();
    let mut setter = |node: &mut Value| set_scalar(node, namespace, t.unset_only);
    if !is_cluster_scoped(&api_version, &gvk.kind) {
        apply(
            &FieldSpec::new("metadata/namespace").creating(),
            object,
            Create::Scalar,
            &mut setter,
        )?;
    }
    let is_binding = gvk.kind == "RoleBinding" || gvk.kind == "ClusterRoleBinding";
    // metadata/namespace is handled above; metadata/name only renames real v1 Namespaces;
    // binding subjects are handled by the subjects mode below.
    let specs: Vec<FieldSpec> = t
        .field_specs
        .iter()
        .filter(|s| s.path != "metadata/namespace")
        .filter(|s| api_version == "v1" || s.path != "metadata/name")
        .filter(|s| {
            !(is_binding
                && (s.kind == "RoleBinding" || s.kind == "ClusterRoleBinding")
                && s.path == "subjects/namespace")
        })
        .cloned()
        .collect();
    if is_binding {
        set_subjects(t, namespace, object)?;
    }
    apply_all(&specs, object, Create::Scalar, &mut setter)
}

fn set_subjects(t: &NamespaceTransformer, namespace: &str, object: &mut Value) -> Result<()> {
    let id = crate::resource::ResId::of(object);
    let Some(subjects) = object.get_mut("subjects") else {
        return Ok(());
    };
    let items = match subjects {
        Value::Null => return Ok(()),
        Value::Array(items) => items,
        other => {
            return Err(BuildError::Plugin {
                plugin: "NamespaceTransformer",
                reason: format!(
                    "setting namespace on (cluster)role binding subjects of {id}: wrong node kind: expected SequenceNode but got {}",
                    node_kind(other)
                ),
            })
        }
    };
    for subject in items {
        let Value::Object(map) = subject else {
            continue;
        };
        let wanted = match t.set_role_binding_subjects {
            RoleBindingSubjects::None => false,
            RoleBindingSubjects::DefaultOnly => {
                map.get("name").and_then(Value::as_str) == Some("default")
            }
            RoleBindingSubjects::AllServiceAccounts => {
                map.get("kind").and_then(Value::as_str) == Some("ServiceAccount")
            }
        };
        if wanted {
            set_subject_namespace(map, namespace, t.unset_only);
        }
    }
    Ok(())
}

fn set_subject_namespace(subject: &mut Map, namespace: &str, unset_only: bool) {
    let field = subject
        .entry("namespace")
        .or_insert_with(|| Value::String(String::new()));
    // A non-scalar namespace cannot be set; kustomize leaves such subjects alone too.
    let _ = set_scalar(field, namespace, unset_only);
}

fn set_scalar(
    node: &mut Value,
    namespace: &str,
    unset_only: bool,
) -> std::result::Result<(), String> {
    match node {
        Value::Object(_) | Value::Array(_) => Err(format!(
            "wrong node kind: expected ScalarNode but got {}",
            node_kind(node)
        )),
        Value::String(s) if unset_only && !s.is_empty() => Ok(()),
        Value::Number(_) | Value::Bool(_) if unset_only => Ok(()),
        _ => {
            *node = Value::String(namespace.to_owned());
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtins::test_support::{output, transform};
    use crate::config::TransformerConfig;
    use crate::json;

    fn run(t: &NamespaceTransformer, objects: Vec<Value>) -> Result<Vec<Value>> {
        transform(objects, &[t]).map(output)
    }

    fn binding() -> Value {
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "rb"},
        "subjects": [
            {"kind": "ServiceAccount", "name": "default"},
            {"kind": "ServiceAccount", "name": "app", "namespace": "other"},
            {"kind": "User", "name": "jane"}
        ]})
    }

    #[test]
    fn sets_namespaced_objects_and_renames_v1_namespaces() {
        let t = NamespaceTransformer::new("prod", TransformerConfig::default().namespace);
        let out = run(&t, vec![
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "old"}}),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "old"}}),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "cr"}}),
            json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}),
        ])
        .unwrap();
        assert_eq!(out[0]["metadata"]["namespace"], "prod");
        assert_eq!(out[1]["metadata"], json!({"name": "prod"}));
        assert_eq!(out[2]["metadata"], json!({"name": "cr"}));
        assert_eq!(out[3]["metadata"]["namespace"], "prod");
    }

    #[test]
    fn subjects_follow_the_configured_mode() {
        let mut t = NamespaceTransformer::new("prod", TransformerConfig::default().namespace);
        let out = run(&t, vec![binding()]).unwrap();
        let ns: Vec<Value> = out[0]["subjects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["namespace"].clone())
            .collect();
        assert_eq!(ns, [json!("prod"), json!("other"), Value::Null]);
        t.set_role_binding_subjects = RoleBindingSubjects::AllServiceAccounts;
        let out = run(&t, vec![binding()]).unwrap();
        let ns: Vec<Value> = out[0]["subjects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["namespace"].clone())
            .collect();
        assert_eq!(ns, [json!("prod"), json!("prod"), Value::Null]);
        t.set_role_binding_subjects = RoleBindingSubjects::None;
        let out = run(&t, vec![binding()]).unwrap();
        assert_eq!(out[0]["subjects"][0].get("namespace"), None);
    }

    #[test]
    fn unset_only_keeps_existing_namespaces() {
        let mut t = NamespaceTransformer::new("prod", Vec::new());
        t.unset_only = true;
        let out = run(&t, vec![
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "keep"}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}}),
        ])
        .unwrap();
        assert_eq!(out[0]["metadata"]["namespace"], "keep");
        assert_eq!(out[1]["metadata"]["namespace"], "prod");
    }

    #[test]
    fn parses_plugin_config_and_reports_id_conflicts() {
        let t: NamespaceTransformer = crate::value::from_value(json!({
            "apiVersion": "builtin", "kind": "NamespaceTransformer",
            "metadata": {"name": "ns", "namespace": "prod"},
            "setRoleBindingSubjects": "allServiceAccounts", "unsetOnly": false
        }))
        .unwrap();
        assert_eq!(
            t.set_role_binding_subjects,
            RoleBindingSubjects::AllServiceAccounts
        );
        let err = run(&t, vec![
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "x"}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "y"}}),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("ID conflict"));
        assert!(crate::value::from_value::<NamespaceTransformer>(
            json!({"setRoleBindingSubjects": "bogus"})
        )
        .is_err());
    }
}
