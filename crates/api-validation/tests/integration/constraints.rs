//! CRD value constraints end to end: each keyword accepts a valid value and refuses an
//! invalid one with the field error `kubectl apply` would print.

use api_validation::{Problem, Rule, Validator, LATEST};
use serde_json::{json, Value};

fn spec_schema() -> Value {
    json!({
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "pattern": "^[a-z][a-z0-9-]*$", "minLength": 2, "maxLength": 20},
            "replicas": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 10},
            "ratio": {"type": "number", "minimum": 0, "exclusiveMaximum": true, "maximum": 1, "multipleOf": 0.25},
            "when": {"type": "string", "format": "date-time"},
            "short": {"type": "string", "format": "k8s-short-name"},
            "note": {"type": "string", "nullable": true},
            "tags": {
                "type": "array", "maxItems": 3, "x-kubernetes-list-type": "set",
                "items": {"type": "string"},
            },
            "ports": {
                "type": "array", "minItems": 1,
                "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                "items": {
                    "type": "object", "required": ["name"],
                    "properties": {"name": {"type": "string"}, "port": {"type": "integer"}},
                },
            },
            "labels": {
                "type": "object", "maxProperties": 2,
                "additionalProperties": {"type": "string", "minLength": 2},
            },
            "source": {
                "type": "object",
                "properties": {"git": {"type": "string"}, "oci": {"type": "string"}},
                "oneOf": [{"required": ["git"]}, {"required": ["oci"]}],
            },
            "target": {
                "type": "object",
                "properties": {"host": {"type": "string"}, "ip": {"type": "string"}},
                "anyOf": [{"required": ["host"]}, {"required": ["ip"]}],
                "not": {"required": ["any"]},
            },
            "window": {
                "type": "object",
                "properties": {"start": {"type": "integer"}, "end": {"type": "integer"}},
                "allOf": [
                    {"properties": {"start": {"minimum": 0}}},
                    {"properties": {"end": {"maximum": 23}}},
                ],
            },
            "mode": {"type": "string", "not": {"enum": ["legacy"]}},
            "retry": {
                "type": "object", "required": ["limit"], "minProperties": 2,
                "properties": {
                    "limit": {"type": "integer", "default": 3},
                    "backoff": {"type": "string", "default": "1s"},
                    "jitter": {"type": "boolean"},
                },
            },
            "maxSurge": {
                "x-kubernetes-int-or-string": true,
                "anyOf": [{"type": "integer"}, {"type": "string"}],
            },
        },
    })
}

fn validator_at(version: api_validation::KubeVersion) -> Validator {
    let mut validator = Validator::new(version).unwrap();
    validator
        .add_custom_resource_definition(&json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "apps.example.com"},
            "spec": {"group": "example.com", "names": {"kind": "App"}, "versions": [{
                "name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": spec_schema()}}},
            }]},
        }))
        .unwrap();
    validator
}

fn app(spec: &Value) -> Value {
    let mut full = json!({"name": "web"});
    for (key, value) in spec.as_object().unwrap() {
        full[key] = value.clone();
    }
    json!({"apiVersion": "example.com/v1", "kind": "App", "metadata": {"name": "a"}, "spec": full})
}

/// (rule, field, message) of every problem.
fn problems(spec: &Value) -> Vec<(Rule, String, String)> {
    triples(&validator_at(LATEST).validate(&app(spec)))
}

fn triples(found: &[Problem]) -> Vec<(Rule, String, String)> {
    found
        .iter()
        .map(|p| (p.rule, p.field.clone(), p.message.clone()))
        .collect()
}

fn one(rule: Rule, field: &str, message: &str) -> Vec<(Rule, String, String)> {
    vec![(rule, field.to_owned(), message.to_owned())]
}

#[test]
fn a_resource_within_every_constraint_has_no_problems() {
    let spec = json!({
        "replicas": 3, "ratio": 0.5, "when": "2024-05-01T12:00:00Z", "short": "web-1",
        "note": null, "tags": ["a", "b"],
        "ports": [{"name": "http", "port": 80}, {"name": "https", "port": 443}],
        "labels": {"example.com/team": "ops"},
        "source": {"git": "https://example.com/repo.git"},
        "target": {"host": "example.com", "ip": "10.0.0.1"},
        "window": {"start": 0, "end": 23}, "mode": "modern",
    });
    assert_eq!(problems(&spec), []);
}

