//! One schema model for both sources: the Kubernetes `OpenAPI` definitions (as compacted by
//! `scripts/regen-api-schemas`) and the structural schemas of `CustomResourceDefinition`s.
//!
//! Schemas live in an arena ([`Schemas`]) and refer to each other by [`SchemaId`], so a
//! `$ref` cycle (`JSONSchemaProps` refers to itself) costs nothing.

use crate::cel::Rule as CelRule;
use crate::constraints::Constraints;
use crate::KubeVersion;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// An index into [`Schemas`].
pub(crate) type SchemaId = usize;

/// The JSON types a value may have; an empty set allows any type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Types(u8);

impl Types {
    pub(crate) const OBJECT: Types = Types(1);
    pub(crate) const ARRAY: Types = Types(2);
    pub(crate) const STRING: Types = Types(4);
    pub(crate) const INTEGER: Types = Types(8);
    pub(crate) const NUMBER: Types = Types(16);
    pub(crate) const BOOLEAN: Types = Types(32);

    fn named(name: &str) -> Option<Types> {
        Some(match name {
            "object" => Self::OBJECT,
            "array" => Self::ARRAY,
            "string" => Self::STRING,
            "integer" => Self::INTEGER,
            "number" => Self::NUMBER,
            "boolean" => Self::BOOLEAN,
            _ => return None,
        })
    }

    pub(crate) fn union(self, other: Types) -> Types {
        Types(self.0 | other.0)
    }

    pub(crate) fn contains(self, other: Types) -> bool {
        self.0 & other.0 == other.0
    }

    pub(crate) fn is_any(self) -> bool {
        self.0 == 0
    }

    /// Whether `value` has one of these types (null is handled by the caller).
    pub(crate) fn admits(self, value: &Value) -> bool {
        if self.is_any() {
            return true;
        }
        match value {
            Value::Object(_) => self.contains(Self::OBJECT),
            Value::Array(_) => self.contains(Self::ARRAY),
            Value::String(_) => self.contains(Self::STRING),
            Value::Bool(_) => self.contains(Self::BOOLEAN),
            Value::Number(n) => {
                self.contains(Self::NUMBER) || (self.contains(Self::INTEGER) && is_integral(n))
            }
            Value::Null => true,
        }
    }

    /// Names for messages: `integer`, `string or integer`.
    pub(crate) fn describe(self) -> String {
        let names: Vec<&str> = [
            (Self::OBJECT, "object"),
            (Self::ARRAY, "array"),
            (Self::STRING, "string"),
            (Self::INTEGER, "integer"),
            (Self::NUMBER, "number"),
            (Self::BOOLEAN, "boolean"),
        ]
        .into_iter()
        .filter(|(t, _)| self.contains(*t))
        .map(|(_, name)| name)
        .collect();
        names.join(" or ")
    }
}

/// JSON Schema's rule: a number with no fractional part is an integer (`2.0` is one).
fn is_integral(number: &serde_json::Number) -> bool {
    number.is_i64() || number.is_u64() || number.as_f64().is_some_and(|f| f.fract() == 0.0)
}

/// What an object may hold besides its declared properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Additional {
    /// Anything (a built-in type with no declared properties, `x-kubernetes-preserve-unknown-fields`).
    Any,
    /// Nothing: every other key is an unknown field.
    Forbidden,
    /// Every other key's value must match this schema (a map).
    Schema(SchemaId),
}

