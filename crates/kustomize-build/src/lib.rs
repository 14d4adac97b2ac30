//! An offline kustomize builder whose output is byte-identical to kustomize v5.5.0.
//!
//! `kustomize-build` renders a kustomization directory the way `kubectl kustomize DIR` does, in
//! process, without kubectl, network access or a checkout on disk: every byte is read through
//! the [`fs::Filesystem`] seam, so the same build runs over the real disk ([`fs::OsFs`]), an
//! in-memory tree ([`fs::MemFs`]) or any other tree you implement the trait for.
//!
//! The key design choice is to follow kustomize's own pipeline step by step (`KustTarget` in
//! kustomize's source): objects are JSON values ([`value::Value`]), each kustomization field
//! configures the same builtin plugin kustomize would run, in kustomize's fixed order, and the
//! bookkeeping kustomize keeps in `internal.config.kubernetes.io/*` annotations travels the same
//! way and is stripped at the end. Matching kustomize therefore means matching each step, which the conformance tests
//! check against kustomize's own test cases.
//!
//! # Example: build a kustomization held in memory
//!
//! ```
//! use std::path::Path;
//! use kustomize_build::fs::MemFs;
//! use kustomize_build::{build, BuildOptions};
//!
//! let mut fs = MemFs::new();
//! fs.add_file("/app/kustomization.yaml", "namePrefix: prod-\nresources: [service.yaml]\n");
//! fs.add_file(
//!     "/app/service.yaml",
//!     "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n",
//! );
//! let built = build(&fs, Path::new("/app"), &BuildOptions::new())?;
//! assert_eq!(built.resources()[0].name(), "prod-web");
//! assert_eq!(built.ids()[0].to_string(), "Service.v1.[noGrp]/prod-web.[noNs]");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Example: bases, overlays and the legacy output order
//!
//! Directories listed under `resources` are nested kustomizations, built first and then
//! transformed by the overlay. Output is sorted in kustomize's legacy order (namespaces first,
//! webhooks last) unless `sortOptions: {order: fifo}` asks for input order.
//!
//! ```
//! use std::path::Path;
//! use kustomize_build::fs::MemFs;
//! use kustomize_build::{build, BuildOptions};
//!
//! let mut fs = MemFs::new();
//! fs.add_file("/repo/base/kustomization.yaml", "resources: [app.yaml]\n");
//! fs.add_file(
//!     "/repo/base/app.yaml",
//!     "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n---\n\
//!      apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n",
//! );
//! fs.add_file("/repo/prod/kustomization.yaml", "namespace: apps\nresources: [../base]\n");
//! let built = build(&fs, Path::new("/repo/prod"), &BuildOptions::new())?;
//! let kinds: Vec<&str> = built.resources().iter().map(|r| r.kind()).collect();
//! assert_eq!(kinds, ["Namespace", "Deployment"]);
//! assert_eq!(built.resources()[1].namespace(), "apps");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Example: errors name the file and say what to do
//!
//! ```
//! use std::path::Path;
//! use kustomize_build::fs::MemFs;
//! use kustomize_build::{build, BuildError, BuildOptions};
//!
//! let mut fs = MemFs::new();
//! fs.add_file("/app/kustomization.yaml", "resources: [../secret.yaml]\n");
//! fs.add_file("/secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n");
//! let error = build(&fs, Path::new("/app"), &BuildOptions::new()).unwrap_err();
//! assert!(matches!(error.root_cause(), BuildError::OutsideRoot { .. }));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Example: objects share what they do not change
//!
//! A built object is a [`value::Value`]: the shape and methods of `serde_json::Value`, but its
//! maps and lists are shared between copies until one of them changes, so a base kept for many
//! overlays is held once. Convert with `serde_json::Value::from` where `serde_json` is wanted.
//!
//! ```
//! use std::path::Path;
//! use kustomize_build::fs::MemFs;
//! use kustomize_build::{build, BuildOptions};
//!
//! let mut fs = MemFs::new();
//! fs.add_file("/app/kustomization.yaml", "resources: [cm.yaml]\n");
//! fs.add_file(
//!     "/app/cm.yaml",
//!     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n",
//! );
//! let built = build(&fs, Path::new("/app"), &BuildOptions::new())?;
//! let object = serde_json::Value::from(built.resources()[0].object());
//! assert_eq!(object["data"], serde_json::json!({"k": "v"}));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Deprecated fields (`bases`, `commonLabels`, `patchesStrategicMerge`…) produce the warnings
//! kustomize prints, returned as data by [`Build::warnings`] and [`build_with_warnings`].
//!
//! # Crate features
//!
//! - `os` (default): [`fs::OsFs`], reading the real filesystem.
//! - `git`: `fs::GitTreeFs`, reading files straight from a git tree at any revision, through
//!   `gix`.

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod builtins;
pub mod config;
pub mod error;
pub mod fieldspec;
pub mod fs;
pub mod kustomization;
pub mod kustomization_target;
pub mod loader;
pub mod patch;
pub mod plugin;
pub mod provenance;
pub mod replacement;
pub mod resmap;
pub mod resource;
pub mod selector;
mod shared_values;
pub mod value;
pub mod vars;
pub mod yaml;

pub use error::{BuildError, Result};
pub use kustomization::{Kustomization, Warning};
pub use kustomization_target::{
    build, build_recorded_reusing, build_reusing, build_with_warnings, Build, BuildCache,
    BuildOptions,
};
pub use loader::{LoadRestrictions, Loader};
pub use resmap::ResMap;
pub use resource::{ResId, Resource};

// The README (the crates.io page) is doctested too, so its example cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