#[test]
fn numbers_outside_their_bounds() {
    assert_eq!(
        problems(&json!({"replicas": 0})),
        one(
            Rule::SchemaValue,
            ".spec.replicas",
            "Invalid value: 0: spec.replicas in body should be greater than or equal to 1"
        )
    );
    assert_eq!(
        problems(&json!({"replicas": 11})),
        one(
            Rule::SchemaValue,
            ".spec.replicas",
            "Invalid value: 11: spec.replicas in body should be less than or equal to 10"
        )
    );
    assert_eq!(
        problems(&json!({"ratio": 1})),
        one(
            Rule::SchemaValue,
            ".spec.ratio",
            "Invalid value: 1: spec.ratio in body should be less than 1"
        )
    );
    assert_eq!(
        problems(&json!({"ratio": 0.3})),
        one(
            Rule::SchemaValue,
            ".spec.ratio",
            "Invalid value: 0.3: spec.ratio in body should be a multiple of 0.25"
        )
    );
}

#[test]
fn strings_outside_their_pattern_length_and_format() {
    assert_eq!(
        problems(&json!({"name": "Web"})),
        one(
            Rule::SchemaValue,
            ".spec.name",
            r#"Invalid value: "Web": spec.name in body should match '^[a-z][a-z0-9-]*$'"#
        )
    );
    assert_eq!(
        problems(&json!({"name": "w"})),
        one(
            Rule::SchemaValue,
            ".spec.name",
            r#"Invalid value: "w": spec.name in body should be at least 2 chars long"#
        )
    );
    assert_eq!(
        problems(&json!({"name": "a".repeat(21)})),
        one(
            Rule::SchemaValue,
            ".spec.name",
            "Too long: may not be more than 20 bytes"
        )
    );
    assert_eq!(
        problems(&json!({"when": "tomorrow"})),
        one(
            Rule::SchemaValue,
            ".spec.when",
            r#"Invalid value: "tomorrow": spec.when in body must be of type date-time: "tomorrow""#
        )
    );
    // Keys that are not identifiers are quoted in the field, plain in the message.
    assert_eq!(
        problems(&json!({"labels": {"example.com/team": "x"}})),
        one(
            Rule::SchemaValue,
            r#".spec.labels["example.com/team"]"#,
            r#"Invalid value: "x": spec.labels.example.com/team in body should be at least 2 chars long"#
        )
    );
}

#[test]
fn formats_follow_the_target_release() {
    let bad = app(&json!({"short": "Not_Short"}));
    let at_latest = validator_at(LATEST).validate(&bad);
    assert_eq!(at_latest.len(), 1);
    assert_eq!(
        at_latest[0].message,
        r#"Invalid value: "Not_Short": spec.short in body must be of type k8s-short-name: "Not_Short""#
    );
    #[cfg(feature = "older-kubernetes")]
    assert_eq!(
        validator_at(api_validation::KubeVersion::new(1, 33)).validate(&bad),
        [],
        "1.33 does not know k8s-short-name and ignores it"
    );
}

#[test]
fn list_and_map_sizes() {
    assert_eq!(
        problems(&json!({"tags": ["a", "b", "c", "d"]})),
        one(
            Rule::SchemaValue,
            ".spec.tags",
            "Too many: 4: must have at most 3 items"
        )
    );
    assert_eq!(
        problems(&json!({"ports": []})),
        one(
            Rule::SchemaValue,
            ".spec.ports",
            "Invalid value: 0: spec.ports in body should have at least 1 items"
        )
    );
    assert_eq!(
        problems(&json!({"labels": {"aa": "xx", "bb": "yy", "cc": "zz"}})),
        one(
            Rule::SchemaValue,
            ".spec.labels",
            "Too many: 3: must have at most 2 items"
        )
    );
}

#[test]
fn list_types_refuse_duplicates() {
    assert_eq!(
        problems(&json!({"tags": ["a", "b", "a"]})),
        one(
            Rule::SchemaDuplicate,
            ".spec.tags[2]",
            r#"Duplicate value: "a""#
        )
    );
    assert_eq!(
        problems(&json!({"ports": [{"name": "http", "port": 80}, {"name": "http", "port": 8080}]})),
        one(
            Rule::SchemaDuplicate,
            ".spec.ports[1]",
            r#"Duplicate value: map[string]interface {}{"name":"http"}"#
        )
    );
}

