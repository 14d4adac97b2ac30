//! `emit(parse(expected.yaml))` must reproduce every expected output of the shared conformance
//! corpus byte for byte: a strong test of the emitter over hundreds of real documents.
//!
//! The corpus is third-party data that lives outside the repository; the test skips (with a
//! message) when it is absent.

use std::path::PathBuf;

use kustomize_build::yaml::{emit_documents, parse_documents};

/// `../shared/conformance/krusty` next to the repository root; worktrees sit deeper, so look in
/// every ancestor.
fn corpus_dir() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .map(|dir| dir.join("shared/conformance/krusty"))
        .find(|dir| dir.is_dir())
        .unwrap_or_else(|| manifest.join("../../../shared/conformance/krusty"))
}

#[test]
fn expected_outputs_round_trip_byte_for_byte() {
    let dir = corpus_dir();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!(
            "skipping: conformance corpus not found at {}",
            dir.display()
        );
        return;
    };
    let mut cases: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path().join("expected.yaml"))
        .filter(|p| p.is_file())
        .collect();
    cases.sort();
    let mut failures = Vec::new();
    let mut documents = 0;
    for case in &cases {
        let text = std::fs::read_to_string(case).expect("readable expected.yaml");
        let name = case
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match parse_documents(&text) {
            Ok(docs) => {
                documents += docs.len();
                let emitted = emit_documents(&docs);
                if emitted != text {
                    let line = emitted
                        .lines()
                        .zip(text.lines())
                        .position(|(a, b)| a != b)
                        .map_or_else(|| "length".to_owned(), |i| format!("line {}", i + 1));
                    failures.push(format!("{name}: differs at {line}"));
                }
            }
            Err(e) => failures.push(format!("{name}: parse error {e}")),
        }
    }
    println!(
        "conformance round trip: {}/{} files ({documents} documents) reproduced",
        cases.len() - failures.len(),
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} files differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
