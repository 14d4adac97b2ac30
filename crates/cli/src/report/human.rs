//! The human format: one block per problem, each ending with what to do, and a summary line.
//! Styles are ANSI codes; the caller's `anstream` stream strips them off a terminal or when
//! `NO_COLOR`/`--color never` says so.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use gitops_repo::impact::Engine;
use immutable_rules::Severity;

use super::{plural, Accepted, Build, Report, Subject, Violation, Warning};

const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();
const INFO: Style = AnsiColor::Cyan.on_default().bold();
const OK: Style = AnsiColor::Green.on_default().bold();
const EMPHASIS: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();

/// Write the report. `verbose` shows `info` findings in full and the notes.
pub(crate) fn write(out: &mut impl Write, report: &Report, verbose: bool) -> io::Result<()> {
    match &report.subject {
        Subject::Validate => validate(out, report)?,
        Subject::Check { base, head } => check(out, report, base, head, verbose)?,
    }
    if verbose {
        for note in report.notes() {
            writeln!(out, "{DIM}{note}{DIM:#}")?;
        }
    }
    Ok(())
}

fn validate(out: &mut impl Write, report: &Report) -> io::Result<()> {
    for build in report.builds().iter().filter(|b| b.failed()) {
        let error = build.error.as_deref().unwrap_or_default();
        writeln!(
            out,
            "{ERROR}FAIL{ERROR:#} {EMPHASIS}{}{EMPHASIS:#}",
            build.path
        )?;
        writeln!(out, "     {error}")?;
        if let Some(line) = build.line {
            writeln!(out, "     at:  {}:{line}", build.file)?;
        }
        writeln!(
            out,
            "     {DIM}fix:{DIM:#} correct the file the error names; `{}` shows the same error",
            report.build_command(&build.path)
        )?;
    }
    schema_problems(out, report)?;
    warnings(out, report.warnings())?;
    let total = report.builds().len();
    let failed = report.builds().iter().filter(|b| b.failed()).count();
    let style = if failed == 0 { OK } else { ERROR };
    let count = |engine: Engine| {
        report
            .builds()
            .iter()
            .filter(|b| b.engine == engine)
            .count()
    };
    let (flux, argo) = (count(Engine::Flux), count(Engine::Argo));
    let mut kinds = vec![plural(
        total - flux - argo,
        "kustomization directory",
        "kustomization directories",
    )];
    if flux > 0 {
        kinds.push(plural(flux, "Flux Kustomization", "Flux Kustomizations"));
    }
    if argo > 0 {
        kinds.push(plural(argo, "Argo CD Application", "Argo CD Applications"));
    }
    let what = if kinds.len() == 1 {
        kinds.remove(0)
    } else {
        format!("{total} ({})", kinds.join(", "))
    };
    let mut summary = format!("{} of {what} built, {failed} failed", total - failed);
    let schema_errors = report
        .problems()
        .iter()
        .filter(|p| p.problem.is_error())
        .count();
    // The run fails on schema errors too, so the summary is red for them.
    let style = if schema_errors > 0 { ERROR } else { style };
    if schema_errors > 0 {
        summary.push_str(", ");
        summary.push_str(&plural(schema_errors, "schema error", "schema errors"));
    }
    if !report.warnings().is_empty() {
        summary.push_str(", ");
        summary.push_str(&plural(report.warnings().len(), "warning", "warnings"));
    }
    writeln!(out, "{style}{summary}{style:#}")
}

