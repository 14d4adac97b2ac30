//! The fallback reader for kustomization files that repeat a key.
//!
//! kustomize reads kustomization files with go-yaml v2 (through `sigs.k8s.io/yaml`), which
//! accepts a repeated mapping key and keeps the last value, while resource files go through
//! go-yaml v3, which refuses them. The strict reader in `crate::yaml` follows v3; this one
//! reproduces v2's tolerance for the kustomization file only.

use crate::value::{Map, Number, Value};
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::TScalarStyle;

/// The first document of `text`, repeated keys resolved to their last value.
pub(super) fn first_document(text: &str) -> Result<Value, String> {
    let mut parser = Parser::new_from_str(text);
    let mut anchors: Vec<(usize, Value)> = Vec::new();
    loop {
        let (event, _) = parser.next_token().map_err(|e| e.to_string())?;
        match event {
            Event::StreamEnd => return Ok(Value::Null),
            Event::StreamStart | Event::DocumentStart | Event::Nothing => {}
            event => return node(&mut parser, event, &mut anchors, 0),
        }
    }
}

/// Nesting deeper than this is refused, so hostile files end in an error, not a stack overflow.
const MAX_DEPTH: usize = 256;

fn node(
    parser: &mut Parser<std::str::Chars<'_>>,
    event: Event,
    anchors: &mut Vec<(usize, Value)>,
    depth: usize,
) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err("the kustomization file nests too deeply".to_owned());
    }
    let (value, anchor) = match event {
        Event::Scalar(text, style, anchor, _) => (scalar(text, style), anchor),
        Event::Alias(id) => {
            return anchors
                .iter()
                .rev()
                .find(|(a, _)| *a == id)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| "unknown alias".to_owned())
        }
        Event::SequenceStart(anchor, _) => {
            let mut items = Vec::new();
            loop {
                let (event, _) = parser.next_token().map_err(|e| e.to_string())?;
                if matches!(event, Event::SequenceEnd) {
                    break;
                }
                items.push(node(parser, event, anchors, depth + 1)?);
            }
            (Value::Array(items.into()), anchor)
        }
        Event::MappingStart(anchor, _) => {
            let mut map = Map::new();
            loop {
                let (event, _) = parser.next_token().map_err(|e| e.to_string())?;
                if matches!(event, Event::MappingEnd) {
                    break;
                }
                let key = match node(parser, event, anchors, depth + 1)? {
                    Value::String(s) => s,
                    Value::Null => "null".to_owned(),
                    other => other.to_string(),
                };
                let (event, _) = parser.next_token().map_err(|e| e.to_string())?;
                let value = node(parser, event, anchors, depth + 1)?;
                // go-yaml v2: a repeated key keeps its last value.
                map.insert(key, value);
            }
            (Value::Object(map), anchor)
        }
        other => return Err(format!("unexpected YAML event {other:?}")),
    };
    if anchor > 0 {
        anchors.push((anchor, value.clone()));
    }
    Ok(value)
}

fn scalar(text: String, style: TScalarStyle) -> Value {
    if style != TScalarStyle::Plain {
        return Value::String(text);
    }
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        // go-yaml v2 resolves YAML 1.1 booleans.
        "true" | "True" | "TRUE" | "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => {
            Value::Bool(true)
        }
        "false" | "False" | "FALSE" | "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => {
            Value::Bool(false)
        }
        _ => {
            if let Ok(i) = text.parse::<i64>() {
                Value::from(i)
            } else if let Some(n) = text
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite() && text.contains(['.', 'e', 'E']))
                .and_then(Number::from_f64)
            {
                Value::Number(n)
            } else {
                Value::String(text)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn a_repeated_key_keeps_its_last_value() {
        let value =
            first_document("kind: Component\nkind: Kustomization\nresources: [a]\n").unwrap();
        assert_eq!(value, json!({"kind": "Kustomization", "resources": ["a"]}));
    }
}
