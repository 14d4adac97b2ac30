//! Write the synthetic repository the builder benchmarks use, so that `kubectl kustomize` and
//! `unstuck build` can be timed on the same directories (`scripts/bench-builder`).
//!
//! Usage: `cargo run -p unstuck-benches --example write_synthetic_repo -- DIR [APPS]`; prints the
//! kustomization directories, one per line.

use std::io::Write as _;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "synthetic-repo".to_owned());
    let apps = args.next().and_then(|a| a.parse().ok()).unwrap_or(40);
    let dirs = unstuck_benches::synthetic::write_repo(std::path::Path::new(&dir), apps)?;
    let mut out = std::io::stdout().lock();
    for dir in dirs {
        writeln!(out, "{}", dir.display())?;
    }
    Ok(())
}
