//! The three patch plugins and how they find the objects they patch.

use std::collections::HashMap;
use std::sync::Arc;

use crate::value::Value;
use serde::{Deserialize, Deserializer, Serialize};

use super::json6902::JsonPatch;
use super::schema::Schema;
use super::strategic;
use super::{parse_yaml_documents, PatchError};
use crate::error::Result;
use crate::loader::Loader;
use crate::plugin::Transformer;
use crate::resmap::ResMap;
use crate::resource::{ResId, Resource};
use crate::selector::{
    all_ids, effective_namespace, from_go_json_lenient, go_string, store_previous_id, Selector,
};

/// `options` of a `patches` entry (kustomize keeps them as a map of booleans).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PatchOptions {
    /// Let a strategic-merge patch change `metadata.name`.
    pub allow_name_change: bool,
    /// Let a strategic-merge patch change `kind`.
    pub allow_kind_change: bool,
}

impl<'de> Deserialize<'de> for PatchOptions {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = Option::<HashMap<String, bool>>::deserialize(deserializer)?.unwrap_or_default();
        Ok(Self {
            allow_name_change: map.get("allowNameChange").copied().unwrap_or(false),
            allow_kind_change: map.get("allowKindChange").copied().unwrap_or(false),
        })
    }
}

/// kustomize's `PatchTransformer`: one `patches:` entry (`patch` inline or `path` to a file, an
/// optional `target`, `options`). The text is a strategic-merge patch (one or more objects) or a
/// JSON 6902 operation list, told apart as kustomize does.
#[derive(Debug, Clone, Default)]
pub struct PatchTransformer {
    /// A file holding the patch, relative to the kustomization.
    pub path: String,
    /// The patch text.
    pub patch: String,
    /// Which objects to patch; without it a strategic-merge patch patches the object it names.
    pub target: Option<Selector>,
    /// `allowNameChange` / `allowKindChange`.
    pub options: PatchOptions,
    /// Merge keys for strategic merge; the built-in Kubernetes schema when `None`.
    pub schema: Option<Arc<Schema>>,
}

#[derive(Deserialize)]
struct RawPatch {
    #[serde(default, deserialize_with = "go_string")]
    path: String,
    #[serde(default, deserialize_with = "go_string")]
    patch: String,
    #[serde(default)]
    target: Option<Selector>,
    #[serde(default)]
    options: PatchOptions,
}

const PATCH_FIELDS: &[&str] = &["path", "patch", "target", "options"];

impl<'de> Deserialize<'de> for PatchTransformer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw: RawPatch = from_go_json_lenient(deserializer, PATCH_FIELDS)?;
        Ok(Self {
            path: raw.path,
            patch: raw.patch,
            target: raw.target,
            options: raw.options,
            schema: None,
        })
    }
}

/// A parsed patch text.
enum Parsed {
    Strategic(Vec<Value>),
    Json(JsonPatch),
}

impl PatchTransformer {
    /// Use `schema` (from the kustomization's `openapi`/`crds`) for strategic merges.
    #[must_use]
    pub fn with_schema(mut self, schema: Arc<Schema>) -> Self {
        self.schema = Some(schema);
        self
    }

    fn schema(&self) -> &Schema {
        self.schema.as_deref().unwrap_or_else(|| Schema::builtin())
    }

    /// The patch text and kustomize's name for where it came from.
    fn text(&self, loader: &Loader<'_>) -> Result<(String, String), PatchError> {
        let patch = self.patch.trim();
        match (patch.is_empty(), self.path.is_empty()) {
            (true, true) => Err(PatchError::Config(format!(
                "must specify one of patch and path in\n{}",
                self.describe()
            ))),
            (false, false) => Err(PatchError::Config(format!(
                "patch and path can't be set at the same time\n{}",
                self.describe()
            ))),
            (false, true) => Ok((patch.to_owned(), format!("[patch: {patch:?}]"))),
            (true, false) => {
                let text =
                    loader
                        .read_to_string(&self.path)
                        .map_err(|source| PatchError::Load {
                            path: self.path.clone(),
                            source: Box::new(source),
                        })?;
                Ok((text, format!("[path: {:?}]", self.path)))
            }
        }
    }

