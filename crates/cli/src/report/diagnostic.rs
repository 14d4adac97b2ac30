//! The report flattened into located, levelled messages, each saying what to do: the shape
//! SARIF and GitHub annotations share. Also the documentation of every rule id a report can
//! carry (SARIF lists it once per rule).

use std::fmt::Write as _;

use immutable_rules::{builtin_rule, Severity, CREATED_RULE, PRUNED_RULE};

use super::{Report, Subject};

/// Rule id of what a change does to one deploying unit (never fails the run).
pub(crate) const IMPACT_RULE: &str = "gitops-impact";

/// Rule id of a kustomization directory that does not build.
pub(crate) const BUILD_FAILURE_RULE: &str = "build-failure";

/// How serious a diagnostic is, in SARIF's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    Error,
    Warning,
    Note,
}

impl Level {
    /// SARIF's `level`.
    pub(crate) const fn sarif(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
        }
    }

    /// The GitHub workflow command.
    pub(crate) const fn github(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "notice",
        }
    }
}

impl From<Severity> for Level {
    fn from(severity: Severity) -> Self {
        match severity {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
            Severity::Info => Level::Note,
        }
    }
}

/// One message, with where it points (relative to the repository root).
#[derive(Debug, Clone)]
pub(crate) struct Diagnostic {
    pub(crate) level: Level,
    pub(crate) rule: String,
    /// One line: what and where (`deployment-selector: Deployment.apps shop/web`).
    pub(crate) title: String,
    /// The whole story, several lines, ending with what to do.
    pub(crate) message: String,
    /// File relative to the repository root.
    pub(crate) file: String,
    /// 1-based line: the source line when known, else 1 (the top of the kustomization file,
    /// as GitHub code scanning places a result only with a line).
    pub(crate) line: usize,
    /// For an accepted finding: why it is meant (SARIF's suppression justification).
    pub(crate) accepted: Option<String>,
}

/// Documentation of one rule id.
#[derive(Debug, Clone)]
pub(crate) struct RuleDoc {
    pub(crate) id: String,
    /// One sentence.
    pub(crate) short: String,
    /// When it fires.
    pub(crate) full: String,
    /// What to do.
    pub(crate) help: String,
    pub(crate) level: Level,
}

/// Every build failure, violation, impact, schema problem, warning and accepted finding of the
/// report, in that order.
pub(crate) fn diagnostics(report: &Report) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for build in report.builds() {
        let Some(error) = &build.error else { continue };
        let (level, why, fix) = match (&report.subject, build.introduced) {
            (Subject::Check { base, .. }, false) => (
                Level::Warning,
                format!("already failing at {base}, before this change"),
                "repair it in a change of its own (it does not block this one)",
            ),
            (Subject::Check { .. }, true) => (
                Level::Error,
                "this change breaks the build".to_owned(),
                "correct the file the error names",
            ),
            (Subject::Validate, _) => (
                Level::Error,
                "the build fails".to_owned(),
                "correct the file the error names",
            ),
        };
        out.push(Diagnostic {
            level,
            rule: BUILD_FAILURE_RULE.to_owned(),
            title: format!("{} does not build", build.path),
            message: format!(
                "{} does not build ({why}): {error}\nFix: {fix}; `{}` shows the same error.",
                build.path,
                report.build_command(&build.path)
            ),
            file: report.repo_path(&build.file),
            line: build.line.unwrap_or(1),
            accepted: None,
        });
    }
    for violation in report.violations() {
        let v = &violation.finding.violation;
        // A finding about a whole object (a prune) names no field.
        let what = if v.field.is_empty() {
            v.object.to_string()
        } else {
            format!("{} {}", v.object, v.field)
        };
        let mut message = format!("{what}: {}", v.reason);
        if v.rule != PRUNED_RULE && v.rule != CREATED_RULE {
            let _ = write!(message, "\nChange: {} → {}", v.old, v.new);
        }
        if !v.api_error.is_empty() {
            let _ = write!(message, "\nThe API server answers: {}", v.api_error);
        }
        let _ = write!(
            message,
            "\nRendered by: {}",
            violation.finding.dirs.join(", ")
        );
        for remediation in &v.remediations {
            let _ = write!(message, "\nFix: {remediation}");
        }
        let (file, line) = match &violation.source {
            Some(source) => (report.source_path(source), source.line.max(1)),
            None => (report.repo_path(&violation.file), 1),
        };
        out.push(Diagnostic {
            level: v.severity.into(),
            rule: v.rule.clone(),
            title: format!("{}: {what}", v.rule),
            message,
            file,
            line,
            accepted: None,
        });
    }
    for impact in report.impact() {
        let mut message = format!("{} ({}): {}", impact.unit, impact.engine, impact.summary());
        if !impact.removed_objects.is_empty() {
            let removed: Vec<String> = impact
                .removed_objects
                .iter()
                .map(ToString::to_string)
                .collect();
            let _ = write!(message, "\nRemoved: {}", removed.join(", "));
        }
        let fix = if impact.suspended {
            "resume it (`spec.suspend: false`) when this should roll out"
        } else if impact.removed > 0 && !impact.prune {
            "delete the removed objects from the cluster by hand if they should go"
        } else {
            "nothing to do if this is what the change means to do"
        };
        let _ = write!(message, "\nFix: {fix}");
        out.push(Diagnostic {
            level: Level::Note,
            rule: IMPACT_RULE.to_owned(),
            title: format!("{IMPACT_RULE}: {}", impact.unit),
            message,
            file: report.repo_path(&impact.file),
            line: 1,
            accepted: None,
        });
    }
    for entry in report.problems() {
        let problem = &entry.problem;
        let level = match problem.severity {
            api_validation::Severity::Error => Level::Error,
            api_validation::Severity::Warning => Level::Warning,
            _ => continue,
        };
        let (file, line) = match &entry.source {
            Some(source) => (report.source_path(source), source.line.max(1)),
            None => (report.repo_path(&entry.file), 1),
        };
        out.push(Diagnostic {
            level,
            rule: problem.rule.to_string(),
            title: format!(
                "{}: {} {} {}",
                problem.rule, entry.path, problem.kind, problem.name
            ),
            message: format!(
                "{}: {problem}\nFix: {}",
                entry.path,
                schema_help(problem.rule)
            ),
            file,
            line,
            accepted: None,
        });
    }
    for warning in report.warnings() {
        let (file, line) = match &warning.source {
            Some(source) => (report.source_path(source), source.line.max(1)),
            None => (report.repo_path(&warning.file), 1),
        };
        out.push(Diagnostic {
            level: Level::Warning,
            rule: warning.rule.clone(),
            title: format!("{}: {}", warning.rule, warning.path),
            message: format!(
                "{}: {}\nFix: {}",
                warning.path, warning.message, warning.help
            ),
            file,
            line,
            accepted: None,
        });
    }
    for accepted in report.accepted() {
        let (violation, acceptance) = (&accepted.violation, &accepted.acceptance);
        let v = &violation.finding.violation;
        let by = acceptance.source.as_ref().map_or_else(
            || "--accept".to_owned(),
            |s| format!("{}:{}", report.source_path(s), s.line),
        );
        let (file, line) = match &violation.source {
            Some(source) => (report.source_path(source), source.line.max(1)),
            None => (report.repo_path(&violation.file), 1),
        };
        out.push(Diagnostic {
            level: Level::Note,
            rule: v.rule.clone(),
            title: format!("accepted {}: {}", v.rule, v.object),
            message: format!(
                "Accepted ({}, not counted): {}: {}\nRendered by: {}\nAccepted by {by}: {}",
                v.severity,
                v.object,
                v.reason,
                violation.finding.dirs.join(", "),
                acceptance.reason
            ),
            file,
            line,
            accepted: Some(acceptance.reason.clone()),
        });
    }
    out
}

