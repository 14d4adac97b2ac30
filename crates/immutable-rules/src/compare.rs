//! Comparing untyped values the way `apiequality.Semantic.DeepEqual` does, under the apply
//! semantics of [`Mode`]: maps are order-free, lists are ordered, an empty list or map equals an
//! absent one, a zero scalar equals an absent field, quantities compare by value.

use std::fmt::Write as _;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::context::Mode;
use crate::quantity;

/// Map keys whose values are maps of quantities (`resources.requests`, PV `capacity`, …).
const QUANTITY_MAPS: &[&str] = &[
    "requests",
    "limits",
    "capacity",
    "allocatable",
    "hard",
    "used",
];
/// Map keys whose value is a single quantity.
const QUANTITY_FIELDS: &[&str] = &["sizeLimit"];
/// Map keys whose values are `map[string]string`: an entry with `""` differs from no entry.
const STRING_MAPS: &[&str] = &[
    "labels",
    "annotations",
    "matchLabels",
    "nodeSelector",
    "data",
    "binaryData",
    "stringData",
    "parameters",
];
/// Keys that identify the entries of lists the API server merges by key, tried in order.
const LIST_KEYS: &[&str] = &["name", "containerPort", "mountPath", "devicePath", "ip"];

/// What a value is, for comparison purposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    /// An ordinary field: absent, `null` and the zero value are the same.
    Field,
    /// A map whose values are quantities.
    QuantityMap,
    /// A quantity.
    Quantity,
    /// A string-to-string map: its entries are compared strictly.
    StringMap,
    /// A list element: compared strictly.
    Element,
}

impl Slot {
    /// The slot of the value under `key` inside a map in this slot.
    pub(crate) fn child(self, key: &str) -> Slot {
        match self {
            Slot::QuantityMap => Slot::Quantity,
            Slot::StringMap => Slot::Element,
            _ if QUANTITY_FIELDS.contains(&key) => Slot::Quantity,
            _ if QUANTITY_MAPS.contains(&key) => Slot::QuantityMap,
            _ if STRING_MAPS.contains(&key) => Slot::StringMap,
            _ => Slot::Field,
        }
    }
}

fn empty_object() -> &'static Value {
    static EMPTY: OnceLock<Value> = OnceLock::new();
    EMPTY.get_or_init(|| Value::Object(Map::new()))
}

/// `null`, `""`, `false`, `0`, `[]`, or a map of such: what Go's zero value serializes to.
pub(crate) fn is_vacuous(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.values().all(is_vacuous),
    }
}

fn numbers_equal(a: &serde_json::Number, b: &serde_json::Number) -> bool {
    match (a.as_i64(), b.as_i64()) {
        (Some(x), Some(y)) => x == y,
        _ => a.as_f64() == b.as_f64(),
    }
}

/// Semantic equality of two optional values in `slot`.
pub(crate) fn semantic_eq(a: Option<&Value>, b: Option<&Value>, slot: Slot) -> bool {
    let a = a.filter(|v| !v.is_null());
    let b = b.filter(|v| !v.is_null());
    match (a, b) {
        (None, None) => true,
        (Some(x), None) | (None, Some(x)) => slot != Slot::Element && is_vacuous(x),
        (Some(x), Some(y)) => values_eq(x, y, slot),
    }
}

fn values_eq(x: &Value, y: &Value, slot: Slot) -> bool {
    match (x, y) {
        (Value::Object(a), Value::Object(b)) => {
            let child = |k: &str| slot.child(k);
            a.iter()
                .all(|(k, v)| semantic_eq(Some(v), b.get(k), child(k)))
                && b.iter()
                    .filter(|(k, _)| !a.contains_key(*k))
                    .all(|(_, v)| is_vacuous(v))
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| semantic_eq(Some(x), Some(y), Slot::Element))
        }
        _ if slot == Slot::Quantity => quantity::same(x, y),
        (Value::Number(a), Value::Number(b)) => numbers_equal(a, b),
        _ => x == y,
    }
}

