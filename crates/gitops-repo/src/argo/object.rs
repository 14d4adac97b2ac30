//! An Argo CD `Application` as read from the repository: its sources, destination and sync
//! policy.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The API group of Argo CD's objects.
pub const GROUP: &str = "argoproj.io";

/// The annotation with which an object carries its own sync options.
pub const SYNC_OPTIONS_ANNOTATION: &str = "argocd.argoproj.io/sync-options";

/// `namespace/name` of an Application (`namespace` empty when the manifest sets none: the
/// Application is then created in the namespace it is applied to, usually `argocd`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ArgoId {
    /// `metadata.namespace`.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
}

impl fmt::Display for ArgoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// One entry of `spec.source` / `spec.sources[]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ArgoSource {
    /// `repoURL`.
    pub repo_url: String,
    /// `path`, relative to the repository root (`None`: a Helm chart repository or a source
    /// only referenced by others).
    pub path: Option<String>,
    /// The whole entry (`kustomize`, `directory`, `helm`, `plugin`…).
    pub spec: Value,
}

impl ArgoSource {
    fn from_value(value: &Value) -> Self {
        Self {
            repo_url: value["repoURL"].as_str().unwrap_or_default().to_owned(),
            path: value["path"]
                .as_str()
                .filter(|p| !p.is_empty())
                .map(str::to_owned),
            spec: value.clone(),
        }
    }

    /// The entry's `field`, when set and not null.
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.spec.get(field).filter(|v| !v.is_null())
    }
}

/// An `argoproj.io` `Application`, with the file defining it.
#[derive(Debug, Clone, PartialEq)]
pub struct ArgoApplication {
    /// `namespace/name`.
    pub id: ArgoId,
    /// The file defining it.
    pub file: PathBuf,
    /// `spec.sources` when set, else `spec.source` (Argo ignores `source` when `sources` is
    /// set).
    pub sources: Vec<ArgoSource>,
    /// The whole object.
    pub object: Value,
}

impl ArgoApplication {
    /// `object` read as an Application defined in `file`; `None` when it is not one.
    ///
    /// ```
    /// use std::path::Path;
    /// use gitops_repo::argo::ArgoApplication;
    ///
    /// let object = serde_json::json!({
    ///     "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
    ///     "metadata": {"name": "web", "namespace": "argocd"},
    ///     "spec": {"source": {"repoURL": "https://git.example/repo.git", "path": "apps/web"},
    ///              "syncPolicy": {"automated": {"prune": true}}}
    /// });
    /// let app = ArgoApplication::from_object(&object, Path::new("/r/apps.yaml")).unwrap();
    /// assert_eq!(app.id.to_string(), "argocd/web");
    /// assert_eq!(app.sources[0].path.as_deref(), Some("apps/web"));
    /// assert!(app.automated() && app.prunes());
    /// ```
    pub fn from_object(object: &Value, file: &Path) -> Option<Self> {
        let api_version = object.get("apiVersion")?.as_str()?;
        if api_version.split('/').next() != Some(GROUP)
            || object.get("kind")?.as_str()? != "Application"
        {
            return None;
        }
        let metadata = object.get("metadata")?;
        let id = ArgoId {
            namespace: metadata["namespace"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            name: metadata.get("name")?.as_str()?.to_owned(),
        };
        let spec = &object["spec"];
        let sources = match spec["sources"].as_array() {
            Some(sources) if !sources.is_empty() => {
                sources.iter().map(ArgoSource::from_value).collect()
            }
            _ => spec
                .get("source")
                .filter(|s| s.is_object())
                .map(ArgoSource::from_value)
                .into_iter()
                .collect(),
        };
        Some(Self {
            id,
            file: file.to_path_buf(),
            sources,
            object: object.clone(),
        })
    }

    /// `spec.destination.namespace`, when set and not empty.
    pub fn destination_namespace(&self) -> Option<&str> {
        self.object["spec"]["destination"]["namespace"]
            .as_str()
            .filter(|n| !n.is_empty())
    }

    /// Whether `spec.syncPolicy.automated` is set: only then does Argo sync a change by itself.
    pub fn automated(&self) -> bool {
        self.object["spec"]["syncPolicy"]["automated"].is_object()
    }

    /// Whether an automated sync deletes what left the rendering
    /// (`spec.syncPolicy.automated.prune: true`).
    pub fn prunes(&self) -> bool {
        self.object["spec"]["syncPolicy"]["automated"]["prune"].as_bool() == Some(true)
    }

    /// `spec.syncPolicy.syncOptions`, e.g. `Replace=true`.
    pub fn sync_options(&self) -> Vec<&str> {
        self.object["spec"]["syncPolicy"]["syncOptions"]
            .as_array()
            .map(|options| options.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }
}

/// Whether `options` (sync options, each `Name=value`) hold both `Force=true` and
/// `Replace=true`: Argo then syncs with `kubectl replace --force`, deleting and recreating the
/// object.
pub fn forces_replace<'a>(options: impl IntoIterator<Item = &'a str>) -> bool {
    let (mut force, mut replace) = (false, false);
    for option in options {
        match option.trim() {
            "Force=true" => force = true,
            "Replace=true" => replace = true,
            _ => {}
        }
    }
    force && replace
}

/// The sync options an object carries in its `argocd.argoproj.io/sync-options` annotation
/// (comma separated).
pub fn object_sync_options(object: &Value) -> Vec<&str> {
    object["metadata"]["annotations"][SYNC_OPTIONS_ANNOTATION]
        .as_str()
        .map(|value| value.split(',').map(str::trim).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sources_win_over_source_and_other_kinds_are_not_applications() {
        let object = json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": "a"},
            "spec": {"source": {"repoURL": "x", "path": "one"},
                     "sources": [{"repoURL": "x", "path": "two"}, {"repoURL": "y", "chart": "c"}]}
        });
        let app = ArgoApplication::from_object(&object, Path::new("/f.yaml")).unwrap();
        assert_eq!(app.sources.len(), 2);
        assert_eq!(app.sources[0].path.as_deref(), Some("two"));
        assert_eq!(app.sources[1].path, None);
        assert!(!app.automated());
        let appset = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet", "metadata": {"name": "a"}});
        assert!(ArgoApplication::from_object(&appset, Path::new("/f.yaml")).is_none());
    }

    #[test]
    fn force_and_replace_are_both_needed() {
        assert!(forces_replace(["Replace=true", " Force=true"]));
        assert!(!forces_replace(["Replace=true"]));
        assert!(!forces_replace(["Force=true", "Replace=false"]));
        let object = json!({"metadata": {"annotations": {SYNC_OPTIONS_ANNOTATION: "Force=true,Replace=true"}}});
        assert!(forces_replace(object_sync_options(&object)));
    }
}
