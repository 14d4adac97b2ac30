//! A [`Filesystem`] wrapper that records every question asked of the tree and the answer it got.
//!
//! A build is a deterministic function of what its `Filesystem` answers: the same questions
//! answered the same way give the same output (or the same error). [`RecordingFs`] keeps those
//! questions and answers as a [`Trace`]; [`Trace::replays_on`] asks another tree — another git
//! revision, the work tree — the same questions. When every answer matches, the build over the
//! other tree would produce exactly what it produced here, so it need not run again.
//!
//! The trace also tells which files a build read ([`Trace::files_read`]), which is what tools that
//! point at the source of a value need.
//!
//! ```
//! use std::path::Path;
//! use kustomize_build::fs::{MemFs, RecordingFs};
//! use kustomize_build::{build, BuildOptions};
//!
//! let mut before = MemFs::new();
//! before.add_file("/app/kustomization.yaml", "resources: [cm.yaml]\n");
//! before.add_file("/app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n");
//! before.add_file("/other/notes.md", "unrelated\n");
//!
//! let recording = RecordingFs::new(&before);
//! let built = build(&recording, Path::new("/app"), &BuildOptions::new())?;
//! let trace = recording.into_trace();
//! assert_eq!(
//!     trace.files_read().collect::<Vec<_>>(),
//!     [Path::new("/app/cm.yaml"), Path::new("/app/kustomization.yaml")]
//! );
//!
//! // A change outside what the build read: the build would give the same result.
//! let mut after = before.clone();
//! after.add_file("/other/notes.md", "edited\n");
//! assert!(trace.replays_on(&after));
//!
//! // A change to an input: it must be built again.
//! after.add_file("/app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n");
//! assert!(!trace.replays_on(&after));
//! # let _ = built;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest as _, Sha256};

use super::{ContentId, Filesystem};

/// Wraps a [`Filesystem`], answering every call from it and recording the call and its answer.
///
/// The recording is shared by everything that uses this value; record one computation (one
/// build) per `RecordingFs` and take its [`Trace`] afterwards.
#[derive(Debug)]
pub struct RecordingFs<F> {
    inner: F,
    trace: Mutex<Trace>,
    /// Parts of the computation being recorded on their own as well (a nested kustomization's
    /// build, kept for reuse with what it asked), innermost last.
    scopes: Mutex<Vec<Trace>>,
}

impl<F: Filesystem> RecordingFs<F> {
    /// Start recording the calls made through `inner` (often a reference, `&fs`).
    pub fn new(inner: F) -> Self {
        Self {
            inner,
            trace: Mutex::new(Trace::default()),
            scopes: Mutex::new(Vec::new()),
        }
    }

    /// The wrapped filesystem.
    pub fn inner(&self) -> &F {
        &self.inner
    }

    /// A copy of what has been recorded so far.
    pub fn trace(&self) -> Trace {
        self.lock().clone()
    }

    /// Stop recording and keep what was recorded.
    pub fn into_trace(self) -> Trace {
        self.trace
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Trace> {
        // A poisoned lock means another thread panicked mid-record; the map itself is intact.
        self.trace
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn record(&self, query: Query, answer: Answer) {
        for scope in self.lock_scopes().iter_mut() {
            scope.insert(query.clone(), answer.clone());
        }
        self.lock().insert(query, answer);
    }

    fn lock_scopes(&self) -> std::sync::MutexGuard<'_, Vec<Trace>> {
        self.scopes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Recording part of a computation on its own: what a build reusing results needs to keep, with
/// each result, the questions that produced it — and to count them again where it reuses it.
pub(crate) trait Scopes {
    /// From now on, also record into a new innermost scope.
    fn open_scope(&self);
    /// Close the innermost scope and return what was asked in it (everything it asked is also
    /// in the scopes around it and in the whole trace).
    fn close_scope(&self) -> Trace;
    /// Count `trace` as asked now: a reused result's questions, asked by the computation that
    /// first produced it.
    fn add_asked(&self, trace: &Trace);
}

impl<F: Filesystem> Scopes for RecordingFs<F> {
    fn open_scope(&self) {
        self.lock_scopes().push(Trace::default());
    }

    fn close_scope(&self) -> Trace {
        self.lock_scopes().pop().unwrap_or_else(Trace::unusable)
    }

    fn add_asked(&self, trace: &Trace) {
        for scope in self.lock_scopes().iter_mut() {
            scope.merge(trace);
        }
        self.lock().merge(trace);
    }
}

impl<F: Filesystem> Filesystem for RecordingFs<F> {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let result = self.inner.read(path);
        let answer = match &result {
            Ok(bytes) => Answer::Read(Ok(FileContent {
                digest: Sha256::digest(bytes).into(),
                id: self.inner.content_id(path),
            })),
            Err(error) => Answer::Read(Err(ErrorAnswer::from(error))),
        };
        self.record(Query::Read(path.to_path_buf()), answer);
        result
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        let result = self.inner.read_dir(path);
        let answer = Answer::ReadDir(match &result {
            Ok(names) => Ok(names.clone()),
            Err(error) => Err(ErrorAnswer::from(error)),
        });
        self.record(Query::ReadDir(path.to_path_buf()), answer);
        result
    }

    fn is_dir(&self, path: &Path) -> bool {
        let answer = self.inner.is_dir(path);
        self.record(Query::IsDir(path.to_path_buf()), Answer::Bool(answer));
        answer
    }

    fn exists(&self, path: &Path) -> bool {
        let answer = self.inner.exists(path);
        self.record(Query::Exists(path.to_path_buf()), Answer::Bool(answer));
        answer
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        let result = self.inner.canonicalize(path);
        let answer = Answer::Canonicalize(match &result {
            Ok(real) => Ok(real.clone()),
            Err(error) => Err(ErrorAnswer::from(error)),
        });
        self.record(Query::Canonicalize(path.to_path_buf()), answer);
        result
    }

    fn content_id(&self, path: &Path) -> Option<ContentId> {
        // Not recorded: an identity only stands for content, which `read` records.
        self.inner.content_id(path)
    }
}

/// The questions one computation asked of a [`Filesystem`], each with the answer it got.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trace {
    answers: BTreeMap<Query, Answer>,
    /// Set when the same question got two different answers (the tree changed while recording):
    /// such a trace cannot vouch for any other tree.
    unstable: bool,
}

/// One call of the [`Filesystem`] trait.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Query {
    Read(PathBuf),
    ReadDir(PathBuf),
    IsDir(PathBuf),
    Exists(PathBuf),
    Canonicalize(PathBuf),
}

