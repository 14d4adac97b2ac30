//! The value constraints of a CRD's structural schema, checked as the API server checks
//! them: kube-openapi's schema validator (`pkg/validation/validate`: `validator.go`
//! `numberValidator`/`stringValidator`, `values.go`, `slice_validator.go`,
//! `object_validator.go`, `schema_props.go`) for `minimum` … `not`, and
//! apiextensions-apiserver's `pkg/apiserver/schema/listtype/validation.go` for
//! `x-kubernetes-list-type`.
//!
//! Messages are what `kubectl apply` prints after the field: kube-openapi's message
//! (`spec.replicas in body should be greater than or equal to 1`, from
//! `pkg/validation/errors/schema.go`) wrapped into a field error the way apiextensions-apiserver's
//! `kubeOpenAPIResultToFieldErrors` (`pkg/apiserver/validation/validation.go`) wraps it:
//! `maxLength` becomes `Too long`, `maxItems` and `maxProperties` become `Too many`, the rest
//! `Invalid value: <value>: <message>`.

use std::cmp::Ordering;

use crate::formats::Format;
use crate::gofmt::{bad_value, float_v, GoNumber};
use crate::pattern::Pattern;
use crate::problem::Rule;
use crate::schema::SchemaId;
use crate::KubeVersion;
use serde_json::{Map, Value};

/// A `minimum` or `maximum` and whether it is exclusive.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bound {
    pub(crate) limit: f64,
    pub(crate) exclusive: bool,
}

/// `x-kubernetes-list-type`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum ListType {
    /// `atomic`, or none given: no uniqueness.
    #[default]
    Atomic,
    /// Every item unique.
    Set,
    /// Objects unique by these keys (`x-kubernetes-list-map-keys`).
    Map(Vec<String>),
}

/// What a CRD schema node constrains beyond types and fields.
#[derive(Debug, Clone, Default)]
pub(crate) struct Constraints {
    pub(crate) minimum: Option<Bound>,
    pub(crate) maximum: Option<Bound>,
    pub(crate) multiple_of: Option<f64>,
    pub(crate) min_length: Option<u64>,
    pub(crate) max_length: Option<u64>,
    pub(crate) pattern: Option<Pattern>,
    pub(crate) format: Option<(String, Format)>,
    pub(crate) min_items: Option<u64>,
    pub(crate) max_items: Option<u64>,
    pub(crate) unique_items: bool,
    pub(crate) min_properties: Option<u64>,
    pub(crate) max_properties: Option<u64>,
    pub(crate) list_type: ListType,
    pub(crate) all_of: Vec<SchemaId>,
    pub(crate) any_of: Vec<SchemaId>,
    pub(crate) one_of: Vec<SchemaId>,
    pub(crate) not: Option<SchemaId>,
}

