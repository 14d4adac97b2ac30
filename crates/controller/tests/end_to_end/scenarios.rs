//! The scenarios: recovery of an immutable-field failure, a protected kind, a healthy object, a
//! crash between the write-ahead mark and the delete, and API faults.

use base64::Engine as _;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube_stand_in::Fault;
use serde_json::{json, Value};
use unstuck_controller::backup::{BACKUP_KEY, BACKUP_LABEL};
use unstuck_controller::flux::REQUESTED_AT;
use unstuck_controller::record::STATE_ANNOTATION;

use crate::harness::{Cluster, Controller};

/// An object counts as stuck from its first failure (the default waits 300 s from it).
const ENFORCE: &str = "mode: enforce\nstuckThresholdSecs: 0\n";
const KS_PATH: &str =
    "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/apps";
const STS_PATH: &str = "/apis/apps/v1/namespaces/db/statefulsets/pg";
const SECRETS_PATH: &str = "/api/v1/namespaces/unstuck-system/secrets";

const STS_IMMUTABLE: &str = "StatefulSet/db/pg dry-run failed (Invalid): StatefulSet.apps \"pg\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";
const PVC_IMMUTABLE: &str = "PersistentVolumeClaim/db/data dry-run failed (Invalid): PersistentVolumeClaim \"data\" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims";

fn namespace(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
}

/// A Flux Kustomization at generation 4; failing with `message` since long ago, or Ready.
fn kustomization(name: &str, message: Option<&str>) -> Value {
    let ready = match message {
        Some(message) => {
            json!({"type": "Ready", "status": "False", "reason": "ReconciliationFailed",
                                "message": message, "lastTransitionTime": "2026-01-01T00:00:00Z"})
        }
        None => json!({"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded",
                       "message": "Applied revision: main@sha1:1", "lastTransitionTime": "2026-01-01T00:00:00Z"}),
    };
    json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
           "metadata": {"name": name, "namespace": "flux-system", "generation": 4},
           "spec": {"interval": "10m", "path": "./apps", "prune": true,
                    "sourceRef": {"kind": "GitRepository", "name": "flux-system"}},
           "status": {"observedGeneration": 4, "conditions": [ready]}})
}

fn flux_labels() -> Value {
    json!({"kustomize.toolkit.fluxcd.io/name": "apps", "kustomize.toolkit.fluxcd.io/namespace": "flux-system"})
}

/// The `StatefulSet` Flux applied, with one pod it owns.
fn statefulset() -> Value {
    json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
           "metadata": {"name": "pg", "namespace": "db", "uid": "uid-pg-1", "labels": flux_labels()},
           "spec": {"replicas": 1, "serviceName": "pg", "selector": {"matchLabels": {"app": "pg"}}},
           "status": {"replicas": 1}})
}

fn pod() -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "pg-0", "namespace": "db", "labels": {"app": "pg"},
                        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "pg",
                                             "uid": "uid-pg-1", "controller": true}]},
           "spec": {"containers": [{"name": "pg", "image": "postgres:17"}]}})
}

fn recovery_objects() -> Vec<Value> {
    vec![
        namespace("unstuck-system"),
        kustomization("apps", Some(STS_IMMUTABLE)),
        statefulset(),
        pod(),
    ]
}

fn position(cluster: &Cluster, verb: &str, path: &str) -> usize {
    cluster
        .requests()
        .iter()
        .position(|r| r.verb == verb && r.path == path && r.status < 300)
        .unwrap_or_else(|| panic!("no successful {verb} {path}\n{}", cluster.diagnostics(&[])))
}

