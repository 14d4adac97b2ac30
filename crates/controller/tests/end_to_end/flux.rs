//! A small Flux simulator: plays kustomize-controller and helm-controller through the API, writing
//! statuses the way they do, so that the controller under test sees Flux's real lifecycle.
//!
//! What it reproduces, and where it was checked:
//! - kustomize-controller marks `Ready=Unknown` (reason `Progressing`, "Reconciliation in
//!   progress") and `Reconciling=True` at the start of every attempt, sets
//!   `status.lastAttemptedRevision` to the source revision, applies, and ends with `Ready=False`
//!   (the apply error) or `Ready=True` with `observedGeneration`; a failing object is retried
//!   every `retryInterval` (fluxcd/kustomize-controller `kustomization_controller.go`,
//!   `reconcile`, `finalizeStatus`). Applying re-creates inventory objects that are gone; an
//!   object that still exists with a changed immutable field fails the dry-run apply.
//! - `lastTransitionTime` moves whenever a condition's status, reason or message changes
//!   (fluxcd/pkg `runtime/conditions/setter.go`, `Set`).
//! - helm-controller marks `Ready=Unknown` ("Running 'upgrade' action with timeout of …") before an
//!   upgrade; with the default remediation (`retries: 0`) one failed upgrade exhausts the retries:
//!   `Stalled=True`, reason `RetriesExceeded`, "Failed to upgrade after N attempt(s)". It upgrades
//!   again only after a `resetAt` (or `forceAt`) request equal to `requestedAt`
//!   (fluxcd/helm-controller `atomic_release.go`, `actionForState`; `api/v2/annotations.go`,
//!   `ShouldHandleResetRequest`).
//!
//! The simulator runs one attempt per object every `retry_interval` on a background task; the
//! tests read what it did from [`FluxSim::attempts`] and from the stand-in's request log.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube::api::{
    Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams, PostParams,
};
use kube::Client;
use serde_json::{json, Value};
use unstuck_controller::flux::{FluxKind, REQUESTED_AT};

const RESET_AT: &str = "reconcile.fluxcd.io/resetAt";
const FORCE_AT: &str = "reconcile.fluxcd.io/forceAt";

/// Fields the API server refuses to change, per kind: (kind, JSON pointer).
const IMMUTABLE: [(&str, &str); 3] = [
    ("StatefulSet", "/spec/serviceName"),
    ("StatefulSet", "/spec/selector"),
    ("Deployment", "/spec/selector"),
];

/// The error kubectl/kustomize-controller reports for a changed immutable field of `object`.
fn immutable_error(object: &Value) -> String {
    let kind = object["kind"].as_str().unwrap_or_default();
    let ns = object["metadata"]["namespace"].as_str().unwrap_or_default();
    let name = object["metadata"]["name"].as_str().unwrap_or_default();
    if kind == "StatefulSet" {
        format!("StatefulSet/{ns}/{name} dry-run failed (Invalid): StatefulSet.apps \"{name}\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")
    } else {
        format!("{kind}/{ns}/{name} dry-run failed (Invalid): {kind}.apps \"{name}\" is invalid: spec.selector: Invalid value: {{}}: field is immutable")
    }
}

/// One `Kustomization` the simulator reconciles: the manifests of its current source revision.
struct Kustomization {
    namespace: String,
    name: String,
    revision: String,
    manifests: Vec<Value>,
}

/// One `HelmRelease` the simulator reconciles (default remediation: `retries: 0`).
struct HelmRelease {
    namespace: String,
    name: String,
    /// How many of the next upgrades fail (a transient cause, e.g. a timeout).
    failing_upgrades: u32,
    /// Failures since the last reset (helm-controller's `upgradeFailures`).
    failures: u32,
    /// Upgrades run so far.
    upgrades: u32,
    /// The release is deployed and in sync with the spec.
    in_sync: bool,
}

#[derive(Default)]
struct State {
    kustomizations: Vec<Kustomization>,
    helm_releases: Vec<HelmRelease>,
    attempts: u64,
}