    fn describe(&self) -> String {
        let mut lines = Vec::new();
        if !self.path.is_empty() {
            lines.push(format!("path: {}", self.path));
        }
        if !self.patch.is_empty() {
            lines.push(format!("patch: {:?}", self.patch));
        }
        if let Some(target) = &self.target {
            lines.push(format!("target: {target}"));
        }
        lines.join("\n")
    }
}

fn parse_patch(text: &str, source_name: &str) -> Result<Parsed, PatchError> {
    let strategic = parse_strategic(text);
    let json = JsonPatch::parse(text);
    match (strategic, json) {
        (Ok(_), Ok(_)) => Err(PatchError::Ambiguous {
            source_name: source_name.to_owned(),
        }),
        (Err(_), Err(_)) => Err(PatchError::Unparsable {
            source_name: source_name.to_owned(),
        }),
        (Ok(patches), Err(_)) => Ok(Parsed::Strategic(patches)),
        (Err(_), Ok(json)) => Ok(Parsed::Json(json)),
    }
}

/// Strategic-merge patches of `patches`: every document a mapping with a `kind` and a
/// `metadata.name` (`…List` kinds contribute their `items`).
fn parse_strategic(text: &str) -> Result<Vec<Value>, PatchError> {
    strategic_patches(parse_yaml_documents(text)?)
}

/// Strategic-merge patches of `patchesStrategicMerge`. kustomize loads these through its
/// resource factory, so a `null` annotation value reads as the text `"null"` and is set, where
/// in `patches` it deletes the annotation (both checked with kubectl).
fn parse_legacy_strategic(text: &str) -> Result<Vec<Value>, PatchError> {
    let documents =
        crate::yaml::parse_documents(text).map_err(|e| PatchError::Yaml(e.to_string()))?;
    strategic_patches(documents)
}

fn strategic_patches(documents: Vec<Value>) -> Result<Vec<Value>, PatchError> {
    let mut out = Vec::new();
    for document in documents {
        let Value::Object(map) = &document else {
            return Err(PatchError::Config(
                "a strategic-merge patch must be a mapping".to_owned(),
            ));
        };
        if map.is_empty() {
            continue;
        }
        let kind = map.get("kind").and_then(Value::as_str).unwrap_or("");
        if kind.is_empty() {
            return Err(PatchError::Config(format!(
                "missing kind in object {document}"
            )));
        }
        if kind.ends_with("List") {
            if let Some(items) = map.get("items").and_then(Value::as_array) {
                out.extend(items.iter().filter(|i| !i.is_null()).cloned());
                continue;
            }
        }
        if document
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .is_empty()
        {
            return Err(PatchError::Config(format!(
                "missing metadata.name in object {document}"
            )));
        }
        out.push(document);
    }
    Ok(out)
}

impl Transformer for PatchTransformer {
    fn transform(&self, resources: &mut ResMap, loader: &Loader<'_>) -> Result<()> {
        let (text, source_name) = self.text(loader)?;
        match parse_patch(&text, &source_name)? {
            Parsed::Strategic(patches) => {
                if let Some(target) = &self.target {
                    if patches.len() > 1 {
                        return Err(PatchError::Config(format!(
                            "Multiple Strategic-Merge Patches in one `patches` entry is not allowed to set `patches.target` field: {source_name}"
                        ))
                        .into());
                    }
                    let Some(patch) = patches.into_iter().next() else {
                        return Ok(());
                    };
                    let selected = target.compile()?.select(resources);
                    apply_to_selected(resources, &selected, &patch, &self.options, self.schema())
                        .map_err(|e| in_source(e, &source_name))?;
                } else {
                    let count = patches.len();
                    for (position, patch) in patches.into_iter().enumerate() {
                        let index = find_patch_target(resources, &patch)?;
                        let before = resources.len();
                        apply_to_selected(
                            resources,
                            &[index],
                            &patch,
                            &self.options,
                            self.schema(),
                        )
                        .map_err(|e| in_source(e, &source_name))?;
                        if resources.len() < before && position + 1 < count {
                            // kustomize v5.5.0 leaves the emptied object in place while the
                            // entry's later patches look for their targets, and crashes on it.
                            return Err(PatchError::Config(format!(
                                "a patch in {source_name} deletes an object, so the later patches of the same entry cannot be applied (kustomize v5.5.0 fails here too); put them in separate entries"
                            ))
                            .into());
                        }
                    }
                }
                Ok(())
            }
            Parsed::Json(json) => {
                let Some(target) = &self.target else {
                    return Err(PatchError::Config(format!(
                        "must specify a target for JSON patch {source_name}"
                    ))
                    .into());
                };
                apply_json(resources, target, &json)
            }
        }
    }
}

