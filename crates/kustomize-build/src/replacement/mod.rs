//! `replacements`: copy a field of one object into fields of others (kustomize's
//! `ReplacementTransformer`).
//!
//! Each replacement reads one value from the single object its `source` selects (by group,
//! version, kind, name, namespace — current or original, so a base's names still work after an
//! overlay's prefix — and `fieldPath`, default `metadata.name`), optionally picks one piece of it
//! (`options.delimiter`/`options.index`), and writes it to every `fieldPaths` entry of every
//! object the `targets` select and do not reject. Field paths use kustomize's dotted syntax with
//! `[name=value]` list matchers (unanchored regexes), indexes and `*` wildcards; `options.create`
//! creates missing target fields. Errors keep kustomize's wording.
//!
//! ```
//! use kustomize_build::fs::MemFs;
//! use kustomize_build::plugin::Transformer;
//! use kustomize_build::replacement::ReplacementTransformer;
//! use kustomize_build::{LoadRestrictions, Loader, ResMap, Resource};
//! use kustomize_build::json;
//! use std::path::Path;
//!
//! let config: ReplacementTransformer = kustomize_build::value::from_value(json!({"replacements": [{
//!     "source": {"kind": "ConfigMap", "name": "env", "fieldPath": "data.tag"},
//!     "targets": [{"select": {"kind": "Deployment"},
//!                  "fieldPaths": ["spec.template.spec.containers.[name=web].image"],
//!                  "options": {"delimiter": ":", "index": 1}}]}]}))?;
//! let mut resources = ResMap::from(vec![
//!     Resource::new(json!({"apiVersion": "v1", "kind": "ConfigMap",
//!         "metadata": {"name": "env"}, "data": {"tag": "1.27"}})),
//!     Resource::new(json!({"apiVersion": "apps/v1", "kind": "Deployment",
//!         "metadata": {"name": "web"}, "spec": {"template": {"spec": {"containers": [
//!             {"name": "web", "image": "nginx:1.25"}]}}}})),
//! ]);
//! let fs = MemFs::new();
//! let loader = Loader::new(&fs, Path::new("/app"), LoadRestrictions::RootOnly);
//! config.transform(&mut resources, &loader)?;
//! let image = &resources.as_slice()[1].object()["spec"]["template"]["spec"]["containers"][0]["image"];
//! assert_eq!(image, "nginx:1.27");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub(crate) mod path;
mod scalar;
mod types;

use crate::value::Value;

pub use self::types::{
    FieldOptions, Replacement, ReplacementField, ReplacementTransformer, SourceSelector,
    TargetSelector,
};
use crate::error::Result;
use crate::loader::Loader;
use crate::plugin::Transformer;
use crate::resmap::ResMap;
use crate::resource::{ResId, Resource};
use crate::selector::{all_ids, LabelSelector, Selector};

use self::path::{for_each_match, lookup, split_path, LeafKind};
use self::scalar::{is_scalar, resolve_plain, retyped, text_of};

/// The field a source reads and a target writes when none is given.
pub const DEFAULT_FIELD_PATH: &str = "metadata.name";

