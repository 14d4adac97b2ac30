//! Patch formats and field ownership.
//!
//! * JSON merge patch (RFC 7386) and JSON patch (RFC 6902) come from the `json-patch` crate.
//! * Strategic merge patch is modelled for the list fields unstuck and kubectl touch on built-in
//!   kinds: lists of maps merged by their key (`containers` by `name`, `ports` by `containerPort`
//!   or `port`, …), `metadata.finalizers` merged as a set, the `$patch: delete|replace` directive.
//!   Any other list is replaced, as for an atomic list. The real schema-driven table is larger.
//! * Server-side apply tracks, per object, which field manager owns each leaf field. Applying a
//!   value different from the live one on a field another manager owns is a conflict unless
//!   `force=true`; fields a manager applied before and omits now are removed.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Which manager owns a field, and whether it got it through apply or through an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Owner {
    /// The field manager.
    pub(crate) manager: String,
    /// `true` for server-side apply, `false` for create/update/patch.
    pub(crate) applied: bool,
}

/// Field ownership of one object: leaf path (`.spec.holderIdentity`) → owner.
pub(crate) type Ownership = BTreeMap<String, Owner>;

/// Leaf fields of an object, as `(path, value)`. Maps are walked; lists and scalars are leaves.
/// Server-set metadata is not owned by anyone and is skipped.
pub(crate) fn leaves(object: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    walk(object, String::new(), &mut out);
    out
}

const UNOWNED: [&str; 10] = [
    ".apiVersion",
    ".kind",
    ".metadata.name",
    ".metadata.namespace",
    ".metadata.uid",
    ".metadata.resourceVersion",
    ".metadata.generation",
    ".metadata.creationTimestamp",
    ".metadata.managedFields",
    ".metadata.deletionTimestamp",
];

fn walk(value: &Value, path: String, out: &mut BTreeMap<String, Value>) {
    if UNOWNED.contains(&path.as_str()) {
        return;
    }
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, child) in map {
                walk(child, format!("{path}.{key}"), out);
            }
        }
        _ if path.is_empty() => {}
        other => {
            out.insert(path, other.clone());
        }
    }
}

/// Records `manager` as owner of every leaf that `update` changed relative to `before`, and
/// forgets owners of leaves that no longer exist.
pub(crate) fn record_update(
    ownership: &mut Ownership,
    before: &Value,
    after: &Value,
    manager: &str,
) {
    let old = leaves(before);
    let new = leaves(after);
    ownership.retain(|path, _| new.contains_key(path));
    for (path, value) in &new {
        if old.get(path) != Some(value) {
            ownership.insert(
                path.clone(),
                Owner {
                    manager: manager.to_owned(),
                    applied: false,
                },
            );
        }
    }
}

/// Server-side apply of `config` by `manager` onto `live` (`Value::Null` when the object does not
/// exist). Returns the new object or the conflicting `(path, owner)` pairs.
pub(crate) fn apply(
    live: &Value,
    config: &Value,
    ownership: &mut Ownership,
    manager: &str,
    force: bool,
) -> Result<Value, Vec<(String, String)>> {
    let applied = leaves(config);
    let current = leaves(live);
    let conflicts: Vec<(String, String)> = applied
        .iter()
        .filter_map(|(path, value)| {
            let owner = ownership.get(path)?;
            let differs = current.get(path).is_some_and(|live| live != value);
            (owner.manager != manager && differs).then(|| (path.clone(), owner.manager.clone()))
        })
        .collect();
    if !conflicts.is_empty() && !force {
        return Err(conflicts);
    }
    let mut merged = if live.is_null() {
        Value::Object(Map::new())
    } else {
        live.clone()
    };
    // Fields this manager applied before and no longer applies are removed, unless someone else
    // also owns them (shared ownership is not modelled: the other owner keeps it).
    let dropped: Vec<String> = ownership
        .iter()
        .filter(|(path, owner)| {
            owner.manager == manager && owner.applied && !applied.contains_key(*path)
        })
        .map(|(path, _)| path.clone())
        .collect();
    for path in &dropped {
        remove_path(&mut merged, path);
        ownership.remove(path);
    }
    deep_merge(&mut merged, config);
    for path in applied.keys() {
        ownership.insert(
            path.clone(),
            Owner {
                manager: manager.to_owned(),
                applied: true,
            },
        );
    }
    Ok(merged)
}

