//! The API semantics the stand-in models, each test naming the rule it follows:
//! "API concepts" is <https://kubernetes.io/docs/reference/using-api/api-concepts/>, "API
//! conventions" is the community document `contributors/devel/sig-architecture/api-conventions.md`,
//! the others are the reference pages named.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, Patch,
    PatchParams, PostParams, Preconditions, PropagationPolicy, WatchEvent, WatchParams,
};
use kube::Client;
use kube_stand_in::{Fault, StandIn};
use serde_json::{json, Value};

fn resource(api_version: &str, kind: &str) -> ApiResource {
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind))
}

fn api(
    client: &Client,
    api_version: &str,
    kind: &str,
    namespace: Option<&str>,
) -> Api<DynamicObject> {
    let r = resource(api_version, kind);
    match namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &r),
        None => Api::all_with(client.clone(), &r),
    }
}

fn dynamic(value: Value) -> DynamicObject {
    serde_json::from_value(value).unwrap()
}

fn value(object: &DynamicObject) -> Value {
    serde_json::to_value(object).unwrap()
}

async fn get(api: &Api<DynamicObject>, name: &str) -> Value {
    value(&api.get(name).await.unwrap())
}

fn api_error(result: Result<impl std::fmt::Debug, kube::Error>) -> kube::core::Status {
    match result {
        Err(kube::Error::Api(status)) => *status,
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn kustomization(name: &str) -> Value {
    json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
           "metadata": {"name": name, "namespace": "flux-system", "labels": {"team": "a"}},
           "spec": {"interval": "10m", "path": "./apps"},
           "status": {"conditions": [{"type": "Ready", "status": "False", "reason": "Failed",
                                      "message": "boom", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}})
}

fn config_map(name: &str, namespace: &str, labels: &Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": name, "namespace": namespace, "labels": labels}, "data": {"k": "v"}})
}

async fn start(objects: Vec<Value>) -> (StandIn, Client) {
    let stand_in = StandIn::start(objects).await.unwrap();
    let client = stand_in.client().unwrap();
    (stand_in, client)
}

/// API concepts, "Discovery API": resources are listed per group version, both the legacy
/// `APIResourceList` documents and the aggregated `APIGroupDiscoveryList`; custom resources appear
/// in discovery once their definition (or, here, an object of the kind) exists.
#[tokio::test]
async fn discovery_lists_builtins_and_custom_resources_legacy_and_aggregated() {
    let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "helmreleases.helm.toolkit.fluxcd.io"},
        "spec": {"group": "helm.toolkit.fluxcd.io", "scope": "Namespaced",
                 "names": {"kind": "HelmRelease", "plural": "helmreleases", "shortNames": ["hr"]},
                 "versions": [{"name": "v2", "served": true, "storage": true, "subresources": {"status": {}}}]}});
    let git = json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
                     "metadata": {"name": "flux-system", "namespace": "flux-system"}, "spec": {}});
    let (_stand_in, client) = start(vec![kustomization("apps"), crd, git]).await;
    for discovery in [
        kube::Discovery::new(client.clone()).run().await.unwrap(),
        kube::Discovery::new(client.clone())
            .run_aggregated()
            .await
            .unwrap(),
    ] {
        let kinds: Vec<(String, String, bool)> = discovery
            .groups()
            .flat_map(kube::discovery::ApiGroup::recommended_resources)
            .map(|(r, caps)| {
                (
                    r.kind,
                    r.plural,
                    caps.scope == kube::discovery::Scope::Namespaced,
                )
            })
            .collect();
        for (kind, plural, namespaced) in [
            ("Kustomization", "kustomizations", true),
            ("HelmRelease", "helmreleases", true),
            ("GitRepository", "gitrepositories", true),
            ("Lease", "leases", true),
            ("Secret", "secrets", true),
            ("StatefulSet", "statefulsets", true),
            ("Namespace", "namespaces", false),
        ] {
            assert!(
                kinds.contains(&(kind.to_owned(), plural.to_owned(), namespaced)),
                "{kind} missing from {kinds:?}"
            );
        }
    }
    let version = client.apiserver_version().await.unwrap();
    assert_eq!(version.major, "1");
}

