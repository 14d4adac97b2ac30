//! Cost of one reconcile decision without I/O: reading the Flux object, decoding the persisted
//! record, classifying and deciding. Run with `cargo bench -p unstuck-controller --bench decide`.

use recovery_patterns::PatternSet;
use serde_json::{json, Value};
use unstuck_controller::budget::DestructiveBudget;
use unstuck_controller::config::Config;
use unstuck_controller::decide::{decide, Inputs};
use unstuck_controller::flux::{FluxKind, ObjectState};
use unstuck_controller::record::RecoveryRecord;

const NOW: u64 = 1_767_225_600 + 600;
const STS_IMMUTABLE: &str = "StatefulSet/db/pg dry-run failed (Invalid): StatefulSet.apps \"pg\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

fn main() {
    divan::main();
}

/// A Kustomization as the API server returns it, with a 40-entry inventory.
fn kustomization(ready: &str, message: &str, state: Option<&str>) -> Value {
    let entries: Vec<Value> = (0..40)
        .map(|i| json!({"id": format!("apps_app-{i}_apps_Deployment"), "v": "v1"}))
        .collect();
    let mut annotations = json!({"kustomize.toolkit.fluxcd.io/checksum": "abc"});
    if let Some(state) = state {
        annotations["unstuck.dev/recovery-state"] = json!(state);
    }
    json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
        "metadata": {"name": "apps", "namespace": "flux-system", "uid": "6f1c", "resourceVersion": "912873",
                     "generation": 7, "annotations": annotations,
                     "labels": {"kustomize.toolkit.fluxcd.io/name": "flux-system", "kustomize.toolkit.fluxcd.io/namespace": "flux-system"},
                     "finalizers": ["finalizers.fluxcd.io"]},
        "spec": {"interval": "10m", "path": "./apps", "prune": true, "wait": true, "timeout": "5m",
                 "sourceRef": {"kind": "GitRepository", "name": "flux-system"}},
        "status": {"observedGeneration": 7, "lastAppliedRevision": "main@sha1:1111", "lastAttemptedRevision": "main@sha1:2222",
                   "inventory": {"entries": entries},
                   "conditions": [
                       {"type": "Ready", "status": ready, "reason": "ReconciliationFailed", "message": message,
                        "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": 7},
                       {"type": "Healthy", "status": "True", "reason": "Succeeded", "message": "ok",
                        "lastTransitionTime": "2026-01-01T00:00:00Z"}]}
    })
}

fn run(
    object: &Value,
    patterns: &PatternSet,
    config: &Config,
    budget: &DestructiveBudget,
) -> usize {
    let state = ObjectState::from_json(FluxKind::Kustomization, object);
    let record = RecoveryRecord::decode(state.persisted.as_deref()).unwrap();
    let decision = decide(Inputs {
        object: &state,
        record: &record,
        config,
        classifier: patterns,
        budget,
        now: NOW,
    });
    decision.steps.len() + decision.record.encode().len()
}

#[divan::bench]
fn ready_kustomization(bencher: divan::Bencher<'_, '_>) {
    let (patterns, config, budget) = (
        PatternSet::builtin(),
        Config::default(),
        DestructiveBudget::new(3, 3600),
    );
    let object = kustomization("True", "Applied revision: main@sha1:2222", None);
    bencher.bench_local(|| run(divan::black_box(&object), &patterns, &config, &budget));
}

/// The record after deciding about `object` at `now` from `record`.
fn seen_at(
    object: &Value,
    record: &RecoveryRecord,
    now: u64,
    (patterns, config, budget): (&PatternSet, &Config, &DestructiveBudget),
) -> RecoveryRecord {
    let state = ObjectState::from_json(FluxKind::Kustomization, object);
    decide(Inputs {
        object: &state,
        record,
        config,
        classifier: patterns,
        budget,
        now,
    })
    .record
}

#[divan::bench]
fn stuck_statefulset_first_decision(bencher: divan::Bencher<'_, '_>) {
    let (patterns, config, budget) = (
        PatternSet::builtin(),
        Config::default(),
        DestructiveBudget::new(3, 3600),
    );
    // Failing since ten minutes ago (the episode the controller persisted): this decision acts.
    let first = kustomization("False", STS_IMMUTABLE, None);
    let episode = seen_at(
        &first,
        &RecoveryRecord::default(),
        NOW - 600,
        (&patterns, &config, &budget),
    );
    let object = kustomization("False", STS_IMMUTABLE, Some(&episode.encode()));
    bencher.bench_local(|| run(divan::black_box(&object), &patterns, &config, &budget));
}

#[divan::bench]
fn stuck_statefulset_pending_verification(bencher: divan::Bencher<'_, '_>) {
    let (patterns, config, budget) = (
        PatternSet::builtin(),
        Config::default(),
        DestructiveBudget::new(3, 3600),
    );
    let first = kustomization("False", STS_IMMUTABLE, None);
    let tools = (&patterns, &config, &budget);
    let episode = seen_at(&first, &RecoveryRecord::default(), NOW - 1200, tools);
    let acted = seen_at(&first, &episode, NOW - 60, tools);
    assert!(
        acted.pending.is_some(),
        "the bench measures a pending verification"
    );
    let object = kustomization("False", STS_IMMUTABLE, Some(&acted.encode()));
    bencher.bench_local(|| run(divan::black_box(&object), &patterns, &config, &budget));
}
