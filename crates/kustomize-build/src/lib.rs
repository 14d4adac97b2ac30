//! An offline kustomize builder whose output is byte-identical to kustomize v5.5.0.
//!
//! (Crate documentation with examples is written as the builder lands.)

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod builtins;
pub mod config;
pub mod error;
pub mod fieldspec;
pub mod fs;
pub mod loader;
pub mod patch;
pub mod plugin;
pub mod replacement;
pub mod resmap;
pub mod resource;
pub mod selector;
pub mod vars;
pub mod yaml;

pub use error::{BuildError, Result};
pub use loader::{LoadRestrictions, Loader};
pub use resmap::ResMap;
pub use resource::{ResId, Resource};
