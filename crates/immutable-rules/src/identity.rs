//! Which objects are "the same object" for the API server (group + kind + namespace + name,
//! with the historic group aliases), and pairing two sets of objects by that identity.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

use crate::violation::ObjectRef;

/// The group a kind is stored under, folding historic aliases of one storage:
/// `extensions` Deployment/DaemonSet/ReplicaSet → `apps`, `extensions` Ingress/NetworkPolicy →
/// `networking.k8s.io`, core `Event` → `events.k8s.io`.
///
/// ```
/// use immutable_rules::canonical_group;
/// assert_eq!(canonical_group("extensions", "Deployment"), "apps");
/// assert_eq!(canonical_group("", "Event"), "events.k8s.io");
/// assert_eq!(canonical_group("", "ConfigMap"), "");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn canonical_group<'a>(group: &'a str, kind: &str) -> &'a str {
    match (group, kind) {
        ("extensions", "Deployment" | "DaemonSet" | "ReplicaSet") => "apps",
        ("extensions", "Ingress" | "NetworkPolicy") => "networking.k8s.io",
        ("extensions", "PodSecurityPolicy") => "policy",
        ("", "Event") => "events.k8s.io",
        _ => group,
    }
}

/// The identity of an object: what the API server's URL names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ObjectKey {
    /// Canonical API group (see [`canonical_group`]).
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Namespace, `""` when the manifest has none.
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl ObjectKey {
    /// The identity of an untyped object.
    pub fn of(object: &Value) -> Self {
        let r = ObjectRef::of(object);
        Self {
            group: canonical_group(&r.group, &r.kind).to_owned(),
            kind: r.kind,
            namespace: r.namespace.unwrap_or_default(),
            name: r.name,
        }
    }
}

/// Objects of two sets matched by identity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Pairing {
    /// `(index in old, index in new)` of objects present in both, in the order of `new`.
    pub pairs: Vec<(usize, usize)>,
    /// Indexes in old with no counterpart in new (GitOps prunes them).
    pub removed: Vec<usize>,
    /// Indexes in new with no counterpart in old (GitOps creates them).
    pub added: Vec<usize>,
}

/// Pair the objects of two multi-object sets by group/kind/namespace/name.
///
/// ```
/// use serde_json::json;
/// let old = [json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}),
///            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}})];
/// let new = [json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}),
///            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}})];
/// let p = immutable_rules::pair_objects(&old, &new);
/// assert_eq!(p.pairs, vec![(0, 1)]);
/// assert_eq!(p.removed, vec![1]);
/// assert_eq!(p.added, vec![0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn pair_objects(old: &[Value], new: &[Value]) -> Pairing {
    let mut by_key: HashMap<ObjectKey, usize> = HashMap::with_capacity(old.len());
    for (i, object) in old.iter().enumerate() {
        by_key.entry(ObjectKey::of(object)).or_insert(i);
    }
    let mut pairing = Pairing::default();
    let mut matched = vec![false; old.len()];
    for (j, object) in new.iter().enumerate() {
        match by_key.get(&ObjectKey::of(object)) {
            Some(&i) if !matched[i] => {
                matched[i] = true;
                pairing.pairs.push((i, j));
            }
            _ => pairing.added.push(j),
        }
    }
    pairing.removed = (0..old.len()).filter(|&i| !matched[i]).collect();
    pairing
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn aliases_pair_as_one_object() {
        let old = [
            json!({"apiVersion": "extensions/v1beta1", "kind": "Deployment", "metadata": {"name": "w", "namespace": "p"}}),
        ];
        let new = [
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w", "namespace": "p"}}),
        ];
        assert_eq!(pair_objects(&old, &new).pairs, vec![(0, 0)]);
        let other_ns = [
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w", "namespace": "q"}}),
        ];
        let p = pair_objects(&old, &other_ns);
        assert!(p.pairs.is_empty());
        assert_eq!((p.removed, p.added), (vec![0], vec![0]));
    }
}
