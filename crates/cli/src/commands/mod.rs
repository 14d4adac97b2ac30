//! One module per subcommand: its arguments and its `run`.

pub(crate) mod build;
pub(crate) mod check;
pub(crate) mod check_objects;
mod check_sources;
pub(crate) mod classify;
mod locate;
mod progress;
mod repo;
pub(crate) mod rules;
mod schema;
mod tree;
pub(crate) mod triage;
pub(crate) mod validate;

use crate::args::Command;
use crate::exit::Status;

/// Run the chosen subcommand.
pub(crate) fn dispatch(command: Command) -> anyhow::Result<Status> {
    match command {
        Command::Rules(args) => rules::run(&args),
        Command::CheckObjects(args) => check_objects::run(&args),
        Command::Build(args) => build::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Validate(args) => validate::run(&args),
        Command::Classify(args) => classify::run(&args),
        Command::Triage(args) => triage::run(&args),
    }
}
