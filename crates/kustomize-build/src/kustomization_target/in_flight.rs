//! Directories being built right now, so that a second thread needing one waits for its result
//! instead of building it again.
//!
//! `validate` builds a repository's directories on several threads from one
//! [`BuildCache`](crate::BuildCache). Without this, a CRD base that is a unit of its own and the
//! base of an overlay built beside it is parsed twice at once — twice its memory and its time.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, ThreadId};

/// Who builds what, and who waits for what.
#[derive(Default)]
pub(crate) struct InFlight {
    state: Mutex<State>,
    ended: Condvar,
}

#[derive(Default)]
struct State {
    /// Directory → the thread building it (for a result it will keep).
    builder: HashMap<PathBuf, ThreadId>,
    /// Thread → the directory it waits for.
    awaited: HashMap<ThreadId, PathBuf>,
}

/// The claim of the calling thread on building a directory; released when dropped, after the
/// result is kept (or the build failed), waking the threads that wait for it.
pub(crate) struct Claim<'a> {
    in_flight: &'a InFlight,
    dir: PathBuf,
}

impl InFlight {
    /// Wait while another thread builds `dir`, then claim it for this thread unless `ready()`
    /// (checked under the lock) says its result is there to take. A thread whose build the
    /// builder itself waits for, directly or through others, does not wait: in a cycle of
    /// includes each build goes on alone and reports the cycle, as it would on one thread.
    pub(crate) fn claim(&self, dir: &Path, ready: impl Fn() -> bool) -> Option<Claim<'_>> {
        let me = thread::current().id();
        let mut state = self.lock();
        loop {
            if ready() {
                return None;
            }
            let Some(&builder) = state.builder.get(dir) else {
                state.builder.insert(dir.to_path_buf(), me);
                return Some(Claim {
                    in_flight: self,
                    dir: dir.to_path_buf(),
                });
            };
            if builder == me || state.waits_for(builder, me) {
                return None;
            }
            state.awaited.insert(me, dir.to_path_buf());
            state = self
                .ended
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
            state.awaited.remove(&me);
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The maps stay consistent whatever panicked while holding the lock.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    /// Whether `thread` waits, directly or through a chain of builders, for `target`.
    fn waits_for(&self, mut thread: ThreadId, target: ThreadId) -> bool {
        // Each step moves to another waiting thread; more steps than threads means a loop
        // that does not pass through `target`.
        for _ in 0..=self.awaited.len() {
            let Some(dir) = self.awaited.get(&thread) else {
                return false;
            };
            let Some(&builder) = self.builder.get(dir) else {
                return false;
            };
            if builder == target {
                return true;
            }
            thread = builder;
        }
        false
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.in_flight.lock().builder.remove(&self.dir);
        self.in_flight.ended.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    #[test]
    fn a_second_thread_waits_for_the_first_builder_and_takes_its_result() {
        let in_flight = Arc::new(InFlight::default());
        let kept = Arc::new(AtomicUsize::new(0));
        let builds = Arc::new(AtomicUsize::new(0));
        let dir = Path::new("/r/crds/base");
        let first = in_flight
            .claim(dir, || kept.load(Ordering::SeqCst) > 0)
            .expect("nobody builds it yet");
        builds.fetch_add(1, Ordering::SeqCst);
        let second = {
            let (in_flight, kept, builds) = (in_flight.clone(), kept.clone(), builds.clone());
            thread::spawn(move || {
                if in_flight
                    .claim(dir, || kept.load(Ordering::SeqCst) > 0)
                    .is_some()
                {
                    builds.fetch_add(1, Ordering::SeqCst);
                }
            })
        };
        // The second thread is now waiting (or about to); the first keeps its result.
        thread::sleep(std::time::Duration::from_millis(50));
        kept.store(1, Ordering::SeqCst);
        drop(first);
        second.join().expect("no panic");
        assert_eq!(builds.load(Ordering::SeqCst), 1, "built once, reused once");
    }

    #[test]
    fn a_builder_that_keeps_nothing_lets_the_waiting_thread_build() {
        let in_flight = Arc::new(InFlight::default());
        let dir = Path::new("/r/base");
        let first = in_flight.claim(dir, || false).expect("free");
        let second = {
            let in_flight = in_flight.clone();
            thread::spawn(move || in_flight.claim(dir, || false).is_some())
        };
        thread::sleep(std::time::Duration::from_millis(50));
        drop(first);
        assert!(
            second.join().expect("no panic"),
            "it claims the build itself"
        );
    }

    #[test]
    fn threads_waiting_on_each_other_in_a_cycle_do_not_wait() {
        let in_flight = InFlight::default();
        let (a, b) = (Path::new("/r/a"), Path::new("/r/b"));
        let me = thread::current().id();
        let other = thread::spawn(|| thread::current().id())
            .join()
            .expect("no panic");
        {
            let mut state = in_flight.lock();
            // `other` builds a and waits for b; this thread builds b.
            state.builder.insert(a.to_path_buf(), other);
            state.awaited.insert(other, b.to_path_buf());
            state.builder.insert(b.to_path_buf(), me);
        }
        assert!(
            in_flight.claim(a, || false).is_none(),
            "waiting would deadlock"
        );
        assert!(
            in_flight.claim(b, || false).is_none(),
            "already this thread's"
        );
    }
}
