//! The shape of a kustomization file, field by field, as kustomize v5.5.0 declares it.
//!
//! kustomize reads the file by converting YAML to JSON and decoding it with Go's `encoding/json`
//! and `DisallowUnknownFields`. That decoder matches keys to field names case-insensitively
//! (`nameprefix` fills `namePrefix`), rejects unknown keys in every struct (but not in maps), and
//! rejects values of the wrong JSON type. [`normalize`] reproduces exactly that: it renames keys to
//! their canonical spelling, and fails where Go fails, so the typed model can then be read with
//! plain serde.

use crate::value::{Map, Value};

/// What a value must look like.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Shape {
    /// A Go `string`.
    Str,
    /// A Go `bool`.
    Bool,
    /// A Go integer.
    Int,
    /// A Go `map[string]string`.
    StrMap,
    /// A Go `map[string]bool`.
    BoolMap,
    /// A Go `map[string]interface{}`.
    AnyMap,
    /// A Go slice.
    List(&'static Shape),
    /// A Go struct.
    Struct(&'static Struct),
}

/// A Go struct: its name (for messages) and its JSON fields, inlined structs flattened.
#[derive(Debug)]
pub(crate) struct Struct {
    pub(crate) name: &'static str,
    pub(crate) fields: &'static [(&'static str, Shape)],
}

const STR_LIST: Shape = Shape::List(&Shape::Str);

static OBJECT_META: Struct = Struct {
    name: "ObjectMeta",
    fields: &[
        ("name", Shape::Str),
        ("namespace", Shape::Str),
        ("labels", Shape::StrMap),
        ("annotations", Shape::StrMap),
    ],
};

static FIELD_SPEC: Struct = Struct {
    name: "FieldSpec",
    fields: &[
        ("group", Shape::Str),
        ("version", Shape::Str),
        ("kind", Shape::Str),
        ("path", Shape::Str),
        ("create", Shape::Bool),
    ],
};

static LABEL: Struct = Struct {
    name: "Label",
    fields: &[
        ("pairs", Shape::StrMap),
        ("includeSelectors", Shape::Bool),
        ("includeTemplates", Shape::Bool),
        ("fields", Shape::List(&Shape::Struct(&FIELD_SPEC))),
    ],
};

static SELECTOR: Struct = Struct {
    name: "Selector",
    fields: &[
        ("group", Shape::Str),
        ("version", Shape::Str),
        ("kind", Shape::Str),
        ("name", Shape::Str),
        ("namespace", Shape::Str),
        ("annotationSelector", Shape::Str),
        ("labelSelector", Shape::Str),
    ],
};

static PATCH: Struct = Struct {
    name: "Patch",
    fields: &[
        ("path", Shape::Str),
        ("patch", Shape::Str),
        ("target", Shape::Struct(&SELECTOR)),
        ("options", Shape::BoolMap),
    ],
};

static IMAGE: Struct = Struct {
    name: "Image",
    fields: &[
        ("name", Shape::Str),
        ("newName", Shape::Str),
        ("tagSuffix", Shape::Str),
        ("newTag", Shape::Str),
        ("digest", Shape::Str),
    ],
};

static FIELD_OPTIONS: Struct = Struct {
    name: "FieldOptions",
    fields: &[
        ("delimiter", Shape::Str),
        ("index", Shape::Int),
        ("encoding", Shape::Str),
        ("create", Shape::Bool),
    ],
};

static SOURCE_SELECTOR: Struct = Struct {
    name: "SourceSelector",
    fields: &[
        ("group", Shape::Str),
        ("version", Shape::Str),
        ("kind", Shape::Str),
        ("name", Shape::Str),
        ("namespace", Shape::Str),
        ("fieldPath", Shape::Str),
        ("options", Shape::Struct(&FIELD_OPTIONS)),
    ],
};

