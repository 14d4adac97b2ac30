//! Validates rendered Kubernetes objects offline, as the API server's schema check would at
//! apply time, for a chosen Kubernetes release.
//!
//! A kustomization that builds can still wedge a GitOps cluster: server-side apply (and Flux's
//! dry-run) refuses a misspelt field, a wrong type, a missing required field or an
//! `apiVersion` the upgraded cluster no longer serves. A [`Validator`] finds those before the
//! merge, with no cluster:
//!
//! - built-in kinds are checked strictly against that release's `OpenAPI` schemas, embedded in
//!   the crate (unknown fields, types, enums, required fields, int-or-string);
//! - custom resources are checked against the `CustomResourceDefinition`s you give it, per
//!   served version, including their value constraints (`pattern`, bounds, lengths, counts,
//!   `format`, list types, `anyOf`/`oneOf`/`allOf`/`not`, worded as the API server words them)
//!   and the simple forms of `x-kubernetes-validations` CEL rules; a
//!   custom resource whose CRD was not given is reported as not checked, never as an error;
//! - a string still holding a Flux `${VAR}` is not type-checked;
//! - a removed `apiVersion` is an error naming the release that removed it and its
//!   replacement; a deprecated one is a warning.
//!
//! Problems are data ([`Problem`]), never `Err`: `Err` means the validator could not be set
//! up (an unknown release, a malformed CRD).
//!
//! # Example
//!
//! ```
//! use api_validation::{KubeVersion, Rule, Validator};
//! use serde_json::json;
//!
//! let validator = Validator::new(api_validation::LATEST)?;
//! let deployment = json!({
//!     "apiVersion": "apps/v1", "kind": "Deployment",
//!     "metadata": {"name": "web", "namespace": "shop"},
//!     "spec": {
//!         "replica": 2,
//!         "selector": {"matchLabels": {"app": "web"}},
//!         "template": {"spec": {"containers": [{"name": "web", "image": "nginx"}]}},
//!     },
//! });
//! let problems = validator.validate(&deployment);
//! assert_eq!(problems.len(), 1);
//! assert_eq!(problems[0].rule, Rule::SchemaUnknownField);
//! assert_eq!(problems[0].field, ".spec.replica");
//!
//! let hpa = json!({"apiVersion": "autoscaling/v2beta2", "kind": "HorizontalPodAutoscaler",
//!                  "metadata": {"name": "web"}});
//! let problems = Validator::new("1.37".parse::<KubeVersion>()?)?.validate(&hpa);
//! assert_eq!(problems[0].rule, Rule::ApiRemoved);
//! assert!(problems[0].message.contains("removed in 1.26; use autoscaling/v2"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Custom resources need their CRD first:
//!
//! ```
//! use api_validation::{Rule, Validator};
//! use serde_json::json;
//!
//! let mut validator = Validator::new(api_validation::LATEST)?;
//! validator.add_custom_resource_definition(&json!({
//!     "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
//!     "metadata": {"name": "widgets.example.com"},
//!     "spec": {"group": "example.com", "names": {"kind": "Widget"}, "versions": [{
//!         "name": "v1", "served": true, "storage": true,
//!         "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": {
//!             "type": "object",
//!             "properties": {"size": {"type": "integer"}},
//!             "x-kubernetes-validations": [{"rule": "self.size <= 10", "message": "at most 10"}],
//!         }}}},
//!     }]},
//! }))?;
//! let widget = json!({"apiVersion": "example.com/v1", "kind": "Widget",
//!                     "metadata": {"name": "w"}, "spec": {"size": 12}});
//! let problems = validator.validate(&widget);
//! assert_eq!(problems[0].rule, Rule::SchemaCel);
//! assert_eq!(problems[0].message, "at most 10");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Crate features
//!
//! - `older-kubernetes` (default): embeds the schemas of Kubernetes 1.25 to 1.36 as well as
//!   the newest, 1.37 (about 250 KB in all). Without it only 1.37 is embedded.
//!
//! The data comes from the `kubernetes-validate` package (Apache-2.0); `docs/schema-validation.md`
//! in the repository says how it is regenerated.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod builtin;
mod cel;
mod check;
mod constraints;
mod error;
mod field_error;
mod formats;
mod gofmt;
mod lifecycle;
mod pattern;
mod problem;
#[cfg(test)]
mod real_corpus;
mod schema;
mod validator;
mod version;

pub use builtin::{embedded_versions, LATEST};
pub use error::Error;
pub use problem::{Problem, Rule, Severity};
pub use validator::Validator;
pub use version::KubeVersion;

// The README (the crates.io page) is doctested too, so its example cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