/// The running simulator; stops when dropped.
pub(crate) struct FluxSim {
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FluxSim {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FluxSim {
    /// Starts reconciling every `retry_interval` through `client`.
    pub(crate) fn start(client: Client, retry_interval: Duration) -> FluxSim {
        let state = Arc::new(Mutex::new(State::default()));
        let task = tokio::spawn(run(client, Arc::clone(&state), retry_interval));
        FluxSim { state, task }
    }

    /// Serves the `Kustomization` `namespace/name` from `revision`, whose build is `manifests` (a
    /// new commit when called again).
    pub(crate) fn commit(
        &self,
        namespace: &str,
        name: &str,
        revision: &str,
        manifests: Vec<Value>,
    ) {
        let mut state = lock(&self.state);
        state
            .kustomizations
            .retain(|k| !(k.namespace == namespace && k.name == name));
        state.kustomizations.push(Kustomization {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            revision: revision.to_owned(),
            manifests,
        });
    }

    /// Reconciles the `HelmRelease` `namespace/name`, whose next `failing_upgrades` upgrades fail.
    pub(crate) fn helm_release(&self, namespace: &str, name: &str, failing_upgrades: u32) {
        lock(&self.state).helm_releases.push(HelmRelease {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            failing_upgrades,
            failures: 0,
            upgrades: 0,
            in_sync: false,
        });
    }

    /// Attempts completed so far, all objects together.
    pub(crate) fn attempts(&self) -> u64 {
        lock(&self.state).attempts
    }

    /// Upgrades of the `HelmRelease` `name` run so far.
    pub(crate) fn upgrades(&self, name: &str) -> u32 {
        lock(&self.state)
            .helm_releases
            .iter()
            .find(|h| h.name == name)
            .map_or(0, |h| h.upgrades)
    }
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn run(client: Client, state: Arc<Mutex<State>>, retry_interval: Duration) {
    loop {
        let kustomizations: Vec<(String, String, String, Vec<Value>)> = lock(&state)
            .kustomizations
            .iter()
            .map(|k| {
                (
                    k.namespace.clone(),
                    k.name.clone(),
                    k.revision.clone(),
                    k.manifests.clone(),
                )
            })
            .collect();
        for (namespace, name, revision, manifests) in kustomizations {
            // Errors (a 409 against the controller's own writes) just end this attempt, as a
            // failed status patch would in Flux; the next interval tries again.
            let _ = kustomization_attempt(&client, &namespace, &name, &revision, &manifests).await;
            lock(&state).attempts += 1;
        }
        let releases: Vec<(String, String)> = lock(&state)
            .helm_releases
            .iter()
            .map(|h| (h.namespace.clone(), h.name.clone()))
            .collect();
        for (namespace, name) in releases {
            let _ = helm_release_attempt(&client, &state, &namespace, &name).await;
            lock(&state).attempts += 1;
        }
        tokio::time::sleep(retry_interval).await;
    }
}

fn now() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .unwrap()
        .to_string()
}

fn condition(kind: &str, status: &str, reason: &str, message: &str) -> Value {
    json!({"type": kind, "status": status, "reason": reason, "message": message,
           "lastTransitionTime": now()})
}

async fn patch_status(api: &Api<DynamicObject>, name: &str, status: Value) -> kube::Result<()> {
    let params = PatchParams {
        field_manager: Some("flux-simulator".into()),
        ..PatchParams::default()
    };
    api.patch_status(name, &params, &Patch::Merge(json!({ "status": status })))
        .await
        .map(|_| ())
}

fn annotation(object: &DynamicObject, key: &str) -> Option<String> {
    object.metadata.annotations.as_ref()?.get(key).cloned()
}

fn api_for(client: &Client, object: &Value) -> Api<DynamicObject> {
    let api_version = object["apiVersion"].as_str().unwrap_or_default();
    let kind = object["kind"].as_str().unwrap_or_default();
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind));
    let namespace = object["metadata"]["namespace"]
        .as_str()
        .unwrap_or("default");
    Api::namespaced_with(client.clone(), namespace, &resource)
}

/// Applies `manifest` as kustomize-controller would: creates it when it is gone, fails when a
/// field the API server refuses to change differs. Returns the apply error.
async fn apply(client: &Client, manifest: &Value) -> kube::Result<Option<String>> {
    let api = api_for(client, manifest);
    let name = manifest["metadata"]["name"].as_str().unwrap_or_default();
    // Read by a list with a field selector, not a GET: the request log then tells the
    // simulator's reads apart from the controller's.
    let listed = api
        .list(&ListParams::default().fields(&format!("metadata.name={name}")))
        .await?;
    let Some(live) = listed.items.into_iter().next() else {
        let params = PostParams {
            field_manager: Some("kustomize-controller".into()),
            ..PostParams::default()
        };
        api.create(
            &params,
            &serde_json::from_value(manifest.clone()).expect("a manifest"),
        )
        .await?;
        return Ok(None);
    };
    let live = serde_json::to_value(&live).unwrap_or_default();
    let kind = manifest["kind"].as_str().unwrap_or_default();
    let changed = IMMUTABLE
        .iter()
        .filter(|(k, _)| *k == kind)
        .any(|(_, pointer)| manifest.pointer(pointer) != live.pointer(pointer));
    Ok(changed.then(|| immutable_error(manifest)))
}

