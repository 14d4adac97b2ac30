//! A read-only [`Filesystem`] over a git tree — a commit's tree or the index — read with gix,
//! so any directory can be built at any revision without a checkout.

use std::collections::{BTreeSet, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use gix::bstr::ByteSlice;

use super::{clean_path, ContentId, Filesystem};

/// Why a git tree could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GitFsError {
    /// The repository could not be opened.
    #[error("cannot open git repository at {}", path.display())]
    Open {
        /// The directory given.
        path: PathBuf,
        /// What gix reported.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The revision does not name a commit or tree.
    #[error("cannot resolve revision '{revision}' (give a commit, branch, tag or expression like HEAD~1)")]
    Revision {
        /// The revision asked for.
        revision: String,
        /// What gix reported.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The tree or the index could not be read.
    #[error("cannot read the git {what}")]
    Read {
        /// `tree` or `index`.
        what: &'static str,
        /// What gix reported.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

#[derive(Debug, Clone, Copy)]
struct Blob {
    id: gix::ObjectId,
    symlink: bool,
}

/// The files of one git tree, presented under a mount path (usually the repository's work tree
/// directory, so error messages show the paths users know).
///
/// Blobs are read lazily from the object database (and kept once read); only the listing is
/// loaded up front.
#[derive(Debug)]
pub struct GitTreeFs {
    repo: gix::ThreadSafeRepository,
    // Hashed, not ordered: ordering paths compares them component by component, which made
    // path lookups the largest cost of `check` over a revision.
    files: HashMap<PathBuf, Blob>,
    /// Every directory, with the names of its entries (sorted bytewise).
    dirs: HashMap<PathBuf, BTreeSet<String>>,
    /// Whether any entry is a symbolic link; without one, resolving a path is a lookup.
    symlinks: bool,
    /// Blobs already inflated: every overlay and cluster kustomization reads its bases again,
    /// and inflating loose objects was a tenth of `check`'s instructions.
    blobs: Mutex<HashMap<gix::ObjectId, Arc<[u8]>>>,
}

/// How many symbolic links one path may traverse before we call it a loop.
const MAX_SYMLINK_HOPS: usize = 40;

impl GitTreeFs {
    /// The tree of `revision` (anything `git rev-parse` understands) in the repository at or
    /// above `repo_dir`, mounted at `mount`.
    pub fn at_revision(repo_dir: &Path, revision: &str, mount: &Path) -> Result<Self, GitFsError> {
        let repo = open(repo_dir)?;
        let local = repo.to_thread_local();
        let revision_error =
            |source: Box<dyn std::error::Error + Send + Sync>| GitFsError::Revision {
                revision: revision.to_owned(),
                source,
            };
        let tree = local
            .rev_parse_single(revision)
            .map_err(|e| revision_error(Box::new(e)))?
            .object()
            .map_err(|e| revision_error(Box::new(e)))?
            .peel_to_tree()
            .map_err(|e| revision_error(Box::new(e)))?;
        let entries = tree
            .traverse()
            .breadthfirst
            .files()
            .map_err(|e| GitFsError::Read {
                what: "tree",
                source: Box::new(e),
            })?;
        let mut fs = Self::empty(repo.clone(), mount);
        for entry in entries {
            let path = mount.join(entry.filepath.to_str_lossy().as_ref());
            if entry.mode.is_tree() {
                fs.add_dir(&path);
            } else if entry.mode.is_blob_or_symlink() {
                fs.add_file(
                    path,
                    Blob {
                        id: entry.oid,
                        symlink: entry.mode.is_link(),
                    },
                );
            }
        }
        Ok(fs)
    }

    /// The staged content (the index) of the repository at or above `repo_dir`, mounted at `mount`.
    pub fn from_index(repo_dir: &Path, mount: &Path) -> Result<Self, GitFsError> {
        let repo = open(repo_dir)?;
        let index = repo
            .to_thread_local()
            .index_or_empty()
            .map_err(|e| GitFsError::Read {
                what: "index",
                source: Box::new(e),
            })?;
        let mut fs = Self::empty(repo.clone(), mount);
        for entry in index.entries() {
            let path = mount.join(entry.path(&index).to_str_lossy().as_ref());
            let symlink = entry.mode == gix::index::entry::Mode::SYMLINK;
            if entry.mode == gix::index::entry::Mode::FILE
                || entry.mode == gix::index::entry::Mode::FILE_EXECUTABLE
                || symlink
            {
                fs.add_file(
                    path,
                    Blob {
                        id: entry.id,
                        symlink,
                    },
                );
            }
        }
        Ok(fs)
    }

    fn empty(repo: gix::ThreadSafeRepository, mount: &Path) -> Self {
        let mut fs = Self {
            repo,
            files: HashMap::new(),
            dirs: HashMap::new(),
            symlinks: false,
            blobs: Mutex::new(HashMap::new()),
        };
        fs.add_dir(mount);
        fs
    }

    fn add_dir(&mut self, path: &Path) {
        let mut path = path.to_path_buf();
        loop {
            if self.dirs.contains_key(&path) {
                break;
            }
            self.dirs.insert(path.clone(), BTreeSet::new());
            let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
                break;
            };
            if !path.pop() {
                break;
            }
            self.add_entry(&path, name);
        }
    }

    fn add_file(&mut self, path: PathBuf, blob: Blob) {
        if let (Some(parent), Some(name)) = (path.parent(), path.file_name()) {
            let name = name.to_string_lossy().into_owned();
            let parent = parent.to_path_buf();
            self.add_dir(&parent);
            self.add_entry(&parent, name);
        }
        self.symlinks |= blob.symlink;
        self.files.insert(path, blob);
    }

    /// Record `name` as an entry of the directory `dir` (which exists, or is created).
    fn add_entry(&mut self, dir: &Path, name: String) {
        if !self.dirs.contains_key(dir) {
            self.add_dir(dir);
        }
        if let Some(entries) = self.dirs.get_mut(dir) {
            entries.insert(name);
        }
    }

    fn read_blob(&self, blob: Blob) -> io::Result<Vec<u8>> {
        // A poisoned lock only means another reader panicked; the cache itself is intact.
        let cached = self
            .blobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&blob.id)
            .cloned();
        if let Some(data) = cached {
            return Ok(data.to_vec());
        }
        let repo = self.repo.to_thread_local();
        let object = repo.find_object(blob.id).map_err(io::Error::other)?;
        let data: Arc<[u8]> = Arc::from(object.data.as_slice());
        self.blobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(blob.id, Arc::clone(&data));
        Ok(data.to_vec())
    }

    /// Follow symbolic links in every component of `path`.
    fn resolve(&self, path: &Path) -> io::Result<PathBuf> {
        if !self.symlinks {
            let clean = clean_path(path);
            return if self.files.contains_key(&clean) || self.dirs.contains_key(&clean) {
                Ok(clean)
            } else {
                Err(not_found(path))
            };
        }
        let mut hops = 0;
        let mut resolved = PathBuf::new();
        let mut pending: Vec<_> = clean_path(path)
            .components()
            .map(|c| c.as_os_str().to_owned())
            .collect();
        pending.reverse();
        while let Some(component) = pending.pop() {
            resolved.push(&component);
            let Some(blob) = self.files.get(&resolved).copied().filter(|b| b.symlink) else {
                continue;
            };
            hops += 1;
            if hops > MAX_SYMLINK_HOPS {
                return Err(io::Error::other(format!(
                    "{}: too many levels of symbolic links",
                    path.display()
                )));
            }
            let target = String::from_utf8_lossy(&self.read_blob(blob)?).into_owned();
            resolved.pop();
            let rest: Vec<_> = Path::new(&target)
                .components()
                .map(|c| c.as_os_str().to_owned())
                .collect();
            if Path::new(&target).is_absolute() {
                resolved = PathBuf::new();
            }
            pending.extend(rest.into_iter().rev());
        }
        let resolved = clean_path(&resolved);
        if self.files.contains_key(&resolved) || self.dirs.contains_key(&resolved) {
            Ok(resolved)
        } else {
            Err(not_found(path))
        }
    }
}

fn open(repo_dir: &Path) -> Result<gix::ThreadSafeRepository, GitFsError> {
    gix::ThreadSafeRepository::discover(repo_dir).map_err(|e| GitFsError::Open {
        path: repo_dir.to_path_buf(),
        source: Box::new(e),
    })
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{}: no such file or directory", path.display()),
    )
}

impl Filesystem for GitTreeFs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let real = self.resolve(path)?;
        match self.files.get(&real) {
            Some(blob) => self.read_blob(*blob),
            None => Err(io::Error::other(format!(
                "{} is a directory",
                path.display()
            ))),
        }
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        let real = self.resolve(path)?;
        match self.dirs.get(&real) {
            Some(entries) => Ok(entries.iter().cloned().collect()),
            None => Err(io::Error::other(format!(
                "{} is not a directory",
                path.display()
            ))),
        }
    }

    fn is_dir(&self, path: &Path) -> bool {
        self.resolve(path)
            .is_ok_and(|real| self.dirs.contains_key(&real))
    }

    fn exists(&self, path: &Path) -> bool {
        self.resolve(path).is_ok()
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        self.resolve(path)
    }

    fn content_id(&self, path: &Path) -> Option<ContentId> {
        let blob = self.files.get(&self.resolve(path).ok()?)?;
        match blob.id {
            gix::ObjectId::Sha1(bytes) => Some(ContentId::GitSha1(bytes)),
            // Other object formats (SHA-256 repositories) fall back to comparing content.
            _ => None,
        }
    }
}
