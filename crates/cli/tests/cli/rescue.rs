//! `unstuck rescue` end to end against a fake API server: each command on stuck and on healthy
//! objects, the exact requests, no write to anything healthy, backups before writes.

use std::path::Path;
use std::process::Output;

use serde_json::{json, Value};

use crate::fake_api::FakeApi;
use crate::support::{stderr, stdout, unstuck_in};

const DELETED: &str = "2026-01-01T00:00:00Z";

pub(crate) fn namespace(name: &str, terminating: bool) -> Value {
    let mut ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name},
        "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}});
    if terminating {
        ns["metadata"]["deletionTimestamp"] = json!(DELETED);
        ns["status"] = json!({"phase": "Terminating", "conditions": [{"type": "NamespaceContentRemaining",
            "status": "True", "message": "Some resources are remaining: configmaps. has 1 resource instances"}]});
    }
    ns
}

pub(crate) fn configmap(ns: &str, name: &str, finalizers: &[&str], deleting: bool) -> Value {
    let mut cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns, "uid": format!("uid-{name}")}, "data": {"k": "v"}});
    if !finalizers.is_empty() {
        cm["metadata"]["finalizers"] = json!(finalizers);
    }
    if deleting {
        cm["metadata"]["deletionTimestamp"] = json!(DELETED);
    }
    cm
}

pub(crate) fn helm_secret(release: &str, version: u64, status: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1",
        "metadata": {"name": format!("sh.helm.release.v1.{release}.v{version}"), "namespace": "apps",
            "uid": format!("uid-{release}-{version}"),
            "labels": {"owner": "helm", "name": release, "version": version.to_string(), "status": status}},
        "data": {"release": "SDRzSQ=="}})
}

pub(crate) fn kustomization(name: &str, ready: bool, suspended: bool) -> Value {
    let condition = if ready {
        json!({"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded", "lastTransitionTime": DELETED})
    } else {
        json!({"type": "Ready", "status": "False", "reason": "ReconciliationFailed", "lastTransitionTime": DELETED,
            "message": "Deployment/apps/web dry-run failed (Invalid): Deployment.apps \"web\" is invalid: spec.selector: Invalid value: v1.LabelSelector{}: field is immutable"})
    };
    json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
        "metadata": {"name": name, "namespace": "flux-system", "uid": format!("uid-{name}")},
        "spec": {"suspend": suspended, "sourceRef": {"kind": "GitRepository", "name": "flux-system"}, "path": "./apps"},
        "status": {"conditions": [condition],
            "inventory": {"entries": [{"id": "apps_settings__ConfigMap", "v": "v1"}]}}})
}

pub(crate) fn helm_release(name: &str) -> Value {
    json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
        "metadata": {"name": name, "namespace": "apps"},
        "spec": {"chart": {"spec": {"chart": name, "sourceRef": {"kind": "HelmRepository", "name": "charts"}}}},
        "status": {"conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": DELETED}]}})
}

pub(crate) fn git_repository() -> Value {
    json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
        "metadata": {"name": "flux-system", "namespace": "flux-system"}, "spec": {"url": "https://example.com/repo"},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]}})
}

/// A cluster with one of everything stuck and the same kinds healthy.
pub(crate) fn cluster() -> Vec<Value> {
    vec![
        namespace("apps", false),
        namespace("flux-system", false),
        namespace("old", true),
        configmap("old", "held", &["example.com/hold"], true),
        configmap("apps", "settings", &[], false),
        configmap("apps", "protected", &["example.com/keep"], false),
        helm_secret("web", 1, "deployed"),
        helm_secret("web", 2, "pending-upgrade"),
        helm_secret("api", 4, "deployed"),
        kustomization("apps", false, false),
        kustomization("infra", true, true),
        helm_release("web"),
        helm_release("api"),
        git_repository(),
    ]
}

fn rescue(api: &FakeApi, dir: &Path, args: &[&str]) -> Output {
    let kubeconfig = api.kubeconfig(dir);
    let mut all = vec!["rescue", "--kubeconfig", kubeconfig.to_str().unwrap()];
    all.extend_from_slice(args);
    unstuck_in(dir, &all)
}

pub(crate) fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

pub(crate) fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    found.sort();
    found
}

pub(crate) fn redacted() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(
        r#""not_ready_for_s": \d+"#,
        r#""not_ready_for_s": "[SECONDS]""#,
    );
    settings.add_filter(r"(?m) for \d+[smhd]$", " for [DURATION]");
    settings
}

#[test]
fn status_lists_only_what_is_stuck_and_writes_nothing() {
    let api = FakeApi::start(cluster());
    let dir = tempfile::tempdir().unwrap();
    let json_out = rescue(&api, dir.path(), &["status", "--format", "json"]);
    assert_eq!(code(&json_out), 0, "{}", stderr(&json_out));
    let report: Value = serde_json::from_str(&stdout(&json_out)).unwrap();
    redacted().bind(|| insta::assert_json_snapshot!("rescue_status_json", report));
    let human = rescue(&api, dir.path(), &["status"]);
    assert_eq!(code(&human), 0, "{}", stderr(&human));
    redacted().bind(|| insta::assert_snapshot!("rescue_status_human", stdout(&human)));
    assert_eq!(api.writes(), Vec::<String>::new());
}

