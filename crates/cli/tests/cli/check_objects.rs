//! Tests of `unstuck check-objects`: output, exit codes, malformed input.

use std::path::Path;

use crate::support::{stderr, stdout, unstuck, unstuck_in};

const OLD: &str = "examples/check-objects/old.yaml";
const NEW: &str = "examples/check-objects/new.yaml";

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write a test file");
}

#[test]
fn example_pair_human_output() {
    let output = unstuck(&["check-objects", OLD, NEW]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    insta::assert_snapshot!("example_human", stdout(&output));
}

#[test]
fn example_pair_json_output() {
    let output = unstuck(&["check-objects", OLD, NEW, "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("valid JSON");
    assert_eq!(report["summary"]["error"], 2);
    assert_eq!(report["compared"], 4);
    let rules: Vec<&str> = report["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        ["deployment-selector", "statefulset-volume-claim-templates"]
    );
    insta::assert_json_snapshot!("example_json", report);
}

#[test]
fn identical_files_exit_zero() {
    let output = unstuck(&["check-objects", OLD, OLD]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!(stdout(&output), @"0 errors, 0 warnings, 0 info in 4 compared objects (mode git)");
}

#[test]
fn apply_mode_keeps_fields_missing_from_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "live.yaml", "apiVersion: batch/v1\nkind: Job\nmetadata: {name: migrate, uid: 0b1c}\nspec:\n  selector: {matchLabels: {batch.kubernetes.io/controller-uid: 0b1c}}\n  template:\n    metadata: {labels: {batch.kubernetes.io/controller-uid: 0b1c, job-name: migrate}}\n    spec: {restartPolicy: Never, containers: [{name: m, image: 'migrate:1', imagePullPolicy: IfNotPresent}]}\nstatus: {startTime: '2026-01-01T00:00:00Z'}\n");
    write(dir.path(), "git.yaml", "apiVersion: batch/v1\nkind: Job\nmetadata: {name: migrate}\nspec:\n  template:\n    spec: {restartPolicy: Never, containers: [{name: m, image: 'migrate:1'}]}\n");
    let apply = unstuck_in(
        dir.path(),
        &["check-objects", "live.yaml", "git.yaml", "--mode", "apply"],
    );
    assert_eq!(apply.status.code(), Some(0), "{}", stdout(&apply));
    // The same pair read as two git revisions: the selector was deleted from git.
    let git = unstuck_in(dir.path(), &["check-objects", "live.yaml", "git.yaml"]);
    assert_eq!(git.status.code(), Some(1));
    assert!(
        stdout(&git).contains("error[job-selector] Job.batch migrate"),
        "{}",
        stdout(&git)
    );
}

#[test]
fn server_version_decides_version_dependent_rules() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.yaml", "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec: {serviceName: db, revisionHistoryLimit: 10}\n");
    write(dir.path(), "b.yaml", "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec: {serviceName: db, revisionHistoryLimit: 3}\n");
    let old_server = unstuck_in(
        dir.path(),
        &[
            "check-objects",
            "a.yaml",
            "b.yaml",
            "--server-version",
            "1.31",
        ],
    );
    assert_eq!(old_server.status.code(), Some(1));
    let current = unstuck_in(
        dir.path(),
        &[
            "check-objects",
            "a.yaml",
            "b.yaml",
            "--server-version",
            "v1.35.2",
        ],
    );
    assert_eq!(current.status.code(), Some(0), "{}", stdout(&current));
    let unknown = unstuck_in(dir.path(), &["check-objects", "a.yaml", "b.yaml"]);
    assert_eq!(unknown.status.code(), Some(0));
    assert!(
        stdout(&unknown).starts_with("warning[statefulset-revision-history-limit]"),
        "{}",
        stdout(&unknown)
    );
}

#[test]
fn expandable_storage_class_accepts_pvc_growth() {
    let dir = tempfile::tempdir().unwrap();
    let pvc = |size: &str| {
        format!("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{name: data}}\nspec: {{storageClassName: fast, resources: {{requests: {{storage: {size}}}}}}}\nstatus: {{phase: Bound}}\n")
    };
    write(dir.path(), "a.yaml", &pvc("10Gi"));
    write(dir.path(), "b.yaml", &pvc("20Gi"));
    let unknown = unstuck_in(
        dir.path(),
        &["check-objects", "a.yaml", "b.yaml", "--mode", "apply"],
    );
    assert_eq!(unknown.status.code(), Some(0));
    assert!(
        stdout(&unknown).contains("warning[pvc-storage-expand]"),
        "{}",
        stdout(&unknown)
    );
    let known = unstuck_in(
        dir.path(),
        &[
            "check-objects",
            "a.yaml",
            "b.yaml",
            "--mode",
            "apply",
            "--expandable-storage-class",
            "fast",
        ],
    );
    assert_eq!(
        stdout(&known),
        "0 errors, 0 warnings, 0 info in 1 compared object (mode apply)\n"
    );
    let fixed = unstuck_in(
        dir.path(),
        &[
            "check-objects",
            "a.yaml",
            "b.yaml",
            "--mode",
            "apply",
            "--fixed-storage-class",
            "fast",
        ],
    );
    assert_eq!(fixed.status.code(), Some(1));
    assert!(
        stdout(&fixed).starts_with("error[pvc-storage-expand]"),
        "{}",
        stdout(&fixed)
    );
}

#[test]
fn allocated_node_port_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let svc = |port: u32| {
        format!("apiVersion: v1\nkind: Service\nmetadata: {{name: web}}\nspec: {{type: NodePort, ports: [{{name: http, port: 80, nodePort: {port}}}]}}\n")
    };
    write(dir.path(), "a.yaml", &svc(30080));
    write(dir.path(), "b.yaml", &svc(30443));
    let free = unstuck_in(dir.path(), &["check-objects", "a.yaml", "b.yaml"]);
    assert_eq!(free.status.code(), Some(0), "{}", stdout(&free));
    let taken = unstuck_in(
        dir.path(),
        &[
            "check-objects",
            "a.yaml",
            "b.yaml",
            "--allocated-node-port",
            "30443",
        ],
    );
    assert_eq!(taken.status.code(), Some(1));
    assert!(
        stdout(&taken).contains("provided port is already allocated"),
        "{}",
        stdout(&taken)
    );
}

