//! API interactions against a scripted mock API server: the exact requests, their order and
//! bodies, and behaviour under faults (409, 429, 500, restarts mid-recovery).

use serde_json::{json, Value};
use unstuck_controller::config::{Config, Mode};
use unstuck_controller::flux::FluxKind;
use unstuck_controller::record::{DestructiveMark, Episode, RecoveryRecord, STATE_ANNOTATION};

use crate::support::{enforce, expect, fail, scripted, scripted_with_events, Seen};

const T0: u64 = 1_767_225_600;
const NOW: u64 = T0 + 600;
const TOKEN: &str = "2026-01-01T00:10:00Z";

const KS: &str = "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/apps?&fieldManager=unstuck-controller";
const HR: &str = "/apis/helm.toolkit.fluxcd.io/v2/namespaces/apps/helmreleases/web?&fieldManager=unstuck-controller";
const STS: &str = "/apis/apps/v1/namespaces/db/statefulsets/pg";
const STS_DELETE: &str = "/apis/apps/v1/namespaces/db/statefulsets/pg?";
const SECRETS: &str = "/api/v1/namespaces/unstuck-system/secrets?&fieldManager=unstuck-controller";

const STS_IMMUTABLE: &str = "StatefulSet/db/pg dry-run failed (Invalid): StatefulSet.apps \"pg\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

const REVISION: &str = "main@sha1:abc";

/// A Kustomization failing with `message`, whose persisted state says it has been failing for
/// this generation and revision since `T0` (so at `NOW` it is stuck), plus `annotations`.
fn kustomization(message: &str, annotations: Value) -> Value {
    let mut object = fresh_kustomization(message, annotations);
    let annotations = &mut object["metadata"]["annotations"];
    if annotations.get(STATE_ANNOTATION).is_none() {
        annotations[STATE_ANNOTATION] = json!(failing_since(T0, message).encode());
    }
    object
}

fn failing_since(since: u64, message: &str) -> RecoveryRecord {
    RecoveryRecord {
        episode: Some(Episode {
            generation: 4,
            revision: Some(REVISION.into()),
            message: message.into(),
            since,
            message_since: since,
            pattern: None,
            reason: None,
            reported: false,
        }),
        ..RecoveryRecord::default()
    }
}

/// A Kustomization failing with `message`, never seen by the controller before.
fn fresh_kustomization(message: &str, annotations: Value) -> Value {
    json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
        "metadata": {"name": "apps", "namespace": "flux-system", "uid": "uid-apps", "resourceVersion": "100",
                     "generation": 4, "annotations": annotations},
        "spec": {"sourceRef": {"kind": "GitRepository", "name": "flux-system"}, "interval": "10m", "path": "./apps"},
        "status": {"observedGeneration": 3, "lastAttemptedRevision": REVISION, "conditions": [{
            "type": "Ready", "status": "False", "reason": "ReconciliationFailed", "message": message,
            "lastTransitionTime": "2026-01-01T00:00:00Z"}]}
    })
}

fn statefulset(labels: Value) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "pg", "namespace": "db", "uid": "uid-pg", "resourceVersion": "55", "labels": labels,
                     "managedFields": [{"manager": "kustomize-controller"}]},
        "spec": {"replicas": 1, "serviceName": "pg"},
        "status": {"replicas": 1}
    })
}

fn flux_labels() -> Value {
    json!({"kustomize.toolkit.fluxcd.io/name": "apps", "kustomize.toolkit.fluxcd.io/namespace": "flux-system"})
}

fn persisted(seen: &Seen) -> RecoveryRecord {
    let text = seen.body["metadata"]["annotations"][STATE_ANNOTATION]
        .as_str()
        .expect("state annotation");
    RecoveryRecord::decode(Some(text)).unwrap()
}

