//! How the API server words a field error's body, for the problems of CRD schemas (and
//! enums): `Invalid value: …`, `Unsupported value: …`, and the field as kube-openapi names it
//! in its messages (`k8s.io/apimachinery/pkg/util/validation/field/errors.go`,
//! kube-openapi `pkg/validation/errors/schema.go`).

use crate::gofmt::{bad_value, quote, GoNumber};
use crate::schema::Types;
use serde_json::Value;

/// kube-openapi's type error as the API server prints it for a custom resource
/// (`validate/type.go`, `errors.InvalidType`, then `field.TypeInvalid`): the bad value shown
/// is the JSON type found, not the value (`Invalid value: "string": spec.replicas in body
/// must be of type integer: "string"`); int-or-string expects `integer,string`.
pub(crate) fn crd_type_message(expected: Types, value: &Value, field: &str) -> String {
    let expected = if expected == Types::INTEGER.union(Types::STRING) {
        "integer,string".to_owned()
    } else {
        expected.describe().replace(" or ", ",")
    };
    let found = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        Value::Number(number) => match GoNumber::of(number) {
            GoNumber::Int(_) => "integer",
            GoNumber::Float(_) => "number",
        },
    };
    format!(
        "Invalid value: {found_quoted}: {} in body must be of type {expected}: {found_quoted}",
        api_path(field),
        found_quoted = quote(found)
    )
}

/// kube-openapi's enum check (`basicCommonValidator`): equal, or equal once the value is
/// converted to the member's Go type (an integer matches a whole float member; a float
/// matches an integer member after truncation, as Go's conversion truncates).
#[allow(clippy::float_cmp)] // Go compares the converted values exactly
pub(crate) fn enum_matches(member: &Value, value: &Value) -> bool {
    if member == value {
        return true;
    }
    let (Value::Number(member), Value::Number(value)) = (member, value) else {
        return false;
    };
    match (GoNumber::of(member), GoNumber::of(value)) {
        (GoNumber::Float(m), GoNumber::Int(v)) => {
            #[allow(clippy::cast_precision_loss)]
            let converted = v as f64;
            m == converted
        }
        (GoNumber::Int(m), GoNumber::Float(v)) => {
            #[allow(clippy::cast_possible_truncation)]
            let converted = v as i64;
            m == converted
        }
        _ => false,
    }
}

/// `field.NotSupported`: the value, then every member quoted (strings as they are, others as
/// their JSON).
pub(crate) fn unsupported(value: &Value, allowed: &[Value]) -> String {
    let supported: Vec<String> = allowed
        .iter()
        .map(|member| match member {
            Value::String(text) => quote(text),
            other => quote(&other.to_string()),
        })
        .collect();
    format!(
        "Unsupported value: {}: supported values: {}",
        bad_value(value),
        supported.join(", ")
    )
}

/// The field as kube-openapi names it in messages: no leading dot, keys that are not
/// identifiers unquoted (`spec.labels.example.com/x`), indexes in brackets.
pub(crate) fn api_path(field: &str) -> String {
    let mut path = String::with_capacity(field.len());
    let mut rest = field;
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix("[\"") {
            // A quoted key: a JSON string up to the closing `"]`.
            let mut end = 0;
            let mut escaped = false;
            for (i, c) in quoted.char_indices() {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => {
                        end = i;
                        break;
                    }
                    _ => escaped = false,
                }
            }
            let key: String = serde_json::from_str(&format!("\"{}\"", &quoted[..end]))
                .unwrap_or_else(|_| quoted[..end].to_owned());
            path.push('.');
            path.push_str(&key);
            rest = quoted.get(end + 2..).unwrap_or_default();
        } else if rest.starts_with('[') {
            let end = rest.find(']').map_or(rest.len(), |i| i + 1);
            path.push_str(&rest[..end]);
            rest = &rest[end..];
        } else {
            let body = rest.strip_prefix('.').unwrap_or(rest);
            let end = body.find(['.', '[']).unwrap_or(body.len());
            path.push('.');
            path.push_str(&body[..end]);
            rest = &body[end..];
        }
    }
    path.strip_prefix('.').unwrap_or(&path).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_paths_read_as_kube_openapi_writes_them() {
        assert_eq!(api_path(".spec.replicas"), "spec.replicas");
        assert_eq!(api_path(".spec.items[3].name"), "spec.items[3].name");
        assert_eq!(
            api_path(r#".metadata.labels["example.com/x"].y"#),
            "metadata.labels.example.com/x.y"
        );
        assert_eq!(api_path(r#".a["q\"uote"]"#), "a.q\"uote");
        assert_eq!(api_path(""), "");
    }
}
