//! Carrying actions out against the API server.
//!
//! Flux's own mechanisms come first: every action except `recreate_resource` is a merge patch of
//! Flux's request annotations (see [`request_annotations`]). `recreate_resource` resolves the
//! target, checks it (manual policy, Flux ownership labels, protected kinds once more), backs it up
//! into a Secret, and deletes it with the kind's propagation policy and a UID precondition; the
//! caller then asks Flux to reconcile, which re-creates it from Git.

use std::collections::BTreeMap;

use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, Patch, PatchParams, PostParams, Preconditions,
    PropagationPolicy,
};
use kube::discovery::{Discovery, Scope};
use kube::Client;
use recovery_patterns::Action;
use serde_json::{json, Value};

use crate::config::{Config, Propagation};
use crate::flux::{self, FluxKind, ObjectRef, ObjectState, FORCE_AT, REQUESTED_AT, RESET_AT};
use crate::target::{resolve_static, Resolved};

/// Field manager the controller writes with.
pub const FIELD_MANAGER: &str = "unstuck-controller";

/// The step of an action that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Writing annotations on the Flux object.
    AnnotateFlux,
    /// Writing the request annotation on a source.
    AnnotateSource,
    /// Finding the target's API resource.
    Resolve,
    /// Reading the target.
    Read,
    /// Creating the backup Secret.
    Backup,
    /// Deleting the target.
    Delete,
}

/// An action could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// An API call failed.
    #[error("kubernetes api call failed while {}", stage_text(*.stage))]
    Api {
        /// Which step.
        stage: Stage,
        /// The client error.
        #[source]
        source: kube::Error,
    },
    /// Discovery found no resource, or several, for a kind.
    #[error("cannot resolve kind `{kind}` to exactly one api resource ({found} found)")]
    UnresolvedKind {
        /// The kind.
        kind: String,
        /// How many resources serve it.
        found: usize,
    },
    /// A namespaced target without a namespace.
    #[error("target `{target}` is namespaced but names no namespace")]
    MissingNamespace {
        /// The target.
        target: String,
    },
    /// The object does not fit into a backup Secret.
    #[error("target `{target}` is too large to back up into a secret, so it is not deleted")]
    TooLarge {
        /// The target.
        target: String,
    },
}

fn stage_text(stage: Stage) -> &'static str {
    match stage {
        Stage::AnnotateFlux => "annotating the flux object",
        Stage::AnnotateSource => "annotating the source",
        Stage::Resolve => "discovering the target's api resource",
        Stage::Read => "reading the target",
        Stage::Backup => "creating the backup secret",
        Stage::Delete => "deleting the target",
    }
}

impl ActionError {
    /// Whether the API server rejected a write because the object changed (HTTP 409).
    pub fn is_conflict(&self) -> bool {
        matches!(self, ActionError::Api { source: kube::Error::Api(status), .. } if status.code == 409)
    }

    /// Whether a delete request may have reached the API server. When it did not, the target
    /// certainly still exists and the recreation may be attempted again.
    pub fn delete_may_have_happened(&self) -> bool {
        matches!(
            self,
            ActionError::Api {
                stage: Stage::Delete,
                ..
            }
        )
    }
}

/// Why the executor refused to delete a target after reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The target carries the manual recovery policy annotation.
    Manual,
    /// The target does not carry the Flux ownership labels of the object being recovered.
    NotOwned,
    /// The target's kind is protected (checked again here, whatever the decision said).
    ProtectedKind,
}

impl Refusal {
    /// The refusal's name for metrics and Events.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Manual => "manual",
            Refusal::NotOwned => "not_owned",
            Refusal::ProtectedKind => "protected_kind",
        }
    }
}

/// What `recreate_resource` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecreateOutcome {
    /// Backed up into the named Secret, then deleted.
    Deleted {
        /// The backup Secret's name.
        backup: String,
        /// The deletion completed within the wait; `false`: the object is still terminating.
        gone: bool,
        /// Finalizers the object still had the last time it was read (empty once gone at once).
        finalizers: Vec<String>,
        /// The deleted object's `metadata.uid`.
        uid: String,
    },
    /// The target was already gone (or being deleted): nothing to delete.
    AlreadyGone,
    /// A check on the live object stopped the deletion.
    Refused(Refusal),
}

