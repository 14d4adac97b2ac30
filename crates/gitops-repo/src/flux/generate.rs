//! The kustomization kustomize-controller builds for a Flux Kustomization: the one in
//! `spec.path` (or one generated listing every manifest there), completed with the Flux
//! Kustomization's `targetNamespace`, `namePrefix`, `nameSuffix`, `patches`, `components` and
//! `images` (and v1beta2's `patchesStrategicMerge` / `patchesJson6902`).

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::error::FluxError;
use super::object::FluxKustomization;
use kustomize_build::fs::Filesystem;
use kustomize_build::kustomization::FILE_NAMES;

/// The kustomization file Flux would build, and where it would be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedKustomization {
    /// The kustomization file: the existing one, or `kustomization.yaml` when generated.
    pub file: PathBuf,
    /// Its content, as YAML.
    pub content: String,
    /// Whether `spec.path` had no kustomization file, so Flux generated its resource list.
    pub created: bool,
}

/// The kustomization Flux builds for `ks` in `dir` (its `spec.path`, resolved by the caller).
///
/// ```
/// use std::path::Path;
/// use gitops_repo::flux::{kustomization_for, FluxKustomization};
/// use kustomize_build::fs::MemFs;
///
/// let mut fs = MemFs::new();
/// fs.add_file("/r/apps/web.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n");
/// fs.add_file("/r/apps/notes.txt", "not a manifest");
/// let object = serde_json::json!({
///     "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
///     "metadata": {"name": "apps", "namespace": "flux-system"},
///     "spec": {"path": "./apps", "targetNamespace": "shop", "namePrefix": "p-"}
/// });
/// let ks = FluxKustomization::from_object(&object, Path::new("/r/apps.yaml")).unwrap();
/// let generated = kustomization_for(&fs, Path::new("/r/apps"), &ks)?;
/// assert!(generated.created);
/// assert_eq!(
///     generated.content,
///     "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamePrefix: p-\nnamespace: shop\nresources:\n- ./web.yaml\n"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// A manifest under `dir` that is not YAML (Flux fails then), an unreadable kustomization
/// file, or a remote `spec.components` entry.
pub fn kustomization_for(
    fs: &dyn Filesystem,
    dir: &Path,
    ks: &FluxKustomization,
) -> Result<GeneratedKustomization, FluxError> {
    let existing = FILE_NAMES
        .iter()
        .map(|name| dir.join(name))
        .find(|path| fs.exists(path) && !fs.is_dir(path));
    let (file, mut kustomization, created) = if let Some(file) = existing {
        let value = read_kustomization(fs, &file, ks)?;
        (file, value, false)
    } else {
        let mut value = Map::new();
        value.insert(
            "apiVersion".into(),
            "kustomize.config.k8s.io/v1beta1".into(),
        );
        value.insert("kind".into(), "Kustomization".into());
        let resources = scan_manifests(fs, dir, ks)?;
        value.insert(
            "resources".into(),
            Value::Array(resources.into_iter().map(Value::String).collect()),
        );
        (dir.join("kustomization.yaml"), value, true)
    };
    complete(fs, dir, ks, &mut kustomization)?;
    Ok(GeneratedKustomization {
        file,
        content: kustomize_build::yaml::emit_value(&Value::Object(kustomization).into()),
        created,
    })
}

fn read_kustomization(
    fs: &dyn Filesystem,
    file: &Path,
    ks: &FluxKustomization,
) -> Result<Map<String, Value>, FluxError> {
    let fail = |message: String| FluxError::Kustomization {
        kustomization: ks.id.to_string(),
        file: file.to_path_buf(),
        message,
    };
    let bytes = fs.read(file).map_err(|e| fail(e.to_string()))?;
    let text = String::from_utf8_lossy(&bytes);
    let documents = kustomize_build::yaml::parse_json_documents(&text)
        .map_err(|e| fail(format!("line {}: {}", e.line(), e.kind())))?;
    match documents.into_iter().next() {
        Some(Value::Object(map)) => Ok(map),
        None => Ok(Map::new()),
        Some(_) => Err(fail("the kustomization is not a YAML mapping".to_owned())),
    }
}

/// Every manifest under `dir`, as Flux lists them in a generated kustomization: `.yaml` and
/// `.yml` files (each must parse), and subdirectories holding a kustomization file (not
/// descended into), in lexical walk order. Hidden entries are skipped, as source-controller
/// leaves `.git`, `.github`… out of the artifact.
fn scan_manifests(
    fs: &dyn Filesystem,
    dir: &Path,
    ks: &FluxKustomization,
) -> Result<Vec<String>, FluxError> {
    let mut found = Vec::new();
    walk(fs, dir, dir, ks, &mut found)?;
    Ok(found)
}

