//! `unstuck triage` with no piped input, against `kube-stand-in`: the report read from the cluster
//! is the report of the same objects piped in from kubectl, and reading sends no writes.

use std::process::{Command, Output, Stdio};

use kube_stand_in::StandIn;
use serde_json::{json, Value};

use crate::support::{stderr, stdout, workspace_root};
use crate::triage::{cluster, triage};

struct Running {
    stand_in: StandIn,
    // Serves the stand-in while the blocking binary runs.
    _runtime: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
}

fn start(objects: Vec<Value>) -> Running {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let stand_in = runtime.block_on(StandIn::start(objects)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("kubeconfig"), stand_in.kubeconfig()).unwrap();
    Running {
        stand_in,
        _runtime: runtime,
        dir,
    }
}

impl Running {
    /// `unstuck triage --from-cluster` (a test's stdin is never a terminal) with the clock the
    /// piped tests use.
    fn triage_live(&self, args: &[&str]) -> Output {
        let kubeconfig = self.dir.path().join("kubeconfig");
        Command::new(env!("CARGO_BIN_EXE_unstuck"))
            .arg("triage")
            .args(["--now", "2026-11-26T10:00:00Z", "--from-cluster"])
            .args(["--kubeconfig", kubeconfig.to_str().unwrap()])
            .args(args)
            .current_dir(workspace_root())
            .env_clear()
            .stdin(Stdio::null())
            .output()
            .expect("the unstuck binary runs")
    }

    /// Every request as `VERB path`.
    fn requests(&self) -> Vec<String> {
        self.stand_in
            .requests()
            .into_iter()
            .map(|r| format!("{} {}", r.verb, r.path))
            .collect()
    }
}

fn items() -> Vec<Value> {
    cluster()["items"].as_array().unwrap().clone()
}

fn list(items: &[Value]) -> String {
    json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items})
        .to_string()
}

#[test]
fn the_cluster_gives_the_report_kubectl_piped_in_gives() {
    let running = start(items());
    for format in [&["--format", "human"][..], &["--format", "json"]] {
        let live = running.triage_live(format);
        let piped = triage(&cluster().to_string(), format);
        assert_eq!(live.status.code(), Some(1), "{}", stderr(&live));
        assert_eq!(live.status.code(), piped.status.code());
        assert!(stdout(&live).contains("web"), "{}", stdout(&live));
        assert_eq!(stdout(&live), stdout(&piped), "{format:?}");
        assert_eq!(stderr(&live), "", "both kinds are served");
    }
    let requests = running.requests();
    assert!(
        requests
            .iter()
            .all(|r| r.starts_with("GET ") || r.starts_with("LIST ")),
        "only reads: {requests:?}"
    );
    for path in [
        "/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations",
        "/apis/helm.toolkit.fluxcd.io/v2/helmreleases",
    ] {
        assert!(
            requests.iter().any(|r| r.ends_with(path)),
            "{path} listed across namespaces: {requests:?}"
        );
    }
}

#[test]
fn a_cluster_without_the_helm_release_crd_is_triaged_with_a_note() {
    let kustomizations: Vec<Value> = items()
        .into_iter()
        .filter(|object| object["kind"] == "Kustomization")
        .collect();
    let running = start(kustomizations.clone());
    let live = running.triage_live(&["--format", "json"]);
    assert_eq!(live.status.code(), Some(1), "{}", stderr(&live));
    let piped = triage(&list(&kustomizations), &["--format", "json"]);
    assert_eq!(stdout(&live), stdout(&piped));
    let reports: Value = serde_json::from_str(&stdout(&live)).unwrap();
    assert!(reports
        .as_array()
        .unwrap()
        .iter()
        .all(|report| report["kind"] == "Kustomization"));
    assert!(
        stderr(&live)
            .contains("note: the cluster does not serve helmreleases.helm.toolkit.fluxcd.io/v2"),
        "{}",
        stderr(&live)
    );
    let requests = running.requests();
    assert!(
        requests
            .iter()
            .all(|r| r.starts_with("GET ") || r.starts_with("LIST ")),
        "only reads: {requests:?}"
    );
}

#[test]
fn an_unreachable_cluster_is_an_error_naming_the_kubeconfig() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-kubeconfig");
    let output = Command::new(env!("CARGO_BIN_EXE_unstuck"))
        .args(["triage", "--from-cluster", "--kubeconfig"])
        .arg(&missing)
        .env_clear()
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_ne!(output.status.code(), Some(0));
    assert!(
        stderr(&output).contains("cannot read kubeconfig"),
        "{}",
        stderr(&output)
    );
}
