//! One kustomization directory being built (kustomize's `KustTarget`), and the recursion through
//! `resources` and `components`.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::value::Value;

use crate::error::{BuildError, Result};
use crate::fs::recording::Scopes;
use crate::fs::{clean_path, Filesystem};
use crate::kustomization::{Kind, Kustomization, Warning};
use crate::kustomization_target::accumulator::Accumulator;
use crate::kustomization_target::origin::{Origin, ORIGIN_ANNOTATION};
use crate::kustomization_target::resources::parse_resources;
use crate::kustomization_target::reuse::{BuildCache, Reusable};
use crate::kustomization_target::steps;
use crate::kustomization_target::BuildOptions;
use crate::loader::Loader;
use crate::patch::Schema;
use crate::resource::Resource;

/// What every kustomization of one build shares.
pub(crate) struct Context<'fs> {
    pub(crate) fs: &'fs dyn Filesystem,
    pub(crate) options: &'fs BuildOptions,
    warnings: RefCell<Vec<Warning>>,
    /// The schema strategic merges use. kustomize keeps one for the whole build: the top
    /// kustomization's `openapi`, else the first one a nested kustomization declares.
    schema: RefCell<Option<SchemaChoice>>,
    /// Where nested kustomizations' results are kept for reuse (see `reuse`).
    cache: Option<&'fs BuildCache>,
    /// For a recorded build: where each nested kustomization's questions are recorded on their
    /// own, so that a kept result carries them and a build reusing it counts them as asked.
    scopes: Option<&'fs dyn Scopes>,
    /// Every directory this build descended into so far, in order (what a reused result must
    /// report to the cycle check of the kustomizations above it).
    descended: RefCell<Vec<PathBuf>>,
}

/// What an `openapi` field chose.
#[derive(Clone)]
enum SchemaChoice {
    /// `openapi: {version: v1.21.2}`: the built-in schema.
    Builtin,
    /// `openapi: {path: …}`: a custom schema.
    Custom(Arc<Schema>),
}

impl<'fs> Context<'fs> {
    pub(crate) fn new(fs: &'fs dyn Filesystem, options: &'fs BuildOptions) -> Self {
        Self {
            fs,
            options,
            warnings: RefCell::new(Vec::new()),
            schema: RefCell::new(None),
            cache: None,
            scopes: None,
            descended: RefCell::new(Vec::new()),
        }
    }

    /// Record each nested kustomization's questions through `scopes` (the recording
    /// filesystem the build reads through).
    pub(crate) fn with_scopes(mut self, scopes: &'fs dyn Scopes) -> Self {
        self.scopes = Some(scopes);
        self
    }

