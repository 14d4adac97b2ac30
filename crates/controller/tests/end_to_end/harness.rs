//! Starting the stand-in and controller processes, and waiting for what they do.

use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use kube::Client;
use kube_stand_in::{LoggedRequest, StandIn};
use serde_json::{json, Value};
use unstuck_controller::record::{RecoveryRecord, STATE_ANNOTATION};

/// How long any one expected outcome may take before the test fails (generous: CI machines are
/// shared; the outcomes normally arrive within a second or two).
const PATIENCE: Duration = Duration::from_secs(60);

/// A stand-in cluster and a directory for the controllers' files.
pub(crate) struct Cluster {
    pub(crate) stand_in: StandIn,
    pub(crate) client: Client,
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

/// A running controller process; killed when dropped.
pub(crate) struct Controller {
    child: Child,
    log: PathBuf,
    pub(crate) metrics: std::net::SocketAddr,
}

impl Cluster {
    pub(crate) async fn start(objects: Vec<Value>) -> Cluster {
        let stand_in = StandIn::start(objects).await.expect("stand-in starts");
        let client = stand_in.client().expect("client for the stand-in");
        let dir = tempfile::tempdir().expect("temporary directory");
        let kubeconfig = dir.path().join("kubeconfig.yaml");
        std::fs::write(&kubeconfig, stand_in.kubeconfig()).expect("kubeconfig written");
        Cluster {
            stand_in,
            client,
            dir,
            kubeconfig,
        }
    }

    /// Starts `unstuck-controller` with `config` (YAML) as replica `name`.
    pub(crate) fn controller(&self, name: &str, config: &str, extra: &[&str]) -> Controller {
        let config_path = self.dir.path().join(format!("{name}.yaml"));
        std::fs::write(&config_path, config).expect("config written");
        let log = self.dir.path().join(format!("{name}.log"));
        let out = std::fs::File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file handle");
        let metrics = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_unstuck-controller"))
            .args(["--config"])
            .arg(&config_path)
            .args([
                "--listen",
                &metrics.to_string(),
                "--namespace",
                "unstuck-system",
                "--pod-name",
                name,
            ])
            .args(extra)
            .env("KUBECONFIG", &self.kubeconfig)
            .env(
                "RUST_LOG",
                std::env::var("E2E_RUST_LOG").unwrap_or_else(|_| "info".to_owned()),
            )
            .env_remove("KUBERNETES_SERVICE_HOST")
            .env_remove("POD_NAMESPACE")
            .env_remove("POD_NAME")
            .env_remove("UNSTUCK_MODE")
            .env_remove("UNSTUCK_CONFIG")
            .env_remove("UNSTUCK_PATTERNS")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("the controller binary starts");
        Controller {
            child,
            log,
            metrics,
        }
    }

    pub(crate) fn requests(&self) -> Vec<LoggedRequest> {
        self.stand_in.requests()
    }

    /// Answered requests of `verb` whose path contains `fragment`.
    pub(crate) fn requests_to(&self, verb: &str, fragment: &str) -> Vec<LoggedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.verb == verb && r.path.contains(fragment))
            .collect()
    }

    /// Writes (POST, PUT, PATCH, DELETE) the stand-in answered.
    pub(crate) fn writes(&self) -> Vec<LoggedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| matches!(r.verb.as_str(), "POST" | "PUT" | "PATCH" | "DELETE"))
            .collect()
    }

    /// `events.k8s.io` Events with `reason`.
    pub(crate) fn events(&self, reason: &str) -> Vec<Value> {
        self.stand_in
            .objects("events.k8s.io/v1", "Event")
            .into_iter()
            .filter(|e| e["reason"] == reason)
            .collect()
    }

    /// The controller's persisted record on a Kustomization.
    pub(crate) fn record(&self, namespace: &str, name: &str) -> Option<RecoveryRecord> {
        let object = self.stand_in.object(
            "kustomize.toolkit.fluxcd.io/v1",
            "Kustomization",
            namespace,
            name,
        )?;
        let text = object["metadata"]["annotations"][STATE_ANNOTATION].as_str()?;
        RecoveryRecord::decode(Some(text)).ok()
    }

    /// Waits until `probe` returns something; on timeout fails with the request log and the
    /// controllers' logs.
    pub(crate) async fn eventually<T>(
        &self,
        what: &str,
        controllers: &[&Controller],
        mut probe: impl FnMut(&Cluster) -> Option<T>,
    ) -> T {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(found) = probe(self) {
                return found;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}\n{}",
                self.diagnostics(controllers)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub(crate) fn diagnostics(&self, controllers: &[&Controller]) -> String {
        let mut out = String::from("requests:\n");
        for r in self.requests() {
            let body = r.body.to_string();
            let body: String = body.chars().take(300).collect();
            let _ = writeln!(
                out,
                "  {} {} ?{} -> {} {body}",
                r.verb, r.path, r.query, r.status
            );
        }
        for c in controllers {
            let _ = writeln!(out, "controller log:\n{}", c.log_text());
        }
        out
    }

    /// Plays Flux after a recreation: applies the target again and reports the Kustomization
    /// Ready for its current generation.
    pub(crate) async fn play_flux_success(&self, namespace: &str, name: &str, target: Value) {
        use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
        let api_version = target["apiVersion"].as_str().unwrap().to_owned();
        let kind = target["kind"].as_str().unwrap().to_owned();
        let target_ns = target["metadata"]["namespace"].as_str().unwrap().to_owned();
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", &api_version));
        let resource = kube::api::ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk(
            group, version, &kind,
        ));
        let targets: Api<DynamicObject> =
            Api::namespaced_with(self.client.clone(), &target_ns, &resource);
        targets
            .create(
                &PostParams {
                    field_manager: Some("kustomize-controller".into()),
                    ..PostParams::default()
                },
                &serde_json::from_value(target).unwrap(),
            )
            .await
            .expect("flux re-creates the target");
        let ks: Api<DynamicObject> = Api::namespaced_with(
            self.client.clone(),
            namespace,
            &unstuck_controller::flux::FluxKind::Kustomization.api_resource(),
        );
        let generation = ks.get(name).await.unwrap().metadata.generation.unwrap();
        let now = jiff::Timestamp::now()
            .round(jiff::Unit::Second)
            .unwrap()
            .to_string();
        let status = json!({"status": {"observedGeneration": generation, "conditions": [{
            "type": "Ready", "status": "True", "reason": "ReconciliationSucceeded",
            "message": "Applied revision: main@sha1:2", "lastTransitionTime": now}]}});
        ks.patch_status(
            name,
            &PatchParams {
                field_manager: Some("kustomize-controller".into()),
                ..PatchParams::default()
            },
            &Patch::Merge(status),
        )
        .await
        .expect("flux reports Ready");
    }
}

impl Controller {
    pub(crate) fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills the process (SIGKILL: no chance to finish what it was doing).
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The `/metrics` text, or `None` while the endpoint is not up.
    pub(crate) fn metrics_text(&self) -> Option<String> {
        let mut stream = std::net::TcpStream::connect(self.metrics).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        stream
            .write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
            .ok()?;
        let mut text = String::new();
        stream.read_to_string(&mut text).ok()?;
        Some(text)
    }
}

impl Drop for Controller {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address")
}
