//! Builtin transformers and generators against `kubectl kustomize` goldens.
//!
//! Each `tests/fixtures/builtins/<case>/` holds a kustomization that lists only `resources`,
//! `generators` and `transformers` entries (builtin plugin configs) plus the `expected.yaml`
//! `kubectl kustomize` (kustomize v5.5.0) printed for it. The harness runs the same steps as
//! kustomize for such a kustomization — generators, then transformers, then the hash suffix and
//! name-reference fixing — and compares the objects (key order and document order are the
//! emitter's and the sorter's business, not the builtins').

use std::path::{Path, PathBuf};

use kustomize_build::builtins::{self, tracking, HashTransformer, NameReferenceTransformer};
use kustomize_build::config::TransformerConfig;
use kustomize_build::fs::OsFs;
use kustomize_build::plugin::Transformer;
use kustomize_build::value::Value;
use kustomize_build::{LoadRestrictions, Loader, ResMap, Resource};
use serde::Deserialize;

fn documents(text: &str) -> Vec<Value> {
    serde_yaml_ng::Deserializer::from_str(text)
        .map(|doc| Value::deserialize(doc).unwrap())
        .filter(|v| !v.is_null())
        .collect()
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap()
}

fn sort_key(v: &Value) -> String {
    format!(
        "{}/{}/{}",
        v["kind"].as_str().unwrap_or(""),
        v["metadata"]["namespace"].as_str().unwrap_or(""),
        v["metadata"]["name"].as_str().unwrap_or("")
    )
}

fn build(dir: &Path) -> Vec<Value> {
    let kustomization = documents(&read(dir, "kustomization.yaml")).remove(0);
    let list = |field: &str| -> Vec<String> {
        kustomization
            .get(field)
            .and_then(Value::as_array)
            .map(|a| a.iter().map(|v| v.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default()
    };
    let fs = OsFs;
    let root = std::fs::canonicalize(dir).unwrap();
    let loader = Loader::new(&fs, &root, LoadRestrictions::RootOnly);
    let mut resources = ResMap::new();
    for file in list("resources") {
        resources.extend(documents(&read(dir, &file)).into_iter().map(Resource::new));
    }
    for file in list("generators") {
        for config in documents(&read(dir, &file)) {
            let kind = config["kind"].as_str().unwrap().to_owned();
            let generator = builtins::generator(&kind, config).unwrap().unwrap();
            builtins::absorb(&mut resources, generator.generate(&loader).unwrap()).unwrap();
        }
    }
    for file in list("transformers") {
        for config in documents(&read(dir, &file)) {
            let kind = config["kind"].as_str().unwrap().to_owned();
            let transformer = builtins::transformer(&kind, config).unwrap().unwrap();
            transformer.transform(&mut resources, &loader).unwrap();
        }
    }
    HashTransformer::default()
        .transform(&mut resources, &loader)
        .unwrap();
    NameReferenceTransformer::new(&TransformerConfig::default())
        .transform(&mut resources, &loader)
        .unwrap();
    let mut out: Vec<Value> = resources
        .into_iter()
        .map(|mut r| {
            tracking::strip_build_annotations(&mut r);
            r.into_object()
        })
        .collect();
    out.sort_by_key(sort_key);
    out
}

fn case_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/builtins");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("kustomization.yaml").exists())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn builtins_match_kubectl_goldens() {
    let dirs = case_dirs();
    assert!(dirs.len() >= 6, "fixtures missing");
    for dir in dirs {
        let mut expected = documents(&read(&dir, "expected.yaml"));
        expected.sort_by_key(sort_key);
        let actual = build(&dir);
        let keys = |objects: &[Value]| objects.iter().map(sort_key).collect::<Vec<_>>();
        assert_eq!(
            keys(&actual),
            keys(&expected),
            "objects of case {}",
            dir.display()
        );
        for (a, e) in actual.iter().zip(&expected) {
            assert_eq!(a, e, "case {}, object {}", dir.display(), sort_key(e));
        }
    }
}
