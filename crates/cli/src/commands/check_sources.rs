//! Where each finding of `unstuck check` was written: the file and line at the head that set
//! the changed value, traced with kustomize-build's provenance module.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use immutable_rules::{Finding, ObjectRef};
use kustomize_build::fs::Filesystem;
use kustomize_build::provenance::{Query, Tracer};
use kustomize_build::{BuildOptions, ResId};
use serde::Serialize;

/// Where the changed value comes from, relative to the repository (or compared tree) root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Source {
    pub(crate) file: String,
    pub(crate) line: usize,
    /// What wrote it: `resource file`, `patch`, or the kustomization field (`commonLabels`…).
    pub(crate) writer: String,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{} ({})", self.file, self.line, self.writer)
    }
}

/// The head tree: how to read it, where PATH is in it, and what file names are relative to.
pub(crate) struct Head<'a> {
    pub(crate) fs: &'a dyn Filesystem,
    /// PATH, absolute in `fs`: the directories of the findings are relative to it.
    pub(crate) path: &'a Path,
    /// The repository (or compared tree) root that source files are named relative to.
    pub(crate) root: &'a Path,
}

/// The objects each directory rendered at the base, to see what changed in a reported mapping.
pub(crate) type BaseObjects<'a> = HashMap<&'a str, &'a [serde_json::Value]>;

/// The source of each finding (`None` where it cannot be told for sure, and for pruned
/// objects, which have no value at the head).
pub(crate) fn sources(
    findings: &[Finding],
    head: &Head<'_>,
    base: &BaseObjects<'_>,
    options: &BuildOptions,
) -> Vec<Option<Source>> {
    let mut tracers: HashMap<String, Option<Tracer<'_>>> = HashMap::new();
    let roots = [head.root.to_path_buf(), canonical(head.fs, head.root)];
    findings
        .iter()
        .map(|finding| {
            let v = &finding.violation;
            if v.rule == "object-pruned" {
                return None;
            }
            let id = res_id(&v.object);
            finding.dirs.iter().find_map(|dir| {
                let tracer = tracers
                    .entry(dir.clone())
                    .or_insert_with(|| Tracer::new(head.fs, &head.path.join(dir), options).ok())
                    .as_ref()?;
                let previous = base
                    .get(dir.as_str())
                    .and_then(|objects| objects.iter().find(|o| ObjectRef::of(o) == v.object));
                let mut query = Query::new(&id, &v.field);
                if let Some(previous) = previous {
                    query = query.with_previous(previous);
                }
                let source = tracer.locate(&query)?;
                let file = roots
                    .iter()
                    .find_map(|root| source.file.strip_prefix(root).ok())
                    .map_or_else(|| source.file.clone(), Path::to_path_buf);
                Some(Source {
                    file: slash_path(&file),
                    line: source.line,
                    writer: source.writer.to_string(),
                })
            })
        })
        .collect()
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

fn canonical(fs: &dyn Filesystem, path: &Path) -> PathBuf {
    fs.canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A relative path with `/` separators, as reports name files on every platform.
fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
