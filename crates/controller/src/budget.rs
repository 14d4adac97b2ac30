//! The cluster-wide rate limit on destructive actions.

use std::collections::VecDeque;

/// A sliding-window budget: at most `max` destructive actions in any `window_secs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestructiveBudget {
    max: u32,
    window_secs: u64,
    spent: VecDeque<u64>,
}

impl DestructiveBudget {
    /// A budget of `max` actions per `window_secs`.
    pub fn new(max: u32, window_secs: u64) -> Self {
        DestructiveBudget {
            max,
            window_secs,
            spent: VecDeque::new(),
        }
    }

    /// Whether one more destructive action may start at `now`.
    pub fn allows(&self, now: u64) -> bool {
        let start = now.saturating_sub(self.window_secs);
        let used = self
            .spent
            .iter()
            .filter(|&&t| t > start && t <= now)
            .count();
        u32::try_from(used).unwrap_or(u32::MAX) < self.max
    }

    /// Records a destructive action started at `now`.
    pub fn spend(&mut self, now: u64) {
        let start = now.saturating_sub(self.window_secs);
        self.spent.retain(|&t| t > start);
        self.spent.push_back(now);
    }

    /// When the next slot frees up, if the budget is exhausted at `now`.
    pub fn next_free(&self, now: u64) -> Option<u64> {
        if self.allows(now) {
            return None;
        }
        let start = now.saturating_sub(self.window_secs);
        self.spent
            .iter()
            .filter(|&&t| t > start)
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

    #[test]
    fn zero_budget_never_allows() {
        assert!(!DestructiveBudget::new(0, 100).allows(5));
    }
}
