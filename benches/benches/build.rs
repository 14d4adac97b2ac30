//! The offline builder on a synthetic GitOps repository (see `unstuck_benches::synthetic`):
//! 40 applications with a base and two overlays each, plus two cluster kustomizations, 122
//! kustomizations in all, read from disk through `OsFs`.
//!
//! `parse_inputs_only` reads and parses every YAML file of the repository without building:
//! the floor a builder cannot go below, for the ratio in `docs/PERFORMANCE.md`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kustomize_build::fs::OsFs;
use kustomize_build::{build, BuildOptions};

fn main() {
    divan::main();
}

struct Repo {
    _dir: tempfile::TempDir,
    kustomizations: Vec<PathBuf>,
    yaml_files: Vec<PathBuf>,
}

fn repo() -> &'static Repo {
    static REPO: OnceLock<Repo> = OnceLock::new();
    REPO.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let root = std::fs::canonicalize(dir.path()).expect("the directory exists");
        let kustomizations =
            unstuck_benches::synthetic::write_repo(&root, 40).expect("the repository is written");
        let mut yaml_files = Vec::new();
        collect_yaml(&root, &mut yaml_files);
        Repo {
            _dir: dir,
            kustomizations,
            yaml_files,
        }
    })
}

fn collect_yaml(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            collect_yaml(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
}

/// Every kustomization of the repository, one build each (bases are rebuilt by each overlay,
/// as one `kubectl kustomize` per directory would).
#[divan::bench(sample_count = 10)]
fn build_every_kustomization() -> usize {
    let options = BuildOptions::new();
    repo()
        .kustomizations
        .iter()
        .map(|dir| {
            build(&OsFs, dir, &options)
                .expect("builds")
                .resources()
                .len()
        })
        .sum()
}

/// One overlay (a base, generators, patch, name references).
#[divan::bench]
fn build_one_overlay() -> usize {
    let dir = &repo().kustomizations[40];
    build(&OsFs, dir, &BuildOptions::new())
        .expect("builds")
        .resources()
        .len()
}

/// A whole environment: one cluster kustomization including 40 overlays.
#[divan::bench(sample_count = 10)]
fn build_one_cluster() -> usize {
    let dir = repo().kustomizations.last().expect("a cluster");
    build(&OsFs, dir, &BuildOptions::new())
        .expect("builds")
        .resources()
        .len()
}

/// Read and parse every YAML file of the repository once: the cost of the input alone.
#[divan::bench(sample_count = 10)]
fn parse_inputs_only() -> usize {
    repo()
        .yaml_files
        .iter()
        .map(|file| {
            let text = std::fs::read_to_string(file).expect("readable");
            kustomize_build::yaml::parse_documents(&text)
                .expect("valid YAML")
                .len()
        })
        .sum()
}
