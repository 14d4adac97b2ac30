//! Builds every case under `tests/fixtures/build/` and compares it with the golden output
//! `kubectl kustomize` (kustomize v5.5.0) produced for it (`scripts/regen-build-fixtures`).
//!
//! A case builds `in/`, or the directory named in its `dir` file. `expected.yaml` holds
//! kustomize's output, `expected.warnings` what it printed on stderr, `expected.err` its error
//! when it failed; our own error message for such a case is snapshotted with insta.

use std::error::Error as _;
use std::path::{Path, PathBuf};

use kustomize_build::fs::OsFs;
use kustomize_build::{build_with_warnings, BuildOptions};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/build")
}

fn cases() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn build_dir(case: &Path) -> PathBuf {
    let dir = std::fs::read_to_string(case.join("dir")).unwrap_or_else(|_| "in".to_owned());
    std::fs::canonicalize(case.join(dir.trim())).unwrap()
}

/// The error and its causes, with the fixture directory shortened so snapshots are portable.
fn error_chain(error: &kustomize_build::BuildError) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    let root = std::fs::canonicalize(fixtures()).unwrap();
    text.replace(&format!("{}/", root.display()), "")
}

#[test]
fn every_fixture_matches_its_kubectl_golden() {
    let mut errors = Vec::new();
    for name in cases() {
        let case = fixtures().join(&name);
        let mut warnings = Vec::new();
        // kustomize fails when it cannot print its output, so printing is part of the build.
        let result = build_with_warnings(
            &OsFs,
            &build_dir(&case),
            &BuildOptions::new(),
            &mut warnings,
        )
        .and_then(|built| built.try_to_yaml());
        let expected_warnings =
            std::fs::read_to_string(case.join("expected.warnings")).unwrap_or_default();
        let warning_lines: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        let expected_lines: Vec<&str> = expected_warnings.lines().collect();
        assert_eq!(warning_lines, expected_lines, "{name}: warnings");
        match (result, std::fs::read_to_string(case.join("expected.yaml"))) {
            (Ok(built), Ok(expected)) => {
                assert_eq!(built, expected, "{name}");
            }
            (Err(error), Err(_)) => {
                assert!(case.join("expected.err").is_file(), "{name}: no golden");
                errors.push(format!("{name}:\n  {}", error_chain(&error)));
            }
            (Ok(_), Err(_)) => panic!("{name}: built, but kustomize fails"),
            (Err(error), Ok(_)) => panic!("{name}: {}", error_chain(&error)),
        }
    }
    insta::assert_snapshot!("fixture_errors", errors.join("\n"));
}
