//! The API resources the stand-in serves: a table of built-in kinds plus one entry per custom
//! resource, found from `CustomResourceDefinition` objects or inferred from the objects themselves.

use serde_json::{json, Value};

/// One API resource (a REST collection), as discovery describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// API group (`""` for the core group).
    pub group: String,
    /// Version, e.g. `v1`.
    pub version: String,
    /// Kind, e.g. `Deployment`.
    pub kind: String,
    /// Plural resource name used in URLs, e.g. `deployments`.
    pub plural: String,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
    /// Whether `status` is a subresource (main-resource writes then leave it alone).
    pub status_subresource: bool,
    /// Built-in kinds accept strategic-merge patches; custom resources refuse them (415).
    pub builtin: bool,
    /// Short names for kubectl.
    pub short_names: Vec<String>,
}

impl Resource {
    /// `group/version`, or `version` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `plural.group` (just `plural` for the core group), as in API error messages.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// The lower-case singular name.
    pub fn singular(&self) -> String {
        self.kind.to_ascii_lowercase()
    }

    fn verbs() -> Value {
        json!([
            "create",
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "update",
            "watch"
        ])
    }

    /// Entries of an `APIResourceList` for this resource and its subresources.
    pub fn legacy_discovery(&self) -> Vec<Value> {
        let mut out = vec![json!({
            "name": self.plural,
            "singularName": self.singular(),
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": Self::verbs(),
            "shortNames": self.short_names,
        })];
        for sub in self.subresources() {
            out.push(json!({
                "name": format!("{}/{sub}", self.plural),
                "singularName": "",
                "namespaced": self.namespaced,
                "kind": self.kind,
                "verbs": ["get", "patch", "update"],
            }));
        }
        out
    }

    /// The resource as an `apidiscovery.k8s.io/v2` `APIResourceDiscovery`.
    pub fn aggregated_discovery(&self) -> Value {
        let subresources: Vec<Value> = self
            .subresources()
            .into_iter()
            .map(|sub| {
                json!({
                    "subresource": sub,
                    "responseKind": {"group": self.group, "version": self.version, "kind": self.kind},
                    "verbs": ["get", "patch", "update"],
                })
            })
            .collect();
        json!({
            "resource": self.plural,
            "responseKind": {"group": self.group, "version": self.version, "kind": self.kind},
            "scope": if self.namespaced { "Namespaced" } else { "Cluster" },
            "singularResource": self.singular(),
            "verbs": Self::verbs(),
            "shortNames": self.short_names,
            "subresources": subresources,
        })
    }

    fn subresources(&self) -> Vec<&'static str> {
        let mut subs = Vec::new();
        if self.status_subresource {
            subs.push("status");
        }
        if self.group.is_empty() && self.plural == "namespaces" {
            subs.push("finalize");
        }
        subs
    }
}

/// Built-in kinds: kind, group, version, plural, namespaced, status subresource, short names.
/// kind, group, version, plural, namespaced, status subresource, short names.
type BuiltinRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    bool,
    &'static [&'static str],
);

