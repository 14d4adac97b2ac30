//! `check` builds the base revision once, keeping every nested kustomization's result with the
//! questions that produced it, and the head reuses those results where its tree answers the
//! same. A change anywhere below a shared base must still reach every unit over it.

use std::path::Path;

use gitops_repo::{compare, NoProgress, RenderOptions, Snapshot};
use kustomize_build::fs::MemFs;

fn deployment(app: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels:\n      app: {app}\n  template:\n    metadata:\n      labels:\n        app: {app}\n"
    )
}

/// `base` ← `dev`, `prod` ← `all` (over both overlays), so `base` is shared three levels
/// deep, and `dev` is both a unit and a part of `all`.
fn tree() -> MemFs {
    let mut fs = MemFs::new();
    fs.add_file("/r/base/kustomization.yaml", "resources: [web.yaml]\n");
    fs.add_file("/r/base/web.yaml", deployment("web"));
    for env in ["dev", "prod"] {
        fs.add_file(
            format!("/r/{env}/kustomization.yaml"),
            format!("namespace: {env}\nresources: [../base]\n"),
        );
    }
    fs.add_file(
        "/r/all/kustomization.yaml",
        "resources: [../dev, ../prod]\n",
    );
    fs
}

/// The units each selector violation of `base → head` is reported in, sorted.
fn reported_in(base: MemFs, head: MemFs) -> Vec<Vec<String>> {
    let root = Path::new("/r");
    let report = compare(
        &Snapshot::new("base", Box::new(base), root, root),
        &Snapshot::new("head", Box::new(head), root, root),
        &RenderOptions::new(),
        &NoProgress,
    )
    .unwrap();
    let mut found: Vec<Vec<String>> = report
        .violations
        .iter()
        .filter(|v| v.finding.violation.rule == "deployment-selector")
        .map(|v| {
            let mut dirs = v.finding.dirs.clone();
            dirs.sort();
            dirs
        })
        .collect();
    found.sort();
    found
}

#[test]
fn a_changed_file_of_the_shared_base_reaches_every_unit_over_it() {
    let mut head = tree();
    head.add_file("/r/base/web.yaml", deployment("shop"));
    assert_eq!(
        reported_in(tree(), head),
        [vec!["all", "dev"], vec!["all", "prod"], vec!["base"]]
    );
}

#[test]
fn a_changed_kustomization_file_of_a_nested_overlay_reaches_the_unit_over_it() {
    // Only dev's own kustomization file changes: the head must not take dev's earlier result
    // for `all` from the base revision's kept builds.
    let mut head = tree();
    head.add_file(
        "/r/dev/kustomization.yaml",
        "namespace: dev\nresources: [../base]\ncommonLabels: {app: shop}\n",
    );
    assert_eq!(reported_in(tree(), head), [vec!["all", "dev"]]);
}

#[test]
fn an_unchanged_tree_reports_nothing() {
    assert!(reported_in(tree(), tree()).is_empty());
}
