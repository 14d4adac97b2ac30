//! User rule files, the immutable-fields annotation and CRD-derived transition rules.

use immutable_rules::{Context, CrdError, RuleSet, Severity};
use serde_json::{json, Value};

fn widget(spec: Value) -> Value {
    let mut w = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "ns"}});
    w["spec"] = spec;
    w
}

fn ids(rules: &RuleSet, old: &Value, new: &Value) -> Vec<(String, String)> {
    rules
        .check(old, new, &Context::apply())
        .into_iter()
        .map(|v| (v.rule, v.field))
        .collect()
}

#[test]
fn rule_file_transitions() {
    let mut rules = RuleSet::new();
    let added = rules
        .add_rule_file(
            "r.yaml",
            "rules:\n  - id: zone-once\n    kind: Widget\n    fields: [spec.zone]\n    when: changed-once-set\n  - id: size-grows\n    group: example.com\n    versions: [v1]\n    kind: Widget\n    fields: [spec.size]\n    when: decreased\n    severity: warning\n",
        )
        .unwrap();
    assert_eq!(added, 2);
    // Setting an unset zone is fine; growing is fine.
    assert!(ids(
        &rules,
        &widget(json!({"size": "1Gi"})),
        &widget(json!({"zone": "a", "size": "2Gi"}))
    )
    .is_empty());
    let found = rules.check(
        &widget(json!({"zone": "a", "size": "2Gi"})),
        &widget(json!({"zone": "b", "size": "1024Mi"})),
        &Context::apply(),
    );
    let summary: Vec<(&str, Severity)> = found
        .iter()
        .map(|v| (v.rule.as_str(), v.severity))
        .collect();
    assert_eq!(
        summary,
        [
            ("zone-once", Severity::Error),
            ("size-grows", Severity::Warning)
        ]
    );
    // Another version or group is not covered by a rule that names one.
    let mut v2 = widget(json!({"size": "2Gi"}));
    v2["apiVersion"] = json!("example.com/v2");
    let mut v2_smaller = v2.clone();
    v2_smaller["spec"]["size"] = json!("1Gi");
    assert!(ids(&rules, &v2, &v2_smaller).is_empty());
}

#[test]
fn wildcard_paths_report_each_entry_and_list_changes() {
    let mut rules = RuleSet::new();
    rules
        .add_rule_file(
            "r.yaml",
            "rules:\n  - id: disk-names\n    kind: Widget\n    fields: ['spec.disks[].name']\n",
        )
        .unwrap();
    let old = widget(json!({"disks": [{"name": "a"}, {"name": "b"}]}));
    let renamed = widget(json!({"disks": [{"name": "a"}, {"name": "c"}]}));
    assert_eq!(
        ids(&rules, &old, &renamed),
        [("disk-names".to_owned(), "spec.disks[1].name".to_owned())]
    );
    let longer = widget(json!({"disks": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}));
    assert_eq!(
        ids(&rules, &old, &longer),
        [("disk-names".to_owned(), "spec.disks".to_owned())]
    );
}

#[test]
fn the_annotation_declares_immutable_fields_from_either_side() {
    let rules = RuleSet::new();
    let mut old = widget(json!({"a": 1, "b": 1}));
    old["metadata"]["annotations"] = json!({"gitops.flux.io/immutable-fields": "spec.a, spec.b"});
    let new = widget(json!({"a": 2, "b": 1}));
    assert_eq!(
        ids(&rules, &old, &new),
        [("annotation-immutable-field".to_owned(), "spec.a".to_owned())]
    );
    let mut bad = widget(json!({"a": 1}));
    bad["metadata"]["annotations"] = json!({"gitops.flux.io/immutable-fields": "spec.a[0]"});
    assert!(rules.check(&bad, &bad, &Context::apply()).is_empty());
    let found = rules.check(&widget(json!({"a": 1})), &bad, &Context::apply());
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].severity, Severity::Warning);
}

