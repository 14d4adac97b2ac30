//! A repository as it is at one moment — a git revision, the index, the work tree, or any
//! directory — read through kustomize-build's [`Filesystem`] seam.

use std::path::{Path, PathBuf};

use kustomize_build::fs::{clean_path, Filesystem};

/// One version of a repository: what to read, and where in it to look for deploying units.
///
/// ```
/// use std::path::Path;
/// use gitops_repo::Snapshot;
/// use kustomize_build::fs::MemFs;
///
/// let mut fs = MemFs::new();
/// fs.add_file("/repo/apps/kustomization.yaml", "resources: []\n");
/// let snapshot = Snapshot::new("v1", Box::new(fs), Path::new("/repo/apps"), Path::new("/repo"));
/// assert_eq!(snapshot.label(), "v1");
/// assert_eq!(snapshot.root(), Path::new("/repo/apps"));
/// assert_eq!(snapshot.tree_root(), Path::new("/repo"));
/// ```
pub struct Snapshot {
    label: String,
    fs: Box<dyn Filesystem>,
    root: PathBuf,
    tree_root: PathBuf,
    files: Option<Vec<PathBuf>>,
    missing_root_is_empty: bool,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("label", &self.label)
            .field("root", &self.root)
            .field("tree_root", &self.tree_root)
            .finish_non_exhaustive()
    }
}

impl Snapshot {
    /// The tree `fs`, searched at `root` (absolute in `fs`); `tree_root` is the repository
    /// root, where Flux's `spec.path` starts and what source files are named relative to
    /// (`root` itself, or one of its ancestors). `label` names the version in reports
    /// (`HEAD~1`, `the index`, a directory).
    pub fn new(
        label: impl Into<String>,
        fs: Box<dyn Filesystem>,
        root: &Path,
        tree_root: &Path,
    ) -> Self {
        Self {
            label: label.into(),
            fs,
            root: clean_path(root),
            tree_root: clean_path(tree_root),
            files: None,
            missing_root_is_empty: false,
        }
    }

    /// A directory on disk, a repository of its own (`dir` must be absolute).
    pub fn directory(dir: &Path) -> Self {
        Self::new(
            dir.display().to_string(),
            Box::new(kustomize_build::fs::OsFs),
            dir,
            dir,
        )
    }

    /// The work tree of the repository at `repo` (absolute), searched at `root`.
    pub fn worktree(repo: &Path, root: &Path) -> Self {
        Self::new(
            "the work tree",
            Box::new(kustomize_build::fs::OsFs),
            root,
            repo,
        )
    }

    /// The repository at `repo` (absolute) at `revision` (anything `git rev-parse` takes),
    /// searched at `root`. A `root` the revision does not have holds no units.
    #[cfg(feature = "git")]
    #[cfg_attr(docsrs, doc(cfg(feature = "git")))]
    pub fn at_revision(
        repo: &Path,
        revision: &str,
        root: &Path,
    ) -> Result<Self, kustomize_build::fs::GitFsError> {
        let fs = kustomize_build::fs::GitTreeFs::at_revision(repo, revision, repo)?;
        let mut snapshot = Self::new(revision, Box::new(fs), root, repo);
        snapshot.missing_root_is_empty = true;
        Ok(snapshot)
    }

    /// The index of the repository at `repo` (what `git commit` would record), searched at
    /// `root`.
    #[cfg(feature = "git")]
    #[cfg_attr(docsrs, doc(cfg(feature = "git")))]
    pub fn index(repo: &Path, root: &Path) -> Result<Self, kustomize_build::fs::GitFsError> {
        let fs = kustomize_build::fs::GitTreeFs::from_index(repo, repo)?;
        let mut snapshot = Self::new("the index", Box::new(fs), root, repo);
        snapshot.missing_root_is_empty = true;
        Ok(snapshot)
    }

    /// Search only `files` (every file of the tree under the root, as a walker of the caller's
    /// choosing lists them, e.g. one honouring `.gitignore`) instead of walking the tree.
    #[must_use]
    pub fn with_files(mut self, files: Vec<PathBuf>) -> Self {
        // Named like the root, which is cleaned (`a/../b` is `b`).
        self.files = Some(files.into_iter().map(|file| clean_path(&file)).collect());
        self
    }

    /// How reports name this version.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The tree.
    pub fn fs(&self) -> &dyn Filesystem {
        self.fs.as_ref()
    }

    /// Where units are searched (unit names are relative to it).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The repository root (Flux's `spec.path` starts there; sources are named relative to it).
    pub fn tree_root(&self) -> &Path {
        &self.tree_root
    }

    /// The files given with [`Snapshot::with_files`].
    pub(crate) fn files(&self) -> Option<&[PathBuf]> {
        self.files.as_deref()
    }

    /// Whether a root missing from the tree means "nothing deployed here" rather than an error
    /// (a directory that does not exist at an older revision).
    pub(crate) fn missing_root_is_empty(&self) -> bool {
        self.missing_root_is_empty
    }
}
