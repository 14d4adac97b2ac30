//! How a YAML scalar becomes a JSON value (go-yaml v3 rules, as kustomize reads resources) and
//! which strings must be quoted on output (go-yaml v2 rules, as kustomize writes them).
//!
//! kustomize reads with go-yaml v3, which is YAML 1.2-like for booleans (`yes`/`on` stay
//! strings) but still reads `0123` as octal, and writes with go-yaml v2, which is YAML 1.1-like
//! and therefore quotes `yes`, `on`, `y`, `1:20` and timestamps.

use crate::value::Value;

use super::go_number::{
    is_yaml_style_float, parse_decimal_float, parse_int_base0, parse_uint_base0,
};
use super::timestamp::{is_timestamp, Timestamp};
use super::YamlErrorKind;

/// The value go-yaml v3 resolves a scalar to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str,
    Timestamp(Timestamp),
    /// `<<`: a merge key when it is a key.
    Merge,
}

impl Resolved {
    fn tag(&self) -> &'static str {
        match self {
            Self::Null => "!!null",
            Self::Bool(_) => "!!bool",
            Self::Int(_) | Self::Uint(_) => "!!int",
            Self::Float(_) => "!!float",
            Self::Str => "!!str",
            Self::Timestamp(_) => "!!timestamp",
            Self::Merge => "!!merge",
        }
    }
}

/// go-yaml v3's implicit resolution of a plain scalar (its `resolve("", text)`).
pub(crate) fn resolve_plain(text: &str) -> Resolved {
    let Some(&first) = text.as_bytes().first() else {
        return Resolved::Null;
    };
    match first {
        b't' | b'T' | b'f' | b'F' | b'n' | b'N' | b'~' | b'y' | b'Y' | b'o' | b'O' => match text {
            "true" | "True" | "TRUE" => Resolved::Bool(true),
            "false" | "False" | "FALSE" => Resolved::Bool(false),
            "~" | "null" | "Null" | "NULL" => Resolved::Null,
            _ => Resolved::Str,
        },
        b'.' => match text {
            ".nan" | ".NaN" | ".NAN" => Resolved::Float(f64::NAN),
            ".inf" | ".Inf" | ".INF" => Resolved::Float(f64::INFINITY),
            // Go's ParseFloat on a text starting with '.' accepts exactly the regex's forms.
            _ if is_yaml_style_float(text) => {
                parse_decimal_float(text).map_or(Resolved::Str, Resolved::Float)
            }
            _ => Resolved::Str,
        },
        b'<' if text == "<<" => Resolved::Merge,
        b'+' | b'-' | b'0'..=b'9' => resolve_number(text),
        _ => Resolved::Str,
    }
}

fn resolve_number(text: &str) -> Resolved {
    match text {
        "+.inf" | "+.Inf" | "+.INF" => return Resolved::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        _ => {}
    }
    if let Some(ts) = Timestamp::parse(text) {
        return Resolved::Timestamp(ts);
    }
    let owned;
    let plain = if text.contains('_') {
        owned = text.replace('_', "");
        owned.as_str()
    } else {
        text
    };
    if let Ok(i) = parse_int_base0(plain) {
        return Resolved::Int(i);
    }
    if let Ok(u) = parse_uint_base0(plain) {
        return Resolved::Uint(u);
    }
    if is_yaml_style_float(plain) {
        if let Some(f) = parse_decimal_float(plain) {
            return Resolved::Float(f);
        }
    }
    // "-0b101" is covered by parse_int_base0 already, and so is "0o17".
    Resolved::Str
}

/// go-yaml v3's `resolve(tag, text)` for an explicitly tagged scalar; `tag` is in short form
/// (`!!int`, `!foo`). Returns `None` for tags go-yaml does not resolve (custom tags, `!!binary`,
/// `!!merge`): those scalars decode as their text.
fn resolve_tagged(tag: &str, text: &str) -> Result<Option<Resolved>, YamlErrorKind> {
    let resolved = match tag {
        "!!str" => return Ok(Some(Resolved::Str)),
        "!!bool" | "!!int" | "!!float" | "!!null" | "!!timestamp" => resolve_plain(text),
        _ => return Ok(None),
    };
    let resolved = match (tag, resolved) {
        // A timestamp only counts as one without a tag or with !!timestamp; resolve_plain
        // already tried it, so an !!int tag on a date falls through to the number rules.
        (t, Resolved::Timestamp(_)) if t != "!!timestamp" => resolve_number_without_timestamp(text),
        (_, r) => r,
    };
    if resolved.tag() == tag {
        return Ok(Some(resolved));
    }
    match (tag, resolved) {
        // go-yaml converts with float64(i), rounding like this cast.
        #[allow(clippy::cast_precision_loss)]
        ("!!float", Resolved::Int(i)) => Ok(Some(Resolved::Float(i as f64))),
        (_, other) => Err(YamlErrorKind::TagMismatch {
            found: other.tag(),
            value: text.to_owned(),
            tag: tag.to_owned(),
        }),
    }
}

