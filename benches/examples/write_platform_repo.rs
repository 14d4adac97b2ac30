//! Write the platform-shaped synthetic repository (`unstuck_benches::platform`), so that
//! `kubectl kustomize`, `unstuck build`, `unstuck validate` and `unstuck check` can be timed on
//! the same directories (`scripts/bench-platform`).
//!
//! Usage: `cargo run -p unstuck-benches --example write_platform_repo -- DIR [APPS]`; prints the
//! kustomization directories, one per line.

use std::io::Write as _;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "platform-repo".to_owned());
    let apps = args.next().and_then(|a| a.parse().ok()).unwrap_or(60);
    let dirs = unstuck_benches::platform::write_repo(std::path::Path::new(&dir), apps)?;
    let mut out = std::io::stdout().lock();
    for dir in dirs {
        writeln!(out, "{}", dir.display())?;
    }
    Ok(())
}
