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

mod sharing_equal_subtrees {
    use proptest::prelude::*;

    use super::super::{share_equal_subtrees, Map, Value};
    use crate::json;

    fn value() -> impl Strategy<Value = Value> {
        // Few distinct leaves and keys, so that equal subtrees (and maps equal but for their
        // order) come up often.
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            (0_i64..3).prop_map(Value::from),
            "[ab]".prop_map(Value::from),
        ];
        leaf.prop_recursive(5, 200, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
                prop::collection::vec(("[a-c]", inner), 0..6)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map>())),
            ]
        })
    }

    proptest! {
        /// Sharing changes no document's text, and a change made afterwards to one shared
        /// place shows nowhere else.
        #[test]
        fn sharing_is_invisible(documents in prop::collection::vec(value(), 1..4)) {
            let before: Vec<String> = documents.iter().map(Value::to_string).collect();
            let mut shared = documents.clone();
            share_equal_subtrees(&mut shared);
            let after: Vec<String> = shared.iter().map(Value::to_string).collect();
            prop_assert_eq!(&after, &before);
            if let Some(Value::Object(map)) = shared.first_mut() {
                map.insert("marker".to_owned(), Value::from("changed"));
            }
            let others: Vec<String> = shared[1..].iter().map(Value::to_string).collect();
            prop_assert_eq!(&others[..], &before[1..]);
        }
    }

    #[test]
    fn maps_equal_but_for_their_order_are_not_merged() {
        let mut documents = vec![json!({
            "first": {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7, "h": 8},
            "second": {"h": 8, "g": 7, "f": 6, "e": 5, "d": 4, "c": 3, "b": 2, "a": 1},
        })];
        let text = documents[0].to_string();
        share_equal_subtrees(&mut documents);
        assert_eq!(documents[0].to_string(), text);
        assert!(!documents[0]["first"].shares_contents_with(&documents[0]["second"]));
    }

    #[test]
    fn equal_subtrees_of_separate_documents_share_one_copy() {
        let schema = json!({"type": "object", "properties": {
            "a": {"type": "string"}, "b": {"type": "string"}, "c": {"type": "integer"},
            "d": {"type": "boolean"}, "e": {"type": "string"}, "f": {"type": "string"},
            "g": {"type": "number"}}});
        let mut documents = vec![json!({"schema": schema.clone()}), json!({"schema": schema})];
        share_equal_subtrees(&mut documents);
        assert!(documents[0]["schema"].shares_contents_with(&documents[1]["schema"]));
    }
}
