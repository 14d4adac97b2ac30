//! kyaml's round trip of folded block scalars (`>`).
//!
//! kustomize does not read a resource's values once: kyaml keeps the parsed node, and when the
//! object is printed it is encoded again with go-yaml v3 and decoded a second time. go-yaml's
//! folded-scalar writer inherits a libyaml quirk (it looks for the next line's indentation at
//! the start of the value, not at the current position), so a folded value whose text has a
//! line starting with a space gains an extra line break on that second read:
//! `>\n  folded\n   more indented\n` reads as `"folded\n more indented\n"` but kustomize prints
//! `"folded\n\n more indented\n"`. This module replays that write and read.

use super::parse::parse_once;

/// The value kustomize ends up with for a folded scalar that first read as `value`.
pub(crate) fn after_kyaml_round_trip(value: String) -> String {
    // The quirk needs a line break followed by more text; most folded values are one paragraph.
    if !value.contains('\n') || !keeps_block_style(&value) {
        return value;
    }
    let text = rewrite_folded(&value);
    match parse_once(&text).ok().as_deref() {
        Some([doc]) => match doc.get("k").and_then(|v| v.as_str()) {
            Some(reread) => reread.to_owned(),
            None => value,
        },
        _ => value,
    }
}

/// go-yaml v3 writes a folded scalar only when libyaml's analysis allows a block scalar
/// (otherwise it falls back to double quotes, which round-trip exactly).
fn keeps_block_style(value: &str) -> bool {
    let mut previous_space = false;
    for c in value.chars() {
        let printable = c == '\t'
            || matches!(c, '\n' | ' '..='~' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
                && c != '\u{FEFF}';
        if !printable {
            return false;
        }
        if is_break(c) && previous_space {
            return false; // space before a line break
        }
        previous_space = c == ' ';
    }
    !value.ends_with(' ')
}

/// The document go-yaml v3 writes for `k: <value>` in folded style (line folding at the width
/// is left out: it re-reads as the same single space).
fn rewrite_folded(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 2 + 16);
    out.push_str("k: >");
    let first = value.chars().next();
    if first.is_some_and(|c| c == ' ' || is_break(c)) {
        out.push('2');
    }
    let mut tail = value.chars().rev();
    match (tail.next(), tail.next()) {
        (Some(last), _) if !is_break(last) => out.push('-'),
        (Some(_), None) => out.push('+'),
        (Some(_), Some(before)) if is_break(before) => out.push('+'),
        _ => {}
    }
    out.push('\n');
    // The quirk: go-yaml checks the character after the breaks at the *start* of the value.
    let first_after_breaks = value.chars().find(|c| !is_break(*c));
    let extra_break =
        !first_after_breaks.is_some_and(|c| matches!(c, ' ' | '\t' | '\0') || is_break(c));
    let mut breaks = true;
    let mut leading_spaces = true;
    for c in value.chars() {
        if is_break(c) {
            if !breaks && !leading_spaces && c == '\n' && extra_break {
                out.push('\n');
            }
            out.push(c);
            breaks = true;
        } else {
            if breaks {
                out.push_str("  ");
                leading_spaces = c == ' ' || c == '\t';
            }
            out.push(c);
            breaks = false;
        }
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_indented_lines_gain_a_break_as_in_kubectl() {
        assert_eq!(
            after_kyaml_round_trip("folded\n more indented\nback\n".to_owned()),
            "folded\n\n more indented\nback\n"
        );
        assert_eq!(after_kyaml_round_trip("a\nb\n".to_owned()), "a\nb\n");
        assert_eq!(
            after_kyaml_round_trip("one line\n".to_owned()),
            "one line\n"
        );
        assert_eq!(
            after_kyaml_round_trip(" lead\nx\n".to_owned()),
            " lead\nx\n"
        );
    }
}
