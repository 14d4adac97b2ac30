//! Which kustomization directories each planned build of a run may enter, and so which kept
//! results a build still to come will read.
//!
//! Directories are numbered once for the whole plan: a cluster's kustomization reaches hundreds
//! of directories, and a path held per (root, directory) pair for the whole run cost more
//! memory than many of the results the plan decided about.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// A directory's number in its [`Plan`].
type Dir = usize;

/// The include graph of a run's planned builds, and how far the run has got.
pub(super) struct Plan {
    /// Every directory the planned builds may enter, by number.
    dirs: Vec<PathBuf>,
    numbers: HashMap<PathBuf, Dir>,
    /// Directory → the directories its kustomization includes (`resources`, `components`), in
    /// the order it lists them.
    includes: Vec<Vec<Dir>>,
    /// Directory → the directories whose kustomization includes it.
    includers: Vec<Vec<Dir>>,
    /// Planned root → every directory its build may enter, itself included.
    reaches: HashMap<Dir, Vec<Dir>>,
    /// Planned root → the directories its build may enter more than once: their results are
    /// worth keeping even when no other build will read them.
    repeated: HashMap<Dir, HashSet<Dir>>,
    /// Directory → how many planned builds that may enter it have not ended yet.
    pending: Mutex<Vec<usize>>,
    /// Directory → whether its own planned build has ended.
    ended: Mutex<Vec<bool>>,
    /// Whether results are dropped once no build to come reads them (not when another run
    /// will reuse them, see [`BuildCache::keeping_everything`](super::BuildCache::keeping_everything)).
    pub(super) evict: bool,
}

impl Plan {
    /// The plan of building each of `roots` (canonical paths) once, reading each directory's
    /// includes with `included` (once per directory, however many roots reach it).
    pub(super) fn new(
        roots: impl IntoIterator<Item = PathBuf>,
        included: impl Fn(&Path) -> Vec<PathBuf>,
    ) -> Self {
        let mut graph = Graph::default();
        let mut reaches = HashMap::new();
        let mut repeated = HashMap::new();
        for root in roots {
            let root = graph.number(root);
            if reaches.contains_key(&root) {
                continue;
            }
            let (reached, twice) = graph.reachable(root, &included);
            repeated.insert(root, twice);
            reaches.insert(root, reached);
        }
        let includes: Vec<Vec<Dir>> = graph
            .includes
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect();
        let mut includers = vec![Vec::new(); graph.dirs.len()];
        for (dir, below) in includes.iter().enumerate() {
            for &child in below {
                includers[child].push(dir);
            }
        }
        let mut pending = vec![0; graph.dirs.len()];
        for &dir in reaches.values().flatten() {
            pending[dir] += 1;
        }
        Self {
            ended: Mutex::new(vec![false; graph.dirs.len()]),
            dirs: graph.dirs,
            numbers: graph.numbers,
            includes,
            includers,
            reaches,
            repeated,
            pending: Mutex::new(pending),
            evict: true,
        }
    }

    /// How many planned builds that may enter `dir` have not ended (`None`: not in the plan).
    pub(super) fn pending(&self, dir: &Path) -> Option<usize> {
        let dir = *self.numbers.get(dir)?;
        Some(lock(&self.pending)[dir])
    }

    /// Whether the planned build of `top` may enter `dir` more than once (`true` when the
    /// plan does not know `top`, so that its results are kept).
    pub(super) fn enters_again(&self, top: &Path, dir: &Path) -> bool {
        let Some(twice) = self.numbers.get(top).and_then(|top| self.repeated.get(top)) else {
            return true;
        };
        self.numbers.get(dir).is_some_and(|dir| twice.contains(dir))
    }

    /// Records that the planned build of `root` has ended; `false` when `root` was not planned.
    pub(super) fn end(&self, root: &Path) -> bool {
        let Some(root) = self.numbers.get(root).copied() else {
            return false;
        };
        let Some(reached) = self.reaches.get(&root) else {
            return false;
        };
        {
            let mut pending = lock(&self.pending);
            for &dir in reached {
                pending[dir] = pending[dir].saturating_sub(1);
            }
        }
        lock(&self.ended)[root] = true;
        true
    }