/// The request annotations Flux reads for an action on a Flux object of `kind` (all set to the
/// same `token`; helm-controller handles `resetAt`/`forceAt` only when they equal `requestedAt`,
/// `api/v2` `ShouldHandleResetRequest`/`ShouldHandleForceRequest`).
///
/// | action | annotations |
/// |---|---|
/// | `request_reconcile`, `retry_source` | `requestedAt` |
/// | `recreate_resource` on a Kustomization | `requestedAt` |
/// | `recreate_resource` on a HelmRelease | `requestedAt` + `resetAt` + `forceAt` |
/// | `reset_helm_release`, `rollback_helm_release` | `requestedAt` + `resetAt` |
/// | `unlock_helm_release` | `requestedAt` + `forceAt` |
///
/// A HelmRelease whose object was recreated needs both: `resetAt` clears the failure counters
/// that stalled it, `forceAt` makes helm-controller upgrade even a release it considers in sync
/// (`AtomicRelease.actionForState`: a failed release with no failures left is upgraded; an
/// in-sync one only when forced).
pub fn request_annotations(
    kind: FluxKind,
    action: &Action,
    token: &str,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::from([(REQUESTED_AT.to_owned(), token.to_owned())]);
    match action {
        Action::ResetHelmRelease | Action::RollbackHelmRelease => {
            out.insert(RESET_AT.to_owned(), token.to_owned());
        }
        Action::UnlockHelmRelease => {
            out.insert(FORCE_AT.to_owned(), token.to_owned());
        }
        Action::RecreateResource if kind == FluxKind::HelmRelease => {
            out.insert(RESET_AT.to_owned(), token.to_owned());
            out.insert(FORCE_AT.to_owned(), token.to_owned());
        }
        _ => {}
    }
    out
}

/// Whether a deleted object is gone yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deletion {
    /// Not found, or replaced by a new object of the same name (another uid).
    Gone,
    /// Still there (terminating), held by these finalizers.
    Pending {
        /// `metadata.finalizers`.
        finalizers: Vec<String>,
    },
}

/// How long `recreate_resource` waits for a deletion to complete before requesting the reconcile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeletionWait {
    /// Reads of the object after the delete, at most.
    pub polls: u32,
    /// Pause before each read.
    pub interval: std::time::Duration,
}

impl DeletionWait {
    /// Waiting up to `secs` seconds, reading every two seconds.
    pub fn from_secs(secs: u64) -> Self {
        DeletionWait {
            polls: u32::try_from(secs.div_ceil(2)).unwrap_or(u32::MAX),
            interval: std::time::Duration::from_secs(2),
        }
    }
}

/// Carries out actions with a kube [`Client`].
#[derive(Clone)]
pub struct Executor {
    client: Client,
    backup_namespace: String,
    deletion_wait: DeletionWait,
}

impl Executor {
    /// An executor writing backups into `backup_namespace`.
    pub fn new(client: Client, backup_namespace: impl Into<String>) -> Self {
        Executor {
            client,
            backup_namespace: backup_namespace.into(),
            deletion_wait: DeletionWait::from_secs(60),
        }
    }

    /// Sets how long `recreate_resource` waits for a deletion to complete.
    #[must_use]
    pub fn with_deletion_wait(mut self, wait: DeletionWait) -> Self {
        self.deletion_wait = wait;
        self
    }

    fn params() -> PatchParams {
        PatchParams {
            field_manager: Some(FIELD_MANAGER.to_owned()),
            ..PatchParams::default()
        }
    }

    /// Merge-patches annotations onto the Flux object. With `guard`, the patch carries the
    /// object's `resourceVersion`, so it fails with 409 if the object changed since it was read.
    pub async fn annotate_flux(
        &self,
        object: &ObjectState,
        annotations: &BTreeMap<String, String>,
        guard: bool,
    ) -> Result<(), ActionError> {
        let api: Api<DynamicObject> = Api::namespaced_with(
            self.client.clone(),
            &object.namespace,
            &object.kind.api_resource(),
        );
        let mut metadata = json!({ "annotations": annotations });
        if guard {
            if let Some(rv) = &object.resource_version {
                metadata["resourceVersion"] = json!(rv);
            }
        }
        api.patch(
            &object.name,
            &Self::params(),
            &Patch::Merge(json!({ "metadata": metadata })),
        )
        .await
        .map_err(|source| ActionError::Api {
            stage: Stage::AnnotateFlux,
            source,
        })?;
        Ok(())
    }

