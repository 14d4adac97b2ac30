//! The configuration of `replacements` with kustomize's field names.
//!
//! As kustomize decodes a plugin config (and a `path:` file), field names match
//! case-insensitively and unknown fields are ignored; the strict check of a kustomization file's
//! own fields is the kustomization schema's job.

use std::fmt;

use crate::value::Value;
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::Result;
use crate::loader::Loader;
use crate::selector::{from_go_json_lenient, go_string, Selector};

use super::{ReplacementError, DEFAULT_FIELD_PATH};

/// The `ReplacementTransformer` builtin plugin's config: the `replacements` of a kustomization,
/// or an entry under `transformers:` with `kind: ReplacementTransformer`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReplacementTransformer {
    /// The replacements, inline or read from files, in order.
    pub replacements: Vec<ReplacementField>,
}

impl<'de> Deserialize<'de> for ReplacementTransformer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A plugin config also carries apiVersion, kind and metadata; kustomize ignores the rest.
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default)]
            replacements: Option<Vec<ReplacementField>>,
        }
        let raw = Raw::deserialize(deserializer)?;
        Ok(Self {
            replacements: raw.replacements.unwrap_or_default(),
        })
    }
}

impl ReplacementTransformer {
    /// The replacements with every `path:` entry replaced by the file's replacement(s).
    pub fn load(&self, loader: &Loader<'_>) -> Result<Vec<Replacement>> {
        let mut out = Vec::new();
        for field in &self.replacements {
            if field.path.is_empty() {
                out.push(field.replacement.clone());
                continue;
            }
            if field.replacement.source.is_some()
                || field
                    .replacement
                    .targets
                    .as_ref()
                    .is_some_and(|t| !t.is_empty())
            {
                return Err(ReplacementError::PathAndInline.into());
            }
            let text = loader.read_to_string(&field.path)?;
            out.extend(parse_path_file(&field.path, &text)?);
        }
        Ok(out)
    }
}

/// The replacement(s) in a `path:` file: one replacement, or a list of them.
fn parse_path_file(path: &str, text: &str) -> Result<Vec<Replacement>, ReplacementError> {
    let error = |message: String| ReplacementError::PathFile {
        path: path.to_owned(),
        message,
    };
    // Read with the builder's own YAML reader (kustomize's scalar rules); like Go's
    // `yaml.Unmarshal`, only the first document counts and an empty file holds nothing.
    let value = crate::yaml::parse_documents(text)
        .map_err(|e| error(e.to_string()))?
        .into_iter()
        .next()
        .unwrap_or(Value::Null);
    match value {
        Value::Array(_) => crate::value::from_value(value).map_err(|e| error(e.to_string())),
        Value::Object(_) => crate::value::from_value(value)
            .map(|r| vec![r])
            .map_err(|e| error(e.to_string())),
        Value::Null => Err(ReplacementError::PathFileKind { kind: "invalid" }),
        Value::String(_) => Err(ReplacementError::PathFileKind { kind: "string" }),
        Value::Bool(_) => Err(ReplacementError::PathFileKind { kind: "bool" }),
        Value::Number(n) if n.is_f64() => Err(ReplacementError::PathFileKind { kind: "float64" }),
        Value::Number(_) => Err(ReplacementError::PathFileKind { kind: "int64" }),
    }
}

/// One entry of `replacements`: a replacement written inline, or `path` naming a file.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReplacementField {
    /// The inline replacement (empty when `path` is used).
    #[serde(flatten)]
    pub replacement: Replacement,
    /// A file, relative to the kustomization, holding one replacement or a list of them.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path: String,
}

impl<'de> Deserialize<'de> for ReplacementField {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        struct Raw {
            #[serde(default, deserialize_with = "go_string")]
            path: String,
            #[serde(default)]
            source: Option<SourceSelector>,
            #[serde(default)]
            targets: Option<Vec<TargetSelector>>,
        }
        let raw: Raw = from_go_json_lenient(deserializer, &["path", "source", "targets"])?;
        Ok(Self {
            replacement: Replacement {
                source: raw.source,
                targets: raw.targets,
            },
            path: raw.path,
        })
    }
}

