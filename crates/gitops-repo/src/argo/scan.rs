//! Finding the Argo CD Applications (and `ApplicationSets`) committed in a repository's YAML
//! files.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::object::{ArgoApplication, GROUP};
use crate::flux::{Code, Diagnostic};
use kustomize_build::fs::Filesystem;

/// The Argo CD objects of a repository.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArgoRepository {
    /// Every `Application`, in file order.
    pub applications: Vec<ArgoApplication>,
    /// Every `ApplicationSet` object, with the file defining it.
    pub application_sets: Vec<(PathBuf, Value)>,
    /// Files mentioning Argo CD that are not valid YAML.
    pub diagnostics: Vec<Diagnostic>,
}

impl ArgoRepository {
    /// Read `files` (YAML files of the repository) through `fs`; files that are not valid YAML
    /// are skipped, with a warning when they mention `argoproj.io`.
    ///
    /// ```
    /// use std::path::PathBuf;
    /// use gitops_repo::argo::ArgoRepository;
    /// use kustomize_build::fs::MemFs;
    ///
    /// let mut fs = MemFs::new();
    /// fs.add_file(
    ///     "/r/apps.yaml",
    ///     "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n\
    ///      spec:\n  source:\n    repoURL: https://git.example/r\n    path: web\n",
    /// );
    /// let repo = ArgoRepository::scan(&fs, &[PathBuf::from("/r/apps.yaml")]);
    /// assert_eq!(repo.applications[0].id.name, "web");
    /// ```
    pub fn scan(fs: &dyn Filesystem, files: &[PathBuf]) -> Self {
        let mut found = Self::default();
        for file in files {
            let Ok(bytes) = fs.read(file) else { continue };
            let text = String::from_utf8_lossy(&bytes);
            if !text.contains(GROUP) {
                continue;
            }
            match kustomize_build::yaml::parse_json_documents(&text) {
                Ok(documents) => found.add_documents(&documents, file),
                Err(error) => found.diagnostics.push(Diagnostic::new(
                    Code::UnreadableManifest,
                    "",
                    file.clone(),
                    format!(
                        "{} is not valid YAML (line {}: {}); the Argo CD Applications in it are not checked",
                        file.display(),
                        error.line(),
                        error.kind()
                    ),
                )),
            }
        }
        found
    }

    fn add_documents(&mut self, documents: &[Value], file: &Path) {
        for document in documents {
            let objects: Vec<&Value> = match document.get("items") {
                Some(Value::Array(items)) if document["kind"].as_str() == Some("List") => {
                    items.iter().collect()
                }
                _ => vec![document],
            };
            for object in objects {
                if let Some(app) = ArgoApplication::from_object(object, file) {
                    self.applications.push(app);
                } else if is_application_set(object) {
                    self.application_sets
                        .push((file.to_path_buf(), object.clone()));
                }
            }
        }
    }
}

fn is_application_set(object: &Value) -> bool {
    object["kind"].as_str() == Some("ApplicationSet")
        && object["apiVersion"]
            .as_str()
            .is_some_and(|v| v.split('/').next() == Some(GROUP))
}
