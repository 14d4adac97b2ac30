//! What a GitOps repository deploys, and what a change to it does to the cluster.
//!
//! `gitops-repo` is the engine of `unstuck check` and `unstuck validate`, as a library another
//! tool (a CI bot, an editor plugin, a dashboard) can embed:
//!
//! - a [`Snapshot`] is the repository at one moment — a git revision, the index, the work tree
//!   or any directory — read through kustomize-build's [`Filesystem`] seam;
//! - its **deploying units** ([`discover`]) are the plain kustomization directories, the Flux
//!   `Kustomization`s whose source is the repository, built the way kustomize-controller
//!   builds them ([`flux`]), and the Argo CD `Application`s with a source in the repository,
//!   rendered the way Argo CD's repo-server renders them ([`argo`]). A `kind: Component`
//!   directory is no unit: it is built through the kustomizations that include it;
//! - [`render()`] builds every unit in parallel, reusing another rendering's builds where a unit
//!   read the very same files;
//! - [`compare`] renders two snapshots and returns a [`Report`] — the changes the API server
//!   would refuse, traced to the line that wrote them, and the builds the change broke — which
//!   serializes to exactly what `unstuck check --format json` prints; [`validate`] builds one
//!   snapshot into a [`Validation`], every object it renders checked against the API's
//!   schemas as the API server would at apply time ([`schema`], through `api-validation`);
//! - the report knows the engine: a refused change on an object Flux recreates anyway
//!   (`spec.force`, `kustomize.toolkit.fluxcd.io/force: enabled`) or Argo CD recreates
//!   (`Force=true,Replace=true`) is a warning stating the cost ([`advice`]), and [`impact`] says per unit what is created, changed and removed,
//!   whether removals are pruned, whether the unit is suspended — and makes removing a
//!   Namespace, PVC, PV or CRD from a pruning unit an error (`prune-…`);
//! - a finding the change means to cause is [accepted](accept) by the repository's
//!   `.unstuck.yaml` (or the caller), with a reason: still reported, no longer failing.
//!
//! The crate prints nothing and reads only through the [`Filesystem`] it is given.
//!
//! # Example: a selector change made by an overlay
//!
//! ```
//! use std::path::Path;
//! use gitops_repo::{compare, NoProgress, RenderOptions, Snapshot};
//! use kustomize_build::fs::MemFs;
//!
//! let mut before = MemFs::new();
//! before.add_file("/repo/base/kustomization.yaml", "resources: [web.yaml]\n");
//! before.add_file(
//!     "/repo/base/web.yaml",
//!     "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n\
//!      spec:\n  selector:\n    matchLabels:\n      app: web\n",
//! );
//! before.add_file("/repo/prod/kustomization.yaml", "resources: [../base]\n");
//! let mut after = before.clone();
//! after.add_file("/repo/prod/kustomization.yaml", "resources: [../base]\ncommonLabels:\n  team: shop\n");
//!
//! let root = Path::new("/repo");
//! let report = compare(
//!     &Snapshot::new("main", Box::new(before), root, root),
//!     &Snapshot::new("my-branch", Box::new(after), root, root),
//!     &RenderOptions::new(),
//!     &NoProgress,
//! )?;
//! let selector = &report.violations[0];
//! assert_eq!(selector.finding.violation.rule, "deployment-selector");
//! assert_eq!(selector.finding.dirs, ["prod"]);
//! let source = selector.source.as_ref().unwrap();
//! assert_eq!((source.file.as_str(), source.line), ("prod/kustomization.yaml", 3));
//! assert!(report.failed());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Example: a directory a Flux Kustomization deploys, and a component
//!
//! ```
//! use std::path::Path;
//! use gitops_repo::{validate, NoProgress, RenderOptions, Snapshot};
//! use kustomize_build::fs::MemFs;
//!
//! let mut fs = MemFs::new();
//! fs.add_file(
//!     "/repo/clusters/prod.yaml",
//!     "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n\
//!      metadata:\n  name: apps\n  namespace: flux-system\n\
//!      spec:\n  path: ./apps\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
//! );
//! fs.add_file("/repo/apps/kustomization.yaml", "resources: [cm.yaml]\ncomponents: [../team]\n");
//! fs.add_file("/repo/apps/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n");
//! // A component patching objects it does not contain: it cannot build on its own.
//! fs.add_file(
//!     "/repo/team/kustomization.yaml",
//!     "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n\
//!      patches:\n- patch: '{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"a\", \"labels\": {\"team\": \"x\"}}}'\n",
//! );
//! let root = Path::new("/repo");
//! let validation = validate(&Snapshot::new("now", Box::new(fs), root, root), &RenderOptions::new(), &NoProgress)?;
//! let units: Vec<&str> = validation.results.iter().map(|r| r.path.as_str()).collect();
//! // `apps` is reported through the Flux Kustomization deploying it; `team` is no unit.
//! assert_eq!(units, ["clusters/prod.yaml#flux-system/apps"]);
//! assert!(!validation.failed());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Crate features
//!
//! - `git`: [`Snapshot::at_revision`] and [`Snapshot::index`], reading a git revision or the
//!   index through kustomize-build's `GitTreeFs`.
//!
//! [`Filesystem`]: kustomize_build::fs::Filesystem

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod accept;
pub mod advice;
pub mod argo;
mod compare;
pub mod crd_rules;
pub mod discover;
mod error;
pub mod flux;
pub mod graph;
pub mod impact;
pub mod lifecycle;
mod locate;
pub mod plan;
pub mod render;
pub mod report;
pub mod schema;
mod snapshot;
mod sources;

pub use compare::{compare, validate};
pub use error::Error;
pub use render::{render, NoProgress, Progress, RenderOptions, Rendering, Reuse};
pub use report::{Report, Validation};
pub use schema::SchemaOptions;
pub use snapshot::Snapshot;

// The README (the crates.io page) is doctested too, so its example cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
