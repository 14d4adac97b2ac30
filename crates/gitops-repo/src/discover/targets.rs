//! What a tree builds: every kustomization directory, every Flux Kustomization whose source
//! is the repository itself, built the way kustomize-controller builds it, and every Argo CD
//! Application with a source in the repository, rendered as Argo CD's repo-server does.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use super::{parallel_map, parents, relative_name};
use crate::argo::{
    build_argo, expand_application_set, is_local_source, repository_directories, unrendered_reason,
    ArgoApplication, ArgoError, ArgoRepository,
};
use crate::flux::{
    build_flux, build_flux_in, check_dependencies_among, Code, Diagnostic, FluxError,
    FluxKustomization, FluxRepository, SubstitutionMode, STRICT_GATE,
};
use kustomize_build::fs::{clean_path, Filesystem, RecordingFs, Trace};
use kustomize_build::kustomization::FILE_NAMES;
use kustomize_build::BuildError;
use kustomize_build::{BuildOptions, Resource};

/// The source Flux bootstrap creates for the repository it is installed from: Flux
/// Kustomizations reading it are built from this tree.
pub const BOOTSTRAP_SOURCE: &str = "GitRepository/flux-system/flux-system";

/// How to find targets.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiscoverOptions {
    /// The Flux sources (`Kind/namespace/name`) that are this repository; Flux Kustomizations
    /// reading another source are not built (an `info` diagnostic says so). Default:
    /// [`BOOTSTRAP_SOURCE`].
    pub local_sources: Vec<String>,
    /// The `repoURL`s that are this repository for Argo CD Applications; empty (the default):
    /// every source with a `path` is read from this repository.
    pub argo_repo_urls: Vec<String>,
    /// Build Flux Kustomizations with strict post-build substitution (kustomize-controller's
    /// feature gate `StrictPostBuildSubstitutions`) even when the repository does not turn the
    /// gate on itself (`false`, the default: strict only where it does).
    pub flux_strict_substitution: bool,
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        Self {
            local_sources: vec![BOOTSTRAP_SOURCE.to_owned()],
            argo_repo_urls: Vec::new(),
            flux_strict_substitution: false,
        }
    }
}

impl DiscoverOptions {
    /// The defaults: only Flux bootstrap's `flux-system` source is this repository.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also treat `source` (`Kind/namespace/name`) as this repository.
    #[must_use]
    pub fn with_local_source(mut self, source: impl Into<String>) -> Self {
        self.local_sources.push(source.into());
        self
    }

    /// Render only the Argo CD sources whose `repoURL` is `url` (or another URL given this
    /// way) from this repository; compared without a trailing `/` or `.git`, ignoring case.
    #[must_use]
    pub fn with_argo_repo_url(mut self, url: impl Into<String>) -> Self {
        self.argo_repo_urls.push(url.into());
        self
    }

    /// Build Flux Kustomizations with strict post-build substitution whatever the repository
    /// says (`true`), or only when it turns kustomize-controller's gate on (`false`).
    #[must_use]
    pub fn with_flux_strict_substitution(mut self, strict: bool) -> Self {
        self.flux_strict_substitution = strict;
        self
    }
}

/// One thing a tree builds.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// How reports name it, relative to the tree's root: the directory (`apps/prod`, `.`), or
    /// for a Flux Kustomization (an Argo CD Application) the file defining it and its `namespace/name`
    /// (`clusters/prod/apps.yaml#flux-system/apps`), unique even when every cluster
    /// directory defines a `flux-system/apps`. A Flux Kustomization another one of the tree
    /// applies is named as that parent's build emits it: a file without `metadata.namespace`
    /// included by a kustomization setting `namespace: media` is `…/ks.yaml#media/plex`.
    pub name: String,
    /// The directory built (a Flux Kustomization's `spec.path`, an Argo CD Application's
    /// first rendered source `path`, resolved).
    pub dir: PathBuf,
    /// What kind of target it is.
    pub kind: TargetKind,
}

/// A plain kustomization directory, a Flux Kustomization or an Argo CD Application.
#[derive(Debug, Clone, PartialEq)]
pub enum TargetKind {
    /// `kubectl kustomize DIR`.
    Directory,
    /// A Flux Kustomization, built as kustomize-controller does.
    Flux(Box<FluxKustomization>),
    /// An Argo CD Application, rendered as Argo CD's repo-server does.
    Argo(Box<ArgoApplication>),
}

impl Target {
    /// The file to point a reader at: the directory's kustomization file, or the file defining
    /// the Flux Kustomization.
    pub fn file(&self, fs: &dyn Filesystem) -> PathBuf {
        match &self.kind {
            TargetKind::Flux(ks) => ks.file.clone(),
            TargetKind::Argo(app) => app.file.clone(),
            TargetKind::Directory => FILE_NAMES
                .iter()
                .map(|name| self.dir.join(name))
                .find(|path| fs.exists(path))
                .unwrap_or_else(|| self.dir.join(FILE_NAMES[0])),
        }
    }
}

