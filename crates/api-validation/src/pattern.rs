//! A CRD's `pattern` is a Go `regexp` (RE2 syntax), matched unanchored
//! (kube-openapi `pkg/validation/validate/values.go`, `Pattern`). The `regex` crate speaks
//! nearly the same language, also with linear-time matching and also without lookaround or
//! backreferences; this module bridges what differs:
//!
//! - Go's Perl classes `\d \w \s` and boundaries `\b \B` are ASCII-only, the crate's are
//!   Unicode: they are rewritten to their ASCII forms;
//! - Go reads a `{` that does not start a repetition (`a{`, `{x}`) as a literal, the crate
//!   refuses it: it is escaped;
//! - Go's `\Q…\E` literal span is rewritten to escaped characters.
//!
//! A pattern the crate still cannot compile is left unchecked (never reported).

use regex::Regex;

/// A compiled `pattern`, keeping the text the API server's message quotes.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    pub(crate) source: String,
    /// `None` when the pattern could not be compiled here; it is then not checked.
    pub(crate) regex: Option<Regex>,
}

impl Pattern {
    pub(crate) fn new(source: &str) -> Pattern {
        let regex = regex::RegexBuilder::new(&translate(source))
            .size_limit(1 << 24)
            .build()
            .ok();
        Pattern {
            source: source.to_owned(),
            regex,
        }
    }

    /// Whether `text` matches; `true` for a pattern that could not be compiled.
    pub(crate) fn accepts(&self, text: &str) -> bool {
        self.regex.as_ref().is_none_or(|regex| regex.is_match(text))
    }
}

/// Rewrites the parts of Go's syntax the `regex` crate reads differently.
pub(crate) fn translate(go: &str) -> String {
    let chars: Vec<char> = go.chars().collect();
    let mut out = String::with_capacity(go.len() + 8);
    let mut in_class = false;
    // Position right after a class's `[` or `[^`, where a `]` is a literal.
    let mut class_start = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at_class_start = class_start;
        class_start = false;
        match c {
            '\\' if i + 1 < chars.len() => {
                let next = chars[i + 1];
                i += 2;
                if next == 'Q' {
                    while i < chars.len() && !(chars[i] == '\\' && chars.get(i + 1) == Some(&'E')) {
                        out.push_str(&regex::escape(&chars[i].to_string()));
                        i += 1;
                    }
                    i += 2;
                    continue;
                }
                if matches!(next, 'p' | 'P') && chars.get(i) == Some(&'{') {
                    // A Unicode class `\p{Greek}`: copy it whole.
                    let end = chars[i..]
                        .iter()
                        .position(|&c| c == '}')
                        .map_or(chars.len(), |p| i + p + 1);
                    out.push('\\');
                    out.push(next);
                    out.extend(&chars[i..end]);
                    i = end;
                    continue;
                }
                out.push_str(&ascii_escape(next, in_class));
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                class_start = true;
            }
            '[' if chars.get(i + 1) == Some(&':') => {
                // A POSIX class `[:alpha:]` inside a bracket: copy it whole.
                let end = (i + 2..chars.len().saturating_sub(1))
                    .find(|&j| chars[j] == ':' && chars[j + 1] == ']');
                if let Some(end) = end {
                    out.extend(&chars[i..=end + 1]);
                    i = end + 2;
                    continue;
                }
                out.push_str("\\[");
            }
            '[' => out.push_str("\\["),
            ']' if in_class && at_class_start => out.push_str("\\]"),
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '{' if !in_class && !starts_repetition(&chars[i..]) => out.push_str("\\{"),
            '}' if !in_class && !closes_repetition(&chars[..=i]) => out.push_str("\\}"),
            other => out.push(other),
        }
        i += 1;
    }
    out
}

/// The ASCII meaning Go gives an escape (`\d` is `[0-9]` in Go, any Unicode digit in the
/// crate); other escapes are kept.
fn ascii_escape(escape: char, in_class: bool) -> String {
    let class = match escape {
        'd' => "[:digit:]",
        'D' => "[:^digit:]",
        'w' => "[:word:]",
        'W' => "[:^word:]",
        's' => "\\t\\n\\x0C\\r ",
        'S' if !in_class => "^\\t\\n\\x0C\\r ",
        _ => return format!("\\{escape}"),
    };
    if in_class {
        class.to_owned()
    } else if let Some(negated) = class.strip_prefix('^') {
        format!("[^{negated}]")
    } else {
        format!("[{class}]")
    }
}