/// API concepts, "Efficient detection of changes" and labels/field selectors pages: list returns
/// the collection's `resourceVersion`; `labelSelector` (equality and set based) and
/// `fieldSelector` filter; `limit` pages the collection with a `continue` token.
#[tokio::test]
async fn list_filters_by_label_and_field_selectors_and_pages() {
    let (_stand_in, client) = start(vec![
        config_map("a", "apps", &json!({"app": "web", "tier": "front"})),
        config_map("b", "apps", &json!({"app": "web", "tier": "back"})),
        config_map("c", "other", &json!({"app": "db"})),
    ])
    .await;
    let all = api(&client, "v1", "ConfigMap", None);
    let names = |list: kube::core::ObjectList<DynamicObject>| {
        list.items
            .into_iter()
            .map(|o| o.metadata.name.unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(
            all.list(&ListParams::default().labels("app=web"))
                .await
                .unwrap()
        ),
        ["a", "b"]
    );
    assert_eq!(
        names(
            all.list(&ListParams::default().labels("tier in (back),app"))
                .await
                .unwrap()
        ),
        ["b"]
    );
    assert_eq!(
        names(
            all.list(&ListParams::default().fields("metadata.namespace=other"))
                .await
                .unwrap()
        ),
        ["c"]
    );
    assert_eq!(
        names(
            all.list(&ListParams::default().fields("metadata.name!=a"))
                .await
                .unwrap()
        ),
        ["b", "c"]
    );
    let page = all.list(&ListParams::default().limit(2)).await.unwrap();
    assert_eq!(page.items.len(), 2);
    let token = page.metadata.continue_.clone().expect("a continue token");
    let rest = all
        .list(&ListParams::default().limit(2).continue_token(&token))
        .await
        .unwrap();
    assert_eq!(names(rest), ["c"]);
    assert!(page.metadata.resource_version.is_some());
    let in_apps = api(&client, "v1", "ConfigMap", Some("apps"));
    assert_eq!(
        names(in_apps.list(&ListParams::default()).await.unwrap()),
        ["a", "b"]
    );
}

/// API concepts, "Efficient detection of changes" and "Watch bookmarks": a watch from a
/// `resourceVersion` delivers every change after it, in order; with `allowWatchBookmarks` the
/// server sends BOOKMARK events carrying only a `resourceVersion`.
#[tokio::test]
async fn watch_from_a_resource_version_delivers_later_changes_and_bookmarks() {
    let (_stand_in, client) = start(vec![config_map("a", "apps", &json!({}))]).await;
    let maps = api(&client, "v1", "ConfigMap", Some("apps"));
    let version = maps
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let mut events = maps
        .watch(&WatchParams::default().timeout(30), &version)
        .await
        .unwrap()
        .boxed();
    maps.create(
        &PostParams::default(),
        &dynamic(config_map("b", "apps", &json!({}))),
    )
    .await
    .unwrap();
    maps.patch(
        "a",
        &PatchParams::default(),
        &Patch::Merge(json!({"data": {"k": "w"}})),
    )
    .await
    .unwrap();
    maps.delete("b", &DeleteParams::default()).await.unwrap();
    let mut seen = Vec::new();
    let mut bookmark = None;
    while bookmark.is_none() {
        let event = tokio::time::timeout(Duration::from_secs(10), events.try_next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        match event {
            WatchEvent::Added(o) => seen.push(format!("ADDED {}", o.metadata.name.unwrap())),
            WatchEvent::Modified(o) => seen.push(format!("MODIFIED {}", o.metadata.name.unwrap())),
            WatchEvent::Deleted(o) => seen.push(format!("DELETED {}", o.metadata.name.unwrap())),
            WatchEvent::Bookmark(b) => bookmark = Some(b.metadata.resource_version),
            WatchEvent::Error(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(seen, ["ADDED b", "MODIFIED a", "DELETED b"]);
    let latest = maps
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    assert_eq!(bookmark.unwrap(), latest);
}

/// API concepts, "Efficient detection of changes": when the requested version is no longer in
/// the history, the watch fails with `410 Gone` (reason Expired) and the client must list again.
#[tokio::test]
async fn watch_from_an_expired_resource_version_gets_410_gone() {
    let (stand_in, client) = start(vec![config_map("a", "apps", &json!({}))]).await;
    let maps = api(&client, "v1", "ConfigMap", Some("apps"));
    let old = maps
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    maps.patch(
        "a",
        &PatchParams::default(),
        &Patch::Merge(json!({"data": {"k": "w"}})),
    )
    .await
    .unwrap();
    stand_in.expire_watch_history();
    let mut events = maps
        .watch(&WatchParams::default(), &old)
        .await
        .unwrap()
        .boxed();
    let first = tokio::time::timeout(Duration::from_secs(10), events.try_next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let WatchEvent::Error(status) = first else {
        panic!("expected an error event, got {first:?}")
    };
    assert_eq!((status.code, status.reason.as_str()), (410, "Expired"));
    // An open watch whose history expires ends with the same error.
    let now = maps
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let mut open = maps
        .watch(&WatchParams::default(), &now)
        .await
        .unwrap()
        .boxed();
    stand_in.expire_watch_history();
    let last = tokio::time::timeout(Duration::from_secs(10), open.try_next())
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(last, Some(WatchEvent::Error(ref s)) if s.code == 410),
        "{last:?}"
    );
    // The current version is still good.
    let now = maps
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    assert!(maps.watch(&WatchParams::default(), &now).await.is_ok());
}

/// API conventions, "Concurrency Control and Consistency": an update whose `resourceVersion`
/// differs from the stored one fails with 409 Conflict; a JSON merge patch carrying
/// `metadata.resourceVersion` is guarded the same way; without one it is unconditional.
#[tokio::test]
async fn stale_resource_versions_are_rejected_with_409() {
    let (_stand_in, client) = start(vec![kustomization("apps")]).await;
    let ks = api(
        &client,
        "kustomize.toolkit.fluxcd.io/v1",
        "Kustomization",
        Some("flux-system"),
    );
    let first = ks.get("apps").await.unwrap();
    ks.patch(
        "apps",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"annotations": {"x": "1"}}})),
    )
    .await
    .unwrap();
    let stale = first.metadata.resource_version.clone().unwrap();
    let status = api_error(ks.replace("apps", &PostParams::default(), &first).await);
    assert_eq!((status.code, status.reason.as_str()), (409, "Conflict"));
    assert!(
        status.message.contains("the object has been modified"),
        "{}",
        status.message
    );
    let guarded = json!({"metadata": {"resourceVersion": stale, "annotations": {"y": "1"}}});
    assert_eq!(
        api_error(
            ks.patch("apps", &PatchParams::default(), &Patch::Merge(guarded))
                .await
        )
        .code,
        409
    );
    let current = ks
        .get("apps")
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let guarded = json!({"metadata": {"resourceVersion": current, "annotations": {"y": "1"}}});
    let patched = ks
        .patch("apps", &PatchParams::default(), &Patch::Merge(guarded))
        .await
        .unwrap();
    assert_eq!(patched.metadata.annotations.unwrap()["y"], "1");
}

/// API conventions, "Metadata" (`generation`: a sequence number of the desired state, incremented
/// by the system when the spec changes) and "Spec and Status" (with a status subresource, writes
/// to the main resource ignore status, and writes to `/status` change only status).
#[tokio::test]
async fn generation_follows_spec_changes_and_status_is_a_subresource() {
    let (_stand_in, client) = start(vec![kustomization("apps")]).await;
    let ks = api(
        &client,
        "kustomize.toolkit.fluxcd.io/v1",
        "Kustomization",
        Some("flux-system"),
    );
    let generation = |o: &Value| o["metadata"]["generation"].as_i64().unwrap();
    let before = get(&ks, "apps").await;
    let annotated = value(
        &ks.patch(
            "apps",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"annotations": {"a": "b"}}, "status": {"x": 1}})),
        )
        .await
        .unwrap(),
    );
    assert_eq!(generation(&annotated), generation(&before));
    assert_eq!(
        annotated["status"], before["status"],
        "main-resource writes leave status alone"
    );
    let spec = value(
        &ks.patch(
            "apps",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"path": "./other"}})),
        )
        .await
        .unwrap(),
    );
    assert_eq!(generation(&spec), generation(&before) + 1);
    let status = value(
        &ks.patch_status(
            "apps",
            &PatchParams::default(),
            &Patch::Merge(
                json!({"spec": {"path": "./ignored"}, "status": {"observedGeneration": 2}}),
            ),
        )
        .await
        .unwrap(),
    );
    assert_eq!(status["status"]["observedGeneration"], 2);
    assert_eq!(
        status["spec"]["path"], "./other",
        "status writes leave spec alone"
    );
    assert_eq!(generation(&status), generation(&spec));
    // Created objects start without status: it is written through /status only.
    let created = ks
        .create(&PostParams::default(), &dynamic(kustomization("other")))
        .await
        .unwrap();
    assert!(value(&created)["status"].is_null());
    assert_eq!(value(&created)["metadata"]["generation"], 1);
}