/// Every target of a tree, and what was found about its Flux Kustomizations on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Targets {
    /// The tree searched (target names are relative to it).
    pub root: PathBuf,
    /// The repository root: Flux's `spec.path` is relative to it (see [`Targets::discover`]).
    pub repo_root: PathBuf,
    /// Directories first (sorted), then Flux Kustomizations (in file order).
    pub targets: Vec<Target>,
    /// The Flux objects of the tree (Kustomizations, `ConfigMaps`, Secrets).
    pub flux: FluxRepository,
    /// The Argo CD Applications of the tree.
    pub argo: ArgoRepository,
    /// The `repoURL`s that are this repository (empty: any).
    pub argo_repo_urls: Vec<String>,
    /// `dependsOn` problems, Kustomizations not built (another source), unreadable files.
    pub diagnostics: Vec<Diagnostic>,
    /// How Flux Kustomizations substitute: strict when asked
    /// ([`DiscoverOptions::flux_strict_substitution`]) or when the tree turns
    /// kustomize-controller's gate on ([`FluxRepository::strict_gate`]).
    pub substitution: SubstitutionMode,
}

/// Why a target did not build.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// kustomize failed on a directory.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// A Flux Kustomization could not be built as Flux would.
    #[error(transparent)]
    Flux(#[from] FluxError),
    /// An Argo CD Application could not be rendered as Argo CD would.
    #[error(transparent)]
    Argo(#[from] ArgoError),
    /// The Flux Kustomization waits, through `dependsOn`, for itself: Flux never applies it.
    #[error(
        "Flux Kustomization {kustomization} is in a dependsOn cycle ({cycle}); Flux never applies it: remove one of the dependsOn entries"
    )]
    DependencyCycle {
        /// `namespace/name`.
        kustomization: String,
        /// The cycle, `a → b → a`.
        cycle: String,
    },
}

/// What a target built to, and the warnings that go with it.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetBuild {
    /// The objects, in kustomize's output order.
    pub resources: Vec<Resource>,
    /// Flux's unresolved variables and missing `substituteFrom` objects (empty for
    /// directories).
    pub diagnostics: Vec<Diagnostic>,
}

impl Targets {
    /// The directories `target` deploys, which are therefore reported through it rather than
    /// as bare kustomization directories: a Flux Kustomization's `spec.path`, each rendered
    /// source path of an Argo CD Application; none for a directory.
    pub fn deployed_dirs(&self, fs: &dyn Filesystem, target: &Target) -> Vec<PathBuf> {
        match &target.kind {
            TargetKind::Directory => Vec::new(),
            TargetKind::Flux(_) => vec![target.dir.clone()],
            TargetKind::Argo(app) => app
                .sources
                .iter()
                .filter(|s| is_local_source(s, &self.argo_repo_urls))
                .filter_map(|s| s.path.as_deref())
                .map(|path| {
                    let source_root = source_root(fs, &self.root, &self.repo_root, path);
                    clean_path(&source_root.join(path.trim_start_matches('/')))
                })
                .collect(),
        }
    }

    /// Walk `root` through `fs` (hidden entries skipped) and find every target.
    ///
    /// `repo_root` is the repository root (Flux's `spec.path` is relative to it); it is `root`
    /// itself when the whole repository is searched. When `root` lies below it and a
    /// `spec.path` names a directory only under `root`, the path is taken from `root`: the tree
    /// is then a GitOps repository of its own (an example or a fixture inside another
    /// repository).
    ///
    /// # Errors
    ///
    /// When `root` cannot be listed.
    pub fn discover(
        fs: &dyn Filesystem,
        root: &Path,
        repo_root: &Path,
        options: &DiscoverOptions,
    ) -> io::Result<Self> {
        let files = tree_files(fs, root)?;
        Ok(Self::from_files(fs, root, repo_root, &files, options))
    }

