//! A YAML writer that prints JSON values byte for byte as kustomize v5.5.0 does.
//!
//! kustomize prints every object with `sigs.k8s.io/yaml.JSONToYAML`, i.e. go-yaml v2's encoder
//! (a port of libyaml's emitter): keys sorted by [`compare_keys`], two-space indentation,
//! sequences under a mapping key not indented, empty collections as `{}`/`[]`, multi-line
//! strings as literal blocks, and plain or quoted scalars folded at 80 columns. This module
//! follows that emitter's state (column, indentation, "just wrote whitespace") closely, since
//! the line folding depends on it.

use crate::value::{Key, Map, Value};

use super::go_number::push_json_float_as_yaml;
use super::key_order::compare_keys;
use super::output_check::{after_json_round_trip, check_value, EmitError};
use super::scalar::needs_quotes_for_v2;

/// libyaml's `best_width`: plain and quoted scalars fold at a space past this column.
const BEST_WIDTH: usize = 80;
/// libyaml's `best_indent`.
const BEST_INDENT: isize = 2;
/// Keys longer than this (in bytes) are written as complex keys (`? key`).
const MAX_SIMPLE_KEY_LEN: usize = 128;

/// Writes `objects` as kustomize prints a built resource list: each object as a YAML document,
/// separated by `---` lines.
pub fn emit_documents(objects: &[Value]) -> String {
    emit_all(objects)
}

/// [`emit_documents`] over borrowed objects, so callers holding them elsewhere need not copy.
pub(crate) fn emit_all<'a>(objects: impl IntoIterator<Item = &'a Value>) -> String {
    let objects = objects.into_iter();
    let mut out = String::with_capacity(objects.size_hint().0 * 512);
    for (i, object) in objects.enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        emit_into(&mut out, object);
    }
    out
}

/// Like [`emit_documents`], but fails where kustomize fails to print: strings holding control
/// characters go-yaml's reader refuses (DEL, C1 controls, U+FFFE/U+FFFF), and keys too long or
/// holding a NEL. [`emit_documents`] prints such objects anyway (escaped).
pub fn try_emit_documents(objects: &[Value]) -> Result<String, EmitError> {
    objects.iter().try_for_each(check_value)?;
    Ok(emit_documents(objects))
}

/// Writes one value as a YAML document (no `---` line), as kustomize prints one object.
pub fn emit_value(value: &Value) -> String {
    let mut out = String::with_capacity(512);
    emit_into(&mut out, value);
    out
}

fn emit_into(out: &mut String, value: &Value) {
    let mut emitter = Emitter {
        out,
        column: 0,
        indent: -1,
        whitespace: true,
        indention: true,
    };
    emitter.node(value, Context::default());
    // Document end: finish the last line.
    emitter.write_indent();
}

#[derive(Debug, Clone, Copy, Default)]
struct Context {
    /// The node is a mapping key or value (sequences there are not indented).
    mapping: bool,
    /// The node is a simple (`key:`) mapping key: no folding, no block scalars.
    simple_key: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

struct Emitter<'o> {
    out: &'o mut String,
    /// Current column in characters.
    column: usize,
    indent: isize,
    /// The last thing written was whitespace (or nothing on this line yet).
    whitespace: bool,
    /// Only indentation has been written on this line.
    indention: bool,
}

