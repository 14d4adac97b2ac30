//! `unstuck validate [PATH]`: build every kustomization directory under PATH, in parallel, and
//! report each one that fails to build.

use std::path::PathBuf;

use anyhow::Context as _;
use kustomize_build::discover::build_all;
use kustomize_build::fs::OsFs;
use kustomize_build::BuildOptions;

use super::build::Restrictor;
use super::repo::{
    error_chain, jobs, kustomization_dirs_on_disk, kustomization_file, relative_name, repo_prefix,
};
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
    /// How many directories to build at once (default: one per CPU).
    #[arg(short, long)]
    jobs: Option<usize>,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Status> {
    let root = std::path::absolute(&args.path)
        .with_context(|| format!("cannot resolve {}", args.path.display()))?;
    anyhow::ensure!(root.is_dir(), "{} is not a directory", root.display());
    let dirs = kustomization_dirs_on_disk(&root)?;
    let options = BuildOptions::new().with_load_restrictions(args.load_restrictor.into());
    let mut report = Report::new(
        Subject::Validate,
        repo_prefix(&root),
        args.path.display().to_string(),
    );
    // Errors name files relative to PATH, as the report names directories.
    let prefix = format!("{}{}", root.display(), std::path::MAIN_SEPARATOR);
    report.builds = build_all(&OsFs, &dirs, &options, jobs(args.jobs))
        .into_iter()
        .zip(&dirs)
        .map(|(result, dir)| Build {
            path: relative_name(&root, dir),
            file: kustomization_file(&OsFs, &root, dir),
            error: result.err().map(|e| error_chain(&e).replace(&prefix, "")),
            introduced: true,
        })
        .collect();
    report::print(&report, &args.output, false)?;
    Ok(if report.failed() {
        Status::Findings
    } else {
        Status::Success
    })
}