    /// Find every target among `files` (every file of the tree, as listed by a walker of the
    /// caller's choosing, e.g. one honouring `.gitignore`).
    ///
    /// A Flux Kustomization whose file lies in another's `spec.path` directory is what that
    /// parent's build emits, not what its file reads: the parents are built (as
    /// kustomize-controller builds them) to learn each child's namespace, name, `dependsOn` and
    /// spec, and the `dependsOn` checks run on those objects. A child no parent of the tree
    /// renders (the parent reads another source, or does not build) is read from its file.
    pub fn from_files(
        fs: &dyn Filesystem,
        root: &Path,
        repo_root: &Path,
        files: &[PathBuf],
        options: &DiscoverOptions,
    ) -> Self {
        let root = clean_path(root);
        let repo_root = clean_path(repo_root);
        let mut dirs: Vec<PathBuf> = files
            .iter()
            .filter(|f| {
                f.file_name()
                    .is_some_and(|n| FILE_NAMES.contains(&n.to_string_lossy().as_ref()))
            })
            .filter_map(|f| f.parent().map(Path::to_path_buf))
            .collect();
        dirs.sort();
        dirs.dedup();
        // A component is built through the kustomizations including it, never on its own.
        dirs.retain(|dir| !is_component(fs, dir));
        let yaml: Vec<PathBuf> = files
            .iter()
            .filter(|f| matches!(f.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
            .cloned()
            .collect();
        let mut flux = FluxRepository::scan(fs, &yaml);
        let is_local = |ks: &FluxKustomization| {
            options
                .local_sources
                .iter()
                .any(|s| *s == ks.source.to_string())
        };
        let dir_of = |ks: &FluxKustomization| {
            let source_root = source_root(fs, &root, &repo_root, &ks.path);
            is_local(ks).then(|| clean_path(&source_root.join(ks.path.trim_start_matches('/'))))
        };
        // Names, sources and `dependsOn` are those of the objects the cluster receives.
        let placements = parents::render_children(&mut flux.kustomizations, dir_of, |parent| {
            let source_root = source_root(fs, &root, &repo_root, &parent.path);
            build_flux(fs, source_root, parent, &flux.sources, &BuildOptions::new())
                .ok()
                .map(|built| built.resources)
        });
        let mut diagnostics = flux.diagnostics.clone();
        // Those no parent applies are neither units nor `dependsOn` targets: in the cluster
        // they do not exist.
        let ids: Vec<String> = flux
            .kustomizations
            .iter()
            .map(|ks| ks.id.to_string())
            .collect();
        let mut applied = Vec::new();
        let mut not_applied = Vec::new();
        for (ks, placement) in std::mem::take(&mut flux.kustomizations)
            .into_iter()
            .zip(placements)
        {
            let parents::Placement::NotApplied { parent } = placement else {
                applied.push(ks);
                continue;
            };
            diagnostics.push(Diagnostic::new(
                Code::NotApplied,
                ks.id.to_string(),
                ks.file.clone(),
                format!(
                    "not built: its file lies in the spec.path of {}, whose build does not include it, so Flux never applies it; list the file in a kustomization there to deploy it",
                    ids[parent]
                ),
            ));
            not_applied.push(ks);
        }
        flux.kustomizations = applied;
        diagnostics.extend(check_dependencies_among(&flux.kustomizations, &not_applied));
        if let Some(gate) = &flux.strict_gate {
            diagnostics.push(Diagnostic::new(
                Code::StrictSubstitution,
                "",
                gate.file.clone(),
                format!(
                    "line {} turns kustomize-controller's feature gate {STRICT_GATE} on: Flux Kustomizations are built with strict substitution, where a variable without value or default fails the build",
                    gate.line
                ),
            ));
        }
        let substitution = if options.flux_strict_substitution || flux.strict_gate.is_some() {
            SubstitutionMode::Strict
        } else {
            SubstitutionMode::Lenient
        };
        let mut targets: Vec<Target> = dirs
            .into_iter()
            .map(|dir| Target {
                name: relative_name(&root, &dir),
                dir,
                kind: TargetKind::Directory,
            })
            .collect();
        for ks in &flux.kustomizations {
            if !is_local(ks) {
                diagnostics.push(Diagnostic::new(
                    Code::ForeignSource,
                    ks.id.to_string(),
                    ks.file.clone(),
                    format!(
                        "not built: it reads {}, not this repository ({}); name the source with --flux-source if it is this repository",
                        ks.source,
                        options.local_sources.join(", ")
                    ),
                ));
                continue;
            }
            let source_root = source_root(fs, &root, &repo_root, &ks.path);
            targets.push(Target {
                name: format!("{}#{}", relative_name(&root, &ks.file), ks.id),
                dir: clean_path(&source_root.join(ks.path.trim_start_matches('/'))),
                kind: TargetKind::Flux(Box::new(ks.clone())),
            });
        }
        let mut argo = ArgoRepository::scan(fs, &yaml);
        diagnostics.extend(argo.diagnostics.iter().cloned());
        if !argo.application_sets.is_empty() {
            let directories = repository_directories(&repo_root, files);
            for (file, set) in &argo.application_sets {
                let metadata = &set["metadata"];
                let id = format!(
                    "{}/{}",
                    metadata["namespace"].as_str().unwrap_or_default(),
                    metadata["name"].as_str().unwrap_or_default()
                );
                match expand_application_set(set, file, &directories, &options.argo_repo_urls) {
                    Ok(generated) => argo.applications.extend(generated),
                    Err(reason) => diagnostics.push(Diagnostic::new(
                        Code::ForeignSource,
                        id,
                        file.clone(),
                        format!("ApplicationSet not rendered: {reason}; the Applications it generates are not checked"),
                    )),
                }
            }
        }
        for app in &argo.applications {
            let note = |message: String| {
                Diagnostic::new(
                    Code::ForeignSource,
                    app.id.to_string(),
                    app.file.clone(),
                    message,
                )
            };
            let mut rendered = Vec::new();
            for source in &app.sources {
                if !is_local_source(source, &options.argo_repo_urls) {
                    let what = source.path.as_deref().map_or_else(
                        || format!("its source {} has no path", source.repo_url),
                        |path| format!("{path} of {}, not this repository ({}); name it with --argo-repo-url if it is this repository", source.repo_url, options.argo_repo_urls.join(", ")),
                    );
                    diagnostics.push(note(format!("source not rendered: {what}")));
                    continue;
                }
                let path = source.path.as_deref().unwrap_or_default();
                let source_root = source_root(fs, &root, &repo_root, path);
                if let Some(reason) = unrendered_reason(fs, source_root, source) {
                    diagnostics.push(note(format!("source {path} not rendered: {reason}")));
                    continue;
                }
                rendered.push(clean_path(&source_root.join(path.trim_start_matches('/'))));
            }
            let Some(dir) = rendered.first() else {
                continue;
            };
            targets.push(Target {
                name: format!("{}#{}", relative_name(&root, &app.file), app.id),
                dir: dir.clone(),
                kind: TargetKind::Argo(Box::new(app.clone())),
            });
        }
        Self {
            root,
            repo_root,
            targets,
            flux,
            argo,
            argo_repo_urls: options.argo_repo_urls.clone(),
            diagnostics,
            substitution,
        }
    }

    /// Build every target on up to `jobs` threads; results come back in the order of
    /// [`Targets::targets`]. Flux Kustomizations build with `LoadRestrictionsNone` whatever
    /// `options` say, and those in a `dependsOn` cycle are not built (Flux never applies them).
    /// A Flux Kustomization that another Flux Kustomization of the tree renders (its file lies
    /// in the other's `spec.path`) is built as the parent's build emits it — the parent's
    /// patches, `commonMetadata`, namespace and substitution applied (see
    /// [`Targets::from_files`]); otherwise from its file.
    pub fn build_all(
        &self,
        fs: &dyn Filesystem,
        options: &BuildOptions,
        jobs: usize,
    ) -> Vec<Result<TargetBuild, TargetError>> {
        self.build_all_with_progress(fs, options, jobs, &|_: &str| {})
    }

    /// [`Targets::build_all`], telling `progress` the name of each target as its build ends
    /// (from the worker threads, in completion order), so a frontend can show how far it is.
    ///
    /// ```
    /// use std::path::Path;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use gitops_repo::discover::{DiscoverOptions, Targets};
    /// use kustomize_build::fs::MemFs;
    /// use kustomize_build::BuildOptions;
    ///
    /// let mut fs = MemFs::new();
    /// fs.add_file("/r/a/kustomization.yaml", "resources: []\n");
    /// fs.add_file("/r/b/kustomization.yaml", "resources: [missing.yaml]\n");
    /// let targets = Targets::discover(&fs, Path::new("/r"), Path::new("/r"), &DiscoverOptions::new())?;
    /// let done = AtomicUsize::new(0);
    /// let builds = targets.build_all_with_progress(&fs, &BuildOptions::new(), 2, &|_: &str| {
    ///     done.fetch_add(1, Ordering::Relaxed);
    /// });
    /// assert_eq!(done.into_inner(), builds.len());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build_all_with_progress(
        &self,
        fs: &dyn Filesystem,
        options: &BuildOptions,
        jobs: usize,
        progress: &(dyn Fn(&str) + Sync),
    ) -> Vec<Result<TargetBuild, TargetError>> {
        let cache = self.build_cache(fs, options);
        self.build_each(fs, options, jobs, &cache, false, progress, &|_, outcome| {
            outcome.0
        })
    }

    /// [`Targets::build_all_with_progress`], handing each build to `finish` (with the target's
    /// index in [`Targets::targets`]) on the worker thread as soon as it ends, so a caller that
    /// needs only a verdict or a summary of each build never holds all of them at once. The
    /// values `finish` returns come back in the order of [`Targets::targets`].
    ///
    /// ```
    /// use std::path::Path;
    /// use gitops_repo::discover::{DiscoverOptions, Targets};
    /// use kustomize_build::fs::MemFs;
    /// use kustomize_build::BuildOptions;
    ///
    /// let mut fs = MemFs::new();
    /// fs.add_file("/r/a/kustomization.yaml", "resources: [cm.yaml]\n");
    /// fs.add_file("/r/a/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n");
    /// fs.add_file("/r/b/kustomization.yaml", "resources: [missing.yaml]\n");
    /// let targets = Targets::discover(&fs, Path::new("/r"), Path::new("/r"), &DiscoverOptions::new())?;
    /// let counts = targets.build_all_then(&fs, &BuildOptions::new(), 2, &|_: &str| {}, &|_, build| {
    ///     build.map(|built| built.resources.len()).ok()
    /// });
    /// assert_eq!(counts, [Some(1), None]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build_all_then<T: Send>(
        &self,
        fs: &dyn Filesystem,
        options: &BuildOptions,
        jobs: usize,
        progress: &(dyn Fn(&str) + Sync),
        finish: &(dyn Fn(usize, Result<TargetBuild, TargetError>) -> T + Sync),
    ) -> Vec<T> {
        let cache = self.build_cache(fs, options);
        self.build_each(
            fs,
            options,
            jobs,
            &cache,
            false,
            progress,
            &|index, outcome| finish(index, outcome.0),
        )
    }

