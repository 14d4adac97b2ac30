//! kustomize's dotted field paths: `spec.template.spec.containers.[name=nginx].image`.
//!
//! A path is split on dots, except inside `[...]` and where a dot is escaped (`a\.b`). Each part
//! is a mapping key, a list index (`0`), `-` (the last element, sources only), a list-element
//! matcher (`[name=nginx]`, `[=value]` for lists of scalars) or `*` (every element, targets only).
//! Sources are looked up the way kyaml's `PathGetter` does (matchers compare exactly); targets
//! are matched the way its `PathMatcher` does, where the value of a matcher is an unanchored
//! regular expression, so `[name=nginx]` also matches `nginx-sidecar`. Targets may create what is
//! missing.

use crate::value::{Map, Value};
use regex::Regex;

use super::scalar::{resolve_plain, text_of};

/// Split `path` on `.` as kyaml's `SmarterPathSplitter` does: `\.` escapes a dot, and a bracketed
/// part keeps its dots (keeping the brackets when it is an `[a=b]` matcher, dropping them when it
/// is a plain key such as `[app.kubernetes.io/name]`).
pub(crate) fn split_path(path: &str) -> Vec<String> {
    let mut pieces: Vec<String> = Vec::new();
    for piece in path.split('.') {
        match pieces.last_mut() {
            Some(last) if last.ends_with('\\') => {
                last.pop();
                last.push('.');
                last.push_str(piece);
            }
            _ => pieces.push(piece.to_owned()),
        }
    }
    let mut parts = Vec::with_capacity(pieces.len());
    let mut i = 0;
    while i < pieces.len() {
        let piece = &pieces[i];
        if piece.starts_with('[') && !piece.ends_with(']') {
            let mut bracketed = vec![piece.as_str()];
            while i < pieces.len() - 1 {
                i += 1;
                bracketed.push(&pieces[i]);
                if pieces[i].ends_with(']') {
                    break;
                }
            }
            let joined = bracketed.join(".");
            if joined.contains('=') {
                parts.push(joined);
            } else {
                parts.push(joined.trim_matches(['[', ']']).to_owned());
            }
        } else {
            parts.push(piece.clone());
        }
        i += 1;
    }
    parts
}

/// Parts with surrounding blanks trimmed and empty parts dropped (kyaml's `cleanPath`).
fn clean(parts: &[String]) -> Vec<&str> {
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect()
}

fn is_list_matcher(part: &str) -> bool {
    part.starts_with('[') && part.ends_with(']')
}

/// The field name and value of an `[a=b]` matcher.
fn split_matcher(part: &str) -> Result<(&str, &str), String> {
    let inner = part.strip_prefix('[').unwrap_or(part);
    let inner = inner.strip_suffix(']').unwrap_or(inner);
    inner.split_once('=').ok_or_else(|| {
        "list path element must contain fieldName=fieldValue for element to match".to_owned()
    })
}

/// A non-negative list index.
fn index_of(part: &str) -> Option<usize> {
    if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    part.parse().ok()
}

fn kind_name(value: &Value) -> &'static str {
    match value {
        Value::Array(_) => "SequenceNode",
        Value::Object(_) => "MappingNode",
        _ => "ScalarNode",
    }
}

/// kyaml's error when a list operation meets another kind of node.
fn not_a_sequence(found: &Value) -> String {
    format!(
        "wrong node kind: expected SequenceNode but got {}: node contents:\n{}",
        kind_name(found),
        found
    )
}

/// kyaml's error when a field lookup meets a node that is not a mapping.
fn not_a_mapping(walked: &[&str], found: &Value) -> String {
    format!(
        "wrong Node Kind for {} expected: MappingNode was {}: value: {{{}}}",
        walked.join("."),
        kind_name(found),
        text_of(found)
    )
}

/// The text a matcher compares against: a scalar's literal, trimmed.
fn match_text(value: &Value) -> String {
    text_of(value).trim().to_owned()
}

