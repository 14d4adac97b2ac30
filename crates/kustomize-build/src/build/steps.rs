//! Which builtin plugin runs for which kustomization field, in kustomize's fixed order, and the
//! plugins listed under `generators:`, `transformers:` and `validators:`.
//!
//! Each kustomization field becomes the JSON configuration of a builtin plugin, exactly as
//! kustomize marshals it (`kusttarget_configplugin.go`), and [`make_transformer`] /
//! [`make_generator`] turn a configuration into the plugin, so a field and the same plugin listed
//! under `transformers:` run the same code.

use serde_json::{json, Value};

use crate::build::accumulator::Accumulator;
use crate::build::origin::Origin;
use crate::build::target::{add_missing_origin, Target};
use crate::error::{BuildError, Result};
use crate::loader::Loader;
use crate::plugin::{Generator, Transformer};
use crate::resmap::ResMap;

/// A configured transformer and the origin to record after it runs.
type ConfiguredTransformer = (Box<dyn Transformer>, Option<Origin>);
/// A configured generator and the origin to give the objects it makes.
type ConfiguredGenerator = (Box<dyn Generator>, Option<Origin>);

/// Fail clearly on fields the builder does not build (yet), rather than ignoring them.
pub(crate) fn check_supported(target: &Target<'_, '_>) -> Result<()> {
    let k = &target.kustomization;
    if !k.helm_charts.is_empty() || !k.helm_chart_inflation_generator.is_empty() {
        return Err(BuildError::Helm {
            path: target.root.clone(),
        });
    }
    let unsupported = [
        ("configurations", !k.configurations.is_empty()),
        ("crds", !k.crds.is_empty()),
        ("openapi", !k.openapi.is_empty()),
        ("vars", k.vars.as_ref().is_some_and(|v| !v.is_empty())),
    ];
    if let Some((field, _)) = unsupported.iter().find(|(_, used)| *used) {
        return Err(BuildError::Unsupported {
            path: target.root.clone(),
            field: (*field).to_owned(),
        });
    }
    Ok(())
}

/// kustomize's `runGenerators`: `ConfigMapGenerator`, `SecretGenerator`, then `generators:`.
pub(crate) fn run_generators(target: &Target<'_, '_>, accumulator: &mut Accumulator) -> Result<()> {
    let loader = target.loader();
    for (generator, origin) in configure_generators(target)? {
        let mut made = generator.generate(&loader)?;
        if let Some(origin) = origin {
            add_missing_origin(&mut made, &origin);
        }
        accumulator.absorb_all(made)?;
    }
    Ok(())
}

fn configure_generators(target: &Target<'_, '_>) -> Result<Vec<ConfiguredGenerator>> {
    let k = &target.kustomization;
    let mut out = Vec::new();
    for (kind, list) in [
        ("ConfigMapGenerator", &k.config_map_generator),
        ("SecretGenerator", &k.secret_generator),
    ] {
        for args in list {
            let config = generator_args_with_global_options(args, k.generator_options.as_ref());
            out.push((
                make_generator(target, kind, &config)?,
                target.plugin_origin(kind),
            ));
        }
    }
    for config in target.plugin_configs(&k.generators)? {
        let kind = builtin_kind(config.object())?;
        out.push((make_generator(target, &kind, config.object())?, None));
    }
    Ok(out)
}

/// kustomize's `MergeGlobalOptionsIntoLocal`: `generatorOptions` fill in what an entry's own
/// `options` leave unset; labels and annotations are merged, the entry's own winning.
fn generator_args_with_global_options(args: &Value, global: Option<&Value>) -> Value {
    let mut args = args.clone();
    let Some(global) = global.and_then(Value::as_object) else {
        return args;
    };
    let Some(object) = args.as_object_mut() else {
        return args;
    };
    let local = object
        .entry("options")
        .or_insert_with(|| json!({}))
        .as_object_mut();
    if let Some(local) = local {
        for map_field in ["labels", "annotations"] {
            if let Some(Value::Object(global_map)) = global.get(map_field) {
                let mut merged = global_map.clone();
                if let Some(Value::Object(own)) = local.get(map_field) {
                    for (k, v) in own {
                        merged.insert(k.clone(), v.clone());
                    }
                }
                local.insert(map_field.to_owned(), Value::Object(merged));
            }
        }
        for flag in ["disableNameSuffixHash", "immutable"] {
            if global.get(flag) == Some(&Value::Bool(true)) {
                local.insert(flag.to_owned(), Value::Bool(true));
            }
        }
    }
    args
}

