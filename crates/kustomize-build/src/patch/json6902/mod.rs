//! JSON 6902 patches as kustomize applies them (Go's `gopkg.in/evanphx/json-patch.v4`).
//!
//! The Go library is more lenient than RFC 6902 in ways real patches rely on (`replace` of a
//! missing key adds it, Go-style array indices, `test` of a missing key for `null`); the
//! operations are replayed as it runs them (the private `operations` module), not through a strict
//! RFC library.
//!
//! The patch text is JSON when it starts with `[`, otherwise YAML (kustomize converts YAML to
//! JSON first). Like kustomize, parsing only checks that the patch is a list of objects; each
//! operation is checked when it runs, so a patch that selects nothing never fails.

mod operations;

use crate::value::{Map, Value};

use super::PatchError;

/// A parsed list of JSON 6902 operations.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPatch {
    operations: Vec<Map>,
}

impl JsonPatch {
    /// Parse operations from JSON (text starting with `[`) or YAML text.
    pub fn parse(text: &str) -> Result<Self, PatchError> {
        let value = if text.starts_with('[') {
            serde_json::from_str::<Value>(text).map_err(|e| PatchError::Json6902(e.to_string()))?
        } else {
            // kustomize turns a YAML patch into JSON with `sigs.k8s.io/yaml` (go-yaml v2), so
            // `yes` and `on` are booleans and dates stay text.
            let mut documents = crate::yaml::parse_go_yaml_v2_documents(text)
                .map_err(|e| PatchError::Yaml(e.to_string()))?;
            match documents.len() {
                0 => Value::Null,
                1 => documents.remove(0),
                _ => {
                    return Err(PatchError::Json6902(
                        "a JSON patch is one YAML document".to_owned(),
                    ))
                }
            }
        };
        let operations = match value {
            Value::Null => Vec::new(),
            Value::Array(operations) => operations.into_vec(),
            other => {
                return Err(PatchError::Json6902(format!(
                    "json: cannot unmarshal {} into Go value of type jsonpatch.Patch",
                    json_type(&other)
                )))
            }
        };
        let operations = operations
            .into_iter()
            .map(|operation| match operation {
                Value::Object(map) => Ok(map),
                // Go decodes a `null` operation as an empty one, which fails when it runs.
                Value::Null => Ok(Map::new()),
                other => Err(PatchError::Json6902(format!(
                    "json: cannot unmarshal {} into Go value of type jsonpatch.Operation",
                    json_type(&other)
                ))),
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { operations })
    }

    /// How many operations there are.
    pub fn len(&self) -> usize {
        self.operations.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.operations.is_empty()
    }

    /// Apply every operation to `object`, in order, stopping at the first that fails (kustomize
    /// then fails the build, so what the object holds after an error does not matter).
    pub fn apply(&self, object: &mut Value) -> Result<(), PatchError> {
        for operation in &self.operations {
            operations::apply(object, operation).map_err(PatchError::Json6902)?;
        }
        Ok(())
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn apply(patch: &str, mut object: Value) -> Result<Value, PatchError> {
        JsonPatch::parse(patch)?.apply(&mut object)?;
        Ok(object)
    }

    #[test]
    fn yaml_and_json_operations() {
        let object = json!({"a": {"b": [1, 2]}});
        let yaml =
            "- op: add\n  path: /a/b/-\n  value: 3\n- op: replace\n  path: /a/c\n  value: x\n";
        assert_eq!(
            apply(yaml, object.clone()).unwrap(),
            json!({"a": {"b": [1, 2, 3], "c": "x"}}),
            "replace of a missing key adds it, as in Go's library"
        );
        let yaml = "- op: add\n  path: /a/b/-\n  value: 3\n- op: add\n  path: /a/c\n  value: x\n";
        assert_eq!(
            apply(yaml, object.clone()).unwrap(),
            json!({"a": {"b": [1, 2, 3], "c": "x"}})
        );
        let json = r#"[{"op": "remove", "path": "/a/b/0"}]"#;
        assert_eq!(apply(json, object).unwrap(), json!({"a": {"b": [2]}}));
    }

    #[test]
    fn escapes_move_copy_and_test() {
        let object = json!({"metadata": {"annotations": {"a/b": "1", "c~d": "2"}}, "x": [1]});
        let patch = r#"[
            {"op": "test", "path": "/metadata/annotations/a~1b", "value": "1"},
            {"op": "move", "from": "/metadata/annotations/c~0d", "path": "/y"},
            {"op": "copy", "from": "/x", "path": "/z"}
        ]"#;
        assert_eq!(
            apply(patch, object.clone()).unwrap(),
            json!({"metadata": {"annotations": {"a/b": "1"}}, "x": [1], "y": "2", "z": [1]})
        );
        let failing = r#"[{"op": "test", "path": "/x/0", "value": 2}]"#;
        assert!(apply(failing, object.clone()).is_err());
        let null_missing = r#"[{"op": "test", "path": "/nope", "value": null}]"#;
        assert_eq!(apply(null_missing, object.clone()).unwrap(), object);
    }

    #[test]
    fn negative_indices_count_from_the_end() {
        let object = json!({"l": [1, 2, 3]});
        assert_eq!(
            apply(r#"[{"op": "remove", "path": "/l/-1"}]"#, object.clone()).unwrap(),
            json!({"l": [1, 2]})
        );
        assert_eq!(
            apply(
                r#"[{"op": "add", "path": "/l/-1", "value": 4}]"#,
                object.clone()
            )
            .unwrap(),
            json!({"l": [1, 2, 3, 4]})
        );
        assert_eq!(
            apply(
                r#"[{"op": "replace", "path": "/l/-3", "value": 0}]"#,
                object
            )
            .unwrap(),
            json!({"l": [0, 2, 3]})
        );
    }

    #[test]
    fn missing_paths_and_bad_operations_fail() {
        let object = json!({"a": 1});
        assert!(apply(
            r#"[{"op": "add", "path": "/b/c", "value": 1}]"#,
            object.clone()
        )
        .is_err());
        assert!(apply(r#"[{"op": "remove", "path": "/b"}]"#, object.clone()).is_err());
        assert!(apply(r#"[{"op": "frobnicate", "path": "/a"}]"#, object.clone()).is_err());
        assert!(JsonPatch::parse("a: b").is_err());
        assert!(JsonPatch::parse("").unwrap().is_empty());
    }
}
