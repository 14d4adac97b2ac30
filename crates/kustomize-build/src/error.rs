//! The errors a build can end in.

use std::path::PathBuf;

/// Why a build failed. Every variant names the file (and line where known) and, where it helps,
/// what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A file or directory could not be read.
    #[error("cannot read {}", path.display())]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file lies outside the kustomization root while load restrictions are `RootOnly`.
    #[error(
        "security; file '{}' is not in or below '{}' (use --load-restrictor LoadRestrictionsNone to allow it)",
        path.display(),
        root.display()
    )]
    OutsideRoot {
        /// The file asked for.
        path: PathBuf,
        /// The kustomization root it must stay under.
        root: PathBuf,
    },
    /// A field spec's path ran into a value it cannot walk through (a scalar where a mapping or
    /// sequence was expected, an empty field name…).
    #[error("considering field '{path}' of object {object}: {reason}")]
    FieldPath {
        /// The field spec path, as written (`spec/template/metadata/labels`).
        path: String,
        /// The object, in kustomize's id notation.
        object: String,
        /// What went wrong.
        reason: String,
    },
    /// A builtin transformer or generator was configured wrongly or could not do its job.
    #[error("{plugin}: {reason}")]
    Plugin {
        /// The builtin's kind (`NamespaceTransformer`, `ConfigMapGenerator`…).
        plugin: &'static str,
        /// What went wrong and, where it helps, what to do.
        reason: String,
    },
    /// A `replacements` entry failed.
    #[error(transparent)]
    Replacement(#[from] crate::replacement::ReplacementError),
    /// A `target`/`select` selector is invalid.
    #[error(transparent)]
    Selector(#[from] crate::selector::SelectorError),
    /// A patch could not be read or applied.
    #[error(transparent)]
    Patch(#[from] crate::patch::PatchError),
    /// Legacy `vars` could not be merged or resolved.
    #[error(transparent)]
    Var(#[from] crate::vars::VarError),
    /// Anything else, with kustomize-like wording; prefer a dedicated variant when one fits.
    #[error("{0}")]
    Other(String),
}

/// Shorthand for results of this crate.
pub type Result<T, E = BuildError> = std::result::Result<T, E>;