/// kustomize's `runTransformers`: the builtin transformers in kustomize's fixed order, then the
/// `transformers:` entries; after each, the transformation is recorded when asked for and
/// emptied objects are dropped.
pub(crate) fn run_transformers(
    target: &Target<'_, '_>,
    accumulator: &mut Accumulator,
) -> Result<()> {
    let loader = target.loader();
    for (transformer, origin) in configure_transformers(target)? {
        transformer.transform(&mut accumulator.resources, &loader)?;
        if let Some(origin) = origin {
            for resource in &mut accumulator.resources {
                origin.record_transformation(resource);
            }
        }
        drop_empties(&mut accumulator.resources);
    }
    Ok(())
}

fn drop_empties(resources: &mut ResMap) {
    resources
        .as_mut_vec()
        .retain(|r| r.object().as_object().is_some_and(|o| !o.is_empty()));
}

fn configure_transformers(target: &Target<'_, '_>) -> Result<Vec<ConfiguredTransformer>> {
    let k = &target.kustomization;
    let mut configs: Vec<(&str, Value)> = Vec::new();
    if let Some(paths) = k.patches_strategic_merge.as_ref().filter(|p| !p.is_empty()) {
        configs.push(("PatchStrategicMergeTransformer", json!({ "paths": paths })));
    }
    for patch in &k.patches {
        configs.push(("PatchTransformer", patch.clone()));
    }
    if !k.namespace.is_empty() {
        configs.push((
            "NamespaceTransformer",
            json!({ "metadata": { "namespace": k.namespace } }),
        ));
    }
    if !k.name_prefix.is_empty() {
        configs.push(("PrefixTransformer", json!({ "prefix": k.name_prefix })));
    }
    if !k.name_suffix.is_empty() {
        configs.push(("SuffixTransformer", json!({ "suffix": k.name_suffix })));
    }
    let has_common_labels = k.common_labels.as_ref().is_some_and(|l| !l.is_empty());
    if !k.labels.is_empty() || has_common_labels {
        for label in &k.labels {
            configs.push(("LabelTransformer", label.clone()));
        }
        configs.push((
            "LabelTransformer",
            json!({ "labels": k.common_labels.clone().unwrap_or_default(), "commonLabels": true }),
        ));
    }
    if !k.common_annotations.is_empty() {
        configs.push((
            "AnnotationsTransformer",
            json!({ "annotations": k.common_annotations }),
        ));
    }
    for patch in k.patches_json6902.iter().flatten() {
        configs.push(("PatchJson6902Transformer", patch.clone()));
    }
    for replica in &k.replicas {
        configs.push(("ReplicaCountTransformer", json!({ "replica": replica })));
    }
    for image in &k.images {
        configs.push(("ImageTagTransformer", json!({ "imageTag": image })));
    }
    if !k.replacements.is_empty() {
        configs.push((
            "ReplacementTransformer",
            json!({ "replacements": k.replacements }),
        ));
    }
    let mut out = Vec::new();
    for (kind, config) in configs {
        out.push((
            make_transformer(target, kind, &config)?,
            target.plugin_origin(kind),
        ));
    }
    for config in target.plugin_configs(&k.transformers)? {
        let kind = builtin_kind(config.object())?;
        out.push((make_transformer(target, &kind, config.object())?, None));
    }
    Ok(out)
}

/// kustomize's `runValidators`: validators may not change the objects.
pub(crate) fn run_validators(target: &Target<'_, '_>, accumulator: &mut Accumulator) -> Result<()> {
    let k = &target.kustomization;
    if k.validators.is_empty() {
        return Ok(());
    }
    let loader = target.loader();
    for config in target.plugin_configs(&k.validators)? {
        let kind = builtin_kind(config.object())?;
        let validator = make_transformer(target, &kind, config.object())?;
        let before = accumulator.resources.clone();
        validator.transform(&mut accumulator.resources, &loader)?;
        if accumulator.resources != before {
            return Err(BuildError::Other(format!(
                "validator shouldn't modify the resource map (validator {kind})"
            )));
        }
    }
    Ok(())
}

