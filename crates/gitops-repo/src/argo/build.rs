//! Rendering an Application: each source of this repository with a `path`, as kustomize (when
//! the path holds a kustomization file) or as a plain-YAML directory, then
//! `spec.destination.namespace` set on namespaced objects that name no namespace.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::directory::read_directory;
use super::error::ArgoError;
use super::kustomize::apply_options;
use super::object::{ArgoApplication, ArgoSource};
use crate::flux::overlay::OverlayFs;
use kustomize_build::config::scope::is_cluster_scoped;
use kustomize_build::fs::{clean_path, Filesystem};
use kustomize_build::kustomization::FILE_NAMES;
use kustomize_build::{build as kustomize_build, BuildOptions, Resource};

/// Whether `source` is rendered from this repository: it has a `path` and, when `repo_urls`
/// is not empty, its `repoURL` is one of them (compared without a trailing `/` or `.git`).
pub fn is_local_source(source: &ArgoSource, repo_urls: &[String]) -> bool {
    source.path.is_some() && repo_url_matches(&source.repo_url, repo_urls)
}

/// Whether `url` is one of `repo_urls` (any URL when there are none), ignoring case, a
/// trailing `/` and `.git`.
pub(crate) fn repo_url_matches(url: &str, repo_urls: &[String]) -> bool {
    let normal = |url: &str| {
        url.trim_end_matches('/')
            .trim_end_matches(".git")
            .to_ascii_lowercase()
    };
    repo_urls.is_empty() || repo_urls.iter().any(|u| normal(u) == normal(url))
}

/// Why a source of this repository is not rendered (a Helm chart, a plugin), if it is not.
pub fn unrendered_reason(fs: &dyn Filesystem, root: &Path, source: &ArgoSource) -> Option<String> {
    let dir = clean_path(&root.join(source.path.as_deref()?.trim_start_matches('/')));
    if source.get("plugin").is_some() {
        return Some("a config management plugin renders it; plugins are not emulated".to_owned());
    }
    let has_kustomization = FILE_NAMES.iter().any(|n| fs.exists(&dir.join(n)));
    if !has_kustomization && (source.get("helm").is_some() || fs.exists(&dir.join("Chart.yaml"))) {
        return Some("it is a Helm chart; Helm sources are not rendered".to_owned());
    }
    None
}

/// Render `app`'s sources of this repository (see [`is_local_source`]) whose root is `root`.
///
/// # Errors
///
/// A source path that is not a directory, a kustomization or manifest that cannot be read, a
/// `kustomize` option `kustomize edit` would refuse, or a kustomize build error; each names the
/// Application.
pub fn build_argo(
    fs: &dyn Filesystem,
    root: &Path,
    app: &ArgoApplication,
    repo_urls: &[String],
    options: &BuildOptions,
) -> Result<Vec<Resource>, ArgoError> {
    let mut objects = Vec::new();
    for source in &app.sources {
        if !is_local_source(source, repo_urls) || unrendered_reason(fs, root, source).is_some() {
            continue;
        }
        let path = source.path.as_deref().unwrap_or_default();
        let dir = clean_path(&root.join(path.trim_start_matches('/')));
        let not_found = || ArgoError::PathNotFound {
            application: app.id.to_string(),
            path: path.to_owned(),
            file: app.file.clone(),
        };
        if !dir.starts_with(clean_path(root)) || !fs.is_dir(&dir) {
            return Err(not_found());
        }
        let dir = fs.canonicalize(&dir).map_err(|_| not_found())?;
        let kustomization = FILE_NAMES
            .iter()
            .map(|name| dir.join(name))
            .find(|file| fs.exists(file) && !fs.is_dir(file));
        if let Some(file) = kustomization {
            objects.extend(build_kustomize(fs, &dir, &file, app, source, options)?);
        } else {
            let found =
                read_directory(fs, &dir, source.get("directory")).map_err(|(file, message)| {
                    ArgoError::Manifest {
                        application: app.id.to_string(),
                        file,
                        message,
                    }
                })?;
            objects.extend(found.into_iter().map(|object| Resource::new(object.into())));
        }
    }
    if let Some(namespace) = app.destination_namespace() {
        for resource in &mut objects {
            let object = resource.object();
            let api_version = object["apiVersion"].as_str().unwrap_or_default();
            let kind = object["kind"].as_str().unwrap_or_default();
            if resource.namespace().is_empty() && !is_cluster_scoped(api_version, kind) {
                resource.set_namespace(namespace);
            }
        }
    }
    Ok(objects)
}

/// `kustomize build` of `dir` after the `kustomize edit` commands for the source's options.
fn build_kustomize(
    fs: &dyn Filesystem,
    dir: &Path,
    file: &Path,
    app: &ArgoApplication,
    source: &ArgoSource,
    options: &BuildOptions,
) -> Result<Vec<Resource>, ArgoError> {
    let build_error = |source| ArgoError::Build {
        application: app.id.to_string(),
        source,
    };
    let Some(content) = edited_kustomization(fs, dir, file, app, source)? else {
        return Ok(kustomize_build(fs, dir, options)
            .map_err(build_error)?
            .into_resources());
    };
    let overlay = OverlayFs::new(fs, file.to_path_buf(), content.into_bytes());
    Ok(kustomize_build(&overlay, dir, options)
        .map_err(build_error)?
        .into_resources())
}

