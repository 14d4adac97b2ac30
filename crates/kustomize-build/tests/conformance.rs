//! Runs the shared conformance corpora (when present next to the repository) through the builder
//! in-process and reports how many cases come out byte-identical to `kubectl kustomize`, or fail
//! where it fails: `krusty/` (kustomize's own build tests) and `real/` (kustomization
//! directories of public repositories: cluster-api, kueue, kubebuilder, argo-cd, cert-manager,
//! gateway-api).
//!
//! The corpora are third-party data and are never copied here; without them the tests say so
//! and pass. A test fails only when a count drops below the floor committed below, so that the
//! floors record progress and guard against regressions.

use std::path::{Path, PathBuf};

use kustomize_build::fs::OsFs;
use kustomize_build::value::Value;
use kustomize_build::{build, BuildOptions};

/// Cases passing (byte-identical output, or an error where kustomize errs), overall.
const FLOOR_ALL: usize = 215;
/// Cases passing among those that use only part-1 features.
const FLOOR_PART1: usize = 90;
/// Directories of public repositories passing (all 232 of `real/`).
const FLOOR_REAL: usize = 232;

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

/// `shared/conformance/NAME` beside the repository (`CARGO_MANIFEST_DIR/../../../shared`), or
/// beside any ancestor directory, so that worktrees nested deeper find it too.
fn corpus(name: &str) -> Option<PathBuf> {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .skip(3)
        .map(|dir| dir.join("shared/conformance").join(name))
        .find(|dir| dir.join("manifest.json").is_file())
}

/// One case of a corpus manifest, built and compared: `Ok(true)` byte-identical, `Ok(false)`
/// failed where kubectl failed, `Err(why)` otherwise.
fn verdict(root: &Path, case: &Value) -> Result<bool, String> {
    let dir = root.join(case["dir"].as_str().unwrap());
    let expect = &case["expect"];
    let expected_yaml = if expect["error"].as_bool() == Some(true) {
        None
    } else {
        let stdout = expect["stdout"].as_str().unwrap();
        Some(std::fs::read_to_string(root.join(stdout)).unwrap())
    };
    let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
    let outcome = std::panic::catch_unwind(|| {
        build(&OsFs, &dir, &BuildOptions::new()).and_then(|built| built.try_to_yaml())
    });
    match (outcome, expected_yaml) {
        (Err(_), _) => Err("panicked".to_owned()),
        (Ok(Ok(built)), Some(expected)) => {
            if built == expected {
                Ok(true)
            } else {
                Err("output differs".to_owned())
            }
        }
        (Ok(Ok(_)), None) => Err("built where kustomize fails".to_owned()),
        (Ok(Err(_)), None) => Ok(false),
        (Ok(Err(e)), Some(_)) => Err(format!("failed: {e}")),
    }
}

fn manifest(root: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(root.join("manifest.json")).unwrap()).unwrap()
}

fn report(label: &str, tally: &Tally) -> String {
    format!(
        "{label}: {} byte-identical, {} errors-matched, {} failed of {}",
        tally.byte_identical,
        tally.errors_matched,
        tally.failed.len(),
        tally.passed() + tally.failed.len()
    )
}

fn count(tally: &mut Tally, name: &str, verdict: &Result<bool, String>) {
    match verdict {
        Ok(true) => tally.byte_identical += 1,
        Ok(false) => tally.errors_matched += 1,
        Err(why) => tally.failed.push(format!("{name}: {why}")),
    }
}

#[test]
fn conformance_corpus_does_not_regress() {
    let Some(root) = corpus("krusty") else {
        println!("conformance corpus krusty/ not found next to the repository; skipping");
        return;
    };
    let mut all = Tally::default();
    let mut part1 = Tally::default();
    for case in manifest(&root)["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let features: Vec<&str> = case["features"]
            .as_array()
            .map(|f| f.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let is_part1 = !features.iter().any(|f| PART2_FEATURES.contains(f));
        let verdict = verdict(&root, case);
        count(&mut all, name, &verdict);
        if is_part1 {
            count(&mut part1, name, &verdict);
        }
    }
    println!("{}", report("all cases", &all));
    println!("{}", report("part-1 cases", &part1));
    for failure in &all.failed {
        println!("  failure: {failure}");
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

#[test]
fn real_repositories_do_not_regress() {
    let Some(root) = corpus("real") else {
        println!("conformance corpus real/ not found next to the repository; skipping");
        return;
    };
    let manifest = manifest(&root);
    let cases = manifest["cases"].as_array().unwrap();
    // Larger than krusty and slow unoptimised: the cases are built on every core, then counted
    // in manifest order.
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = cases.len().div_ceil(threads).max(1);
    let verdicts: Vec<Result<bool, String>> = std::thread::scope(|scope| {
        let workers: Vec<_> = cases
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(|c| verdict(&root, c)).collect::<Vec<_>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let mut tally = Tally::default();
    for (case, verdict) in cases.iter().zip(&verdicts) {
        count(&mut tally, case["name"].as_str().unwrap(), verdict);
    }
    println!("{}", report("real repositories", &tally));
    for failure in &tally.failed {
        println!("  failure: {failure}");
    }
    assert!(
        tally.passed() >= FLOOR_REAL,
        "real-repository conformance dropped below the floor: {} < {FLOOR_REAL}",
        tally.passed()
    );
}
