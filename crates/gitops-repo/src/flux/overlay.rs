//! A filesystem that shows one extra (or replaced) file over another: how the builder sees the
//! kustomization Flux writes into `spec.path` without writing anything to the repository.

use std::io;
use std::path::{Path, PathBuf};

use kustomize_build::fs::Filesystem;

/// `base`, with `path` holding `content`.
pub(crate) struct OverlayFs<'a> {
    base: &'a dyn Filesystem,
    path: PathBuf,
    content: Vec<u8>,
}

impl<'a> OverlayFs<'a> {
    /// `path` must be absolute, clean and canonical (its directory resolved through `base`).
    pub(crate) fn new(base: &'a dyn Filesystem, path: PathBuf, content: Vec<u8>) -> Self {
        Self {
            base,
            path,
            content,
        }
    }
}

impl Filesystem for OverlayFs<'_> {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        if path == self.path {
            Ok(self.content.clone())
        } else {
            self.base.read(path)
        }
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        let mut names = self.base.read_dir(path)?;
        if self.path.parent() == Some(path) {
            if let Some(name) = self.path.file_name() {
                let name = name.to_string_lossy().into_owned();
                if let Err(at) = names.binary_search(&name) {
                    names.insert(at, name);
                }
            }
        }
        Ok(names)
    }

    fn is_dir(&self, path: &Path) -> bool {
        path != self.path && self.base.is_dir(path)
    }

    fn exists(&self, path: &Path) -> bool {
        path == self.path || self.base.exists(path)
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        if path == self.path {
            Ok(self.path.clone())
        } else {
            self.base.canonicalize(path)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kustomize_build::fs::MemFs;

    #[test]
    fn shows_the_extra_file_in_its_directory() {
        let mut base = MemFs::new();
        base.add_file("/d/b.yaml", "b");
        let fs = OverlayFs::new(&base, PathBuf::from("/d/a.yaml"), b"a".to_vec());
        assert_eq!(fs.read_dir(Path::new("/d")).unwrap(), ["a.yaml", "b.yaml"]);
        assert_eq!(fs.read(Path::new("/d/a.yaml")).unwrap(), b"a");
        assert_eq!(fs.read(Path::new("/d/b.yaml")).unwrap(), b"b");
        assert!(fs.exists(Path::new("/d/a.yaml")));
        assert!(!fs.is_dir(Path::new("/d/a.yaml")));
    }
}
