//! `commonLabels` / `labels`: kustomize's `LabelTransformer`.
//!
//! Adds each label at every field the field specs name (metadata, and for `commonLabels` also
//! selectors and pod templates), creating label maps where a spec says `create`. The pipeline
//! picks the field specs: the `commonLabels` table, or for a `labels` entry `metadata/labels` plus
//! the `templateLabels` table (`includeTemplates`) or the `commonLabels` table
//! (`includeSelectors`), plus the entry's own `fields`; see [`LabelTransformer::for_labels_entry`].

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::config::TransformerConfig;
use crate::error::Result;
use crate::value::Value;

use crate::fieldspec::{apply_all_at, merge_all, merge_one, set_entry, Create, FieldSpec};
use crate::loader::Loader;
use crate::plugin::Transformer;
use crate::resmap::ResMap;
use crate::shared_values;

/// `LabelTransformer`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelTransformer {
    /// Labels to add.
    #[serde(default)]
    pub labels: IndexMap<String, String>,
    /// Where to add them.
    #[serde(default)]
    pub field_specs: Vec<FieldSpec>,
}

impl LabelTransformer {
    /// The transformer for one `labels:` entry of a kustomization: `pairs` go to
    /// `metadata/labels`, plus templates (`includeTemplates`) or selectors and templates
    /// (`includeSelectors`), plus the entry's own `fields` and the configuration's `labels`
    /// table.
    pub fn for_labels_entry(
        pairs: IndexMap<String, String>,
        include_selectors: bool,
        include_templates: bool,
        fields: Vec<FieldSpec>,
        config: &TransformerConfig,
    ) -> Result<Self> {
        // kustomize's order: the entry's fields, the `labels` configuration table, then
        // selectors (all of `commonLabels`) or templates and metadata.
        let mut specs = fields;
        merge_all(&mut specs, &config.labels)?;
        if include_selectors {
            merge_all(&mut specs, &config.common_labels)?;
        } else {
            if include_templates {
                merge_all(&mut specs, &config.template_labels)?;
            }
            merge_one(&mut specs, FieldSpec::new("metadata/labels").creating())?;
        }
        Ok(Self {
            labels: pairs,
            field_specs: specs,
        })
    }
}

impl Transformer for LabelTransformer {
    fn transform(&self, resources: &mut ResMap, _loader: &Loader<'_>) -> Result<()> {
        add_entries(resources, &self.labels, &self.field_specs)
    }
}

/// Set every `key: value` of `entries` at the mappings `specs` name, in key order.
pub(super) fn add_entries(
    resources: &mut ResMap,
    entries: &IndexMap<String, String>,
    specs: &[FieldSpec],
) -> Result<()> {
    // An empty set must not create empty label maps.
    if entries.is_empty() {
        return Ok(());
    }
    let mut keys: Vec<&String> = entries.keys().collect();
    keys.sort();
    for resource in resources.iter_mut() {
        let mut groups = shared_values::groups(resource);
        let recorded = groups.len();
        for key in &keys {
            let value = &entries[*key];
            // kustomize appends one node where it creates the key, and copies it where the key
            // is already set (see `crate::shared_values`).
            let mut created = Vec::new();
            let mut overwritten = Vec::new();
            let mut set = set_entry(key, value);
            apply_all_at(
                specs,
                resource.object_mut(),
                Create::Mapping,
                &mut |at, node| {
                    if let Value::Object(map) = node {
                        let pointer = shared_values::child_pointer(at, key);
                        if map.contains_key(key.as_str()) {
                            overwritten.push(pointer);
                        } else {
                            created.push(pointer);
                        }
                    }
                    set(node)
                },
            )?;
            if !overwritten.is_empty() && recorded > 0 {
                let written = Value::String(value.clone());
                for pointer in &overwritten {
                    shared_values::write_through(resource.object_mut(), &groups, pointer, &written);
                }
            }
            groups.push(created);
        }
        if recorded > 0 || groups.iter().any(|g| g.len() > 1) {
            shared_values::set_groups(resource, groups);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtins::test_support::transform;
    use crate::resource::Resource;
    use crate::{json, value::Value};

    fn run(t: &LabelTransformer, objects: Vec<Value>) -> Vec<Value> {
        transform(objects, &[t])
            .unwrap()
            .into_iter()
            .map(Resource::into_object)
            .collect()
    }

    fn workloads() -> Vec<Value> {
        vec![
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                "spec": {"template": {"spec": {"containers": []}}}}),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"ports": []}}),
        ]
    }

    fn pairs() -> IndexMap<String, String> {
        IndexMap::from([("app".to_owned(), "web".to_owned())])
    }

    #[test]
    fn common_labels_reach_selectors_and_templates() {
        let t = LabelTransformer {
            labels: pairs(),
            field_specs: TransformerConfig::default().common_labels,
        };
        let out = run(&t, workloads());
        assert_eq!(out[0]["metadata"]["labels"], json!({"app": "web"}));
        assert_eq!(
            out[0]["spec"]["selector"],
            json!({"matchLabels": {"app": "web"}})
        );
        assert_eq!(
            out[0]["spec"]["template"]["metadata"],
            json!({"labels": {"app": "web"}})
        );
        assert_eq!(out[1]["spec"]["selector"], json!({"app": "web"}));
    }

    #[test]
    fn labels_entry_without_selectors_leaves_selectors_alone() {
        let config = TransformerConfig::default();
        let t =
            LabelTransformer::for_labels_entry(pairs(), false, true, Vec::new(), &config).unwrap();
        let out = run(&t, workloads());
        assert_eq!(out[0]["spec"].get("selector"), None);
        assert_eq!(
            out[0]["spec"]["template"]["metadata"]["labels"],
            json!({"app": "web"})
        );
        assert_eq!(out[1]["spec"].get("selector"), None);
        let t =
            LabelTransformer::for_labels_entry(pairs(), false, false, Vec::new(), &config).unwrap();
        let out = run(&t, workloads());
        assert_eq!(out[0]["spec"]["template"].get("metadata"), None);
        assert_eq!(out[0]["metadata"]["labels"], json!({"app": "web"}));
    }

    #[test]
    fn empty_labels_change_nothing() {
        let t = LabelTransformer {
            labels: IndexMap::new(),
            field_specs: TransformerConfig::default().common_labels,
        };
        assert_eq!(run(&t, workloads()), workloads());
    }

    #[test]
    fn labels_configuration_table_reaches_every_entry() {
        let mut config = TransformerConfig::default();
        config
            .merge(
                &TransformerConfig::from_yaml(
                    "labels:\n- path: spec/template/metadata/labels\n  create: true\n  kind: Deployment\n",
                    "c.yaml",
                )
                .unwrap(),
            )
            .unwrap();
        let t =
            LabelTransformer::for_labels_entry(pairs(), false, false, Vec::new(), &config).unwrap();
        let out = run(&t, workloads());
        assert_eq!(
            out[0]["spec"]["template"]["metadata"]["labels"],
            json!({"app": "web"})
        );
        assert_eq!(out[0]["spec"].get("selector"), None);
    }
}
