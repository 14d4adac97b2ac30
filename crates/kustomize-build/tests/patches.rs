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
use kustomize_build::value::Value;
use kustomize_build::{LoadRestrictions, Loader, ResMap, Resource};
use serde::Deserialize;

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
    // Conformance cases keep bases beside the built directory under `in/`; mount all of it.
    let top = dir
        .ancestors()
        .find(|d| d.file_name().is_some_and(|n| n == "in"))
        .unwrap_or(dir);
    let mount = PathBuf::from("/fixture");
    let mut fs = MemFs::new();
    add_tree(&mut fs, top, &mount);
    let root = mount.join(dir.strip_prefix(top).unwrap());
    let resources = build_dir(&fs, &root)?;
    Ok(resources
        .into_iter()
        .map(without_internal_annotations)
        .collect())
}

fn add_tree(fs: &mut MemFs, dir: &Path, at: &Path) {
    fs.add_dir(at);
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let target = at.join(path.file_name().unwrap());
        if path.is_dir() {
            add_tree(fs, &path, &target);
        } else {
            fs.add_file(target, std::fs::read(&path).unwrap());
        }
    }
}

/// A miniature build: `resources` (files and nested kustomization directories) and the patch
/// fields in kustomize's order, nothing else.
fn build_dir(fs: &MemFs, root: &Path) -> kustomize_build::Result<ResMap> {
    use kustomize_build::fs::Filesystem;
    let loader = Loader::new(fs, root, LoadRestrictions::RootOnly);
    let file = ["kustomization.yaml", "kustomization.yml", "Kustomization"]
        .into_iter()
        .find(|name| fs.read(&root.join(name)).is_ok())
        .ok_or_else(|| kustomize_build::BuildError::Other("no kustomization".into()))?;
    let kustomization = documents(&loader.read_to_string(file)?)
        .into_iter()
        .next()
        .unwrap_or(Value::Null);
    let mut resources = ResMap::new();
    for entry in strings(&kustomization["resources"]) {
        let path = loader.resolve(&entry);
        if fs.is_dir(&path) {
            resources.extend(build_dir(fs, &path)?);
        } else {
            let text = loader.read_to_string(&entry)?;
            let parsed = kustomize_build::yaml::parse_documents(&text)
                .map_err(|e| kustomize_build::BuildError::Other(e.to_string()))?;
            for object in parsed {
                resources.push(Resource::new(object));
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    for resource in &resources {
        if !seen.insert(resource.id()) {
            return Err(kustomize_build::BuildError::Other(format!(
                "may not add resource with an already registered id: {}",
                resource.id()
            )));
        }
    }
    let legacy = strings(&kustomization["patchesStrategicMerge"]);
    if kustomization.get("patchesStrategicMerge").is_some() {
        let plugin = PatchStrategicMergeTransformer {
            paths: legacy,
            ..Default::default()
        };
        plugin.transform(&mut resources, &loader)?;
    }
    for entry in kustomization["patches"].as_array().into_iter().flatten() {
        let plugin: PatchTransformer = kustomize_build::value::from_value(entry.clone()).unwrap();
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
    Ok(resources)
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
        let (built, expected) = (by_identity(built), by_identity(expected));
        for (b, e) in built.iter().zip(&expected) {
            assert_eq!(b, e, "{name}: {}", b["metadata"]["name"]);
        }
        assert_eq!(built.len(), expected.len(), "{name}");
    }
    assert!(cases >= 5, "fixtures missing");
}

/// The conformance cases that use nothing but resources and patches, built with the miniature
/// driver and compared as objects (the full pipeline compares bytes). Skips without the corpus.
#[test]
fn conformance_patch_cases() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|d| d.join("shared/conformance/krusty"))
        .chain(std::iter::once(PathBuf::from(
            "/work/shared/conformance/krusty",
        )))
        .find(|p| p.join("manifest.json").is_file());
    let Some(corpus) = corpus else {
        eprintln!("skipped: conformance corpus not found");
        return;
    };
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(corpus.join("manifest.json")).unwrap())
            .unwrap();
    let patch_features = ["patches", "patchesStrategicMerge", "patchesJson6902"];
    // Needs the name-reference transformer of the full pipeline.
    let needs_pipeline = ["gvknpatch__TestNameReferenceAfterGvknChange"];
    let (mut passed, mut failed) = (0, Vec::new());
    for case in manifest["cases"].as_array().unwrap() {
        let features = strings(&case["features"]);
        let only_patches = features
            .iter()
            .all(|f| f == "resources" || patch_features.contains(&f.as_str()));
        if !only_patches
            || !features
                .iter()
                .any(|f| patch_features.contains(&f.as_str()))
        {
            continue;
        }
        let name = case["name"].as_str().unwrap();
        if needs_pipeline.contains(&name) {
            continue;
        }
        let dir = corpus.join(case["dir"].as_str().unwrap());
        let built = build(&dir);
        let ok = if case["expect"]["error"].as_bool().unwrap_or(false) {
            built.is_err()
        } else {
            let expected_path = corpus.join(case["expect"]["stdout"].as_str().unwrap());
            let expected = documents(&std::fs::read_to_string(expected_path).unwrap());
            built.is_ok_and(|b| by_identity(b) == by_identity(expected))
        };
        if ok {
            passed += 1;
        } else {
            failed.push(name.to_owned());
        }
    }
    eprintln!(
        "patch-only conformance cases: {passed} passed, {} failed: {failed:#?}",
        failed.len()
    );
    assert!(failed.is_empty(), "failing: {failed:#?}");
}

/// Every JSON 6902 operation case of `tests/fixtures/json6902/` (`scripts/regen-json6902-goldens`)
/// gives kubectl's output byte for byte, or fails where kubectl failed.
#[test]
fn json6902_operations_match_kubectl() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/json6902");
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
    };
    let object = read("object.json");
    let cases = read("cases.json");
    let expected = read("expected.json");
    let cases = cases.as_object().unwrap();
    assert!(cases.len() >= 60, "cases missing");
    let mut failures = Vec::new();
    for (name, operations) in cases {
        let golden = &expected[name];
        let mut built = object.clone();
        let result = kustomize_build::patch::JsonPatch::parse(&operations.to_string())
            .and_then(|patch| patch.apply(&mut built));
        match (result, golden["yaml"].as_str()) {
            (Ok(()), Some(yaml)) => {
                let printed = kustomize_build::yaml::emit_documents(&[built]);
                if printed != yaml {
                    failures.push(format!("{name}: printed\n{printed}\nkubectl:\n{yaml}"));
                }
            }
            (Err(_), None) => {}
            (Ok(()), None) => failures.push(format!(
                "{name}: applied, but kubectl failed: {}",
                golden["error"]
            )),
            (Err(e), Some(_)) => failures.push(format!("{name}: failed where kubectl built: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