#[tokio::test]
async fn recreate_backs_up_then_deletes_with_orphan_propagation_then_requests_reconcile() {
    let (ctx, server) = scripted(
        enforce(),
        NOW,
        vec![
            expect("PATCH", KS, json!({})),
            expect("GET", STS, statefulset(flux_labels())),
            expect(
                "POST",
                SECRETS,
                json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "b"}}),
            ),
            expect(
                "DELETE",
                STS_DELETE,
                json!({"kind": "Status", "apiVersion": "v1", "status": "Success"}),
            ),
            fail("GET", STS, 404, "NotFound"),
            expect("PATCH", KS, json!({})),
        ],
    );
    let requeue = ctx
        .reconcile_object(
            FluxKind::Kustomization,
            &kustomization(STS_IMMUTABLE, json!({})),
        )
        .await
        .unwrap();
    drop(ctx);
    let seen = server.await.unwrap();

    // 1. Write-ahead: the destructive mark is persisted, guarded by the resourceVersion read.
    assert_eq!(seen[0].body["metadata"]["resourceVersion"], "100");
    let ahead = persisted(&seen[0]);
    assert!(ahead.destroyed_at(4, Some(REVISION), "StatefulSet/db/pg"));
    assert_eq!(
        seen[0].body["metadata"]["annotations"]
            .as_object()
            .unwrap()
            .len(),
        1,
        "state only"
    );
    // 2. The backup holds the live object without server-set fields.
    let secret = &seen[2].body;
    assert_eq!(secret["type"], "unstuck.dev/backup");
    assert_eq!(
        secret["metadata"]["name"],
        format!("unstuck-backup-statefulset-pg-{NOW}")
    );
    assert_eq!(secret["metadata"]["labels"]["unstuck.dev/backup"], "true");
    assert_eq!(
        secret["metadata"]["annotations"]["unstuck.dev/backup-of"],
        "StatefulSet/db/pg"
    );
    let stored: Value = serde_json::from_slice(&base64_decode(
        secret["data"]["object.json"].as_str().unwrap(),
    ))
    .unwrap();
    assert_eq!(stored["spec"], json!({"replicas": 1, "serviceName": "pg"}));
    assert!(stored["metadata"].get("uid").is_none() && stored.get("status").is_none());
    // 3. Delete: orphan dependents (pods, PVCs) and only the exact object backed up.
    assert_eq!(
        seen[3].body,
        json!({"propagationPolicy": "Orphan", "preconditions": {"uid": "uid-pg"}})
    );
    // 4. Wait until it is gone (404), then ask Flux to re-apply: requestedAt plus the state, no
    // longer guarded (we just wrote).
    let annotations = &seen[5].body["metadata"]["annotations"];
    assert_eq!(annotations["reconcile.fluxcd.io/requestedAt"], TOKEN);
    assert!(
        annotations.get("reconcile.fluxcd.io/resetAt").is_none(),
        "a Kustomization needs no reset"
    );
    assert!(seen[5].body["metadata"].get("resourceVersion").is_none());
    let after = persisted(&seen[5]);
    assert_eq!(
        after.pending.as_ref().map(|p| p.action.as_str()),
        Some("recreate_resource")
    );
    assert!(after.destroyed_at(4, Some(REVISION), "StatefulSet/db/pg"));
    assert_eq!(requeue.as_secs(), 60);
}

#[tokio::test]
async fn target_not_applied_by_this_flux_object_is_not_touched() {
    let (ctx, server) = scripted(
        enforce(),
        NOW,
        vec![
            expect("PATCH", KS, json!({})),
            expect("GET", STS, statefulset(json!({"app": "pg"}))),
            expect("PATCH", KS, json!({})),
        ],
    );
    ctx.reconcile_object(
        FluxKind::Kustomization,
        &kustomization(STS_IMMUTABLE, json!({})),
    )
    .await
    .unwrap();
    drop(ctx);
    let seen = server.await.unwrap();
    let annotations = seen[2].body["metadata"]["annotations"].as_object().unwrap();
    assert_eq!(
        annotations.len(),
        1,
        "no reconcile request, only the state: {annotations:?}"
    );
    assert_eq!(persisted(&seen[2]).pending, None);
}

#[tokio::test]
async fn manual_policy_on_the_target_is_honoured() {
    let mut sts = statefulset(flux_labels());
    sts["metadata"]["annotations"] = json!({"unstuck.dev/recovery-policy": "manual"});
    let (ctx, server) = scripted(
        enforce(),
        NOW,
        vec![
            expect("PATCH", KS, json!({})),
            expect("GET", STS, sts),
            expect("PATCH", KS, json!({})),
        ],
    );
    ctx.reconcile_object(
        FluxKind::Kustomization,
        &kustomization(STS_IMMUTABLE, json!({})),
    )
    .await
    .unwrap();
    drop(ctx);
    let seen = server.await.unwrap();
    assert!(seen
        .iter()
        .all(|s| s.method != "DELETE" && s.method != "POST"));
}

#[tokio::test]
async fn conflict_on_the_write_ahead_changes_nothing_and_requeues_soon() {
    let (ctx, server) = scripted(enforce(), NOW, vec![fail("PATCH", KS, 409, "Conflict")]);
    let requeue = ctx
        .reconcile_object(
            FluxKind::Kustomization,
            &kustomization(STS_IMMUTABLE, json!({})),
        )
        .await
        .unwrap();
    drop(ctx);
    server.await.unwrap();
    assert_eq!(requeue.as_secs(), 2);
}

