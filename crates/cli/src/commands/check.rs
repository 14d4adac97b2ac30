//! `unstuck check`: build every kustomization directory and every Flux Kustomization at two
//! revisions (git revisions, the index, the work tree, or two directories), pair the objects of
//! each target, and report the changes the API server would refuse, the objects GitOps would
//! replace, the builds the change broke, and Flux's warnings at the head.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use immutable_rules::{compare_revisions, Context, RuleSet, ServerVersion};
use kustomize_build::fs::{Filesystem, GitTreeFs, OsFs};
use kustomize_build::BuildOptions;

use super::build::Restrictor;
use super::check_sources::{sources, BaseObjects, Head, HeadTarget};
use super::repo::{files_on_disk, jobs, repo_prefix, repository_root};
use super::tree::{build_tree, FluxArgs, Reuse, Tree};
use crate::exit::Status;
use crate::report::{self, Build, OutputArgs, Report, Subject, Violation};

/// Arguments of `unstuck check`. `-h` is the head revision (as in the seed tool), so help is
/// `--help` only.
#[derive(Debug, clap::Args)]
#[command(disable_help_flag = true)]
pub(crate) struct Args {
    /// The repository, or a directory inside it, whose kustomizations to compare.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// The revision the change starts from [default: HEAD~1, or HEAD with --staged/--worktree].
    #[arg(short = 'b', long)]
    base: Option<String>,
    /// The revision the change ends at.
    #[arg(short = 'h', long, default_value = "HEAD", conflicts_with_all = ["staged", "worktree"])]
    head: String,
    /// Compare the index (what `git commit` would record) with the base (pre-commit hooks).
    #[arg(long, conflicts_with = "worktree")]
    staged: bool,
    /// Compare the work tree, as it is on disk, with the base.
    #[arg(long)]
    worktree: bool,
    /// Compare two directories outside git: the tree before the change…
    #[arg(long, requires = "head_dir", conflicts_with_all = ["base", "staged", "worktree"])]
    base_dir: Option<PathBuf>,
    /// …and the tree after it.
    #[arg(long, requires = "base_dir")]
    head_dir: Option<PathBuf>,
    /// The Kubernetes release that receives the update, e.g. 1.31 (default: current upstream).
    #[arg(long, value_name = "X.Y")]
    server_version: Option<ServerVersion>,
    /// Also list the directories compared and kustomize's warnings.
    #[arg(short, long)]
    verbose: bool,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    flux: FluxArgs,
    /// Which files a kustomization may read, as in kustomize (Flux uses `LoadRestrictionsNone`).
    #[arg(long, value_enum, default_value_t = Restrictor::LoadRestrictionsRootOnly)]
    load_restrictor: Restrictor,
    /// How many directories to build at once (default: one per CPU).
    #[arg(short, long)]
    jobs: Option<usize>,
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    help: Option<bool>,
}

