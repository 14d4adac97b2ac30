//! Explaining a failure for Events and escalations: an immutable-field conflict with the
//! `immutable-rules` catalog (which rule the API server applied, when it refuses a change, and the
//! ways out), and a failure no recovery pattern matched (what to do about it).

use immutable_rules::{builtin_rules, RuleInfo};
use recovery_patterns::{Action, Classification};

use crate::flux::ObjectRef;

/// The catalog rule that governs `field` of `kind` (in API `group`, `""` for core), if any.
///
/// The most exact match wins: the rule's field equals the message's field, then a wildcard rule
/// (`spec.*`) over it, then a rule for a parent of the field (`spec.template` for
/// `spec.template.spec.containers`).
pub fn rule_for(kind: &str, group: &str, field: &str) -> Option<&'static RuleInfo> {
    let qualified = if group.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}.{group}")
    };
    let rank = |rule: &RuleInfo| -> Option<u8> {
        rule.fields
            .iter()
            .filter_map(|f| {
                if *f == field {
                    Some(0)
                } else if f.strip_suffix(".*").is_some_and(|prefix| {
                    field == prefix || field.starts_with(&format!("{prefix}."))
                }) {
                    Some(1)
                } else if field.starts_with(&format!("{f}.")) || field.starts_with(&format!("{f}["))
                {
                    Some(2)
                } else {
                    None
                }
            })
            .min()
    };
    builtin_rules()
        .iter()
        .copied()
        .filter(|rule| rule.kinds.contains(&qualified.as_str()))
        .filter_map(|rule| rank(rule).map(|r| (r, rule)))
        .min_by_key(|(r, _)| *r)
        .map(|(_, rule)| rule)
}

/// One sentence for an Event: why the target cannot be updated in place and the ways out, when
/// the classification is an immutable-field conflict the catalog knows.
pub fn explain(classification: &Classification) -> Option<String> {
    if classification.action != Action::RecreateResource {
        return None;
    }
    let target = classification.target.as_ref()?;
    let field = target.field.as_deref()?;
    let reference = ObjectRef {
        api_version: None,
        kind: target.kind.clone(),
        namespace: None,
        name: target.name.clone(),
    };
    let group = crate::target::resolve_static(&reference, &[])
        .map(|r| r.resource.group)
        .unwrap_or_default();
    let rule = rule_for(&target.kind, &group, field)?;
    let ways: Vec<&str> = rule.remediations.iter().map(|r| r.text()).collect();
    Some(format!(
        "immutable-rules `{}`: the API server refuses the update when {}; ways out: {}",
        rule.id,
        rule.condition,
        ways.join("; ")
    ))
}

/// The longest part of the failure line quoted in an [`unrecognised`] note, in bytes: the
/// guidance after it must fit in an Event's 1 kB note.
pub const MAX_QUOTED_LINE: usize = 400;

/// The note of the Event about a failure no recovery pattern matched: the failing line, that
/// nothing was changed, and how to teach the controller the failure (custom patterns are loaded
/// with `--patterns`, merged over the built-ins; `deploy/` mounts them from the
/// `recovery-patterns.yaml` key of the `unstuck-controller-config` ConfigMap).
pub fn unrecognised(line: &str, target: Option<&ObjectRef>) -> String {
    let mut quoted = line.trim();
    if quoted.len() > MAX_QUOTED_LINE {
        let mut cut = MAX_QUOTED_LINE;
        while !quoted.is_char_boundary(cut) {
            cut -= 1;
        }
        quoted = &quoted[..cut];
    }
    let ellipsis = if quoted.len() < line.trim().len() {
        "…"
    } else {
        ""
    };
    let about = target.map(|t| format!(" (about {t})")).unwrap_or_default();
    format!(
        "no recovery pattern matched the failure \"{quoted}{ellipsis}\"{about}; nothing was changed, \
         investigate. To recover it automatically next time, add a pattern to the file the \
         controller loads with --patterns (in deploy/: recovery-patterns.yaml of ConfigMap \
         unstuck-controller-config; format in docs/recovery-patterns.md) and restart the controller"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unrecognised_note_quotes_the_line_and_says_how_to_add_a_pattern() {
        let target = ObjectRef {
            api_version: None,
            kind: "ConfigMap".into(),
            namespace: Some("apps".into()),
            name: "vars".into(),
        };
        let note = unrecognised(
            "substitute from 'ConfigMap/vars' error: boom",
            Some(&target),
        );
        assert!(
            note.starts_with("no recovery pattern matched the failure \"substitute from 'ConfigMap/vars' error: boom\" (about ConfigMap/apps/vars); nothing was changed"),
            "{note}"
        );
        assert!(note.contains("--patterns"), "{note}");
        assert!(
            note.contains("ConfigMap unstuck-controller-config"),
            "{note}"
        );
        // A long line is cut so the guidance still fits in an Event's 1 kB note.
        let long = unrecognised(&"é".repeat(2000), None);
        assert!(long.len() < 1000, "{}", long.len());
        assert!(long.contains("…\"; nothing was changed"), "{long}");
        assert!(long.ends_with("restart the controller"), "{long}");
    }

    #[test]
    fn exact_wildcard_and_parent_matches() {
        assert_eq!(
            rule_for("Deployment", "apps", "spec.selector").unwrap().id,
            "deployment-selector"
        );
        // `spec: Forbidden` on a StatefulSet is the allow-list rule `spec.*`.
        let sts = rule_for("StatefulSet", "apps", "spec").unwrap();
        assert!(sts.fields.contains(&"spec.*"), "{}", sts.id);
        // A deeper field than any rule names falls back to the parent rule.
        let job = rule_for("Job", "batch", "spec.template.spec.containers").unwrap();
        assert!(job.fields.contains(&"spec.template"), "{}", job.id);
        assert!(rule_for("Deployment", "apps", "spec.replicas").is_none());
        assert!(rule_for("Widget", "example.com", "spec").is_none());
    }

    #[test]
    fn builtin_classification_of_a_statefulset_conflict_is_explained() {
        let message = "StatefulSet/db/pg dry-run failed (Invalid): StatefulSet.apps \"pg\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";
        let c = recovery_patterns::PatternSet::builtin()
            .classify(message, Some("Kustomization"))
            .unwrap();
        let why = explain(&c).unwrap();
        assert!(why.starts_with("immutable-rules `statefulset-"), "{why}");
        assert!(why.contains("--cascade=orphan"), "{why}");
        let reconcile = recovery_patterns::PatternSet::builtin()
            .classify("Health check failed after 5m0s, timeout waiting for: [Deployment/a/b status: 'InProgress']", None)
            .unwrap();
        assert_eq!(explain(&reconcile), None);
    }
}
