//! The whole runtime (kube-runtime controller, watcher, reconcile, Events) against a mock API
//! server that answers by route: list → one stuck Kustomization, watch → stays open.

use std::net::SocketAddr;
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
        config: Config {
            mode: Mode::Enforce,
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
