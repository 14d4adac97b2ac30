//! One test per rule and per schema feature, on built-in kinds and custom resources.

use api_validation::{Problem, Rule, Severity, Validator, LATEST};
use proptest::prelude::*;
use serde_json::{json, Value};

fn latest() -> Validator {
    Validator::new(LATEST).unwrap()
}

#[cfg(feature = "older-kubernetes")]
fn at(minor: u32) -> Validator {
    Validator::new(api_validation::KubeVersion::new(1, minor)).unwrap()
}

fn deployment(spec_extra: &Value) -> Value {
    let mut object = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx", "ports": [{"containerPort": 80}]}]},
            },
        },
    });
    for (key, value) in spec_extra.as_object().unwrap() {
        object["spec"][key] = value.clone();
    }
    object
}

/// (rule, field) of every problem, the part of a problem tests assert on.
fn found(problems: &[Problem]) -> Vec<(Rule, &str)> {
    problems
        .iter()
        .map(|p| (p.rule, p.field.as_str()))
        .collect()
}

#[test]
fn a_valid_deployment_has_no_problems() {
    assert_eq!(latest().validate(&deployment(&json!({}))), []);
}

#[test]
fn schema_unknown_field() {
    let problems = latest().validate(&deployment(&json!({"replica": 3})));
    assert_eq!(
        found(&problems),
        [(Rule::SchemaUnknownField, ".spec.replica")]
    );
    let problem = &problems[0];
    assert_eq!(
        (
            problem.kind.as_str(),
            problem.namespace.as_deref(),
            problem.name.as_str()
        ),
        ("Deployment", Some("shop"), "web")
    );
    assert_eq!(problem.message, "field not declared in schema");
    assert_eq!(problem.severity, Severity::Error);
    // Metadata is checked as strictly.
    let mut object = deployment(&json!({}));
    object["metadata"]["label"] = json!({"app": "web"});
    assert_eq!(
        found(&latest().validate(&object)),
        [(Rule::SchemaUnknownField, ".metadata.label")]
    );
}

#[test]
fn schema_type() {
    let problems = latest().validate(&deployment(&json!({"replicas": "two"})));
    assert_eq!(found(&problems), [(Rule::SchemaType, ".spec.replicas")]);
    assert_eq!(problems[0].message, r#"expected integer, got string "two""#);
    let mut object = deployment(&json!({}));
    object["spec"]["template"]["spec"]["containers"] = json!({"name": "web"});
    assert_eq!(
        found(&latest().validate(&object)),
        [(Rule::SchemaType, ".spec.template.spec.containers")]
    );
}

#[test]
fn schema_required() {
    let mut object = deployment(&json!({}));
    object["spec"]["template"]["spec"]["containers"][0]
        .as_object_mut()
        .unwrap()
        .remove("name");
    object["spec"].as_object_mut().unwrap().remove("selector");
    assert_eq!(
        found(&latest().validate(&object)),
        [
            (Rule::SchemaRequired, ".spec.selector"),
            (
                Rule::SchemaRequired,
                ".spec.template.spec.containers[0].name"
            )
        ]
    );
}

#[test]
fn schema_enum() {
    // Built-in enumerations (imagePullPolicy, restartPolicy) are checked by the API server's
    // Go validation, not its OpenAPI schema, which lists none; CRDs declare theirs.
    let validator = with_widget_crd();
    let problems = validator.validate(&widget("v1", &json!({"size": 1, "mode": "slow"})));
    assert_eq!(found(&problems), [(Rule::SchemaEnum, ".spec.mode")]);
    assert_eq!(
        problems[0].message,
        r#"Unsupported value: "slow": supported values: "fast", "safe""#
    );
}

#[test]
fn int_or_string_takes_either_but_nothing_else() {
    let strategy = |value: Value| {
        deployment(
            &json!({"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": value}}}),
        )
    };
    assert_eq!(latest().validate(&strategy(json!(1))), []);
    assert_eq!(latest().validate(&strategy(json!("25%"))), []);
    let problems = latest().validate(&strategy(json!(true)));
    assert_eq!(
        found(&problems),
        [(Rule::SchemaType, ".spec.strategy.rollingUpdate.maxSurge")]
    );
    assert_eq!(
        problems[0].message,
        "expected string or integer, got boolean true"
    );
}