/// Each schema error and warning, under the target rendering it; `info` (objects not checked)
/// is left to `--format json`.
fn schema_problems(out: &mut impl Write, report: &Report) -> io::Result<()> {
    for entry in report
        .problems()
        .iter()
        .filter(|p| p.problem.severity != api_validation::Severity::Info)
    {
        let problem = &entry.problem;
        let (style, label) = if problem.is_error() {
            (ERROR, "FAIL")
        } else {
            (WARNING, "WARN")
        };
        let object = match &problem.namespace {
            Some(namespace) => format!("{} {namespace}/{}", problem.kind, problem.name),
            None => format!("{} {}", problem.kind, problem.name),
        };
        let field = if problem.field.is_empty() {
            String::new()
        } else {
            format!(" {}", problem.field)
        };
        writeln!(
            out,
            "{style}{label}{style:#} {EMPHASIS}{}{EMPHASIS:#} {}: {object}{field}",
            entry.path, problem.rule
        )?;
        writeln!(out, "     {}", problem.message)?;
        match &entry.source {
            Some(source) => writeln!(out, "     at:  {source}")?,
            None => writeln!(out, "     in:  {}", entry.file)?,
        }
        let help = super::diagnostic::schema_help(problem.rule);
        writeln!(out, "     {DIM}fix:{DIM:#} {help}")?;
    }
    Ok(())
}

fn check(
    out: &mut impl Write,
    report: &Report,
    base: &str,
    head: &str,
    verbose: bool,
) -> io::Result<()> {
    for build in report.builds().iter().filter(|b| b.failed()) {
        build_failure(out, report, build, base)?;
    }
    for violation in report.violations() {
        finding(out, violation, verbose)?;
    }
    // Only those the change introduces: they are its errors and warnings like any other.
    schema_problems(out, report)?;
    warnings(out, report.warnings())?;
    for entry in report.accepted() {
        accepted(out, report, entry)?;
    }
    for impact in report.impact() {
        writeln!(
            out,
            "{INFO}impact{INFO:#}: {EMPHASIS}{}{EMPHASIS:#} ({}): {}",
            impact.unit,
            impact.engine,
            impact.summary()
        )?;
        if !impact.removed_objects.is_empty() {
            let removed: Vec<String> = impact
                .removed_objects
                .iter()
                .map(ToString::to_string)
                .collect();
            writeln!(out, "  removed: {}", removed.join(", "))?;
        }
    }

    let count = |severity: Severity| {
        report
            .violations()
            .iter()
            .filter(|v| v.finding.violation.severity == severity)
            .count()
    };
    let broken = report.builds().iter().filter(|b| b.failed()).count();
    let introduced = report
        .builds()
        .iter()
        .filter(|b| b.failed() && b.introduced)
        .count();
    let schema_errors = report
        .problems()
        .iter()
        .filter(|p| p.problem.is_error())
        .count();
    let schema_warnings = report.problems().len() - schema_errors;
    let errors = count(Severity::Error) + introduced + schema_errors;
    let warnings = count(Severity::Warning)
        + (broken - introduced)
        + report.warnings().len()
        + schema_warnings;
    let style = if report.failed() { ERROR } else { OK };
    writeln!(
        out,
        "{style}{base} → {head}: {}, {}, {} info; {} ({} pre-existing){style:#}",
        plural(errors, "error", "errors"),
        plural(warnings, "warning", "warnings"),
        count(Severity::Info),
        plural(broken, "broken build", "broken builds"),
        broken - introduced,
    )?;
    if !report.accepted().is_empty() {
        writeln!(
            out,
            "{INFO}{}, not counted above{INFO:#}",
            plural(
                report.accepted().len(),
                "finding accepted",
                "findings accepted"
            )
        )?;
    }
    if count(Severity::Error) > 0 {
        writeln!(
            out,
            "next: `unstuck plan` with the same arguments turns each error into commit-ready migration steps (docs/plan.md)"
        )?;
    }
    Ok(())
}

fn build_failure(
    out: &mut impl Write,
    report: &Report,
    build: &Build,
    base: &str,
) -> io::Result<()> {
    let (style, severity, why, fix) = if build.introduced {
        (
            ERROR,
            "error",
            "the change breaks this build".to_owned(),
            "correct the file the error names",
        )
    } else {
        (
            WARNING,
            "warning",
            format!("already failing at {base}, before the change"),
            "repair it in a change of its own (it does not block this one)",
        )
    };
    writeln!(
        out,
        "{style}{severity}{style:#}: {EMPHASIS}{}{EMPHASIS:#} does not build ({why})",
        build.path
    )?;
    writeln!(out, "  {}", build.error.as_deref().unwrap_or_default())?;
    if let Some(line) = build.line {
        writeln!(out, "  at:  {}:{line}", build.file)?;
    }
    writeln!(
        out,
        "  {DIM}fix:{DIM:#} {fix}; `{}` shows the same error",
        report.build_command(&build.path)
    )
}

