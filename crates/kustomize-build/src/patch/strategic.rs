//! Strategic-merge patching with kustomize's (kyaml `merge2`) semantics.
//!
//! This is not apimachinery's strategic merge: kustomize walks the object and the patch together,
//! field by field in sorted order, and
//! - takes the patch's scalar where the patch has one, and `null` deletes;
//! - merges maps; `$patch: delete` removes a map, `$patch: replace` replaces it;
//! - merges lists element by element only where the schema gives them the `merge` strategy (keyed
//!   by the schema's merge keys, or as sets of primitives); the patch's elements come first, in the
//!   patch's order, then the object's remaining ones; an element `$patch: delete` removes it, and a
//!   list element `{$patch: replace}` makes the rest of the patch list replace the list;
//! - replaces every other list whole (including every list of a type the schema does not know);
//! - keeps `$setElementOrder/…`, `$retainKeys` and `$deleteFromPrimitiveList/…` as ordinary fields,
//!   because kyaml does not interpret them.
//!
//! Keyed lists follow kyaml's element matching exactly, including its surprises: a patch
//! element without the merge key (a container without `name`) matches every object element that
//! has the key, which can empty the list, and object elements without the key survive alone.
//!
//! Lists with several merge keys (container `ports` on `containerPort`+`protocol`, service
//! `ports` on `port`+`protocol`, `topologySpreadConstraints`) follow kyaml v0.18's rules
//! exactly, surprises included: a port without `protocol` is the same port as one with it, so a
//! `8080/TCP` patch onto a `8080` port leaves the port as it was and drops the patch's element,
//! and of DNS twins `53/UDP` and `53` (no protocol) only the latter survives any patch of the
//! list (`smp-multi-key-ports` fixture, checked against 270 kubectl cases).

use crate::value::{Map, Value};

use super::schema::{Node, Schema};
use super::PatchError;

/// Merge `patch` into `object`. `Ok(None)` means the patch deleted the object (`$patch: delete`
/// at the top, or nothing left).
pub fn merge(object: Value, patch: Value, schema: &Schema) -> Result<Option<Value>, PatchError> {
    let walker = Walker { schema };
    let merged = walker
        .walk(Some(object), Some(patch), None, false, &mut Vec::new())?
        .into_value();
    Ok(merged.filter(|v| !is_empty_map(v) && !v.is_null()))
}

/// Remove the fields `pointers` names (JSON pointers into `object`) that still hold `null` and
/// that kyaml's walker visits: those reached through mappings and the elements of lists that
/// merge element by element. kyaml keeps a null the patch does not name only when its text is
/// not empty (`merge2`'s `VisitMap`, "preserve explicitly set null"); the reader records the
/// empty ones (`key:` alone). Where the patch does name the field, a missing field and a null
/// one merge alike, so removing them all beforehand is what kyaml does.
pub(crate) fn drop_empty_nulls(object: &mut Value, pointers: &[String], schema: &Schema) {
    let walker = Walker { schema };
    for pointer in pointers {
        let segments: Vec<String> = pointer
            .split('/')
            .skip(1)
            .map(|s| crate::value::unescape_token(s).into_owned())
            .collect();
        walker.drop_empty_null(object, &segments);
    }
}

/// The patch's scalar `value` as it replaces the object's scalar `dest`. kyaml gives the
/// patch's node the style of the node it replaces (`merge2`'s `VisitScalar`, `SetStyle`), and a
/// number or boolean written quoted or as a block scalar is a string: over a quoted `"8080"`,
/// `value: 9090` becomes `"9090"`. JSON does not keep styles, so the object's scalar is taken as
/// quoted when it is a string no plain scalar could spell (`"8080"`, `"true"`, `""`, text with
/// line breaks) or one that YAML 1.1 readers take for another type (`"no"`, `"on"`, `"1:20"`),
/// which kyaml and Helm always write quoted; any other string (`info`) is taken as plain. The
/// patch's number is written as JSON writes it (`0x1F` comes out as `31`, where kustomize keeps
/// the patch's text).
fn styled_like(dest: Option<&Value>, value: Value) -> Value {
    match (dest, &value) {
        (Some(Value::String(text)), Value::Number(_) | Value::Bool(_))
            if !crate::yaml::could_be_plain(text) || crate::yaml::needs_quotes_for_v2(text) =>
        {
            Value::String(value.to_string())
        }
        _ => value,
    }
}

