//! `unstuck validate [PATH]`: build every kustomization directory under PATH, in parallel, and
//! report each one that fails to build.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use kustomize_build::discover::build_all;
use kustomize_build::fs::OsFs;
use kustomize_build::BuildOptions;
use serde::Serialize;

use super::build::Restrictor;
use super::repo::{error_chain, jobs, kustomization_dirs_on_disk, relative_name};
use crate::exit::Status;

/// Arguments of `unstuck validate`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The repository (or any directory) to search for kustomizations; `.gitignore` is honoured.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Which files a kustomization may read, as in kustomize (Flux uses `LoadRestrictionsNone`).
    #[arg(long, value_enum, default_value_t = Restrictor::LoadRestrictionsRootOnly)]
    load_restrictor: Restrictor,
    /// How to print the results.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// How many directories to build at once (default: one per CPU).
    #[arg(short, long)]
    jobs: Option<usize>,
}

/// Output formats of `validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// One line per failing directory and a summary.
    Human,
    /// `{"results": [{"path", "ok", "error"}]}`.
    Json,
}

/// The outcome of building one directory.
#[derive(Debug, Serialize)]
struct DirResult {
    /// The directory, relative to PATH (`.` for PATH itself).
    path: String,
    ok: bool,
    /// The build error with its causes, when the build failed.
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct Report {
    results: Vec<DirResult>,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Status> {
    let root = std::path::absolute(&args.path)
        .with_context(|| format!("cannot resolve {}", args.path.display()))?;
    anyhow::ensure!(root.is_dir(), "{} is not a directory", root.display());
    let dirs = kustomization_dirs_on_disk(&root)?;
    let options = BuildOptions::new().with_load_restrictions(args.load_restrictor.into());
    let results: Vec<DirResult> = build_all(&OsFs, &dirs, &options, jobs(args.jobs))
        .into_iter()
        .zip(&dirs)
        .map(|(result, dir)| DirResult {
            path: relative_name(&root, dir),
            ok: result.is_ok(),
            error: result.err().map(|e| error_chain(&e)),
        })
        .collect();
    let failed = results.iter().filter(|r| !r.ok).count();
    let mut stdout = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut stdout, &Report { results })?;
            writeln!(stdout)?;
        }
        Format::Human => {
            for result in results.iter().filter(|r| !r.ok) {
                let error = result.error.as_deref().unwrap_or_default();
                writeln!(stdout, "FAIL {}\n     {error}", result.path)?;
            }
            writeln!(
                stdout,
                "{} of {} kustomization directories built, {failed} failed",
                results.len() - failed,
                results.len()
            )?;
        }
    }
    Ok(if failed == 0 {
        Status::Success
    } else {
        Status::Findings
    })
}