/// Maps merge recursively; anything else replaces.
fn deep_merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                match target.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        deep_merge(existing, value);
                    }
                    _ => {
                        target.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

fn remove_path(object: &mut Value, path: &str) {
    let mut parts: Vec<&str> = path.trim_start_matches('.').split('.').collect();
    let Some(last) = parts.pop() else { return };
    let mut cursor = object;
    for part in parts {
        match cursor.get_mut(part) {
            Some(next) => cursor = next,
            None => return,
        }
    }
    if let Some(map) = cursor.as_object_mut() {
        map.remove(last);
    }
}

/// The merge key of a list field in a strategic merge patch, for the built-in kinds.
fn merge_key(field: &str, sample: &Value) -> Option<&'static str> {
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets"
        | "volumeClaimTemplates" => Some("name"),
        "volumeMounts" | "volumeDevices" => Some("mountPath"),
        "conditions" => Some("type"),
        "ownerReferences" => Some("uid"),
        "ports" if sample.get("containerPort").is_some() => Some("containerPort"),
        "ports" => Some("port"),
        _ => None,
    }
}

/// Applies a strategic merge patch to `target` (see the module documentation for its extent).
pub(crate) fn strategic_merge(target: &mut Value, patch: &Value) {
    smp(target, patch);
}

