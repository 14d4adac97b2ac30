//! The requests each operation describes are exactly the requests it sends (tower-test mock API
//! server), backups are on disk before the first write, and guards stop requests.

use std::path::PathBuf;
use std::time::Duration;

use http::{Request, Response};
use kube::client::Body;
use kube::Client;
use recovery_actions::actions::{
    describe_recreate, DeletionWait, Executor, RecreateOutcome, RecreateSettings,
};
use recovery_actions::backup::DirStore;
use recovery_actions::flux::{FluxKind, ObjectRef, ObjectState};
use recovery_actions::plan::Decision;
use recovery_actions::protect::Propagation;
use recovery_actions::request::Verb;
use recovery_actions::run::{Cluster, Sent};
use recovery_actions::target::{resolve_kind_static, resolve_static, KindName};
use recovery_actions::{helm, terminating};
use serde_json::{json, Value};

/// One reply of the scripted server.
struct Reply {
    status: u16,
    body: Value,
}

fn ok(body: Value) -> Reply {
    Reply { status: 200, body }
}

fn not_found() -> Reply {
    Reply {
        status: 404,
        body: json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                     "reason": "NotFound", "code": 404, "message": "not found"}),
    }
}

/// A request as the server saw it, and the backup files present when it arrived.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    uri: String,
    body: Value,
    files_present: usize,
}

/// A client whose server answers `replies` in order and records each request; `watch` is a
/// directory whose file count is recorded with each request.
fn scripted(
    replies: Vec<Reply>,
    watch: Option<PathBuf>,
) -> (Client, tokio::task::JoinHandle<Vec<Seen>>) {
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let server = tokio::spawn(async move {
        let mut seen = Vec::new();
        for reply in replies {
            let Ok(Some((request, respond))) =
                tokio::time::timeout(Duration::from_secs(10), handle.next_request()).await
            else {
                panic!("a scripted request never came; seen: {seen:#?}");
            };
            let method = request.method().to_string();
            let uri = request.uri().to_string();
            let bytes = request.into_body().collect_bytes().await.unwrap();
            let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let files_present = watch.as_ref().map_or(0, |dir| count_files(dir));
            seen.push(Seen {
                method,
                uri,
                body,
                files_present,
            });
            respond.send_response(
                Response::builder()
                    .status(reply.status)
                    .body(Body::from(serde_json::to_vec(&reply.body).unwrap()))
                    .unwrap(),
            );
        }
        if let Ok(Some((extra, _))) =
            tokio::time::timeout(Duration::from_millis(200), handle.next_request()).await
        {
            panic!("unexpected request {} {}", extra.method(), extra.uri());
        }
        seen
    });
    (Client::new(service, "default"), server)
}

fn count_files(dir: &std::path::Path) -> usize {
    walk(dir).len()
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .flat_map(|e| {
            let path = e.path();
            if path.is_dir() {
                walk(&path)
            } else {
                vec![path]
            }
        })
        .collect()
}

fn statefulset() -> Value {
    json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "pg", "namespace": "db", "uid": "uid-pg", "resourceVersion": "5",
            "labels": {"kustomize.toolkit.fluxcd.io/name": "apps",
                       "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}},
        "spec": {"replicas": 1}})
}

#[tokio::test]
async fn recreate_sends_exactly_what_it_describes() {
    let owner = ObjectState::from_json(
        FluxKind::Kustomization,
        &json!({"metadata": {"name": "apps", "namespace": "flux-system"}}),
    );
    let target = ObjectRef {
        api_version: None,
        kind: "StatefulSet".into(),
        namespace: Some("db".into()),
        name: "pg".into(),
    };
    let (client, server) = scripted(
        vec![
            ok(statefulset()),
            ok(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "b"}})),
            ok(json!({"kind": "Status", "apiVersion": "v1", "status": "Success"})),
            not_found(),
        ],
        None,
    );
    let executor = Executor::new(client, "unstuck-system").with_deletion_wait(DeletionWait {
        polls: 1,
        interval: Duration::ZERO,
    });
    let outcome = executor
        .recreate(
            &owner,
            &target,
            Propagation::Orphan,
            &std::collections::BTreeSet::new(),
            100,
        )
        .await
        .unwrap();
    drop(executor);
    let seen = server.await.unwrap();
    assert!(matches!(
        outcome,
        RecreateOutcome::Deleted { gone: true, .. }
    ));

    let resolved = resolve_static(&target, &[]).unwrap();
    let described = describe_recreate(
        &owner,
        &target,
        &resolved,
        &statefulset(),
        RecreateSettings {
            propagation: Propagation::Orphan,
            backup_namespace: "unstuck-system",
            now: 100,
            polls: 1,
        },
    )
    .unwrap();
    let seen: Vec<(String, String, Value)> = seen
        .into_iter()
        .map(|s| (s.method, s.uri, s.body))
        .collect();
    let described: Vec<(String, String, Value)> = described
        .into_iter()
        .map(|r| {
            (
                r.verb.as_str().to_owned(),
                r.path,
                r.body.unwrap_or(Value::Null),
            )
        })
        .collect();
    assert_eq!(seen, described);
}

