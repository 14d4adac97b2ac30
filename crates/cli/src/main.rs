//! The `unstuck` command line: parse arguments, call the libraries, print.

mod args;
mod commands;
mod exit;
mod report;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::dispatch(cli.command) {
        Ok(status) => status.into(),
        Err(error) => exit::report_usage_error(&error),
    }
}
