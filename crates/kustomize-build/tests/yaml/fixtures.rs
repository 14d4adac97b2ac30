//! Fixtures generated with `kubectl kustomize` (`scripts/regen-yaml-goldens`): for each case,
//! parsing `input.yaml` and emitting it must give `expected.yaml` byte for byte, or, when
//! kubectl failed (`expected.err`), parsing or emitting must fail too.

use std::path::{Path, PathBuf};

use kustomize_build::yaml::{parse_documents, try_emit_documents};

fn fixture_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/yaml");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("fixture folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn parse_then_emit_matches_kubectl() {
    let dirs = fixture_dirs();
    assert!(
        dirs.len() >= 40,
        "expected the committed fixtures, found {}",
        dirs.len()
    );
    let mut failures = Vec::new();
    let (mut outputs, mut errors) = (0, 0);
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let input = std::fs::read_to_string(dir.join("input.yaml")).unwrap();
        let result = parse_documents(&input)
            .map_err(|e| e.to_string())
            .and_then(|docs| try_emit_documents(&docs).map_err(|e| e.to_string()));
        if let Ok(expected) = std::fs::read_to_string(dir.join("expected.yaml")) {
            outputs += 1;
            match result {
                Ok(actual) if actual == expected => {}
                Ok(actual) => failures.push(format!(
                    "{name}: output differs\n{}",
                    first_difference(&expected, &actual)
                )),
                Err(e) => failures.push(format!("{name}: unexpected error: {e}")),
            }
        } else {
            errors += 1;
            let kubectl = std::fs::read_to_string(dir.join("expected.err"))
                .expect("expected.yaml or expected.err");
            if let Ok(actual) = result {
                failures.push(format!(
                    "{name}: kubectl failed ({}) but we printed:\n{actual}",
                    kubectl.trim()
                ));
            }
        }
    }
    println!(
        "yaml fixtures: {outputs} outputs and {errors} errors checked, {} failures",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn first_difference(expected: &str, actual: &str) -> String {
    let expected_lines: Vec<&str> = expected.split_inclusive('\n').collect();
    let actual_lines: Vec<&str> = actual.split_inclusive('\n').collect();
    let at = expected_lines
        .iter()
        .zip(&actual_lines)
        .position(|(e, a)| e != a)
        .unwrap_or(expected_lines.len().min(actual_lines.len()));
    format!(
        "  line {}:\n  expected: {:?}\n  actual:   {:?}",
        at + 1,
        expected_lines.get(at).copied().unwrap_or("<end>"),
        actual_lines.get(at).copied().unwrap_or("<end>")
    )
}