/// Why a replacement failed. Messages follow kustomize's.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplacementError {
    /// A replacement lacks a `source` or `targets`.
    #[error("replacements must specify a source and at least one target")]
    Incomplete,
    /// A target lacks `select`.
    #[error("target must specify resources to select")]
    NoSelect,
    /// An entry names a `path` and also has inline `source`/`targets`.
    #[error("cannot specify both path and inline replacement")]
    PathAndInline,
    /// A `path` file holds neither a replacement nor a list of them.
    #[error("unsupported replacement type encountered within replacement path: {kind}")]
    PathFileKind {
        /// What the file holds (`string`, `int`…).
        kind: &'static str,
    },
    /// A `path` file does not parse.
    #[error("{path}: {message}")]
    PathFile {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// No object matches the source selector.
    #[error("nothing selected by {0}")]
    NothingSelected(String),
    /// More than one object matches the source selector.
    #[error("multiple matches for selector {0}")]
    MultipleMatches(String),
    /// The source object lacks the field (or it is null or empty).
    #[error("fieldPath `{field_path}` is missing for replacement source {source_id}")]
    SourceFieldMissing {
        /// The source's field path.
        field_path: String,
        /// The source selector's identity.
        source_id: String,
    },
    /// The source field path cannot be walked.
    #[error("error looking up replacement source: {0}")]
    SourceLookup(String),
    /// `options.delimiter` on a source or target that is not a scalar.
    #[error("delimiter option can only be used with scalar nodes")]
    DelimiterOnCollection,
    /// `options.index` outside the pieces of the delimited source value.
    #[error("options.index {index} is out of bounds for value {value}")]
    IndexOutOfBounds {
        /// The index asked for.
        index: i64,
        /// The source value.
        value: String,
    },
    /// No target field matches a field path.
    #[error("unable to find field \"{0}\" in replacement target")]
    TargetFieldMissing(String),
    /// A target field could not be created.
    #[error("unable to find or create field \"{field_path}\" in replacement target: {message}")]
    TargetCreate {
        /// The target's field path.
        field_path: String,
        /// What went wrong.
        message: String,
    },
    /// A target field path cannot be walked.
    #[error("error finding field in replacement target: {0}")]
    TargetLookup(String),
    /// The value does not fit the type of the target field.
    #[error("{object}: {message}")]
    Decode {
        /// The target object's identity.
        object: String,
        /// The decoding error.
        message: String,
    },
    /// A label or annotation selector does not parse.
    #[error(transparent)]
    Selector(#[from] crate::selector::SelectorError),
}

impl Transformer for ReplacementTransformer {
    fn transform(&self, resources: &mut ResMap, loader: &Loader<'_>) -> Result<()> {
        let replacements = self.load(loader)?;
        apply(&replacements, resources)?;
        Ok(())
    }
}

/// Run `replacements` in order over `resources`.
pub fn apply(
    replacements: &[Replacement],
    resources: &mut ResMap,
) -> std::result::Result<(), ReplacementError> {
    // Every object's current and previous ids, kept up to date as targets are written (a
    // replacement may rename), so selection does not re-read them for every selector.
    let mut ids: Vec<Vec<ResId>> = resources.iter().map(all_ids).collect();
    for replacement in replacements {
        let (Some(source), Some(targets)) = (&replacement.source, &replacement.targets) else {
            return Err(ReplacementError::Incomplete);
        };
        let value = source_value(source, resources.as_slice(), &ids)?;
        for target in targets {
            apply_target(target, &value, resources, &mut ids)?;
        }
    }
    Ok(())
}

/// The value the source selects, refined by its delimiter options.
fn source_value(
    source: &SourceSelector,
    resources: &[Resource],
    ids: &[Vec<ResId>],
) -> std::result::Result<Value, ReplacementError> {
    let selector = source.selector();
    let mut found: Option<&Resource> = None;
    for (resource, ids) in resources.iter().zip(ids) {
        if ids.iter().any(|id| selector.selects_id(id)) {
            if found.is_some() {
                return Err(ReplacementError::MultipleMatches(source.to_string()));
            }
            found = Some(resource);
        }
    }
    let resource = found.ok_or_else(|| ReplacementError::NothingSelected(source.to_string()))?;
    let field_path = source.field_path_or_default();
    let value = lookup(resource.object(), &split_path(field_path))
        .map_err(ReplacementError::SourceLookup)?
        .filter(|v| !is_nil_or_empty(v))
        .ok_or_else(|| ReplacementError::SourceFieldMissing {
            field_path: field_path.to_owned(),
            source_id: source.id_string(),
        })?;
    let Some(options) = source.options.as_ref().filter(|o| !o.delimiter.is_empty()) else {
        return Ok(value.clone());
    };
    if !is_scalar(value) {
        return Err(ReplacementError::DelimiterOnCollection);
    }
    let text = text_of(value);
    let piece = usize::try_from(options.index)
        .ok()
        .and_then(|i| text.split(options.delimiter.as_str()).nth(i))
        .ok_or_else(|| ReplacementError::IndexOutOfBounds {
            index: options.index,
            value: text.clone(),
        })?;
    // The piece keeps the source node's tag, as kustomize copies the node and swaps its text.
    Ok(retyped(value, piece).unwrap_or_else(|_| Value::String(piece.to_owned())))
}

/// kyaml's `IsNilOrEmpty`: absent, null, `{}` or `[]`.
fn is_nil_or_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(map) => map.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

fn apply_target(
    target: &TargetSelector,
    value: &Value,
    resources: &mut ResMap,
    ids: &mut [Vec<ResId>],
) -> std::result::Result<(), ReplacementError> {
    let select = target.select.as_ref().ok_or(ReplacementError::NoSelect)?;
    let select_labels = LabelsAndAnnotations::of(select)?;
    let reject_labels = target
        .reject
        .iter()
        .filter(|r| !r.label_selector.is_empty() || !r.annotation_selector.is_empty())
        .map(LabelsAndAnnotations::of)
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let default_paths = [DEFAULT_FIELD_PATH.to_owned()];
    let field_paths: &[String] = if target.field_paths.is_empty() {
        &default_paths
    } else {
        &target.field_paths
    };
    for (resource, ids) in resources.iter_mut().zip(ids.iter_mut()) {
        if !select_labels.matches(resource) || reject_labels.iter().any(|r| r.matches(resource)) {
            continue;
        }
        // Selected when any id (current or previous) is selected and none is rejected: a reject
        // by the name in the base still holds after an overlay's prefix or suffix.
        let selected = ids.iter().any(|id| select.selects_id(id))
            && !ids.iter().any(|id| {
                target
                    .reject
                    .iter()
                    .any(|r| !r.id_is_empty() && r.selects_id(id))
            });
        if selected {
            write_fields(resource, field_paths, target.options.as_ref(), value)?;
            *ids = all_ids(resource);
        }
    }
    Ok(())
}

/// A selector's label and annotation parts, parsed.
struct LabelsAndAnnotations {
    labels: LabelSelector,
    annotations: LabelSelector,
}

impl LabelsAndAnnotations {
    fn of(selector: &Selector) -> std::result::Result<Self, ReplacementError> {
        Ok(Self {
            labels: LabelSelector::parse(&selector.label_selector)?,
            annotations: LabelSelector::parse(&selector.annotation_selector)?,
        })
    }

    fn matches(&self, resource: &Resource) -> bool {
        // Empty selectors match everything; skip reading the object's metadata for them.
        (self.labels.is_empty() || self.labels.matches(resource.labels()))
            && (self.annotations.is_empty() || self.annotations.matches(resource.annotations()))
    }
}

fn write_fields(
    resource: &mut Resource,
    field_paths: &[String],
    options: Option<&FieldOptions>,
    value: &Value,
) -> std::result::Result<(), ReplacementError> {
    let create = options.is_some_and(|o| o.create);
    let object_id = resource.id().to_string();
    for field_path in field_paths {
        let parts = split_path(field_path);
        let mut failure: Option<ReplacementError> = None;
        let found = for_each_match(
            resource.object_mut(),
            &parts,
            create.then(|| LeafKind::of(value)),
            &mut |node, created| match set_field(node, created, options, value) {
                Ok(()) => Ok(()),
                Err(error) => {
                    failure = Some(error);
                    Err(String::new())
                }
            },
        );
        if let Some(error) = failure {
            return Err(match error {
                ReplacementError::Decode { message, .. } => ReplacementError::Decode {
                    object: object_id.clone(),
                    message,
                },
                other => other,
            });
        }
        match found {
            Ok(0) if create => {
                return Err(ReplacementError::TargetCreate {
                    field_path: field_path.clone(),
                    message: "no field created".to_owned(),
                })
            }
            Ok(0) => return Err(ReplacementError::TargetFieldMissing(field_path.clone())),
            Ok(_) => {}
            Err(message) if create => {
                return Err(ReplacementError::TargetCreate {
                    field_path: field_path.clone(),
                    message,
                })
            }
            Err(message) => return Err(ReplacementError::TargetLookup(message)),
        }
    }
    Ok(())
}

/// Write `value` into one target node (kustomize's `setFieldValue`).
fn set_field(
    node: &mut Value,
    created: bool,
    options: Option<&FieldOptions>,
    value: &Value,
) -> std::result::Result<(), ReplacementError> {
    let mut text = None;
    if let Some(options) = options.filter(|o| !o.delimiter.is_empty()) {
        if !created && !is_scalar(node) {
            return Err(ReplacementError::DelimiterOnCollection);
        }
        let current = if created {
            String::new()
        } else {
            text_of(node)
        };
        let mut pieces: Vec<&str> = current.split(options.delimiter.as_str()).collect();
        let piece = text_of(value);
        match usize::try_from(options.index) {
            Err(_) => pieces.insert(0, &piece),
            Ok(i) if i >= pieces.len() => pieces.push(&piece),
            Ok(i) => pieces[i] = &piece,
        }
        text = Some(pieces.join(&options.delimiter));
    }
    if created {
        // A created leaf has no type of its own: a scalar's text resolves as plain YAML.
        *node = match (&text, is_scalar(value)) {
            (Some(text), _) => resolve_plain(text),
            (None, true) => resolve_plain(&text_of(value)),
            (None, false) => value.clone(),
        };
    } else if is_scalar(node) {
        let text = text.unwrap_or_else(|| text_of(value));
        *node = retyped(node, &text).map_err(|message| ReplacementError::Decode {
            object: String::new(),
            message,
        })?;
    } else {
        *node = match text {
            Some(text) => retyped(value, &text).unwrap_or(Value::String(text)),
            None => value.clone(),
        };
    }
    Ok(())
}