#[tokio::test]
async fn force_delete_backs_up_before_its_one_patch() {
    let dir = tempfile::tempdir().unwrap();
    let resolved = resolve_kind_static(&KindName::parse("configmap/web").unwrap()).unwrap();
    let stuck = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web", "namespace": "apps",
        "uid": "u", "resourceVersion": "7", "deletionTimestamp": "2026-01-01T00:00:00Z",
        "finalizers": ["example.com/hold"]}, "data": {"a": "b"}});
    let Decision::Act(plan) = terminating::force_delete(&resolved.resource, Some(&stuck)) else {
        panic!("a held object is released")
    };
    let (client, server) = scripted(vec![ok(json!({}))], Some(dir.path().to_owned()));
    let mut store = DirStore::new(dir.path());
    let sent = Cluster::new(client)
        .execute(&plan, &mut store)
        .await
        .unwrap();
    let seen = server.await.unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (seen[0].method.as_str(), seen[0].uri.as_str()),
        ("PATCH", "/api/v1/namespaces/apps/configmaps/web")
    );
    assert_eq!(
        seen[0].body,
        json!({"metadata": {"finalizers": null, "resourceVersion": "7"}})
    );
    assert_eq!(
        seen[0].files_present, 1,
        "the backup is on disk before the write"
    );
    assert!(matches!(&sent[..], [Sent::Done(r)] if r.verb == Verb::Patch));
    let saved: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("apps/configmap-web.json")).unwrap())
            .unwrap();
    assert_eq!(saved["data"], json!({"a": "b"}));
    assert!(saved["metadata"].get("resourceVersion").is_none());
}

fn terminating_namespace() -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "old", "deletionTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Terminating"}})
}

fn remaining() -> Vec<(kube::api::ApiResource, Value)> {
    let cm = resolve_kind_static(&KindName::parse("configmap/x").unwrap())
        .unwrap()
        .resource;
    vec![
        (
            cm.clone(),
            json!({"kind": "ConfigMap", "metadata": {"name": "held", "namespace": "old", "resourceVersion": "3",
                "deletionTimestamp": "2026-01-01T00:00:00Z", "finalizers": ["example.com/hold"]}}),
        ),
        (
            cm,
            json!({"kind": "ConfigMap", "metadata": {"name": "plain", "namespace": "old", "finalizers": ["example.com/keep"]}}),
        ),
    ]
}

#[tokio::test]
async fn finalize_namespace_releases_held_objects_then_finalizes_while_still_stuck() {
    let dir = tempfile::tempdir().unwrap();
    let Decision::Act(plan) =
        terminating::finalize_namespace(&terminating_namespace(), &remaining())
    else {
        panic!("a terminating namespace is finalized")
    };
    let (client, server) = scripted(
        vec![ok(json!({})), ok(terminating_namespace()), ok(json!({}))],
        Some(dir.path().to_owned()),
    );
    Cluster::new(client)
        .execute(&plan, &mut DirStore::new(dir.path()))
        .await
        .unwrap();
    let seen = server.await.unwrap();
    let calls: Vec<String> = seen
        .iter()
        .map(|s| format!("{} {}", s.method, s.uri))
        .collect();
    assert_eq!(
        calls,
        [
            "PATCH /api/v1/namespaces/old/configmaps/held",
            "GET /api/v1/namespaces/old",
            "PUT /api/v1/namespaces/old/finalize",
        ],
        "the object not being deleted is left alone"
    );
    assert_eq!(seen[2].body["spec"]["finalizers"], json!([]));
    assert!(
        seen.iter().all(|s| s.files_present == 3),
        "namespace and both objects backed up first"
    );
}

#[tokio::test]
async fn finalize_namespace_stops_when_the_namespace_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let Decision::Act(plan) =
        terminating::finalize_namespace(&terminating_namespace(), &remaining())
    else {
        panic!()
    };
    let (client, server) = scripted(vec![ok(json!({})), not_found()], None);
    let sent = Cluster::new(client)
        .execute(&plan, &mut DirStore::new(dir.path()))
        .await
        .unwrap();
    assert_eq!(server.await.unwrap().len(), 2, "no PUT /finalize");
    assert!(matches!(sent.last(), Some(Sent::Skipped(r)) if r.path.ends_with("/finalize")));
}

#[tokio::test]
async fn helm_unlock_deletes_the_pending_record_then_forces_a_reconcile() {
    let secret = |v: u64, status: &str| {
        json!({"apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1",
            "metadata": {"name": format!("sh.helm.release.v1.web.v{v}"), "namespace": "apps", "uid": format!("uid-{v}"),
                "labels": {"owner": "helm", "name": "web", "version": v.to_string(), "status": status}},
            "data": {"release": "H4sI"}})
    };
    let hr = json!({"kind": "HelmRelease", "metadata": {"name": "web", "namespace": "apps"}});
    let Decision::Act(plan) = helm::unlock(
        "apps",
        "web",
        &[secret(1, "deployed"), secret(2, "pending-upgrade")],
        Some(&hr),
        "2026-01-01T00:00:00Z",
    ) else {
        panic!("a pending release is unlocked")
    };
    let dir = tempfile::tempdir().unwrap();
    let (client, server) = scripted(
        vec![
            ok(json!({"kind": "Status", "status": "Success"})),
            ok(json!({})),
        ],
        Some(dir.path().to_owned()),
    );
    Cluster::new(client)
        .execute(&plan, &mut DirStore::new(dir.path()))
        .await
        .unwrap();
    let seen = server.await.unwrap();
    assert_eq!(
        (seen[0].method.as_str(), seen[0].uri.as_str()),
        (
            "DELETE",
            "/api/v1/namespaces/apps/secrets/sh.helm.release.v1.web.v2"
        )
    );
    assert_eq!(seen[0].body, json!({"preconditions": {"uid": "uid-2"}}));
    assert_eq!(seen[0].files_present, 1);
    assert_eq!(
        seen[1].uri,
        "/apis/helm.toolkit.fluxcd.io/v2/namespaces/apps/helmreleases/web"
    );
    let annotations = &seen[1].body["metadata"]["annotations"];
    assert_eq!(
        annotations["reconcile.fluxcd.io/requestedAt"],
        "2026-01-01T00:00:00Z"
    );
    assert_eq!(
        annotations["reconcile.fluxcd.io/forceAt"],
        "2026-01-01T00:00:00Z"
    );
}
