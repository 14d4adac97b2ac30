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

use crate::value::{Map, Value};

use super::{NameBackReferences, TransformerConfig};
use crate::error::{BuildError, Result};
use crate::fieldspec::{FieldSpec, Gvk};

/// How deep `$ref` chains are followed; kustomize follows them without limit, which never ends
/// on a self-referencing schema.
const MAX_DEPTH: usize = 32;

/// The field specs a `crds:` file declares: `text` is JSON or YAML, `path` names the file in
/// errors. A file that is not a mapping declares nothing.
pub fn from_crd_schemas(text: &str, path: &str) -> Result<TransformerConfig> {
    let invalid = |reason: String| {
        BuildError::Other(format!(
            "unable to parse open API definition from '{path}': {reason}"
        ))
    };
    let definitions: Value = if text.starts_with('{') {
        serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?
    } else {
        crate::yaml::parse_documents(text)
            .map_err(|e| invalid(e.to_string()))?
            .into_iter()
            .next()
            .unwrap_or(Value::Null)
    };
    let Some(definitions) = definitions.as_object() else {
        return Ok(TransformerConfig::empty());
    };
    let mut config = TransformerConfig::empty();
    for (name, definition) in definitions {
        let properties = properties(definition);
        if !["kind", "apiVersion", "metadata"]
            .iter()
            .all(|k| properties.is_some_and(|p| p.contains_key(k)))
        {
            continue;
        }
        // kustomize takes the kind from the type name: the text after its last dot.
        let kind = name.rsplit('.').next().unwrap_or(name);
        let mut found = TransformerConfig::empty();
        collect(&mut found, kind, definitions, name, &mut Vec::new(), 0)?;
        config.merge(&found)?;
    }
    Ok(config)
}

/// The definition's schema properties; Go's JSON decoding matches `Schema` case-insensitively.
fn properties(definition: &Value) -> Option<&Map> {
    definition
        .get("Schema")
        .or_else(|| definition.get("schema"))?
        .get("properties")?
        .as_object()
}

fn collect(
    config: &mut TransformerConfig,
    kind: &str,
    definitions: &Map,
    type_name: &str,
    path: &mut Vec<String>,
    depth: usize,
) -> Result<()> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    let Some(props) = definitions.get(type_name).and_then(properties) else {
        return Ok(());
    };
    for (name, property) in props {
        path.push(name.to_string());
        let spec = FieldSpec::new(&path.join("/")).kind(kind);
        let has = |key: &str| property.get(key).is_some_and(Value::is_string);
        if has("x-kubernetes-annotation") {
            crate::fieldspec::merge_one(&mut config.common_annotations, spec.clone())?;
        }
        if has("x-kubernetes-label-selector") {
            crate::fieldspec::merge_one(&mut config.common_labels, spec.clone())?;
        }
        if has("x-kubernetes-identity") {
            crate::fieldspec::merge_one(&mut config.name_prefix, spec.clone())?;
        }
        let text = |key: &str| property.get(key).and_then(Value::as_str);
        if let (Some(version), Some(ref_kind)) = (
            text("x-kubernetes-object-ref-api-version"),
            text("x-kubernetes-object-ref-kind"),
        ) {
            let name_key = text("x-kubernetes-object-ref-name-key").unwrap_or("name");
            let referrer = FieldSpec::new(&format!("{}/{name_key}", path.join("/"))).kind(kind);
            let mut refs = TransformerConfig::empty();
            refs.name_reference.push(NameBackReferences {
                gvk: Gvk::new("", version, ref_kind),
                referrers: vec![referrer],
            });
            config.merge(&refs)?;
        }
        if let Some(reference) = text("$ref") {
            collect(config, kind, definitions, reference, path, depth + 1)?;
        }
        path.pop();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

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

    #[test]
    fn object_references_become_name_references() {
        let text = r#"{
          "x/v1.Kind": {"Schema": {"properties": {"kind": {}, "apiVersion": {}, "metadata": {},
             "spec": {"$ref": "x/v1.KindSpec"}}}},
          "x/v1.KindSpec": {"Schema": {"properties": {
             "secretRef": {"x-kubernetes-object-ref-api-version": "v1",
                           "x-kubernetes-object-ref-kind": "Secret"}}}}
        }"#;
        let config = from_crd_schemas(text, "crd.json").unwrap();
        let secret = config
            .name_reference
            .iter()
            .find(|r| r.gvk.kind == "Secret")
            .unwrap();
        assert_eq!(secret.referrers[0].path, "spec/secretRef/name");
        assert_eq!(secret.referrers[0].kind, "Kind");
    }
}
