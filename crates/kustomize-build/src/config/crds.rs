//! Field specs declared by `crds:` files (kustomize's `LoadConfigFromCRDs`).
//!
//! A `crds:` file maps `OpenAPI` type names (`github.com/x/pkg/apis/v1.Bee`) to
//! `{"Schema": …}` definitions. For every type that looks like a Kubernetes object (it has
//! `apiVersion`, `kind` and `metadata` properties), properties are scanned, following `$ref`s into
//! other definitions: `x-kubernetes-object-ref-api-version` plus `x-kubernetes-object-ref-kind`
//! make the property (with its `x-kubernetes-object-ref-name-key`, default `name`) a name
//! reference to that kind; `x-kubernetes-annotation`, `x-kubernetes-label-selector` and
//! `x-kubernetes-identity` add the property to the annotation, label and name-prefix tables. The
//! kind is the type name's last dot-separated part.

use serde_json::Value;

use super::{NameBackReferences, TransformerConfig};
use crate::error::{BuildError, Result};
use crate::fieldspec::{FieldSpec, Gvk};

/// How deep `$ref` chains are followed; kustomize follows them without limit, which never ends
/// on a self-referencing schema.
const MAX_DEPTH: usize = 32;

/// The field specs a `crds:` file declares.
pub fn from_crd_schemas(text: &str, file: &str) -> Result<TransformerConfig> {
    let parse_error = |e: String| BuildError::Plugin {
        plugin: "crds",
        reason: format!("unable to parse open API definition from '{file}': {e}"),
    };
    let definitions: Value = if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| parse_error(e.to_string()))?
    } else {
        serde_yaml_ng::from_str(text).map_err(|e| parse_error(e.to_string()))?
    };
    let Some(map) = definitions.as_object() else {
        return Err(parse_error(
            "expected a mapping of type names to definitions".to_owned(),
        ));
    };
    let mut config = TransformerConfig::empty();
    let mut names: Vec<&String> = map.keys().collect();
    names.sort();
    for name in names {
        let properties = schema_properties(&map[name.as_str()]);
        let looks_like_object = properties.is_some_and(|p| {
            p.contains_key("kind") && p.contains_key("apiVersion") && p.contains_key("metadata")
        });
        if !looks_like_object {
            continue;
        }
        let kind = name.rsplit('.').next().unwrap_or(name);
        let gvk = Gvk::new("", "", kind);
        let mut found = TransformerConfig::empty();
        scan(&mut found, &gvk, &definitions, name, &mut Vec::new(), 0);
        config.merge(&found)?;
    }
    Ok(config)
}

fn schema_properties(definition: &Value) -> Option<&serde_json::Map<String, Value>> {
    let schema = definition
        .get("Schema")
        .or_else(|| definition.get("schema"))?;
    schema.get("properties")?.as_object()
}

fn scan(
    config: &mut TransformerConfig,
    gvk: &Gvk,
    all: &Value,
    type_name: &str,
    path: &mut Vec<String>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let Some(properties) = all.get(type_name).and_then(schema_properties) else {
        return;
    };
    let spec_at = |path: &[String]| FieldSpec {
        group: gvk.group.clone(),
        version: gvk.version.clone(),
        kind: gvk.kind.clone(),
        path: path.join("/"),
        create: false,
    };
    let text =
        |property: &Value, key: &str| property.get(key).and_then(Value::as_str).map(str::to_owned);
    for (name, property) in properties {
        path.push(name.clone());
        if text(property, "x-kubernetes-annotation").is_some() {
            push_unique(&mut config.common_annotations, spec_at(path));
        }
        if text(property, "x-kubernetes-label-selector").is_some() {
            push_unique(&mut config.common_labels, spec_at(path));
        }
        if text(property, "x-kubernetes-identity").is_some() {
            push_unique(&mut config.name_prefix, spec_at(path));
        }
        if let (Some(version), Some(kind)) = (
            text(property, "x-kubernetes-object-ref-api-version"),
            text(property, "x-kubernetes-object-ref-kind"),
        ) {
            let key = text(property, "x-kubernetes-object-ref-name-key")
                .unwrap_or_else(|| "name".to_owned());
            let mut ref_path = path.clone();
            ref_path.push(key);
            let target = Gvk::new("", &version, &kind);
            let referrer = spec_at(&ref_path);
            match config.name_reference.iter_mut().find(|r| r.gvk == target) {
                Some(existing) => push_unique(&mut existing.referrers, referrer),
                None => config.name_reference.push(NameBackReferences {
                    gvk: target,
                    referrers: vec![referrer],
                }),
            }
        }
        if let Some(reference) = text(property, "$ref") {
            scan(config, gvk, all, &reference, path, depth + 1);
        }
        path.pop();
    }
}

fn push_unique(specs: &mut Vec<FieldSpec>, spec: FieldSpec) {
    if !specs.contains(&spec) {
        specs.push(spec);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn object_references_in_referenced_types_become_name_references() {
        let schemas = json!({
            "example.com/v1.MyKind": {"Schema": {"properties": {
                "apiVersion": {"type": "string"}, "kind": {"type": "string"},
                "metadata": {"$ref": "meta.ObjectMeta"},
                "spec": {"$ref": "example.com/v1.MyKindSpec"}
            }}},
            "example.com/v1.MyKindSpec": {"Schema": {"properties": {
                "secretRef": {"x-kubernetes-object-ref-api-version": "v1", "x-kubernetes-object-ref-kind": "Secret",
                    "$ref": "example.com/v1.Ref"},
                "beeRef": {"x-kubernetes-object-ref-api-version": "v1beta1", "x-kubernetes-object-ref-kind": "Bee",
                    "x-kubernetes-object-ref-name-key": "id"},
                "selector": {"x-kubernetes-label-selector": ""}
            }}},
            "example.com/v1.Ref": {"Schema": {"properties": {"name": {"type": "string"}}}}
        });
        let config = from_crd_schemas(&schemas.to_string(), "crd.json").unwrap();
        let secret = config
            .name_reference
            .iter()
            .find(|r| r.gvk.kind == "Secret")
            .unwrap();
        assert_eq!(secret.gvk.version, "v1");
        assert_eq!(
            secret.referrers,
            [FieldSpec::new("spec/secretRef/name").kind("MyKind")]
        );
        let bee = config
            .name_reference
            .iter()
            .find(|r| r.gvk.kind == "Bee")
            .unwrap();
        assert_eq!(bee.referrers[0].path, "spec/beeRef/id");
        assert_eq!(
            config.common_labels,
            [FieldSpec::new("spec/selector").kind("MyKind")]
        );
    }

    #[test]
    fn self_referencing_schemas_terminate() {
        let schemas = json!({
            "x.Loop": {"Schema": {"properties": {
                "apiVersion": {}, "kind": {}, "metadata": {}, "next": {"$ref": "x.Loop"}
            }}}
        });
        assert!(from_crd_schemas(&schemas.to_string(), "loop.json").is_ok());
    }
}