    /// Reuse the results of nested kustomizations kept in `cache`, and keep new ones there.
    pub(crate) fn with_cache(mut self, cache: &'fs BuildCache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// The custom schema in force, if any (`None` means the built-in one).
    pub(crate) fn schema(&self) -> Option<Arc<Schema>> {
        match &*self.schema.borrow() {
            Some(SchemaChoice::Custom(schema)) => Some(Arc::clone(schema)),
            _ => None,
        }
    }

    /// kustomize's `openapi.SetSchema`: `reset` for the top kustomization, otherwise only when
    /// no kustomization chose a schema yet.
    fn set_schema(&self, target: &Target<'_, '_>, reset: bool) -> Result<()> {
        if self.schema.borrow().is_some() && !reset {
            return Ok(());
        }
        let openapi = &target.kustomization.openapi;
        let version = openapi.get("version");
        if let Some(path) = openapi.get("path") {
            let text = target.loader().read_to_string(path)?;
            if version.is_some() {
                return Err(BuildError::Other(
                    "builtin version and custom schema provided, cannot use both".to_owned(),
                ));
            }
            let schema = custom_schema(&text).map_err(|e| {
                BuildError::Other(format!("{}: {e}", target.loader().resolve(path).display()))
            })?;
            *self.schema.borrow_mut() = Some(SchemaChoice::Custom(Arc::new(schema)));
        } else if let Some(version) = version.filter(|v| !v.is_empty()) {
            Schema::builtin_version(version).map_err(|e| BuildError::Other(e.to_string()))?;
            *self.schema.borrow_mut() = Some(SchemaChoice::Builtin);
        }
        Ok(())
    }

    pub(crate) fn take_warnings(&self) -> Vec<Warning> {
        self.warnings.take()
    }
}

/// What the top kustomization says about the final steps.
pub(crate) struct TopSettings {
    pub(crate) sort_options: Option<Value>,
    pub(crate) build_metadata: Vec<String>,
}

/// The objects of a finished build, before sorting and annotation stripping.
pub(crate) struct Built {
    pub(crate) objects: Vec<Resource>,
    pub(crate) top: TopSettings,
}

/// Build the top kustomization in `root`: accumulate, then the steps kustomize runs once.
pub(crate) fn build_top(context: &Context<'_>, root: PathBuf) -> Result<Built> {
    let mut target = Target::load(context, root.clone(), vec![root])?;
    context.set_schema(&target, true)?;
    if !target.kustomization.build_metadata.is_empty() || context.options.trace {
        target.origin = Some(Origin::default());
    }
    let keep = context
        .cache
        .is_some_and(|cache| cache.wanted_later(&target.root));
    let mut accumulator = target.accumulate_fresh(keep)?;
    let warnings = steps::finish(&target, &mut accumulator)?;
    context.warnings.borrow_mut().extend(warnings);
    let objects = accumulator
        .resources
        .into_iter()
        .filter(|r| {
            r.annotation("config.kubernetes.io/local-config")
                .is_none_or(|v| v == "false")
        })
        .collect();
    Ok(Built {
        objects,
        top: TopSettings {
            sort_options: target.kustomization.sort_options.clone(),
            build_metadata: target.kustomization.build_metadata.clone(),
        },
    })
}

/// One kustomization directory.
pub(crate) struct Target<'c, 'fs> {
    pub(crate) context: &'c Context<'fs>,
    /// The directory, absolute and with symbolic links resolved.
    pub(crate) root: PathBuf,
    /// Which of the recognised names the kustomization file has.
    pub(crate) file_name: &'static str,
    pub(crate) kustomization: Kustomization,
    /// Set when `buildMetadata` asks for origin or transformer annotations: where this
    /// kustomization sits relative to the top one.
    pub(crate) origin: Option<Origin>,
    /// The roots of this kustomization and of every one that led to it, to refuse cycles.
    visited: Vec<PathBuf>,
}

impl<'c, 'fs> Target<'c, 'fs> {
    fn load(context: &'c Context<'fs>, root: PathBuf, visited: Vec<PathBuf>) -> Result<Self> {
        let loader = Loader::new(context.fs, &root, context.options.load_restrictions);
        let file = Kustomization::load(&loader)?;
        context.warnings.borrow_mut().extend(file.warnings);
        Ok(Self {
            context,
            file_name: file.file_name,
            kustomization: file.kustomization,
            origin: None,
            root,
            visited,
        })
    }

    /// A loader rooted at this kustomization.
    pub(crate) fn loader(&self) -> Loader<'_> {
        Loader::new(
            self.context.fs,
            &self.root,
            self.context.options.load_restrictions,
        )
    }

    /// The origin of plugins configured in this kustomization file.
    pub(crate) fn plugin_origin(&self, kind: &str) -> Option<Origin> {
        self.origin
            .as_ref()
            .map(|o| o.builtin(self.file_name, kind))
    }

    /// [`Target::accumulate`] from an empty accumulator (a kustomization built on its own),
    /// reusing the result an earlier build of the same directory kept when nothing from outside
    /// the directory can change it (`reuse`), and keeping this one otherwise when `keep` (a
    /// nested kustomization; the top one of a build is often included by nothing, and keeping
    /// its result would only hold memory).
    fn accumulate_fresh(&self, keep: bool) -> Result<Accumulator> {
        let context = self.context;
        let Some(cache) = context.cache.filter(|_| {
            self.origin.is_none()
                && self.kustomization.build_metadata.is_empty()
                && !context.options.trace
                && context.schema.borrow().is_none()
        }) else {
            return self.accumulate(Accumulator::default());
        };
        // Held until this result is kept: a thread needing it meanwhile waits and reuses it.
        let _claim = if keep { cache.claim(&self.root) } else { None };
        // A recorded build reuses only results that carry the questions that produced them.
        let reused = cache
            .get(&self.root, context.fs)
            .filter(|reusable| context.scopes.is_none() || reusable.asked.is_some());
        if let Some(reusable) = reused {
            let no_cycle = reusable
                .descended
                .iter()
                .all(|dir| !self.visited.iter().any(|v| v.starts_with(dir)));
            if no_cycle {
                if let (Some(scopes), Some(asked)) = (context.scopes, &reusable.asked) {
                    scopes.add_asked(asked);
                }
                context
                    .warnings
                    .borrow_mut()
                    .extend(reusable.warnings.iter().cloned());
                context
                    .descended
                    .borrow_mut()
                    .extend(reusable.descended.iter().cloned());
                return Ok(match Arc::try_unwrap(reusable) {
                    Ok(taken) => taken.accumulator,
                    Err(shared) => shared.accumulator.clone(),
                });
            }
        }
        let warnings_before = context.warnings.borrow().len();
        let descended_before = context.descended.borrow().len();
        if let Some(scopes) = context.scopes {
            scopes.open_scope();
            // The kustomization file was read before the scope opened (by whoever included
            // this directory); its questions belong to the result too, for a run that reuses
            // it from the cache alone.
            let _ = Kustomization::load(&self.loader());
        }
        let accumulated = self.accumulate(Accumulator::default());
        let asked = context.scopes.map(Scopes::close_scope);
        let accumulator = accumulated?;
        // A nested `openapi` chose a schema for the rest of the build: the result depends on
        // which kustomization got there first, so it is not kept.
        if keep && context.schema.borrow().is_none() {
            // The first directory visited is the top of this build.
            let top = self.visited.first().unwrap_or(&self.root);
            cache.insert(
                top,
                &self.root,
                Reusable {
                    asked,
                    accumulator: accumulator.clone(),
                    warnings: context.warnings.borrow()[warnings_before..].to_vec(),
                    descended: context.descended.borrow()[descended_before..].to_vec(),
                },
            );
        }
        Ok(accumulator)
    }

