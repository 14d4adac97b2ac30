//! Cases whose expected results were checked against `kubectl kustomize` (v5.5.0).

use crate::{json, value::Value};

use super::merge;
use crate::patch::Schema;

#[allow(clippy::needless_pass_by_value)]
fn deployment(spec: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"template": {"spec": spec}}})
}

fn pod_spec(merged: &Value) -> &Value {
    &merged["spec"]["template"]["spec"]
}

fn run(object: Value, patch: Value) -> Value {
    merge(object, patch, Schema::builtin()).unwrap().unwrap()
}

fn names(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| match &e[key] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

#[test]
fn keyed_lists_put_patch_elements_first() {
    let object = deployment(json!({"containers": [{"name": "a"}, {"name": "b"}, {"name": "d"}]}));
    let patch = deployment(
        json!({"containers": [{"name": "d", "x": 1}, {"name": "c"}, {"name": "a", "image": "i"}]}),
    );
    let merged = run(object, patch);
    assert_eq!(
        names(&pod_spec(&merged)["containers"], "name"),
        ["d", "c", "a", "b"]
    );
    assert_eq!(pod_spec(&merged)["containers"][0]["x"], 1);
    assert_eq!(pod_spec(&merged)["containers"][2]["image"], "i");
}

#[test]
fn primitive_sets_union_patch_first() {
    let object = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "finalizers": ["q", "r"]}});
    let patch = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "finalizers": ["z", "r"]}});
    assert_eq!(
        run(object, patch)["metadata"]["finalizers"],
        json!(["z", "r", "q"])
    );
}

#[test]
fn unknown_lists_and_crd_lists_are_replaced() {
    let object = deployment(json!({"tolerations": [{"key": "k1"}, {"key": "k2"}]}));
    let patch = deployment(json!({"tolerations": [{"key": "k3"}]}));
    assert_eq!(
        pod_spec(&run(object, patch))["tolerations"],
        json!([{"key": "k3"}])
    );
    let crd = json!({"apiVersion": "example.com/v1", "kind": "Foo", "metadata": {"name": "f"},
        "spec": {"items": [{"name": "a", "v": 1}, {"name": "b"}], "m": {"a": 1}}});
    let patch = json!({"apiVersion": "example.com/v1", "kind": "Foo", "metadata": {"name": "f"},
        "spec": {"items": [{"name": "b", "w": 3}], "m": {"b": 2}}});
    let merged = run(crd, patch);
    assert_eq!(merged["spec"]["items"], json!([{"name": "b", "w": 3}]));
    assert_eq!(merged["spec"]["m"], json!({"a": 1, "b": 2}));
}

#[test]
fn directives_delete_replace_and_null() {
    let object = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"a": "b", "c": "d"}},
        "spec": {"selector": {"matchLabels": {"x": "y"}},
            "template": {"metadata": {"labels": {"x": "y"}}, "spec": {
                "containers": [{"name": "a", "image": "a",
                    "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
                    {"name": "b"}, {"name": "c"}],
                "volumes": [{"name": "v1"}, {"name": "v2"}]}}}});
    let patch = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"a": null}},
        "spec": {"selector": {"$patch": "replace", "matchLabels": {"q": "r"}},
            "template": {"metadata": {"labels": {"$patch": "delete"}}, "spec": {
                "containers": [{"name": "b", "$patch": "delete"},
                    {"name": "a", "image": null,
                     "env": [{"$patch": "replace"}, {"name": "C", "value": "3"}]}],
                "volumes": [{"$patch": "replace"}]}}}});
    let merged = run(object, patch);
    assert_eq!(merged["metadata"]["labels"], json!({"c": "d"}));
    assert_eq!(
        merged["spec"]["selector"],
        json!({"matchLabels": {"q": "r"}})
    );
    assert_eq!(merged["spec"]["template"]["metadata"], json!({}));
    let spec = pod_spec(&merged);
    assert_eq!(
        spec["containers"],
        json!([{"name": "a", "env": [{"name": "C", "value": "3"}]}, {"name": "c"}])
    );
    assert_eq!(spec["volumes"], json!([]));
}

