//! The whole runtime (kube-runtime controller, watcher, reconcile, Events) against a mock API
//! server that answers by route: list → one stuck Kustomization, watch → stays open.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{Request, Response};
use kube::client::Body;
use kube::Client;
use recovery_patterns::PatternSet;
use serde_json::{json, Value};
use unstuck_controller::config::{Config, Mode};
use unstuck_controller::flux::FluxKind;
use unstuck_controller::runtime::{run, RunOptions};

fn stuck_kustomization() -> Value {
    json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
        "metadata": {"name": "apps", "namespace": "flux-system", "uid": "uid-apps", "resourceVersion": "7", "generation": 1},
        "spec": {"sourceRef": {"kind": "GitRepository", "name": "flux-system"}},
        "status": {"observedGeneration": 1, "conditions": [{"type": "Ready", "status": "False",
            "reason": "HealthCheckFailed", "lastTransitionTime": "2020-01-01T00:00:00Z",
            "message": "Health check failed after 5m0.030442677s, timeout waiting for: [Deployment/apps/web status: 'InProgress']"}]}
    })
}

#[tokio::test]
async fn controller_watches_decides_and_patches() {
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let (patched, mut patches) = tokio::sync::mpsc::unbounded_channel::<(String, Value)>();
    let server = tokio::spawn(async move {
        // Watch requests are never answered: holding their responders keeps them open.
        let mut open_watches = Vec::new();
        while let Some((request, respond)) = handle.next_request().await {
            let method = request.method().to_string();
            let uri = request.uri().to_string();
            let body = request.into_body().collect_bytes().await.unwrap();
            let reply = match (method.as_str(), uri.as_str()) {
                // The controller first asks which Flux kinds the cluster serves.
                ("GET", "/apis/kustomize.toolkit.fluxcd.io/v1") => kustomizations_served(),
                ("GET", u) if u.contains("watch=true") => {
                    open_watches.push(respond);
                    continue;
                }
                ("GET", u) if u.starts_with("/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations?") => json!({
                    "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "KustomizationList",
                    "metadata": {"resourceVersion": "7"}, "items": [stuck_kustomization()]
                }),
                ("PATCH", u) if u.starts_with("/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/apps") => {
                    patched.send((uri.clone(), serde_json::from_slice(&body).unwrap())).unwrap();
                    stuck_kustomization()
                }
                ("POST", u) if u.starts_with("/apis/events.k8s.io/v1/namespaces/flux-system/events") => {
                    serde_json::from_slice(&body).unwrap()
                }
                other => panic!("unexpected request {other:?}"),
            };
            respond.send_response(
                Response::builder()
                    .body(Body::from(serde_json::to_vec(&reply).unwrap()))
                    .unwrap(),
            );
        }
    });
    let options = RunOptions {
        // Stuck at first sight, so the first reconcile acts.
        config: Config {
            mode: Mode::Enforce,
            stuck_threshold_secs: 0,
            ..Config::default()
        },
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        kinds: vec![FluxKind::Kustomization],
        leader_election: None,
        instance: Some("test".into()),
    };
    let controller = tokio::spawn(run(
        Client::new(service, "default"),
        PatternSet::builtin(),
        options,
    ));
    let (uri, body) = tokio::time::timeout(Duration::from_secs(20), patches.recv())
        .await
        .expect("a patch")
        .unwrap();
    assert!(uri.contains("fieldManager=unstuck-controller"), "{uri}");
    let annotations = &body["metadata"]["annotations"];
    assert!(
        annotations["reconcile.fluxcd.io/requestedAt"].is_string(),
        "{body}"
    );
    assert!(annotations["unstuck.dev/recovery-state"]
        .as_str()
        .unwrap()
        .contains("request_reconcile"));
    assert_eq!(body["metadata"]["resourceVersion"], "7");
    controller.abort();
    let _ = controller.await;
    server.abort();
}

const STS_IMMUTABLE: &str = "StatefulSet/db/pg dry-run failed (Invalid): StatefulSet.apps \"pg\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