/// One compiled schema node.
#[derive(Debug, Clone)]
pub(crate) struct Schema {
    /// Follow this schema instead (a `$ref`); the other fields are then unused.
    pub(crate) reference: Option<SchemaId>,
    pub(crate) types: Types,
    pub(crate) properties: BTreeMap<String, SchemaId>,
    pub(crate) additional: Additional,
    pub(crate) items: Option<SchemaId>,
    pub(crate) required: Vec<String>,
    pub(crate) enumeration: Option<Vec<Value>>,
    /// The value must match exactly one of these.
    pub(crate) one_of: Vec<SchemaId>,
    /// `x-kubernetes-embedded-resource`: `apiVersion`, `kind` and `metadata` are allowed.
    pub(crate) embedded_resource: bool,
    /// `x-kubernetes-validations` rules this node's value must satisfy.
    pub(crate) validations: Vec<CelRule>,
    /// A CRD's value constraints (`pattern`, bounds, sizes, `format`, list types,
    /// `anyOf`/`allOf`/`oneOf`/`not`); `None` when there are none.
    pub(crate) constraints: Option<Box<Constraints>>,
    /// Where the node comes from, which decides what an explicit null means.
    pub(crate) origin: Origin,
}

/// Where a schema node comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The built-in `OpenAPI` definitions: an explicit null is an absent field.
    Builtin,
    /// A CRD's structural schema: the API server prunes an explicit null unless the node is
    /// `nullable` (kept, and valid) or has a `default` (replaced by it).
    Crd { nullable: bool, defaulted: bool },
}

/// How a structural schema node is compiled: as part of the structure (objects close to
/// undeclared fields) or inside `anyOf`/`allOf`/`oneOf`/`not`, where it only validates values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Structure,
    ValueValidation,
}

impl Schema {
    fn any() -> Self {
        Self {
            reference: None,
            types: Types::default(),
            properties: BTreeMap::new(),
            additional: Additional::Any,
            items: None,
            required: Vec::new(),
            enumeration: None,
            one_of: Vec::new(),
            embedded_resource: false,
            validations: Vec::new(),
            constraints: None,
            origin: Origin::Builtin,
        }
    }

    /// Whether an explicit null in this property survives the API server's pruning of
    /// non-nullable nulls without defaults (`PruneNonNullableNullsWithoutDefaults`), so that
    /// the property counts as given.
    pub(crate) fn keeps_null(&self) -> bool {
        matches!(self.origin, Origin::Crd { nullable, defaulted } if nullable || defaulted)
    }
}

/// An arena of schemas.
#[derive(Debug, Clone, Default)]
pub(crate) struct Schemas {
    nodes: Vec<Schema>,
}

impl Schemas {
    /// The schema `id`, with `$ref`s followed.
    pub(crate) fn get(&self, mut id: SchemaId) -> &Schema {
        // A chain of references longer than the arena would be a cycle of pure references.
        for _ in 0..=self.nodes.len() {
            match self.nodes[id].reference {
                Some(next) => id = next,
                None => return &self.nodes[id],
            }
        }
        &self.nodes[id]
    }