fn walk(
    fs: &dyn Filesystem,
    base: &Path,
    dir: &Path,
    ks: &FluxKustomization,
    found: &mut Vec<String>,
) -> Result<(), FluxError> {
    let Ok(names) = fs.read_dir(dir) else {
        return Ok(());
    };
    let relative = |path: &Path| {
        let rest = path.strip_prefix(base).unwrap_or(path);
        format!("./{}", rest.to_string_lossy().replace('\\', "/"))
    };
    for name in names {
        if name.starts_with('.') {
            continue;
        }
        let path = dir.join(&name);
        if fs.is_dir(&path) {
            let holds_kustomization = FILE_NAMES.iter().any(|f| {
                let candidate = path.join(f);
                fs.exists(&candidate) && !fs.is_dir(&candidate)
            });
            if holds_kustomization {
                found.push(relative(&path));
            } else {
                walk(fs, base, &path, ks, found)?;
            }
            continue;
        }
        // Flux compares the extension exactly (`.YAML` is not a manifest).
        let extension = Path::new(&name).extension().and_then(|e| e.to_str());
        if !matches!(extension, Some("yaml" | "yml")) {
            continue;
        }
        let bytes = fs.read(&path).map_err(|e| FluxError::Manifest {
            kustomization: ks.id.to_string(),
            file: path.clone(),
            message: e.to_string(),
        })?;
        if let Err(error) = kustomize_build::yaml::parse_documents(&String::from_utf8_lossy(&bytes))
        {
            return Err(FluxError::Manifest {
                kustomization: ks.id.to_string(),
                file: path,
                message: format!(
                    "line {} column {}: {}",
                    error.line(),
                    error.column(),
                    error.kind()
                ),
            });
        }
        found.push(relative(&path));
    }
    Ok(())
}

