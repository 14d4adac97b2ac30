//! `unstuck validate [PATH]`: build every kustomization directory under PATH, in parallel, and
//! report each one that fails to build.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context as _;
use kustomize_build::fs::OsFs;
use kustomize_build::kustomization::FILE_NAMES;
use kustomize_build::{build, BuildOptions};
use serde::Serialize;

use super::build::Restrictor;
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
    let dirs = kustomization_dirs(&root)?;
    let options = BuildOptions::new().with_load_restrictions(args.load_restrictor.into());
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .max(1);
    let results = build_all(&root, &dirs, &options, jobs);
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

/// Every directory under `root` that holds a kustomization file, skipping what `.gitignore`
/// (and git's other exclude files) ignore, sorted.
fn kustomization_dirs(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    for entry in ignore::WalkBuilder::new(root)
        .hidden(true)
        .require_git(false)
        .build()
    {
        let entry = entry.with_context(|| format!("cannot walk {}", root.display()))?;
        let is_file = entry.file_type().is_some_and(|t| t.is_file());
        let name = entry.file_name().to_string_lossy();
        if is_file && FILE_NAMES.contains(&name.as_ref()) {
            if let Some(parent) = entry.path().parent() {
                dirs.push(parent.to_path_buf());
            }
        }
    }
    dirs.sort();
    dirs.dedup();
    Ok(dirs)
}

/// Build `dirs` on `jobs` threads; results come back in the order of `dirs`.
fn build_all(root: &Path, dirs: &[PathBuf], options: &BuildOptions, jobs: usize) -> Vec<DirResult> {
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<DirResult>> = Vec::new();
    slots.resize_with(dirs.len(), || None);
    let finished = std::sync::Mutex::new(slots);
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(dirs.len()) {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(dir) = dirs.get(index) else { break };
                let result = build_one(root, dir, options);
                finished
                    .lock()
                    .expect("no worker panics while holding the lock")[index] = Some(result);
            });
        }
    });
    finished
        .into_inner()
        .expect("no worker panicked")
        .into_iter()
        .flatten()
        .collect()
}

fn build_one(root: &Path, dir: &Path, options: &BuildOptions) -> DirResult {
    let relative = dir.strip_prefix(root).unwrap_or(dir);
    let path = if relative.as_os_str().is_empty() {
        ".".to_owned()
    } else {
        relative.to_string_lossy().into_owned()
    };
    match build(&OsFs, dir, options) {
        Ok(_) => DirResult {
            path,
            ok: true,
            error: None,
        },
        Err(error) => DirResult {
            path,
            ok: false,
            error: Some(error_chain(&error)),
        },
    }
}

/// `error: cause: cause…`, each message once.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let message = cause.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = cause.source();
    }
    text
}