#[tokio::test]
async fn failed_backup_deletes_nothing_and_forgets_the_mark() {
    let (ctx, server) = scripted(
        enforce(),
        NOW,
        vec![
            expect("PATCH", KS, json!({})),
            expect("GET", STS, statefulset(flux_labels())),
            fail("POST", SECRETS, 500, "InternalError"),
            expect("PATCH", KS, json!({})),
        ],
    );
    let err = ctx
        .reconcile_object(
            FluxKind::Kustomization,
            &kustomization(STS_IMMUTABLE, json!({})),
        )
        .await
        .unwrap_err();
    drop(ctx);
    let seen = server.await.unwrap();
    assert!(
        unstuck_controller::controller::error_chain(&err).contains("creating the backup secret")
    );
    let record = persisted(&seen[3]);
    assert!(
        !record.destroyed_at(4, Some(REVISION), "StatefulSet/db/pg"),
        "nothing was deleted, so a later attempt may try"
    );
    assert_eq!(record.pending, None);
}

#[tokio::test]
async fn restart_after_an_uncertain_delete_never_deletes_again() {
    // First controller: the DELETE fails with 500 (it may or may not have happened).
    let (ctx, server) = scripted(
        enforce(),
        NOW,
        vec![
            expect("PATCH", KS, json!({})),
            expect("GET", STS, statefulset(flux_labels())),
            expect("POST", SECRETS, json!({})),
            fail("DELETE", STS_DELETE, 500, "InternalError"),
            expect("PATCH", KS, json!({})),
        ],
    );
    ctx.reconcile_object(
        FluxKind::Kustomization,
        &kustomization(STS_IMMUTABLE, json!({})),
    )
    .await
    .unwrap_err();
    drop(ctx);
    let seen = server.await.unwrap();
    let state = seen[4].body["metadata"]["annotations"][STATE_ANNOTATION]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(RecoveryRecord::decode(Some(&state)).unwrap().destroyed_at(
        4,
        Some(REVISION),
        "StatefulSet/db/pg"
    ));

    // A new controller (restart or new leader) reads the persisted state from the object:
    // it reports the skip and writes the updated state, but never deletes.
    let (ctx, server) = scripted(enforce(), NOW + 3600, vec![expect("PATCH", KS, json!({}))]);
    let object = kustomization(STS_IMMUTABLE, json!({ STATE_ANNOTATION: state }));
    ctx.reconcile_object(FluxKind::Kustomization, &object)
        .await
        .unwrap();
    drop(ctx);
    let seen = server.await.unwrap();
    assert_eq!(seen.len(), 1);

    // And once that state is persisted, later reconciles make no request at all.
    let state = seen[0].body["metadata"]["annotations"][STATE_ANNOTATION]
        .as_str()
        .unwrap()
        .to_owned();
    let (ctx, server) = scripted(enforce(), NOW + 7200, vec![]);
    let object = kustomization(STS_IMMUTABLE, json!({ STATE_ANNOTATION: state }));
    ctx.reconcile_object(FluxKind::Kustomization, &object)
        .await
        .unwrap();
    drop(ctx);
    assert!(server.await.unwrap().is_empty());
}

#[tokio::test]
async fn request_reconcile_is_one_guarded_merge_patch() {
    let message = "Health check failed after 5m0.030442677s, timeout waiting for: [Deployment/apps/web status: 'InProgress']";
    let (ctx, server) = scripted(enforce(), NOW, vec![expect("PATCH", KS, json!({}))]);
    ctx.reconcile_object(
        FluxKind::Kustomization,
        &kustomization(message, json!({"keep": "me"})),
    )
    .await
    .unwrap();
    drop(ctx);
    let seen = server.await.unwrap();
    let metadata = &seen[0].body["metadata"];
    assert_eq!(metadata["resourceVersion"], "100");
    assert_eq!(
        metadata["annotations"]["reconcile.fluxcd.io/requestedAt"],
        TOKEN
    );
    assert!(
        metadata["annotations"].get("keep").is_none(),
        "a merge patch only names what it changes"
    );
    assert_eq!(
        persisted(&seen[0]).pending.unwrap().action.as_str(),
        "request_reconcile"
    );
}