#[test]
fn compositions() {
    assert_eq!(
        problems(&json!({"source": {"git": "g", "oci": "o"}})),
        one(
            Rule::SchemaValue,
            ".spec.source",
            r#"Invalid value: "": "spec.source" must validate one and only one schema (oneOf). Found 2 valid alternatives"#
        )
    );
    assert_eq!(
        problems(&json!({"source": {}})),
        one(
            Rule::SchemaValue,
            ".spec.source",
            r#"Invalid value: "": "spec.source" must validate one and only one schema (oneOf). Found none valid"#
        )
    );
    assert_eq!(
        problems(&json!({"target": {}})),
        one(
            Rule::SchemaValue,
            ".spec.target",
            r#"Invalid value: "": "spec.target" must validate at least one schema (anyOf)"#
        )
    );
    assert_eq!(
        problems(&json!({"mode": "legacy"})),
        one(
            Rule::SchemaValue,
            ".spec.mode",
            r#"Invalid value: "": "spec.mode" must not validate the schema (not)"#
        )
    );
    // allOf reports each branch's refusal, then that not all of them held (here: none).
    assert_eq!(
        problems(&json!({"window": {"start": -1, "end": 24}})),
        vec![
            (
                Rule::SchemaValue,
                ".spec.window.start".to_owned(),
                "Invalid value: -1: spec.window.start in body should be greater than or equal to 0"
                    .to_owned()
            ),
            (
                Rule::SchemaValue,
                ".spec.window.end".to_owned(),
                "Invalid value: 24: spec.window.end in body should be less than or equal to 23"
                    .to_owned()
            ),
            (
                Rule::SchemaValue,
                ".spec.window".to_owned(),
                r#"Invalid value: "": "spec.window" must validate all the schemas (allOf). None validated"#
                    .to_owned()
            ),
        ]
    );
}

#[test]
fn nulls_are_pruned_unless_nullable() {
    // `name` is required and not nullable: the API server prunes the null, then misses it.
    let found = problems(&json!({"name": null}));
    assert_eq!(
        found,
        one(Rule::SchemaRequired, ".spec.name", "Required value")
    );
    // A null list item is not pruned: a non-nullable string item refuses it.
    assert_eq!(
        problems(&json!({"tags": ["a", null]})),
        one(
            Rule::SchemaType,
            ".spec.tags[1]",
            r#"Invalid value: "null": spec.tags[1] in body must be of type string: "null""#
        )
    );
    // A nullable field keeps its null and accepts it.
    assert_eq!(problems(&json!({"note": null})), []);
}

#[test]
fn type_errors_read_as_the_api_server_prints_them() {
    // The value shown is the JSON type found, as kube-openapi's InvalidType passes it.
    assert_eq!(
        problems(&json!({"replicas": "three"})),
        one(
            Rule::SchemaType,
            ".spec.replicas",
            r#"Invalid value: "string": spec.replicas in body must be of type integer: "string""#
        )
    );
    assert_eq!(
        problems(&json!({"replicas": 2.5})),
        one(
            Rule::SchemaType,
            ".spec.replicas",
            r#"Invalid value: "number": spec.replicas in body must be of type integer: "number""#
        )
    );
    assert_eq!(problems(&json!({"maxSurge": 1})), []);
    assert_eq!(problems(&json!({"maxSurge": "25%"})), []);
    assert_eq!(
        problems(&json!({"maxSurge": true})),
        one(
            Rule::SchemaType,
            ".spec.maxSurge",
            r#"Invalid value: "boolean": spec.maxSurge in body must be of type integer,string: "boolean""#
        )
    );
}

#[test]
fn defaults_fill_absent_properties_before_validation() {
    // `limit` is required but defaulted; `minProperties: 2` counts the defaulted keys.
    assert_eq!(problems(&json!({"retry": {}})), []);
    assert_eq!(problems(&json!({"retry": {"jitter": true}})), []);
    // A null in a defaulted property is replaced by the default, so it is given too.
    assert_eq!(problems(&json!({"retry": {"limit": null}})), []);
}

#[test]
fn flux_variables_skip_value_constraints() {
    assert_eq!(
        problems(&json!({"name": "${APP_NAME}", "when": "${DEPLOY_AT}"})),
        []
    );
}
