//! Name references: after prefixes, suffixes, namespaces and hashes changed names, rewrite the
//! fields that refer to renamed objects (kustomize's name-reference transformer).
//!
//! For every object that may refer to another kind (its original kind is selected by a
//! `nameReference` field spec), each referring field is looked up. A scalar field holds a name; a
//! mapping (RBAC `subjects`, webhook `clientConfig.service`) holds `name` and maybe `namespace`;
//! a sequence holds either. The referred object is chosen as kustomize does: among objects the
//! referrer can see (same namespace, cluster-scoped, or a namespace a `RoleBinding` names for a
//! `ServiceAccount`), those that once had that name and the referred kind (and, for `roleRef`, the
//! `roleRef`'s group and kind), in the referrer's namespace, then the ones renamed by the same
//! prefixes and suffixes. One candidate (or several with the same new name) is the answer; several
//! different ones are an error; none leaves the field as it is.

use std::collections::BTreeSet;

use crate::value::Value;

use super::tracking::{
    effective_namespace, id_is_cluster_scoped, name_prefixes, name_suffixes, original_id,
    previous_ids, same_ending, NOT_NAMESPACEABLE,
};
use crate::config::{NameBackReferences, TransformerConfig};
use crate::error::{BuildError, Result};
use crate::fieldspec::{apply, node_kind, Create, FieldSpec, Gvk};
use crate::loader::Loader;
use crate::plugin::Transformer;
use crate::resmap::ResMap;
use crate::resource::{ResId, Resource};

/// The name-reference fixer, configured by the `nameReference` tables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameReferenceTransformer {
    /// Which kinds refer to which, and where.
    pub back_refs: Vec<NameBackReferences>,
}

impl NameReferenceTransformer {
    /// A transformer using a configuration's `nameReference` table.
    pub fn new(config: &TransformerConfig) -> Self {
        Self {
            back_refs: config.name_reference.clone(),
        }
    }
}

/// What the fixer needs to know about each object, read before any field changes.
#[derive(Debug, Clone)]
struct Candidate {
    current: ResId,
    /// Cached: whether the current kind is cluster-scoped, and the effective namespaces.
    cluster_scoped: bool,
    namespace: String,
    original_namespace: String,
    original: ResId,
    previous: Vec<ResId>,
    prefixes: Vec<String>,
    suffixes: Vec<String>,
}

impl Candidate {
    fn of(resource: &Resource) -> Self {
        let current = resource.id();
        let original = original_id(resource);
        Self {
            cluster_scoped: id_is_cluster_scoped(&current),
            namespace: effective_namespace(&current),
            original_namespace: effective_namespace(&original),
            current,
            original,
            previous: previous_ids(resource),
            prefixes: name_prefixes(resource),
            suffixes: name_suffixes(resource),
        }
    }

    fn affixes_match(&self, other: &Candidate, allow_empty: bool) -> bool {
        let prefixes = (allow_empty && (self.prefixes.is_empty() || other.prefixes.is_empty()))
            || same_ending(&self.prefixes, &other.prefixes);
        let suffixes = (allow_empty && (self.suffixes.is_empty() || other.suffixes.is_empty()))
            || same_ending(&self.suffixes, &other.suffixes);
        prefixes && suffixes
    }
}

