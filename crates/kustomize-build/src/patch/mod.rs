//! Patches: kustomize's `patches`, `patchesStrategicMerge` and `patchesJson6902`.
//!
//! Three builtin plugin configs — [`PatchTransformer`], [`PatchStrategicMergeTransformer`],
//! [`PatchJson6902Transformer`] — parse from kustomize's field names (also as `transformers:`
//! entries) and implement [`Transformer`](crate::plugin::Transformer). Underneath,
//! [`strategic::merge`] merges with kustomize's kyaml semantics against a [`Schema`] of merge keys,
//! and [`JsonPatch`] applies RFC 6902 operations as kustomize's Go library does.
//!
//! ```
//! use kustomize_build::patch::{strategic, Schema};
//! use kustomize_build::json;
//!
//! let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment",
//!     "metadata": {"name": "web"},
//!     "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:1"}]}}}});
//! let patch = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
//!     "spec": {"template": {"spec": {"containers": [{"name": "sidecar", "image": "proxy"}]}}}});
//! let merged = strategic::merge(deployment, patch, Schema::builtin())?.unwrap();
//! // Containers merge by name; the patch's new container comes first, as in kustomize.
//! let names: Vec<_> = merged["spec"]["template"]["spec"]["containers"].as_array().unwrap()
//!     .iter().map(|c| c["name"].as_str().unwrap()).collect();
//! assert_eq!(names, ["sidecar", "app"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod json6902;
pub mod schema;
pub mod strategic;
mod transformers;

use crate::value::Value;

pub use json6902::JsonPatch;
pub use schema::{Schema, SchemaError};
pub use transformers::{
    PatchJson6902Transformer, PatchOptions, PatchStrategicMergeTransformer, PatchTransformer,
};

/// Why a patch could not be read or applied.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PatchError {
    /// A patch entry or plugin config is malformed (wording follows kustomize).
    #[error("{0}")]
    Config(String),
    /// The patch text is neither a strategic-merge patch nor a JSON 6902 patch.
    #[error("unable to parse SM or JSON patch from {source_name}")]
    Unparsable {
        /// `[patch: "…"]` or `[path: "…"]`.
        source_name: String,
    },
    /// The patch text parses both ways.
    #[error("illegally qualifies as both an SM and JSON patch: {source_name}")]
    Ambiguous {
        /// `[patch: "…"]` or `[path: "…"]`.
        source_name: String,
    },
    /// A strategic-merge patch without a target names no object (or several) of the build.
    #[error(
        "no resource matches strategic merge patch \"{id}\": {reason} for Id {id}; failed to find unique target for patch {id}"
    )]
    NoTarget {
        /// The patch's identity.
        id: String,
        /// `no matches` or `multiple matches`.
        reason: &'static str,
    },
    /// A patch gave two objects the same identity.
    #[error("may not add resource with an already registered id: {0}")]
    DuplicateId(String),
    /// The object and the patch disagree on whether a field is a map, a list or a scalar.
    #[error("wrong node kind at '{path}': expected {expected} but got {found}")]
    WrongKind {
        /// Dotted field path.
        path: String,
        /// The object's node kind.
        expected: &'static str,
        /// The patch's node kind.
        found: &'static str,
    },
    /// `$patch:` holds something other than `merge`, `replace` or `delete`.
    #[error("unknown patch strategy '{0}'")]
    UnknownDirective(String),
    /// `$patch: delete` inside a list.
    #[error("can't delete the list at '{0}' with $patch: delete")]
    DeleteList(String),
    /// A JSON 6902 patch is malformed or does not apply.
    #[error("json patch: {0}")]
    Json6902(String),
    /// Patch text is not valid YAML.
    #[error("invalid YAML in patch: {0}")]
    Yaml(String),
    /// A patch file could not be read.
    #[error("failed to get the patch file from path({path})")]
    Load {
        /// The path as written.
        path: String,
        /// Why.
        #[source]
        source: Box<crate::error::BuildError>,
    },
    /// Applying a patch from a named source failed.
    #[error("{source_name}: {source}")]
    InSource {
        /// `[patch: "…"]` or `[path: "…"]`.
        source_name: String,
        /// What failed.
        source: Box<PatchError>,
    },
}

/// Every document of a YAML stream of patches as JSON values (empty documents dropped), read as
/// kustomize reads patches.
pub(crate) fn parse_yaml_documents(text: &str) -> Result<Vec<Value>, PatchError> {
    crate::yaml::parse_patch_documents(text).map_err(|e| PatchError::Yaml(e.to_string()))
}
