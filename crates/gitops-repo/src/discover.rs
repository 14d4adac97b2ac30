//! What a tree builds, found and built in parallel over any [`Filesystem`] (the disk, a git
//! revision, the index).
//!
//! [`Targets`] is the whole answer: every kustomization directory, plus every Flux
//! Kustomization of the repository built as kustomize-controller builds it (see
//! [`crate::flux`]), with the `dependsOn` checks. [`kustomization_dirs`] and [`build_all`] are
//! the plain-directory half on its own.
//!
//! ```
//! use std::path::Path;
//! use gitops_repo::discover::{DiscoverOptions, TargetKind, Targets};
//! use kustomize_build::fs::MemFs;
//! use kustomize_build::BuildOptions;
//!
//! let mut fs = MemFs::new();
//! fs.add_file("/repo/apps/kustomization.yaml", "resources: [cm.yaml]\n");
//! fs.add_file("/repo/apps/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n");
//! fs.add_file(
//!     "/repo/clusters/prod/apps.yaml",
//!     "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n\
//!      metadata:\n  name: apps\n  namespace: flux-system\n\
//!      spec:\n  path: ./apps\n  targetNamespace: prod\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
//! );
//! let targets = Targets::discover(&fs, Path::new("/repo"), Path::new("/repo"), &DiscoverOptions::new())?;
//! let names: Vec<&str> = targets.targets.iter().map(|t| t.name.as_str()).collect();
//! assert_eq!(names, ["apps", "clusters/prod/apps.yaml#flux-system/apps"]);
//! assert!(matches!(targets.targets[1].kind, TargetKind::Flux(_)));
//! let mut builds = targets.build_all(&fs, &BuildOptions::new(), 2).into_iter();
//! // The same directory, built plainly and as Flux applies it.
//! let (plain, flux) = (builds.next().unwrap()?, builds.next().unwrap()?);
//! assert_eq!(plain.resources[0].namespace(), "");
//! assert_eq!(flux.resources[0].namespace(), "prod");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ```
//! use std::path::Path;
//! use gitops_repo::discover::{build_all, kustomization_dirs};
//! use kustomize_build::fs::MemFs;
//! use kustomize_build::BuildOptions;
//!
//! let mut fs = MemFs::new();
//! fs.add_file("/repo/base/kustomization.yaml", "resources: [cm.yaml]\n");
//! fs.add_file("/repo/base/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n");
//! fs.add_file("/repo/prod/kustomization.yml", "namePrefix: p-\nresources: [../base]\n");
//! fs.add_file("/repo/.hidden/kustomization.yaml", "resources: [nope.yaml]\n");
//! let dirs = kustomization_dirs(&fs, Path::new("/repo"))?;
//! assert_eq!(dirs, [Path::new("/repo/base"), Path::new("/repo/prod")]);
//! let mut builds = build_all(&fs, &dirs, &BuildOptions::new(), 2);
//! let prod = builds.pop().expect("one result per directory")?;
//! assert_eq!(prod.resources()[0].name(), "p-a");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use kustomize_build::fs::{clean_path, Filesystem, RecordingFs, Trace};
use kustomize_build::kustomization::FILE_NAMES;
use kustomize_build::Result;
use kustomize_build::{build, Build, BuildOptions};

mod parents;
mod targets;

pub(crate) use targets::BuildOutcome;
pub use targets::{
    DiscoverOptions, Target, TargetBuild, TargetError, TargetKind, Targets, BOOTSTRAP_SOURCE,
};

/// Every directory at or under `root` holding a kustomization file (`kustomization.yaml`,
/// `kustomization.yml` or `Kustomization`) that is not a `kind: Component`, sorted. Hidden entries (`.git`, `.github`…) are
/// skipped, as are directories that cannot be listed below the root.
pub fn kustomization_dirs(fs: &dyn Filesystem, root: &Path) -> io::Result<Vec<PathBuf>> {
    let root = clean_path(root);
    let mut found = Vec::new();
    let mut pending = vec![root.clone()];
    let mut first = true;
    while let Some(dir) = pending.pop() {
        let names = match fs.read_dir(&dir) {
            Ok(names) => names,
            // The root must be readable; an unreadable subdirectory is just not a kustomization.
            Err(error) if first => return Err(error),
            Err(_) => continue,
        };
        first = false;
        let mut holds_kustomization = false;
        for name in names {
            if name.starts_with('.') {
                continue;
            }
            let path = dir.join(&name);
            if FILE_NAMES.contains(&name.as_str()) && !fs.is_dir(&path) {
                holds_kustomization = true;
            } else if fs.is_dir(&path) {
                pending.push(path);
            }
        }
        if holds_kustomization && !targets::is_component(fs, &dir) {
            found.push(dir);
        }
    }
    found.sort();
    Ok(found)
}

