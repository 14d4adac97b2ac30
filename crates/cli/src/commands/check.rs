//! `unstuck check`: build every kustomization directory at two revisions (git revisions, the
//! index, the work tree, or two directories), pair the objects of each directory, and report the
//! changes the API server would refuse, the objects GitOps would replace, and the builds the
//! change broke.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use immutable_rules::{compare_revisions, Context, Finding, RuleSet, Severity};
use kustomize_build::discover::{build_all, kustomization_dirs};
use kustomize_build::fs::{Filesystem, GitTreeFs, OsFs};
use kustomize_build::BuildOptions;
use serde::Serialize;

use super::build::Restrictor;
use super::check_sources::{sources, BaseObjects, Head, Source};
use super::repo::{error_chain, jobs, kustomization_dirs_on_disk, relative_name};
use crate::exit::Status;

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
    /// Also list the directories compared and kustomize's warnings.
    #[arg(short, long)]
    verbose: bool,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
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

/// Output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// A readable report and a summary line.
    Human,
    /// `{"violations": [...], "build_failures": [...]}`.
    Json,
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
    /// The repository root (or the compared directory): reports name files relative to it.
    tree_root: PathBuf,
}

/// What one side's directories rendered: objects, or the build error.
type Rendered = BTreeMap<String, Result<Vec<serde_json::Value>, String>>;

/// A directory that does not build at the head.
#[derive(Debug, Serialize)]
struct BuildFailure {
    /// The directory, relative to PATH.
    path: String,
    error: String,
    /// `true` when the change broke it (it built at the base, or it is new).
    introduced: bool,
}

/// One violation as the JSON report shows it.
#[derive(Debug, Serialize)]
struct ViolationReport<'a> {
    severity: Severity,
    rule: &'a str,
    group: &'a str,
    kind: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
    field: &'a str,
    old: &'a str,
    new: &'a str,
    source: Option<Source>,
    dirs: &'a [String],
    reason: &'a str,
    api_error: &'a str,
    remediations: &'a [immutable_rules::Remediation],
}

