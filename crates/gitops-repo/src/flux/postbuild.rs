//! `spec.postBuild`: the variables of a Flux Kustomization (`substituteFrom` `ConfigMaps` and
//! Secrets found in the repository, then `substitute` over them) and their substitution into
//! the built objects.

use std::collections::BTreeMap;

use super::diagnostic::{Code, Diagnostic};
use super::envsubst::expand;
use super::error::FluxError;
use super::object::{FluxKustomization, VariableSource};
use super::scan::shared_dirs;
use super::strict::SubstitutionMode;
use kustomize_build::Resource;

/// The label or annotation that turns substitution off for one object (value `disabled`).
pub const SUBSTITUTE_ANNOTATION: &str = "kustomize.toolkit.fluxcd.io/substitute";

/// The variables kustomize-controller would substitute for `ks`, with warnings for the
/// `substituteFrom` objects the repository does not hold (Flux would read them from the
/// cluster, so they are not errors here).
///
/// Sources are matched by kind, name and the Kustomization's namespace (a manifest without a
/// namespace matches too); when several files define the same object (one per cluster
/// directory), the one closest to the Kustomization's file wins. Later `substituteFrom`
/// entries override earlier ones and `substitute` overrides them all; newlines are removed
/// from values, as Flux does.
///
/// # Errors
///
/// [`FluxError::InvalidVariableName`] for a name Flux refuses.
pub fn variables_for(
    ks: &FluxKustomization,
    sources: &[VariableSource],
) -> Result<(BTreeMap<String, String>, Vec<Diagnostic>), FluxError> {
    let mut vars = BTreeMap::new();
    let mut diagnostics = Vec::new();
    for reference in &ks.substitute_from {
        let best = sources
            .iter()
            .filter(|s| s.kind == reference.kind && s.name == reference.name)
            .filter(|s| s.namespace.as_ref().is_none_or(|n| *n == ks.id.namespace))
            .max_by_key(|s| (s.namespace.is_some(), shared_dirs(&ks.file, &s.file)));
        let what = format!("{}/{}/{}", reference.kind, ks.id.namespace, reference.name);
        match best {
            None if reference.optional => {}
            None => diagnostics.push(Diagnostic::new(
                Code::MissingSubstituteSource,
                ks.id.to_string(),
                ks.file.clone(),
                format!(
                    "substituteFrom {what} is not in the repository; Flux reads it from the cluster and fails if it is missing there, so its variables are unresolved here"
                ),
            )),
            Some(source) if source.encrypted => diagnostics.push(Diagnostic::new(
                Code::EncryptedSubstituteSource,
                ks.id.to_string(),
                ks.file.clone(),
                format!(
                    "substituteFrom {what} ({}) is SOPS-encrypted; its values are not readable offline, so its variables are unresolved here",
                    source.file.display()
                ),
            )),
            Some(source) => {
                for (key, value) in &source.data {
                    vars.insert(key.clone(), value.replace('\n', ""));
                }
            }
        }
    }
    for (key, value) in &ks.substitute {
        vars.insert(key.clone(), value.replace('\n', ""));
    }
    if let Some(bad) = vars.keys().find(|name| !is_valid_name(name)) {
        return Err(FluxError::InvalidVariableName {
            kustomization: ks.id.to_string(),
            name: bad.clone(),
        });
    }
    Ok((vars, diagnostics))
}

/// `^[_[:alpha:]][_[:alpha:][:digit:]]*$`
fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// Substitute `vars` into `resources` as kustomize-controller does after the build: each object
/// is printed as YAML, expanded, and read back (so `replicas: ${N}` becomes a number). Objects
/// labelled or annotated `kustomize.toolkit.fluxcd.io/substitute: disabled` are left alone, and
/// nothing happens when the Kustomization has no `postBuild` or no variable at all.
///
/// Returns one [`Code::UnresolvedVariable`] warning per variable used without a value, naming
/// the objects that use it.
///
/// # Errors
///
/// [`FluxError::Substitution`] when an expression is malformed or the substituted text is no
/// longer a YAML object.
pub fn substitute_resources(
    ks: &FluxKustomization,
    vars: &BTreeMap<String, String>,
    resources: &mut [Resource],
) -> Result<Vec<Diagnostic>, FluxError> {
    substitute_resources_in(ks, vars, resources, SubstitutionMode::Lenient)
}

