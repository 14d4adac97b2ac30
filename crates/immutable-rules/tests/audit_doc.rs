//! The audit of the API server's update checks in docs/rules.md stays in step with the rule
//! catalog: every row names an existing rule or says why it is out of scope, every built-in rule
//! that stands for a server check appears in a row, and the stated counts are the table's.

use std::collections::BTreeSet;

use immutable_rules::{builtin_rule, builtin_rules};

const DOC: &str = include_str!("../../../docs/rules.md");

/// The audit section: from its heading to the counts.
fn audit() -> &'static str {
    let start = DOC
        .find("## Audit of the API server's update checks")
        .expect("docs/rules.md has the audit section");
    let end = DOC[start..]
        .find("### Counts")
        .map(|i| start + i)
        .expect("the audit section ends with its counts");
    &DOC[start..end]
}

/// The last cell ("covered by") of every table row of the audit.
fn verdicts() -> Vec<&'static str> {
    audit()
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| source") && !l.starts_with("| rule"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_end_matches('|').split(" | ").collect();
            cells.last().copied().expect("a row has cells").trim()
        })
        .collect()
}

/// The number after `<!-- audit-counts -->` and the numbers before "covered" and "out of scope".
fn stated_counts() -> (usize, usize, usize) {
    let at = DOC.find("<!-- audit-counts -->").expect("counts marker") + 21;
    let text = &DOC[at..at + 200];
    let number_before = |word: &str| -> usize {
        let end = text.find(word).expect("the counts name it");
        text[..end]
            .split_whitespace()
            .last()
            .and_then(|n| n.parse().ok())
            .expect("a number precedes it")
    };
    let found = text
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("the counts start with the number of checks");
    (
        found,
        number_before(" covered by a rule"),
        number_before(" out of scope"),
    )
}

fn first_rule_id(verdict: &str) -> Option<&str> {
    let rest = verdict.strip_prefix('`')?;
    Some(&rest[..rest.find('`')?])
}

#[test]
fn every_row_names_a_rule_or_why_it_is_out_of_scope() {
    for verdict in verdicts() {
        if verdict.starts_with("out of scope") {
            assert!(
                verdict.contains("`check` reports"),
                "an out-of-scope row says what check reports instead: {verdict}"
            );
            continue;
        }
        let id = first_rule_id(verdict).unwrap_or_else(|| panic!("no rule id in {verdict:?}"));
        assert!(builtin_rule(id).is_some(), "unknown rule {id} in the audit");
    }
}

#[test]
fn every_server_check_rule_appears_in_the_audit() {
    let named: BTreeSet<&str> = verdicts().into_iter().filter_map(first_rule_id).collect();
    // Policies of this project, not checks of the API server.
    let not_server_checks = ["annotation-immutable-field", "crd-transition-rule"];
    for rule in builtin_rules() {
        if not_server_checks.contains(&rule.id) {
            continue;
        }
        assert!(
            named.contains(rule.id),
            "{} is missing from the audit",
            rule.id
        );
    }
}

#[test]
fn stated_counts_are_the_tables() {
    let rows = verdicts();
    let out_of_scope = rows
        .iter()
        .filter(|v| v.starts_with("out of scope"))
        .count();
    assert_eq!(
        stated_counts(),
        (rows.len(), rows.len() - out_of_scope, out_of_scope)
    );
}
