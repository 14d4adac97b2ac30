//! Argo CD awareness: render each `argoproj.io` `Application` of a repository whose source is
//! the repository the way Argo CD's repo-server renders it.
//!
//! An Application names one source (`spec.source`) or several (`spec.sources`); each source of
//! this repository with a `path` is rendered:
//!
//! - a path holding a kustomization file is built with kustomize after the edits Argo makes
//!   for `spec.source.kustomize` (`namePrefix`, `nameSuffix`, `images`, `replicas`,
//!   `commonLabels`, `commonAnnotations` and their `force…` flags, `labelWithoutSelector`,
//!   `namespace`, `patches`, `components`; see [`build_argo`]);
//! - any other path is a plain-YAML directory (`directory.recurse`, `include`, `exclude`);
//! - Helm charts and plugins are not rendered (a note says so).
//!
//! `ApplicationSets` with `list` generators and `git` `directories` generators over this
//! repository are expanded into the Applications they generate (Argo's default templating);
//! any other is listed as not rendered, with the reason.
//!
//! `spec.destination.namespace` then goes on every namespaced object naming no namespace.
//! [`crate::advice`] knows `Force=true,Replace=true` and [`crate::impact`] knows
//! `syncPolicy.automated` and its `prune`. `docs/argo-cd.md` lists what is emulated and what
//! is not.
//!
//! # Example: a kustomize source with Argo's options
//!
//! ```
//! use std::path::{Path, PathBuf};
//! use gitops_repo::argo::{build_argo, ArgoRepository};
//! use kustomize_build::fs::MemFs;
//! use kustomize_build::BuildOptions;
//!
//! let mut fs = MemFs::new();
//! fs.add_file(
//!     "/repo/argocd/web.yaml",
//!     "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  namespace: argocd\n\
//!      spec:\n  source:\n    repoURL: https://git.example/repo.git\n    path: web\n\
//!      \x20   kustomize:\n      nameSuffix: -v2\n  destination:\n    namespace: shop\n",
//! );
//! fs.add_file("/repo/web/kustomization.yaml", "resources: [cm.yaml]\n");
//! fs.add_file("/repo/web/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n");
//! let repo = ArgoRepository::scan(&fs, &[PathBuf::from("/repo/argocd/web.yaml")]);
//! let built = build_argo(&fs, Path::new("/repo"), &repo.applications[0], &[], &BuildOptions::new())?;
//! assert_eq!(built[0].name(), "web-v2");
//! assert_eq!(built[0].namespace(), "shop");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod appset;
mod build;
mod directory;
mod error;
mod kustomize;
mod object;
mod scan;

pub(crate) use appset::{expand as expand_application_set, repository_directories};
pub use build::{build_argo, is_local_source, unrendered_reason};
pub(crate) use build::{edited_kustomization, kustomize_source};
pub use error::ArgoError;
pub use object::{
    forces_replace, object_sync_options, ArgoApplication, ArgoId, ArgoSource, GROUP,
    SYNC_OPTIONS_ANNOTATION,
};
pub use scan::ArgoRepository;
