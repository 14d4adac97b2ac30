//! Tests of `unstuck triage`.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};

use crate::support::{stderr, stdout, workspace_root};

/// Run `unstuck triage ARGS` with `input` on stdin and a fixed clock.
pub(crate) fn triage(input: &str, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_unstuck"))
        .arg("triage")
        .args(["--now", "2026-11-26T10:00:00Z"])
        .args(args)
        .current_dir(workspace_root())
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the unstuck binary runs");
    // The binary may exit before reading (a bad --now); a closed pipe is not the test's concern.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    child.wait_with_output().unwrap()
}

fn condition(kind: &str, status: &str, reason: &str, message: &str, since: &str) -> Value {
    json!({"type": kind, "status": status, "reason": reason, "message": message, "lastTransitionTime": since, "observedGeneration": 3})
}

// `json!` only borrows, but owned arguments keep the fixture readable.
#[allow(clippy::needless_pass_by_value)]
fn kustomization(
    namespace: &str,
    name: &str,
    spec: Value,
    conditions: Vec<Value>,
    inventory: &[&str],
) -> Value {
    let entries: Vec<Value> = inventory
        .iter()
        .map(|id| json!({"id": id, "v": "v1"}))
        .collect();
    json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
        "status": {"conditions": conditions, "inventory": {"entries": entries}}
    })
}

#[allow(clippy::needless_pass_by_value)]
fn helm_release(namespace: &str, name: &str, spec: Value, status: Value) -> Value {
    json!({
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
        "status": status
    })
}

/// A cluster with one of each common way to be stuck, as `kubectl get … -A -o json` prints it.
pub(crate) fn cluster() -> Value {
    let git = |name: &str| json!({"interval": "10m", "path": format!("./{name}"), "prune": true, "sourceRef": {"kind": "GitRepository", "name": "flux-system"}});
    let chart = json!({"chart": {"spec": {"chart": "grafana", "sourceRef": {"kind": "HelmRepository", "name": "grafana", "namespace": "flux-system"}}}});
    let mut web = kustomization(
        "team-a",
        "web",
        json!({"suspend": true, "path": "./web", "sourceRef": {"kind": "GitRepository", "name": "web"}}),
        vec![condition(
            "Ready",
            "False",
            "ArtifactFailed",
            "Source 'GitRepository/team-a/web' not found",
            "2026-11-26T09:59:15Z",
        )],
        &[],
    );
    web["spec"]["interval"] = json!("5m");
    let items = vec![
            kustomization("flux-system", "apps", git("apps/prod"), vec![
                condition("Ready", "False", "ReconciliationFailed", r#"DaemonSet/jhub/eosfuse dry-run failed, reason: Invalid: DaemonSet.apps "eosfuse" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"eosfuse"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"#, "2026-11-26T07:47:00Z"),
                condition("Reconciling", "True", "ProgressingWithRetry", "Detecting drift", "2026-11-26T07:47:00Z"),
            ], &["jhub_eosfuse_apps_DaemonSet"]),
            kustomization("flux-system", "infra", git("infra"), vec![
                condition("Ready", "True", "ReconciliationSucceeded", "Applied revision: main@sha1:4f1c2b7d", "2026-11-26T09:00:00Z"),
            ], &[]),
            kustomization("flux-system", "monitoring", git("monitoring"), vec![
                condition("Ready", "False", "DependencyNotReady", "dependency 'flux-system/infra-controllers' is not ready", "2026-11-26T09:55:00Z"),
            ], &[]),
            kustomization("flux-system", "broken", git("clusters/prod"), vec![
                condition("Ready", "False", "BuildFailed", "kustomize build failed: accumulating resources: accumulation err='accumulating resources from '../../base/infrastructure': read /tmp/kustomization-1762639108/kubernetes/base/infrastructure: is a directory'", "2026-11-25T09:00:00Z"),
            ], &[]),
            kustomization("team-b", "api", git("api"), vec![
                condition("Ready", "False", "ReconciliationFailed", r#"StatefulSet.apps "db" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"#, "2026-11-26T09:40:00Z"),
            ], &["team-b_db_apps_StatefulSet", "team-b_db_v1_Service"]),
            web,
            kustomization("flux-system", "tenants", git("tenants"), vec![
                condition("Ready", "Unknown", "Progressing", "Reconciliation in progress", "2026-11-26T09:59:58Z"),
            ], &[]),
            helm_release("monitoring", "grafana", chart.clone(), json!({
                "storageNamespace": "monitoring",
                "history": [{"name": "grafana", "namespace": "monitoring", "version": 7, "status": "failed"}],
                "conditions": [condition("Ready", "False", "UpgradeFailed", r#"Upgrade "grafana" failed: cannot patch "grafana" with kind PersistentVolumeClaim: PersistentVolumeClaim "grafana" is invalid: spec: Forbidden: is immutable after creation except resources.requests for bound claims"#, "2026-11-26T08:00:00Z")]
            })),
            helm_release("podinfo", "podinfo", json!({"targetNamespace": "web", "chart": {"spec": {"chart": "podinfo", "sourceRef": {"kind": "HelmRepository", "name": "podinfo"}}}}), json!({
                "conditions": [condition("Ready", "False", "UpgradeFailed", "Helm upgrade failed: another operation (install/upgrade/rollback) is in progress", "2026-11-26T09:30:00Z")]
            })),
            helm_release("db", "postgres", chart, json!({
                "conditions": [
                    condition("Ready", "False", "UpgradeFailed", "Helm upgrade failed for release db/postgres with chart postgresql@15.5.0: timed out waiting for the condition", "2026-11-26T06:00:00Z"),
                    condition("Stalled", "True", "RetriesExceeded", "Failed to upgrade after 3 attempt(s)", "2026-11-26T06:30:00Z"),
                ]
            })),
            json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "metadata": {"name": "fresh", "namespace": "apps"}, "spec": {}}),
    ];
    json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items})
}

