//! The JSON format. Its keys are a stable interface (docs/validate-and-check.md lists them):
//!
//! - `validate`: `{"results": [{"path", "ok", "error", "problems": [{"severity", "rule",
//!   "kind", "namespace", "name", "field", "message", "source": {"file", "line"}}]}],
//!   "warnings": [...]}`;
//! - `check`: `{"violations": [{"severity", "rule", "group", "kind", "namespace", "name",
//!   "field", "old", "new", "source": {"file", "line"}, "dirs", "reason", "api_error",
//!   "remediations"}], "build_failures": [{"path", "error", "introduced"}], "warnings": [...],
//!   "impact": [...], "problems": [{"path", "severity", "rule", "kind", "namespace", "name",
//!   "field", "message", "source"}], "accepted": [...]}` (the schema problems the change
//!   introduces; the findings an acceptance covers, each a violation's keys and
//!   `"acceptance": {"reason", "source"}`);
//! - each warning: `{"rule", "path", "message", "help", "source"}`.
//!
//! Directories are relative to PATH, source files to the compared tree (the repository root or
//! `--head-dir`). New keys may be added; these are not renamed or removed.

use std::io::{self, Write};

use super::{Outcome, Report};

/// Write the report as pretty-printed JSON and a newline: the library's report as it
/// serializes.
pub(crate) fn write(out: &mut impl Write, report: &Report) -> io::Result<()> {
    match &report.outcome {
        Outcome::Validate(validation) => serde_json::to_writer_pretty(&mut *out, validation)?,
        Outcome::Check(check) => serde_json::to_writer_pretty(&mut *out, check)?,
    }
    writeln!(out)
}
