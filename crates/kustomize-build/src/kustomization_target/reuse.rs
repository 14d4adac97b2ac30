//! Nested kustomizations built once per distinct input and reused.
//!
//! A platform repository includes the same bases from many overlays, and `validate` builds every
//! directory of it: without reuse, a shared base (or a multi-megabyte CRD directory) is parsed and
//! transformed again for every kustomization above it. kustomize's `accumulateDirectory` builds a
//! nested kustomization on its own, from an empty accumulator, before merging it into its parent,
//! so its result depends only on its own directory tree — as long as nothing outside it reaches
//! in: no `buildMetadata` handed down (origins name the path from the top), no `openapi` schema
//! chosen by another kustomization of the build, and no provenance trace. Only such results are
//! kept; everything else builds as before.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use crate::kustomization::Warning;
use crate::kustomization_target::accumulator::Accumulator;

/// Results of nested kustomizations, by canonical directory, for builds that share one
/// filesystem and one [`BuildOptions`](crate::BuildOptions) (one `validate` run, or one build).
/// Hand the same cache to every [`build_reusing`](crate::build_reusing) call of such a run.
#[derive(Default)]
pub struct BuildCache {
    entries: Mutex<HashMap<PathBuf, Arc<Reusable>>>,
}

/// One directory's accumulated objects and what building them left behind.
pub(crate) struct Reusable {
    pub(crate) accumulator: Accumulator,
    /// Warnings its build added (deprecated fields…), repeated where it is reused, as kustomize
    /// warns again each time it loads the file.
    pub(crate) warnings: Vec<Warning>,
    /// The directories its build descended into, for the parent's cycle check (kustomize refuses
    /// a directory that contains one already being built, which depends on the parent chain).
    pub(crate) descended: Vec<PathBuf>,
}

impl std::fmt::Debug for BuildCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuildCache")
            .field("directories", &self.len())
            .finish()
    }
}

impl BuildCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many directories' results are kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing is kept yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn get(&self, root: &Path) -> Option<Arc<Reusable>> {
        self.lock().get(root).cloned()
    }

    pub(crate) fn insert(&self, root: PathBuf, reusable: Reusable) {
        self.lock()
            .entry(root)
            .or_insert_with(|| Arc::new(reusable));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Arc<Reusable>>> {
        // A panic while holding the lock left the map itself intact.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::BuildCache;
    use crate::fs::MemFs;
    use crate::{build, build_reusing, BuildOptions};

    /// The directories of [`shared_base_tree`], in an order where bases are cached before the
    /// kustomizations that include them again.
    const DIRS: [&str; 4] = ["/r/dev", "/r/prod", "/r/all", "/r/base"];

    /// Every directory built with one shared cache, by `jobs` threads at once, next to the same
    /// directory built on its own.
    fn reused_and_alone(fs: &MemFs, jobs: usize) -> Vec<(String, String, String)> {
        let options = BuildOptions::new();
        let cache = BuildCache::new();
        let reused: Vec<String> = std::thread::scope(|scope| {
            let chunks: Vec<_> = DIRS
                .chunks(DIRS.len().div_ceil(jobs))
                .map(|chunk| {
                    let (cache, options) = (&cache, &options);
                    scope.spawn(move || {
                        chunk
                            .iter()
                            .map(|dir| {
                                build_reusing(fs, Path::new(dir), options, &mut Vec::new(), cache)
                                    .unwrap()
                                    .to_yaml()
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            chunks.into_iter().flat_map(|h| h.join().unwrap()).collect()
        });
        DIRS.iter()
            .zip(reused)
            .map(|(dir, reused)| {
                let alone = build(fs, Path::new(dir), &options).unwrap().to_yaml();
                ((*dir).to_owned(), reused, alone)
            })
            .collect()
    }

    /// A shared base under two overlays and a kustomization including both: the same objects
    /// reach every target through reuse as through building each directory on its own.
    fn shared_base_tree() -> MemFs {
        let mut fs = MemFs::new();
        fs.add_file(
            "/r/base/kustomization.yaml",
            "resources: [cm.yaml]\ncommonLabels: {tier: base}\n",
        );
        fs.add_file(
            "/r/base/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: '1'\n",
        );
        for env in ["dev", "prod"] {
            fs.add_file(
                format!("/r/{env}/kustomization.yaml"),
                format!(
                    "namespace: {env}\nnamePrefix: {env}-\nresources: [../base]\npatches:\n- target: {{kind: ConfigMap}}\n  patch: |-\n    - op: add\n      path: /data/env\n      value: {env}\n"
                ),
            );
        }
        fs.add_file(
            "/r/all/kustomization.yaml",
            "resources: [../dev, ../prod]\ncommonAnnotations: {owner: platform}\n",
        );
        fs
    }

    #[test]
    fn reused_builds_equal_builds_on_their_own() {
        let fs = shared_base_tree();
        for jobs in [1, 2] {
            for (dir, reused, alone) in reused_and_alone(&fs, jobs) {
                assert_eq!(reused, alone, "{dir} with {jobs} jobs");
            }
        }
        // The warnings of a reused base are repeated, as kustomize warns on every load.
        let cache = BuildCache::new();
        let options = BuildOptions::new();
        for dir in DIRS {
            let mut reused = Vec::new();
            build_reusing(&fs, Path::new(dir), &options, &mut reused, &cache).unwrap();
            let alone = build(&fs, Path::new(dir), &options).unwrap();
            assert_eq!(reused, alone.warnings(), "{dir}");
        }
        // The base was kept (and so reused by the kustomizations built after it).
        assert!(!cache.is_empty(), "{cache:?}");
    }

    #[test]
    fn a_nested_openapi_schema_is_not_reused_elsewhere() {
        let mut fs = shared_base_tree();
        fs.add_file(
            "/r/base/kustomization.yaml",
            "resources: [cm.yaml]\nopenapi:\n  version: v1.21.2\n",
        );
        for (dir, reused, alone) in reused_and_alone(&fs, 1) {
            assert_eq!(reused, alone, "{dir}");
        }
    }
}
