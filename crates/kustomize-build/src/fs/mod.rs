//! The `Filesystem` seam: every byte the builder reads comes through this trait.
//!
//! Two implementations ship with the crate: [`OsFs`] (the real disk, behind the default `os`
//! feature), [`MemFs`] (an in-memory tree for tests and for embedding) and, behind the `git`
//! feature, `GitTreeFs` (a commit's tree or the index, read with gix). [`RecordingFs`] wraps any
//! of them to record what a build asked, so it can tell whether another tree would build the same.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Component, Path, PathBuf};

#[cfg(feature = "git")]
mod git;
#[cfg(feature = "git")]
#[cfg_attr(docsrs, doc(cfg(feature = "git")))]
pub use git::{GitFsError, GitTreeFs};

pub(crate) mod recording;
pub use recording::{RecordingFs, Trace};

/// Read-only access to a tree of files.
///
/// Paths handed to the trait are absolute and already cleaned of `.` and `..` by the caller
/// (see [`clean_path`]); implementations resolve symbolic links themselves in
/// [`Filesystem::canonicalize`].
pub trait Filesystem: Send + Sync {
    /// The whole content of a regular file.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// The names (not paths) of the entries of a directory, sorted bytewise.
    fn read_dir(&self, path: &Path) -> io::Result<Vec<String>>;
    /// Whether `path` exists and is a directory.
    fn is_dir(&self, path: &Path) -> bool;
    /// Whether `path` exists (file or directory).
    fn exists(&self, path: &Path) -> bool;
    /// The absolute path with every symbolic link resolved; errors when the path does not exist.
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf>;
    /// An identity of the file's content that the tree knows without reading it (a git blob id),
    /// or `None` (the default) when it has none. Equal identities of the same kind mean equal
    /// content; see [`Trace::replays_on`].
    fn content_id(&self, path: &Path) -> Option<ContentId> {
        let _ = path;
        None
    }
}

/// An identity of a file's content, from [`Filesystem::content_id`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContentId {
    /// A git blob id (SHA-1 object format).
    GitSha1([u8; 20]),
}

impl ContentId {
    /// Whether two identities come from the same scheme, so comparing them compares content.
    pub fn same_kind(&self, other: &Self) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

impl<F: Filesystem + ?Sized> Filesystem for &F {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        (**self).read(path)
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        (**self).read_dir(path)
    }
    fn is_dir(&self, path: &Path) -> bool {
        (**self).is_dir(path)
    }
    fn exists(&self, path: &Path) -> bool {
        (**self).exists(path)
    }
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        (**self).canonicalize(path)
    }
    fn content_id(&self, path: &Path) -> Option<ContentId> {
        (**self).content_id(path)
    }
}

/// Remove `.` and resolve `..` lexically, without touching any filesystem.
///
/// ```
/// use std::path::Path;
/// use kustomize_build::fs::clean_path;
/// assert_eq!(clean_path(Path::new("/a/./b/../c")), Path::new("/a/c"));
/// ```
pub fn clean_path(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                // `/..` is `/`, as in Go's `filepath.Clean`.
                Some(Component::RootDir | Component::Prefix(_)) => {}
                // Nothing, or only `..`s, to go up from: a relative path keeps them all.
                _ => out.push(".."),
            },
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The real filesystem.
#[cfg(feature = "os")]
#[cfg_attr(docsrs, doc(cfg(feature = "os")))]
#[derive(Debug, Clone, Copy, Default)]
pub struct OsFs;

#[cfg(feature = "os")]
impl Filesystem for OsFs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        let mut names = std::fs::read_dir(path)?
            .map(|entry| entry.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<io::Result<Vec<_>>>()?;
        names.sort();
        Ok(names)
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        std::fs::canonicalize(path)
    }
}

/// An in-memory tree of files. Directories exist implicitly as parents of files, or explicitly
/// through [`MemFs::add_dir`].
///
/// ```
/// use std::path::Path;
/// use kustomize_build::fs::{Filesystem, MemFs};
/// let mut fs = MemFs::new();
/// fs.add_file("/app/kustomization.yaml", "resources: [cm.yaml]\n");
/// assert!(fs.is_dir(Path::new("/app")));
/// assert_eq!(fs.read_dir(Path::new("/app"))?, vec!["kustomization.yaml"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemFs {
    files: BTreeMap<PathBuf, Vec<u8>>,
    dirs: BTreeSet<PathBuf>,
}

impl MemFs {
    /// An empty tree (holding only `/`).
    pub fn new() -> Self {
        let mut fs = Self::default();
        fs.dirs.insert(PathBuf::from("/"));
        fs
    }

    /// Add (or replace) a file, creating its parent directories. Relative paths are taken from `/`.
    pub fn add_file(&mut self, path: impl AsRef<Path>, content: impl Into<Vec<u8>>) -> &mut Self {
        let path = Self::absolute(path.as_ref());
        if let Some(parent) = path.parent() {
            self.add_dir(parent);
        }
        self.files.insert(path, content.into());
        self
    }

    /// Add an (empty) directory and its parents.
    pub fn add_dir(&mut self, path: impl AsRef<Path>) -> &mut Self {
        let mut path = Self::absolute(path.as_ref());
        loop {
            self.dirs.insert(path.clone());
            if !path.pop() {
                break;
            }
        }
        self
    }

    fn absolute(path: &Path) -> PathBuf {
        clean_path(&Path::new("/").join(path))
    }
}

impl Filesystem for MemFs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let path = Self::absolute(path);
        if self.dirs.contains(&path) {
            return Err(io::Error::other(format!(
                "{} is a directory",
                path.display()
            )));
        }
        self.files
            .get(&path)
            .cloned()
            .ok_or_else(|| not_found(&path))
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        let path = Self::absolute(path);
        if !self.dirs.contains(&path) {
            return Err(not_found(&path));
        }
        let children = self
            .files
            .keys()
            .chain(self.dirs.iter())
            .filter(|p| p.parent() == Some(path.as_path()) && **p != path)
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
        let mut names: Vec<String> = children.collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    fn is_dir(&self, path: &Path) -> bool {
        self.dirs.contains(&Self::absolute(path))
    }

    fn exists(&self, path: &Path) -> bool {
        let path = Self::absolute(path);
        self.dirs.contains(&path) || self.files.contains_key(&path)
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        let path = Self::absolute(path);
        if self.exists(&path) {
            Ok(path)
        } else {
            Err(not_found(&path))
        }
    }
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{}: no such file or directory", path.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mem_fs_lists_files_and_implicit_dirs() {
        let mut fs = MemFs::new();
        fs.add_file("/a/b/c.yaml", "x").add_file("/a/d.yaml", "y");
        assert_eq!(fs.read_dir(Path::new("/a")).unwrap(), vec!["b", "d.yaml"]);
        assert!(fs.is_dir(Path::new("/a/b")));
        assert!(!fs.is_dir(Path::new("/a/d.yaml")));
        assert_eq!(fs.read(Path::new("/a/b/../d.yaml")).unwrap(), b"y");
        assert_eq!(
            fs.read(Path::new("/nope")).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
    }

    #[test]
    fn clean_path_keeps_leading_parent_dirs_of_relative_paths() {
        assert_eq!(clean_path(Path::new("../a/../b")), Path::new("../b"));
        assert_eq!(
            clean_path(Path::new("../../apps/x/prod/../base")),
            Path::new("../../apps/x/base")
        );
        assert_eq!(clean_path(Path::new("/../a")), Path::new("/a"));
    }
}
