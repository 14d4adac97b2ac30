//! `unstuck check`: the two snapshots the flags name (git revisions, the index, the work tree,
//! or two directories), compared by `gitops_repo::compare`, and its report printed.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use gitops_repo::accept::{Acceptance, AcceptanceError};
use gitops_repo::{RenderOptions, SchemaOptions, Snapshot};
use immutable_rules::ServerVersion;
use kustomize_build::BuildOptions;

use super::build::Restrictor;
use super::check_objects::{read_objects, Located};
use super::progress::Bars;
use super::repo::{files_on_disk, jobs, repo_prefix, repository_root};
use super::units::FluxArgs;
use crate::exit::Status;
use crate::report::{self, Outcome, OutputArgs, Report, Subject};

/// Arguments of `unstuck check`. `-h` is the head revision (as in the seed tool), so help is
/// `--help` only.
#[derive(Debug, clap::Args)]
#[command(disable_help_flag = true)]
pub(crate) struct Args {
    #[command(flatten)]
    pub(crate) change: ChangeArgs,
    /// The schema check of both sides (check only: `plan` migrates rule violations and does not
    /// look at schema problems).
    #[command(flatten)]
    schema: super::schema::SchemaArgs,
    /// Also list the directories compared and kustomize's warnings.
    #[arg(short, long)]
    verbose: bool,
    #[command(flatten)]
    output: OutputArgs,
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    help: Option<bool>,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Status> {
    let change = &args.change;
    let (base, head) = change.sides()?;
    let options = change.render_options(args.schema.options()?)?;
    let found = gitops_repo::compare(&base, &head, &options, &Bars::default())?;
    let mut report = Report::new(
        Subject::Check {
            base: base.label().to_owned(),
            head: head.label().to_owned(),
        },
        repo_prefix(head.root()),
        change
            .head_dir
            .as_ref()
            .unwrap_or(&change.path)
            .display()
            .to_string(),
        Outcome::Check(found),
    );
    if change.head_dir.is_some() {
        // Sources are named relative to the head directory there.
        report.source_prefix = repo_prefix(head.root());
    }
    report::print(&report, &args.output, args.verbose)?;
    Ok(if report.failed() {
        Status::Findings
    } else {
        Status::Success
    })
}

/// What `check` and `plan` compare, and how they build it: the revisions (or the index, the work
/// tree, two directories) and the rendering flags.
#[derive(Debug, clap::Args)]
pub(crate) struct ChangeArgs {
    /// The repository, or a directory inside it, whose kustomizations to compare.
    #[arg(default_value = ".")]
    pub(crate) path: PathBuf,
    /// The revision the change starts from [default: HEAD~1, or HEAD with --staged/--worktree].
    #[arg(short = 'b', long)]
    base: Option<String>,
    /// The revision the change ends at.
    #[arg(short = 'h', long, default_value = "HEAD", conflicts_with_all = ["staged", "worktree"])]
    head: String,
    /// Take the index (what `git commit` would record) as the change, against the base
    /// (pre-commit hooks).
    #[arg(long, conflicts_with = "worktree")]
    staged: bool,
    /// Take the work tree, as it is on disk, as the change, against the base.
    #[arg(long)]
    worktree: bool,
    /// Compare two directories outside git: the tree before the change…
    #[arg(long, requires = "head_dir", conflicts_with_all = ["base", "staged", "worktree"])]
    base_dir: Option<PathBuf>,
    /// …and the tree after it.
    #[arg(long, requires = "base_dir")]
    pub(crate) head_dir: Option<PathBuf>,
    /// The Kubernetes release that receives the update, e.g. 1.31 (default: current upstream).
    #[arg(long, value_name = "X.Y")]
    server_version: Option<ServerVersion>,
    #[command(flatten)]
    flux: FluxArgs,
    /// Which files a kustomization may read, as in kustomize (Flux uses `LoadRestrictionsNone`).
    #[arg(long, value_enum, default_value_t = Restrictor::LoadRestrictionsRootOnly)]
    load_restrictor: Restrictor,
    /// How many directories to build at once (default: one per CPU).
    #[arg(short, long)]
    jobs: Option<usize>,
    /// A file of `CustomResourceDefinition`s whose `x-kubernetes-validations` transition rules
    /// (`self == oldSelf`, …) judge custom resources the repository has no CRD for (installed
    /// by Helm, say); repeatable. A CRD the repository renders wins over one of the same name.
    #[arg(long = "crd", value_name = "FILE")]
    crd_files: Vec<PathBuf>,
    /// Accept a finding the change means to cause, e.g.
    /// `prune-persistent-volume-claim:PersistentVolumeClaim/media/plex` (`RULE:KIND/NAME` without
    /// namespace; `=REASON` may follow); repeatable. It is reported as accepted and does not fail
    /// the check. The head's `.unstuck.yaml` accepts findings the same way, with a reason
    /// committed next to the change (docs/validate-and-check.md).
    #[arg(long, value_name = "RULE:KIND/NAMESPACE/NAME", value_parser = parse_acceptance)]
    accept: Vec<Acceptance>,
}

/// `--accept`'s value, read by the library (its error says what to write).
fn parse_acceptance(value: &str) -> Result<Acceptance, String> {
    Acceptance::parse_flag(value).map_err(|error| match error {
        AcceptanceError::Flag { message, .. } => message,
        other => other.to_string(),
    })
}

impl ChangeArgs {
    /// The two snapshots the flags name.
    pub(crate) fn sides(&self) -> anyhow::Result<(Snapshot, Snapshot)> {
        sides(&Sides {
            path: &self.path,
            base: self.base.as_deref(),
            head: &self.head,
            staged: self.staged,
            worktree: self.worktree,
            base_dir: self.base_dir.as_deref(),
            head_dir: self.head_dir.as_deref(),
        })
    }

