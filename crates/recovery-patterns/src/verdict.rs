//! What a message means when no pattern decides it: a failure nobody recognised, or no failure.
//!
//! A failure message that matches no pattern is never dropped silently: it gets the documented
//! default — pattern [`UNKNOWN_PATTERN`], severity [`UNKNOWN_SEVERITY`] and the next step
//! [`UNKNOWN_NEXT_STEP`] — and no recovery action, since nothing is known to be safe. Progress and
//! success messages (`Reconciliation in progress`, `Applied revision: …`) are not failures and get
//! [`Verdict::NotAFailure`]. The two are told apart by the condition reason when it is known
//! (`…Failed`, `…Error`, `RetriesExceeded`, `DependencyNotReady`, …), otherwise by the wording.

use serde::{Deserialize, Serialize};

use crate::action::Severity;
use crate::set::Classification;
use crate::target::Target;

/// The pattern name reported for a failure no pattern matched.
pub const UNKNOWN_PATTERN: &str = "unknown";

/// The severity of a failure no pattern matched: it blocks delivery until someone looks, but
/// nothing says it is worse than that.
pub const UNKNOWN_SEVERITY: Severity = Severity::Medium;

/// The next step for a failure no pattern matched.
pub const UNKNOWN_NEXT_STEP: &str = "investigate";

/// Everything said about one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// A pattern matched.
    Known(Classification),
    /// A failure no pattern matched: the documented default.
    Unknown(UnknownFailure),
    /// Progress, success, or no message at all.
    NotAFailure,
}

impl Verdict {
    /// The classification, when a pattern matched.
    pub fn classification(&self) -> Option<&Classification> {
        match self {
            Verdict::Known(found) => Some(found),
            Verdict::Unknown(_) | Verdict::NotAFailure => None,
        }
    }

    /// Whether the message reports a failure (known or not).
    pub fn is_failure(&self) -> bool {
        !matches!(self, Verdict::NotAFailure)
    }
}

/// A failure message no pattern matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnknownFailure {
    /// Always [`UNKNOWN_PATTERN`].
    pub pattern: String,
    /// Always [`UNKNOWN_SEVERITY`].
    pub severity: Severity,
    /// Always [`UNKNOWN_NEXT_STEP`].
    pub next_step: String,
    /// The line of the message that reports the failure (the first line that is not blank and
    /// not an apply change-log entry).
    pub line: String,
    /// The object the message names, if any.
    pub target: Option<Target>,
}

impl UnknownFailure {
    pub(crate) fn new(line: &str, target: Option<Target>) -> Self {
        UnknownFailure {
            pattern: UNKNOWN_PATTERN.to_owned(),
            severity: UNKNOWN_SEVERITY,
            next_step: UNKNOWN_NEXT_STEP.to_owned(),
            line: line.to_owned(),
            target,
        }
    }
}

/// Condition reasons Flux writes while things are fine or still moving.
const PROGRESS_REASONS: [&str; 10] = [
    "Progressing",
    "ProgressingWithRetry",
    "ReconciliationSucceeded",
    "Succeeded",
    "InstallSucceeded",
    "UpgradeSucceeded",
    "TestSucceeded",
    "RollbackSucceeded",
    "UninstallSucceeded",
    "HealthCheckCanceled",
];

/// Endings of the condition reasons Flux writes for failures (`ReconciliationFailed`,
/// `ValuesError`, `RetriesExceeded`, `DependencyNotReady`, `AccessDenied`, …).
const FAILURE_REASON_ENDINGS: [&str; 8] = [
    "Failed", "Error", "Exceeded", "NotReady", "Denied", "Disabled", "Target", "Invalid",
];

/// Beginnings of the progress and success messages Flux writes (lower case).
const PROGRESS_OPENINGS: [&str; 24] = [
    "reconciliation in progress",
    "reconciliation finished",
    "applied revision",
    "running health checks",
    "health check passed",
    "fulfilling prerequisites",
    "running '",
    "stored artifact",
    "artifact up-to-date",
    "no drift detected",
    "detecting drift",
    "fetching manifests",
    "building manifests",
    "building artifact",
    "new upstream revision",
    "installed release",
    "upgraded release",
    "rolled back to previous release",
    "unlocked release",
    "unlocked helm release",
    "new reconciliation triggered",
    "helm repository is ready",
    "pulled '",
    "packaged '",
];

/// Words that only failure messages use (lower case).
const FAILURE_WORDS: [&str; 31] = [
    "fail",
    "error",
    "invalid",
    "forbidden",
    "denied",
    "unable",
    "cannot",
    "can't",
    "could not",
    "couldn't",
    "not found",
    "timed out",
    "timeout waiting",
    "timeout:",
    "already exists",
    "does not match",
    "doesn't match",
    "exceeded",
    "refused",
    "unauthorized",
    "conflict",
    "not ready",
    "missing",
    "no such",
    "not allowed",
    "rejected",
    "wrong",
    "panic",
    "not supported",
    "unknown",
    "is empty",
];

/// Whether `line` (the first meaningful line of a message) is a progress or success message.
pub(crate) fn is_progress(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    PROGRESS_OPENINGS
        .iter()
        .any(|opening| lower.starts_with(opening))
        || lower.contains(" succeeded")
        || lower.contains("is awaiting tests")
        || PROGRESS_REASONS.contains(&line)
}

/// Whether a message no pattern matched reports a failure.
pub(crate) fn is_failure(first_line: &str, text: &str, reason: Option<&str>) -> bool {
    if first_line.is_empty() || is_progress(first_line) {
        return false;
    }
    if let Some(reason) = reason {
        if FAILURE_REASON_ENDINGS
            .iter()
            .any(|ending| reason.ends_with(ending))
        {
            return true;
        }
        if PROGRESS_REASONS.contains(&reason) {
            return false;
        }
    }
    let lower = text.to_ascii_lowercase();
    FAILURE_WORDS.iter().any(|word| lower.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_never_a_failure_whatever_the_reason() {
        for line in [
            "Reconciliation in progress",
            "Applied revision: main@sha1:4f1c2b7d",
            "Helm upgrade succeeded for release a/b.v2 with chart b@1.0.0",
            "Running health checks for revision main@sha1:4f1c2b7d with a timeout of 5m0s",
        ] {
            assert!(
                !is_failure(line, line, Some("ReconciliationFailed")),
                "{line}"
            );
        }
    }

    #[test]
    fn a_failure_reason_or_a_failure_word_makes_a_failure() {
        assert!(is_failure(
            "frobnication incomplete",
            "frobnication incomplete",
            Some("BuildFailed")
        ));
        assert!(is_failure(
            "Could not determine release state: x",
            "Could not determine release state: x",
            None
        ));
        assert!(!is_failure(
            "frobnication incomplete",
            "frobnication incomplete",
            None
        ));
        assert!(!is_failure(
            "the weather is fine",
            "the weather is fine",
            Some("Progressing")
        ));
        assert!(!is_failure("", "", Some("ReconciliationFailed")));
    }
}
