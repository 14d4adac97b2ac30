//! Every scenario of `fixtures/immutable-scenarios.yaml` (the reference's machine-readable
//! ground truth) runs through the library in `Apply` mode.
//!
//! A scenario expected to be rejected must yield at least one `error` violation, one expected to
//! be accepted must yield none (warnings and infos are allowed: they are not rejections).

mod support;

use immutable_rules::{check, Context, Severity};
use serde_json::Value;
use support::{errors, related};

#[derive(Debug, serde::Deserialize)]
struct Scenario {
    id: String,
    kind: String,
    #[serde(rename = "apiVersion")]
    api_version: String,
    old: Value,
    new: Value,
    expected: String,
    field: String,
    note: String,
}

/// The reference's scenarios followed by this crate's own (`extra-scenarios.yaml`).
fn scenarios() -> Vec<Scenario> {
    let mut all: Vec<Scenario> =
        serde_yaml_ng::from_str(include_str!("fixtures/immutable-scenarios.yaml"))
            .expect("the reference scenario file parses");
    let extra: Vec<Scenario> =
        serde_yaml_ng::from_str(include_str!("fixtures/extra-scenarios.yaml"))
            .expect("the extra scenario file parses");
    all.extend(extra);
    all
}

/// The scenario's two objects, completed.
fn complete(s: &Scenario) -> (Value, Value) {
    support::complete(&s.api_version, &s.kind, &s.old, &s.new)
}

/// The cluster the scenarios' `context:` notes describe: `StorageClass` `standard` expands,
/// `legacy` does not, node port 30443 belongs to another Service.
fn fixture_cluster() -> Context {
    Context::apply()
        .with_storage_class("standard", true)
        .with_storage_class("legacy", false)
        .with_allocated_node_port(30443)
}

#[test]
fn every_scenario_passes_in_apply_mode() {
    let all = scenarios();
    assert!(
        all.len() >= 139,
        "the fixture lost scenarios: {}",
        all.len()
    );
    let ctx = fixture_cluster();
    let mut failures = Vec::new();
    for s in &all {
        let (old, new) = complete(s);
        let found = check(&old, &new, &ctx);
        let errs = errors(&found);
        let ok = match s.expected.as_str() {
            "reject" => errs.iter().any(|v| related(&v.field, &s.field)),
            "accept" => errs.is_empty(),
            other => panic!("{}: unknown expectation {other}", s.id),
        };
        if !ok {
            failures.push(format!(
                "{} ({} {}, expected {} on {}): {:#?}\n  note: {}",
                s.id, s.kind, s.api_version, s.expected, s.field, found, s.note
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios fail:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

#[test]
fn accepted_scenarios_are_never_errors_without_cluster_facts() {
    for s in scenarios().iter().filter(|s| s.expected == "accept") {
        let (old, new) = complete(s);
        let found = check(&old, &new, &Context::apply());
        assert!(errors(&found).is_empty(), "{}: {found:#?}", s.id);
    }
}

#[test]
fn rejected_scenarios_are_flagged_without_cluster_facts_unless_they_need_them() {
    for s in scenarios().iter().filter(|s| s.expected == "reject") {
        let (old, new) = complete(s);
        let found = check(&old, &new, &Context::apply());
        let needs_cluster = s.note.contains("context:");
        assert!(
            needs_cluster || !errors(&found).is_empty(),
            "{}: {found:#?}",
            s.id
        );
        if needs_cluster {
            assert!(!found.is_empty(), "{}: expected at least a warning", s.id);
        }
    }
}

/// The two reference scenarios that depend on cluster state (a node port held by another Service,
/// a storage class without expansion) are warnings that say so when the facts are missing, and
/// errors once the facts are given.
#[test]
fn cluster_state_scenarios_are_warnings_that_cannot_be_decided_offline() {
    let all = scenarios();
    for id in ["svc-020", "pvc-002"] {
        let s = all.iter().find(|s| s.id == id).expect("reference scenario");
        let (old, new) = complete(s);
        let found = check(&old, &new, &Context::apply());
        assert!(errors(&found).is_empty(), "{id}: {found:#?}");
        let warning = found
            .iter()
            .find(|v| v.severity == Severity::Warning && related(&v.field, &s.field))
            .unwrap_or_else(|| panic!("{id}: no warning: {found:#?}"));
        assert!(
            warning.reason.contains("cannot be known offline"),
            "{id}: {}",
            warning.reason
        );
        assert!(
            !errors(&check(&old, &new, &fixture_cluster())).is_empty(),
            "{id}"
        );
    }
}

#[test]
fn every_old_object_checked_against_itself_yields_nothing() {
    let ctx = fixture_cluster();
    let mut rejected = 0;
    for s in scenarios() {
        let (old, new) = complete(&s);
        assert!(check(&old, &old, &ctx).is_empty(), "{}", s.id);
        if s.expected == "reject" {
            // The verdict comes from the change, not from the object alone.
            assert!(!errors(&check(&old, &new, &ctx)).is_empty(), "{}", s.id);
            rejected += 1;
        }
    }
    assert!(rejected > 100, "only {rejected} reject scenarios");
}
