//! Which builtin plugin runs for which kustomization field, in kustomize's fixed order, and the
//! plugins listed under `generators:`, `transformers:` and `validators:`.
//!
//! Each kustomization field becomes the JSON configuration of a builtin plugin, exactly as
//! kustomize marshals it (`kusttarget_configplugin.go`), and [`make_transformer`] /
//! [`make_generator`] turn a configuration into the plugin, so a field and the same plugin listed
//! under `transformers:` run the same code.

use std::borrow::Cow;
use std::sync::Arc;

use crate::{json, value::Value};
use indexmap::IndexMap;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::builtins::{
    AnnotationsTransformer, ConfigMapGenerator, GeneratorOptions, HashTransformer,
    IamPolicyGenerator, ImageTagTransformer, LabelTransformer, NameReferenceTransformer,
    NamespaceTransformer, PrefixSuffixTransformer, PrefixTransformer, ReplicaCountTransformer,
    SecretGenerator, SuffixTransformer,
};
use crate::config::TransformerConfig;
use crate::error::{BuildError, Result};
use crate::fieldspec::FieldSpec;
use crate::kustomization::Warning;
use crate::kustomization_target::accumulator::Accumulator;
use crate::kustomization_target::origin::Origin;
use crate::kustomization_target::target::{add_missing_origin, Target};
use crate::patch::{
    PatchJson6902Transformer, PatchStrategicMergeTransformer, PatchTransformer, Schema,
};
use crate::plugin::{Generator, Transformer};
use crate::replacement::ReplacementTransformer;
use crate::resmap::ResMap;

/// A configured transformer and the origin to record after it runs.
type ConfiguredTransformer = (Box<dyn Transformer>, Option<Origin>);
/// A configured generator and the origin to give the objects it makes.
type ConfiguredGenerator = (Box<dyn Generator>, Option<Origin>);

/// Fail clearly on fields the builder does not build, rather than ignoring them.
pub(crate) fn check_supported(target: &Target<'_, '_>) -> Result<()> {
    let k = &target.kustomization;
    if !k.helm_charts.is_empty() || !k.helm_chart_inflation_generator.is_empty() {
        return Err(BuildError::Helm {
            path: target.root.clone(),
        });
    }
    Ok(())
}

/// kustomize's `MakeTransformerConfig`: the builtin field specs plus this kustomization's
/// `configurations:` files.
/// Borrowed when there are none (the usual case), so the builtin tables are not copied.
pub(crate) fn transformer_config(
    target: &Target<'_, '_>,
) -> Result<Cow<'static, TransformerConfig>> {
    let mut config = Cow::Borrowed(TransformerConfig::builtin());
    let loader = target.loader();
    for file in &target.kustomization.configurations {
        let text = loader.read_to_string(file)?;
        config
            .to_mut()
            .merge(&TransformerConfig::from_yaml(&text, file)?)?;
    }
    Ok(config)
}

/// kustomize's `LoadConfigFromCRDs`: field specs from the `crds:` definition files.
pub(crate) fn crd_config(target: &Target<'_, '_>) -> Result<TransformerConfig> {
    let mut config = TransformerConfig::empty();
    let loader = target.loader();
    for file in &target.kustomization.crds {
        let text = loader.read_to_string(file)?;
        config.merge(&crate::config::crds::from_crd_schemas(&text, file)?)?;
    }
    Ok(config)
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
    let global: Option<GeneratorOptions> = k
        .generator_options
        .as_ref()
        .map(|o| configure("generatorOptions", o))
        .transpose()?;
    let mut out: Vec<ConfiguredGenerator> = Vec::new();
    for args in &k.config_map_generator {
        let mut generator: ConfigMapGenerator = configure("ConfigMapGenerator", args)?;
        generator.args.apply_global_options(global.as_ref());
        out.push((
            Box::new(generator),
            target.plugin_origin("ConfigMapGenerator"),
        ));
    }
    for args in &k.secret_generator {
        let mut generator: SecretGenerator = configure("SecretGenerator", args)?;
        generator.args.apply_global_options(global.as_ref());
        out.push((Box::new(generator), target.plugin_origin("SecretGenerator")));
    }
    for config in target.plugin_configs(&k.generators)? {
        let kind = builtin_kind(config.object())?;
        out.push((
            make_generator(&kind, config.object())?,
            Origin::of_plugin_config(&config),
        ));
    }
    Ok(out)
}

