//! `replacements` against goldens made by `kubectl kustomize` (v5.5.0).
//!
//! Each directory under `tests/fixtures/replacements/` is a kustomization with `resources.yaml`,
//! `replacements` (inline or `path:` files) and, optionally, a `namePrefix` (applied here the way
//! kustomize records it, so replacements can select objects by the names written in the
//! resources). `expected.yaml` holds kubectl's output and `expected.err` its error message;
//! `regen.sh` regenerates both. Objects are compared as values (the YAML emitter is tested
//! elsewhere); errors by message.

use std::path::{Path, PathBuf};

use kustomize_build::fs::OsFs;
use kustomize_build::plugin::Transformer;
use kustomize_build::replacement::ReplacementTransformer;
use kustomize_build::selector::{PREVIOUS_KINDS, PREVIOUS_NAMES, PREVIOUS_NAMESPACES};
use kustomize_build::{LoadRestrictions, Loader, ResMap, Resource};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/replacements")
}

/// The first document of a YAML file.
fn first_document(text: &str) -> Value {
    documents(text).into_iter().next().unwrap_or(Value::Null)
}

/// The documents of a YAML file, read as kustomize reads resources.
fn documents(text: &str) -> Vec<Value> {
    kustomize_build::yaml::parse_documents(text).expect("valid YAML")
}

/// kustomize's `namePrefix` as far as replacements see it: a new name, and the old one kept in
/// the previous-name annotations.
fn add_prefix(resource: &mut Resource, prefix: &str) {
    let id = resource.id();
    resource.set_annotation(PREVIOUS_NAMES, &id.name);
    resource.set_annotation(PREVIOUS_KINDS, &id.kind);
    resource.set_annotation(PREVIOUS_NAMESPACES, &id.namespace);
    resource.set_name(&format!("{prefix}{}", id.name));
}

/// What kustomize does to `metadata.annotations` on output: build annotations go, and every other
/// value is written as a string.
fn finish_annotations(object: &mut Value) {
    let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    if let Some(annotations) = metadata
        .get_mut("annotations")
        .and_then(Value::as_object_mut)
    {
        annotations.retain(|key, _| !key.starts_with("internal.config.kubernetes.io/"));
        for value in annotations.values_mut() {
            let text = match &*value {
                Value::String(_) => continue,
                Value::Null => String::new(),
                other => other.to_string(),
            };
            *value = Value::String(text);
        }
        if annotations.is_empty() {
            metadata.remove("annotations");
        }
    }
}

fn sort_key(object: &Value) -> (String, String, String) {
    let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
    (
        text(&object["kind"]),
        text(&object["metadata"]["namespace"]),
        text(&object["metadata"]["name"]),
    )
}

fn build(dir: &Path) -> Result<Vec<Value>, String> {
    let kustomization: Value =
        first_document(&std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap());
    let config: ReplacementTransformer = serde_json::from_value(
        serde_json::json!({"replacements": kustomization["replacements"].clone()}),
    )
    .map_err(|e| e.to_string())?;
    let mut resources: ResMap =
        documents(&std::fs::read_to_string(dir.join("resources.yaml")).unwrap())
            .into_iter()
            .map(Resource::new)
            .collect::<Vec<_>>()
            .into();
    if let Some(prefix) = kustomization["namePrefix"].as_str() {
        resources.iter_mut().for_each(|r| add_prefix(r, prefix));
    }
    let fs = OsFs;
    let root = dir.canonicalize().unwrap();
    let loader = Loader::new(&fs, &root, LoadRestrictions::RootOnly);
    config
        .transform(&mut resources, &loader)
        .map_err(|e| e.to_string())?;
    let mut objects: Vec<Value> = resources
        .into_iter()
        .map(|r| {
            let mut object = r.into_object();
            finish_annotations(&mut object);
            object
        })
        .collect();
    objects.sort_by_key(sort_key);
    Ok(objects)
}

/// kustomize reports type errors from its final YAML-to-JSON step with a Go-internal prefix;
/// compare from the YAML library's own words on.
fn comparable(message: &str) -> &str {
    message
        .find("yaml: cannot decode")
        .map_or(message, |at| &message[at..])
}

#[test]
fn replacements_match_kubectl_goldens() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "fixtures missing: {cases:?}");
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let outcome = build(case);
        let expected_err = case.join("expected.err");
        if expected_err.exists() {
            let expected = std::fs::read_to_string(&expected_err).unwrap();
            match outcome {
                Ok(_) => failures.push(format!("{name}: built, kubectl failed with {expected}")),
                Err(message) if comparable(&message) != comparable(expected.trim_end()) => {
                    failures.push(format!(
                        "{name}: error differs\n  ours:    {message}\n  kubectl: {}",
                        expected.trim_end()
                    ));
                }
                Err(_) => {}
            }
            continue;
        }
        let mut expected = documents(&std::fs::read_to_string(case.join("expected.yaml")).unwrap());
        expected.sort_by_key(sort_key);
        match outcome {
            Err(message) => failures.push(format!("{name}: failed: {message}")),
            Ok(objects) if objects != expected => failures.push(format!(
                "{name}: objects differ\n  ours:    {}\n  kubectl: {}",
                serde_json::to_string(&objects).unwrap(),
                serde_json::to_string(&expected).unwrap()
            )),
            Ok(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
