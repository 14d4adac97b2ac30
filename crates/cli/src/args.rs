//! Top-level argument definitions; each subcommand owns its own `Args` in `commands/`.

use clap::{Parser, Subcommand};

use crate::commands;

/// Keep GitOps clusters from getting stuck.
#[derive(Debug, Parser)]
#[command(name = "unstuck", version, about, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// List every built-in immutable-field rule.
    Rules(commands::rules::Args),
    /// Compare two sets of objects and report changes the API server would reject.
    CheckObjects(commands::check_objects::Args),
    /// Build a kustomization directory offline, like `kubectl kustomize DIR`.
    Build(commands::build::Args),
    /// Build every kustomization directory under a path and report each one that fails.
    Validate(commands::validate::Args),
    /// Compare two revisions of a repository and report the changes the API server would refuse.
    Check(commands::check::Args),
    /// Turn each change `check` refuses into ordered, commit-ready migration steps.
    Plan(commands::plan::Args),
    /// Draw the Flux dependency graph: Kustomizations and Helm releases, their sources, the order.
    Graph(commands::graph::Args),
    /// Classify Flux/Helm reconciliation error messages.
    Classify(commands::classify::Args),
    /// Explain every Flux object that is not Ready, read from the cluster or piped from kubectl.
    Triage(commands::triage::Args),
    /// Recover a cluster that is already stuck: status, then guarded writes that print their
    /// exact requests and change nothing without --yes.
    #[cfg(feature = "cluster")]
    Rescue(commands::rescue::Args),
}
