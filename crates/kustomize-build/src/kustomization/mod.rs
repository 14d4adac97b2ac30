//! The kustomization file: finding it, reading it the way kustomize does, and its typed model.
//!
//! [`Kustomization::load`] finds `kustomization.yaml`, `kustomization.yml` or `Kustomization` in a
//! directory, decodes it with kustomize's rules (case-insensitive field names, unknown fields are
//! errors, see `schema`), reports the deprecated fields kustomize warns about, moves legacy fields
//! to their successors (`bases` → `resources`, `imageTags` → `images`, `env` → `envs`) and checks
//! `kind`/`apiVersion`.
//!
//! Sub-objects that builtin plugins consume (`patches`, `replacements`, `labels`, generator
//! arguments…) are kept as JSON values with canonical key spellings: each plugin reads its own
//! configuration from them, as kustomize configures its builtin plugins from marshalled YAML.

mod lenient;
mod schema;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::value::Value;
use serde::Deserialize;

use crate::error::{BuildError, Result};
use crate::loader::Loader;
use crate::yaml::YamlErrorKind;

/// The file names kustomize recognises, in the order it tries them.
pub const FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// `apiVersion` of a `Kustomization`.
pub const KUSTOMIZATION_VERSION: &str = "kustomize.config.k8s.io/v1beta1";
/// `apiVersion` of a `Component`.
pub const COMPONENT_VERSION: &str = "kustomize.config.k8s.io/v1alpha1";

/// A message kustomize prints on stderr while building, such as a deprecated-field warning.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Warning {
    /// The text, exactly as kustomize prints it (one line, no trailing newline).
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Whether a kustomization file is a `Kustomization` or a `Component`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `kind: Kustomization` (the default).
    Kustomization,
    /// `kind: Component`.
    Component,
}

/// A decoded kustomization file (kustomize's `types.Kustomization`), after kustomize's fix-ups.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct Kustomization {
    /// `kind`, defaulted to `Kustomization`.
    pub kind: String,
    /// `apiVersion`, defaulted from the kind.
    pub api_version: String,
    /// `metadata` (unused by the build).
    pub metadata: Option<Value>,
    /// `openapi`: `path` to a custom schema or a builtin `version`.
    pub openapi: BTreeMap<String, String>,
    /// `namePrefix`.
    pub name_prefix: String,
    /// `nameSuffix`.
    pub name_suffix: String,
    /// `namespace`.
    pub namespace: String,
    /// `commonLabels` (`None` when absent; kustomize warns when present, even empty).
    pub common_labels: Option<BTreeMap<String, String>>,
    /// `labels` entries (`pairs`, `includeSelectors`, `includeTemplates`, `fields`).
    pub labels: Vec<Value>,
    /// `commonAnnotations`.
    pub common_annotations: BTreeMap<String, String>,
    /// `patchesStrategicMerge` (deprecated): paths or inline patches.
    pub patches_strategic_merge: Option<Vec<String>>,
    /// `patchesJson6902` (deprecated): `{path|patch, target}`.
    pub patches_json6902: Option<Vec<Value>>,
    /// `patches`: `{path|patch, target, options}`.
    pub patches: Vec<Value>,
    /// `images` (with the deprecated `imageTags` appended).
    pub images: Vec<Value>,
    /// `imageTags` (deprecated; moved to `images` by [`Kustomization::load`]).
    pub image_tags: Option<Vec<Value>>,
    /// `replacements`: inline or `{path}`.
    pub replacements: Vec<Value>,
    /// `replicas`: `{name, count}`.
    pub replicas: Vec<Value>,
    /// `vars` (deprecated).
    pub vars: Option<Vec<Value>>,
    /// `sortOptions`.
    pub sort_options: Option<Value>,
    /// `resources` (with the deprecated `bases` appended).
    pub resources: Vec<String>,
    /// `components`.
    pub components: Vec<String>,
    /// `crds`.
    pub crds: Vec<String>,
    /// `bases` (deprecated; moved to `resources` by [`Kustomization::load`]).
    pub bases: Option<Vec<String>>,
    /// `configMapGenerator` arguments.
    pub config_map_generator: Vec<Value>,
    /// `secretGenerator` arguments.
    pub secret_generator: Vec<Value>,
    /// `helmGlobals`.
    pub helm_globals: Option<Value>,
    /// `helmCharts`.
    pub helm_charts: Vec<Value>,
    /// `helmChartInflationGenerator` (deprecated).
    pub helm_chart_inflation_generator: Vec<Value>,
    /// `generatorOptions`.
    pub generator_options: Option<Value>,
    /// `configurations`: transformer configuration files.
    pub configurations: Vec<String>,
    /// `generators`: plugin configuration files or inline configurations.
    pub generators: Vec<String>,
    /// `transformers`: plugin configuration files or inline configurations.
    pub transformers: Vec<String>,
    /// `validators`: plugin configuration files or inline configurations.
    pub validators: Vec<String>,
    /// `inventory`.
    pub inventory: Option<Value>,
    /// `buildMetadata`: `originAnnotations`, `transformerAnnotations`, `managedByLabel`.
    pub build_metadata: Vec<String>,
}