async fn kustomization_attempt(
    client: &Client,
    namespace: &str,
    name: &str,
    revision: &str,
    manifests: &[Value],
) -> kube::Result<()> {
    let api: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        namespace,
        &FluxKind::Kustomization.api_resource(),
    );
    let object = api.get(name).await?;
    let generation = object.metadata.generation.unwrap_or(1);
    let requested = annotation(&object, REQUESTED_AT);
    let previous = object.data["status"].clone();
    let progress = "Reconciliation in progress";
    patch_status(
        &api,
        name,
        json!({"conditions": [condition("Ready", "Unknown", "Progressing", progress),
                              condition("Reconciling", "True", "Progressing", progress)]}),
    )
    .await?;
    let mut error = None;
    for manifest in manifests {
        if let Some(e) = apply(client, manifest).await? {
            error = Some(e);
            break;
        }
    }
    let mut status = json!({"lastAttemptedRevision": revision});
    if let Some(token) = requested {
        status["lastHandledReconcileAt"] = json!(token);
    }
    if let Some(message) = error {
        status["observedGeneration"] = previous["observedGeneration"].clone();
        status["conditions"] = json!([condition(
            "Ready",
            "False",
            "ReconciliationFailed",
            &message
        )]);
    } else {
        status["observedGeneration"] = json!(generation);
        status["lastAppliedRevision"] = json!(revision);
        status["conditions"] = json!([condition(
            "Ready",
            "True",
            "ReconciliationSucceeded",
            &format!("Applied revision: {revision}")
        )]);
    }
    patch_status(&api, name, status).await
}

async fn helm_release_attempt(
    client: &Client,
    state: &Mutex<State>,
    namespace: &str,
    name: &str,
) -> kube::Result<()> {
    let api: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        namespace,
        &FluxKind::HelmRelease.api_resource(),
    );
    let object = api.get(name).await?;
    let generation = object.metadata.generation.unwrap_or(1);
    let requested = annotation(&object, REQUESTED_AT);
    let handled = |field: &str| object.data["status"][field].as_str().map(str::to_owned);
    // A reset or force request counts only when its token equals requestedAt and is new.
    let asked = |key: &str, field: &str| {
        let token = annotation(&object, key)?;
        (Some(&token) == requested.as_ref() && handled(field).as_ref() != Some(&token))
            .then_some(token)
    };
    let reset = asked(RESET_AT, "lastHandledResetAt");
    let force = asked(FORCE_AT, "lastHandledForceAt");
    let mut status = json!({});
    if let Some(token) = &requested {
        status["lastHandledReconcileAt"] = json!(token);
    }
    let upgrade = {
        let mut state = lock(state);
        let release = state
            .helm_releases
            .iter_mut()
            .find(|h| h.namespace == namespace && h.name == name)
            .expect("a simulated release");
        if let Some(token) = &reset {
            release.failures = 0;
            status["lastHandledResetAt"] = json!(token);
        }
        if let Some(token) = &force {
            status["lastHandledForceAt"] = json!(token);
        }
        // retries: 0 — one failure exhausts them; in sync — nothing to do unless forced.
        let exhausted = release.failures > 0;
        (force.is_some() || (!exhausted && !release.in_sync)).then(|| {
            release.upgrades += 1;
            let fails = release.failing_upgrades > 0;
            release.failing_upgrades = release.failing_upgrades.saturating_sub(1);
            fails
        })
    };
    let Some(fails) = upgrade else {
        return patch_status(&api, name, status).await;
    };
    patch_status(
        &api,
        name,
        json!({"conditions": [
            condition("Ready", "Unknown", "Progressing", "Running 'upgrade' action with timeout of 5m0s"),
            condition("Reconciling", "True", "Progressing", "Running 'upgrade' action with timeout of 5m0s")]}),
    )
    .await?;
    let chart = format!("{name}@1.2.0");
    if fails {
        let failures = {
            let mut state = lock(state);
            let release = state
                .helm_releases
                .iter_mut()
                .find(|h| h.name == name)
                .expect("a simulated release");
            release.failures += 1;
            release.failures
        };
        status["upgradeFailures"] = json!(failures);
        status["conditions"] = json!([
            condition("Ready", "False", "UpgradeFailed", &format!("Helm upgrade failed for release {namespace}/{name} with chart {chart}: context deadline exceeded")),
            condition("Stalled", "True", "RetriesExceeded", &format!("Failed to upgrade after {failures} attempt(s)")),
        ]);
    } else {
        if let Some(release) = lock(state)
            .helm_releases
            .iter_mut()
            .find(|h| h.name == name)
        {
            release.in_sync = true;
        }
        status["observedGeneration"] = json!(generation);
        status["conditions"] = json!([condition(
            "Ready",
            "True",
            "UpgradeSucceeded",
            &format!("Helm upgrade succeeded for release {namespace}/{name} with chart {chart}")
        )]);
    }
    patch_status(&api, name, status).await
}
