//! Objects kustomize cannot print, and the one change its JSON round trip makes to a string.
//!
//! kustomize prints an object by JSON-encoding it and reading that JSON back with go-yaml v2.
//! That reader rejects raw control characters (`encoding/json` escapes only those below
//! U+0020, so DEL, the C1 controls other than NEL, U+FFFE and U+FFFF survive and fail), rejects
//! JSON keys longer than 1022 escaped characters (a YAML simple key is limited to 1024) and a
//! NEL inside a key, and folds a NEL inside a value like a line break in a double-quoted
//! scalar (`"a\u{85}b"` prints as `a b`).

use std::borrow::Cow;

use crate::value::Value;

/// Why kustomize would fail to print an object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmitError {
    /// A string holds a character go-yaml's reader refuses.
    #[error(
        "string {text:?} contains the control character U+{code:04X}, which kustomize cannot print"
    )]
    ControlCharacter {
        /// The offending string (key or value).
        text: String,
        /// The character's code point.
        code: u32,
    },
    /// A mapping key is too long (or holds a NEL) for go-yaml's reader to take it as a key.
    #[error("mapping key {key:?} is too long or contains a line break; kustomize cannot print it")]
    UnprintableKey {
        /// The key (shortened to 80 characters).
        key: String,
    },
}

/// Checks every key and string of `value` against go-yaml v2's reader.
pub(crate) fn check_value(value: &Value) -> Result<(), EmitError> {
    match value {
        Value::String(s) => check_chars(s),
        Value::Array(items) => items.iter().try_for_each(check_value),
        Value::Object(map) => map.iter().try_for_each(|(key, value)| {
            check_chars(key)?;
            if key.contains('\u{85}') || json_escaped_len(key) > 1022 {
                return Err(EmitError::UnprintableKey {
                    key: key.chars().take(80).collect(),
                });
            }
            check_value(value)
        }),
        _ => Ok(()),
    }
}

fn check_chars(s: &str) -> Result<(), EmitError> {
    match s
        .chars()
        .find(|c| matches!(c, '\u{7F}'..='\u{84}' | '\u{86}'..='\u{9F}' | '\u{FFFE}' | '\u{FFFF}'))
    {
        Some(c) => Err(EmitError::ControlCharacter {
            text: s.to_owned(),
            code: u32::from(c),
        }),
        None => Ok(()),
    }
}

/// The length in characters of `s` as `encoding/json` writes it, without the quotes.
fn json_escaped_len(s: &str) -> usize {
    s.chars()
        .map(|c| match c {
            '"' | '\\' | '\n' | '\r' | '\t' => 2,
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => 6,
            c if c < ' ' => 6,
            _ => 1,
        })
        .sum()
}

/// The string as go-yaml v2 reads it back from JSON: a raw NEL (which `encoding/json` does not
/// escape) is a line break inside a double-quoted scalar, so spaces before it vanish, a single
/// break becomes a space and a run of n breaks becomes n-1 newlines.
pub(crate) fn after_json_round_trip(s: &str) -> Cow<'_, str> {
    if !s.contains('\u{85}') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut pending_spaces = 0;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' => pending_spaces += 1,
            '\u{85}' => {
                pending_spaces = 0;
                let mut trailing_breaks = 0;
                while let Some(&next) = chars.peek() {
                    match next {
                        ' ' => {}
                        '\u{85}' => trailing_breaks += 1,
                        _ => break,
                    }
                    chars.next();
                }
                if trailing_breaks == 0 {
                    out.push(' ');
                } else {
                    out.extend(std::iter::repeat_n('\n', trailing_breaks));
                }
            }
            _ => {
                out.extend(std::iter::repeat_n(' ', pending_spaces));
                pending_spaces = 0;
                out.push(c);
            }
        }
    }
    out.extend(std::iter::repeat_n(' ', pending_spaces));
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use crate::json;

    use super::*;

    #[test]
    fn nel_folds_as_kubectl_shows() {
        assert_eq!(
            after_json_round_trip("x  \u{85}  \u{85} \u{85}  y"),
            "x\n\ny"
        );
        assert_eq!(after_json_round_trip("\u{85}"), " ");
        assert_eq!(after_json_round_trip("a \u{85} b  "), "a b  ");
        assert_eq!(after_json_round_trip("a\tb \u{85}\tc"), "a\tb \tc");
        assert_eq!(after_json_round_trip("plain"), "plain");
    }

    #[test]
    fn rejects_what_kubectl_rejects() {
        assert!(check_value(&json!({"a": "del\u{7f}"})).is_err());
        assert!(check_value(&json!({"k\u{9f}": 1})).is_err());
        assert!(check_value(&json!({"k\u{85}": 1})).is_err());
        assert!(check_value(&json!({"q".repeat(1023): 1})).is_err());
        assert!(check_value(&json!({"q".repeat(1022): 1})).is_ok());
        assert!(check_value(&json!({format!("<{}", "q".repeat(1017)): 1})).is_err());
        assert!(check_value(&json!({"a": ["\u{85}", "\u{feff}"]})).is_ok());
    }
}
