//! Running the built `unstuck` binary from tests.

use std::path::Path;
use std::process::{Command, Output};

/// Run `unstuck` with `args` in `dir`, with a clean environment.
pub(crate) fn unstuck_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_unstuck"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("NO_COLOR", "1")
        .output()
        .expect("the unstuck binary runs")
}

/// Run `unstuck` with `args` in the workspace root.
pub(crate) fn unstuck(args: &[&str]) -> Output {
    unstuck_in(&workspace_root(), args)
}

/// The workspace root, where `examples/` lives.
pub(crate) fn workspace_root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Stdout as text.
pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Stderr as text.
pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Snapshot settings that replace the crate version (it changes with every release).
pub(crate) fn version_filtered() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    let version = env!("CARGO_PKG_VERSION").replace('.', r"\.");
    settings.add_filter(&format!("\"{version}\""), "\"[VERSION]\"");
    settings
}
