//! The JSON format. Its keys are a stable interface (docs/validate-and-check.md lists them):
//!
//! - `validate`: `{"results": [{"path", "ok", "error", "problems": [{"severity", "rule",
//!   "kind", "namespace", "name", "field", "message", "source": {"file", "line"}}]}],
//!   "warnings": [...]}`;
//! - `check`: `{"violations": [{"severity", "rule", "group", "kind", "namespace", "name",
//!   "field", "old", "new", "source": {"file", "line"}, "dirs", "reason", "api_error",
//!   "remediations"}], "build_failures": [{"path", "error", "introduced"}], "warnings": [...]}`;
//! - each warning: `{"rule", "path", "message", "help", "source"}`.
//!
//! Directories are relative to PATH, source files to the compared tree (the repository root or
//! `--head-dir`). New keys may be added; these are not renamed or removed.

use std::io::{self, Write};

use immutable_rules::{Remediation, Severity};
use serde::Serialize;

use super::{Report, Source, Subject};

#[derive(Serialize)]
struct ValidateJson<'a> {
    results: Vec<ResultJson<'a>>,
    warnings: Vec<WarningJson<'a>>,
}

#[derive(Serialize)]
struct ResultJson<'a> {
    path: &'a str,
    ok: bool,
    error: Option<&'a str>,
    problems: Vec<ProblemJson<'a>>,
}

#[derive(Serialize)]
struct ProblemJson<'a> {
    #[serde(flatten)]
    problem: &'a api_validation::Problem,
    source: Option<&'a Source>,
}

#[derive(Serialize)]
struct CheckJson<'a> {
    violations: Vec<ViolationJson<'a>>,
    build_failures: Vec<BuildFailureJson<'a>>,
    warnings: Vec<WarningJson<'a>>,
}

#[derive(Serialize)]
struct ViolationJson<'a> {
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

#[derive(Serialize)]
struct BuildFailureJson<'a> {
    path: &'a str,
    error: &'a str,
    introduced: bool,
}

#[derive(Serialize)]
struct WarningJson<'a> {
    rule: &'a str,
    path: &'a str,
    message: &'a str,
    help: &'a str,
    source: Option<&'a Source>,
}

/// Write the report as pretty-printed JSON and a newline.
pub(crate) fn write(out: &mut impl Write, report: &Report) -> io::Result<()> {
    let warnings = report
        .warnings
        .iter()
        .map(|w| WarningJson {
            rule: &w.rule,
            path: &w.path,
            message: &w.message,
            help: &w.help,
            source: w.source.as_ref(),
        })
        .collect();
    match report.subject {
        Subject::Validate => {
            let results = report
                .builds
                .iter()
                .map(|b| ResultJson {
                    path: &b.path,
                    ok: !b.refused(report),
                    error: b.error.as_deref(),
                    problems: report
                        .problems
                        .iter()
                        .filter(|p| p.path == b.path)
                        .map(|p| ProblemJson {
                            problem: &p.problem,
                            source: p.source.as_ref(),
                        })
                        .collect(),
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &ValidateJson { results, warnings })?;
        }
        Subject::Check { .. } => {
            let violations = report
                .violations
                .iter()
                .map(|violation| {
                    let v = &violation.finding.violation;
                    ViolationJson {
                        severity: v.severity,
                        rule: &v.rule,
                        group: &v.object.group,
                        kind: &v.object.kind,
                        namespace: v.object.namespace.as_deref(),
                        name: &v.object.name,
                        field: &v.field,
                        old: &v.old,
                        new: &v.new,
                        source: violation.source.as_ref(),
                        dirs: &violation.finding.dirs,
                        reason: &v.reason,
                        api_error: &v.api_error,
                        remediations: &v.remediations,
                    }
                })
                .collect();
            let build_failures = report
                .builds
                .iter()
                .filter_map(|b| {
                    Some(BuildFailureJson {
                        path: &b.path,
                        error: b.error.as_deref()?,
                        introduced: b.introduced,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(
                &mut *out,
                &CheckJson {
                    violations,
                    build_failures,
                    warnings,
                },
            )?;
        }
    }
    writeln!(out)
}
