//! Walks one value against one compiled schema and records what the API server would refuse.

use crate::cel::Outcome;
use crate::problem::Rule;
use crate::schema::{Additional, SchemaId, Schemas, Types};
use serde_json::Value;
use std::fmt::Write as _;

/// One refusal inside an object; the validator adds the object's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    pub(crate) rule: Rule,
    pub(crate) field: String,
    pub(crate) message: String,
}

/// The fields every object and embedded resource may carry whatever its schema says.
const TYPE_AND_OBJECT_META: [&str; 3] = ["apiVersion", "kind", "metadata"];

pub(crate) struct Walk<'a> {
    schemas: &'a Schemas,
    /// `ObjectMeta`, checked for a custom resource's `metadata` in place of its CRD's schema.
    object_meta: Option<SchemaId>,
    pub(crate) findings: Vec<Finding>,
}

impl<'a> Walk<'a> {
    pub(crate) fn new(schemas: &'a Schemas, object_meta: Option<SchemaId>) -> Self {
        Self {
            schemas,
            object_meta,
            findings: Vec::new(),
        }
    }

    /// Checks a whole object. `custom` says it is a custom resource, whose `apiVersion`,
    /// `kind` and `metadata` the API server checks itself rather than through the CRD's schema.
    pub(crate) fn object(&mut self, root: SchemaId, object: &Value, custom: bool) {
        let mut field = String::new();
        self.node(root, object, &mut field, custom);
    }

    fn report(&mut self, rule: Rule, field: &str, message: String) {
        self.findings.push(Finding {
            rule,
            field: field.to_owned(),
            message,
        });
    }

    fn node(&mut self, id: SchemaId, value: &Value, field: &mut String, resource_root: bool) {
        let schema = self.schemas.get(id);
        // The API server treats an explicit null as an absent field.
        if value.is_null() {
            return;
        }
        if value.as_str().is_some_and(holds_flux_variable)
            && (!schema.types.admits(value)
                || schema.enumeration.is_some()
                || !schema.one_of.is_empty())
        {
            // Flux substitutes it before applying; its type is only known then.
            return;
        }
        if !schema.types.admits(value) {
            let message = format!(
                "expected {}, got {}",
                schema.types.describe(),
                describe(value)
            );
            self.report(Rule::SchemaType, field, message);
            return;
        }
        if let Some(allowed) = &schema.enumeration {
            if !allowed.contains(value) {
                let supported: Vec<String> = allowed.iter().map(Value::to_string).collect();
                let message = format!(
                    "unsupported value {value}: supported values: {}",
                    supported.join(", ")
                );
                self.report(Rule::SchemaEnum, field, message);
            }
        }
        if !schema.one_of.is_empty() && !self.matches_exactly_one(&schema.one_of, value) {
            let types = schema.one_of.iter().fold(Types::default(), |all, branch| {
                all.union(self.schemas.get(*branch).types)
            });
            let message = format!("expected {}, got {}", types.describe(), describe(value));
            self.report(Rule::SchemaType, field, message);
        }
        match value {
            Value::Object(map) => {
                for required in &schema.required {
                    if !map.contains_key(required) {
                        let at = child_field(field, required);
                        self.report(Rule::SchemaRequired, &at, "required value".to_owned());
                    }
                }
                for (key, child) in map {
                    let length = field.len();
                    push_key(field, key);
                    let meta_field = TYPE_AND_OBJECT_META.contains(&key.as_str());
                    if resource_root && meta_field {
                        if key == "metadata" {
                            if let Some(meta) = self.object_meta {
                                self.node(meta, child, field, false);
                            }
                        }
                    } else if let Some(property) = schema.properties.get(key) {
                        let embedded = self.schemas.get(*property).embedded_resource;
                        self.node(*property, child, field, embedded);
                    } else {
                        match schema.additional {
                            Additional::Any => {}
                            Additional::Forbidden if schema.embedded_resource && meta_field => {}
                            Additional::Forbidden => {
                                let at = field.clone();
                                self.report(
                                    Rule::SchemaUnknownField,
                                    &at,
                                    "field not declared in schema".to_owned(),
                                );
                            }
                            Additional::Schema(inner) => {
                                let embedded = self.schemas.get(inner).embedded_resource;
                                self.node(inner, child, field, embedded);
                            }
                        }
                    }
                    field.truncate(length);
                }
            }
            Value::Array(items) => {
                if let Some(item_schema) = schema.items {
                    let embedded = self.schemas.get(item_schema).embedded_resource;
                    for (index, item) in items.iter().enumerate() {
                        let length = field.len();
                        let _ = write!(field, "[{index}]");
                        self.node(item_schema, item, field, embedded);
                        field.truncate(length);
                    }
                }
            }
            _ => {}
        }
        for rule in &schema.validations {
            if let Outcome::Failed(message) = rule.check(value) {
                self.report(Rule::SchemaCel, field, message);
            }
        }
    }

    fn matches_exactly_one(&self, branches: &[SchemaId], value: &Value) -> bool {
        let matching = branches
            .iter()
            .filter(|branch| {
                let mut trial = Walk::new(self.schemas, self.object_meta);
                trial.node(**branch, value, &mut String::new(), false);
                trial.findings.is_empty()
            })
            .count();
        matching == 1
    }
}

/// Whether a string still holds a Flux post-build variable (`${NAME}`, `${NAME:=default}`).
pub(crate) fn holds_flux_variable(text: &str) -> bool {
    text.find("${")
        .is_some_and(|start| text[start..].contains('}'))
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("string {}", Value::String(s.clone())),
        Value::Array(_) => "array".to_owned(),
        Value::Object(_) => "object".to_owned(),
    }
}

/// `.spec.replicas`, or `["example.com/x"]` for a key that is not a plain identifier.
fn push_key(field: &mut String, key: &str) {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        field.push('.');
        field.push_str(key);
    } else {
        field.push('[');
        field.push_str(&Value::String(key.to_owned()).to_string());
        field.push(']');
    }
}

fn child_field(field: &str, key: &str) -> String {
    let mut child = field.to_owned();
    push_key(&mut child, key);
    child
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flux_variables_are_recognised() {
        assert!(holds_flux_variable("${REPLICAS}"));
        assert!(holds_flux_variable("prefix-${env:=dev}"));
        assert!(!holds_flux_variable("$REPLICAS"));
        assert!(!holds_flux_variable("${unterminated"));
    }

    #[test]
    fn keys_that_are_not_identifiers_are_quoted() {
        let mut field = ".metadata.annotations".to_owned();
        push_key(&mut field, "example.com/owner");
        assert_eq!(field, r#".metadata.annotations["example.com/owner"]"#);
        assert_eq!(child_field(".spec", "replicas"), ".spec.replicas");
    }
}