/// API concepts, "Patch" (JSON patch RFC 6902, JSON merge patch RFC 7386, strategic merge patch
/// for built-in types, merging lists by their patch merge key) — and strategic merge is not
/// supported for custom resources (415).
#[tokio::test]
async fn json_patch_merge_patch_and_strategic_merge_patch() {
    let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "apps"},
        "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:1"}, {"name": "side", "image": "s:1"}]}}}});
    let (_stand_in, client) = start(vec![deployment, kustomization("apps")]).await;
    let deployments = api(&client, "apps/v1", "Deployment", Some("apps"));
    let smp = json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:2"}]}}}});
    let patched = value(
        &deployments
            .patch("web", &PatchParams::default(), &Patch::Strategic(smp))
            .await
            .unwrap(),
    );
    assert_eq!(
        patched["spec"]["template"]["spec"]["containers"],
        json!([{"name": "app", "image": "app:2"}, {"name": "side", "image": "s:1"}])
    );
    let ops: json_patch::Patch = serde_json::from_value(json!([
        {"op": "test", "path": "/spec/template/spec/containers/1/name", "value": "side"},
        {"op": "remove", "path": "/spec/template/spec/containers/1"}]))
    .unwrap();
    let patched = value(
        &deployments
            .patch("web", &PatchParams::default(), &Patch::<()>::Json(ops))
            .await
            .unwrap(),
    );
    assert_eq!(
        patched["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let failing: json_patch::Patch = serde_json::from_value(
        json!([{"op": "test", "path": "/spec/template/spec/containers/0/image", "value": "nope"}]),
    )
    .unwrap();
    assert_eq!(
        api_error(
            deployments
                .patch("web", &PatchParams::default(), &Patch::<()>::Json(failing))
                .await
        )
        .code,
        422
    );
    let ks = api(
        &client,
        "kustomize.toolkit.fluxcd.io/v1",
        "Kustomization",
        Some("flux-system"),
    );
    let status = api_error(
        ks.patch(
            "apps",
            &PatchParams::default(),
            &Patch::Strategic(json!({"spec": {"path": "x"}})),
        )
        .await,
    );
    assert_eq!(status.code, 415);
}

