//! Scenarios with Flux played by [`FluxSim`]: its controllers retry, alternate `Ready`
//! Unknown/False, move to new commits and re-create what was deleted, while the controller under
//! test decides from what they write.

use std::time::Duration;

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use serde_json::{json, Value};
use unstuck_controller::flux::{FluxKind, REQUESTED_AT};

use crate::flux::FluxSim;
use crate::harness::{Cluster, Controller};

const KS_PATH: &str =
    "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/apps";
const STS_PATH: &str = "/apis/apps/v1/namespaces/db/statefulsets/pg";
/// Flux retries a failing object every 200 ms here (`retryInterval`, minutes in a cluster).
const RETRY_INTERVAL: Duration = Duration::from_millis(200);

fn namespace(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
}

/// A Kustomization Ready at generation 4, revision `main@sha1:1`.
fn kustomization() -> Value {
    json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
           "metadata": {"name": "apps", "namespace": "flux-system", "generation": 4},
           "spec": {"interval": "10m", "retryInterval": "200ms", "path": "./apps", "prune": true,
                    "sourceRef": {"kind": "GitRepository", "name": "flux-system"}},
           "status": {"observedGeneration": 4, "lastAttemptedRevision": "main@sha1:1",
                      "lastAppliedRevision": "main@sha1:1", "conditions": [
               {"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded",
                "message": "Applied revision: main@sha1:1", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}})
}

/// The `StatefulSet` as built from Git with `service_name` (immutable).
fn statefulset(service_name: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
           "metadata": {"name": "pg", "namespace": "db",
                        "labels": {"kustomize.toolkit.fluxcd.io/name": "apps",
                                   "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}},
           "spec": {"replicas": 1, "serviceName": service_name,
                    "selector": {"matchLabels": {"app": "pg"}}}})
}

/// The `StatefulSet` live in the cluster, applied from `main@sha1:1`.
fn live_statefulset(finalizers: &[&str]) -> Value {
    let mut sts = statefulset("pg");
    sts["metadata"]["uid"] = json!("uid-pg-1");
    if !finalizers.is_empty() {
        sts["metadata"]["finalizers"] = json!(finalizers);
    }
    sts
}

fn objects(finalizers: &[&str]) -> Vec<Value> {
    vec![
        namespace("unstuck-system"),
        kustomization(),
        live_statefulset(finalizers),
    ]
}

fn kustomization_object(cluster: &Cluster) -> Value {
    cluster
        .stand_in
        .object(
            "kustomize.toolkit.fluxcd.io/v1",
            "Kustomization",
            "flux-system",
            "apps",
        )
        .expect("the kustomization exists")
}

/// Index in the request log of each reconcile request (a PATCH of the object with `requestedAt`).
fn reconcile_requests(cluster: &Cluster, path: &str) -> Vec<usize> {
    cluster
        .requests()
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            r.verb == "PATCH"
                && r.path == path
                && r.status == 200
                && r.body["metadata"]["annotations"][REQUESTED_AT].is_string()
        })
        .map(|(i, _)| i)
        .collect()
}

/// Index in the request log of each successful DELETE of the `StatefulSet`.
fn deletes(cluster: &Cluster) -> Vec<usize> {
    cluster
        .requests()
        .iter()
        .enumerate()
        .filter(|(_, r)| r.verb == "DELETE" && r.path == STS_PATH && r.status == 200)
        .map(|(i, _)| i)
        .collect()
}

/// Index of each status write of the simulator with `Ready` in `status`, on `path`.
fn ready_writes(cluster: &Cluster, path: &str, status: &str) -> Vec<usize> {
    let status_path = format!("{path}/status");
    cluster
        .requests()
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            r.verb == "PATCH"
                && r.path == status_path
                && r.status == 200
                && r.body["status"]["conditions"].as_array().is_some_and(|c| {
                    c.iter()
                        .any(|c| c["type"] == "Ready" && c["status"] == status)
                })
        })
        .map(|(i, _)| i)
        .collect()
}