/// [`substitute_resources`] in `mode`: with [`SubstitutionMode::Strict`], the first object (in
/// build order) using a variable without value or default fails the build with
/// [`FluxError::StrictVariableNotSet`], naming that object's first such variable, as
/// kustomize-controller does with `StrictPostBuildSubstitutions` on.
///
/// # Errors
///
/// As [`substitute_resources`], and [`FluxError::StrictVariableNotSet`] in strict mode.
pub fn substitute_resources_in(
    ks: &FluxKustomization,
    vars: &BTreeMap<String, String>,
    resources: &mut [Resource],
    mode: SubstitutionMode,
) -> Result<Vec<Diagnostic>, FluxError> {
    if !ks.has_post_build || vars.is_empty() {
        return Ok(Vec::new());
    }
    let mut unresolved: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for resource in resources.iter_mut() {
        if is_disabled(resource) {
            continue;
        }
        let object_name = describe(resource);
        let fail = |source: Box<dyn std::error::Error + Send + Sync>| FluxError::Substitution {
            kustomization: ks.id.to_string(),
            object: object_name.clone(),
            source,
        };
        let text = kustomize_build::yaml::emit_value(resource.object());
        let expansion = expand(&text, |name| vars.get(name).map(String::as_str))
            .map_err(|e| fail(Box::new(e)))?;
        if let (SubstitutionMode::Strict, Some(name)) = (mode, expansion.unresolved.first()) {
            return Err(FluxError::StrictVariableNotSet {
                kustomization: ks.id.to_string(),
                object: object_name,
                name: name.clone(),
            });
        }
        for name in expansion.unresolved {
            unresolved
                .entry(name)
                .or_default()
                .push(object_name.clone());
        }
        if expansion.text == text {
            continue;
        }
        let mut documents = kustomize_build::yaml::parse_documents(&expansion.text)
            .map_err(|e| fail(Box::new(e)))?;
        match (documents.pop(), documents.is_empty()) {
            (Some(object @ kustomize_build::value::Value::Object(_)), true) => {
                *resource.object_mut() = object;
            }
            _ => {
                return Err(fail(
                    "the substituted object is no longer a single YAML mapping".into(),
                ))
            }
        }
    }
    Ok(unresolved
        .into_iter()
        .map(|(name, objects)| {
            Diagnostic::new(
                Code::UnresolvedVariable,
                ks.id.to_string(),
                ks.file.clone(),
                format!(
                    "${{{name}}} has no value (not in postBuild.substitute nor in a substituteFrom object of the repository); Flux substitutes an empty string in {}",
                    objects.join(", ")
                ),
            )
            .with_related(objects)
        })
        .collect())
}

fn is_disabled(resource: &Resource) -> bool {
    let disabled = |map: Option<&kustomize_build::value::Map>| {
        map.and_then(|m| m.get(SUBSTITUTE_ANNOTATION))
            .and_then(kustomize_build::value::Value::as_str)
            == Some("disabled")
    };
    disabled(resource.labels()) || disabled(resource.annotations())
}