#[test]
fn explicit_nulls_are_absent_fields() {
    assert_eq!(
        latest().validate(&deployment(&json!({"replicas": null, "paused": null}))),
        []
    );
}

#[test]
fn flux_variables_are_not_type_checked() {
    let object =
        deployment(&json!({"replicas": "${REPLICAS}", "revisionHistoryLimit": "${LIMIT:=3}"}));
    assert_eq!(latest().validate(&object), []);
    let mut object = deployment(&json!({}));
    object["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] =
        json!("${PULL_POLICY}");
    assert_eq!(latest().validate(&object), []);
}

#[test]
fn embedded_raw_objects_are_free_form() {
    // ControllerRevision.data is a RawExtension: any object.
    let revision = json!({"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": {"name": "r"},
                          "revision": 1, "data": {"anything": {"goes": [1, "two"]}}});
    assert_eq!(latest().validate(&revision), []);
}

#[test]
fn api_removed_names_the_release_and_the_replacement() {
    let pdb = json!({"apiVersion": "policy/v1beta1", "kind": "PodDisruptionBudget", "metadata": {"name": "p", "namespace": "n"}});
    let problems = latest().validate(&pdb);
    assert_eq!(found(&problems), [(Rule::ApiRemoved, "")]);
    assert_eq!(
        problems[0].message,
        "policy/v1beta1 PodDisruptionBudget is not served by Kubernetes 1.37: it was removed in 1.25; use policy/v1"
    );
    let flow = json!({"apiVersion": "flowcontrol.apiserver.k8s.io/v1beta3", "kind": "FlowSchema", "metadata": {"name": "f"}});
    assert_eq!(
        latest().validate(&flow)[0].message,
        "flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema is not served by Kubernetes 1.37: it was removed in 1.32; use flowcontrol.apiserver.k8s.io/v1"
    );
}

#[test]
#[cfg(feature = "older-kubernetes")]
fn api_deprecated_warns_and_still_checks_the_schema() {
    let flow = json!({"apiVersion": "flowcontrol.apiserver.k8s.io/v1beta3", "kind": "FlowSchema",
                      "metadata": {"name": "f"}, "spec": {"priorityLevelConfiguration": {"name": "p"}, "bogus": 1}});
    let problems = at(30).validate(&flow);
    assert_eq!(
        found(&problems),
        [
            (Rule::ApiDeprecated, ""),
            (Rule::SchemaUnknownField, ".spec.bogus")
        ]
    );
    assert_eq!(problems[0].severity, Severity::Warning);
    assert_eq!(
        problems[0].message,
        "flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema is deprecated and removed in 1.32; use flowcontrol.apiserver.k8s.io/v1"
    );
    let endpoints = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "e"}});
    assert_eq!(
        found(&latest().validate(&endpoints)),
        [(Rule::ApiDeprecated, "")]
    );
    assert_eq!(at(32).validate(&endpoints), []);
}

#[test]
#[cfg(feature = "older-kubernetes")]
fn a_kind_newer_than_the_target_is_not_served() {
    let claim = json!({"apiVersion": "resource.k8s.io/v1", "kind": "DeviceClass", "metadata": {"name": "gpu"}});
    let problems = at(30).validate(&claim);
    assert_eq!(found(&problems), [(Rule::ApiRemoved, "")]);
    assert!(
        problems[0].message.contains("first served in 1.34"),
        "{}",
        problems[0].message
    );
}

#[test]
fn schema_not_checked_is_information_only() {
    let certificate = json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": {"name": "c"}, "spec": {"whatever": 1}});
    let problems = latest().validate(&certificate);
    assert_eq!(found(&problems), [(Rule::SchemaNotChecked, "")]);
    assert_eq!(problems[0].severity, Severity::Info);
    assert!(!problems[0].is_error());
}