#[test]
fn the_unstuck_annotation_is_read_beside_the_flux_one() {
    let rules = RuleSet::new();
    let mut old = widget(json!({"a": 1, "b": 1}));
    old["metadata"]["annotations"] = json!({
        "gitops.flux.io/immutable-fields": "spec.a",
        "unstuck.dev/immutable-fields": "spec.b, spec.a",
    });
    let mut new = old.clone();
    new["spec"] = json!({"a": 2, "b": 2});
    assert_eq!(
        ids(&rules, &old, &new),
        [
            ("annotation-immutable-field".to_owned(), "spec.a".to_owned()),
            ("annotation-immutable-field".to_owned(), "spec.b".to_owned())
        ]
    );
}

fn crd(properties: Value) -> Value {
    let mut crd = json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "names": {"kind": "Widget", "plural": "widgets"}, "scope": "Namespaced",
            "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {
                "type": "object", "properties": {"spec": {"type": "object", "properties": {},
                    "x-kubernetes-validations": [
                        {"rule": "!has(oldSelf.owner) || has(self.owner)", "message": "owner cannot be removed"},
                        {"rule": "self.items.all(i, i in oldSelf.items)"}
                    ]}}}}}]}
    });
    crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"] =
        properties;
    crd
}

#[test]
fn crd_transition_rules_become_rules() {
    let mut rules = RuleSet::new();
    let added = rules
        .add_crd(&crd(json!({
            "owner": {"type": "string"},
            "zone": {"type": "string", "x-kubernetes-validations": [{"rule": "self == oldSelf"}]},
            "ports": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                "items": {"type": "object", "properties": {"name": {"type": "string"}, "protocol": {"type": "string",
                    "x-kubernetes-validations": [{"rule": "self == oldSelf", "message": "protocol is fixed"}]}}}}
        })))
        .unwrap();
    assert_eq!(added, 3);
    assert_eq!(rules.skipped_validations().len(), 1);
    assert_eq!(rules.skipped_validations()[0].field, "spec");

    let old = widget(
        json!({"owner": "me", "zone": "a", "ports": [{"name": "http", "protocol": "TCP"}, {"name": "dns", "protocol": "UDP"}]}),
    );
    // Entries pair by key, not by position; a new entry has no old self.
    let reordered = widget(
        json!({"owner": "me", "zone": "a", "ports": [{"name": "dns", "protocol": "UDP"}, {"name": "grpc", "protocol": "TCP"}, {"name": "http", "protocol": "TCP"}]}),
    );
    assert!(ids(&rules, &old, &reordered).is_empty());
    let changed =
        widget(json!({"owner": null, "zone": "b", "ports": [{"name": "http", "protocol": "UDP"}]}));
    let found = rules.check(&old, &changed, &Context::apply());
    let summary: Vec<(&str, &str, &str)> = found
        .iter()
        .map(|v| (v.rule.as_str(), v.field.as_str(), v.api_error.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            (
                "crd-transition-rule",
                "spec.owner",
                "spec.owner: Invalid value: ...: owner cannot be removed"
            ),
            (
                "crd-transition-rule",
                "spec.zone",
                "spec.zone: Invalid value: ...: failed rule: self == oldSelf"
            ),
            (
                "crd-transition-rule",
                "spec.ports[0].protocol",
                "spec.ports[0].protocol: Invalid value: ...: protocol is fixed"
            ),
        ]
    );
    // `self == oldSelf` is not evaluated when the field is removed.
    let removed = widget(json!({"owner": "me", "zone": null}));
    assert!(ids(&rules, &old, &removed).is_empty());
}

#[test]
fn only_crds_are_accepted_as_crds() {
    let mut rules = RuleSet::new();
    let err = rules
        .add_crd(&json!({"apiVersion": "v1", "kind": "ConfigMap"}))
        .unwrap_err();
    assert_eq!(
        err,
        CrdError::NotACrd {
            found: "v1 ConfigMap".into()
        }
    );
    let err = rules
        .add_crd(&json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "x"}, "spec": {}}))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "CustomResourceDefinition \"x\" has no spec.group"
    );
}
