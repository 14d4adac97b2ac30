//! `validate`'s schema check: every rendered object through `api-validation`, with the CRDs
//! rendered anywhere in the repository (and under `--schema-dir`) feeding it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use api_validation::{KubeVersion, Validator};
use serde::Deserialize as _;
use serde_json::Value;

use api_validation::{Problem, Rule};
use kustomize_build::flux::FluxKustomization;
use kustomize_build::fs::Filesystem;
use kustomize_build::provenance::{Query, Tracer};
use kustomize_build::{BuildOptions, ResId};

use crate::report::{SchemaProblem, Source, Warning};

/// The schema flags of `validate`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct SchemaArgs {
    /// The Kubernetes release to validate against (1.25 to 1.37; default: the newest).
    #[arg(long, value_name = "X.Y")]
    kube_version: Option<KubeVersion>,
    /// Skip the schema check: report build failures only.
    #[arg(long)]
    no_schema: bool,
    /// A directory of extra `CustomResourceDefinition`s (`*.yaml`, `*.yml`, `*.json`), for
    /// custom resources whose CRD is not in the repository.
    #[arg(long, value_name = "DIR")]
    schema_dir: Vec<PathBuf>,
}

/// One built target, as the schema check needs it.
pub(crate) struct Target<'a> {
    /// The target's name, relative to PATH.
    pub(crate) path: &'a str,
    /// Its kustomization file (or Flux Kustomization file), relative to PATH.
    pub(crate) file: &'a str,
    pub(crate) objects: &'a [Value],
    /// The directory built, where provenance rebuilds it.
    pub(crate) dir: &'a Path,
    /// The Flux Kustomization, when the target is one.
    pub(crate) flux: Option<&'a FluxKustomization>,
}

/// Where sources are looked up: the tree's filesystem and the root sources are relative to.
pub(crate) struct Sources<'a> {
    pub(crate) fs: &'a dyn Filesystem,
    pub(crate) root: &'a Path,
    pub(crate) options: &'a BuildOptions,
}

/// The problems of every target's objects, and warnings for CRDs that cannot be read.
pub(crate) fn check(
    args: &SchemaArgs,
    targets: &[Target<'_>],
    sources: &Sources<'_>,
) -> anyhow::Result<(Vec<SchemaProblem>, Vec<Warning>)> {
    if args.no_schema {
        return Ok((Vec::new(), Vec::new()));
    }
    let mut validator = Validator::new(args.kube_version.unwrap_or(api_validation::LATEST))?;
    let mut warnings = Vec::new();
    // Each CRD once, by name: bases and their overlays render the same ones.
    let mut crds: BTreeMap<String, (&Value, &str, &str)> = BTreeMap::new();
    for target in targets {
        let crds_here = target
            .objects
            .iter()
            .filter(|o| Validator::is_custom_resource_definition(o));
        for object in crds_here {
            let name = object
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            crds.entry(name.to_owned())
                .or_insert((object, target.path, target.file));
        }
    }
    for dir in &args.schema_dir {
        for (file, crd) in crds_in(dir)? {
            validator
                .add_custom_resource_definition(&crd)
                .with_context(|| format!("{}", file.display()))?;
        }
    }
    for (object, path, file) in crds.values() {
        if let Err(error) = validator.add_custom_resource_definition(object) {
            warnings.push(Warning {
                rule: "schema-crd-unreadable".to_owned(),
                path: (*path).to_owned(),
                message: error.to_string(),
                help: "its custom resources are reported as not checked".to_owned(),
                source: None,
                file: (*file).to_owned(),
            });
        }
    }
    let mut problems = Vec::new();
    for target in targets {
        // Built again with origin annotations only for targets with something to point at.
        let mut tracer: Option<Option<Tracer<'_>>> = None;
        for object in target.objects {
            for problem in validator.validate(object) {
                let source = traced_field(&problem).and_then(|field| {
                    let tracer = tracer
                        .get_or_insert_with(|| match target.flux {
                            Some(ks) => {
                                Tracer::for_flux(sources.fs, target.dir, ks, sources.options).ok()
                            }
                            None => Tracer::new(sources.fs, target.dir, sources.options).ok(),
                        })
                        .as_ref()?;
                    let id = ResId::of(object);
                    let found = tracer.locate(&Query::new(&id, &field).with_current(object))?;
                    Some(Source {
                        file: found
                            .file_relative_to(sources.root)
                            .to_string_lossy()
                            .replace('\\', "/"),
                        line: found.line,
                        writer: Some(found.writer.to_string()),
                    })
                });
                problems.push(SchemaProblem {
                    path: target.path.to_owned(),
                    file: target.file.to_owned(),
                    problem,
                    source,
                });
            }
        }
    }
    Ok((problems, warnings))
}

/// The field to trace back to a file and line, in the provenance syntax (`spec.replicas`,
/// dotted keys unquoted): the bad field; a missing field's parent; `apiVersion` for a removed
/// or deprecated API. `None` for problems that point nowhere (an unchecked object).
fn traced_field(problem: &Problem) -> Option<String> {
    let field = match problem.rule {
        Rule::SchemaNotChecked => return None,
        Rule::ApiRemoved | Rule::ApiDeprecated if problem.field.is_empty() => {
            return Some("apiVersion".to_owned())
        }
        Rule::SchemaRequired => parent(&problem.field),
        _ => &problem.field,
    };
    let plain = field.replace("[\"", ".").replace("\"]", "");
    let plain = plain.trim_start_matches('.');
    Some(if plain.is_empty() {
        "kind".to_owned()
    } else {
        plain.to_owned()
    })
}

/// `.a.b[0]` → `.a.b`; `.a["x.y"]` → `.a`.
fn parent(field: &str) -> &str {
    let cut = if field.ends_with(']') {
        field.rfind('[')
    } else {
        field.rfind('.')
    };
    &field[..cut.unwrap_or(0)]
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

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(rule: Rule, field: &str) -> Problem {
        let object = serde_json::json!({"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "x"}});
        let validator = Validator::new(api_validation::LATEST).unwrap();
        let mut problem = validator.validate(&object).remove(0);
        problem.rule = rule;
        problem.field = field.to_owned();
        problem
    }

    #[test]
    fn fields_are_traced_in_the_provenance_syntax() {
        let traced = |rule, field| traced_field(&problem(rule, field));
        assert_eq!(
            traced(Rule::SchemaType, ".spec.ports[0].port").as_deref(),
            Some("spec.ports[0].port")
        );
        assert_eq!(
            traced(
                Rule::SchemaUnknownField,
                r#".metadata.annotations["example.com/x"]"#
            )
            .as_deref(),
            Some("metadata.annotations.example.com/x")
        );
        assert_eq!(
            traced(
                Rule::SchemaRequired,
                ".spec.template.spec.containers[0].name"
            )
            .as_deref(),
            Some("spec.template.spec.containers[0]")
        );
        assert_eq!(
            traced(Rule::SchemaRequired, ".spec").as_deref(),
            Some("kind")
        );
        assert_eq!(traced(Rule::ApiRemoved, "").as_deref(), Some("apiVersion"));
        assert_eq!(traced(Rule::SchemaNotChecked, ""), None);
    }
}
