//! When to act on a classified failure, and when to give up: a pure, serialisable state machine.
//!
//! One [`RetryState`] exists per (object, pattern). The caller feeds it every sighting with
//! [`RetryState::observe`] and gets a [`RetryDecision`] back; it records what it did with
//! [`RetryState::record_attempt`] (before acting, so a restart never repeats an action) and
//! [`RetryState::record_result`]. Time is plain unix seconds passed in by the caller, and the
//! jitter comes from a hash of the state's key, so the same inputs always give the same answers
//! and the state can be persisted (for example in an annotation or a `ConfigMap`) as JSON.
//!
//! ```
//! use recovery_patterns::retry::{RetryDecision, RetryPolicy, RetryState};
//!
//! let policy = RetryPolicy { max_retries: 2, base_delay_secs: 60, jitter_percent: 0, ..RetryPolicy::default() };
//! let mut state = RetryState::new("Kustomization/flux-system/apps", "field-immutable");
//! assert_eq!(state.observe(1_000, &policy), RetryDecision::Act { attempt: 1 });
//! state.record_attempt(1_000, &policy);
//! assert_eq!(state.observe(1_030, &policy), RetryDecision::Wait { until: 1_060 });
//! assert_eq!(state.observe(1_060, &policy), RetryDecision::Act { attempt: 2 });
//! state.record_attempt(1_060, &policy);
//! assert_eq!(state.observe(2_000, &policy), RetryDecision::Exhausted { attempts: 2, escalated: false });
//! state.record_escalation(2_000);
//!
//! let saved = serde_json::to_string(&state)?;
//! let restored: RetryState = serde_json::from_str(&saved)?;
//! assert_eq!(restored, state);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::MinOccurrences;
use crate::set::Classification;

/// How a pattern's action is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct RetryPolicy {
    /// Attempts allowed before the state is exhausted (0: escalate at once, never act).
    pub max_retries: u32,
    /// Delay after the first attempt, in seconds.
    pub base_delay_secs: u64,
    /// Factor applied to the delay after each further attempt.
    pub multiplier: u32,
    /// Upper bound of any delay, in seconds.
    pub max_delay_secs: u64,
    /// Up to this percentage of each delay is taken off at random (deterministically per key
    /// and attempt), so many objects failing together do not retry in lockstep.
    pub jitter_percent: u8,
    /// Act only after this many sightings within the window.
    pub min_occurrences: Option<MinOccurrences>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: crate::set::DEFAULT_MAX_RETRIES,
            base_delay_secs: 60,
            multiplier: 2,
            max_delay_secs: 3600,
            jitter_percent: 20,
            min_occurrences: None,
        }
    }
}

impl RetryPolicy {
    /// The default backoff with a classification's `max_retries` and `min_occurrences`.
    pub fn for_classification(classification: &Classification) -> Self {
        RetryPolicy {
            max_retries: classification.max_retries,
            min_occurrences: classification.min_occurrences,
            ..RetryPolicy::default()
        }
    }

    /// The delay after attempt number `attempt` (1-based) before the next may start, without
    /// jitter: `base * multiplier^(attempt-1)`, capped at `max_delay_secs`.
    pub fn backoff(&self, attempt: u32) -> u64 {
        let exponent = attempt.saturating_sub(1);
        let factor = u64::from(self.multiplier.max(1))
            .checked_pow(exponent)
            .unwrap_or(u64::MAX);
        self.base_delay_secs
            .saturating_mul(factor)
            .min(self.max_delay_secs)
    }

    /// [`RetryPolicy::backoff`] minus a deterministic jitter drawn from `seed` and `attempt`.
    pub fn backoff_with_jitter(&self, attempt: u32, seed: u64) -> u64 {
        let delay = self.backoff(attempt);
        let percent = u64::from(self.jitter_percent.min(100));
        if percent == 0 || delay == 0 {
            return delay;
        }
        let span = u128::from(delay) * u128::from(percent) / 100;
        let draw = u128::from(mix(
            seed ^ u64::from(attempt).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ));
        let cut = u64::try_from(draw % (span + 1)).unwrap_or(0);
        delay - cut
    }
}