    /// [`Targets::build_all`], also returning for each directory target the [`Trace`] of what
    /// its build asked of `fs` (`None` for Flux Kustomizations, whose builds also depend on
    /// objects found at discovery). Where a trace [replays](Trace::replays_on) on another
    /// tree, the directory builds the same there. `progress` hears of each finished target as
    /// in [`Targets::build_all_with_progress`].
    pub fn build_all_recorded(
        &self,
        fs: &dyn Filesystem,
        options: &BuildOptions,
        jobs: usize,
        progress: &(dyn Fn(&str) + Sync),
    ) -> Vec<(Result<TargetBuild, TargetError>, Option<Trace>)> {
        let cache = self.build_cache(fs, options);
        self.build_each(fs, options, jobs, &cache, true, progress, &|_, outcome| {
            outcome
        })
    }

    /// The positions of the directory targets, and their directories.
    fn directory_roots(&self) -> (Vec<usize>, Vec<PathBuf>) {
        let directories: Vec<usize> = (0..self.targets.len())
            .filter(|&index| matches!(self.targets[index].kind, TargetKind::Directory))
            .collect();
        let roots = directories
            .iter()
            .map(|&index| self.targets[index].dir.clone())
            .collect();
        (directories, roots)
    }

    /// The cache the directory targets share: shared bases are built once for all of them and
    /// dropped once no directory left to build may read them. A recorded build still answers
    /// for every question its result depends on (its trace is what `check` replays): it
    /// reuses only results that carry their questions, and counts them as its own.
    pub(crate) fn build_cache(
        &self,
        fs: &dyn Filesystem,
        options: &BuildOptions,
    ) -> kustomize_build::BuildCache {
        kustomize_build::BuildCache::for_roots(fs, &self.directory_roots().1, options)
    }

