//! The `unstuck` command line as a library, so the binary and the pre-commit hook binary at the
//! repository root run the same code. It is the frontend only: parse arguments, call the
//! libraries (`gitops-repo` for `check` and `validate`, `immutable-rules`, `kustomize-build`,
//! `recovery-patterns`), print. Its one public function is not a stable API; embed those
//! libraries instead.

pub mod allocator;
mod args;
mod commands;
mod exit;
mod report;

use std::process::ExitCode;

use clap::Parser;

/// Run `unstuck` with the process's arguments and return its exit status: 0 when there is
/// nothing to report, 1 when there are findings, 2 on usage errors and unreadable input.
#[must_use]
pub fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::dispatch(cli.command) {
        Ok(status) => status.into(),
        Err(error) => exit::report_usage_error(&error),
    }
}