/// What a call returned, reduced to what a caller can observe.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    Read(Result<FileContent, ErrorAnswer>),
    ReadDir(Result<Vec<String>, ErrorAnswer>),
    Bool(bool),
    Canonicalize(Result<PathBuf, ErrorAnswer>),
}

/// A file's content: its SHA-256, and the tree's own identity for it when the tree has one
/// (comparing identities avoids reading the file again).
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileContent {
    digest: [u8; 32],
    id: Option<ContentId>,
}

/// An I/O error as a caller sees it: its kind and its message (messages end up in build errors).
#[derive(Debug, Clone, PartialEq, Eq)]
struct ErrorAnswer {
    kind: io::ErrorKind,
    message: String,
}

impl From<&io::Error> for ErrorAnswer {
    fn from(error: &io::Error) -> Self {
        Self {
            kind: error.kind(),
            message: error.to_string(),
        }
    }
}

impl Trace {
    /// A trace that replays on no tree (for a computation that did not finish).
    pub fn unusable() -> Self {
        Self {
            answers: BTreeMap::new(),
            unstable: true,
        }
    }

    /// How many distinct questions were asked.
    pub fn len(&self) -> usize {
        self.answers.len()
    }

    /// Whether nothing was asked.
    pub fn is_empty(&self) -> bool {
        self.answers.is_empty()
    }

    /// The files whose content was read successfully, sorted.
    pub fn files_read(&self) -> impl Iterator<Item = &Path> {
        self.answers
            .iter()
            .filter_map(|(query, answer)| match (query, answer) {
                (Query::Read(path), Answer::Read(Ok(_))) => Some(path.as_path()),
                _ => None,
            })
    }

    /// Whether `fs` gives every recorded question the recorded answer. If it does, a
    /// deterministic computation that asked only these questions computes the same over `fs`.
    ///
    /// File contents are compared through [`Filesystem::content_id`] when both trees have an
    /// identity of the same kind for the file (no read), otherwise by reading and hashing.
    pub fn replays_on(&self, fs: &dyn Filesystem) -> bool {
        !self.unstable
            && self
                .answers
                .iter()
                .all(|(query, answer)| answers_same(fs, query, answer))
    }

    /// Add every question of `other` (a trace of the same tree).
    fn merge(&mut self, other: &Trace) {
        self.unstable |= other.unstable;
        for (query, answer) in &other.answers {
            self.insert(query.clone(), answer.clone());
        }
    }

    fn insert(&mut self, query: Query, answer: Answer) {
        match self.answers.get(&query) {
            Some(previous) if *previous != answer => self.unstable = true,
            Some(_) => {}
            None => {
                self.answers.insert(query, answer);
            }
        }
    }
}

