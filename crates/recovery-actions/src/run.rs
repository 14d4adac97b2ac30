//! Carrying plans out against the API server: backups first, then each request in order, each
//! guard checked on a fresh read just before its request.

use kube::api::ApiResource;
use kube::discovery::{Discovery, Scope};
use kube::Client;
use serde_json::Value;

use crate::backup::{BackupError, BackupStore};
use crate::plan::Plan;
use crate::request::{resource_path, ApiRequest, Guard, Verb};
use crate::target::{resolve_kind_static, KindName, Resolved};
use crate::terminating::{namespace_resource, namespace_still_stuck};

/// Reading or writing the cluster failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// An API request failed.
    #[error("{request} failed")]
    Api {
        /// The request (`VERB path`).
        request: String,
        /// The client error.
        #[source]
        source: kube::Error,
    },
    /// A request could not be built.
    #[error("{request} could not be built")]
    Build {
        /// The request.
        request: String,
        /// Why.
        #[source]
        source: http::Error,
    },
    /// A backup could not be written, so nothing was changed.
    #[error(transparent)]
    Backup(#[from] BackupError),
    /// A kind is served by no API resource, or by several.
    #[error("kind `{kind}` matches {found} api resources: {hint}")]
    UnresolvedKind {
        /// The kind as written.
        kind: String,
        /// How many resources matched.
        found: usize,
        /// What to do.
        hint: &'static str,
    },
}

impl RunError {
    /// Whether the server refused a write because the object changed since it was read (409).
    pub fn is_conflict(&self) -> bool {
        matches!(self, RunError::Api { source: kube::Error::Api(status), .. } if status.code == 409)
    }
}

/// What happened to one request of a plan.
#[derive(Debug, Clone, PartialEq)]
pub enum Sent {
    /// Sent; the server answered.
    Done(ApiRequest),
    /// Not sent: its guard no longer held.
    Skipped(ApiRequest),
}

/// A kube client that reads objects as JSON and sends [`ApiRequest`]s.
#[derive(Clone)]
pub struct Cluster {
    client: Client,
}

fn is_not_found(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == 404)
}

impl Cluster {
    /// A cluster reached through `client`.
    pub fn new(client: Client) -> Self {
        Cluster { client }
    }

    /// Sends one request and returns the JSON answer.
    pub async fn send(&self, request: &ApiRequest) -> Result<Value, RunError> {
        let http = request.to_http().map_err(|source| RunError::Build {
            request: format!("{} {}", request.verb.as_str(), request.path),
            source,
        })?;
        self.client
            .request::<Value>(http)
            .await
            .map_err(|source| RunError::Api {
                request: format!("{} {}", request.verb.as_str(), request.path),
                source,
            })
    }

    /// Reads one object; `None` when it does not exist.
    pub async fn get(&self, path: &str) -> Result<Option<Value>, RunError> {
        match self.send(&ApiRequest::new(Verb::Get, path, None)).await {
            Ok(object) => Ok(Some(object)),
            Err(RunError::Api { source, .. }) if is_not_found(&source) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Lists a collection; every item gets the `kind` the list names (lists omit it per item).
    /// A collection the server does not serve (404) is empty.
    pub async fn list(&self, resource: &ApiResource, path: &str) -> Result<Vec<Value>, RunError> {
        Ok(self.list_served(resource, path).await?.unwrap_or_default())
    }

    /// Like [`Cluster::list`], but `None` when the server does not serve the collection (404:
    /// its CustomResourceDefinition is not installed, or not at that version), so a caller can
    /// say so instead of reporting an empty list.
    pub async fn list_served(
        &self,
        resource: &ApiResource,
        path: &str,
    ) -> Result<Option<Vec<Value>>, RunError> {
        let Some(list) = self.get(path).await? else {
            return Ok(None);
        };
        let items = list["items"].as_array().cloned().unwrap_or_default();
        Ok(Some(
            items
                .into_iter()
                .map(|mut item| {
                    if item.get("kind").is_none() {
                        item["kind"] = Value::String(resource.kind.clone());
                        item["apiVersion"] = Value::String(resource.api_version.clone());
                    }
                    item
                })
                .collect(),
        ))
    }

    /// Resolves a kubectl-style kind: the built-in tables first, then API discovery.
    pub async fn resolve(&self, kind: &KindName) -> Result<Resolved, RunError> {
        if let Some(resolved) = resolve_kind_static(kind) {
            return Ok(resolved);
        }
        let found: Vec<Resolved> = self
            .resources()
            .await?
            .into_iter()
            .filter(|r| kind.matches(&r.resource, &[]))
            .collect();
        match <[Resolved; 1]>::try_from(found) {
            Ok([one]) => Ok(one),
            Err(found) => Err(RunError::UnresolvedKind {
                kind: kind.kind.clone(),
                found: found.len(),
                hint: if found.is_empty() {
                    "check the spelling with `kubectl api-resources`"
                } else {
                    "name the group as well, e.g. `kind.group/name`"
                },
            }),
        }
    }

    /// Every listable resource the server serves (preferred versions), from discovery.
    pub async fn resources(&self) -> Result<Vec<Resolved>, RunError> {
        let discovery = Discovery::new(self.client.clone())
            .run_aggregated()
            .await
            .map_err(|source| RunError::Api {
                request: "GET /api, /apis (discovery)".to_owned(),
                source,
            })?;
        Ok(discovery
            .groups()
            .flat_map(kube::discovery::ApiGroup::recommended_resources)
            .filter(|(_, caps)| caps.supports_operation(kube::discovery::verbs::LIST))
            .map(|(resource, caps)| Resolved {
                resource,
                namespaced: caps.scope == Scope::Namespaced,
            })
            .collect())
    }

    async fn guard_holds(&self, guard: &Guard) -> Result<bool, RunError> {
        match guard {
            Guard::NamespaceStillStuck { namespace } => {
                let path = resource_path(&namespace_resource(), None, Some(namespace), None);
                Ok(namespace_still_stuck(self.get(&path).await?.as_ref()))
            }
        }
    }

    /// Writes every backup of `plan` into `store`, then sends its requests in order, stopping at
    /// the first failure. Nothing is sent unless every backup was written.
    pub async fn execute(
        &self,
        plan: &Plan,
        store: &mut dyn BackupStore,
    ) -> Result<Vec<Sent>, RunError> {
        for backup in &plan.backups {
            store.save(backup)?;
        }
        let mut sent = Vec::new();
        for request in &plan.requests {
            if let Some(guard) = &request.guard {
                if !self.guard_holds(guard).await? {
                    sent.push(Sent::Skipped(request.clone()));
                    continue;
                }
            }
            self.send(request).await?;
            sent.push(Sent::Done(request.clone()));
        }
        Ok(sent)
    }
}
