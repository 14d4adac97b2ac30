//! `unstuck plan`: the snapshots `check` would compare, planned by `gitops_repo::plan::plan`,
//! and the plan printed (human, JSON) or written as patch files.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use gitops_repo::plan::{Migration, Plan};
use gitops_repo::SchemaOptions;

use super::check::ChangeArgs;
use super::progress::Bars;
use crate::exit::Status;

/// How `plan` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum PlanFormat {
    /// Steps, edits as diffs, commands and checks, for a person.
    Human,
    /// `{"migrations": [...], "unplanned": [...]}`.
    Json,
    /// One unified diff per step, for `git apply`; needs `--out`.
    Patch,
}

/// Arguments of `unstuck plan`. `-h` is the head revision, as in `check`.
#[derive(Debug, clap::Args)]
#[command(disable_help_flag = true)]
pub(crate) struct Args {
    #[command(flatten)]
    change: ChangeArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
    format: PlanFormat,
    /// With `--format patch`: the directory to write `01-….patch`, `02-….patch`… into.
    #[arg(long, required_if_eq("format", "patch"))]
    out: Option<PathBuf>,
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    help: Option<bool>,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Status> {
    let (base, head) = args.change.sides()?;
    let options = args.change.render_options(SchemaOptions::new())?;
    let plan = gitops_repo::plan::plan(&base, &head, &options, &Bars::default())?;
    let mut stdout = anstream::stdout().lock();
    match args.format {
        PlanFormat::Human => {
            use std::io::Write as _;
            let title = format!("{} → {}", base.label(), head.label());
            stdout.write_all(human(&plan, &title).as_bytes())?;
        }
        PlanFormat::Json => {
            use std::io::Write as _;
            serde_json::to_writer_pretty(&mut stdout, &plan)?;
            writeln!(stdout)?;
        }
        PlanFormat::Patch => {
            use std::io::Write as _;
            let out = args
                .out
                .as_ref()
                .context("--format patch needs --out DIR")?;
            std::fs::create_dir_all(out)
                .with_context(|| format!("cannot create {}", out.display()))?;
            for (name, diff) in plan.patches() {
                let path = out.join(&name);
                std::fs::write(&path, diff)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                writeln!(stdout, "{}", path.display())?;
            }
        }
    }
    Ok(if plan.unplanned.is_empty() {
        Status::Success
    } else {
        Status::Findings
    })
}

/// The plan for a person: each migration's steps with their diffs, commands and checks.
pub(crate) fn human(plan: &Plan, title: &str) -> String {
    let mut out = String::new();
    for accepted in &plan.accepted {
        let _ = writeln!(
            out,
            "accepted, not planned: {} {} ({}): {}\n",
            accepted.object.kind, accepted.object.name, accepted.rule, accepted.reason
        );
    }
    if plan.migrations.is_empty() && plan.unplanned.is_empty() {
        let _ = writeln!(out, "{title}: nothing to plan, check finds no error");
        return out;
    }
    for migration in &plan.migrations {
        migration_text(&mut out, migration);
    }
    for unplanned in &plan.unplanned {
        let _ = writeln!(
            out,
            "not planned: {} {} ({}): {}\n",
            unplanned.object.kind, unplanned.object.name, unplanned.rule, unplanned.reason
        );
    }
    let _ = writeln!(
        out,
        "{title}: {} planned, {} not planned; write the steps as patches with --format patch --out DIR",
        plan.migrations.len(),
        plan.unplanned.len()
    );
    out
}

fn migration_text(out: &mut String, migration: &Migration) {
    let object = &migration.object;
    let name = match &object.namespace {
        Some(ns) => format!("{ns}/{}", object.name),
        None => object.name.clone(),
    };
    let _ = writeln!(
        out,
        "{} {name}: {} ({})\n  strategy: {} — {}",
        object.kind,
        migration.rule,
        migration.field,
        migration.strategy.as_str(),
        migration.reason
    );
    for (i, step) in migration.steps.iter().enumerate() {
        let _ = writeln!(out, "  step {}: {}", i + 1, step.title);
        if !step.before_merge.is_empty() {
            let _ = writeln!(out, "    before merging, run:");
            for command in &step.before_merge {
                let _ = writeln!(out, "      $ {command}");
            }
        }
        for edit in &step.edits {
            let _ = writeln!(out, "    edit {}:", edit.file);
            for line in edit.diff.lines().skip(3) {
                let _ = writeln!(out, "      {line}");
            }
        }
        if !step.after_merge.is_empty() {
            let _ = writeln!(out, "    once merged, run:");
            for command in &step.after_merge {
                let _ = writeln!(out, "      $ {command}");
            }
        }
        if !step.checks.is_empty() {
            let _ = writeln!(out, "    then verify:");
            for check in &step.checks {
                let _ = writeln!(out, "      - {check}");
            }
        }
    }
    out.push('\n');
}
