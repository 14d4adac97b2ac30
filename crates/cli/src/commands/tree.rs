//! What `validate` and `check` build for one tree: every target the library finds (kustomization
//! directories and Flux Kustomizations), built in parallel, with Flux's findings turned into
//! report warnings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kustomize_build::discover::{relative_name, DiscoverOptions, TargetKind, Targets};
use kustomize_build::flux::{Code, Diagnostic, FluxKustomization, Severity};
use kustomize_build::fs::{Filesystem, Trace};
use kustomize_build::BuildOptions;

use super::locate::target_failure_location;
use super::progress::BuildProgress;
use super::repo::error_chain;
use crate::report::Warning;

/// Flags choosing which Flux Kustomizations are built.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct FluxArgs {
    /// A Flux source (`Kind/namespace/name`) that is this repository, besides Flux bootstrap's
    /// `GitRepository/flux-system/flux-system`; Flux Kustomizations reading it are built.
    #[arg(long = "flux-source", value_name = "KIND/NAMESPACE/NAME")]
    sources: Vec<String>,
    /// Build kustomization directories only, not Flux Kustomizations.
    #[arg(long)]
    no_flux: bool,
}

impl FluxArgs {
    fn options(&self) -> DiscoverOptions {
        self.sources
            .iter()
            .fold(DiscoverOptions::new(), |options, source| {
                options.with_local_source(source.clone())
            })
    }
}

/// One target's outcome.
pub(crate) struct Rendered {
    /// The objects, or the build error (paths relative to the tree).
    pub(crate) objects: Result<Vec<serde_json::Value>, String>,
    /// The file to point at, relative to the tree: for a failed build the file and line the
    /// error names when it tells (a malformed file, the entry naming a missing resource), else
    /// the kustomization file or the Flux Kustomization's file.
    pub(crate) file: String,
    /// The line in `file`, when the build error tells it.
    pub(crate) line: Option<usize>,
    /// The directory built (a Flux Kustomization's `spec.path`), absolute in the tree's
    /// filesystem: where provenance rebuilds it.
    pub(crate) dir: PathBuf,
    /// The Flux Kustomization, when the target is one (built as kustomize-controller does).
    pub(crate) flux: Option<Box<FluxKustomization>>,
}

/// Everything built from one tree.
pub(crate) struct Tree {
    /// Target name → outcome, in name order.
    pub(crate) targets: BTreeMap<String, Rendered>,
    /// Flux warnings (unresolved variables, missing dependencies…).
    pub(crate) warnings: Vec<Warning>,
    /// Flux Kustomizations not built and why (for `--verbose`).
    pub(crate) notes: Vec<String>,
    /// What each directory target's build read (see [`Trace::replays_on`]), by target name.
    pub(crate) traces: BTreeMap<String, Trace>,
}

/// Whether [`build_tree`] keeps what each directory's build read, or uses another revision's.
#[derive(Clone, Copy)]
pub(crate) enum Reuse<'a> {
    /// Build everything, keep no traces (`validate`).
    Nothing,
    /// Build everything and keep each directory's trace in [`Tree::traces`].
    Record,
    /// The same tree at the same path at another revision, built with [`Reuse::Record`]: a
    /// directory whose build there read exactly what it would read here is not built again
    /// (same inputs, same output); its result is taken from there.
    From(&'a Tree),
}

