//! kustomize's builtin transformers and generators.
//!
//! Each builtin is a serde struct with kustomize's field names, so a `transformers:` or
//! `generators:` entry (`apiVersion: builtin`, `kind: LabelTransformer`, …) deserializes straight
//! into it, and the pipeline builds the same structs from kustomization fields (`commonLabels`,
//! `namePrefix`, `configMapGenerator`…). Transformers implement [`crate::plugin::Transformer`],
//! generators [`crate::plugin::Generator`].
//!
//! ```
//! use kustomize_build::builtins::LabelTransformer;
//! use kustomize_build::config::TransformerConfig;
//! use kustomize_build::fs::MemFs;
//! use kustomize_build::plugin::Transformer;
//! use kustomize_build::{LoadRestrictions, Loader, ResMap, Resource};
//! use std::path::Path;
//!
//! let mut t: LabelTransformer = kustomize_build::value::from_value(kustomize_build::json!({
//!     "apiVersion": "builtin", "kind": "LabelTransformer", "metadata": {"name": "l"},
//!     "labels": {"app": "web"},
//! }))?;
//! t.field_specs = TransformerConfig::default().common_labels;
//! let mut resources: ResMap = vec![Resource::new(kustomize_build::json!({
//!     "apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
//! }))]
//! .into();
//! let fs = MemFs::new();
//! t.transform(&mut resources, &Loader::new(&fs, Path::new("/"), LoadRestrictions::RootOnly))?;
//! assert_eq!(resources.as_slice()[0].object()["spec"]["selector"]["app"], "web");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod annotations;
pub mod configmap;
pub mod generator;
pub mod hash;
pub mod iam_policy;
pub mod images;
pub mod kv;
pub mod labels;
pub mod nameref;
pub mod namespace;
pub mod prefix_suffix;
pub mod replicas;
pub mod secret;
pub mod tracking;

pub use annotations::AnnotationsTransformer;
pub use configmap::ConfigMapGenerator;
pub use generator::{absorb, GeneratorArgs, GeneratorOptions};
pub use hash::HashTransformer;
pub use iam_policy::IamPolicyGenerator;
pub use images::{Image, ImageTagTransformer};
pub use labels::LabelTransformer;
pub use nameref::NameReferenceTransformer;
pub use namespace::{NamespaceTransformer, PluginMeta, RoleBindingSubjects};
pub use prefix_suffix::{PrefixSuffixTransformer, PrefixTransformer, SuffixTransformer};
pub use replicas::{Replica, ReplicaCountTransformer};
pub use secret::SecretGenerator;

use crate::error::{BuildError, Result};
use crate::plugin::{Generator, Transformer};

/// The builtin transformer of this kind, configured from a `transformers:` entry (or a config the
/// pipeline built), or `None` when the kind is not one of the builtins in this module (patches
/// and replacements live elsewhere).
pub fn transformer(
    kind: &str,
    config: crate::value::Value,
) -> Result<Option<Box<dyn Transformer>>> {
    fn parse<T: serde::de::DeserializeOwned + Transformer + 'static>(
        kind: &str,
        config: crate::value::Value,
    ) -> Result<Option<Box<dyn Transformer>>> {
        let parsed: T = crate::value::from_value(config)
            .map_err(|e| BuildError::Other(format!("unable to configure builtin {kind}: {e}")))?;
        Ok(Some(Box::new(parsed)))
    }
    match kind {
        "PrefixTransformer" => parse::<PrefixTransformer>(kind, config),
        "SuffixTransformer" => parse::<SuffixTransformer>(kind, config),
        "PrefixSuffixTransformer" => parse::<PrefixSuffixTransformer>(kind, config),
        "NamespaceTransformer" => parse::<NamespaceTransformer>(kind, config),
        "LabelTransformer" => parse::<LabelTransformer>(kind, config),
        "AnnotationsTransformer" => parse::<AnnotationsTransformer>(kind, config),
        "ImageTagTransformer" => parse::<ImageTagTransformer>(kind, config),
        "ReplicaCountTransformer" => parse::<ReplicaCountTransformer>(kind, config),
        "HashTransformer" => parse::<HashTransformer>(kind, config),
        _ => Ok(None),
    }
}

/// The builtin generator of this kind, configured from a `generators:` entry, or `None` when the
/// kind is not a builtin generator of this module.
pub fn generator(kind: &str, config: crate::value::Value) -> Result<Option<Box<dyn Generator>>> {
    fn parse<T: serde::de::DeserializeOwned + Generator + 'static>(
        kind: &str,
        config: crate::value::Value,
    ) -> Result<Option<Box<dyn Generator>>> {
        let parsed: T = crate::value::from_value(config)
            .map_err(|e| BuildError::Other(format!("unable to configure builtin {kind}: {e}")))?;
        Ok(Some(Box::new(parsed)))
    }
    match kind {
        "ConfigMapGenerator" => parse::<ConfigMapGenerator>(kind, config),
        "SecretGenerator" => parse::<SecretGenerator>(kind, config),
        "IAMPolicyGenerator" => parse::<IamPolicyGenerator>(kind, config),
        _ => Ok(None),
    }
}

/// What the builtins' unit tests share: running transformers over in-memory objects.
#[cfg(test)]
pub(crate) mod test_support {
    use std::path::Path;

    use crate::value::Value;

    use crate::error::Result;
    use crate::fs::MemFs;
    use crate::loader::{LoadRestrictions, Loader};
    use crate::plugin::Transformer;
    use crate::resmap::ResMap;
    use crate::resource::Resource;

    /// `objects` after `steps`, in order, with nothing on disk to read.
    pub(crate) fn transform(objects: Vec<Value>, steps: &[&dyn Transformer]) -> Result<ResMap> {
        let fs = MemFs::new();
        let loader = Loader::new(&fs, Path::new("/"), LoadRestrictions::RootOnly);
        let mut map: ResMap = objects
            .into_iter()
            .map(Resource::new)
            .collect::<Vec<_>>()
            .into();
        for step in steps {
            step.transform(&mut map, &loader)?;
        }
        Ok(map)
    }

    /// The objects as a build writes them: build annotations stripped.
    pub(crate) fn output(map: ResMap) -> Vec<Value> {
        map.into_iter()
            .map(|mut r| {
                super::tracking::strip_build_annotations(&mut r);
                r.into_object()
            })
            .collect()
    }
}
