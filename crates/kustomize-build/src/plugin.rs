//! The two shapes every build step takes, as in kustomize's builtin plugins.
//!
//! Each kustomization field (`namePrefix`, `commonLabels`, `patches`, `configMapGenerator`…) is
//! turned into the config of a builtin plugin (`PrefixSuffixTransformer`, `LabelTransformer`,
//! `PatchTransformer`, `ConfigMapGenerator`…), and entries under `transformers:`/`generators:`
//! parse straight into the same configs, so both paths run the same code.

use crate::error::Result;
use crate::loader::Loader;
use crate::resmap::ResMap;
use crate::resource::Resource;

/// A step that changes the objects of a build in place.
pub trait Transformer {
    /// Apply the step. `loader` reads any file the step refers to (patch files, configs).
    fn transform(&self, resources: &mut ResMap, loader: &Loader<'_>) -> Result<()>;
}

/// A step that makes new objects.
pub trait Generator {
    /// Produce the objects. `loader` reads the files the generator refers to.
    fn generate(&self, loader: &Loader<'_>) -> Result<Vec<Resource>>;
}
