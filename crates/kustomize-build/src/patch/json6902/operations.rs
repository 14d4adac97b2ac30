//! The six operations, step for step as `gopkg.in/evanphx/json-patch.v4` v4.12.0 (`patch.go`)
//! applies them to a document, which is what kustomize v5.5.0 runs.
//!
//! The `json-patch` crate follows RFC 6902 to the letter; the Go library does not, and kustomize
//! users write patches that only work because of it. Each difference was established with
//! `kubectl kustomize` (the `json6902-*` build fixtures):
//! - a path is cut at every `/` and its first segment ignored (`data/x` is `/x`); every
//!   segment but the last must lead to an existing object or array, and a `null` counts as
//!   missing;
//! - `replace` of a key an object lacks adds it; only array indices must exist;
//! - array indices are Go integers: `01` and `+1` are `1`, and negative ones count from the end
//!   (for `add`, `-1` appends); `-` appends for `add` only;
//! - `add` without a `value` sets `null`; `copy` from a key the object lacks copies `null`;
//! - `test` of a missing key (or a `null`) passes for a `null` value; a missing parent or an
//!   index out of range fails;
//! - `replace` of the whole document (`""`) with a value that is not an object or array does
//!   nothing;
//! - an operation is checked only when it runs: an unknown `op` or a missing `path` fails then,
//!   and never when the patch selects no object.

use crate::value::{unescape_token, Map, Value};

/// Why an operation failed; the text follows the Go library's messages.
pub(super) type OpError = String;

/// Apply one operation (a JSON object, as the patch spells it) to `doc`.
pub(super) fn apply(doc: &mut Value, op: &Map) -> Result<(), OpError> {
    match kind(op) {
        "add" => add(doc, op),
        "remove" => remove(doc, op),
        "replace" => replace(doc, op),
        "move" => move_value(doc, op),
        "copy" => copy(doc, op),
        "test" => test(doc, op),
        other => Err(format!("Unexpected kind: {other}")),
    }
}

fn kind(op: &Map) -> &str {
    op.get("op").and_then(Value::as_str).unwrap_or("unknown")
}

/// The `path` or `from` field; a `null` counts as missing.
fn pointer<'o>(op: &'o Map, field: &str) -> Result<&'o str, OpError> {
    match op.get(field) {
        None | Some(Value::Null) => Err(format!("operation missing {field} field")),
        Some(Value::String(text)) => Ok(text),
        Some(other) => Err(format!("{field} is not a string: {other}")),
    }
}

/// The value to write: a missing or `null` `value` writes `null`.
fn value_to_write(op: &Map) -> Value {
    op.get("value").cloned().unwrap_or(Value::Null)
}

fn add(doc: &mut Value, op: &Map) -> Result<(), OpError> {
    let path =
        pointer(op, "path").map_err(|e| format!("add operation failed to decode path: {e}"))?;
    let Some((container, key)) = find_container(doc, path) else {
        return Err(format!(
            "add operation does not apply: doc is missing path: {path:?}"
        ));
    };
    add_at(container, &key, value_to_write(op))
        .map_err(|e| format!("error in add for path: '{path}': {e}"))
}

fn remove(doc: &mut Value, op: &Map) -> Result<(), OpError> {
    let path =
        pointer(op, "path").map_err(|e| format!("remove operation failed to decode path: {e}"))?;
    let Some((container, key)) = find_container(doc, path) else {
        return Err(format!(
            "remove operation does not apply: doc is missing path: {path:?}"
        ));
    };
    remove_at(container, &key)
        .map(drop)
        .map_err(|e| format!("error in remove for path: '{path}': {e}"))
}

