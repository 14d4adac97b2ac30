//! `namePrefix` / `nameSuffix`: kustomize's `PrefixTransformer`, `SuffixTransformer` and the
//! combined `PrefixSuffixTransformer`.
//!
//! A kustomization's `namePrefix` and `nameSuffix` run as two separate transformers (prefix
//! first), each recording the previous name, so an object renamed by both carries two previous
//! names. `CustomResourceDefinition`s, `APIService`s and Namespaces are never renamed.

use crate::value::Value;
use serde::{Deserialize, Serialize};

use super::tracking::{append_csv_annotation, original_id, store_previous_id, PREFIXES, SUFFIXES};
use crate::error::{BuildError, Result};
use crate::fieldspec::{apply, Create, FieldSpec, Gvk};
use crate::loader::Loader;
use crate::plugin::Transformer;
use crate::resmap::ResMap;

/// `PrefixTransformer`: prepend `prefix` to the fields named by `fieldSpecs`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrefixTransformer {
    /// The prefix.
    #[serde(default)]
    pub prefix: String,
    /// Where to add it (kustomize's default: `metadata/name`). Required.
    #[serde(default)]
    pub field_specs: Option<Vec<FieldSpec>>,
}

/// `SuffixTransformer`: append `suffix` to the fields named by `fieldSpecs`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SuffixTransformer {
    /// The suffix.
    #[serde(default)]
    pub suffix: String,
    /// Where to add it (kustomize's default: `metadata/name`). Required.
    #[serde(default)]
    pub field_specs: Option<Vec<FieldSpec>>,
}

/// `PrefixSuffixTransformer`: both at once, recording one previous name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrefixSuffixTransformer {
    /// The prefix.
    #[serde(default)]
    pub prefix: String,
    /// The suffix.
    #[serde(default)]
    pub suffix: String,
    /// Where to add them.
    #[serde(default)]
    pub field_specs: Vec<FieldSpec>,
}

impl Transformer for PrefixTransformer {
    fn transform(&self, resources: &mut ResMap, _loader: &Loader<'_>) -> Result<()> {
        let specs = required_specs("PrefixTransformer", self.field_specs.as_ref())?;
        rename(resources, specs, &self.prefix, "")
    }
}

impl Transformer for SuffixTransformer {
    fn transform(&self, resources: &mut ResMap, _loader: &Loader<'_>) -> Result<()> {
        let specs = required_specs("SuffixTransformer", self.field_specs.as_ref())?;
        rename(resources, specs, "", &self.suffix)
    }
}

impl Transformer for PrefixSuffixTransformer {
    fn transform(&self, resources: &mut ResMap, _loader: &Loader<'_>) -> Result<()> {
        rename(resources, &self.field_specs, &self.prefix, &self.suffix)
    }
}

fn required_specs<'a>(
    plugin: &'static str,
    specs: Option<&'a Vec<FieldSpec>>,
) -> Result<&'a [FieldSpec]> {
    specs.map(Vec::as_slice).ok_or(BuildError::Plugin {
        plugin,
        reason: "fieldSpecs is not expected to be nil".to_owned(),
    })
}

/// Kinds whose names are never prefixed or suffixed.
fn never_renamed(gvk: &Gvk) -> bool {
    gvk.kind == "CustomResourceDefinition"
        || (gvk.group == "apiregistration.k8s.io" && gvk.kind == "APIService")
        || gvk.kind == "Namespace"
}

fn rename(resources: &mut ResMap, specs: &[FieldSpec], prefix: &str, suffix: &str) -> Result<()> {
    for resource in resources.iter_mut() {
        let original = Gvk::of_id(&original_id(resource));
        if never_renamed(&original) {
            continue;
        }
        for spec in specs {
            if !spec.selects(&original) {
                continue;
            }
            if spec.path == "metadata/name" {
                append_csv_annotation(resource, PREFIXES, prefix);
                append_csv_annotation(resource, SUFFIXES, suffix);
                if !prefix.is_empty() || !suffix.is_empty() {
                    store_previous_id(resource);
                }
            }
            apply(
                spec,
                resource.object_mut(),
                Create::Scalar,
                &mut |node: &mut Value| {
                    let current = match node {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        other => {
                            return Err(format!(
                                "wrong node kind: expected ScalarNode but got {}",
                                crate::fieldspec::node_kind(other)
                            ))
                        }
                    };
                    *node = Value::String(format!("{prefix}{current}{suffix}"));
                    Ok(())
                },
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtins::test_support::transform;
    use crate::builtins::tracking::previous_ids;
    use crate::fs::MemFs;
    use crate::json;
    use crate::loader::LoadRestrictions;
    use crate::resource::Resource;
    use std::path::Path;

    fn run(t: &dyn Transformer, objects: Vec<Value>) -> Result<ResMap> {
        transform(objects, &[t])
    }

    fn objects() -> Vec<Value> {
        vec![
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}}),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}}),
            json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "w.example.com"}}),
        ]
    }

    #[test]
    fn prefix_then_suffix_records_two_previous_names() {
        let specs = Some(vec![FieldSpec::new("metadata/name")]);
        let mut map = run(
            &PrefixTransformer {
                prefix: "p-".into(),
                field_specs: specs.clone(),
            },
            objects(),
        )
        .unwrap();
        let fs = MemFs::new();
        let loader = Loader::new(&fs, Path::new("/"), LoadRestrictions::RootOnly);
        SuffixTransformer {
            suffix: "-s".into(),
            field_specs: specs,
        }
        .transform(&mut map, &loader)
        .unwrap();
        let names: Vec<&str> = map.iter().map(Resource::name).collect();
        assert_eq!(names, ["p-cm-s", "ns", "w.example.com"]);
        let prev: Vec<String> = previous_ids(&map.as_slice()[0])
            .into_iter()
            .map(|i| i.name)
            .collect();
        assert_eq!(prev, ["cm", "p-cm"]);
        assert_eq!(map.as_slice()[0].annotation(PREFIXES), Some("p-"));
    }

    #[test]
    fn combined_transformer_renames_once_and_parses_from_config() {
        let t: PrefixSuffixTransformer = crate::value::from_value(json!({
            "apiVersion": "builtin", "kind": "PrefixSuffixTransformer", "metadata": {"name": "x"},
            "prefix": "a-", "suffix": "-b", "fieldSpecs": [{"path": "metadata/name"}]
        }))
        .unwrap();
        let map = run(&t, objects()).unwrap();
        assert_eq!(map.as_slice()[0].name(), "a-cm-b");
        assert_eq!(previous_ids(&map.as_slice()[0]).len(), 1);
    }

    #[test]
    fn prefix_transformer_requires_field_specs() {
        let err = run(
            &PrefixTransformer {
                prefix: "p-".into(),
                field_specs: None,
            },
            objects(),
        )
        .unwrap_err();
        assert!(err
            .to_string()
            .contains("fieldSpecs is not expected to be nil"));
    }
}
