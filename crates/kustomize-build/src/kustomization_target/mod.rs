//! Building a kustomization directory: the public entry point and kustomize's pipeline.
//!
//! [`build`] follows kustomize v5.5.0's `Kustomizer.Run` and `KustTarget`: load the kustomization,
//! accumulate its `resources` (files and nested kustomizations, depth first), run the generators,
//! fold in `components`, run the builtin transformers in kustomize's fixed order followed by the
//! `transformers:` entries, run validators; then, once at the top, add content hashes to generated
//! names, fix references to renamed objects, resolve `vars`, drop local-config objects, sort, and
//! strip kustomize's bookkeeping annotations.

mod accumulator;
mod in_flight;
pub(crate) mod origin;
mod plan;
mod resources;
mod reuse;
pub use reuse::BuildCache;
mod sort;
mod steps;
mod target;

use std::path::Path;

use crate::error::{BuildError, Result};
use crate::fs::recording::Scopes;
use crate::fs::{clean_path, Filesystem, RecordingFs};
use crate::kustomization::Warning;
use crate::loader::LoadRestrictions;
use crate::resource::{ResId, Resource};

use crate::builtins::tracking::BUILD_ANNOTATIONS;
pub(crate) use origin::{ORIGIN_ANNOTATION, TRANSFORMATIONS_ANNOTATION};

/// The bookkeeping a provenance build keeps: what an object was called before it was renamed.
const TRACE_ANNOTATIONS: &[&str] = &[
    crate::builtins::tracking::PREVIOUS_NAMES,
    crate::builtins::tracking::PREVIOUS_KINDS,
    crate::builtins::tracking::PREVIOUS_NAMESPACES,
];

/// How to build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BuildOptions {
    /// Which files kustomizations may read (`--load-restrictor`).
    pub load_restrictions: LoadRestrictions,
    /// Add `app.kubernetes.io/managed-by` to every object (`--enable-managedby-label`), as
    /// `buildMetadata: [managedByLabel]` does.
    pub add_managed_by_label: bool,
    /// Provenance builds: record origins and transformations whatever `buildMetadata` says, and
    /// keep the previous names, kinds and namespaces so an object can be followed across builds.
    pub(crate) trace: bool,
}

impl BuildOptions {
    /// kustomize's defaults: root-only file access, no managed-by label.
    pub fn new() -> Self {
        Self::default()
    }

    /// Set the load restrictions.
    #[must_use]
    pub fn with_load_restrictions(mut self, restrictions: LoadRestrictions) -> Self {
        self.load_restrictions = restrictions;
        self
    }
}

/// The result of a build: the objects in output order, and kustomize's warnings.
#[derive(Debug, Clone, PartialEq)]
pub struct Build {
    resources: Vec<Resource>,
    warnings: Vec<Warning>,
}

impl Build {
    /// The objects, in the order kustomize prints them.
    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    /// The identity of each object, in output order.
    pub fn ids(&self) -> Vec<ResId> {
        self.resources.iter().map(Resource::id).collect()
    }

    /// The warnings kustomize prints on stderr for this build (deprecated fields…).
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// The objects as kustomize prints them: YAML documents separated by `---`.
    pub fn to_yaml(&self) -> String {
        crate::yaml::emit_all(self.resources.iter().map(Resource::object))
    }

    /// [`Self::to_yaml`], but failing where `kubectl kustomize` fails to print: a string holding
    /// a control character go-yaml's reader refuses (DEL, C1 controls, U+FFFE, U+FFFF) or a key
    /// too long for it.
    pub fn try_to_yaml(&self) -> Result<String> {
        for resource in &self.resources {
            crate::yaml::check_printable(resource.object())?;
        }
        Ok(self.to_yaml())
    }

    /// Unwrap into the objects.
    pub fn into_resources(self) -> Vec<Resource> {
        self.resources
    }
}

/// Build the kustomization in `dir` (an absolute path, or one relative to the filesystem's root)
/// as `kubectl kustomize DIR` would.
pub fn build(fs: &dyn Filesystem, dir: &Path, options: &BuildOptions) -> Result<Build> {
    let mut warnings = Vec::new();
    build_with_warnings(fs, dir, options, &mut warnings)
}

/// [`build`], also reporting the warnings when the build fails: kustomize prints them before it
/// gets to the error, so a command line wants them either way.
pub fn build_with_warnings(
    fs: &dyn Filesystem,
    dir: &Path,
    options: &BuildOptions,
    warnings: &mut Vec<Warning>,
) -> Result<Build> {
    // One build keeps nothing: copying every nested result into a cache costs more than the
    // few bases a single build includes twice.
    build_inner(fs, dir, options, warnings, None)
}