fn widget_crd() -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "names": {"kind": "Widget", "plural": "widgets"}, "scope": "Namespaced", "versions": [
            {"name": "v1alpha1", "served": false, "storage": false},
            {"name": "v1beta1", "served": true, "storage": false, "deprecated": true,
             "deprecationWarning": "example.com/v1beta1 Widget is deprecated; use example.com/v1",
             "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}},
            {"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {
                "type": "object",
                "properties": {
                    "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
                    "spec": {
                        "type": "object",
                        "required": ["size"],
                        "properties": {
                            "size": {"type": "integer"},
                            "port": {"x-kubernetes-int-or-string": true},
                            "mode": {"type": "string", "enum": ["fast", "safe"]},
                            "config": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                            "template": {"type": "object", "x-kubernetes-embedded-resource": true,
                                         "properties": {"spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}},
                            "replicas": {"type": "integer", "x-kubernetes-validations": [
                                {"rule": "self >= 1", "message": "replicas must be at least 1"},
                                {"rule": "self == oldSelf", "message": "immutable"},
                            ]},
                        },
                        "x-kubernetes-validations": [{"rule": "!has(self.mode) || self.mode != 'fast' || self.size <= 10",
                                                      "message": "fast widgets are at most 10"}],
                    },
                },
            }}},
        ]},
    })
}

fn with_widget_crd() -> Validator {
    let mut validator = latest();
    assert_eq!(
        validator
            .add_custom_resource_definition(&widget_crd())
            .unwrap(),
        3
    );
    validator
}

fn widget(version: &str, spec: &Value) -> Value {
    json!({"apiVersion": format!("example.com/{version}"), "kind": "Widget",
           "metadata": {"name": "w", "namespace": "n"}, "spec": spec})
}

#[test]
fn custom_resources_are_checked_against_their_crd() {
    let validator = with_widget_crd();
    let valid = widget(
        "v1",
        &json!({
            "size": 3, "port": "http", "mode": "safe", "config": {"free": {"form": true}},
            "labels": {"a": "b"}, "replicas": 2,
            "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": []}},
        }),
    );
    assert_eq!(validator.validate(&valid), []);
    let invalid = widget(
        "v1",
        &json!({"port": 1.5, "mode": "slow", "labels": {"a": 1}, "colour": "red"}),
    );
    assert_eq!(
        found(&validator.validate(&invalid)),
        [
            (Rule::SchemaRequired, ".spec.size"),
            (Rule::SchemaType, ".spec.port"),
            (Rule::SchemaEnum, ".spec.mode"),
            (Rule::SchemaType, ".spec.labels.a"),
            (Rule::SchemaUnknownField, ".spec.colour"),
        ]
    );
    // The API server checks a custom resource's metadata itself, strictly.
    let mut bad_meta = widget("v1", &json!({"size": 1}));
    bad_meta["metadata"]["labelz"] = json!({});
    assert_eq!(
        found(&validator.validate(&bad_meta)),
        [(Rule::SchemaUnknownField, ".metadata.labelz")]
    );
}

#[test]
fn schema_cel() {
    let validator = with_widget_crd();
    let problems = validator.validate(&widget(
        "v1",
        &json!({"size": 12, "mode": "fast", "replicas": 0}),
    ));
    assert_eq!(
        found(&problems),
        [
            (Rule::SchemaCel, ".spec.replicas"),
            (Rule::SchemaCel, ".spec")
        ]
    );
    assert_eq!(problems[0].message, "replicas must be at least 1");
    assert_eq!(problems[1].message, "fast widgets are at most 10");
    assert_eq!(
        validator.validate(&widget(
            "v1",
            &json!({"size": 12, "mode": "safe", "replicas": 1})
        )),
        []
    );
}

