//! What `ConfigMap` and Secret generators share: options, the object skeleton, base64 layout,
//! and how generated objects join the build (`behavior: create|merge|replace`).

use crate::value::{Map, Value};
use base64::Engine as _;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::kv::{KvSources, Pair};
use super::namespace::PluginMeta;
use super::tracking::{
    behavior, BUILD_ANNOTATIONS, ENABLED, GENERATOR_BEHAVIOR, NEEDS_HASH_SUFFIX,
};
use crate::error::{BuildError, Result};
use crate::kustomization_target::origin::ORIGIN_ANNOTATION;
use crate::loader::Loader;
use crate::resmap::ResMap;
use crate::resource::{ResId, Resource};

/// Options of one generator, or of all (`generatorOptions`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GeneratorOptions {
    /// Labels to add to the generated object.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub labels: IndexMap<String, String>,
    /// Annotations to add to the generated object.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub annotations: IndexMap<String, String>,
    /// Do not append the content hash to the name.
    #[serde(default)]
    pub disable_name_suffix_hash: bool,
    /// Mark the object `immutable: true`.
    #[serde(default)]
    pub immutable: bool,
}

impl GeneratorOptions {
    /// Fold kustomization-wide `generatorOptions` into a generator's own options: the
    /// generator's labels and annotations win, the flags are or-ed (kustomize's
    /// `MergeGlobalOptionsIntoLocal`).
    pub fn with_global(
        local: Option<&GeneratorOptions>,
        global: Option<&GeneratorOptions>,
    ) -> Option<GeneratorOptions> {
        let Some(global) = global else {
            return local.cloned();
        };
        let mut merged = local.cloned().unwrap_or_default();
        for (k, v) in &global.labels {
            merged.labels.entry(k.clone()).or_insert_with(|| v.clone());
        }
        for (k, v) in &global.annotations {
            merged
                .annotations
                .entry(k.clone())
                .or_insert_with(|| v.clone());
        }
        merged.disable_name_suffix_hash |= global.disable_name_suffix_hash;
        merged.immutable |= global.immutable;
        Some(merged)
    }
}

/// What every `ConfigMap` and Secret generator entry carries (kustomize's `GeneratorArgs`): the
/// object's name and namespace, how it joins the build, where its keys come from, and options.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GeneratorArgs {
    /// In the plugin form, `metadata.name`/`metadata.namespace` stand in for `name`/`namespace`.
    #[serde(default, skip_serializing_if = "PluginMeta::is_empty")]
    pub metadata: PluginMeta,
    /// The object's name (before prefixes, suffixes and hash).
    #[serde(default)]
    pub name: String,
    /// Its namespace, if any.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// `create` (default), `merge` or `replace`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub behavior: String,
    /// Where the keys and values come from.
    #[serde(flatten)]
    pub sources: KvSources,
    /// Labels, annotations, hash and immutability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<GeneratorOptions>,
}

impl GeneratorArgs {
    /// Fold kustomization-wide `generatorOptions` into this generator's options.
    pub fn apply_global_options(&mut self, global: Option<&GeneratorOptions>) {
        self.options = GeneratorOptions::with_global(self.options.as_ref(), global);
    }

    /// The object's skeleton (`kind` is `ConfigMap` or `Secret`) and its key/value pairs, sorted
    /// by key as kustomize writes them.
    pub(super) fn load(&self, kind: &str, loader: &Loader<'_>) -> Result<(Map, Vec<Pair>)> {
        let or_meta = |own: &'_ str, meta: &'_ str| -> String {
            if own.is_empty() { meta } else { own }.to_owned()
        };
        let name = or_meta(&self.name, &self.metadata.name);
        let namespace = or_meta(&self.namespace, &self.metadata.namespace);
        let object = skeleton(kind, &name, &namespace)?;
        let mut pairs = self.sources.load(loader, plugin_kind(kind), &name)?;
        pairs.sort_by(|a, b| a.key.cmp(&b.key));
        Ok((object, pairs))
    }

    /// The finished object: options and build annotations applied.
    pub(super) fn finish(&self, object: Map) -> Resource {
        finish(object, self.options.as_ref(), &self.behavior)
    }
}

/// The generator plugin that makes objects of `kind`.
fn plugin_kind(kind: &str) -> &'static str {
    if kind == "Secret" {
        "SecretGenerator"
    } else {
        "ConfigMapGenerator"
    }
}

/// The generator behavior as kustomize records it (`create`, `merge`, `replace`, else
/// `unspecified`).
pub(super) fn behavior_name(behavior: &str) -> &'static str {
    match behavior {
        "create" => "create",
        "merge" => "merge",
        "replace" => "replace",
        _ => "unspecified",
    }
}

/// `apiVersion: v1`, `kind`, `metadata.name` (required) and `metadata.namespace` (when set).
fn skeleton(kind: &str, name: &str, namespace: &str) -> Result<Map> {
    if name.is_empty() {
        return Err(BuildError::Plugin {
            plugin: plugin_kind(kind),
            reason: "a configmap must have a name".to_owned(),
        });
    }
    let mut metadata = Map::new();
    metadata.insert("name", Value::String(name.to_owned()));
    if !namespace.is_empty() {
        metadata.insert("namespace", Value::String(namespace.to_owned()));
    }
    let mut object = Map::new();
    object.insert("apiVersion", Value::String("v1".into()));
    object.insert("kind", Value::String(kind.to_owned()));
    object.insert("metadata", Value::Object(metadata));
    Ok(object)
}