fn in_source(error: PatchError, source_name: &str) -> PatchError {
    PatchError::InSource {
        source_name: source_name.to_owned(),
        source: Box::new(error),
    }
}

/// The one object whose current or previous identity is the patch's (kustomize's `GetById`).
fn find_patch_target(resources: &ResMap, patch: &Value) -> Result<usize, PatchError> {
    let id = ResId::of(patch);
    let wanted_namespace = effective_namespace(&id).to_owned();
    let matching: Vec<usize> = resources
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            all_ids(r).iter().any(|other| {
                other.group == id.group
                    && other.version == id.version
                    && other.kind == id.kind
                    && other.name == id.name
                    && effective_namespace(other) == wanted_namespace
            })
        })
        .map(|(i, _)| i)
        .collect();
    match matching.as_slice() {
        [one] => Ok(*one),
        [] => Err(PatchError::NoTarget {
            id: id.to_string(),
            reason: "no matches",
        }),
        _ => Err(PatchError::NoTarget {
            id: id.to_string(),
            reason: "multiple matches",
        }),
    }
}

/// kustomize's `ResMap.ApplySmPatch`: patch each selected object with a copy of `patch` that
/// takes the object's `apiVersion`; drop objects the patch emptied; refuse duplicate identities.
fn apply_to_selected(
    resources: &mut ResMap,
    selected: &[usize],
    patch: &Value,
    options: &PatchOptions,
    schema: &Schema,
) -> Result<(), PatchError> {
    let mut deleted = Vec::new();
    for &index in selected {
        let resource = &mut resources.as_mut_vec()[index];
        let mut copy = patch.clone();
        if let (Some(map), Some(api_version)) = (
            copy.as_object_mut(),
            resource.object().get("apiVersion").cloned(),
        ) {
            map.insert("apiVersion".to_owned(), api_version);
        }
        if !apply_strategic(resource, copy, options, schema)? {
            deleted.push(index);
        }
    }
    let list = resources.as_mut_vec();
    for index in deleted.into_iter().rev() {
        list.remove(index);
    }
    let mut seen = std::collections::HashSet::new();
    for resource in resources.iter() {
        let id = resource.id();
        if !seen.insert(id.clone()) {
            return Err(PatchError::DuplicateId(id.to_string()));
        }
    }
    Ok(())
}

