//! What a check or a validation found, as data: [`Report`] serializes to exactly the JSON
//! `unstuck check --format json` prints, [`Validation`] to that of `unstuck validate`.
//!
//! Units are named relative to the searched directory (`apps/prod`, or
//! `clusters/prod/apps.yaml#flux-system/apps` for a Flux Kustomization); source files relative
//! to the compared tree (the repository root, or the directory compared). All paths are
//! `/`-separated.

use crate::impact::Engine;
use immutable_rules::{Finding, Remediation, Severity, SkippedValidation};
use serde::ser::SerializeStruct as _;
use serde::{Serialize, Serializer};

/// Where a value was written: a file relative to the compared tree and a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    /// The file, relative to the compared tree.
    pub file: String,
    /// The line, counted from 1.
    pub line: usize,
    /// What wrote it: `resource file`, `patch`, a kustomization field (`commonLabels`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub writer: Option<String>,
}

impl std::fmt::Display for Source {
    /// `apps/prod/kustomization.yaml:4`, then ` (commonLabels)` when the writer is known.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)?;
        if let Some(writer) = &self.writer {
            write!(f, " ({writer})")?;
        }
        Ok(())
    }
}

/// One deploying unit's build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitBuild {
    /// The unit's name, relative to the searched directory (`.` for the directory itself).
    pub path: String,
    /// Where to point a reader, relative to the searched directory: the file the error names
    /// (a malformed file, the kustomization naming a missing resource), else the unit's
    /// kustomization file or the file defining its Flux Kustomization.
    pub file: String,
    /// The line in `file`, when the error tells it.
    pub line: Option<usize>,
    /// The build error with its causes, when the build failed.
    pub error: Option<String>,
    /// In a check: the change broke it (it built at the base, or it is new); `false` for a
    /// failure that predates the change. In a validation: always `true`.
    pub introduced: bool,
    /// What deploys the unit: a plain kustomization directory, a Flux `Kustomization` or an
    /// Argo CD `Application`.
    pub engine: Engine,
}

impl UnitBuild {
    /// Whether the build failed.
    pub fn failed(&self) -> bool {
        self.error.is_some()
    }
}

/// A rule finding of a check, with where its value comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// The rule's verdict and the units rendering the object.
    pub finding: Finding,
    /// The file and line in the repository that set the changed value, when known.
    pub source: Option<Source>,
    /// The file of the first unit showing it (relative to the searched directory): the
    /// location when the source is unknown.
    pub file: String,
}

/// A problem that does not fail the run on its own (an unresolved Flux variable, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// Stable kebab-case id, e.g. `flux-unresolved-variable`.
    pub rule: String,
    /// The unit it is about, relative to the searched directory.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub help: String,
    /// Where, when a file and line are known.
    pub source: Option<Source>,
    /// The unit's file: the location when `source` is unknown.
    #[serde(skip)]
    pub file: String,
}

/// A schema problem in one object a unit renders: what the API server's schema check
/// (`api-validation`) would refuse or warn about, with where the bad field was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaProblem {
    /// The unit rendering the object, as in [`UnitBuild::path`].
    pub path: String,
    /// The unit's file (relative to the searched directory): the location when `source` is
    /// unknown.
    pub file: String,
    /// What is wrong, in which object and field.
    pub problem: api_validation::Problem,
    /// The file and line that wrote the field, when known.
    pub source: Option<Source>,
}

/// What [`crate::compare`] found: serializes to the JSON `unstuck check --format json`
/// prints — `{"violations", "build_failures", "warnings", "impact", "problems", "accepted"}`,
/// each problem `{"path", "severity", "rule", "kind", "namespace", "name", "field", "message",
/// "source"}`, each accepted finding a violation's keys and `"acceptance": {"reason",
/// "source"}`.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Report {
    /// The rule findings, most severe first.
    pub violations: Vec<Violation>,
    /// Units failing at the head (each with `error` set).
    pub build_failures: Vec<UnitBuild>,
    /// Engine warnings about the head (unresolved variables, `dependsOn` problems…).
    pub warnings: Vec<Warning>,
    /// What the change does to each deploying unit it touches.
    pub impact: Vec<crate::impact::Impact>,
    /// The schema problems (`error` and `warning`) the change introduces in the head's objects,
    /// by unit: those the base did not already have (see [`crate::compare`] for how they are
    /// matched). Empty when the check is off ([`crate::schema::SchemaOptions::enabled`]).
    pub problems: Vec<SchemaProblem>,
    /// Transition rules of the CRDs in use ([`crate::crd_rules`]) that the rule engine does
    /// not interpret, for custom resources both sides render: the API server still enforces
    /// them. Serialized as `skipped_validations` when there are any.
    pub skipped_validations: Vec<SkippedValidation>,
    /// The findings an acceptance covers ([`crate::accept`]), with the acceptance: reported,
    /// not failing the report.
    pub accepted: Vec<crate::accept::Accepted>,
    /// Detail for a verbose reader (units compared, units not built and why); not serialized.
    pub notes: Vec<String>,
}

impl Report {
    /// Whether the change should not merge: a build it broke, an `error` violation, or an
    /// `error` schema problem it introduces.
    pub fn failed(&self) -> bool {
        self.build_failures
            .iter()
            .any(|b| b.failed() && b.introduced)
            || self
                .violations
                .iter()
                .any(|v| v.finding.violation.severity == Severity::Error)
            || self.problems.iter().any(|p| p.problem.is_error())
    }
}

