//! Rendering a [`Snapshot`]: every deploying unit found and built in parallel, each build's
//! objects or error, and the engine's findings turned into report warnings. A rendering can
//! reuse another's builds where a unit read exactly the same files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use immutable_rules::ServerVersion;
use kustomize_build::fs::Trace;
use kustomize_build::{BuildCache, BuildOptions};
use serde_json::Value;

use crate::accept::Acceptance;
use crate::argo::ArgoApplication;
use crate::discover::{relative_name, BuildOutcome, DiscoverOptions, TargetKind, Targets};
use crate::error::Error;
use crate::flux::{Code, Diagnostic, FluxKustomization, Severity};
use crate::locate::target_failure_location;
use crate::report::Warning;
use crate::schema::SchemaOptions;
use crate::Snapshot;

/// What to build and how.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RenderOptions {
    /// kustomize's options for plain directories (Flux Kustomizations always build with
    /// `LoadRestrictionsNone`, as kustomize-controller does).
    pub build: BuildOptions,
    /// Which Flux sources are this repository.
    pub discover: DiscoverOptions,
    /// Whether to build Flux Kustomizations at all (`false`: kustomization directories only).
    pub flux: bool,
    /// How many units to build at once (at least one).
    pub jobs: usize,
    /// The Kubernetes release that receives the change, for the rules whose verdict depends
    /// on it (`None`: current upstream).
    pub server_version: Option<ServerVersion>,
    /// The schema check of the rendered objects by [`crate::validate`] and [`crate::compare`]
    /// (on by default).
    pub schema: SchemaOptions,
    /// Findings [`crate::compare`] accepts besides those the head's `.unstuck.yaml` accepts
    /// ([`crate::accept`]).
    pub accept: Vec<Acceptance>,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            build: BuildOptions::new(),
            discover: DiscoverOptions::new(),
            flux: true,
            jobs: 1,
            server_version: None,
            schema: SchemaOptions::new(),
            accept: Vec::new(),
        }
    }
}

impl RenderOptions {
    /// The defaults: kustomize's defaults, Flux bootstrap's source, one thread.
    pub fn new() -> Self {
        Self::default()
    }

    /// Build plain directories with these kustomize options.
    #[must_use]
    pub fn with_build(mut self, build: BuildOptions) -> Self {
        self.build = build;
        self
    }

    /// Find Flux Kustomizations with these options.
    #[must_use]
    pub fn with_discover(mut self, discover: DiscoverOptions) -> Self {
        self.discover = discover;
        self
    }

    /// Build Flux Kustomizations (`true`, the default) or only kustomization directories.
    #[must_use]
    pub fn with_flux(mut self, flux: bool) -> Self {
        self.flux = flux;
        self
    }

    /// Build Flux Kustomizations with strict post-build substitution (kustomize-controller's
    /// feature gate `StrictPostBuildSubstitutions`, `flux build --strict-substitute`) even
    /// where the repository does not turn the gate on itself: a variable without value or
    /// default then fails the unit's build. Kept in [`RenderOptions::discover`]
    /// ([`DiscoverOptions::flux_strict_substitution`]), so set it after
    /// [`RenderOptions::with_discover`].
    #[must_use]
    pub fn with_flux_strict_substitution(mut self, strict: bool) -> Self {
        self.discover = self.discover.with_flux_strict_substitution(strict);
        self
    }

    /// Judge the change for this Kubernetes release.
    #[must_use]
    pub fn with_server_version(mut self, version: ServerVersion) -> Self {
        self.server_version = Some(version);
        self
    }

    /// Check rendered objects against the API's schemas this way ([`crate::validate`], and
    /// [`crate::compare`] at both sides).
    #[must_use]
    pub fn with_schema(mut self, schema: SchemaOptions) -> Self {
        self.schema = schema;
        self
    }

