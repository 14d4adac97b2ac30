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
//! Known differences: in a keyed list, elements that lack the merge key (a container without
//! `name`) make kyaml drop or reorder elements in ways this walk does not reproduce; and a patch
//! element naming only some of several merge keys (a port without `protocol`) beside object
//! elements that name all of them can merge where kyaml leaves the list alone.

use serde_json::{Map, Value};

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
                Some(value) => Outcome::Other(value),
                None => dest.map_or(Outcome::Clear, Outcome::Dest),
            }),
        }
    }

    /// A node that carries `apiVersion` and `kind` gets that type's schema when its parent's
    /// schema said nothing (kyaml's `GetSchema`).
    fn schema_from_meta(&self, sources: &[&Option<Value>]) -> Option<&Node> {
        sources.iter().find_map(|source| {
            let value = source.as_ref()?;
            let api_version = value.get("apiVersion")?.as_str()?;
            let kind = value.get("kind")?.as_str()?;
            self.schema.resource(api_version, kind)
        })
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
        let mut names: Vec<String> = target.keys().cloned().collect();
        if let Some(origin_map) = origin_map {
            names.extend(origin_map.keys().cloned());
        }
        names.sort();
        names.dedup();
        let child_aliased = aliased || !target_is_dest;
        for name in names {
            let child_schema = schema.and_then(|s| self.schema.field(s, &name));
            let dest_child = target.get(&name).cloned();
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
        let origin_list: Vec<Value> = match origin {
            Some(Value::Array(list)) => list,
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
        let merged = Value::Array(merged);
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
        let mut items: Vec<Value> = Vec::new();
        for value in values {
            let d = target.iter().find(|e| scalar_text(e) == value).cloned();
            let o = origin.iter().find(|e| scalar_text(e) == value).cloned();
            let merged = self.walk(d, o, element_schema, aliased, path)?.into_value();
            match merged {
                Some(v) if !is_empty_map(&v) && !v.is_null() => {
                    set_element(&mut items, |e| scalar_text(e) == value, Some(v));
                }
                _ => {
                    set_element(&mut target, |e| scalar_text(e) == value, None);
                }
            }
        }
        for element in target {
            let text = scalar_text(&element);
            set_element(&mut items, |e| scalar_text(e) == text, Some(element));
        }
        Ok(items)
    }

    /// A `merge` list with merge keys.
    fn merge_keyed<'a>(
        &'a self,
        mut target: Vec<Value>,
        origin: &[Value],
        keys: &[String],
        element_schema: Option<&'a Node>,
        aliased: bool,
        path: &mut Vec<String>,
    ) -> Result<Vec<Value>, PatchError> {
        // Key values of every element that has at least one key, the patch's first.
        let mut values: Vec<Vec<String>> = Vec::new();
        for element in origin.iter().chain(target.iter()) {
            let Some(map) = element.as_object() else {
                continue;
            };
            let key_values: Vec<String> = keys
                .iter()
                .map(|k| map.get(k).map(scalar_text).unwrap_or_default())
                .collect();
            if key_values.iter().all(String::is_empty) || values.contains(&key_values) {
                continue;
            }
            values.push(key_values);
        }
        let mut items: Vec<(Value, Vec<String>, Vec<String>)> = Vec::new();
        let mut multi = false;
        for value in &values {
            let (valid_keys, valid_values) = valid_keys(keys, value);
            multi |= valid_keys.len() > 1;
            let matches = |e: &Value| element_matches(e, &valid_keys, &valid_values);
            let dest_index = target.iter().position(matches);
            let d = dest_index.map(|i| target[i].clone());
            let o = origin.iter().find(|e| matches(e)).cloned();
            let outcome = self.walk(d, o, element_schema, aliased, path)?;
            let merged = match outcome {
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
            match merged {
                Some(mut v) if !is_empty_map(&v) && !v.is_null() => {
                    if let Some(map) = v.as_object_mut() {
                        for (k, val) in valid_keys.iter().zip(&valid_values) {
                            map.entry(k.clone())
                                .or_insert_with(|| Value::String(val.clone()));
                        }
                    }
                    let found = items
                        .iter_mut()
                        .filter(|(e, _, _)| element_matches(e, &valid_keys, &valid_values))
                        .fold(false, |_, slot| {
                            slot.0 = v.clone();
                            true
                        });
                    if !found {
                        items.push((v, valid_keys, valid_values));
                    }
                }
                _ => {
                    set_element(
                        &mut target,
                        |e| element_matches(e, &valid_keys, &valid_values),
                        None,
                    );
                }
            }
        }
        if multi {
            // With several merge keys kyaml keeps the object's list (merged in place) and puts
            // the patch's new elements in front of it.
            let mut merged: Vec<Value> = items
                .into_iter()
                .filter(|(_, k, v)| !target.iter().any(|e| element_matches(e, k, v)))
                .map(|(e, _, _)| e)
                .collect();
            merged.extend(
                target
                    .into_iter()
                    .filter(|e| !e.is_null() && !is_empty_map(e)),
            );
            return Ok(merged);
        }
        let key = &keys[0];
        let mut merged: Vec<Value> = items.into_iter().map(|(e, _, _)| e).collect();
        for element in target {
            match element.get(key).map(scalar_text) {
                Some(text) => {
                    set_element(
                        &mut merged,
                        |e| e.get(key).map(scalar_text).as_ref() == Some(&text),
                        Some(element),
                    );
                }
                None => merged.push(element),
            }
        }
        Ok(merged)
    }
}

/// kyaml's `ElementSetter`: drop null and empty-map elements, replace every element matching
/// `matches` with `element` (or remove them when `element` is `None`), append when none matched.
fn set_element(list: &mut Vec<Value>, matches: impl Fn(&Value) -> bool, element: Option<Value>) {
    let mut found = false;
    let mut out = Vec::with_capacity(list.len() + 1);
    for existing in list.drain(..) {
        if existing.is_null() || is_empty_map(&existing) {
            continue;
        }
        if matches(&existing) {
            found = true;
            if let Some(element) = &element {
                out.push(element.clone());
            }
        } else {
            out.push(existing);
        }
    }
    if !found {
        if let Some(element) = element {
            out.push(element);
        }
    }
    *list = out;
}

/// The merge keys an element actually has (all keys when it has none of them).
fn valid_keys(keys: &[String], values: &[String]) -> (Vec<String>, Vec<String>) {
    let (k, v): (Vec<String>, Vec<String>) = keys
        .iter()
        .zip(values)
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.clone(), v.clone()))
        .unzip();
    if k.is_empty() {
        (keys.to_vec(), values.to_vec())
    } else {
        (k, v)
    }
}

fn element_matches(element: &Value, keys: &[String], values: &[String]) -> bool {
    let Some(map) = element.as_object() else {
        return false;
    };
    keys.iter()
        .zip(values)
        .all(|(k, v)| map.get(k).map(scalar_text).unwrap_or_default() == *v)
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
