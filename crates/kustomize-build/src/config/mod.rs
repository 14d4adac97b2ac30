//! Transformer configurations: the field spec tables builtins work from.
//!
//! [`TransformerConfig::default`] is kustomize's builtin configuration (which fields
//! `namePrefix`, `namespace`, `commonLabels`, `commonAnnotations`, `images`, `replicas` touch, and
//! which fields of which kinds refer to `ConfigMap`s, `Secret`s, `Service`s, `ServiceAccount`s… by name).
//! A kustomization's `configurations:` files are parsed with [`TransformerConfig::from_yaml`] and
//! merged in with [`TransformerConfig::merge`]; duplicates collapse, and a duplicate that
//! disagrees on `create` is an error, as in kustomize.
//!
//! ```
//! use kustomize_build::config::TransformerConfig;
//!
//! let mut config = TransformerConfig::default();
//! let custom = TransformerConfig::from_yaml(
//!     "commonLabels:\n- path: spec/podSelector\n  kind: MyKind\n  create: true\n",
//!     "kustomizeconfig.yaml",
//! )?;
//! config.merge(&custom)?;
//! assert!(config.common_labels.iter().any(|s| s.kind == "MyKind"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod crds;
mod defaults;
pub mod scope;

use serde::{Deserialize, Serialize};

use crate::error::{BuildError, Result};
use crate::fieldspec::{merge_all, FieldSpec, Gvk};

/// The kinds that refer to one kind of object by name, and where (kustomize's
/// `nameReference` entry).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameBackReferences {
    /// The kind referred to (the one whose name may change).
    #[serde(flatten)]
    pub gvk: Gvk,
    /// Fields of other kinds that hold its name.
    #[serde(rename = "fieldSpecs", default)]
    pub referrers: Vec<FieldSpec>,
}

/// Field spec tables for every builtin transformer, as in a kustomize `configurations:` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransformerConfig {
    /// Where `namePrefix` is added.
    #[serde(default)]
    pub name_prefix: Vec<FieldSpec>,
    /// Where `nameSuffix` is added.
    #[serde(default)]
    pub name_suffix: Vec<FieldSpec>,
    /// Fields besides `metadata/namespace` that `namespace` sets.
    #[serde(default, rename = "namespace")]
    pub namespace: Vec<FieldSpec>,
    /// Where `commonLabels` go (metadata, selectors and templates).
    #[serde(default)]
    pub common_labels: Vec<FieldSpec>,
    /// Where `labels` with `includeTemplates` go (metadata and templates, no selectors).
    #[serde(default)]
    pub template_labels: Vec<FieldSpec>,
    /// Where `commonAnnotations` go.
    #[serde(default)]
    pub common_annotations: Vec<FieldSpec>,
    /// Which fields refer to which kinds by name.
    #[serde(default)]
    pub name_reference: Vec<NameBackReferences>,
    /// Fields in which `$(VAR)` is substituted (defaults live with the vars implementation).
    #[serde(default)]
    pub var_reference: Vec<FieldSpec>,
    /// Where `images` are rewritten.
    #[serde(default)]
    pub images: Vec<FieldSpec>,
    /// Where `replicas` are set.
    #[serde(default)]
    pub replicas: Vec<FieldSpec>,
}

impl Default for TransformerConfig {
    /// kustomize's builtin configuration.
    fn default() -> Self {
        defaults::default_config()
    }
}

impl TransformerConfig {
    /// A configuration with every table empty.
    pub fn empty() -> Self {
        Self {
            name_prefix: Vec::new(),
            name_suffix: Vec::new(),
            namespace: Vec::new(),
            common_labels: Vec::new(),
            template_labels: Vec::new(),
            common_annotations: Vec::new(),
            name_reference: Vec::new(),
            var_reference: Vec::new(),
            images: Vec::new(),
            replicas: Vec::new(),
        }
    }

