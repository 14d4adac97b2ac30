//! Fields that end up in the updated object although the new manifest does not ask for them:
//! apply keeps every field git does not own (set by another field manager, by `kubectl edit`, or
//! by the server's defaulting). Several cross-field checks of the API server then reject an object
//! that git alone would never produce. These helpers say whether such a field survives and what to
//! change in git.

use serde_json::Value;

use super::Checker;
use crate::context::Mode;
use crate::update::Sent;

/// Whether the field at `path` is set after the update. `defaulted_in_git` tells, in `Git` mode,
/// whether the server filled the field on the live object without git owning it (git mode cannot
/// see the live object, so the caller derives it from the old manifest).
pub(super) fn survives(c: &Checker<'_>, path: &[&str], defaulted_in_git: bool) -> bool {
    match (c.upd.sent(path), c.upd.mode) {
        (Sent::Value(v), _) => !v.is_null(),
        (Sent::Null, _) => false,
        (Sent::Absent, Mode::Apply) => c.upd.old_at(path).is_some(),
        (Sent::Absent, Mode::Git) => defaulted_in_git,
    }
}

/// What to change in git so that the field at `path` no longer reaches the updated object.
pub(super) fn advice(c: &Checker<'_>, path: &[&str]) -> String {
    let owner = match c.upd.mode {
        Mode::Apply => "git does not own it (another field manager, `kubectl edit` or the server's defaulting set it)",
        Mode::Git => "the server defaulted it and git never owned it",
    };
    advice_owned_by(c, path, owner)
}

/// [`advice`] with the reason the field stays (`owner`) given by the caller.
pub(super) fn advice_owned_by(c: &Checker<'_>, path: &[&str], owner: &str) -> String {
    let dotted = path.join(".");
    if let Sent::Value(_) = c.upd.sent(path) {
        return format!("remove `{dotted}` from git");
    }
    let (parent, leaf) = path.split_at(path.len().saturating_sub(1));
    let leaf = leaf.first().copied().unwrap_or_default();
    let under = if parent.is_empty() {
        String::new()
    } else {
        format!(" under `{}`", parent.join("."))
    };
    format!(
        "`{dotted}` stays because {owner}, so apply keeps the live value: add `{leaf}: null`{under} to the manifest in git (client-side apply), or remove it once from the live object with `{}`",
        patch_command(c, path)
    )
}

/// `kubectl patch` removing the field at `path` from the live object.
fn patch_command(c: &Checker<'_>, path: &[&str]) -> String {
    let mut pointer = String::new();
    for key in path {
        pointer.push('/');
        pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
    }
    let namespace = c
        .object
        .namespace
        .as_deref()
        .map(|ns| format!(" -n {ns}"))
        .unwrap_or_default();
    format!(
        "kubectl patch {} {}{namespace} --type=json -p '[{{\"op\":\"remove\",\"path\":\"{pointer}\"}}]'",
        c.object.kind.to_lowercase(),
        c.object.name,
    )
}

/// Whether the value at `path` after the update is a non-empty value (sent, or kept by apply).
pub(super) fn non_empty_after(c: &Checker<'_>, path: &[&str]) -> bool {
    let value: Option<&Value> = match (c.upd.sent(path), c.upd.mode) {
        (Sent::Value(v), _) => Some(v),
        (Sent::Absent, Mode::Apply) => c.upd.old_at(path),
        _ => None,
    };
    value.is_some_and(|v| !crate::compare::is_vacuous(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Context;
    use crate::update::Update;
    use crate::violation::ObjectRef;
    use serde_json::json;

    fn with_checker(mode: Mode, old: &Value, new: &Value, test: impl FnOnce(&Checker<'_>)) {
        let ctx = match mode {
            Mode::Apply => Context::apply(),
            Mode::Git => Context::git(),
        };
        let object = ObjectRef {
            kind: "Service".into(),
            name: "web".into(),
            namespace: Some("shop".into()),
            ..ObjectRef::default()
        };
        let mut out = Vec::new();
        let upd = Update { old, new, mode };
        let checker = Checker::new(upd, &ctx, &object, &mut out);
        test(&checker);
    }

    #[test]
    fn apply_keeps_unsent_fields_and_null_removes_them() {
        let old = json!({"spec": {"a": [1], "b": 2}});
        let new = json!({"spec": {"b": null}});
        with_checker(Mode::Apply, &old, &new, |c| {
            assert!(survives(c, &["spec", "a"], false));
            assert!(!survives(c, &["spec", "b"], true));
            let text = advice(c, &["spec", "a"]);
            assert!(text.contains("add `a: null` under `spec`"), "{text}");
            assert!(
                text.contains("kubectl patch service web -n shop --type=json -p '[{\"op\":\"remove\",\"path\":\"/spec/a\"}]'"),
                "{text}"
            );
        });
        with_checker(Mode::Git, &old, &new, |c| {
            assert!(!survives(c, &["spec", "a"], false));
            assert!(survives(c, &["spec", "a"], true));
        });
    }

    #[test]
    fn sent_fields_are_removed_from_git_and_keys_are_escaped_in_the_patch() {
        let old = json!({});
        let new = json!({"metadata": {"annotations": {"a/b": "x"}}});
        with_checker(Mode::Apply, &old, &new, |c| {
            let sent = advice(c, &["metadata", "annotations", "a/b"]);
            assert_eq!(sent, "remove `metadata.annotations.a/b` from git");
        });
        let old = json!({"metadata": {"annotations": {"a/b": "x"}}});
        let new = json!({});
        with_checker(Mode::Apply, &old, &new, |c| {
            let kept = advice(c, &["metadata", "annotations", "a/b"]);
            assert!(
                kept.contains("\"path\":\"/metadata/annotations/a~1b\""),
                "{kept}"
            );
        });
    }
}