/// What walking one node produced.
enum Outcome {
    /// The object's own node, merged in place.
    Dest(Value),
    /// A different node (taken from the patch).
    Other(Value),
    /// The node is removed.
    Clear,
}

impl Outcome {
    fn into_value(self) -> Option<Value> {
        match self {
            Outcome::Dest(v) | Outcome::Other(v) => Some(v),
            Outcome::Clear => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Directive {
    Merge,
    Replace,
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Map,
    Seq,
    Scalar,
}

fn shape(value: &Value) -> Option<Shape> {
    match value {
        Value::Null => None,
        Value::Object(_) => Some(Shape::Map),
        Value::Array(_) => Some(Shape::Seq),
        _ => Some(Shape::Scalar),
    }
}

fn shape_name(shape: Shape) -> &'static str {
    match shape {
        Shape::Map => "MappingNode",
        Shape::Seq => "SequenceNode",
        Shape::Scalar => "ScalarNode",
    }
}

fn is_empty_map(value: &Value) -> bool {
    value.as_object().is_some_and(Map::is_empty)
}

const DIRECTIVE: &str = "$patch";

struct Walker<'s> {
    schema: &'s Schema,
}

impl Walker<'_> {
    /// Walk one node. `aliased` means the object's node and the patch's node are the same node
    /// (kyaml walks a copied-in patch subtree against itself), so directives removed from one
    /// are gone from the other too.
    fn walk<'a>(
        &'a self,
        dest: Option<Value>,
        origin: Option<Value>,
        schema: Option<&'a Node>,
        aliased: bool,
        path: &mut Vec<String>,
    ) -> Result<Outcome, PatchError> {
        let schema = schema.or_else(|| self.schema_from_meta(&[&dest, &origin]));
        let first = [&dest, &origin].into_iter().flatten().find_map(shape);
        let Some(kind) = first else {
            return self.walk_map(dest, origin, schema, aliased, path);
        };
        for other in [&dest, &origin].into_iter().flatten() {
            if let Some(found) = shape(other) {
                if found != kind {
                    return Err(PatchError::WrongKind {
                        path: path.join("."),
                        expected: shape_name(kind),
                        found: shape_name(found),
                    });
                }
            }
        }
        match kind {
            Shape::Map => self.walk_map(dest, origin, schema, aliased, path),
            Shape::Seq if schema.is_some_and(Node::merges) => self.walk_associative(
                dest,
                origin,
                schema.unwrap_or_else(|| unreachable!()),
                aliased,
                path,
            ),
            Shape::Seq | Shape::Scalar => Ok(match origin {
                Some(Value::Null) => Outcome::Clear,
                Some(value) => Outcome::Other(styled_like(dest.as_ref(), value)),
                None => dest.map_or(Outcome::Clear, Outcome::Dest),
            }),
        }
    }

    /// Remove the null at `segments` below `root` if the walk reaches it (see
    /// [`drop_empty_nulls`]).
    fn drop_empty_null(&self, root: &mut Value, segments: &[String]) {
        let Some((last, parents)) = segments.split_last() else {
            return;
        };
        let mut node = root;
        let mut schema = self.schema_of(node);
        for segment in parents {
            let (child, child_schema) = match node {
                Value::Object(map) => {
                    let child_schema = schema.and_then(|s| self.schema.field(s, segment));
                    let Some(child) = map.get_mut(segment) else {
                        return;
                    };
                    (child, child_schema)
                }
                Value::Array(items) if schema.is_some_and(Node::merges) => {
                    let element_schema = schema.and_then(|s| self.schema.elements(s));
                    let Some(child) = segment.parse::<usize>().ok().and_then(|i| items.get_mut(i))
                    else {
                        return;
                    };
                    (child, element_schema)
                }
                _ => return,
            };
            schema = child_schema.or_else(|| self.schema_of(child));
            node = child;
        }
        if let Value::Object(map) = node {
            if map.get(last).is_some_and(Value::is_null) {
                map.shift_remove(last);
            }
        }
    }

    /// A node that carries `apiVersion` and `kind` gets that type's schema when its parent's
    /// schema said nothing (kyaml's `GetSchema`).
    fn schema_from_meta(&self, sources: &[&Option<Value>]) -> Option<&Node> {
        sources
            .iter()
            .find_map(|source| self.schema_of(source.as_ref()?))
    }

    /// The schema of the type `value` names with its `apiVersion` and `kind`.
    fn schema_of(&self, value: &Value) -> Option<&Node> {
        let api_version = value.get("apiVersion")?.as_str()?;
        let kind = value.get("kind")?.as_str()?;
        self.schema.resource(api_version, kind)
    }

    fn walk_map<'a>(
        &'a self,
        dest: Option<Value>,
        origin: Option<Value>,
        schema: Option<&'a Node>,
        aliased: bool,
        path: &mut Vec<String>,
    ) -> Result<Outcome, PatchError> {
        let mut origin = origin;
        let (target, target_is_dest) = match dest {
            None | Some(Value::Null) => {
                // Adding: the patch's node is taken as is (its directive still applies).
                let directive = origin
                    .as_mut()
                    .map_or(Ok(Directive::Merge), take_map_directive)
                    .unwrap_or(Directive::Merge);
                if directive == Directive::Delete {
                    return Ok(Outcome::Clear);
                }
                match &origin {
                    // An explicit `null` in the object survives a patch that does not name it.
                    None if dest.is_some() => return Ok(Outcome::Other(Value::Null)),
                    None | Some(Value::Null) => return Ok(Outcome::Clear),
                    Some(value) => (value.clone(), false),
                }
            }
            Some(mut dest) => {
                if origin == Some(Value::Null) {
                    return Ok(Outcome::Clear);
                }
                let directive = match origin.as_mut() {
                    Some(origin) => take_map_directive(origin)?,
                    None => Directive::Merge,
                };
                if aliased {
                    if let Some(map) = dest.as_object_mut() {
                        map.shift_remove(DIRECTIVE);
                    }
                }
                match directive {
                    Directive::Delete => return Ok(Outcome::Clear),
                    Directive::Replace => (origin.clone().unwrap_or(Value::Null), false),
                    Directive::Merge => (dest, true),
                }
            }
        };
        let Value::Object(mut target) = target else {
            return Ok(if target_is_dest {
                Outcome::Dest(target)
            } else {
                Outcome::Other(target)
            });
        };
        let origin_map = origin.as_ref().and_then(Value::as_object);
        let mut names: Vec<String> = target.keys().map(ToString::to_string).collect();
        if let Some(origin_map) = origin_map {
            names.extend(origin_map.keys().map(ToString::to_string));
        }
        names.sort();
        names.dedup();
        let child_aliased = aliased || !target_is_dest;
        for name in names {
            let child_schema = schema.and_then(|s| self.schema.field(s, &name));
            // Moved out, not cloned (cloning here copied each subtree once per level above
            // it); the outcome is written back under the same key, or the key removed.
            let dest_child = target.get_mut(&name).map(std::mem::take);
            let origin_child = origin_map.and_then(|m| m.get(&name)).cloned();
            path.push(name.clone());
            let outcome = self.walk(dest_child, origin_child, child_schema, child_aliased, path)?;
            path.pop();
            match outcome.into_value() {
                Some(value) => {
                    target.insert(name, value);
                }
                None => {
                    target.shift_remove(&name);
                }
            }
        }
        Ok(if target_is_dest {
            Outcome::Dest(Value::Object(target))
        } else {
            Outcome::Other(Value::Object(target))
        })
    }

    fn walk_associative<'a>(
        &'a self,
        dest: Option<Value>,
        origin: Option<Value>,
        schema: &'a Node,
        aliased: bool,
        path: &mut Vec<String>,
    ) -> Result<Outcome, PatchError> {
        let mut origin = origin;
        let (target, target_is_dest) = match dest {
            None | Some(Value::Null) => match origin.clone() {
                Some(value) => (value, false),
                None => return Ok(Outcome::Clear),
            },
            Some(dest) => {
                if origin == Some(Value::Null) {
                    return Ok(Outcome::Clear);
                }
                let directive = match origin.as_mut() {
                    Some(origin) => take_list_directive(origin, path)?,
                    None => Directive::Merge,
                };
                match directive {
                    Directive::Replace => (origin.clone().unwrap_or(Value::Null), false),
                    _ if aliased => (origin.clone().unwrap_or(dest), true),
                    _ => (dest, true),
                }
            }
        };
        let Value::Array(target) = target else {
            return Ok(Outcome::Other(target));
        };
        let target = target.into_vec();
        let origin_list: Vec<Value> = match origin {
            Some(Value::Array(list)) => list.into_vec(),
            _ => Vec::new(),
        };
        let element_schema = self.schema.elements(schema);
        let child_aliased = aliased || !target_is_dest;
        let merged = if schema.keys().is_empty() {
            self.merge_primitives(target, &origin_list, element_schema, child_aliased, path)?
        } else {
            self.merge_keyed(
                target,
                &origin_list,
                schema.keys(),
                element_schema,
                child_aliased,
                path,
            )?
        };
        let merged = Value::from(merged);
        Ok(if target_is_dest {
            Outcome::Dest(merged)
        } else {
            Outcome::Other(merged)
        })
    }

    /// A `merge` list without keys: a set of scalars; the patch's values first.
    fn merge_primitives<'a>(
        &'a self,
        mut target: Vec<Value>,
        origin: &[Value],
        element_schema: Option<&'a Node>,
        aliased: bool,
        path: &mut Vec<String>,
    ) -> Result<Vec<Value>, PatchError> {
        let mut values: Vec<String> = Vec::new();
        for item in origin.iter().chain(target.iter()) {
            let text = scalar_text(item);
            if !values.contains(&text) {
                values.push(text);
            }
        }
        let no_key = [String::new()];
        let mut items: Vec<Value> = Vec::new();
        for value in values {
            let one = [value.clone()];
            let d = target.iter().find(|e| scalar_text(e) == value).cloned();
            let o = origin.iter().find(|e| scalar_text(e) == value).cloned();
            let merged = self.walk(d, o, element_schema, aliased, path)?.into_value();
            match merged {
                Some(v) if !is_empty_map(&v) && !v.is_null() => {
                    element_setter(&mut items, &no_key, &one, Some(v), path)?;
                }
                _ => element_setter(&mut target, &no_key, &one, None, path)?,
            }
        }
        append_list_node(&mut items, &target, &no_key, path)?;
        Ok(items)
    }

    /// A `merge` list with merge keys, step for step as kyaml v0.18's associative-sequence walk
    /// (`walk/associative_sequence.go`): the patch's key values first, then the object's; with
    /// several keys, values that differ only where one is empty are merged first (`8080` and
    /// `8080/TCP` are one port); each value merged with the first element of each side holding
    /// exactly its non-empty values; then the object's elements written back over the result.
    fn merge_keyed<'a>(
        &'a self,
        mut target: Vec<Value>,
        origin: &[Value],
        keys: &[String],
        element_schema: Option<&'a Node>,
        aliased: bool,
        path: &mut Vec<String>,
    ) -> Result<Vec<Value>, PatchError> {
        let mut values: Vec<Vec<String>> = Vec::new();
        for element in origin.iter().chain(target.iter()) {
            let key_values: Vec<String> = keys
                .iter()
                .map(|k| {
                    element
                        .as_object()
                        .and_then(|m| m.get(k))
                        .filter(|v| !is_nil_or_empty(v))
                        .map(scalar_text)
                        .unwrap_or_default()
                })
                .collect();
            if !values.contains(&key_values) {
                values.push(key_values);
            }
        }
        if keys.len() > 1 {
            merge_values(&mut values);
        }
        let mut items: Vec<Value> = Vec::new();
        let mut last_keys: Option<Vec<String>> = None;
        for value in &values {
            let (value_keys, valid_values) = valid_keys(&values, value, keys);
            last_keys = Some(value_keys.clone());
            // kyaml looks elements up by the non-empty values only.
            let (lookup_keys, lookup_values) = valid_keys(
                std::slice::from_ref(&valid_values),
                &valid_values,
                &value_keys,
            );
            let dest_index = element_list(&target, &lookup_keys, &lookup_values);
            let d = dest_index.map(|i| target[i].clone());
            let o = element_list(origin, &lookup_keys, &lookup_values).map(|i| origin[i].clone());
            let merged = match self.walk(d, o, element_schema, aliased, path)? {
                Outcome::Dest(v) => {
                    // kyaml merged the object's element in place.
                    if let Some(i) = dest_index {
                        target[i] = v.clone();
                    }
                    Some(v)
                }
                Outcome::Other(v) => Some(v),
                Outcome::Clear => None,
            };
            let mut merged = match merged {
                Some(v) if !is_empty_map(&v) && !v.is_null() => v,
                _ => {
                    element_setter(&mut target, &value_keys, &valid_values, None, path)?;
                    continue;
                }
            };
            if let Some(map) = merged.as_object_mut() {
                for (k, v) in value_keys.iter().zip(&valid_values) {
                    if !v.is_empty() {
                        map.entry(k.clone()).or_insert_with(|| plain_scalar(v));
                    }
                }
            }
            element_setter(&mut items, &value_keys, &valid_values, Some(merged), path)?;
        }
        let Some(last_keys) = last_keys else {
            return Ok(target);
        };
        // Once, with the keys of the last value (kyaml's `appendListNode` after the loop).
        append_list_node(&mut items, &target, &last_keys, path)?;
        Ok(items)
    }
}

