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
//! let mut t: LabelTransformer = serde_json::from_value(serde_json::json!({
//!     "apiVersion": "builtin", "kind": "LabelTransformer", "metadata": {"name": "l"},
//!     "labels": {"app": "web"},
//! }))?;
//! t.field_specs = TransformerConfig::default().common_labels;
//! let mut resources: ResMap = vec![Resource::new(serde_json::json!({
//!     "apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
//! }))]
//! .into();
//! let fs = MemFs::new();
//! t.transform(&mut resources, &Loader::new(&fs, Path::new("/"), LoadRestrictions::RootOnly))?;
//! assert_eq!(resources.as_slice()[0].object()["spec"]["selector"]["app"], "web");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod annotations;
pub mod labels;
pub mod namespace;
pub mod prefix_suffix;
pub mod tracking;

pub use annotations::AnnotationsTransformer;
pub use labels::LabelTransformer;
pub use namespace::{NamespaceTransformer, PluginMeta, RoleBindingSubjects};
pub use prefix_suffix::{PrefixSuffixTransformer, PrefixTransformer, SuffixTransformer};
