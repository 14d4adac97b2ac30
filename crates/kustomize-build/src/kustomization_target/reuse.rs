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

use crate::fs::{clean_path, Filesystem, Trace};
use crate::kustomization::{Kustomization, Warning};
use crate::kustomization_target::accumulator::Accumulator;
use crate::kustomization_target::in_flight::{Claim, InFlight};
use crate::kustomization_target::plan::Plan;
use crate::kustomization_target::BuildOptions;
use crate::loader::Loader;

/// Results of nested kustomizations, by canonical directory, for builds that share one
/// filesystem and one [`BuildOptions`](crate::BuildOptions) (one `validate` run, or one build).
/// Hand the same cache to every [`build_reusing`](crate::build_reusing) call of such a run.
///
/// A cache made [`for_roots`](BuildCache::for_roots) also knows which builds of the run may
/// still read each result, and lets go of a result once none will (a build above an overlay
/// whose result is kept takes the overlay, not the base below it): a run over a whole
/// repository then holds the bases of the builds in progress, not every base it has met.
#[derive(Default)]
pub struct BuildCache {
    entries: Mutex<HashMap<PathBuf, Arc<Reusable>>>,
    plan: Option<Plan>,
    /// The cache of a recorded run over another version of the same tree: its results are
    /// reused here where every question that produced them gets the same answer.
    earlier: Option<Arc<BuildCache>>,
    /// The directories other threads are building for this cache right now.
    in_flight: InFlight,
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
    /// For a result of a recorded build, every question its build asked of the filesystem (a
    /// recorded build reuses only such results, and counts these as asked).
    pub(crate) asked: Option<Trace>,
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

