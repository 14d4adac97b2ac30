//! The exit-code taxonomy shared by every subcommand.

use std::process::ExitCode;

/// What a finished command reports to the shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Everything checked out (exit 0).
    Success,
    /// The command ran and found problems: violations, build failures (exit 1).
    Findings,
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> Self {
        match status {
            Status::Success => ExitCode::SUCCESS,
            Status::Findings => ExitCode::from(1),
        }
    }
}

/// Print an error that stopped the command before it could do its job (bad usage or unreadable
/// input) and return exit status 2.
pub(crate) fn report_usage_error(error: &anyhow::Error) -> ExitCode {
    report_error(error);
    ExitCode::from(2)
}

/// Print `error: <message>: <cause>: ...` to stderr.
pub(crate) fn report_error(error: &anyhow::Error) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "error: {error:#}");
}