    /// Asks source-controller to fetch a source again (`requestedAt` on the source).
    pub async fn request_source(&self, source: &ObjectRef, token: &str) -> Result<(), ActionError> {
        let resolved = self.resolve(source, &[]).await?;
        let api = self.api_for(source, &resolved)?;
        let patch = json!({ "metadata": { "annotations": { REQUESTED_AT: token } } });
        api.patch(&source.name, &Self::params(), &Patch::Merge(patch))
            .await
            .map_err(|source| ActionError::Api {
                stage: Stage::AnnotateSource,
                source,
            })?;
        Ok(())
    }

    /// `recreate_resource`: read, check, back up, delete.
    pub async fn recreate(
        &self,
        owner: &ObjectState,
        target: &ObjectRef,
        propagation: Propagation,
        config: &Config,
        now: u64,
    ) -> Result<RecreateOutcome, ActionError> {
        if !config.may_delete_kind(&target.kind) {
            return Ok(RecreateOutcome::Refused(Refusal::ProtectedKind));
        }
        let resolved = self.resolve(target, &owner.inventory).await?;
        let api = self.api_for(target, &resolved)?;
        let live = match api.get_opt(&target.name).await {
            Ok(Some(live)) => serde_json::to_value(&live).unwrap_or(Value::Null),
            Ok(None) => return Ok(RecreateOutcome::AlreadyGone),
            Err(source) => {
                return Err(ActionError::Api {
                    stage: Stage::Read,
                    source,
                })
            }
        };
        let meta = &live["metadata"];
        if meta["deletionTimestamp"].is_string() {
            return Ok(RecreateOutcome::AlreadyGone);
        }
        if flux::is_manual(&meta["annotations"]) {
            return Ok(RecreateOutcome::Refused(Refusal::Manual));
        }
        if !owned_by(&meta["labels"], owner) {
            return Ok(RecreateOutcome::Refused(Refusal::NotOwned));
        }
        let secret =
            crate::backup::backup_secret(owner, target, &live, &self.backup_namespace, now)
                .ok_or_else(|| ActionError::TooLarge {
                    target: target.to_string(),
                })?;
        let backup = secret.metadata.name.clone().unwrap_or_default();
        let secrets: Api<k8s_openapi::api::core::v1::Secret> =
            Api::namespaced(self.client.clone(), &self.backup_namespace);
        secrets
            .create(
                &PostParams {
                    field_manager: Some(FIELD_MANAGER.to_owned()),
                    ..PostParams::default()
                },
                &secret,
            )
            .await
            .map_err(|source| ActionError::Api {
                stage: Stage::Backup,
                source,
            })?;
        let params = DeleteParams {
            propagation_policy: Some(match propagation {
                Propagation::Orphan => PropagationPolicy::Orphan,
                Propagation::Background => PropagationPolicy::Background,
                Propagation::Foreground => PropagationPolicy::Foreground,
            }),
            // Delete exactly the object that was backed up, never a re-created namesake.
            preconditions: Some(Preconditions {
                uid: meta["uid"].as_str().map(str::to_owned),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        match api.delete(&target.name, &params).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 404 => {
                return Ok(RecreateOutcome::AlreadyGone)
            }
            Err(source) => {
                return Err(ActionError::Api {
                    stage: Stage::Delete,
                    source,
                })
            }
        }
        // Flux must not be asked to apply before the object is gone, or it meets the same
        // conflict again (its own force path waits for the deletion as well).
        let uid = meta["uid"].as_str().unwrap_or_default().to_owned();
        let mut finalizers = Vec::new();
        for _ in 0..self.deletion_wait.polls {
            if !self.deletion_wait.interval.is_zero() {
                tokio::time::sleep(self.deletion_wait.interval).await;
            }
            match deletion_state(&api, &target.name, &uid).await? {
                Deletion::Gone => {
                    return Ok(RecreateOutcome::Deleted {
                        backup,
                        gone: true,
                        finalizers,
                        uid,
                    })
                }
                Deletion::Pending { finalizers: now } => finalizers = now,
            }
        }
        Ok(RecreateOutcome::Deleted {
            backup,
            gone: self.deletion_wait.polls == 0,
            finalizers,
            uid,
        })
    }

    /// Whether the object `target` with `uid`, deleted earlier, is gone yet.
    pub async fn deletion(
        &self,
        owner: &ObjectState,
        target: &ObjectRef,
        uid: &str,
    ) -> Result<Deletion, ActionError> {
        let resolved = self.resolve(target, &owner.inventory).await?;
        let api = self.api_for(target, &resolved)?;
        deletion_state(&api, &target.name, uid).await
    }

    fn api_for(
        &self,
        target: &ObjectRef,
        resolved: &Resolved,
    ) -> Result<Api<DynamicObject>, ActionError> {
        if resolved.namespaced {
            let ns = target
                .namespace
                .as_deref()
                .ok_or_else(|| ActionError::MissingNamespace {
                    target: target.to_string(),
                })?;
            Ok(Api::namespaced_with(
                self.client.clone(),
                ns,
                &resolved.resource,
            ))
        } else {
            Ok(Api::all_with(self.client.clone(), &resolved.resource))
        }
    }

    /// Inventory, built-in table, then API discovery.
    async fn resolve(
        &self,
        target: &ObjectRef,
        inventory: &[flux::InventoryEntry],
    ) -> Result<Resolved, ActionError> {
        if let Some(resolved) = resolve_static(target, inventory) {
            return Ok(resolved);
        }
        let discovery = Discovery::new(self.client.clone())
            .run_aggregated()
            .await
            .map_err(|source| ActionError::Api {
                stage: Stage::Resolve,
                source,
            })?;
        let found: Vec<(ApiResource, bool)> = discovery
            .groups()
            .flat_map(kube::discovery::ApiGroup::recommended_resources)
            .filter(|(resource, _)| resource.kind == target.kind)
            .map(|(resource, caps)| (resource, caps.scope == Scope::Namespaced))
            .collect();
        match found.as_slice() {
            [(resource, namespaced)] => Ok(Resolved {
                resource: resource.clone(),
                namespaced: *namespaced,
            }),
            _ => Err(ActionError::UnresolvedKind {
                kind: target.kind.clone(),
                found: found.len(),
            }),
        }
    }
}

async fn deletion_state(
    api: &Api<DynamicObject>,
    name: &str,
    uid: &str,
) -> Result<Deletion, ActionError> {
    let live = api.get_opt(name).await.map_err(|source| ActionError::Api {
        stage: Stage::Read,
        source,
    })?;
    Ok(match live {
        Some(live) if live.metadata.uid.as_deref() == Some(uid) => Deletion::Pending {
            finalizers: live.metadata.finalizers.unwrap_or_default(),
        },
        _ => Deletion::Gone,
    })
}

/// Whether an object's labels say Flux applied it on behalf of `owner`.
pub fn owned_by(labels: &Value, owner: &ObjectState) -> bool {
    let prefix = match owner.kind {
        FluxKind::Kustomization => "kustomize.toolkit.fluxcd.io",
        FluxKind::HelmRelease => "helm.toolkit.fluxcd.io",
    };
    labels[format!("{prefix}/name")].as_str() == Some(owner.name.as_str())
        && labels[format!("{prefix}/namespace")].as_str() == Some(owner.namespace.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_annotations_per_action() {
        let keys = |k: FluxKind, a: Action| {
            request_annotations(k, &a, "t")
                .into_keys()
                .collect::<Vec<_>>()
        };
        let hr = FluxKind::HelmRelease;
        let ks = FluxKind::Kustomization;
        assert_eq!(keys(ks, Action::RequestReconcile), [REQUESTED_AT]);
        assert_eq!(keys(ks, Action::RetrySource), [REQUESTED_AT]);
        assert_eq!(keys(ks, Action::RecreateResource), [REQUESTED_AT]);
        assert_eq!(keys(hr, Action::ResetHelmRelease), [REQUESTED_AT, RESET_AT]);
        assert_eq!(
            keys(hr, Action::RollbackHelmRelease),
            [REQUESTED_AT, RESET_AT]
        );
        assert_eq!(
            keys(hr, Action::UnlockHelmRelease),
            [FORCE_AT, REQUESTED_AT]
        );
        assert_eq!(
            keys(hr, Action::RecreateResource),
            [FORCE_AT, REQUESTED_AT, RESET_AT]
        );
    }

    #[test]
    fn ownership_labels() {
        let owner = ObjectState::from_json(
            FluxKind::HelmRelease,
            &json!({"metadata": {"name": "grafana", "namespace": "monitoring"}}),
        );
        let labels = json!({"helm.toolkit.fluxcd.io/name": "grafana", "helm.toolkit.fluxcd.io/namespace": "monitoring"});
        assert!(owned_by(&labels, &owner));
        assert!(!owned_by(
            &json!({"helm.toolkit.fluxcd.io/name": "grafana"}),
            &owner
        ));
        assert!(!owned_by(&Value::Null, &owner));
    }
}
