use std::collections::{BTreeSet, HashMap};

use crate::{json, value::Value};

use super::*;
use crate::selector::reference;

#[test]
fn builtin_merge_keys_of_common_lists() {
    let schema = Schema::builtin();
    let keys = |kind: &str, api: &str, path: &[&str]| schema.list_merge_keys(api, kind, path);
    let pod = ["spec", "template", "spec"];
    let at = |tail: &[&'static str]| -> Vec<&'static str> {
        pod.iter().copied().chain(tail.iter().copied()).collect()
    };
    assert_eq!(
        keys("Deployment", "apps/v1", &at(&["containers"])),
        Some(vec!["name".to_owned()])
    );
    assert_eq!(
        keys("Deployment", "apps/v1", &at(&["containers", "[]", "ports"])),
        Some(vec!["containerPort".to_owned(), "protocol".to_owned()])
    );
    assert_eq!(
        keys("Deployment", "apps/v1", &at(&["volumes"])),
        Some(vec!["name".to_owned()])
    );
    assert_eq!(
        keys("Deployment", "apps/v1", &["metadata", "finalizers"]),
        Some(vec![])
    );
    // Lists without a strategy are replaced whole.
    assert_eq!(keys("Deployment", "apps/v1", &at(&["tolerations"])), None);
    assert_eq!(
        keys("Deployment", "apps/v1", &at(&["containers", "[]", "args"])),
        None
    );
    // Types missing from the v1.21.2 schema have no merge keys at all.
    assert!(!schema.knows("apps/v1beta1", "Deployment"));
    assert!(schema.knows("v1", "Service"));
    assert_eq!(
        keys("Service", "v1", &["spec", "ports"]),
        Some(vec!["port".to_owned(), "protocol".to_owned()])
    );
}

#[test]
fn custom_openapi_documents_define_types() {
    let document = json!({"definitions": {
        "com.example.v1.Foo": {
            "x-kubernetes-group-version-kind": [{"group": "example.com", "version": "v1", "kind": "Foo"}],
            "properties": {"spec": {"$ref": "#/definitions/com.example.v1.FooSpec"}}
        },
        "com.example.v1.FooSpec": {"properties": {"items": {
            "type": "array",
            "items": {"type": "object"},
            "x-kubernetes-patch-strategy": "merge",
            "x-kubernetes-patch-merge-key": "id"
        }}}
    }});
    let schema = Schema::from_openapi(&document).unwrap();
    let yaml = Schema::from_openapi_text(&format!("# yaml\n{document}")).unwrap();
    assert_eq!(yaml, schema);
    assert_eq!(
        Schema::from_openapi_text(&document.to_string()).unwrap(),
        schema
    );
    assert!(Schema::builtin_version("v1.21.2").is_ok());
    assert!(Schema::builtin_version("v1.99.0").is_err());
    assert_eq!(
        schema.list_merge_keys("example.com/v1", "Foo", &["spec", "items"]),
        Some(vec!["id".to_owned()])
    );
    assert!(!schema.knows("apps/v1", "Deployment"));
}

/// Re-derive the table from the reference schema and compare it line by line with the
/// committed one.
#[test]
fn builtin_table_matches_reference_schema() {
    let Some(reference) = reference::openapi() else {
        eprintln!("skipped: reference schema not found");
        return;
    };
    let expected = derive_table(&reference);
    let committed: BTreeSet<String> = BUILTIN_TABLE.lines().map(str::to_owned).collect();
    let missing: Vec<_> = expected.difference(&committed).collect();
    let extra: Vec<_> = committed.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "builtin.table is out of date\nmissing: {missing:#?}\nextra: {extra:#?}"
    );
}

fn short(name: &str) -> &str {
    name.strip_prefix("io.k8s.").unwrap_or(name)
}

fn reference_name(property: &Value) -> Option<&str> {
    property
        .get("$ref")
        .and_then(Value::as_str)
        .map(|r| r.rsplit('/').next().unwrap_or(r))
}

