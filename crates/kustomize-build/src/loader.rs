//! Reading files relative to a kustomization root, under kustomize's load restrictions.

use std::path::{Path, PathBuf};

use crate::error::{BuildError, Result};
use crate::fs::{clean_path, Filesystem};

/// Which files a kustomization may read (kustomize's `--load-restrictor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LoadRestrictions {
    /// Files must be in or below the kustomization's own directory (kustomize's default).
    #[default]
    RootOnly,
    /// Any file may be read (what Flux's kustomize-controller uses).
    None,
}

/// Reads files for one kustomization directory.
#[derive(Clone, Copy)]
pub struct Loader<'fs> {
    fs: &'fs dyn Filesystem,
    root: &'fs Path,
    restrictions: LoadRestrictions,
}

impl std::fmt::Debug for Loader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loader")
            .field("root", &self.root)
            .field("restrictions", &self.restrictions)
            .finish_non_exhaustive()
    }
}

impl<'fs> Loader<'fs> {
    /// A loader for the kustomization in `root` (an absolute, cleaned path).
    pub fn new(fs: &'fs dyn Filesystem, root: &'fs Path, restrictions: LoadRestrictions) -> Self {
        Self {
            fs,
            root,
            restrictions,
        }
    }

    /// The filesystem underneath.
    pub fn fs(&self) -> &'fs dyn Filesystem {
        self.fs
    }

    /// The kustomization directory.
    pub fn root(&self) -> &'fs Path {
        self.root
    }

    /// The restrictions in force.
    pub fn restrictions(&self) -> LoadRestrictions {
        self.restrictions
    }

    /// `relative` resolved against the root (absolute paths are kept), cleaned.
    pub fn resolve(&self, relative: &str) -> PathBuf {
        clean_path(&self.root.join(relative))
    }

    /// Read a file named relative to the root, enforcing the load restrictions.
    pub fn read(&self, relative: &str) -> Result<Vec<u8>> {
        let path = self.resolve(relative);
        self.check_allowed(&path)?;
        self.fs
            .read(&path)
            .map_err(|source| BuildError::Io { path, source })
    }

    /// Read a YAML text file named relative to the root: UTF-8, or UTF-16 with a byte order
    /// mark, the encodings go-yaml detects (Windows PowerShell writes UTF-16 by default).
    pub fn read_to_string(&self, relative: &str) -> Result<String> {
        let bytes = self.read(relative)?;
        let utf16 = match bytes.as_slice() {
            [0xFF, 0xFE, rest @ ..] => Some((rest, u16::from_le_bytes as fn([u8; 2]) -> u16)),
            [0xFE, 0xFF, rest @ ..] => Some((rest, u16::from_be_bytes as fn([u8; 2]) -> u16)),
            _ => None,
        };
        if let Some((rest, unit)) = utf16 {
            let units = rest.chunks(2).map(|pair| match *pair {
                [a, b] => unit([a, b]),
                // An odd trailing byte cannot be text; let the decoder report it.
                _ => 0xD800,
            });
            return char::decode_utf16(units)
                .collect::<std::result::Result<String, _>>()
                .map_err(|_| {
                    BuildError::Other(format!(
                        "{}: file is not valid UTF-16",
                        self.resolve(relative).display()
                    ))
                });
        }
        String::from_utf8(bytes).map_err(|_| {
            BuildError::Other(format!(
                "{}: file is not valid UTF-8",
                self.resolve(relative).display()
            ))
        })
    }

    /// Fail with [`BuildError::OutsideRoot`] when `path` (after resolving symlinks) may not be read.
    pub fn check_allowed(&self, path: &Path) -> Result<()> {
        if self.restrictions == LoadRestrictions::None {
            return Ok(());
        }
        let real = self
            .fs
            .canonicalize(path)
            .unwrap_or_else(|_| path.to_path_buf());
        let real_root = self
            .fs
            .canonicalize(self.root)
            .unwrap_or_else(|_| self.root.to_path_buf());
        if real.starts_with(&real_root) {
            Ok(())
        } else {
            Err(BuildError::OutsideRoot {
                path: path.to_path_buf(),
                root: self.root.to_path_buf(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::MemFs;

    #[test]
    fn root_only_refuses_files_above_the_root() {
        let mut fs = MemFs::new();
        fs.add_file("/repo/app/a.yaml", "x")
            .add_file("/repo/secret.env", "y");
        let root = Path::new("/repo/app");
        let loader = Loader::new(&fs, root, LoadRestrictions::RootOnly);
        assert_eq!(loader.read("a.yaml").unwrap(), b"x");
        assert!(matches!(
            loader.read("../secret.env"),
            Err(BuildError::OutsideRoot { .. })
        ));
        let open = Loader::new(&fs, root, LoadRestrictions::None);
        assert_eq!(open.read("../secret.env").unwrap(), b"y");
    }

    #[test]
    fn utf16_text_with_a_byte_order_mark_is_decoded() {
        let text = "kind: ConfigMap # é\n";
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        let mut fs = MemFs::new();
        fs.add_file("/r/le.yaml", le)
            .add_file("/r/be.yaml", be)
            .add_file("/r/odd.yaml", vec![0xFF, 0xFE, b'a'])
            .add_file("/r/latin1.yaml", vec![b'a', 0xE9]);
        let loader = Loader::new(&fs, Path::new("/r"), LoadRestrictions::RootOnly);
        assert_eq!(loader.read_to_string("le.yaml").unwrap(), text);
        assert_eq!(loader.read_to_string("be.yaml").unwrap(), text);
        assert!(loader.read_to_string("odd.yaml").is_err());
        assert!(loader.read_to_string("latin1.yaml").is_err());
    }
}