/// A tiny stateful API server: merge patches land on the stored Kustomization (new
/// resourceVersion), the first watches fail with 410 Gone so the watcher re-lists, and every
/// request is counted.
#[tokio::test]
async fn watch_restarts_never_repeat_a_deletion() {
    let mut ks = stuck_kustomization();
    ks["status"]["conditions"][0]["message"] = json!(STS_IMMUTABLE);
    let stored = Arc::new(Mutex::new(ks));
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let (server_store, server_log) = (Arc::clone(&stored), Arc::clone(&log));
    let server = tokio::spawn(async move {
        let mut open_watches = Vec::new();
        let mut failed_watches = 0;
        let mut deleted = false;
        while let Some((request, respond)) = handle.next_request().await {
            let method = request.method().to_string();
            let uri = request.uri().to_string();
            let body = request.into_body().collect_bytes().await.unwrap();
            server_log
                .lock()
                .unwrap()
                .push(format!("{method} {}", uri.split('?').next().unwrap()));
            let (status, reply) = match (method.as_str(), uri.as_str()) {
                ("GET", u) if u.contains("watch=true") && failed_watches < 3 => {
                    failed_watches += 1;
                    (410, json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Expired", "code": 410, "message": "too old"}))
                }
                ("GET", u) if u.contains("watch=true") => {
                    open_watches.push(respond);
                    continue;
                }
                ("GET", u) if u.starts_with("/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations?") => {
                    let obj = server_store.lock().unwrap().clone();
                    let rv = obj["metadata"]["resourceVersion"].clone();
                    (200, json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "KustomizationList",
                                 "metadata": {"resourceVersion": rv}, "items": [obj]}))
                }
                ("PATCH", u) if u.starts_with("/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/apps") => {
                    let patch: Value = serde_json::from_slice(&body).unwrap();
                    let mut obj = server_store.lock().unwrap();
                    let current = obj["metadata"]["resourceVersion"].as_str().unwrap().parse::<u64>().unwrap();
                    match patch["metadata"]["resourceVersion"].as_str() {
                        Some(rv) if rv != current.to_string() => (409, json!({"kind": "Status", "apiVersion": "v1",
                            "status": "Failure", "reason": "Conflict", "code": 409, "message": "changed"})),
                        _ => {
                            for (k, v) in patch["metadata"]["annotations"].as_object().unwrap() {
                                obj["metadata"]["annotations"][k] = v.clone();
                            }
                            obj["metadata"]["resourceVersion"] = json!((current + 1).to_string());
                            (200, obj.clone())
                        }
                    }
                }
                ("GET", "/apis/kustomize.toolkit.fluxcd.io/v1") => (200, kustomizations_served()),
                ("GET", "/apis/apps/v1/namespaces/db/statefulsets/pg") if deleted => (404, json!({
                    "kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404,
                    "message": "statefulsets.apps \"pg\" not found"})),
                ("GET", "/apis/apps/v1/namespaces/db/statefulsets/pg") => (200, json!({
                    "apiVersion": "apps/v1", "kind": "StatefulSet",
                    "metadata": {"name": "pg", "namespace": "db", "uid": "uid-pg", "resourceVersion": "3",
                        "labels": {"kustomize.toolkit.fluxcd.io/name": "apps", "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}},
                    "spec": {"serviceName": "pg"}
                })),
                ("POST", u) if u.starts_with("/api/v1/namespaces/unstuck-system/secrets") => (201, serde_json::from_slice(&body).unwrap()),
                ("DELETE", u) if u.starts_with("/apis/apps/v1/namespaces/db/statefulsets/pg") => {
                    deleted = true;
                    (200, json!({"kind": "Status", "apiVersion": "v1", "status": "Success"}))
                }
                ("POST", u) if u.starts_with("/apis/events.k8s.io/v1/") => (201, serde_json::from_slice(&body).unwrap()),
                ("PATCH", u) if u.starts_with("/apis/events.k8s.io/v1/") => (200, json!({})),
                other => panic!("unexpected request {other:?}"),
            };
            let response = Response::builder()
                .status(status)
                .body(Body::from(serde_json::to_vec(&reply).unwrap()));
            respond.send_response(response.unwrap());
        }
    });
    let options = RunOptions {
        // Verification times out at once, so every re-list re-decides (and must refuse).
        config: Config {
            mode: Mode::Enforce,
            verify_timeout_secs: 0,
            stuck_threshold_secs: 0,
            ..Config::default()
        },
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        kinds: vec![FluxKind::Kustomization],
        leader_election: None,
        instance: None,
    };
    let controller = tokio::spawn(run(
        Client::new(service, "default"),
        PatternSet::builtin(),
        options,
    ));
    // Wait until the watch has been restarted three times and the controller has settled.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (lists, deletes) = {
            let log = log.lock().unwrap();
            let count = |prefix: &str| log.iter().filter(|l| l.starts_with(prefix)).count();
            (
                count("GET /apis/kustomize.toolkit.fluxcd.io/v1/kustomizations"),
                count("DELETE "),
            )
        };
        if (lists >= 4 && deletes >= 1) || tokio::time::Instant::now() > deadline {
            break;
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    controller.abort();
    let _ = controller.await;
    server.abort();
    let log = log.lock().unwrap().clone();
    let count = |prefix: &str| log.iter().filter(|l| l.starts_with(prefix)).count();
    assert!(
        count("GET /apis/kustomize.toolkit.fluxcd.io/v1/kustomizations") >= 4,
        "watch restarted: {log:#?}"
    );
    assert_eq!(
        count("DELETE /apis/apps/v1/namespaces/db/statefulsets/pg"),
        1,
        "{log:#?}"
    );
    assert_eq!(
        count("POST /api/v1/namespaces/unstuck-system/secrets"),
        1,
        "{log:#?}"
    );
    let state = stored.lock().unwrap()["metadata"]["annotations"]["unstuck.dev/recovery-state"]
        .as_str()
        .unwrap()
        .to_owned();
    let record = unstuck_controller::record::RecoveryRecord::decode(Some(&state)).unwrap();
    assert!(record.destroyed_at(1, None, "StatefulSet/db/pg"));
}

/// The discovery answer for `kustomize.toolkit.fluxcd.io/v1`: Kustomizations are served.
fn kustomizations_served() -> Value {
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "kustomize.toolkit.fluxcd.io/v1",
        "resources": [{"name": "kustomizations", "singularName": "kustomization", "namespaced": true,
            "kind": "Kustomization", "verbs": ["get", "list", "watch", "patch"]}]})
}
