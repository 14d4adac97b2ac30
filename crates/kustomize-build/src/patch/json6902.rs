//! JSON 6902 patches as kustomize applies them (Go's `evanphx/json-patch` v4).
//!
//! The operations go through the `json-patch` crate one at a time; before each, the two places
//! where evanphx's library is more lenient than RFC 6902 are evened out:
//! - negative array indices count from the end (`/containers/-1` is the last container; for `add`
//!   `-1` appends);
//! - `test` for `null` passes when the path is missing.
//!
//! The patch text is JSON when it starts with `[`, otherwise YAML (kustomize converts YAML to
//! JSON first).

use json_patch::PatchOperation;
use serde_json::Value;

use super::{parse_yaml_documents, PatchError};

/// A parsed list of JSON 6902 operations.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPatch {
    operations: Vec<Value>,
}

impl JsonPatch {
    /// Parse operations from JSON (text starting with `[`) or YAML text.
    pub fn parse(text: &str) -> Result<Self, PatchError> {
        let value = if text.starts_with('[') {
            serde_json::from_str::<Value>(text).map_err(|e| PatchError::Json6902(e.to_string()))?
        } else {
            let mut documents = parse_yaml_documents(text)?;
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
            Value::Array(operations) => operations,
            other => {
                return Err(PatchError::Json6902(format!(
                    "json: cannot unmarshal {} into Go value of type jsonpatch.Patch",
                    json_type(&other)
                )))
            }
        };
        for operation in &operations {
            serde_json::from_value::<PatchOperation>(operation.clone())
                .map_err(|e| PatchError::Json6902(format!("invalid operation {operation}: {e}")))?;
        }
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

    /// Apply every operation to `object`, stopping at the first that fails (the object is then
    /// left as it was before that operation).
    pub fn apply(&self, object: &mut Value) -> Result<(), PatchError> {
        for operation in &self.operations {
            let mut operation = operation.clone();
            let op = operation
                .get("op")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            for field in ["path", "from"] {
                let Some(pointer) = operation.get(field).and_then(Value::as_str) else {
                    continue;
                };
                let appending = op == "add" && field == "path";
                let rewritten = resolve_negative_indices(object, pointer, appending);
                operation[field] = Value::String(rewritten);
            }
            if op == "test"
                && operation.get("value").is_none_or(Value::is_null)
                && operation
                    .get("path")
                    .and_then(Value::as_str)
                    .is_some_and(|p| object.pointer(p).is_none())
            {
                continue;
            }
            let parsed: PatchOperation = serde_json::from_value(operation)
                .map_err(|e| PatchError::Json6902(e.to_string()))?;
            json_patch::patch(object, &[parsed])
                .map_err(|e| PatchError::Json6902(e.to_string()))?;
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

/// Rewrite negative array indices in `pointer` to the positive index they denote in `object`.
fn resolve_negative_indices(object: &Value, pointer: &str, appending: bool) -> String {
    if !pointer.contains("/-") {
        return pointer.to_owned();
    }
    let segments: Vec<&str> = pointer.split('/').skip(1).collect();
    let mut current = Some(object);
    let mut out = String::new();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let mut written = (*segment).to_owned();
        if let Some(Value::Array(list)) = current {
            if let Ok(index) = segment.parse::<i64>() {
                if index < 0 {
                    let len = i64::try_from(list.len()).unwrap_or(i64::MAX)
                        + i64::from(last && appending);
                    if index >= -len {
                        written = (len + index).to_string();
                    }
                }
            }
        }
        current = match current {
            Some(Value::Array(list)) => written.parse::<usize>().ok().and_then(|i| list.get(i)),
            Some(Value::Object(map)) => map.get(&segment.replace("~1", "/").replace("~0", "~")),
            _ => None,
        };
        out.push('/');
        out.push_str(&written);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn apply(patch: &str, mut object: Value) -> Result<Value, PatchError> {
        JsonPatch::parse(patch)?.apply(&mut object)?;
        Ok(object)
    }

    #[test]
    fn yaml_and_json_operations() {
        let object = json!({"a": {"b": [1, 2]}});
        let yaml =
            "- op: add\n  path: /a/b/-\n  value: 3\n- op: replace\n  path: /a/c\n  value: x\n";
        assert!(
            apply(yaml, object.clone()).is_err(),
            "replace of a missing key fails"
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
