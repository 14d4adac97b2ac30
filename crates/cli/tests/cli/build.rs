//! Tests of `unstuck build`.

use std::path::Path;

use crate::support::{stderr, stdout, unstuck, unstuck_in};

fn write(dir: &Path, name: &str, content: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

#[test]
fn prints_the_built_objects_like_kubectl() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app/kustomization.yaml",
        "namePrefix: p-\nresources: [cm.yaml]\n",
    );
    write(
        dir.path(),
        "app/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: v\n",
    );
    let output = unstuck_in(dir.path(), &["build", "app"]);
    assert!(output.status.success(), "{}", stderr(&output));
    insta::assert_snapshot!(stdout(&output), @r"
    apiVersion: v1
    data:
      k: v
    kind: ConfigMap
    metadata:
      name: p-c
    ");
}

#[test]
fn writes_to_a_file_with_dash_o_and_prints_deprecation_warnings() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "base/kustomization.yaml",
        "resources: [cm.yaml]\n",
    );
    write(
        dir.path(),
        "base/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
    );
    write(
        dir.path(),
        "overlay/kustomization.yaml",
        "bases: [../base]\n",
    );
    let output = unstuck_in(dir.path(), &["build", "overlay", "-o", "out.yaml"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "");
    insta::assert_snapshot!(stderr(&output), @"# Warning: 'bases' is deprecated. Please use 'resources' instead. Run 'kustomize edit fix' to update your Kustomization automatically.");
    let written = std::fs::read_to_string(dir.path().join("out.yaml")).unwrap();
    assert!(written.contains("name: c"), "{written}");
}

#[test]
fn load_restrictor_none_allows_files_outside_the_root() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app/kustomization.yaml",
        "resources: [../cm.yaml]\n",
    );
    write(
        dir.path(),
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n",
    );
    let refused = unstuck_in(dir.path(), &["build", "app"]);
    assert_eq!(refused.status.code(), Some(1));
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let message = stderr(&refused).replace(&root.display().to_string(), "[TMP]");
    insta::assert_snapshot!(message, @"error: accumulating resources: accumulating resources from '../cm.yaml': security; file '[TMP]/cm.yaml' is not in or below '[TMP]/app' (use --load-restrictor LoadRestrictionsNone to allow it)");
    let allowed = unstuck_in(
        dir.path(),
        &["build", "app", "--load-restrictor", "LoadRestrictionsNone"],
    );
    assert!(allowed.status.success(), "{}", stderr(&allowed));
    assert!(stdout(&allowed).contains("name: shared"));
}

#[test]
fn a_broken_build_exits_1_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "kustomization.yaml",
        "resources: [missing.yaml]\n",
    );
    let output = unstuck_in(dir.path(), &["build", "."]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "");
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let message = stderr(&output).replace(&root.display().to_string(), "[TMP]");
    insta::assert_snapshot!(message, @"error: accumulating resources: '[TMP]/missing.yaml' is neither a file nor a kustomization directory: no such file or directory");
}

#[test]
fn a_bad_restrictor_value_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = unstuck_in(
        dir.path(),
        &["build", ".", "--load-restrictor", "Sometimes"],
    );
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn help_names_the_load_restrictor_values() {
    let output = unstuck(&["build", "--help"]);
    assert!(output.status.success());
    let help = stdout(&output);
    assert!(
        help.contains("LoadRestrictionsRootOnly") && help.contains("LoadRestrictionsNone"),
        "{help}"
    );
}