/// kyaml's `mergeValues`: every two key-value lists that share a value and differ only where
/// one of them is empty both become their union (`[8080, ""]` and `[8080, TCP]` are both
/// `[8080, TCP]`), in place and pair by pair, so the result depends on the order.
fn merge_values(values: &mut [Vec<String>]) {
    for i in 0..values.len() {
        for j in 0..values.len() {
            if let Some(union) = union_if_compatible(&values[i], &values[j]) {
                values[i].clone_from(&union);
                values[j] = union;
            }
        }
    }
}

/// kyaml's `match`: the union of two key-value lists with at least one value in common and no
/// position where both are non-empty and different.
fn union_if_compatible(a: &[String], b: &[String]) -> Option<Vec<String>> {
    if a.len() != b.len() {
        return None;
    }
    let mut common = false;
    let mut union = Vec::with_capacity(a.len());
    for (x, y) in a.iter().zip(b) {
        if x == y {
            common = true;
            union.push(x.clone());
        } else if !x.is_empty() && !y.is_empty() {
            return None;
        } else if x.is_empty() {
            union.push(y.clone());
        } else {
            union.push(x.clone());
        }
    }
    common.then_some(union)
}

/// kyaml's `validateKeys`: the keys that have a value in any of `all`, and `values` at those
/// keys (all keys and values when none has any).
fn valid_keys(
    all: &[Vec<String>],
    values: &[String],
    keys: &[String],
) -> (Vec<String>, Vec<String>) {
    let used: Vec<bool> = (0..keys.len())
        .map(|i| all.iter().any(|v| v.get(i).is_some_and(|x| !x.is_empty())))
        .collect();
    if !used.contains(&true) {
        return (keys.to_vec(), values.to_vec());
    }
    let valid_keys = keys
        .iter()
        .zip(&used)
        .filter(|(_, used)| **used)
        .map(|(k, _)| k.clone())
        .collect();
    let valid_values = values
        .iter()
        .zip(&used)
        .filter(|(_, used)| **used)
        .map(|(v, _)| v.clone())
        .collect();
    (valid_keys, valid_values)
}

