//! Recovery state persisted on each Flux object.
//!
//! The state lives in one annotation, [`STATE_ANNOTATION`], on the Flux object it is about, as
//! compact JSON. Keeping it on the object (rather than in a shared ConfigMap) means it is written
//! atomically together with Flux's request annotations in a single merge patch, guarded by the
//! object's `resourceVersion`, it disappears with the object, and no two objects ever contend for
//! one ConfigMap. Flux ignores annotation changes other than its request annotations, so writing it
//! does not trigger reconciliations.
//!
//! The part that makes restarts safe is [`RecoveryRecord::destructive`]: a destructive action is
//! written here *before* it is carried out, and [`crate::decide`] never plans a destructive action
//! whose (generation, source revision, target) is already recorded, so a restarted or newly elected controller never
//! repeats a deletion.

use recovery_patterns::retry::RetryBook;
use recovery_patterns::Action;
use serde::{Deserialize, Serialize};

/// Annotation holding the controller's persisted [`RecoveryRecord`].
pub use recovery_actions::flux::STATE_ANNOTATION;

/// How many destructive marks are kept per object (newest last).
pub const MAX_DESTRUCTIVE_MARKS: usize = 16;

/// Everything the controller remembers about one Flux object between reconciliations and restarts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RecoveryRecord {
    /// The failure currently being tracked, if the object is not Ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub episode: Option<Episode>,
    /// Retry bookkeeping per pattern (from `recovery-patterns`).
    #[serde(skip_serializing_if = "RetryBook::is_empty")]
    pub retries: RetryBook,
    /// An action that was carried out and now awaits the object becoming Ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<PendingAttempt>,
    /// Destructive actions ever started on behalf of this object (write-ahead marks), newest last.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub destructive: Vec<DestructiveMark>,
}

/// One failure episode: the object failing for one (generation, source revision), from its first
/// failure on.
///
/// Flux alternates `Ready=Unknown` ("Reconciliation in progress", "Running 'upgrade' action …")
/// and `Ready=False` with the error on every retry, and moves `lastTransitionTime` each time
/// (fluxcd/pkg `runtime/conditions` `Set`), so the episode's clock is kept here rather than read
/// from the condition. It ends when the object is Ready for its generation, or when Flux moves on
/// to another generation or revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Episode {
    /// `metadata.generation` of the Flux object while failing.
    #[serde(default)]
    pub generation: i64,
    /// `status.lastAttemptedRevision` while failing (`None` before Flux attempted any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// The latest failure message, cut to [`MAX_EPISODE_MESSAGE`] bytes: classified again while
    /// Flux is between two attempts, so the classification does not flap.
    #[serde(default)]
    pub message: String,
    /// Unix seconds of the episode's first failure: the stuck clock.
    pub since: u64,
    /// Unix seconds since when the (normalised) failure message has been unchanged.
    #[serde(default)]
    pub message_since: u64,
    /// The pattern the message was classified as, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// The condition reason the latest failure message came with (`ReconciliationFailed`). Flux's
    /// `Progressing` interludes replace the reason, and a message no pattern matches is told apart
    /// from progress by its reason, so the message is judged again with this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The exhausted state was escalated, or a notify-only action or a permanent skip was
    /// reported, for this episode and pattern.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reported: bool,
}

/// The longest failure message kept in an [`Episode`], in bytes.
pub const MAX_EPISODE_MESSAGE: usize = 2048;

impl Episode {
    /// Whether this episode is about `generation` and `revision`.
    pub fn is_for(&self, generation: i64, revision: Option<&str>) -> bool {
        self.generation == generation && self.revision.as_deref() == revision
    }
}

/// `message` cut to at most [`MAX_EPISODE_MESSAGE`] bytes at a character boundary.
pub fn bounded_message(message: &str) -> String {
    let mut cut = message.len().min(MAX_EPISODE_MESSAGE);
    while !message.is_char_boundary(cut) {
        cut -= 1;
    }
    message[..cut].to_owned()
}

/// An action carried out and awaiting verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingAttempt {
    /// The action.
    pub action: Action,
    /// The pattern it was taken for.
    pub pattern: String,
    /// Attempt number (1-based).
    pub attempt: u32,
    /// Unix seconds when it started.
    pub started_at: u64,
    /// `recreate_resource` deleted its target but it was still terminating: the reconcile request
    /// is sent once it is gone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub awaiting_deletion: Option<AwaitedDeletion>,
}

/// A deleted object whose disappearance the reconcile request waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AwaitedDeletion {
    /// The deleted object.
    pub target: crate::flux::ObjectRef,
    /// Its `metadata.uid` (a namesake with another uid is the re-created object).
    pub uid: String,
    /// The request-annotation token of the attempt.
    pub token: String,
}

