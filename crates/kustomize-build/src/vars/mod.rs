//! Legacy `vars`: `$(NAME)` references filled from fields of other objects.
//!
//! kustomize handles vars in two steps, and so does this module:
//!
//! 1. Each kustomization, after its own transformers ran, merges its `vars:` with
//!    [`merge_vars`]: every var's `objref` must match at most one object by current or
//!    original name (vars refer to names as written, before `namePrefix`/`nameSuffix`), and that
//!    object is marked as the var's source. Var sets of bases are merged upward with
//!    [`VarSet::merge_set`]; a name defined twice is an error.
//! 2. The top-level build, after hash suffixes and name references are final, calls
//!    [`resolve_vars`]: each var's value is read from its marked object and substituted in the
//!    fields kustomize substitutes ([`default_var_reference`], plus `varReference` entries from
//!    `configurations:` files). Vars that were never substituted are returned for a warning.
//!
//! ```
//! use kustomize_build::vars::{merge_vars, resolve_vars, Var, VarSet};
//! use kustomize_build::{ResMap, Resource};
//! use kustomize_build::json;
//!
//! let mut resources = ResMap::from(vec![
//!     Resource::new(json!({"apiVersion": "v1", "kind": "Service",
//!         "metadata": {"name": "db"}, "spec": {"ports": [{"port": 5432}]}})),
//!     Resource::new(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "app"},
//!         "spec": {"containers": [{"name": "app",
//!             "args": ["--db=$(DB_HOST):$(DB_PORT)"]}]}})),
//! ]);
//! let vars: Vec<Var> = kustomize_build::value::from_value(json!([
//!     {"name": "DB_HOST", "objref": {"apiVersion": "v1", "kind": "Service", "name": "db"}},
//!     {"name": "DB_PORT", "objref": {"apiVersion": "v1", "kind": "Service", "name": "db"},
//!      "fieldref": {"fieldPath": "spec.ports[0].port"}},
//! ]))?;
//! let mut set = VarSet::new();
//! merge_vars(&mut set, &mut resources, &vars)?;
//! let unused = resolve_vars(&mut resources, &set, &[])?;
//! assert!(unused.is_empty());
//! assert_eq!(resources.as_slice()[1].object()["spec"]["containers"][0]["args"][0],
//!            "--db=db:5432");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod expand;
mod reference;

use std::collections::BTreeMap;
use std::fmt;

use crate::value::Value;
use serde::{Deserialize, Deserializer, Serialize};

pub use self::reference::default_var_reference;
use crate::error::Result;
use crate::fieldspec::{self, Create, FieldSpec, Gvk};
use crate::replacement::path::lookup;
use crate::resmap::ResMap;
use crate::resource::{ResId, Resource};
use crate::selector::{
    all_ids, effective_namespace, from_go_json_lenient, go_string, is_namespaceable,
};

/// The field a var reads when `fieldref` names none.
pub const DEFAULT_FIELD_PATH: &str = "metadata.name";

/// Build annotation marking an object as the source of vars (comma-separated names). It only
/// lives between [`merge_vars`] and [`resolve_vars`], which removes it.
pub const REF_VAR_NAMES: &str = "internal.config.kubernetes.io/refVarNames";

/// Why vars could not be merged or resolved. Messages follow kustomize's.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VarError {
    /// Two vars share a name.
    #[error("var '{0}' already encountered")]
    Duplicate(String),
    /// A var's `objref` matches more than one object.
    #[error("found {count} resId matches for var {var} (unable to disambiguate)")]
    Ambiguous {
        /// How many objects match.
        count: usize,
        /// The var, as kustomize prints it.
        var: String,
    },
    /// Merging a kustomization's `vars:` failed.
    #[error("merging vars {vars}")]
    Merging {
        /// The kustomization's vars, as kustomize prints them.
        vars: String,
        /// What went wrong.
        #[source]
        source: Box<VarError>,
    },
    /// No object was marked as the var's source.
    #[error("var '{0}' cannot be mapped to a field in the set of known resources")]
    Unmapped(String),
    /// The var's source object lacks the field.
    #[error("field specified in var '{0}' not found in corresponding resource")]
    FieldNotFound(String),
    /// A field that takes `$(VAR)` holds a list with a non-string item.
    #[error(
        "considering field '{path}' of object {object}: visit traversal on path: [{field}]: invalid value type expect a string"
    )]
    NotAString {
        /// The var reference field spec path.
        path: String,
        /// The object, in kustomize's id notation.
        object: String,
        /// The list field (the path's last segment).
        field: String,
    },
}

