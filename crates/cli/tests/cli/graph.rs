//! Tests of `unstuck graph`: the bundled example in every format, and a repository whose
//! dependencies Flux can never satisfy.

use std::fs;

use crate::support::{stderr, stdout, unstuck, unstuck_in};

#[test]
fn bundled_example_dot() {
    let output = unstuck(&["graph", "examples/gitops/after"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn bundled_example_mermaid() {
    let output = unstuck(&["graph", "examples/gitops/after", "--format", "mermaid"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn bundled_example_json() {
    let output = unstuck(&["graph", "examples/gitops/after", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn cycles_and_missing_dependencies_fail_and_are_marked() {
    let dir = tempfile::tempdir().unwrap();
    let ks = |name: &str, dep: &str| {
        format!(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  dependsOn:\n  - name: {dep}\n  path: ./{name}\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
        )
    };
    fs::write(dir.path().join("a.yaml"), ks("a", "b")).unwrap();
    fs::write(dir.path().join("b.yaml"), ks("b", "a")).unwrap();
    fs::write(dir.path().join("c.yaml"), ks("c", "gone")).unwrap();
    let output = unstuck_in(dir.path(), &["graph", ".", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let graph: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let problems: Vec<&str> = graph["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert_eq!(problems, ["missing-dependency", "dependency-cycle"]);
    let dot = stdout(&unstuck_in(dir.path(), &["graph", "."]));
    assert!(dot.contains("color=red"), "{dot}");
    assert!(
        dot.contains("// dependency-cycle: flux-system/a → flux-system/b → flux-system/a"),
        "{dot}"
    );
}
