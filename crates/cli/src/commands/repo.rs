//! What `validate` and `check` share: listing the files of a tree on disk (honouring
//! `.gitignore`), finding the repository, and naming paths relative to it.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use gitops_repo::discover::relative_name;

/// Every file under `root`, skipping hidden entries and what `.gitignore` (and git's other
/// exclude files) ignore, sorted.
pub(crate) fn files_on_disk(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in ignore::WalkBuilder::new(root)
        .hidden(true)
        .require_git(false)
        .build()
    {
        let entry = entry.with_context(|| format!("cannot walk {}", root.display()))?;
        if entry.file_type().is_some_and(|t| t.is_file()) {
            files.push(entry.into_path());
        }
    }
    files.sort();
    Ok(files)
}

/// The number of build threads: `--jobs`, or one per CPU.
pub(crate) fn jobs(requested: Option<usize>) -> usize {
    requested
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .max(1)
}

/// The work tree root above `dir`: the first ancestor holding `.git` (a directory, or the file
/// of a linked worktree).
pub(crate) fn repository_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// `path` relative to the repository holding it, as a prefix for report paths: `""` at the
/// repository root (or outside any repository), else `apps/` and so on.
pub(crate) fn repo_prefix(path: &Path) -> String {
    match repository_root(path) {
        Some(root) if root != path => format!("{}/", relative_name(&root, path)),
        _ => String::new(),
    }
}