/// Look up a source field (kyaml `PathGetter` without create). `Ok(None)` when a part is absent.
pub(crate) fn lookup<'a>(root: &'a Value, parts: &[String]) -> Result<Option<&'a Value>, String> {
    let parts = clean(parts);
    let mut node = root;
    for (at, part) in parts.iter().enumerate() {
        let walked = &parts[..at];
        let next = if let Ok(index) = part.parse::<i64>() {
            if index < 0 {
                return Err(format!("array index {index} cannot be negative"));
            }
            match node {
                Value::Array(items) => usize::try_from(index).ok().and_then(|i| items.get(i)),
                Value::Null => None,
                other => return Err(not_a_sequence(other)),
            }
        } else if *part == "-" {
            match node {
                Value::Array(items) => items.last(),
                Value::Null => None,
                other => return Err(not_a_sequence(other)),
            }
        } else if is_list_matcher(part) {
            let (key, wanted) = split_matcher(part)?;
            match node {
                Value::Array(items) => items.iter().find(|item| {
                    if key.is_empty() {
                        super::scalar::is_scalar(item) && text_of(item) == wanted
                    } else {
                        item.get(key)
                            .is_some_and(|v| super::scalar::is_scalar(v) && text_of(v) == wanted)
                    }
                }),
                Value::Null => None,
                other => return Err(not_a_sequence(other)),
            }
        } else {
            match node {
                Value::Object(map) => map.get(part),
                Value::Null => None,
                other => return Err(not_a_mapping(walked, other)),
            }
        };
        match next {
            Some(value) => node = value,
            None => return Ok(None),
        }
    }
    Ok(Some(node))
}

/// What a missing leaf is created as: the kind of the value about to be written there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LeafKind {
    /// A scalar (created untyped, so its text is resolved as plain YAML).
    Scalar,
    /// A mapping.
    Mapping,
    /// A sequence.
    Sequence,
}

impl LeafKind {
    /// The kind of `value`.
    pub(crate) fn of(value: &Value) -> Self {
        match value {
            Value::Object(_) => Self::Mapping,
            Value::Array(_) => Self::Sequence,
            _ => Self::Scalar,
        }
    }
}

/// An empty node for the part after a missing one: a sequence when the next part indexes or
/// matches list elements, a mapping otherwise (even before `*`, as in kustomize, so a wildcard
/// through a missing list fails), the leaf kind at the end.
fn new_node(next: Option<&str>, leaf: LeafKind) -> Value {
    let kind = match next {
        None => leaf,
        Some(p) if is_list_matcher(p) || index_of(p).is_some() => LeafKind::Sequence,
        Some(_) => LeafKind::Mapping,
    };
    match kind {
        // A created scalar has no value yet; the caller writes it (flagged as created).
        LeafKind::Scalar => Value::Null,
        LeafKind::Mapping => Value::Object(Map::new()),
        LeafKind::Sequence => Value::Array(crate::value::Array::new()),
    }
}

/// Calls `visit(node, created)` on every node matching `parts` (kyaml `PathMatcher`), creating
/// missing parts when `create` is set. `created` tells the visitor the node did not exist before.
/// Returns how many nodes were visited.
pub(crate) fn for_each_match(
    root: &mut Value,
    parts: &[String],
    create: Option<LeafKind>,
    visit: &mut dyn FnMut(&mut Value, bool) -> Result<(), String>,
) -> Result<usize, String> {
    let parts = clean(parts);
    let mut walker = Walker {
        parts: &parts,
        regexes: vec![None; parts.len()],
        create,
        visit,
    };
    walker.walk(root, 0, false)
}

struct Walker<'p, 'v> {
    parts: &'p [&'p str],
    /// Each matcher's regex, compiled when the walk first reaches it (as kustomize compiles
    /// lazily, a bad pattern only fails when reached) and reused for every other element.
    regexes: Vec<Option<Regex>>,
    create: Option<LeafKind>,
    visit: &'v mut dyn FnMut(&mut Value, bool) -> Result<(), String>,
}