/// kustomize's `Resource.ApplySmPatch`: merge, then put back the name, kind (unless the options
/// allow changing them) and namespace. `Ok(false)` when the patch deleted the object.
pub(crate) fn apply_strategic(
    resource: &mut Resource,
    patch: Value,
    options: &PatchOptions,
    schema: &Schema,
) -> Result<bool, PatchError> {
    let name = resource.name().to_owned();
    let namespace = resource.namespace().to_owned();
    let kind = resource.kind().to_owned();
    if options.allow_name_change || options.allow_kind_change {
        store_previous_id(resource);
    }
    let empty_nulls = resource.remove_annotation(crate::yaml::EMPTY_NULLS_ANNOTATION);
    let shared = crate::shared_values::groups(resource);
    resource.remove_annotation(crate::shared_values::SHARED_VALUES_ANNOTATION);
    // Moved out rather than cloned: on an error the build stops, so the object is not needed.
    let mut object = std::mem::take(resource.object_mut());
    if let Some(Value::String(pointers)) = empty_nulls {
        let pointers: Vec<String> = serde_json::from_str(&pointers).unwrap_or_default();
        strategic::drop_empty_nulls(&mut object, &pointers, schema);
    }
    let before = crate::shared_values::snapshot(&object, &shared);
    let Some(mut merged) = strategic::merge(object, patch, schema)? else {
        return Ok(false);
    };
    let shared = crate::shared_values::after_merge(&mut merged, shared, &before);
    *resource.object_mut() = merged;
    crate::shared_values::set_groups(resource, shared);
    if !options.allow_kind_change {
        set_top(resource.object_mut(), "kind", &kind);
    }
    if !options.allow_name_change {
        set_metadata(resource.object_mut(), "name", &name);
    }
    set_metadata(resource.object_mut(), "namespace", &namespace);
    Ok(true)
}

fn set_top(object: &mut Value, key: &str, value: &str) {
    if let Some(map) = object.as_object_mut() {
        if value.is_empty() {
            map.shift_remove(key);
        } else {
            map.insert(key.to_owned(), Value::String(value.to_owned()));
        }
    }
}

fn set_metadata(object: &mut Value, key: &str, value: &str) {
    let Some(map) = object.as_object_mut() else {
        return;
    };
    if value.is_empty() {
        if let Some(metadata) = map.get_mut("metadata").and_then(Value::as_object_mut) {
            metadata.shift_remove(key);
        }
        return;
    }
    let metadata = map
        .entry("metadata")
        .or_insert_with(|| Value::Object(crate::value::Map::new()));
    if !metadata.is_object() {
        *metadata = Value::Object(crate::value::Map::new());
    }
    if let Some(metadata) = metadata.as_object_mut() {
        metadata.insert(key.to_owned(), Value::String(value.to_owned()));
    }
}

const INTERNAL_PREFIX: &str = "internal.config.kubernetes.io/";

/// Apply JSON 6902 operations to every selected object, keeping kustomize's internal
/// annotations even when the patch replaces `metadata.annotations`.
fn apply_json(resources: &mut ResMap, target: &Selector, json: &JsonPatch) -> Result<()> {
    let selected = target.compile()?.select(resources);
    for index in selected {
        let resource = &mut resources.as_mut_vec()[index];
        store_previous_id(resource);
        // kustomize patches the object's JSON: every null it reads back is the text `null`, and
        // no two fields share a node any more.
        resource.remove_annotation(crate::yaml::EMPTY_NULLS_ANNOTATION);
        resource.remove_annotation(crate::shared_values::SHARED_VALUES_ANNOTATION);
        let internal: Vec<(String, String)> = resource
            .annotations()
            .into_iter()
            .flatten()
            .filter(|(k, _)| k.starts_with(INTERNAL_PREFIX))
            .filter_map(|(k, v)| v.as_str().map(|v| (k.to_string(), v.to_owned())))
            .collect();
        // Patched in place: a failed patch fails the whole build, so nothing needs the object
        // as it was; only the maps and lists on the patched paths are copied where shared.
        let object = resource.object_mut();
        json.apply(object)?;
        if !object.is_object() {
            return Err(
                PatchError::Json6902("the patched object is not a mapping".to_owned()).into(),
            );
        }
        // kustomize then writes the annotations back as strings (`SetAnnotations` of
        // `GetAnnotations`): each value becomes its YAML node's text, `""` for a map or list.
        if let Some(annotations) = object
            .pointer_mut("/metadata/annotations")
            .and_then(Value::as_object_mut)
        {
            for value in annotations.values_mut() {
                let text = match value {
                    Value::String(_) => continue,
                    Value::Array(_) | Value::Object(_) => String::new(),
                    Value::Null => "null".to_owned(),
                    Value::Bool(b) => b.to_string(),
                    Value::Number(n) => n.to_string(),
                };
                *value = Value::String(text);
            }
        }
        for (key, value) in internal {
            resource.set_annotation(&key, &value);
        }
    }
    Ok(())
}

