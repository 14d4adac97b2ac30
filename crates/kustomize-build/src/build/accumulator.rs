//! kustomize's `ResAccumulator`: the objects of a kustomization so far, with the rules to add more
//! (identity clashes are errors) and to absorb generated objects (`behavior: create|merge|replace`).

use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::HashSet;

use crate::build::origin::ORIGIN_ANNOTATION;
use crate::config::TransformerConfig;
use crate::error::{BuildError, Result};
use crate::resmap::ResMap;
use crate::resource::{ResId, Resource};
use crate::vars::VarSet;

/// kustomize's annotation carrying a generated object's `behavior`.
pub(crate) const BEHAVIOR_ANNOTATION: &str = "internal.config.kubernetes.io/generatorBehavior";

/// kustomize's annotation asking for a content-hash suffix on a generated name.
const NEEDS_HASH_SUFFIX: &str = "internal.config.kubernetes.io/needsHashSuffix";

/// The annotations kustomize uses for bookkeeping and strips from the output.
pub(crate) const BUILD_ANNOTATIONS: &[&str] = &[
    "internal.config.kubernetes.io/previousKinds",
    "internal.config.kubernetes.io/previousNames",
    "internal.config.kubernetes.io/prefixes",
    "internal.config.kubernetes.io/suffixes",
    "internal.config.kubernetes.io/previousNamespaces",
    "internal.config.kubernetes.io/allowNameChange",
    "internal.config.kubernetes.io/allowKindChange",
    "internal.config.kubernetes.io/refBy",
    BEHAVIOR_ANNOTATION,
    NEEDS_HASH_SUFFIX,
    "internal.config.kubernetes.io/path",
    "config.kubernetes.io/path",
    "internal.config.kubernetes.io/index",
    "config.kubernetes.io/index",
    "internal.config.kubernetes.io/seqindent",
    "internal.config.kubernetes.io/id",
    "config.k8s.io/id",
    "internal.config.kubernetes.io/annotations-migration-resource-id",
];

/// The objects of one kustomization (and everything below it) being built, with the field specs
/// and vars collected on the way (kustomize's `ResAccumulator`).
#[derive(Debug, Clone)]
pub(crate) struct Accumulator {
    pub(crate) resources: ResMap,
    /// Field specs: the builtin ones plus every `configurations:` file met so far. Borrowed
    /// until a merge changes it, so most kustomizations never copy the builtin tables.
    pub(crate) config: Cow<'static, TransformerConfig>,
    /// Legacy `vars` declared so far.
    pub(crate) vars: VarSet,
}

/// The id with its namespace replaced by the effective one: two ids are
/// [`ResId::same_as`] each other exactly when their keys are equal.
fn identity_key(mut id: ResId) -> ResId {
    let effective = id.effective_namespace();
    if effective != id.namespace {
        id.namespace = effective.to_owned();
    }
    id
}

impl Default for Accumulator {
    fn default() -> Self {
        Self {
            resources: ResMap::default(),
            config: Cow::Borrowed(TransformerConfig::builtin()),
            vars: VarSet::default(),
        }
    }
}

impl Accumulator {
    /// Merge field specs into [`Accumulator::config`], copying the builtin tables only when the
    /// merge can change them.
    pub(crate) fn merge_config(&mut self, other: &TransformerConfig) -> Result<()> {
        if other.is_empty() || *other == *self.config {
            return Ok(());
        }
        self.config.to_mut().merge(other)
    }

    /// Add an object; fail when one with the same identity is already there.
    pub(crate) fn append(&mut self, resource: Resource) -> Result<()> {
        let id = resource.id();
        if self.resources.iter().any(|r| r.id().same_as(&id)) {
            return Err(BuildError::DuplicateId { id: id.to_string() });
        }
        self.resources.push(resource);
        Ok(())
    }