    /// Build every target, parents in earlier waves than the Flux Kustomizations they render,
    /// and hand each outcome to `finish` as it ends. Directories share `cache` (made with
    /// [`Targets::build_cache`], perhaps reusing another run's results); with `record`, each
    /// directory's build is recorded.
    #[allow(clippy::too_many_arguments)] // one private entry point behind the public ones
    pub(crate) fn build_each<T: Send>(
        &self,
        fs: &dyn Filesystem,
        options: &BuildOptions,
        jobs: usize,
        cache: &kustomize_build::BuildCache,
        record: bool,
        progress: &(dyn Fn(&str) + Sync),
        finish: &(dyn Fn(usize, BuildOutcome) -> T + Sync),
    ) -> Vec<T> {
        // `kustomization id → cycle` for the members of every cycle.
        let mut cycles: BTreeMap<String, String> = BTreeMap::new();
        for diagnostic in &self.diagnostics {
            if diagnostic.code == Code::DependencyCycle {
                let cycle = diagnostic.related.join(" → ");
                for member in &diagnostic.related {
                    cycles.insert(member.clone(), cycle.clone());
                }
            }
        }
        let (directories, roots) = self.directory_roots();
        // Directories build bases first and each overlay soon after its bases, so the cache
        // lets go of a base soon after the last overlay over it.
        let mut rank = vec![usize::MAX; self.targets.len()];
        for (position, at) in cache.build_order(fs, &roots).into_iter().enumerate() {
            rank[directories[at]] = position;
        }
        let directory = |built: kustomize_build::Result<kustomize_build::Build>| {
            built
                .map(|build| TargetBuild {
                    resources: build.into_resources(),
                    diagnostics: Vec::new(),
                })
                .map_err(TargetError::from)
        };
        let build_one = |target: &Target| match &target.kind {
            TargetKind::Directory if record => {
                let recording = RecordingFs::new(fs);
                let result = directory(kustomize_build::build_recorded_reusing(
                    &recording,
                    &target.dir,
                    options,
                    &mut Vec::new(),
                    cache,
                ));
                (result, Some(recording.into_trace()))
            }
            TargetKind::Directory => (
                directory(kustomize_build::build_reusing(
                    fs,
                    &target.dir,
                    options,
                    &mut Vec::new(),
                    cache,
                )),
                None,
            ),
            TargetKind::Flux(ks) => {
                if let Some(cycle) = cycles.get(&ks.id.to_string()) {
                    let error = TargetError::DependencyCycle {
                        kustomization: ks.id.to_string(),
                        cycle: cycle.clone(),
                    };
                    return (Err(error), None);
                }
                let source_root = source_root(fs, &self.root, &self.repo_root, &ks.path);
                let result = build_flux_in(
                    fs,
                    source_root,
                    ks,
                    &self.flux.sources,
                    options,
                    self.substitution,
                )
                .map(|built| TargetBuild {
                    resources: built.resources,
                    diagnostics: built.diagnostics,
                })
                .map_err(TargetError::from);
                (result, None)
            }
            TargetKind::Argo(app) => {
                let path = app
                    .sources
                    .iter()
                    .find_map(|s| s.path.as_deref())
                    .unwrap_or_default();
                let source_root = source_root(fs, &self.root, &self.repo_root, path);
                let result = build_argo(fs, source_root, app, &self.argo_repo_urls, options)
                    .map(|resources| TargetBuild {
                        resources,
                        diagnostics: Vec::new(),
                    })
                    .map_err(TargetError::from);
                (result, None)
            }
        };
        // Children are already the objects their parents render (see `Targets::from_files`),
        // so every target builds on its own; directories in the order the cache plans.
        let mut order: Vec<usize> = (0..self.targets.len()).collect();
        order.sort_by_key(|&index| rank[index]);
        let finished = parallel_map(&order, jobs, |&index| {
            let target = &self.targets[index];
            let outcome = build_one(target);
            progress(&target.name);
            finish(index, outcome)
        });
        let mut results: Vec<Option<T>> = Vec::new();
        results.resize_with(self.targets.len(), || None);
        for (index, result) in order.into_iter().zip(finished) {
            results[index] = result;
        }
        results
            .into_iter()
            .enumerate()
            .map(|(index, result)| {
                result.unwrap_or_else(|| {
                    let error = TargetError::Build(BuildError::Other(format!(
                        "building {} stopped unexpectedly",
                        self.targets[index].name
                    )));
                    finish(index, (Err(error), None))
                })
            })
            .collect()
    }
}

