//! What the `replacements` and `vars` golden tests share: reading a fixture directory
//! (`kustomization.yaml`, `resources.yaml`, an optional `namePrefix`) and turning the transformed
//! resources into the objects kubectl prints.

use std::path::Path;

use kustomize_build::selector::{PREVIOUS_KINDS, PREVIOUS_NAMES, PREVIOUS_NAMESPACES};
use kustomize_build::value::Value;
use kustomize_build::{ResMap, Resource};

/// A fixture's `kustomization.yaml` and its `resources.yaml`, with `namePrefix` applied.
pub(crate) fn load(dir: &Path) -> (Value, ResMap) {
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let kustomization = first_document(&read("kustomization.yaml"));
    let mut resources: ResMap = documents(&read("resources.yaml"))
        .into_iter()
        .map(Resource::new)
        .collect::<Vec<_>>()
        .into();
    if let Some(prefix) = kustomization["namePrefix"].as_str() {
        resources.iter_mut().for_each(|r| add_prefix(r, prefix));
    }
    (kustomization, resources)
}

/// The objects as kubectl prints them (annotations finished), in a stable order.
pub(crate) fn finished_objects(resources: ResMap) -> Vec<Value> {
    let mut objects: Vec<Value> = resources
        .into_iter()
        .map(|r| {
            let mut object = r.into_object();
            finish_annotations(&mut object);
            object
        })
        .collect();
    objects.sort_by_key(sort_key);
    objects
}

/// kubectl's expected output for a fixture, in the same order as [`finished_objects`].
pub(crate) fn expected_objects(dir: &Path) -> Vec<Value> {
    let mut expected = documents(&std::fs::read_to_string(dir.join("expected.yaml")).unwrap());
    expected.sort_by_key(sort_key);
    expected
}

/// The first document of a YAML file.
pub(crate) fn first_document(text: &str) -> Value {
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
