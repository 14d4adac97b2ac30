//! The user rule file format.
//!
//! ```yaml
//! rules:
//!   - id: widget-size            # kebab-case, reported in violations
//!     group: example.com         # optional; omitted = any group ("" = core)
//!     kind: Widget
//!     versions: [v1]             # optional; omitted = every version
//!     fields: [spec.size, "spec.disks[].name"]
//!     message: the disk layout is fixed at creation
//!     severity: error            # error (default) | warning | info
//!     when: changed              # changed (default) | changed-once-set | unset | presence-changed | decreased | increased
//!     remediations: [recreate]   # recreate | recreate-orphan | rename | flux-force | revert | drop-field
//! ```

use serde::Deserialize;

use super::{CustomRule, FieldPath, RuleSource, Transition};
use crate::error::RuleFileError;
use crate::violation::{Remediation, Severity};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    rules: Vec<RuleSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: String,
    #[serde(default)]
    group: Option<String>,
    kind: String,
    #[serde(default)]
    versions: Vec<String>,
    fields: Vec<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    severity: Option<SeveritySpec>,
    #[serde(default)]
    when: Option<TransitionSpec>,
    #[serde(default)]
    remediations: Vec<RemediationSpec>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum SeveritySpec {
    Error,
    Warning,
    Info,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum TransitionSpec {
    Changed,
    ChangedOnceSet,
    Unset,
    PresenceChanged,
    Decreased,
    Increased,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum RemediationSpec {
    Recreate,
    RecreateOrphan,
    Rename,
    FluxForce,
    Revert,
    DropField,
}

impl From<RemediationSpec> for Remediation {
    fn from(spec: RemediationSpec) -> Self {
        match spec {
            RemediationSpec::Recreate => Remediation::Recreate,
            RemediationSpec::RecreateOrphan => Remediation::RecreateOrphan,
            RemediationSpec::Rename => Remediation::RenameBlueGreen,
            RemediationSpec::FluxForce => Remediation::FluxForce,
            RemediationSpec::Revert => Remediation::Revert,
            RemediationSpec::DropField => Remediation::DropField,
        }
    }
}

/// 1-based line of the first line containing `needle`, 0 when not found.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|line| line.contains(needle))
        .map_or(0, |i| i + 1)
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.starts_with('-')
        && !id.ends_with('-')
}

/// Parse a rule file; `file` names it in errors and in the rules' source.
pub(crate) fn parse_rule_file(file: &str, text: &str) -> Result<Vec<CustomRule>, RuleFileError> {
    let parsed: RuleFile = serde_yaml_ng::from_str(text).map_err(|source| {
        let (line, column) = source.location().map_or((0, 0), |l| (l.line(), l.column()));
        RuleFileError::Parse {
            file: file.to_owned(),
            line,
            column,
            source,
        }
    })?;
    let mut rules = Vec::new();
    for spec in parsed.rules {
        let invalid = |needle: &str, problem: String| RuleFileError::Invalid {
            file: file.to_owned(),
            line: line_of(text, needle),
            id: spec.id.clone(),
            problem,
        };
        if !valid_id(&spec.id) {
            return Err(invalid(
                &spec.id,
                "ids are kebab-case: lowercase letters, digits and dashes".to_owned(),
            ));
        }
        if spec.kind.trim().is_empty() {
            return Err(invalid(&spec.id, "kind is empty".to_owned()));
        }
        if spec.fields.is_empty() {
            return Err(invalid(
                &spec.id,
                "fields is empty; list at least one field path".to_owned(),
            ));
        }
        for text_path in &spec.fields {
            let field: FieldPath = text_path
                .parse()
                .map_err(|e: super::FieldPathError| invalid(text_path, e.to_string()))?;
            rules.push(CustomRule {
                id: spec.id.clone(),
                group: spec.group.clone(),
                kind: spec.kind.clone(),
                versions: spec.versions.clone(),
                field,
                transition: match spec.when.unwrap_or(TransitionSpec::Changed) {
                    TransitionSpec::Changed => Transition::Changed,
                    TransitionSpec::ChangedOnceSet => Transition::ChangedOnceSet,
                    TransitionSpec::Unset => Transition::Unset,
                    TransitionSpec::PresenceChanged => Transition::PresenceChanged,
                    TransitionSpec::Decreased => Transition::Decreased,
                    TransitionSpec::Increased => Transition::Increased,
                },
                message: spec
                    .message
                    .clone()
                    .unwrap_or_else(|| format!("{text_path} is immutable")),
                severity: match spec.severity.unwrap_or(SeveritySpec::Error) {
                    SeveritySpec::Error => Severity::Error,
                    SeveritySpec::Warning => Severity::Warning,
                    SeveritySpec::Info => Severity::Info,
                },
                remediations: if spec.remediations.is_empty() {
                    vec![Remediation::Revert, Remediation::Recreate]
                } else {
                    spec.remediations
                        .iter()
                        .copied()
                        .map(Remediation::from)
                        .collect()
                },
                source: RuleSource::File(file.to_owned()),
            });
        }
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_rule_file() {
        let text = "rules:\n  - id: widget-size\n    group: example.com\n    kind: Widget\n    fields: [spec.size, 'spec.disks[].name']\n    when: changed-once-set\n    remediations: [recreate, flux-force]\n";
        let rules = parse_rule_file("r.yaml", text).unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[1].field.to_string(), "spec.disks[].name");
        assert_eq!(rules[0].transition, Transition::ChangedOnceSet);
        assert_eq!(
            rules[0].remediations,
            vec![Remediation::Recreate, Remediation::FluxForce]
        );
    }

    #[test]
    fn reports_file_and_line() {
        let err = parse_rule_file(
            "r.yaml",
            "rules:\n  - id: x\n    kind: W\n    fields: [a]\n    severity: fatal\n",
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("r.yaml:5:"), "{text}");
        let err = parse_rule_file(
            "r.yaml",
            "rules:\n  - id: x\n    kind: W\n    fields: ['a[0]']\n",
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("r.yaml:4: rule \"x\""), "{err}");
        let err = parse_rule_file(
            "r.yaml",
            "rules:\n  - id: Bad_Id\n    kind: W\n    fields: [a]\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("kebab-case"), "{err}");
    }
}