/// Add the Flux Kustomization's own transformations, as kustomize-controller's generator does.
fn complete(
    fs: &dyn Filesystem,
    dir: &Path,
    ks: &FluxKustomization,
    kustomization: &mut Map<String, Value>,
) -> Result<(), FluxError> {
    let non_empty = |field: &str| {
        ks.spec(field)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    if let Some(namespace) = non_empty("targetNamespace") {
        kustomization.insert("namespace".into(), namespace.into());
    }
    for field in ["namePrefix", "nameSuffix"] {
        if let Some(value) = non_empty(field) {
            kustomization.insert(field.into(), value.into());
        }
    }
    if let Some(patches) = ks.spec("patches").and_then(Value::as_array) {
        let entries = patches.iter().filter_map(|p| {
            let mut patch = Map::new();
            patch.insert("patch".into(), p.get("patch")?.clone());
            if let Some(target) = p.get("target").filter(|t| t.is_object()) {
                patch.insert("target".into(), target.clone());
            }
            Some(Value::Object(patch))
        });
        append(kustomization, "patches", entries);
    }
    if let Some(components) = ks.spec("components").and_then(Value::as_array) {
        let ignore_missing = ks
            .spec("ignoreMissingComponents")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let mut kept = Vec::new();
        for component in components.iter().filter_map(Value::as_str) {
            if !is_local_relative(component) {
                return Err(FluxError::Component {
                    kustomization: ks.id.to_string(),
                    component: component.to_owned(),
                });
            }
            if ignore_missing && !fs.exists(&kustomize_build::fs::clean_path(&dir.join(component)))
            {
                continue;
            }
            kept.push(Value::String(component.to_owned()));
        }
        append(kustomization, "components", kept);
    }
    // v1beta2 only: inline strategic-merge patches and JSON 6902 patches.
    if let Some(patches) = ks.spec("patchesStrategicMerge").and_then(Value::as_array) {
        let inline = patches.iter().map(|p| Value::String(p.to_string()));
        append(kustomization, "patchesStrategicMerge", inline);
    }
    if let Some(patches) = ks.spec("patchesJson6902").and_then(Value::as_array) {
        let entries = patches.iter().filter_map(|p| {
            let mut patch = Map::new();
            patch.insert("patch".into(), Value::String(p.get("patch")?.to_string()));
            if let Some(target) = p.get("target") {
                patch.insert("target".into(), target.clone());
            }
            Some(Value::Object(patch))
        });
        append(kustomization, "patchesJson6902", entries);
    }
    if let Some(images) = ks.spec("images").and_then(Value::as_array) {
        merge_images(kustomization, images);
    }
    Ok(())
}

fn append(
    kustomization: &mut Map<String, Value>,
    field: &str,
    entries: impl IntoIterator<Item = Value>,
) {
    let list = kustomization
        .entry(field)
        .or_insert_with(|| Value::Array(Vec::new()));
    if !list.is_array() {
        *list = Value::Array(Vec::new());
    }
    if let Value::Array(list) = list {
        list.extend(entries);
    }
}

/// An image entry of the Flux Kustomization replaces the kustomization's entry of the same
/// name, or is appended.
fn merge_images(kustomization: &mut Map<String, Value>, images: &[Value]) {
    for image in images {
        let Some(name) = image.get("name").and_then(Value::as_str) else {
            continue;
        };
        let mut entry = Map::new();
        for field in ["name", "newName", "newTag", "digest"] {
            if let Some(value) = image.get(field).filter(|v| v.as_str() != Some("")) {
                entry.insert(field.into(), value.clone());
            }
        }
        let list = kustomization
            .entry("images")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = list {
            match list
                .iter_mut()
                .find(|i| i.get("name").and_then(Value::as_str) == Some(name))
            {
                Some(existing) => *existing = Value::Object(entry),
                None => list.push(Value::Object(entry)),
            }
        }
    }
}

/// Not a URL, git reference or absolute path (Flux's `IsLocalRelativePath`).
fn is_local_relative(path: &str) -> bool {
    const REMOTE: [&str; 8] = [
        "git::",
        "gh:",
        "ssh://",
        "https://",
        "http://",
        "git@",
        "github.com:",
        "github.com/",
    ];
    !REMOTE.iter().any(|prefix| path.starts_with(prefix)) && !Path::new(path).is_absolute()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kustomize_build::fs::MemFs;
    use serde_json::json;

    fn flux(spec: &Value) -> FluxKustomization {
        super::super::test_support::flux_kustomization(spec, "/r/ks.yaml")
    }

    #[test]
    fn generated_list_includes_nested_kustomizations_without_descending() {
        let mut fs = MemFs::new();
        fs.add_file("/r/a/z.yml", "kind: ConfigMap\n");
        fs.add_file("/r/a/sub/b.yaml", "kind: ConfigMap\n");
        fs.add_file("/r/a/kust/kustomization.yaml", "resources: []\n");
        fs.add_file("/r/a/kust/inner.yaml", "kind: ConfigMap\n");
        fs.add_file("/r/a/.github/ci.yaml", "on: push\n");
        let generated = kustomization_for(&fs, Path::new("/r/a"), &flux(&json!({}))).unwrap();
        assert!(
            generated
                .content
                .ends_with("resources:\n- ./kust\n- ./sub/b.yaml\n- ./z.yml\n"),
            "{}",
            generated.content
        );
    }

    #[test]
    fn invalid_yaml_in_a_generated_directory_fails() {
        let mut fs = MemFs::new();
        fs.add_file("/r/a/bad.yaml", "a: [\n");
        let error = kustomization_for(&fs, Path::new("/r/a"), &flux(&json!({}))).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("failed to decode Kubernetes YAML from /r/a/bad.yaml"),
            "{error}"
        );
    }

    #[test]
    fn existing_kustomization_is_completed() {
        let mut fs = MemFs::new();
        fs.add_file(
            "/r/a/kustomization.yml",
            "namespace: old\nresources: [x.yaml]\nimages:\n- name: web\n  newTag: \"1\"\n- name: db\n  newTag: \"2\"\n",
        );
        fs.add_file("/r/a/comp/kustomization.yaml", "kind: Component\n");
        let ks = flux(&json!({
            "targetNamespace": "new",
            "nameSuffix": "-s",
            "patches": [{"patch": "- op: remove\n  path: /x", "target": {"kind": "Deployment"}}],
            "components": ["comp", "missing"],
            "ignoreMissingComponents": true,
            "images": [{"name": "web", "newTag": "9"}, {"name": "cache", "newName": "redis"}]
        }));
        let generated = kustomization_for(&fs, Path::new("/r/a"), &ks).unwrap();
        assert!(!generated.created);
        assert_eq!(generated.file, Path::new("/r/a/kustomization.yml"));
        let value = &kustomize_build::yaml::parse_documents(&generated.content).unwrap()[0];
        assert_eq!(value["namespace"], "new");
        assert_eq!(value["nameSuffix"], "-s");
        assert_eq!(value["components"], json!(["comp"]));
        assert_eq!(value["patches"][0]["target"]["kind"], "Deployment");
        assert_eq!(
            value["images"],
            json!([{"name": "web", "newTag": "9"}, {"name": "db", "newTag": "2"}, {"name": "cache", "newName": "redis"}])
        );
    }

    #[test]
    fn remote_components_are_refused() {
        let fs = MemFs::new();
        let ks = flux(&json!({"components": ["https://example.com/c"]}));
        let error = kustomization_for(&fs, Path::new("/r"), &ks).unwrap_err();
        assert!(matches!(error, FluxError::Component { .. }));
    }
}
