//! A Flux `Kustomization` object as read from a repository file, and the `ConfigMaps` and Secrets
//! its `postBuild.substituteFrom` may read.
//!
//! Reading is lenient: the API server validates these objects against the CRD schema, so a
//! field of the wrong type is treated as absent here rather than failing the whole run.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Serialize;
use serde_json::Value;

/// The API group of Flux Kustomizations (every version: `v1`, `v1beta2`, `v1beta1`).
pub const GROUP: &str = "kustomize.toolkit.fluxcd.io";

/// `namespace/name` of a Flux object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct FluxId {
    /// `metadata.namespace` (`default` when the manifest leaves it out, as kubectl would).
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
}

impl fmt::Display for FluxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// `spec.sourceRef`: where the controller fetches the manifests from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceRef {
    /// `GitRepository`, `OCIRepository`, `Bucket`…
    pub kind: String,
    /// The source's namespace (the Kustomization's own when not given).
    pub namespace: String,
    /// The source's name.
    pub name: String,
}

impl fmt::Display for SourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.kind, self.namespace, self.name)
    }
}

/// One `postBuild.substituteFrom` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubstituteRef {
    /// `ConfigMap` or `Secret`.
    pub kind: String,
    /// The object's name (in the Kustomization's namespace).
    pub name: String,
    /// Whether a missing object is tolerated.
    pub optional: bool,
}

/// A Flux `Kustomization` found in a repository file.
#[derive(Debug, Clone, PartialEq)]
pub struct FluxKustomization {
    /// `namespace/name`.
    pub id: FluxId,
    /// The file defining it (a path in the filesystem that was scanned).
    pub file: PathBuf,
    /// `spec.path`, relative to the source root (empty: the root itself).
    pub path: String,
    /// `spec.sourceRef`.
    pub source: SourceRef,
    /// `spec.dependsOn`, namespaces defaulted to this Kustomization's.
    pub depends_on: Vec<FluxId>,
    /// `spec.postBuild.substitute`, as strings.
    pub substitute: BTreeMap<String, String>,
    /// `spec.postBuild.substituteFrom`.
    pub substitute_from: Vec<SubstituteRef>,
    /// Whether `spec.postBuild` is present at all (substitution runs only then).
    pub has_post_build: bool,
    /// The whole object, for the fields the generator copies (`patches`, `images`…).
    pub object: Value,
}

impl FluxKustomization {
    /// Read `object` if it is a Flux `Kustomization`; `None` for any other object.
    pub fn from_object(object: &Value, file: &Path) -> Option<Self> {
        let api_version = object.get("apiVersion")?.as_str()?;
        let group = api_version.split_once('/').map_or("", |(g, _)| g);
        if group != GROUP || object.get("kind")?.as_str()? != "Kustomization" {
            return None;
        }
        let namespace = str_at(object, &["metadata", "namespace"]).unwrap_or("default");
        let id = FluxId {
            namespace: namespace.to_owned(),
            name: str_at(object, &["metadata", "name"])
                .unwrap_or_default()
                .to_owned(),
        };
        let spec = object.get("spec").unwrap_or(&Value::Null);
        let source = SourceRef {
            kind: str_at(spec, &["sourceRef", "kind"])
                .unwrap_or("GitRepository")
                .to_owned(),
            namespace: str_at(spec, &["sourceRef", "namespace"])
                .unwrap_or(namespace)
                .to_owned(),
            name: str_at(spec, &["sourceRef", "name"])
                .unwrap_or_default()
                .to_owned(),
        };
        let depends_on = items(spec, "dependsOn")
            .filter_map(|d| {
                Some(FluxId {
                    namespace: str_at(d, &["namespace"]).unwrap_or(namespace).to_owned(),
                    name: str_at(d, &["name"])?.to_owned(),
                })
            })
            .collect();
        let post_build = spec.get("postBuild").filter(|p| p.is_object());
        let substitute = post_build
            .and_then(|p| p.get("substitute"))
            .and_then(Value::as_object)
            .map(|vars| {
                vars.iter()
                    .filter_map(|(k, v)| Some((k.clone(), scalar_string(v)?)))
                    .collect()
            })
            .unwrap_or_default();
        let substitute_from = post_build
            .map(|p| items(p, "substituteFrom"))
            .into_iter()
            .flatten()
            .filter_map(|s| {
                Some(SubstituteRef {
                    kind: str_at(s, &["kind"])?.to_owned(),
                    name: str_at(s, &["name"])?.to_owned(),
                    optional: s.get("optional").and_then(Value::as_bool).unwrap_or(false),
                })
            })
            .collect();
        Some(Self {
            id,
            file: file.to_path_buf(),
            path: str_at(spec, &["path"]).unwrap_or_default().to_owned(),
            source,
            depends_on,
            substitute,
            substitute_from,
            has_post_build: post_build.is_some(),
            object: object.clone(),
        })
    }