fn is_nil_or_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// An untagged YAML scalar written from text (kyaml's `NewScalarRNode`), as JSON sees it.
fn plain_scalar(text: &str) -> Value {
    if let Ok(i) = text.parse::<i64>() {
        return Value::from(i);
    }
    match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => Value::String(text.to_owned()),
    }
}

/// kyaml's `ElementMatcher`: the first element holding exactly `values` under `keys` (a list of
/// primitives when the key is empty).
fn element_list(list: &[Value], keys: &[String], values: &[String]) -> Option<usize> {
    if keys.first().is_none_or(String::is_empty) {
        let wanted = values.first().map_or("", String::as_str);
        return list.iter().position(|e| scalar_text(e) == wanted);
    }
    list.iter().position(|element| {
        element.as_object().is_some_and(|map| {
            keys.iter().zip(values).all(|(k, v)| {
                map.get(k)
                    .filter(|field| !field.is_null())
                    .is_some_and(|field| scalar_text(field) == *v)
            })
        })
    })
}

/// kyaml's `FieldMatcher` with a string value: for a key, the field exists and, unless the
/// wanted value is empty, has that value; without a key, the scalar itself has the value.
fn field_matches(
    element: &Value,
    key: &str,
    value: &str,
    path: &[String],
) -> Result<bool, PatchError> {
    if element.is_null() {
        return Ok(false);
    }
    if key.is_empty() {
        if element.is_object() || element.is_array() {
            return Err(wrong_element(path, "ScalarNode", element));
        }
        return Ok(scalar_text(element) == value);
    }
    let Some(map) = element.as_object() else {
        return Err(wrong_element(path, "MappingNode", element));
    };
    Ok(map
        .get(key)
        .is_some_and(|field| value.is_empty() || scalar_text(field) == value))
}

