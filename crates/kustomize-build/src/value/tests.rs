use serde_json::json;

use super::*;

fn sample() -> Value {
    Value::from(json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"versions": [{"name": "v1", "schema": {"openAPIV3Schema": {"type": "object"}}}]},
    }))
}

#[test]
fn a_change_copies_only_the_maps_on_its_path() {
    let base = sample();
    let mut overlay = base.clone();
    overlay["metadata"]["annotations"] = Value::from(json!({"a": "1"}));
    assert!(overlay["spec"].shares_contents_with(&base["spec"]));
    assert!(!overlay["metadata"].shares_contents_with(&base["metadata"]));
    assert_eq!(base["metadata"], json!({"name": "widgets.example.com"}));
    assert_eq!(overlay["metadata"]["annotations"]["a"], "1");
}

#[test]
fn looking_for_a_missing_field_to_change_copies_nothing() {
    let base = sample();
    let mut overlay = base.clone();
    assert!(overlay.get_mut("status").is_none());
    assert!(overlay.shares_contents_with(&base));
    overlay.as_object_mut().expect("a map").retain(|_, _| true);
    assert!(
        !overlay.shares_contents_with(&base),
        "retain may change, so it copies"
    );
}

#[test]
fn a_list_item_changed_through_a_clone_leaves_the_original() {
    let base = sample();
    let mut overlay = base.clone();
    let versions = overlay
        .pointer_mut("/spec/versions/0/name")
        .expect("the version name");
    *versions = Value::from("v2");
    assert_eq!(
        base.pointer("/spec/versions/0/name"),
        Some(&Value::from("v1"))
    );
    assert_eq!(
        overlay.pointer("/spec/versions/0/name"),
        Some(&Value::from("v2"))
    );
    assert!(overlay
        .pointer("/spec/versions/0/schema")
        .expect("schema")
        .shares_contents_with(base.pointer("/spec/versions/0/schema").expect("schema")));
}

#[test]
fn converts_both_ways_and_prints_as_serde_json_does() {
    let original = json!({"b": [1, 2.5, -3, true, null, "x"], "a": {"~/": {}}});
    let ours = Value::from(original.clone());
    assert_eq!(ours.to_string(), original.to_string());
    assert_eq!(format!("{ours:#}"), format!("{original:#}"));
    assert_eq!(serde_json::Value::from(&ours), original);
    assert_eq!(serde_json::Value::from(ours.clone()), original);
    assert_eq!(ours.pointer("/a/~0~1"), Some(&Value::Object(Map::new())));
    assert_eq!(ours.pointer("/b/01"), None);
    assert_eq!(ours["missing"]["deeper"], Value::Null);
}

#[test]
fn remove_moves_the_last_entry_into_the_gap_as_serde_json_does() {
    let mut ours = Value::from(json!({"a": 1, "b": 2, "c": 3}));
    let mut theirs = json!({"a": 1, "b": 2, "c": 3});
    ours.as_object_mut().expect("map").remove("a");
    theirs.as_object_mut().expect("map").remove("a");
    assert_eq!(ours.to_string(), theirs.to_string());
}

mod same_as_serde_json {
    use proptest::prelude::*;

    use super::super::{Map, Value};

    #[derive(Debug, Clone)]
    enum Op {
        Insert(String, i64),
        Remove(String),
        ShiftRemove(String),
        OrInsert(String, i64),
        Retain(i64),
        SortKeys,
        Clone,
    }

    fn op() -> impl Strategy<Value = Op> {
        let key = "[a-e]";
        prop_oneof![
            (key, any::<i64>()).prop_map(|(k, v)| Op::Insert(k, v)),
            key.prop_map(Op::Remove),
            key.prop_map(Op::ShiftRemove),
            (key, any::<i64>()).prop_map(|(k, v)| Op::OrInsert(k, v)),
            any::<i64>().prop_map(Op::Retain),
            Just(Op::SortKeys),
            Just(Op::Clone),
        ]
    }

    proptest! {
        /// Every change leaves the entries in the order `serde_json::Map` (preserve_order)
        /// leaves them, and a clone taken on the way keeps what it saw.
        #[test]
        fn map_changes_keep_serde_json_order(ops in prop::collection::vec(op(), 0..40)) {
            let mut ours = Map::new();
            let mut theirs = serde_json::Map::new();
            let mut snapshots: Vec<(Map, String)> = Vec::new();
            for op in ops {
                match op {
                    Op::Insert(k, v) => {
                        prop_assert_eq!(
                            ours.insert(k.clone(), Value::from(v)).map(|v| v.to_string()),
                            theirs.insert(k, v.into()).map(|v| v.to_string())
                        );
                    }
                    Op::Remove(k) => {
                        prop_assert_eq!(
                            ours.remove(k.as_str()).map(|v| v.to_string()),
                            theirs.remove(k.as_str()).map(|v| v.to_string())
                        );
                    }
                    Op::ShiftRemove(k) => {
                        prop_assert_eq!(
                            ours.shift_remove(k.as_str()).map(|v| v.to_string()),
                            theirs.shift_remove(k.as_str()).map(|v| v.to_string())
                        );
                    }
                    Op::OrInsert(k, v) => {
                        *ours.entry(k.clone()).or_insert(Value::Null) = Value::from(v);
                        *theirs.entry(k).or_insert(serde_json::Value::Null) = v.into();
                    }
                    Op::Retain(bound) => {
                        ours.retain(|_, v| v.as_i64().is_some_and(|n| n < bound));
                        theirs.retain(|_, v| v.as_i64().is_some_and(|n| n < bound));
                    }
                    Op::SortKeys => {
                        ours.sort_keys();
                        theirs.sort_keys();
                    }
                    Op::Clone => {
                        let text = Value::Object(ours.clone()).to_string();
                        snapshots.push((ours.clone(), text));
                    }
                }
                prop_assert_eq!(
                    Value::Object(ours.clone()).to_string(),
                    serde_json::Value::Object(theirs.clone()).to_string()
                );
            }
            for (snapshot, text) in snapshots {
                prop_assert_eq!(Value::Object(snapshot).to_string(), text);
            }
        }
    }
}
