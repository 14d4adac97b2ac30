//! SARIF 2.1.0 for GitHub code scanning: one run, the `unstuck` driver with one `rules` entry
//! per rule the report uses (with help text), and one result per diagnostic, located at the
//! source file and line when known, else at line 1 of the directory's kustomization file (code
//! scanning shows a result only with a `region.startLine`). URIs are relative to the
//! repository root, as code scanning expects.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde_json::{json, Value};

use super::diagnostic::{diagnostics, rules_used, RuleDoc};
use super::Report;

/// The SARIF schema the output follows.
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Write the report as a SARIF log and a newline.
pub(crate) fn write(out: &mut impl Write, report: &Report) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &log(report))?;
    writeln!(out)
}

/// The SARIF log of a report.
fn log(report: &Report) -> Value {
    let rules = rules_used(report);
    let results: Vec<Value> = diagnostics(report)
        .iter()
        .map(|d| {
            let index = rules.iter().position(|r| r.id == d.rule).unwrap_or(0);
            let physical = json!({
                "artifactLocation": {"uri": uri(&d.file)},
                "region": {"startLine": d.line},
            });
            let mut result = json!({
                "ruleId": d.rule,
                "ruleIndex": index,
                "level": d.level.sarif(),
                "message": {"text": d.message},
                "locations": [{"physicalLocation": physical}],
            });
            // An accepted finding stays in the log, suppressed with its reason, as SARIF
            // 2.1.0 (§3.35) records a result the project reviewed and accepted.
            if let Some(reason) = &d.accepted {
                result["suppressions"] =
                    json!([{"kind": "external", "status": "accepted", "justification": reason}]);
            }
            result
        })
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "unstuck",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rules.iter().map(rule).collect::<Vec<_>>(),
            }},
            "results": results,
        }],
    })
}

fn rule(doc: &RuleDoc) -> Value {
    json!({
        "id": doc.id,
        "name": pascal_case(&doc.id),
        "shortDescription": {"text": doc.short},
        "fullDescription": {"text": doc.full},
        "help": {"text": doc.help, "markdown": doc.help},
        "defaultConfiguration": {"level": doc.level.sarif()},
        "properties": {"tags": ["kubernetes", "gitops", "kustomize"]},
    })
}

/// `deployment-selector` → `DeploymentSelector` (SARIF's rule `name` is an identifier).
fn pascal_case(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// A relative path as a URI reference: `/` kept, everything outside RFC 3986's unreserved
/// characters percent-encoded (a space becomes `%20`).
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_are_identifiers() {
        assert_eq!(pascal_case("deployment-selector"), "DeploymentSelector");
        assert_eq!(pascal_case("build-failure"), "BuildFailure");
    }

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(
            uri("apps/prod/kustomization.yaml"),
            "apps/prod/kustomization.yaml"
        );
        assert_eq!(uri("my apps/ü.yaml"), "my%20apps/%C3%BC.yaml");
    }
}
