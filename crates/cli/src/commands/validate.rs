//! `unstuck validate [PATH]`: build every kustomization directory under PATH and every Flux
//! Kustomization defined there (as kustomize-controller builds it), in parallel, and report each
//! one that fails to build, with Flux's warnings (unresolved variables, `dependsOn` problems).

use std::path::PathBuf;

use anyhow::Context as _;
use kustomize_build::fs::OsFs;
use kustomize_build::BuildOptions;

use super::build::Restrictor;
use super::repo::{files_on_disk, jobs, repo_prefix, repository_root};
use super::tree::{build_tree, FluxArgs, Reuse};
use crate::exit::Status;
use crate::report::{self, Build, OutputArgs, Report, Subject};

/// Arguments of `unstuck validate`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The repository (or any directory) to search for kustomizations; `.gitignore` is honoured.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Which files a kustomization may read, as in kustomize (Flux uses `LoadRestrictionsNone`).
    #[arg(long, value_enum, default_value_t = Restrictor::LoadRestrictionsRootOnly)]
    load_restrictor: Restrictor,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    flux: FluxArgs,
    /// How many directories to build at once (default: one per CPU).
    #[arg(short, long)]
    jobs: Option<usize>,
    #[command(flatten)]
    schema: super::schema::SchemaArgs,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Status> {
    let root = std::path::absolute(&args.path)
        .with_context(|| format!("cannot resolve {}", args.path.display()))?;
    anyhow::ensure!(root.is_dir(), "{} is not a directory", root.display());
    let options = BuildOptions::new().with_load_restrictions(args.load_restrictor.into());
    let mut report = Report::new(
        Subject::Validate,
        repo_prefix(&root),
        args.path.display().to_string(),
    );
    // Every kustomization directory and every Flux Kustomization reading this repository.
    let repo_root = repository_root(&root).unwrap_or_else(|| root.clone());
    let files = files_on_disk(&root)?;
    let tree = build_tree(
        &OsFs,
        &root,
        &repo_root,
        Some(&files),
        &options,
        &args.flux,
        jobs(args.jobs),
        Reuse::Nothing,
        "building",
    )?;
    let rendered: Vec<_> = tree
        .targets
        .iter()
        .filter_map(|(path, r)| {
            Some(super::schema::Target {
                path,
                file: &r.file,
                objects: r.objects.as_deref().ok()?,
                dir: &r.dir,
                flux: r.flux.as_deref(),
            })
        })
        .collect();
    let sources = super::schema::Sources {
        fs: &OsFs,
        root: &repo_root,
        options: &options,
    };
    let (problems, schema_warnings) = super::schema::check(&args.schema, &rendered, &sources)?;
    report.problems = problems;
    report.builds = tree
        .targets
        .into_iter()
        .map(|(path, rendered)| Build {
            path,
            file: rendered.file,
            line: rendered.line,
            error: rendered.objects.err(),
            introduced: true,
        })
        .collect();
    report.warnings = tree.warnings;
    report.warnings.extend(schema_warnings);
    report.notes = tree.notes;
    report::print(&report, &args.output, false)?;
    Ok(if report.failed() {
        Status::Findings
    } else {
        Status::Success
    })
}
