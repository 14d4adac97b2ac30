//! One module per subcommand: its arguments and its `run`.

pub(crate) mod build;
pub(crate) mod check;
pub(crate) mod check_objects;
pub(crate) mod classify;
pub(crate) mod graph;
pub(crate) mod plan;
mod progress;
mod repo;
#[cfg(feature = "cluster")]
pub(crate) mod rescue;
pub(crate) mod rules;
mod schema;
pub(crate) mod triage;
mod units;
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
        Command::Plan(args) => plan::run(&args),
        Command::Graph(args) => graph::run(&args),
        Command::Validate(args) => validate::run(&args),
        Command::Classify(args) => classify::run(&args),
        Command::Triage(args) => triage::run(&args),
        #[cfg(feature = "cluster")]
        Command::Rescue(args) => rescue::run(&args),
    }
}
