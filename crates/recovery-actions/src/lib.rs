//! recovery-actions: the cluster side of GitOps recovery, shared by unstuck-controller and
//! `unstuck rescue`, so both follow the same safety rules.
//!
//! - [`flux`], [`target`]: reading Flux objects and resolving the objects their errors name.
//! - [`actions`]: the controller's operations — Flux request annotations, and recreating an
//!   object (ownership and protected-kind checks, backup into a Secret, delete with the kind's
//!   propagation and a uid precondition, waiting for the deletion).
//! - [`terminating`], [`helm`], [`fluxops`], [`backup::restore`], [`status`]: the pure decisions
//!   behind `unstuck rescue` — is this namespace, object or release really stuck, and which
//!   requests follow.
//! - [`protect`]: protected kinds, propagation per kind, ownership.
//! - [`run`]: sending a [`plan::Plan`] with a kube client, backups first.
//!
//! Every operation can describe itself as the exact list of API requests it would make
//! ([`request::ApiRequest`]: verb, path, body) without making them. Refusals are data
//! ([`plan::Refusal`]), each naming the object and what to do instead.
//!
//! # Example
//!
//! A ConfigMap is held by a finalizer after its deletion was requested; releasing it takes one
//! guarded patch, after a backup. A ConfigMap that is not being deleted is refused.
//!
//! ```
//! use recovery_actions::plan::{Decision, Refusal};
//! use recovery_actions::target::{resolve_kind_static, KindName};
//! use recovery_actions::terminating::force_delete;
//!
//! let kind = KindName::parse("configmap/web").unwrap();
//! let resolved = resolve_kind_static(&kind).unwrap();
//! let stuck = serde_json::json!({"kind": "ConfigMap", "metadata": {
//!     "name": "web", "namespace": "apps", "resourceVersion": "7",
//!     "deletionTimestamp": "2026-01-01T00:00:00Z", "finalizers": ["example.com/hold"]}});
//! let Decision::Act(plan) = force_delete(&resolved.resource, Some(&stuck)) else { panic!() };
//! assert_eq!(plan.backups[0].id.to_string(), "ConfigMap/apps/web");
//! assert_eq!(plan.to_string(), "backup ConfigMap/apps/web\n\
//!     PATCH /api/v1/namespaces/apps/configmaps/web {\"metadata\":{\"finalizers\":null,\"resourceVersion\":\"7\"}}\n");
//!
//! let healthy = serde_json::json!({"kind": "ConfigMap", "metadata": {"name": "web", "namespace": "apps"}});
//! assert_eq!(
//!     force_delete(&resolved.resource, Some(&healthy)),
//!     Decision::Refused(Refusal::NotTerminating { object: "ConfigMap/apps/web".into() }),
//! );
//! ```
#![forbid(unsafe_code)]
// Kubernetes kind names (ConfigMap, StatefulSet, HelmRelease) are prose in these docs, not code.
#![allow(clippy::doc_markdown)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod actions;
pub mod backup;
pub mod flux;
pub mod fluxops;
pub mod helm;
pub mod object;
pub mod plan;
pub mod protect;
pub mod request;
pub mod run;
pub mod status;
pub mod target;
pub mod terminating;

// The README (the crates.io page) is doctested too, so its example cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
