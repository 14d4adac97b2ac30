//! `unstuck rules`: list every built-in immutable-field rule.

use std::fmt::Write as _;
use std::io::Write as _;

use anyhow::Context as _;
use immutable_rules::{builtin_rules, RuleInfo};

use crate::exit::Status;

/// Arguments of `unstuck rules`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// How `unstuck rules` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// One block per rule: id, kinds, fields, then condition and versions.
    Table,
    /// A JSON array of rule objects.
    Json,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Status> {
    let rules = builtin_rules();
    let text = match args.format {
        Format::Table => table(rules),
        Format::Json => {
            let mut text =
                serde_json::to_string_pretty(rules).context("cannot render rules as JSON")?;
            text.push('\n');
            text
        }
    };
    // A closed pipe (`unstuck rules | head`) is not an error worth reporting.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(Status::Success)
}

fn table(rules: &[&RuleInfo]) -> String {
    let id_width = rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let kinds_width = rules
        .iter()
        .map(|r| r.kinds.join(", ").len())
        .max()
        .unwrap_or(0)
        .min(40);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:id_width$}  {:8}  {:kinds_width$}  FIELDS",
        "ID", "SEVERITY", "KINDS"
    );
    for rule in rules {
        let _ = writeln!(
            out,
            "{:id_width$}  {:8}  {:kinds_width$}  {}",
            rule.id,
            rule.severity.as_str(),
            rule.kinds.join(", "),
            rule.fields.join(", ")
        );
        let indent = " ".repeat(4);
        let _ = writeln!(out, "{indent}when:     {}", rule.condition);
        let _ = writeln!(out, "{indent}versions: {}", rule.versions);
    }
    let _ = writeln!(out, "\n{} rules", rules.len());
    out
}