/// A kustomization file as found on disk.
#[derive(Debug, Clone)]
pub struct KustomizationFile {
    /// The file's name within its directory (one of [`FILE_NAMES`]).
    pub file_name: &'static str,
    /// The decoded, fixed-up content.
    pub kustomization: Kustomization,
    /// The deprecation warnings kustomize prints for it.
    pub warnings: Vec<Warning>,
}

impl Kustomization {
    /// Find, read and decode the kustomization file of the loader's root.
    pub fn load(loader: &Loader<'_>) -> Result<KustomizationFile> {
        let root = loader.root();
        let mut found: Option<(&'static str, PathBuf)> = None;
        for name in FILE_NAMES {
            let path = root.join(name);
            let fs = loader.fs();
            if fs.exists(&path) && !fs.is_dir(&path) {
                if found.is_some() {
                    return Err(BuildError::MultipleKustomizations {
                        dir: root.to_path_buf(),
                    });
                }
                found = Some((name, path));
            }
        }
        let Some((file_name, path)) = found else {
            return Err(BuildError::MissingKustomization {
                dir: root.to_path_buf(),
            });
        };
        let text = loader.read_to_string(file_name)?;
        let (kustomization, warnings) = Self::parse(&text, &path)?;
        Ok(KustomizationFile {
            file_name,
            kustomization,
            warnings,
        })
    }

    /// Decode kustomization text (`path` names the file in errors), apply kustomize's fix-ups and
    /// checks, and return the deprecation warnings kustomize prints for it.
    pub fn parse(text: &str, path: &Path) -> Result<(Self, Vec<Warning>)> {
        let invalid = |message: String| BuildError::InvalidKustomization {
            path: path.to_path_buf(),
            message,
        };
        // sigs.k8s.io/yaml reads only the first document of the file, with go-yaml v2.
        let raw = match crate::yaml::parse_go_yaml_v2_documents(text) {
            Ok(documents) => documents.into_iter().next().unwrap_or(Value::Null),
            Err(e) if matches!(e.kind(), YamlErrorKind::DuplicateKey { .. }) => {
                lenient::first_document(text).map_err(invalid)?
            }
            Err(e) => return Err(invalid(e.to_string())),
        };
        if !(raw.is_object() || raw.is_null()) {
            return Err(invalid(format!(
                "json: cannot unmarshal {} into Go value of type types.Kustomization",
                if raw.is_array() { "array" } else { "scalar" }
            )));
        }
        let normalized = schema::normalize(
            &raw,
            schema::Shape::Struct(&schema::KUSTOMIZATION),
            "Kustomization",
        )
        .map_err(invalid)?;
        let is_empty = normalized.as_object().is_none_or(|fields| {
            fields
                .keys()
                .all(|k| matches!(k.as_str(), "kind" | "apiVersion" | "metadata"))
        });
        let mut kustomization: Self = if normalized.is_null() {
            Self::default()
        } else {
            crate::value::from_value(normalized).map_err(|e| invalid(e.to_string()))?
        };
        let warnings = kustomization.deprecation_warnings();
        kustomization.fix();
        if is_empty {
            return Err(BuildError::EmptyKustomization {
                path: path.to_path_buf(),
            });
        }
        let problems = kustomization.enforce_fields();
        if !problems.is_empty() {
            return Err(invalid(problems.join("\n")));
        }
        Ok((kustomization, warnings))
    }

    /// `Kustomization` or `Component`.
    pub fn kind(&self) -> Kind {
        if self.kind == "Component" {
            Kind::Component
        } else {
            Kind::Kustomization
        }
    }

    /// kustomize's `CheckDeprecatedFields`, in its order.
    fn deprecation_warnings(&self) -> Vec<Warning> {
        const EDIT_FIX: &str =
            "Run 'kustomize edit fix' to update your Kustomization automatically.";
        let mut out = Vec::new();
        let mut warn = |field: &str, successor: &str, experimental: bool| {
            out.push(Warning {
                message: format!(
                    "# Warning: '{field}' is deprecated. Please use '{successor}' instead. {}{EDIT_FIX}",
                    if experimental { "[EXPERIMENTAL] " } else { "" }
                ),
            });
        };
        if self.bases.is_some() {
            warn("bases", "resources", false);
        }
        if self.common_labels.is_some() {
            warn("commonLabels", "labels", false);
        }
        if self.image_tags.is_some() {
            warn("imageTags", "images", false);
        }
        if self.patches_json6902.is_some() {
            warn("patchesJson6902", "patches", false);
        }
        if self.patches_strategic_merge.is_some() {
            warn("patchesStrategicMerge", "patches", false);
        }
        if self.vars.is_some() {
            warn("vars", "replacements", true);
        }
        out
    }

    /// kustomize's `FixKustomization`: defaults and legacy fields moved to their successors.
    fn fix(&mut self) {
        if self.kind.is_empty() {
            "Kustomization".clone_into(&mut self.kind);
        }
        if self.api_version.is_empty() {
            if self.kind == "Component" {
                COMPONENT_VERSION
            } else {
                KUSTOMIZATION_VERSION
            }
            .clone_into(&mut self.api_version);
        }
        if let Some(bases) = self.bases.take() {
            self.resources.extend(bases);
        }
        if let Some(tags) = self.image_tags.take() {
            self.images.extend(tags);
        }
        for generator in self
            .config_map_generator
            .iter_mut()
            .chain(self.secret_generator.iter_mut())
        {
            if let Some(args) = generator.as_object_mut() {
                if let Some(Value::String(env)) = args.shift_remove("env") {
                    if !env.is_empty() {
                        let envs = args
                            .entry("envs")
                            .or_insert_with(|| Value::Array(crate::value::Array::new()));
                        if let Value::Array(list) = envs {
                            list.push(Value::String(env));
                        }
                    }
                }
            }
        }
    }

    /// kustomize's `EnforceFields`.
    fn enforce_fields(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.kind != "Kustomization" && self.kind != "Component" {
            problems.push("kind should be Kustomization or Component".to_owned());
        }
        let required = if self.kind == "Component" {
            COMPONENT_VERSION
        } else {
            KUSTOMIZATION_VERSION
        };
        if self.api_version != required {
            problems.push(format!("apiVersion for {} should be {required}", self.kind));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<(Kustomization, Vec<Warning>)> {
        Kustomization::parse(text, Path::new("/k/kustomization.yaml"))
    }

    #[test]
    fn legacy_fields_move_and_warn_in_kustomize_order() {
        let (k, warnings) = parse(
            "bases: [../base]\nresources: [a.yaml]\ncommonLabels: {}\nimageTags: [{name: x}]\n",
        )
        .unwrap();
        assert_eq!(k.resources, ["a.yaml", "../base"]);
        assert_eq!(k.images.len(), 1);
        let messages: Vec<_> = warnings.iter().map(|w| w.message.as_str()).collect();
        assert_eq!(messages, [
            "# Warning: 'bases' is deprecated. Please use 'resources' instead. Run 'kustomize edit fix' to update your Kustomization automatically.",
            "# Warning: 'commonLabels' is deprecated. Please use 'labels' instead. Run 'kustomize edit fix' to update your Kustomization automatically.",
            "# Warning: 'imageTags' is deprecated. Please use 'images' instead. Run 'kustomize edit fix' to update your Kustomization automatically.",
        ]);
    }

    #[test]
    fn defaults_kind_and_version_and_checks_them() {
        let (k, _) = parse("resources: [a.yaml]\n").unwrap();
        assert_eq!(
            (k.kind.as_str(), k.api_version.as_str()),
            ("Kustomization", KUSTOMIZATION_VERSION)
        );
        let (c, _) = parse("kind: Component\nresources: [a.yaml]\n").unwrap();
        assert_eq!(c.api_version, COMPONENT_VERSION);
        let err =
            parse("kind: Component\napiVersion: kustomize.config.k8s.io/v1beta1\nresources: [a]\n")
                .unwrap_err();
        assert!(
            err.to_string()
                .contains("apiVersion for Component should be kustomize.config.k8s.io/v1alpha1"),
            "{err}"
        );
    }

    #[test]
    fn empty_files_and_unknown_fields_fail() {
        assert!(matches!(
            parse(""),
            Err(BuildError::EmptyKustomization { .. })
        ));
        assert!(matches!(
            parse("kind: Kustomization\n"),
            Err(BuildError::EmptyKustomization { .. })
        ));
        let err = parse("resourcez: [a]\n").unwrap_err();
        assert!(
            err.to_string()
                .contains("json: unknown field \"resourcez\""),
            "{err}"
        );
    }

    #[test]
    fn single_env_joins_envs() {
        let (k, _) =
            parse("configMapGenerator:\n- name: c\n  env: a.env\n  envs: [b.env]\n").unwrap();
        assert_eq!(
            k.config_map_generator[0]["envs"],
            crate::json!(["b.env", "a.env"])
        );
    }
}