/// What the caller should do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "decision")]
pub enum RetryDecision {
    /// Seen too few times within the window to act yet.
    Pending {
        /// Sightings within the window.
        seen: u32,
        /// Sightings required.
        needed: u32,
    },
    /// Backing off after an earlier attempt.
    Wait {
        /// Unix seconds from which the next attempt may start.
        until: u64,
    },
    /// Carry out the action; call [`RetryState::record_attempt`] first.
    Act {
        /// 1-based number of the attempt about to be made.
        attempt: u32,
    },
    /// No retries left: escalate to a human (once; see `escalated`).
    Exhausted {
        /// Attempts made.
        attempts: u32,
        /// Whether [`RetryState::record_escalation`] was already called.
        escalated: bool,
    },
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// The object recovered.
    Succeeded,
    /// It did not.
    Failed,
}

/// Retry bookkeeping for one (object, pattern).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RetryState {
    /// The object, e.g. `Kustomization/flux-system/apps`.
    pub object: String,
    /// The pattern name.
    pub pattern: String,
    /// Jitter seed (derived from `object` and `pattern` unless set by the caller).
    pub seed: u64,
    /// Attempts made since the state was created or last succeeded.
    pub attempts: u32,
    /// Recent sightings (unix seconds), oldest first, at most `min_occurrences.count`.
    #[serde(default)]
    pub sightings: Vec<u64>,
    /// First sighting since the state was created or last succeeded.
    pub first_seen: Option<u64>,
    /// Latest sighting.
    pub last_seen: Option<u64>,
    /// When the latest attempt started.
    pub last_attempt: Option<u64>,
    /// When the next attempt may start.
    pub next_attempt_at: Option<u64>,
    /// How the latest attempt ended, once known.
    pub last_outcome: Option<AttemptOutcome>,
    /// When the exhausted state was escalated.
    pub escalated_at: Option<u64>,
    /// Recoveries so far (kept across resets, for reporting).
    #[serde(default)]
    pub recoveries: u32,
}

impl RetryState {
    /// A fresh state whose jitter seed is a hash of `object` and `pattern`.
    pub fn new(object: impl Into<String>, pattern: impl Into<String>) -> Self {
        let object = object.into();
        let pattern = pattern.into();
        let seed = fnv1a(
            object.as_bytes(),
            fnv1a(pattern.as_bytes(), 0xcbf2_9ce4_8422_2325),
        );
        Self::with_seed(object, pattern, seed)
    }

    /// A fresh state with a caller-chosen jitter seed.
    pub fn with_seed(object: impl Into<String>, pattern: impl Into<String>, seed: u64) -> Self {
        RetryState {
            object: object.into(),
            pattern: pattern.into(),
            seed,
            attempts: 0,
            sightings: Vec::new(),
            first_seen: None,
            last_seen: None,
            last_attempt: None,
            next_attempt_at: None,
            last_outcome: None,
            escalated_at: None,
            recoveries: 0,
        }
    }

    /// Record a sighting of the failure at `now` and decide.
    pub fn observe(&mut self, now: u64, policy: &RetryPolicy) -> RetryDecision {
        self.first_seen.get_or_insert(now);
        self.last_seen = Some(self.last_seen.map_or(now, |last| last.max(now)));
        if let Some(rule) = policy.min_occurrences {
            let window_start = now.saturating_sub(rule.time_window);
            self.sightings.push(now);
            self.sightings.sort_unstable();
            self.sightings
                .retain(|&seen| seen >= window_start && seen <= now);
            let keep = usize::try_from(rule.count.max(1)).unwrap_or(usize::MAX);
            if self.sightings.len() > keep {
                self.sightings.drain(..self.sightings.len() - keep);
            }
        }
        self.decide(now, policy)
    }

    /// Decide at `now` without recording a sighting.
    pub fn decide(&self, now: u64, policy: &RetryPolicy) -> RetryDecision {
        if self.attempts >= policy.max_retries {
            return RetryDecision::Exhausted {
                attempts: self.attempts,
                escalated: self.escalated_at.is_some(),
            };
        }
        if let Some(rule) = policy.min_occurrences {
            let window_start = now.saturating_sub(rule.time_window);
            let seen = self
                .sightings
                .iter()
                .filter(|&&seen| seen >= window_start && seen <= now)
                .count();
            let seen = u32::try_from(seen).unwrap_or(u32::MAX);
            if seen < rule.count {
                return RetryDecision::Pending {
                    seen,
                    needed: rule.count,
                };
            }
        }
        match self.next_attempt_at {
            Some(until) if now < until => RetryDecision::Wait { until },
            _ => RetryDecision::Act {
                attempt: self.attempts + 1,
            },
        }
    }