    /// Also know `crd`, read from `origin` (named in errors), for custom resources whose CRD
    /// the repository does not render (installed by Helm, say): its schema joins the schema
    /// check ([`SchemaOptions::custom_resource_definitions`], where it is kept) and its
    /// transition rules join [`crate::compare`]'s rules.
    #[must_use]
    pub fn with_custom_resource_definition(
        mut self,
        origin: impl Into<String>,
        crd: Value,
    ) -> Self {
        self.schema = self.schema.with_custom_resource_definition(origin, crd);
        self
    }

    /// Accept the finding `acceptance` names (see [`crate::accept`]).
    #[must_use]
    pub fn with_acceptance(mut self, acceptance: Acceptance) -> Self {
        self.accept.push(acceptance);
        self
    }

    /// Build up to `jobs` units at once.
    #[must_use]
    pub fn with_jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs.max(1);
        self
    }
}

/// Hears how far a rendering is, so a frontend can draw a progress bar. Calls come from the
/// worker threads.
pub trait Progress: Sync {
    /// `total` units of the snapshot labelled `label` are about to be built.
    fn start(&self, label: &str, total: usize) {
        let _ = (label, total);
    }
    /// The unit `name` is built.
    fn built(&self, name: &str) {
        let _ = name;
    }
    /// Every unit of the snapshot is built.
    fn finish(&self) {}
}

/// A [`Progress`] that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// One unit's outcome: its objects as `serde_json` values, or (inside the crate, where a
/// caller reads each object once) as the builder made them.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Rendered<O = Value> {
    /// The objects, or the build error (paths relative to the searched directory). Shared: a
    /// unit whose output another rendering already holds (`check`'s head, for every directory
    /// whose files did not change) holds the same objects, not a copy.
    pub objects: Result<Arc<[O]>, String>,
    /// The file to point at, relative to the searched directory: for a failed build the file
    /// and line the error names when it tells (a malformed file, the entry naming a missing
    /// resource), else the kustomization file or the Flux Kustomization's file.
    pub file: String,
    /// The line in `file`, when the build error tells it.
    pub line: Option<usize>,
    /// The directory built (a Flux Kustomization's `spec.path`), absolute in the snapshot.
    pub dir: PathBuf,
    /// The Flux Kustomization, when the unit is one (built as kustomize-controller does).
    pub flux: Option<Box<FluxKustomization>>,
    /// The Argo CD Application, when the unit is one (rendered as Argo CD's repo-server does).
    pub argo: Option<Box<ArgoApplication>>,
    /// For a plain directory: the Flux Kustomizations and Argo CD Applications of the snapshot
    /// that deploy exactly this directory. What the cluster receives is their build, so findings are reported through
    /// them.
    pub deployed_by: Vec<String>,
}

impl<O> Rendered<O> {
    /// What deploys this unit.
    pub fn engine(&self) -> crate::impact::Engine {
        if self.argo.is_some() {
            crate::impact::Engine::Argo
        } else if self.flux.is_some() {
            crate::impact::Engine::Flux
        } else {
            crate::impact::Engine::Kustomize
        }
    }
}

impl<O> Rendered<O> {
    /// The same unit without its objects (a build error stays): where it came from, to trace
    /// its problems once its objects are judged.
    pub(crate) fn without_objects<P>(self) -> Rendered<P> {
        Rendered {
            objects: self.objects.map(|_| Arc::from([])),
            file: self.file,
            line: self.line,
            dir: self.dir,
            flux: self.flux,
            argo: self.argo,
            deployed_by: self.deployed_by,
        }
    }
}

/// The form a rendering hands each unit's objects in: `serde_json` values for the checks
/// that compare and report, the builder's own values for a caller that reads each object once
/// and drops it (converting a whole unit would hold it twice).
pub(crate) trait UnitObject: Sized + Send + Sync {
    /// One object as the build produced it.
    fn from_built(object: kustomize_build::value::Value) -> Self;
    /// A unit taken from another rendering ([`Reuse::From`]).
    fn from_reused(objects: &Arc<[Value]>) -> Arc<[Self]>;
}

impl UnitObject for Value {
    fn from_built(object: kustomize_build::value::Value) -> Self {
        Value::from(object)
    }

