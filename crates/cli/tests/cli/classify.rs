//! Tests of `unstuck classify`.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::support::{stderr, stdout, unstuck, unstuck_in, workspace_root};

const DAEMONSET: &str = r#"DaemonSet/jhub/eosfuse dry-run failed, reason: Invalid: DaemonSet.apps "eosfuse" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"eosfuse"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"#;

#[test]
fn human_output_names_pattern_action_and_target() {
    let output = unstuck(&["classify", DAEMONSET, "Reconciliation in progress"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!(stdout(&output), @r#"
    message:  DaemonSet/jhub/eosfuse dry-run failed, reason: Invalid: DaemonSet.apps "eosfuse" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"eosfuse"}, MatchExpress … (60 more bytes)
    pattern:  field-immutable
    action:   recreate_resource (severity high)
    why:      The API server refused to change an immutable field (ValidateImmutableField).
    target:   DaemonSet/jhub/eosfuse, field spec.selector

    message:  Reconciliation in progress
    pattern:  none matched (not a failure)
    "#);
}

#[test]
fn json_output_has_exactly_the_documented_keys() {
    let output = unstuck(&[
        "classify",
        "--format",
        "json",
        DAEMONSET,
        "Applied revision: main@sha1:4f1c2b7d",
        "upgrade retries exhausted",
        "Could not determine release state: release: not found",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let lines: Vec<Value> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(
        lines,
        [
            serde_json::json!({"verdict": "known", "pattern": "field-immutable", "action": "recreate_resource", "severity": "high", "next_step": null,
                "target": {"kind": "DaemonSet", "namespace": "jhub", "name": "eosfuse", "field": "spec.selector"}}),
            serde_json::json!({"verdict": "not_a_failure", "pattern": null, "action": null, "severity": null, "next_step": null, "target": null}),
            serde_json::json!({"verdict": "known", "pattern": "helm-retries-exhausted", "action": "reset_helm_release", "severity": "critical", "next_step": null, "target": null}),
            serde_json::json!({"verdict": "unknown", "pattern": "unknown", "action": null, "severity": "medium", "next_step": "investigate", "target": null}),
        ]
    );
}

#[test]
fn carrier_kind_names_dependency_targets() {
    let output = unstuck(&[
        "classify",
        "--format",
        "json",
        "--kind",
        "HelmRelease",
        "dependency 'flux-system/cert-manager' is not ready",
    ]);
    let result: Value = serde_json::from_str(stdout(&output).trim()).unwrap();
    assert_eq!(result["action"], "wait_for_dependencies");
    assert_eq!(result["target"]["kind"], "HelmRelease");
    assert_eq!(result["target"]["name"], "cert-manager");
}

#[test]
fn reads_messages_from_stdin_one_per_line() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_unstuck"))
        .args(["classify", "--stdin", "--format", "json"])
        .current_dir(workspace_root())
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Helm upgrade failed: another operation (install/upgrade/rollback) is in progress\n\nclient rate limiter Wait returned an error: context deadline exceeded\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let actions: Vec<String> = stdout(&output)
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["action"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(actions, ["unlock_helm_release", "request_reconcile"]);
}

#[test]
fn config_is_merged_over_builtins_or_used_alone() {
    let quota = r#"pods "x" is forbidden: exceeded quota: compute"#;
    let merged = unstuck(&[
        "classify",
        "--format",
        "json",
        "--config",
        "examples/recovery-patterns.yaml",
        quota,
        "upgrade retries exhausted",
    ]);
    assert_eq!(merged.status.code(), Some(0), "{}", stderr(&merged));
    let actions: Vec<Value> = stdout(&merged)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["action"].clone())
        .collect();
    assert_eq!(actions, ["page_oncall", "reset_helm_release"]);
    let alone = unstuck(&[
        "classify",
        "--format",
        "json",
        "--no-builtin",
        "--config",
        "examples/recovery-patterns.yaml",
        "upgrade retries exhausted",
    ]);
    assert_eq!(
        serde_json::from_str::<Value>(stdout(&alone).trim()).unwrap()["action"],
        Value::Null
    );
}

#[test]
fn invalid_config_reports_file_line_and_entry() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("patterns.yaml"),
        "patterns:\n  - name: quota\n    error_pattern: 'exceeded (quota'\n    recovery_action: request_reconcile\n",
    )
    .unwrap();
    let output = unstuck_in(dir.path(), &["classify", "--config", "patterns.yaml", "x"]);
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!(stderr(&output), @"error: invalid pattern file patterns.yaml: line 3: pattern `quota`: `error_pattern` is not a valid regex (at column 10 of the regex): unclosed group");
}

#[test]
fn no_message_is_a_usage_error() {
    let output = unstuck(&["classify"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no message to classify"),
        "{}",
        stderr(&output)
    );
    let missing = unstuck(&["classify", "--config", "does-not-exist.yaml", "x"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("cannot read pattern file does-not-exist.yaml"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn list_prints_patterns_in_match_order() {
    let output = unstuck(&["classify", "--list", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let entries: Vec<Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(entries.len() > 30);
    assert_eq!(entries[0]["name"], "namespace-terminating");
    let priorities: Vec<i64> = entries
        .iter()
        .map(|e| e["priority"].as_i64().unwrap())
        .collect();
    assert!(priorities.windows(2).all(|w| w[0] >= w[1]));
    let merged = unstuck(&[
        "classify",
        "--list",
        "--config",
        "examples/recovery-patterns.yaml",
    ]);
    let first = stdout(&merged).lines().next().unwrap().to_owned();
    // User patterns (priority 100) come first, the most specific regex leading.
    assert!(first.starts_with("job-template-changed"), "{first}");
}

#[test]
fn unmatched_failures_get_the_unknown_default_and_multi_line_messages_their_line() {
    let hooks = "Helm upgrade failed for release apps/web with chart web@2.0.0: pre-upgrade hooks failed: 1 error occurred:\n\t* timed out waiting for the condition\n";
    let output = unstuck(&[
        "classify",
        "--kind",
        "HelmRelease",
        "Could not determine release state: release: not found",
        hooks,
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!(stdout(&output), @r"
    message:  Could not determine release state: release: not found
    pattern:  unknown (a failure no pattern matched)
    action:   none; investigate (severity medium)
    why:      read the object's events and full status; if it recurs, add a pattern with --config

    message:  Helm upgrade failed for release apps/web with chart web@2.0.0: pre-upgrade hooks failed: 1 error occurred: 	* timed out waiting for the condition
    line:     * timed out waiting for the condition
    pattern:  timed-out-waiting
    action:   request_reconcile (severity medium)
    why:      Helm or kubectl waited for readiness and gave up.
    ");
}
