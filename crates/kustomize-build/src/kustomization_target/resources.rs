//! Turning the text of a resource file into objects, with kustomize's rules: empty documents are
//! skipped, every object needs a `kind` and (unless it is a list) a `metadata.name`, lists may not
//! hold null entries, and a `FooList` with `items` is replaced by its items.

use std::collections::VecDeque;
use std::path::Path;

use crate::value::Value;

use crate::error::{BuildError, Result};
use crate::resource::Resource;

/// The objects of a resource file, in kustomize's order.
pub(crate) fn parse_resources(text: &str, path: &Path) -> Result<Vec<Resource>> {
    let documents =
        crate::yaml::parse_resource_documents(text).map_err(|e| BuildError::MalformedYaml {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    objects_from_values(documents, path)
}

/// kustomize's `RNodesFromBytes` after parsing: validate, then inline lists. Items of a list go
/// to the end of the queue, after the documents that follow the list, as kustomize does.
pub(crate) fn objects_from_values(documents: Vec<Value>, path: &Path) -> Result<Vec<Resource>> {
    let invalid = |message: String| BuildError::InvalidResource {
        path: path.to_path_buf(),
        message,
    };
    let mut queue: VecDeque<Value> = keep_good(documents, path)?.into();
    let mut out = Vec::new();
    while let Some(object) = queue.pop_front() {
        let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
        if !kind.ends_with("List") {
            out.push(Resource::new(object));
            continue;
        }
        match object.get("items") {
            // Without `items` a `FooList` is an ordinary object, not a collection.
            None => out.push(Resource::new(object)),
            Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                let items = keep_good(items.to_vec(), path)?;
                queue.extend(items);
            }
            Some(other) => {
                return Err(invalid(format!(
                    "expected array in {kind}/items, but found {}",
                    go_type_name(other)
                )))
            }
        }
    }
    Ok(out)
}

/// kustomize's `dropBadNodes`: skip empty documents, refuse objects without kind or name and
/// lists with null entries.
fn keep_good(documents: Vec<Value>, path: &Path) -> Result<Vec<Value>> {
    let invalid = |message: String| BuildError::InvalidResource {
        path: path.to_path_buf(),
        message,
    };
    let mut out = Vec::new();
    for mut document in documents {
        ids_as_text(&mut document);
        match &document {
            Value::Null => continue,
            Value::Object(map) if map.is_empty() => continue,
            Value::Array(items) if items.is_empty() => continue,
            Value::Object(_) => {}
            other => {
                return Err(invalid(format!(
                    "expected a mapping for a Kubernetes object but found {}",
                    go_type_name(other)
                )))
            }
        }
        let kind = document.get("kind").and_then(Value::as_str).unwrap_or("");
        if kind.is_empty() {
            return Err(invalid(format!(
                "missing kind in object {}",
                brief(&document)
            )));
        }
        let named = document
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .is_some_and(|n| !n.is_empty());
        if !kind.ends_with("List") && !named {
            return Err(invalid(format!(
                "missing metadata.name in object {}",
                brief(&document)
            )));
        }
        let mut document = document;
        stringify_annotations(&mut document);
        out.push(document);
    }
    Ok(out)
}

/// A name or namespace that JSON holds as a number or boolean (objects inlined from a `List`
/// go through JSON): kustomize identifies the object by its text and prints the value, as for
/// names in resource files (see `yaml::parse_resource_documents`, whose annotations this writes).
fn ids_as_text(object: &mut Value) {
    let fields = [
        ("name", crate::yaml::TYPED_NAME_ANNOTATION),
        ("namespace", crate::yaml::TYPED_NAMESPACE_ANNOTATION),
    ];
    for (field, annotation) in fields {
        let Some(slot) = object
            .get_mut("metadata")
            .and_then(|metadata| metadata.get_mut(field))
        else {
            continue;
        };
        if !matches!(slot, Value::Number(_) | Value::Bool(_)) {
            continue;
        }
        let value = slot.take();
        let text = value.to_string();
        *slot = Value::String(text.clone());
        let recorded = Value::from(vec![Value::String(text), value]).to_string();
        if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
            let annotations = metadata
                .entry("annotations")
                .or_insert_with(|| Value::Object(crate::value::Map::new()));
            if let Some(annotations) = annotations.as_object_mut() {
                annotations.insert(annotation.to_owned(), Value::String(recorded));
            }
        }
    }
}

/// kustomize reads annotation values as text (`port: 8080` becomes `port: "8080"`); labels keep
/// their type.
fn stringify_annotations(object: &mut Value) {
    let Some(annotations) = object
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for value in annotations.values_mut() {
        let text = match value {
            Value::String(_) | Value::Array(_) | Value::Object(_) => continue,
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
        };
        *value = Value::String(text);
    }
}

fn brief(object: &Value) -> String {
    let text = object.to_string();
    if text.len() > 200 {
        let mut end = 200;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &text[..end])
    } else {
        text
    }
}

fn go_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "nil",
        Value::Bool(_) => "bool",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        parse_resources(text, Path::new("r.yaml"))
            .unwrap()
            .iter()
            .map(|r| r.name().to_owned())
            .collect()
    }

    #[test]
    fn lists_are_inlined_after_the_following_documents() {
        let text = "kind: PodList\nitems:\n- {kind: Pod, metadata: {name: a}}\n---\nkind: Pod\nmetadata: {name: b}\n";
        assert_eq!(names(text), ["b", "a"]);
    }

    #[test]
    fn a_list_kind_without_items_is_an_object_and_empty_documents_vanish() {
        assert_eq!(
            names("---\n---\nkind: AccessWhiteList\nmetadata: {name: w}\n---\n{}\n"),
            ["w"]
        );
        assert!(names("kind: PodList\nitems: []\n").is_empty());
    }

    #[test]
    fn annotation_values_become_text() {
        let objects = parse_resources(
            "kind: Pod\nmetadata:\n  name: a\n  annotations: {port: 8080, happy: true}\n  labels: {n: 1}\n",
            Path::new("r.yaml"),
        )
        .unwrap();
        assert_eq!(objects[0].annotation("port"), Some("8080"));
        assert_eq!(objects[0].annotation("happy"), Some("true"));
        assert_eq!(objects[0].object()["metadata"]["labels"]["n"], 1);
    }

    #[test]
    fn kind_and_name_are_required_and_lists_may_hold_nulls() {
        let err = |t: &str| {
            parse_resources(t, Path::new("r.yaml"))
                .unwrap_err()
                .to_string()
        };
        assert!(err("metadata: {name: a}\n").contains("missing kind"));
        assert!(err("kind: Pod\n").contains("missing metadata.name"));
        // kustomize's nil-entry check never fires (kyaml's HasNilEntryInList inspects the
        // wrong value), so a `null` list item passes through to the output.
        let objects = parse_resources(
            "kind: Pod\nmetadata: {name: a}\nspec: {x: [1, null]}\n",
            Path::new("r.yaml"),
        )
        .unwrap();
        assert!(objects[0].object()["spec"]["x"][1].is_null());
    }
}
