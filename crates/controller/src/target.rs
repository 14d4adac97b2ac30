//! Finding the API resource (group, version, plural, scope) of an object named only by kind.
//!
//! Flux and API-server messages name kinds without their group (`DaemonSet/jhub/eosfuse`). The
//! controller resolves them, most exact first: the Kustomization's `status.inventory` (it records
//! the exact group and version Flux applied), then a table of built-in kinds, then API discovery.

use kube::api::{ApiResource, GroupVersionKind};

use crate::flux::{InventoryEntry, ObjectRef};

/// Built-in kinds: (kind, group, version, namespaced). Covers the kinds immutable-field errors
/// are reported for, plus the protected kinds.
const BUILTIN_KINDS: &[(&str, &str, &str, bool)] = &[
    ("ConfigMap", "", "v1", true),
    ("Secret", "", "v1", true),
    ("Service", "", "v1", true),
    ("ServiceAccount", "", "v1", true),
    ("PersistentVolumeClaim", "", "v1", true),
    ("Pod", "", "v1", true),
    ("Namespace", "", "v1", false),
    ("PersistentVolume", "", "v1", false),
    ("Deployment", "apps", "v1", true),
    ("StatefulSet", "apps", "v1", true),
    ("DaemonSet", "apps", "v1", true),
    ("ReplicaSet", "apps", "v1", true),
    ("Job", "batch", "v1", true),
    ("CronJob", "batch", "v1", true),
    ("Ingress", "networking.k8s.io", "v1", true),
    ("NetworkPolicy", "networking.k8s.io", "v1", true),
    ("IngressClass", "networking.k8s.io", "v1", false),
    ("PodDisruptionBudget", "policy", "v1", true),
    ("Role", "rbac.authorization.k8s.io", "v1", true),
    ("RoleBinding", "rbac.authorization.k8s.io", "v1", true),
    ("ClusterRole", "rbac.authorization.k8s.io", "v1", false),
    (
        "ClusterRoleBinding",
        "rbac.authorization.k8s.io",
        "v1",
        false,
    ),
    ("StorageClass", "storage.k8s.io", "v1", false),
    ("CSIDriver", "storage.k8s.io", "v1", false),
    ("PriorityClass", "scheduling.k8s.io", "v1", false),
    (
        "CustomResourceDefinition",
        "apiextensions.k8s.io",
        "v1",
        false,
    ),
    (
        "MutatingWebhookConfiguration",
        "admissionregistration.k8s.io",
        "v1",
        false,
    ),
    (
        "ValidatingWebhookConfiguration",
        "admissionregistration.k8s.io",
        "v1",
        false,
    ),
    ("APIService", "apiregistration.k8s.io", "v1", false),
    ("HorizontalPodAutoscaler", "autoscaling", "v2", true),
];

/// Flux source kinds (namespaced, group `source.toolkit.fluxcd.io`). `ExternalArtifact` is the
/// source kind Flux 2.7 added for artifacts produced outside source-controller.
const SOURCE_KINDS: &[&str] = &[
    "GitRepository",
    "OCIRepository",
    "HelmRepository",
    "HelmChart",
    "Bucket",
    "ExternalArtifact",
];

/// An API resource plus whether it is namespaced.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The resource.
    pub resource: ApiResource,
    /// Namespaced (`true`) or cluster-scoped.
    pub namespaced: bool,
}

/// Whether a kind is known to be cluster-scoped (built-in table only).
pub fn is_cluster_scoped_kind(kind: &str) -> bool {
    BUILTIN_KINDS
        .iter()
        .any(|(k, _, _, namespaced)| *k == kind && !namespaced)
}

/// Resolves a kind from the inventory (matching name and namespace), the built-in table, or the
/// Flux source kinds. `None` means discovery is needed.
pub fn resolve_static(target: &ObjectRef, inventory: &[InventoryEntry]) -> Option<Resolved> {
    if let Some(api_version) = &target.api_version {
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let gvk = GroupVersionKind::gvk(group, version, &target.kind);
        let namespaced = target.namespace.is_some();
        return Some(Resolved {
            resource: ApiResource::from_gvk(&gvk),
            namespaced,
        });
    }
    let from_inventory = inventory.iter().find(|e| {
        e.kind == target.kind
            && e.name == target.name
            && target
                .namespace
                .as_deref()
                .is_none_or(|ns| ns == e.namespace)
    });
    if let Some(entry) = from_inventory {
        let gvk = GroupVersionKind::gvk(&entry.group, &entry.version, &entry.kind);
        return Some(Resolved {
            resource: ApiResource::from_gvk(&gvk),
            namespaced: !entry.namespace.is_empty(),
        });
    }
    if let Some((kind, group, version, namespaced)) =
        BUILTIN_KINDS.iter().find(|(k, ..)| *k == target.kind)
    {
        let gvk = GroupVersionKind::gvk(group, version, kind);
        return Some(Resolved {
            resource: ApiResource::from_gvk(&gvk),
            namespaced: *namespaced,
        });
    }
    if SOURCE_KINDS.contains(&target.kind.as_str()) {
        let gvk = GroupVersionKind::gvk("source.toolkit.fluxcd.io", "v1", &target.kind);
        return Some(Resolved {
            resource: ApiResource::from_gvk(&gvk),
            namespaced: true,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(kind: &str, ns: Option<&str>) -> ObjectRef {
        ObjectRef {
            api_version: None,
            kind: kind.into(),
            namespace: ns.map(Into::into),
            name: "x".into(),
        }
    }

    #[test]
    fn inventory_wins_over_builtin_table() {
        let inv = vec![InventoryEntry::parse("ns_x_example.com_Deployment", "v9").unwrap()];
        let got = resolve_static(&r("Deployment", Some("ns")), &inv).unwrap();
        assert_eq!(got.resource.group, "example.com");
        assert_eq!(got.resource.version, "v9");
        assert_eq!(got.resource.plural, "deployments");
    }

    #[test]
    fn builtin_kinds_have_their_scope() {
        let sts = resolve_static(&r("StatefulSet", Some("ns")), &[]).unwrap();
        assert_eq!(sts.resource.api_version, "apps/v1");
        assert!(sts.namespaced);
        let ns = resolve_static(&r("Namespace", None), &[]).unwrap();
        assert!(!ns.namespaced);
        assert_eq!(ns.resource.plural, "namespaces");
        assert!(is_cluster_scoped_kind("CustomResourceDefinition"));
        assert!(!is_cluster_scoped_kind("Deployment"));
    }

    #[test]
    fn unknown_kinds_need_discovery() {
        assert!(resolve_static(&r("Widget", Some("ns")), &[]).is_none());
    }

    #[test]
    fn sources_resolve_to_source_toolkit() {
        let got = resolve_static(&r("GitRepository", Some("flux-system")), &[]).unwrap();
        assert_eq!(got.resource.api_version, "source.toolkit.fluxcd.io/v1");
        assert_eq!(got.resource.plural, "gitrepositories");
    }
}
