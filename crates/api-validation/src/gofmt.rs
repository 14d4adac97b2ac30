//! Values printed the way the API server's Go code prints them, so a message reads as
//! `kubectl apply` would show it.
//!
//! The API server decodes a JSON number into an `int64` when it is an integer literal that
//! fits, otherwise a `float64` (a whole float in YAML reaches it as an integer, see
//! [`GoNumber::of`]); field errors print the former with `%v` (decimal) and the
//! latter with `%v` (`strconv`'s shortest `'g'` form: `0.5`, `100000`, `1e+06`). Strings print
//! with `%q`, lists and maps with `%#v` (`[]interface {}{"a", 1}`), as
//! `k8s.io/apimachinery/pkg/util/validation/field.Error.ErrorBody` does.

use serde_json::{Number, Value};
use std::fmt::Write as _;

/// A JSON number as the API server holds it after decoding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum GoNumber {
    Int(i64),
    Float(f64),
}

impl GoNumber {
    /// A whole float within `int64` counts as an integer: rendered manifests are YAML, and
    /// kubectl and Flux turn YAML into JSON through `sigs.k8s.io/yaml`, whose `encoding/json`
    /// writes `float64(2)` as `2`, which the API server then decodes as an `int64`.
    pub(crate) fn of(number: &Number) -> GoNumber {
        // 2^63 is the first whole float outside int64.
        const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
        if let Some(int) = number.as_i64() {
            return GoNumber::Int(int);
        }
        let float = number.as_f64().unwrap_or(f64::NAN);
        if float.fract() == 0.0 && (-TWO_POW_63..TWO_POW_63).contains(&float) {
            #[allow(clippy::cast_possible_truncation)]
            return GoNumber::Int(float as i64);
        }
        GoNumber::Float(float)
    }
}

impl std::fmt::Display for GoNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GoNumber::Int(int) => write!(f, "{int}"),
            GoNumber::Float(float) => f.write_str(&float_v(*float)),
        }
    }
}

/// Go's `%v` of a `float64`: the shortest digits that round-trip, in `%e` form when the
/// exponent is below -4 or at least 6 (`strconv.FormatFloat(f, 'g', -1, 64)`).
pub(crate) fn float_v(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    if value == 0.0 {
        return if value.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific
        .split_once('e')
        .unwrap_or((scientific.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if !(-4..6).contains(&exponent) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let sign = if exponent < 0 { '-' } else { '+' };
        let _ = write!(out, "e{sign}{:02}", exponent.unsigned_abs());
    } else if exponent < 0 {
        out.push_str("0.");
        for _ in 0..(-exponent - 1) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let whole = usize::try_from(exponent).unwrap_or(0) + 1;
        if digits.len() <= whole {
            out.push_str(&digits);
            for _ in digits.len()..whole {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..whole]);
            out.push('.');
            out.push_str(&digits[whole..]);
        }
    }
    out
}

/// Go's `strconv.Quote`: double quotes, with the escapes Go uses for control characters.
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// How a field error prints its bad value (`ErrorBody`): strings quoted, numbers and
/// booleans plain, `null` as the string `"null"`, lists and maps in Go syntax.
pub(crate) fn bad_value(value: &Value) -> String {
    match value {
        Value::Null => quote("null"),
        Value::String(text) => quote(text),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => GoNumber::of(number).to_string(),
        Value::Array(_) | Value::Object(_) => go_syntax(value),
    }
}

/// Go's `%#v` of a decoded JSON value: `map[string]interface {}{"a":1}` (keys sorted),
/// `[]interface {}{"a", 1}`.
pub(crate) fn go_syntax(value: &Value) -> String {
    match value {
        Value::Null => "interface {}(nil)".to_owned(),
        Value::String(text) => quote(text),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => GoNumber::of(number).to_string(),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(go_syntax).collect();
            format!("[]interface {{}}{{{}}}", inner.join(", "))
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let inner: Vec<String> = keys
                .into_iter()
                .map(|key| format!("{}:{}", quote(key), go_syntax(&map[key])))
                .collect();
            format!("map[string]interface {{}}{{{}}}", inner.join(", "))
        }
    }
}

/// The JSON Go's `encoding/json` writes for a decoded value, used where the API server
/// compares values through their encoding: keys sorted, a whole `float64` written as an
/// integer (`1.0` and `1` encode alike).
pub(crate) fn canonical_json(value: &Value) -> String {
    match value {
        Value::Number(number) => match GoNumber::of(number) {
            GoNumber::Int(int) => int.to_string(),
            GoNumber::Float(float) if float.fract() == 0.0 && float.abs() < 1e21 => {
                format!("{float:.0}")
            }
            GoNumber::Float(float) => float.to_string(),
        },
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(canonical_json).collect();
            format!("[{}]", inner.join(","))
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let inner: Vec<String> = keys
                .into_iter()
                .map(|key| {
                    format!(
                        "{}:{}",
                        Value::String(key.clone()),
                        canonical_json(&map[key])
                    )
                })
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn floats_print_as_go_prints_them() {
        assert_eq!(float_v(1.0), "1");
        assert_eq!(float_v(0.5), "0.5");
        assert_eq!(float_v(100_000.0), "100000");
        assert_eq!(float_v(123_456.0), "123456");
        assert_eq!(float_v(1_000_000.0), "1e+06");
        assert_eq!(float_v(1_234_567.0), "1.234567e+06");
        assert_eq!(float_v(0.0001), "0.0001");
        assert_eq!(float_v(0.00001), "1e-05");
        assert_eq!(float_v(-2.5), "-2.5");
        assert_eq!(float_v(1e21), "1e+21");
    }

    proptest::proptest! {
        #[test]
        fn go_floats_read_back_to_the_same_value(value in proptest::num::f64::NORMAL) {
            let printed = float_v(value);
            proptest::prop_assert_eq!(printed.parse::<f64>().ok(), Some(value), "{}", printed);
        }
    }

    #[test]
    fn bad_values_print_as_field_errors_print_them() {
        assert_eq!(bad_value(&json!("a\"b\n")), r#""a\"b\n""#);
        assert_eq!(bad_value(&json!(0)), "0");
        assert_eq!(bad_value(&json!(2.5)), "2.5");
        assert_eq!(bad_value(&json!(null)), r#""null""#);
        assert_eq!(
            bad_value(&json!({"name": "a", "port": 80})),
            r#"map[string]interface {}{"name":"a", "port":80}"#
        );
        assert_eq!(bad_value(&json!(["a", 1])), r#"[]interface {}{"a", 1}"#);
    }

    #[test]
    fn canonical_json_sorts_keys_and_writes_whole_floats_as_integers() {
        assert_eq!(
            canonical_json(&json!({"b": 1.0, "a": [2, 2.5]})),
            r#"{"a":[2,2.5],"b":1}"#
        );
    }
}
