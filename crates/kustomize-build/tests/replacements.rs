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
use kustomize_build::value::Value;
use kustomize_build::{LoadRestrictions, Loader};

mod transformer_fixture;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/replacements")
}

fn build(dir: &Path) -> Result<Vec<Value>, String> {
    let (kustomization, mut resources) = transformer_fixture::load(dir);
    let config: ReplacementTransformer = kustomize_build::value::from_value(
        kustomize_build::json!({"replacements": kustomization["replacements"].clone()}),
    )
    .map_err(|e| e.to_string())?;
    let fs = OsFs;
    let root = dir.canonicalize().unwrap();
    let loader = Loader::new(&fs, &root, LoadRestrictions::RootOnly);
    config
        .transform(&mut resources, &loader)
        .map_err(|e| e.to_string())?;
    Ok(transformer_fixture::finished_objects(resources))
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
        let expected = transformer_fixture::expected_objects(case);
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
