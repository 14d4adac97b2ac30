//! What keeps Argo CD from rendering an Application.

use std::path::PathBuf;

/// Why an Application does not render, naming it and the file to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArgoError {
    /// A source's `path` is not a directory of the repository.
    #[error("Argo CD Application {application} ({file}): source path not found: {path} (the path is relative to the repository root)")]
    PathNotFound {
        /// `namespace/name`.
        application: String,
        /// The source's `path`.
        path: String,
        /// The file defining the Application.
        file: PathBuf,
    },
    /// The kustomization file cannot be read, or a `kustomize` option cannot be applied to it
    /// (`kustomize edit` fails, and so does Argo's manifest generation).
    #[error("Argo CD Application {application}: {file}: {message}")]
    Kustomization {
        /// `namespace/name`.
        application: String,
        /// The kustomization file.
        file: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A manifest of a directory source is not valid.
    #[error("Argo CD Application {application}: {file}: {message}")]
    Manifest {
        /// `namespace/name`.
        application: String,
        /// The manifest.
        file: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// kustomize failed on a kustomize source.
    #[error("Argo CD Application {application}: kustomize build failed")]
    Build {
        /// `namespace/name`.
        application: String,
        /// kustomize's error.
        #[source]
        source: kustomize_build::BuildError,
    },
}