    /// How many schemas are compiled.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    fn push(&mut self, schema: Schema) -> SchemaId {
        self.nodes.push(schema);
        self.nodes.len() - 1
    }

    /// Compiles the compact definitions of `scripts/regen-api-schemas`; returns each
    /// definition's id by name.
    pub(crate) fn compile_definitions(
        &mut self,
        definitions: &Map<String, Value>,
    ) -> Result<BTreeMap<String, SchemaId>, String> {
        let mut ids = BTreeMap::new();
        for name in definitions.keys() {
            ids.insert(name.clone(), self.push(Schema::any()));
        }
        for (name, body) in definitions {
            let schema = self.compile_openapi(body, &ids)?;
            self.nodes[ids[name]] = schema;
        }
        Ok(ids)
    }

    fn compile_openapi_node(
        &mut self,
        body: &Value,
        ids: &BTreeMap<String, SchemaId>,
    ) -> Result<SchemaId, String> {
        let schema = self.compile_openapi(body, ids)?;
        Ok(self.push(schema))
    }

    /// A built-in schema: absent `additionalProperties` allows anything, as JSON Schema does
    /// (the strict variant of the data already says `false` wherever properties are closed).
    fn compile_openapi(
        &mut self,
        body: &Value,
        ids: &BTreeMap<String, SchemaId>,
    ) -> Result<Schema, String> {
        let mut schema = Schema::any();
        let Some(body) = body.as_object() else {
            return Ok(schema);
        };
        if let Some(name) = body.get("$ref").and_then(Value::as_str) {
            let target = ids
                .get(name)
                .ok_or_else(|| format!("reference to unknown definition {name}"))?;
            schema.reference = Some(*target);
            return Ok(schema);
        }
        schema.types = parse_types(body.get("type"))?;
        if let Some(properties) = body.get("properties").and_then(Value::as_object) {
            for (key, property) in properties {
                let id = self.compile_openapi_node(property, ids)?;
                schema.properties.insert(key.clone(), id);
            }
        }
        schema.additional = match body.get("additionalProperties") {
            None | Some(Value::Bool(true)) => Additional::Any,
            Some(Value::Bool(false)) => Additional::Forbidden,
            Some(other) => Additional::Schema(self.compile_openapi_node(other, ids)?),
        };
        if let Some(items) = body.get("items") {
            schema.items = Some(self.compile_openapi_node(items, ids)?);
        }
        schema.required = string_list(body.get("required"));
        schema.enumeration = body.get("enum").and_then(Value::as_array).cloned();
        if let Some(branches) = body.get("oneOf").and_then(Value::as_array) {
            for branch in branches {
                let id = self.compile_openapi_node(branch, ids)?;
                schema.one_of.push(id);
            }
        }
        Ok(schema)
    }

    /// Compiles a CRD version's `openAPIV3Schema` (a structural schema) and returns its id.
    ///
    /// Structural schemas prune what they do not declare, so an object schema without
    /// `x-kubernetes-preserve-unknown-fields` forbids undeclared keys: with strict field
    /// validation (server-side apply, Flux's dry-run) they are refused as unknown fields.
    /// `version` is the API server's release, which decides the string formats it checks.
    pub(crate) fn compile_structural(
        &mut self,
        body: &Value,
        version: KubeVersion,
    ) -> Result<SchemaId, String> {
        let schema = self.compile_structural_schema(body, "", Part::Structure, version)?;
        Ok(self.push(schema))
    }

    fn compile_structural_schema(
        &mut self,
        body: &Value,
        at: &str,
        part: Part,
        version: KubeVersion,
    ) -> Result<Schema, String> {
        let mut schema = Schema::any();
        let Some(body) = body.as_object() else {
            return Err(format!("the schema at `{}` is not an object", display(at)));
        };
        let preserve = flag(body, "x-kubernetes-preserve-unknown-fields");
        schema.origin = Origin::Crd {
            nullable: flag(body, "nullable"),
            defaulted: body.get("default").is_some_and(|d| !d.is_null()),
        };
        schema.embedded_resource =
            part == Part::Structure && flag(body, "x-kubernetes-embedded-resource");
        if flag(body, "x-kubernetes-int-or-string") {
            schema.types = Types::INTEGER.union(Types::STRING);
        } else {
            schema.types =
                parse_types(body.get("type")).map_err(|e| format!("{e} at `{}`", display(at)))?;
        }
        if let Some(properties) = body.get("properties").and_then(Value::as_object) {
            for (key, property) in properties {
                let inner = self.compile_structural_schema(
                    property,
                    &format!("{at}.{key}"),
                    part,
                    version,
                )?;
                schema.properties.insert(key.clone(), self.push(inner));
            }
        }
        let is_object = schema.types.contains(Types::OBJECT) && !schema.types.is_any();
        schema.additional = match body.get("additionalProperties") {
            Some(Value::Bool(true)) => Additional::Any,
            Some(Value::Bool(false)) => Additional::Forbidden,
            Some(other @ Value::Object(_)) => {
                let inner =
                    self.compile_structural_schema(other, &format!("{at}.*"), part, version)?;
                Additional::Schema(self.push(inner))
            }
            _ if preserve || !is_object || part == Part::ValueValidation => Additional::Any,
            _ => Additional::Forbidden,
        };
        if let Some(items) = body.get("items") {
            let inner =
                self.compile_structural_schema(items, &format!("{at}[*]"), part, version)?;
            schema.items = Some(self.push(inner));
        }
        schema.required = string_list(body.get("required"));
        schema.enumeration = body.get("enum").and_then(Value::as_array).cloned();
        if let Some(rules) = body
            .get("x-kubernetes-validations")
            .and_then(Value::as_array)
        {
            schema.validations = rules.iter().filter_map(CelRule::from_schema).collect();
        }
        // A string format applies to string, untyped and int-or-string nodes
        // (apiextensions-apiserver's `StripUnsupportedFormatsPostProcessorForVersion`).
        let string_like = schema.types.is_any()
            || schema.types == Types::STRING
            || schema.types == Types::INTEGER.union(Types::STRING);
        let mut constraints = Constraints::read(body, string_like, version);
        for (key, branches) in [
            ("allOf", &mut constraints.all_of),
            ("anyOf", &mut constraints.any_of),
            ("oneOf", &mut constraints.one_of),
        ] {
            for (i, branch) in body
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let inner = self.compile_structural_schema(
                    branch,
                    &format!("{at}.{key}[{i}]"),
                    Part::ValueValidation,
                    version,
                )?;
                branches.push(self.push(inner));
            }
        }
        if let Some(not) = body.get("not") {
            let inner = self.compile_structural_schema(
                not,
                &format!("{at}.not"),
                Part::ValueValidation,
                version,
            )?;
            constraints.not = Some(self.push(inner));
        }
        if !constraints.is_empty() {
            schema.constraints = Some(Box::new(constraints));
        }
        Ok(schema)
    }
}

