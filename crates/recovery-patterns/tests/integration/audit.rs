//! The audit table of `docs/recovery-patterns.md`: every format string Flux, Helm and the API
//! server write into a Ready or Stalled message, filled in and classified, must give the pattern
//! and action the table says (`unknown` for the documented default, `—` for progress).

use recovery_patterns::{Context, Verdict, UNKNOWN_NEXT_STEP, UNKNOWN_PATTERN};

use crate::support::BUILTIN;

/// One row of the audit table.
pub(crate) struct AuditRow {
    pub(crate) component: String,
    pub(crate) format: String,
    pub(crate) reason: String,
    pub(crate) pattern: String,
    pub(crate) action: String,
    pub(crate) wording: String,
}

impl AuditRow {
    /// The format with its verbs filled in, as a controller could write it.
    pub(crate) fn message(&self) -> String {
        self.format
            .replace("%s", "x")
            .replace("%v", "x")
            .replace("%w", "x")
            .replace("%T", "x")
            .replace("%q", "\"x\"")
            .replace("%d", "3")
            .replace("\\n", "\n")
    }

    /// Whether the row documents a failure (not progress or success).
    pub(crate) fn is_failure(&self) -> bool {
        self.pattern != "—"
    }
}

/// The rows of the `## Audit` section.
pub(crate) fn audit_rows() -> Vec<AuditRow> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/recovery-patterns.md"
    );
    let doc = std::fs::read_to_string(path).expect("docs/recovery-patterns.md is readable");
    let start = doc
        .find("\n## Audit")
        .expect("the doc has an audit section");
    let section = &doc[start + 1..];
    let end = section[1..].find("\n## ").map_or(section.len(), |i| i + 1);
    section[..end]
        .lines()
        .filter(|line| line.starts_with("| ") && !line.starts_with("| Component"))
        .map(|line| {
            let cells = split_cells(line);
            assert_eq!(cells.len(), 7, "seven columns: {line}");
            AuditRow {
                component: cells[0].clone(),
                format: unquote(&cells[2]),
                reason: cells[3].clone(),
                pattern: unquote(&cells[4]),
                action: unquote(&cells[5]),
                wording: cells[6].clone(),
            }
        })
        .collect()
}

/// The cells of a Markdown table row (`\|` is a literal bar).
fn split_cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    let mut cells = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cells.last_mut().unwrap().push('|');
                chars.next();
            }
            '|' => cells.push(String::new()),
            c => cells.last_mut().unwrap().push(c),
        }
    }
    cells.iter().map(|cell| cell.trim().to_owned()).collect()
}

/// `` `x` `` or ``` `` x `` ``` → `x`.
fn unquote(cell: &str) -> String {
    if let Some(inner) = cell.strip_prefix("`` ").and_then(|c| c.strip_suffix(" ``")) {
        return inner.to_owned();
    }
    cell.trim_matches('`').to_owned()
}

#[test]
fn the_audit_covers_every_component_and_both_wordings() {
    let rows = audit_rows();
    assert!(rows.len() > 150, "{} rows", rows.len());
    for component in [
        "kustomize-controller",
        "helm-controller",
        "source-controller",
        "fluxcd/pkg",
        "Helm",
        "API server",
        "SOPS",
    ] {
        assert!(
            rows.iter().any(|row| row.component == component),
            "{component}"
        );
    }
    assert!(rows.iter().any(|row| row.wording.starts_with("older")));
}

#[test]
fn every_audited_format_gives_the_documented_pattern_and_action() {
    let mut wrong = Vec::new();
    for row in audit_rows() {
        let message = row.message();
        let context = Context {
            message: &message,
            reason: Some(row.reason.as_str()),
            ..Context::default()
        };
        let (pattern, action) = match BUILTIN.verdict(&context) {
            Verdict::Known(found) => (found.pattern, found.action.to_string()),
            Verdict::Unknown(failure) => {
                assert_eq!(failure.next_step, UNKNOWN_NEXT_STEP);
                (failure.pattern, "investigate".to_owned())
            }
            Verdict::NotAFailure => ("—".to_owned(), "—".to_owned()),
        };
        if pattern != row.pattern || action != row.action {
            wrong.push(format!(
                "{:?}: documented {} → {}, got {pattern} → {action}",
                row.format, row.pattern, row.action
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Built-in patterns no audited controller writes a message for, and why they stay.
const NOT_FROM_THE_AUDITED_SOURCES: &[&str] = &[
    // Flux reports a dependency cycle only as dependencies that never become ready; the pattern
    // serves tools that sort dependsOn graphs themselves (the `flux` CLI, this project's checks).
    "circular-dependency",
];

#[test]
fn every_builtin_pattern_appears_in_the_audit() {
    let rows = audit_rows();
    for entry in BUILTIN.patterns() {
        assert!(
            rows.iter().any(|row| row.pattern == entry.name)
                || NOT_FROM_THE_AUDITED_SOURCES.contains(&entry.name.as_str()),
            "no audit row for {}",
            entry.name
        );
    }
}

#[test]
fn failures_are_never_silent() {
    for row in audit_rows().iter().filter(|row| row.is_failure()) {
        let message = row.message();
        let without_reason = BUILTIN.verdict(&Context::new(&message));
        assert!(
            without_reason.is_failure(),
            "{:?} is a failure even without its reason",
            row.format
        );
        if let Verdict::Unknown(failure) = without_reason {
            assert_eq!(failure.pattern, UNKNOWN_PATTERN);
        }
    }
}