    fn from_reused(objects: &Arc<[Value]>) -> Arc<[Self]> {
        // Shared, not copied: `check` holds an unchanged unit once for both revisions.
        Arc::clone(objects)
    }
}

impl UnitObject for kustomize_build::value::Value {
    fn from_built(object: kustomize_build::value::Value) -> Self {
        object
    }

    fn from_reused(objects: &Arc<[Value]>) -> Arc<[Self]> {
        objects.iter().map(Self::from).collect()
    }
}

/// Everything rendered from one snapshot.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Rendering {
    /// Unit name → outcome, in name order.
    pub units: BTreeMap<String, Rendered>,
    /// Engine warnings (unresolved variables, missing dependencies…).
    pub warnings: Vec<Warning>,
    /// Units not built and why.
    pub notes: Vec<String>,
    /// What each directory unit's build read (see [`Trace::replays_on`]), by unit name.
    traces: BTreeMap<String, Trace>,
    /// With [`Reuse::Record`]: every result of a nested kustomization the builds kept, with
    /// the questions that produced it, for a rendering of another version to reuse.
    kept: KeptBuilds,
}

/// The results a recorded rendering kept ([`kustomize_build::BuildCache`]), shared with the
/// renderings that reuse them; two renderings are equal whatever they kept.
#[derive(Clone, Default)]
struct KeptBuilds(Option<Arc<BuildCache>>);

impl std::fmt::Debug for KeptBuilds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("KeptBuilds").field(&self.0).finish()
    }
}

impl PartialEq for KeptBuilds {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Whether [`render`] keeps what each directory's build read, or uses another rendering's.
#[derive(Clone, Copy, Debug)]
pub enum Reuse<'a> {
    /// Build everything, keep no traces.
    Nothing,
    /// Build everything and keep each directory's trace, for a later [`Reuse::From`].
    Record,
    /// The same tree at the same path at another version, rendered with [`Reuse::Record`]: a
    /// directory whose build there read exactly what it would read here is not built again
    /// (same inputs, same output); its result is taken from there.
    From(&'a Rendering),
}

/// Find and build every deploying unit of `snapshot`.
///
/// ```
/// use std::path::Path;
/// use gitops_repo::{render, NoProgress, RenderOptions, Reuse, Snapshot};
/// use kustomize_build::fs::MemFs;
///
/// let mut fs = MemFs::new();
/// fs.add_file("/r/apps/kustomization.yaml", "resources: [cm.yaml]\n");
/// fs.add_file("/r/apps/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n");
/// fs.add_file("/r/broken/kustomization.yaml", "resources: [gone.yaml]\n");
/// let snapshot = Snapshot::new("now", Box::new(fs), Path::new("/r"), Path::new("/r"));
/// let rendering = render(&snapshot, &RenderOptions::new(), Reuse::Nothing, &NoProgress)?;
/// assert_eq!(rendering.units["apps"].objects.as_ref().unwrap().len(), 1);
/// assert!(rendering.units["broken"].objects.is_err());
/// assert_eq!(rendering.units["broken"].file, "broken/kustomization.yaml");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn render(
    snapshot: &Snapshot,
    options: &RenderOptions,
    reuse: Reuse<'_>,
    progress: &dyn Progress,
) -> Result<Rendering, Error> {
    render_units(snapshot, options, reuse, progress, false)
}

/// [`render`]; with `skip_deployed`, directories a Flux Kustomization of the snapshot deploys
/// are not built at all (they are reported through that unit).
pub(crate) fn render_units(
    snapshot: &Snapshot,
    options: &RenderOptions,
    reuse: Reuse<'_>,
    progress: &dyn Progress,
    skip_deployed: bool,
) -> Result<Rendering, Error> {
    let units = render_units_then(
        snapshot,
        options,
        reuse,
        progress,
        skip_deployed,
        &|_, rendered: Rendered| rendered,
    )?;
    Ok(Rendering {
        units: units.units,
        warnings: units.warnings,
        notes: units.notes,
        traces: units.traces,
        kept: KeptBuilds(units.kept),
    })
}

