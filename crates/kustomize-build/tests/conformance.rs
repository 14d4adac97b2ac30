//! Runs kustomize's own build cases (the shared conformance corpus, when present next to the
//! repository) through the builder in-process and reports how many come out byte-identical to
//! `kubectl kustomize`, or fail where it fails.
//!
//! The corpus is third-party data and is never copied here; without it the test says so and
//! passes. The test fails only when a count drops below the floor committed below, so that the
//! floor records progress and guards against regressions.

use std::path::{Path, PathBuf};

use kustomize_build::fs::OsFs;
use kustomize_build::{build, BuildOptions};
use serde_json::Value;

/// Cases passing (byte-identical output, or an error where kustomize errs), overall.
const FLOOR_ALL: usize = 215;
/// Cases passing among those that use only part-1 features.
const FLOOR_PART1: usize = 90;

/// Features built by part 2 of the builder; a case using none of them is a part-1 case.
const PART2_FEATURES: &[&str] = &[
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "replacements",
    "vars",
    "openapi",
    "crds",
    "configurations",
    "transformers",
    "generators",
    "validators",
];

#[derive(Default, Debug)]
struct Tally {
    byte_identical: usize,
    errors_matched: usize,
    failed: Vec<String>,
}

impl Tally {
    fn passed(&self) -> usize {
        self.byte_identical + self.errors_matched
    }
}

/// `shared/conformance/krusty` beside the repository (`CARGO_MANIFEST_DIR/../../../shared`), or
/// beside any ancestor directory, so that worktrees nested deeper find it too.
fn corpus() -> Option<PathBuf> {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .skip(3)
        .map(|dir| dir.join("shared/conformance/krusty"))
        .find(|dir| dir.join("manifest.json").is_file())
}

#[test]
fn conformance_corpus_does_not_regress() {
    let Some(root) = corpus() else {
        println!("conformance corpus not found next to the repository; skipping");
        return;
    };
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("manifest.json")).unwrap())
            .unwrap();
    let mut all = Tally::default();
    let mut part1 = Tally::default();
    for case in manifest["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let dir = root.join(case["dir"].as_str().unwrap());
        let features: Vec<&str> = case["features"]
            .as_array()
            .map(|f| f.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let is_part1 = !features.iter().any(|f| PART2_FEATURES.contains(f));
        let expected_yaml = std::fs::read_to_string(root.join(name).join("expected.yaml")).ok();
        let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
        let outcome = std::panic::catch_unwind(|| build(&OsFs, &dir, &BuildOptions::new()));
        let verdict = match (outcome, expected_yaml) {
            (Err(_), _) => Err("panicked".to_owned()),
            (Ok(Ok(built)), Some(expected)) => {
                if built.to_yaml() == expected {
                    Ok(true)
                } else {
                    Err("output differs".to_owned())
                }
            }
            (Ok(Ok(_)), None) => Err("built where kustomize fails".to_owned()),
            (Ok(Err(_)), None) => Ok(false),
            (Ok(Err(e)), Some(_)) => Err(format!("failed: {e}")),
        };
        for tally in [Some(&mut all), is_part1.then_some(&mut part1)]
            .into_iter()
            .flatten()
        {
            match &verdict {
                Ok(true) => tally.byte_identical += 1,
                Ok(false) => tally.errors_matched += 1,
                Err(why) => tally.failed.push(format!("{name}: {why}")),
            }
        }
    }
    for (label, tally) in [("all cases", &all), ("part-1 cases", &part1)] {
        println!(
            "{label}: {} byte-identical, {} errors-matched, {} failed of {}",
            tally.byte_identical,
            tally.errors_matched,
            tally.failed.len(),
            tally.passed() + tally.failed.len()
        );
    }
    for failure in &part1.failed {
        println!("  part-1 failure: {failure}");
    }
    assert!(
        all.passed() >= FLOOR_ALL,
        "conformance dropped below the floor: {} < {FLOOR_ALL}",
        all.passed()
    );
    assert!(
        part1.passed() >= FLOOR_PART1,
        "part-1 conformance dropped below the floor: {} < {FLOOR_PART1}",
        part1.passed()
    );
}