/// The key by which the API server merges two lists, if every entry of both carries it.
fn list_key(old: &[Value], new: &[Value]) -> Option<&'static str> {
    LIST_KEYS.iter().copied().find(|key| {
        old.iter()
            .chain(new)
            .all(|entry| entry.get(*key).is_some_and(|k| !k.is_null()))
    })
}

/// Finds the first difference between an old value and the value an update leaves behind.
pub(crate) struct Walker<'x> {
    mode: Mode,
    exclude: &'x [&'x [&'x str]],
}

impl<'x> Walker<'x> {
    /// A walker for `mode` that ignores the fields at `exclude` (paths relative to the walked
    /// value; `[]` stands for every list entry).
    pub(crate) fn new(mode: Mode, exclude: &'x [&'x [&'x str]]) -> Self {
        Self { mode, exclude }
    }

    /// Where `new` (as sent in an update) changes `old`, appended to `path`; `None` when it does
    /// not. `new == None` means the field is absent from the sent object.
    pub(crate) fn first_difference(
        &self,
        old: Option<&Value>,
        new: Option<&Value>,
        slot: Slot,
        path: &str,
    ) -> Option<String> {
        let mut at = path.to_owned();
        let exclude: Vec<&[&str]> = self.exclude.to_vec();
        self.walk(old, new, false, slot, &exclude, &mut at)
            .then_some(at)
    }

    #[allow(clippy::too_many_arguments)]
    fn walk(
        &self,
        old: Option<&Value>,
        new: Option<&Value>,
        replace: bool,
        slot: Slot,
        exclude: &[&[&str]],
        path: &mut String,
    ) -> bool {
        let merge = self.mode == Mode::Apply && !replace;
        if merge && new.is_none() {
            // Not in the applied manifest: apply leaves the live value alone.
            return false;
        }
        let old = old.filter(|v| !v.is_null());
        let new = new.filter(|v| !v.is_null());
        match (old, new) {
            (Some(Value::Object(o)), Some(Value::Object(n))) => {
                self.walk_maps(o, n, merge, replace, slot, exclude, path)
            }
            (Some(Value::Object(o)), None) if !exclude.is_empty() => {
                self.walk_maps(o, empty_map(), false, true, slot, exclude, path)
            }
            (None, Some(Value::Object(n))) if !exclude.is_empty() => {
                self.walk_maps(empty_map(), n, false, true, slot, exclude, path)
            }
            (Some(Value::Array(o)), Some(Value::Array(n))) => {
                let key = if merge { list_key(o, n) } else { None };
                if o.len() != n.len() {
                    return true;
                }
                if let Some(key) = key {
                    let keys_match = o
                        .iter()
                        .zip(n)
                        .all(|(a, b)| semantic_eq(a.get(key), b.get(key), Slot::Element));
                    if !keys_match {
                        return true;
                    }
                }
                let inner: Vec<&[&str]> = exclude
                    .iter()
                    .filter_map(|p| p.split_first())
                    .filter(|(head, _)| **head == "[]")
                    .map(|(_, tail)| tail)
                    .collect();
                if inner.iter().any(|p| p.is_empty()) {
                    return false;
                }
                let base = path.len();
                for (i, (a, b)) in o.iter().zip(n).enumerate() {
                    let _ = write!(path, "[{i}]");
                    if self.walk(Some(a), Some(b), key.is_none(), Slot::Element, &inner, path) {
                        return true;
                    }
                    path.truncate(base);
                }
                false
            }
            (a, b) => !semantic_eq(a, b, slot),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn walk_maps(
        &self,
        o: &Map<String, Value>,
        n: &Map<String, Value>,
        merge: bool,
        replace: bool,
        slot: Slot,
        exclude: &[&[&str]],
        path: &mut String,
    ) -> bool {
        let child_slot = |k: &str| slot.child(k);
        let base = path.len();
        let mut visit = |k: &str, a: Option<&Value>, b: Option<&Value>, replace: bool| -> bool {
            let mut inner: Vec<&[&str]> = Vec::new();
            for p in exclude {
                if let Some((head, tail)) = p.split_first() {
                    if *head == k {
                        if tail.is_empty() {
                            return false;
                        }
                        inner.push(tail);
                    }
                }
            }
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(k);
            if self.walk(a, b, replace, child_slot(k), &inner, path) {
                return true;
            }
            path.truncate(base);
            false
        };
        for (k, b) in n {
            if visit(k, o.get(k), Some(b), replace) {
                return true;
            }
        }
        if !merge {
            for (k, a) in o {
                if !n.contains_key(k) && visit(k, Some(a), None, true) {
                    return true;
                }
            }
        }
        false
    }
}

fn empty_map() -> &'static Map<String, Value> {
    match empty_object() {
        Value::Object(map) => map,
        _ => unreachable!("empty_object is an object"),
    }
}

/// The value a field has after `new` is applied onto `old` in `mode`, materialized (used only to
/// render violations, so it may allocate).
pub(crate) fn merged(old: Option<&Value>, new: Option<&Value>, mode: Mode) -> Option<Value> {
    match (mode, new) {
        (Mode::Git, new) => new.filter(|v| !v.is_null()).cloned(),
        (Mode::Apply, None) => old.filter(|v| !v.is_null()).cloned(),
        (Mode::Apply, Some(Value::Null)) => None,
        // Only maps and keyed lists keep parts of the live value; clone it once and merge in place.
        (Mode::Apply, Some(new @ (Value::Object(_) | Value::Array(_)))) => {
            merge_into(old.filter(|v| !v.is_null()).cloned(), new)
        }
        (Mode::Apply, Some(other)) => Some(other.clone()),
    }
}

/// Apply `new` onto an owned old value.
fn merge_into(old: Option<Value>, new: &Value) -> Option<Value> {
    match new {
        Value::Null => None,
        Value::Object(n) => {
            let mut out = match old {
                Some(Value::Object(o)) => o,
                _ => Map::new(),
            };
            for (k, v) in n {
                let previous = out.get_mut(k).map(Value::take);
                match merge_into(previous, v) {
                    Some(m) => {
                        out.insert(k.clone(), m);
                    }
                    None => {
                        out.remove(k);
                    }
                }
            }
            Some(Value::Object(out))
        }
        Value::Array(n) => {
            if let Some(Value::Array(mut o)) = old {
                if let Some(key) = list_key(&o, n) {
                    let entries = n
                        .iter()
                        .map(|entry| {
                            let live = o
                                .iter_mut()
                                .find(|e| e.get(key) == entry.get(key))
                                .map(Value::take);
                            merge_into(live, entry).unwrap_or(Value::Null)
                        })
                        .collect();
                    return Some(Value::Array(entries));
                }
            }
            Some(Value::Array(n.clone()))
        }
        other => Some(other.clone()),
    }
}

/// Render a value short for humans: compact JSON, cut after 80 characters; `(unset)` when absent.
pub(crate) fn render(value: Option<&Value>) -> String {
    const LIMIT: usize = 80;
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return "(unset)".to_owned();
    };
    let text = value.to_string();
    if text.chars().count() <= LIMIT {
        text
    } else {
        let cut: String = text.chars().take(LIMIT - 1).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn diff(mode: Mode, old: &Value, new: &Value) -> Option<String> {
        Walker::new(mode, &[]).first_difference(Some(old), Some(new), Slot::Field, "spec")
    }

    #[test]
    fn maps_are_order_free_lists_are_not() {
        assert!(semantic_eq(
            Some(&json!({"a": 1, "b": 2})),
            Some(&json!({"b": 2, "a": 1})),
            Slot::Field
        ));
        assert!(!semantic_eq(
            Some(&json!([1, 2])),
            Some(&json!([2, 1])),
            Slot::Field
        ));
    }

    #[test]
    fn empty_equals_absent_and_zero_equals_unset() {
        assert!(semantic_eq(None, Some(&json!([])), Slot::Field));
        assert!(semantic_eq(Some(&json!({})), None, Slot::Field));
        assert!(semantic_eq(
            Some(&json!({"hostNetwork": false})),
            Some(&json!({})),
            Slot::Field
        ));
        assert!(!semantic_eq(
            Some(&json!([0])),
            Some(&json!([false])),
            Slot::Field
        ));
        // String maps: an entry with "" is still an entry.
        let with_empty = json!({"data": {"a": ""}});
        assert!(!semantic_eq(
            Some(&with_empty),
            Some(&json!({"data": {}})),
            Slot::Field
        ));
        assert!(semantic_eq(Some(&json!({"data": {}})), None, Slot::Field));
    }

    #[test]
    fn quantities_compare_by_value_only_where_they_are_quantities() {
        let a = json!({"resources": {"requests": {"storage": "1Gi", "cpu": 1}}});
        let b = json!({"resources": {"requests": {"storage": "1024Mi", "cpu": "1000m"}}});
        assert!(semantic_eq(Some(&a), Some(&b), Slot::Field));
        assert!(!semantic_eq(
            Some(&json!({"env": "1"})),
            Some(&json!({"env": "1.0"})),
            Slot::Field
        ));
    }

    #[test]
    fn apply_keeps_fields_absent_from_new() {
        let old = json!({"a": 1, "b": {"c": 2}});
        assert_eq!(diff(Mode::Apply, &old, &json!({"b": {}})), None);
        assert_eq!(
            diff(Mode::Git, &old, &json!({"b": {}})),
            Some("spec.b.c".into())
        );
        assert_eq!(
            diff(Mode::Apply, &old, &json!({"a": null})),
            Some("spec.a".into())
        );
    }

    #[test]
    fn apply_merges_named_list_entries() {
        let old = json!({"containers": [{"name": "a", "image": "x", "imagePullPolicy": "Always"}]});
        let new = json!({"containers": [{"name": "a", "image": "x"}]});
        assert_eq!(diff(Mode::Apply, &old, &new), None);
        let renamed = json!({"containers": [{"name": "b", "image": "x"}]});
        assert_eq!(
            diff(Mode::Apply, &old, &renamed),
            Some("spec.containers".into())
        );
        let unkeyed_old = json!({"tolerations": [{"key": "a", "effect": "NoSchedule"}]});
        let unkeyed_new = json!({"tolerations": [{"key": "a"}]});
        assert_eq!(
            diff(Mode::Apply, &unkeyed_old, &unkeyed_new),
            Some("spec.tolerations[0].effect".into())
        );
    }

    #[test]
    fn exclusions_skip_fields_including_list_wildcards() {
        let old = json!({"containers": [{"name": "a", "image": "x:1"}], "x": 1});
        let new = json!({"containers": [{"name": "a", "image": "x:2"}], "x": 1});
        let exclude: &[&[&str]] = &[&["containers", "[]", "image"]];
        let w = Walker::new(Mode::Git, exclude);
        assert_eq!(
            w.first_difference(Some(&old), Some(&new), Slot::Field, ""),
            None
        );
        let w = Walker::new(Mode::Git, &[]);
        assert_eq!(
            w.first_difference(Some(&old), Some(&new), Slot::Field, "")
                .as_deref(),
            Some("containers[0].image")
        );
    }

    #[test]
    fn merged_materializes_apply_result() {
        let old = json!({"a": 1, "l": [{"name": "x", "d": 1}], "z": 3});
        let new = json!({"a": 2, "l": [{"name": "x", "e": 2}], "z": null});
        assert_eq!(
            merged(Some(&old), Some(&new), Mode::Apply),
            Some(json!({"a": 2, "l": [{"name": "x", "d": 1, "e": 2}]}))
        );
    }

    #[test]
    fn renders_short() {
        assert_eq!(render(None), "(unset)");
        assert_eq!(render(Some(&json!("web"))), "\"web\"");
        assert!(render(Some(&json!("x".repeat(200)))).ends_with('…'));
    }
}
