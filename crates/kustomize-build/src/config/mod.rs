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

use std::sync::LazyLock;

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
    /// Extra fields every `labels:` entry reaches (a `configurations:` table; empty by default).
    #[serde(default)]
    pub labels: Vec<FieldSpec>,
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
    /// kustomize's builtin configuration, in the order and form kustomize's accumulator holds it.
    fn default() -> Self {
        Self::builtin().clone()
    }
}

impl TransformerConfig {
    /// kustomize's builtin configuration (what [`TransformerConfig::default`] returns a copy of),
    /// built once per process: merging the builtin tables is quadratic in their length, and every
    /// kustomization of every build starts from them.
    pub fn builtin() -> &'static TransformerConfig {
        static BUILTIN: LazyLock<TransformerConfig> = LazyLock::new(|| {
            let mut config = TransformerConfig::empty();
            config
                .merge(&defaults::default_config())
                .expect("the builtin tables do not conflict");
            config
        });
        &BUILTIN
    }

    /// A configuration with every table empty.
    pub fn empty() -> Self {
        Self {
            name_prefix: Vec::new(),
            name_suffix: Vec::new(),
            namespace: Vec::new(),
            common_labels: Vec::new(),
            template_labels: Vec::new(),
            labels: Vec::new(),
            common_annotations: Vec::new(),
            name_reference: Vec::new(),
            var_reference: Vec::new(),
            images: Vec::new(),
            replicas: Vec::new(),
        }
    }

    /// Parse a `configurations:` file. Unknown fields are errors, as kustomize parses these files
    /// strictly.
    pub fn from_yaml(text: &str, file: &str) -> Result<Self> {
        let error = |reason: String| BuildError::Plugin {
            plugin: "configurations",
            reason: format!("{file}: {reason}"),
        };
        if text.trim().is_empty() {
            return Ok(Self::empty());
        }
        let value: crate::value::Value =
            serde_yaml_ng::from_str(text).map_err(|e| error(e.to_string()))?;
        if value.is_null() {
            return Ok(Self::empty());
        }
        check_known_fields(&value).map_err(error)?;
        let parsed: Self = crate::value::from_value(value).map_err(|e| error(e.to_string()))?;
        let mut config = Self::empty();
        config.merge(&parsed)?;
        Ok(config)
    }

    /// Merge `other` into this configuration as kustomize does: each table gets the other's
    /// entries unless an entry for the same path whose kind the new one selects is already there
    /// (a disagreement on `create` is an error), name references for the same kind are combined,
    /// then every table is put in kustomize's kind order and de-duplicated again in that order
    /// (so a kind-specific entry absorbs a later catch-all one for the same path).
    pub fn merge(&mut self, other: &TransformerConfig) -> Result<()> {
        // Every nested kustomization hands its whole configuration (the builtin tables at least)
        // up to its parent, and merging is quadratic in the table lengths: skip the merges that
        // cannot change anything.
        // (`merging_defaults_into_themselves_changes_nothing` checks that skipping is exact.)
        if other.is_empty() || other == self {
            return Ok(());
        }
        self.merge_tables(other)
    }

    fn merge_tables(&mut self, other: &TransformerConfig) -> Result<()> {
        for (mine, theirs) in self.tables_mut().into_iter().zip(other.tables()) {
            merge_all(mine, theirs)?;
            *mine = normalized(std::mem::take(mine))?;
        }
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
        let mut sorted = std::mem::take(&mut self.name_reference);
        sorted.sort_by(|a, b| kind_order(&a.gvk, &b.gvk));
        for back_ref in sorted {
            let mut referrers = Vec::new();
            merge_all(&mut referrers, &back_ref.referrers)?;
            match self
                .name_reference
                .iter_mut()
                .find(|r| r.gvk == back_ref.gvk)
            {
                Some(existing) => merge_all(&mut existing.referrers, &referrers)?,
                None => self.name_reference.push(NameBackReferences {
                    gvk: back_ref.gvk,
                    referrers,
                }),
            }
        }
        Ok(())
    }

    /// Whether every table is empty.
    pub fn is_empty(&self) -> bool {
        self.tables().iter().all(|table| table.is_empty()) && self.name_reference.is_empty()
    }

    fn tables(&self) -> [&Vec<FieldSpec>; 10] {
        [
            &self.name_prefix,
            &self.name_suffix,
            &self.namespace,
            &self.common_labels,
            &self.template_labels,
            &self.labels,
            &self.common_annotations,
            &self.var_reference,
            &self.images,
            &self.replicas,
        ]
    }

    fn tables_mut(&mut self) -> [&mut Vec<FieldSpec>; 10] {
        [
            &mut self.name_prefix,
            &mut self.name_suffix,
            &mut self.namespace,
            &mut self.common_labels,
            &mut self.template_labels,
            &mut self.labels,
            &mut self.common_annotations,
            &mut self.var_reference,
            &mut self.images,
            &mut self.replicas,
        ]
    }
}

/// Sort in kustomize's kind order, then merge into an empty table in that order.
fn normalized(mut specs: Vec<FieldSpec>) -> Result<Vec<FieldSpec>> {
    specs.sort_by(|a, b| kind_order(&a.gvk(), &b.gvk()));
    let mut out = Vec::with_capacity(specs.len());
    merge_all(&mut out, &specs)?;
    Ok(out)
}