impl Constraints {
    /// Reads the scalar constraints of a schema node (the composition branches are compiled by
    /// the caller). `string_like` says whether the node's type lets a string `format` apply.
    /// A constraint of the wrong JSON type (`minimum: "1"`) is left unchecked: the API server
    /// refuses such a CRD when it is created, and the other checks stay useful meanwhile.
    pub(crate) fn read(
        body: &Map<String, Value>,
        string_like: bool,
        version: KubeVersion,
    ) -> Constraints {
        let number = |key: &str| body.get(key).and_then(Value::as_f64);
        let count = |key: &str| {
            body.get(key).and_then(|value| {
                value.as_u64().or_else(|| {
                    // A whole float (`5.0`) is the same count.
                    value
                        .as_f64()
                        .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                        .map(|f| {
                            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                            let whole = f as u64;
                            whole
                        })
                })
            })
        };
        let flag = |key: &str| body.get(key).and_then(Value::as_bool).unwrap_or(false);
        let bound = |key: &str, exclusive: &str| {
            number(key).map(|limit| Bound {
                limit,
                exclusive: flag(exclusive),
            })
        };
        let list_type = match body.get("x-kubernetes-list-type").and_then(Value::as_str) {
            Some("set") => ListType::Set,
            Some("map") => ListType::Map(
                body.get("x-kubernetes-list-map-keys")
                    .and_then(Value::as_array)
                    .map(|keys| {
                        keys.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            _ => ListType::Atomic,
        };
        let format = body
            .get("format")
            .and_then(Value::as_str)
            .filter(|_| string_like)
            .and_then(|name| Format::named(name, version).map(|f| (name.to_owned(), f)));
        Constraints {
            minimum: bound("minimum", "exclusiveMinimum"),
            maximum: bound("maximum", "exclusiveMaximum"),
            multiple_of: number("multipleOf"),
            min_length: count("minLength"),
            max_length: count("maxLength"),
            pattern: body
                .get("pattern")
                .and_then(Value::as_str)
                .map(Pattern::new),
            format,
            min_items: count("minItems"),
            max_items: count("maxItems"),
            unique_items: flag("uniqueItems"),
            min_properties: count("minProperties"),
            max_properties: count("maxProperties"),
            list_type,
            ..Constraints::default()
        }
    }

    /// Whether nothing is constrained (so the node needs no [`Constraints`]).
    pub(crate) fn is_empty(&self) -> bool {
        self.minimum.is_none()
            && self.maximum.is_none()
            && self.multiple_of.is_none()
            && self.min_length.is_none()
            && self.max_length.is_none()
            && self.pattern.is_none()
            && self.format.is_none()
            && self.min_items.is_none()
            && self.max_items.is_none()
            && !self.unique_items
            && self.min_properties.is_none()
            && self.max_properties.is_none()
            && self.list_type == ListType::Atomic
            && self.all_of.is_empty()
            && self.any_of.is_empty()
            && self.one_of.is_empty()
            && self.not.is_none()
    }

    /// The refusals of `value` by the scalar constraints (strings, numbers, list and map
    /// sizes), as (rule, message); `path` is the field as kube-openapi names it
    /// (`spec.items[0].name`).
    pub(crate) fn check(&self, value: &Value, path: &str) -> Vec<(Rule, String)> {
        let mut found = Vec::new();
        match value {
            Value::String(text) => self.check_string(text, value, path, &mut found),
            Value::Number(number) => self.check_number(GoNumber::of(number), path, &mut found),
            Value::Array(items) => self.check_array(items, path, &mut found),
            Value::Object(map) => self.check_object(map, path, &mut found),
            Value::Bool(_) | Value::Null => {}
        }
        found
    }

    /// kube-openapi's `stringValidator` stops at the first failure (`maxLength`, then
    /// `minLength`, then `pattern`); the format validator runs on its own.
    fn check_string(&self, text: &str, value: &Value, path: &str, found: &mut Vec<(Rule, String)>) {
        // Lengths count characters (`utf8.RuneCount`), whatever the message says.
        let length = text.chars().count() as u64;
        let refuse = |message: String| (Rule::SchemaValue, invalid(value, &message));
        if let Some(max) = self.max_length.filter(|&max| length > max) {
            let unit = if max == 1 { "byte" } else { "bytes" };
            found.push((
                Rule::SchemaValue,
                format!("Too long: may not be more than {max} {unit}"),
            ));
        } else if let Some(min) = self.min_length.filter(|&min| length < min) {
            found.push(refuse(format!(
                "{path} in body should be at least {min} chars long"
            )));
        } else if let Some(pattern) = self.pattern.as_ref().filter(|p| !p.accepts(text)) {
            found.push(refuse(format!(
                "{path} in body should match '{}'",
                pattern.source
            )));
        }
        if let Some((name, format)) = &self.format {
            if !format.accepts(text) {
                let message = format!(
                    "{path} in body must be of type {name}: {}",
                    crate::gofmt::quote(text)
                );
                found.push((Rule::SchemaValue, invalid(value, &message)));
            }
        }
    }

    /// kube-openapi's `numberValidator`: `multipleOf`, `minimum`, `maximum`, each reported.
    /// An integer is compared with the bound truncated to an integer, as Go's
    /// `MinimumNativeType` does (`int64(min)`), and printed as one.
    fn check_number(&self, number: GoNumber, path: &str, found: &mut Vec<(Rule, String)>) {
        let shown = number.to_string();
        let mut invalid = |message: String| {
            found.push((
                Rule::SchemaValue,
                format!("Invalid value: {shown}: {message}"),
            ));
        };
        if let Some(factor) = self.multiple_of {
            if let Some(shown_factor) = not_multiple(number, factor) {
                invalid(format!(
                    "{path} in body should be a multiple of {shown_factor}"
                ));
            }
        }
        let bounds = [
            (self.minimum, Ordering::Less, "greater than"),
            (self.maximum, Ordering::Greater, "less than"),
        ];
        for (bound, beyond, relation) in bounds {
            if let Some(broken) = bound.and_then(|b| broken_bound(number, b, beyond, relation)) {
                invalid(format!("{path} in body should be {broken}"));
            }
        }
    }

    /// kube-openapi's `schemaSliceValidator`: `minItems`, `maxItems`, `uniqueItems`.
    fn check_array(&self, items: &[Value], path: &str, found: &mut Vec<(Rule, String)>) {
        let size = items.len() as u64;
        if let Some(min) = self.min_items.filter(|&min| size < min) {
            found.push((
                Rule::SchemaValue,
                format!("Invalid value: {size}: {path} in body should have at least {min} items"),
            ));
        }
        if let Some(max) = self.max_items.filter(|&max| size > max) {
            found.push((
                Rule::SchemaValue,
                format!("Too many: {size}: must have at most {max} items"),
            ));
        }
        if self.unique_items
            && items
                .iter()
                .enumerate()
                .any(|(i, item)| items[..i].contains(item))
        {
            found.push((
                Rule::SchemaDuplicate,
                format!("Invalid value: \"\": {path} in body shouldn't contain duplicates"),
            ));
        }
    }

    /// kube-openapi's `objectValidator`: `minProperties`, `maxProperties`.
    fn check_object(&self, map: &Map<String, Value>, path: &str, found: &mut Vec<(Rule, String)>) {
        let size = map.len() as u64;
        if let Some(min) = self.min_properties.filter(|&min| size < min) {
            found.push((
                Rule::SchemaValue,
                format!(
                    "Invalid value: {size}: {path} in body should have at least {min} properties"
                ),
            ));
        } else if let Some(max) = self.max_properties.filter(|&max| size > max) {
            found.push((
                Rule::SchemaValue,
                format!("Too many: {size}: must have at most {max} items"),
            ));
        }
    }

    /// `x-kubernetes-list-type: set` and `map` uniqueness, as (index, rule, message): each
    /// value's second appearance is a `Duplicate value`.
    pub(crate) fn check_list(&self, items: &[Value]) -> Vec<(usize, Rule, String)> {
        match &self.list_type {
            ListType::Atomic => Vec::new(),
            ListType::Set => second_appearances(items)
                .into_iter()
                .map(|i| (i, Rule::SchemaDuplicate, duplicate(&items[i])))
                .collect(),
            ListType::Map(keys) => {
                if let Some(i) = items.iter().position(|x| !x.is_object() && !x.is_null()) {
                    let message =
                        invalid(&items[i], "must be an object for an array of list-type map");
                    return vec![(i, Rule::SchemaValue, message)];
                }
                let key_values: Vec<Value> = items
                    .iter()
                    .map(|item| {
                        let mut key = Map::new();
                        for name in keys {
                            if let Some(value) = item.get(name) {
                                key.insert(name.clone(), value.clone());
                            }
                        }
                        Value::Object(key)
                    })
                    .collect();
                second_appearances(&key_values)
                    .into_iter()
                    .map(|i| (i, Rule::SchemaDuplicate, duplicate(&key_values[i])))
                    .collect()
            }
        }
    }
}

fn invalid(value: &Value, message: &str) -> String {
    format!("Invalid value: {}: {message}", bad_value(value))
}

fn duplicate(value: &Value) -> String {
    format!("Duplicate value: {}", bad_value(value))
}

/// The indexes where a value appears for the second time (`validateListSet`): scalars
/// compare as Go values (`1` and `1.5` differ; a whole `1.0` is `1`, see `GoNumber::of`), lists
/// and maps through their JSON encoding.
fn second_appearances(items: &[Value]) -> Vec<usize> {
    let key = |value: &Value| match value {
        Value::Array(_) | Value::Object(_) => format!("c{}", crate::gofmt::canonical_json(value)),
        Value::Number(number) => match GoNumber::of(number) {
            GoNumber::Int(int) => format!("i{int}"),
            GoNumber::Float(float) => format!("f{float:?}"),
        },
        other => format!("s{other}"),
    };
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut second = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let times = seen.entry(key(item)).or_default();
        *times += 1;
        if *times == 2 {
            second.push(i);
        }
    }
    second
}

/// Compares a decoded number with a bound as `MinimumNativeType`/`MaximumNativeType` do:
/// an integer against the bound truncated to `int64`, a float against the bound. Returns
/// the ordering of the number to the bound and the bound as the message prints it.
fn compare(number: GoNumber, limit: f64) -> (Ordering, String) {
    match number {
        GoNumber::Int(int) => {
            #[allow(clippy::cast_possible_truncation)] // Go's int64(float64) truncates too
            let limit = limit as i64;
            (int.cmp(&limit), limit.to_string())
        }
        GoNumber::Float(float) => (
            float.partial_cmp(&limit).unwrap_or(Ordering::Equal),
            float_v(limit),
        ),
    }
}

/// How `number` breaks `bound`, if it does: a minimum when the numbers `beyond` it (`Less`) fail,
/// a maximum when those `Greater` do; an exclusive bound also refuses its limit. The text is
/// what the message says the number should be (`greater than or equal to 1`).
fn broken_bound(
    number: GoNumber,
    bound: Bound,
    beyond: Ordering,
    relation: &str,
) -> Option<String> {
    let (order, shown_limit) = compare(number, bound.limit);
    let fails = order == beyond || (bound.exclusive && order == Ordering::Equal);
    fails.then(|| {
        if bound.exclusive {
            format!("{relation} {shown_limit}")
        } else {
            format!("{relation} or equal to {shown_limit}")
        }
    })
}

/// `Some(factor as printed)` when `number` is not a multiple of `factor`
/// (`MultipleOfNativeType`): integers use the factor truncated to an integer (a factor
/// truncating to 0 is not checked: Go would divide by zero), floats divide and ask whether
/// the quotient is a JSON integer.
fn not_multiple(number: GoNumber, factor: f64) -> Option<String> {
    if factor <= 0.0 {
        return None;
    }
    match number {
        GoNumber::Int(int) => {
            #[allow(clippy::cast_possible_truncation)]
            let factor = factor as i64;
            (factor != 0 && int % factor != 0).then(|| factor.to_string())
        }
        GoNumber::Float(float) => {
            let quotient = if factor < 1.0 {
                1.0 / factor * float
            } else {
                float / factor
            };
            (!is_json_integer(quotient)).then(|| float_v(factor))
        }
    }
}

/// go-openapi's `swag.IsFloat64AJSONInteger`: within ±(2^53 − 1), and whole or within a
/// relative 1e-9 of its truncation.
fn is_json_integer(value: f64) -> bool {
    const MAX_JSON_INTEGER: f64 = 9_007_199_254_740_991.0;
    if !value.is_finite() || value.abs() > MAX_JSON_INTEGER {
        return false;
    }
    if value.fract() == 0.0 {
        return true;
    }
    if value < 0.0 {
        // Go truncates a negative value through uint64, which never lands near it.
        return false;
    }
    let truncated = value.trunc();
    if truncated == 0.0 {
        return false;
    }
    (value - truncated) / (value + truncated) < 1e-9
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn constraints(body: &Value) -> Constraints {
        Constraints::read(body.as_object().unwrap(), true, crate::LATEST)
    }

    fn messages(body: &Value, value: &Value) -> Vec<String> {
        constraints(body)
            .check(value, "spec.x")
            .into_iter()
            .map(|(_, message)| message)
            .collect()
    }

    #[test]
    fn minimum_and_maximum_inclusive_and_exclusive() {
        let inclusive = json!({"minimum": 1, "maximum": 10});
        assert!(messages(&inclusive, &json!(1)).is_empty());
        assert!(messages(&inclusive, &json!(10)).is_empty());
        assert_eq!(
            messages(&inclusive, &json!(0)),
            ["Invalid value: 0: spec.x in body should be greater than or equal to 1"]
        );
        assert_eq!(
            messages(&inclusive, &json!(11)),
            ["Invalid value: 11: spec.x in body should be less than or equal to 10"]
        );
        let exclusive = json!({"minimum": 1, "exclusiveMinimum": true, "maximum": 10, "exclusiveMaximum": true});
        assert!(messages(&exclusive, &json!(5)).is_empty());
        assert_eq!(
            messages(&exclusive, &json!(1)),
            ["Invalid value: 1: spec.x in body should be greater than 1"]
        );
        assert_eq!(
            messages(&exclusive, &json!(10)),
            ["Invalid value: 10: spec.x in body should be less than 10"]
        );
    }

    #[test]
    fn integers_meet_truncated_bounds_and_floats_exact_ones() {
        // Go compares an int64 with int64(1.5) = 1, so 1 passes `minimum: 1.5`.
        let fractional = json!({"minimum": 1.5});
        assert!(messages(&fractional, &json!(1)).is_empty());
        assert_eq!(
            messages(&fractional, &json!(1.25)),
            ["Invalid value: 1.25: spec.x in body should be greater than or equal to 1.5"]
        );
        assert_eq!(
            messages(&json!({"maximum": 1_000_000}), &json!(2_000_000.5)),
            ["Invalid value: 2.0000005e+06: spec.x in body should be less than or equal to 1e+06"]
        );
    }

    #[test]
    fn multiple_of() {
        let by_five = json!({"multipleOf": 5});
        assert!(messages(&by_five, &json!(15)).is_empty());
        assert_eq!(
            messages(&by_five, &json!(7)),
            ["Invalid value: 7: spec.x in body should be a multiple of 5"]
        );
        let by_tenth = json!({"multipleOf": 0.1});
        assert!(messages(&by_tenth, &json!(0.3)).is_empty());
        assert_eq!(
            messages(&by_tenth, &json!(0.35)),
            ["Invalid value: 0.35: spec.x in body should be a multiple of 0.1"]
        );
    }

    #[test]
    fn string_lengths_count_characters_and_stop_at_the_first_failure() {
        let body = json!({"minLength": 2, "maxLength": 3, "pattern": "^[a-z]+$"});
        assert!(messages(&body, &json!("abc")).is_empty());
        let lengths = json!({"minLength": 2, "maxLength": 3});
        assert!(
            messages(&lengths, &json!("éé")).is_empty(),
            "two characters, four bytes"
        );
        assert_eq!(
            messages(&body, &json!("abcd")),
            ["Too long: may not be more than 3 bytes"]
        );
        assert_eq!(
            messages(&body, &json!("a")),
            [r#"Invalid value: "a": spec.x in body should be at least 2 chars long"#]
        );
        assert_eq!(
            messages(&body, &json!("AB")),
            [r#"Invalid value: "AB": spec.x in body should match '^[a-z]+$'"#]
        );
        assert_eq!(
            messages(&json!({"maxLength": 1}), &json!("ab")),
            ["Too long: may not be more than 1 byte"]
        );
    }

    #[test]
    fn format_is_checked_on_strings_only() {
        // (format, a value it accepts, a value it refuses, the API server's message for it)
        let cases = [
            (
                "date-time",
                "2024-01-01T00:00:00Z",
                "soon",
                r#"Invalid value: "soon": spec.x in body must be of type date-time: "soon""#,
            ),
            (
                "duration",
                "3 days",
                "1.5d",
                r#"Invalid value: "1.5d": spec.x in body must be of type duration: "1.5d""#,
            ),
            (
                "email",
                "Jo <jo@example.com>",
                "x",
                r#"Invalid value: "x": spec.x in body must be of type email: "x""#,
            ),
            (
                "isbn-13",
                "978-3-8362-2119-1",
                "978-3-8362-2119-0",
                r#"Invalid value: "978-3-8362-2119-0": spec.x in body must be of type isbn-13: "978-3-8362-2119-0""#,
            ),
            (
                "creditcard",
                "4111 1111 1111 1111",
                "4111 1111 1111 1112",
                r#"Invalid value: "4111 1111 1111 1112": spec.x in body must be of type creditcard: "4111 1111 1111 1112""#,
            ),
        ];
        for (format, good, bad, message) in cases {
            let body = json!({ "format": format });
            assert!(messages(&body, &json!(good)).is_empty(), "{format}: {good}");
            assert_eq!(messages(&body, &json!(bad)), [message], "{format}");
        }
        let int32 = json!({"format": "int32"});
        assert!(messages(&int32, &json!(1_i64 << 40)).is_empty());
        let not_string = Constraints::read(
            json!({"format": "uuid"}).as_object().unwrap(),
            false,
            crate::LATEST,
        );
        assert!(not_string.is_empty());
        // Constraints of the wrong JSON type are left unchecked; whole-float counts count.
        let odd = constraints(&json!({"minimum": "1", "maxLength": 2.0}));
        assert!(odd.minimum.is_none());
        assert_eq!(odd.max_length, Some(2));
    }

    #[test]
    fn item_and_property_counts() {
        let items = json!({"minItems": 1, "maxItems": 2});
        assert!(messages(&items, &json!([1])).is_empty());
        assert_eq!(
            messages(&items, &json!([])),
            ["Invalid value: 0: spec.x in body should have at least 1 items"]
        );
        assert_eq!(
            messages(&items, &json!([1, 2, 3])),
            ["Too many: 3: must have at most 2 items"]
        );
        let properties = json!({"minProperties": 1, "maxProperties": 1});
        assert!(messages(&properties, &json!({"a": 1})).is_empty());
        assert_eq!(
            messages(&properties, &json!({})),
            ["Invalid value: 0: spec.x in body should have at least 1 properties"]
        );
        assert_eq!(
            messages(&properties, &json!({"a": 1, "b": 2})),
            ["Too many: 2: must have at most 1 items"]
        );
    }

    #[test]
    fn unique_items() {
        let body = json!({"uniqueItems": true});
        assert!(messages(&body, &json!([1, 2, "1"])).is_empty());
        assert_eq!(
            messages(&body, &json!([{"a": 1}, {"a": 1}])),
            [r#"Invalid value: "": spec.x in body shouldn't contain duplicates"#]
        );
    }

    #[test]
    fn list_type_set_and_map() {
        let set = constraints(&json!({"x-kubernetes-list-type": "set"}));
        assert!(set.check_list(&[json!("a"), json!("b")]).is_empty());
        assert_eq!(
            set.check_list(&[json!("a"), json!("b"), json!("a"), json!("a")]),
            [(
                2,
                Rule::SchemaDuplicate,
                r#"Duplicate value: "a""#.to_owned()
            )]
        );
        // Go keeps int64 and float64 apart among scalars, but a whole float in YAML reaches
        // the API server as an integer.
        assert!(set.check_list(&[json!(1), json!(1.5)]).is_empty());
        assert_eq!(set.check_list(&[json!(1), json!(1.0)]).len(), 1);
        let map = constraints(
            &json!({"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]}),
        );
        assert!(map
            .check_list(&[json!({"name": "a", "v": 1}), json!({"name": "b", "v": 1})])
            .is_empty());
        assert_eq!(
            map.check_list(&[json!({"name": "a"}), json!({"name": "a", "v": 2})]),
            [(
                1,
                Rule::SchemaDuplicate,
                r#"Duplicate value: map[string]interface {}{"name":"a"}"#.to_owned()
            )]
        );
        assert_eq!(
            map.check_list(&[json!({}), json!({})]),
            [(
                1,
                Rule::SchemaDuplicate,
                "Duplicate value: map[string]interface {}{}".to_owned()
            )]
        );
        assert_eq!(
            map.check_list(&[json!("a")]),
            [(
                0,
                Rule::SchemaValue,
                r#"Invalid value: "a": must be an object for an array of list-type map"#.to_owned()
            )]
        );
    }

    #[test]
    fn json_integers_allow_a_relative_error() {
        assert!(is_json_integer(3.0));
        assert!(is_json_integer(3.000_000_000_1));
        assert!(!is_json_integer(2.5));
        assert!(!is_json_integer(1e300));
    }
}
