//! Patch transformers against goldens produced by `kubectl kustomize` (see
//! `tests/fixtures/patches/regenerate.sh`). Each fixture is a kustomization that uses only
//! `resources` and patch fields; this test applies the patch plugins in kustomize's order
//! (`patchesStrategicMerge`, `patches`, `patchesJson6902`) and compares the objects.

use std::path::{Path, PathBuf};

use kustomize_build::fs::MemFs;
use kustomize_build::patch::{
    PatchJson6902Transformer, PatchStrategicMergeTransformer, PatchTransformer,
};
use kustomize_build::plugin::Transformer;
use kustomize_build::{LoadRestrictions, Loader, ResMap, Resource};
use serde::Deserialize;
use serde_json::Value;

fn documents(text: &str) -> Vec<Value> {
    serde_yaml_ng::Deserializer::from_str(text)
        .map(|d| Value::deserialize(d).expect("fixture YAML"))
        .filter(|v| !v.is_null())
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

fn build(dir: &Path) -> kustomize_build::Result<Vec<Value>> {
    let root = PathBuf::from("/fixture");
    let mut fs = MemFs::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        fs.add_file(
            root.join(path.file_name().unwrap()),
            std::fs::read(&path).unwrap(),
        );
    }
    let loader = Loader::new(&fs, &root, LoadRestrictions::RootOnly);
    let kustomization =
        documents(&std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap()).remove(0);
    let mut resources = ResMap::new();
    for file in strings(&kustomization["resources"]) {
        for object in documents(&loader.read_to_string(&file)?) {
            resources.push(Resource::new(object));
        }
    }
    let legacy = strings(&kustomization["patchesStrategicMerge"]);
    if !legacy.is_empty() {
        let plugin = PatchStrategicMergeTransformer {
            paths: legacy,
            ..Default::default()
        };
        plugin.transform(&mut resources, &loader)?;
    }
    for entry in kustomization["patches"].as_array().into_iter().flatten() {
        let plugin: PatchTransformer = serde_json::from_value(entry.clone()).unwrap();
        plugin.transform(&mut resources, &loader)?;
    }
    for entry in kustomization["patchesJson6902"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let plugin = PatchJson6902Transformer::from_entry(entry).unwrap();
        plugin.transform(&mut resources, &loader)?;
    }
    Ok(resources
        .into_iter()
        .map(without_internal_annotations)
        .collect())
}

fn without_internal_annotations(resource: Resource) -> Value {
    let mut object = resource.into_object();
    if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        if let Some(annotations) = metadata
            .get_mut("annotations")
            .and_then(Value::as_object_mut)
        {
            annotations.retain(|k, _| !k.starts_with("internal.config.kubernetes.io/"));
            if annotations.is_empty() {
                metadata.shift_remove("annotations");
            }
        }
    }
    object
}

fn by_identity(mut objects: Vec<Value>) -> Vec<Value> {
    objects.sort_by_key(|o| kustomize_build::ResId::of(o).to_string());
    objects
}

#[test]
fn fixtures_match_kubectl() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/patches");
    let mut cases = 0;
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        cases += 1;
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let built = build(&dir);
        if dir.join("expected.err").is_file() {
            assert!(
                built.is_err(),
                "{name}: kubectl failed but the build succeeded"
            );
            continue;
        }
        let expected = documents(&std::fs::read_to_string(dir.join("expected.yaml")).unwrap());
        let built = built.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(by_identity(built), by_identity(expected), "{name}");
    }
    assert!(cases >= 5, "fixtures missing");
}
