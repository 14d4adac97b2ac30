//! Walks one value against one compiled schema and records what the API server would refuse.

use crate::cel::Outcome;
use crate::constraints::Constraints;
use crate::field_error::{api_path, crd_type_message, enum_matches, unsupported};
use crate::gofmt::quote;
use crate::problem::Rule;
use crate::schema::{Additional, Origin, SchemaId, Schemas, Types};
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
            let message = if schema.origin == Origin::Builtin {
                format!(
                    "expected {}, got {}",
                    schema.types.describe(),
                    describe(value)
                )
            } else {
                crd_type_message(schema.types, value, field)
            };
            self.report(Rule::SchemaType, field, message);
            return;
        }
        if let Some(allowed) = &schema.enumeration {
            if !allowed.iter().any(|member| enum_matches(member, value)) {
                self.report(Rule::SchemaEnum, field, unsupported(value, allowed));
            }
        }
        if let Some(constraints) = &schema.constraints {
            // A string still holding a Flux variable is only known after substitution.
            if !value.as_str().is_some_and(holds_flux_variable) {
                let filled = self.with_defaults(schema, value);
                self.constrain(constraints, value, filled.as_ref(), field);
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
                    if !self.is_given(schema, map, required) {
                        let at = child_field(field, required);
                        self.report(Rule::SchemaRequired, &at, "Required value".to_owned());
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
                        if item.is_null() {
                            self.null_item(item_schema, field);
                        } else {
                            self.node(item_schema, item, field, embedded);
                        }
                        field.truncate(length);
                    }
                }
                if let Some(constraints) = &schema.constraints {
                    for (index, rule, message) in constraints.check_list(items) {
                        self.report(rule, &format!("{field}[{index}]"), message);
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

    /// Whether a required key counts as given. Built-in schemas: present at all. CRD
    /// schemas: the API server first prunes an explicit null unless the property is
    /// `nullable` or has a `default` (apiextensions-apiserver
    /// `pkg/apiserver/schema/defaulting/prunenulls.go`), so a pruned null is missing.
    fn is_given(
        &self,
        schema: &crate::schema::Schema,
        map: &serde_json::Map<String, Value>,
        key: &str,
    ) -> bool {
        match map.get(key) {
            // The API server defaults an absent property before validating.
            None => schema.origin != Origin::Builtin && self.defaults(schema, key),
            Some(Value::Null) if schema.origin != Origin::Builtin => {
                let property = schema
                    .properties
                    .get(key)
                    .copied()
                    .or(match schema.additional {
                        Additional::Schema(inner) => Some(inner),
                        _ => None,
                    });
                property.is_none_or(|id| self.schemas.get(id).keeps_null())
            }
            Some(_) => true,
        }
    }

    /// Whether the CRD property `key` of `schema` has a default.
    fn defaults(&self, schema: &crate::schema::Schema, key: &str) -> bool {
        schema.properties.get(key).is_some_and(|id| {
            matches!(
                self.schemas.get(*id).origin,
                Origin::Crd {
                    defaulted: true,
                    ..
                }
            )
        })
    }

    /// The object as the API server validates it for its size: the absent properties that
    /// have a default are filled in first (structural defaulting runs before validation).
    /// Only the keys matter here, so the filled values are nulls.
    fn with_defaults(&self, schema: &crate::schema::Schema, value: &Value) -> Option<Value> {
        let map = value.as_object()?;
        let missing: Vec<&String> = schema
            .properties
            .keys()
            .filter(|key| !map.contains_key(*key) && self.defaults(schema, key))
            .collect();
        if missing.is_empty() {
            return None;
        }
        let mut filled = map.clone();
        for key in missing {
            filled.insert(key.clone(), Value::Null);
        }
        Some(Value::Object(filled))
    }

    /// A null list item: not pruned, so a typed, non-nullable CRD item schema refuses it
    /// (kube-openapi's `typeValidator`: `must be of type string: "null"`).
    fn null_item(&mut self, id: SchemaId, field: &str) {
        let item = self.schemas.get(id);
        let refused = matches!(
            item.origin,
            Origin::Crd {
                nullable: false,
                ..
            }
        );
        if !refused || item.types.is_any() {
            return;
        }
        let type_names = item.types.describe().replace(" or ", ",");
        let message = format!(
            "Invalid value: \"null\": {} in body must be of type {type_names}: \"null\"",
            api_path(field)
        );
        self.report(Rule::SchemaType, field, message);
    }

    /// Checks a CRD node's value constraints: composition first, then the scalar ones, as
    /// kube-openapi's `SchemaValidator` orders its validators.
    fn constrain(
        &mut self,
        constraints: &Constraints,
        value: &Value,
        filled: Option<&Value>,
        field: &str,
    ) {
        let path = api_path(field);
        if !constraints.all_of.is_empty() {
            let before = self.findings.len();
            for branch in &constraints.all_of {
                let mut at = field.to_owned();
                self.node(*branch, value, &mut at, false);
            }
            let valid = constraints
                .all_of
                .iter()
                .filter(|branch| self.is_valid(**branch, value))
                .count();
            if self.findings.len() > before {
                let none = if valid == 0 { ". None validated" } else { "" };
                let message = format!(
                    "Invalid value: \"\": {} must validate all the schemas (allOf){none}",
                    quote(&path)
                );
                self.report(Rule::SchemaValue, field, message);
            }
        }
        if !constraints.any_of.is_empty()
            && !constraints.any_of.iter().any(|b| self.is_valid(*b, value))
        {
            let message = format!(
                "Invalid value: \"\": {} must validate at least one schema (anyOf)",
                quote(&path)
            );
            self.report(Rule::SchemaValue, field, message);
        }
        if !constraints.one_of.is_empty() {
            let valid = constraints
                .one_of
                .iter()
                .filter(|b| self.is_valid(**b, value))
                .count();
            if valid != 1 {
                let found = if valid == 0 {
                    "Found none valid".to_owned()
                } else {
                    format!("Found {valid} valid alternatives")
                };
                let message = format!(
                    "Invalid value: \"\": {} must validate one and only one schema (oneOf). {found}",
                    quote(&path)
                );
                self.report(Rule::SchemaValue, field, message);
            }
        }
        if let Some(not) = constraints.not {
            if self.is_valid(not, value) {
                let message = format!(
                    "Invalid value: \"\": {} must not validate the schema (not)",
                    quote(&path)
                );
                self.report(Rule::SchemaValue, field, message);
            }
        }
        for (rule, message) in constraints.check(filled.unwrap_or(value), &path) {
            self.report(rule, field, message);
        }
    }

    /// Whether `value` passes the schema `id` with nothing to report.
    fn is_valid(&self, id: SchemaId, value: &Value) -> bool {
        let mut trial = Walk::new(self.schemas, self.object_meta);
        trial.node(id, value, &mut String::new(), false);
        trial.findings.is_empty()
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

    proptest::proptest! {
        #[test]
        fn api_paths_undo_the_quoting_of_fields(keys in proptest::collection::vec(".{0,12}", 1..5)) {
            let mut field = String::new();
            for key in &keys {
                push_key(&mut field, key);
            }
            proptest::prop_assert_eq!(api_path(&field), keys.join("."));
        }
    }

    #[test]
    fn keys_that_are_not_identifiers_are_quoted() {
        let mut field = ".metadata.annotations".to_owned();
        push_key(&mut field, "example.com/owner");
        assert_eq!(field, r#".metadata.annotations["example.com/owner"]"#);
        assert_eq!(child_field(".spec", "replicas"), ".spec.replicas");
    }
}
