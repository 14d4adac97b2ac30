//! `unstuck validate [PATH]`: every deploying unit under PATH (kustomization directories, Flux
//! Kustomizations built as kustomize-controller builds them) built by `gitops_repo::validate`,
//! and its report printed: each unit that fails or renders an object the API server's schema
//! check refuses, with Flux's warnings.

use std::path::PathBuf;

use anyhow::Context as _;
use gitops_repo::Snapshot;
use kustomize_build::fs::OsFs;
use kustomize_build::BuildOptions;

use super::build::Restrictor;
use super::progress::Bars;
use super::repo::{files_on_disk, jobs, repo_prefix, repository_root};
use super::units::FluxArgs;
use crate::exit::Status;
use crate::report::{self, Outcome, OutputArgs, Report, Subject};

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
    let options = args
        .flux
        .render_options(
            BuildOptions::new().with_load_restrictions(args.load_restrictor.into()),
            jobs(args.jobs),
        )
        .with_schema(args.schema.options()?);
    // Flux's `spec.path` starts at the repository root.
    let repo_root = repository_root(&root).unwrap_or_else(|| root.clone());
    let snapshot = Snapshot::new("building", Box::new(OsFs), &root, &repo_root)
        .with_files(files_on_disk(&root)?);
    let validation = gitops_repo::validate(&snapshot, &options, &Bars::default())?;
    let report = Report::new(
        Subject::Validate,
        repo_prefix(&root),
        args.path.display().to_string(),
        Outcome::Validate(validation),
    );
    report::print(&report, &args.output, false)?;
    Ok(if report.failed() {
        Status::Findings
    } else {
        Status::Success
    })
}
