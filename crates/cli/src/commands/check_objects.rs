//! `unstuck check-objects OLD.yaml NEW.yaml`: report the changes the API server would refuse.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use immutable_rules::{
    pair_objects, Context, Mode, ObjectRef, RuleSet, ServerVersion, Severity, SkippedValidation,
    Violation,
};
use serde::Serialize;
use serde_json::Value;

use crate::exit::Status;

/// Arguments of `unstuck check-objects`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The objects before the change: one or more YAML documents (a `kind: List` is unpacked).
    old: PathBuf,
    /// The objects after the change; paired with OLD by group/kind/namespace/name (two files of
    /// one object each are compared directly, so a rename shows up as a replacement).
    new: PathBuf,
    /// `git`: both files are manifests (a field missing from NEW was deleted from git).
    /// `apply`: OLD is the live object (`kubectl get -o yaml`) and NEW is applied to it (a field
    /// missing from NEW keeps its live value; `null` deletes it).
    #[arg(long, value_enum, default_value_t = ModeArg::Git)]
    mode: ModeArg,
    /// The Kubernetes release that receives the update, e.g. 1.31 (default: current upstream).
    #[arg(long, value_name = "X.Y")]
    server_version: Option<ServerVersion>,
    /// A user rule file (YAML, see docs/rules.md); repeatable.
    #[arg(long = "rules", value_name = "FILE")]
    rule_files: Vec<PathBuf>,
    /// A file of CRD manifests whose `x-kubernetes-validations` transition rules
    /// (`self == oldSelf`, …) become rules; repeatable.
    #[arg(long = "crd", value_name = "FILE")]
    crd_files: Vec<PathBuf>,
    /// A storage class that allows volume expansion (PVC growth is then accepted); repeatable.
    #[arg(long = "expandable-storage-class", value_name = "NAME")]
    expandable_storage_classes: Vec<String>,
    /// A storage class without volume expansion (PVC growth is then an error); repeatable.
    #[arg(long = "fixed-storage-class", value_name = "NAME")]
    fixed_storage_classes: Vec<String>,
    /// A node port already used by another Service (requesting it is then an error); repeatable.
    #[arg(long = "allocated-node-port", value_name = "PORT")]
    allocated_node_ports: Vec<u32>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ModeArg {
    Git,
    Apply,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// Explained findings for people.
    Human,
    /// One JSON document (shape in docs/rules.md).
    Json,
}