fn smp(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(patch_map) => {
            if patch_map.get("$patch").and_then(Value::as_str) == Some("replace") {
                let mut replacement = patch.clone();
                if let Some(map) = replacement.as_object_mut() {
                    map.remove("$patch");
                }
                *target = replacement;
                return;
            }
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            let map = target.as_object_mut().expect("made an object above");
            for (key, value) in patch_map {
                if key.starts_with('$') {
                    continue;
                }
                if value.is_null() {
                    map.remove(key);
                    continue;
                }
                let slot = map.entry(key.clone()).or_insert(Value::Null);
                match value {
                    Value::Object(_) => smp(slot, value),
                    Value::Array(items) => merge_list(slot, items, key),
                    other => *slot = other.clone(),
                }
            }
            // `$deleteFromPrimitiveList/<field>: [values]` removes values from a primitive list.
            for (key, value) in patch_map {
                if let (Some(list), Some(values)) = (
                    key.strip_prefix("$deleteFromPrimitiveList/"),
                    value.as_array(),
                ) {
                    if let Some(Value::Array(existing)) = map.get_mut(list) {
                        existing.retain(|v| !values.contains(v));
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

fn merge_list(slot: &mut Value, items: &[Value], field: &str) {
    let Value::Array(existing) = slot else {
        *slot = Value::Array(items.iter().filter(|i| !is_directive(i)).cloned().collect());
        return;
    };
    if field == "finalizers" {
        for item in items {
            if !existing.contains(item) {
                existing.push(item.clone());
            }
        }
        return;
    }
    let Some(key) = items.first().and_then(|sample| merge_key(field, sample)) else {
        *slot = Value::Array(items.to_vec());
        return;
    };
    for item in items {
        let id = &item[key];
        let position = existing.iter().position(|e| &e[key] == id);
        match (position, item.get("$patch").and_then(Value::as_str)) {
            (Some(i), Some("delete")) => {
                existing.remove(i);
            }
            (None, Some("delete")) => {}
            (Some(i), _) => smp(&mut existing[i], item),
            (None, _) => existing.push(item.clone()),
        }
    }
}

fn is_directive(item: &Value) -> bool {
    item.get("$patch").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// JSON trees of maps and scalars (no lists): where strategic merge has no list rules to apply.
    fn tree() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i32>().prop_map(Value::from),
            "[a-z]{0,3}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop::collection::btree_map("[a-c]", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect()))
        })
    }

    proptest! {
        /// Without lists, a strategic merge patch is a JSON merge patch (RFC 7386).
        #[test]
        fn strategic_merge_without_lists_is_json_merge(target in tree(), patch in tree()) {
            prop_assume!(patch.is_object());
            let mut strategic = target.clone();
            strategic_merge(&mut strategic, &patch);
            let mut merge = target;
            json_patch::merge(&mut merge, &patch);
            prop_assert_eq!(strategic, merge);
        }

        /// Applying the same configuration twice changes nothing the second time, and the manager
        /// then owns every field it applied.
        #[test]
        fn apply_is_idempotent(live in tree(), config in tree()) {
            prop_assume!(config.is_object() && live.is_object());
            let mut owners = Ownership::new();
            let once = apply(&live, &config, &mut owners, "m", false).unwrap();
            let twice = apply(&once, &config, &mut owners, "m", false).unwrap();
            prop_assert_eq!(&once, &twice);
            for path in leaves(&config).keys() {
                prop_assert_eq!(owners.get(path).map(|o| o.manager.as_str()), Some("m"));
            }
        }
    }

    #[test]
    fn strategic_merge_merges_containers_by_name_and_finalizers_as_a_set() {
        let mut object = json!({"metadata": {"finalizers": ["a"]},
            "spec": {"template": {"spec": {"containers": [
                {"name": "app", "image": "app:1"}, {"name": "sidecar", "image": "s:1"}]}}}});
        strategic_merge(
            &mut object,
            &json!({"metadata": {"finalizers": ["b", "a"]},
                "spec": {"template": {"spec": {"containers": [
                    {"name": "app", "image": "app:2"}, {"name": "sidecar", "$patch": "delete"}]}}}}),
        );
        assert_eq!(object["metadata"]["finalizers"], json!(["a", "b"]));
        assert_eq!(
            object["spec"]["template"]["spec"]["containers"],
            json!([{"name": "app", "image": "app:2"}])
        );
    }

    #[test]
    fn apply_conflicts_on_fields_owned_by_another_manager_unless_forced() {
        let mut owners = Ownership::new();
        let live = apply(
            &Value::Null,
            &json!({"spec": {"holder": "a"}}),
            &mut owners,
            "a",
            false,
        )
        .unwrap();
        let err = apply(
            &live,
            &json!({"spec": {"holder": "b"}}),
            &mut owners,
            "b",
            false,
        )
        .unwrap_err();
        assert_eq!(err, vec![(".spec.holder".to_owned(), "a".to_owned())]);
        // The same value is no conflict (shared intent), and force takes the field over.
        assert!(apply(
            &live,
            &json!({"spec": {"holder": "a"}}),
            &mut owners.clone(),
            "b",
            false
        )
        .is_ok());
        let forced = apply(
            &live,
            &json!({"spec": {"holder": "b"}}),
            &mut owners,
            "b",
            true,
        )
        .unwrap();
        assert_eq!(forced["spec"]["holder"], "b");
        assert_eq!(owners[".spec.holder"].manager, "b");
    }

    #[test]
    fn apply_removes_fields_the_manager_no_longer_applies() {
        let mut owners = Ownership::new();
        let live = apply(
            &Value::Null,
            &json!({"data": {"a": "1", "b": "2"}}),
            &mut owners,
            "m",
            false,
        )
        .unwrap();
        let next = apply(&live, &json!({"data": {"a": "1"}}), &mut owners, "m", false).unwrap();
        assert_eq!(next, json!({"data": {"a": "1"}}));
    }
}