    /// Record that an attempt starts at `now` (persist this before acting) and schedule the
    /// earliest next one. Returns the attempt number.
    pub fn record_attempt(&mut self, now: u64, policy: &RetryPolicy) -> u32 {
        self.attempts = self.attempts.saturating_add(1);
        self.last_attempt = Some(now);
        self.last_outcome = None;
        self.next_attempt_at =
            Some(now.saturating_add(policy.backoff_with_jitter(self.attempts, self.seed)));
        self.attempts
    }

    /// Record how the latest attempt ended. Success resets the state (attempts, sightings,
    /// escalation) so a later, unrelated failure starts afresh; failure keeps the backoff.
    pub fn record_result(&mut self, outcome: AttemptOutcome) {
        self.last_outcome = Some(outcome);
        if outcome == AttemptOutcome::Succeeded {
            self.recoveries = self.recoveries.saturating_add(1);
            self.attempts = 0;
            self.sightings.clear();
            self.first_seen = None;
            self.next_attempt_at = None;
            self.escalated_at = None;
        }
    }

    /// Record that the exhausted state was escalated (an Event, an alert) at `now`.
    pub fn record_escalation(&mut self, now: u64) {
        self.escalated_at.get_or_insert(now);
    }
}

/// Retry states for many (object, pattern) pairs, keyed `object#pattern`; serialisable as one
/// JSON object for persistence.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RetryBook {
    states: BTreeMap<String, RetryState>,
}

impl RetryBook {
    /// An empty book.
    pub fn new() -> Self {
        RetryBook::default()
    }

    /// The key of an (object, pattern) pair.
    pub fn key(object: &str, pattern: &str) -> String {
        format!("{object}#{pattern}")
    }

    /// The state for (object, pattern), created fresh if absent.
    pub fn entry(&mut self, object: &str, pattern: &str) -> &mut RetryState {
        self.states
            .entry(Self::key(object, pattern))
            .or_insert_with(|| RetryState::new(object, pattern))
    }

    /// The state for (object, pattern), if any.
    pub fn get(&self, object: &str, pattern: &str) -> Option<&RetryState> {
        self.states.get(&Self::key(object, pattern))
    }

    /// Forget an object's states (it became Ready, or was deleted).
    pub fn forget_object(&mut self, object: &str) {
        self.states.retain(|_, state| state.object != object);
    }

    /// Drop states not seen since `cutoff` (unix seconds).
    pub fn prune_older_than(&mut self, cutoff: u64) {
        self.states
            .retain(|_, state| state.last_seen.is_some_and(|seen| seen >= cutoff));
    }

    /// All states.
    pub fn iter(&self) -> impl Iterator<Item = &RetryState> {
        self.states.values()
    }

    /// Number of states.
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// Whether the book is empty.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }
}