/// One object read from a file, with where it starts.
pub(crate) struct Located {
    pub(crate) object: Value,
    pub(crate) line: usize,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Status> {
    let rules = rule_set(args)?;
    let old = read_objects(&args.old)?;
    let new = read_objects(&args.new)?;
    let mut ctx = Context::new(match args.mode {
        ModeArg::Git => Mode::Git,
        ModeArg::Apply => Mode::Apply,
    });
    if let Some(version) = args.server_version {
        ctx = ctx.with_server_version(version);
    }
    for class in &args.expandable_storage_classes {
        ctx = ctx.with_storage_class(class, true);
    }
    for class in &args.fixed_storage_classes {
        ctx = ctx.with_storage_class(class, false);
    }
    for port in &args.allocated_node_ports {
        ctx = ctx.with_allocated_node_port(*port);
    }

    let mut report = Report {
        mode: ctx.mode,
        server_version: args.server_version.map(|v| v.to_string()),
        compared: 0,
        created: Vec::new(),
        pruned: Vec::new(),
        violations: Vec::new(),
        skipped_validations: rules.skipped_validations().to_vec(),
        summary: Summary::default(),
    };
    let pairs: Vec<(usize, usize)> = if old.len() == 1 && new.len() == 1 {
        vec![(0, 0)]
    } else {
        let old_values: Vec<Value> = old.iter().map(|l| l.object.clone()).collect();
        let new_values: Vec<Value> = new.iter().map(|l| l.object.clone()).collect();
        let pairing = pair_objects(&old_values, &new_values);
        report.created = pairing
            .added
            .iter()
            .map(|&j| ObjectRef::of(&new[j].object))
            .collect();
        report.pruned = pairing
            .removed
            .iter()
            .map(|&i| ObjectRef::of(&old[i].object))
            .collect();
        pairing.pairs
    };
    for (i, j) in pairs {
        report.compared += 1;
        report
            .violations
            .extend(rules.check(&old[i].object, &new[j].object, &ctx));
    }
    for v in &report.violations {
        match v.severity {
            Severity::Error => report.summary.error += 1,
            Severity::Warning => report.summary.warning += 1,
            Severity::Info => report.summary.info += 1,
        }
    }

    let text = match args.format {
        Format::Human => human(&report),
        Format::Json => {
            let mut text = serde_json::to_string_pretty(&report)
                .context("cannot render the report as JSON")?;
            text.push('\n');
            text
        }
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(if report.summary.error > 0 {
        Status::Findings
    } else {
        Status::Success
    })
}

/// Everything `check-objects` found; the JSON output is this structure.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    mode: Mode,
    server_version: Option<String>,
    compared: usize,
    created: Vec<ObjectRef>,
    pruned: Vec<ObjectRef>,
    violations: Vec<Violation>,
    skipped_validations: Vec<SkippedValidation>,
    summary: Summary,
}

#[derive(Debug, Default, Serialize)]
struct Summary {
    error: usize,
    warning: usize,
    info: usize,
}

fn rule_set(args: &Args) -> anyhow::Result<RuleSet> {
    let mut rules = RuleSet::new();
    for file in &args.rule_files {
        let text = read(file)?;
        rules
            .add_rule_file(&file.display().to_string(), &text)
            .map_err(anyhow::Error::new)?;
    }
    for file in &args.crd_files {
        for located in read_objects(file)? {
            rules.add_crd(&located.object).with_context(|| {
                format!(
                    "{}:{}: cannot use this document as a CRD",
                    file.display(),
                    located.line
                )
            })?;
        }
    }
    Ok(rules)
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Split a multi-document YAML text at `---` lines; each part with its 1-based first line.
fn documents(text: &str) -> Vec<(usize, String)> {
    let mut docs = Vec::new();
    let mut current = String::new();
    let mut start = 1;
    for (i, line) in text.lines().enumerate() {
        let is_separator = line == "---" || line.starts_with("--- ") || line.starts_with("---\t");
        if is_separator {
            docs.push((start, std::mem::take(&mut current)));
            start = i + 2;
            // `--- {inline}` keeps content after the marker.
            if let Some(rest) = line
                .strip_prefix("---")
                .map(str::trim)
                .filter(|r| !r.is_empty())
            {
                current.push_str(rest);
                current.push('\n');
                start = i + 1;
            }
        } else if line != "..." {
            current.push_str(line);
            current.push('\n');
        }
    }
    docs.push((start, current));
    docs
}

/// Read every Kubernetes object of a YAML file; `kind: List` documents are unpacked.
pub(crate) fn read_objects(path: &Path) -> anyhow::Result<Vec<Located>> {
    let text = read(path)?;
    let mut objects = Vec::new();
    for (first_line, doc) in documents(&text) {
        let value: Value = match serde_yaml_ng::from_str(&doc) {
            Ok(value) => value,
            Err(error) => {
                let (line, column) = error
                    .location()
                    .map_or((first_line, 0), |l| (first_line + l.line() - 1, l.column()));
                bail!(
                    "{}:{line}:{column}: invalid YAML: {error}; fix the document or remove it",
                    path.display()
                );
            }
        };
        match value {
            Value::Null => {}
            Value::Object(_) => {
                let list = value.get("kind").and_then(Value::as_str) == Some("List");
                if list {
                    let items = value
                        .get("items")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    for item in items {
                        objects.push(validated(path, first_line, item)?);
                    }
                } else {
                    objects.push(validated(path, first_line, value)?);
                }
            }
            other => bail!(
                "{}:{first_line}: expected a Kubernetes object (a mapping), found {}",
                path.display(),
                kind_of(&other)
            ),
        }
    }
    if objects.is_empty() {
        bail!("{}: no Kubernetes object in the file", path.display());
    }
    Ok(objects)
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn validated(path: &Path, line: usize, object: Value) -> anyhow::Result<Located> {
    for field in ["apiVersion", "kind"] {
        if object
            .get(field)
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            bail!(
                "{}:{line}: the object has no {field}; every document must be a Kubernetes object",
                path.display()
            );
        }
    }
    if object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        bail!("{}:{line}: the object has no metadata.name", path.display());
    }
    Ok(Located { object, line })
}

fn human(report: &Report) -> String {
    let mut out = String::new();
    for v in &report.violations {
        let _ = writeln!(out, "{}[{}] {}", v.severity, v.rule, v.object);
        let _ = writeln!(out, "  field:  {}", v.field);
        let _ = writeln!(out, "  change: {} → {}", v.old, v.new);
        let _ = writeln!(out, "  why:    {}", v.reason);
        let _ = writeln!(out, "  server: {}", v.api_error);
        for (i, remedy) in v.remediations.iter().enumerate() {
            let label = if i == 0 { "  fix:   " } else { "         " };
            let _ = writeln!(out, "{label} - {remedy}");
        }
        out.push('\n');
    }
    for skipped in &report.skipped_validations {
        let _ = writeln!(
            out,
            "note: CRD {} ({}) transition rule on {} not interpreted, left to the API server: {}",
            skipped.crd, skipped.version, skipped.field, skipped.rule
        );
    }
    for created in &report.created {
        let _ = writeln!(out, "note: {created} is new: it will be created");
    }
    for pruned in &report.pruned {
        let _ = writeln!(
            out,
            "note: {pruned} is gone: it will be pruned (deleted) if pruning is on"
        );
    }
    let s = &report.summary;
    let _ = writeln!(
        out,
        "{} error{}, {} warning{}, {} info in {} compared object{} (mode {})",
        s.error,
        if s.error == 1 { "" } else { "s" },
        s.warning,
        if s.warning == 1 { "" } else { "s" },
        s.info,
        report.compared,
        if report.compared == 1 { "" } else { "s" },
        match report.mode {
            Mode::Git => "git",
            Mode::Apply => "apply",
        }
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_documents_with_their_lines() {
        let docs = documents("a: 1\n---\nb: 2\nc: 3\n--- \n---\nd: 4\n");
        let starts: Vec<usize> = docs.iter().map(|(l, _)| *l).collect();
        assert_eq!(starts, vec![1, 3, 6, 7]);
        assert_eq!(docs[1].1, "b: 2\nc: 3\n");
    }
}