/// The documentation of each rule the report uses, in order of first use.
pub(crate) fn rules_used(report: &Report) -> Vec<RuleDoc> {
    let mut docs: Vec<RuleDoc> = Vec::new();
    let mut add = |doc: RuleDoc| {
        if !docs.iter().any(|d| d.id == doc.id) {
            docs.push(doc);
        }
    };
    if report.builds().iter().any(super::Build::failed) {
        add(build_failure_doc());
    }
    for violation in report.violations() {
        let v = &violation.finding.violation;
        add(violation_doc(
            &v.rule,
            v.severity,
            &v.reason,
            &v.remediations,
        ));
    }
    for accepted in report.accepted() {
        let v = &accepted.violation.finding.violation;
        add(violation_doc(
            &v.rule,
            v.severity,
            &v.reason,
            &v.remediations,
        ));
    }
    if !report.impact().is_empty() {
        add(RuleDoc {
            id: IMPACT_RULE.to_owned(),
            short: "What the change does to a deploying unit".to_owned(),
            full: "How many objects the unit's engine creates, changes and removes, whether \
                   removed objects are pruned (deleted) or left in the cluster, and whether \
                   the unit is suspended and so does not roll out."
                .to_owned(),
            help: "Nothing to do when this is what the change means to do.".to_owned(),
            level: Level::Note,
        });
    }
    for entry in report.problems() {
        let rule = entry.problem.rule;
        let level = match entry.problem.severity {
            api_validation::Severity::Error => Level::Error,
            api_validation::Severity::Warning => Level::Warning,
            _ => continue,
        };
        add(RuleDoc {
            id: rule.to_string(),
            short: format!(
                "The API server's schema check: {}",
                rule.as_str().replace('-', " ")
            ),
            full: format!(
                "Found offline by api-validation (docs/schema-validation.md). For example: {}",
                entry.problem.message
            ),
            help: schema_help(rule).to_owned(),
            level,
        });
    }
    for warning in report.warnings() {
        // The rule is known only through its findings: describe it by the first one.
        let mut short = warning.rule.replace('-', " ");
        if let Some(first) = short.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        add(RuleDoc {
            id: warning.rule.clone(),
            short,
            full: format!(
                "Reported as a warning: it never fails the run. For example: {}",
                warning.message
            ),
            help: warning.help.clone(),
            level: Level::Warning,
        });
    }
    docs
}

