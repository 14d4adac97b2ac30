//! `replicas`: kustomize's `ReplicaCountTransformer`.

use crate::value::Value;
use serde::{Deserialize, Serialize};

use super::tracking::any_id_matches;
use crate::error::{BuildError, Result};
use crate::fieldspec::{apply, node_kind, Create, FieldSpec, Gvk};
use crate::loader::Loader;
use crate::plugin::Transformer;
use crate::resmap::ResMap;

/// One `replicas:` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replica {
    /// Name of the object (current or any earlier name).
    #[serde(default)]
    pub name: String,
    /// Replica count to set.
    #[serde(default)]
    pub count: i64,
}

/// `ReplicaCountTransformer`: set the count on objects of that name whose kind a field spec
/// selects; naming no such object is an error.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaCountTransformer {
    /// Which objects and what count.
    #[serde(default)]
    pub replica: Replica,
    /// Where the count lives, per kind.
    #[serde(default)]
    pub field_specs: Vec<FieldSpec>,
}

impl Transformer for ReplicaCountTransformer {
    fn transform(&self, resources: &mut ResMap, _loader: &Loader<'_>) -> Result<()> {
        let mut found = false;
        for spec in &self.field_specs {
            let selector = spec.gvk();
            for resource in resources.iter_mut() {
                let selected = any_id_matches(resource, |id| {
                    id.name == self.replica.name && Gvk::of_id(id).is_selected_by(&selector)
                });
                if !selected {
                    continue;
                }
                found = true;
                apply(
                    spec,
                    resource.object_mut(),
                    Create::Scalar,
                    &mut |node: &mut Value| {
                        if node.is_object() || node.is_array() {
                            return Err(format!(
                                "wrong node kind: expected ScalarNode but got {}",
                                node_kind(node)
                            ));
                        }
                        *node = Value::from(self.replica.count);
                        Ok(())
                    },
                )?;
            }
        }
        if found {
            return Ok(());
        }
        let gvks: Vec<String> = self
            .field_specs
            .iter()
            .map(|s| {
                let or = |v: &str, none: &str| {
                    if v.is_empty() {
                        none.to_owned()
                    } else {
                        v.to_owned()
                    }
                };
                format!(
                    "{}.{}.{}",
                    or(&s.kind, "[noKind]"),
                    or(&s.version, "[noVer]"),
                    or(&s.group, "[noGrp]")
                )
            })
            .collect();
        Err(BuildError::Plugin {
            plugin: "ReplicaCountTransformer",
            reason: format!(
                "resource with name {} does not match a config with the following GVK [{}]",
                self.replica.name,
                gvks.join(" ")
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtins::tracking::store_previous_id;
    use crate::config::TransformerConfig;
    use crate::fs::MemFs;
    use crate::json;
    use crate::loader::LoadRestrictions;
    use crate::resource::Resource;
    use std::path::Path;

    #[test]
    fn sets_counts_by_current_or_previous_name() {
        let mut renamed = Resource::new(
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}),
        );
        store_previous_id(&mut renamed);
        renamed.set_name("p-web");
        let mut map: ResMap = vec![
            renamed,
            Resource::new(
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web"}}),
            ),
        ]
        .into();
        let fs = MemFs::new();
        let loader = Loader::new(&fs, Path::new("/"), LoadRestrictions::RootOnly);
        let t = ReplicaCountTransformer {
            replica: Replica {
                name: "web".into(),
                count: 3,
            },
            field_specs: TransformerConfig::default().replicas,
        };
        t.transform(&mut map, &loader).unwrap();
        assert_eq!(map.as_slice()[0].object()["spec"]["replicas"], json!(3));
        assert!(map.as_slice()[1].object().get("spec").is_none());
        let missing = ReplicaCountTransformer {
            replica: Replica {
                name: "nope".into(),
                count: 1,
            },
            field_specs: TransformerConfig::default().replicas,
        };
        assert!(missing.transform(&mut map, &loader).is_err());
    }
}
