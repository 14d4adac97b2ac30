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

/// Flux's own kinds besides the sources: (kind, group, version, short name).
const FLUX_KINDS: &[(&str, &str, &str, &str)] = &[
    ("Kustomization", "kustomize.toolkit.fluxcd.io", "v1", "ks"),
    ("HelmRelease", "helm.toolkit.fluxcd.io", "v2", "hr"),
];

/// A `KIND/NAME` argument as kubectl accepts it: `configmap/x`, `deployments.apps/x`,
/// `kustomization/x`, `ks/x`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindName {
    /// The kind as written, lower-cased (singular, plural or short name).
    pub kind: String,
    /// The group after the first `.`, if written.
    pub group: Option<String>,
    /// The object's name.
    pub name: String,
}

impl KindName {
    /// Parses `KIND[.GROUP]/NAME`; `None` when either part is missing.
    ///
    /// ```
    /// use recovery_actions::target::KindName;
    /// let parsed = KindName::parse("Deployment.apps/web").unwrap();
    /// assert_eq!((parsed.kind.as_str(), parsed.group.as_deref(), parsed.name.as_str()), ("deployment", Some("apps"), "web"));
    /// assert!(KindName::parse("web").is_none());
    /// ```
    pub fn parse(text: &str) -> Option<Self> {
        let (kind, name) = text.split_once('/')?;
        if kind.is_empty() || name.is_empty() || name.contains('/') {
            return None;
        }
        let kind = kind.to_ascii_lowercase();
        let (kind, group) = match kind.split_once('.') {
            Some((kind, group)) => (kind.to_owned(), Some(group.to_owned())),
            None => (kind, None),
        };
        Some(KindName {
            kind,
            group,
            name: name.to_owned(),
        })
    }

    /// Whether an API resource answers to this kind: its kind, plural or listed short name,
    /// case-insensitively, in the written group if any.
    pub fn matches(&self, resource: &ApiResource, short_names: &[&str]) -> bool {
        let kind_matches = resource.kind.eq_ignore_ascii_case(&self.kind)
            || resource.plural.eq_ignore_ascii_case(&self.kind)
            || short_names
                .iter()
                .any(|s| s.eq_ignore_ascii_case(&self.kind));
        kind_matches && self.group.as_deref().is_none_or(|g| g == resource.group)
    }
}

/// Resolves a kubectl-style kind from the built-in table, Flux's kinds and the Flux sources;
/// `None` means discovery is needed.
pub fn resolve_kind_static(kind: &KindName) -> Option<Resolved> {
    let builtin = BUILTIN_KINDS
        .iter()
        .map(|(k, g, v, namespaced)| (*k, *g, *v, *namespaced, ""));
    let flux = FLUX_KINDS
        .iter()
        .map(|(k, g, v, short)| (*k, *g, *v, true, *short));
    let sources = SOURCE_KINDS
        .iter()
        .map(|k| (*k, "source.toolkit.fluxcd.io", "v1", true, ""));
    builtin
        .chain(flux)
        .chain(sources)
        .find_map(|(k, g, v, namespaced, short)| {
            let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(g, v, k));
            kind.matches(&resource, &[short]).then_some(Resolved {
                resource,
                namespaced,
            })
        })
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
    fn kubectl_kind_names_resolve() {
        let resolve = |text: &str| resolve_kind_static(&KindName::parse(text).unwrap());
        assert_eq!(
            resolve("configmap/x").unwrap().resource.plural,
            "configmaps"
        );
        assert_eq!(
            resolve("deployments.apps/x").unwrap().resource.kind,
            "Deployment"
        );
        assert_eq!(
            resolve("ks/x").unwrap().resource.group,
            "kustomize.toolkit.fluxcd.io"
        );
        assert_eq!(resolve("HelmRelease/x").unwrap().resource.version, "v2");
        assert!(resolve("deployment.example.com/x").is_none());
        assert!(resolve("widget/x").is_none());
    }

    #[test]
    fn sources_resolve_to_source_toolkit() {
        let got = resolve_static(&r("GitRepository", Some("flux-system")), &[]).unwrap();
        assert_eq!(got.resource.api_version, "source.toolkit.fluxcd.io/v1");
        assert_eq!(got.resource.plural, "gitrepositories");
    }
}