fn wrong_element(path: &[String], expected: &'static str, element: &Value) -> PatchError {
    PatchError::WrongKind {
        path: path.join("."),
        expected,
        found: match element {
            Value::Object(_) => "MappingNode",
            Value::Array(_) => "SequenceNode",
            _ => "ScalarNode",
        },
    }
}

/// kyaml's `ElementSetter`: drop null and empty-map elements; replace (or, without `element`,
/// remove) every element matching `keys`/`values` — an empty value matches any element that has
/// the key, and with no values nothing matches and every other element is dropped too — and
/// append `element` when nothing matched.
fn element_setter(
    list: &mut Vec<Value>,
    keys: &[String],
    values: &[String],
    element: Option<Value>,
    path: &[String],
) -> Result<(), PatchError> {
    let no_key = [String::new()];
    let keys = if keys.is_empty() { &no_key[..] } else { keys };
    let mapping_setter = !keys[0].is_empty() && values.first().is_some_and(|v| !v.is_empty());
    let mut found = false;
    let mut out = Vec::with_capacity(list.len() + 1);
    for existing in list.drain(..) {
        if existing.is_null() || is_empty_map(&existing) {
            continue;
        }
        if !existing.is_object() && mapping_setter {
            out.push(existing);
            continue;
        }
        let mut matched = false;
        for (j, key) in keys.iter().enumerate() {
            if let Some(value) = values.get(j) {
                matched = field_matches(&existing, key, value, path)?;
            }
            if !matched {
                break;
            }
        }
        if !matched {
            if !values.is_empty() {
                out.push(existing);
            }
            continue;
        }
        found = true;
        if let Some(element) = &element {
            out.push(element.clone());
        }
    }
    if let Some(element) = element.filter(|e| !e.is_null()) {
        if !found {
            out.push(element);
        }
    }
    *list = out;
    Ok(())
}