impl Transformer for NameReferenceTransformer {
    fn transform(&self, resources: &mut ResMap, _loader: &Loader<'_>) -> Result<()> {
        let candidates: Vec<Candidate> = resources.iter().map(Candidate::of).collect();
        for (index, referrer) in candidates.iter().enumerate() {
            let original_gvk = Gvk::of_id(&referrer.original);
            let filters: Vec<(&FieldSpec, &Gvk)> = self
                .back_refs
                .iter()
                .flat_map(|back| back.referrers.iter().map(move |spec| (spec, &back.gvk)))
                .filter(|(spec, _)| spec.selects(&original_gvk))
                .collect();
            if filters.is_empty() {
                continue;
            }
            let object = resources.as_slice()[index].object();
            let visible = visible_to(referrer, object, &candidates)?;
            let role_ref = role_ref_gvk(object);
            // Fixed in place: only the maps on the paths a name changes on are copied, not a
            // whole referrer (a CRD, for its conversion webhook's Service).
            let updated = resources.as_mut_vec()[index].object_mut();
            for (spec, target) in filters {
                // Selection used the original kind; the walk must not re-check the current one.
                let walk_spec = FieldSpec {
                    group: String::new(),
                    version: String::new(),
                    kind: String::new(),
                    ..spec.clone()
                };
                let fixer = Fixer {
                    referrer,
                    target,
                    role_ref: if spec.path.ends_with("roleRef/name") {
                        role_ref.clone()
                    } else {
                        None
                    },
                    visible: &visible,
                    all: &candidates,
                };
                apply(
                    &walk_spec,
                    updated,
                    Create::Never,
                    &mut |node: &mut Value| fixer.set(node),
                )
                .map_err(|e| match e {
                    BuildError::FieldPath { reason, .. } => BuildError::Plugin {
                        plugin: "nameReference",
                        reason: format!(
                            "updating name reference in '{}' field of '{}': {reason}",
                            spec.path, referrer.current
                        ),
                    },
                    other => other,
                })?;
            }
        }
        Ok(())
    }
}

/// Indices of the objects `referrer` may refer to (kustomize's
/// `SubsetThatCouldBeReferencedByResource`).
fn visible_to(referrer: &Candidate, object: &Value, all: &[Candidate]) -> Result<Vec<usize>> {
    if referrer.cluster_scoped {
        return Ok((0..all.len()).collect());
    }
    let binding_namespaces = role_binding_namespaces(referrer, object)?;
    Ok(all
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            c.cluster_scoped
                || c.namespace == referrer.namespace
                || binding_namespaces.contains(c.current.namespace.as_str())
        })
        .map(|(i, _)| i)
        .collect())
}

/// Namespaces of `ServiceAccount` subjects of a `RoleBinding`.
fn role_binding_namespaces(referrer: &Candidate, object: &Value) -> Result<BTreeSet<String>> {
    let mut namespaces = BTreeSet::new();
    if referrer.current.kind != "RoleBinding" {
        return Ok(namespaces);
    }
    let Some(subjects) = object.get("subjects").and_then(Value::as_array) else {
        return Ok(namespaces);
    };
    for subject in subjects {
        let (Some(namespace), Some(kind)) = (subject.get("namespace"), subject.get("kind")) else {
            continue;
        };
        if kind.as_str() == Some("ServiceAccount") {
            match namespace.as_str() {
                Some(ns) => {
                    namespaces.insert(ns.to_owned());
                }
                None => {
                    return Err(BuildError::Plugin {
                        plugin: "nameReference",
                        reason: format!(
                            "Invalid Input: namespace is blank for resource {}",
                            referrer.current
                        ),
                    })
                }
            }
        }
    }
    Ok(namespaces)
}

/// The group and kind a `roleRef` points at, when it names both.
fn role_ref_gvk(object: &Value) -> Option<Gvk> {
    let role_ref = object.get("roleRef")?;
    let group = role_ref.get("apiGroup")?.as_str().unwrap_or("");
    let kind = role_ref.get("kind")?.as_str().unwrap_or("");
    Some(Gvk::new(group, "", kind))
}

struct Fixer<'a> {
    referrer: &'a Candidate,
    target: &'a Gvk,
    role_ref: Option<Gvk>,
    visible: &'a [usize],
    all: &'a [Candidate],
}

