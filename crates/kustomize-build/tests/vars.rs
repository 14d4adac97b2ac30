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
use kustomize_build::value::Value;
use kustomize_build::vars::{merge_vars, resolve_vars, Var, VarSet};

mod transformer_fixture;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vars")
}

struct Built {
    objects: Vec<Value>,
    unused: BTreeSet<String>,
}

fn build(dir: &Path) -> Result<Built, String> {
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let (kustomization, mut resources) = transformer_fixture::load(dir);
    let vars: Vec<Var> = kustomize_build::value::from_value(kustomization["vars"].clone())
        .map_err(|e| e.to_string())?;
    let mut references: Vec<FieldSpec> = Vec::new();
    for file in kustomization["configurations"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let config: Value = transformer_fixture::first_document(&read(file.as_str().unwrap()));
        references.extend(
            kustomize_build::value::from_value::<Vec<FieldSpec>>(config["varReference"].clone())
                .unwrap(),
        );
    }
    let mut set = VarSet::new();
    merge_vars(&mut set, &mut resources, &vars).map_err(|e| error_chain(&e))?;
    let unused = resolve_vars(&mut resources, &set, &references).map_err(|e| error_chain(&e))?;
    let objects = transformer_fixture::finished_objects(resources);
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
        let expected = transformer_fixture::expected_objects(case);
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