fn resolve_number_without_timestamp(text: &str) -> Resolved {
    let plain = text.replace('_', "");
    if let Ok(i) = parse_int_base0(&plain) {
        return Resolved::Int(i);
    }
    if let Ok(u) = parse_uint_base0(&plain) {
        return Resolved::Uint(u);
    }
    if is_yaml_style_float(&plain) {
        if let Some(f) = parse_decimal_float(&plain) {
            return Resolved::Float(f);
        }
    }
    Resolved::Str
}

/// Turns a resolved scalar into the JSON value kustomize would print for it.
#[allow(clippy::needless_pass_by_value)] // consumed by most arms
fn to_json(resolved: Resolved, text: String) -> Result<Value, YamlErrorKind> {
    Ok(match resolved {
        Resolved::Null => Value::Null,
        Resolved::Bool(b) => Value::Bool(b),
        Resolved::Int(i) => Value::from(i),
        Resolved::Uint(u) => Value::from(u),
        Resolved::Float(f) => match serde_json::Number::from_f64(f) {
            Some(n) => Value::Number(n),
            None => return Err(YamlErrorKind::NonFiniteFloat(text)),
        },
        Resolved::Timestamp(ts) => Value::String(ts.to_rfc3339_nano()),
        Resolved::Str | Resolved::Merge => Value::String(text),
    })
}

/// How a scalar was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// Unquoted.
    Plain,
    /// Quoted or a block scalar: always a string unless tagged.
    Quoted,
}

/// Decodes one scalar node as go-yaml v3 decodes it into an `interface{}` and JSON prints it.
/// `tag` is the short form of an explicit tag (`None` when absent or the non-specific `!`).
pub(crate) fn decode_scalar(
    text: String,
    style: Style,
    tag: Option<&str>,
) -> Result<Value, YamlErrorKind> {
    match tag {
        None if style == Style::Quoted => Ok(Value::String(text)),
        None => {
            let resolved = resolve_plain(&text);
            to_json(resolved, text)
        }
        Some("!!binary") => decode_binary(&text).map(Value::String),
        Some(tag) => match resolve_tagged(tag, &text)? {
            Some(resolved) => to_json(resolved, text),
            None => Ok(Value::String(text)),
        },
    }
}

/// Whether a mapping key decodes as a string in go-yaml v3 (only then can the mapping become a
/// JSON object), and whether it is the merge key `<<`.
pub(crate) fn key_kind(text: &str, style: Style, tag: Option<&str>) -> KeyKind {
    match tag {
        Some("!!str") => KeyKind::Str,
        Some("!!merge") => KeyKind::Merge,
        Some(_) => KeyKind::Other,
        None if style == Style::Quoted => KeyKind::Str,
        None => match resolve_plain(text) {
            Resolved::Str => KeyKind::Str,
            Resolved::Merge => KeyKind::Merge,
            _ => KeyKind::Other,
        },
    }
}

/// See [`key_kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    Str,
    Merge,
    Other,
}

/// Go's `base64.StdEncoding.DecodeString` (newlines ignored, padding required, trailing bits
/// ignored), then `encoding/json`'s replacement of invalid UTF-8 bytes by U+FFFD.
fn decode_binary(text: &str) -> Result<String, YamlErrorKind> {
    let symbols: Vec<u8> = text
        .bytes()
        .filter(|b| *b != b'\n' && *b != b'\r')
        .collect();
    if !symbols.len().is_multiple_of(4) {
        return Err(YamlErrorKind::InvalidBinary);
    }
    let mut bytes = Vec::with_capacity(symbols.len() / 4 * 3);
    for (index, chunk) in symbols.chunks(4).enumerate() {
        let last = index + 1 == symbols.len() / 4;
        let mut acc: u32 = 0;
        let mut padding = 0;
        for (i, &c) in chunk.iter().enumerate() {
            let v = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                b'=' if last && i >= 2 && (i == 3 || chunk[3] == b'=') => {
                    padding += 1;
                    0
                }
                _ => return Err(YamlErrorKind::InvalidBinary),
            };
            if padding > 0 && c != b'=' {
                return Err(YamlErrorKind::InvalidBinary);
            }
            acc = (acc << 6) | u32::from(v);
        }
        let decoded = acc.to_be_bytes();
        bytes.extend_from_slice(&decoded[1..4 - padding]);
    }
    Ok(lossy_per_byte(&bytes))
}

/// Like `String::from_utf8_lossy`, but one U+FFFD per invalid byte, as Go's JSON encoder does.
fn lossy_per_byte(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                out.push_str(valid);
                break;
            }
            Err(e) => {
                let (valid, after) = rest.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                out.push('\u{FFFD}');
                rest = &after[1..];
            }
        }
    }
    out
}