impl Fixer<'_> {
    fn set(&self, node: &mut Value) -> std::result::Result<(), String> {
        match node {
            Value::Null => Ok(()),
            Value::Object(_) => self.set_mapping(node),
            Value::Array(items) => {
                for item in items {
                    match item {
                        Value::Null => {}
                        Value::Object(_) => self.set_mapping(item)?,
                        Value::Array(_) => {
                            return Err(format!(
                                "{item} is expected to be either a string or a map of string"
                            ))
                        }
                        _ => self.set_scalar(item)?,
                    }
                }
                Ok(())
            }
            _ => self.set_scalar(node),
        }
    }

    fn set_scalar(&self, node: &mut Value) -> std::result::Result<(), String> {
        // kyaml compares the scalar's text, so `name: 42` refers to the object named `42`.
        let old = match &*node {
            Value::String(text) => text.clone(),
            Value::Number(_) | Value::Bool(_) => node.to_string(),
            _ => return Ok(()),
        };
        let old = old.as_str();
        let chosen = self.select(old, self.visible.to_vec(), false)?;
        if let Some(index) = chosen {
            let new = &self.all[index].current.name;
            if new != old {
                *node = Value::String(new.clone());
            }
        }
        Ok(())
    }

    fn set_mapping(&self, node: &mut Value) -> std::result::Result<(), String> {
        let Value::Object(map) = node else {
            return Err(format!("expect a mapping node, got {}", node_kind(node)));
        };
        let Some(name) = map.get("name") else {
            return Err("path config error; no 'name' field in node".to_owned());
        };
        let old = match name {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        let pool = match map.get("namespace") {
            None => self.visible.to_vec(),
            Some(ns) => {
                let ns = ns.as_str().unwrap_or("");
                let by = |namespace_of: fn(&Candidate) -> &str| -> Vec<usize> {
                    self.visible
                        .iter()
                        .copied()
                        .filter(|i| {
                            let effective = namespace_of(&self.all[*i]);
                            effective != NOT_NAMESPACEABLE && effective == ns
                        })
                        .collect()
                };
                let by_original = by(|c| &c.original_namespace);
                if by_original.is_empty() {
                    by(|c| &c.namespace)
                } else {
                    by_original
                }
            }
        };
        let Some(index) = self.select(&old, pool, true)? else {
            return Ok(());
        };
        let referral = &self.all[index].current;
        if referral.name == old && referral.namespace.is_empty() {
            return Ok(());
        }
        map.insert("name", Value::String(referral.name.clone()));
        if !referral.namespace.is_empty() {
            map.insert("namespace", Value::String(referral.namespace.clone()));
        }
        Ok(())
    }

    /// kustomize's `selectReferral`.
    fn select(
        &self,
        old: &str,
        pool: Vec<usize>,
        with_namespace: bool,
    ) -> std::result::Result<Option<usize>, String> {
        let referrer_cluster_scoped = self.referrer.cluster_scoped;
        let mut pool: Vec<usize> = pool
            .into_iter()
            .filter(|i| {
                let c = &self.all[*i];
                c.previous.iter().any(|id| id.name == old)
                    && c.previous
                        .iter()
                        .any(|id| Gvk::of_id(id).is_selected_by(self.target))
                    && self.role_ref.as_ref().is_none_or(|role_ref| {
                        c.previous
                            .iter()
                            .any(|id| Gvk::of_id(id).is_selected_by(role_ref))
                    })
                    && (referrer_cluster_scoped
                        || c.cluster_scoped
                        || c.current.kind == "ServiceAccount"
                        || c.namespace == self.referrer.namespace)
            })
            .collect();
        if pool.len() == 1 {
            return Ok(pool.pop());
        }
        pool.retain(|i| self.all[*i].affixes_match(self.referrer, true));
        if pool.len() > 1 {
            pool.retain(|i| self.all[*i].affixes_match(self.referrer, false));
        }
        match pool.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            [first, rest @ ..] => {
                let same = |i: &usize| {
                    let (a, b) = (&self.all[*first].current, &self.all[*i].current);
                    a.name == b.name && (!with_namespace || a.namespace == b.namespace)
                };
                if rest.iter().all(same) {
                    Ok(Some(*first))
                } else {
                    let ids: Vec<String> = pool
                        .iter()
                        .map(|i| self.all[*i].current.to_string())
                        .collect();
                    Err(format!(
                        "found multiple possible referrals: {}",
                        ids.join(", ")
                    ))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtins::test_support::{output, transform};
    use crate::builtins::{NamespaceTransformer, PrefixTransformer, SuffixTransformer};
    use crate::fs::MemFs;
    use crate::json;
    use crate::loader::LoadRestrictions;
    use std::path::Path;

    fn build(objects: Vec<Value>, steps: &[&dyn Transformer]) -> Vec<Value> {
        let name_references = NameReferenceTransformer::new(&TransformerConfig::default());
        let steps: Vec<&dyn Transformer> = steps
            .iter()
            .copied()
            .chain([&name_references as &dyn Transformer])
            .collect();
        output(transform(objects, &steps).unwrap())
    }

    fn prefix(p: &str) -> PrefixTransformer {
        PrefixTransformer {
            prefix: p.into(),
            field_specs: Some(vec![FieldSpec::new("metadata/name")]),
        }
    }

    #[test]
    fn workload_references_follow_renamed_config_maps_and_secrets() {
        let out = build(
            vec![
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}}),
                json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "sec"}}),
                json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                "spec": {"template": {"spec": {
                    "volumes": [{"name": "v", "configMap": {"name": "cfg"}}, {"name": "s", "secret": {"secretName": "sec"}}],
                    "containers": [{"name": "c", "envFrom": [{"configMapRef": {"name": "cfg"}}, {"secretRef": {"name": "other"}}]}]
                }}}}),
            ],
            &[&prefix("p-")],
        );
        let spec = &out[2]["spec"]["template"]["spec"];
        assert_eq!(spec["volumes"][0]["configMap"]["name"], "p-cfg");
        assert_eq!(spec["volumes"][1]["secret"]["secretName"], "p-sec");
        assert_eq!(
            spec["containers"][0]["envFrom"][0]["configMapRef"]["name"],
            "p-cfg"
        );
        assert_eq!(
            spec["containers"][0]["envFrom"][1]["secretRef"]["name"],
            "other"
        );
    }

    #[test]
    fn role_binding_subjects_get_new_names_and_namespaces() {
        let ns = NamespaceTransformer::new("prod", TransformerConfig::default().namespace);
        let suffix = SuffixTransformer {
            suffix: "-s".into(),
            field_specs: Some(vec![FieldSpec::new("metadata/name")]),
        };
        let out = build(
            vec![
                json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "sa"}}),
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "cr"}}),
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "crb"},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cr"},
                    "subjects": [{"kind": "ServiceAccount", "name": "sa", "namespace": "default"}]}),
            ],
            &[&ns, &suffix],
        );
        assert_eq!(out[2]["roleRef"]["name"], "cr-s");
        assert_eq!(
            out[2]["subjects"][0],
            json!({"kind": "ServiceAccount", "name": "sa-s", "namespace": "prod"})
        );
    }

    #[test]
    fn objects_in_other_namespaces_are_not_referenced() {
        let mut other = Resource::new(
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "b"}}),
        );
        crate::builtins::tracking::store_previous_id(&mut other);
        other.set_name("cfg-x");
        let fs = MemFs::new();
        let loader = Loader::new(&fs, Path::new("/"), LoadRestrictions::RootOnly);
        let mut map: ResMap = vec![
            other,
            Resource::new(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "a"},
                "spec": {"volumes": [{"configMap": {"name": "cfg"}}]}})),
        ]
        .into();
        NameReferenceTransformer::new(&TransformerConfig::default())
            .transform(&mut map, &loader)
            .unwrap();
        assert_eq!(
            map.as_slice()[1].object()["spec"]["volumes"][0]["configMap"]["name"],
            "cfg"
        );
    }
}
