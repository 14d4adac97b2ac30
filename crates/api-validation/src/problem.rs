//! What validation finds: one [`Problem`] per refused field or API version, as data.

use serde::Serialize;
use std::fmt;

/// How much a problem matters at apply time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Severity {
    /// Nothing wrong, but something the caller should know (an object that was not checked).
    Info,
    /// The API server accepts the object today but says it will not for long.
    Warning,
    /// The API server refuses the object.
    Error,
}

/// The stable code of a problem; its kebab-case name is what reports print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Rule {
    /// A field the schema does not declare (server-side apply: "field not declared in schema").
    SchemaUnknownField,
    /// A value of the wrong type (a string where an integer belongs, a list where a map does).
    SchemaType,
    /// A required field is missing.
    SchemaRequired,
    /// A value outside the schema's enumeration.
    SchemaEnum,
    /// A custom resource breaks one of its CRD's `x-kubernetes-validations` rules.
    SchemaCel,
    /// A value breaks a CRD's value constraint: `pattern`, `minimum`/`maximum`,
    /// `minLength`/`maxLength`, `minItems`/`maxItems`, `minProperties`/`maxProperties`,
    /// `multipleOf`, `format`, or `anyOf`/`allOf`/`oneOf`/`not`.
    SchemaValue,
    /// A list a CRD declares `x-kubernetes-list-type: set` or `map` (or `uniqueItems`) holds
    /// the same item, or the same key, twice.
    SchemaDuplicate,
    /// The `apiVersion` is no longer served at the target Kubernetes version.
    ApiRemoved,
    /// The `apiVersion` is served but deprecated, or removed in a later release.
    ApiDeprecated,
    /// No schema is known for the object (a custom resource whose CRD was not given).
    SchemaNotChecked,
}

impl Rule {
    /// Every rule, in declaration order.
    pub const ALL: [Rule; 10] = [
        Rule::SchemaUnknownField,
        Rule::SchemaType,
        Rule::SchemaRequired,
        Rule::SchemaEnum,
        Rule::SchemaCel,
        Rule::SchemaValue,
        Rule::SchemaDuplicate,
        Rule::ApiRemoved,
        Rule::ApiDeprecated,
        Rule::SchemaNotChecked,
    ];

    /// The rule's kebab-case name, as in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::SchemaUnknownField => "schema-unknown-field",
            Rule::SchemaType => "schema-type",
            Rule::SchemaRequired => "schema-required",
            Rule::SchemaEnum => "schema-enum",
            Rule::SchemaCel => "schema-cel",
            Rule::SchemaValue => "schema-value",
            Rule::SchemaDuplicate => "schema-duplicate",
            Rule::ApiRemoved => "api-removed",
            Rule::ApiDeprecated => "api-deprecated",
            Rule::SchemaNotChecked => "schema-not-checked",
        }
    }

    /// The severity problems of this rule carry.
    pub fn severity(self) -> Severity {
        match self {
            Rule::ApiDeprecated => Severity::Warning,
            Rule::SchemaNotChecked => Severity::Info,
            _ => Severity::Error,
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// One thing the API server would refuse or warn about, for one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// How much it matters.
    pub severity: Severity,
    /// Which rule found it.
    pub rule: Rule,
    /// The object's kind.
    pub kind: String,
    /// The object's namespace, if it has one.
    pub namespace: Option<String>,
    /// The object's name.
    pub name: String,
    /// Where in the object, as `.spec.template.spec.containers[0].image`; empty for the object
    /// as a whole (`apiVersion` problems, unchecked objects).
    pub field: String,
    /// What is wrong and, where there is one, what to do.
    pub message: String,
}

impl Problem {
    /// Whether the API server would refuse the object.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.severity, self.rule, self.kind)?;
        if let Some(namespace) = &self.namespace {
            write!(f, " {namespace}/{}", self.name)?;
        } else {
            write!(f, " {}", self.name)?;
        }
        if !self.field.is_empty() {
            write!(f, " {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}