/// Server-Side Apply reference page: fields are owned by field managers; applying a different
/// value to a field another manager owns is a conflict (409) unless forced; apply creates
/// objects that do not exist; a `fieldManager` is required.
#[tokio::test]
async fn server_side_apply_tracks_field_managers() {
    let (_stand_in, client) = start(vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "unstuck-system"}}),
    ])
    .await;
    let leases = api(
        &client,
        "coordination.k8s.io/v1",
        "Lease",
        Some("unstuck-system"),
    );
    let lease = |holder: &str| {
        json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                                       "metadata": {"name": "lock"}, "spec": {"holderIdentity": holder}})
    };
    let created = leases
        .patch(
            "lock",
            &PatchParams::apply("replica-a"),
            &Patch::Apply(lease("a")),
        )
        .await
        .unwrap();
    assert_eq!(value(&created)["spec"]["holderIdentity"], "a");
    let status = api_error(
        leases
            .patch(
                "lock",
                &PatchParams::apply("replica-b"),
                &Patch::Apply(lease("b")),
            )
            .await,
    );
    assert_eq!((status.code, status.reason.as_str()), (409, "Conflict"));
    assert!(
        status.message.contains("conflict with \"replica-a\""),
        "{}",
        status.message
    );
    let forced = leases
        .patch(
            "lock",
            &PatchParams::apply("replica-b").force(),
            &Patch::Apply(lease("b")),
        )
        .await
        .unwrap();
    assert_eq!(value(&forced)["spec"]["holderIdentity"], "b");
    // A strategic merge patch (an update) takes the field over too, so the next apply by b conflicts.
    let smp = json!({"spec": {"holderIdentity": "c"}});
    leases
        .patch(
            "lock",
            &PatchParams {
                field_manager: Some("replica-c".into()),
                ..PatchParams::default()
            },
            &Patch::Strategic(smp),
        )
        .await
        .unwrap();
    assert_eq!(
        api_error(
            leases
                .patch(
                    "lock",
                    &PatchParams::apply("replica-b"),
                    &Patch::Apply(lease("b"))
                )
                .await
        )
        .code,
        409
    );
    let no_manager = PatchParams {
        field_manager: None,
        ..PatchParams::default()
    };
    assert_eq!(
        api_error(
            leases
                .patch("lock", &no_manager, &Patch::Apply(lease("z")))
                .await
        )
        .code,
        422
    );
}

