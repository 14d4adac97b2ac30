//! Scalars as kustomize's YAML layer sees them: text plus a type tag.
//!
//! kustomize copies a replacement into an existing scalar by changing only the node's text and
//! keeping its tag, so a quoted `"1"` stays a string and `replicas: 1` stays an integer; the
//! YAML-to-JSON conversion at the end then decodes the text under that tag and fails when it does
//! not fit ("cannot decode !!str abc as a !!int"). A field the replacement had to create has
//! no tag, so its text is resolved the way a plain YAML scalar is. Objects here are JSON values,
//! whose variant stands in for the tag.

use crate::value::{Number, Value};

/// The YAML tag a JSON scalar corresponds to.
fn tag_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "!!null",
        Value::Bool(_) => "!!bool",
        Value::Number(n) if n.is_f64() => "!!float",
        Value::Number(_) => "!!int",
        Value::String(_) => "!!str",
        Value::Array(_) => "!!seq",
        Value::Object(_) => "!!map",
    }
}

/// The text of a node: a scalar's literal, or empty for a mapping or sequence (as a YAML node's
/// `Value` is empty for collections).
pub(crate) fn text_of(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(_) | Value::Object(_) => String::new(),
    }
}

/// Whether a value is a scalar node (not a mapping or sequence).
pub(crate) fn is_scalar(value: &Value) -> bool {
    !matches!(value, Value::Array(_) | Value::Object(_))
}

/// `text` decoded under the tag of the existing scalar `target`, or the decoding error kustomize
/// reports when the text does not fit that tag.
pub(crate) fn retyped(target: &Value, text: &str) -> Result<Value, String> {
    let resolved = resolve_plain(text);
    let fits = match target {
        Value::String(_) => return Ok(Value::String(text.to_owned())),
        Value::Number(n) if n.is_f64() => match &resolved {
            Value::Number(r) => r.as_f64().and_then(Number::from_f64).map(integral),
            _ => None,
        },
        Value::Number(_) => match &resolved {
            Value::Number(r) if !r.is_f64() => Some(resolved.clone()),
            _ => None,
        },
        Value::Bool(_) => resolved.is_boolean().then(|| resolved.clone()),
        Value::Null => resolved.is_null().then_some(Value::Null),
        Value::Array(_) | Value::Object(_) => Some(resolved.clone()),
    };
    fits.ok_or_else(|| {
        format!(
            "yaml: cannot decode {} `{text}` as a {}",
            tag_of(&resolved),
            tag_of(target)
        )
    })
}

/// The JSON value of an untagged plain YAML scalar, resolved as kustomize's YAML library does
/// (YAML 1.2 core schema plus Go's integer prefixes: `0123` is octal, `0x1F` hex, `1_000` has
/// separators).
pub(crate) fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let first = text.as_bytes()[0];
    if first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.') {
        let plain = text.replace('_', "");
        if let Some(int) = parse_go_int(&plain) {
            return Value::Number(int);
        }
        if is_yaml_float(&plain) {
            if let Some(n) = plain.parse::<f64>().ok().and_then(Number::from_f64) {
                // Integral floats print as integers after kustomize's JSON round trip.
                return integral(n);
            }
        }
    }
    Value::String(text.to_owned())
}

fn integral(n: Number) -> Value {
    match n.as_f64() {
        #[allow(clippy::cast_possible_truncation, clippy::float_cmp)]
        Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Value::Number((f as i64).into()),
        _ => Value::Number(n),
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)` (and the unsigned fallback), plus YAML's `0o` and `0b`.
fn parse_go_int(text: &str) -> Option<Number> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() {
        return None;
    }
    let (radix, body) = if let Some(rest) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        (16, rest)
    } else if let Some(rest) = digits
        .strip_prefix("0o")
        .or_else(|| digits.strip_prefix("0O"))
    {
        (8, rest)
    } else if let Some(rest) = digits
        .strip_prefix("0b")
        .or_else(|| digits.strip_prefix("0B"))
    {
        (2, rest)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(body, radix).ok()?;
    if negative {
        let value = i64::try_from(magnitude)
            .ok()
            .map(|m| -m)
            .or_else(|| (magnitude == 1 << 63).then_some(i64::MIN))?;
        Some(value.into())
    } else {
        Some(magnitude.into())
    }
}

/// YAML 1.2's float pattern (without the `.inf`/`.nan` forms, which JSON cannot hold).
fn is_yaml_float(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (mantissa, None),
    };
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    let mantissa_ok = digits(whole)
        && fraction.is_none_or(digits)
        && !(whole.is_empty() && fraction.is_none_or(str::is_empty));
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn plain_scalars_resolve_like_kustomize() {
        let cases = [
            ("yes", json!("yes")),
            ("0123", json!(83)),
            ("1e3", json!(1000)),
            ("0x1F", json!(31)),
            ("1_000", json!(1000)),
            ("~", Value::Null),
            ("", Value::Null),
            ("0o17", json!(15)),
            ("+12", json!(12)),
            ("1.50", json!(1.5)),
            ("-0", json!(0)),
            ("true", json!(true)),
            ("False", json!(false)),
            ("1.2.3", json!("1.2.3")),
            ("-", json!("-")),
            (".", json!(".")),
            ("nginx:1.2", json!("nginx:1.2")),
            ("089", json!(89)),
            ("1.", json!(1)),
            (".5", json!(0.5)),
        ];
        for (text, expected) in cases {
            assert_eq!(resolve_plain(text), expected, "{text}");
        }
    }

    #[test]
    fn existing_scalars_keep_their_type() {
        assert_eq!(retyped(&json!("x"), "123").unwrap(), json!("123"));
        assert_eq!(retyped(&json!(5), "123").unwrap(), json!(123));
        assert_eq!(retyped(&json!(true), "false").unwrap(), json!(false));
        assert_eq!(
            retyped(&json!(5), "abc").unwrap_err(),
            "yaml: cannot decode !!str `abc` as a !!int"
        );
        assert_eq!(
            retyped(&json!(true), "42").unwrap_err(),
            "yaml: cannot decode !!int `42` as a !!bool"
        );
        assert_eq!(
            retyped(&Value::Null, "abc").unwrap_err(),
            "yaml: cannot decode !!str `abc` as a !!null"
        );
    }

    #[test]
    fn text_of_collections_is_empty() {
        assert_eq!(text_of(&json!({"a": 1})), "");
        assert_eq!(text_of(&json!(8080)), "8080");
        assert_eq!(text_of(&json!("s")), "s");
    }
}