#[test]
fn apimachinery_directives_stay_literal_fields() {
    let object = deployment(json!({"containers": [{"name": "a", "args": ["x", "y"]}]}));
    let patch = deployment(json!({"$setElementOrder/containers": [{"name": "a"}],
        "containers": [{"name": "a", "$deleteFromPrimitiveList/args": ["x"]}]}));
    let merged = run(object, patch);
    let spec = pod_spec(&merged);
    assert_eq!(spec["$setElementOrder/containers"], json!([{"name": "a"}]));
    assert_eq!(spec["containers"][0]["args"], json!(["x", "y"]));
    assert_eq!(
        spec["containers"][0]["$deleteFromPrimitiveList/args"],
        json!(["x"])
    );
}

#[test]
fn multi_key_ports_keep_object_order_and_prepend_new() {
    let ports = |list: Value| deployment(json!({"containers": [{"name": "a", "ports": list}]}));
    let port_list = |merged: &Value| pod_spec(merged)["containers"][0]["ports"].clone();
    let merged = run(
        ports(
            json!([{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 81, "protocol": "TCP"}]),
        ),
        ports(
            json!([{"containerPort": 81, "protocol": "TCP", "name": "y"}, {"containerPort": 53, "protocol": "UDP"}]),
        ),
    );
    assert_eq!(
        port_list(&merged),
        json!([
        {"containerPort": 53, "protocol": "UDP"},
        {"containerPort": 80, "protocol": "TCP"},
        {"containerPort": 81, "protocol": "TCP", "name": "y"}])
    );
    // Without protocols the list merges on containerPort alone, patch order first.
    let merged = run(
        ports(json!([{"containerPort": 80}, {"containerPort": 81}])),
        ports(json!([{"containerPort": 81, "name": "y"}, {"containerPort": 53}])),
    );
    assert_eq!(
        names(&port_list(&merged), "containerPort"),
        ["81", "53", "80"]
    );
    let merged = run(
        ports(
            json!([{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 81, "protocol": "UDP"}]),
        ),
        ports(json!([{"containerPort": 80, "protocol": "UDP"}])),
    );
    assert_eq!(
        port_list(&merged),
        json!([
        {"containerPort": 80, "protocol": "UDP"},
        {"containerPort": 80, "protocol": "TCP"},
        {"containerPort": 81, "protocol": "UDP"}])
    );
}

#[test]
fn empty_maps_are_added_and_whole_object_delete() {
    let object = deployment(json!({}));
    let mut patch = deployment(json!({}));
    patch["spec"]["foo"] = json!({});
    assert_eq!(run(object.clone(), patch)["spec"]["foo"], json!({}));
    let delete = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "$patch": "delete"});
    assert_eq!(merge(object, delete, Schema::builtin()).unwrap(), None);
}

#[test]
fn kind_mismatch_and_bad_directive_fail() {
    let object = deployment(json!({"containers": [{"name": "a"}]}));
    let patch = deployment(json!({"containers": {"name": "a"}}));
    assert!(merge(object.clone(), patch, Schema::builtin()).is_err());
    let patch = deployment(json!({"$patch": "frobnicate"}));
    assert!(merge(object, patch, Schema::builtin()).is_err());
}

mod properties {
    use crate::{
        json,
        value::{Map, Value},
    };
    use proptest::prelude::*;

    use super::super::merge;
    use crate::patch::Schema;

