//! Errors: the rule set could not be built. Violations are never errors.

/// A user rule file could not be read into rules.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuleFileError {
    /// The YAML does not parse or does not have the rule-file shape.
    #[error("{file}:{line}:{column}: not a valid rule file")]
    Parse {
        /// Name of the file (as given by the caller).
        file: String,
        /// 1-based line, 0 when unknown.
        line: usize,
        /// 1-based column, 0 when unknown.
        column: usize,
        /// What the YAML parser said.
        #[source]
        source: serde_yaml_ng::Error,
    },
    /// A rule parses but makes no sense (empty id, no kind, bad field path).
    #[error("{file}:{line}: rule {id:?}: {problem}")]
    Invalid {
        /// Name of the file.
        file: String,
        /// 1-based line of the offending text, 0 when unknown.
        line: usize,
        /// The rule's id.
        id: String,
        /// What is wrong and what to do.
        problem: String,
    },
}

/// A CustomResourceDefinition handed to the rule set is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CrdError {
    /// The object is not an `apiextensions.k8s.io` CustomResourceDefinition.
    #[error("object is a {found:?}, not a CustomResourceDefinition (apiextensions.k8s.io)")]
    NotACrd {
        /// `apiVersion kind` of the object.
        found: String,
    },
    /// A required field is missing.
    #[error("CustomResourceDefinition {name:?} has no {field}")]
    Missing {
        /// `metadata.name`.
        name: String,
        /// The missing field.
        field: &'static str,
    },
}
