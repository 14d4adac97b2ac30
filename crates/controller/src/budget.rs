//! The cluster-wide rate limit on destructive actions.
//!
//! The window survives restarts and leader changes because it is rebuilt from what is already
//! persisted: every destructive action is written ahead as a [`DestructiveMark`] on its Flux
//! object, and the controller [`recalls`](DestructiveBudget::recall) each object's marks when it
//! reads the object. Marks are keyed, so one action recalled many times counts once.

use std::collections::BTreeSet;

use crate::record::DestructiveMark;

/// A sliding-window budget: at most `max` destructive actions in any `window_secs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestructiveBudget {
    max: u32,
    window_secs: u64,
    /// (start time, identity) of each action in or near the window.
    spent: BTreeSet<(u64, String)>,
    /// Numbers actions that have no persisted mark (dry runs).
    anonymous: u64,
}

impl DestructiveBudget {
    /// A budget of `max` actions per `window_secs`.
    pub fn new(max: u32, window_secs: u64) -> Self {
        DestructiveBudget {
            max,
            window_secs,
            spent: BTreeSet::new(),
            anonymous: 0,
        }
    }

    /// Whether one more destructive action may start at `now`.
    pub fn allows(&self, now: u64) -> bool {
        let start = now.saturating_sub(self.window_secs);
        let used = self
            .spent
            .iter()
            .filter(|(t, _)| *t > start && *t <= now)
            .count();
        u32::try_from(used).unwrap_or(u32::MAX) < self.max
    }

    /// Records a destructive action started at `now` that leaves no persisted mark (a dry run).
    pub fn spend(&mut self, now: u64) {
        self.anonymous += 1;
        let id = format!("#{}", self.anonymous);
        self.insert(now, id);
    }

    /// Counts the destructive marks persisted on the Flux object `object` (as `Kind/ns/name`),
    /// once each however often they are recalled; marks older than the window are ignored.
    pub fn recall(&mut self, object: &str, marks: &[DestructiveMark], now: u64) {
        let start = now.saturating_sub(self.window_secs);
        for mark in marks.iter().filter(|m| m.at > start) {
            self.insert(mark.at, Self::identity(object, mark));
        }
    }

    /// The identity under which `mark` of `object` is counted: reserving it and later recalling
    /// it from the persisted record count once.
    pub fn identity(object: &str, mark: &DestructiveMark) -> String {
        format!(
            "{object}|{}|{}|{}",
            mark.target,
            mark.generation,
            mark.revision.as_deref().unwrap_or_default()
        )
    }

    /// Check and spend in one step: counts `mark` of `object` if the budget allows one more
    /// action at `mark.at`. Call it under the same lock as the check that planned the action, so
    /// concurrent reconciles cannot both take the last slot.
    pub fn reserve(&mut self, object: &str, mark: &DestructiveMark) -> bool {
        let id = Self::identity(object, mark);
        if self.spent.iter().any(|(_, known)| *known == id) {
            return true;
        }
        if !self.allows(mark.at) {
            return false;
        }
        self.insert(mark.at, id);
        true
    }

    /// Gives a reservation back: the action was never persisted (its write-ahead failed).
    pub fn release(&mut self, object: &str, mark: &DestructiveMark) {
        let id = Self::identity(object, mark);
        self.spent.retain(|(_, known)| *known != id);
    }

    fn insert(&mut self, at: u64, id: String) {
        // Forget what can no longer count, so the set stays as small as the window.
        let horizon = at.saturating_sub(self.window_secs);
        self.spent.retain(|(t, _)| *t > horizon);
        self.spent.insert((at, id));
    }

    /// When the next slot frees up, if the budget is exhausted at `now`.
    pub fn next_free(&self, now: u64) -> Option<u64> {
        if self.allows(now) {
            return None;
        }
        let start = now.saturating_sub(self.window_secs);
        self.spent
            .iter()
            .map(|(t, _)| *t)
            .filter(|&t| t > start)
            .min()
            .map(|t| t + self.window_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_slides() {
        let mut b = DestructiveBudget::new(2, 100);
        assert!(b.allows(1000));
        b.spend(1000);
        b.spend(1010);
        assert!(!b.allows(1050));
        assert_eq!(b.next_free(1050), Some(1100));
        assert!(b.allows(1100));
        assert_eq!(b.next_free(1100), None);
    }

    fn mark(target: &str, generation: i64, at: u64) -> DestructiveMark {
        DestructiveMark {
            generation,
            revision: Some("main@sha1:1".into()),
            target: target.to_owned(),
            at,
        }
    }

    #[test]
    fn reserve_is_check_and_spend_and_release_gives_it_back() {
        let mut b = DestructiveBudget::new(1, 100);
        let first = mark("Job/a/x", 1, 1000);
        let second = mark("Job/a/y", 1, 1001);
        assert!(b.reserve("K/ns/one", &first));
        assert!(
            b.reserve("K/ns/one", &first),
            "the same action again is already counted"
        );
        assert!(!b.reserve("K/ns/two", &second), "the last slot is taken");
        b.release("K/ns/one", &first);
        assert!(b.reserve("K/ns/two", &second));
        b.recall("K/ns/two", std::slice::from_ref(&second), 1002);
        assert!(
            !b.allows(1002),
            "recalling the reserved mark does not count it twice, nor free it"
        );
    }

    #[test]
    fn persisted_marks_count_once_however_often_recalled() {
        let mut b = DestructiveBudget::new(2, 100);
        let marks = [mark("StatefulSet/db/pg", 4, 1000)];
        b.recall("Kustomization/flux-system/apps", &marks, 1010);
        b.recall("Kustomization/flux-system/apps", &marks, 1020);
        assert!(b.allows(1020), "one action recalled twice is one action");
        b.recall(
            "Kustomization/flux-system/infra",
            &[mark("StatefulSet/db/pg", 4, 1005)],
            1020,
        );
        assert!(
            !b.allows(1020),
            "the same target for another object is another action"
        );
        assert_eq!(b.next_free(1020), Some(1100));
    }

    #[test]
    fn a_restarted_budget_recalls_only_marks_inside_the_window() {
        let marks = [
            mark("StatefulSet/db/pg", 2, 500),
            mark("StatefulSet/db/pg", 3, 950),
        ];
        let mut b = DestructiveBudget::new(1, 100);
        b.recall("Kustomization/flux-system/apps", &marks, 1000);
        assert!(!b.allows(1000));
        assert!(b.allows(1050));
    }

    #[test]
    fn zero_budget_never_allows() {
        assert!(!DestructiveBudget::new(0, 100).allows(5));
    }
}
