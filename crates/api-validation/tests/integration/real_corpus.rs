//! The whole real corpus through the validator: what it reports must stay what a reviewer
//! checked (every entry in the snapshot is a true refusal; see docs/schema-validation.md).

use crate::corpus;
use api_validation::{Rule, Validator, LATEST};
use std::collections::BTreeMap;

#[test]
fn real_repositories_raise_only_true_problems() {
    if corpus::real_expected().is_none() {
        eprintln!("skipping: ../shared/conformance/real is not next to this checkout");
        return;
    }
    let rendered = corpus::rendered();
    let mut validator = Validator::new(LATEST).unwrap();
    for r in rendered
        .iter()
        .filter(|r| Validator::is_custom_resource_definition(&r.object))
    {
        validator.add_custom_resource_definition(&r.object).unwrap();
    }
    let mut found = Vec::new();
    let mut by_rule: BTreeMap<Rule, usize> = BTreeMap::new();
    for r in &rendered {
        for problem in validator.validate(&r.object) {
            *by_rule.entry(problem.rule).or_default() += 1;
            if problem.rule != Rule::SchemaNotChecked {
                found.push(format!("{}: {problem}", corpus::label(&r.file)));
            }
        }
    }
    found.sort();
    found.dedup();
    insta::assert_snapshot!(found.join("\n"));
    // Custom resources whose CRD is elsewhere are reported, never refused.
    assert!(by_rule[&Rule::SchemaNotChecked] > 0);
}
