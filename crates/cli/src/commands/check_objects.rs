//! `unstuck check-objects` (being implemented).

use crate::exit::Status;

/// Arguments of `unstuck check-objects`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

pub(crate) fn run(_args: &Args) -> anyhow::Result<Status> {
    anyhow::bail!("`check-objects` is not implemented yet")
}