#[test]
fn status_of_a_healthy_cluster_is_empty() {
    let api = FakeApi::start(vec![
        namespace("apps", false),
        configmap("apps", "protected", &["example.com/keep"], false),
        helm_secret("api", 4, "deployed"),
        helm_release("api"),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let out = rescue(&api, dir.path(), &["status"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "nothing is stuck\n");
}

#[test]
fn force_delete_prints_then_with_yes_backs_up_and_removes_finalizers() {
    let api = FakeApi::start(cluster());
    let dir = tempfile::tempdir().unwrap();
    let dry = rescue(
        &api,
        dir.path(),
        &[
            "force-delete",
            "configmap/held",
            "-n",
            "old",
            "--backup-dir",
            "b",
        ],
    );
    assert_eq!(code(&dry), 0, "{}", stderr(&dry));
    assert!(stdout(&dry).contains(
        r#"PATCH /api/v1/namespaces/old/configmaps/held {"metadata":{"finalizers":null,"resourceVersion":"1"}}"#
    ), "{}", stdout(&dry));
    assert!(stdout(&dry).contains("--yes"));
    assert_eq!(
        api.writes(),
        Vec::<String>::new(),
        "a dry run writes nothing"
    );
    assert!(!dir.path().join("b").exists(), "nor backs up");

    let done = rescue(
        &api,
        dir.path(),
        &[
            "force-delete",
            "configmap/held",
            "-n",
            "old",
            "--backup-dir",
            "b",
            "--yes",
        ],
    );
    assert_eq!(code(&done), 0, "{}", stderr(&done));
    assert_eq!(
        api.writes(),
        ["PATCH /api/v1/namespaces/old/configmaps/held"]
    );
    assert_eq!(
        files_under(&dir.path().join("b")),
        ["old/configmap-held.json"]
    );
    let live = api
        .object("/api/v1/namespaces/old/configmaps/held")
        .unwrap();
    assert!(live["metadata"].get("finalizers").is_none());
}

#[test]
fn force_delete_refuses_objects_not_being_deleted() {
    let api = FakeApi::start(cluster());
    let dir = tempfile::tempdir().unwrap();
    let out = rescue(
        &api,
        dir.path(),
        &["force-delete", "configmap/protected", "--yes"],
    );
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("refused: ConfigMap/apps/protected is not being deleted"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("kubectl delete"));
    assert_eq!(api.writes(), Vec::<String>::new());
    let bad = rescue(&api, dir.path(), &["force-delete", "protected"]);
    assert_eq!(code(&bad), 2);
    assert!(
        stderr(&bad).contains("is not KIND/NAME"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn finalize_namespace_releases_a_terminating_namespace_and_refuses_an_active_one() {
    let api = FakeApi::start(cluster());
    let dir = tempfile::tempdir().unwrap();
    let refused = rescue(&api, dir.path(), &["finalize-namespace", "apps", "--yes"]);
    assert_eq!(code(&refused), 1);
    assert!(stderr(&refused).contains("namespace apps is not terminating"));
    assert_eq!(api.writes(), Vec::<String>::new());

    let done = rescue(
        &api,
        dir.path(),
        &["finalize-namespace", "old", "--yes", "--backup-dir", "b"],
    );
    assert_eq!(code(&done), 0, "{}", stderr(&done));
    assert_eq!(
        api.writes(),
        [
            "PATCH /api/v1/namespaces/old/configmaps/held",
            "PUT /api/v1/namespaces/old/finalize"
        ]
    );
    assert_eq!(
        files_under(&dir.path().join("b")),
        ["_cluster/namespace-old.json", "old/configmap-held.json"]
    );
}

#[test]
fn finalize_namespace_goes_on_when_a_resource_cannot_be_listed() {
    let api = FakeApi::start(cluster());
    api.make_unavailable("deployments");
    let dir = tempfile::tempdir().unwrap();
    let done = rescue(
        &api,
        dir.path(),
        &["finalize-namespace", "old", "--yes", "--backup-dir", "b"],
    );
    assert_eq!(code(&done), 0, "{}", stderr(&done));
    assert!(
        stderr(&done).contains("warning: cannot list deployments"),
        "{}",
        stderr(&done)
    );
    assert_eq!(
        api.writes(),
        [
            "PATCH /api/v1/namespaces/old/configmaps/held",
            "PUT /api/v1/namespaces/old/finalize"
        ]
    );
}

#[test]
fn helm_unlock_only_unlocks_a_pending_release() {
    let api = FakeApi::start(cluster());
    let dir = tempfile::tempdir().unwrap();
    let refused = rescue(
        &api,
        dir.path(),
        &["helm-unlock", "api", "-n", "apps", "--yes"],
    );
    assert_eq!(code(&refused), 1);
    assert!(
        stderr(&refused).contains("is not locked"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(api.writes(), Vec::<String>::new());

    let done = rescue(
        &api,
        dir.path(),
        &[
            "helm-unlock",
            "web",
            "-n",
            "apps",
            "--yes",
            "--backup-dir",
            "b",
        ],
    );
    assert_eq!(code(&done), 0, "{}", stderr(&done));
    assert_eq!(
        api.writes(),
        [
            "DELETE /api/v1/namespaces/apps/secrets/sh.helm.release.v1.web.v2",
            "PATCH /apis/helm.toolkit.fluxcd.io/v2/namespaces/apps/helmreleases/web",
        ]
    );
    assert_eq!(
        files_under(&dir.path().join("b")),
        ["apps/secret-sh.helm.release.v1.web.v2.json"]
    );
    let delete = api
        .requests()
        .into_iter()
        .find(|s| s.method == "DELETE")
        .unwrap();
    assert_eq!(
        delete.body,
        json!({"preconditions": {"uid": "uid-web-2"}}),
        "exactly the record that was read"
    );
    let hr = api
        .object("/apis/helm.toolkit.fluxcd.io/v2/namespaces/apps/helmreleases/web")
        .unwrap();
    let annotations = &hr["metadata"]["annotations"];
    assert_eq!(
        annotations["reconcile.fluxcd.io/forceAt"],
        annotations["reconcile.fluxcd.io/requestedAt"]
    );
}

#[test]
fn flux_commands_write_only_what_changes() {
    let api = FakeApi::start(cluster());
    let dir = tempfile::tempdir().unwrap();
    let already = rescue(
        &api,
        dir.path(),
        &["suspend", "ks/infra", "-n", "flux-system", "--yes"],
    );
    assert_eq!(code(&already), 0);
    assert!(
        stdout(&already).starts_with("nothing to do"),
        "{}",
        stdout(&already)
    );
    let refused = rescue(
        &api,
        dir.path(),
        &[
            "reconcile",
            "kustomization/infra",
            "-n",
            "flux-system",
            "--yes",
        ],
    );
    assert_eq!(code(&refused), 1);
    assert_eq!(api.writes(), Vec::<String>::new());

    let done = rescue(
        &api,
        dir.path(),
        &[
            "reconcile",
            "kustomization/apps",
            "-n",
            "flux-system",
            "--with-source",
            "--yes",
            "--backup-dir",
            "b",
        ],
    );
    assert_eq!(code(&done), 0, "{}", stderr(&done));
    assert_eq!(
        api.writes(),
        [
            "PATCH /apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/gitrepositories/flux-system",
            "PATCH /apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/apps",
        ]
    );
    let resumed = rescue(
        &api,
        dir.path(),
        &[
            "resume",
            "ks/infra",
            "-n",
            "flux-system",
            "--yes",
            "--backup-dir",
            "b",
        ],
    );
    assert_eq!(code(&resumed), 0, "{}", stderr(&resumed));
    let infra = api
        .object("/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/infra")
        .unwrap();
    assert_eq!(infra["spec"]["suspend"], false);
    assert!(infra["metadata"]["annotations"]["reconcile.fluxcd.io/requestedAt"].is_string());
}

#[test]
fn backup_then_restore_recreates_only_what_is_missing() {
    let api = FakeApi::start(cluster());
    let dir = tempfile::tempdir().unwrap();
    let saved = rescue(
        &api,
        dir.path(),
        &["backup", "-n", "flux-system", "--dir", "saved"],
    );
    assert_eq!(code(&saved), 0, "{}", stderr(&saved));
    assert_eq!(
        files_under(&dir.path().join("saved")),
        [
            "apps/configmap-settings.json",
            "flux-system/gitrepository-flux-system.json",
            "flux-system/kustomization-apps.json",
            "flux-system/kustomization-infra.json",
        ]
    );
    assert_eq!(api.writes(), Vec::<String>::new());

    api.remove("/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/apps");
    let dry = rescue(&api, dir.path(), &["restore", "--dir", "saved"]);
    assert_eq!(code(&dry), 0, "{}", stderr(&dry));
    assert_eq!(api.writes(), Vec::<String>::new());
    let done = rescue(&api, dir.path(), &["restore", "--dir", "saved", "--yes"]);
    assert_eq!(code(&done), 0, "{}", stderr(&done));
    assert_eq!(
        api.writes(),
        ["POST /apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations"],
        "live objects are never overwritten"
    );
    let restored = api
        .object("/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/apps")
        .unwrap();
    assert!(restored.get("status").is_none());
    assert_eq!(restored["spec"]["path"], "./apps");
}