    fn scalar() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<bool>().prop_map(Value::from),
            any::<i32>().prop_map(Value::from),
            "[a-z]{0,6}".prop_map(Value::from),
        ]
    }

    /// Objects without nulls or `$` directives (those are patch instructions, not data).
    fn data() -> impl Strategy<Value = Value> {
        scalar().prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::btree_map("[a-z]{1,5}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect::<Map>())),
            ]
        })
    }

    fn containers() -> impl Strategy<Value = Value> {
        prop::collection::btree_map("[a-c]{1,2}", data(), 0..4).prop_map(|m| {
            Value::Array(
                m.into_iter()
                    .map(|(name, extra)| json!({"name": name, "extra": extra}))
                    .collect(),
            )
        })
    }

    fn objects() -> impl Strategy<Value = Value> {
        (data(), containers(), prop::bool::ANY).prop_map(|(spec, containers, builtin)| {
            if builtin {
                json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
                    "spec": {"other": spec, "template": {"spec": {"containers": containers}}}})
            } else {
                json!({"apiVersion": "example.com/v1", "kind": "Foo", "metadata": {"name": "x"},
                    "spec": {"other": spec, "list": containers}})
            }
        })
    }

    proptest! {
        #[test]
        fn merging_an_object_into_itself_changes_nothing(object in objects()) {
            let merged = merge(object.clone(), object.clone(), Schema::builtin()).unwrap();
            prop_assert_eq!(merged, Some(object));
        }

        #[test]
        fn a_patch_naming_only_the_object_changes_nothing(object in objects()) {
            let patch = json!({"apiVersion": object["apiVersion"], "kind": object["kind"],
                "metadata": {"name": "x"}});
            let merged = merge(object.clone(), patch, Schema::builtin()).unwrap();
            prop_assert_eq!(merged, Some(object));
        }

        #[test]
        fn merging_is_deterministic(object in objects(), patch in objects()) {
            let first = merge(object.clone(), patch.clone(), Schema::builtin()).map_err(|e| e.to_string());
            let second = merge(object, patch, Schema::builtin()).map_err(|e| e.to_string());
            prop_assert_eq!(first, second);
        }
    }
}

#[allow(clippy::needless_pass_by_value)]
fn container_ports(ports: Value) -> Value {
    deployment(json!({"containers": [{"name": "c", "ports": ports}]}))
}

#[test]
fn a_port_without_protocol_is_the_same_port_as_one_with_it() {
    // 8080/TCP onto 8080: kyaml merges the two key values, finds no element with both, and
    // writes the object's element back over the patch's: the port is left as it was.
    let merged = run(
        container_ports(json!([{"containerPort": 8080, "name": "http"}])),
        container_ports(json!([{"containerPort": 8080, "protocol": "TCP", "hostPort": 1}])),
    );
    assert_eq!(
        pod_spec(&merged)["containers"][0]["ports"],
        json!([{"containerPort": 8080, "name": "http"}])
    );
    // 53/TCP onto the DNS twins merges into the TCP twin, which keeps its place.
    let twins = json!([
        {"containerPort": 53, "protocol": "UDP", "name": "dns"},
        {"containerPort": 53, "protocol": "TCP", "name": "dns-tcp"}
    ]);
    let merged = run(
        container_ports(twins),
        container_ports(json!([{"containerPort": 53, "protocol": "TCP", "hostPort": 1}])),
    );
    let ports = &pod_spec(&merged)["containers"][0]["ports"];
    assert_eq!(names(ports, "name"), ["dns", "dns-tcp"]);
    assert_eq!(ports[1]["hostPort"], 1);
}

#[test]
fn union_of_key_values_needs_a_common_value() {
    let v = |a: &str, b: &str| vec![a.to_owned(), b.to_owned()];
    assert_eq!(
        super::union_if_compatible(&v("8080", ""), &v("8080", "TCP")),
        Some(v("8080", "TCP"))
    );
    assert_eq!(
        super::union_if_compatible(&v("53", "UDP"), &v("53", "TCP")),
        None
    );
    assert_eq!(
        super::union_if_compatible(&v("80", ""), &v("", "TCP")),
        None
    );
}