/// API concepts, "Dry-run": with `dryRun=All` the request is processed and the result returned,
/// but nothing is persisted.
#[tokio::test]
async fn dry_run_persists_nothing() {
    let (stand_in, client) = start(vec![config_map("a", "apps", &json!({}))]).await;
    let maps = api(&client, "v1", "ConfigMap", Some("apps"));
    let created = maps
        .create(
            &PostParams {
                dry_run: true,
                ..PostParams::default()
            },
            &dynamic(config_map("b", "apps", &json!({}))),
        )
        .await
        .unwrap();
    assert_eq!(created.metadata.name.as_deref(), Some("b"));
    let patched = maps
        .patch(
            "a",
            &PatchParams::default().dry_run(),
            &Patch::Merge(json!({"data": {"k": "dry"}})),
        )
        .await
        .unwrap();
    assert_eq!(value(&patched)["data"]["k"], "dry");
    maps.delete(
        "a",
        &DeleteParams {
            dry_run: true,
            ..DeleteParams::default()
        },
    )
    .await
    .unwrap();
    let a = stand_in.object("v1", "ConfigMap", "apps", "a").unwrap();
    assert_eq!(a["data"]["k"], "v");
    assert!(stand_in.object("v1", "ConfigMap", "apps", "b").is_none());
}

/// API concepts, "Create" and API conventions, "HTTP Status codes": creating an existing name is
/// 409 `AlreadyExists`; `generateName` gets a unique suffix; a missing namespace is 404.
#[tokio::test]
async fn create_refuses_existing_names_and_missing_namespaces() {
    let (_stand_in, client) = start(vec![config_map("a", "apps", &json!({}))]).await;
    let maps = api(&client, "v1", "ConfigMap", Some("apps"));
    let status = api_error(
        maps.create(
            &PostParams::default(),
            &dynamic(config_map("a", "apps", &json!({}))),
        )
        .await,
    );
    assert_eq!(
        (status.code, status.reason.as_str()),
        (409, "AlreadyExists")
    );
    let generated =
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "gen-"}});
    let created = maps
        .create(&PostParams::default(), &dynamic(generated))
        .await
        .unwrap();
    assert!(created.metadata.name.unwrap().starts_with("gen-"));
    assert!(created.metadata.uid.is_some() && created.metadata.creation_timestamp.is_some());
    let elsewhere = api(&client, "v1", "ConfigMap", Some("nowhere"));
    let status = api_error(
        elsewhere
            .create(
                &PostParams::default(),
                &dynamic(config_map("a", "nowhere", &json!({}))),
            )
            .await,
    );
    assert_eq!(status.code, 404);
}

