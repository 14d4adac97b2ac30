//! The integration files stay in step with the binary: the pre-commit hooks, the example
//! GitHub Actions workflow and the docs page of `validate` and `check`.

use std::fs;

use serde_yaml_ng::Value;

use crate::support::{stdout, unstuck, workspace_root};

fn yaml(path: &str) -> Value {
    let text = fs::read_to_string(workspace_root().join(path)).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

#[test]
fn pre_commit_hooks_run_validate_and_staged_check_on_the_whole_repository() {
    let hooks = yaml(".pre-commit-hooks.yaml");
    let hooks = hooks.as_sequence().unwrap();
    let entry = |id: &str| {
        let hook = hooks
            .iter()
            .find(|h| h["id"].as_str() == Some(id))
            .unwrap_or_else(|| panic!("no hook {id}"));
        // The commands read the whole repository, never pre-commit's file list.
        assert_eq!(hook["pass_filenames"].as_bool(), Some(false), "{id}");
        assert!(hook["files"].as_str().is_some(), "{id}");
        (
            hook["language"].as_str().unwrap().to_owned(),
            hook["entry"].as_str().unwrap().to_owned(),
        )
    };
    assert_eq!(
        entry("unstuck-validate"),
        ("rust".to_owned(), "unstuck-hook validate".to_owned())
    );
    assert_eq!(
        entry("unstuck-check"),
        ("rust".to_owned(), "unstuck-hook check --staged".to_owned())
    );
    assert_eq!(entry("unstuck-check-system").1, "unstuck check --staged");
    assert_eq!(entry("unstuck-validate-system").1, "unstuck validate");
    // `language: rust` runs `cargo install --path .` at the root: the root must be a package
    // whose binary is the hooks' entry, running the same command line.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let metadata = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--offline",
            "--format-version",
            "1",
        ])
        .current_dir(workspace_root())
        .output()
        .unwrap();
    assert!(
        metadata.status.success(),
        "{}",
        String::from_utf8_lossy(&metadata.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&metadata.stdout).unwrap();
    let root = workspace_root().join("Cargo.toml").canonicalize().unwrap();
    let package = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["manifest_path"].as_str().map(std::path::Path::new) == Some(root.as_path()))
        .expect("the workspace root is a package");
    let binaries: Vec<&str> = package["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(binaries, ["unstuck-hook"]);
    let dependencies: Vec<&str> = package["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    // The command line and, by default, the same allocator as the `unstuck` binary.
    assert_eq!(dependencies, ["mimalloc", "unstuck"]);
    assert_eq!(
        package["features"]["default"],
        serde_json::json!(["mimalloc"])
    );
    // And the arguments they pass are accepted.
    for args in [["validate", "--help"], ["check", "--help"]] {
        assert_eq!(unstuck(&args).status.code(), Some(0));
    }
    assert!(stdout(&unstuck(&["check", "--help"])).contains("--staged"));
}

#[test]
fn example_workflow_uploads_sarif_and_has_history_for_check() {
    let workflow = yaml("examples/ci/unstuck.yml");
    let jobs = workflow["jobs"].as_mapping().unwrap();
    let mut runs = Vec::new();
    let mut uploads = Vec::new();
    for (_, job) in jobs {
        for step in job["steps"].as_sequence().unwrap() {
            let uses = step["uses"].as_str().unwrap_or("");
            if uses.starts_with("actions/checkout@") {
                // `check` compares HEAD~1 with HEAD: two commits at least.
                let depth = step["with"]["fetch-depth"].as_u64().unwrap();
                assert!(depth == 0 || depth >= 2, "fetch-depth {depth}");
            }
            if uses.starts_with("github/codeql-action/upload-sarif@") {
                uploads.push(step["with"]["sarif_file"].as_str().unwrap().to_owned());
            }
            if let Some(run) = step["run"].as_str() {
                runs.push(run.to_owned());
            }
        }
    }
    assert_eq!(uploads, ["unstuck-validate.sarif", "unstuck-check.sarif"]);
    for expected in [
        "unstuck validate --format sarif . > unstuck-validate.sarif",
        "unstuck check --format sarif . > unstuck-check.sarif",
        "unstuck validate --format github .",
        "unstuck check --format github .",
    ] {
        assert!(
            runs.iter().any(|r| r == expected),
            "no step runs {expected}"
        );
    }
}

#[test]
fn docs_page_lists_every_json_key_and_format() {
    let page = fs::read_to_string(workspace_root().join("docs/validate-and-check.md")).unwrap();
    let output = unstuck(&[
        "check",
        "--format",
        "json",
        "--base-dir",
        "examples/gitops/before",
        "--head-dir",
        "examples/gitops/after",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut keys: Vec<&String> = report.as_object().unwrap().keys().collect();
    keys.extend(report["violations"][0].as_object().unwrap().keys());
    for key in keys {
        // In the key tables: `violations[].rule`, or `kind` after a comma, or `build_failures[]`.
        let documented = [format!("`{key}`"), format!(".{key}`"), format!("`{key}[]")]
            .iter()
            .any(|form| page.contains(form.as_str()));
        assert!(
            documented,
            "docs/validate-and-check.md does not document `{key}`"
        );
    }
    for format in ["### `human`", "### `json`", "### `sarif`", "### `github`"] {
        assert!(page.contains(format), "no section {format}");
    }
}