/// A destructive action, recorded before it is carried out. It is keyed by (generation, source
/// revision, target): a new commit changes `status.lastAttemptedRevision` without changing the
/// Flux object's generation, and re-arms the action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DestructiveMark {
    /// `metadata.generation` of the Flux object at the time.
    pub generation: i64,
    /// `status.lastAttemptedRevision` of the Flux object at the time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// The target, as `Kind/namespace/name`.
    pub target: String,
    /// Unix seconds when it was recorded.
    pub at: u64,
}

/// The persisted annotation could not be decoded.
#[derive(Debug, thiserror::Error)]
#[error("unreadable recovery state annotation `{STATE_ANNOTATION}`")]
pub struct RecordError(#[from] serde_json::Error);

impl RecoveryRecord {
    /// Decodes the annotation value; `None` (no annotation) is an empty record.
    pub fn decode(annotation: Option<&str>) -> Result<RecoveryRecord, RecordError> {
        match annotation {
            None => Ok(RecoveryRecord::default()),
            Some(text) => Ok(serde_json::from_str(text)?),
        }
    }

    /// Encodes the record as the annotation value.
    pub fn encode(&self) -> String {
        // Serialising plain data with string keys cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Whether a destructive action on `target` was already started at `generation` and
    /// `revision`.
    pub fn destroyed_at(&self, generation: i64, revision: Option<&str>, target: &str) -> bool {
        self.destructive.iter().any(|m| {
            m.generation == generation && m.revision.as_deref() == revision && m.target == target
        })
    }

    /// Records a destructive action, keeping only the newest [`MAX_DESTRUCTIVE_MARKS`].
    pub fn mark_destructive(&mut self, mark: DestructiveMark) {
        self.destructive.push(mark);
        if self.destructive.len() > MAX_DESTRUCTIVE_MARKS {
            let excess = self.destructive.len() - MAX_DESTRUCTIVE_MARKS;
            self.destructive.drain(..excess);
        }
    }
}

/// Normalises a condition message for episode tracking: runs of digits become `0`, so durations,
/// counters and temp-dir names that change between retries do not start a new episode.
pub fn fingerprint(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(512));
    let mut in_digits = false;
    for c in message.chars().take(4096) {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('0');
            }
            in_digits = true;
        } else {
            out.push(c);
            in_digits = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_record_round_trips_as_empty_object() {
        let r = RecoveryRecord::default();
        assert_eq!(r.encode(), "{}");
        assert_eq!(RecoveryRecord::decode(Some("{}")).unwrap(), r);
        assert_eq!(RecoveryRecord::decode(None).unwrap(), r);
    }

    #[test]
    fn garbage_is_an_error_not_an_empty_record() {
        assert!(RecoveryRecord::decode(Some("not json")).is_err());
    }

    #[test]
    fn marks_are_bounded_and_found() {
        let mut r = RecoveryRecord::default();
        for g in 0..40 {
            r.mark_destructive(DestructiveMark {
                generation: g,
                revision: Some("main@sha1:1".into()),
                target: "Job/a/b".into(),
                at: 0,
            });
        }
        assert_eq!(r.destructive.len(), MAX_DESTRUCTIVE_MARKS);
        assert!(r.destroyed_at(39, Some("main@sha1:1"), "Job/a/b"));
        assert!(!r.destroyed_at(39, Some("main@sha1:2"), "Job/a/b"));
        assert!(!r.destroyed_at(39, Some("main@sha1:1"), "Job/a/c"));
        assert!(!r.destroyed_at(0, Some("main@sha1:1"), "Job/a/b"));
        let back = RecoveryRecord::decode(Some(&r.encode())).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn marks_written_before_revisions_were_recorded_still_read() {
        let r = RecoveryRecord::decode(Some(
            r#"{"destructive":[{"generation":2,"target":"Job/a/b","at":5}],"episode":{"fingerprint":"x","since":3}}"#,
        ))
        .unwrap();
        assert!(r.destroyed_at(2, None, "Job/a/b"));
        assert_eq!(r.episode.unwrap().generation, 0);
    }

    #[test]
    fn long_messages_are_cut_at_a_character_boundary() {
        let m = "é".repeat(MAX_EPISODE_MESSAGE);
        let cut = bounded_message(&m);
        assert!(cut.len() <= MAX_EPISODE_MESSAGE);
        assert!(m.starts_with(&cut));
    }

    #[test]
    fn fingerprint_collapses_numbers() {
        assert_eq!(
            fingerprint("Source artifact not found, retrying in 30s"),
            fingerprint("Source artifact not found, retrying in 125s")
        );
        assert_ne!(fingerprint("a"), fingerprint("b"));
        assert_eq!(
            fingerprint("/tmp/kustomization-1762639108/x"),
            "/tmp/kustomization-0/x"
        );
    }
}