#[tokio::test]
async fn an_unrecognised_failure_gets_one_warning_event_and_no_action() {
    let message = "tmp dir error: mkdir /tmp/kustomization-1762639108: no space left on device";
    let events = "/apis/events.k8s.io/v1/namespaces/flux-system/events?";
    let (ctx, server) = scripted_with_events(
        enforce(),
        NOW,
        vec![
            expect("PATCH", KS, json!({})),
            expect("POST", events, json!({})),
        ],
    );
    let object = kustomization(message, json!({}));
    ctx.reconcile_object(FluxKind::Kustomization, &object)
        .await
        .unwrap();
    drop(ctx);
    let seen = server.await.unwrap();

    // The state patch (guarded) records the report and nothing else: no request annotation,
    // no attempt, no mark.
    assert_eq!(seen[0].body["metadata"]["resourceVersion"], "100");
    let annotations = seen[0].body["metadata"]["annotations"].as_object().unwrap();
    assert_eq!(
        annotations.keys().collect::<Vec<_>>(),
        [STATE_ANNOTATION],
        "{annotations:?}"
    );
    let record = persisted(&seen[0]);
    assert!(record.episode.as_ref().unwrap().reported);
    assert!(record.pending.is_none() && record.destructive.is_empty() && record.retries.is_empty());

    let event = &seen[1].body;
    assert_eq!(event["type"], "Warning");
    assert_eq!(event["reason"], "UnrecognisedFailure");
    assert_eq!(event["action"], "Investigate");
    assert_eq!(event["regarding"]["kind"], "Kustomization");
    assert_eq!(event["regarding"]["name"], "apps");
    let note = event["note"].as_str().unwrap();
    assert!(
        note.starts_with(&format!(
            "no recovery pattern matched the failure \"{message}\""
        )),
        "{note}"
    );
    assert!(note.contains("--patterns"), "{note}");

    // Flux's next attempt fails the same way, and the object carries the state just written:
    // no request at all, no second Event.
    let mut again = kustomization(message, json!({}));
    again["metadata"]["annotations"][STATE_ANNOTATION] = json!(record.encode());
    let (ctx, server) = scripted_with_events(enforce(), NOW + 60, vec![]);
    ctx.reconcile_object(FluxKind::Kustomization, &again)
        .await
        .unwrap();
    drop(ctx);
    assert!(server.await.unwrap().is_empty());
}

#[tokio::test]
async fn throttled_write_is_an_error_and_nothing_is_lost() {
    let message = "Health check failed after 5m0.030442677s, timeout waiting for: [Deployment/apps/web status: 'InProgress']";
    let object = kustomization(message, json!({}));
    let (ctx, server) = scripted(
        enforce(),
        NOW,
        vec![fail("PATCH", KS, 429, "TooManyRequests")],
    );
    assert!(ctx
        .reconcile_object(FluxKind::Kustomization, &object)
        .await
        .is_err());
    drop(ctx);
    server.await.unwrap();
    // Nothing was persisted, so the next reconcile decides the same attempt again.
    let (ctx, server) = scripted(enforce(), NOW + 30, vec![expect("PATCH", KS, json!({}))]);
    ctx.reconcile_object(FluxKind::Kustomization, &object)
        .await
        .unwrap();
    drop(ctx);
    let seen = server.await.unwrap();
    assert_eq!(persisted(&seen[0]).pending.unwrap().attempt, 1);
}

#[tokio::test]
async fn retry_source_writes_the_guarded_state_then_annotates_the_source() {
    let message = "Source artifact not found, retrying in 30s";
    let source = "/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/gitrepositories/flux-system?&fieldManager=unstuck-controller";
    let (ctx, server) = scripted(
        enforce(),
        NOW,
        vec![
            expect("PATCH", KS, json!({})),
            expect("PATCH", source, json!({})),
        ],
    );
    ctx.reconcile_object(FluxKind::Kustomization, &kustomization(message, json!({})))
        .await
        .unwrap();
    drop(ctx);
    let seen = server.await.unwrap();
    assert_eq!(seen[0].body["metadata"]["resourceVersion"], "100");
    assert_eq!(
        seen[0].body["metadata"]["annotations"]["reconcile.fluxcd.io/requestedAt"],
        TOKEN
    );
    assert!(seen[1].uri.contains("/gitrepositories/flux-system"));
    assert_eq!(
        seen[1].body,
        json!({"metadata": {"annotations": {"reconcile.fluxcd.io/requestedAt": TOKEN}}})
    );
}

#[tokio::test]
async fn a_conflict_repeats_no_side_effect() {
    // The guarded state write fails with 409: the source is not annotated, and the retry
    // decides (and annotates) exactly once.
    let message = "Source artifact not found, retrying in 30s";
    let source = "/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/gitrepositories/flux-system?&fieldManager=unstuck-controller";
    let (ctx, server) = scripted(enforce(), NOW, vec![fail("PATCH", KS, 409, "Conflict")]);
    let requeue = ctx
        .reconcile_object(FluxKind::Kustomization, &kustomization(message, json!({})))
        .await
        .unwrap();
    assert_eq!(requeue.as_secs(), 2);
    drop(ctx);
    assert_eq!(server.await.unwrap().len(), 1);
    let (ctx, server) = scripted(
        enforce(),
        NOW + 2,
        vec![
            expect("PATCH", KS, json!({})),
            expect("PATCH", source, json!({})),
        ],
    );
    ctx.reconcile_object(FluxKind::Kustomization, &kustomization(message, json!({})))
        .await
        .unwrap();
    drop(ctx);
    let seen = server.await.unwrap();
    assert_eq!(persisted(&seen[0]).pending.unwrap().attempt, 1);
}