/// One entry of `vars:`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Var {
    /// The name used as `$(NAME)`.
    pub name: String,
    /// The object to read (by the name it has where the var is declared).
    pub objref: ObjRef,
    /// The field to read.
    pub fieldref: FieldRef,
}

/// The object a var reads: kind, name and optionally apiVersion (or group/version) and
/// namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjRef {
    /// `group/version` or `version`; fills group and version when set.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// API group.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// API version.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Kind.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Name.
    pub name: String,
    /// Namespace; empty matches any namespace.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
}

/// The field a var reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldRef {
    /// Dotted path (`spec.ports[0].port`); empty means `metadata.name`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub field_path: String,
}

impl<'de> Deserialize<'de> for Var {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            #[serde(default, deserialize_with = "go_string")]
            name: String,
            #[serde(default)]
            objref: Option<ObjRef>,
            #[serde(default)]
            fieldref: Option<FieldRef>,
        }
        let raw: Raw = from_go_json_lenient(deserializer, &["name", "objref", "fieldref"])?;
        Ok(Self {
            name: raw.name,
            objref: raw.objref.unwrap_or_default(),
            fieldref: raw.fieldref.unwrap_or_default(),
        })
    }
}

impl<'de> Deserialize<'de> for ObjRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        struct Raw {
            #[serde(default, deserialize_with = "go_string")]
            api_version: String,
            #[serde(default, deserialize_with = "go_string")]
            group: String,
            #[serde(default, deserialize_with = "go_string")]
            version: String,
            #[serde(default, deserialize_with = "go_string")]
            kind: String,
            #[serde(default, deserialize_with = "go_string")]
            name: String,
            #[serde(default, deserialize_with = "go_string")]
            namespace: String,
        }
        let raw: Raw = from_go_json_lenient(
            deserializer,
            &[
                "apiVersion",
                "group",
                "version",
                "kind",
                "name",
                "namespace",
            ],
        )?;
        Ok(Self {
            api_version: raw.api_version,
            group: raw.group,
            version: raw.version,
            kind: raw.kind,
            name: raw.name,
            namespace: raw.namespace,
        })
    }
}

impl<'de> Deserialize<'de> for FieldRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        struct Raw {
            #[serde(default, deserialize_with = "go_string")]
            field_path: String,
        }
        let raw: Raw = from_go_json_lenient(deserializer, &["fieldPath"])?;
        Ok(Self {
            field_path: raw.field_path,
        })
    }
}

impl ObjRef {
    /// Group and version, taken from `apiVersion` when it is set (kustomize's `Target.GVK`).
    fn group_version(&self) -> (String, String) {
        match self.api_version.split('/').collect::<Vec<_>>()[..] {
            [group, version] => (group.to_owned(), version.to_owned()),
            [version] if !version.is_empty() => (self.group.clone(), version.to_owned()),
            _ => (self.group.clone(), self.version.clone()),
        }
    }

    /// The identity the var refers to.
    fn id(&self) -> ResId {
        let (group, version) = self.group_version();
        ResId {
            group,
            version,
            kind: self.kind.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }
}

impl Var {
    /// The var with kustomize's defaults filled in: `metadata.name` as field, group and version
    /// from `apiVersion`.
    #[must_use]
    pub fn defaulted(&self) -> Self {
        let mut var = self.with_gvk();
        if var.fieldref.field_path.is_empty() {
            DEFAULT_FIELD_PATH.clone_into(&mut var.fieldref.field_path);
        }
        var
    }

    fn with_gvk(&self) -> Self {
        let mut var = self.clone();
        let (group, version) = self.objref.group_version();
        var.objref.group = group;
        var.objref.version = version;
        var
    }