/// kyaml's `appendListNode`: write each element of `source` into `target` by its key values
/// (an element lacking a key is appended once per missing key, and the setter then runs with
/// the values it has); with several keys a matching element is removed and written at the end.
fn append_list_node(
    target: &mut Vec<Value>,
    source: &[Value],
    keys: &[String],
    path: &[String],
) -> Result<(), PatchError> {
    for element in source {
        if keys.first().is_none_or(String::is_empty) {
            let text = [scalar_text(element)];
            element_setter(target, &[String::new()], &text, Some(element.clone()), path)?;
            continue;
        }
        let Some(map) = element.as_object() else {
            return Err(wrong_element(path, "MappingNode", element));
        };
        let mut values = Vec::new();
        for key in keys {
            match map.get(key) {
                Some(field) => values.push(scalar_text(field)),
                None => target.push(element.clone()),
            }
        }
        if keys.len() > 1 {
            // With several keys kyaml removes the match first, so the element moves to the end.
            element_setter(target, keys, &values, None, path)?;
        }
        element_setter(target, keys, &values, Some(element.clone()), path)?;
    }
    Ok(())
}

/// A scalar as YAML text (kyaml compares node values, so `80` and `"80"` are the same key).
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null | Value::Array(_) | Value::Object(_) => String::new(),
    }
}

/// Read and remove a map's `$patch` directive.
fn take_map_directive(value: &mut Value) -> Result<Directive, PatchError> {
    let Some(map) = value.as_object_mut() else {
        return Ok(Directive::Merge);
    };
    let Some(directive) = map.get(DIRECTIVE) else {
        return Ok(Directive::Merge);
    };
    let parsed = parse_directive(directive)?;
    map.shift_remove(DIRECTIVE);
    Ok(parsed)
}

fn parse_directive(value: &Value) -> Result<Directive, PatchError> {
    match value.as_str().unwrap_or("") {
        "merge" => Ok(Directive::Merge),
        "replace" => Ok(Directive::Replace),
        "delete" => Ok(Directive::Delete),
        other => Err(PatchError::UnknownDirective(other.to_owned())),
    }
}

/// A list's directive is an element `{$patch: …}` with no other field; it is removed.
fn take_list_directive(value: &mut Value, path: &[String]) -> Result<Directive, PatchError> {
    let Some(list) = value.as_array_mut() else {
        return Ok(Directive::Merge);
    };
    let Some(index) = list
        .iter()
        .position(|e| e.as_object().is_some_and(|m| m.contains_key(DIRECTIVE)))
    else {
        return Ok(Directive::Merge);
    };
    let element = list[index].as_object().map_or(0, Map::len);
    if element != 1 {
        return Ok(Directive::Merge);
    }
    let directive = parse_directive(&list[index][DIRECTIVE])?;
    if directive == Directive::Delete {
        return Err(PatchError::DeleteList(path.join(".")));
    }
    list.remove(index);
    Ok(directive)
}

#[cfg(test)]
mod tests;