#[derive(Debug, Serialize)]
struct Report<'a> {
    violations: Vec<ViolationReport<'a>>,
    build_failures: &'a [BuildFailure],
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Status> {
    let (base, head) = sides(args)?;
    let options = BuildOptions::new().with_load_restrictions(args.load_restrictor.into());
    let jobs = jobs(args.jobs);
    let base_rendered = render(&base, &options, jobs)?;
    let head_rendered = render(&head, &options, jobs)?;

    let failures = build_failures(&base_rendered, &head_rendered);
    let findings = compare_revisions(
        &built_only(&base_rendered),
        &built_only(&head_rendered),
        &RuleSet::new(),
        &Context::git(),
    );
    let base_objects: BaseObjects<'_> = base_rendered
        .iter()
        .filter_map(|(dir, r)| Some((dir.as_str(), r.as_ref().ok()?.as_slice())))
        .collect();
    let head_tree = Head {
        fs: head.fs.as_ref(),
        path: &head.root,
        root: &head.tree_root,
    };
    let sources = sources(&findings, &head_tree, &base_objects, &options);
    let failed = findings
        .iter()
        .any(|f| f.violation.severity == Severity::Error)
        || failures.iter().any(|f| f.introduced);

    let mut stdout = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            let report = Report {
                violations: findings
                    .iter()
                    .zip(&sources)
                    .map(|(finding, source)| violation_report(finding, source.clone()))
                    .collect(),
                build_failures: &failures,
            };
            serde_json::to_writer_pretty(&mut stdout, &report)?;
            writeln!(stdout)?;
        }
        Format::Human => {
            print_human(
                &mut stdout,
                args,
                (&base, &head),
                &findings,
                &sources,
                &failures,
            )?;
            if args.verbose {
                writeln!(
                    stdout,
                    "compared {} directories at {} with {} at {}",
                    base_rendered.len(),
                    base.label,
                    head_rendered.len(),
                    head.label
                )?;
            }
        }
    }
    Ok(if failed {
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

/// The work tree root above `dir`: the first ancestor holding `.git` (a directory, or the file
/// of a linked worktree).
fn repository_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// Build every kustomization directory of a side.
fn render(side: &Side, options: &BuildOptions, jobs: usize) -> anyhow::Result<Rendered> {
    let dirs = if side.on_disk {
        kustomization_dirs_on_disk(&side.root)?
    } else {
        // A directory that does not exist at this revision has no kustomizations there.
        kustomization_dirs(side.fs.as_ref(), &side.root).unwrap_or_default()
    };
    let builds = build_all(side.fs.as_ref(), &dirs, options, jobs);
    // Errors name files relative to PATH, as the report names directories.
    let prefix = format!("{}{}", side.root.display(), std::path::MAIN_SEPARATOR);
    Ok(dirs
        .iter()
        .zip(builds)
        .map(|(dir, build)| {
            let objects = build
                .map(|b| {
                    b.into_resources()
                        .into_iter()
                        .map(kustomize_build::Resource::into_object)
                        .collect()
                })
                .map_err(|e| error_chain(&e).replace(&prefix, ""));
            (relative_name(&side.root, dir), objects)
        })
        .collect())
}

fn built_only(rendered: &Rendered) -> BTreeMap<String, Vec<serde_json::Value>> {
    rendered
        .iter()
        .filter_map(|(dir, result)| Some((dir.clone(), result.as_ref().ok()?.clone())))
        .collect()
}

/// Directories failing at the head; introduced unless they already failed at the base.
fn build_failures(base: &Rendered, head: &Rendered) -> Vec<BuildFailure> {
    head.iter()
        .filter_map(|(dir, result)| {
            let error = result.as_ref().err()?;
            Some(BuildFailure {
                path: dir.clone(),
                error: error.clone(),
                introduced: !matches!(base.get(dir), Some(Err(_))),
            })
        })
        .collect()
}

fn violation_report(finding: &Finding, source: Option<Source>) -> ViolationReport<'_> {
    let v = &finding.violation;
    ViolationReport {
        severity: v.severity,
        rule: &v.rule,
        group: &v.object.group,
        kind: &v.object.kind,
        namespace: v.object.namespace.as_deref(),
        name: &v.object.name,
        field: &v.field,
        old: &v.old,
        new: &v.new,
        source,
        dirs: &finding.dirs,
        reason: &v.reason,
        api_error: &v.api_error,
        remediations: &v.remediations,
    }
}

fn print_human(
    out: &mut impl std::io::Write,
    args: &Args,
    (base, head): (&Side, &Side),
    findings: &[Finding],
    sources: &[Option<Source>],
    failures: &[BuildFailure],
) -> std::io::Result<()> {
    for failure in failures {
        let (severity, why) = if failure.introduced {
            ("error", "the change breaks this build")
        } else {
            ("warning", "already failing before the change")
        };
        writeln!(out, "{severity}: {} does not build ({why})", failure.path)?;
        writeln!(out, "  {}", failure.error)?;
    }
    for (finding, source) in findings.iter().zip(sources) {
        let v = &finding.violation;
        if v.severity == Severity::Info && !args.verbose && v.rule == "object-pruned" {
            // Prunes are listed, compactly, even when quiet: deletions matter for GitOps.
            writeln!(
                out,
                "info: {} is pruned [{}]",
                v.object,
                finding.dirs.join(", ")
            )?;
            continue;
        }
        writeln!(out, "{}: {} {}: {}", v.severity, v.rule, v.object, v.field)?;
        writeln!(out, "  old: {}", v.old)?;
        writeln!(out, "  new: {}", v.new)?;
        writeln!(out, "  in:  {}", finding.dirs.join(", "))?;
        if let Some(source) = source {
            writeln!(out, "  at:  {source}")?;
        }
        writeln!(out, "  why: {}", v.reason)?;
        if !v.api_error.is_empty() {
            writeln!(out, "  api server: {}", v.api_error)?;
        }
        for remediation in &v.remediations {
            writeln!(out, "  fix: {remediation}")?;
        }
    }
    let count = |severity: Severity| {
        findings
            .iter()
            .filter(|f| f.violation.severity == severity)
            .count()
    };
    let introduced = failures.iter().filter(|f| f.introduced).count();
    writeln!(
        out,
        "{} → {}: {} errors, {} warnings, {} info; {} broken builds ({} pre-existing)",
        base.label,
        head.label,
        count(Severity::Error) + introduced,
        count(Severity::Warning) + failures.len() - introduced,
        count(Severity::Info),
        introduced,
        failures.len() - introduced,
    )
}