    /// Add objects in order, failing on the first identity clash. Identities are hashed once,
    /// not compared pairwise: a cluster kustomization appends thousands of objects.
    pub(crate) fn append_all(
        &mut self,
        resources: impl IntoIterator<Item = Resource>,
    ) -> Result<()> {
        let mut seen: HashSet<ResId> = self
            .resources
            .iter()
            .map(|r| identity_key(r.id()))
            .collect();
        for resource in resources {
            let id = resource.id();
            if !seen.insert(identity_key(id.clone())) {
                return Err(BuildError::DuplicateId { id: id.to_string() });
            }
            self.resources.push(resource);
        }
        Ok(())
    }

    /// Take everything another accumulator holds (a nested kustomization's result).
    pub(crate) fn merge(&mut self, other: Accumulator) -> Result<()> {
        self.append_all(other.resources)?;
        self.merge_config(&other.config)?;
        self.vars.merge_set(&other.vars)?;
        Ok(())
    }

    /// kustomize's `AbsorbAll`: add generated objects, merging into or replacing an existing
    /// object of the same identity as their `behavior` asks.
    pub(crate) fn absorb_all(&mut self, generated: Vec<Resource>) -> Result<()> {
        generated.into_iter().try_for_each(|r| self.absorb(r))
    }

    fn absorb(&mut self, mut resource: Resource) -> Result<()> {
        let id = resource.id();
        let behavior = resource
            .annotation(BEHAVIOR_ANNOTATION)
            .unwrap_or("")
            .to_owned();
        let matches: Vec<usize> = self
            .resources
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.prev_ids()
                    .iter()
                    .chain(std::iter::once(&r.id()))
                    .any(|other| id.same_as(other))
            })
            .map(|(i, _)| i)
            .collect();
        match matches.as_slice() {
            [] => {
                if behavior == "merge" || behavior == "replace" {
                    return Err(BuildError::Behavior {
                        message: format!(
                            "id {} does not exist; cannot merge or replace",
                            go_id(&id)
                        ),
                    });
                }
                self.append(resource)
            }
            [index] => {
                let old = &self.resources.as_slice()[*index];
                match behavior.as_str() {
                    "replace" => copy_merge_metadata(&mut resource, old),
                    "merge" => {
                        let origin = old.annotation(ORIGIN_ANNOTATION).map(str::to_owned);
                        copy_merge_metadata(&mut resource, old);
                        merge_map_field(&mut resource, old, "data");
                        merge_map_field(&mut resource, old, "binaryData");
                        if let Some(origin) = origin {
                            resource.set_annotation(ORIGIN_ANNOTATION, &origin);
                        }
                    }
                    _ => {
                        return Err(BuildError::Behavior {
                            message: format!(
                                "id {} exists; behavior must be merge or replace",
                                go_id(&id)
                            ),
                        })
                    }
                }
                self.resources.as_mut_vec()[*index] = resource;
                Ok(())
            }
            _ => Err(BuildError::Behavior {
                message: format!(
                    "found multiple objects that could accept merge of {}",
                    go_id(&id)
                ),
            }),
        }
    }
}

/// kustomize prints ids in these messages with Go's `%#v`.
fn go_id(id: &ResId) -> String {
    format!(
        "resid.ResId{{Gvk:resid.Gvk{{Group:{:?}, Version:{:?}, Kind:{:?}, isClusterScoped:{}}}, Name:{:?}, Namespace:{:?}}}",
        id.group,
        id.version,
        id.kind,
        id.is_cluster_scoped(),
        id.name,
        id.namespace
    )
}

