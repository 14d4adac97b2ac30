//! The list of built-in rule ids is part of the interface: renames show up in review.

use std::collections::BTreeSet;

#[test]
fn rule_ids_are_unique_kebab_case() {
    let mut seen = BTreeSet::new();
    for rule in immutable_rules::builtin_rules() {
        assert!(seen.insert(rule.id), "duplicate rule id {}", rule.id);
        assert!(
            rule.id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{} is not kebab-case",
            rule.id
        );
        assert!(
            !rule.kinds.is_empty() && !rule.fields.is_empty(),
            "{} lacks kinds or fields",
            rule.id
        );
        assert!(
            !rule.condition.is_empty() && !rule.versions.is_empty(),
            "{} lacks text",
            rule.id
        );
        assert_eq!(
            immutable_rules::builtin_rule(rule.id).map(|r| r.id),
            Some(rule.id)
        );
    }
}

#[test]
fn rule_id_list() {
    let ids: Vec<&str> = immutable_rules::builtin_rules()
        .iter()
        .map(|r| r.id)
        .collect();
    insta::assert_snapshot!(ids.join("\n"));
}
