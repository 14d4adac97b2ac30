//! `unstuck classify` (being implemented).

use crate::exit::Status;

/// Arguments of `unstuck classify`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

pub(crate) fn run(_args: &Args) -> anyhow::Result<Status> {
    anyhow::bail!("`classify` is not implemented yet")
}
