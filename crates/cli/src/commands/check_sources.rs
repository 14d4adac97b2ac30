//! Where each finding of `unstuck check` was written: the file and line at the head that set
//! the changed value, traced with kustomize-build's provenance module.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use immutable_rules::{Finding, ObjectRef};
use kustomize_build::fs::Filesystem;
use kustomize_build::provenance::{Query, Tracer};
use kustomize_build::{BuildOptions, ResId};

use crate::report::Source;

/// The head tree: how to read it, where PATH is in it, and what sources are relative to.
pub(crate) struct Head<'a> {
    pub(crate) fs: &'a dyn Filesystem,
    /// PATH, absolute in `fs`: finding directories are relative to it.
    pub(crate) path: &'a Path,
    /// The compared tree (repository root, or `--head-dir`): source files are relative to it.
    pub(crate) tree_root: &'a Path,
}

/// The objects each directory rendered at the base, to see what changed in a reported mapping.
pub(crate) type BaseObjects<'a> = HashMap<&'a str, &'a [serde_json::Value]>;

/// The source of each finding, relative to the compared tree (`None` where it cannot be told for sure, and
/// for pruned objects, which have no value at the head).
pub(crate) fn sources(
    findings: &[Finding],
    head: &Head<'_>,
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

/// `file` relative to `root`, `/`-separated, going up with `..` when the file is outside it
/// (`LoadRestrictionsNone` reaching above the tree); `None` when they share no ancestor but
/// `/`.
fn relative(file: &Path, root: &Path) -> Option<String> {
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
