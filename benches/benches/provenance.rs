//! Tracing a built value to the line that wrote it (`kustomize_build::provenance`) on the
//! synthetic repository of `build.rs` (40 applications, read from disk through `OsFs`).
//!
//! `tracer_new` is the one build with origins recorded; `locate_*` trace one field, which
//! costs one build per kustomization entry that may write it: in an application's overlay, and
//! through a cluster kustomization that builds all 40 overlays (the worst case `unstuck check`
//! meets: a finding reported for a cluster directory).

use std::path::PathBuf;
use std::sync::OnceLock;

use kustomize_build::fs::OsFs;
use kustomize_build::provenance::{Query, Tracer};
use kustomize_build::{BuildOptions, ResId};

fn main() {
    divan::main();
}

struct Repo {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

fn repo() -> &'static Repo {
    static REPO: OnceLock<Repo> = OnceLock::new();
    REPO.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let root = std::fs::canonicalize(dir.path()).expect("the directory exists");
        unstuck_benches::synthetic::write_repo(&root, 40).expect("the repository is written");
        Repo { _dir: dir, root }
    })
}

fn deployment() -> ResId {
    ResId {
        group: "apps".to_owned(),
        version: "v1".to_owned(),
        kind: "Deployment".to_owned(),
        namespace: "prod".to_owned(),
        name: "prod-app000".to_owned(),
    }
}

fn tracer(dir: &str) -> Tracer<'static> {
    Tracer::new(&OsFs, &repo().root.join(dir), &BuildOptions::new()).expect("the directory builds")
}

/// Trace three fields: a selector label from the base's `labels`, the image from the overlay's
/// `images`, and the memory limit from the overlay's patch.
fn locate_three(tracer: &Tracer<'_>) -> usize {
    let id = deployment();
    [
        "spec.selector.matchLabels.app.kubernetes.io/name",
        "spec.template.spec.containers[0].image",
        "spec.template.spec.containers[0].resources.limits.memory",
    ]
    .iter()
    .filter_map(|field| tracer.locate(&Query::new(&id, field)))
    .count()
}

#[divan::bench(sample_count = 10)]
fn tracer_new_overlay() -> Tracer<'static> {
    tracer("apps/app000/prod")
}

#[divan::bench(sample_count = 10)]
fn locate_three_fields_in_an_overlay(bencher: divan::Bencher<'_, '_>) {
    let tracer = tracer("apps/app000/prod");
    assert_eq!(locate_three(&tracer), 3, "every field is traced");
    bencher.bench_local(|| locate_three(&tracer));
}

#[divan::bench(sample_count = 5)]
fn locate_three_fields_through_a_cluster(bencher: divan::Bencher<'_, '_>) {
    let tracer = tracer("clusters/prod");
    assert_eq!(locate_three(&tracer), 3, "every field is traced");
    bencher.bench_local(|| locate_three(&tracer));
}