/// The steps kustomize runs once, at the top: hash suffixes on generated names, references to
/// renamed objects, `vars`.
#[allow(clippy::unnecessary_wraps)] // the steps land with the builtin transformers
pub(crate) fn finish(_target: &Target<'_, '_>, _accumulator: &mut Accumulator) -> Result<()> {
    Ok(())
}

/// The builtin plugin a configuration object names; the builder runs builtin plugins only, as
/// `kubectl kustomize` does.
fn builtin_kind(config: &Value) -> Result<String> {
    let kind = config.get("kind").and_then(Value::as_str).unwrap_or("");
    let api_version = config
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    if api_version == "builtin" {
        Ok(kind.to_owned())
    } else {
        Err(BuildError::Other(format!(
            "external plugins disabled; unable to load external plugin '{kind}' (only builtin plugins, apiVersion: builtin, run offline)"
        )))
    }
}

/// The builtin transformer `kind` configured by `config`.
fn make_transformer(
    target: &Target<'_, '_>,
    kind: &str,
    config: &Value,
) -> Result<Box<dyn Transformer>> {
    match kind {
        "NamespaceTransformer" => Ok(Box::new(shim::Namespace {
            namespace: config
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
        })),
        "PrefixTransformer" | "SuffixTransformer" | "PrefixSuffixTransformer" => {
            let text = |key: &str| {
                config
                    .get(key)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned()
            };
            Ok(Box::new(shim::PrefixSuffix {
                prefix: text("prefix"),
                suffix: text("suffix"),
            }))
        }
        _ => Err(unsupported_plugin(target, kind)),
    }
}

/// The builtin generator `kind` configured by `config`.
fn make_generator(
    target: &Target<'_, '_>,
    kind: &str,
    _config: &Value,
) -> Result<Box<dyn Generator>> {
    Err(unsupported_plugin(target, kind))
}

fn unsupported_plugin(target: &Target<'_, '_>, kind: &str) -> BuildError {
    match kind {
        "ConfigMapGenerator"
        | "SecretGenerator"
        | "PatchTransformer"
        | "PatchStrategicMergeTransformer"
        | "PatchJson6902Transformer"
        | "LabelTransformer"
        | "AnnotationsTransformer"
        | "ImageTagTransformer"
        | "ReplicaCountTransformer"
        | "ReplacementTransformer"
        | "HashTransformer" => BuildError::Unsupported {
            path: target.root.clone(),
            field: kind.to_owned(),
        },
        _ => BuildError::Other(format!("unable to load builtin {kind}.builtin.[noGrp]")),
    }
}

/// Minimal namespace and name-prefix steps until the builtin transformers land.
mod shim {
    use super::{Loader, ResMap, Result, Transformer};

    pub(super) struct Namespace {
        pub(super) namespace: String,
    }

    impl Transformer for Namespace {
        fn transform(&self, resources: &mut ResMap, _loader: &Loader<'_>) -> Result<()> {
            for r in resources.iter_mut() {
                if r.kind() == "Namespace" && r.id().group.is_empty() {
                    r.store_previous_id();
                    r.set_name(&self.namespace);
                } else if !r.id().is_cluster_scoped() && r.namespace() != self.namespace {
                    r.store_previous_id();
                    r.set_namespace(&self.namespace);
                }
            }
            Ok(())
        }
    }

    pub(super) struct PrefixSuffix {
        pub(super) prefix: String,
        pub(super) suffix: String,
    }

    impl Transformer for PrefixSuffix {
        fn transform(&self, resources: &mut ResMap, _loader: &Loader<'_>) -> Result<()> {
            for r in resources.iter_mut() {
                if matches!(
                    r.kind(),
                    "CustomResourceDefinition" | "APIService" | "Namespace"
                ) {
                    continue;
                }
                r.store_previous_id();
                let name = format!("{}{}{}", self.prefix, r.name(), self.suffix);
                r.set_name(&name);
            }
            Ok(())
        }
    }
}