/// One side of the comparison: a tree to read, and where in it to look for kustomizations.
struct Side {
    /// `HEAD~1`, `the index`, a directory…: how the report names it.
    label: String,
    fs: Box<dyn Filesystem>,
    /// The directory whose kustomizations are compared (absolute, in `fs`).
    root: PathBuf,
    /// Whether to honour `.gitignore` by walking the real disk.
    on_disk: bool,
    /// The compared tree: the repository root, or the directory given. Sources are named
    /// relative to it, and Flux's `spec.path` starts there.
    tree_root: PathBuf,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Status> {
    let (base, head) = sides(args)?;
    let options = BuildOptions::new().with_load_restrictions(args.load_restrictor.into());
    let jobs = jobs(args.jobs);
    let base_tree = render(&base, &options, &args.flux, jobs, Reuse::Record)?;
    // Builds of the base are reused where the head is the same tree at the same path.
    let reuse = if base.root == head.root {
        Reuse::From(&base_tree)
    } else {
        Reuse::Nothing
    };
    let head_tree = render(&head, &options, &args.flux, jobs, reuse)?;

    let findings = compare_revisions(
        &built_only(&base_tree),
        &built_only(&head_tree),
        &RuleSet::new(),
        &args
            .server_version
            .map_or_else(Context::git, |v| Context::git().with_server_version(v)),
    );
    // The file to point at for a target: its kustomization file, or its Flux Kustomization's.
    let target_file = |target: &str| {
        head_tree
            .targets
            .get(target)
            .or_else(|| base_tree.targets.get(target))
            .map_or_else(|| target.to_owned(), |r| r.file.clone())
    };
    let mut report = Report::new(
        Subject::Check {
            base: base.label.clone(),
            head: head.label.clone(),
        },
        repo_prefix(&head.root),
        args.head_dir
            .as_ref()
            .unwrap_or(&args.path)
            .display()
            .to_string(),
    );
    if args.head_dir.is_some() {
        // Sources are named relative to the head directory there.
        report.source_prefix = repo_prefix(&head.root);
    }
    report.builds = build_failures(&base_tree, &head_tree);
    let base_objects: BaseObjects<'_> = base_tree
        .targets
        .iter()
        .filter_map(|(target, r)| Some((target.as_str(), r.objects.as_ref().ok()?.as_slice())))
        .collect();
    let head_targets = head_tree
        .targets
        .iter()
        .filter_map(|(name, r)| {
            let target = HeadTarget {
                dir: &r.dir,
                flux: r.flux.as_deref(),
                objects: r.objects.as_ref().ok()?.as_slice(),
            };
            Some((name.as_str(), target))
        })
        .collect();
    let head_side = Head {
        fs: head.fs.as_ref(),
        tree_root: &head.tree_root,
    };
    let sources = sources(
        &findings,
        &head_side,
        &head_targets,
        &base_objects,
        &options,
    );
    report.violations = findings
        .into_iter()
        .zip(sources)
        .map(|(finding, source)| Violation {
            file: target_file(finding.dirs.first().map_or(".", String::as_str)),
            source,
            finding,
        })
        .collect();
    // Flux's warnings about the tree as it is after the change.
    report.warnings = head_tree.warnings;
    report.notes.push(format!(
        "compared {} targets at {} with {} at {}",
        base_tree.targets.len(),
        base.label,
        head_tree.targets.len(),
        head.label
    ));
    report.notes.extend(head_tree.notes);
    report::print(&report, &args.output, args.verbose)?;
    Ok(if report.failed() {
        Status::Findings
    } else {
        Status::Success
    })
}

/// The two trees to compare, from the flags.
fn sides(args: &Args) -> anyhow::Result<(Side, Side)> {
    if let (Some(base_dir), Some(head_dir)) = (&args.base_dir, &args.head_dir) {
        return Ok((disk_side(base_dir)?, disk_side(head_dir)?));
    }
    let path = std::path::absolute(&args.path)
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
    let base_rev = args
        .base
        .clone()
        .unwrap_or_else(|| if local { "HEAD" } else { "HEAD~1" }.to_owned());
    let base = git_side(&repo, &path, &base_rev)?;
    let head = if args.staged {
        Side {
            label: "the index".to_owned(),
            fs: Box::new(GitTreeFs::from_index(&repo, &repo)?),
            root: path,
            on_disk: false,
            tree_root: repo.clone(),
        }
    } else if args.worktree {
        Side {
            label: "the work tree".to_owned(),
            fs: Box::new(OsFs),
            root: path,
            on_disk: true,
            tree_root: repo.clone(),
        }
    } else {
        git_side(&repo, &path, &args.head)?
    };
    Ok((base, head))
}

fn disk_side(dir: &Path) -> anyhow::Result<Side> {
    let root =
        std::path::absolute(dir).with_context(|| format!("cannot resolve {}", dir.display()))?;
    anyhow::ensure!(root.is_dir(), "{} is not a directory", dir.display());
    // Two trees outside git: each is a repository of its own.
    Ok(Side {
        label: dir.display().to_string(),
        fs: Box::new(OsFs),
        tree_root: root.clone(),
        root,
        on_disk: true,
    })
}

fn git_side(repo: &Path, path: &Path, revision: &str) -> anyhow::Result<Side> {
    Ok(Side {
        label: revision.to_owned(),
        fs: Box::new(GitTreeFs::at_revision(repo, revision, repo)?),
        root: path.to_path_buf(),
        on_disk: false,
        tree_root: repo.to_path_buf(),
    })
}

/// Build every target of a side: its kustomization directories and Flux Kustomizations.
fn render(
    side: &Side,
    options: &BuildOptions,
    flux: &FluxArgs,
    jobs: usize,
    reuse: Reuse<'_>,
) -> anyhow::Result<Tree> {
    let files = if side.on_disk {
        Some(files_on_disk(&side.root)?)
    } else {
        None
    };
    match build_tree(
        side.fs.as_ref(),
        &side.root,
        &side.tree_root,
        files.as_deref(),
        options,
        flux,
        jobs,
        reuse,
        &side.label,
    ) {
        Ok(tree) => Ok(tree),
        // A directory that does not exist at this revision has nothing to build there.
        Err(_) if !side.on_disk => Ok(Tree {
            targets: BTreeMap::new(),
            warnings: Vec::new(),
            notes: Vec::new(),
            traces: BTreeMap::new(),
        }),
        Err(error) => Err(error.into()),
    }
}

fn built_only(tree: &Tree) -> BTreeMap<String, Vec<serde_json::Value>> {
    tree.targets
        .iter()
        .filter_map(|(target, r)| Some((target.clone(), r.objects.as_ref().ok()?.clone())))
        .collect()
}

/// Targets failing at the head; introduced unless they already failed at the base.
fn build_failures(base: &Tree, head: &Tree) -> Vec<Build> {
    head.targets
        .iter()
        .filter_map(|(target, rendered)| {
            let error = rendered.objects.as_ref().err()?;
            Some(Build {
                path: target.clone(),
                file: rendered.file.clone(),
                line: rendered.line,
                error: Some(error.clone()),
                introduced: !matches!(base.targets.get(target).map(|r| &r.objects), Some(Err(_))),
            })
        })
        .collect()
}
