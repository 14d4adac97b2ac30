//! Multi-line messages: which lines carry the failure.
//!
//! kustomize-controller appends the change log of a partial apply to an apply error
//! (`"%w\n%s"`, one `Kind/namespace/name action` entry per line); SOPS and Helm write multi-line
//! errors (`Failed to get the data key …\n\nGroup 0: FAILED\n  age1…: FAILED`, `1 error
//! occurred:\n\t* …`). The change-log entries say what succeeded, so they are dropped before
//! matching; the rest is matched as it is, and the line the deciding pattern matched on is the
//! one worth showing.

use std::borrow::Cow;

/// The actions kustomize-controller's change-set entries end with (fluxcd/pkg `ssa.Action`).
const CHANGE_LOG_ACTIONS: [&str; 5] = ["created", "configured", "unchanged", "deleted", "skipped"];

/// Whether `line` is one entry of an apply change log (`Deployment/apps/web configured`).
pub(crate) fn is_change_log_entry(line: &str) -> bool {
    let Some((subject, action)) = line.trim().rsplit_once(' ') else {
        return false;
    };
    CHANGE_LOG_ACTIONS.contains(&action)
        && subject.contains('/')
        && !subject.contains(char::is_whitespace)
}

/// `message` without its change-log lines (borrowed when there are none to drop).
pub(crate) fn without_change_log(message: &str) -> Cow<'_, str> {
    if !message.contains('\n') || !message.lines().any(is_change_log_entry) {
        return Cow::Borrowed(message);
    }
    let kept: Vec<&str> = message
        .lines()
        .filter(|line| !is_change_log_entry(line))
        .collect();
    Cow::Owned(kept.join("\n"))
}

/// The non-blank lines of `message` that are not change-log entries, trimmed.
pub(crate) fn content_lines(message: &str) -> impl Iterator<Item = &str> {
    message
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !is_change_log_entry(line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_log_entries_are_recognised() {
        assert!(is_change_log_entry("Deployment/apps/web configured"));
        assert!(is_change_log_entry("Namespace/apps created"));
        assert!(is_change_log_entry("  ClusterRole/view unchanged"));
        assert!(!is_change_log_entry(
            "Deployment/apps/web dry-run failed (Invalid): x created"
        ));
        assert!(!is_change_log_entry("created"));
        assert!(!is_change_log_entry("web configured"));
    }

    #[test]
    fn only_change_log_lines_are_dropped() {
        let message = "Job/apps/migrate dry-run failed (Invalid): spec.template: field is immutable\nService/apps/web created\nDeployment/apps/web configured\n";
        assert_eq!(
            without_change_log(message),
            "Job/apps/migrate dry-run failed (Invalid): spec.template: field is immutable"
        );
        assert!(matches!(without_change_log("one line"), Cow::Borrowed(_)));
        let lines: Vec<&str> = content_lines("a\n\n  b \nX/y created\n").collect();
        assert_eq!(lines, ["a", "b"]);
    }
}