#[test]
fn multi_object_files_pair_by_identity_and_note_created_and_pruned() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n");
    write(dir.path(), "b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: y}\n");
    let output = unstuck_in(dir.path(), &["check-objects", "a.yaml", "b.yaml"]);
    assert_eq!(output.status.code(), Some(0));
    insta::assert_snapshot!(stdout(&output), @r"
    note: ConfigMap c is new: it will be created
    note: ConfigMap b is gone: it will be pruned (deleted) if pruning is on
    0 errors, 0 warnings, 0 info in 1 compared object (mode git)
    ");
}

#[test]
fn single_objects_with_new_names_are_a_replacement() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\n",
    );
    write(
        dir.path(),
        "b.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-v2}\n",
    );
    let output = unstuck_in(dir.path(), &["check-objects", "a.yaml", "b.yaml"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(
        stdout(&output).starts_with("info[object-renamed] ConfigMap app-v2"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn user_rules_and_crd_transition_rules() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "rules.yaml", "rules:\n  - id: widget-size\n    group: example.com\n    kind: Widget\n    fields: [spec.size]\n    message: the size is fixed at creation\n");
    write(dir.path(), "crd.yaml", "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n  versions:\n    - name: v1\n      served: true\n      storage: true\n      schema:\n        openAPIV3Schema:\n          type: object\n          properties:\n            spec:\n              type: object\n              properties:\n                zone:\n                  type: string\n                  x-kubernetes-validations:\n                    - rule: self == oldSelf\n                      message: zone is immutable\n");
    write(
        dir.path(),
        "a.yaml",
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 1, zone: a}\n",
    );
    write(
        dir.path(),
        "b.yaml",
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 2, zone: b}\n",
    );
    let plain = unstuck_in(dir.path(), &["check-objects", "a.yaml", "b.yaml"]);
    assert_eq!(plain.status.code(), Some(0));
    let output = unstuck_in(
        dir.path(),
        &[
            "check-objects",
            "a.yaml",
            "b.yaml",
            "--rules",
            "rules.yaml",
            "--crd",
            "crd.yaml",
            "--format",
            "json",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let found: Vec<(&str, &str)> = report["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["rule"].as_str().unwrap(), v["apiError"].as_str().unwrap()))
        .collect();
    assert_eq!(
        found,
        [
            ("widget-size", "spec.size: the size is fixed at creation"),
            (
                "crd-transition-rule",
                "spec.zone: Invalid value: ...: zone is immutable"
            ),
        ]
    );
}

#[test]
fn malformed_yaml_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "good.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
    );
    write(dir.path(), "bad.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: [unclosed\n");
    let output = unstuck_in(dir.path(), &["check-objects", "good.yaml", "bad.yaml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).is_empty());
    let err = stderr(&output);
    assert!(err.starts_with("error: bad.yaml:7:"), "{err}");
    assert!(err.contains("invalid YAML"), "{err}");
}

#[test]
fn documents_that_are_not_objects_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "good.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
    );
    write(dir.path(), "list.yaml", "- a\n- b\n");
    write(dir.path(), "nokind.yaml", "# comment\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nmetadata: {name: b}\n");
    write(dir.path(), "empty.yaml", "# nothing here\n");
    let cases = [
        (
            "list.yaml",
            "error: list.yaml:1: expected a Kubernetes object (a mapping), found a list",
        ),
        (
            "nokind.yaml",
            "error: nokind.yaml:6: the object has no kind",
        ),
        (
            "empty.yaml",
            "error: empty.yaml: no Kubernetes object in the file",
        ),
        ("missing.yaml", "error: cannot read missing.yaml"),
    ];
    for (file, expected) in cases {
        let output = unstuck_in(dir.path(), &["check-objects", "good.yaml", file]);
        assert_eq!(output.status.code(), Some(2), "{file}");
        assert!(
            stderr(&output).starts_with(expected),
            "{file}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn bad_usage_exits_two() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
    );
    write(
        dir.path(),
        "rules.yaml",
        "rules:\n  - id: x\n    kind: W\n    fields: ['spec.a[0]']\n",
    );
    let cases: [&[&str]; 4] = [
        &["check-objects", "a.yaml"],
        &["check-objects", "a.yaml", "a.yaml", "--mode", "live"],
        &[
            "check-objects",
            "a.yaml",
            "a.yaml",
            "--server-version",
            "latest",
        ],
        &["check-objects", "a.yaml", "a.yaml", "--rules", "rules.yaml"],
    ];
    for args in cases {
        let output = unstuck_in(dir.path(), args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    let output = unstuck_in(
        dir.path(),
        &["check-objects", "a.yaml", "a.yaml", "--rules", "rules.yaml"],
    );
    assert!(
        stderr(&output).starts_with("error: rules.yaml:4: rule \"x\""),
        "{}",
        stderr(&output)
    );
    let output = unstuck_in(
        dir.path(),
        &["check-objects", "a.yaml", "a.yaml", "--crd", "a.yaml"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("a.yaml:1: cannot use this document as a CRD"),
        "{}",
        stderr(&output)
    );
}
