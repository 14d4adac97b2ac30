//! How kustomize cuts a resource file into documents before go-yaml sees it, and the places
//! where go-yaml's scanner and yaml-rust2's disagree about tabs.
//!
//! kyaml's `ByteReader` does not let the YAML parser find document boundaries: it replaces
//! every `\r\n` by `\n`, cuts the text at each line that starts with `---` (anything after the
//! dashes must be blank or a comment, else the file is refused), and decodes only the *first*
//! document of each piece with a fresh decoder. So a document after a `...` end marker without
//! its own `---` line is never read, a byte order mark at the start of any piece is dropped,
//! and a `%YAML`/`%TAG` directive can never reach the `---` it needs.

/// One piece of a file between `---` lines, as kyaml hands it to a fresh go-yaml decoder.
pub(super) struct Piece<'a> {
    /// The text, with the line break kyaml adds back to every piece but the last.
    pub(super) text: &'a str,
    /// How many lines of the file come before the piece.
    pub(super) lines_before: usize,
}

/// A `---` line with something other than blanks or a comment after the dashes.
pub(super) struct BadSeparator {
    /// The separator line, trimmed.
    pub(super) line_text: String,
    /// Its 1-based line number.
    pub(super) line: usize,
}

/// Cuts `text` (line breaks already `\n`) as kyaml's `splitDocuments` does: at every match of
/// the regular expression `\n---.*\n`, searched left to right without overlap.
pub(super) fn split_pieces(text: &str) -> Result<Vec<Piece<'_>>, BadSeparator> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut search = 0;
    let mut lines_before = 0;
    while let Some(found) = text[search..].find("\n---") {
        let at = search + found;
        let Some(line_end) = text[at + 1..].find('\n').map(|i| at + 1 + i) else {
            break;
        };
        let after_dashes = text[at + 4..line_end].trim();
        if !after_dashes.is_empty() && !after_dashes.starts_with('#') {
            return Err(BadSeparator {
                line_text: text[at + 1..line_end].trim().to_owned(),
                line: lines_before + text[start..=at].matches('\n').count() + 1,
            });
        }
        pieces.push(Piece {
            // Up to and with the line break before `---`: the piece ends its last line.
            text: &text[start..=at],
            lines_before,
        });
        lines_before += text[start..=line_end].matches('\n').count();
        start = line_end + 1;
        search = start;
    }
    pieces.push(Piece {
        text: &text[start..],
        lines_before,
    });
    Ok(pieces)
}

/// The 1-based line of a `%` directive that starts a piece, if any: go-yaml then looks for the
/// `---` the directive needs, which kyaml has already cut away.
pub(super) fn leading_directive(piece: &str) -> Option<(usize, &str)> {
    for (index, line) in piece.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        return line
            .starts_with('%')
            .then_some((index + 1, line.trim_end()));
    }
    None
}

/// Tabs after a mapping's `:` are separation whitespace for go-yaml (after a simple key it
/// skips tabs like spaces) but an error for yaml-rust2. Given the byte offset yaml-rust2
/// reported (the first character after the tabs), returns the text with those tabs turned into
/// spaces, or `None` when the tabs do not follow a `:`.
pub(super) fn tabs_after_colon_as_spaces(text: &str, error_at: usize) -> Option<String> {
    let head = text.get(..error_at)?;
    let tabs = head.len() - head.trim_end_matches([' ', '\t']).len();
    let before = head.trim_end_matches([' ', '\t']);
    if tabs == 0 || !before.ends_with(':') || !head[before.len()..].contains('\t') {
        return None;
    }
    let mut fixed = String::with_capacity(text.len());
    fixed.push_str(before);
    fixed.extend(
        head[before.len()..]
            .chars()
            .map(|c| if c == '\t' { ' ' } else { c }),
    );
    fixed.push_str(&text[error_at..]);
    Some(fixed)
}

/// go-yaml's check on a block scalar's indentation (`yaml_parser_scan_block_scalar_breaks`)
/// for a scalar without an explicit indentation indicator: while the indentation is still
/// being detected (blank leading lines and the first content line) a tab right after the
/// leading spaces is an error, and afterwards so is a tab before the content column. yaml-rust2
/// takes such tabs as content. `content_at` is the byte offset yaml-rust2 gives the scalar
/// (where its content starts); returns the byte offset of the offending line.
pub(super) fn tab_in_block_indentation(text: &str, content_at: usize) -> Option<usize> {
    let content_at = content_at.min(text.len());
    let line_start = text[..content_at].rfind('\n').map_or(0, |i| i + 1);
    let header_end = if text[line_start..content_at].trim().is_empty() {
        // Walk up over blank lines to the header line (`key: |`).
        let mut end = line_start.checked_sub(1)?;
        loop {
            let previous_start = text[..end].rfind('\n').map_or(0, |i| i + 1);
            if previous_start > 0 && text[previous_start..end].trim().is_empty() {
                end = previous_start - 1;
            } else {
                break end;
            }
        }
    } else {
        text[content_at..].find('\n')? + content_at
    };
    let header_start = text[..header_end].rfind('\n').map_or(0, |i| i + 1);
    let header = text[header_start..header_end]
        .split(" #")
        .next()
        .unwrap_or("")
        .trim_end();
    let indicator = header.rsplit([' ', '\t', ':', '-']).next().unwrap_or("");
    if indicator.chars().any(|c| c.is_ascii_digit()) {
        // An explicit indentation indicator: go-yaml measures it from the parent's indentation,
        // which is not known here. Such scalars are rare; leave them to the parser.
        return None;
    }
    let mut line_at = header_end + 1;
    let mut lines = text[header_end + 1..].split('\n').map(|line| {
        let at = line_at;
        line_at += line.len() + 1;
        (at, line)
    });
    let mut max_indent = 0;
    // Blank leading lines and the first content line: any tab after the spaces is an error.
    let mut indent = loop {
        let (offset, line) = lines.next()?;
        let spaces = line.len() - line.trim_start_matches(' ').len();
        let rest = &line[spaces..];
        if rest.starts_with('\t') {
            return Some(offset);
        }
        max_indent = max_indent.max(spaces);
        if !rest.is_empty() && rest != "\r" {
            break max_indent;
        }
    };
    indent = indent.max(1);
    for (offset, line) in lines {
        let spaces = line.len() - line.trim_start_matches(' ').len();
        let rest = &line[spaces..];
        if spaces < indent {
            if rest.starts_with('\t') {
                return Some(offset);
            }
            if !rest.is_empty() {
                // A less indented line ends the scalar.
                return None;
            }
        }
    }
    None
}