    /// Parse a `configurations:` file. Fields kustomize does not know are ignored, as kustomize
    /// ignores them.
    pub fn from_yaml(text: &str, file: &str) -> Result<Self> {
        if text.trim().is_empty() {
            return Ok(Self::empty());
        }
        let value: serde_json::Value =
            serde_yaml_ng::from_str(text).map_err(|e| BuildError::Plugin {
                plugin: "configurations",
                reason: format!("{file}: {e}"),
            })?;
        if value.is_null() {
            return Ok(Self::empty());
        }
        serde_json::from_value(value).map_err(|e| BuildError::Plugin {
            plugin: "configurations",
            reason: format!("{file}: {e}"),
        })
    }

    /// Merge `other` into this configuration: new field specs are appended, duplicates kept
    /// once, name references for the same kind combined.
    pub fn merge(&mut self, other: &TransformerConfig) -> Result<()> {
        merge_all(&mut self.name_prefix, &other.name_prefix)?;
        merge_all(&mut self.name_suffix, &other.name_suffix)?;
        merge_all(&mut self.namespace, &other.namespace)?;
        merge_all(&mut self.common_labels, &other.common_labels)?;
        merge_all(&mut self.template_labels, &other.template_labels)?;
        merge_all(&mut self.common_annotations, &other.common_annotations)?;
        merge_all(&mut self.var_reference, &other.var_reference)?;
        merge_all(&mut self.images, &other.images)?;
        merge_all(&mut self.replicas, &other.replicas)?;
        for incoming in &other.name_reference {
            match self
                .name_reference
                .iter_mut()
                .find(|existing| existing.gvk == incoming.gvk)
            {
                Some(existing) => merge_all(&mut existing.referrers, &incoming.referrers)?,
                None => self.name_reference.push(incoming.clone()),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_cover_the_usual_references() {
        let config = TransformerConfig::default();
        let refs_to = |kind: &str| {
            config
                .name_reference
                .iter()
                .find(|r| r.gvk.kind == kind)
                .unwrap()
                .referrers
                .clone()
        };
        let cm = refs_to("ConfigMap");
        assert!(cm.iter().any(|s| s.kind == "Deployment"
            && s.path == "spec/template/spec/containers/envFrom/configMapRef/name"));
        assert!(cm.iter().any(|s| s.kind == "CronJob"
            && s.path == "spec/jobTemplate/spec/template/spec/volumes/configMap/name"));
        let sa = refs_to("ServiceAccount");
        assert!(sa
            .iter()
            .any(|s| s.kind == "RoleBinding" && s.path == "subjects"));
        assert!(!sa.iter().any(|s| s.kind == "ReplicaSet"));
        assert_eq!(config.template_labels.len(), 10);
        assert!(config
            .common_labels
            .iter()
            .any(|s| s.kind == "Service" && s.path == "spec/selector" && s.create));
    }

    #[test]
    fn user_configurations_merge_into_defaults() {
        let mut config = TransformerConfig::default();
        let before = config.name_reference.len();
        let custom = TransformerConfig::from_yaml(
            "nameReference:\n- kind: ConfigMap\n  version: v1\n  fieldSpecs:\n  - path: spec/cfg\n    kind: Widget\n- kind: Gizmo\n  fieldSpecs:\n  - path: spec/gizmo\n    kind: Widget\nimages:\n- path: spec/image\n  kind: Widget\n",
            "cfg.yaml",
        )
        .unwrap();
        config.merge(&custom).unwrap();
        assert_eq!(config.name_reference.len(), before + 1);
        let cm = config
            .name_reference
            .iter()
            .find(|r| r.gvk.kind == "ConfigMap")
            .unwrap();
        assert!(cm.referrers.iter().any(|s| s.kind == "Widget"));
        assert!(config.images.iter().any(|s| s.path == "spec/image"));
    }

    #[test]
    fn conflicting_create_flags_are_rejected() {
        let mut config = TransformerConfig::default();
        let custom =
            TransformerConfig::from_yaml("commonLabels:\n- path: metadata/labels\n", "c.yaml")
                .unwrap();
        assert!(config.merge(&custom).is_err());
    }
}