fn replace(doc: &mut Value, op: &Map) -> Result<(), OpError> {
    let path =
        pointer(op, "path").map_err(|e| format!("replace operation failed to decode path: {e}"))?;
    if path.is_empty() {
        return match op.get("value") {
            Some(value @ (Value::Object(_) | Value::Array(_))) => {
                *doc = value.clone();
                Ok(())
            }
            // Go wraps a nil error here, so the operation silently does nothing.
            Some(_) => Ok(()),
            None => Err("replace operation of the whole document needs a value".to_owned()),
        };
    }
    let Some((container, key)) = find_container(doc, path) else {
        return Err(format!(
            "replace operation does not apply: doc is missing path: {path}"
        ));
    };
    get_at(container, &key)
        .map_err(|_| format!("replace operation does not apply: doc is missing key: {path}"))?;
    set_at(container, &key, value_to_write(op))
        .map_err(|e| format!("error in replace for path: '{path}': {e}"))
}

fn move_value(doc: &mut Value, op: &Map) -> Result<(), OpError> {
    let from =
        pointer(op, "from").map_err(|e| format!("move operation failed to decode from: {e}"))?;
    let Some((container, key)) = find_container(doc, from) else {
        return Err(format!(
            "move operation does not apply: doc is missing from path: {from}"
        ));
    };
    get_at(container, &key).map_err(|e| format!("error in move for path: '{key}': {e}"))?;
    let value =
        remove_at(container, &key).map_err(|e| format!("error in move for path: '{key}': {e}"))?;
    let path =
        pointer(op, "path").map_err(|e| format!("move operation failed to decode path: {e}"))?;
    let Some((container, key)) = find_container(doc, path) else {
        return Err(format!(
            "move operation does not apply: doc is missing destination path: {path}"
        ));
    };
    add_at(container, &key, value).map_err(|e| format!("error in move for path: '{path}': {e}"))
}

fn copy(doc: &mut Value, op: &Map) -> Result<(), OpError> {
    let from =
        pointer(op, "from").map_err(|e| format!("copy operation failed to decode from: {e}"))?;
    let Some((container, key)) = find_container(doc, from) else {
        return Err(format!(
            "copy operation does not apply: doc is missing from path: {from}"
        ));
    };
    let value = get_at(container, &key)
        .map_err(|e| format!("error in copy for from: '{from}': {e}"))?
        .cloned()
        .unwrap_or(Value::Null);
    let path =
        pointer(op, "path").map_err(|e| format!("copy operation failed to decode path: {e}"))?;
    let Some((container, key)) = find_container(doc, path) else {
        return Err(format!(
            "copy operation does not apply: doc is missing destination path: {path}"
        ));
    };
    add_at(container, &key, value).map_err(|e| format!("error while adding value during copy: {e}"))
}

fn test(doc: &mut Value, op: &Map) -> Result<(), OpError> {
    let path =
        pointer(op, "path").map_err(|e| format!("test operation failed to decode path: {e}"))?;
    let expected = op.get("value");
    let failed = || format!("testing value {path} failed: test failed");
    if path.is_empty() {
        return match expected {
            Some(value) if value == doc => Ok(()),
            Some(_) => Err(failed()),
            None => Err("test operation of the whole document needs a value".to_owned()),
        };
    }
    let Some((container, key)) = find_container(doc, path) else {
        return Err(format!(
            "test operation does not apply: is missing path: {path}"
        ));
    };
    let found =
        get_at(container, &key).map_err(|e| format!("error in test for path: '{path}': {e}"))?;
    match (found, expected) {
        // A missing key and a `null` are the same to the Go library.
        (None, Some(Value::Null)) => Ok(()),
        (None, None) => Err(format!("test operation at {path} needs a value")),
        (Some(found), Some(expected)) if found == expected => Ok(()),
        _ => Err(failed()),
    }
}

/// The object or array holding the last segment of `path`, and that segment decoded (Go's
/// `findObject`): `None` when a segment before it is missing, `null`, a scalar, or an index
/// that does not resolve.
fn find_container<'d>(doc: &'d mut Value, path: &str) -> Option<(&'d mut Value, String)> {
    let mut segments: Vec<&str> = path.split('/').collect();
    if segments.len() < 2 {
        return None;
    }
    let key = unescape_token(segments.pop().unwrap_or_default()).into_owned();
    let mut current = doc;
    for segment in &segments[1..] {
        let next = get_at(current, &unescape_token(segment)).ok().flatten()?;
        if !matches!(next, Value::Object(_) | Value::Array(_)) {
            return None;
        }
        // Re-borrowed mutably: `get_at` only looked.
        current = get_mut_at(current, &unescape_token(segment))?;
    }
    matches!(current, Value::Object(_) | Value::Array(_)).then_some((current, key))
}

