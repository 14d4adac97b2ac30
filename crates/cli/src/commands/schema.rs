//! The schema flags of `validate` and `check`, turned into `gitops_repo::SchemaOptions`: the check itself (every
//! rendered object through `api-validation`, traced to its file and line) is the library's;
//! the CLI reads the `--schema-dir` files.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use api_validation::{KubeVersion, Validator};
use gitops_repo::SchemaOptions;
use serde::Deserialize as _;
use serde_json::Value;

/// The schema flags of `validate` and `check`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct SchemaArgs {
    /// The Kubernetes release to validate against (1.25 to 1.37; default: the newest).
    #[arg(long, value_name = "X.Y")]
    kube_version: Option<KubeVersion>,
    /// Skip the schema check: report build failures (and, for `check`, rule findings) only.
    #[arg(long)]
    no_schema: bool,
    /// A directory of extra `CustomResourceDefinition`s (`*.yaml`, `*.yml`, `*.json`), for
    /// custom resources whose CRD is not in the repository.
    #[arg(long, value_name = "DIR")]
    schema_dir: Vec<PathBuf>,
}

impl SchemaArgs {
    /// The library's schema options: the flags, and the CRDs read from each `--schema-dir`.
    pub(crate) fn options(&self) -> anyhow::Result<SchemaOptions> {
        let mut options = SchemaOptions::new().with_enabled(!self.no_schema);
        if let Some(version) = self.kube_version {
            options = options.with_kube_version(version);
        }
        if self.no_schema {
            return Ok(options);
        }
        for dir in &self.schema_dir {
            for (file, crd) in crds_in(dir)? {
                options = options.with_custom_resource_definition(file.display().to_string(), crd);
            }
        }
        Ok(options)
    }
}

/// Every `CustomResourceDefinition` in the YAML and JSON files under `dir`.
fn crds_in(dir: &Path) -> anyhow::Result<Vec<(PathBuf, Value)>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        let entries = std::fs::read_dir(&next)
            .with_context(|| format!("cannot read --schema-dir {}", next.display()))?;
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
            {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut crds = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        for document in serde_yaml_ng::Deserializer::from_str(&text) {
            let value = Value::deserialize(document).with_context(|| {
                format!(
                    "{} is not valid YAML; fix it or move it out of --schema-dir",
                    file.display()
                )
            })?;
            if Validator::is_custom_resource_definition(&value) {
                crds.push((file.clone(), value));
            }
        }
    }
    Ok(crds)
}