impl Emitter<'_> {
    fn node(&mut self, value: &Value, ctx: Context) {
        match value {
            Value::Object(map) if map.is_empty() => self.empty_collection("{}"),
            Value::Array(items) if items.is_empty() => self.empty_collection("[]"),
            Value::Object(map) => self.mapping(map),
            Value::Array(items) => self.sequence(items, ctx),
            Value::String(s) => self.string(&after_json_round_trip(s), ctx),
            Value::Null => self.plain_token("null"),
            Value::Bool(true) => self.plain_token("true"),
            Value::Bool(false) => self.plain_token("false"),
            Value::Number(n) => {
                let mut text = String::new();
                if n.is_f64() {
                    push_json_float_as_yaml(&mut text, n.as_f64().unwrap_or_default());
                } else {
                    // serde_json prints integers exactly as Go does.
                    text = n.to_string();
                }
                self.plain_token(&text);
            }
        }
    }

    fn empty_collection(&mut self, text: &str) {
        self.write_indicator(&text[..1], true, true, false);
        self.write_indicator(&text[1..], false, false, false);
    }

    fn mapping(&mut self, map: &Map) {
        let saved = self.indent;
        self.increase_indent(false, false);
        let mut entries: Vec<(&Key, &Value)> = map.iter().collect();
        entries.sort_by(|a, b| compare_keys(a.0, b.0));
        for (key, value) in entries {
            self.write_indent();
            if key.len() <= MAX_SIMPLE_KEY_LEN && !key.contains(is_break) {
                self.string(
                    key,
                    Context {
                        mapping: true,
                        simple_key: true,
                    },
                );
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, true);
                self.string(
                    key,
                    Context {
                        mapping: true,
                        simple_key: false,
                    },
                );
                self.write_indent();
                self.write_indicator(":", true, false, true);
            }
            self.node(
                value,
                Context {
                    mapping: true,
                    simple_key: false,
                },
            );
        }
        self.indent = saved;
    }

    fn sequence(&mut self, items: &[Value], ctx: Context) {
        let saved = self.indent;
        self.increase_indent(false, ctx.mapping && !self.indention);
        for item in items {
            self.write_indent();
            self.write_indicator("-", true, false, true);
            self.node(item, Context::default());
        }
        self.indent = saved;
    }

    /// A number, boolean or null: always plain.
    fn plain_token(&mut self, text: &str) {
        let saved = self.indent;
        self.increase_indent(true, false);
        self.write_plain(text, false);
        self.indent = saved;
    }

    fn string(&mut self, s: &str, ctx: Context) {
        let analysis = analyze(s);
        // go-yaml v2's encoder asks for a style; libyaml's emitter may overrule it.
        let mut style = if s.contains('\n') {
            ScalarStyle::Literal
        } else if needs_quotes_for_v2(s) {
            ScalarStyle::DoubleQuoted
        } else {
            ScalarStyle::Plain
        };
        if ctx.simple_key && analysis.multiline {
            style = ScalarStyle::DoubleQuoted;
        }
        if style == ScalarStyle::Plain
            && (!analysis.block_plain_allowed || (s.is_empty() && ctx.simple_key))
        {
            style = ScalarStyle::SingleQuoted;
        }
        if style == ScalarStyle::SingleQuoted && !analysis.single_quoted_allowed {
            style = ScalarStyle::DoubleQuoted;
        }
        if style == ScalarStyle::Literal && (!analysis.block_allowed || ctx.simple_key) {
            style = ScalarStyle::DoubleQuoted;
        }
        let saved = self.indent;
        self.increase_indent(true, false);
        let allow_breaks = !ctx.simple_key;
        match style {
            ScalarStyle::Plain => self.write_plain(s, allow_breaks),
            ScalarStyle::SingleQuoted => self.write_single_quoted(s, allow_breaks),
            ScalarStyle::DoubleQuoted => self.write_double_quoted(s, allow_breaks),
            ScalarStyle::Literal => self.write_literal(s),
        }
        self.indent = saved;
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    /// libyaml's `write_break`: a line feed starts a new line; other breaks are copied.
    fn write_break(&mut self, c: char) {
        if c == '\n' {
            self.put_break();
        } else {
            self.out.push(c);
            self.column = 0;
        }
    }

    fn write_indent(&mut self) {
        let indent = usize::try_from(self.indent.max(0)).unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        self.out.push_str(indicator);
        self.column += indicator.chars().count();
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn write_plain(&mut self, s: &str, allow_breaks: bool) {
        if !s.is_empty() && !self.whitespace {
            self.put(' ');
        }
        // Fast path: nothing to fold (no space, or the line cannot pass the width).
        if s.is_ascii()
            && (!allow_breaks || !s.contains(' ') || self.column + s.len() <= BEST_WIDTH)
        {
            self.out.push_str(s);
            self.column += s.len();
            if !s.is_empty() {
                self.whitespace = false;
            }
            self.indention = false;
            return;
        }
        let mut spaces = false;
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && chars.peek() != Some(&' ')
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                self.indention = false;
                spaces = false;
            }
        }
        if !s.is_empty() {
            self.whitespace = false;
        }
        self.indention = false;
    }

    fn write_single_quoted(&mut self, s: &str, allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let mut spaces = false;
        let mut breaks = false;
        let mut chars = s.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let next = chars.peek().map(|(_, n)| *n);
            if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && next.is_some()
                    && next != Some(' ')
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double_quoted(&mut self, s: &str, allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        let mut spaces = false;
        let mut chars = s.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let next = chars.peek().map(|(_, n)| *n);
            if !is_printable(c) || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                match c {
                    '\0' => self.put('0'),
                    '\u{7}' => self.put('a'),
                    '\u{8}' => self.put('b'),
                    '\t' => self.put('t'),
                    '\n' => self.put('n'),
                    '\u{b}' => self.put('v'),
                    '\u{c}' => self.put('f'),
                    '\r' => self.put('r'),
                    '\u{1b}' => self.put('e'),
                    '"' => self.put('"'),
                    '\\' => self.put('\\'),
                    '\u{85}' => self.put('N'),
                    '\u{a0}' => self.put('_'),
                    '\u{2028}' => self.put('L'),
                    '\u{2029}' => self.put('P'),
                    _ => {
                        let v = u32::from(c);
                        let (letter, width) = if v <= 0xFF {
                            ('x', 2)
                        } else if v <= 0xFFFF {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.put(letter);
                        for k in (0..width).rev() {
                            let digit = (v >> (k * 4)) & 0xF;
                            self.put(
                                char::from_digit(digit, 16)
                                    .unwrap_or('0')
                                    .to_ascii_uppercase(),
                            );
                        }
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i > 0 && next.is_some() {
                    self.write_indent();
                    if next == Some(' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_literal(&mut self, s: &str) {
        self.write_indicator("|", true, false, false);
        let first = s.chars().next();
        if first.is_some_and(|c| c == ' ' || is_break(c)) {
            self.write_indicator("2", false, false, false);
        }
        let mut tail = s.chars().rev();
        let chomp = match (tail.next(), tail.next()) {
            (None, _) => Some("-"),
            (Some(last), _) if !is_break(last) => Some("-"),
            (Some(_), None) => Some("+"),
            (Some(_), Some(before)) if is_break(before) => Some("+"),
            _ => None,
        };
        if let Some(chomp) = chomp {
            self.write_indicator(chomp, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for c in s.chars() {
            if is_break(c) {
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
    }
}

/// Whether a document could have held `s` as a plain scalar: libyaml would write it plain and
/// go-yaml v3 reads that plain text back as this string. A string for which this is false was
/// quoted or a block scalar wherever it was read from a file.
pub(crate) fn could_be_plain(s: &str) -> bool {
    let analysis = analyze(s);
    !s.is_empty()
        && analysis.block_plain_allowed
        && !analysis.multiline
        && matches!(
            super::scalar::resolve_plain(s),
            super::scalar::Resolved::Str
        )
}

/// What libyaml's `analyze_scalar` finds out about a string.
#[derive(Debug, Clone, Copy)]
#[allow(clippy::struct_excessive_bools)] // libyaml's own flags, kept as they are there
struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn analyze(s: &str) -> Analysis {
    // Fast path for the common case (names, labels, images, paths): characters that can never
    // be indicators or whitespace, and no leading '-'.
    if !s.is_empty()
        && !s.starts_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'-'))
        && !s.starts_with("...")
    {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: true,
        };
    }
    if s.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let mut line_breaks = false;
    let mut special_characters = false;
    let mut leading_space = false;
    let mut leading_break = false;
    let mut trailing_space = false;
    let mut trailing_break = false;
    let mut break_space = false;
    let mut space_break = false;
    let mut preceded_by_whitespace = true;
    let mut previous_space = false;
    let mut previous_break = false;

    let mut chars = s.chars().peekable();
    let mut first = true;
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        let followed_by_whitespace = next.is_none_or(|n| n == ' ' || n == '\t');
        let last = next.is_none();
        if first {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => {
                    block_indicators = true;
                }
                '?' | ':' | '-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => block_indicators = true,
                '#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        // go-yaml v2 (unlike v3) has no separate tab rule: a tab is simply not printable, so
        // any string holding one is double-quoted, even a multi-line one.
        if !is_printable(c) {
            special_characters = true;
        }
        if c == ' ' {
            if first {
                leading_space = true;
            }
            if last {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            if first {
                leading_break = true;
            }
            if last {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = c == ' ' || c == '\t' || is_break(c) || c == '\0';
        first = false;
    }

    let mut analysis = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        analysis.block_plain_allowed = false;
    }
    if trailing_space {
        analysis.block_allowed = false;
    }
    if break_space {
        analysis.block_plain_allowed = false;
        analysis.single_quoted_allowed = false;
    }
    if space_break || special_characters {
        analysis.block_plain_allowed = false;
        analysis.single_quoted_allowed = false;
    }
    if space_break || special_characters {
        analysis.block_allowed = false;
    }
    if line_breaks || block_indicators {
        analysis.block_plain_allowed = false;
    }
    analysis
}

/// libyaml's `is_printable` (which leaves out tab, CR, NEL, BOM and everything beyond the BMP).
fn is_printable(c: char) -> bool {
    matches!(c, '\n' | ' '..='~' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        && c != '\u{FEFF}'
}

/// libyaml's `is_break`.
fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

#[cfg(test)]
mod tests {
    use crate::json;

    use super::*;

    #[test]
    fn layout_as_kustomize_prints_it() {
        let object = json!({
            "kind": "ConfigMap",
            "apiVersion": "v1",
            "metadata": {"name": "a", "labels": {}},
            "data": {"b": "yes", "a": "line1\nline2\n", "c": ""},
            "list": [1, {"x": 1, "y": [true, null]}, [], ["nested"]],
        });
        assert_eq!(
            emit_value(&object),
            "apiVersion: v1\ndata:\n  a: |\n    line1\n    line2\n  b: \"yes\"\n  c: \"\"\nkind: ConfigMap\nlist:\n- 1\n- x: 1\n  \"y\":\n  - true\n  - null\n- []\n- - nested\nmetadata:\n  labels: {}\n  name: a\n"
        );
    }

    #[test]
    fn documents_are_separated() {
        assert_eq!(
            emit_documents(&[json!({"a": 1}), json!({"b": 2})]),
            "a: 1\n---\nb: 2\n"
        );
    }
}
