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
#[derive(Default)]
pub(crate) struct BuildCache {
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

impl BuildCache {
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

    use crate::discover::{DiscoverOptions, Targets};
    use crate::fs::MemFs;
    use crate::{build, BuildOptions};

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
        let targets = Targets::discover(
            &fs,
            Path::new("/r"),
            Path::new("/r"),
            &DiscoverOptions::new(),
        )
        .unwrap();
        let options = BuildOptions::new();
        for jobs in [1, 2] {
            let builds = targets.build_all(&fs, &options, jobs);
            assert_eq!(builds.len(), 4);
            for (target, built) in targets.targets.iter().zip(builds) {
                let alone = build(&fs, &target.dir, &options).unwrap();
                let reused = built.unwrap().build;
                assert_eq!(
                    reused.to_yaml(),
                    alone.to_yaml(),
                    "{}",
                    target.dir.display()
                );
                assert_eq!(reused.warnings(), alone.warnings());
            }
        }
    }

    #[test]
    fn a_nested_openapi_schema_is_not_reused_elsewhere() {
        let mut fs = shared_base_tree();
        fs.add_file(
            "/r/base/kustomization.yaml",
            "resources: [cm.yaml]\nopenapi:\n  version: v1.21.2\n",
        );
        let targets = Targets::discover(
            &fs,
            Path::new("/r"),
            Path::new("/r"),
            &DiscoverOptions::new(),
        )
        .unwrap();
        let options = BuildOptions::new();
        for (target, built) in targets
            .targets
            .iter()
            .zip(targets.build_all(&fs, &options, 1))
        {
            let alone = build(&fs, &target.dir, &options).unwrap();
            assert_eq!(built.unwrap().build.to_yaml(), alone.to_yaml());
        }
    }
}