fn fnv1a(bytes: &[u8], mut hash: u64) -> u64 {
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// splitmix64's finaliser: spreads seed bits over the whole word.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_retries: 3,
            base_delay_secs: 10,
            multiplier: 2,
            max_delay_secs: 30,
            jitter_percent: 0,
            min_occurrences: None,
        }
    }

    #[test]
    fn backoff_grows_exponentially_up_to_the_cap() {
        let policy = policy();
        assert_eq!(
            (1..=5).map(|n| policy.backoff(n)).collect::<Vec<_>>(),
            [10, 20, 30, 30, 30]
        );
        let huge = RetryPolicy {
            max_delay_secs: u64::MAX,
            ..policy
        };
        assert_eq!(huge.backoff(200), u64::MAX);
    }

    #[test]
    fn jitter_is_bounded_and_deterministic() {
        let policy = RetryPolicy {
            jitter_percent: 50,
            max_delay_secs: 10_000,
            ..policy()
        };
        let mut distinct = std::collections::BTreeSet::new();
        for seed in 0..200 {
            let delay = policy.backoff_with_jitter(3, seed);
            assert!((20..=40).contains(&delay), "{delay}");
            assert_eq!(delay, policy.backoff_with_jitter(3, seed));
            distinct.insert(delay);
        }
        assert!(
            distinct.len() > 5,
            "jitter should vary with the seed: {distinct:?}"
        );
    }

    #[test]
    fn acts_waits_and_exhausts() {
        let policy = policy();
        let mut state = RetryState::new("Kustomization/flux-system/apps", "field-immutable");
        assert_eq!(
            state.observe(100, &policy),
            RetryDecision::Act { attempt: 1 }
        );
        assert_eq!(state.record_attempt(100, &policy), 1);
        state.record_result(AttemptOutcome::Failed);
        assert_eq!(
            state.observe(105, &policy),
            RetryDecision::Wait { until: 110 }
        );
        assert_eq!(
            state.observe(110, &policy),
            RetryDecision::Act { attempt: 2 }
        );
        state.record_attempt(110, &policy);
        assert_eq!(
            state.observe(120, &policy),
            RetryDecision::Wait { until: 130 }
        );
        state.record_attempt(130, &policy);
        assert_eq!(
            state.observe(500, &policy),
            RetryDecision::Exhausted {
                attempts: 3,
                escalated: false
            }
        );
        state.record_escalation(500);
        state.record_escalation(600);
        assert_eq!(state.escalated_at, Some(500));
        assert_eq!(
            state.observe(700, &policy),
            RetryDecision::Exhausted {
                attempts: 3,
                escalated: true
            }
        );
    }

    #[test]
    fn zero_retries_escalate_immediately() {
        let policy = RetryPolicy {
            max_retries: 0,
            ..policy()
        };
        let mut state = RetryState::new("HelmRelease/a/b", "kustomize-build-failed");
        assert_eq!(
            state.observe(1, &policy),
            RetryDecision::Exhausted {
                attempts: 0,
                escalated: false
            }
        );
    }

    #[test]
    fn min_occurrences_within_window() {
        let policy = RetryPolicy {
            min_occurrences: Some(MinOccurrences {
                count: 3,
                time_window: 60,
            }),
            ..policy()
        };
        let mut state = RetryState::new("Kustomization/a/b", "dependency-not-ready");
        assert_eq!(
            state.observe(0, &policy),
            RetryDecision::Pending { seen: 1, needed: 3 }
        );
        assert_eq!(
            state.observe(30, &policy),
            RetryDecision::Pending { seen: 2, needed: 3 }
        );
        // The first sighting falls out of the window.
        assert_eq!(
            state.observe(70, &policy),
            RetryDecision::Pending { seen: 2, needed: 3 }
        );
        assert_eq!(
            state.observe(80, &policy),
            RetryDecision::Act { attempt: 1 }
        );
        assert!(state.sightings.len() <= 3);
    }

    #[test]
    fn success_resets_but_counts_the_recovery() {
        let policy = policy();
        let mut state = RetryState::new("x", "y");
        state.observe(1, &policy);
        state.record_attempt(1, &policy);
        state.record_result(AttemptOutcome::Succeeded);
        assert_eq!(state.attempts, 0);
        assert_eq!(state.recoveries, 1);
        assert_eq!(state.observe(2, &policy), RetryDecision::Act { attempt: 1 });
    }

    #[test]
    fn clock_going_backwards_does_not_panic_or_act_early() {
        let policy = policy();
        let mut state = RetryState::new("x", "y");
        state.observe(1000, &policy);
        state.record_attempt(1000, &policy);
        assert_eq!(
            state.observe(10, &policy),
            RetryDecision::Wait { until: 1010 }
        );
        assert_eq!(state.last_seen, Some(1000));
    }

    #[test]
    fn book_round_trips_and_keys_per_object_and_pattern() {
        let policy = policy();
        let mut book = RetryBook::new();
        book.entry("Kustomization/a/b", "p1").observe(5, &policy);
        book.entry("Kustomization/a/b", "p2").observe(6, &policy);
        book.entry("HelmRelease/a/c", "p1")
            .record_attempt(7, &policy);
        assert_eq!(book.len(), 3);
        let json = serde_json::to_string(&book).unwrap();
        let back: RetryBook = serde_json::from_str(&json).unwrap();
        assert_eq!(back, book);
        book.forget_object("Kustomization/a/b");
        assert_eq!(book.len(), 1);
        book.prune_older_than(100);
        assert!(book.is_empty());
    }

    #[test]
    fn decisions_serialise_with_a_tag() {
        let json = serde_json::to_string(&RetryDecision::Wait { until: 5 }).unwrap();
        assert_eq!(json, r#"{"decision":"wait","until":5}"#);
    }
}
