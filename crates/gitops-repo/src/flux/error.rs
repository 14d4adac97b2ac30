//! Why building a Flux Kustomization failed.

use std::path::PathBuf;

use kustomize_build::BuildError;

/// A failure to build a Flux Kustomization the way kustomize-controller would. Each variant
/// names the Flux Kustomization (`namespace/name`) and the file or value at fault; unresolved
/// variables and `dependsOn` problems are not errors but [`super::Diagnostic`]s.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FluxError {
    /// A `${…}` expression is malformed (Flux fails the build the same way).
    #[error("bad substitution in '{expression}': {reason}")]
    Expression {
        /// The expression, from its `${` (cut at 40 characters).
        expression: String,
        /// What is wrong, in the words of Flux's parser.
        reason: &'static str,
    },
    /// A variable name (a `substitute` key, or a `ConfigMap`/Secret key of `substituteFrom`)
    /// breaks Flux's rule; Flux refuses to build then.
    #[error(
        "Flux Kustomization {kustomization}: '{name}' var name is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$' (rename the key)"
    )]
    InvalidVariableName {
        /// `namespace/name` of the Flux Kustomization.
        kustomization: String,
        /// The offending name.
        name: String,
    },
    /// Substituting the variables into one object failed.
    #[error("Flux Kustomization {kustomization}: post build failed for '{object}'")]
    Substitution {
        /// `namespace/name` of the Flux Kustomization.
        kustomization: String,
        /// The object (`Kind/namespace/name`).
        object: String,
        /// The expression error, or the YAML error after substitution.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A variable without default has no value while kustomize-controller substitutes strictly
    /// (feature gate `StrictPostBuildSubstitutions`): Flux fails the whole build. The wording
    /// after the object is Flux's (fluxcd/pkg `envsubst/template.go`, `evalFunc`, wrapped by
    /// `variable substitution failed`).
    #[error(
        "Flux Kustomization {kustomization}: post build failed for '{object}': variable substitution failed: variable not set (strict mode): \"{name}\" (set it in postBuild.substitute or a substituteFrom object, or give it a default: ${{{name}:=value}})"
    )]
    StrictVariableNotSet {
        /// `namespace/name` of the Flux Kustomization.
        kustomization: String,
        /// The first object (in build order) using it (`Kind/namespace/name`).
        object: String,
        /// The variable.
        name: String,
    },
    /// `spec.path` does not name a directory of the repository.
    #[error(
        "Flux Kustomization {kustomization} ({}): kustomization path not found: {path} (spec.path is relative to the repository root)",
        file.display()
    )]
    PathNotFound {
        /// `namespace/name` of the Flux Kustomization.
        kustomization: String,
        /// `spec.path` as written.
        path: String,
        /// The file defining the Flux Kustomization.
        file: PathBuf,
    },
    /// A YAML file under `spec.path` (which has no kustomization file, so Flux generates one
    /// listing every manifest) is not valid YAML.
    #[error("Flux Kustomization {kustomization}: failed to decode Kubernetes YAML from {}: {message}", file.display())]
    Manifest {
        /// `namespace/name` of the Flux Kustomization.
        kustomization: String,
        /// The file.
        file: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A `spec.components` entry is remote or absolute.
    #[error("Flux Kustomization {kustomization}: component path '{component}' must be local and relative")]
    Component {
        /// `namespace/name` of the Flux Kustomization.
        kustomization: String,
        /// The entry as written.
        component: String,
    },
    /// The kustomization file in `spec.path` cannot be read or decoded.
    #[error("Flux Kustomization {kustomization}: cannot use {}: {message}", file.display())]
    Kustomization {
        /// `namespace/name` of the Flux Kustomization.
        kustomization: String,
        /// The kustomization file.
        file: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// kustomize itself failed on the (generated or completed) kustomization.
    #[error("Flux Kustomization {kustomization}: kustomize build failed")]
    Build {
        /// `namespace/name` of the Flux Kustomization.
        kustomization: String,
        /// The build error.
        #[source]
        source: BuildError,
    },
}
