//! Building a Flux Kustomization end to end: `spec.path`, the completed kustomization, kustomize
//! with `LoadRestrictionsNone`, post-build substitution, then `commonMetadata`.

use std::path::Path;

use kustomize_build::value::{Map as ObjectMap, Value as ObjectValue};
use serde_json::Value;

use super::diagnostic::Diagnostic;
use super::error::FluxError;
use super::generate::{kustomization_for, GeneratedKustomization};
use super::object::{FluxKustomization, VariableSource};
use super::overlay::OverlayFs;
use super::postbuild::{substitute_resources_in, variables_for};
use super::strict::SubstitutionMode;
use kustomize_build::fs::{clean_path, Filesystem};
use kustomize_build::LoadRestrictions;
use kustomize_build::{build as kustomize_build, BuildOptions, Resource, Warning};

/// What a Flux Kustomization builds to, and what is worth a warning about it.
#[derive(Debug, Clone, PartialEq)]
pub struct FluxBuild {
    /// The objects as kustomize-controller would apply them, in kustomize's output order.
    pub resources: Vec<Resource>,
    /// kustomize's warnings about the build (deprecated fields…).
    pub warnings: Vec<Warning>,
    /// The kustomization that was built (generated or completed).
    pub kustomization: GeneratedKustomization,
    /// Unresolved variables and `substituteFrom` objects the repository does not hold.
    pub diagnostics: Vec<Diagnostic>,
}

/// Build `ks` as kustomize-controller would, reading the repository whose root is `root`
/// (`spec.path` is relative to it) through `fs`; `sources` are the repository's `ConfigMaps` and
/// Secrets (see [`super::FluxRepository`]). `options` apply, except that file access is always
/// `LoadRestrictionsNone`, as in Flux.
///
/// # Errors
///
/// A missing `spec.path`, a manifest or kustomization that cannot be read, a kustomize build
/// error, or a substitution that fails; each names the Flux Kustomization.
pub fn build_flux(
    fs: &dyn Filesystem,
    root: &Path,
    ks: &FluxKustomization,
    sources: &[VariableSource],
    options: &BuildOptions,
) -> Result<FluxBuild, FluxError> {
    build_flux_in(fs, root, ks, sources, options, SubstitutionMode::Lenient)
}

/// [`build_flux`] with post-build substitution in `mode`: [`SubstitutionMode::Strict`] is
/// kustomize-controller with the feature gate `StrictPostBuildSubstitutions` on.
///
/// # Errors
///
/// As [`build_flux`]; in strict mode also [`FluxError::StrictVariableNotSet`] where
/// [`build_flux`] warns of an unresolved variable.
pub fn build_flux_in(
    fs: &dyn Filesystem,
    root: &Path,
    ks: &FluxKustomization,
    sources: &[VariableSource],
    options: &BuildOptions,
    mode: SubstitutionMode,
) -> Result<FluxBuild, FluxError> {
    let path_not_found = || FluxError::PathNotFound {
        kustomization: ks.id.to_string(),
        path: ks.path.clone(),
        file: ks.file.clone(),
    };
    let relative = ks.path.trim_start_matches('/');
    let dir = clean_path(&root.join(relative));
    if !dir.starts_with(clean_path(root)) || !fs.is_dir(&dir) {
        return Err(path_not_found());
    }
    let dir = fs.canonicalize(&dir).map_err(|_| path_not_found())?;
    let kustomization = kustomization_for(fs, &dir, ks)?;
    let overlay = OverlayFs::new(
        fs,
        kustomization.file.clone(),
        kustomization.content.clone().into_bytes(),
    );
    let options = options
        .clone()
        .with_load_restrictions(LoadRestrictions::None);
    let build = kustomize_build(&overlay, &dir, &options).map_err(|source| FluxError::Build {
        kustomization: ks.id.to_string(),
        source,
    })?;
    let warnings = build.warnings().to_vec();
    let mut resources = build.into_resources();
    let (vars, mut diagnostics) = variables_for(ks, sources)?;
    diagnostics.extend(substitute_resources_in(ks, &vars, &mut resources, mode)?);
    apply_common_metadata(ks, &mut resources);
    Ok(FluxBuild {
        resources,
        warnings,
        kustomization,
        diagnostics,
    })
}

/// `spec.commonMetadata`: labels and annotations set on every object's own metadata (not on
/// selectors or templates), overriding values already there.
fn apply_common_metadata(ks: &FluxKustomization, resources: &mut [Resource]) {
    let Some(common) = ks.spec("commonMetadata") else {
        return;
    };
    for field in ["labels", "annotations"] {
        let Some(values) = common.get(field).and_then(Value::as_object) else {
            continue;
        };
        if values.is_empty() {
            continue;
        }
        for resource in resources.iter_mut() {
            let Some(metadata) = resource
                .object_mut()
                .get_mut("metadata")
                .and_then(ObjectValue::as_object_mut)
            else {
                continue;
            };
            let map = metadata
                .entry(field)
                .or_insert_with(|| ObjectValue::Object(ObjectMap::new()));
            if !map.is_object() {
                *map = ObjectValue::Object(ObjectMap::new());
            }
            if let Some(map) = map.as_object_mut() {
                for (key, value) in values {
                    map.insert(key.clone(), ObjectValue::from(value));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kustomize_build::fs::MemFs;
    use serde_json::json;

    fn flux(spec: &Value) -> FluxKustomization {
        super::super::test_support::flux_kustomization(spec, "/r/clusters/apps.yaml")
    }

    #[test]
    fn builds_outside_the_path_with_common_metadata() {
        let mut fs = MemFs::new();
        fs.add_file(
            "/r/apps/kustomization.yaml",
            "resources: [../shared/cm.yaml]\n",
        );
        fs.add_file(
            "/r/shared/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  env: ${ENV}\n",
        );
        let ks = flux(&json!({
            "path": "./apps",
            "commonMetadata": {"labels": {"team": "a"}},
            "postBuild": {"substitute": {"ENV": "prod"}}
        }));
        let built = build_flux(&fs, Path::new("/r"), &ks, &[], &BuildOptions::new()).unwrap();
        let object = built.resources[0].object();
        assert_eq!(object["data"]["env"], "prod");
        assert_eq!(object["metadata"]["labels"]["team"], "a");
        assert!(built.diagnostics.is_empty());
    }

    #[test]
    fn a_missing_path_names_the_kustomization_and_its_file() {
        let fs = MemFs::new();
        let ks = flux(&json!({"path": "./nope"}));
        let error = build_flux(&fs, Path::new("/r"), &ks, &[], &BuildOptions::new()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Flux Kustomization flux-system/apps (/r/clusters/apps.yaml): kustomization path not found: ./nope (spec.path is relative to the repository root)"
        );
    }
}