#[test]
fn crd_versions_that_are_deprecated_or_not_served() {
    let validator = with_widget_crd();
    let problems = validator.validate(&widget("v1beta1", &json!({"anything": true})));
    assert_eq!(found(&problems), [(Rule::ApiDeprecated, "")]);
    assert_eq!(
        problems[0].message,
        "example.com/v1beta1 Widget is deprecated; use example.com/v1"
    );
    let problems = validator.validate(&widget("v1alpha1", &json!({})));
    assert_eq!(found(&problems), [(Rule::ApiRemoved, "")]);
    assert!(
        problems[0].message.contains("served: false"),
        "{}",
        problems[0].message
    );
}

#[test]
fn a_crd_without_what_validation_needs_is_an_error_naming_it() {
    let mut crd = widget_crd();
    crd["spec"].as_object_mut().unwrap().remove("group");
    let error = latest().add_custom_resource_definition(&crd).unwrap_err();
    assert_eq!(
        error.to_string(),
        "CustomResourceDefinition widgets.example.com: spec.group is missing; fix the CRD or leave it out"
    );
    let mut crd = widget_crd();
    crd["spec"]["versions"][2]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
        ["size"]["type"] = json!("int");
    let error = latest().add_custom_resource_definition(&crd).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("version v1: unknown type `int` at `.spec.size`"),
        "{error}"
    );
}

#[test]
fn objects_without_identity_are_reported_not_panicked_on() {
    assert_eq!(
        found(&latest().validate(&json!({"metadata": {"name": "x"}}))),
        [(Rule::SchemaRequired, ".kind")]
    );
    assert_eq!(
        found(&latest().validate(&json!({"kind": "ConfigMap"}))),
        [(Rule::SchemaRequired, ".apiVersion")]
    );
}

#[test]
fn rule_names_and_json_shape_are_stable() {
    let names: Vec<&str> = Rule::ALL.iter().map(|r| r.as_str()).collect();
    insta::assert_snapshot!(names.join("\n"), @r"
    schema-unknown-field
    schema-type
    schema-required
    schema-enum
    schema-cel
    schema-value
    schema-duplicate
    api-removed
    api-deprecated
    schema-not-checked
    ");
    let problem = &latest().validate(&deployment(&json!({"replica": 3})))[0];
    insta::assert_json_snapshot!(problem, @r#"
    {
      "severity": "error",
      "rule": "schema-unknown-field",
      "kind": "Deployment",
      "namespace": "shop",
      "name": "web",
      "field": ".spec.replica",
      "message": "field not declared in schema"
    }
    "#);
}

#[test]
fn every_embedded_release_validates() {
    for version in api_validation::embedded_versions() {
        let validator = Validator::new(version).unwrap();
        assert_eq!(validator.validate(&deployment(&json!({}))), [], "{version}");
        assert_eq!(
            found(&validator.validate(&deployment(&json!({"replica": 1})))),
            [(Rule::SchemaUnknownField, ".spec.replica")]
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any undeclared key under `spec` is exactly one unknown field, at its own path.
    #[test]
    fn undeclared_spec_keys_are_one_unknown_field(key in "[a-z][a-zA-Z0-9]{0,12}") {
        let declared = ["replicas", "selector", "template", "strategy", "minReadySeconds", "paused",
                        "progressDeadlineSeconds", "revisionHistoryLimit"];
        prop_assume!(!declared.contains(&key.as_str()));
        let problems = latest().validate(&deployment(&json!({ key.clone(): 1 })));
        let expected = format!(".spec.{key}");
        prop_assert_eq!(found(&problems), vec![(Rule::SchemaUnknownField, expected.as_str())]);
    }

    /// A Flux variable in any of the Deployment's scalar fields never yields a type or enum error.
    #[test]
    fn flux_variables_never_raise_type_errors(name in "[A-Z_]{1,10}", field in 0usize..4) {
        let fields = ["replicas", "paused", "minReadySeconds", "revisionHistoryLimit"];
        let problems = latest().validate(&deployment(&json!({ fields[field]: format!("${{{name}}}") })));
        prop_assert_eq!(problems, vec![]);
    }
}
