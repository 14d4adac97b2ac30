//! The `kube-stand-in` binary's interface: `--objects`, `--listen`, `--kubeconfig`,
//! `--request-log`, the `ready <addr>` line, SIGTERM — and kubectl driving it.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

const OBJECTS: &str = r#"
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec: {interval: 10m, path: ./apps}
status:
  conditions:
  - {type: Ready, status: "False", reason: ReconciliationFailed, message: boom,
     lastTransitionTime: "2026-01-01T00:00:00Z"}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: pg
  namespace: db
  finalizers: [example.com/hold]
  deletionTimestamp: "2026-01-01T00:00:00Z"
spec: {replicas: 1}
"#;

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path, objects: &str) -> Server {
    std::fs::write(dir.join("objects.yaml"), objects).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kube-stand-in"))
        .arg("--objects")
        .arg(dir.join("objects.yaml"))
        .arg("--kubeconfig")
        .arg(dir.join("kubeconfig.yaml"))
        .arg("--request-log")
        .arg(dir.join("requests.jsonl"))
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .strip_prefix("ready ")
        .unwrap_or_else(|| panic!("expected `ready <addr>`, got {line:?}"))
        .trim()
        .to_owned();
    Server { child, addr }
}

fn have_kubectl() -> bool {
    Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn kubectl(dir: &Path, args: &[&str], stdin: Option<&str>) -> (bool, String) {
    let mut child = Command::new("kubectl")
        .env("KUBECONFIG", dir.join("kubeconfig.yaml"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), text.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

fn log_lines(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("requests.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn serves_the_objects_writes_a_kubeconfig_logs_requests_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path(), OBJECTS);
    let kubeconfig =
        kube::config::Kubeconfig::read_from(dir.path().join("kubeconfig.yaml")).unwrap();
    assert_eq!(
        kubeconfig.clusters[0]
            .cluster
            .as_ref()
            .unwrap()
            .server
            .as_deref(),
        Some(format!("http://{}", server.addr).as_str())
    );
    let config = kube::Config::from_custom_kubeconfig(
        kubeconfig,
        &kube::config::KubeConfigOptions::default(),
    )
    .await
    .unwrap();
    let client = kube::Client::try_from(config).unwrap();
    let sts: kube::Api<k8s_openapi::api::apps::v1::StatefulSet> =
        kube::Api::namespaced(client, "db");
    let held = sts.get("pg").await.unwrap();
    assert!(
        held.metadata.deletion_timestamp.is_some(),
        "deletionTimestamp taken as given"
    );

    let lines = log_lines(dir.path());
    assert_eq!(lines.len(), 1);
    let keys: Vec<&str> = lines[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["verb", "path", "query", "body", "status"]);
    assert_eq!(lines[0]["verb"], "GET");
    assert_eq!(
        lines[0]["path"],
        "/apis/apps/v1/namespaces/db/statefulsets/pg"
    );
    assert_eq!(lines[0]["status"], 200);

    Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    let status = server.child.wait().unwrap();
    assert!(status.success(), "exits cleanly on SIGTERM: {status:?}");
}

#[test]
fn bad_objects_are_refused_naming_the_file_and_document() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("objects.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n---\nkind: ConfigMap\nmetadata: {name: b}\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kube-stand-in"))
        .arg("--objects")
        .arg(dir.path().join("objects.yaml"))
        .arg("--kubeconfig")
        .arg(dir.path().join("kubeconfig.yaml"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("objects.yaml"), "{stderr}");
    assert!(
        stderr.contains("object #2") && stderr.contains("apiVersion is missing"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("kubeconfig.yaml").exists(),
        "no kubeconfig unless serving"
    );
}

/// kubectl's own discovery, Table printing, merge patch (also on `--subresource=status`) and
/// `create --validate=false` work against the stand-in, so scripts can play Flux with kubectl.
#[test]
fn kubectl_gets_patches_and_creates() {
    if !have_kubectl() {
        println!("skipped: kubectl not found");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let _server = start(dir.path(), OBJECTS);
    let d = dir.path();
    let (ok, text) = kubectl(d, &["get", "kustomizations", "-A"], None);
    assert!(
        ok && text.contains("flux-system") && text.contains("apps"),
        "{text}"
    );
    let (ok, text) = kubectl(
        d,
        &[
            "-n",
            "flux-system",
            "patch",
            "kustomization",
            "apps",
            "--type",
            "merge",
            "-p",
            r#"{"metadata":{"annotations":{"reconcile.fluxcd.io/requestedAt":"now"}}}"#,
        ],
        None,
    );
    assert!(ok, "{text}");
    let ready = r#"{"status":{"conditions":[{"type":"Ready","status":"True","reason":"ReconciliationSucceeded","message":"ok","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}"#;
    let (ok, text) = kubectl(
        d,
        &[
            "-n",
            "flux-system",
            "patch",
            "kustomization",
            "apps",
            "--subresource=status",
            "--type",
            "merge",
            "-p",
            ready,
        ],
        None,
    );
    assert!(ok, "{text}");
    let (ok, text) = kubectl(
        d,
        &[
            "-n",
            "flux-system",
            "get",
            "kustomization",
            "apps",
            "-o",
            "json",
        ],
        None,
    );
    assert!(ok, "{text}");
    let object: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        object["metadata"]["annotations"]["reconcile.fluxcd.io/requestedAt"],
        "now"
    );
    assert_eq!(object["status"]["conditions"][0]["status"], "True");
    let config_map = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"made","namespace":"db"},"data":{"k":"v"}}"#;
    let (ok, text) = kubectl(
        d,
        &["create", "--validate=false", "-f", "-"],
        Some(config_map),
    );
    assert!(ok && text.contains("configmap/made created"), "{text}");
    let (ok, text) = kubectl(d, &["-n", "db", "get", "configmaps"], None);
    assert!(ok && text.contains("made"), "{text}");
    let verbs: Vec<String> = log_lines(d)
        .iter()
        .map(|l| l["verb"].as_str().unwrap().to_owned())
        .collect();
    for verb in ["LIST", "GET", "PATCH", "POST"] {
        assert!(verbs.iter().any(|v| v == verb), "{verb} in {verbs:?}");
    }
}
