//! Objects rendered by `kubectl kustomize` from real repositories (`../shared/conformance/real`)
//! and from the bundled examples, shared by the corpus and differential tests.

use serde::Deserialize;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// One rendered object and the file it came from.
pub(crate) struct Rendered {
    pub(crate) file: PathBuf,
    pub(crate) object: Value,
}

/// A file's name relative to the corpus or the workspace, for messages and snapshots.
pub(crate) fn label(file: &Path) -> String {
    let text = file.display().to_string();
    for marker in ["_expected/", "examples/"] {
        if let Some(at) = text.find(marker) {
            return text[at..].to_owned();
        }
    }
    text
}

pub(crate) fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The conformance corpus of real repositories, if this checkout has it.
pub(crate) fn real_expected() -> Option<PathBuf> {
    let dir = workspace().join("../shared/conformance/real/_expected");
    dir.is_dir().then_some(dir)
}

fn expected_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            expected_files(&path, found);
        } else if path.file_name().is_some_and(|n| n == "expected.yaml") {
            found.push(path);
        }
    }
}

/// Every object in `text`, a multi-document YAML stream.
pub(crate) fn objects(text: &str) -> Vec<Value> {
    serde_yaml_ng::Deserializer::from_str(text)
        .filter_map(|document| Value::deserialize(document).ok())
        .filter(Value::is_object)
        .collect()
}

/// Every object of every `expected.yaml` under the real corpus, plus the bundled examples'
/// manifests, rendered the way `unstuck build` renders them (kustomize's output is what the
/// corpus records).
pub(crate) fn rendered() -> Vec<Rendered> {
    let mut files = Vec::new();
    if let Some(dir) = real_expected() {
        expected_files(&dir, &mut files);
    }
    let mut rendered = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for object in objects(&text) {
            rendered.push(Rendered {
                file: file.clone(),
                object,
            });
        }
    }
    rendered.extend(examples());
    rendered
}

/// Every kustomization under `examples/gitops` (both revisions), built by the workspace's own
/// kustomize builder; kustomizations that do not build on their own (components) are skipped.
fn examples() -> Vec<Rendered> {
    use kustomize_build::{build, fs::OsFs, BuildOptions};
    let mut dirs = Vec::new();
    kustomization_dirs(&workspace().join("examples/gitops"), &mut dirs);
    let mut rendered = Vec::new();
    for dir in dirs {
        let Ok(built) = build(&OsFs, &dir, &BuildOptions::new()) else {
            continue;
        };
        for resource in built.resources() {
            rendered.push(Rendered {
                file: dir.join("kustomization.yaml"),
                object: resource.object().into(),
            });
        }
    }
    rendered
}

fn kustomization_dirs(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    if entries
        .iter()
        .any(|p| p.file_name().is_some_and(|n| n == "kustomization.yaml"))
    {
        found.push(dir.to_path_buf());
    }
    for path in entries {
        if path.is_dir() {
            kustomization_dirs(&path, found);
        }
    }
}