/// A target's build and, for a recorded directory build, its trace.
pub(crate) type BuildOutcome = (Result<TargetBuild, TargetError>, Option<Trace>);

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// Where a unit's `path` (Flux's `spec.path`, an Argo source's `path`) starts: the repository
/// root; but a tree searched below the repository root that is a GitOps repository of its own
/// (an example, a test fixture) resolves the path against itself when only it has that
/// directory.
fn source_root<'p>(
    fs: &dyn Filesystem,
    root: &'p Path,
    repo_root: &'p Path,
    path: &str,
) -> &'p Path {
    let relative = path.trim_start_matches('/');
    if root != repo_root
        && !fs.is_dir(&clean_path(&repo_root.join(relative)))
        && fs.is_dir(&clean_path(&root.join(relative)))
    {
        root
    } else {
        repo_root
    }
}

/// Whether the kustomization file of `dir` declares `kind: Component`: a component patches
/// objects of the kustomization including it and often cannot be built alone.
pub(crate) fn is_component(fs: &dyn Filesystem, dir: &Path) -> bool {
    FILE_NAMES
        .iter()
        .find_map(|name| fs.read(&dir.join(name)).ok())
        .and_then(|bytes| {
            let text = String::from_utf8(bytes).ok()?;
            let documents = kustomize_build::yaml::parse_json_documents(&text).ok()?;
            let kind = documents.first()?.get("kind")?.as_str()?.to_owned();
            Some(kind == "Component")
        })
        .unwrap_or(false)
}

