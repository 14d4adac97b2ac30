//! `unstuck build` (being implemented).

use crate::exit::Status;

/// Arguments of `unstuck build`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

pub(crate) fn run(_args: &Args) -> anyhow::Result<Status> {
    anyhow::bail!("`build` is not implemented yet")
}
