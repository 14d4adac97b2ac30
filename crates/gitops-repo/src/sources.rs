//! Where each finding of `unstuck check` was written: the file and line at the head that set
//! the changed value, traced with kustomize-build's provenance module.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use crate::argo::{edited_kustomization, kustomize_source, ArgoApplication};
use crate::flux::{kustomization_for, FluxKustomization};
use immutable_rules::{Finding, ObjectRef};
use kustomize_build::fs::Filesystem;
use kustomize_build::provenance::{Query, Tracer};
use kustomize_build::{BuildOptions, ResId};
use serde_json::Value;

use crate::report::Source;

/// The head tree: how to read it, and what sources are relative to.
pub(crate) struct Head<'a> {
    pub(crate) fs: &'a dyn Filesystem,
    /// The compared tree (repository root, or `--head-dir`): source files are relative to it.
    pub(crate) tree_root: &'a Path,
}

/// One target built at the head: where provenance rebuilds it, and what it rendered.
pub(crate) struct HeadTarget<'a> {
    /// The directory built, absolute in the head's filesystem.
    pub(crate) dir: &'a Path,
    /// The Flux Kustomization, when the target is one: traced through the kustomization Flux
    /// generates, and only where that build renders the value Flux applied (not for
    /// `postBuild` substitutions).
    pub(crate) flux: Option<&'a FluxKustomization>,
    /// The Argo CD Application, when the target is one: traced through the kustomization its
    /// `spec.source.kustomize` options make (values those options write are `None`).
    pub(crate) argo: Option<&'a ArgoApplication>,
    pub(crate) objects: &'a [Value],
}

/// The objects each target rendered at the base, to see what changed in a reported mapping.
pub(crate) type BaseObjects<'a> = HashMap<&'a str, &'a [Value]>;

/// The source of each finding, relative to the compared tree (`None` where it cannot be told
/// for sure, and for pruned objects, which have no value at the head).
pub(crate) fn sources(
    findings: &[Finding],
    head: &Head<'_>,
    targets: &HashMap<&str, HeadTarget<'_>>,
    base: &BaseObjects<'_>,
    options: &BuildOptions,
) -> Vec<Option<Source>> {
    let mut tracers: HashMap<String, Option<Tracer<'_>>> = HashMap::new();
    let roots = [
        head.tree_root.to_path_buf(),
        canonical(head.fs, head.tree_root),
    ];
    findings
        .iter()
        .map(|finding| {
            let v = &finding.violation;
            // A removed object has no value at the head to trace.
            if v.rule == immutable_rules::PRUNED_RULE || v.rule.starts_with("prune-") {
                return None;
            }
            let id = res_id(&v.object);
            // Tracing rebuilds the target once per candidate entry: try the smallest first (an
            // application's overlay before the cluster kustomization that includes it).
            let mut names: Vec<&String> = finding.dirs.iter().collect();
            names.sort_by_key(|name| targets.get(name.as_str()).map_or(0, |t| t.objects.len()));
            // The first target that renders the object and rebuilds for tracing answers, even
            // with `None`: the same violation in a larger target has the same writers, and
            // searching them again there costs a rebuild of the larger target per candidate.
            names
                .into_iter()
                .find_map(|name| {
                    let target = targets.get(name.as_str())?;
                    let find = |objects: &[Value]| {
                        objects
                            .iter()
                            .find(|o| ObjectRef::of(o) == v.object)
                            .cloned()
                    };
                    let current = find(target.objects)?;
                    let tracer = tracers
                        .entry(name.clone())
                        .or_insert_with(|| target_tracer(head.fs, target, options))
                        .as_ref()?;
                    let previous = base.get(name.as_str()).and_then(|objects| find(objects));
                    Some(locate_in(
                        tracer,
                        target,
                        &id,
                        &v.field,
                        &current,
                        previous.as_ref(),
                    ))
                })
                .flatten()
                .and_then(|source| {
                    let file = roots.iter().find_map(|root| relative(&source.file, root))?;
                    Some(Source {
                        file,
                        line: source.line,
                        writer: Some(source.writer.to_string()),
                    })
                })
        })
        .collect()
}

/// A tracer rebuilding `dir` with origin annotations: as kustomize does for a plain directory,
/// through [`flux_tracer`] for a Flux Kustomization. `None` when that build fails.
pub(crate) fn tracer<'fs>(
    fs: &'fs dyn Filesystem,
    dir: &Path,
    flux: Option<&FluxKustomization>,
    options: &BuildOptions,
) -> Option<Tracer<'fs>> {
    match flux {
        Some(ks) => flux_tracer(fs, dir, ks, options),
        None => Tracer::new(fs, dir, options).ok(),
    }
}

