//! A filesystem that shows one file with different content: how provenance builds a
//! kustomization with one of its entries taken out, without touching the tree.

use std::io;
use std::path::{Path, PathBuf};

use crate::fs::Filesystem;

/// `inner`, except that `path` reads as `content` (and exists, when it is a file `inner` lacks,
/// as the kustomization Flux generates for a directory without one).
pub(crate) struct OverlayFs<'a> {
    pub(crate) inner: &'a dyn Filesystem,
    pub(crate) path: PathBuf,
    pub(crate) content: Vec<u8>,
}

impl Filesystem for OverlayFs<'_> {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        if path == self.path {
            Ok(self.content.clone())
        } else {
            self.inner.read(path)
        }
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        let mut names = self.inner.read_dir(path)?;
        if self.path.parent() == Some(path) {
            if let Some(name) = self.path.file_name().and_then(|n| n.to_str()) {
                if !names.iter().any(|n| n == name) {
                    names.push(name.to_owned());
                    names.sort();
                }
            }
        }
        Ok(names)
    }

    fn is_dir(&self, path: &Path) -> bool {
        self.inner.is_dir(path)
    }

    fn exists(&self, path: &Path) -> bool {
        path == self.path || self.inner.exists(path)
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        if path == self.path && !self.inner.exists(path) {
            return Ok(path.to_path_buf());
        }
        self.inner.canonicalize(path)
    }
}