fn answers_same(fs: &dyn Filesystem, query: &Query, recorded: &Answer) -> bool {
    match (query, recorded) {
        (Query::Read(path), Answer::Read(recorded)) => match recorded {
            Ok(content) => {
                if let (Some(id), Some(other)) = (&content.id, fs.content_id(path)) {
                    if id.same_kind(&other) {
                        return *id == other;
                    }
                }
                fs.read(path)
                    .is_ok_and(|bytes| <[u8; 32]>::from(Sha256::digest(bytes)) == content.digest)
            }
            Err(error) => fs
                .read(path)
                .is_err_and(|other| ErrorAnswer::from(&other) == *error),
        },
        (Query::ReadDir(path), Answer::ReadDir(recorded)) => {
            fs.read_dir(path).map_err(|e| ErrorAnswer::from(&e)) == *recorded
        }
        (Query::IsDir(path), Answer::Bool(recorded)) => fs.is_dir(path) == *recorded,
        (Query::Exists(path), Answer::Bool(recorded)) => fs.exists(path) == *recorded,
        (Query::Canonicalize(path), Answer::Canonicalize(recorded)) => {
            fs.canonicalize(path).map_err(|e| ErrorAnswer::from(&e)) == *recorded
        }
        // A query is only ever recorded with its own kind of answer.
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::MemFs;

    /// A tree whose files carry identities, to check that equal identities skip the read.
    struct Identified {
        files: MemFs,
        /// Identity of every file, whatever its content (a lying tree, to see which path is used).
        id: ContentId,
    }

    impl Filesystem for Identified {
        fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
            self.files.read(path)
        }
        fn read_dir(&self, path: &Path) -> io::Result<Vec<String>> {
            self.files.read_dir(path)
        }
        fn is_dir(&self, path: &Path) -> bool {
            self.files.is_dir(path)
        }
        fn exists(&self, path: &Path) -> bool {
            self.files.exists(path)
        }
        fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
            self.files.canonicalize(path)
        }
        fn content_id(&self, _path: &Path) -> Option<ContentId> {
            Some(self.id.clone())
        }
    }

    fn tree(content: &str) -> MemFs {
        let mut fs = MemFs::new();
        fs.add_file("/a/f.yaml", content);
        fs
    }

    #[test]
    fn every_kind_of_question_is_replayed() {
        let before = tree("x");
        let recording = RecordingFs::new(&before);
        assert!(recording.read(Path::new("/a/f.yaml")).is_ok());
        assert!(recording.read(Path::new("/a/missing")).is_err());
        assert!(recording.read_dir(Path::new("/a")).is_ok());
        assert!(recording.is_dir(Path::new("/a")));
        assert!(!recording.exists(Path::new("/b")));
        assert!(recording.canonicalize(Path::new("/a/f.yaml")).is_ok());
        let trace = recording.into_trace();
        assert_eq!(trace.len(), 6);
        assert!(trace.replays_on(&before));

        let mut added_sibling = before.clone();
        added_sibling.add_file("/a/g.yaml", "y");
        assert!(!trace.replays_on(&added_sibling), "the listing changed");

        let mut created = before.clone();
        created.add_file("/b/h.yaml", "y");
        assert!(!trace.replays_on(&created), "a missing path appeared");

        let mut created_read = before.clone();
        created_read.add_file("/a/missing", "y");
        assert!(!trace.replays_on(&created_read), "a failed read succeeds");

        assert!(!trace.replays_on(&tree("changed")));
    }

    #[test]
    fn unread_files_do_not_matter() {
        let before = tree("x");
        let recording = RecordingFs::new(&before);
        let _ = recording.read(Path::new("/a/f.yaml"));
        let trace = recording.into_trace();
        let mut after = before.clone();
        after.add_file("/elsewhere/k.yaml", "y");
        assert!(trace.replays_on(&after));
        assert_eq!(
            trace.files_read().collect::<Vec<_>>(),
            [Path::new("/a/f.yaml")]
        );
    }

    #[test]
    fn identities_of_the_same_kind_decide_without_reading() {
        let id = |byte| ContentId::GitSha1([byte; 20]);
        let before = Identified {
            files: tree("x"),
            id: id(1),
        };
        let recording = RecordingFs::new(&before);
        let _ = recording.read(Path::new("/a/f.yaml"));
        let trace = recording.into_trace();
        // Same identity, different bytes: the identity is trusted.
        let same_id = Identified {
            files: tree("other bytes"),
            id: id(1),
        };
        assert!(trace.replays_on(&same_id));
        // Same bytes, different identity: the identity is trusted too.
        let other_id = Identified {
            files: tree("x"),
            id: id(2),
        };
        assert!(!trace.replays_on(&other_id));
        // A tree without identities is compared by content.
        assert!(trace.replays_on(&tree("x")));
        assert!(!trace.replays_on(&tree("y")));
    }

    #[test]
    fn a_tree_changing_under_the_recording_vouches_for_nothing() {
        let mut trace = Trace::default();
        let query = Query::IsDir(PathBuf::from("/a"));
        trace.insert(query.clone(), Answer::Bool(true));
        trace.insert(query, Answer::Bool(false));
        assert!(!trace.replays_on(&tree("x")));
    }
}
