//! GitHub Actions workflow commands: one `::error file=…,line=…,title=…::message` line per
//! diagnostic (`::warning`, `::notice` for the milder ones), which GitHub shows as annotations
//! on the pull request, then the summary as plain text.
//!
//! GitHub reads `%`, carriage return and newline as escapes in the message, and also `:` and
//! `,` in the properties, so those are percent-encoded.

use std::io::{self, Write};

use super::diagnostic::diagnostics;
use super::{plural, Report};

/// Write one workflow command per diagnostic and a summary line.
pub(crate) fn write(out: &mut impl Write, report: &Report) -> io::Result<()> {
    let diagnostics = diagnostics(report);
    for d in &diagnostics {
        writeln!(
            out,
            "::{} file={},line={},title={}::{}",
            d.level.github(),
            escape_property(&d.file),
            d.line,
            escape_property(&d.title),
            escape_data(&d.message)
        )?;
    }
    let failing = diagnostics
        .iter()
        .filter(|d| d.level == super::diagnostic::Level::Error)
        .count();
    writeln!(
        out,
        "unstuck: {}, {} in total",
        plural(failing, "error", "errors"),
        plural(diagnostics.len(), "annotation", "annotations")
    )
}

/// Escape a command's message.
pub(crate) fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a command property's value.
pub(crate) fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_escapes_percent_and_line_breaks_only() {
        assert_eq!(
            escape_data("100% of a,b: x\r\ny"),
            "100%25 of a,b: x%0D%0Ay"
        );
    }

    #[test]
    fn properties_also_escape_colon_and_comma() {
        assert_eq!(
            escape_property("deployment-selector: Deployment.apps a/b spec.selector, 50%\n"),
            "deployment-selector%3A Deployment.apps a/b spec.selector%2C 50%25%0A"
        );
    }

    #[test]
    fn escaping_percent_first_keeps_escapes_unambiguous() {
        // A literal `%0A` must not turn into a newline when GitHub unescapes.
        assert_eq!(escape_data("%0A"), "%250A");
        assert_eq!(escape_property("%3A"), "%253A");
    }
}
