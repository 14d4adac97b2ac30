//! The content hash suffix of generated `ConfigMaps` and Secrets: kustomize's `HashTransformer`.
//!
//! kustomize hashes a small JSON document, encoded as Go's `encoding/json` does (keys sorted,
//! `<`, `>`, `&`, U+2028 and U+2029 escaped): for a `ConfigMap` `{"data":…,"kind":"ConfigMap",
//! "name":""}` plus `binaryData` when it is a mapping; for a Secret `{"data":…,"kind":"Secret",
//! "name":"","type":…}` plus `stringData` when it is a mapping. The name is always empty because
//! kustomize looks it up with a path that never matches; a missing `data` (or `type`) hashes as
//! the empty string. The SHA-256 hex digest's first ten characters, with `0 1 3 a e` replaced by
//! `g h k m t`, are appended to the name after a dash.

use std::fmt::Write as _;

use crate::value::{Key, Map, Value};
use sha2::{Digest, Sha256};

use super::tracking::{needs_hash_suffix, store_previous_id};
use crate::error::Result;
use crate::loader::Loader;
use crate::plugin::Transformer;
use crate::resmap::ResMap;

/// `HashTransformer`: append the content hash to the names of objects generated with a hash.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HashTransformer {}

impl Transformer for HashTransformer {
    fn transform(&self, resources: &mut ResMap, _loader: &Loader<'_>) -> Result<()> {
        for resource in resources.iter_mut() {
            if !needs_hash_suffix(resource) {
                continue;
            }
            let hash = content_hash(resource.object());
            store_previous_id(resource);
            let name = format!("{}-{hash}", resource.name());
            resource.set_name(&name);
        }
        Ok(())
    }
}

/// The ten-character content hash kustomize appends to generated names.
pub fn content_hash(object: &Value) -> String {
    encode(&Sha256::digest(hash_input(object).as_bytes()))
}

/// The exact text kustomize hashes for `object`.
pub fn hash_input(object: &Value) -> String {
    let field = |name: &str| match object.get(name) {
        None => Value::String(String::new()),
        Some(value) => value.clone(),
    };
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
    let mut doc = Map::new();
    match kind {
        "ConfigMap" => {
            doc.insert("kind", Value::String("ConfigMap".into()));
            doc.insert("name", Value::String(String::new()));
            doc.insert("data", field("data"));
            if let Some(binary @ Value::Object(_)) = object.get("binaryData") {
                doc.insert("binaryData", binary.clone());
            }
        }
        "Secret" => {
            doc.insert("kind", Value::String("Secret".into()));
            doc.insert("type", field("type"));
            doc.insert("name", Value::String(String::new()));
            doc.insert("data", field("data"));
            if let Some(string_data @ Value::Object(_)) = object.get("stringData") {
                doc.insert("stringData", string_data.clone());
            }
        }
        // kustomize hashes other kinds through an encoding of its YAML node; only generated
        // ConfigMaps and Secrets carry the hash flag, so the whole object stands in here.
        _ => return go_json(object),
    }
    go_json(&Value::Object(doc))
}

fn encode(digest: &[u8]) -> String {
    let mut hex = String::with_capacity(10);
    for byte in &digest[..5] {
        let _ = write!(hex, "{byte:02x}");
    }
    hex.chars()
        .map(|c| match c {
            '0' => 'g',
            '1' => 'h',
            '3' => 'k',
            'a' => 'm',
            'e' => 't',
            other => other,
        })
        .collect()
}

/// JSON as Go's `encoding/json` writes it: no spaces, map keys sorted, HTML-sensitive characters
/// and line/paragraph separators escaped.
pub fn go_json(value: &Value) -> String {
    let mut out = String::new();
    write_go_json(value, &mut out);
    out
}

fn write_go_json(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_go_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_go_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&str> = map.keys().map(Key::as_str).collect();
            keys.sort_unstable();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_go_string(key, out);
                out.push(':');
                write_go_json(&map[key], out);
            }
            out.push('}');
        }
    }
}

fn write_go_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    /// Names produced by `kubectl kustomize` (kustomize v5.5.0) for the same generator inputs.
    #[test]
    fn hashes_match_kubectl() {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "b"}});
        assert_eq!(content_hash(&cm), "4h2mbtbbt6");
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "p-cm-s"},
            "data": {"A": "1", "B": "", "C ": " 2", "q": "a b", "z": "<&>"}});
        assert_eq!(content_hash(&cm), "729k42fcfc");
        let empty = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "empty"}});
        assert_eq!(content_hash(&empty), "6ct58987ht");
        let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "es"}, "type": "Opaque", "data": {}});
        assert_eq!(content_hash(&secret), "46f8b28mk5");
    }

    #[test]
    fn go_json_escapes_like_encoding_json() {
        assert_eq!(
            go_json(&json!({"b": "<a&b>\u{2028}", "a": "\"\\\n\u{1}"})),
            r#"{"a":"\"\\\n\u0001","b":"\u003ca\u0026b\u003e\u2028"}"#
        );
    }

    proptest::proptest! {
        /// Go-style encoding is still JSON for the same value, and hashes stay in kustomize's
        /// alphabet.
        #[test]
        fn go_json_round_trips_and_hashes_are_well_formed(
            data in proptest::collection::btree_map("[ -~\u{80}-\u{2030}]{0,8}", "\\PC{0,16}", 0..6)
        ) {
            let object = json!({"kind": "ConfigMap", "data": data});
            let encoded = go_json(&object);
            let decoded: Value = serde_json::from_str(&encoded).unwrap();
            proptest::prop_assert_eq!(decoded, object.clone());
            let hash = content_hash(&object);
            proptest::prop_assert_eq!(hash.len(), 10);
            proptest::prop_assert!(hash.chars().all(|c| "ghkmt2456789bcdf".contains(c)));
        }
    }
}
