//! Which kinds are cluster-scoped.
//!
//! kustomize decides this from its built-in Kubernetes v1.21.2 `OpenAPI` data, by exact
//! `apiVersion` and `kind`: a kind missing from that data (every CRD kind, and older API versions
//! such as `rbac.authorization.k8s.io/v1alpha1`) counts as namespaced. The table below lists the
//! kinds that data marks cluster-scoped; a test checks it against the schema file when present.

/// `(apiVersion, kind)` of every cluster-scoped kind in the Kubernetes v1.21.2 API.
pub const CLUSTER_SCOPED: &[(&str, &str)] = &[
    (
        "admissionregistration.k8s.io/v1",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        "ValidatingWebhookConfiguration",
    ),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
    ("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition"),
    ("apiregistration.k8s.io/v1", "APIService"),
    ("apiregistration.k8s.io/v1beta1", "APIService"),
    ("certificates.k8s.io/v1", "CertificateSigningRequest"),
    ("certificates.k8s.io/v1beta1", "CertificateSigningRequest"),
    ("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema"),
    (
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "PriorityLevelConfiguration",
    ),
    ("networking.k8s.io/v1", "IngressClass"),
    ("networking.k8s.io/v1beta1", "IngressClass"),
    ("node.k8s.io/v1", "RuntimeClass"),
    ("node.k8s.io/v1beta1", "RuntimeClass"),
    ("policy/v1beta1", "PodSecurityPolicy"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRoleBinding"),
    ("scheduling.k8s.io/v1", "PriorityClass"),
    ("scheduling.k8s.io/v1beta1", "PriorityClass"),
    ("storage.k8s.io/v1", "CSIDriver"),
    ("storage.k8s.io/v1", "CSINode"),
    ("storage.k8s.io/v1", "StorageClass"),
    ("storage.k8s.io/v1", "VolumeAttachment"),
    ("storage.k8s.io/v1beta1", "CSIDriver"),
    ("storage.k8s.io/v1beta1", "CSINode"),
    ("storage.k8s.io/v1beta1", "StorageClass"),
    ("storage.k8s.io/v1beta1", "VolumeAttachment"),
    ("v1", "ComponentStatus"),
    ("v1", "Namespace"),
    ("v1", "Node"),
    ("v1", "NodeProxyOptions"),
    ("v1", "PersistentVolume"),
];

/// Whether objects of this `apiVersion` and `kind` are certainly cluster-scoped.
pub fn is_cluster_scoped(api_version: &str, kind: &str) -> bool {
    CLUSTER_SCOPED
        .iter()
        .any(|(v, k)| *k == kind && *v == api_version)
}

/// [`is_cluster_scoped`] for an `apiVersion` given as group and version (the core group empty),
/// without joining them.
pub fn is_cluster_scoped_gvk(group: &str, version: &str, kind: &str) -> bool {
    CLUSTER_SCOPED.iter().any(|(api_version, k)| {
        *k == kind
            && match api_version.split_once('/') {
                Some((g, v)) => g == group && v == version,
                None => group.is_empty() && *api_version == version,
            }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_kinds_are_classified_by_exact_api_version() {
        assert!(is_cluster_scoped("v1", "Namespace"));
        assert!(is_cluster_scoped(
            "rbac.authorization.k8s.io/v1",
            "ClusterRole"
        ));
        assert!(!is_cluster_scoped("v1", "ConfigMap"));
        assert!(!is_cluster_scoped(
            "rbac.authorization.k8s.io/v1alpha1",
            "ClusterRole"
        ));
        assert!(!is_cluster_scoped("example.com/v1", "Widget"));
    }

    /// The table matches the schema's `scope: Cluster` entries, when the shared schema is around.
    #[test]
    fn table_matches_the_kubernetes_schema_when_available() {
        // `shared/` sits beside the repository; look for it in every ancestor directory.
        let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let Some(path) = manifest
            .ancestors()
            .map(|dir| dir.join("shared/reference/kubernetes-openapi-v1.21.2.json.gz"))
            .find(|candidate| candidate.exists())
        else {
            eprintln!("skipping: shared/reference/kubernetes-openapi-v1.21.2.json.gz not found");
            return;
        };
        let Some(text) = gunzip_with_system_tool(&path) else {
            eprintln!("skipping: no gzip tool to read {}", path.display());
            return;
        };
        let schema: crate::value::Value = serde_json::from_str(&text).unwrap();
        let mut from_schema: Vec<(String, String)> = schema["resources"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["scope"] == "Cluster")
            .map(|r| {
                (
                    r["apiVersion"].as_str().unwrap().to_owned(),
                    r["kind"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        from_schema.sort();
        let mut table: Vec<(String, String)> = CLUSTER_SCOPED
            .iter()
            .map(|(v, k)| ((*v).to_owned(), (*k).to_owned()))
            .collect();
        table.sort();
        assert_eq!(table, from_schema);
    }

    fn gunzip_with_system_tool(path: &std::path::Path) -> Option<String> {
        let out = std::process::Command::new("gzip")
            .arg("-dc")
            .arg(path)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8(out.stdout).ok())?
    }
}
