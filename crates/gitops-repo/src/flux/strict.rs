//! Strict post-build substitution: kustomize-controller's feature gate
//! `StrictPostBuildSubstitutions` (and `flux build kustomization --strict-substitute`) make an
//! unresolved `${VAR}` without default fail the Kustomization's build instead of becoming the
//! empty string. This module says which mode a build uses and finds the gate turned on in the
//! repository's own manifests.
//!
//! Detection is deliberately conservative: only the literal `StrictPostBuildSubstitutions=true`
//! inside a `--feature-gates=` argument counts, and only where the surrounding manifest is
//! about kustomize-controller — a Deployment named `kustomize-controller`, a patch whose
//! `target.name` names it (as `flux-system/kustomization.yaml` patches or a flux-operator
//! `FluxInstance`'s `spec.kustomize.patches` do), or Helm values under `kustomizeController`.
//! A gate set to `false`, or set on another controller, is not strict.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The feature gate's name (kustomize-controller `internal/features/features.go`).
pub const STRICT_GATE: &str = "StrictPostBuildSubstitutions";

/// What an unresolved variable without default does to a Flux Kustomization's build.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SubstitutionMode {
    /// Flux's default: it becomes the empty string (a warning here).
    #[default]
    Lenient,
    /// The gate is on: the build fails with `variable not set (strict mode)`.
    Strict,
}

/// Where the repository turns `StrictPostBuildSubstitutions` on for kustomize-controller.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct StrictGate {
    /// The file holding the argument.
    pub file: PathBuf,
    /// Its line (1-based): the first line of the file setting the gate to `true`.
    pub line: usize,
}

/// The place in `documents` (the parsed YAML of `file`, whose text is `text`) that turns the
/// gate on for kustomize-controller, if any.
pub(crate) fn find_strict_gate(documents: &[Value], file: &Path, text: &str) -> Option<StrictGate> {
    if !text.contains(STRICT_GATE) {
        return None;
    }
    let found = documents
        .iter()
        .any(|document| turns_gate_on(document, Context::Unknown));
    found.then(|| StrictGate {
        file: file.to_path_buf(),
        line: text
            .lines()
            .position(|line| line.contains(&format!("{STRICT_GATE}=true")))
            .map_or(1, |index| index + 1),
    })
}

/// Whether what encloses a value is about kustomize-controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    /// Nothing seen names a controller yet.
    Unknown,
    /// A Deployment, patch target or Helm values section of kustomize-controller.
    KustomizeController,
    /// Something else named (another controller, another object).
    Other,
}

const CONTROLLER: &str = "kustomize-controller";

fn turns_gate_on(value: &Value, context: Context) -> bool {
    match value {
        Value::Object(map) => {
            let context = named_context(map).unwrap_or(context);
            map.iter().any(|(key, child)| {
                let context = if key == "kustomizeController" {
                    Context::KustomizeController
                } else {
                    context
                };
                turns_gate_on(child, context)
            })
        }
        Value::Array(items) => items.iter().any(|item| turns_gate_on(item, context)),
        Value::String(text) if text.contains('\n') && text.contains(STRICT_GATE) => {
            // A patch held as text (JSON 6902 operations or a strategic merge patch): what it
            // says is read in the context of the entry holding it (its `target`).
            kustomize_build::yaml::parse_json_documents(text).is_ok_and(|documents| {
                documents
                    .iter()
                    .any(|document| turns_gate_on(document, context))
            })
        }
        Value::String(text) => context == Context::KustomizeController && gate_argument_on(text),
        _ => false,
    }
}

/// The controller a mapping names: a patch's `target.name` (a regular expression in kustomize,
/// so `(kustomize-controller|helm-controller)` counts) or an object's `metadata.name`.
fn named_context(map: &serde_json::Map<String, Value>) -> Option<Context> {
    let name = ["target", "metadata"]
        .iter()
        .find_map(|field| map.get(*field)?.get("name")?.as_str())?;
    Some(if name.contains(CONTROLLER) {
        Context::KustomizeController
    } else {
        Context::Other
    })
}

/// Whether `argument` is `--feature-gates=…` listing `StrictPostBuildSubstitutions=true`.
fn gate_argument_on(argument: &str) -> bool {
    let Some(gates) = argument.trim().strip_prefix("--feature-gates=") else {
        return false;
    };
    gates
        .split(',')
        .filter_map(|gate| gate.split_once('='))
        .any(|(name, value)| name.trim() == STRICT_GATE && value.trim() == "true")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(text: &str) -> Option<StrictGate> {
        let documents = kustomize_build::yaml::parse_json_documents(text).unwrap();
        find_strict_gate(&documents, Path::new("/r/f.yaml"), text)
    }

    fn bootstrap_patch(target: &str, gate: &str) -> String {
        format!(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- gotk-components.yaml\n- gotk-sync.yaml\npatches:\n- patch: |\n    - op: add\n      path: /spec/template/spec/containers/0/args/-\n      value: --feature-gates={gate}\n  target:\n    kind: Deployment\n    name: {target}\n"
        )
    }

    #[test]
    fn a_bootstrap_patch_of_kustomize_controller_turns_it_on() {
        let text = bootstrap_patch(
            "kustomize-controller",
            "CancelHealthCheckOnNewRevision=true,StrictPostBuildSubstitutions=true",
        );
        assert_eq!(
            detect(&text),
            Some(StrictGate {
                file: PathBuf::from("/r/f.yaml"),
                line: 10
            })
        );
        // A target matching several controllers, kustomize-controller among them.
        let text = bootstrap_patch(
            "\"(kustomize-controller|helm-controller)\"",
            "StrictPostBuildSubstitutions=true",
        );
        assert!(detect(&text).is_some());
    }

    #[test]
    fn a_gate_set_false_or_on_another_controller_is_not_strict() {
        let off = bootstrap_patch("kustomize-controller", "StrictPostBuildSubstitutions=false");
        assert_eq!(detect(&off), None);
        let other = bootstrap_patch("helm-controller", "StrictPostBuildSubstitutions=true");
        assert_eq!(detect(&other), None);
        // Mentioned in a comment or a ConfigMap value, not an argument.
        let prose = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kustomize-controller\ndata:\n  note: StrictPostBuildSubstitutions=true\n";
        assert_eq!(detect(prose), None);
    }

    #[test]
    fn a_deployment_a_flux_instance_and_helm_values_are_read() {
        let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: kustomize-controller\n  namespace: flux-system\nspec:\n  template:\n    spec:\n      containers:\n      - name: manager\n        args:\n        - --watch-all-namespaces=true\n        - --feature-gates=StrictPostBuildSubstitutions=true\n";
        assert_eq!(detect(deployment).map(|g| g.line), Some(13));
        let instance = "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\n  namespace: flux-system\nspec:\n  kustomize:\n    patches:\n    - target:\n        kind: Deployment\n        name: kustomize-controller\n      patch: |\n        - op: add\n          path: /spec/template/spec/containers/0/args/-\n          value: --feature-gates=StrictPostBuildSubstitutions=true\n";
        assert!(detect(instance).is_some());
        let values = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: flux2\nspec:\n  values:\n    kustomizeController:\n      container:\n        additionalArgs:\n        - --feature-gates=StrictPostBuildSubstitutions=true\n    helmController:\n      container:\n        additionalArgs: []\n";
        assert!(detect(values).is_some());
        let helm_only = values.replace("kustomizeController", "notificationController");
        assert_eq!(detect(&helm_only), None);
    }
}