/// An array index as Go's `strconv.Atoi` reads it (`+1`, `01`, `-1`).
fn index(key: &str) -> Result<i64, OpError> {
    key.parse::<i64>()
        .map_err(|_| format!("strconv.Atoi: parsing {key:?}: invalid syntax"))
}

fn invalid_index(index: i64) -> OpError {
    format!("Unable to access invalid index: {index}: invalid index referenced")
}

/// A negative index counted from the end of a list of `len` elements.
fn from_end(index: i64, len: usize) -> Result<usize, OpError> {
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    let resolved = if index < 0 { index + len } else { index };
    if index < -len {
        return Err(invalid_index(index));
    }
    usize::try_from(resolved).map_err(|_| invalid_index(index))
}

/// The value under `key`: `None` for a missing or `null` member; an error for an index that
/// is not a number or out of range.
fn get_at<'v>(container: &'v Value, key: &str) -> Result<Option<&'v Value>, OpError> {
    match container {
        Value::Object(map) => Ok(map.get(key).filter(|v| !v.is_null())),
        Value::Array(list) => {
            let at = index(key)?;
            let resolved = from_end(at, list.len())?;
            list.get(resolved)
                .map(|v| Some(v).filter(|v| !v.is_null()))
                .ok_or_else(|| invalid_index(at))
        }
        _ => Ok(None),
    }
}

fn get_mut_at<'v>(container: &'v mut Value, key: &str) -> Option<&'v mut Value> {
    match container {
        Value::Object(map) => map.get_mut(key),
        Value::Array(list) => {
            let resolved = from_end(index(key).ok()?, list.len()).ok()?;
            list.get_mut(resolved)
        }
        _ => None,
    }
}

fn set_at(container: &mut Value, key: &str, value: Value) -> Result<(), OpError> {
    match container {
        Value::Object(map) => {
            map.insert(key.to_owned(), value);
            Ok(())
        }
        Value::Array(list) => {
            let at = index(key)?;
            let resolved = from_end(at, list.len())?;
            let slot = list.get_mut(resolved).ok_or_else(|| invalid_index(at))?;
            *slot = value;
            Ok(())
        }
        _ => Err("not a container".to_owned()),
    }
}

fn add_at(container: &mut Value, key: &str, value: Value) -> Result<(), OpError> {
    match container {
        Value::Object(map) => {
            map.insert(key.to_owned(), value);
            Ok(())
        }
        Value::Array(list) if key == "-" => {
            list.push(value);
            Ok(())
        }
        Value::Array(list) => {
            let at = index(key)?;
            // Counted in the list as it will be, so `-1` appends.
            let grown = list.len() + 1;
            if at >= i64::try_from(grown).unwrap_or(i64::MAX) {
                return Err(invalid_index(at));
            }
            let resolved = from_end(at, grown)?;
            list.insert(resolved, value);
            Ok(())
        }
        _ => Err("not a container".to_owned()),
    }
}

/// Remove and return the member under `key` (a `null` member is there to remove).
fn remove_at(container: &mut Value, key: &str) -> Result<Value, OpError> {
    match container {
        Value::Object(map) => map
            .shift_remove(key)
            .ok_or_else(|| format!("Unable to remove nonexistent key: {key}: missing value")),
        Value::Array(list) => {
            let at = index(key)?;
            if at >= i64::try_from(list.len()).unwrap_or(i64::MAX) {
                return Err(invalid_index(at));
            }
            let resolved = from_end(at, list.len())?;
            Ok(list.remove(resolved))
        }
        _ => Err("not a container".to_owned()),
    }
}