#[tokio::test]
async fn unlock_helm_release_forces_an_upgrade() {
    let message =
        "Helm upgrade failed: another operation (install/upgrade/rollback) is in progress";
    let mut state = failing_since(T0, message);
    state.episode.as_mut().unwrap().generation = 1;
    state.episode.as_mut().unwrap().revision = None;
    let hr = json!({
        "apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
        "metadata": {"name": "web", "namespace": "apps", "resourceVersion": "9", "generation": 1,
                     "annotations": {STATE_ANNOTATION: state.encode()}},
        "spec": {"chart": {"spec": {"chart": "web", "sourceRef": {"kind": "HelmRepository", "name": "charts"}}}},
        "status": {"observedGeneration": 1, "conditions": [{"type": "Ready", "status": "False", "reason": "UpgradeFailed",
            "message": "Helm upgrade failed: another operation (install/upgrade/rollback) is in progress",
            "lastTransitionTime": "2026-01-01T00:00:00Z"}]}
    });
    let (ctx, server) = scripted(enforce(), NOW, vec![expect("PATCH", HR, json!({}))]);
    ctx.reconcile_object(FluxKind::HelmRelease, &hr)
        .await
        .unwrap();
    drop(ctx);
    let seen = server.await.unwrap();
    let annotations = &seen[0].body["metadata"]["annotations"];
    assert_eq!(annotations["reconcile.fluxcd.io/requestedAt"], TOKEN);
    assert_eq!(annotations["reconcile.fluxcd.io/forceAt"], TOKEN);
}

#[tokio::test]
async fn dry_run_and_observe_make_no_requests() {
    for mode in [Mode::DryRun, Mode::Observe] {
        let (ctx, server) = scripted(
            Config {
                mode,
                ..Config::default()
            },
            NOW,
            vec![],
        );
        ctx.reconcile_object(
            FluxKind::Kustomization,
            &kustomization(STS_IMMUTABLE, json!({})),
        )
        .await
        .unwrap();
        // The decision is remembered in memory (so dry-run reports each attempt once).
        let again = ctx
            .reconcile_object(
                FluxKind::Kustomization,
                &kustomization(STS_IMMUTABLE, json!({})),
            )
            .await;
        assert!(again.is_ok());
        drop(ctx);
        assert!(server.await.unwrap().is_empty(), "{mode:?}");
    }
}

#[tokio::test]
async fn followers_only_observe() {
    let (ctx, server) = scripted(enforce(), NOW, vec![]);
    ctx.leader
        .store(false, std::sync::atomic::Ordering::Relaxed);
    ctx.reconcile_object(
        FluxKind::Kustomization,
        &kustomization(STS_IMMUTABLE, json!({})),
    )
    .await
    .unwrap();
    drop(ctx);
    assert!(server.await.unwrap().is_empty());
}

#[tokio::test]
async fn unreadable_state_is_refused() {
    let (ctx, server) = scripted(enforce(), NOW, vec![]);
    let object = kustomization(STS_IMMUTABLE, json!({ STATE_ANNOTATION: "{not json" }));
    let err = ctx
        .reconcile_object(FluxKind::Kustomization, &object)
        .await
        .unwrap_err();
    drop(ctx);
    assert!(server.await.unwrap().is_empty());
    assert!(err
        .to_string()
        .starts_with("refusing to act on Kustomization/flux-system/apps"));
}