/// What to do about a schema problem.
pub(crate) fn schema_help(rule: api_validation::Rule) -> &'static str {
    use api_validation::Rule;
    match rule {
        Rule::ApiRemoved => "move the object to the replacement apiVersion the message names before the cluster runs that release",
        Rule::ApiDeprecated => "move the object to the replacement apiVersion before the release that removes it",
        Rule::SchemaUnknownField => "correct the field's name (or remove it): the API server's strict field validation refuses undeclared fields",
        Rule::SchemaCel => "change the value so the CRD's validation rule holds",
        Rule::SchemaValue => "change the value to one the CRD's constraint (range, length, pattern, format, count) allows",
        Rule::SchemaDuplicate => "remove the repeated entry: the list is a set, or a map keyed by the fields the message names",
        _ => "correct the value so it matches the schema of the object's kind",
    }
}

fn build_failure_doc() -> RuleDoc {
    RuleDoc {
        id: BUILD_FAILURE_RULE.to_owned(),
        short: "A kustomization directory does not build".to_owned(),
        full: "kustomize cannot build the directory: a missing or malformed file, a patch that \
               matches nothing, a conflict between resources. GitOps stops applying everything \
               the directory renders until it builds again. A failure that already existed \
               before the change is a warning; one the change introduces is an error."
            .to_owned(),
        help: "Correct the file the error names. `unstuck build DIR` (or `kubectl kustomize \
               DIR`) shows the same error locally; `unstuck validate` checks every directory."
            .to_owned(),
        level: Level::Error,
    }
}

fn violation_doc(
    id: &str,
    severity: Severity,
    reason: &str,
    remediations: &[immutable_rules::Remediation],
) -> RuleDoc {
    let fixes = |remediations: &[immutable_rules::Remediation]| {
        remediations
            .iter()
            .map(|r| format!("- {r}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    match id {
        PRUNED_RULE => RuleDoc {
            id: id.to_owned(),
            short: "GitOps deletes an object".to_owned(),
            full: "The object is rendered before the change and not after it: Flux or Argo CD \
                   with pruning deletes it from the cluster. A rename or a move to another \
                   namespace is a delete of the old object and a create of the new one."
                .to_owned(),
            help: "If the object should stay, put it back in git. For a rename, keep the old \
                   object next to the new one until the new one is ready, then remove it in a \
                   later change."
                .to_owned(),
            level: Level::Note,
        },
        CREATED_RULE => RuleDoc {
            id: id.to_owned(),
            short: "GitOps creates an object".to_owned(),
            full: "The object is rendered after the change and not before it: GitOps creates \
                   it. Part of a rename, it replaces the old object (delete + create)."
                .to_owned(),
            help: "Nothing to do if the object is meant to be new; for a rename, keep the old \
                   object until the new one is ready."
                .to_owned(),
            level: Level::Note,
        },
        _ if id.starts_with("prune-") => RuleDoc {
            id: id.to_owned(),
            short: "A pruning unit deletes an object that takes data with it".to_owned(),
            full: "The object leaves the build of a unit whose engine prunes (Flux \
                   `spec.prune: true`), so it is deleted from the cluster, and with it what it \
                   holds: a Namespace's objects, a CustomResourceDefinition's custom resources, \
                   a PersistentVolumeClaim's or PersistentVolume's data."
                .to_owned(),
            help: format!(
                "If it must stay, keep it in git, or mark it \
                 `kustomize.toolkit.fluxcd.io/prune: disabled` in a change of its own first.\n{}",
                fixes(remediations)
            ),
            level: severity.into(),
        },
        _ => match builtin_rule(id) {
            Some(rule) => RuleDoc {
                id: id.to_owned(),
                short: format!(
                    "{} of {} cannot be changed in place",
                    rule.fields.join(", "),
                    rule.kinds.join(", ")
                ),
                full: format!(
                    "When: {}. Server versions: {}.",
                    rule.condition, rule.versions
                ),
                help: format!(
                    "Ways out, most appropriate first:\n{}",
                    fixes(rule.remediations)
                ),
                level: rule.severity.into(),
            },
            // A rule from a rule file or a CRD annotation: describe it by its finding.
            None => RuleDoc {
                id: id.to_owned(),
                short: format!("{id}: the API server refuses the change"),
                full: reason.to_owned(),
                help: format!("Ways out, most appropriate first:\n{}", fixes(remediations)),
                level: severity.into(),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_rule_is_documented_with_help() {
        for rule in immutable_rules::builtin_rules() {
            let doc = violation_doc(rule.id, rule.severity, "", &[]);
            assert!(doc.full.contains(rule.condition), "{}", rule.id);
            // Every finding says what to do: each rule has at least one way out.
            assert!(doc.help.contains("\n- "), "{} has no remediation", rule.id);
        }
        for id in [PRUNED_RULE, CREATED_RULE] {
            assert!(violation_doc(id, Severity::Info, "", &[]).help.len() > 20);
        }
    }
}
