//! Finding the Flux Kustomizations, `ConfigMaps` and Secrets committed in a repository's YAML files.

use std::path::{Path, PathBuf};

use super::diagnostic::{Code, Diagnostic};
use super::object::{FluxKustomization, VariableSource, GROUP};
use super::strict::{find_strict_gate, StrictGate, STRICT_GATE};
use kustomize_build::fs::Filesystem;

/// What a repository holds for Flux: its Kustomizations and the `ConfigMaps` and Secrets their
/// `substituteFrom` may read, each with the file it came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FluxRepository {
    /// Every Flux `Kustomization` object, in file order.
    pub kustomizations: Vec<FluxKustomization>,
    /// Every `ConfigMap` and Secret manifest.
    pub sources: Vec<VariableSource>,
    /// Files that mention Flux Kustomizations but could not be read as YAML.
    pub diagnostics: Vec<Diagnostic>,
    /// Where the repository turns kustomize-controller's `StrictPostBuildSubstitutions` gate on
    /// (the first such file, in scan order), if it does.
    pub strict_gate: Option<StrictGate>,
}

impl FluxRepository {
    /// Read `files` (YAML files of the repository) through `fs`. Files that are not valid
    /// YAML are skipped (repositories hold Helm templates and other non-manifests), with a
    /// warning when they mention Flux Kustomizations.
    pub fn scan(fs: &dyn Filesystem, files: &[PathBuf]) -> Self {
        let mut found = Self::default();
        for file in files {
            let Ok(bytes) = fs.read(file) else { continue };
            let text = String::from_utf8_lossy(&bytes);
            let mentions_flux = text.contains(GROUP);
            let mentions_gate = found.strict_gate.is_none() && text.contains(STRICT_GATE);
            // Only parse what can hold an object we want: most files cannot.
            if !mentions_flux
                && !mentions_gate
                && !text.contains("ConfigMap")
                && !text.contains("Secret")
            {
                continue;
            }
            match kustomize_build::yaml::parse_json_documents(&text) {
                Ok(documents) => {
                    if mentions_gate {
                        found.strict_gate = find_strict_gate(&documents, file, &text);
                    }
                    found.add_documents(&documents, file);
                }
                Err(error) if mentions_flux => found.diagnostics.push(Diagnostic::new(
                    Code::UnreadableManifest,
                    "",
                    file.clone(),
                    format!(
                        "{} is not valid YAML (line {}: {}); the Flux Kustomizations in it are not checked",
                        file.display(),
                        error.line(),
                        error.kind()
                    ),
                )),
                Err(_) => {}
            }
        }
        found
    }

    fn add_documents(&mut self, documents: &[serde_json::Value], file: &Path) {
        for document in documents {
            // `kind: List` wraps objects in `items`.
            let objects: Vec<&serde_json::Value> = match document.get("items") {
                Some(serde_json::Value::Array(items))
                    if document.get("kind").and_then(|k| k.as_str()) == Some("List") =>
                {
                    items.iter().collect()
                }
                _ => vec![document],
            };
            for object in objects {
                if let Some(ks) = FluxKustomization::from_object(object, file) {
                    self.kustomizations.push(ks);
                } else if let Some(source) = VariableSource::from_object(object, file) {
                    self.sources.push(source);
                }
            }
        }
    }
}

/// How many leading directories `a` and `b` share: picks, among objects with the same name
/// (one per cluster directory, typically), the one defined closest to the file asking.
pub(crate) fn shared_dirs(a: &Path, b: &Path) -> usize {
    let (Some(a), Some(b)) = (a.parent(), b.parent()) else {
        return 0;
    };
    a.components()
        .zip(b.components())
        .take_while(|(x, y)| x == y)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kustomize_build::fs::MemFs;

    #[test]
    fn finds_kustomizations_and_variable_sources() {
        let mut fs = MemFs::new();
        fs.add_file(
            "/r/clusters/apps.yaml",
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  path: ./apps\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: vars\ndata:\n  a: b\n",
        );
        fs.add_file(
            "/r/broken.yaml",
            "kind: Kustomization\napiVersion: kustomize.toolkit.fluxcd.io/v1\n  bad: [\n",
        );
        fs.add_file("/r/chart/template.yaml", "{{ if .Values.x }}\n");
        let files = [
            PathBuf::from("/r/clusters/apps.yaml"),
            PathBuf::from("/r/broken.yaml"),
            PathBuf::from("/r/chart/template.yaml"),
        ];
        let repo = FluxRepository::scan(&fs, &files);
        assert_eq!(repo.kustomizations.len(), 1);
        assert_eq!(repo.kustomizations[0].path, "./apps");
        assert_eq!(repo.sources[0].data["a"], "b");
        assert_eq!(repo.diagnostics.len(), 1);
        assert_eq!(repo.diagnostics[0].code, Code::UnreadableManifest);
    }

    #[test]
    fn shared_dirs_counts_common_parents() {
        let a = Path::new("/r/clusters/prod/apps.yaml");
        assert_eq!(shared_dirs(a, Path::new("/r/clusters/prod/vars.yaml")), 4);
        assert_eq!(shared_dirs(a, Path::new("/r/clusters/dev/vars.yaml")), 3);
    }
}