/// Waits until the simulator has completed `more` further attempts: long enough for a wrongly
/// repeated action to show, bounded by the simulator's pace rather than a fixed sleep.
async fn let_flux_retry(cluster: &Cluster, sim: &FluxSim, more: u64, controller: &Controller) {
    let target = sim.attempts() + more;
    cluster
        .eventually("further Flux attempts", &[controller], |_| {
            (sim.attempts() >= target).then_some(())
        })
        .await;
}

async fn wait_verified(cluster: &Cluster, controller: &Controller, count: usize) -> Vec<Value> {
    cluster
        .eventually("RecoveryVerified events", &[controller], |c| {
            let verified = c.events("RecoveryVerified");
            (verified.len() >= count).then_some(verified)
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn immutable_change_failing_through_flux_retries_is_recreated_once() {
    let cluster = Cluster::start(objects(&[])).await;
    let sim = FluxSim::start(cluster.client.clone(), RETRY_INTERVAL);
    sim.commit(
        "flux-system",
        "apps",
        "main@sha1:2",
        vec![statefulset("pg-headless")],
    );
    // Stuck one second after the first failure: Flux goes through several Unknown/False cycles
    // first, which must neither restart the episode nor trigger a second action.
    let controller = cluster.controller(
        "replica-a",
        "mode: enforce\nstuckThresholdSecs: 1\n",
        &["--no-helm-releases"],
    );
    wait_verified(&cluster, &controller, 1).await;
    let_flux_retry(&cluster, &sim, 5, &controller).await;

    let deleted = deletes(&cluster);
    assert_eq!(deleted.len(), 1, "{}", cluster.diagnostics(&[&controller]));
    let failures_before = ready_writes(&cluster, KS_PATH, "False")
        .into_iter()
        .filter(|&i| i < deleted[0])
        .count();
    let attempts_before = ready_writes(&cluster, KS_PATH, "Unknown")
        .into_iter()
        .filter(|&i| i < deleted[0])
        .count();
    assert!(
        failures_before >= 2 && attempts_before >= 2,
        "several Unknown/False cycles before the action: {attempts_before} attempts, {failures_before} failures"
    );
    let requests = reconcile_requests(&cluster, KS_PATH);
    assert_eq!(requests.len(), 1, "one reconcile request");
    assert!(requests[0] > deleted[0]);

    let record = cluster.record("flux-system", "apps").expect("a record");
    assert_eq!(record.destructive.len(), 1);
    assert_eq!(
        record.destructive[0].revision.as_deref(),
        Some("main@sha1:2")
    );
    assert_eq!(record.destructive[0].target, "StatefulSet/db/pg");
    assert!(record.episode.is_none() && record.pending.is_none());
    let sts = cluster
        .stand_in
        .object("apps/v1", "StatefulSet", "db", "pg")
        .expect("Flux re-created the StatefulSet");
    assert_eq!(sts["spec"]["serviceName"], "pg-headless");
    assert_ne!(sts["metadata"]["uid"], "uid-pg-1");
    assert_eq!(
        kustomization_object(&cluster)["status"]["conditions"][0]["status"],
        "True"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_immutable_change_in_a_new_commit_is_recreated_again() {
    let cluster = Cluster::start(objects(&[])).await;
    let sim = FluxSim::start(cluster.client.clone(), RETRY_INTERVAL);
    sim.commit(
        "flux-system",
        "apps",
        "main@sha1:2",
        vec![statefulset("pg-headless")],
    );
    let controller = cluster.controller(
        "replica-a",
        "mode: enforce\nstuckThresholdSecs: 0\n",
        &["--no-helm-releases"],
    );
    wait_verified(&cluster, &controller, 1).await;
    // A new commit changes the same immutable field again; the Kustomization's generation does
    // not change, only `status.lastAttemptedRevision`.
    sim.commit(
        "flux-system",
        "apps",
        "main@sha1:3",
        vec![statefulset("pg-v3")],
    );
    // The second success has the same Event text, which kube's recorder counts on the first
    // Event (a series) rather than creating another: the record shows it instead.
    cluster
        .eventually("the second recovery verified", &[&controller], |c| {
            let record = c.record("flux-system", "apps")?;
            (record.destructive.len() == 2 && record.pending.is_none() && record.episode.is_none())
                .then_some(())
        })
        .await;
    let_flux_retry(&cluster, &sim, 5, &controller).await;

    let deleted = deletes(&cluster);
    assert_eq!(deleted.len(), 2, "{}", cluster.diagnostics(&[&controller]));
    let requests = reconcile_requests(&cluster, KS_PATH);
    assert_eq!(requests.len(), 2);
    assert!(deleted[0] < requests[0] && requests[0] < deleted[1] && deleted[1] < requests[1]);
    let record = cluster.record("flux-system", "apps").expect("a record");
    let revisions: Vec<_> = record
        .destructive
        .iter()
        .map(|m| (m.generation, m.revision.as_deref(), m.target.as_str()))
        .collect();
    assert_eq!(
        revisions,
        [
            (4, Some("main@sha1:2"), "StatefulSet/db/pg"),
            (4, Some("main@sha1:3"), "StatefulSet/db/pg")
        ]
    );
    let sts = cluster
        .stand_in
        .object("apps/v1", "StatefulSet", "db", "pg")
        .unwrap();
    assert_eq!(sts["spec"]["serviceName"], "pg-v3");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deletion_blocked_by_a_finalizer_delays_the_reconcile_request_until_it_is_gone() {
    let cluster = Cluster::start(objects(&["example.com/hold"])).await;
    let sim = FluxSim::start(cluster.client.clone(), RETRY_INTERVAL);
    sim.commit(
        "flux-system",
        "apps",
        "main@sha1:2",
        vec![statefulset("pg-headless")],
    );
    let controller = cluster.controller(
        "replica-a",
        "mode: enforce\nstuckThresholdSecs: 0\ndeletionWaitSecs: 1\n",
        &["--no-helm-releases"],
    );
    let waiting = cluster
        .eventually("a RecoveryWaiting event", &[&controller], |c| {
            c.events("RecoveryWaiting").into_iter().next()
        })
        .await;
    assert!(
        waiting["note"]
            .as_str()
            .unwrap()
            .contains("example.com/hold"),
        "{waiting}"
    );
    // Flux keeps failing against the terminating object; the controller keeps waiting.
    let_flux_retry(&cluster, &sim, 5, &controller).await;
    assert_eq!(deletes(&cluster).len(), 1);
    assert!(
        reconcile_requests(&cluster, KS_PATH).is_empty(),
        "no reconcile request while the target is terminating\n{}",
        cluster.diagnostics(&[&controller])
    );
    let terminating = cluster
        .stand_in
        .object("apps/v1", "StatefulSet", "db", "pg")
        .expect("held by its finalizer");
    assert!(terminating["metadata"]["deletionTimestamp"].is_string());
    // It reads the target after the DELETE, and keeps finding it there.
    let reads_while_terminating: Vec<u16> = cluster.requests()[deletes(&cluster)[0]..]
        .iter()
        .filter(|r| r.verb == "GET" && r.path == STS_PATH)
        .map(|r| r.status)
        .collect();
    assert!(
        reads_while_terminating.len() >= 2 && reads_while_terminating.iter().all(|&s| s == 200),
        "{reads_while_terminating:?}"
    );

    // Whoever owns the finalizer lets go; the object is gone.
    let statefulsets: Api<DynamicObject> = Api::namespaced_with(
        cluster.client.clone(),
        "db",
        &kube::api::ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk(
            "apps",
            "v1",
            "StatefulSet",
        )),
    );
    statefulsets
        .patch(
            "pg",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"finalizers": null}})),
        )
        .await
        .expect("the finalizer is removed");
    let released = cluster.requests().len();
    wait_verified(&cluster, &controller, 1).await;
    let requests = reconcile_requests(&cluster, KS_PATH);
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0] >= released,
        "requested only once the target was gone"
    );
    assert_eq!(deletes(&cluster).len(), 1);
    let sts = cluster
        .stand_in
        .object("apps/v1", "StatefulSet", "db", "pg")
        .expect("Flux re-created the StatefulSet");
    assert_eq!(sts["spec"]["serviceName"], "pg-headless");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exhausted_helm_release_is_reset_then_upgraded_and_ready() {
    let release = json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
        "metadata": {"name": "web", "namespace": "apps", "generation": 2},
        "spec": {"interval": "10m", "chart": {"spec": {"chart": "web", "version": "1.2.0",
                 "sourceRef": {"kind": "HelmRepository", "name": "charts"}}}},
        "status": {"observedGeneration": 1, "conditions": [
            {"type": "Ready", "status": "True", "reason": "UpgradeSucceeded",
             "message": "Helm upgrade succeeded for release apps/web with chart web@1.1.0",
             "lastTransitionTime": "2026-01-01T00:00:00Z"}]}});
    // A Ready Kustomization too: the controller watches both kinds (their CRDs are inferred
    // from the objects).
    let cluster = Cluster::start(vec![namespace("unstuck-system"), kustomization(), release]).await;
    let sim = FluxSim::start(cluster.client.clone(), RETRY_INTERVAL);
    // The first upgrade times out; with the default remediation (retries: 0) helm-controller
    // then stalls and never upgrades again by itself, though a second try would succeed.
    sim.helm_release("apps", "web", 1);
    let path = "/apis/helm.toolkit.fluxcd.io/v2/namespaces/apps/helmreleases/web";
    cluster
        .eventually("the release stalled", &[], |c| {
            c.requests()
                .iter()
                .find(|r| {
                    r.path.ends_with("/status")
                        && r.body["status"]["conditions"]
                            .as_array()
                            .is_some_and(|c| c.iter().any(|c| c["reason"] == "RetriesExceeded"))
                })
                .map(|_| ())
        })
        .await;
    let controller = cluster.controller("replica-a", "mode: enforce\nstuckThresholdSecs: 0\n", &[]);
    let verified = wait_verified(&cluster, &controller, 1).await;
    assert_eq!(verified[0]["regarding"]["kind"], "HelmRelease");
    assert!(
        verified[0]["note"]
            .as_str()
            .unwrap()
            .contains("reset_helm_release"),
        "{}",
        verified[0]
    );
    let_flux_retry(&cluster, &sim, 3, &controller).await;

    assert_eq!(
        sim.upgrades("web"),
        2,
        "one failed upgrade, one after the reset"
    );
    let resets: Vec<usize> = reconcile_requests(&cluster, path)
        .into_iter()
        .filter(|&i| {
            cluster.requests()[i].body["metadata"]["annotations"]["reconcile.fluxcd.io/resetAt"]
                .is_string()
        })
        .collect();
    assert_eq!(resets.len(), 1, "{}", cluster.diagnostics(&[&controller]));
    let upgrades = ready_writes(&cluster, path, "Unknown");
    assert_eq!(upgrades.len(), 2);
    assert!(
        upgrades[0] < resets[0] && resets[0] < upgrades[1],
        "the second upgrade follows the reset"
    );
    assert!(cluster.requests_to("DELETE", "").is_empty());

    let releases: Api<DynamicObject> = Api::namespaced_with(
        cluster.client.clone(),
        "apps",
        &FluxKind::HelmRelease.api_resource(),
    );
    let final_release = serde_json::to_value(releases.get("web").await.unwrap()).unwrap();
    let conditions = final_release["status"]["conditions"].as_array().unwrap();
    assert!(conditions
        .iter()
        .any(|c| c["type"] == "Ready" && c["status"] == "True"));
    assert!(!conditions.iter().any(|c| c["type"] == "Stalled"));
    assert_eq!(
        final_release["status"]["lastHandledResetAt"],
        final_release["metadata"]["annotations"][REQUESTED_AT]
    );
    assert_eq!(final_release["status"]["observedGeneration"], 2);
}