/// Kinds kustomize orders first, then every other kind, then [`ORDER_LAST`].
pub(crate) const ORDER_FIRST: &[&str] = &[
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];

/// Kinds kustomize orders last.
pub(crate) const ORDER_LAST: &[&str] = &[
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// kustomize's `Gvk.IsLessThan`: rank by kind, then by `Kind.version.group` text with
/// `[noKind]`/`[noVer]`/`[noGrp]` for empty parts (so catch-all specs sort after kinds).
pub fn kind_order(a: &Gvk, b: &Gvk) -> std::cmp::Ordering {
    fn rank(kind: &str) -> isize {
        #[allow(clippy::cast_possible_wrap)] // the lists are tiny
        if let Some(i) = ORDER_FIRST.iter().position(|k| *k == kind) {
            return i as isize - ORDER_FIRST.len() as isize;
        }
        #[allow(clippy::cast_possible_wrap)]
        ORDER_LAST
            .iter()
            .position(|k| *k == kind)
            .map_or(0, |i| i as isize + 1)
    }
    /// The bytes of kustomize's `Kind.version.group` text (`[noKind]`… for empty parts),
    /// without building the string: sorting compares this for every pair.
    fn text(gvk: &Gvk) -> impl Iterator<Item = u8> + '_ {
        fn part<'a>(value: &'a str, none: &'static str) -> &'a [u8] {
            if value.is_empty() {
                none.as_bytes()
            } else {
                value.as_bytes()
            }
        }
        part(&gvk.kind, "[noKind]")
            .iter()
            .chain(b".")
            .chain(part(&gvk.version, "[noVer]"))
            .chain(b".")
            .chain(part(&gvk.group, "[noGrp]"))
            .copied()
    }
    rank(&a.kind)
        .cmp(&rank(&b.kind))
        .then_with(|| text(a).cmp(text(b)))
}

/// kustomize reads `configurations:` files strictly: report the first unknown field.
fn check_known_fields(value: &crate::value::Value) -> std::result::Result<(), String> {
    const TABLES: &[&str] = &[
        "namePrefix",
        "nameSuffix",
        "namespace",
        "commonLabels",
        "labels",
        "templateLabels",
        "commonAnnotations",
        "nameReference",
        "varReference",
        "images",
        "replicas",
    ];
    const SPEC: &[&str] = &["group", "version", "kind", "path", "create"];
    const BACK_REF: &[&str] = &["group", "version", "kind", "fieldSpecs"];
    let unknown = |map: &crate::value::Map, known: &[&str], at: &str| {
        map.keys()
            .find(|k| !known.contains(&k.as_str()))
            .map_or(Ok(()), |k| Err(format!("unknown field \"{k}\"{at}")))
    };
    let Some(top) = value.as_object() else {
        return Err("expected a mapping of field spec tables".to_owned());
    };
    unknown(top, TABLES, "")?;
    for (table, entries) in top {
        for entry in entries.as_array().into_iter().flatten() {
            let Some(entry) = entry.as_object() else {
                continue;
            };
            if table == "nameReference" {
                unknown(entry, BACK_REF, " in nameReference")?;
                for spec in entry
                    .get("fieldSpecs")
                    .and_then(|v| v.as_array())
                    .into_iter()
                    .flatten()
                {
                    if let Some(spec) = spec.as_object() {
                        unknown(spec, SPEC, " in nameReference fieldSpecs")?;
                    }
                }
            } else {
                unknown(entry, SPEC, &format!(" in {table}"))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_defaults_into_themselves_changes_nothing() {
        // `merge` skips these two cases; the full merge must agree that they are no-ops.
        let defaults = TransformerConfig::default();
        for other in [defaults.clone(), TransformerConfig::empty()] {
            let mut merged = defaults.clone();
            merged.merge_tables(&other).unwrap();
            assert_eq!(merged, defaults);
        }
    }

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

    /// What `kubectl kustomize` does: a kind-specific `metadata/name` entry absorbs the catch-all
    /// default, so only that kind is prefixed; a conflicting `create` is an error.
    #[test]
    fn kind_specific_entries_absorb_catch_all_defaults() {
        let mut config = TransformerConfig::default();
        let custom = TransformerConfig::from_yaml(
            "namePrefix:\n- path: metadata/name\n  kind: IngressHost\n- path: metadata/name\n",
            "c.yaml",
        )
        .unwrap();
        config.merge(&custom).unwrap();
        assert_eq!(
            config.name_prefix,
            [FieldSpec::new("metadata/name").kind("IngressHost")]
        );
        let mut config = TransformerConfig::default();
        let other_path =
            TransformerConfig::from_yaml("namePrefix:\n- path: spec/other\n  kind: X\n", "c.yaml")
                .unwrap();
        config.merge(&other_path).unwrap();
        assert_eq!(config.name_prefix.len(), 2);
        let mut config = TransformerConfig::default();
        let conflict = TransformerConfig::from_yaml(
            "commonLabels:\n- path: metadata/labels\n  kind: Deployment\n",
            "c.yaml",
        )
        .unwrap();
        assert!(config.merge(&conflict).is_err());
    }

    #[test]
    fn unknown_fields_are_rejected() {
        assert!(TransformerConfig::from_yaml("bogus: []\n", "c.yaml").is_err());
        assert!(TransformerConfig::from_yaml("images:\n- path: a\n  nmae: x\n", "c.yaml").is_err());
    }
}
