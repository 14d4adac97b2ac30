//! Why validation could not be set up (bad input to the validator, not problems in objects).

/// Why a [`Validator`](crate::Validator) could not be built or given a CRD.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text is not a Kubernetes release number.
    #[error("`{text}` is not a Kubernetes version; write it as MAJOR.MINOR, e.g. 1.37")]
    InvalidVersion {
        /// What was given.
        text: String,
    },
    /// No schemas are embedded for that release.
    #[error("no schemas are embedded for Kubernetes {version}; use one of {available}")]
    UnsupportedVersion {
        /// The release asked for.
        version: crate::KubeVersion,
        /// The embedded releases, comma-separated.
        available: String,
    },
    /// The embedded schema data is damaged (a build problem, not a user one).
    #[error("the embedded schemas of Kubernetes {version} are damaged; regenerate them with scripts/regen-api-schemas")]
    CorruptData {
        /// The release whose data failed to load.
        version: crate::KubeVersion,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// A `CustomResourceDefinition` lacks what validation needs or has a schema it cannot read.
    #[error("CustomResourceDefinition {name}: {reason}; fix the CRD or leave it out")]
    InvalidCrd {
        /// The CRD's `metadata.name`.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
}