/// API conventions, "Concurrency Control and Consistency" and the `DeleteOptions` reference:
/// `preconditions.uid` and `preconditions.resourceVersion` must match the stored object, else the
/// delete fails with 409 Conflict and nothing is deleted.
#[tokio::test]
async fn delete_preconditions_guard_uid_and_resource_version() {
    let (stand_in, client) = start(vec![config_map("a", "apps", &json!({}))]).await;
    let maps = api(&client, "v1", "ConfigMap", Some("apps"));
    let live = maps.get("a").await.unwrap();
    let with = |uid: Option<&str>, rv: Option<&str>| DeleteParams {
        preconditions: Some(Preconditions {
            uid: uid.map(Into::into),
            resource_version: rv.map(Into::into),
        }),
        ..DeleteParams::default()
    };
    let status = api_error(maps.delete("a", &with(Some("someone-else"), None)).await);
    assert_eq!(status.code, 409);
    assert!(
        status
            .message
            .contains("Precondition failed: UID in precondition"),
        "{}",
        status.message
    );
    assert_eq!(
        api_error(maps.delete("a", &with(None, Some("1"))).await).code,
        409
    );
    assert!(stand_in.object("v1", "ConfigMap", "apps", "a").is_some());
    maps.delete(
        "a",
        &with(
            live.metadata.uid.as_deref(),
            live.metadata.resource_version.as_deref(),
        ),
    )
    .await
    .unwrap();
    assert!(stand_in.object("v1", "ConfigMap", "apps", "a").is_none());
}

fn owned(name: &str, owner_uid: &str, finalizers: &[&str]) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": name, "namespace": "db", "finalizers": finalizers,
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "pg", "uid": owner_uid}]},
           "spec": {}})
}

fn owner() -> Value {
    json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "pg", "namespace": "db", "uid": "uid-pg"}, "spec": {}})
}

/// Garbage collection reference page ("Cascading deletion"): Background deletes the owner at once
/// and its dependents after it; Orphan removes the owner reference from dependents and leaves them;
/// Foreground keeps the owner, with `deletionTimestamp` and the `foregroundDeletion` finalizer,
/// until its dependents are gone.
#[tokio::test]
async fn propagation_policies_follow_owner_references() {
    for (policy, owner_gone, dependents_left) in [
        (PropagationPolicy::Background, true, 0),
        (PropagationPolicy::Orphan, true, 1),
    ] {
        let (stand_in, client) = start(vec![owner(), owned("pg-0", "uid-pg", &[])]).await;
        let sts = api(&client, "apps/v1", "StatefulSet", Some("db"));
        sts.delete(
            "pg",
            &DeleteParams {
                propagation_policy: Some(policy.clone()),
                ..DeleteParams::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            stand_in
                .object("apps/v1", "StatefulSet", "db", "pg")
                .is_none(),
            owner_gone
        );
        let pods = stand_in.objects("v1", "Pod");
        assert_eq!(pods.len(), dependents_left, "{policy:?}");
        if let Some(pod) = pods.first() {
            assert!(
                pod["metadata"]["ownerReferences"].is_null(),
                "orphaned pods lose the reference"
            );
        }
    }
    let (stand_in, client) = start(vec![
        owner(),
        owned("pg-0", "uid-pg", &["example.com/hold"]),
    ])
    .await;
    let sts = api(&client, "apps/v1", "StatefulSet", Some("db"));
    sts.delete("pg", &DeleteParams::foreground()).await.unwrap();
    let waiting = stand_in
        .object("apps/v1", "StatefulSet", "db", "pg")
        .expect("owner waits for its dependents");
    assert_eq!(
        waiting["metadata"]["finalizers"],
        json!(["foregroundDeletion"])
    );
    assert!(waiting["metadata"]["deletionTimestamp"].is_string());
    let pods = api(&client, "v1", "Pod", Some("db"));
    assert!(get(&pods, "pg-0").await["metadata"]["deletionTimestamp"].is_string());
    pods.patch(
        "pg-0",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"finalizers": null}})),
    )
    .await
    .unwrap();
    assert!(stand_in.object("v1", "Pod", "db", "pg-0").is_none());
    assert!(stand_in
        .object("apps/v1", "StatefulSet", "db", "pg")
        .is_none());
}