/// Whether `text` (starting at `{`) is a repetition `{n}`, `{n,}` or `{n,m}`.
fn starts_repetition(text: &[char]) -> bool {
    let mut i = 1;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < text.len() && text[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > start
    };
    if !digits(&mut i) {
        return false;
    }
    if text.get(i) == Some(&',') {
        i += 1;
        digits(&mut i);
    }
    text.get(i) == Some(&'}')
}

/// Whether the `}` ending `text` closes a repetition.
fn closes_repetition(text: &[char]) -> bool {
    let before = &text[..text.len() - 1];
    before
        .iter()
        .rposition(|&c| c == '{')
        .is_some_and(|open| !before[open + 1..].contains(&'}') && starts_repetition(&text[open..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perl_classes_are_ascii_as_in_go() {
        let digits = Pattern::new(r"^\d+$");
        assert!(digits.accepts("123"));
        // U+0663 ARABIC-INDIC DIGIT THREE: a digit to the crate's Unicode \d, not to Go's.
        assert!(!digits.accepts("\u{663}"));
        let word = Pattern::new(r"^[\w.-]+$");
        assert!(word.accepts("a_b.c-d"));
        assert!(!word.accepts("é"));
        assert!(Pattern::new(r"^\S+$").accepts("abc"));
        assert!(!Pattern::new(r"^\S+$").accepts("a b"));
    }

    #[test]
    fn literal_braces_and_quoted_spans_read_as_go_reads_them() {
        assert!(Pattern::new(r"^\$\{[A-Z]+}$").accepts("${VAR}"));
        assert!(Pattern::new(r"^a{2}$").accepts("aa"));
        assert!(Pattern::new(r"^{x}$").accepts("{x}"));
        assert!(Pattern::new(r"^\Qa.b\E$").accepts("a.b"));
        assert!(!Pattern::new(r"^\Qa.b\E$").accepts("axb"));
        assert!(Pattern::new(r"^[]a]+$").accepts("]a"));
        assert!(Pattern::new(r"^[[:alpha:]]+$").accepts("abc"));
    }

    #[test]
    fn matching_is_unanchored_unless_the_pattern_anchors() {
        assert!(Pattern::new("b").accepts("abc"));
        assert!(!Pattern::new("^b").accepts("abc"));
    }

    #[test]
    fn what_cannot_compile_is_not_checked() {
        // Lookahead: neither Go nor the crate has it (the API server refuses such a CRD).
        let lookahead = Pattern::new("^(?=a)");
        assert!(lookahead.regex.is_none());
        assert!(lookahead.accepts("anything"));
    }
}

/// Every `pattern` of the CRDs in `../shared/conformance/real` compiles here.
#[cfg(test)]
mod real_patterns {
    use serde_json::Value;

    use crate::real_corpus;

    #[test]
    fn every_pattern_of_the_real_corpus_compiles() {
        let yaml =
            |path: &std::path::Path| path.extension().is_some_and(|e| e == "yaml" || e == "yml");
        let Some(documents) = real_corpus::documents("", yaml) else {
            return;
        };
        let crds: Vec<Value> = documents
            .into_iter()
            .filter(|d| d.get("kind").and_then(Value::as_str) == Some("CustomResourceDefinition"))
            .collect();
        let found = real_corpus::strings_in(&crds, |map| match map.get("pattern") {
            Some(Value::String(pattern)) => vec![pattern.clone()],
            _ => Vec::new(),
        });
        let failing: Vec<&String> = found
            .iter()
            .filter(|p| super::Pattern::new(p).regex.is_none())
            .collect();
        assert!(found.len() > 20, "{} patterns", found.len());
        assert_eq!(
            failing,
            Vec::<&String>::new(),
            "of {} patterns",
            found.len()
        );
    }
}
