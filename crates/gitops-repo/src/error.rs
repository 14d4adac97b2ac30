//! What stops a repository from being read (or validated) at all. Build failures of single
//! units and schema problems are not errors: they are data in the [`crate::Report`] and the
//! [`crate::Validation`].

use std::path::PathBuf;

/// Why a snapshot could not be rendered or validated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The directory to search cannot be listed.
    #[error("cannot read {}: {source}; give a directory that exists in the tree", path.display())]
    Unreadable {
        /// The directory.
        path: PathBuf,
        /// What the filesystem said.
        source: std::io::Error,
    },
    /// The schema check cannot start: no schemas are embedded for the Kubernetes release
    /// asked for.
    #[error(transparent)]
    Schema(api_validation::Error),
    /// An acceptance (the head's `.unstuck.yaml`, or one the caller gave) cannot be read.
    #[error(transparent)]
    Acceptance(#[from] crate::accept::AcceptanceError),
    /// A `CustomResourceDefinition` the caller added to the schema check cannot be read.
    #[error("{origin}: the CustomResourceDefinition cannot be read")]
    CustomResourceDefinition {
        /// Where it came from (a file name).
        origin: String,
        /// What the validator said.
        source: api_validation::Error,
    },
    /// A `CustomResourceDefinition` the caller supplied for its transition rules
    /// ([`crate::SchemaOptions::custom_resource_definitions`]) gives none.
    #[error("{origin}: cannot take transition rules from this CustomResourceDefinition; fix it or leave it out")]
    TransitionRules {
        /// Where it came from (`file:line`).
        origin: String,
        /// What is missing.
        source: immutable_rules::CrdError,
    },
}