/// kustomize's `PatchStrategicMergeTransformer` (`patchesStrategicMerge`): each entry of
/// `paths` is inline patch text when it parses as patches, else a file; `patches` is inline
/// text. Each patch applies to the one object it names.
#[derive(Debug, Clone, Default)]
pub struct PatchStrategicMergeTransformer {
    /// Files (or, for legacy reasons, inline patch texts).
    pub paths: Vec<String>,
    /// Inline patch text, possibly several documents.
    pub patches: String,
    /// Merge keys; the built-in Kubernetes schema when `None`.
    pub schema: Option<Arc<Schema>>,
}

#[derive(Deserialize)]
struct RawStrategic {
    #[serde(default)]
    paths: Option<Vec<String>>,
    #[serde(default, deserialize_with = "go_string")]
    patches: String,
}

impl<'de> Deserialize<'de> for PatchStrategicMergeTransformer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw: RawStrategic = from_go_json_lenient(deserializer, &["paths", "patches"])?;
        Ok(Self {
            paths: raw.paths.unwrap_or_default(),
            patches: raw.patches,
            schema: None,
        })
    }
}

impl PatchStrategicMergeTransformer {
    /// Use `schema` for strategic merges.
    #[must_use]
    pub fn with_schema(mut self, schema: Arc<Schema>) -> Self {
        self.schema = Some(schema);
        self
    }

    fn load(&self, loader: &Loader<'_>) -> Result<Vec<Value>> {
        if self.paths.is_empty() && self.patches.is_empty() {
            return Err(
                PatchError::Config("empty file path and empty patch content".to_owned()).into(),
            );
        }
        let mut patches = Vec::new();
        for path in &self.paths {
            match parse_legacy_strategic(path) {
                Ok(inline) if !inline.is_empty() && !looks_like_path(path) => {
                    patches.extend(inline);
                }
                _ => {
                    let text = loader.read_to_string(path)?;
                    patches.extend(
                        parse_legacy_strategic(&text)
                            .map_err(|e| in_source(e, &format!("[path: {path:?}]")))?,
                    );
                }
            }
        }
        if !self.patches.is_empty() {
            patches.extend(parse_legacy_strategic(&self.patches)?);
        }
        if patches.is_empty() {
            return Err(PatchError::Config(format!(
                "patch appears to be empty; files={:?}, Patch={}",
                self.paths, self.patches
            ))
            .into());
        }
        Ok(patches)
    }
}

/// A single-line entry without a mapping colon is a file name, never inline YAML.
fn looks_like_path(entry: &str) -> bool {
    !entry.contains('\n') && !entry.contains(": ") && !entry.trim_start().starts_with('{')
}

impl Transformer for PatchStrategicMergeTransformer {
    fn transform(&self, resources: &mut ResMap, loader: &Loader<'_>) -> Result<()> {
        let schema = self.schema.as_deref().unwrap_or_else(|| Schema::builtin());
        for patch in self.load(loader)? {
            let index = find_patch_target(resources, &patch)?;
            apply_to_selected(
                resources,
                &[index],
                &patch,
                &PatchOptions::default(),
                schema,
            )?;
        }
        Ok(())
    }
}

/// kustomize's `PatchJson6902Transformer` (`patchesJson6902`): a `target` and JSON 6902
/// operations inline (`jsonOp`, or `patch` in a kustomization entry) or in a file (`path`).
#[derive(Debug, Clone, Default)]
pub struct PatchJson6902Transformer {
    /// Which objects to patch.
    pub target: Option<Selector>,
    /// A file holding the operations.
    pub path: String,
    /// The operations, as JSON or YAML text.
    pub json_op: String,
}

