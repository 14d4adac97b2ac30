use super::*;
use crate::json;
use crate::selector::{PREVIOUS_KINDS, PREVIOUS_NAMES, PREVIOUS_NAMESPACES};

fn vars(value: Value) -> Vec<Var> {
    crate::value::from_value(value).unwrap()
}

fn service(name: &str, namespace: &str) -> Resource {
    Resource::new(json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"ports": [{"port": 9300, "protocol": "TCP"}]}}))
}

#[test]
fn var_fields_parse_case_insensitively() {
    let parsed = vars(json!([{"name": "P", "objref": {"kind": "StatefulSet",
        "name": "db", "apiVersion": "apps/v1"},
        "fieldref": {"fieldpath": "spec.template.spec.containers[0].ports[1].containerPort"}}]));
    assert_eq!(parsed[0].objref.api_version, "apps/v1");
    assert_eq!(
        parsed[0].fieldref.field_path,
        "spec.template.spec.containers[0].ports[1].containerPort"
    );
    // Unknown fields are the kustomization schema's concern; the var itself decodes leniently.
    assert_eq!(
        crate::value::from_value::<Var>(json!({"name": "X", "bogus": 1}))
            .unwrap()
            .name,
        "X"
    );
}

#[test]
fn vars_print_like_kustomize() {
    let var = &vars(
        json!([{"name": "S", "objref": {"kind": "Service", "name": "e",
        "apiVersion": "v1"}}]),
    )[0];
    assert_eq!(var.to_string(), "{S Service.[noVer].[noGrp] {}}");
    assert_eq!(
        var.defaulted().to_string(),
        "{S Service.v1.[noGrp] {metadata.name}}"
    );
}

#[test]
fn duplicate_names_fail() {
    let mut set = VarSet::new();
    let mut resources = ResMap::from(vec![service("a", "")]);
    let twice = vars(json!([
        {"name": "S", "objref": {"kind": "Service", "name": "a", "version": "v1"}},
        {"name": "S", "objref": {"kind": "Service", "name": "a", "version": "v1"}}]));
    let err = merge_vars(&mut set, &mut resources, &twice).unwrap_err();
    assert_eq!(
        err.to_string(),
        "merging vars [{S Service.v1.[noGrp] {}} {S Service.v1.[noGrp] {}}]"
    );
    assert_eq!(
        std::error::Error::source(&err).unwrap().to_string(),
        "var 'S' already encountered"
    );
    let mut other = VarSet::new();
    other.merge(&twice[0]).unwrap();
    let mut parent = VarSet::new();
    parent.merge(&twice[0]).unwrap();
    assert_eq!(
        parent.merge_set(&other).unwrap_err().to_string(),
        "var 'S' already encountered"
    );
}

#[test]
fn objref_without_namespace_matching_two_objects_is_ambiguous() {
    let mut resources = ResMap::from(vec![service("e", "dev"), service("e", "test")]);
    let mut set = VarSet::new();
    let ambiguous = vars(
        json!([{"name": "S", "objref": {"kind": "Service", "name": "e", "apiVersion": "v1"}}]),
    );
    let err = merge_vars(&mut set, &mut resources, &ambiguous).unwrap_err();
    assert_eq!(
        std::error::Error::source(&err).unwrap().to_string(),
        "found 2 resId matches for var {S Service.v1.[noGrp] {}} (unable to disambiguate)"
    );
    let with_namespace = vars(
        json!([{"name": "S", "objref": {"kind": "Service", "name": "e",
        "apiVersion": "v1", "namespace": "test"}, "fieldref": {"fieldPath": "metadata.namespace"}}]),
    );
    merge_vars(&mut set, &mut resources, &with_namespace).unwrap();
    assert_eq!(resources.as_slice()[1].annotation(REF_VAR_NAMES), Some("S"));
}