/// API concepts / "Finalizers" reference page: deleting an object with finalizers only sets
/// `deletionTimestamp`; it stays until every finalizer is removed, and no new finalizer may be
/// added meanwhile.
#[tokio::test]
async fn finalizers_hold_deleted_objects() {
    let mut held = kustomization("apps");
    held["metadata"]["finalizers"] = json!(["finalizers.fluxcd.io"]);
    let (stand_in, client) = start(vec![held]).await;
    let ks = api(
        &client,
        "kustomize.toolkit.fluxcd.io/v1",
        "Kustomization",
        Some("flux-system"),
    );
    ks.delete("apps", &DeleteParams::default()).await.unwrap();
    let deleting = get(&ks, "apps").await;
    assert!(deleting["metadata"]["deletionTimestamp"].is_string());
    let more = json!({"metadata": {"finalizers": ["finalizers.fluxcd.io", "other"]}});
    assert_eq!(
        api_error(
            ks.patch("apps", &PatchParams::default(), &Patch::Merge(more))
                .await
        )
        .code,
        422
    );
    ks.patch(
        "apps",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"finalizers": []}})),
    )
    .await
    .unwrap();
    assert!(stand_in
        .object(
            "kustomize.toolkit.fluxcd.io/v1",
            "Kustomization",
            "flux-system",
            "apps"
        )
        .is_none());
}

/// Namespaces walkthrough and API reference (`NamespaceStatus`, `NamespaceSpec.finalizers`): a
/// deleted namespace is `Terminating`, reports `NamespaceContentRemaining` and
/// `NamespaceFinalizersRemaining` conditions, refuses new content (403), and is removed once it is
/// empty and its `spec.finalizers` are cleared (the `kubernetes` one by the namespace controller,
/// others through the `/finalize` subresource).
#[tokio::test]
async fn namespaces_terminate_when_empty_and_finalized() {
    let mut held = config_map("held", "apps", &json!({}));
    held["metadata"]["finalizers"] = json!(["example.com/hold"]);
    let namespace = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps"},
                           "spec": {"finalizers": ["kubernetes", "example.com/ns"]}});
    let (stand_in, client) = start(vec![
        namespace,
        held,
        config_map("free", "apps", &json!({})),
    ])
    .await;
    let namespaces = api(&client, "v1", "Namespace", None);
    namespaces
        .delete("apps", &DeleteParams::default())
        .await
        .unwrap();
    let terminating = get(&namespaces, "apps").await;
    assert_eq!(terminating["status"]["phase"], "Terminating");
    let condition = |ns: &Value, kind: &str| {
        ns["status"]["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["type"] == kind)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        condition(&terminating, "NamespaceContentRemaining")["status"],
        "True"
    );
    assert!(
        condition(&terminating, "NamespaceFinalizersRemaining")["message"]
            .as_str()
            .unwrap()
            .contains("example.com/hold in 1 resource instances")
    );
    assert!(
        stand_in.object("v1", "ConfigMap", "apps", "free").is_none(),
        "content without finalizers is deleted"
    );
    let maps = api(&client, "v1", "ConfigMap", Some("apps"));
    let status = api_error(
        maps.create(
            &PostParams::default(),
            &dynamic(config_map("new", "apps", &json!({}))),
        )
        .await,
    );
    assert_eq!(status.code, 403);
    assert!(
        status.message.contains("because it is being terminated"),
        "{}",
        status.message
    );
    maps.patch(
        "held",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"finalizers": null}})),
    )
    .await
    .unwrap();
    let emptied = get(&namespaces, "apps").await;
    assert_eq!(
        condition(&emptied, "NamespaceContentRemaining")["status"],
        "False"
    );
    assert_eq!(
        emptied["spec"]["finalizers"],
        json!(["example.com/ns"]),
        "the namespace controller removed its own"
    );
    let mut finalize = emptied.clone();
    finalize["spec"]["finalizers"] = json!([]);
    let request = http::Request::put("/api/v1/namespaces/apps/finalize")
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&finalize).unwrap())
        .unwrap();
    let _: Value = client.request(request).await.unwrap();
    assert!(stand_in.object("v1", "Namespace", "", "apps").is_none());
}