/// Copy one source field into target fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Replacement {
    /// Where the value comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceSelector>,
    /// Where it goes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub targets: Option<Vec<TargetSelector>>,
}

impl<'de> Deserialize<'de> for Replacement {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        struct Raw {
            #[serde(default)]
            source: Option<SourceSelector>,
            #[serde(default)]
            targets: Option<Vec<TargetSelector>>,
        }
        let raw: Raw = from_go_json_lenient(deserializer, &["source", "targets"])?;
        Ok(Self {
            source: raw.source,
            targets: raw.targets,
        })
    }
}

/// The one object (and field) a replacement reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceSelector {
    /// API group; empty matches any.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// API version; empty matches any.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Kind; empty matches any.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Name (current or original); empty matches any.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Namespace (current or original); empty matches any.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// The field to read; empty means `metadata.name`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub field_path: String,
    /// How to pick part of the value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<FieldOptions>,
}

impl<'de> Deserialize<'de> for SourceSelector {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        struct Raw {
            #[serde(default, deserialize_with = "go_string")]
            group: String,
            #[serde(default, deserialize_with = "go_string")]
            version: String,
            #[serde(default, deserialize_with = "go_string")]
            kind: String,
            #[serde(default, deserialize_with = "go_string")]
            name: String,
            #[serde(default, deserialize_with = "go_string")]
            namespace: String,
            #[serde(default, deserialize_with = "go_string")]
            field_path: String,
            #[serde(default)]
            options: Option<FieldOptions>,
        }
        let raw: Raw = from_go_json_lenient(
            deserializer,
            &[
                "group",
                "version",
                "kind",
                "name",
                "namespace",
                "fieldPath",
                "options",
            ],
        )?;
        Ok(Self {
            group: raw.group,
            version: raw.version,
            kind: raw.kind,
            name: raw.name,
            namespace: raw.namespace,
            field_path: raw.field_path,
            options: raw.options,
        })
    }
}

impl SourceSelector {
    /// The identity part as a [`Selector`].
    pub fn selector(&self) -> Selector {
        Selector {
            group: self.group.clone(),
            version: self.version.clone(),
            kind: self.kind.clone(),
            name: self.name.clone(),
            namespace: self.namespace.clone(),
            ..Selector::default()
        }
    }

    /// `field_path`, or `metadata.name` when empty.
    pub fn field_path_or_default(&self) -> &str {
        if self.field_path.is_empty() {
            DEFAULT_FIELD_PATH
        } else {
            &self.field_path
        }
    }

    /// kustomize's `ResId` notation of the selector: `Kind.version.group/name.namespace`.
    pub fn id_string(&self) -> String {
        let part = |s: &str, empty: &'static str| {
            if s.is_empty() {
                empty.to_owned()
            } else {
                s.to_owned()
            }
        };
        format!(
            "{}.{}.{}/{}.{}",
            part(&self.kind, "[noKind]"),
            part(&self.version, "[noVer]"),
            part(&self.group, "[noGrp]"),
            part(&self.name, "[noName]"),
            part(&self.namespace, "[noNs]")
        )
    }
}

impl fmt::Display for SourceSelector {
    /// As kustomize prints a source in errors: the id, then `:fieldPath`, then `:options`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id_string())?;
        if !self.field_path.is_empty() {
            write!(f, ":{}", self.field_path)?;
        }
        if let Some(options) = &self.options {
            if !options.delimiter.is_empty() || options.create {
                write!(
                    f,
                    ":{}({}), create={}",
                    options.delimiter, options.index, options.create
                )?;
            }
        }
        Ok(())
    }
}

/// The objects and fields a replacement writes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetSelector {
    /// Objects to write (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub select: Option<Selector>,
    /// Objects to leave alone even when selected.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reject: Vec<Selector>,
    /// Fields to write in each object; empty means `metadata.name`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub field_paths: Vec<String>,
    /// How to write (delimiter, index, create).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<FieldOptions>,
}

