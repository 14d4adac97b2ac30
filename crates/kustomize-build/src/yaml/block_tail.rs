//! Block scalars (`|`, `>`) that run to the end of their input, as go-yaml reads them.
//!
//! YAML 1.2 parsers such as yaml-rust2 act as if the input ended with a line break; go-yaml v3
//! (libyaml's `yaml_parser_scan_block_scalar`) does not. Where a block scalar is still open at
//! the end of a file (or of a piece kyaml cut at `---`), the two read different values:
//!
//! - a last content line without a line break has no break in go-yaml's value, whatever the
//!   chomping: `k: |\n  a` reads as `"a"`, not `"a\n"` (also `|+`, `>`, `>+`);
//! - a last line of spaces only, as deep as the content or deeper, ends the value without
//!   adding a break (`|+\n  a\n  ` reads as `"a\n"`), and its spaces past the indentation are
//!   content (`|\n  a\n    ` reads as `"a\n  "`);
//! - a block with no content line at all reads as `""` with `|` and `>`, and as one line break
//!   per empty line after the header with `|+` and `>+` (none when there is none).
//!
//! Established with `kubectl kustomize` (the `block-scalars-at-end-of-file` build fixture and the `block_scalar_eof_*` YAML fixtures).

/// go-yaml's value for the block scalar whose event yaml-rust2 reported, with `value`, at byte
/// `start` of `body` (the text one parser read: a whole file, or one piece of it).
pub(super) fn go_value(body: &str, start: usize, value: String) -> String {
    let rest = &body[start..];
    if rest.starts_with(['|', '>']) {
        // yaml-rust2 reports a block scalar at its header only when no content line follows
        // before the end of the input.
        return without_content(rest, value);
    }
    if ends_in_open_line(body, start) && value.ends_with('\n') {
        // yaml-rust2 added the line break the input does not have.
        let mut value = value;
        value.pop();
        return value;
    }
    value
}

/// The value of a block scalar with no content line: `header_and_rest` starts at its `|`/`>`
/// and runs to the end of the input.
fn without_content(header_and_rest: &str, value: String) -> String {
    let Some(header_end) = header_and_rest.find('\n') else {
        // The header is the last line: both parsers read an empty value.
        return value;
    };
    let indicators = header_and_rest[1..header_end]
        .split([' ', '\t', '#'])
        .next()
        .unwrap_or_default();
    if indicators.contains('+') {
        "\n".repeat(header_and_rest[header_end + 1..].matches('\n').count())
    } else {
        String::new()
    }
}

/// Whether the block scalar whose first content character is at byte `start` of `body` is
/// still open at the end of `body`, and `body` ends in a line without a break that the scalar
/// reads up to its indentation: content, or spaces at least as deep as the content.
fn ends_in_open_line(body: &str, start: usize) -> bool {
    if body.ends_with('\n') {
        return false;
    }
    let line_start = body[..start].rfind('\n').map_or(0, |at| at + 1);
    let indent = start - line_start;
    let mut lines = body[line_start..].split('\n');
    let last = lines.next_back().unwrap_or_default();
    // Every line from the first content line on must belong to the scalar.
    let belongs = |line: &str| line.bytes().all(|b| b == b' ') || leading_spaces(line) >= indent;
    lines.all(belongs) && leading_spaces(last) >= indent.max(1)
}

fn leading_spaces(line: &str) -> usize {
    line.bytes().take_while(|b| *b == b' ').count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// go-yaml's value for a scalar whose first content character is the first `a`.
    fn read(body: &str, value: &str) -> String {
        go_value(body, body.find('a').unwrap(), value.to_owned())
    }

    #[test]
    fn a_last_line_without_a_break_adds_none() {
        assert_eq!(read("  a", "a\n"), "a");
        assert_eq!(read("  a\n  ", "a\n\n"), "a\n");
        assert_eq!(read("  a\n", "a\n"), "a\n");
        // A shallower whitespace line is not read; yaml-rust2 adds nothing then either.
        assert_eq!(read("    a\n  ", "a\n"), "a\n");
    }

    #[test]
    fn a_scalar_that_ended_earlier_is_left_alone() {
        assert_eq!(read("k: |\n    a\n  j: |\n    b", "a\n"), "a\n");
    }

    #[test]
    fn an_empty_block_reads_as_its_empty_lines_when_kept_only() {
        assert_eq!(go_value("|\n", 0, "\n".into()), "");
        assert_eq!(go_value("|+\n", 0, "\n".into()), "");
        assert_eq!(go_value("|+ # c\n\n  \n", 0, "\n\n".into()), "\n\n");
        assert_eq!(go_value(">-\n", 0, String::new()), "");
        assert_eq!(go_value("|", 0, String::new()), "");
    }
}