/// The first attempt, checked in detail: write-ahead mark, read, backup, delete (Orphan, UID
/// precondition), reconcile request — in that order, once.
fn assert_recreated_once(cluster: &Cluster) {
    let requests = cluster.requests();
    let deletes = cluster.requests_to("DELETE", STS_PATH);
    assert_eq!(
        deletes.len(),
        1,
        "exactly one delete\n{}",
        cluster.diagnostics(&[])
    );
    let delete = &deletes[0];
    assert_eq!(delete.status, 200);
    assert_eq!(
        delete.body["propagationPolicy"], "Orphan",
        "a StatefulSet is deleted with Orphan"
    );
    assert_eq!(
        delete.body["preconditions"]["uid"], "uid-pg-1",
        "the delete names the backed-up object"
    );

    let mark = requests
        .iter()
        .position(|r| {
            r.verb == "PATCH"
                && r.path == KS_PATH
                && r.status == 200
                && r.body["metadata"]["annotations"][STATE_ANNOTATION]
                    .as_str()
                    .is_some_and(|s| s.contains("destructive"))
        })
        .expect("a write-ahead mark");
    assert!(
        requests[mark].body["metadata"]["resourceVersion"].is_string(),
        "the mark is guarded by the resourceVersion"
    );
    let read = position(cluster, "GET", STS_PATH);
    let backup = position(cluster, "POST", SECRETS_PATH);
    let deleted = position(cluster, "DELETE", STS_PATH);
    let reconcile = requests
        .iter()
        .position(|r| {
            r.verb == "PATCH"
                && r.path == KS_PATH
                && r.status == 200
                && r.body["metadata"]["annotations"][REQUESTED_AT].is_string()
        })
        .expect("a reconcile request");
    // The reconcile request waits until a read after the delete finds the target gone.
    let gone = requests
        .iter()
        .enumerate()
        .position(|(i, r)| i > deleted && r.verb == "GET" && r.path == STS_PATH && r.status == 404)
        .expect("a read after the delete that finds the target gone");
    assert!(
        mark < read && read < backup && backup < deleted && deleted < gone && gone < reconcile,
        "order: {mark} {read} {backup} {deleted} {gone} {reconcile}"
    );

    let backups: Vec<Value> = cluster
        .stand_in
        .objects("v1", "Secret")
        .into_iter()
        .filter(|s| s["metadata"]["labels"][BACKUP_LABEL] == "true")
        .collect();
    assert_eq!(backups.len(), 1);
    let stored = base64::engine::general_purpose::STANDARD
        .decode(backups[0]["data"][BACKUP_KEY].as_str().unwrap())
        .unwrap();
    let stored: Value = serde_json::from_slice(&stored).unwrap();
    assert_eq!(stored["metadata"]["name"], "pg");
    assert_eq!(stored["spec"]["serviceName"], "pg");
    assert!(
        stored["status"].is_null() && stored["metadata"]["uid"].is_null(),
        "backup is restorable"
    );
    // Orphan: the StatefulSet is gone, its pod stays and no longer names it as owner.
    assert!(cluster
        .stand_in
        .object("apps/v1", "StatefulSet", "db", "pg")
        .is_none());
    let pod = cluster
        .stand_in
        .object("v1", "Pod", "db", "pg-0")
        .expect("the pod survives");
    assert!(pod["metadata"]["ownerReferences"].is_null());
}

/// Waits until the `apps` Kustomization carries a reconcile request, and returns its token.
async fn reconcile_requested(cluster: &Cluster, what: &str, controllers: &[&Controller]) -> String {
    cluster
        .eventually(what, controllers, |c| {
            let requested = c.stand_in.object(
                "kustomize.toolkit.fluxcd.io/v1",
                "Kustomization",
                "flux-system",
                "apps",
            )?["metadata"]["annotations"][REQUESTED_AT]
                .as_str()
                .map(str::to_owned)?;
            // The stand-in changes the object before it logs the request that changed it, and
            // the assertions that follow read the log: wait for the request there too.
            let logged = c.requests().iter().any(|r| {
                r.verb == "PATCH"
                    && r.path == KS_PATH
                    && r.status == 200
                    && r.body["metadata"]["annotations"][REQUESTED_AT].is_string()
            });
            logged.then_some(requested)
        })
        .await
}

