//! Findings about Flux Kustomizations that are data, not build failures: unresolved variables,
//! `substituteFrom` sources missing from the repository, `dependsOn` problems.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// How much a [`Diagnostic`] matters.
///
/// A dependency cycle is an `Error`: the Kustomizations in it are never applied. The rest are
/// `Warning`s, because the repository alone cannot settle them (the missing object may be
/// created outside git, the dependency may live in another repository).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Flux will get stuck on this.
    Error,
    /// Likely wrong, or not checkable offline.
    Warning,
    /// Worth knowing (a Kustomization that was not built, and why).
    Info,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "info",
        })
    }
}

/// What a [`Diagnostic`] is about; a stable kebab-case code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Code {
    /// A `${VAR}` without a default has no value; Flux substitutes the empty string.
    UnresolvedVariable,
    /// A `substituteFrom` `ConfigMap` or Secret is not in the repository.
    MissingSubstituteSource,
    /// A `substituteFrom` Secret is SOPS-encrypted; its values are not readable offline.
    EncryptedSubstituteSource,
    /// A `dependsOn` entry names no Flux Kustomization of the repository.
    MissingDependency,
    /// Flux Kustomizations depend on each other in a circle.
    DependencyCycle,
    /// The Kustomization reads another source than this repository, so it is not built.
    ForeignSource,
    /// A file mentioning Flux Kustomizations is not valid YAML.
    UnreadableManifest,
    /// The Kustomization's file lies in another Kustomization's `spec.path`, whose build does
    /// not include it: Flux never applies it, so it is not built.
    NotApplied,
    /// The repository turns kustomize-controller's `StrictPostBuildSubstitutions` gate on, so
    /// Flux Kustomizations are built with strict substitution.
    StrictSubstitution,
}

impl Code {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnresolvedVariable => "unresolved-variable",
            Self::MissingSubstituteSource => "missing-substitute-source",
            Self::EncryptedSubstituteSource => "encrypted-substitute-source",
            Self::MissingDependency => "missing-dependency",
            Self::DependencyCycle => "dependency-cycle",
            Self::ForeignSource => "foreign-source",
            Self::UnreadableManifest => "unreadable-manifest",
            Self::NotApplied => "not-applied",
            Self::StrictSubstitution => "strict-substitution",
        }
    }

    /// The severity findings with this code have.
    pub fn severity(self) -> Severity {
        match self {
            Self::DependencyCycle => Severity::Error,
            Self::ForeignSource | Self::NotApplied | Self::StrictSubstitution => Severity::Info,
            _ => Severity::Warning,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding about a Flux Kustomization.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Diagnostic {
    /// How much it matters.
    pub severity: Severity,
    /// What it is about.
    pub code: Code,
    /// `namespace/name` of the Flux Kustomization concerned.
    pub kustomization: String,
    /// The file defining that Kustomization (or the unreadable file).
    pub file: PathBuf,
    /// A sentence naming the variable, object or dependency and what to do.
    pub message: String,
    /// What else it is about: the members of a dependency cycle in order (first repeated at
    /// the end), or the objects using an unresolved variable.
    pub related: Vec<String>,
}

impl Diagnostic {
    /// A finding with the severity of its code.
    pub fn new(
        code: Code,
        kustomization: impl Into<String>,
        file: impl Into<PathBuf>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity: code.severity(),
            code,
            kustomization: kustomization.into(),
            file: file.into(),
            message: message.into(),
            related: Vec::new(),
        }
    }

    /// The same finding, with [`Diagnostic::related`] set.
    #[must_use]
    pub fn with_related(mut self, related: Vec<String>) -> Self {
        self.related = related;
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} [{}]: {}",
            self.severity, self.kustomization, self.code, self.message
        )
    }
}