#[derive(Deserialize)]
struct RawJson6902 {
    #[serde(default)]
    target: Option<Selector>,
    #[serde(default, deserialize_with = "go_string")]
    path: String,
    #[serde(default, rename = "jsonOp", deserialize_with = "go_string")]
    json_op: String,
    // A kustomization `patchesJson6902` entry names the operations `patch`.
    #[serde(default, deserialize_with = "go_string")]
    patch: String,
}

impl<'de> Deserialize<'de> for PatchJson6902Transformer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw: RawJson6902 =
            from_go_json_lenient(deserializer, &["target", "path", "jsonOp", "patch"])?;
        Ok(Self {
            target: raw.target,
            path: raw.path,
            json_op: if raw.json_op.is_empty() {
                raw.patch
            } else {
                raw.json_op
            },
        })
    }
}

impl PatchJson6902Transformer {
    /// Build from a kustomization `patchesJson6902` entry (`target`, `path`, `patch`).
    pub fn from_entry(entry: &Value) -> std::result::Result<Self, serde_json::Error> {
        let patch: PatchTransformer = crate::value::from_value(entry.clone())?;
        Ok(Self {
            target: patch.target,
            path: patch.path,
            json_op: patch.patch,
        })
    }

    fn operations(&self, loader: &Loader<'_>) -> Result<JsonPatch> {
        if self.json_op.is_empty() && self.path.is_empty() {
            return Err(PatchError::Config("empty file path and empty jsonOp".to_owned()).into());
        }
        let text = if self.path.is_empty() {
            self.json_op.clone()
        } else {
            if !self.json_op.is_empty() {
                return Err(PatchError::Config(
                    "must specify only one of path or jsonOp".to_owned(),
                )
                .into());
            }
            let text = loader.read_to_string(&self.path)?;
            if text.is_empty() {
                return Err(PatchError::Config(format!(
                    "patch file '{}' empty seems to be empty",
                    self.path
                ))
                .into());
            }
            text
        };
        let operations = JsonPatch::parse(&text)?;
        if operations.is_empty() {
            return Err(PatchError::Config(format!(
                "patch appears to be empty; file={}, JsonOp={}",
                self.path, self.json_op
            ))
            .into());
        }
        Ok(operations)
    }
}