/// Where `field` of `object` (as `target` rendered it) was written, relative to
/// `head.tree_root`: for pointing at a value that is wrong in itself (no previous value).
pub(crate) fn locate_field(
    head: &Head<'_>,
    target: &HeadTarget<'_>,
    object: &Value,
    field: &str,
    options: &BuildOptions,
) -> Option<Source> {
    let tracer = target_tracer(head.fs, target, options)?;
    let id = res_id(&ObjectRef::of(object));
    let source = locate_in(&tracer, target, &id, field, object, None)?;
    let roots = [
        head.tree_root.to_path_buf(),
        canonical(head.fs, head.tree_root),
    ];
    let file = roots.iter().find_map(|root| relative(&source.file, root))?;
    Some(Source {
        file,
        line: source.line,
        writer: Some(source.writer.to_string()),
    })
}

/// The tracer for `target`: [`tracer`], or for an Argo CD Application with `kustomize`
/// options a build through the kustomization those options make.
fn target_tracer<'fs>(
    fs: &'fs dyn Filesystem,
    target: &HeadTarget<'_>,
    options: &BuildOptions,
) -> Option<Tracer<'fs>> {
    let Some(app) = target.argo else {
        return tracer(fs, target.dir, target.flux, options);
    };
    let dir = canonical(fs, target.dir);
    let edited = kustomize_source(fs, &dir, app).and_then(|(source, file)| {
        let content = edited_kustomization(fs, &dir, &file, app, source).ok()??;
        Some((file, content))
    });
    match edited {
        Some((file, content)) => {
            Tracer::with_kustomization(fs, &dir, &file, content.into_bytes(), options).ok()
        }
        None => Tracer::new(fs, &dir, options).ok(),
    }
}

/// Where `field` of `id` was written (`current` as the engine rendered it, `previous` as the
/// base did): for an Argo CD Application, whose `spec.destination.namespace` is set after the
/// build, also looked up without that namespace.
fn locate_in(
    tracer: &Tracer<'_>,
    target: &HeadTarget<'_>,
    id: &ResId,
    field: &str,
    current: &Value,
    previous: Option<&Value>,
) -> Option<kustomize_build::provenance::Source> {
    let current = kustomize_build::value::Value::from(current);
    let previous = previous.map(kustomize_build::value::Value::from);
    let locate = |id: &ResId| {
        let query = Query::new(id, field).with_current(&current);
        tracer.locate(&match &previous {
            Some(previous) => query.with_previous(previous),
            None => query,
        })
    };
    if let Some(found) = locate(id) {
        return Some(found);
    }
    let destination = target.argo?.destination_namespace()?;
    if id.namespace != destination {
        return None;
    }
    locate(&ResId {
        namespace: String::new(),
        ..id.clone()
    })
}

/// A tracer for a Flux Kustomization whose `spec.path` is `dir`: built through the
/// kustomization kustomize-controller generates or completes, with `LoadRestrictionsNone`, but
/// without `postBuild` substitution (the query's current object tells substituted values apart).
fn flux_tracer<'fs>(
    fs: &'fs dyn Filesystem,
    dir: &Path,
    ks: &FluxKustomization,
    options: &BuildOptions,
) -> Option<Tracer<'fs>> {
    let dir = fs.canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let generated = kustomization_for(fs, &dir, ks).ok()?;
    let options = options
        .clone()
        .with_load_restrictions(kustomize_build::LoadRestrictions::None);
    Tracer::with_kustomization(
        fs,
        &dir,
        &generated.file,
        generated.content.into_bytes(),
        &options,
    )
    .ok()
}

fn res_id(object: &ObjectRef) -> ResId {
    ResId {
        group: object.group.clone(),
        version: object.version.clone(),
        kind: object.kind.clone(),
        namespace: object.namespace.clone().unwrap_or_default(),
        name: object.name.clone(),
    }
}

pub(crate) fn canonical(fs: &dyn Filesystem, path: &Path) -> PathBuf {
    fs.canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// `file` relative to `root`, `/`-separated, going up with `..` when the file is outside it
/// (`LoadRestrictionsNone` reaching above the tree); `None` when they share no ancestor but
/// `/`.
pub(crate) fn relative(file: &Path, root: &Path) -> Option<String> {
    let file: Vec<Component<'_>> = file.components().collect();
    let root: Vec<Component<'_>> = root.components().collect();
    let common = file.iter().zip(&root).take_while(|(a, b)| a == b).count();
    if common <= 1 {
        return None;
    }
    let up = std::iter::repeat_n("..".to_owned(), root.len() - common);
    let down = file[common..]
        .iter()
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    Some(up.chain(down).collect::<Vec<_>>().join("/"))
}

#[cfg(test)]
mod tests {
    use super::relative;
    use std::path::Path;

    #[test]
    fn files_are_named_relative_to_path() {
        let root = Path::new("/repo/apps");
        assert_eq!(
            relative(Path::new("/repo/apps/prod/k.yaml"), root).as_deref(),
            Some("prod/k.yaml")
        );
        assert_eq!(
            relative(Path::new("/repo/base/d.yaml"), root).as_deref(),
            Some("../base/d.yaml")
        );
        assert_eq!(relative(Path::new("/other/d.yaml"), root), None);
    }
}
