//! What stops a repository from being read at all. Build failures of single units are not
//! errors: they are data in the [`crate::Report`].

use std::path::PathBuf;

/// Why a snapshot could not be rendered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The directory to search cannot be listed.
    #[error("cannot read {}: {source}; give a directory that exists in the tree", path.display())]
    Unreadable {
        /// The directory.
        path: PathBuf,
        /// What the filesystem said.
        source: std::io::Error,
    },
}