/// Whether go-yaml v2 would read `s`, written plain, as something other than a string, so the
/// emitter must double-quote it: YAML 1.1 booleans (`yes`, `on`, `y`...), nulls, numbers in any
/// base, base-60 numbers (`1:20`) and timestamps.
pub(crate) fn needs_quotes_for_v2(s: &str) -> bool {
    let Some(&first) = s.as_bytes().first() else {
        return true; // "" reads as null
    };
    match first {
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => matches!(
            s,
            "y" | "Y"
                | "yes"
                | "Yes"
                | "YES"
                | "true"
                | "True"
                | "TRUE"
                | "on"
                | "On"
                | "ON"
                | "n"
                | "N"
                | "no"
                | "No"
                | "NO"
                | "false"
                | "False"
                | "FALSE"
                | "off"
                | "Off"
                | "OFF"
                | "~"
                | "null"
                | "Null"
                | "NULL"
        ),
        b'.' => {
            matches!(s, ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF")
                || (is_yaml_style_float(s) && s.parse::<f64>().is_ok_and(f64::is_finite))
        }
        b'+' | b'-' | b'0'..=b'9' => v2_number_like(s),
        _ => false,
    }
}

fn v2_number_like(s: &str) -> bool {
    if matches!(s, "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF") {
        return true;
    }
    if is_timestamp(s) || is_base60_float(s) {
        return true;
    }
    let owned;
    let plain = if s.contains('_') {
        owned = s.replace('_', "");
        owned.as_str()
    } else {
        s
    };
    // kubectl's go-yaml v2 has no big-integer fallback: "0x10000000000000000" stays plain.
    parse_int_base0(plain).is_ok()
        || parse_uint_base0(plain).is_ok()
        || (is_yaml_style_float(plain) && parse_decimal_float(plain).is_some())
        || plain
            .strip_prefix("0b")
            .or_else(|| plain.strip_prefix("-0b"))
            .is_some_and(parse_uint_radix2)
}

fn parse_uint_radix2(bits: &str) -> bool {
    !bits.is_empty() && bits.len() <= 64 && bits.bytes().all(|b| b == b'0' || b == b'1')
}

/// go-yaml v2's `isBase60Float`: `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`.
fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    if !b.contains(&b':') {
        return false;
    }
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    i += 1;
    while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        // [0-5]?[0-9]: one or two digits, the first of two at most 5.
        match (b.get(i), b.get(i + 1)) {
            (Some(d1 @ b'0'..=b'5'), Some(b'0'..=b'9')) if d1.is_ascii_digit() => i += 2,
            (Some(b'0'..=b'9'), _) => i += 1,
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str) -> Result<Value, YamlErrorKind> {
        decode_scalar(text.to_owned(), Style::Plain, None)
    }

    #[test]
    fn v3_plain_resolution() {
        assert_eq!(plain("yes"), Ok(Value::from("yes")));
        assert_eq!(plain("on"), Ok(Value::from("on")));
        assert_eq!(plain("True"), Ok(Value::Bool(true)));
        assert_eq!(plain("~"), Ok(Value::Null));
        assert_eq!(plain(""), Ok(Value::Null));
        assert_eq!(plain("0123"), Ok(Value::from(83)));
        assert_eq!(plain("09"), Ok(Value::from(9.0)));
        assert_eq!(plain("1_000"), Ok(Value::from(1000)));
        assert_eq!(plain("1e3"), Ok(Value::from(1000.0)));
        assert_eq!(plain("._5"), Ok(Value::from("._5")));
        assert_eq!(plain("1e400"), Ok(Value::from("1e400")));
        assert_eq!(plain("18446744073709551615"), Ok(Value::from(u64::MAX)));
        assert_eq!(plain("2001-12-14"), Ok(Value::from("2001-12-14T00:00:00Z")));
        assert_eq!(plain("<<"), Ok(Value::from("<<")));
        assert!(matches!(
            plain(".inf"),
            Err(YamlErrorKind::NonFiniteFloat(_))
        ));
    }

    #[test]
    fn tags() {
        let tagged =
            |tag: &str, text: &str| decode_scalar(text.to_owned(), Style::Plain, Some(tag));
        assert_eq!(tagged("!!str", "0123"), Ok(Value::from("0123")));
        assert_eq!(tagged("!!float", "1"), Ok(Value::from(1.0)));
        assert_eq!(tagged("!!int", "0x10"), Ok(Value::from(16)));
        assert_eq!(tagged("!foo", "1"), Ok(Value::from("1")));
        assert_eq!(tagged("!!binary", "aGVsbG8="), Ok(Value::from("hello")));
        assert!(tagged("!!int", "abc").is_err());
        assert!(tagged("!!binary", "a").is_err());
    }

    #[test]
    fn v2_quoting() {
        for quoted in [
            "",
            "yes",
            "Y",
            "on",
            "OFF",
            "null",
            "~",
            "0123",
            "1e3",
            "0x1F",
            "1:20",
            "2001-12-14",
            "1_000",
            ".5",
            "-1",
            "+1",
            ".inf",
            "99999999999999999999",
            "0b101",
            "1e3_0",
        ] {
            assert!(needs_quotes_for_v2(quoted), "{quoted:?}");
        }
        for plain in [
            "yess",
            "0x",
            "1e400",
            "2001-13-01",
            "._5",
            "<<",
            "abc",
            "-",
            "1,000",
            "Infinity",
            "0x1p3",
        ] {
            assert!(!needs_quotes_for_v2(plain), "{plain:?}");
        }
    }
}