fn display(at: &str) -> &str {
    if at.is_empty() {
        "."
    } else {
        at
    }
}

fn flag(body: &Map<String, Value>, key: &str) -> bool {
    body.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn string_list(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn parse_types(value: Option<&Value>) -> Result<Types, String> {
    let mut types = Types::default();
    let names: Vec<&Value> = match value {
        None => return Ok(types),
        Some(Value::Array(list)) => list.iter().collect(),
        Some(single) => vec![single],
    };
    for name in names {
        let name = name.as_str().ok_or("a `type` that is not a string")?;
        if name == "null" {
            continue;
        }
        types = types.union(Types::named(name).ok_or_else(|| format!("unknown type `{name}`"))?);
    }
    Ok(types)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integers_include_whole_floats_but_not_fractions() {
        assert!(Types::INTEGER.admits(&json!(3)));
        assert!(Types::INTEGER.admits(&json!(3.0)));
        assert!(!Types::INTEGER.admits(&json!(3.5)));
        assert!(Types::NUMBER.admits(&json!(3.5)));
        assert!(!Types::INTEGER.admits(&json!("3")));
        assert!(Types::default().admits(&json!({"any": "thing"})));
    }

    #[test]
    fn structural_objects_close_unless_they_preserve_unknown_fields() {
        let mut schemas = Schemas::default();
        let closed = schemas
            .compile_structural(&json!({"type": "object"}), crate::LATEST)
            .unwrap();
        let open = schemas
            .compile_structural(
                &json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
                crate::LATEST,
            )
            .unwrap();
        assert_eq!(schemas.get(closed).additional, Additional::Forbidden);
        assert_eq!(schemas.get(open).additional, Additional::Any);
    }

    #[test]
    fn a_bad_structural_type_names_where_it_is() {
        let mut schemas = Schemas::default();
        let error = schemas
            .compile_structural(
                &json!({"type": "object", "properties": {"spec": {"type": "strnig"}}}),
                crate::LATEST,
            )
            .unwrap_err();
        assert_eq!(error, "unknown type `strnig` at `.spec`");
    }
}