    /// The field path, defaulted.
    pub fn field_path(&self) -> &str {
        if self.fieldref.field_path.is_empty() {
            DEFAULT_FIELD_PATH
        } else {
            &self.fieldref.field_path
        }
    }
}

impl fmt::Display for Var {
    /// Go's `%v` of kustomize's `Var`: `{NAME Kind.version.group {fieldPath}}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let or = |s: &str, empty: &'static str| -> String {
            if s.is_empty() {
                empty.to_owned()
            } else {
                s.to_owned()
            }
        };
        write!(
            f,
            "{{{} {}.{}.{} {{{}}}}}",
            self.name,
            or(&self.objref.kind, "[noKind]"),
            or(&self.objref.version, "[noVer]"),
            or(&self.objref.group, "[noGrp]"),
            self.fieldref.field_path
        )
    }
}

/// Vars by name (kustomize's `VarSet`); iteration is in name order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VarSet {
    vars: BTreeMap<String, Var>,
}

impl VarSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a var (defaulted); a name already present is an error.
    pub fn merge(&mut self, var: &Var) -> Result<(), VarError> {
        if self.vars.contains_key(&var.name) {
            return Err(VarError::Duplicate(var.name.clone()));
        }
        self.vars.insert(var.name.clone(), var.defaulted());
        Ok(())
    }

    /// Add every var of a base's set; a name already present is an error.
    pub fn merge_set(&mut self, other: &VarSet) -> Result<(), VarError> {
        other.iter().try_for_each(|var| self.merge(var))
    }

    /// The vars in name order.
    pub fn iter(&self) -> impl Iterator<Item = &Var> {
        self.vars.values()
    }

    /// How many vars there are.
    pub fn len(&self) -> usize {
        self.vars.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.vars.is_empty()
    }
}

/// Merge a kustomization's own `vars:` (kustomize's `ResAccumulator.MergeVars`), after its
/// transformers ran: mark each var's object in `resources` and add the vars to `set`.
pub fn merge_vars(
    set: &mut VarSet,
    resources: &mut ResMap,
    incoming: &[Var],
) -> Result<(), VarError> {
    mark_sources(set, resources, incoming).map_err(|source| VarError::Merging {
        vars: format!(
            "[{}]",
            incoming
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        ),
        source: Box::new(source),
    })
}

fn mark_sources(
    set: &mut VarSet,
    resources: &mut ResMap,
    incoming: &[Var],
) -> Result<(), VarError> {
    // Each object's current and previous ids, read once for all vars.
    let ids: Vec<Vec<ResId>> = resources.iter().map(all_ids).collect();
    for var in incoming {
        let var = var.with_gvk();
        let target = var.objref.id();
        // An empty namespace matches any namespace, except for cluster-scoped kinds.
        let compare_namespace =
            !target.namespace.is_empty() || !is_namespaceable(&target.api_version(), &target.kind);
        let matches = |id: &ResId| {
            id.name == target.name
                && id.group == target.group
                && id.version == target.version
                && id.kind == target.kind
                && (!compare_namespace || effective_namespace(id) == effective_namespace(&target))
        };
        let matched: Vec<usize> = ids
            .iter()
            .enumerate()
            .filter(|(_, ids)| ids.iter().any(matches))
            .map(|(i, _)| i)
            .collect();
        match matched[..] {
            [] => {}
            [only] => add_ref_var_name(&mut resources.as_mut_vec()[only], &var.name),
            _ => {
                return Err(VarError::Ambiguous {
                    count: matched.len(),
                    var: var.to_string(),
                })
            }
        }
    }
    incoming.iter().try_for_each(|var| set.merge(var))
}

fn add_ref_var_name(resource: &mut Resource, name: &str) {
    let names = match resource.annotation(REF_VAR_NAMES) {
        Some(existing) if !existing.is_empty() => format!("{existing},{name}"),
        _ => name.to_owned(),
    };
    resource.set_annotation(REF_VAR_NAMES, &names);
}

fn ref_var_names(resource: &Resource) -> impl Iterator<Item = &str> {
    resource
        .annotation(REF_VAR_NAMES)
        .unwrap_or("")
        .split(',')
        .filter(|n| !n.is_empty())
}

