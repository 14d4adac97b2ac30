//! `unstuck build DIR`: build a kustomization offline and print what `kubectl kustomize DIR`
//! prints.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use kustomize_build::fs::OsFs;
use kustomize_build::{build_with_warnings, BuildOptions, LoadRestrictions};

use crate::exit::Status;

/// Arguments of `unstuck build`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The directory holding kustomization.yaml.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Which files a kustomization may read, as in kustomize.
    #[arg(long, value_enum, default_value_t = Restrictor::LoadRestrictionsRootOnly)]
    load_restrictor: Restrictor,
    /// Write the output to this file instead of stdout.
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
}

/// kustomize's `--load-restrictor` values, spelled as kustomize spells them.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
#[allow(clippy::enum_variant_names)] // the names are kustomize's flag values
#[value(rename_all = "verbatim")]
pub(crate) enum Restrictor {
    /// Files must lie in or below the kustomization's directory.
    LoadRestrictionsRootOnly,
    /// Any file may be read (what Flux uses).
    LoadRestrictionsNone,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Status> {
    let options = BuildOptions::new().with_load_restrictions(args.load_restrictor.into());
    let dir = std::path::absolute(&args.dir)
        .with_context(|| format!("cannot resolve {}", args.dir.display()))?;
    let mut warnings = Vec::new();
    let result = build_with_warnings(&OsFs, &dir, &options, &mut warnings);
    let mut stderr = std::io::stderr().lock();
    for warning in &warnings {
        writeln!(stderr, "{warning}")?;
    }
    // kustomize fails when its output cannot be printed, so a build that cannot be printed
    // is a failed build.
    match result.and_then(|build| build.try_to_yaml()) {
        Ok(yaml) => {
            match &args.output {
                Some(path) => std::fs::write(path, yaml)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => std::io::stdout().lock().write_all(yaml.as_bytes())?,
            }
            Ok(Status::Success)
        }
        Err(error) => {
            crate::exit::report_error(&anyhow::Error::new(error));
            Ok(Status::Findings)
        }
    }
}

impl From<Restrictor> for LoadRestrictions {
    fn from(restrictor: Restrictor) -> Self {
        match restrictor {
            Restrictor::LoadRestrictionsRootOnly => LoadRestrictions::RootOnly,
            Restrictor::LoadRestrictionsNone => LoadRestrictions::None,
        }
    }
}
