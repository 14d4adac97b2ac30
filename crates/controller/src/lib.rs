//! unstuck-controller: watch Flux objects, know how long each has been stuck and why, and recover
//! them safely.
//!
//! The crate is split the way kube-rs's controller-rs is: this library holds the state model
//! ([`flux`]), the pure recovery policy ([`decide`]), the persisted state ([`record`]), the
//! actions against the API server ([`actions`]), metrics and the HTTP endpoints, and the
//! controller runtime glue; `main.rs` only parses flags and starts it.
//!
//! The key design choice is that every recovery decision is made by one pure function,
//! [`decide::decide`]: (object state, persisted recovery state, configuration, time) → steps.
//! Everything that talks to the cluster merely carries those steps out, so the policy and all of
//! its safety rules are tested without a cluster.
//!
//! # Example
//!
//! Decide about a Kustomization that fails on an immutable field: first seen at `t0`, it is
//! stuck once it has failed for its generation and revision longer than the threshold (300 s).
//!
//! ```
//! use unstuck_controller::budget::DestructiveBudget;
//! use unstuck_controller::config::Config;
//! use unstuck_controller::decide::{decide, Inputs, Step};
//! use unstuck_controller::flux::{FluxKind, ObjectState};
//! use unstuck_controller::record::RecoveryRecord;
//! use recovery_patterns::PatternSet;
//!
//! let object = ObjectState::from_json(FluxKind::Kustomization, &serde_json::json!({
//!     "metadata": {"name": "apps", "namespace": "flux-system", "generation": 2},
//!     "status": {"observedGeneration": 1, "lastAttemptedRevision": "main@sha1:abc", "conditions": [{
//!         "type": "Ready", "status": "False", "reason": "ReconciliationFailed",
//!         "lastTransitionTime": "2026-01-01T00:00:00Z",
//!         "message": "Job/apps/migrate dry-run failed (Invalid): Job.batch \"migrate\" is invalid: spec.template: Invalid value: core.PodTemplateSpec{}: field is immutable"
//!     }]}
//! }));
//! let (patterns, config, budget) = (PatternSet::builtin(), Config::default(), DestructiveBudget::new(3, 3600));
//! let t0 = 1_767_225_600;
//! let at = |record: &RecoveryRecord, now| decide(Inputs {
//!     object: &object, record, config: &config, classifier: &patterns, budget: &budget, now,
//! });
//! // First sight: the episode starts, and is kept in the record the controller persists.
//! let first = at(&RecoveryRecord::default(), t0);
//! assert!(!first.health.stuck);
//! // Ten minutes later (whatever Ready=Unknown interludes happened in between): stuck, act.
//! let decision = at(&first.record, t0 + 600);
//! assert!(decision.health.stuck);
//! let Step::Act(plan) = &decision.steps[0] else { panic!("expected an action") };
//! assert_eq!(plan.action.as_str(), "recreate_resource");
//! assert_eq!(plan.target.as_ref().unwrap().to_string(), "Job/apps/migrate");
//! // The deletion is recorded before it happens, so it is never repeated for this generation
//! // and source revision.
//! assert!(decision.record.destroyed_at(2, Some("main@sha1:abc"), "Job/apps/migrate"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
// Kubernetes kind names (ConfigMap, StatefulSet, HelmRelease) are prose in these docs, not code.
#![allow(clippy::doc_markdown)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod actions;
pub mod backup;
pub mod budget;
pub mod config;
pub mod controller;
pub mod decide;
pub mod explain;
pub mod flux;
pub mod http;
pub mod metrics;
pub mod record;
pub mod runtime;
pub mod target;
