//! Flux awareness: build each Flux `Kustomization` of a repository the way kustomize-controller
//! does, and check what would keep Flux from applying it.
//!
//! A Flux Kustomization (`kustomize.toolkit.fluxcd.io/v1`, `v1beta2`…) points at a directory
//! of its source (`spec.path`, relative to the repository root) and changes what kustomize
//! builds there: it generates a `kustomization.yaml` listing every manifest when the directory
//! has none, sets `targetNamespace`, `namePrefix`/`nameSuffix`, adds `patches`, `components`
//! and `images`, builds with `LoadRestrictionsNone`, substitutes `${VARS}` from
//! `postBuild.substitute` and `substituteFrom` `ConfigMaps`/Secrets, and stamps `commonMetadata`.
//! The same directory built plainly can therefore differ from what reaches the cluster — a
//! selector fed by `${APP_SELECTOR}` changes when a `ConfigMap` value does.
//!
//! The pieces, one job each:
//!
//! - [`FluxRepository::scan`] finds the Flux Kustomizations, `ConfigMaps` and Secrets in YAML files;
//! - [`kustomization_for`] is the kustomization the controller builds for `spec.path`;
//! - [`envsubst::expand`] is Flux's variable expansion on one string;
//! - [`variables_for`] and [`substitute_resources`] are `postBuild`;
//! - [`check_dependencies`] checks `dependsOn` (missing targets, cycles);
//! - [`SubstitutionMode`] and [`StrictGate`] are kustomize-controller's feature gate
//!   `StrictPostBuildSubstitutions`, under which an unresolved variable fails the build;
//! - [`build_flux`] runs it all for one Flux Kustomization.
//!
//! What is not an error is data: an unresolved variable, a `substituteFrom` object the
//! repository does not hold, a missing dependency or a cycle is a [`Diagnostic`] naming the
//! Flux Kustomization; [`FluxError`] is kept for what makes Flux fail the build.
//!
//! # Example: a `postBuild` variable read from a `ConfigMap` of the repository
//!
//! ```
//! use std::path::{Path, PathBuf};
//! use gitops_repo::flux::{build_flux, Code, FluxRepository};
//! use kustomize_build::fs::MemFs;
//! use kustomize_build::BuildOptions;
//!
//! let mut fs = MemFs::new();
//! fs.add_file(
//!     "/repo/clusters/prod/apps.yaml",
//!     "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n\
//!      metadata:\n  name: apps\n  namespace: flux-system\n\
//!      spec:\n  path: ./apps\n  targetNamespace: shop\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n\
//!      \x20 postBuild:\n    substituteFrom:\n    - kind: ConfigMap\n      name: cluster-vars\n",
//! );
//! fs.add_file(
//!     "/repo/clusters/prod/vars.yaml",
//!     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-vars\n  namespace: flux-system\ndata:\n  TIER: gold\n",
//! );
//! // No kustomization.yaml in apps/: Flux generates one listing the manifests.
//! fs.add_file(
//!     "/repo/apps/app.yaml",
//!     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  tier: ${TIER}\n  zone: ${ZONE}\n",
//! );
//! let files = [
//!     PathBuf::from("/repo/clusters/prod/apps.yaml"),
//!     PathBuf::from("/repo/clusters/prod/vars.yaml"),
//!     PathBuf::from("/repo/apps/app.yaml"),
//! ];
//! let repo = FluxRepository::scan(&fs, &files);
//! let apps = &repo.kustomizations[0];
//! let built = build_flux(&fs, Path::new("/repo"), apps, &repo.sources, &BuildOptions::new())?;
//! let app = built.resources[0].object();
//! assert_eq!(app["metadata"]["namespace"], "shop");
//! assert_eq!(app["data"]["tier"], "gold");
//! assert!(app["data"]["zone"].is_null()); // `zone: ` reads back as null, as in Flux
//! // ZONE has no value: a warning naming the variable and the Flux Kustomization.
//! assert_eq!(built.diagnostics[0].code, Code::UnresolvedVariable);
//! assert_eq!(built.diagnostics[0].kustomization, "flux-system/apps");
//! assert!(built.diagnostics[0].message.starts_with("${ZONE} has no value"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod build;
mod depends;
mod diagnostic;
pub mod envsubst;
mod error;
mod generate;
mod object;
pub(crate) mod overlay;
mod postbuild;
mod scan;
mod strict;

pub use build::{build_flux, build_flux_in, FluxBuild};
pub use depends::{check_dependencies, check_dependencies_among};
pub use diagnostic::{Code, Diagnostic, Severity};
pub use error::FluxError;
pub use generate::{kustomization_for, GeneratedKustomization};
pub use object::{FluxId, FluxKustomization, SourceRef, SubstituteRef, VariableSource, GROUP};
pub use postbuild::{
    substitute_resources, substitute_resources_in, variables_for, SUBSTITUTE_ANNOTATION,
};
pub use scan::FluxRepository;
pub use strict::{StrictGate, SubstitutionMode, STRICT_GATE};

/// What the Flux modules' unit tests share.
#[cfg(test)]
mod test_support {
    use std::path::Path;

    use serde_json::{json, Value};

    use super::FluxKustomization;

    /// The Flux Kustomization `flux-system/apps` with `spec`, defined in `file`.
    pub(super) fn flux_kustomization(spec: &Value, file: &str) -> FluxKustomization {
        let object = json!({
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": "apps", "namespace": "flux-system"},
            "spec": spec,
        });
        FluxKustomization::from_object(&object, Path::new(file)).unwrap()
    }
}
