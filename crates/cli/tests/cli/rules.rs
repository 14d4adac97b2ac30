//! Tests of `unstuck rules`.

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

#[test]
fn docs_list_every_rule() {
    let docs = std::fs::read_to_string(crate::support::workspace_root().join("docs/rules.md"))
        .expect("docs/rules.md exists");
    for rule in immutable_rules::builtin_rules() {
        assert!(
            docs.contains(&format!("| `{}` |", rule.id)),
            "docs/rules.md does not list {}",
            rule.id
        );
    }
}
