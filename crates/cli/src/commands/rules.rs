//! `unstuck rules` (being implemented).

use crate::exit::Status;

/// Arguments of `unstuck rules`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

pub(crate) fn run(_args: &Args) -> anyhow::Result<Status> {
    anyhow::bail!("`rules` is not implemented yet")
}
