//! Build bookkeeping that travels with each object in kustomize's internal annotations.
//!
//! Transformers that rename objects record the previous identity (`previousNames`,
//! `previousNamespaces`, `previousKinds`, comma-separated, oldest first) and the prefixes and
//! suffixes applied; generators record their `behavior` and whether a content hash is wanted. The
//! name-reference step at the end of a build reads them back, so references are fixed across
//! nested kustomizations. The output step removes them with [`strip_build_annotations`].

use crate::value::Value;

use crate::config::scope::is_cluster_scoped;
use crate::resource::{ResId, Resource};

/// Names the object had before each rename, oldest first.
pub const PREVIOUS_NAMES: &str = "internal.config.kubernetes.io/previousNames";
/// Namespaces (effective: `default` for none) the object had before each rename.
pub const PREVIOUS_NAMESPACES: &str = "internal.config.kubernetes.io/previousNamespaces";
/// Kinds the object had before each rename.
pub const PREVIOUS_KINDS: &str = "internal.config.kubernetes.io/previousKinds";
/// Name prefixes applied, innermost first.
pub const PREFIXES: &str = "internal.config.kubernetes.io/prefixes";
/// Name suffixes applied, innermost first.
pub const SUFFIXES: &str = "internal.config.kubernetes.io/suffixes";
/// Objects that refer to this one (kustomize's `refBy`).
pub const REF_BY: &str = "internal.config.kubernetes.io/refBy";
/// The generator behavior: `create`, `merge`, `replace` or `unspecified`.
pub const GENERATOR_BEHAVIOR: &str = "internal.config.kubernetes.io/generatorBehavior";
/// `enabled` when a content hash suffix is to be added to the name.
pub const NEEDS_HASH_SUFFIX: &str = "internal.config.kubernetes.io/needsHashSuffix";
/// `enabled` when a patch may change its target's name.
pub const ALLOW_NAME_CHANGE: &str = "internal.config.kubernetes.io/allowNameChange";
/// `enabled` when a patch may change its target's kind.
pub const ALLOW_KIND_CHANGE: &str = "internal.config.kubernetes.io/allowKindChange";

/// Every annotation a build adds for its own use; none reaches the output.
pub const BUILD_ANNOTATIONS: &[&str] = &[
    PREVIOUS_KINDS,
    PREVIOUS_NAMES,
    PREFIXES,
    SUFFIXES,
    PREVIOUS_NAMESPACES,
    ALLOW_NAME_CHANGE,
    ALLOW_KIND_CHANGE,
    REF_BY,
    GENERATOR_BEHAVIOR,
    NEEDS_HASH_SUFFIX,
    "config.kubernetes.io/path",
    "config.kubernetes.io/index",
    "internal.config.kubernetes.io/seqindent",
    "internal.config.kubernetes.io/id",
    "config.k8s.io/id",
    "internal.config.kubernetes.io/path",
    "internal.config.kubernetes.io/index",
    "internal.config.kubernetes.io/annotations-migration-resource-id",
    crate::yaml::EMPTY_NULLS_ANNOTATION,
    crate::shared_values::SHARED_VALUES_ANNOTATION,
];

/// The stand-in namespace kustomize uses for cluster-scoped objects in comparisons.
pub const NOT_NAMESPACEABLE: &str = "_non_namespaceable_";

/// The value kustomize stores in flag annotations.
pub const ENABLED: &str = "enabled";

/// Remove every build annotation; `metadata.annotations` goes away when nothing else is left.
pub fn strip_build_annotations(resource: &mut Resource) {
    for key in BUILD_ANNOTATIONS {
        resource.remove_annotation(key);
    }
}

/// A comma-separated annotation as a list; `None` when the annotation is absent.
pub fn csv_annotation(resource: &Resource, key: &str) -> Option<Vec<String>> {
    resource
        .annotation(key)
        .map(|v| v.split(',').map(str::to_owned).collect())
}

/// Append `value` to a comma-separated annotation; empty values are not recorded.
pub fn append_csv_annotation(resource: &mut Resource, key: &str, value: &str) {
    if value.is_empty() {
        return;
    }
    let joined = match resource.annotation(key) {
        Some(current) => format!("{current},{value}"),
        None => value.to_owned(),
    };
    resource.set_annotation(key, &joined);
}

/// Whether objects with this id are cluster-scoped (per kustomize's built-in schema).
pub fn id_is_cluster_scoped(id: &ResId) -> bool {
    is_cluster_scoped(&id.api_version(), &id.kind)
}

/// The namespace kustomize compares by: `_non_namespaceable_` for cluster-scoped kinds, `default`
/// for none, else the namespace.
pub fn effective_namespace(id: &ResId) -> String {
    if id_is_cluster_scoped(id) {
        NOT_NAMESPACEABLE.to_owned()
    } else if id.namespace.is_empty() || id.namespace == "default" {
        "default".to_owned()
    } else {
        id.namespace.clone()
    }
}