    /// kustomize's `accumulateTarget`: this kustomization's resources, generators, components,
    /// transformers and validators, added to `accumulator` (empty for a kustomization, the
    /// parent's for a component).
    fn accumulate(&self, accumulator: Accumulator) -> Result<Accumulator> {
        let mut accumulator = self
            .accumulate_resources(accumulator, &self.kustomization.resources)
            .map_err(|e| e.context("accumulating resources"))?;
        steps::check_supported(self)?;
        let config = steps::transformer_config(self)?;
        accumulator.merge_config(&config)?;
        let crds = steps::crd_config(self)?;
        accumulator.merge_config(&crds)?;
        steps::run_generators(self, &mut accumulator)?;
        let mut accumulator = self
            .accumulate_components(accumulator)
            .map_err(|e| e.context("accumulating components"))?;
        steps::run_transformers(self, &mut accumulator)?;
        steps::run_validators(self, &mut accumulator)?;
        if let Some(vars) = &self.kustomization.vars {
            let vars: Vec<crate::vars::Var> =
                crate::value::from_value(Value::from(vars.clone()))
                    .map_err(|e| BuildError::Other(format!("invalid vars: {e}")))?;
            crate::vars::merge_vars(&mut accumulator.vars, &mut accumulator.resources, &vars)?;
        }
        Ok(accumulator)
    }

    /// Add each entry of `paths`: a file of objects, or a directory holding a kustomization.
    pub(crate) fn accumulate_resources(
        &self,
        mut accumulator: Accumulator,
        paths: &[String],
    ) -> Result<Accumulator> {
        for entry in paths {
            if is_remote(entry) {
                return Err(BuildError::Remote { url: entry.clone() });
            }
            let path = clean_path(&self.root.join(entry));
            if self.context.fs.is_dir(&path) {
                accumulator = self
                    .accumulate_directory(accumulator, entry, &path, false)
                    .map_err(|e| e.context(format!("accumulating resources from '{entry}'")))?;
            } else if self.context.fs.exists(&path) {
                self.accumulate_file(&mut accumulator, entry)
                    .map_err(|e| e.context(format!("accumulating resources from '{entry}'")))?;
            } else {
                return Err(BuildError::NotFound {
                    path,
                    file_error: "no such file or directory".to_owned(),
                });
            }
        }
        Ok(accumulator)
    }

    fn accumulate_file(&self, accumulator: &mut Accumulator, entry: &str) -> Result<()> {
        let loader = self.loader();
        let text = loader.read_to_string(entry)?;
        let mut objects = parse_resources(&text, &loader.resolve(entry))?;
        if let Some(origin) = &self.origin {
            let origin = origin.append(entry);
            for object in &mut objects {
                origin.set_on(object);
            }
        }
        accumulator
            .append_all(objects)
            .map_err(|e| e.context(format!("merging resources from '{entry}'")))
    }

    fn accumulate_components(&self, mut accumulator: Accumulator) -> Result<Accumulator> {
        for entry in &self.kustomization.components {
            if is_remote(entry) {
                return Err(BuildError::Remote { url: entry.clone() });
            }
            let path = clean_path(&self.root.join(entry));
            if !self.context.fs.is_dir(&path) {
                return Err(BuildError::Other(format!(
                    "component '{entry}' must be a directory holding a kustomization: '{}' is not a directory",
                    path.display()
                )));
            }
            accumulator = self.accumulate_directory(accumulator, entry, &path, true)?;
        }
        Ok(accumulator)
    }