impl<'de> Deserialize<'de> for TargetSelector {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        struct Raw {
            #[serde(default)]
            select: Option<Selector>,
            #[serde(default)]
            reject: Option<Vec<Selector>>,
            #[serde(default)]
            field_paths: Option<Vec<String>>,
            #[serde(default)]
            options: Option<FieldOptions>,
        }
        let raw: Raw =
            from_go_json_lenient(deserializer, &["select", "reject", "fieldPaths", "options"])?;
        Ok(Self {
            select: raw.select,
            reject: raw.reject.unwrap_or_default(),
            field_paths: raw.field_paths.unwrap_or_default(),
            options: raw.options,
        })
    }
}

/// How a field is read or written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldOptions {
    /// Split the field on this string.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub delimiter: String,
    /// Which piece to read or write; negative prepends, past the end appends.
    #[serde(skip_serializing_if = "is_zero")]
    pub index: i64,
    /// Reserved by kustomize (not implemented there either).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub encoding: String,
    /// Create missing target fields.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub create: bool,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &i64) -> bool {
    *n == 0
}

impl<'de> Deserialize<'de> for FieldOptions {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        struct Raw {
            #[serde(default, deserialize_with = "go_string")]
            delimiter: String,
            #[serde(default)]
            index: Option<i64>,
            #[serde(default, deserialize_with = "go_string")]
            encoding: String,
            #[serde(default)]
            create: Option<bool>,
        }
        let raw: Raw =
            from_go_json_lenient(deserializer, &["delimiter", "index", "encoding", "create"])?;
        Ok(Self {
            delimiter: raw.delimiter,
            index: raw.index.unwrap_or(0),
            encoding: raw.encoding,
            create: raw.create.unwrap_or(false),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn fields_parse_case_insensitively_and_unknown_fields_are_ignored() {
        let field: ReplacementField = crate::value::from_value(json!({
            "source": {"Kind": "ConfigMap", "fieldpath": "data.a",
                "options": {"delimiter": "/", "index": 1}},
            "targets": [{"select": {"kind": "Deployment"}, "fieldPaths": ["spec.x"],
                "reject": [{"name": "skip"}], "options": {"create": true}}]}))
        .unwrap();
        let source = field.replacement.source.as_ref().unwrap();
        assert_eq!(source.kind, "ConfigMap");
        assert_eq!(source.field_path, "data.a");
        assert_eq!(source.options.as_ref().unwrap().index, 1);
        let target = &field.replacement.targets.as_ref().unwrap()[0];
        assert!(target.options.as_ref().unwrap().create);
        assert_eq!(target.reject[0].name, "skip");

        let lenient: ReplacementField =
            crate::value::from_value(json!({"source": {"kind": "A", "bogus": 1}})).unwrap();
        assert_eq!(lenient.replacement.source.unwrap().kind, "A");
    }

    #[test]
    fn source_prints_like_kustomize() {
        let source: SourceSelector = crate::value::from_value(json!({"group": "apps", "name": "d",
            "namespace": "ns", "fieldPath": "spec.a",
            "options": {"delimiter": "/", "index": 3}}))
        .unwrap();
        assert_eq!(
            source.to_string(),
            "[noKind].[noVer].apps/d.ns:spec.a:/(3), create=false"
        );
        assert_eq!(source.id_string(), "[noKind].[noVer].apps/d.ns");
    }

    #[test]
    fn path_files_hold_one_or_many() {
        let one = "source: {kind: A}\ntargets: [{select: {kind: B}}]\n";
        assert_eq!(parse_path_file("r.yaml", one).unwrap().len(), 1);
        let many = "- source: {kind: A}\n  targets: []\n- source: {kind: C}\n  targets: []\n";
        assert_eq!(parse_path_file("r.yaml", many).unwrap().len(), 2);
        assert_eq!(
            parse_path_file("r.yaml", "\"str\"\n")
                .unwrap_err()
                .to_string(),
            "unsupported replacement type encountered within replacement path: string"
        );
    }
}