fn severity_style(severity: Severity) -> Style {
    match severity {
        Severity::Error => ERROR,
        Severity::Warning => WARNING,
        Severity::Info => INFO,
    }
}

fn finding(out: &mut impl Write, violation: &Violation, verbose: bool) -> io::Result<()> {
    let v = &violation.finding.violation;
    let dirs = violation.finding.dirs.join(", ");
    let style = severity_style(v.severity);
    if v.severity == Severity::Info && !verbose {
        // Prunes and creates stay compact unless asked: two lines, still saying what to do.
        writeln!(
            out,
            "{style}info{style:#}: {} {EMPHASIS}{}{EMPHASIS:#} [{dirs}]: {}",
            v.rule, v.object, v.reason
        )?;
        if let Some(source) = &violation.source {
            writeln!(out, "  at:  {source}")?;
        }
        for remediation in &v.remediations {
            writeln!(out, "  {DIM}fix:{DIM:#} {remediation}")?;
        }
        return Ok(());
    }
    if v.field.is_empty() {
        // About the whole object (a prune), not one field.
        writeln!(
            out,
            "{style}{}{style:#}: {} {EMPHASIS}{}{EMPHASIS:#}",
            v.severity, v.rule, v.object
        )?;
    } else {
        writeln!(
            out,
            "{style}{}{style:#}: {} {EMPHASIS}{}{EMPHASIS:#}: {}",
            v.severity, v.rule, v.object, v.field
        )?;
    }
    writeln!(out, "  old: {}", v.old)?;
    writeln!(out, "  new: {}", v.new)?;
    writeln!(out, "  in:  {dirs}")?;
    if let Some(source) = &violation.source {
        writeln!(out, "  at:  {source}")?;
    }
    writeln!(out, "  why: {}", v.reason)?;
    if !v.api_error.is_empty() {
        writeln!(out, "  api server: {}", v.api_error)?;
    }
    for remediation in &v.remediations {
        writeln!(out, "  {DIM}fix:{DIM:#} {remediation}")?;
    }
    Ok(())
}

/// A finding an acceptance covers: what it is, and who accepted it why.
fn accepted(out: &mut impl Write, report: &Report, entry: &Accepted) -> io::Result<()> {
    let v = &entry.violation.finding.violation;
    let what = if v.field.is_empty() {
        String::new()
    } else {
        format!(": {}", v.field)
    };
    writeln!(
        out,
        "{INFO}accepted{INFO:#} ({}, not counted): {} {EMPHASIS}{}{EMPHASIS:#}{what}",
        v.severity, v.rule, v.object
    )?;
    writeln!(out, "  in:  {}", entry.violation.finding.dirs.join(", "))?;
    writeln!(out, "  why: {}", v.reason)?;
    let by = entry.acceptance.source.as_ref().map_or_else(
        || "--accept".to_owned(),
        |source| format!("{}:{}", report.source_path(source), source.line),
    );
    writeln!(out, "  accepted by {by}: {}", entry.acceptance.reason)
}

fn warnings(out: &mut impl Write, warnings: &[Warning]) -> io::Result<()> {
    for warning in warnings {
        writeln!(
            out,
            "{WARNING}warning{WARNING:#}: {} {EMPHASIS}{}{EMPHASIS:#}: {}",
            warning.rule, warning.path, warning.message
        )?;
        if let Some(source) = &warning.source {
            writeln!(out, "  at:  {source}")?;
        }
        writeln!(out, "  {DIM}fix:{DIM:#} {}", warning.help)?;
    }
    Ok(())
}