static TARGET_SELECTOR: Struct = Struct {
    name: "TargetSelector",
    fields: &[
        ("select", Shape::Struct(&SELECTOR)),
        ("reject", Shape::List(&Shape::Struct(&SELECTOR))),
        ("fieldPaths", STR_LIST),
        ("options", Shape::Struct(&FIELD_OPTIONS)),
    ],
};

static REPLACEMENT_FIELD: Struct = Struct {
    name: "ReplacementField",
    fields: &[
        ("source", Shape::Struct(&SOURCE_SELECTOR)),
        ("targets", Shape::List(&Shape::Struct(&TARGET_SELECTOR))),
        ("path", Shape::Str),
    ],
};

static REPLICA: Struct = Struct {
    name: "Replica",
    fields: &[("name", Shape::Str), ("count", Shape::Int)],
};

static VAR_TARGET: Struct = Struct {
    name: "Target",
    fields: &[
        ("apiVersion", Shape::Str),
        ("group", Shape::Str),
        ("version", Shape::Str),
        ("kind", Shape::Str),
        ("name", Shape::Str),
        ("namespace", Shape::Str),
    ],
};

static FIELD_SELECTOR: Struct = Struct {
    name: "FieldSelector",
    fields: &[("fieldPath", Shape::Str)],
};

static VAR: Struct = Struct {
    name: "Var",
    fields: &[
        ("name", Shape::Str),
        ("objref", Shape::Struct(&VAR_TARGET)),
        ("fieldref", Shape::Struct(&FIELD_SELECTOR)),
    ],
};

static LEGACY_SORT_OPTIONS: Struct = Struct {
    name: "LegacySortOptions",
    fields: &[("orderFirst", STR_LIST), ("orderLast", STR_LIST)],
};

static SORT_OPTIONS: Struct = Struct {
    name: "SortOptions",
    fields: &[
        ("order", Shape::Str),
        ("legacySortOptions", Shape::Struct(&LEGACY_SORT_OPTIONS)),
    ],
};

static GENERATOR_OPTIONS: Struct = Struct {
    name: "GeneratorOptions",
    fields: &[
        ("labels", Shape::StrMap),
        ("annotations", Shape::StrMap),
        ("disableNameSuffixHash", Shape::Bool),
        ("immutable", Shape::Bool),
    ],
};

static CONFIG_MAP_ARGS: Struct = Struct {
    name: "ConfigMapArgs",
    fields: &[
        ("namespace", Shape::Str),
        ("name", Shape::Str),
        ("behavior", Shape::Str),
        ("literals", STR_LIST),
        ("files", STR_LIST),
        ("envs", STR_LIST),
        ("env", Shape::Str),
        ("options", Shape::Struct(&GENERATOR_OPTIONS)),
    ],
};

static SECRET_ARGS: Struct = Struct {
    name: "SecretArgs",
    fields: &[
        ("namespace", Shape::Str),
        ("name", Shape::Str),
        ("behavior", Shape::Str),
        ("literals", STR_LIST),
        ("files", STR_LIST),
        ("envs", STR_LIST),
        ("env", Shape::Str),
        ("options", Shape::Struct(&GENERATOR_OPTIONS)),
        ("type", Shape::Str),
    ],
};

static HELM_GLOBALS: Struct = Struct {
    name: "HelmGlobals",
    fields: &[("chartHome", Shape::Str), ("configHome", Shape::Str)],
};

static HELM_CHART: Struct = Struct {
    name: "HelmChart",
    fields: &[
        ("name", Shape::Str),
        ("version", Shape::Str),
        ("repo", Shape::Str),
        ("releaseName", Shape::Str),
        ("namespace", Shape::Str),
        ("additionalValuesFiles", STR_LIST),
        ("valuesFile", Shape::Str),
        ("valuesInline", Shape::AnyMap),
        ("valuesMerge", Shape::Str),
        ("includeCRDs", Shape::Bool),
        ("skipHooks", Shape::Bool),
        ("apiVersions", STR_LIST),
        ("kubeVersion", Shape::Str),
        ("nameTemplate", Shape::Str),
        ("skipTests", Shape::Bool),
        ("debug", Shape::Bool),
    ],
};