    /// How to render and compare both snapshots, with the schema check `schema` and the CRDs of
    /// each `--crd` file added to it.
    pub(crate) fn render_options(&self, schema: SchemaOptions) -> anyhow::Result<RenderOptions> {
        let mut options = self
            .flux
            .render_options(
                BuildOptions::new().with_load_restrictions(self.load_restrictor.into()),
                jobs(self.jobs),
            )
            .with_schema(schema);
        for acceptance in &self.accept {
            options = options.with_acceptance(acceptance.clone());
        }
        if let Some(version) = self.server_version {
            options = options.with_server_version(version);
        }
        for file in &self.crd_files {
            for Located { object, line } in read_objects(file)? {
                let is_crd = object["kind"] == "CustomResourceDefinition"
                    && object["apiVersion"]
                        .as_str()
                        .is_some_and(|v| v.starts_with("apiextensions.k8s.io/"));
                anyhow::ensure!(
                    is_crd,
                    "{}:{line}: a {} {}, not a CustomResourceDefinition; --crd takes files of CRDs only",
                    file.display(),
                    object["apiVersion"].as_str().unwrap_or_default(),
                    object["kind"].as_str().unwrap_or_default(),
                );
                options = options
                    .with_custom_resource_definition(format!("{}:{line}", file.display()), object);
            }
        }
        Ok(options)
    }
}

/// Which two snapshots to compare.
struct Sides<'a> {
    path: &'a Path,
    base: Option<&'a str>,
    head: &'a str,
    staged: bool,
    worktree: bool,
    base_dir: Option<&'a Path>,
    head_dir: Option<&'a Path>,
}

/// The two snapshots to compare, from the flags.
fn sides(args: &Sides<'_>) -> anyhow::Result<(Snapshot, Snapshot)> {
    if let (Some(base_dir), Some(head_dir)) = (args.base_dir, args.head_dir) {
        return Ok((disk_side(base_dir)?, disk_side(head_dir)?));
    }
    let path = std::path::absolute(args.path)
        .with_context(|| format!("cannot resolve {}", args.path.display()))?;
    anyhow::ensure!(path.is_dir(), "{} is not a directory", path.display());
    let repo = repository_root(&path).with_context(|| {
        format!(
            "{} is not inside a git repository; give --base-dir and --head-dir to compare two \
             directories",
            path.display()
        )
    })?;
    let local = args.staged || args.worktree;
    let base_rev = args.base.unwrap_or(if local { "HEAD" } else { "HEAD~1" });
    let base = Snapshot::at_revision(&repo, base_rev, &path)?;
    let head = if args.staged {
        Snapshot::index(&repo, &path)?
    } else if args.worktree {
        // On disk, `.gitignore` is honoured as git would.
        Snapshot::worktree(&repo, &path).with_files(files_on_disk(&path)?)
    } else {
        Snapshot::at_revision(&repo, args.head, &path)?
    };
    Ok((base, head))
}

/// A directory outside git: a repository of its own, `.gitignore` honoured.
fn disk_side(dir: &Path) -> anyhow::Result<Snapshot> {
    let root =
        std::path::absolute(dir).with_context(|| format!("cannot resolve {}", dir.display()))?;
    anyhow::ensure!(root.is_dir(), "{} is not a directory", dir.display());
    let files = files_on_disk(&root)?;
    Ok(Snapshot::new(
        dir.display().to_string(),
        Box::new(kustomize_build::fs::OsFs),
        &root,
        &root,
    )
    .with_files(files))
}