/// kustomize's `runTransformers`: the builtin transformers in kustomize's fixed order, then the
/// `transformers:` entries; after each, the transformation is recorded when asked for and
/// emptied objects are dropped.
pub(crate) fn run_transformers(
    target: &Target<'_, '_>,
    accumulator: &mut Accumulator,
) -> Result<()> {
    let loader = target.loader();
    for (transformer, origin) in configure_transformers(target, &accumulator.config)? {
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

/// One `labels:` entry of a kustomization.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct LabelsEntry {
    pairs: IndexMap<String, String>,
    include_selectors: bool,
    include_templates: bool,
    fields: Vec<FieldSpec>,
}

/// The builtin transformers a kustomization's fields configure, in kustomize's order
/// (`configureBuiltinTransformers`), followed by its `transformers:` entries.
fn configure_transformers(
    target: &Target<'_, '_>,
    config: &TransformerConfig,
) -> Result<Vec<ConfiguredTransformer>> {
    let k = &target.kustomization;
    let schema = target.context.schema();
    let mut out: Vec<ConfiguredTransformer> = Vec::new();
    let mut push = |kind: &str, transformer: Box<dyn Transformer>| {
        out.push((transformer, target.plugin_origin(kind)));
    };
    if let Some(paths) = k.patches_strategic_merge.as_ref().filter(|p| !p.is_empty()) {
        let mut t: PatchStrategicMergeTransformer =
            configure("PatchStrategicMergeTransformer", &json!({ "paths": paths }))?;
        if let Some(schema) = &schema {
            t = t.with_schema(Arc::clone(schema));
        }
        push("PatchStrategicMergeTransformer", Box::new(t));
    }
    for patch in &k.patches {
        let mut t: PatchTransformer = configure("PatchTransformer", patch)?;
        if let Some(schema) = &schema {
            t = t.with_schema(Arc::clone(schema));
        }
        push("PatchTransformer", Box::new(t));
    }
    if !k.namespace.is_empty() {
        push(
            "NamespaceTransformer",
            Box::new(NamespaceTransformer::new(
                &k.namespace,
                config.namespace.clone(),
            )),
        );
    }
    if !k.name_prefix.is_empty() {
        push(
            "PrefixTransformer",
            Box::new(PrefixTransformer {
                prefix: k.name_prefix.clone(),
                field_specs: Some(config.name_prefix.clone()),
            }),
        );
    }
    if !k.name_suffix.is_empty() {
        push(
            "SuffixTransformer",
            Box::new(SuffixTransformer {
                suffix: k.name_suffix.clone(),
                field_specs: Some(config.name_suffix.clone()),
            }),
        );
    }
    if !k.labels.is_empty() || k.common_labels.as_ref().is_some_and(|l| !l.is_empty()) {
        for entry in &k.labels {
            let entry: LabelsEntry = configure("labels", entry)?;
            push(
                "LabelTransformer",
                Box::new(LabelTransformer::for_labels_entry(
                    entry.pairs,
                    entry.include_selectors,
                    entry.include_templates,
                    entry.fields,
                    config,
                )?),
            );
        }
        push(
            "LabelTransformer",
            Box::new(LabelTransformer {
                labels: k
                    .common_labels
                    .iter()
                    .flatten()
                    .map(|(key, v)| (key.clone(), v.clone()))
                    .collect(),
                field_specs: config.common_labels.clone(),
            }),
        );
    }
    if !k.common_annotations.is_empty() {
        push(
            "AnnotationsTransformer",
            Box::new(AnnotationsTransformer {
                annotations: k
                    .common_annotations
                    .iter()
                    .map(|(key, v)| (key.clone(), v.clone()))
                    .collect(),
                field_specs: config.common_annotations.clone(),
            }),
        );
    }
    for patch in k.patches_json6902.iter().flatten() {
        let t = PatchJson6902Transformer::from_entry(patch)
            .map_err(|e| plugin_error("PatchJson6902Transformer", &e))?;
        push("PatchJson6902Transformer", Box::new(t));
    }
    for replica in &k.replicas {
        let mut t: ReplicaCountTransformer =
            configure("ReplicaCountTransformer", &json!({ "replica": replica }))?;
        t.field_specs.clone_from(&config.replicas);
        push("ReplicaCountTransformer", Box::new(t));
    }
    for image in &k.images {
        let mut t: ImageTagTransformer =
            configure("ImageTagTransformer", &json!({ "imageTag": image }))?;
        t.field_specs.clone_from(&config.images);
        push("ImageTagTransformer", Box::new(t));
    }
    if !k.replacements.is_empty() {
        let t: ReplacementTransformer = configure(
            "ReplacementTransformer",
            &json!({ "replacements": k.replacements }),
        )?;
        push("ReplacementTransformer", Box::new(t));
    }
    for plugin in target.plugin_configs(&k.transformers)? {
        let kind = builtin_kind(plugin.object())?;
        out.push((
            make_transformer(&kind, plugin.object(), schema.as_ref())?,
            Origin::of_plugin_config(&plugin),
        ));
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
    let schema = target.context.schema();
    for config in target.plugin_configs(&k.validators)? {
        let kind = builtin_kind(config.object())?;
        let validator = make_transformer(&kind, config.object(), schema.as_ref())?;
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
/// renamed objects, `vars`. Returns the warning kustomize logs for vars never used.
pub(crate) fn finish(
    target: &Target<'_, '_>,
    accumulator: &mut Accumulator,
) -> Result<Vec<Warning>> {
    let loader = target.loader();
    HashTransformer::default().transform(&mut accumulator.resources, &loader)?;
    NameReferenceTransformer::new(&accumulator.config)
        .transform(&mut accumulator.resources, &loader)?;
    let unused = crate::vars::resolve_vars(
        &mut accumulator.resources,
        &accumulator.vars,
        &accumulator.config.var_reference,
    )?;
    let mut warnings = Vec::new();
    if !unused.is_empty() {
        warnings.push(Warning {
            message: format!(
                "well-defined vars that were never replaced: {}",
                unused.join(",")
            ),
        });
    }
    Ok(warnings)
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

/// Read a builtin plugin's configuration, as kustomize's `Config` does.
fn configure<T: DeserializeOwned>(kind: &'static str, config: &Value) -> Result<T> {
    crate::value::from_value(config.clone()).map_err(|e| plugin_error(kind, &e))
}

fn plugin_error(kind: &'static str, error: &serde_json::Error) -> BuildError {
    BuildError::Plugin {
        plugin: kind,
        reason: format!("trouble configuring builtin {kind}: {error}"),
    }
}

/// The builtin transformer `kind` configured by a `transformers:` entry.
fn make_transformer(
    kind: &str,
    config: &Value,
    schema: Option<&Arc<Schema>>,
) -> Result<Box<dyn Transformer>> {
    Ok(match kind {
        "AnnotationsTransformer" => Box::new(configure::<AnnotationsTransformer>(
            "AnnotationsTransformer",
            config,
        )?),
        "HashTransformer" => Box::new(configure::<HashTransformer>("HashTransformer", config)?),
        "ImageTagTransformer" => Box::new(configure::<ImageTagTransformer>(
            "ImageTagTransformer",
            config,
        )?),
        "LabelTransformer" => Box::new(configure::<LabelTransformer>("LabelTransformer", config)?),
        "NamespaceTransformer" => Box::new(configure::<NamespaceTransformer>(
            "NamespaceTransformer",
            config,
        )?),
        "PrefixTransformer" => {
            Box::new(configure::<PrefixTransformer>("PrefixTransformer", config)?)
        }
        "SuffixTransformer" => {
            Box::new(configure::<SuffixTransformer>("SuffixTransformer", config)?)
        }
        "PrefixSuffixTransformer" => Box::new(configure::<PrefixSuffixTransformer>(
            "PrefixSuffixTransformer",
            config,
        )?),
        "ReplicaCountTransformer" => Box::new(configure::<ReplicaCountTransformer>(
            "ReplicaCountTransformer",
            config,
        )?),
        "ReplacementTransformer" => Box::new(configure::<ReplacementTransformer>(
            "ReplacementTransformer",
            config,
        )?),
        "PatchTransformer" => {
            let t = configure::<PatchTransformer>("PatchTransformer", config)?;
            Box::new(match schema {
                Some(schema) => t.with_schema(Arc::clone(schema)),
                None => t,
            })
        }
        "PatchStrategicMergeTransformer" => {
            let t = configure::<PatchStrategicMergeTransformer>(
                "PatchStrategicMergeTransformer",
                config,
            )?;
            Box::new(match schema {
                Some(schema) => t.with_schema(Arc::clone(schema)),
                None => t,
            })
        }
        "PatchJson6902Transformer" => Box::new(configure::<PatchJson6902Transformer>(
            "PatchJson6902Transformer",
            config,
        )?),
        other => return Err(unknown_builtin(other)),
    })
}

/// The builtin generator `kind` configured by a `generators:` entry.
fn make_generator(kind: &str, config: &Value) -> Result<Box<dyn Generator>> {
    Ok(match kind {
        "ConfigMapGenerator" => Box::new(configure::<ConfigMapGenerator>(
            "ConfigMapGenerator",
            config,
        )?),
        "SecretGenerator" => Box::new(configure::<SecretGenerator>("SecretGenerator", config)?),
        "IAMPolicyGenerator" => Box::new(configure::<IamPolicyGenerator>(
            "IAMPolicyGenerator",
            config,
        )?),
        other => return Err(unknown_builtin(other)),
    })
}

fn unknown_builtin(kind: &str) -> BuildError {
    if kind == "HelmChartInflationGenerator" {
        return BuildError::Other(
            "HelmChartInflationGenerator: the offline builder does not run helm".to_owned(),
        );
    }
    BuildError::Other(format!("unable to load builtin {kind}.builtin.[noGrp]"))
}
