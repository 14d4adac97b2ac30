//! A scripted mock API server (tower-test) that checks every request in order and records bodies.

use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response};
use kube::client::Body;
use kube::runtime::events::{Recorder, Reporter};
use kube::Client;
use recovery_patterns::PatternSet;
use serde_json::{json, Value};
use unstuck_controller::actions::{DeletionWait, Executor, FIELD_MANAGER};
use unstuck_controller::config::{Config, Mode};
use unstuck_controller::controller::Context;
use unstuck_controller::metrics::Metrics;

/// One expected request and the reply to give.
pub(crate) struct Expect {
    pub(crate) method: &'static str,
    pub(crate) uri: String,
    pub(crate) status: u16,
    pub(crate) reply: Value,
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) method: String,
    pub(crate) uri: String,
    pub(crate) body: Value,
}

pub(crate) fn expect(method: &'static str, uri: &str, reply: Value) -> Expect {
    Expect {
        method,
        uri: uri.to_owned(),
        status: 200,
        reply,
    }
}

pub(crate) fn fail(method: &'static str, uri: &str, status: u16, reason: &str) -> Expect {
    Expect {
        method,
        uri: uri.to_owned(),
        status,
        reply: json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                      "message": format!("injected {reason}"), "reason": reason, "code": status}),
    }
}

/// A controller context whose client talks to a scripted server. Await the returned handle after
/// dropping the context: it fails if a request differed from the script, or if requests were
/// missing or extra.
pub(crate) fn scripted(
    config: Config,
    now: u64,
    script: Vec<Expect>,
) -> (Context, tokio::task::JoinHandle<Vec<Seen>>) {
    scripted_with(config, now, script, false)
}

/// [`scripted`], with the Event recorder the binary uses: Events are requests in the script.
pub(crate) fn scripted_with_events(
    config: Config,
    now: u64,
    script: Vec<Expect>,
) -> (Context, tokio::task::JoinHandle<Vec<Seen>>) {
    scripted_with(config, now, script, true)
}

fn scripted_with(
    config: Config,
    now: u64,
    script: Vec<Expect>,
    events: bool,
) -> (Context, tokio::task::JoinHandle<Vec<Seen>>) {
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let server = tokio::spawn(async move {
        let mut seen = Vec::new();
        for (i, step) in script.into_iter().enumerate() {
            let next = tokio::time::timeout(Duration::from_secs(10), handle.next_request()).await;
            let Ok(Some((request, respond))) = next else {
                panic!(
                    "request #{i} never came: expected {} {}; seen so far: {seen:#?}",
                    step.method, step.uri
                )
            };
            let method = request.method().to_string();
            let uri = request.uri().to_string();
            let bytes = request.into_body().collect_bytes().await.unwrap();
            let body = if bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&bytes).unwrap()
            };
            seen.push(Seen {
                method: method.clone(),
                uri: uri.clone(),
                body,
            });
            assert_eq!(
                (method.as_str(), uri.as_str()),
                (step.method, step.uri.as_str()),
                "request #{i}; seen: {seen:#?}"
            );
            let response = Response::builder()
                .status(step.status)
                .body(Body::from(serde_json::to_vec(&step.reply).unwrap()))
                .unwrap();
            respond.send_response(response);
        }
        if let Ok(Some((extra, _))) =
            tokio::time::timeout(Duration::from_secs(10), handle.next_request()).await
        {
            panic!(
                "unexpected request {} {}; seen: {seen:#?}",
                extra.method(),
                extra.uri()
            );
        }
        seen
    });
    let client = Client::new(service, "default");
    // Deletions are polled without pausing: the script decides when the object is gone.
    let executor = Executor::new(client.clone(), config.backup_namespace.clone())
        .with_deletion_wait(DeletionWait {
            polls: 2,
            interval: Duration::ZERO,
        });
    let mut context = Context::new(
        config,
        PatternSet::builtin(),
        Arc::new(Metrics::default()),
        executor,
    );
    context.clock = Box::new(move || now);
    if events {
        context.recorder = Some(Recorder::new(
            client,
            Reporter {
                controller: FIELD_MANAGER.to_owned(),
                instance: None,
            },
        ));
    }
    (context, server)
}

pub(crate) fn enforce() -> Config {
    Config {
        mode: Mode::Enforce,
        ..Config::default()
    }
}

/// A controller context whose mock server answers by route rather than by script, so that
/// concurrent reconciles may interleave: Flux-object patches succeed, the StatefulSet `db/pg`
/// (applied by Kustomization `flux-system/apps`) is found until deleted, Secrets are created.
pub(crate) struct Routed {
    pub(crate) context: Context,
    seen: Arc<std::sync::Mutex<Vec<Seen>>>,
}

impl Routed {
    /// Every request so far as `METHOD path`.
    pub(crate) fn log(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|s| {
                format!(
                    "{} {}",
                    s.method,
                    s.uri.split('?').next().unwrap_or_default()
                )
            })
            .collect()
    }

    /// Every request so far.
    pub(crate) fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

pub(crate) fn routed(config: Config, now: u64) -> Routed {
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        let mut deleted = false;
        while let Some((request, respond)) = handle.next_request().await {
            let method = request.method().to_string();
            let uri = request.uri().to_string();
            let bytes = request.into_body().collect_bytes().await.unwrap();
            let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            log.lock().unwrap().push(Seen {
                method: method.clone(),
                uri: uri.clone(),
                body: body.clone(),
            });
            let path = uri.split('?').next().unwrap_or_default().to_owned();
            let (status, reply) = match (method.as_str(), path.as_str()) {
                ("PATCH", _) => (200, json!({})),
                ("POST", _) => (201, body),
                ("GET", "/apis/apps/v1/namespaces/db/statefulsets/pg") if !deleted => (
                    200,
                    json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
                        "metadata": {"name": "pg", "namespace": "db", "uid": "uid-pg",
                            "labels": {"kustomize.toolkit.fluxcd.io/name": "apps",
                                       "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}}}),
                ),
                ("DELETE", _) => {
                    deleted = true;
                    (
                        200,
                        json!({"kind": "Status", "apiVersion": "v1", "status": "Success"}),
                    )
                }
                _ => (
                    404,
                    json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                           "reason": "NotFound", "code": 404, "message": "not found"}),
                ),
            };
            respond.send_response(
                Response::builder()
                    .status(status)
                    .body(Body::from(serde_json::to_vec(&reply).unwrap()))
                    .unwrap(),
            );
        }
    });
    let client = Client::new(service, "default");
    let executor =
        Executor::new(client, config.backup_namespace.clone()).with_deletion_wait(DeletionWait {
            polls: 1,
            interval: Duration::ZERO,
        });
    let mut context = Context::new(
        config,
        PatternSet::builtin(),
        Arc::new(Metrics::default()),
        executor,
    );
    context.clock = Box::new(move || now);
    Routed { context, seen }
}