#[test]
fn objrefs_use_names_before_prefixes_and_values_the_final_ones() {
    let mut renamed = service("p-db", "");
    renamed.set_annotation(PREVIOUS_NAMES, "db");
    renamed.set_annotation(PREVIOUS_KINDS, "Service");
    renamed.set_annotation(PREVIOUS_NAMESPACES, "");
    let pod = Resource::new(json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "app", "labels": {"db": "$(DB)"}},
        "spec": {"containers": [{"name": "c", "image": "$(DB)",
            "args": ["$(PORT)", "$(DB):$(PORT)", "$(NOPE)"],
            "env": [{"name": "E", "value": "$(PORT)"}]}]}}));
    let mut resources = ResMap::from(vec![renamed, pod]);
    let mut set = VarSet::new();
    let declared = vars(json!([
        {"name": "DB", "objref": {"kind": "Service", "name": "db", "apiVersion": "v1"}},
        {"name": "PORT", "objref": {"kind": "Service", "name": "db", "apiVersion": "v1"},
         "fieldref": {"fieldPath": "spec.ports[0].port"}},
        {"name": "UNUSED", "objref": {"kind": "Service", "name": "db", "apiVersion": "v1"}}]));
    merge_vars(&mut set, &mut resources, &declared).unwrap();
    let unused = resolve_vars(&mut resources, &set, &[]).unwrap();
    assert_eq!(unused, ["UNUSED"]);
    let pod = resources.as_slice()[1].object();
    assert_eq!(pod["metadata"]["labels"]["db"], "p-db");
    let container = &pod["spec"]["containers"][0];
    // `image` is not a var reference field; args and env values are.
    assert_eq!(container["image"], "$(DB)");
    assert_eq!(container["args"], json!([9300, "p-db:9300", "$(NOPE)"]));
    assert_eq!(container["env"][0]["value"], json!(9300));
    // The bookkeeping annotation is gone.
    assert!(resources
        .iter()
        .all(|r| r.annotation(REF_VAR_NAMES).is_none()));
}

#[test]
fn configurations_add_reference_fields() {
    let mut resources = ResMap::from(vec![
        service("db", ""),
        Resource::new(json!({"apiVersion": "example.com/v1", "kind": "App",
            "metadata": {"name": "a"}, "spec": {"dsn": "$(DB)"}})),
    ]);
    let mut set = VarSet::new();
    merge_vars(
        &mut set,
        &mut resources,
        &vars(
            json!([{"name": "DB", "objref": {"kind": "Service", "name": "db", "version": "v1"}}]),
        ),
    )
    .unwrap();
    let extra = [FieldSpec::new("spec/dsn").kind("App")];
    resolve_vars(&mut resources, &set, &extra).unwrap();
    assert_eq!(resources.as_slice()[1].object()["spec"]["dsn"], "db");
}

#[test]
fn unmapped_vars_and_missing_fields_fail() {
    let mut resources = ResMap::from(vec![service("db", "")]);
    let mut set = VarSet::new();
    merge_vars(
        &mut set,
        &mut resources,
        &vars(json!([{"name": "S", "objref": {"kind": "Service", "name": "db"}}])),
    )
    .unwrap();
    let err = resolve_vars(&mut resources, &set, &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "var '{S Service.[noVer].[noGrp] {metadata.name}}' cannot be mapped to a field in the set of known resources"
    );

    let mut set = VarSet::new();
    merge_vars(
        &mut set,
        &mut resources,
        &vars(
            json!([{"name": "S", "objref": {"kind": "Service", "name": "db", "version": "v1"},
            "fieldref": {"fieldPath": "spec.nope"}}]),
        ),
    )
    .unwrap();
    let err = resolve_vars(&mut resources, &set, &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "field specified in var '{S Service.v1.[noGrp] {spec.nope}}' not found in corresponding resource"
    );
}

#[test]
fn lists_in_reference_fields_must_hold_strings() {
    let mut resources = ResMap::from(vec![
        service("db", ""),
        Resource::new(
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "args": [1, "$(S)"]}]}}),
        ),
    ]);
    let mut set = VarSet::new();
    merge_vars(
        &mut set,
        &mut resources,
        &vars(json!([{"name": "S", "objref": {"kind": "Service", "name": "db", "version": "v1"}}])),
    )
    .unwrap();
    let err = resolve_vars(&mut resources, &set, &[]).unwrap_err();
    assert!(
        err.to_string()
            .contains("invalid value type expect a string"),
        "{err}"
    );
}

#[test]
fn slice_indexes_become_path_parts() {
    assert_eq!(
        field_path_parts("spec.containers[0].ports[12].containerPort"),
        ["spec", "containers", "0", "ports", "12", "containerPort"]
    );
    assert_eq!(field_path_parts("a.[1]"), ["a", "1"]);
    assert_eq!(field_path_parts("a[x].b"), ["a[x]", "b"]);
}
