//! An offline kustomize builder whose output is byte-identical to kustomize v5.5.0.
//!
//! (Crate documentation with examples is written as the builder lands.)

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod fs;
pub mod resource;
