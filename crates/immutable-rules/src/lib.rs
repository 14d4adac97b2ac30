//! Which changes to a Kubernetes object the API server refuses on update — a workload selector, a
//! StatefulSet's volumeClaimTemplates, a PVC's class, a RoleBinding's roleRef, a Secret's type —
//! decided offline from two untyped objects.
//!
//! The rules follow what `kube-apiserver` really does (defaulting, then the strategy's
//! `PrepareForUpdate`, then `Validate<Kind>Update`, then admission), not folklore: Service `type`
//! and `nodePort`, Ingress class and PV capacity are mutable and never flagged; quantities
//! compare by value (`1Gi` == `1024Mi`), map key order never matters, list order does. The result
//! is data: a list of [`Violation`]s with a stable rule id, the field, old → new, the API
//! server's error text and ways out. Nothing here does I/O or prints.
//!
//! # Checking an update
//!
//! [`Mode::Apply`] compares the live object with the manifest that gets applied: a field the
//! manifest leaves out keeps its live value, an explicit `null` deletes it.
//!
//! ```
//! use immutable_rules::{check, Context, Severity};
//! use serde_json::json;
//!
//! let live = json!({
//!     "apiVersion": "apps/v1", "kind": "Deployment",
//!     "metadata": {"name": "web", "namespace": "prod"},
//!     "spec": {"selector": {"matchLabels": {"app": "web"}},
//!              "template": {"metadata": {"labels": {"app": "web"}}}}
//! });
//! let manifest = json!({
//!     "apiVersion": "apps/v1", "kind": "Deployment",
//!     "metadata": {"name": "web", "namespace": "prod"},
//!     "spec": {"selector": {"matchLabels": {"app": "web-v2"}},
//!              "template": {"metadata": {"labels": {"app": "web-v2"}}}}
//! });
//! let violations = check(&live, &manifest, &Context::apply());
//! assert_eq!(violations.len(), 1);
//! let v = &violations[0];
//! assert_eq!(v.rule, "deployment-selector");
//! assert_eq!(v.severity, Severity::Error);
//! assert_eq!(v.field, "spec.selector");
//! assert!(v.api_error.ends_with("field is immutable"));
//!
//! // Changing only the image is an ordinary rollout.
//! let mut rollout = live.clone();
//! rollout["spec"]["template"]["spec"] = json!({"containers": [{"name": "web", "image": "nginx:1.27"}]});
//! assert!(check(&live, &rollout, &Context::apply()).is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Fields apply keeps
//!
//! Apply never removes a field git does not own. When such a field makes the updated object
//! invalid, the violation says what to change in git.
//!
//! ```
//! use immutable_rules::{check, Context};
//! use serde_json::json;
//!
//! let pdb = |spec| json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
//!                         "metadata": {"name": "web", "namespace": "shop"}, "spec": spec});
//! // Someone set minAvailable with `kubectl edit`; git now asks for maxUnavailable.
//! let live = pdb(json!({"minAvailable": 1}));
//! let found = check(&live, &pdb(json!({"maxUnavailable": 1})), &Context::apply());
//! assert_eq!(found[0].rule, "poddisruptionbudget-min-and-max");
//! assert!(found[0].reason.contains("add `minAvailable: null` under `spec`"));
//! // Deleting it in the same change is accepted.
//! let both = pdb(json!({"minAvailable": null, "maxUnavailable": 1}));
//! assert!(check(&live, &both, &Context::apply()).is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Git mode, server versions and cluster facts
//!
//! [`Mode::Git`] compares two revisions of a manifest: a field deleted from git is removed by
//! apply. Some verdicts depend on the server release or the cluster; unknown facts give a
//! `warning` rather than silence.
//!
//! ```
//! use immutable_rules::{check, Context, ServerVersion, Severity};
//! use serde_json::json;
//!
//! let sts = |limit: u32| json!({
//!     "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
//!     "spec": {"serviceName": "db", "revisionHistoryLimit": limit}
//! });
//! // Immutable up to 1.32, mutable in current releases.
//! let old_server = Context::git().with_server_version(ServerVersion::new(1, 31));
//! assert_eq!(check(&sts(10), &sts(3), &old_server)[0].severity, Severity::Error);
//! let new_server = Context::git().with_server_version("1.35".parse()?);
//! assert!(check(&sts(10), &sts(3), &new_server).is_empty());
//!
//! // Growing a bound PVC needs an expandable StorageClass.
//! let pvc = |size: &str| json!({
//!     "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
//!     "spec": {"storageClassName": "standard", "resources": {"requests": {"storage": size}}},
//!     "status": {"phase": "Bound", "capacity": {"storage": "10Gi"}}
//! });
//! let unknown = Context::apply();
//! assert_eq!(check(&pvc("10Gi"), &pvc("20Gi"), &unknown)[0].severity, Severity::Warning);
//! let expandable = Context::apply().with_storage_class("standard", true);
//! assert!(check(&pvc("10Gi"), &pvc("20Gi"), &expandable).is_empty());
//! // 10Gi == 10240Mi: no change at all.
//! assert!(check(&pvc("10Gi"), &pvc("10240Mi"), &unknown).is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Your own rules: rule files, the annotation, CRDs
//!
//! A [`RuleSet`] adds user rule files (YAML; `[]` matches every list entry), honours the per-object
//! annotation `gitops.flux.io/immutable-fields: "spec.a,spec.b"`, and derives rules from the
//! `x-kubernetes-validations` transition rules (`self == oldSelf`, …) of CRDs handed to it.
//!
//! ```
//! use immutable_rules::{Context, RuleSet};
//! use serde_json::json;
//!
//! let mut rules = RuleSet::new();
//! rules.add_rule_file("widgets.yaml", r#"
//! rules:
//!   - id: widget-disks
//!     group: example.com
//!     kind: Widget
//!     fields: ["spec.disks[].size"]
//!     message: disks cannot be resized
//! "#)?;
//! rules.add_crd(&json!({
//!     "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
//!     "metadata": {"name": "widgets.example.com"},
//!     "spec": {"group": "example.com", "names": {"kind": "Widget", "plural": "widgets"},
//!       "versions": [{"name": "v1", "schema": {"openAPIV3Schema": {"type": "object",
//!         "properties": {"spec": {"type": "object", "properties": {"zone": {"type": "string",
//!           "x-kubernetes-validations": [{"rule": "self == oldSelf", "message": "zone is immutable"}]}}}}}}}]}
//! }))?;
//! let widget = |size: u32, zone: &str| json!({
//!     "apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
//!     "spec": {"zone": zone, "disks": [{"size": size}]}
//! });
//! let found = rules.check(&widget(1, "a"), &widget(2, "b"), &Context::apply());
//! let ids: Vec<(&str, &str)> = found.iter().map(|v| (v.rule.as_str(), v.field.as_str())).collect();
//! assert_eq!(ids, [("widget-disks", "spec.disks[0].size"), ("crd-transition-rule", "spec.zone")]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Pairing objects of two multi-object files
//!
//! [`pair_objects`] matches objects by group, kind, namespace and name (folding historic group
//! aliases such as `extensions` → `apps`); whatever is left over is created or pruned.
//!
//! [`compare_revisions`] does this for every kustomization directory of two revisions of a
//! repository, merging an object reached through several directories into one [`Finding`].
//!
//! # Crate features
//!
//! None: the crate has no optional parts.

