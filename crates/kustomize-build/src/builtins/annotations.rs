//! `commonAnnotations`: kustomize's `AnnotationsTransformer`.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::labels::add_entries;
use crate::error::Result;
use crate::fieldspec::FieldSpec;
use crate::loader::Loader;
use crate::plugin::Transformer;
use crate::resmap::ResMap;

/// `AnnotationsTransformer`: add annotations at the fields the specs name (metadata and pod
/// templates by default), creating annotation maps where a spec says `create`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnnotationsTransformer {
    /// Annotations to add.
    #[serde(default)]
    pub annotations: IndexMap<String, String>,
    /// Where to add them.
    #[serde(default)]
    pub field_specs: Vec<FieldSpec>,
}

impl Transformer for AnnotationsTransformer {
    fn transform(&self, resources: &mut ResMap, _loader: &Loader<'_>) -> Result<()> {
        add_entries(resources, &self.annotations, &self.field_specs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TransformerConfig;
    use crate::fs::MemFs;
    use crate::json;
    use crate::loader::LoadRestrictions;
    use crate::resource::Resource;
    use std::path::Path;

    #[test]
    fn annotations_reach_metadata_and_pod_templates() {
        let t = AnnotationsTransformer {
            annotations: IndexMap::from([("team".to_owned(), "a".to_owned())]),
            field_specs: TransformerConfig::default().common_annotations,
        };
        let fs = MemFs::new();
        let loader = Loader::new(&fs, Path::new("/"), LoadRestrictions::RootOnly);
        let mut map: ResMap = vec![
            Resource::new(
                json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
                "spec": {"jobTemplate": {"spec": {"template": {"spec": {}}}}}}),
            ),
            Resource::new(
                json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}),
            ),
        ]
        .into();
        t.transform(&mut map, &loader).unwrap();
        // The three fields the annotation was created in share one value (see
        // `crate::shared_values`); the build's bookkeeping says so until the output.
        let mut cron = map.as_slice()[0].clone();
        assert_eq!(crate::shared_values::groups(&cron).len(), 1);
        crate::builtins::tracking::strip_build_annotations(&mut cron);
        let cron = cron.object();
        assert_eq!(cron["metadata"]["annotations"], json!({"team": "a"}));
        assert_eq!(
            cron["spec"]["jobTemplate"]["metadata"]["annotations"],
            json!({"team": "a"})
        );
        assert_eq!(
            cron["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["annotations"],
            json!({"team": "a"})
        );
        assert_eq!(map.as_slice()[1].annotation("team"), Some("a"));
    }
}