/// What [`render_units_then`] gives back: each unit's value from `each`, and what the rendering
/// found besides.
pub(crate) struct RenderedUnits<T> {
    /// Unit name → what `each` made of its outcome.
    pub(crate) units: BTreeMap<String, T>,
    /// As [`Rendering::warnings`].
    pub(crate) warnings: Vec<Warning>,
    /// As [`Rendering::notes`].
    pub(crate) notes: Vec<String>,
    /// What each directory unit's build read, with [`Reuse::Record`].
    pub(crate) traces: BTreeMap<String, Trace>,
    /// With [`Reuse::Record`], the results the builds kept.
    pub(crate) kept: Option<Arc<BuildCache>>,
}

/// [`render_units`], handing each unit's outcome to `each` on the worker thread as soon as it is
/// built: a caller that keeps only a summary of each unit (`validate`) never holds every unit's
/// objects at once.
pub(crate) fn render_units_then<T: Send, O: UnitObject>(
    snapshot: &Snapshot,
    options: &RenderOptions,
    reuse: Reuse<'_>,
    progress: &dyn Progress,
    skip_deployed: bool,
    each: &(dyn Fn(&str, Rendered<O>) -> T + Sync),
) -> Result<RenderedUnits<T>, Error> {
    let fs = snapshot.fs();
    let root = snapshot.root();
    let found = match snapshot.files() {
        Some(files) => Ok(Targets::from_files(
            fs,
            root,
            snapshot.tree_root(),
            files,
            &options.discover,
        )),
        None => Targets::discover(fs, root, snapshot.tree_root(), &options.discover),
    };
    let mut targets = match found {
        Ok(targets) => targets,
        // A directory that does not exist at this revision deploys nothing there.
        Err(_) if snapshot.missing_root_is_empty() => {
            return Ok(RenderedUnits {
                units: BTreeMap::new(),
                warnings: Vec::new(),
                notes: Vec::new(),
                traces: BTreeMap::new(),
                kept: None,
            })
        }
        Err(source) => {
            return Err(Error::Unreadable {
                path: root.to_path_buf(),
                source,
            })
        }
    };
    if !options.flux {
        targets
            .targets
            .retain(|t| matches!(t.kind, TargetKind::Directory));
        targets.diagnostics.clear();
    }
    let mut deployed_by: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    for target in &targets.targets {
        for dir in targets.deployed_dirs(fs, target) {
            let dir = fs.canonicalize(&dir).unwrap_or(dir);
            deployed_by
                .entry(dir)
                .or_default()
                .push(target.name.clone());
        }
    }
    let deploying = |target: &crate::discover::Target| match target.kind {
        TargetKind::Directory => {
            let dir = fs
                .canonicalize(&target.dir)
                .unwrap_or_else(|_| target.dir.clone());
            deployed_by.get(&dir).cloned().unwrap_or_default()
        }
        TargetKind::Flux(_) | TargetKind::Argo(_) => Vec::new(),
    };
    if skip_deployed {
        targets
            .targets
            .retain(|target| deploying(target).is_empty());
    }
    let relative = |path: &Path| relative_name(root, path);
    let mut units = BTreeMap::new();
    let mut traces = BTreeMap::new();
    if let Reuse::From(previous) = reuse {
        targets.targets.retain(|target| {
            let reused = matches!(target.kind, TargetKind::Directory)
                .then(|| previous.traces.get(&target.name))
                .flatten()
                .filter(|trace| trace.replays_on(fs))
                .and_then(|_| previous.units.get(&target.name));
            let Some(reused) = reused else { return true };
            let rendered = Rendered {
                objects: reused
                    .objects
                    .as_ref()
                    .map(O::from_reused)
                    .map_err(Clone::clone),
                // Located from the same files, so the same place.
                file: reused.file.clone(),
                line: reused.line,
                dir: target.dir.clone(),
                flux: None,
                argo: None,
                deployed_by: deploying(target),
            };
            units.insert(target.name.clone(), each(&target.name, rendered));
            traces.insert(target.name.clone(), previous.traces[&target.name].clone());
            false
        });
    }
    // Errors name files relative to the searched directory, as units are named.
    let prefix = format!("{}{}", root.display(), std::path::MAIN_SEPARATOR);
    let finish = |index: usize, (build, trace): BuildOutcome| {
        let target = &targets.targets[index];
        let mut diagnostics = Vec::new();
        let mut at = None;
        let objects = match build {
            Ok(built) => {
                diagnostics = built.diagnostics;
                Ok(built
                    .resources
                    .into_iter()
                    .map(|resource| O::from_built(resource.into_object()))
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
        let (flux, argo) = match &target.kind {
            TargetKind::Flux(ks) => (Some(ks.clone()), None),
            TargetKind::Argo(app) => (None, Some(app.clone())),
            TargetKind::Directory => (None, None),
        };
        let rendered = Rendered {
            objects,
            file,
            line,
            dir: target.dir.clone(),
            flux,
            argo,
            deployed_by: deploying(target),
        };
        (each(&target.name, rendered), diagnostics, trace)
    };
    progress.start(snapshot.label(), targets.targets.len());
    let built = |name: &str| progress.built(name);
    let record = matches!(reuse, Reuse::Record);
    // A recorded rendering keeps every nested result for the rendering of another version that
    // reuses it; that one reuses those whose questions get the same answers from its tree.
    let cache = match reuse {
        Reuse::Record => Arc::new(targets.build_cache(fs, &options.build).keeping_everything()),
        Reuse::From(previous) => Arc::new(match &previous.kept.0 {
            Some(earlier) => targets
                .build_cache(fs, &options.build)
                .reusing(Arc::clone(earlier)),
            None => targets.build_cache(fs, &options.build),
        }),
        Reuse::Nothing => Arc::new(targets.build_cache(fs, &options.build)),
    };
    let builds = targets.build_each(
        fs,
        &options.build,
        options.jobs,
        &cache,
        record,
        &built,
        &finish,
    );
    progress.finish();
    let mut diagnostics: Vec<Diagnostic> = targets.diagnostics.clone();
    for (target, (unit, found, trace)) in targets.targets.iter().zip(builds) {
        if let Some(trace) = trace {
            traces.insert(target.name.clone(), trace);
        }
        diagnostics.extend(found);
        units.insert(target.name.clone(), unit);
    }
    diagnostics.sort();
    diagnostics.dedup();
    let mut warnings = Vec::new();
    let mut notes = Vec::new();
    for diagnostic in diagnostics {
        if diagnostic.severity == Severity::Info {
            // A note about the repository as a whole (the strict gate) names no Kustomization.
            let about = if diagnostic.kustomization.is_empty() {
                relative(&diagnostic.file)
            } else {
                format!(
                    "{}#{}",
                    relative(&diagnostic.file),
                    diagnostic.kustomization
                )
            };
            notes.push(format!("{about}: {}", diagnostic.message));
            continue;
        }
        warnings.push(warning(&diagnostic, &relative));
    }
    Ok(RenderedUnits {
        units,
        warnings,
        notes,
        traces,
        kept: record.then_some(cache),
    })
}

impl Rendering {
    /// Drop the nested results a [`Reuse::Record`] rendering kept for another rendering to
    /// reuse, once that one is done.
    pub(crate) fn release_kept_builds(&mut self) {
        self.kept = KeptBuilds::default();
    }

    /// What each directory unit's build read, by unit name (recorded with [`Reuse::Record`]).
    pub(crate) fn traces(&self) -> impl Iterator<Item = (&String, &Trace)> {
        self.traces.iter()
    }

    /// The objects of every unit that built, by unit name (shared with the rendering, not
    /// copied).
    pub fn built(&self) -> BTreeMap<String, Arc<[Value]>> {
        self.units
            .iter()
            .filter_map(|(name, r)| Some((name.clone(), Arc::clone(r.objects.as_ref().ok()?))))
            .collect()
    }
}

/// `error: cause: cause…`, each message once.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
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

/// A Flux finding as a report warning, named like the unit it is about.
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