    /// kustomize's `accumulateDirectory`: build the kustomization in `path`; a component works on
    /// `accumulator` itself, a kustomization builds on its own and is then merged in.
    fn accumulate_directory(
        &self,
        mut accumulator: Accumulator,
        entry: &str,
        path: &Path,
        is_component: bool,
    ) -> Result<Accumulator> {
        let root = self
            .context
            .fs
            .canonicalize(path)
            .map_err(|source| BuildError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        if let Some(visited) = self.visited.iter().find(|v| v.starts_with(&root)) {
            return Err(BuildError::Cycle {
                candidate: root,
                visited: visited.clone(),
            });
        }
        self.context.descended.borrow_mut().push(root.clone());
        let mut visited = self.visited.clone();
        visited.push(root.clone());
        let mut sub = Target::load(self.context, root.clone(), visited).map_err(|e| {
            e.context(format!(
                "couldn't make target for path '{}'",
                root.display()
            ))
        })?;
        sub.kustomization
            .build_metadata
            .clone_from(&self.kustomization.build_metadata);
        sub.origin = self.origin.as_ref().map(|o| o.append(entry));
        self.context.set_schema(&sub, false)?;
        match (is_component, sub.kustomization.kind()) {
            (true, Kind::Kustomization) => {
                return Err(BuildError::KindMismatch {
                    message: format!(
                        "expected kind 'Component' for path '{}' but got '{}'",
                        root.display(),
                        sub.kustomization.kind
                    ),
                })
            }
            (false, Kind::Component) => {
                return Err(BuildError::KindMismatch {
                    message: format!("expected kind != 'Component' for path '{}'", root.display()),
                })
            }
            _ => {}
        }
        let recursed = |e: BuildError| {
            e.context(format!(
                "recursed accumulation of path '{}'",
                root.display()
            ))
        };
        if is_component {
            sub.accumulate(accumulator).map_err(recursed)
        } else {
            let built = sub.accumulate_fresh(true).map_err(recursed)?;
            accumulator.merge(built).map_err(|e| {
                e.context(format!("recursed merging from path '{}'", root.display()))
            })?;
            Ok(accumulator)
        }
    }

    /// Objects listed by `generators:`/`transformers:`/`validators:` entries: inline YAML, files
    /// or kustomization directories.
    pub(crate) fn plugin_configs(&self, entries: &[String]) -> Result<Vec<Resource>> {
        let mut inline = Accumulator::default();
        let mut paths = Vec::new();
        for entry in entries {
            match parse_resources(entry, &self.root.join(self.file_name)) {
                Ok(objects) if !objects.is_empty() => {
                    let mut objects = objects;
                    if let Some(origin) = &self.origin {
                        let origin = origin.append(self.file_name);
                        for object in &mut objects {
                            origin.set_on(object);
                        }
                    }
                    inline.append_all(objects)?;
                }
                _ => paths.push(entry.clone()),
            }
        }
        let accumulator = self.accumulate_resources(inline, &paths)?;
        Ok(accumulator.resources.into_vec())
    }
}

/// A custom `openapi` schema: its definitions laid over the built-in ones, so that a schema for
/// one custom kind can refer to Kubernetes types (`PodTemplateSpec`…) it does not define, as
/// kustomize resolves them.
fn custom_schema(text: &str) -> std::result::Result<Schema, String> {
    let document: Value = if text.starts_with('{') {
        serde_json::from_str(text).map_err(|e| e.to_string())?
    } else {
        crate::yaml::parse_documents(text)
            .map_err(|e| e.to_string())?
            .into_iter()
            .next()
            .unwrap_or(Value::Null)
    };
    let mut schema = Schema::builtin().clone();
    schema.add_openapi(&document).map_err(|e| e.to_string())?;
    Ok(schema)
}

/// Whether an entry names something kustomize would download: an HTTP(S) URL or a git or OCI
/// repository.
fn is_remote(entry: &str) -> bool {
    const SCHEMES: &[&str] = &[
        "http://", "https://", "ssh://", "git::", "git@", "oci://", "file://", "gh:",
    ];
    const HOSTS: &[&str] = &["github.com/", "gitlab.com/", "bitbucket.org/"];
    SCHEMES.iter().any(|s| entry.starts_with(s))
        || HOSTS.iter().any(|h| entry.starts_with(h))
        || entry.contains("?ref=")
        || entry.contains(".git//")
}

/// Annotate objects that carry no origin yet (kustomize's `AddOriginAnnotation`).
pub(crate) fn add_missing_origin(objects: &mut [Resource], origin: &Origin) {
    for object in objects {
        if object.annotation(ORIGIN_ANNOTATION).is_none() {
            origin.set_on(object);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_remote;

    #[test]
    fn remote_references_are_recognised() {
        for remote in [
            "https://github.com/kubernetes-sigs/kustomize//examples/multibases?ref=v3.3.1",
            "github.com/org/repo/deploy?ref=main",
            "git@github.com:org/repo.git",
            "https://example.com/manifest.yaml",
        ] {
            assert!(is_remote(remote), "{remote}");
        }
        for local in ["../base", "deployment.yaml", "github/deploy.yaml"] {
            assert!(!is_remote(local), "{local}");
        }
    }
}