impl Walker<'_, '_> {
    fn walk(&mut self, node: &mut Value, at: usize, created: bool) -> Result<usize, String> {
        let Some(part) = self.parts.get(at).copied() else {
            (self.visit)(node, created)?;
            return Ok(1);
        };
        let next = self.parts.get(at + 1).copied();
        if let Some(index) = index_of(part) {
            return self.walk_index(node, at, index, next);
        }
        if is_list_matcher(part) {
            return self.walk_matcher(node, at, part, next);
        }
        if part == "*" {
            let items = match node {
                Value::Array(items) => items,
                Value::Null => return Ok(0),
                other => return Err(not_a_sequence(other)),
            };
            let mut count = 0;
            for item in items {
                count += self.walk(item, at + 1, false)?;
            }
            return Ok(count);
        }
        if node.is_null() && self.create.is_some() {
            *node = Value::Object(Map::new());
        }
        let map = match node {
            Value::Object(map) => map,
            Value::Null => return Ok(0),
            other => return Err(not_a_mapping(&self.parts[..at], other)),
        };
        let mut created_here = false;
        if !map.contains_key(part) {
            let Some(leaf) = self.create else {
                return Ok(0);
            };
            map.insert(part.to_owned(), new_node(next, leaf));
            created_here = true;
        }
        let child = map.get_mut(part).expect("present or just inserted");
        self.walk(child, at + 1, created_here)
    }

    fn walk_index(
        &mut self,
        node: &mut Value,
        at: usize,
        index: usize,
        next: Option<&str>,
    ) -> Result<usize, String> {
        if node.is_null() && self.create.is_some() {
            *node = Value::Array(crate::value::Array::new());
        }
        let items = match node {
            Value::Array(items) => items,
            Value::Null => {
                return Err(format!("index {index} specified but only 0 elements found"))
            }
            other => return Err(not_a_sequence(other)),
        };
        let mut created_here = false;
        if let Some(leaf) = self.create {
            if items.len() == index {
                items.push(new_node(next, leaf));
                created_here = true;
            }
        }
        if items.len() <= index {
            return Err(format!(
                "index {index} specified but only {} elements found",
                items.len()
            ));
        }
        self.walk(&mut items[index], at + 1, created_here)
    }

    fn walk_matcher(
        &mut self,
        node: &mut Value,
        at: usize,
        part: &str,
        next: Option<&str>,
    ) -> Result<usize, String> {
        let (key, pattern) = split_matcher(part)?;
        let regex = if let Some(regex) = &self.regexes[at] {
            regex.clone()
        } else {
            let regex = Regex::new(pattern).map_err(|e| e.to_string())?;
            self.regexes[at] = Some(regex.clone());
            regex
        };
        if node.is_null() && self.create.is_some() {
            *node = Value::Array(crate::value::Array::new());
        }
        let count = self.walk_matching_items(node, at, key, &regex)?;
        if count > 0 || self.create.is_none() {
            return Ok(count);
        }
        // Nothing matched: append an element that does, then match again.
        let Value::Array(items) = node else {
            return Ok(0);
        };
        let value = resolve_plain(pattern);
        items.push(if key.is_empty() {
            value
        } else {
            let mut element = Map::new();
            element.insert(key.to_owned(), value);
            Value::Object(element)
        });
        let _ = next;
        self.walk_matching_items(node, at, key, &regex)
    }