/// kustomize's `CopyMergeMetaDataFieldsFrom`: labels and annotations merged (the new object
/// wins, bookkeeping annotations come from the old one), name and namespace taken from the old.
fn copy_merge_metadata(resource: &mut Resource, old: &Resource) {
    let mut labels = old.labels().cloned().unwrap_or_default();
    for (k, v) in resource.labels().cloned().unwrap_or_default() {
        labels.insert(k, v);
    }
    let mut annotations = old.annotations().cloned().unwrap_or_default();
    for (k, v) in resource.annotations().cloned().unwrap_or_default() {
        annotations.insert(k, v);
    }
    // Bookkeeping comes from the old object, except that a hash suffix needs both to ask for
    // it: a plain object merged into keeps its name, and an overlay may turn the hash off.
    let wants_hash = resource.annotation(NEEDS_HASH_SUFFIX).is_some();
    for key in BUILD_ANNOTATIONS {
        if *key == NEEDS_HASH_SUFFIX && !wants_hash {
            annotations.shift_remove(*key);
            continue;
        }
        match old.annotation(key) {
            Some(v) => {
                annotations.insert((*key).to_owned(), Value::String(v.to_owned()));
            }
            None => {
                annotations.shift_remove(*key);
            }
        }
    }
    set_metadata_map(resource, "labels", labels);
    set_metadata_map(resource, "annotations", annotations);
    set_metadata_string(resource, "name", old.name());
    set_metadata_string(resource, "namespace", old.namespace());
}

fn set_metadata_map(resource: &mut Resource, key: &str, map: Map<String, Value>) {
    let Some(metadata) = resource
        .object_mut()
        .get_mut("metadata")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    if map.is_empty() {
        metadata.shift_remove(key);
    } else {
        metadata.insert(key.to_owned(), Value::Object(map));
    }
}

fn set_metadata_string(resource: &mut Resource, key: &str, value: &str) {
    if value.is_empty() {
        if let Some(metadata) = resource
            .object_mut()
            .get_mut("metadata")
            .and_then(Value::as_object_mut)
        {
            metadata.shift_remove(key);
        }
    } else if key == "name" {
        resource.set_name(value);
    } else {
        resource.set_namespace(value);
    }
}

/// kustomize's `MergeDataMapFrom`: the old object's entries, overridden by the new one's.
fn merge_map_field(resource: &mut Resource, old: &Resource, field: &str) {
    let mut merged = old
        .object()
        .get(field)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some(new) = resource.object().get(field).and_then(Value::as_object) {
        for (k, v) in new {
            merged.insert(k.clone(), v.clone());
        }
    }
    if let Some(object) = resource.object_mut().as_object_mut() {
        if merged.is_empty() {
            object.shift_remove(field);
        } else {
            object.insert(field.to_owned(), Value::Object(merged));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cm(name: &str, behavior: &str, data: &Value) -> Resource {
        let mut r = Resource::new(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name}, "data": data.clone()}));
        if !behavior.is_empty() {
            r.set_annotation(BEHAVIOR_ANNOTATION, behavior);
        }
        r
    }

    #[test]
    fn duplicate_ids_are_refused_with_kustomize_wording() {
        let mut acc = Accumulator::default();
        acc.append(cm("a", "", &json!({}))).unwrap();
        let mut other_ns = cm("a", "", &json!({}));
        other_ns.set_namespace("default");
        assert_eq!(
            acc.append(other_ns).unwrap_err().to_string(),
            "may not add resource with an already registered id: ConfigMap.v1.[noGrp]/a.default"
        );
    }

    #[test]
    fn merge_keeps_old_entries_and_replace_drops_them() {
        let mut acc = Accumulator::default();
        acc.append(cm("a", "", &json!({"x": "1", "y": "1"})))
            .unwrap();
        acc.absorb_all(vec![cm("a", "merge", &json!({"y": "2"}))])
            .unwrap();
        assert_eq!(
            acc.resources.as_slice()[0].object()["data"],
            json!({"x": "1", "y": "2"})
        );
        acc.absorb_all(vec![cm("a", "replace", &json!({"z": "3"}))])
            .unwrap();
        assert_eq!(
            acc.resources.as_slice()[0].object()["data"],
            json!({"z": "3"})
        );
        assert!(acc.absorb_all(vec![cm("a", "create", &json!({}))]).is_err());
        assert!(acc.absorb_all(vec![cm("b", "merge", &json!({}))]).is_err());
    }
}