/// Add option labels, annotations and `immutable`, then the build annotations for hashing and
/// behavior, and wrap the object.
fn finish(mut object: Map, options: Option<&GeneratorOptions>, behavior: &str) -> Resource {
    if let Some(options) = options {
        let metadata = object
            .get_mut("metadata")
            .and_then(Value::as_object_mut)
            .expect("skeleton has metadata");
        for (field, entries) in [
            ("labels", &options.labels),
            ("annotations", &options.annotations),
        ] {
            if entries.is_empty() {
                continue;
            }
            let map = metadata
                .entry(field)
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .expect("just made a map");
            for (k, v) in entries {
                map.insert(k.clone(), Value::String(v.clone()));
            }
        }
        if options.immutable {
            object.insert("immutable", Value::Bool(true));
        }
    }
    let mut resource = Resource::new(Value::Object(object));
    if !options.is_some_and(|o| o.disable_name_suffix_hash) {
        resource.set_annotation(NEEDS_HASH_SUFFIX, ENABLED);
    }
    resource.set_annotation(GENERATOR_BEHAVIOR, behavior_name(behavior));
    resource
}

/// Base64 as kustomize writes generated values: lines of 70 characters, each ended by a newline
/// once the text is 70 characters or longer.
pub(super) fn encode_base64(bytes: &[u8]) -> String {
    const LINE: usize = 70;
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    if encoded.len() < LINE {
        return encoded;
    }
    let mut out = String::with_capacity(encoded.len() + encoded.len() / LINE + 1);
    for chunk in encoded.as_bytes().chunks(LINE) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push('\n');
    }
    out
}

/// Add generated objects to the build (kustomize's `AbsorbAll`), honouring each one's behavior:
/// `create` (or none) needs a new id; `merge` folds data, labels and annotations into the existing
/// object of that id (matched by any of its current or previous ids); `replace` swaps the content
/// but keeps the existing name, namespace, labels and annotations underneath.
pub fn absorb(resources: &mut ResMap, generated: Vec<Resource>) -> Result<()> {
    generated
        .into_iter()
        .try_for_each(|r| absorb_one(resources, r))
}

fn absorb_one(resources: &mut ResMap, mut resource: Resource) -> Result<()> {
    let id = resource.id();
    let behavior = behavior(&resource).to_owned();
    let matches: Vec<usize> = resources
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
                    message: format!("id {} does not exist; cannot merge or replace", go_id(&id)),
                });
            }
            {
                resources.push(resource);
                Ok(())
            }
        }
        [index] => {
            let old = &resources.as_slice()[*index];
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
            resources.as_mut_vec()[*index] = resource;
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
            annotations.shift_remove(key);
            continue;
        }
        match old.annotation(key) {
            Some(v) => {
                annotations.insert((*key).to_owned(), Value::String(v.to_owned()));
            }
            None => {
                annotations.shift_remove(key);
            }
        }
    }
    set_metadata_map(resource, "labels", labels);
    set_metadata_map(resource, "annotations", annotations);
    set_metadata_string(resource, "name", old.name());
    set_metadata_string(resource, "namespace", old.namespace());
}

fn set_metadata_map(resource: &mut Resource, key: &str, map: Map) {
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
    use crate::json;

    #[test]
    fn base64_breaks_long_values_into_lines() {
        assert_eq!(encode_base64(b"ab"), "YWI=");
        let long = encode_base64(&[b'x'; 60]);
        assert_eq!(
            long,
            "eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eH\nh4eHh4eHh4\n"
        );
    }

    #[test]
    fn global_options_fill_in_without_overriding() {
        let local = GeneratorOptions {
            labels: IndexMap::from([("a".to_owned(), "local".to_owned())]),
            ..GeneratorOptions::default()
        };
        let global = GeneratorOptions {
            labels: IndexMap::from([
                ("a".to_owned(), "global".to_owned()),
                ("b".to_owned(), "g".to_owned()),
            ]),
            disable_name_suffix_hash: true,
            ..GeneratorOptions::default()
        };
        let merged = GeneratorOptions::with_global(Some(&local), Some(&global)).unwrap();
        assert_eq!(merged.labels["a"], "local");
        assert_eq!(merged.labels["b"], "g");
        assert!(merged.disable_name_suffix_hash);
    }

    fn generated(behavior: &str, data: Value) -> Resource {
        let mut object = skeleton("ConfigMap", "cm", "").unwrap();
        object.insert("data", data);
        finish(object, None, behavior)
    }

    #[test]
    fn merge_and_replace_fold_into_the_existing_object() {
        let mut base = generated("create", json!({"a": "1", "b": "2"}));
        base.set_annotation("keep", "yes");
        let mut resources: ResMap = vec![base].into();
        absorb(
            &mut resources,
            vec![generated("merge", json!({"b": "3", "c": "4"}))],
        )
        .unwrap();
        let merged = &resources.as_slice()[0];
        assert_eq!(
            merged.object()["data"],
            json!({"a": "1", "b": "3", "c": "4"})
        );
        assert_eq!(merged.annotation("keep"), Some("yes"));
        assert_eq!(merged.annotation(GENERATOR_BEHAVIOR), Some("create"));
        absorb(
            &mut resources,
            vec![generated("replace", json!({"z": "9"}))],
        )
        .unwrap();
        assert_eq!(resources.as_slice()[0].object()["data"], json!({"z": "9"}));
        assert_eq!(resources.len(), 1);
    }

    #[test]
    fn behaviors_are_checked_against_existing_ids() {
        let mut resources = ResMap::new();
        assert!(absorb(&mut resources, vec![generated("merge", json!({}))]).is_err());
        absorb(&mut resources, vec![generated("", json!({}))]).unwrap();
        assert!(absorb(&mut resources, vec![generated("create", json!({}))]).is_err());
    }
}