    /// The directories below `top` (and `top` itself, if `including_top`) whose result is
    /// kept but that no build still to come will read.
    ///
    /// A directory's result is read by its own planned build, if that has not ended, and by
    /// the build of each directory that includes it — which happens only while that
    /// directory's result is not kept and something still to come builds it. So once an
    /// overlay's result is kept for the builds above it, the base below it is let go even
    /// though those builds may enter it: they will take the overlay as it is.
    pub(super) fn unread_below(
        &self,
        top: &Path,
        including_top: bool,
        kept: impl Fn(&Path) -> bool,
    ) -> Vec<&Path> {
        let Some(&top) = self.numbers.get(top) else {
            return Vec::new();
        };
        let ended = lock(&self.ended);
        let mut needs = Needs {
            plan: self,
            ended: &ended,
            kept: &kept,
            built_later: HashMap::new(),
        };
        let mut unread = Vec::new();
        let mut seen = HashSet::new();
        let mut stack = vec![top];
        while let Some(dir) = stack.pop() {
            if !seen.insert(dir) {
                continue;
            }
            stack.extend(&self.includes[dir]);
            if (including_top || dir != top) && kept(&self.dirs[dir]) && !needs.read_later(dir) {
                unread.push(self.dirs[dir].as_path());
            }
        }
        unread
    }