const BUILTIN: &[BuiltinRow] = &[
    ("Namespace", "", "v1", "namespaces", false, true, &["ns"]),
    ("ConfigMap", "", "v1", "configmaps", true, false, &["cm"]),
    ("Secret", "", "v1", "secrets", true, false, &[]),
    ("Service", "", "v1", "services", true, true, &["svc"]),
    (
        "ServiceAccount",
        "",
        "v1",
        "serviceaccounts",
        true,
        false,
        &["sa"],
    ),
    (
        "PersistentVolumeClaim",
        "",
        "v1",
        "persistentvolumeclaims",
        true,
        true,
        &["pvc"],
    ),
    (
        "PersistentVolume",
        "",
        "v1",
        "persistentvolumes",
        false,
        true,
        &["pv"],
    ),
    ("Pod", "", "v1", "pods", true, true, &["po"]),
    ("Event", "", "v1", "events", true, false, &["ev"]),
    (
        "Deployment",
        "apps",
        "v1",
        "deployments",
        true,
        true,
        &["deploy"],
    ),
    (
        "StatefulSet",
        "apps",
        "v1",
        "statefulsets",
        true,
        true,
        &["sts"],
    ),
    ("DaemonSet", "apps", "v1", "daemonsets", true, true, &["ds"]),
    (
        "ReplicaSet",
        "apps",
        "v1",
        "replicasets",
        true,
        true,
        &["rs"],
    ),
    ("Job", "batch", "v1", "jobs", true, true, &[]),
    ("CronJob", "batch", "v1", "cronjobs", true, true, &["cj"]),
    (
        "Ingress",
        "networking.k8s.io",
        "v1",
        "ingresses",
        true,
        true,
        &["ing"],
    ),
    (
        "NetworkPolicy",
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        true,
        false,
        &["netpol"],
    ),
    (
        "PodDisruptionBudget",
        "policy",
        "v1",
        "poddisruptionbudgets",
        true,
        true,
        &["pdb"],
    ),
    (
        "HorizontalPodAutoscaler",
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        true,
        true,
        &["hpa"],
    ),
    (
        "Role",
        "rbac.authorization.k8s.io",
        "v1",
        "roles",
        true,
        false,
        &[],
    ),
    (
        "RoleBinding",
        "rbac.authorization.k8s.io",
        "v1",
        "rolebindings",
        true,
        false,
        &[],
    ),
    (
        "ClusterRole",
        "rbac.authorization.k8s.io",
        "v1",
        "clusterroles",
        false,
        false,
        &[],
    ),
    (
        "ClusterRoleBinding",
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        false,
        false,
        &[],
    ),
    (
        "StorageClass",
        "storage.k8s.io",
        "v1",
        "storageclasses",
        false,
        false,
        &["sc"],
    ),
    (
        "Lease",
        "coordination.k8s.io",
        "v1",
        "leases",
        true,
        false,
        &[],
    ),
    (
        "Event",
        "events.k8s.io",
        "v1",
        "events",
        true,
        false,
        &["ev"],
    ),
    (
        "CustomResourceDefinition",
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        false,
        true,
        &["crd", "crds"],
    ),
];

/// Every resource the stand-in serves.
#[derive(Debug, Clone)]
pub struct Catalog {
    resources: Vec<Resource>,
}

impl Default for Catalog {
    fn default() -> Self {
        Catalog {
            resources: BUILTIN
                .iter()
                .map(
                    |&(kind, group, version, plural, namespaced, status, short)| Resource {
                        group: group.to_owned(),
                        version: version.to_owned(),
                        kind: kind.to_owned(),
                        plural: plural.to_owned(),
                        namespaced,
                        status_subresource: status,
                        builtin: true,
                        short_names: short.iter().map(|s| (*s).to_owned()).collect(),
                    },
                )
                .collect(),
        }
    }
}

impl Catalog {
    /// All resources, built-in first.
    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    /// The resource serving `plural` in `group/version`.
    pub fn by_path(&self, group: &str, version: &str, plural: &str) -> Option<&Resource> {
        self.resources
            .iter()
            .find(|r| r.group == group && r.version == version && r.plural == plural)
    }

    /// The resource of `kind` in `apiVersion`.
    pub fn by_kind(&self, api_version: &str, kind: &str) -> Option<&Resource> {
        self.resources
            .iter()
            .find(|r| r.api_version() == api_version && r.kind == kind)
    }

