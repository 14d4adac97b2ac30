//! Tests of `unstuck rules`.

use std::fmt::Write as _;

use crate::support::{stderr, stdout, unstuck};

#[test]
fn table_lists_every_rule_with_condition_and_versions() {
    let output = unstuck(&["rules"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("ID "));
    assert!(text.contains("\n    when:     any change of spec.selector"));
    insta::assert_snapshot!("rules_table", text);
}

#[test]
fn json_is_an_array_of_rules() {
    let output = unstuck(&["rules", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let rules: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("valid JSON");
    let rules = rules.as_array().expect("an array");
    assert_eq!(rules.len(), immutable_rules::builtin_rules().len());
    let selector = rules
        .iter()
        .find(|r| r["id"] == "deployment-selector")
        .expect("deployment-selector is listed");
    assert_eq!(selector["kinds"], serde_json::json!(["Deployment.apps"]));
    assert_eq!(selector["severity"], "error");
    assert_eq!(selector["remediations"][0]["id"], "rename");
    insta::assert_json_snapshot!("rules_json_first", rules[0]);
}

#[test]
fn unknown_format_is_a_usage_error() {
    let output = unstuck(&["rules", "--format", "yaml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("invalid value 'yaml'"),
        "{}",
        stderr(&output)
    );
}

/// The rule table of docs/rules.md, generated from the catalog.
fn rule_table() -> String {
    let cell = |s: &str| s.replace('|', "\\|");
    let mut table = String::from(
        "| id | severity | kinds | fields | refused when | releases |\n|---|---|---|---|---|---|\n",
    );
    for rule in immutable_rules::builtin_rules() {
        let fields: Vec<String> = rule.fields.iter().map(|f| format!("`{f}`")).collect();
        let _ = writeln!(
            table,
            "| `{}` | {} | {} | {} | {} | {} |",
            rule.id,
            rule.severity,
            cell(&rule.kinds.join(", ")),
            cell(&fields.join(", ")),
            cell(rule.condition),
            cell(rule.versions)
        );
    }
    table
}

#[test]
fn docs_list_every_rule() {
    const BEGIN: &str = "<!-- rules:begin -->\n";
    const END: &str = "<!-- rules:end -->";
    let path = crate::support::workspace_root().join("docs/rules.md");
    let docs = std::fs::read_to_string(&path).expect("docs/rules.md exists");
    let start = docs.find(BEGIN).expect("begin marker") + BEGIN.len();
    let end = docs.find(END).expect("end marker");
    let table = rule_table();
    if docs[start..end] != table {
        if std::env::var_os("UNSTUCK_BLESS").is_some() {
            let updated = format!("{}{table}{}", &docs[..start], &docs[end..]);
            std::fs::write(&path, updated).expect("rewrite docs/rules.md");
        } else {
            panic!("docs/rules.md's rule table is stale; rerun with UNSTUCK_BLESS=1");
        }
    }
    for rule in immutable_rules::builtin_rules() {
        assert!(table.contains(&format!("| `{}` |", rule.id)));
    }
}