#[tokio::test]
async fn healthy_objects_are_never_written() {
    let mut ready = fresh_kustomization("Applied revision: main@sha1:abc", json!({}));
    ready["status"]["conditions"][0]["status"] = json!("True");
    ready["status"]["observedGeneration"] = json!(4);
    let (ctx, server) = scripted(enforce(), NOW, vec![]);
    let requeue = ctx
        .reconcile_object(FluxKind::Kustomization, &ready)
        .await
        .unwrap();
    drop(ctx);
    assert!(server.await.unwrap().is_empty());
    assert_eq!(requeue.as_secs(), 300);
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

#[tokio::test]
async fn a_restarted_controller_counts_persisted_deletions_toward_the_rate_limit() {
    // Before the restart, a deletion for another Flux object was written ahead on that object.
    let earlier = RecoveryRecord {
        destructive: vec![DestructiveMark {
            generation: 7,
            revision: Some(REVISION.into()),
            target: "StatefulSet/db/cache".to_owned(),
            at: NOW - 600,
        }],
        ..RecoveryRecord::default()
    };
    let mut infra = fresh_kustomization(
        "Applied revision: main@sha1:abc",
        json!({ STATE_ANNOTATION: earlier.encode() }),
    );
    infra["metadata"]["name"] = json!("infra");
    infra["status"]["conditions"][0]["status"] = json!("True");
    infra["status"]["observedGeneration"] = json!(4);

    // The new controller allows one deletion an hour; reading `infra` spends it, so the
    // StatefulSet of `apps` is not deleted: only the skip is recorded on `apps`.
    let config = Config {
        max_destructive_actions: 1,
        ..enforce()
    };
    let (ctx, server) = scripted(config, NOW, vec![expect("PATCH", KS, json!({}))]);
    ctx.reconcile_object(FluxKind::Kustomization, &infra)
        .await
        .unwrap();
    ctx.reconcile_object(
        FluxKind::Kustomization,
        &kustomization(STS_IMMUTABLE, json!({})),
    )
    .await
    .unwrap();
    drop(ctx);
    let seen = server.await.unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(persisted(&seen[0]).destructive.is_empty());
}

const HR_STS: &str = "/apis/apps/v1/namespaces/db/statefulsets/pg";

/// A HelmRelease stalled after a failed upgrade on an immutable StatefulSet field, failing since
/// `T0` as far as the controller's state goes.
fn stalled_helm_release(message: &str, stalled_message: &str) -> Value {
    let mut state = failing_since(T0, message);
    state.episode.as_mut().unwrap().generation = 1;
    json!({
        "apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
        "metadata": {"name": "web", "namespace": "apps", "resourceVersion": "9", "generation": 1,
                     "annotations": {STATE_ANNOTATION: state.encode()}},
        "spec": {"chart": {"spec": {"chart": "web", "sourceRef": {"kind": "HelmRepository", "name": "charts"}}}},
        "status": {"observedGeneration": 1, "lastAttemptedRevision": REVISION, "conditions": [
            {"type": "Ready", "status": "False", "reason": "UpgradeFailed", "message": message,
             "lastTransitionTime": "2026-01-01T00:09:00Z"},
            {"type": "Stalled", "status": "True", "reason": "RetriesExceeded", "message": stalled_message,
             "lastTransitionTime": "2026-01-01T00:09:00Z"}]}
    })
}

fn helm_labels() -> Value {
    json!({"helm.toolkit.fluxcd.io/name": "web", "helm.toolkit.fluxcd.io/namespace": "apps"})
}

#[tokio::test]
async fn exhausted_helm_release_gets_reset_with_requested_at() {
    let hr = stalled_helm_release(
        "Helm upgrade failed for release apps/web with chart web@1.2.3: post-upgrade hooks failed: job failed: BackoffLimitExceeded",
        "Failed to upgrade after 1 attempt(s)",
    );
    let (ctx, server) = scripted(enforce(), NOW, vec![expect("PATCH", HR, json!({}))]);
    ctx.reconcile_object(FluxKind::HelmRelease, &hr)
        .await
        .unwrap();
    drop(ctx);
    let seen = server.await.unwrap();
    let annotations = &seen[0].body["metadata"]["annotations"];
    // helm-controller honours resetAt only when it equals requestedAt.
    assert_eq!(annotations["reconcile.fluxcd.io/requestedAt"], TOKEN);
    assert_eq!(annotations["reconcile.fluxcd.io/resetAt"], TOKEN);
    assert!(annotations.get("reconcile.fluxcd.io/forceAt").is_none());
    assert_eq!(
        persisted(&seen[0]).pending.unwrap().action.as_str(),
        "reset_helm_release"
    );
}

#[tokio::test]
async fn recreating_a_helm_release_object_waits_for_finalizers_then_resets_and_forces() {
    let message = format!("Helm upgrade failed for release apps/web with chart web@1.2.3: cannot patch \"pg\" with kind StatefulSet: {STS_IMMUTABLE}");
    let hr = stalled_helm_release(&message, "Failed to upgrade after 1 attempt(s)");
    let mut terminating = statefulset(helm_labels());
    terminating["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:10:00Z");
    terminating["metadata"]["finalizers"] = json!(["example.com/drain"]);
    let (ctx, server) = scripted(
        enforce(),
        NOW,
        vec![
            expect("PATCH", HR, json!({})),
            expect("GET", HR_STS, statefulset(helm_labels())),
            expect("POST", SECRETS, json!({})),
            expect(
                "DELETE",
                STS_DELETE,
                json!({"kind": "Status", "apiVersion": "v1", "status": "Success"}),
            ),
            // Both reads within the wait still find it, held by a finalizer.
            expect("GET", HR_STS, terminating.clone()),
            expect("GET", HR_STS, terminating.clone()),
            expect("PATCH", HR, json!({})),
        ],
    );
    let requeue = ctx
        .reconcile_object(FluxKind::HelmRelease, &hr)
        .await
        .unwrap();
    drop(ctx);
    let seen = server.await.unwrap();
    let last = &seen[6].body["metadata"]["annotations"];
    assert!(
        last.get("reconcile.fluxcd.io/requestedAt").is_none(),
        "no reconcile while the object is still there: {last}"
    );
    let awaited = persisted(&seen[6])
        .pending
        .unwrap()
        .awaiting_deletion
        .unwrap();
    assert_eq!(awaited.uid, "uid-pg");
    assert_eq!(awaited.target.to_string(), "StatefulSet/db/pg");
    assert_eq!(requeue.as_secs(), 10);

    // Later: the object is gone. The reconcile request follows, with resetAt and forceAt so that
    // helm-controller upgrades again (a stalled release needs the reset, an in-sync one the force).
    let mut later = hr.clone();
    later["metadata"]["annotations"][STATE_ANNOTATION] =
        seen[6].body["metadata"]["annotations"][STATE_ANNOTATION].clone();
    let (ctx, server) = scripted(
        enforce(),
        NOW + 30,
        vec![
            fail("GET", HR_STS, 404, "NotFound"),
            expect("PATCH", HR, json!({})),
        ],
    );
    ctx.reconcile_object(FluxKind::HelmRelease, &later)
        .await
        .unwrap();
    drop(ctx);
    let seen = server.await.unwrap();
    let annotations = &seen[1].body["metadata"]["annotations"];
    for key in ["requestedAt", "resetAt", "forceAt"] {
        assert_eq!(
            annotations[format!("reconcile.fluxcd.io/{key}")],
            TOKEN,
            "{key}"
        );
    }
    assert_eq!(seen[1].body["metadata"]["resourceVersion"], "9", "guarded");
    let pending = persisted(&seen[1]).pending.unwrap();
    assert_eq!(pending.awaiting_deletion, None);
    assert_eq!(pending.started_at, NOW, "still verifying the same attempt");
}

#[tokio::test]
async fn a_recreated_namesake_counts_as_gone() {
    // The reads after the DELETE find an object of that name with another uid: Flux (or someone)
    // already re-created it, so the deletion is complete.
    let mut recreated = statefulset(flux_labels());
    recreated["metadata"]["uid"] = json!("uid-new");
    let (ctx, server) = scripted(
        enforce(),
        NOW,
        vec![
            expect("PATCH", KS, json!({})),
            expect("GET", STS, statefulset(flux_labels())),
            expect("POST", SECRETS, json!({})),
            expect(
                "DELETE",
                STS_DELETE,
                json!({"kind": "Status", "apiVersion": "v1", "status": "Success"}),
            ),
            expect("GET", STS, recreated),
            expect("PATCH", KS, json!({})),
        ],
    );
    ctx.reconcile_object(
        FluxKind::Kustomization,
        &kustomization(STS_IMMUTABLE, json!({})),
    )
    .await
    .unwrap();
    drop(ctx);
    let seen = server.await.unwrap();
    assert_eq!(
        seen[5].body["metadata"]["annotations"]["reconcile.fluxcd.io/requestedAt"],
        TOKEN
    );
}

#[tokio::test]
async fn before_the_budget_is_rebuilt_the_leader_only_observes_then_counts_every_mark() {
    let (ctx, server) = scripted(
        Config {
            max_destructive_actions: 1,
            ..enforce()
        },
        NOW,
        vec![expect("PATCH", KS, json!({}))],
    );
    ctx.budget_synced
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let requeue = ctx
        .reconcile_object(
            FluxKind::Kustomization,
            &kustomization(STS_IMMUTABLE, json!({})),
        )
        .await
        .unwrap();
    assert_eq!(requeue.as_secs(), 2, "looks again soon");

    // The initial list: another object carries a deletion from 10 minutes ago.
    let earlier = RecoveryRecord {
        destructive: vec![DestructiveMark {
            generation: 2,
            revision: Some(REVISION.into()),
            target: "Deployment/web/api".to_owned(),
            at: NOW - 600,
        }],
        ..RecoveryRecord::default()
    };
    let mut infra = fresh_kustomization("x", json!({ STATE_ANNOTATION: earlier.encode() }));
    infra["metadata"]["name"] = json!("infra");
    ctx.rebuild_budget([(FluxKind::Kustomization, &infra)]);
    assert!(ctx.budget_synced.load(std::sync::atomic::Ordering::SeqCst));
    // The budget (1/h) is spent: the StatefulSet is not deleted, the skip is recorded.
    ctx.reconcile_object(
        FluxKind::Kustomization,
        &kustomization(STS_IMMUTABLE, json!({})),
    )
    .await
    .unwrap();
    drop(ctx);
    let seen = server.await.unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(persisted(&seen[0]).destructive.is_empty());
}

#[tokio::test]
async fn concurrent_reconciles_cannot_both_spend_the_last_slot() {
    // Two Kustomizations stuck on immutable fields reconcile at the same time with one slot
    // left: exactly one of them deletes.
    let config = Config {
        max_destructive_actions: 1,
        ..enforce()
    };
    let ctx = std::sync::Arc::new(crate::support::routed(config, NOW));
    let objects: Vec<Value> = ["apps", "apps2"]
        .iter()
        .map(|name| {
            let mut o = kustomization(STS_IMMUTABLE, json!({}));
            o["metadata"]["name"] = json!(name);
            o
        })
        .collect();
    let (a, b) = tokio::join!(
        ctx.context
            .reconcile_object(FluxKind::Kustomization, &objects[0]),
        ctx.context
            .reconcile_object(FluxKind::Kustomization, &objects[1]),
    );
    a.unwrap();
    b.unwrap();
    let log = ctx.log();
    assert_eq!(
        log.iter().filter(|l| l.starts_with("DELETE ")).count(),
        1,
        "{log:#?}"
    );
    // Exactly one object's write-ahead carries a mark; the other records a skip.
    let marked: Vec<String> = ctx
        .requests()
        .iter()
        .filter(|s| s.method == "PATCH")
        .filter_map(|s| {
            s.body["metadata"]["annotations"][STATE_ANNOTATION]
                .as_str()
                .map(str::to_owned)
        })
        .map(|state| RecoveryRecord::decode(Some(&state)).unwrap())
        .filter(|r| !r.destructive.is_empty())
        .map(|r| r.destructive[0].target.clone())
        .collect();
    assert!(!marked.is_empty());
    let uris: std::collections::BTreeSet<String> = ctx
        .requests()
        .iter()
        .filter(|s| s.method == "PATCH")
        .filter(|s| {
            s.body["metadata"]["annotations"][STATE_ANNOTATION]
                .as_str()
                .is_some_and(|state| {
                    !RecoveryRecord::decode(Some(state))
                        .unwrap()
                        .destructive
                        .is_empty()
                })
        })
        .map(|s| s.uri.clone())
        .collect();
    assert_eq!(uris.len(), 1, "one object spent the slot: {uris:?}");
}

#[tokio::test]
async fn oci_repository_version_comes_from_the_configuration() {
    // Before Flux 2.6 OCIRepository is served only as v1beta2.
    let message = "OCIRepository 'apps/podinfo' is not ready";
    let mut state = failing_since(T0, message);
    state.episode.as_mut().unwrap().generation = 1;
    let hr = json!({
        "apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
        "metadata": {"name": "web", "namespace": "apps", "resourceVersion": "9", "generation": 1,
                     "annotations": {STATE_ANNOTATION: state.encode()}},
        "spec": {"chartRef": {"kind": "OCIRepository", "name": "podinfo"}},
        "status": {"observedGeneration": 1, "lastAttemptedRevision": REVISION, "conditions": [
            {"type": "Ready", "status": "False", "reason": "ArtifactFailed", "message": message,
             "lastTransitionTime": "2026-01-01T00:09:00Z"}]}
    });
    let config = Config {
        source_api_versions: [(
            "OCIRepository".to_owned(),
            "source.toolkit.fluxcd.io/v1beta2".to_owned(),
        )]
        .into(),
        ..enforce()
    };
    let oci = "/apis/source.toolkit.fluxcd.io/v1beta2/namespaces/apps/ocirepositories/podinfo?&fieldManager=unstuck-controller";
    let (ctx, server) = scripted(
        config,
        NOW,
        vec![
            expect("PATCH", HR, json!({})),
            expect("PATCH", oci, json!({})),
        ],
    );
    ctx.reconcile_object(FluxKind::HelmRelease, &hr)
        .await
        .unwrap();
    drop(ctx);
    let seen = server.await.unwrap();
    assert_eq!(
        seen[1].body["metadata"]["annotations"]["reconcile.fluxcd.io/requestedAt"],
        TOKEN
    );
}