/// The kustomization file of `dir` as Argo CD builds it: `file` after the `kustomize edit`
/// commands for `source`'s `kustomize` options; `None` when the source sets none (the file
/// is built as written).
pub(crate) fn edited_kustomization(
    fs: &dyn Filesystem,
    dir: &Path,
    file: &Path,
    app: &ArgoApplication,
    source: &ArgoSource,
) -> Result<Option<String>, ArgoError> {
    let Some(kustomize_options) = source.get("kustomize").filter(|o| o.is_object()) else {
        return Ok(None);
    };
    let fail = |message: String| ArgoError::Kustomization {
        application: app.id.to_string(),
        file: file.to_path_buf(),
        message,
    };
    let bytes = fs.read(file).map_err(|e| fail(e.to_string()))?;
    let documents = kustomize_build::yaml::parse_json_documents(&String::from_utf8_lossy(&bytes))
        .map_err(|e| fail(format!("line {}: {}", e.line(), e.kind())))?;
    let mut kustomization = match documents.into_iter().next() {
        Some(Value::Object(map)) => map,
        None | Some(Value::Null) => Map::new(),
        Some(_) => return Err(fail("the kustomization is not a YAML mapping".to_owned())),
    };
    apply_options(fs, dir, kustomize_options, &mut kustomization).map_err(fail)?;
    Ok(Some(kustomize_build::yaml::emit_value(
        &Value::Object(kustomization).into(),
    )))
}

/// The source of `app` rendered from `dir` (absolute, as discovery found it) and its
/// kustomization file, when `dir` holds one.
pub(crate) fn kustomize_source<'a>(
    fs: &dyn Filesystem,
    dir: &Path,
    app: &'a ArgoApplication,
) -> Option<(&'a ArgoSource, PathBuf)> {
    let dir = clean_path(dir);
    let source = app.sources.iter().find(|source| {
        source
            .path
            .as_deref()
            .is_some_and(|path| dir.ends_with(clean_path(Path::new(path.trim_start_matches('/')))))
    })?;
    let file = FILE_NAMES
        .iter()
        .map(|name| dir.join(name))
        .find(|file| fs.exists(file) && !fs.is_dir(file))?;
    Some((source, file))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kustomize_build::fs::MemFs;
    use serde_json::json;

    fn app(spec: &Value) -> ArgoApplication {
        let object = json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": "web", "namespace": "argocd"}, "spec": spec,
        });
        ArgoApplication::from_object(&object, Path::new("/r/apps/web.yaml")).unwrap()
    }

    #[test]
    fn kustomize_options_then_destination_namespace() {
        let mut fs = MemFs::new();
        fs.add_file(
            "/r/web/kustomization.yaml",
            "resources: [deploy.yaml, ns.yaml]\n",
        );
        fs.add_file(
            "/r/web/deploy.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1\n",
        );
        fs.add_file(
            "/r/web/ns.yaml",
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n",
        );
        let web = app(&json!({
            "source": {"repoURL": "https://git.example/r.git", "path": "web",
                       "kustomize": {"namePrefix": "p-", "images": ["nginx:2"], "commonLabels": {"team": "a"}}},
            "destination": {"namespace": "shop"},
        }));
        let built = build_argo(&fs, Path::new("/r"), &web, &[], &BuildOptions::new()).unwrap();
        let deployment = built.iter().find(|r| r.kind() == "Deployment").unwrap();
        assert_eq!(deployment.name(), "p-web");
        assert_eq!(deployment.namespace(), "shop");
        let object = deployment.object();
        assert_eq!(
            object["spec"]["template"]["spec"]["containers"][0]["image"],
            "nginx:2"
        );
        assert_eq!(object["spec"]["selector"]["matchLabels"]["team"], "a");
        let namespace = built.iter().find(|r| r.kind() == "Namespace").unwrap();
        assert_eq!(namespace.namespace(), "");
        // Another repository's URL: nothing of it is rendered here.
        let other = ["https://git.example/other".to_owned()];
        assert!(
            build_argo(&fs, Path::new("/r"), &web, &other, &BuildOptions::new())
                .unwrap()
                .is_empty()
        );
        let matching = ["https://git.example/r/".to_owned()];
        assert_eq!(
            build_argo(&fs, Path::new("/r"), &web, &matching, &BuildOptions::new())
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn a_missing_path_names_the_application() {
        let fs = MemFs::new();
        let web = app(&json!({"source": {"repoURL": "x", "path": "gone"}}));
        let error = build_argo(&fs, Path::new("/r"), &web, &[], &BuildOptions::new()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Argo CD Application argocd/web (/r/apps/web.yaml): source path not found: gone (the path is relative to the repository root)"
        );
    }
}