/// Events (`events.k8s.io/v1` and core `v1`), Secrets and Leases are ordinary namespaced
/// resources: created, read, listed by field selector, patched.
#[tokio::test]
async fn events_secrets_and_leases_are_served() {
    let (_stand_in, client) = start(vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "unstuck-system"}}),
    ])
    .await;
    let events = api(&client, "events.k8s.io/v1", "Event", Some("unstuck-system"));
    let event = json!({"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e1"},
                       "reason": "RecoverySkipped", "note": "n", "type": "Warning", "eventTime": "2026-01-01T00:00:00.000000Z"});
    events
        .create(&PostParams::default(), &dynamic(event))
        .await
        .unwrap();
    let found = events
        .list(&ListParams::default().fields("reason=RecoverySkipped"))
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1);
    let secrets: Api<k8s_openapi::api::core::v1::Secret> =
        Api::namespaced(client.clone(), "unstuck-system");
    let secret = k8s_openapi::api::core::v1::Secret {
        metadata: kube::api::ObjectMeta {
            name: Some("s".into()),
            ..Default::default()
        },
        string_data: None,
        data: Some([("k".to_owned(), k8s_openapi::ByteString(b"v".to_vec()))].into()),
        ..Default::default()
    };
    secrets
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();
    assert_eq!(secrets.get("s").await.unwrap().data.unwrap()["k"].0, b"v");
    let leases: Api<k8s_openapi::api::coordination::v1::Lease> =
        Api::namespaced(client, "unstuck-system");
    let lease = k8s_openapi::api::coordination::v1::Lease {
        metadata: kube::api::ObjectMeta {
            name: Some("l".into()),
            ..Default::default()
        },
        spec: None,
    };
    leases.create(&PostParams::default(), &lease).await.unwrap();
    let renewed = leases
        .patch(
            "l",
            &PatchParams::default(),
            &Patch::Strategic(json!({"spec": {"holderIdentity": "me"}})),
        )
        .await
        .unwrap();
    assert_eq!(renewed.spec.unwrap().holder_identity.as_deref(), Some("me"));
}

/// Fault injection: scheduled 409/429/500 answers come first, in order, then service resumes; a
/// dropped watch ends the stream. Every request is logged with its verb, path, body and status.
#[tokio::test]
async fn faults_are_served_in_order_and_logged() {
    let (stand_in, client) = start(vec![config_map("a", "apps", &json!({}))]).await;
    stand_in.inject(Fault::status(409).on("PATCH"));
    stand_in.inject(Fault::status(429).on("PATCH"));
    stand_in.inject(Fault::status(500).on("PATCH").path("/configmaps/a"));
    let maps = api(&client, "v1", "ConfigMap", Some("apps"));
    let merge = Patch::Merge(json!({"data": {"k": "w"}}));
    // kube's client retries 429 itself (its RetryPolicy), so the caller sees 409, then 500.
    for expected in [409, 500] {
        let status = api_error(maps.patch("a", &PatchParams::default(), &merge).await);
        assert_eq!(status.code, expected);
    }
    maps.patch("a", &PatchParams::default(), &merge)
        .await
        .unwrap();
    assert!(stand_in.pending_faults().is_empty());
    let log = stand_in.requests();
    let statuses: Vec<(String, u16)> = log.iter().map(|r| (r.verb.clone(), r.status)).collect();
    let patch = |s| ("PATCH".to_owned(), s);
    assert_eq!(statuses, [patch(409), patch(429), patch(500), patch(200)]);
    assert_eq!(log[3].path, "/api/v1/namespaces/apps/configmaps/a");
    assert_eq!(log[3].body, json!({"data": {"k": "w"}}));

    let mut events = maps
        .watch(&WatchParams::default(), "0")
        .await
        .unwrap()
        .boxed();
    let added = tokio::time::timeout(Duration::from_secs(10), events.try_next())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(added, Some(WatchEvent::Added(_))));
    stand_in.drop_watches();
    let end = tokio::time::timeout(Duration::from_secs(10), events.next())
        .await
        .unwrap();
    assert!(end.is_none(), "the watch ended: {end:?}");
    assert!(stand_in.requests().iter().any(|r| r.verb == "WATCH"));
}
