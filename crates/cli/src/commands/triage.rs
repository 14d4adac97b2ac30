//! `unstuck triage` (being implemented).

use crate::exit::Status;

/// Arguments of `unstuck triage`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

pub(crate) fn run(_args: &Args) -> anyhow::Result<Status> {
    anyhow::bail!("`triage` is not implemented yet")
}
