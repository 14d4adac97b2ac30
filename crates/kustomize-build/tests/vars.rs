//! Legacy `vars` against goldens made by `kubectl kustomize` (v5.5.0).
//!
//! Each directory under `tests/fixtures/vars/` is a kustomization with `resources.yaml`, `vars`,
//! optionally `configurations` (their `varReference` entries) and a `namePrefix` (applied here the
//! way kustomize records it, so vars can name objects as written in the resources).
//! `expected.yaml` holds kubectl's output, `expected.unused` the vars it reported as never
//! replaced, `expected.err` its error message; `regen.sh` regenerates them. Objects are compared
//! as values; errors by message.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kustomize_build::fieldspec::FieldSpec;
use kustomize_build::selector::{PREVIOUS_KINDS, PREVIOUS_NAMES, PREVIOUS_NAMESPACES};
use kustomize_build::vars::{merge_vars, resolve_vars, Var, VarSet};
use kustomize_build::{ResMap, Resource};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vars")
}

/// The first document of a YAML file.
fn first_document(text: &str) -> Value {
    documents(text).into_iter().next().unwrap_or(Value::Null)
}

/// The documents of a YAML file, read as kustomize reads resources.
fn documents(text: &str) -> Vec<Value> {
    kustomize_build::yaml::parse_documents(text).expect("valid YAML")
}

fn add_prefix(resource: &mut Resource, prefix: &str) {
    let id = resource.id();
    resource.set_annotation(PREVIOUS_NAMES, &id.name);
    resource.set_annotation(PREVIOUS_KINDS, &id.kind);
    resource.set_annotation(PREVIOUS_NAMESPACES, &id.namespace);
    resource.set_name(&format!("{prefix}{}", id.name));
}

/// kustomize on output: build annotations go, other annotation values are written as strings.
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

struct Built {
    objects: Vec<Value>,
    unused: BTreeSet<String>,
}

fn build(dir: &Path) -> Result<Built, String> {
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let kustomization: Value = first_document(&read("kustomization.yaml"));
    let mut resources: ResMap = documents(&read("resources.yaml"))
        .into_iter()
        .map(Resource::new)
        .collect::<Vec<_>>()
        .into();
    if let Some(prefix) = kustomization["namePrefix"].as_str() {
        resources.iter_mut().for_each(|r| add_prefix(r, prefix));
    }
    let vars: Vec<Var> =
        serde_json::from_value(kustomization["vars"].clone()).map_err(|e| e.to_string())?;
    let mut references: Vec<FieldSpec> = Vec::new();
    for file in kustomization["configurations"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let config: Value = first_document(&read(file.as_str().unwrap()));
        references.extend(
            serde_json::from_value::<Vec<FieldSpec>>(config["varReference"].clone()).unwrap(),
        );
    }
    let mut set = VarSet::new();
    merge_vars(&mut set, &mut resources, &vars).map_err(|e| error_chain(&e))?;
    let unused = resolve_vars(&mut resources, &set, &references).map_err(|e| error_chain(&e))?;
    let mut objects: Vec<Value> = resources
        .into_iter()
        .map(|r| {
            let mut object = r.into_object();
            finish_annotations(&mut object);
            object
        })
        .collect();
    objects.sort_by_key(sort_key);
    Ok(Built {
        objects,
        unused: unused.into_iter().collect(),
    })
}

/// An error and its causes joined with ": ", as kustomize prints wrapped errors.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        text.push_str(": ");
        text.push_str(&next.to_string());
        cause = next.source();
    }
    text
}

#[test]
fn vars_match_kubectl_goldens() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 8, "fixtures missing: {cases:?}");
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let outcome = build(case);
        let expected_err = case.join("expected.err");
        if expected_err.exists() {
            let expected = std::fs::read_to_string(&expected_err).unwrap();
            match outcome {
                Ok(_) => failures.push(format!("{name}: built, kubectl failed with {expected}")),
                Err(message) if message != expected.trim_end() => failures.push(format!(
                    "{name}: error differs\n  ours:    {message}\n  kubectl: {}",
                    expected.trim_end()
                )),
                Err(_) => {}
            }
            continue;
        }
        let mut expected = documents(&std::fs::read_to_string(case.join("expected.yaml")).unwrap());
        expected.sort_by_key(sort_key);
        let expected_unused: BTreeSet<String> =
            std::fs::read_to_string(case.join("expected.unused"))
                .unwrap_or_default()
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect();
        match outcome {
            Err(message) => failures.push(format!("{name}: failed: {message}")),
            Ok(built) if built.objects != expected => failures.push(format!(
                "{name}: objects differ\n  ours:    {}\n  kubectl: {}",
                serde_json::to_string(&built.objects).unwrap(),
                serde_json::to_string(&expected).unwrap()
            )),
            Ok(built) if built.unused != expected_unused => failures.push(format!(
                "{name}: unused vars differ: ours {:?}, kubectl {expected_unused:?}",
                built.unused
            )),
            Ok(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