#[test]
fn human_report_of_a_stuck_cluster() {
    let output = triage(&cluster().to_string(), &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    insta::assert_snapshot!("triage_human", stdout(&output));
}

#[test]
fn json_report_of_a_stuck_cluster() {
    let output = triage(&cluster().to_string(), &["--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let reports: Value = serde_json::from_str(&stdout(&output)).expect("valid JSON");
    insta::assert_json_snapshot!("triage_json", reports);
    let first = &reports[0];
    assert_eq!(first["name"], "broken", "longest-stuck first");
    assert_eq!(first["not_ready_seconds"], 25 * 3600);
}

#[test]
fn every_not_ready_object_is_reported_once_and_ready_ones_never() {
    let output = triage(&cluster().to_string(), &["--format", "json"]);
    let reports: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let mut names: Vec<&str> = reports
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "api",
            "apps",
            "broken",
            "fresh",
            "grafana",
            "monitoring",
            "podinfo",
            "postgres",
            "tenants",
            "web"
        ]
    );
    let by_name = |name: &str| {
        reports
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(
        by_name("postgres")["classification"]["action"],
        "reset_helm_release",
        "Stalled wins over Ready"
    );
    assert_eq!(
        by_name("api")["next_step"]["commands"][1],
        "kubectl delete statefulset db -n team-b --cascade=orphan"
    );
    assert_eq!(
        by_name("web")["next_step"]["commands"][0],
        "flux resume kustomization web -n team-a"
    );
    assert_eq!(by_name("tenants")["classification"], Value::Null);
    assert_eq!(by_name("fresh")["ready"], "missing");
}

#[test]
fn all_ready_exits_zero() {
    let list = json!({"kind": "List", "items": [kustomization("flux-system", "infra", json!({}), vec![
        condition("Ready", "True", "ReconciliationSucceeded", "Applied revision: main@sha1:4f1c2b7d", "2026-11-26T09:00:00Z"),
    ], &[])]});
    let output = triage(&list.to_string(), &[]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), "all 1 objects are Ready\n");
}

#[test]
fn reads_yaml_and_a_file_and_applies_a_pattern_file() {
    let object = kustomization(
        "flux-system",
        "quota",
        json!({}),
        vec![condition(
            "Ready",
            "False",
            "ReconciliationFailed",
            r#"Deployment/team/web dry-run failed (Forbidden): pods "web" is forbidden: exceeded quota: compute"#,
            "2026-11-26T09:00:00Z",
        )],
        &[],
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("list.yaml");
    std::fs::write(&path, serde_yaml_ng::to_string(&object).unwrap()).unwrap();
    let output = triage(
        "",
        &[
            "--file",
            path.to_str().unwrap(),
            "--config",
            "examples/recovery-patterns.yaml",
            "--format",
            "json",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let reports: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(reports[0]["classification"]["action"], "page_oncall");
    assert_eq!(reports[0]["classification"]["target"]["name"], "web");
}

#[test]
fn bad_input_is_a_usage_error() {
    let output = triage("this is not json", &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).starts_with("error: standard input is not a kubectl object list"),
        "{}",
        stderr(&output)
    );
    let output = triage("{\"items\": 3}", &[]);
    assert_eq!(output.status.code(), Some(2));
    let output = triage("{}", &["--now", "yesterday"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--now"), "{}", stderr(&output));
}

#[test]
fn a_failure_no_pattern_matches_is_unknown_not_silent() {
    let object = helm_release(
        "apps",
        "web",
        json!({"chart": {"spec": {"chart": "web"}}}),
        json!({"conditions": [condition("Ready", "False", "StateError", "Could not determine release state: release: not found", "2026-11-26T09:00:00Z")]}),
    );
    let output = triage(&object.to_string(), &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("pattern: unknown (a failure no pattern matched; severity medium)"),
        "{text}"
    );
    assert!(
        text.contains("next:    no pattern matched this failure: investigate"),
        "{text}"
    );
}

#[cfg(not(feature = "cluster"))]
#[test]
fn without_the_cluster_feature_reading_the_cluster_says_to_pipe_kubectl() {
    let output = triage("", &["--from-cluster"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("without the `cluster` feature"),
        "{message}"
    );
    assert!(message.contains("-A -o json | unstuck triage"), "{message}");
}