static HELM_CHART_ARGS: Struct = Struct {
    name: "HelmChartArgs",
    fields: &[
        ("chartName", Shape::Str),
        ("chartVersion", Shape::Str),
        ("chartRepoUrl", Shape::Str),
        ("chartHome", Shape::Str),
        ("chartRepoName", Shape::Str),
        ("helmBin", Shape::Str),
        ("helmHome", Shape::Str),
        ("values", Shape::Str),
        ("valuesLocal", Shape::AnyMap),
        ("valuesMerge", Shape::Str),
        ("releaseName", Shape::Str),
        ("releaseNamespace", Shape::Str),
        ("extraArgs", STR_LIST),
    ],
};

static INVENTORY_CONFIG_MAP: Struct = Struct {
    name: "NameArgs",
    fields: &[("name", Shape::Str), ("namespace", Shape::Str)],
};

static INVENTORY: Struct = Struct {
    name: "Inventory",
    fields: &[
        ("type", Shape::Str),
        ("configMap", Shape::Struct(&INVENTORY_CONFIG_MAP)),
    ],
};

/// Every field of kustomize v5.5.0's `Kustomization` (and `Component`) type.
pub(crate) static KUSTOMIZATION: Struct = Struct {
    name: "Kustomization",
    fields: &[
        ("kind", Shape::Str),
        ("apiVersion", Shape::Str),
        ("metadata", Shape::Struct(&OBJECT_META)),
        ("openapi", Shape::StrMap),
        ("namePrefix", Shape::Str),
        ("nameSuffix", Shape::Str),
        ("namespace", Shape::Str),
        ("commonLabels", Shape::StrMap),
        ("labels", Shape::List(&Shape::Struct(&LABEL))),
        ("commonAnnotations", Shape::StrMap),
        ("patchesStrategicMerge", STR_LIST),
        ("patchesJson6902", Shape::List(&Shape::Struct(&PATCH))),
        ("patches", Shape::List(&Shape::Struct(&PATCH))),
        ("images", Shape::List(&Shape::Struct(&IMAGE))),
        ("imageTags", Shape::List(&Shape::Struct(&IMAGE))),
        (
            "replacements",
            Shape::List(&Shape::Struct(&REPLACEMENT_FIELD)),
        ),
        ("replicas", Shape::List(&Shape::Struct(&REPLICA))),
        ("vars", Shape::List(&Shape::Struct(&VAR))),
        ("sortOptions", Shape::Struct(&SORT_OPTIONS)),
        ("resources", STR_LIST),
        ("components", STR_LIST),
        ("crds", STR_LIST),
        ("bases", STR_LIST),
        (
            "configMapGenerator",
            Shape::List(&Shape::Struct(&CONFIG_MAP_ARGS)),
        ),
        ("secretGenerator", Shape::List(&Shape::Struct(&SECRET_ARGS))),
        ("helmGlobals", Shape::Struct(&HELM_GLOBALS)),
        ("helmCharts", Shape::List(&Shape::Struct(&HELM_CHART))),
        (
            "helmChartInflationGenerator",
            Shape::List(&Shape::Struct(&HELM_CHART_ARGS)),
        ),
        ("generatorOptions", Shape::Struct(&GENERATOR_OPTIONS)),
        ("configurations", STR_LIST),
        ("generators", STR_LIST),
        ("transformers", STR_LIST),
        ("validators", STR_LIST),
        ("inventory", Shape::Struct(&INVENTORY)),
        ("buildMetadata", STR_LIST),
    ],
};

