//! `crds:`: field specs read from the `OpenAPI` definitions of custom resources (kustomize's
//! `LoadConfigFromCRDs`). Properties marked `x-kubernetes-object-ref-kind` become name
//! references, `x-kubernetes-annotation` annotation fields, `x-kubernetes-label-selector`
//! label fields and `x-kubernetes-identity` name-prefix fields.

use serde_json::{Map, Value};

use crate::config::{NameBackReferences, TransformerConfig};
use crate::error::{BuildError, Result};
use crate::fieldspec::{FieldSpec, Gvk};

/// `$ref`s nest at most this deep, so cyclic definitions end.
const MAX_DEPTH: usize = 32;

/// The field specs the definitions file `text` (JSON or YAML; `path` names it in errors)
/// declares.
pub(crate) fn config_from_crd_file(text: &str, path: &str) -> Result<TransformerConfig> {
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
            .all(|k| properties.is_some_and(|p| p.contains_key(*k)))
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

fn properties(definition: &Value) -> Option<&Map<String, Value>> {
    definition
        .pointer("/Schema/properties")
        .and_then(Value::as_object)
}

fn collect(
    config: &mut TransformerConfig,
    kind: &str,
    definitions: &Map<String, Value>,
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
        path.push(name.clone());
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

    #[test]
    fn object_references_become_name_references() {
        let text = r#"{
          "x/v1.Kind": {"Schema": {"properties": {"kind": {}, "apiVersion": {}, "metadata": {},
             "spec": {"$ref": "x/v1.KindSpec"}}}},
          "x/v1.KindSpec": {"Schema": {"properties": {
             "secretRef": {"x-kubernetes-object-ref-api-version": "v1",
                           "x-kubernetes-object-ref-kind": "Secret"}}}}
        }"#;
        let config = config_from_crd_file(text, "crd.json").unwrap();
        let secret = config
            .name_reference
            .iter()
            .find(|r| r.gvk.kind == "Secret")
            .unwrap();
        assert_eq!(secret.referrers[0].path, "spec/secretRef/name");
        assert_eq!(secret.referrers[0].kind, "Kind");
    }
}