/// go-yaml refuses a tab between a block sequence's `-` and the entry on the same line (after
/// `-` it does not skip tabs: "found character that cannot start any token"); yaml-rust2 reads
/// it. `node_at` is the byte offset of a node yaml-rust2 reported; true when the text before it
/// on its line is only dashes and blanks, with a tab after the last dash.
pub(super) fn tab_after_sequence_dash(text: &str, node_at: usize) -> bool {
    let node_at = node_at.min(text.len());
    let line_start = text[..node_at].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..node_at];
    let Some(last_dash) = before.rfind('-') else {
        return false;
    };
    before[last_dash + 1..].contains('\t')
        && before[last_dash + 1..]
            .chars()
            .all(|c| c == ' ' || c == '\t')
        && before[..last_dash]
            .chars()
            .all(|c| c == ' ' || c == '\t' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<String> {
        split_pieces(text)
            .ok()
            .unwrap()
            .into_iter()
            .map(|p| p.text.to_owned())
            .collect()
    }

    #[test]
    fn pieces_are_cut_at_dash_lines_with_blanks_or_comments_after_them() {
        assert_eq!(texts("a: 1\n---\nb: 2\n"), ["a: 1\n", "b: 2\n"]);
        assert_eq!(texts("a: 1\n--- # x\nb: 2"), ["a: 1\n", "b: 2"]);
        assert_eq!(
            texts("---\na: 1\n---   \nb: 2\n"),
            ["---\na: 1\n", "b: 2\n"]
        );
        // The match consumes the line break before the next `---`, which stays in the piece.
        assert_eq!(texts("a\n---\n---\nb\n"), ["a\n", "---\nb\n"]);
        // A final `---` without a line break after it is not a separator.
        assert_eq!(texts("a\n---"), ["a\n---"]);
    }

    #[test]
    fn pieces_know_their_first_line() {
        let pieces = split_pieces("a\nb\n---\nc\n--- #\n\nd\n").ok().unwrap();
        let before: Vec<usize> = pieces.iter().map(|p| p.lines_before).collect();
        assert_eq!(before, [0, 3, 5]);
    }

    #[test]
    fn other_text_after_the_dashes_is_refused() {
        let err = split_pieces("a: 1\n\n---x\nb: 2\n").err().unwrap();
        assert_eq!((err.line_text.as_str(), err.line), ("---x", 3));
        assert!(split_pieces("a\n----\nb\n").is_err());
    }

    #[test]
    fn directives_are_found_after_comments() {
        assert_eq!(
            leading_directive("# c\n%YAML 1.1\n"),
            Some((2, "%YAML 1.1"))
        );
        assert_eq!(leading_directive("a: '%x'\n"), None);
    }

    #[test]
    fn tabs_after_a_colon_become_spaces() {
        let text = "a:\tb\n";
        assert_eq!(
            tabs_after_colon_as_spaces(text, 3).as_deref(),
            Some("a: b\n")
        );
        assert_eq!(tabs_after_colon_as_spaces("a-\tb", 3), None);
        assert_eq!(tabs_after_colon_as_spaces("a:  b", 4), None);
    }

    #[test]
    fn tabs_where_go_yaml_expects_indentation_are_found() {
        // yaml-rust2 places a block scalar where its content starts: here after the last
        // run of spaces that follows the header line.
        let at = |text: &str| {
            let header_end = text.find('\n').unwrap();
            let content = text[header_end..]
                .find(|c: char| !c.is_whitespace())
                .unwrap();
            tab_in_block_indentation(text, header_end + content)
        };
        assert_eq!(at("a: |\n    \tx\n"), Some(5));
        assert_eq!(at("a: |\n\n    \tx\n"), Some(6));
        assert_eq!(at("a: |\n  \t\n    x\n"), Some(5));
        assert_eq!(at("a: |\n    x\n    \ty\n"), None);
        assert_eq!(at("a: |\n    x\n\t\n    y\n"), Some(11));
        assert_eq!(at("a: |\n    x\nb: \t1\n"), None);
        assert_eq!(at("a: |2\n    \tx\n"), None);
        assert_eq!(at("a: >- # c\n    \tx\n"), Some(10));
    }

    #[test]
    fn tabs_after_a_sequence_dash_are_found() {
        let at = |text: &str| tab_after_sequence_dash(text, text.rfind('x').unwrap());
        assert!(at("a:\n-\tx\n"));
        assert!(at("a:\n  - \tx: 1\n"));
        assert!(at("- - \tx\n"));
        assert!(!at("a:\n- x\n"));
        assert!(!at("a:\tx\n"));
        assert!(!at("a: [b,\tx]\n"));
        assert!(!at("k-\tx\n"));
    }
}
