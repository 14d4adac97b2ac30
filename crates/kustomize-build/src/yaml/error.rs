//! The error a YAML parse ends in.

use std::fmt;

/// Why a YAML text could not be read, with the 1-based line and column where the problem is.
///
/// The message never names a file: the caller knows it and adds it in front
/// (`"{file}: {error}"` reads as `deploy.yaml: line 3, column 7: ...`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {kind}")]
pub struct YamlError {
    line: usize,
    column: usize,
    kind: YamlErrorKind,
}

impl YamlError {
    pub(crate) fn new(line: usize, column: usize, kind: YamlErrorKind) -> Self {
        Self { line, column, kind }
    }

    /// The same error in a text that starts `lines` lines further down.
    pub(crate) fn shifted(mut self, lines: usize) -> Self {
        self.line += lines;
        if let YamlErrorKind::DuplicateKey { first_line, .. } = &mut self.kind {
            *first_line += lines;
        }
        self
    }

    /// The 1-based line of the problem.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The 1-based column (in characters) of the problem.
    pub fn column(&self) -> usize {
        self.column
    }

    /// What went wrong.
    pub fn kind(&self) -> &YamlErrorKind {
        &self.kind
    }
}

/// What went wrong while reading YAML.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum YamlErrorKind {
    /// The text is not well-formed YAML (message from the scanner/parser).
    Syntax(String),
    /// A mapping repeats a key; kustomize rejects the object.
    DuplicateKey {
        /// The repeated key.
        key: String,
        /// The line where the key first appeared.
        first_line: usize,
    },
    /// A nested mapping key is not a string (`1: a`, `true: a`, `~: a`); kustomize cannot turn it
    /// into JSON.
    NonStringKey(String),
    /// A mapping key is itself a mapping or a sequence.
    ComplexKey,
    /// `.inf`, `-.inf` or `.nan`: JSON has no such numbers, so kustomize fails on them.
    NonFiniteFloat(String),
    /// An explicit tag that does not fit the value (`!!int abc`).
    TagMismatch {
        /// The value's own type (`!!str`, `!!float`, ...).
        found: &'static str,
        /// The scalar text.
        value: String,
        /// The tag written in the text.
        tag: String,
    },
    /// `!!binary` data that is not base64.
    InvalidBinary,
    /// A merge key (`<<`) whose value is not a mapping or a list of mappings.
    InvalidMerge(&'static str),
    /// Nesting deeper than the limit.
    TooDeep {
        /// The limit in force.
        limit: usize,
    },
    /// Aliases expand to more nodes or bytes than the limit (an "alias bomb").
    AliasExpansion {
        /// The node limit in force.
        limit: usize,
    },
    /// The input is larger than the limit.
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
}

impl fmt::Display for YamlErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax(message) => f.write_str(message),
            Self::DuplicateKey { key, first_line } => {
                write!(f, "mapping key {key:?} already defined at line {first_line}")
            }
            Self::NonStringKey(key) => write!(
                f,
                "mapping key {key:?} is not a string; quote it (kustomize objects are JSON, whose keys are strings)"
            ),
            Self::ComplexKey => f.write_str("a mapping key must be a scalar, not a mapping or a sequence"),
            Self::NonFiniteFloat(text) => write!(
                f,
                "unsupported value {text:?}: JSON has no infinity or NaN; quote it to keep it as a string"
            ),
            Self::TagMismatch { found, value, tag } => {
                write!(f, "cannot decode {found} `{value}` as a {tag}")
            }
            Self::InvalidBinary => f.write_str("!!binary value contains invalid base64 data"),
            Self::InvalidMerge(why) => write!(f, "invalid map merge: {why}"),
            Self::TooDeep { limit } => write!(f, "nesting is deeper than the limit of {limit} levels"),
            Self::AliasExpansion { limit } => write!(
                f,
                "aliases expand to more than {limit} nodes (or too many bytes); the document contains excessive aliasing"
            ),
            Self::TooLarge { limit } => write!(f, "input is larger than the limit of {limit} bytes"),
        }
    }
}