/// The `StatefulSet` as Flux would apply it again from Git (a new UID).
fn recreated_statefulset() -> Value {
    let mut sts = statefulset();
    sts["metadata"].as_object_mut().unwrap().remove("uid");
    sts.as_object_mut().unwrap().remove("status");
    sts["spec"]["serviceName"] = json!("pg-headless");
    sts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn immutable_field_failure_is_backed_up_deleted_reconciled_and_verified() {
    let cluster = Cluster::start(recovery_objects()).await;
    let controller = cluster.controller("replica-a", ENFORCE, &["--no-helm-releases"]);
    reconcile_requested(
        &cluster,
        "the reconcile request after the delete",
        &[&controller],
    )
    .await;
    assert_recreated_once(&cluster);
    // The Event follows the request it reports.
    let started = cluster
        .eventually("a RecoveryStarted event", &[&controller], |c| {
            let started = c.events("RecoveryStarted");
            (!started.is_empty()).then_some(started)
        })
        .await;
    assert_eq!(started.len(), 1);

    cluster
        .play_flux_success("flux-system", "apps", recreated_statefulset())
        .await;
    let record = cluster
        .eventually("the recovery recorded as verified", &[&controller], |c| {
            let record = c.record("flux-system", "apps")?;
            (record.pending.is_none() && record.episode.is_none()).then_some(record)
        })
        .await;
    assert_eq!(record.destructive.len(), 1, "the destructive mark is kept");
    assert_eq!(record.destructive[0].generation, 4);
    let verified = cluster
        .eventually("a RecoveryVerified event", &[&controller], |c| {
            c.events("RecoveryVerified").into_iter().next()
        })
        .await;
    assert!(
        verified["note"].as_str().unwrap().contains("succeeded"),
        "{verified}"
    );
    assert_eq!(
        cluster.requests_to("DELETE", "").len(),
        1,
        "never a second delete"
    );
    let recreated = cluster
        .stand_in
        .object("apps/v1", "StatefulSet", "db", "pg")
        .unwrap();
    assert_ne!(recreated["metadata"]["uid"], "uid-pg-1");
}

/// A cluster without helm-controller's CRD: the controller leaves `HelmRelease`s out instead of
/// waiting forever for their initial list, so Kustomizations are still recovered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kind_the_cluster_does_not_serve_does_not_block_recovery() {
    let cluster = Cluster::start(recovery_objects()).await;
    assert!(
        !recovery_objects()
            .iter()
            .any(|object| object["kind"] == "HelmRelease"),
        "the stand-in must not serve HelmReleases in this test"
    );
    let controller = cluster.controller("replica-a", ENFORCE, &[]);
    reconcile_requested(
        &cluster,
        "the reconcile request after the delete",
        &[&controller],
    )
    .await;
    assert_recreated_once(&cluster);
    assert!(
        controller.log_text().contains("not watching it"),
        "the skipped kind is logged:\n{}",
        controller.log_text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protected_kind_is_never_deleted_and_the_skip_is_reported() {
    let pvc = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                     "metadata": {"name": "data", "namespace": "db", "labels": flux_labels()},
                     "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}});
    let cluster = Cluster::start(vec![
        namespace("unstuck-system"),
        kustomization("apps", Some(PVC_IMMUTABLE)),
        pvc,
    ])
    .await;
    let controller = cluster.controller("replica-a", ENFORCE, &["--no-helm-releases"]);
    let skipped = cluster
        .eventually("a RecoverySkipped event", &[&controller], |c| {
            c.events("RecoverySkipped").into_iter().next()
        })
        .await;
    let note = skipped["note"].as_str().unwrap();
    assert!(note.contains("protected kind"), "{note}");
    assert_eq!(skipped["regarding"]["name"], "apps");
    assert!(
        cluster.requests_to("DELETE", "").is_empty(),
        "{}",
        cluster.diagnostics(&[&controller])
    );
    assert!(
        cluster.requests_to("POST", "/secrets").is_empty(),
        "no backup either"
    );
    assert!(
        cluster
            .requests_to("GET", "/persistentvolumeclaims")
            .is_empty(),
        "not even read"
    );
    assert!(cluster
        .stand_in
        .object("v1", "PersistentVolumeClaim", "db", "data")
        .is_some());
}

/// kustomize-controller `reconcile`: `tmp dir error: %w`, a failure no built-in pattern matches
/// (docs/recovery-patterns.md leaves it to the `unknown` default). `{}` is the temp dir's number,
/// which changes on every attempt.
fn unrecognised(attempt: u32) -> String {
    format!("tmp dir error: mkdir /tmp/kustomization-17626391{attempt:02}: no space left on device")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unrecognised_failure_gets_one_warning_event_a_metric_and_no_action() {
    let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "apps", "labels": flux_labels()},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}}}});
    let cluster = Cluster::start(vec![
        namespace("unstuck-system"),
        namespace("apps"),
        kustomization("apps", Some(&unrecognised(0))),
        deployment,
    ])
    .await;
    let controller = cluster.controller("replica-a", ENFORCE, &["--no-helm-releases"]);
    let event = cluster
        .eventually("an UnrecognisedFailure event", &[&controller], |c| {
            c.events("UnrecognisedFailure").into_iter().next()
        })
        .await;
    assert_eq!(event["type"], "Warning");
    assert_eq!(event["regarding"]["kind"], "Kustomization");
    assert_eq!(event["regarding"]["name"], "apps");
    let note = event["note"].as_str().unwrap();
    assert!(
        note.starts_with(&format!(
            "no recovery pattern matched the failure \"{}\"",
            unrecognised(0)
        )),
        "{note}"
    );
    assert!(note.contains("--patterns"), "{note}");

    // Flux retries: Ready=Unknown "Reconciliation in progress", then the same failure (another
    // temp dir). Each failure is seen by the controller (it stores the latest message).
    let kustomizations: Api<DynamicObject> = Api::namespaced_with(
        cluster.client.clone(),
        "flux-system",
        &unstuck_controller::flux::FluxKind::Kustomization.api_resource(),
    );
    for attempt in 1..=3 {
        let now = jiff::Timestamp::now()
            .round(jiff::Unit::Second)
            .unwrap()
            .to_string();
        for (status, reason, message) in [
            (
                "Unknown",
                "Progressing",
                "Reconciliation in progress".to_owned(),
            ),
            ("False", "ReconciliationFailed", unrecognised(attempt)),
        ] {
            let status = json!({"status": {"conditions": [{"type": "Ready", "status": status,
                "reason": reason, "message": message, "lastTransitionTime": now}]}});
            kustomizations
                .patch_status("apps", &PatchParams::default(), &Patch::Merge(status))
                .await
                .expect("flux reports");
        }
        let message = unrecognised(attempt);
        cluster
            .eventually("the controller to see the retry", &[&controller], |c| {
                c.record("flux-system", "apps")?
                    .episode
                    .filter(|e| e.message == message)
            })
            .await;
    }
    let obj = r#"kind="Kustomization",namespace="flux-system",name="apps""#;
    let wanted = [
        format!(r#"unstuck_object_classification{{{obj},pattern="unknown",action="none"}} 1"#),
        // One episode, counted once (not again when the leader's first, in-memory decision is
        // followed by one from the persisted record).
        r#"unstuck_classifications_total{kind="Kustomization",pattern="unknown",action="none"} 1"#
            .to_owned(),
        format!("unstuck_object_stuck{{{obj}}} 1"),
    ]
    .map(|line| line + "\n");
    cluster
        .eventually("the unknown episode in the metrics", &[&controller], |_| {
            controller
                .metrics_text()
                .filter(|m| wanted.iter().all(|line| m.contains(line.as_str())))
        })
        .await;

    let diagnostics = || cluster.diagnostics(&[&controller]);
    assert_eq!(
        cluster.events("UnrecognisedFailure").len(),
        1,
        "{}",
        diagnostics()
    );
    let event_writes: Vec<_> = cluster
        .requests_to("POST", "/events")
        .into_iter()
        .chain(cluster.requests_to("PATCH", "/events"))
        .collect();
    assert_eq!(
        event_writes.len(),
        1,
        "one Event, never repeated: {event_writes:#?}"
    );
    // Nothing but the controller's own state on the Kustomization (and Flux's status, played
    // here) was written: no request annotation, no DELETE, no PATCH of a workload.
    assert!(
        cluster.requests_to("DELETE", "").is_empty(),
        "{}",
        diagnostics()
    );
    for write in cluster.writes() {
        let allowed = write.path.ends_with("/events")
            || write.path.contains("/leases")
            || write.path == format!("{KS_PATH}/status")
            || (write.path == KS_PATH
                && write.body["metadata"]["annotations"][REQUESTED_AT].is_null());
        assert!(
            allowed,
            "unexpected write {} {}\n{}",
            write.verb,
            write.path,
            diagnostics()
        );
    }
    assert!(
        cluster.requests_to("", "/deployments").is_empty()
            && cluster
                .requests()
                .iter()
                .all(|r| !r.path.contains("/deployments")),
        "the workload is not even read"
    );
    let record = cluster.record("flux-system", "apps").unwrap();
    assert!(record.episode.unwrap().reported);
    assert!(record.pending.is_none() && record.destructive.is_empty() && record.retries.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthy_object_gets_no_write_at_all() {
    let cluster = Cluster::start(vec![
        namespace("unstuck-system"),
        kustomization("apps", None),
    ])
    .await;
    let mut controller = cluster.controller("replica-a", ENFORCE, &["--no-helm-releases"]);
    let ready_series =
        "unstuck_object_ready{kind=\"Kustomization\",namespace=\"flux-system\",name=\"apps\"} 1";
    cluster
        .eventually(
            "the healthy object reconciled (its metric)",
            &[&controller],
            |_| {
                controller
                    .metrics_text()
                    .filter(|m| m.contains(ready_series))
            },
        )
        .await;
    controller.kill();
    let writes = cluster.writes();
    assert!(writes.is_empty(), "{writes:#?}");
    assert!(
        cluster.requests_to("WATCH", "/kustomizations").len()
            + cluster.requests_to("LIST", "/kustomizations").len()
            >= 1
    );
    let object = cluster
        .stand_in
        .object(
            "kustomize.toolkit.fluxcd.io/v1",
            "Kustomization",
            "flux-system",
            "apps",
        )
        .unwrap();
    assert!(object["metadata"]["annotations"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_between_the_write_ahead_mark_and_the_delete_never_deletes_after_restart() {
    let cluster = Cluster::start(recovery_objects()).await;
    // The first replica hangs reading the target, after it wrote its mark, and is killed there.
    cluster
        .stand_in
        .inject(Fault::stall().on("GET").path(STS_PATH));
    let mut first = cluster.controller(
        "replica-a",
        "mode: enforce\nstuckThresholdSecs: 0\nverifyTimeoutSecs: 1\n",
        &["--no-helm-releases"],
    );
    cluster
        .eventually("the write-ahead mark", &[&first], |c| {
            c.record("flux-system", "apps")
                .filter(|r| !r.destructive.is_empty())
        })
        .await;
    first.kill();
    let second = cluster.controller(
        "replica-b",
        "mode: enforce\nstuckThresholdSecs: 0\nverifyTimeoutSecs: 1\n",
        &["--no-helm-releases"],
    );
    let refused = cluster
        .eventually(
            "the restarted controller giving up on the target",
            &[&second],
            |c| {
                c.events("RecoverySkipped")
                    .into_iter()
                    .chain(c.events("RecoveryExhausted"))
                    .next()
            },
        )
        .await;
    assert!(
        cluster.requests_to("DELETE", "").is_empty(),
        "{}",
        cluster.diagnostics(&[&second])
    );
    assert!(cluster.requests_to("POST", "/secrets").is_empty());
    assert!(cluster
        .stand_in
        .object("apps/v1", "StatefulSet", "db", "pg")
        .is_some());
    let note = refused["note"].as_str().unwrap();
    assert!(note.contains("not running recreate_resource"), "{note}");
    assert!(
        note.contains("already deleted once for this generation"),
        "{note}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_409_429_500_and_an_expired_watch_still_recover_exactly_once() {
    let cluster = Cluster::start(recovery_objects()).await;
    cluster
        .stand_in
        .inject(Fault::status(500).on("LIST").path("/kustomizations"));
    cluster
        .stand_in
        .inject(Fault::status(409).on("PATCH").path(KS_PATH));
    cluster
        .stand_in
        .inject(Fault::status(429).on("POST").path(SECRETS_PATH));
    let controller = cluster.controller("replica-a", ENFORCE, &["--no-helm-releases"]);
    reconcile_requested(
        &cluster,
        "the reconcile request after the delete",
        &[&controller],
    )
    .await;
    assert!(
        cluster.stand_in.pending_faults().is_empty(),
        "every fault was hit"
    );
    let statuses = |verb: &str, path: &str| -> Vec<u16> {
        cluster
            .requests()
            .iter()
            .filter(|r| r.verb == verb && r.path.contains(path))
            .map(|r| r.status)
            .collect()
    };
    assert_eq!(
        statuses("LIST", "/kustomizations")[..2],
        [500, 200],
        "the watcher lists again after a 500"
    );
    assert_eq!(
        statuses("PATCH", KS_PATH)[0],
        409,
        "the guarded mark met a conflict first"
    );
    assert_eq!(
        statuses("POST", SECRETS_PATH),
        [429, 201],
        "kube's client retried the 429"
    );
    assert_recreated_once(&cluster);

    // The watch history expires: the controller's next watch gets 410 and lists again, and it
    // still sees Flux's success.
    let lists_before = statuses("LIST", "/kustomizations").len();
    cluster.stand_in.expire_watch_history();
    cluster
        .eventually("a re-list after 410 Gone", &[&controller], |c| {
            (c.requests()
                .iter()
                .filter(|r| r.verb == "LIST" && r.path.contains("/kustomizations"))
                .count()
                > lists_before)
                .then_some(())
        })
        .await;
    cluster
        .play_flux_success("flux-system", "apps", recreated_statefulset())
        .await;
    cluster
        .eventually("the recovery recorded as verified", &[&controller], |c| {
            c.events("RecoveryVerified").into_iter().next()
        })
        .await;
    assert_eq!(
        cluster.requests_to("DELETE", "").len(),
        1,
        "never a second delete"
    );
}

fn lease_holder(cluster: &Cluster) -> Option<String> {
    let lease = cluster.stand_in.object(
        "coordination.k8s.io/v1",
        "Lease",
        "unstuck-system",
        "unstuck-controller",
    )?;
    lease["spec"]["holderIdentity"].as_str().map(str::to_owned)
}

/// Waits until `replica` acts as leader: the Lease changes hands a moment before the replica
/// acts on it, and its metric follows the flag the reconcile loop reads.
async fn wait_until_leading(cluster: &Cluster, replica: &Controller) {
    cluster
        .eventually("the replica leading", &[replica], |_| {
            replica
                .metrics_text()
                .filter(|m| m.lines().any(|l| l == "unstuck_leader 1"))
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_leader_never_repeats_the_delete_of_a_killed_leader() {
    let cluster = Cluster::start(recovery_objects()).await;
    // The verification window outlasts the Lease handover: the first leader is killed while its
    // action still awaits verification, and the second one decides when the window closes.
    let config = "mode: enforce\nstuckThresholdSecs: 0\nverifyTimeoutSecs: 20\n";
    let elect = ["--no-helm-releases", "--leader-election"];
    let mut leader = cluster.controller("replica-a", config, &elect);
    cluster
        .eventually("replica-a holding the Lease", &[&leader], |c| {
            lease_holder(c).filter(|h| h == "replica-a")
        })
        .await;
    // No watch event follows: the new leader reconciles every object once its budget is rebuilt.
    wait_until_leading(&cluster, &leader).await;
    let follower = cluster.controller("replica-b", config, &elect);
    // The leader deletes the target and asks Flux to reconcile; then it dies, Lease unreleased.
    cluster
        .eventually("the leader's delete", &[&leader], |c| {
            c.requests_to("DELETE", STS_PATH).into_iter().next()
        })
        .await;
    reconcile_requested(&cluster, "the leader's reconcile request", &[&leader]).await;
    // Its Event follows the request; kill it only after that, so the Event count below is exact.
    cluster
        .eventually("the leader's RecoveryStarted event", &[&leader], |c| {
            c.events("RecoveryStarted").into_iter().next()
        })
        .await;
    leader.kill();
    // Flux has not recovered: the failure goes on, so the new leader decides again.
    cluster
        .eventually("replica-b taking the Lease over", &[&follower], |c| {
            lease_holder(c).filter(|h| h == "replica-b")
        })
        .await;
    wait_until_leading(&cluster, &follower).await;
    // The failure goes on as it was (no status change, hence no watch event): the new leader
    // looks again because it gained leadership, and skips.
    let skipped = cluster
        .eventually("the new leader skipping the target", &[&follower], |c| {
            c.events("RecoverySkipped")
                .into_iter()
                .find(|e| e["reportingInstance"] == "replica-b")
        })
        .await;
    assert!(
        skipped["note"]
            .as_str()
            .unwrap()
            .contains("already deleted once for this generation"),
        "{skipped}"
    );
    assert_eq!(
        cluster.requests_to("DELETE", "").len(),
        1,
        "{}",
        cluster.diagnostics(&[&follower])
    );
    let started: Vec<Value> = cluster.events("RecoveryStarted");
    assert_eq!(started.len(), 1);
    assert_eq!(started[0]["reportingInstance"], "replica-a");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helm_release_out_of_retries_gets_a_reset_request_and_is_verified() {
    let release = json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
        "metadata": {"name": "web", "namespace": "apps", "generation": 2},
        "spec": {"interval": "10m", "chart": {"spec": {"chart": "web", "sourceRef": {"kind": "HelmRepository", "name": "charts"}}}},
        "status": {"observedGeneration": 2, "conditions": [
            {"type": "Ready", "status": "False", "reason": "RetriesExceeded",
             "message": "Failed to upgrade after 4 attempt(s)", "lastTransitionTime": "2026-01-01T00:00:00Z"},
            {"type": "Stalled", "status": "True", "reason": "RetriesExceeded",
             "message": "Failed to upgrade after 4 attempt(s)", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}});
    // Flux installs both CRDs; the stand-in serves a kind once an object of it exists, and the
    // controller acts only after listing every kind it watches.
    let cluster = Cluster::start(vec![
        namespace("unstuck-system"),
        kustomization("infra", None),
        release,
    ])
    .await;
    let controller = cluster.controller("replica-a", ENFORCE, &[]);
    let path = "/apis/helm.toolkit.fluxcd.io/v2/namespaces/apps/helmreleases/web";
    let request = cluster
        .eventually("the reset request", &[&controller], |c| {
            c.requests_to("PATCH", path).into_iter().find(|r| {
                r.status == 200
                    && r.body["metadata"]["annotations"]["reconcile.fluxcd.io/resetAt"].is_string()
            })
        })
        .await;
    let annotations = &request.body["metadata"]["annotations"];
    assert_eq!(
        annotations["reconcile.fluxcd.io/resetAt"], annotations[REQUESTED_AT],
        "one token for both"
    );
    assert!(cluster.requests_to("DELETE", "").is_empty());

    // helm-controller handles the reset and the upgrade succeeds.
    let releases: Api<DynamicObject> = Api::namespaced_with(
        cluster.client.clone(),
        "apps",
        &unstuck_controller::flux::FluxKind::HelmRelease.api_resource(),
    );
    let token = annotations[REQUESTED_AT].clone();
    let now = jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .unwrap()
        .to_string();
    let status = json!({"status": {"lastHandledResetAt": token, "lastHandledReconcileAt": token, "conditions": [
        {"type": "Ready", "status": "True", "reason": "UpgradeSucceeded", "message": "Helm upgrade succeeded", "lastTransitionTime": now}]}});
    releases
        .patch_status("web", &PatchParams::default(), &Patch::Merge(status))
        .await
        .unwrap();
    let verified = cluster
        .eventually("a RecoveryVerified event", &[&controller], |c| {
            c.events("RecoveryVerified").into_iter().next()
        })
        .await;
    assert_eq!(verified["regarding"]["kind"], "HelmRelease");
    assert!(
        verified["note"]
            .as_str()
            .unwrap()
            .contains("reset_helm_release"),
        "{verified}"
    );
}
