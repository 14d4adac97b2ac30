//! The value constraints of real CRDs against custom resources from the same repositories:
//! every CRD (`apiextensions.k8s.io/v1`) in the files of `../shared/conformance/real` is given
//! to the validator, then every custom resource of those files that one of them serves is
//! checked. Objects maintained next to their CRDs are valid, so a value-constraint problem
//! (`schema-value`, `schema-duplicate`) here would be a false error of this crate.

use crate::corpus;
use api_validation::{Rule, Validator, LATEST};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn yaml_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            yaml_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            found.push(path);
        }
    }
}

#[test]
fn real_custom_resources_meet_their_crds_value_constraints() {
    let Some(expected) = corpus::real_expected() else {
        eprintln!("skipping: ../shared/conformance/real is not next to this checkout");
        return;
    };
    let mut files = Vec::new();
    yaml_files(expected.parent().unwrap(), &mut files);
    let documents: Vec<(PathBuf, Value)> = files
        .iter()
        .flat_map(|file| {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            corpus::objects(&text)
                .into_iter()
                .map(move |object| (file.clone(), object))
        })
        .collect();
    let mut validator = Validator::new(LATEST).unwrap();
    let mut crds = 0;
    for (_, object) in &documents {
        let v1 =
            object.get("apiVersion").and_then(Value::as_str) == Some("apiextensions.k8s.io/v1");
        if v1
            && Validator::is_custom_resource_definition(object)
            && validator.add_custom_resource_definition(object).is_ok()
        {
            crds += 1;
        }
    }
    let mut checked = 0;
    let mut by_rule: BTreeMap<Rule, usize> = BTreeMap::new();
    let mut value_problems = Vec::new();
    for (file, object) in &documents {
        let typed = object.get("apiVersion").is_some() && object.get("kind").is_some();
        if !typed
            || validator.is_built_in_kind(object)
            || Validator::is_custom_resource_definition(object)
        {
            continue;
        }
        let problems = validator.validate(object);
        if problems.iter().any(|p| p.rule == Rule::SchemaNotChecked) {
            continue;
        }
        checked += 1;
        for problem in problems {
            *by_rule.entry(problem.rule).or_default() += 1;
            if matches!(problem.rule, Rule::SchemaValue | Rule::SchemaDuplicate) {
                value_problems.push(format!("{}: {problem}", file.display()));
            }
        }
    }
    eprintln!("{crds} CRDs, {checked} custom resources checked against them; problems by rule: {by_rule:?}");
    assert!(crds > 100, "{crds} CRDs");
    assert!(checked > 20, "{checked} custom resources");
    assert_eq!(value_problems, Vec::<String>::new());
}