struct Deriver<'a> {
    definitions: &'a crate::value::Map,
    memo: HashMap<String, bool>,
}

impl Deriver<'_> {
    fn relevant(&mut self, name: &str, stack: &mut Vec<String>) -> bool {
        if let Some(known) = self.memo.get(name) {
            return *known;
        }
        if stack.iter().any(|s| s == name) {
            return false;
        }
        stack.push(name.to_owned());
        let properties = self.definitions[name]
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let mut any = false;
        for property in properties.values() {
            any |= self.field_relevant(property, stack);
        }
        stack.pop();
        self.memo.insert(name.to_owned(), any);
        any
    }

    fn field_relevant(&mut self, property: &Value, stack: &mut Vec<String>) -> bool {
        if property.get("type").and_then(Value::as_str) == Some("array") {
            if strategy(property).split(',').any(|s| s == "merge") {
                return true;
            }
            return property
                .get("items")
                .and_then(reference_name)
                .is_some_and(|r| self.relevant(r, stack));
        }
        if let Some(r) = reference_name(property) {
            return self.relevant(r, stack);
        }
        match property.get("additionalProperties") {
            Some(additional) if additional.is_object() => self.field_relevant(additional, stack),
            _ => false,
        }
    }
}

fn strategy(property: &Value) -> &str {
    property
        .get("x-kubernetes-patch-strategy")
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn derive_table(reference: &Value) -> BTreeSet<String> {
    let definitions = reference["definitions"].as_object().unwrap();
    let mut deriver = Deriver {
        definitions,
        memo: HashMap::new(),
    };
    let mut lines = BTreeSet::new();
    for resource in reference["resources"].as_array().unwrap() {
        let Some(definition) = resource.get("definition").and_then(Value::as_str) else {
            continue;
        };
        if deriver.relevant(definition, &mut Vec::new()) {
            lines.insert(format!(
                "@ {} {} {}",
                resource["apiVersion"].as_str().unwrap(),
                resource["kind"].as_str().unwrap(),
                short(definition)
            ));
        }
    }
    let names: Vec<String> = definitions.keys().map(ToString::to_string).collect();
    for name in names {
        if !deriver.relevant(&name, &mut Vec::new()) {
            continue;
        }
        let properties = definitions[&name]["properties"].as_object().unwrap();
        for (field, property) in properties {
            if !deriver.field_relevant(property, &mut Vec::new()) {
                continue;
            }
            let line = if property.get("type").and_then(Value::as_str) == Some("array") {
                let strategy = strategy(property);
                let keys: Vec<String> = if strategy.is_empty() {
                    Vec::new()
                } else if let Some(list) = property
                    .get("x-kubernetes-list-map-keys")
                    .and_then(Value::as_array)
                {
                    list.iter()
                        .map(|k| k.as_str().unwrap().to_owned())
                        .collect()
                } else {
                    property
                        .get("x-kubernetes-patch-merge-key")
                        .and_then(Value::as_str)
                        .map(|k| vec![k.to_owned()])
                        .unwrap_or_default()
                };
                let item = property
                    .get("items")
                    .and_then(reference_name)
                    .filter(|r| deriver.relevant(r, &mut Vec::new()))
                    .map_or("-", short);
                format!(
                    "{} {field} [] {} {} {item}",
                    short(&name),
                    if strategy.is_empty() { "-" } else { strategy },
                    if keys.is_empty() {
                        "-".to_owned()
                    } else {
                        keys.join(",")
                    }
                )
            } else if let Some(r) = reference_name(property) {
                format!("{} {field} {}", short(&name), short(r))
            } else {
                let values = reference_name(&property["additionalProperties"]).unwrap_or("-");
                format!("{} {field} * {}", short(&name), short(values))
            };
            lines.insert(line);
        }
    }
    lines
}