/// [`build_with_warnings`], reusing (and keeping) the results of nested kustomizations in
/// `cache`: builds of many directories of one tree share their bases this way. Every build given
/// one cache must use the same filesystem and options. The output is the same as without the
/// cache; only results nothing outside their directory can change are kept (see
/// [`BuildCache`]).
///
/// ```
/// use std::path::Path;
/// use kustomize_build::fs::MemFs;
/// use kustomize_build::{build, build_reusing, BuildCache, BuildOptions};
///
/// let mut fs = MemFs::new();
/// fs.add_file("/r/base/kustomization.yaml", "resources: [cm.yaml]\n");
/// fs.add_file("/r/base/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n");
/// fs.add_file("/r/dev/kustomization.yaml", "resources: [../base]\nnamePrefix: dev-\n");
/// fs.add_file("/r/prod/kustomization.yaml", "resources: [../base]\nnamePrefix: prod-\n");
///
/// let (options, cache) = (BuildOptions::new(), BuildCache::new());
/// for overlay in ["/r/dev", "/r/prod"] {
///     let shared = build_reusing(&fs, Path::new(overlay), &options, &mut Vec::new(), &cache)?;
///     let alone = build(&fs, Path::new(overlay), &options)?;
///     assert_eq!(shared.to_yaml(), alone.to_yaml());
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn build_reusing(
    fs: &dyn Filesystem,
    dir: &Path,
    options: &BuildOptions,
    warnings: &mut Vec<Warning>,
    cache: &BuildCache,
) -> Result<Build> {
    build_inner(fs, dir, options, warnings, Some((cache, None)))
}

/// [`build_reusing`] through a [`RecordingFs`], so that its [`Trace`](crate::fs::Trace) holds
/// every question the build depends on — those that produced the results it reuses included.
/// Hand the same cache only to builds recorded this way (results kept by builds that were not
/// recorded carry no questions, and are not reused here).
///
/// ```
/// use std::path::Path;
/// use kustomize_build::fs::{MemFs, RecordingFs};
/// use kustomize_build::{build_recorded_reusing, BuildCache, BuildOptions};
///
/// let mut fs = MemFs::new();
/// fs.add_file("/r/base/kustomization.yaml", "resources: [cm.yaml]\n");
/// fs.add_file("/r/base/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n");
/// fs.add_file("/r/dev/kustomization.yaml", "resources: [../base]\nnamePrefix: dev-\n");
/// fs.add_file("/r/prod/kustomization.yaml", "resources: [../base]\nnamePrefix: prod-\n");
///
/// let (options, cache) = (BuildOptions::new(), BuildCache::new());
/// let mut traces = Vec::new();
/// for overlay in ["/r/dev", "/r/prod"] {
///     let recording = RecordingFs::new(&fs);
///     build_recorded_reusing(&recording, Path::new(overlay), &options, &mut Vec::new(), &cache)?;
///     traces.push(recording.into_trace());
/// }
/// // prod reused dev's build of the base, and still depends on the base's file.
/// let mut changed = fs.clone();
/// changed.add_file("/r/base/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n");
/// assert!(traces[1].replays_on(&fs));
/// assert!(!traces[1].replays_on(&changed));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn build_recorded_reusing<F: Filesystem>(
    fs: &RecordingFs<F>,
    dir: &Path,
    options: &BuildOptions,
    warnings: &mut Vec<Warning>,
    cache: &BuildCache,
) -> Result<Build> {
    build_inner(fs, dir, options, warnings, Some((cache, Some(fs))))
}