    /// A field of `spec`.
    pub fn spec(&self, field: &str) -> Option<&Value> {
        self.object.get("spec")?.get(field)
    }
}

/// A `ConfigMap` or Secret manifest found in the repository: a possible `substituteFrom` source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableSource {
    /// `ConfigMap` or `Secret`.
    pub kind: String,
    /// `metadata.namespace`, when the manifest sets one.
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
    /// The values: `data` (base64-decoded for Secrets), then `stringData` over it.
    pub data: BTreeMap<String, String>,
    /// Whether the Secret is SOPS-encrypted (its values are not readable offline).
    pub encrypted: bool,
    /// The file holding it.
    pub file: PathBuf,
}

impl VariableSource {
    /// Read `object` if it is a `ConfigMap` or a Secret.
    pub fn from_object(object: &Value, file: &Path) -> Option<Self> {
        let kind = object.get("kind")?.as_str()?;
        if object.get("apiVersion")?.as_str()? != "v1" || !matches!(kind, "ConfigMap" | "Secret") {
            return None;
        }
        let secret = kind == "Secret";
        let mut data = BTreeMap::new();
        if let Some(values) = object.get("data").and_then(Value::as_object) {
            for (key, value) in values {
                let Some(text) = scalar_string(value) else {
                    continue;
                };
                let text = if secret {
                    match base64::engine::general_purpose::STANDARD.decode(text.trim()) {
                        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                        Err(_) => continue,
                    }
                } else {
                    text
                };
                data.insert(key.clone(), text);
            }
        }
        if let Some(values) = object.get("stringData").and_then(Value::as_object) {
            for (key, value) in values {
                if let Some(text) = scalar_string(value) {
                    data.insert(key.clone(), text);
                }
            }
        }
        Some(Self {
            kind: kind.to_owned(),
            namespace: str_at(object, &["metadata", "namespace"]).map(str::to_owned),
            name: str_at(object, &["metadata", "name"])?.to_owned(),
            data,
            encrypted: secret && object.get("sops").is_some(),
            file: file.to_path_buf(),
        })
    }
}

/// The string at `path` under `value`.
pub(crate) fn str_at<'v>(value: &'v Value, path: &[&str]) -> Option<&'v str> {
    path.iter()
        .try_fold(value, |v, key| v.get(key))
        .and_then(Value::as_str)
}

/// The elements of the list `field` of `value` (none when absent or not a list).
fn items<'v>(value: &'v Value, field: &str) -> impl Iterator<Item = &'v Value> {
    value
        .get(field)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// A scalar as the string the API server would store (numbers and booleans written out).
fn scalar_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_a_flux_kustomization_with_defaults() {
        let object = json!({
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1beta2",
            "kind": "Kustomization",
            "metadata": {"name": "apps", "namespace": "flux-system"},
            "spec": {
                "path": "./apps",
                "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
                "dependsOn": [{"name": "infra"}, {"name": "crds", "namespace": "other"}],
                "postBuild": {
                    "substitute": {"replicas": 3, "env": "prod"},
                    "substituteFrom": [{"kind": "ConfigMap", "name": "vars", "optional": true}]
                }
            }
        });
        let ks = FluxKustomization::from_object(&object, Path::new("/r/apps.yaml")).unwrap();
        assert_eq!(ks.id.to_string(), "flux-system/apps");
        assert_eq!(
            ks.source.to_string(),
            "GitRepository/flux-system/flux-system"
        );
        assert_eq!(ks.depends_on[0].to_string(), "flux-system/infra");
        assert_eq!(ks.depends_on[1].to_string(), "other/crds");
        assert_eq!(ks.substitute["replicas"], "3");
        assert!(ks.substitute_from[0].optional);
        assert!(ks.has_post_build);
    }

    #[test]
    fn other_kustomizations_are_not_flux_ones() {
        let plain =
            json!({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"});
        assert!(FluxKustomization::from_object(&plain, Path::new("/k.yaml")).is_none());
    }

    #[test]
    fn secrets_are_decoded_and_string_data_wins() {
        let object = json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s"},
            "data": {"a": "aGVsbG8=", "b": "eA=="},
            "stringData": {"b": "plain"}
        });
        let source = VariableSource::from_object(&object, Path::new("/s.yaml")).unwrap();
        assert_eq!(source.data["a"], "hello");
        assert_eq!(source.data["b"], "plain");
        assert!(!source.encrypted);
        assert_eq!(source.namespace, None);
    }
}