/// Substitute every var of `vars` (kustomize's `ResolveVars`), in the default var reference
/// fields plus `extra_references` (from `configurations:`). Returns the names of vars that were
/// never substituted, for kustomize's "well-defined vars that were never replaced" warning.
pub fn resolve_vars(
    resources: &mut ResMap,
    vars: &VarSet,
    extra_references: &[FieldSpec],
) -> Result<Vec<String>> {
    let outcome = match var_values(resources, vars) {
        Ok(values) if values.is_empty() => Ok(Vec::new()),
        Ok(values) => substitute_all(resources, &values, extra_references),
        Err(error) => Err(error.into()),
    };
    for resource in resources.iter_mut() {
        resource.remove_annotation(REF_VAR_NAMES);
    }
    outcome
}

/// Each var's value, read from the object marked as its source.
fn var_values(resources: &ResMap, vars: &VarSet) -> Result<BTreeMap<String, Value>, VarError> {
    // The first object marked with each var name, found in one pass.
    let mut sources: BTreeMap<&str, &Resource> = BTreeMap::new();
    for resource in resources {
        for name in ref_var_names(resource) {
            sources.entry(name).or_insert(resource);
        }
    }
    let mut values = BTreeMap::new();
    for var in vars.iter() {
        let source = *sources
            .get(var.name.as_str())
            .ok_or_else(|| VarError::Unmapped(var.to_string()))?;
        let value = lookup(source.object(), &field_path_parts(var.field_path()))
            .ok()
            .flatten()
            .ok_or_else(|| VarError::FieldNotFound(var.to_string()))?;
        values.insert(var.name.clone(), value.clone());
    }
    Ok(values)
}

/// A var's dotted field path with `name[3]` written as `name.3` (kyaml's `GetFieldValue`).
fn field_path_parts(path: &str) -> Vec<String> {
    let mut parts = Vec::new();
    for part in path.split('.') {
        if let Some((name, index)) = part
            .strip_suffix(']')
            .and_then(|p| p.rsplit_once('['))
            .filter(|(_, index)| !index.is_empty() && index.bytes().all(|b| b.is_ascii_digit()))
        {
            if !name.is_empty() {
                parts.push(name.to_owned());
            }
            parts.push(index.to_owned());
        } else {
            parts.push(part.to_owned());
        }
    }
    parts
}

fn substitute_all(
    resources: &mut ResMap,
    values: &BTreeMap<String, Value>,
    extra_references: &[FieldSpec],
) -> Result<Vec<String>> {
    let mut specs = default_var_reference();
    for spec in extra_references {
        if !specs
            .iter()
            .any(|s| s.gvk() == spec.gvk() && s.path == spec.path)
        {
            specs.push(spec.clone());
        }
    }
    let mut used = BTreeMap::new();
    for resource in resources.iter_mut() {
        let gvk = Gvk::of(resource.object());
        let object_id = resource.id().to_string();
        for spec in specs.iter().filter(|spec| spec.selects(&gvk)) {
            let mut not_a_string = false;
            fieldspec::apply(spec, resource.object_mut(), Create::Never, &mut |node| {
                if substitute(node, values, &mut used) {
                    Ok(())
                } else {
                    not_a_string = true;
                    Err("invalid value type expect a string".to_owned())
                }
            })
            .map_err(|error| {
                if not_a_string {
                    VarError::NotAString {
                        path: spec.path.clone(),
                        object: object_id.clone(),
                        field: spec.segments().last().cloned().unwrap_or_default(),
                    }
                    .into()
                } else {
                    error
                }
            })?;
        }
    }
    Ok(values
        .keys()
        .filter(|name| !used.contains_key(*name))
        .cloned()
        .collect())
}

/// Expand the references in one field: a string, the string values of a mapping, or every item
/// of a list (which must all be strings). `false` when a list holds a non-string.
fn substitute(
    node: &mut Value,
    values: &BTreeMap<String, Value>,
    used: &mut BTreeMap<String, usize>,
) -> bool {
    match node {
        Value::String(text) => *node = expand::expand(text, values, used),
        Value::Object(map) => {
            for value in map.values_mut() {
                if let Value::String(text) = value {
                    *value = expand::expand(text, values, used);
                }
            }
        }
        Value::Array(items) => {
            if !items.iter().all(Value::is_string) {
                return false;
            }
            for item in items {
                if let Value::String(text) = item {
                    *item = expand::expand(text, values, used);
                }
            }
        }
        _ => {}
    }
    true
}

#[cfg(test)]
mod tests;