fn build_inner(
    fs: &dyn Filesystem,
    dir: &Path,
    options: &BuildOptions,
    warnings: &mut Vec<Warning>,
    reuse: Option<(&BuildCache, Option<&dyn Scopes>)>,
) -> Result<Build> {
    let cache = reuse.map(|(cache, _)| cache);
    let dir = clean_path(dir);
    let root = fs.canonicalize(&dir).map_err(|source| BuildError::Io {
        path: dir.clone(),
        source,
    })?;
    if !fs.is_dir(&root) {
        return Err(BuildError::Other(format!(
            "must build at directory: '{}' is not a directory",
            dir.display()
        )));
    }
    let mut context = target::Context::new(fs, options);
    if let Some(cache) = cache {
        context = context.with_cache(cache);
    }
    if let Some((_, Some(scopes))) = reuse {
        context = context.with_scopes(scopes);
    }
    let result = target::build_top(&context, root.clone());
    if let Some(cache) = cache {
        cache.finished(&root);
    }
    warnings.extend(context.take_warnings());
    let mut resources = result?;
    let top = resources.top;
    let build_metadata = top.build_metadata;

    sort::apply_sort_options(resources.objects.as_mut_slice(), top.sort_options.as_ref())?;
    if options.add_managed_by_label || build_metadata.iter().any(|m| m == "managedByLabel") {
        for resource in &mut resources.objects {
            add_managed_by_label(resource);
        }
    }
    let keep_origin = options.trace || build_metadata.iter().any(|m| m == "originAnnotations");
    let keep_transformations =
        options.trace || build_metadata.iter().any(|m| m == "transformerAnnotations");
    for resource in &mut resources.objects {
        annotations_as_text(resource);
        restore_typed_id(resource, "name", crate::yaml::TYPED_NAME_ANNOTATION);
        restore_typed_id(
            resource,
            "namespace",
            crate::yaml::TYPED_NAMESPACE_ANNOTATION,
        );
        if options.trace {
            let kept = BUILD_ANNOTATIONS
                .iter()
                .filter(|key| !TRACE_ANNOTATIONS.contains(key));
            strip_annotations(resource, &kept.copied().collect::<Vec<_>>());
        } else {
            strip_annotations(resource, BUILD_ANNOTATIONS);
        }
        if !keep_origin {
            strip_annotations(resource, &[ORIGIN_ANNOTATION]);
        }
        if !keep_transformations {
            strip_annotations(resource, &[TRANSFORMATIONS_ANNOTATION]);
        }
    }
    Ok(Build {
        resources: resources.objects,
        warnings: warnings.clone(),
    })
}

/// The label kustomize adds for `managedByLabel`; kubectl's embedded kustomize reports its
/// version as `(devel)`.
fn add_managed_by_label(resource: &mut Resource) {
    let object = resource.object_mut();
    let Some(map) = object.as_object_mut() else {
        return;
    };
    let metadata = map
        .entry("metadata")
        .or_insert_with(|| crate::value::Value::Object(crate::value::Map::new()));
    if let Some(metadata) = metadata.as_object_mut() {
        let labels = metadata
            .entry("labels")
            .or_insert_with(|| crate::value::Value::Object(crate::value::Map::new()));
        if let Some(labels) = labels.as_object_mut() {
            labels.insert(
                "app.kubernetes.io/managed-by".to_owned(),
                crate::value::Value::String("kustomize-(devel)".to_owned()),
            );
        }
    }
}

/// Put back the value YAML read for a `metadata.name` or `namespace` that the build used as its
/// text (see `yaml::parse_resource_documents`): kustomize prints `name: 0x1F` as `name: 31`, but
/// a name the build changed (`p-0x1F`) as the text it is.
fn restore_typed_id(resource: &mut Resource, field: &str, annotation: &str) {
    let Some(recorded) = resource.annotation(annotation).map(str::to_owned) else {
        return;
    };
    strip_annotations(resource, &[annotation]);
    let Ok(crate::value::Value::Array(pair)) = serde_json::from_str(&recorded) else {
        return;
    };
    let [crate::value::Value::String(text), value] = pair.as_slice() else {
        return;
    };
    if let Some(current) = resource
        .object_mut()
        .get_mut("metadata")
        .and_then(|m| m.get_mut(field))
    {
        if current.as_str() == Some(text.as_str()) {
            *current = value.clone();
        }
    }
}

/// kustomize removes its build annotations with `SetAnnotations(GetAnnotations())`, which
/// writes every annotation back as its YAML node's text: a map or list becomes `""`, a number
/// or boolean (from a JSON-inlined object or a replacement) its text.
fn annotations_as_text(resource: &mut Resource) {
    let needs_text = resource
        .annotations()
        .is_some_and(|a| a.values().any(|v| !v.is_string() && !v.is_null()));
    if !needs_text {
        return;
    }
    if let Some(annotations) = resource
        .object_mut()
        .pointer_mut("/metadata/annotations")
        .and_then(crate::value::Value::as_object_mut)
    {
        for value in annotations.values_mut() {
            let text = match value {
                crate::value::Value::String(_) | crate::value::Value::Null => continue,
                crate::value::Value::Array(_) | crate::value::Value::Object(_) => String::new(),
                crate::value::Value::Bool(b) => b.to_string(),
                crate::value::Value::Number(n) => n.to_string(),
            };
            *value = crate::value::Value::String(text);
        }
    }
}

/// Remove `keys` from the annotations, dropping the map when that empties it.
fn strip_annotations(resource: &mut Resource, keys: &[&str]) {
    let has_any = resource
        .annotations()
        .is_some_and(|a| keys.iter().any(|k| a.contains_key(k)));
    if has_any {
        for key in keys {
            resource.remove_annotation(key);
        }
    }
}