    fn walk_matching_items(
        &mut self,
        node: &mut Value,
        at: usize,
        key: &str,
        regex: &Regex,
    ) -> Result<usize, String> {
        let items = match node {
            Value::Array(items) => items,
            Value::Null => return Ok(0),
            other => return Err(not_a_sequence(other)),
        };
        let mut count = 0;
        for item in items {
            let matched = if key.is_empty() {
                regex.is_match(&match_text(item))
            } else {
                item.get(key)
                    .filter(|v| !v.is_null())
                    .is_some_and(|v| regex.is_match(&match_text(v)))
            };
            if matched {
                count += self.walk(item, at + 1, false)?;
            }
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn split(path: &str) -> Vec<String> {
        split_path(path)
    }

    #[test]
    fn splitting_keeps_brackets_and_escapes() {
        assert_eq!(split("spec.replicas"), ["spec", "replicas"]);
        assert_eq!(
            split("spec.data.[name=f.i.r.s.t.].key"),
            ["spec", "data", "[name=f.i.r.s.t.]", "key"]
        );
        assert_eq!(split(r"spec\.replicas"), ["spec.replicas"]);
        assert_eq!(
            split("metadata.annotations.[a.b.c/d.e.f-g.]"),
            ["metadata", "annotations", "a.b.c/d.e.f-g."]
        );
        assert_eq!(
            split("spec.data.[name=f.i.[r.s.t..key"),
            ["spec", "data", "[name=f.i.[r.s.t..key"]
        );
        assert_eq!(split(""), [""]);
    }

    #[test]
    fn lookup_walks_keys_indexes_and_matchers() {
        let doc = json!({"spec": {"containers": [
            {"name": "a", "image": "ia", "args": ["x", "y"]},
            {"name": "b", "image": "ib"}]}});
        let get = |p: &str| lookup(&doc, &split(p)).unwrap().cloned();
        assert_eq!(get("spec.containers.1.image"), Some(json!("ib")));
        assert_eq!(get("spec.containers.[name=b].image"), Some(json!("ib")));
        assert_eq!(get("spec.containers.[name=a].args.[=y]"), Some(json!("y")));
        assert_eq!(get("spec.containers.-.name"), Some(json!("b")));
        // Source matchers compare exactly.
        assert_eq!(get("spec.containers.[name=.*].image"), None);
        assert_eq!(get("spec.containers.5"), None);
        assert_eq!(get("spec.missing.deeper"), None);
        assert!(lookup(&doc, &split("spec.containers.-1")).is_err());
        assert!(lookup(&doc, &split("spec.containers.0.image.x")).is_err());
    }

    fn matched(doc: &mut Value, path: &str, create: Option<LeafKind>) -> Result<usize, String> {
        for_each_match(doc, &split(path), create, &mut |node, _| {
            *node = json!("X");
            Ok(())
        })
    }

    #[test]
    fn matchers_are_unanchored_regexes_and_wildcards_fan_out() {
        let mut doc = json!({"c": [{"name": "nginx", "v": 1}, {"name": "nginx-sidecar", "v": 2},
            {"name": "other", "v": 3}]});
        assert_eq!(matched(&mut doc, "c.[name=nginx].v", None), Ok(2));
        assert_eq!(doc["c"][2]["v"], json!(3));
        assert_eq!(matched(&mut doc, "c.*.v", None), Ok(3));
        assert_eq!(matched(&mut doc, "c.[name=zz].v", None), Ok(0));
        assert_eq!(matched(&mut doc, "c.1.missing", None), Ok(0));
        assert_eq!(
            matched(&mut doc, "c.7.v", None),
            Err("index 7 specified but only 3 elements found".to_owned())
        );
    }

    #[test]
    fn create_builds_missing_maps_lists_and_elements() {
        let mut doc = json!({"spec": {"containers": [{"name": "a"}]}});
        let mut created = Vec::new();
        for path in [
            "spec.containers.[name=b].image",
            "spec.new.0",
            "spec.n2.-",
            "spec.containers.*.x",
        ] {
            for_each_match(
                &mut doc,
                &split(path),
                Some(LeafKind::Scalar),
                &mut |node, was_created| {
                    created.push(was_created);
                    *node = json!("v");
                    Ok(())
                },
            )
            .unwrap();
        }
        assert_eq!(
            doc,
            json!({"spec": {"containers": [{"name": "a", "x": "v"},
                {"name": "b", "image": "v", "x": "v"}],
                "new": ["v"], "n2": {"-": "v"}}})
        );
        assert_eq!(created, [true, true, true, true, true]);
        assert_eq!(
            matched(&mut doc, "spec.other.5", Some(LeafKind::Scalar)),
            Err("index 5 specified but only 0 elements found".to_owned())
        );
    }

    fn arbitrary_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(|n| json!(n)),
            "[a-z0-9=.\\[\\]*-]{0,6}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                proptest::collection::btree_map("[a-z0-9]{1,3}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn walking_any_path_over_any_value_never_panics(
            mut doc in arbitrary_value(),
            path in "[a-z0-9=.\\[\\]*\\\\-]{0,16}",
            create in proptest::bool::ANY,
        ) {
            let parts = split_path(&path);
            let _ = lookup(&doc, &parts);
            let create = create.then_some(LeafKind::Scalar);
            let _ = for_each_match(&mut doc, &parts, create, &mut |node, _| {
                *node = json!("x");
                Ok(())
            });
        }
    }
}