/// `value` rewritten with canonical key spellings, `null` fields dropped (Go leaves them at their
/// zero value), or Go's decoding error.
pub(crate) fn normalize(value: &Value, shape: Shape, field: &str) -> Result<Value, String> {
    match (shape, value) {
        (_, Value::Null) => Ok(Value::Null),
        (Shape::Str, Value::String(_))
        | (Shape::Bool, Value::Bool(_))
        | (Shape::AnyMap, Value::Object(_)) => Ok(value.clone()),
        (Shape::Int, Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(value.clone()),
        (Shape::StrMap | Shape::BoolMap, Value::Object(map)) => {
            let want = if matches!(shape, Shape::StrMap) {
                Shape::Str
            } else {
                Shape::Bool
            };
            let mut out = Map::new();
            for (key, item) in map {
                // Go stores the zero value for a `null` map entry.
                let item = match normalize(item, want, field)? {
                    Value::Null if matches!(want, Shape::Str) => Value::String(String::new()),
                    Value::Null => Value::Bool(false),
                    item => item,
                };
                out.insert(key.clone(), item);
            }
            Ok(Value::Object(out))
        }
        (Shape::List(inner), Value::Array(items)) => items
            .iter()
            .map(|item| normalize(item, *inner, field))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::from),
        (Shape::Struct(st), Value::Object(map)) => {
            let mut out = Map::new();
            for (key, item) in map {
                let (name, inner) =
                    lookup(st, key).ok_or_else(|| format!("json: unknown field \"{key}\""))?;
                let item = normalize(item, inner, &format!("{}.{name}", st.name))?;
                if item.is_null() {
                    out.shift_remove(name);
                } else {
                    out.insert(name.to_owned(), item);
                }
            }
            Ok(Value::Object(out))
        }
        (shape, value) => Err(format!(
            "json: cannot unmarshal {} into Go struct field {field} of type {}",
            json_type(value),
            go_type(shape)
        )),
    }
}

/// The field a key names: an exact match first, then a case-insensitive one, as Go does.
fn lookup(st: &Struct, key: &str) -> Option<(&'static str, Shape)> {
    st.fields
        .iter()
        .find(|(name, _)| *name == key)
        .or_else(|| {
            st.fields
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(key))
        })
        .copied()
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn go_type(shape: Shape) -> String {
    match shape {
        Shape::Str => "string".into(),
        Shape::Bool => "bool".into(),
        Shape::Int => "int".into(),
        Shape::StrMap => "map[string]string".into(),
        Shape::BoolMap => "map[string]bool".into(),
        Shape::AnyMap => "map[string]interface {}".into(),
        Shape::List(inner) => format!("[]{}", go_type(*inner)),
        Shape::Struct(st) => format!("types.{}", st.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn run(value: &Value) -> Result<Value, String> {
        normalize(value, Shape::Struct(&KUSTOMIZATION), "Kustomization")
    }

    #[test]
    fn keys_match_case_insensitively_and_take_the_canonical_spelling() {
        let out = run(&json!({"nameprefix": "p-", "Resources": ["a.yaml"]})).unwrap();
        assert_eq!(out, json!({"namePrefix": "p-", "resources": ["a.yaml"]}));
    }

    #[test]
    fn unknown_fields_are_errors_at_every_level_but_not_in_maps() {
        assert_eq!(
            run(&json!({"labels": [{"pairs": {"x": "y"}, "includeVolumeClaimTemplates": true}]}))
                .unwrap_err(),
            "json: unknown field \"includeVolumeClaimTemplates\""
        );
        assert!(run(&json!({"commonLabels": {"anything": "goes"}})).is_ok());
    }

    #[test]
    fn wrong_types_fail_like_go() {
        assert_eq!(
            run(&json!({"namePrefix": 3})).unwrap_err(),
            "json: cannot unmarshal number into Go struct field Kustomization.namePrefix of type string"
        );
        assert!(run(&json!({"commonLabels": {"a": 1}})).is_err());
    }

    #[test]
    fn null_fields_are_dropped() {
        assert_eq!(run(&json!({"bases": null})).unwrap(), json!({}));
    }
}
