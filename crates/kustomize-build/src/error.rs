//! The errors a build can end in.

use std::path::PathBuf;

/// Why a build failed. Every variant names the file or directory (and line where known) and,
/// where it helps, what to do. Causes travel in `source()`, so print the whole chain (as
/// `anyhow`'s `{:#}` does) to see the full story.
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
    /// A directory named as a kustomization has no kustomization file.
    #[error(
        "unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' in directory '{}'",
        dir.display()
    )]
    MissingKustomization {
        /// The directory searched.
        dir: PathBuf,
    },
    /// A directory holds more than one kustomization file.
    #[error("found multiple kustomization files under: {} (keep only one)", dir.display())]
    MultipleKustomizations {
        /// The directory.
        dir: PathBuf,
    },
    /// A kustomization file could not be decoded or breaks kustomize's rules.
    #[error("invalid Kustomization {}: {message}", path.display())]
    InvalidKustomization {
        /// The kustomization file.
        path: PathBuf,
        /// What is wrong, in kustomize's words.
        message: String,
    },
    /// A kustomization file holds nothing but `apiVersion`, `kind` and `metadata`.
    #[error("kustomization.yaml is empty: {}", path.display())]
    EmptyKustomization {
        /// The kustomization file.
        path: PathBuf,
    },
    /// A resource file is not valid YAML.
    #[error("MalformedYAMLError: {message} in File: {}", path.display())]
    MalformedYaml {
        /// The file.
        path: PathBuf,
        /// The parser's message, with the line.
        message: String,
    },
    /// A resource file holds something kustomize refuses as an object.
    #[error("invalid resource in {}: {message}", path.display())]
    InvalidResource {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Two objects of a build have the same identity.
    #[error("may not add resource with an already registered id: {id}")]
    DuplicateId {
        /// The identity, in kustomize's notation.
        id: String,
    },
    /// A generator's `behavior` does not fit the objects already there.
    #[error("{message}")]
    Behavior {
        /// kustomize's wording.
        message: String,
    },
    /// A kustomization reaches a directory at or above one already being built.
    #[error(
        "cycle detected: candidate root '{}' contains visited root '{}'",
        candidate.display(),
        visited.display()
    )]
    Cycle {
        /// The directory asked for.
        candidate: PathBuf,
        /// The directory being built that lies in or below it.
        visited: PathBuf,
    },
    /// A path names neither a readable file nor a kustomization directory.
    #[error("'{}' is neither a file nor a kustomization directory: {file_error}", path.display())]
    NotFound {
        /// The path resolved against the kustomization root.
        path: PathBuf,
        /// Why reading it as a file failed.
        file_error: String,
    },
    /// A URL or git reference was given; the offline builder reads only local files.
    #[error(
        "'{url}' is a remote resource: the offline builder does not fetch URLs or git repositories; vendor it into the repository and refer to the local copy"
    )]
    Remote {
        /// The reference as written.
        url: String,
    },
    /// `helmCharts` or `helmChartInflationGenerator` is used; the builder does not run helm.
    #[error(
        "{}: helmCharts are not supported: the offline builder does not run helm; render the chart and commit its output as a resource",
        path.display()
    )]
    Helm {
        /// The kustomization directory.
        path: PathBuf,
    },
    /// A kustomization or component is used where the other is expected.
    #[error("{message}")]
    KindMismatch {
        /// kustomize's wording.
        message: String,
    },
    /// A kustomization field is recognised but not built by this version of the builder.
    #[error("{}: '{field}' is not supported by the offline builder yet", path.display())]
    Unsupported {
        /// The kustomization directory.
        path: PathBuf,
        /// The field.
        field: String,
    },
    /// An error with kustomize's context prefix (`accumulating resources`, …).
    #[error("{context}")]
    Context {
        /// What was being done.
        context: String,
        /// What went wrong.
        #[source]
        source: Box<BuildError>,
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
    /// The build succeeded but kustomize could not print its output (see [`Build::try_to_yaml`]).
    ///
    /// [`Build::try_to_yaml`]: crate::Build::try_to_yaml
    #[error(transparent)]
    Unprintable(#[from] crate::yaml::EmitError),
    /// Anything else, with kustomize-like wording; prefer a dedicated variant when one fits.
    #[error("{0}")]
    Other(String),
}

impl BuildError {
    /// Wrap `self` with kustomize's context wording.
    #[must_use]
    pub fn context(self, context: impl Into<String>) -> Self {
        Self::Context {
            context: context.into(),
            source: Box::new(self),
        }
    }

    /// The innermost error of a chain of [`BuildError::Context`]s.
    pub fn root_cause(&self) -> &BuildError {
        match self {
            Self::Context { source, .. } => source.root_cause(),
            other => other,
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = BuildError> = std::result::Result<T, E>;