// Kubernetes kind and field names (StorageClass, roleRef) are prose here, not code to link.
#![allow(clippy::doc_markdown)]

#[macro_use]
mod macros;

mod catalog;
mod compare;
mod context;
mod custom;
mod error;
mod identity;
mod quantity;
mod revisions;
mod rules;
mod ruleset;
mod update;
mod violation;

use std::sync::OnceLock;

pub use catalog::{builtin_rule, builtin_rules, RuleInfo};
pub use context::{
    ClusterFacts, Context, Mode, ParseVersionError, ServerVersion, StorageClassFacts,
};
pub use custom::{
    parse_immutable_fields, CustomRule, FieldPath, FieldPathError, RuleSource, SkippedValidation,
    Transition, IMMUTABLE_FIELDS_ANNOTATION, UNSTUCK_IMMUTABLE_FIELDS_ANNOTATION,
};
pub use error::{CrdError, RuleFileError};
pub use identity::{canonical_group, pair_objects, ObjectKey, Pairing};
pub use revisions::{compare_revisions, Finding, CREATED_RULE, PRUNED_RULE};
pub use ruleset::RuleSet;
pub use violation::{ObjectRef, Remediation, Severity, Violation};

/// Check an update with the built-in rules (and the object's own
/// `gitops.flux.io/immutable-fields` annotation). Use a [`RuleSet`] to add user or CRD rules.
pub fn check(old: &serde_json::Value, new: &serde_json::Value, ctx: &Context) -> Vec<Violation> {
    static BUILTIN_ONLY: OnceLock<RuleSet> = OnceLock::new();
    BUILTIN_ONLY.get_or_init(RuleSet::new).check(old, new, ctx)
}

// The README (the crates.io page) is doctested too, so its example cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