    /// An empty cache for a run that builds each of `roots` once (in any order, on any number
    /// of threads), with `fs` and `options`: a result is dropped as soon as every build of
    /// `roots` that may read it has ended, and a root that other roots include keeps its own
    /// result for them. Building a directory not in `roots` with it is still correct; it only
    /// finds less to reuse.
    ///
    /// ```
    /// use std::path::{Path, PathBuf};
    /// use kustomize_build::fs::MemFs;
    /// use kustomize_build::{build_reusing, BuildCache, BuildOptions};
    ///
    /// let mut fs = MemFs::new();
    /// fs.add_file("/r/base/kustomization.yaml", "resources: [cm.yaml]\n");
    /// fs.add_file("/r/base/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n");
    /// fs.add_file("/r/dev/kustomization.yaml", "resources: [../base]\nnamePrefix: dev-\n");
    /// fs.add_file("/r/prod/kustomization.yaml", "resources: [../base]\nnamePrefix: prod-\n");
    ///
    /// let roots: Vec<PathBuf> = ["/r/base", "/r/dev", "/r/prod"].map(PathBuf::from).into();
    /// let options = BuildOptions::new();
    /// let cache = BuildCache::for_roots(&fs, &roots, &options);
    /// for root in &roots {
    ///     build_reusing(&fs, root, &options, &mut Vec::new(), &cache)?;
    /// }
    /// // Every build that could read the base has ended, so nothing is held any more.
    /// assert!(cache.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn for_roots(fs: &dyn Filesystem, roots: &[PathBuf], options: &BuildOptions) -> Self {
        let canonical = roots
            .iter()
            .filter_map(|root| fs.canonicalize(&clean_path(root)).ok());
        // Each kustomization file is read once for all roots: a cluster's walk passes through
        // every base the roots below it walked already.
        let plan = Plan::new(canonical, |dir| directories_included(fs, dir, options));
        Self {
            entries: Mutex::default(),
            plan: Some(plan),
            earlier: None,
            in_flight: InFlight::default(),
        }
    }

    /// Keep every result until the cache is dropped, for a later run over another version of
    /// the tree to reuse ([`BuildCache::reusing`]); the build order stays planned.
    #[must_use]
    pub fn keeping_everything(mut self) -> Self {
        if let Some(plan) = &mut self.plan {
            plan.evict = false;
        }
        self
    }

    /// Also reuse the results `earlier` kept — a cache of
    /// [recorded builds](crate::build_recorded_reusing) over another version of the same tree at
    /// the same path — wherever every question that produced one gets the same answer from
    /// the tree built now. Results kept by builds that were not recorded are never reused this
    /// way.
    ///
    /// ```
    /// use std::path::Path;
    /// use std::sync::Arc;
    /// use kustomize_build::fs::{MemFs, RecordingFs};
    /// use kustomize_build::{build, build_recorded_reusing, build_reusing, BuildCache, BuildOptions};
    ///
    /// let mut before = MemFs::new();
    /// before.add_file("/r/base/kustomization.yaml", "resources: [cm.yaml]\n");
    /// before.add_file("/r/base/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n");
    /// before.add_file("/r/dev/kustomization.yaml", "resources: [../base]\nnamePrefix: dev-\n");
    /// let options = BuildOptions::new();
    /// let earlier = Arc::new(BuildCache::new());
    /// build_recorded_reusing(&RecordingFs::new(&before), Path::new("/r/dev"), &options, &mut Vec::new(), &earlier)?;
    ///
    /// // The overlay changes, the base does not: the base's result is taken from `earlier`.
    /// let mut after = before.clone();
    /// after.add_file("/r/dev/kustomization.yaml", "resources: [../base]\nnamePrefix: test-\n");
    /// let cache = BuildCache::new().reusing(Arc::clone(&earlier));
    /// let reused = build_reusing(&after, Path::new("/r/dev"), &options, &mut Vec::new(), &cache)?;
    /// assert_eq!(reused.to_yaml(), build(&after, Path::new("/r/dev"), &options)?.to_yaml());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn reusing(mut self, earlier: Arc<BuildCache>) -> Self {
        self.earlier = Some(earlier);
        self
    }

    fn evicts(&self) -> bool {
        self.plan.as_ref().is_some_and(|plan| plan.evict)
    }

    /// How many planned builds that may enter `dir` have not ended (`None`: the plan does not
    /// know it, or there is no plan).
    fn pending(&self, dir: &Path) -> Option<usize> {
        self.plan.as_ref()?.pending(dir)
    }

    /// The positions of `roots` in the order that holds the fewest results at once: each root
    /// after the roots its build includes, and as soon after them as it can come, in the order
    /// its kustomization lists them (what a cluster lists first — often its CRDs — is built
    /// first, while little else is held). Roots the plan does not know keep their place
    /// relative to each other.
    ///
    /// ```
    /// use std::path::PathBuf;
    /// use kustomize_build::fs::MemFs;
    /// use kustomize_build::{BuildCache, BuildOptions};
    ///
    /// let mut fs = MemFs::new();
    /// fs.add_file("/r/all/kustomization.yaml", "resources: [../crds, ../base]\n");
    /// fs.add_file("/r/base/kustomization.yaml", "resources: []\n");
    /// fs.add_file("/r/crds/kustomization.yaml", "resources: []\n");
    /// let roots: Vec<PathBuf> = ["/r/all", "/r/base", "/r/crds"].map(PathBuf::from).into();
    /// let cache = BuildCache::for_roots(&fs, &roots, &BuildOptions::new());
    /// assert_eq!(cache.build_order(&fs, &roots), [2, 1, 0]);
    /// ```
    pub fn build_order(&self, fs: &dyn Filesystem, roots: &[PathBuf]) -> Vec<usize> {
        let Some(plan) = self.plan.as_ref() else {
            return (0..roots.len()).collect();
        };
        let canonical: Vec<Option<PathBuf>> = roots
            .iter()
            .map(|root| fs.canonicalize(&clean_path(root)).ok())
            .collect();
        plan.build_order(&canonical)
    }

    /// Whether a build of `root` should keep its own result: a planned run keeps it when
    /// another planned build may include it.
    pub(crate) fn wanted_later(&self, root: &Path) -> bool {
        self.pending(root).is_some_and(|count| count > 1)
    }

    /// The build of the planned root `root` has ended: drop the results no pending build may
    /// read any more.
    pub(crate) fn finished(&self, root: &Path) {
        let Some(plan) = self.plan.as_ref().filter(|plan| plan.evict) else {
            return;
        };
        // What no pending build may enter any more is among what none will read.
        if plan.end(root) {
            self.drop_unread_below(plan, root, true);
        }
    }

    /// Drops the kept results below `top` (and `top`'s own, if `including_top`) that no build
    /// still to come will read ([`Plan::unread_below`]).
    fn drop_unread_below(&self, plan: &Plan, top: &Path, including_top: bool) {
        let dropped: Vec<Arc<Reusable>> = {
            let mut entries = self.lock();
            let unread = plan.unread_below(top, including_top, |dir| entries.contains_key(dir));
            unread
                .into_iter()
                .filter_map(|dir| entries.remove(dir))
                .collect()
        };
        // Freed outside the lock: dropping a large result takes a while.
        drop(dropped);
    }

    /// How many directories' results are kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing is kept yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The result kept for `root`. In a planned run, the last pending build that may read it
    /// takes it out of the cache, so that it can use it without a copy.
    pub(crate) fn get(&self, root: &Path, fs: &dyn Filesystem) -> Option<Arc<Reusable>> {
        let last_reader = self.evicts() && self.pending(root).is_some_and(|count| count <= 1);
        let own = {
            let mut entries = self.lock();
            if last_reader {
                entries.remove(root)
            } else {
                entries.get(root).cloned()
            }
        };
        own.or_else(|| {
            let earlier = self.earlier.as_ref()?.lock().get(root).cloned()?;
            earlier
                .asked
                .as_ref()
                .is_some_and(|asked| asked.replays_on(fs))
                .then_some(earlier)
        })
    }

    /// Wait while another thread builds `root` for this cache, then either leave its kept
    /// result to [`Self::get`] (`None`) or claim the build of `root` for this thread until the
    /// claim is dropped, after [`Self::insert`].
    pub(crate) fn claim(&self, root: &Path) -> Option<Claim<'_>> {
        self.in_flight
            .claim(root, || self.lock().contains_key(root))
    }

    /// Keep `reusable`, the result of `root`, built during the planned build of `top`.
    pub(crate) fn insert(&self, top: &Path, root: &Path, reusable: Reusable) {
        // In a planned run, a result is kept only when a pending build other than this one may
        // read it, or this one may enter its directory again.
        let wanted = !self.evicts()
            || self.pending(root).is_none_or(|count| count > 1)
            || self
                .plan
                .as_ref()
                .is_none_or(|plan| plan.enters_again(top, root));
        if wanted {
            self.lock()
                .entry(root.to_path_buf())
                .or_insert_with(|| Arc::new(reusable));
            if let Some(plan) = self.plan.as_ref().filter(|plan| plan.evict) {
                self.drop_unread_below(plan, root, false);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Arc<Reusable>>> {
        // A panic while holding the lock left the map itself intact.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The kustomization directories that the kustomization in `dir` names in `resources` and
/// `components`. An unreadable kustomization names none (its build fails before it reads
/// anything below).
fn directories_included(fs: &dyn Filesystem, dir: &Path, options: &BuildOptions) -> Vec<PathBuf> {
    let loader = Loader::new(fs, dir, options.load_restrictions);
    let Ok(file) = Kustomization::load(&loader) else {
        return Vec::new();
    };
    let entries = file
        .kustomization
        .resources
        .iter()
        .chain(&file.kustomization.components);
    entries
        .filter_map(|entry| {
            let path = clean_path(&dir.join(entry));
            fs.is_dir(&path)
                .then(|| fs.canonicalize(&path).ok())
                .flatten()
        })
        .collect()
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
    fn a_planned_cache_builds_the_same_and_lets_go_of_everything() {
        let fs = shared_base_tree();
        let options = BuildOptions::new();
        let roots: Vec<_> = DIRS.iter().map(std::path::PathBuf::from).collect();
        // Every order of the roots, including those that build a base after what includes it.
        let orders = [[0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1], [3, 0, 1, 2]];
        for order in orders {
            let cache = BuildCache::for_roots(&fs, &roots, &options);
            for &at in &order {
                let reused = build_reusing(&fs, &roots[at], &options, &mut Vec::new(), &cache)
                    .unwrap()
                    .to_yaml();
                let alone = build(&fs, &roots[at], &options).unwrap().to_yaml();
                assert_eq!(reused, alone, "{} in order {order:?}", DIRS[at]);
            }
            assert!(cache.is_empty(), "order {order:?} left {cache:?}");
        }
        // Bases before what includes them, and each overlay before `all`.
        let cache = BuildCache::for_roots(&fs, &roots, &options);
        let order = cache.build_order(&fs, &roots);
        let position = |dir: &str| order.iter().position(|&at| DIRS[at] == dir).unwrap();
        assert!(position("/r/base") < position("/r/dev"));
        assert!(position("/r/base") < position("/r/prod"));
        assert!(position("/r/dev") < position("/r/all"));
        assert!(position("/r/prod") < position("/r/all"));
    }

    #[test]
    fn a_base_is_let_go_once_what_includes_it_is_kept_for_the_builds_above() {
        // base <- mid <- dev, prod: dev and prod may enter base, but they will take mid as
        // it is kept, so base's result is not held for them.
        let mut fs = MemFs::new();
        fs.add_file("/r/base/kustomization.yaml", "resources: [cm.yaml]\n");
        fs.add_file(
            "/r/base/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n",
        );
        fs.add_file(
            "/r/mid/kustomization.yaml",
            "resources: [../base]\ncommonLabels: {tier: mid}\n",
        );
        for env in ["dev", "prod"] {
            fs.add_file(
                format!("/r/{env}/kustomization.yaml"),
                format!("resources: [../mid]\nnamePrefix: {env}-\n"),
            );
        }
        let options = BuildOptions::new();
        let roots: Vec<_> = ["/r/prod", "/r/dev", "/r/mid", "/r/base"]
            .map(std::path::PathBuf::from)
            .into();
        let cache = BuildCache::for_roots(&fs, &roots, &options);
        let order = cache.build_order(&fs, &roots);
        let names: Vec<&str> = order
            .iter()
            .map(|&at| roots[at].to_str().unwrap())
            .collect();
        assert_eq!(names, ["/r/base", "/r/mid", "/r/prod", "/r/dev"]);
        let kept = |cache: &BuildCache| {
            let mut dirs: Vec<String> = cache
                .lock()
                .keys()
                .map(|dir| dir.display().to_string())
                .collect();
            dirs.sort();
            dirs
        };
        let mut built = Vec::new();
        for &at in &order {
            let reused = build_reusing(&fs, &roots[at], &options, &mut Vec::new(), &cache)
                .unwrap()
                .to_yaml();
            assert_eq!(reused, build(&fs, &roots[at], &options).unwrap().to_yaml());
            built.push(kept(&cache));
        }
        assert_eq!(built[0], ["/r/base"], "kept for mid's build");
        assert_eq!(built[1], ["/r/mid"], "base let go once mid is kept");
        assert_eq!(built[2], ["/r/mid"], "kept for dev");
        assert!(built[3].is_empty(), "{:?}", built[3]);
    }

    /// A tree of `includes.len()` kustomizations `/r/d0`, `/r/d1`, … where `d{i}` names one
    /// `ConfigMap` of its own and includes the directories `includes[i]` lists (lower numbers
    /// only, so there is no cycle; two paths to one base make a build fail, as in kustomize).
    fn random_tree(includes: &[Vec<usize>]) -> MemFs {
        let mut fs = MemFs::new();
        for (at, below) in includes.iter().enumerate() {
            let mut resources = vec![format!("cm{at}.yaml")];
            resources.extend(below.iter().map(|child| format!("../d{child}")));
            fs.add_file(
                format!("/r/d{at}/kustomization.yaml"),
                format!(
                    "resources: [{}]\nnamePrefix: p{at}-\ncommonLabels: {{level: l{at}}}\n",
                    resources.join(", ")
                ),
            );
            fs.add_file(
                format!("/r/d{at}/cm{at}.yaml"),
                format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{at}\n"),
            );
        }
        fs
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Whatever the include graph and the order the roots come in (shuffled, or the
        /// planned order), a planned cache builds what each directory builds alone, and holds
        /// nothing once every root has ended.
        #[test]
        fn a_planned_cache_matches_building_alone_on_any_tree_in_any_order(
            includes in proptest::collection::vec(
                proptest::collection::vec(0_usize..6, 0..3), 1..7),
            shuffle in proptest::collection::vec(0_usize..100, 7),
            planned_order: bool,
        ) {
            let includes: Vec<Vec<usize>> = includes
                .iter()
                .enumerate()
                .map(|(at, below)| {
                    let mut below: Vec<usize> = below.iter().filter(|&&c| c < at).copied().collect();
                    below.dedup();
                    below
                })
                .collect();
            let fs = random_tree(&includes);
            let options = BuildOptions::new();
            let mut roots: Vec<std::path::PathBuf> = (0..includes.len())
                .map(|at| std::path::PathBuf::from(format!("/r/d{at}")))
                .collect();
            roots.sort_by_key(|root| shuffle[root.to_str().unwrap()[4..].parse::<usize>().unwrap()]);
            let cache = BuildCache::for_roots(&fs, &roots, &options);
            if planned_order {
                let order = cache.build_order(&fs, &roots);
                roots = order.into_iter().map(|at| roots[at].clone()).collect();
            }
            let text = |result: crate::Result<crate::Build>| match result {
                Ok(built) => Ok(built.to_yaml()),
                Err(error) => Err(error.to_string()),
            };
            for root in &roots {
                let reused = text(build_reusing(&fs, root, &options, &mut Vec::new(), &cache));
                let alone = text(build(&fs, root, &options));
                proptest::prop_assert_eq!(reused, alone, "{} in {:?}", root.display(), roots);
            }
            proptest::prop_assert!(cache.is_empty(), "{:?} left {:?}", roots, cache);
        }
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