    /// Registers the served versions of a `CustomResourceDefinition` object. Returns whether
    /// something was added.
    pub fn add_definition(&mut self, crd: &Value) -> bool {
        let spec = &crd["spec"];
        let (Some(group), Some(kind), Some(plural)) = (
            spec["group"].as_str(),
            spec["names"]["kind"].as_str(),
            spec["names"]["plural"].as_str(),
        ) else {
            return false;
        };
        let namespaced = spec["scope"].as_str() != Some("Cluster");
        let short_names: Vec<String> = spec["names"]["shortNames"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let mut added = false;
        for version in spec["versions"].as_array().into_iter().flatten() {
            let Some(name) = version["name"].as_str() else {
                continue;
            };
            if version["served"].as_bool() == Some(false)
                || self.by_path(group, name, plural).is_some()
            {
                continue;
            }
            self.resources.push(Resource {
                group: group.to_owned(),
                version: name.to_owned(),
                kind: kind.to_owned(),
                plural: plural.to_owned(),
                namespaced,
                status_subresource: version["subresources"]["status"].is_object(),
                builtin: false,
                short_names: short_names.clone(),
            });
            added = true;
        }
        added
    }

    /// Registers a custom resource for an object of a kind the catalog does not know: namespaced
    /// when the object has a namespace, with a status subresource, plural by English rules.
    pub fn infer(&mut self, api_version: &str, kind: &str, namespaced: bool) -> &Resource {
        if let Some(index) = self
            .resources
            .iter()
            .position(|r| r.api_version() == api_version && r.kind == kind)
        {
            return &self.resources[index];
        }
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        self.resources.push(Resource {
            group: group.to_owned(),
            version: version.to_owned(),
            kind: kind.to_owned(),
            plural: plural_of(kind),
            namespaced,
            status_subresource: true,
            builtin: false,
            short_names: Vec::new(),
        });
        self.resources.last().expect("just pushed")
    }

    /// API groups other than the core group, in first-seen order, each with its versions.
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for r in self.resources.iter().filter(|r| !r.group.is_empty()) {
            match groups.iter_mut().find(|(g, _)| *g == r.group) {
                Some((_, versions)) if versions.contains(&r.version) => {}
                Some((_, versions)) => versions.push(r.version.clone()),
                None => groups.push((r.group.clone(), vec![r.version.clone()])),
            }
        }
        groups
    }
}

/// `GitRepository` → `gitrepositories`, `Kustomization` → `kustomizations`, `Bucket` → `buckets`.
pub fn plural_of(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    if let Some(stem) = lower.strip_suffix('y') {
        if !stem.ends_with(['a', 'e', 'o', 'u']) {
            return format!("{stem}ies");
        }
    }
    if lower.ends_with('s')
        || lower.ends_with("sh")
        || lower.ends_with("ch")
        || lower.ends_with('x')
    {
        return format!("{lower}es");
    }
    format!("{lower}s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_follow_the_crd_conventions_of_flux() {
        assert_eq!(plural_of("Kustomization"), "kustomizations");
        assert_eq!(plural_of("HelmRelease"), "helmreleases");
        assert_eq!(plural_of("GitRepository"), "gitrepositories");
        assert_eq!(plural_of("OCIRepository"), "ocirepositories");
        assert_eq!(plural_of("Bucket"), "buckets");
        assert_eq!(plural_of("Gateway"), "gateways");
    }

    #[test]
    fn definitions_register_served_versions() {
        let mut catalog = Catalog::default();
        let crd = json!({"spec": {"group": "helm.toolkit.fluxcd.io", "scope": "Namespaced",
            "names": {"kind": "HelmRelease", "plural": "helmreleases", "shortNames": ["hr"]},
            "versions": [{"name": "v2", "served": true, "subresources": {"status": {}}},
                         {"name": "v1", "served": false}]}});
        assert!(catalog.add_definition(&crd));
        let hr = catalog
            .by_path("helm.toolkit.fluxcd.io", "v2", "helmreleases")
            .unwrap();
        assert!(hr.namespaced && hr.status_subresource && !hr.builtin);
        assert!(catalog
            .by_path("helm.toolkit.fluxcd.io", "v1", "helmreleases")
            .is_none());
    }
}