/// `Kind/namespace/name`, or `Kind/name` for objects without a namespace.
fn describe(resource: &Resource) -> String {
    if resource.namespace().is_empty() {
        format!("{}/{}", resource.kind(), resource.name())
    } else {
        format!(
            "{}/{}/{}",
            resource.kind(),
            resource.namespace(),
            resource.name()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::Path;

    fn flux(post_build: &serde_json::Value) -> FluxKustomization {
        super::super::test_support::flux_kustomization(
            &json!({"path": "./apps", "postBuild": post_build}),
            "/r/clusters/prod/apps.yaml",
        )
    }

    fn source(text: &str, file: &str) -> VariableSource {
        let object = &kustomize_build::yaml::parse_json_documents(text).unwrap()[0];
        VariableSource::from_object(object, Path::new(file)).unwrap()
    }

    #[test]
    fn substitute_overrides_substitute_from_and_later_sources_win() {
        let ks = flux(&json!({
            "substitute": {"a": "inline"},
            "substituteFrom": [
                {"kind": "ConfigMap", "name": "one"},
                {"kind": "Secret", "name": "two"},
                {"kind": "ConfigMap", "name": "absent", "optional": true},
            ]
        }));
        let sources = [
            source("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\n  namespace: flux-system\ndata:\n  a: cm\n  b: cm\n  c: \"line\\n\"\n", "/r/clusters/prod/vars.yaml"),
            source("apiVersion: v1\nkind: Secret\nmetadata:\n  name: two\nstringData:\n  b: secret\n", "/r/clusters/prod/s.yaml"),
            // Another cluster's object of the same name, and one in another namespace.
            source("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\n  namespace: flux-system\ndata:\n  a: dev\n", "/r/clusters/dev/vars.yaml"),
            source("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\n  namespace: other\ndata:\n  d: x\n", "/r/clusters/prod/other.yaml"),
        ];
        let (vars, diagnostics) = variables_for(&ks, &sources).unwrap();
        assert!(diagnostics.is_empty());
        let expected: BTreeMap<String, String> = [("a", "inline"), ("b", "secret"), ("c", "line")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        assert_eq!(vars, expected);
    }

    #[test]
    fn missing_and_encrypted_sources_are_warnings() {
        let ks = flux(&json!({"substituteFrom": [
            {"kind": "ConfigMap", "name": "gone"},
            {"kind": "Secret", "name": "sealed"},
        ]}));
        let sources = [source(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sealed\ndata:\n  k: RU5DW10=\nsops:\n  version: 3.8\n",
            "/r/s.yaml",
        )];
        let (vars, diagnostics) = variables_for(&ks, &sources).unwrap();
        assert!(vars.is_empty());
        let codes: Vec<Code> = diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(
            codes,
            [
                Code::MissingSubstituteSource,
                Code::EncryptedSubstituteSource
            ]
        );
    }

    #[test]
    fn invalid_names_are_errors() {
        let ks = flux(&json!({"substitute": {"cluster-name": "x"}}));
        let error = variables_for(&ks, &[]).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("'cluster-name' var name is invalid"),
            "{error}"
        );
    }

    fn deployment(extra_metadata: &serde_json::Value) -> Resource {
        let mut object = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"replicas": "${REPLICAS}", "selector": {"matchLabels": {"app": "${APP:=web}"}},
                     "template": {"spec": {"containers": [{"name": "c", "image": "app${TAG}", "args": ["$${KEEP}", "$HOME"]}]}}}
        });
        if let Some(map) = extra_metadata.as_object() {
            for (k, v) in map {
                object["metadata"][k] = v.clone();
            }
        }
        Resource::new(object.into())
    }

    #[test]
    fn substitution_retypes_values_and_warns_about_unresolved_variables() {
        let ks = flux(&json!({"substitute": {"REPLICAS": "3"}}));
        let (vars, _) = variables_for(&ks, &[]).unwrap();
        let mut resources = vec![deployment(&json!({}))];
        let diagnostics = substitute_resources(&ks, &vars, &mut resources).unwrap();
        let object = resources[0].object();
        assert_eq!(object["spec"]["replicas"], 3);
        assert_eq!(object["spec"]["selector"]["matchLabels"]["app"], "web");
        let container = &object["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(container["image"], "app");
        assert_eq!(container["args"], json!(["${KEEP}", "$HOME"]));
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].code, Code::UnresolvedVariable);
        assert_eq!(diagnostics[0].kustomization, "flux-system/apps");
        assert!(
            diagnostics[0].message.starts_with("${TAG} has no value"),
            "{}",
            diagnostics[0].message
        );
        assert!(diagnostics[0].message.ends_with("Deployment/shop/web"));
    }

    #[test]
    fn strict_substitution_fails_on_the_first_object_and_variable_flux_would() {
        let ks = flux(&json!({"substitute": {"REPLICAS": "3"}}));
        let (vars, _) = variables_for(&ks, &[]).unwrap();
        let resolved = Resource::new(json!({
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "shop"},
            "data": {"n": "${REPLICAS}", "d": "${MISSING:=fallback}"}
        }).into());
        let disabled = Resource::new(
            json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "b", "annotations": {SUBSTITUTE_ANNOTATION: "disabled"}},
                "data": {"x": "${IGNORED}"}
            })
            .into(),
        );
        let mut resources = vec![resolved, disabled, deployment(&json!({}))];
        let error = substitute_resources_in(&ks, &vars, &mut resources, SubstitutionMode::Strict)
            .unwrap_err();
        assert!(matches!(
            &error,
            FluxError::StrictVariableNotSet { object, name, .. }
                if object == "Deployment/shop/web" && name == "TAG"
        ));
        assert!(
            error.to_string().starts_with(
                "Flux Kustomization flux-system/apps: post build failed for 'Deployment/shop/web': variable substitution failed: variable not set (strict mode): \"TAG\" ("
            ),
            "{error}"
        );
        // Defaults and disabled objects pass strict mode; every value is then resolved.
        let mut resources = vec![resources.remove(0), resources.remove(0)];
        let diagnostics =
            substitute_resources_in(&ks, &vars, &mut resources, SubstitutionMode::Strict).unwrap();
        assert!(diagnostics.is_empty());
        assert_eq!(resources[0].object()["data"]["d"], "fallback");
    }

    #[test]
    fn disabled_objects_and_kustomizations_without_variables_are_untouched() {
        let ks = flux(&json!({"substitute": {"REPLICAS": "3"}}));
        let (vars, _) = variables_for(&ks, &[]).unwrap();
        let mut resources = vec![
            deployment(&json!({"annotations": {SUBSTITUTE_ANNOTATION: "disabled"}})),
            deployment(&json!({"labels": {SUBSTITUTE_ANNOTATION: "disabled"}})),
        ];
        let before = resources.clone();
        assert!(substitute_resources(&ks, &vars, &mut resources)
            .unwrap()
            .is_empty());
        assert_eq!(resources, before);

        // postBuild without any variable: Flux does not substitute (defaults stay unexpanded).
        let empty = flux(
            &json!({"substituteFrom": [{"kind": "ConfigMap", "name": "x", "optional": true}]}),
        );
        let mut resources = vec![deployment(&json!({}))];
        let before = resources.clone();
        let (vars, _) = variables_for(&empty, &[]).unwrap();
        assert!(substitute_resources(&empty, &vars, &mut resources)
            .unwrap()
            .is_empty());
        assert_eq!(resources, before);
    }

    #[test]
    fn malformed_expressions_fail_naming_the_object() {
        let ks = flux(&json!({"substitute": {"A": "1"}}));
        let (vars, _) = variables_for(&ks, &[]).unwrap();
        let mut resources = vec![Resource::new(json!({
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"x": "${A"}
        }).into())];
        let error = substitute_resources(&ks, &vars, &mut resources).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Flux Kustomization flux-system/apps: post build failed for 'ConfigMap/c'"
        );
    }
}
