//! `unstuck graph [PATH]`: the Flux objects under PATH read by `gitops_repo::graph::graph`, and
//! the graph printed as Graphviz `dot`, Mermaid or JSON.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use gitops_repo::graph::{graph, to_dot, to_mermaid};
use gitops_repo::Snapshot;
use kustomize_build::fs::OsFs;

use super::repo::{files_on_disk, repository_root};
use crate::exit::Status;

/// How `graph` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum GraphFormat {
    /// Graphviz: `unstuck graph | dot -Tsvg > graph.svg`.
    Dot,
    /// A Mermaid flowchart, for Markdown.
    Mermaid,
    /// `{"nodes", "edges", "order", "problems"}`.
    Json,
}

/// Arguments of `unstuck graph`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The repository (or any directory) to read Flux objects from; `.gitignore` is honoured.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    format: GraphFormat,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Status> {
    let root = std::path::absolute(&args.path)
        .with_context(|| format!("cannot resolve {}", args.path.display()))?;
    anyhow::ensure!(root.is_dir(), "{} is not a directory", root.display());
    let repo_root = repository_root(&root).unwrap_or_else(|| root.clone());
    let snapshot =
        Snapshot::new("now", Box::new(OsFs), &root, &repo_root).with_files(files_on_disk(&root)?);
    let graph = graph(&snapshot);
    let mut stdout = anstream::stdout().lock();
    match args.format {
        GraphFormat::Dot => stdout.write_all(to_dot(&graph).as_bytes())?,
        GraphFormat::Mermaid => stdout.write_all(to_mermaid(&graph).as_bytes())?,
        GraphFormat::Json => {
            serde_json::to_writer_pretty(&mut stdout, &graph)?;
            writeln!(stdout)?;
        }
    }
    Ok(if graph.problems.is_empty() {
        Status::Success
    } else {
        Status::Findings
    })
}