impl Transformer for PatchJson6902Transformer {
    fn transform(&self, resources: &mut ResMap, loader: &Loader<'_>) -> Result<()> {
        let Some(target) = &self.target else {
            return Err(PatchError::Config(format!(
                "must specify a target for patch {}",
                self.json_op
            ))
            .into());
        };
        let operations = self.operations(loader)?;
        apply_json(resources, target, &operations)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::json;

    use super::*;
    use crate::fs::MemFs;
    use crate::loader::LoadRestrictions;
    use crate::selector::{PREVIOUS_KINDS, PREVIOUS_NAMES, PREVIOUS_NAMESPACES};

    fn config_map(name: &str) -> Resource {
        Resource::new(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name}, "data": {"a": "1"}}))
    }

    fn run(config: Value, resources: &mut ResMap) -> Result<()> {
        let fs = MemFs::new();
        let loader = Loader::new(&fs, Path::new("/k"), LoadRestrictions::RootOnly);
        let plugin: PatchTransformer = crate::value::from_value(config).unwrap();
        plugin.transform(resources, &loader)
    }

    #[test]
    fn config_errors_use_kustomize_wording() {
        let mut resources = ResMap::from(vec![config_map("a")]);
        let neither = run(json!({}), &mut resources).unwrap_err().to_string();
        assert!(
            neither.starts_with("must specify one of patch and path"),
            "{neither}"
        );
        let both = run(json!({"path": "p.yaml", "patch": "x: y"}), &mut resources).unwrap_err();
        assert!(both
            .to_string()
            .starts_with("patch and path can't be set at the same time"));
        let json_without_target = run(
            json!({"patch": "[{\"op\": \"remove\", \"path\": \"/data\"}]"}),
            &mut resources,
        )
        .unwrap_err();
        assert!(json_without_target
            .to_string()
            .starts_with("must specify a target for JSON patch"));
        let garbage = run(json!({"patch": "just a string"}), &mut resources).unwrap_err();
        assert!(
            garbage
                .to_string()
                .starts_with("unable to parse SM or JSON patch"),
            "{garbage}"
        );
        let two = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n";
        let err = run(
            json!({"patch": two, "target": {"kind": "ConfigMap"}}),
            &mut resources,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("Multiple Strategic-Merge Patches"),
            "{err}"
        );
    }

    #[test]
    fn json_patches_record_the_previous_id_and_keep_internal_annotations() {
        let mut resource = config_map("a");
        resource.set_annotation("internal.config.kubernetes.io/keep", "yes");
        let mut resources = ResMap::from(vec![resource, config_map("b")]);
        let patch = "- {op: replace, path: /metadata/name, value: renamed}\n- {op: replace, path: /metadata/annotations, value: {}}\n";
        run(
            json!({"patch": patch, "target": {"name": "a"}}),
            &mut resources,
        )
        .unwrap();
        let patched = &resources.as_slice()[0];
        assert_eq!(patched.name(), "renamed");
        assert_eq!(
            patched.annotation("internal.config.kubernetes.io/keep"),
            Some("yes")
        );
        assert_eq!(patched.annotation(PREVIOUS_NAMES), Some("a"));
        assert_eq!(patched.annotation(PREVIOUS_NAMESPACES), Some("default"));
        assert_eq!(patched.annotation(PREVIOUS_KINDS), Some("ConfigMap"));
        assert_eq!(resources.as_slice()[1].name(), "b");
    }

    #[test]
    fn strategic_patches_keep_name_unless_allowed_and_detect_duplicates() {
        let patch = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\ndata: {b: '2'}\n";
        let mut resources = ResMap::from(vec![config_map("a")]);
        run(
            json!({"patch": patch, "target": {"name": "a"}}),
            &mut resources,
        )
        .unwrap();
        assert_eq!(resources.as_slice()[0].name(), "a");
        assert_eq!(
            resources.as_slice()[0].object()["data"],
            json!({"a": "1", "b": "2"})
        );
        run(
            json!({"patch": patch, "target": {"name": "a"}, "options": {"allowNameChange": true}}),
            &mut resources,
        )
        .unwrap();
        assert_eq!(resources.as_slice()[0].name(), "other");
        let mut clash = ResMap::from(vec![config_map("a"), config_map("other")]);
        let err = run(
            json!({"patch": patch, "target": {"name": "a"}, "options": {"allowNameChange": true}}),
            &mut clash,
        )
        .unwrap_err();
        assert!(err.to_string().contains("already registered id"), "{err}");
    }

    #[test]
    fn deleting_before_later_patches_of_the_same_entry_fails_as_in_kustomize() {
        let two = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n$patch: delete\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata: {x: '1'}\n";
        let mut resources = ResMap::from(vec![config_map("a"), config_map("b")]);
        assert!(run(json!({"patch": two}), &mut resources).is_err());
        let mut resources = ResMap::from(vec![config_map("a"), config_map("b")]);
        let one = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n$patch: delete\n";
        run(json!({"patch": one}), &mut resources).unwrap();
        assert_eq!(resources.len(), 1);
    }

    #[test]
    fn plugin_configs_parse_with_kustomize_field_names() {
        let config = json!({"apiVersion": "builtin", "kind": "PatchJson6902Transformer",
            "metadata": {"name": "x"}, "target": {"kind": "ConfigMap"}, "jsonOp": "[]"});
        let plugin: PatchJson6902Transformer = crate::value::from_value(config).unwrap();
        assert_eq!(plugin.json_op, "[]");
        let legacy: PatchStrategicMergeTransformer =
            crate::value::from_value(json!({"paths": ["a.yaml"], "patches": ""})).unwrap();
        assert_eq!(legacy.paths, ["a.yaml"]);
        let entry = PatchJson6902Transformer::from_entry(&json!({"path": "ops.yaml",
            "target": {"name": "a"}}))
        .unwrap();
        assert_eq!(entry.path, "ops.yaml");
    }
}