/// Whether two ids are in the same namespace, `""` and `default` being the same.
pub fn same_namespace(a: &ResId, b: &ResId) -> bool {
    effective_namespace(a) == effective_namespace(b)
}

/// kustomize's id equality: same group, version, kind and name, and the same effective namespace.
pub fn ids_equal(a: &ResId, b: &ResId) -> bool {
    a.group == b.group
        && a.version == b.version
        && a.kind == b.kind
        && a.name == b.name
        && same_namespace(a, b)
}

/// The ids the object had before each rename, oldest first (empty when never renamed).
pub fn previous_ids(resource: &Resource) -> Vec<ResId> {
    let Some(names) = csv_annotation(resource, PREVIOUS_NAMES) else {
        return Vec::new();
    };
    let namespaces = csv_annotation(resource, PREVIOUS_NAMESPACES).unwrap_or_default();
    let kinds = csv_annotation(resource, PREVIOUS_KINDS).unwrap_or_default();
    let current = resource.id();
    names
        .into_iter()
        .enumerate()
        .map(|(i, name)| ResId {
            group: current.group.clone(),
            version: current.version.clone(),
            kind: kinds.get(i).cloned().unwrap_or_default(),
            namespace: namespaces.get(i).cloned().unwrap_or_default(),
            name,
        })
        .collect()
}

/// The id the object had when it entered the build (its oldest previous id, else its current id).
pub fn original_id(resource: &Resource) -> ResId {
    previous_ids(resource)
        .into_iter()
        .next()
        .unwrap_or_else(|| resource.id())
}

/// Record the current id as a previous one, before a transformer renames the object.
pub fn store_previous_id(resource: &mut Resource) {
    let id = resource.id();
    append_csv_annotation(resource, PREVIOUS_NAMES, &id.name);
    append_csv_annotation(resource, PREVIOUS_NAMESPACES, &effective_namespace(&id));
    append_csv_annotation(resource, PREVIOUS_KINDS, &id.kind);
}

/// Whether the current id or any previous id satisfies `matches`.
pub fn any_id_matches(resource: &Resource, matches: impl Fn(&ResId) -> bool) -> bool {
    matches(&resource.id()) || previous_ids(resource).iter().any(matches)
}

/// Prefixes applied to the name so far.
pub fn name_prefixes(resource: &Resource) -> Vec<String> {
    csv_annotation(resource, PREFIXES).unwrap_or_default()
}

/// Suffixes applied to the name so far.
pub fn name_suffixes(resource: &Resource) -> Vec<String> {
    csv_annotation(resource, SUFFIXES).unwrap_or_default()
}

/// Whether a hash suffix is to be added to the object's name.
pub fn needs_hash_suffix(resource: &Resource) -> bool {
    resource.annotation(NEEDS_HASH_SUFFIX) == Some(ENABLED)
}

/// The generator behavior recorded on the object.
pub fn behavior(resource: &Resource) -> &str {
    resource
        .annotation(GENERATOR_BEHAVIOR)
        .unwrap_or("unspecified")
}

/// Whether the object is empty (kustomize skips empty objects in some transformers).
pub fn is_empty_object(resource: &Resource) -> bool {
    match resource.object() {
        Value::Null => true,
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

/// kustomize's check that two lists end the same way (`[a b c]` and `[b c]` do; an empty list
/// only matches an empty list).
pub fn same_ending(a: &[String], b: &[String]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.is_empty() {
        return long.is_empty();
    }
    let diff = long.len() - short.len();
    short.iter().enumerate().all(|(i, s)| &long[i + diff] == s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn previous_ids_round_trip_through_annotations() {
        let mut r = Resource::new(
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}),
        );
        assert_eq!(original_id(&r).name, "a");
        store_previous_id(&mut r);
        r.set_name("p-a");
        store_previous_id(&mut r);
        r.set_name("p-a-s");
        let prev = previous_ids(&r);
        assert_eq!(prev.len(), 2);
        assert_eq!(
            (prev[0].name.as_str(), prev[0].namespace.as_str()),
            ("a", "default")
        );
        assert_eq!(original_id(&r).name, "a");
        assert!(any_id_matches(&r, |id| id.name == "p-a"));
        strip_build_annotations(&mut r);
        assert!(r.annotations().is_none());
    }

    #[test]
    fn cluster_scoped_objects_have_no_namespace_for_comparisons() {
        let ns =
            ResId::of(&json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}));
        assert_eq!(effective_namespace(&ns), NOT_NAMESPACEABLE);
        let a = ResId::of(
            &json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x", "namespace": "default"}}),
        );
        let b =
            ResId::of(&json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}}));
        assert!(ids_equal(&a, &b));
    }

    #[test]
    fn same_ending_compares_suffix_lists() {
        let v = |s: &[&str]| s.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert!(same_ending(&v(&["a", "b", "c"]), &v(&["b", "c"])));
        assert!(!same_ending(&v(&["a", "b", "c"]), &v(&["a", "b"])));
        assert!(!same_ending(&v(&[]), &v(&["a"])));
        assert!(same_ending(&v(&[]), &v(&[])));
    }
}