    /// The positions of `roots` (canonical, `None` where a root does not exist) in the order
    /// that holds the fewest results at once; see
    /// [`BuildCache::build_order`](super::BuildCache::build_order).
    pub(super) fn build_order(&self, roots: &[Option<PathBuf>]) -> Vec<usize> {
        let mut position: HashMap<Dir, usize> = HashMap::new();
        for (index, root) in roots.iter().enumerate() {
            if let Some(&dir) = root.as_ref().and_then(|root| self.numbers.get(root)) {
                position.entry(dir).or_insert(index);
            }
        }
        let number = |index: usize| roots[index].as_ref().and_then(|r| self.numbers.get(r));
        // Walks start at the roots no other root includes (a cluster's kustomization over
        // everything), so each part is built just before what includes it, not long before.
        let mut is_included = vec![false; roots.len()];
        for index in 0..roots.len() {
            let reached = number(index).and_then(|dir| self.reaches.get(dir));
            for dir in reached.into_iter().flatten() {
                if let Some(&other) = position.get(dir) {
                    if other != index {
                        is_included[other] = true;
                    }
                }
            }
        }
        let starts = (0..roots.len())
            .filter(|&index| !is_included[index])
            .chain(0..roots.len());
        let mut order = Vec::with_capacity(roots.len());
        let mut placed = vec![false; roots.len()];
        // Entered and not yet finished: a cycle of includes (a build error anyway) ends there.
        let mut entered = vec![false; self.dirs.len()];
        for start in starts {
            let Some(&start_dir) = number(start) else {
                if !placed[start] {
                    placed[start] = true;
                    order.push(start);
                }
                continue;
            };
            // Depth first over the includes, children before their parent, without recursion.
            let mut stack = vec![(start_dir, false)];
            while let Some((dir, expanded)) = stack.pop() {
                if expanded {
                    if let Some(&index) = position.get(&dir) {
                        if !placed[index] {
                            placed[index] = true;
                            order.push(index);
                        }
                    }
                    continue;
                }
                if std::mem::replace(&mut entered[dir], true) {
                    continue;
                }
                stack.push((dir, true));
                for &child in self.includes[dir].iter().rev() {
                    stack.push((child, false));
                }
            }
        }
        order
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock left the numbers themselves intact.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The include graph as it is discovered, directory by directory.
#[derive(Default)]
struct Graph {
    dirs: Vec<PathBuf>,
    numbers: HashMap<PathBuf, Dir>,
    /// `None` until the directory's kustomization has been read.
    includes: Vec<Option<Vec<Dir>>>,
}

impl Graph {
    fn number(&mut self, dir: PathBuf) -> Dir {
        if let Some(&number) = self.numbers.get(&dir) {
            return number;
        }
        let number = self.dirs.len();
        self.dirs.push(dir.clone());
        self.numbers.insert(dir, number);
        self.includes.push(None);
        number
    }

    fn includes(&mut self, dir: Dir, included: &impl Fn(&Path) -> Vec<PathBuf>) -> Vec<Dir> {
        if let Some(below) = &self.includes[dir] {
            return below.clone();
        }
        let below: Vec<Dir> = included(&self.dirs[dir].clone())
            .into_iter()
            .map(|child| self.number(child))
            .collect();
        self.includes[dir] = Some(below.clone());
        below
    }

    /// Every directory a build of `root` may enter, `root` included; and the directories the
    /// build may enter more than once (by two paths, or in a cycle, which fails the build).
    fn reachable(
        &mut self,
        root: Dir,
        included: &impl Fn(&Path) -> Vec<PathBuf>,
    ) -> (Vec<Dir>, HashSet<Dir>) {
        let mut below_of: HashMap<Dir, Vec<Dir>> = HashMap::new();
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            if below_of.contains_key(&dir) {
                continue;
            }
            let below = self.includes(dir, included);
            stack.extend(&below);
            below_of.insert(dir, below);
        }
        // How many ways lead from the root to each directory (counting stops at two), parents
        // before children; what a cycle leaves uncounted is entered more than once.
        let mut waiting: HashMap<Dir, usize> = below_of.keys().map(|&dir| (dir, 0)).collect();
        for &dir in below_of.values().flatten() {
            *waiting.entry(dir).or_default() += 1;
        }
        let mut ways: HashMap<Dir, u8> = HashMap::from([(root, 1)]);
        let mut ready: Vec<Dir> = waiting
            .iter()
            .filter(|&(_, &count)| count == 0)
            .map(|(&dir, _)| dir)
            .collect();
        while let Some(dir) = ready.pop() {
            let here = ways.get(&dir).copied().unwrap_or(0);
            for &below in &below_of[&dir] {
                let total = ways.entry(below).or_default();
                *total = total.saturating_add(here).min(2);
                let count = waiting.entry(below).or_default();
                *count -= 1;
                if *count == 0 {
                    ready.push(below);
                }
            }
        }
        let repeated = below_of
            .keys()
            .copied()
            .filter(|dir| waiting[dir] > 0 || ways.get(dir).copied() > Some(1))
            .collect();
        let mut reached: Vec<Dir> = below_of.into_keys().collect();
        reached.sort_unstable();
        (reached, repeated)
    }
}

/// Which directories a build still to come will read, given the results kept now.
struct Needs<'a, K> {
    plan: &'a Plan,
    ended: &'a [bool],
    kept: &'a K,
    /// [`Needs::built_later`] answers so far (`false` while one is being worked out, which
    /// ends a cycle of includes).
    built_later: HashMap<Dir, bool>,
}

impl<K: Fn(&Path) -> bool> Needs<'_, K> {
    /// Whether a build still to come reads the result of `dir`.
    fn read_later(&mut self, dir: Dir) -> bool {
        let plan = self.plan;
        let own_build_pending = plan.reaches.contains_key(&dir) && !self.ended[dir];
        own_build_pending
            || plan.includers[dir]
                .iter()
                .any(|&includer| self.built_later(includer))
    }

    /// Whether `dir` will be built (and so read what it includes): its result is not kept,
    /// and its own planned build or the build of something including it is still to come.
    fn built_later(&mut self, dir: Dir) -> bool {
        if let Some(&known) = self.built_later.get(&dir) {
            return known;
        }
        self.built_later.insert(dir, false);
        let later = !(self.kept)(&self.plan.dirs[dir]) && self.read_later(dir);
        self.built_later.insert(dir, later);
        later
    }
}
