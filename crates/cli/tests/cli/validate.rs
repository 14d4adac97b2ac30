//! Tests of `unstuck validate`.

use std::fs;
use std::path::Path;

use crate::support::{stdout, unstuck_in};

fn write(root: &Path, path: &str, content: &str) {
    let path = root.join(path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}

const CONFIG_MAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n";

/// A repository with a base, an overlay, a broken overlay, and an ignored broken directory.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "apps/base/kustomization.yaml",
        "resources: [cm.yaml]\n",
    );
    write(root, "apps/base/cm.yaml", CONFIG_MAP);
    write(
        root,
        "apps/prod/kustomization.yaml",
        "namePrefix: prod-\nresources: [../base]\n",
    );
    write(
        root,
        "apps/broken/kustomization.yml",
        "resources: [missing.yaml]\n",
    );
    write(root, ".gitignore", "scratch/\n");
    write(
        root,
        "scratch/kustomization.yaml",
        "resources: [nothing-here.yaml]\n",
    );
    dir
}

#[test]
fn reports_each_failing_directory_and_exits_1() {
    let repo = repository();
    let output = unstuck_in(repo.path(), &["validate", "--format", "json", "."]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let results = report["results"].as_array().unwrap();
    let summary: Vec<(&str, bool)> = results
        .iter()
        .map(|r| (r["path"].as_str().unwrap(), r["ok"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        summary,
        [
            ("apps/base", true),
            ("apps/broken", false),
            ("apps/prod", true)
        ]
    );
    let error = results[1]["error"].as_str().unwrap();
    assert!(error.contains("missing.yaml"), "{error}");
    assert!(results[0]["error"].is_null());
}

#[test]
fn human_output_names_the_failure_and_counts() {
    let repo = repository();
    let output = unstuck_in(repo.path(), &["validate"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.starts_with("FAIL apps/broken\n"), "{text}");
    assert!(
        text.ends_with("2 of 3 kustomization directories built, 1 failed\n"),
        "{text}"
    );
}

#[test]
fn exits_0_when_everything_builds() {
    let repo = repository();
    fs::remove_dir_all(repo.path().join("apps/broken")).unwrap();
    let output = unstuck_in(repo.path(), &["validate", "apps"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(
        stdout(&output),
        "2 of 2 kustomization directories built, 0 failed\n"
    );
}

#[test]
fn a_missing_path_is_a_usage_error() {
    let repo = repository();
    let output = unstuck_in(repo.path(), &["validate", "no/such/dir"]);
    assert_eq!(output.status.code(), Some(2));
}