/// Every file at or under `root`, hidden entries skipped, sorted; unreadable directories below
/// the root are skipped.
fn tree_files(fs: &dyn Filesystem, root: &Path) -> io::Result<Vec<PathBuf>> {
    let root = clean_path(root);
    let mut files = Vec::new();
    let mut pending = vec![root.clone()];
    while let Some(dir) = pending.pop() {
        let names = match fs.read_dir(&dir) {
            Ok(names) => names,
            Err(error) if dir == root => return Err(error),
            Err(_) => continue,
        };
        for name in names.into_iter().filter(|n| !n.starts_with('.')) {
            let path = dir.join(&name);
            if fs.is_dir(&path) {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flux::Severity;
    use kustomize_build::fs::MemFs;

    const FLUX: &str = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: NAME\n  namespace: flux-system\nspec:\n  path: PATH\n  sourceRef:\n    kind: GitRepository\n    name: SOURCE\nDEPS";

    fn flux(name: &str, path: &str, source: &str, deps: &str) -> String {
        FLUX.replace("NAME", name)
            .replace("PATH", path)
            .replace("SOURCE", source)
            .replace("DEPS", deps)
    }

    #[test]
    fn directories_and_local_flux_kustomizations_are_targets() {
        let mut fs = MemFs::new();
        fs.add_file("/r/apps/kustomization.yaml", "resources: [cm.yaml]\n");
        fs.add_file(
            "/r/apps/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
        );
        fs.add_file(
            "/r/plain/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: p\n",
        );
        fs.add_file(
            "/r/clusters/prod/ks.yaml",
            format!(
                "{}---\n{}---\n{}",
                flux("apps", "./apps", "flux-system", ""),
                flux("plain", "./plain", "flux-system", "  targetNamespace: x\n"),
                flux("podinfo", "./kustomize", "podinfo", "")
            ),
        );
        let targets = Targets::discover(
            &fs,
            Path::new("/r"),
            Path::new("/r"),
            &DiscoverOptions::new(),
        )
        .unwrap();
        let names: Vec<&str> = targets.targets.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "apps",
                "clusters/prod/ks.yaml#flux-system/apps",
                "clusters/prod/ks.yaml#flux-system/plain"
            ]
        );
        assert_eq!(targets.diagnostics.len(), 1);
        assert_eq!(targets.diagnostics[0].code, Code::ForeignSource);
        let builds = targets.build_all(&fs, &BuildOptions::new(), 2);
        let plain = builds[2].as_ref().unwrap();
        assert_eq!(plain.resources[0].namespace(), "x");
        assert_eq!(
            targets.targets[2].file(&fs),
            Path::new("/r/clusters/prod/ks.yaml")
        );
        assert_eq!(
            targets.targets[0].file(&fs),
            Path::new("/r/apps/kustomization.yaml")
        );

        let with_podinfo =
            DiscoverOptions::new().with_local_source("GitRepository/flux-system/podinfo");
        let targets =
            Targets::discover(&fs, Path::new("/r"), Path::new("/r"), &with_podinfo).unwrap();
        assert_eq!(targets.targets.len(), 4);
        let builds = targets.build_all(&fs, &BuildOptions::new(), 2);
        assert!(matches!(
            builds[3],
            Err(TargetError::Flux(FluxError::PathNotFound { .. }))
        ));
    }

    #[test]
    fn a_gitops_tree_inside_another_repository_resolves_paths_against_itself() {
        let mut fs = MemFs::new();
        fs.add_file(
            "/repo/examples/demo/apps/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
        );
        fs.add_file(
            "/repo/examples/demo/ks.yaml",
            flux("apps", "./apps", "flux-system", ""),
        );
        let root = Path::new("/repo/examples/demo");
        let targets =
            Targets::discover(&fs, root, Path::new("/repo"), &DiscoverOptions::new()).unwrap();
        assert_eq!(
            targets.targets[0].dir,
            Path::new("/repo/examples/demo/apps")
        );
        assert!(targets.build_all(&fs, &BuildOptions::new(), 1)[0].is_ok());
        // When the repository root has the directory, Flux's rule applies.
        fs.add_file(
            "/repo/apps/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: r\n",
        );
        let targets =
            Targets::discover(&fs, root, Path::new("/repo"), &DiscoverOptions::new()).unwrap();
        assert_eq!(targets.targets[0].dir, Path::new("/repo/apps"));
    }

    #[test]
    fn kustomizations_in_a_cycle_are_not_built() {
        let mut fs = MemFs::new();
        fs.add_file(
            "/r/apps/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
        );
        fs.add_file(
            "/r/ks.yaml",
            format!(
                "{}---\n{}",
                flux("a", "./apps", "flux-system", "  dependsOn:\n  - name: b\n"),
                flux("b", "./apps", "flux-system", "  dependsOn:\n  - name: a\n"),
            ),
        );
        let targets = Targets::discover(
            &fs,
            Path::new("/r"),
            Path::new("/r"),
            &DiscoverOptions::new(),
        )
        .unwrap();
        let builds = targets.build_all(&fs, &BuildOptions::new(), 1);
        let error = builds[0].as_ref().unwrap_err();
        assert_eq!(
            error.to_string(),
            "Flux Kustomization flux-system/a is in a dependsOn cycle (flux-system/a → flux-system/b → flux-system/a); Flux never applies it: remove one of the dependsOn entries"
        );
        assert!(matches!(
            builds[1],
            Err(TargetError::DependencyCycle { .. })
        ));
    }
    #[test]
    fn a_child_builds_as_its_parent_flux_kustomization_renders_it() {
        let mut fs = MemFs::new();
        // The parent patches every child not opted out with a cluster-wide substituteFrom.
        fs.add_file(
            "/r/clusters/ks.yaml",
            format!(
                "{}  patches:\n  - patch: |-\n      apiVersion: kustomize.toolkit.fluxcd.io/v1\n      kind: Kustomization\n      metadata:\n        name: _\n      spec:\n        postBuild:\n          substituteFrom:\n          - kind: ConfigMap\n            name: cluster-settings\n    target:\n      group: kustomize.toolkit.fluxcd.io\n      kind: Kustomization\n      labelSelector: substitution.flux.home.arpa/disabled notin (true)\n",
                flux("cluster-apps", "./apps", "flux-system", "")
            ),
        );
        fs.add_file(
            "/r/clusters/settings.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-settings\ndata:\n  LAN: 10.0.0.0/24\n  IOT: 10.0.1.0/24\n",
        );
        fs.add_file(
            "/r/apps/kustomization.yaml",
            "namespace: media\nresources: [plex/ks.yaml, raw/ks.yaml]\n",
        );
        // Without a namespace of its own: the parent's kustomization puts it in `media`.
        fs.add_file(
            "/r/apps/plex/ks.yaml",
            flux("plex", "./apps/plex/app", "flux-system", "")
                .replace("  namespace: flux-system\n", "")
                .replace(
                    "    name: flux-system\n",
                    "    name: flux-system\n    namespace: flux-system\n",
                ),
        );
        let opted_out = flux("raw", "./apps/raw/app", "flux-system", "")
            .replace("  namespace: flux-system\n", "  namespace: flux-system\n  labels:\n    substitution.flux.home.arpa/disabled: \"true\"\n")
            .replace("spec:\n", "spec:\n  postBuild:\n    substitute:\n      OTHER: x\n")
            // Rendered into `media`, a sourceRef without namespace would mean media/flux-system.
            .replace(
                "    name: flux-system\n",
                "    name: flux-system\n    namespace: flux-system\n",
            );
        fs.add_file("/r/apps/raw/ks.yaml", opted_out);
        fs.add_file(
            "/r/apps/raw/app/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: raw\ndata:\n  lan: ${LAN}\n",
        );
        // Substituted with nothing, `subnets: ,` is not YAML: the build only passes with values.
        fs.add_file(
            "/r/apps/plex/app/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plex\ndata:\n  subnets: ${LAN},${IOT}\n",
        );
        let targets = Targets::discover(
            &fs,
            Path::new("/r"),
            Path::new("/r"),
            &DiscoverOptions::new(),
        )
        .unwrap();
        let names: Vec<&str> = targets.targets.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "apps",
                // The parent's `namespace: media` wins over the files' (none, flux-system).
                "apps/plex/ks.yaml#media/plex",
                "apps/raw/ks.yaml#media/raw",
                "clusters/ks.yaml#flux-system/cluster-apps"
            ]
        );
        let builds = targets.build_all(&fs, &BuildOptions::new(), 2);
        let plex = builds[1].as_ref().unwrap();
        assert_eq!(
            plex.resources[0].object()["data"]["subnets"],
            "10.0.0.0/24,10.0.1.0/24"
        );
        assert!(plex.diagnostics.is_empty(), "{:?}", plex.diagnostics);
        // The opted-out child keeps its own variables: the parent's patch skipped it.
        let raw = builds[2].as_ref().unwrap();
        assert_eq!(raw.diagnostics[0].code, Code::UnresolvedVariable);
        assert!(raw.diagnostics[0]
            .message
            .starts_with("${LAN} has no value"));
        // Findings still point at the child's own file.
        assert_eq!(
            targets.targets[1].file(&fs),
            Path::new("/r/apps/plex/ks.yaml")
        );

        // Without the parent the child is built from its file: it has no postBuild, so
        // nothing is substituted.
        fs.add_file("/r/clusters/ks.yaml", "# removed\n");
        let targets = Targets::discover(
            &fs,
            Path::new("/r"),
            Path::new("/r"),
            &DiscoverOptions::new(),
        )
        .unwrap();
        let builds = targets.build_all(&fs, &BuildOptions::new(), 1);
        let plex = builds[1].as_ref().unwrap();
        assert_eq!(
            plex.resources[0].object()["data"]["subnets"],
            "${LAN},${IOT}"
        );
    }

    #[test]
    fn units_and_dependencies_take_the_namespace_the_parent_renders() {
        // The common layout: one directory per namespace, whose kustomization.yaml sets
        // `namespace:` for the Flux Kustomization files it lists (written without one).
        let mut fs = MemFs::new();
        fs.add_file(
            "/r/cluster/apps.yaml",
            flux("cluster-apps", "./apps", "flux-system", ""),
        );
        fs.add_file("/r/apps/kustomization.yaml", "resources: [media, db]\n");
        fs.add_file(
            "/r/apps/media/kustomization.yaml",
            "namespace: media\nresources: [plex.yaml]\n",
        );
        fs.add_file(
            "/r/apps/db/kustomization.yaml",
            "namespace: db\nresources: [postgres.yaml, config.yaml]\n",
        );
        let child = |name: &str, deps: &str| {
            flux(name, &format!("./{name}"), "flux-system", deps)
                .replace("  namespace: flux-system\n", "")
                .replace(
                    "    name: flux-system\n",
                    "    name: flux-system\n    namespace: flux-system\n",
                )
        };
        // `postgres` is in another namespace; `db-config` (no namespace) means `db/db-config`.
        fs.add_file(
            "/r/apps/media/plex.yaml",
            child(
                "plex",
                "  dependsOn:\n  - name: postgres\n    namespace: db\n  - name: gone\n",
            ),
        );
        fs.add_file(
            "/r/apps/db/postgres.yaml",
            child("postgres", "  dependsOn:\n  - name: db-config\n"),
        );
        fs.add_file("/r/apps/db/config.yaml", child("db-config", ""));
        // Left out of media's kustomization (commented out): Flux never applies it.
        fs.add_file(
            "/r/apps/media/retired.yaml",
            child("retired", "  dependsOn:\n  - name: nothing\n"),
        );
        for name in ["plex", "postgres", "db-config"] {
            fs.add_file(
                format!("/r/{name}/cm.yaml"),
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
            );
        }
        let targets = Targets::discover(
            &fs,
            Path::new("/r"),
            Path::new("/r"),
            &DiscoverOptions::new(),
        )
        .unwrap();
        let flux_names: Vec<&str> = targets
            .targets
            .iter()
            .filter(|t| matches!(t.kind, TargetKind::Flux(_)))
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(
            flux_names,
            [
                "apps/db/config.yaml#db/db-config",
                "apps/db/postgres.yaml#db/postgres",
                "apps/media/plex.yaml#media/plex",
                "cluster/apps.yaml#flux-system/cluster-apps"
            ]
        );
        // Only the dependency that really is missing, named as Flux would look it up.
        let missing: Vec<&str> = targets
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::MissingDependency)
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(missing.len(), 1, "{missing:?}");
        assert!(
            missing[0].starts_with("depends on media/gone,"),
            "{}",
            missing[0]
        );
        let not_applied: Vec<(&str, Severity)> = targets
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::NotApplied)
            .map(|d| (d.kustomization.as_str(), d.severity))
            .collect();
        assert_eq!(not_applied, [("default/retired", Severity::Info)]);
        // Each child builds into its own namespace too (no targetNamespace: the objects keep
        // theirs), and the unit a child builds is named as its parent renders it.
        let builds = targets.build_all(&fs, &BuildOptions::new(), 2);
        assert!(builds.iter().all(Result::is_ok));
    }
}