/// Find and build every target of the tree at `root` in `fs`. `files` lists the tree's files
/// when the caller walked it (on disk, honouring `.gitignore`); otherwise the library walks
/// `fs`. `repo_root` is where Flux's `spec.path` starts; `label` names the tree on the progress
/// bar.
#[allow(clippy::too_many_arguments)]
pub(crate) fn build_tree(
    fs: &dyn Filesystem,
    root: &Path,
    repo_root: &Path,
    files: Option<&[PathBuf]>,
    options: &BuildOptions,
    flux: &FluxArgs,
    jobs: usize,
    reuse: Reuse<'_>,
    label: &str,
) -> std::io::Result<Tree> {
    let discover = flux.options();
    let mut targets = match files {
        Some(files) => Targets::from_files(fs, root, repo_root, files, &discover),
        None => Targets::discover(fs, root, repo_root, &discover)?,
    };
    if flux.no_flux {
        targets
            .targets
            .retain(|t| matches!(t.kind, TargetKind::Directory));
        targets.diagnostics.clear();
    }
    let relative = |path: &Path| relative_name(root, path);
    let mut tree = Tree {
        targets: BTreeMap::new(),
        warnings: Vec::new(),
        notes: Vec::new(),
        traces: BTreeMap::new(),
    };
    if let Reuse::From(previous) = reuse {
        targets.targets.retain(|target| {
            let reused = matches!(target.kind, TargetKind::Directory)
                .then(|| previous.traces.get(&target.name))
                .flatten()
                .filter(|trace| trace.replays_on(fs))
                .and_then(|_| previous.targets.get(&target.name));
            let Some(reused) = reused else { return true };
            tree.targets.insert(
                target.name.clone(),
                Rendered {
                    objects: reused.objects.clone(),
                    // Located from the same files, so the same place.
                    file: reused.file.clone(),
                    line: reused.line,
                    dir: target.dir.clone(),
                    flux: None,
                },
            );
            tree.traces
                .insert(target.name.clone(), previous.traces[&target.name].clone());
            false
        });
    }
    let progress = BuildProgress::start(label, targets.targets.len());
    let built = |name: &str| progress.built(name);
    let builds = if matches!(reuse, Reuse::Record) {
        targets.build_all_recorded(fs, options, jobs, &built)
    } else {
        let builds = targets.build_all_with_progress(fs, options, jobs, &built);
        builds.into_iter().map(|build| (build, None)).collect()
    };
    progress.finish();
    // Errors name files relative to the tree, as the report names targets.
    let prefix = format!("{}{}", root.display(), std::path::MAIN_SEPARATOR);
    let mut diagnostics: Vec<Diagnostic> = targets.diagnostics.clone();
    for (target, (build, trace)) in targets.targets.iter().zip(builds) {
        if let Some(trace) = trace {
            tree.traces.insert(target.name.clone(), trace);
        }
        let mut at = None;
        let objects = match build {
            Ok(built) => {
                diagnostics.extend(built.diagnostics);
                Ok(built
                    .build
                    .into_resources()
                    .into_iter()
                    .map(kustomize_build::Resource::into_object)
                    .collect())
            }
            Err(error) => {
                at = target_failure_location(fs, root, &target.dir, &error);
                Err(error_chain(&error).replace(&prefix, ""))
            }
        };
        let (file, line) = match at {
            Some((file, line)) => (file, Some(line)),
            None => (relative(&target.file(fs)), None),
        };
        let flux = match &target.kind {
            TargetKind::Flux(ks) => Some(ks.clone()),
            TargetKind::Directory => None,
        };
        tree.targets.insert(
            target.name.clone(),
            Rendered {
                objects,
                file,
                line,
                dir: target.dir.clone(),
                flux,
            },
        );
    }
    diagnostics.sort();
    diagnostics.dedup();
    for diagnostic in diagnostics {
        if diagnostic.severity == Severity::Info {
            tree.notes.push(format!(
                "{}#{}: {}",
                relative(&diagnostic.file),
                diagnostic.kustomization,
                diagnostic.message
            ));
            continue;
        }
        tree.warnings.push(warning(&diagnostic, &relative));
    }
    Ok(tree)
}

/// A Flux finding as a report warning, named like the target it is about.
fn warning(diagnostic: &Diagnostic, relative: &dyn Fn(&Path) -> String) -> Warning {
    let file = relative(&diagnostic.file);
    let path = if diagnostic.kustomization.is_empty() {
        file.clone()
    } else {
        format!("{file}#{}", diagnostic.kustomization)
    };
    let help = match diagnostic.code {
        Code::UnresolvedVariable => {
            "set it in postBuild.substitute or in a substituteFrom ConfigMap/Secret, or give the expression a default (${VAR:=value})"
        }
        Code::MissingSubstituteSource => {
            "commit the ConfigMap/Secret, or mark the substituteFrom entry `optional: true` if it may be absent"
        }
        Code::EncryptedSubstituteSource => {
            "nothing to do if the cluster can decrypt it; its values cannot be checked offline"
        }
        Code::MissingDependency => {
            "correct the dependsOn name and namespace, or ignore this if the Kustomization is defined in another repository"
        }
        Code::DependencyCycle => "remove one of the dependsOn entries of the cycle",
        Code::UnreadableManifest => "correct the YAML syntax at the line named",
        _ => "see the message",
    };
    Warning {
        rule: format!("flux-{}", diagnostic.code),
        path,
        message: diagnostic.message.clone(),
        help: help.to_owned(),
        source: None,
        file,
    }
}