/// Build each of `dirs` on up to `jobs` threads (at least one); results come back in the order
/// of `dirs`.
pub fn build_all(
    fs: &dyn Filesystem,
    dirs: &[PathBuf],
    options: &BuildOptions,
    jobs: usize,
) -> Vec<Result<Build>> {
    parallel_map(dirs, jobs, |dir| build(fs, dir, options))
        .into_iter()
        .zip(dirs)
        .map(|(slot, dir)| {
            slot.unwrap_or_else(|| {
                Err(kustomize_build::BuildError::Other(format!(
                    "building {} stopped unexpectedly",
                    dir.display()
                )))
            })
        })
        .collect()
}

/// [`build_all`], also returning for each directory the [`Trace`] of what its build asked of
/// `fs`. Where a trace [replays](Trace::replays_on) on another tree (another revision), building
/// the directory there gives the same result, so it need not be built again.
///
/// ```
/// use std::path::{Path, PathBuf};
/// use gitops_repo::discover::build_all_recorded;
/// use kustomize_build::fs::MemFs;
/// use kustomize_build::BuildOptions;
///
/// let mut before = MemFs::new();
/// before.add_file("/repo/a/kustomization.yaml", "resources: [cm.yaml]\n");
/// before.add_file("/repo/a/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n");
/// before.add_file("/repo/b/kustomization.yaml", "namePrefix: b-\nresources: [../a]\n");
/// before.add_file("/repo/c/kustomization.yaml", "resources: []\n");
/// let dirs: Vec<PathBuf> = ["/repo/a", "/repo/b", "/repo/c"].map(PathBuf::from).into();
/// let recorded = build_all_recorded(&before, &dirs, &BuildOptions::new(), 2);
///
/// let mut after = before.clone();
/// after.add_file("/repo/a/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: z\n");
/// let unchanged: Vec<bool> = recorded.iter().map(|(_, trace)| trace.replays_on(&after)).collect();
/// // `b` builds on `a`, so both changed; `c` read nothing that changed.
/// assert_eq!(unchanged, [false, false, true]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn build_all_recorded(
    fs: &dyn Filesystem,
    dirs: &[PathBuf],
    options: &BuildOptions,
    jobs: usize,
) -> Vec<(Result<Build>, Trace)> {
    parallel_map(dirs, jobs, |dir| {
        let recording = RecordingFs::new(fs);
        let result = build(&recording, dir, options);
        (result, recording.into_trace())
    })
    .into_iter()
    .zip(dirs)
    .map(|(slot, dir)| {
        // A build that never finished vouches for nothing: its trace is marked unstable.
        slot.unwrap_or_else(|| {
            let error = kustomize_build::BuildError::Other(format!(
                "building {} stopped unexpectedly",
                dir.display()
            ));
            (Err(error), Trace::unusable())
        })
    })
    .collect()
}

/// `f` over `items` on up to `jobs` threads (at least one), results in the order of `items`;
/// `None` where a worker panicked.
fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    jobs: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<Option<R>> {
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<R>> = Vec::new();
    slots.resize_with(items.len(), || None);
    let finished = Mutex::new(slots);
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1).min(items.len()) {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(index) else { break };
                let result = f(item);
                // A poisoned lock only means another worker panicked; its slot stays empty.
                let mut slots = finished
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                slots[index] = Some(result);
            });
        }
    });
    finished
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `path` relative to `root`, with `/` separators; `.` for the root itself.
///
/// ```
/// use std::path::Path;
/// use gitops_repo::discover::relative_name;
/// assert_eq!(relative_name(Path::new("/r"), Path::new("/r/apps/prod")), "apps/prod");
/// assert_eq!(relative_name(Path::new("/r"), Path::new("/r")), ".");
/// ```
pub fn relative_name(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    if relative.as_os_str().is_empty() {
        ".".to_owned()
    } else {
        relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kustomize_build::fs::MemFs;

    #[test]
    fn missing_root_is_an_error_and_unrelated_files_are_ignored() {
        let mut fs = MemFs::new();
        fs.add_file("/r/a/notes.md", "x");
        fs.add_file("/r/a/b/Kustomization", "resources: []\n");
        assert!(kustomization_dirs(&fs, Path::new("/nope")).is_err());
        assert_eq!(
            kustomization_dirs(&fs, Path::new("/r")).unwrap(),
            [Path::new("/r/a/b")]
        );
    }

    #[test]
    fn build_failures_stay_in_their_slot() {
        let mut fs = MemFs::new();
        fs.add_file("/r/bad/kustomization.yaml", "resources: [missing.yaml]\n");
        fs.add_file("/r/good/kustomization.yaml", "resources: []\n");
        let dirs = kustomization_dirs(&fs, Path::new("/r")).unwrap();
        let builds = build_all(&fs, &dirs, &BuildOptions::new(), 4);
        assert!(builds[0].is_err());
        assert!(builds[1].is_ok());
    }
}