/// What [`crate::validate`] found: serializes to the JSON `unstuck validate --format json`
/// prints — `{"results": [{"path", "ok", "error", "problems"}], "warnings"}`, each problem
/// `{"severity", "rule", "kind", "namespace", "name", "field", "message", "source"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Validation {
    /// Every unit built, in name order.
    pub results: Vec<UnitBuild>,
    /// The schema check's problems in the objects of the units that built, by unit (empty
    /// when the check is off: [`crate::schema::SchemaOptions::enabled`]).
    pub problems: Vec<SchemaProblem>,
    /// Engine warnings (unresolved variables, `dependsOn` problems, unreadable CRDs…).
    pub warnings: Vec<Warning>,
    /// Units not built and why; not serialized.
    pub notes: Vec<String>,
}

impl Validation {
    /// Whether the run fails: a unit does not build, or the API server would refuse an object
    /// one renders (an `error` problem). Schema warnings and `info` never fail it.
    pub fn failed(&self) -> bool {
        self.results.iter().any(UnitBuild::failed)
            || self.problems.iter().any(|p| p.problem.is_error())
    }

    /// Whether `unit` is not `ok`: it does not build, or one of its objects has an `error`
    /// problem.
    pub fn refused(&self, unit: &UnitBuild) -> bool {
        unit.failed()
            || self
                .problems
                .iter()
                .any(|p| p.path == unit.path && p.problem.is_error())
    }

    /// The schema problems of one unit's objects.
    pub fn problems_of<'a>(
        &'a self,
        unit: &'a str,
    ) -> impl Iterator<Item = &'a SchemaProblem> + 'a {
        self.problems.iter().filter(move |p| p.path == unit)
    }
}

impl Serialize for Violation {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Flat<'a> {
            severity: Severity,
            rule: &'a str,
            group: &'a str,
            kind: &'a str,
            namespace: Option<&'a str>,
            name: &'a str,
            field: &'a str,
            old: &'a str,
            new: &'a str,
            source: Option<&'a Source>,
            dirs: &'a [String],
            reason: &'a str,
            api_error: &'a str,
            remediations: &'a [Remediation],
        }
        let v = &self.finding.violation;
        Flat {
            severity: v.severity,
            rule: &v.rule,
            group: &v.object.group,
            kind: &v.object.kind,
            namespace: v.object.namespace.as_deref(),
            name: &v.object.name,
            field: &v.field,
            old: &v.old,
            new: &v.new,
            source: self.source.as_ref(),
            dirs: &self.finding.dirs,
            reason: &v.reason,
            api_error: &v.api_error,
            remediations: &v.remediations,
        }
        .serialize(serializer)
    }
}

impl Serialize for Report {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Failure<'a> {
            path: &'a str,
            error: &'a str,
            introduced: bool,
        }
        let failures: Vec<Failure<'_>> = self
            .build_failures
            .iter()
            .filter_map(|b| {
                Some(Failure {
                    path: &b.path,
                    error: b.error.as_deref()?,
                    introduced: b.introduced,
                })
            })
            .collect();
        let mut out = serializer.serialize_struct("Report", 7)?;
        out.serialize_field("violations", &self.violations)?;
        out.serialize_field("build_failures", &failures)?;
        out.serialize_field("warnings", &self.warnings)?;
        out.serialize_field("impact", &self.impact)?;
        out.serialize_field("problems", &self.problems)?;
        if self.skipped_validations.is_empty() {
            out.skip_field("skipped_validations")?;
        } else {
            out.serialize_field("skipped_validations", &self.skipped_validations)?;
        }
        out.serialize_field("accepted", &self.accepted)?;
        out.end()
    }
}

impl Serialize for SchemaProblem {
    /// `{"path", "severity", "rule", "kind", "namespace", "name", "field", "message",
    /// "source"}`: the unit, then the problem as `validate` prints it.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Flat<'a> {
            path: &'a str,
            #[serde(flatten)]
            problem: &'a api_validation::Problem,
            source: Option<&'a Source>,
        }
        Flat {
            path: &self.path,
            problem: &self.problem,
            source: self.source.as_ref(),
        }
        .serialize(serializer)
    }
}

impl Serialize for Validation {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Result<'a> {
            path: &'a str,
            ok: bool,
            error: Option<&'a str>,
            problems: Vec<Problem<'a>>,
        }
        #[derive(Serialize)]
        struct Problem<'a> {
            #[serde(flatten)]
            problem: &'a api_validation::Problem,
            source: Option<&'a Source>,
        }
        let results: Vec<Result<'_>> = self
            .results
            .iter()
            .map(|b| Result {
                path: &b.path,
                ok: !self.refused(b),
                error: b.error.as_deref(),
                problems: self
                    .problems_of(&b.path)
                    .map(|p| Problem {
                        problem: &p.problem,
                        source: p.source.as_ref(),
                    })
                    .collect(),
            })
            .collect();
        let mut out = serializer.serialize_struct("Validation", 2)?;
        out.serialize_field("results", &results)?;
        out.serialize_field("warnings", &self.warnings)?;
        out.end()
    }
}
