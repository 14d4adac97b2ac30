//! The kustomization Argo CD builds for a kustomize source: the one in the source's `path`,
//! edited by the `kustomize edit` commands the repo-server runs for each option of
//! `spec.source.kustomize` (argoproj/argo-cd `util/kustomize/kustomize.go`, `Build`).
//!
//! Each option becomes the edit kustomize v5's `kustomize edit` makes
//! (kubernetes-sigs/kustomize `kustomize/commands/edit`): `set nameprefix`/`namesuffix`/
//! `namespace` set the field; `set image` replaces the `images` entry of the same name (a `*`
//! keeps that entry's field), then sorts `images` by name (`set/setimage.go`,
//! `RunSetImage`); `set replicas` merges into `replicas` by name;
//! `add label` merges into `commonLabels` (or, with `labelWithoutSelector`, appends a
//! `labels` entry without selectors), failing on a key already there unless
//! `forceCommonLabels`; `add annotation` likewise for `commonAnnotations`; `add component`
//! appends what is not listed yet; `patches` are appended to `patches`.

use std::path::Path;

use serde_json::{Map, Value};

use kustomize_build::fs::Filesystem;

/// Why an option could not be applied, as `kustomize edit` would fail.
pub(crate) type EditError = String;

/// Apply the options `options` (a source's `kustomize` object) to `kustomization`, the content
/// of the kustomization file in `dir`.
pub(crate) fn apply_options(
    fs: &dyn Filesystem,
    dir: &Path,
    options: &Value,
    kustomization: &mut Map<String, Value>,
) -> Result<(), EditError> {
    let text = |field: &str| {
        options[field]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let flag = |field: &str| options[field].as_bool() == Some(true);
    if let Some(prefix) = text("namePrefix") {
        kustomization.insert("namePrefix".into(), prefix.into());
    }
    if let Some(suffix) = text("nameSuffix") {
        kustomization.insert("nameSuffix".into(), suffix.into());
    }
    if let Some(images) = options["images"].as_array().filter(|i| !i.is_empty()) {
        set_images(kustomization, images)?;
    }
    if let Some(replicas) = options["replicas"].as_array().filter(|r| !r.is_empty()) {
        set_replicas(kustomization, replicas)?;
    }
    if let Some(labels) = options["commonLabels"]
        .as_object()
        .filter(|l| !l.is_empty())
    {
        if flag("labelWithoutSelector") {
            let mut entry = Map::new();
            entry.insert("pairs".into(), Value::Object(string_map(labels)));
            if flag("labelIncludeTemplates") {
                entry.insert("includeTemplates".into(), true.into());
            }
            push(kustomization, "labels", Value::Object(entry));
        } else {
            add_metadata(
                kustomization,
                "commonLabels",
                "label",
                labels,
                flag("forceCommonLabels"),
            )?;
        }
    }
    if let Some(annotations) = options["commonAnnotations"]
        .as_object()
        .filter(|a| !a.is_empty())
    {
        add_metadata(
            kustomization,
            "commonAnnotations",
            "annotation",
            annotations,
            flag("forceCommonAnnotations"),
        )?;
    }
    if let Some(namespace) = text("namespace") {
        kustomization.insert("namespace".into(), namespace.into());
    }
    if let Some(patches) = options["patches"].as_array() {
        for patch in patches {
            push(kustomization, "patches", without_empty(patch));
        }
    }
    if let Some(components) = options["components"].as_array() {
        let ignore_missing = flag("ignoreMissingComponents");
        for component in components.iter().filter_map(Value::as_str) {
            if !fs.exists(&dir.join(component)) {
                if ignore_missing {
                    continue;
                }
                return Err(format!(
                    "component {component} does not exist (kustomize edit add component fails; set ignoreMissingComponents: true if it may be absent)"
                ));
            }
            let listed = kustomization
                .get("components")
                .unwrap_or(&Value::Null)
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c.as_str() == Some(component)));
            if !listed {
                push(kustomization, "components", component.into());
            }
        }
    }
    Ok(())
}

/// Append `value` to the list `field`, creating it.
fn push(kustomization: &mut Map<String, Value>, field: &str, value: Value) {
    let list = kustomization
        .entry(field)
        .or_insert_with(|| Value::Array(Vec::new()));
    if !list.is_array() {
        *list = Value::Array(Vec::new());
    }
    if let Value::Array(list) = list {
        list.push(value);
    }
}

/// `kustomize edit add label|annotation`: merge `values` into the map `field`.
fn add_metadata(
    kustomization: &mut Map<String, Value>,
    field: &str,
    what: &str,
    values: &Map<String, Value>,
    force: bool,
) -> Result<(), EditError> {
    let map = kustomization
        .entry(field)
        .or_insert_with(|| Value::Object(Map::new()));
    if !map.is_object() {
        *map = Value::Object(Map::new());
    }
    let Value::Object(map) = map else {
        return Ok(());
    };
    for (key, value) in string_map(values) {
        if map.contains_key(&key) && !force {
            return Err(format!(
                "{what} {key} already in kustomization file (kustomize edit add {what} fails; set force{}: true to override it)",
                if what == "label" { "CommonLabels" } else { "CommonAnnotations" }
            ));
        }
        map.insert(key, value);
    }
    Ok(())
}

/// Values as strings, as the `key:value` arguments of `kustomize edit` carry them.
fn string_map(values: &Map<String, Value>) -> Map<String, Value> {
    values
        .iter()
        .map(|(key, value)| {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            (key.clone(), Value::String(text))
        })
        .collect()
}

/// One `kustomize edit set image` argument: `[old=]new[:tag|@digest]`.
#[derive(Debug, PartialEq)]
struct ImageEdit {
    name: String,
    new_name: Option<String>,
    tag: Option<String>,
    digest: Option<String>,
}

fn parse_image(argument: &str) -> Result<ImageEdit, EditError> {
    let invalid = || format!("image {argument:?} is not [<old_image>=]<image>[:<tag>|@<digest>]");
    let (old, replacement) = match argument.split_once('=') {
        Some((old, new)) => (Some(old), new),
        None => (None, argument),
    };
    let (name, tag, digest) = if let Some((name, digest)) = replacement.split_once('@') {
        (name, None, Some(digest.to_owned()))
    } else if let Some((name, tag)) = replacement.rsplit_once(':').filter(|(_, tag)| {
        tag.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    }) {
        (name, Some(tag.to_owned()), None)
    } else if old.is_some() && !replacement.is_empty() {
        (replacement, None, None)
    } else {
        return Err(invalid());
    };
    Ok(match old {
        Some(old) => ImageEdit {
            name: old.to_owned(),
            new_name: Some(name.to_owned()),
            tag,
            digest,
        },
        None => ImageEdit {
            name: name.to_owned(),
            new_name: None,
            tag,
            digest,
        },
    })
}

fn set_images(kustomization: &mut Map<String, Value>, images: &[Value]) -> Result<(), EditError> {
    // One entry per name; among the arguments the last one for a name wins.
    let mut edits: Vec<ImageEdit> = Vec::new();
    for argument in images {
        let argument = argument
            .as_str()
            .ok_or_else(|| format!("image {argument} is not a string"))?;
        let edit = parse_image(argument)?;
        edits.retain(|e| e.name != edit.name);
        edits.push(edit);
    }
    let existing: Vec<Map<String, Value>> = kustomization
        .get("images")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(|i| i.as_object().cloned()).collect())
        .unwrap_or_default();
    let mut merged: Vec<Map<String, Value>> = Vec::new();
    for image in &existing {
        let name = image
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if edits.iter().any(|e| e.name == name) || merged.iter().any(|m| m["name"] == name) {
            continue;
        }
        merged.push(image.clone());
    }
    for edit in edits {
        let previous = existing
            .iter()
            .find(|i| i.get("name").and_then(Value::as_str) == Some(edit.name.as_str()));
        // `*` keeps what the kustomization already says.
        let field = |value: Option<String>, key: &str| match value.as_deref() {
            Some(PRESERVE) => previous
                .and_then(|p| p.get(key))
                .and_then(Value::as_str)
                .map(str::to_owned),
            _ => value,
        };
        let mut image = Map::new();
        image.insert("name".into(), edit.name.clone().into());
        for (key, value) in [
            ("newName", field(edit.new_name, "newName")),
            ("newTag", field(edit.tag, "newTag")),
            ("digest", field(edit.digest, "digest")),
        ] {
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                image.insert(key.into(), value.into());
            }
        }
        merged.push(image);
    }
    merged.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    kustomization.insert(
        "images".into(),
        Value::Array(merged.into_iter().map(Value::Object).collect()),
    );
    Ok(())
}

/// The value with which a `set image` argument keeps the kustomization's own field.
const PRESERVE: &str = "*";

fn set_replicas(
    kustomization: &mut Map<String, Value>,
    replicas: &[Value],
) -> Result<(), EditError> {
    for replica in replicas {
        let name = replica["name"]
            .as_str()
            .ok_or_else(|| format!("replicas entry {replica} has no name"))?;
        let count = match &replica["count"] {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
        .ok_or_else(|| {
            format!(
                "replicas entry {name}: count {} is not an integer",
                replica["count"]
            )
        })?;
        let list = kustomization
            .entry("replicas")
            .or_insert_with(|| Value::Array(Vec::new()));
        if !list.is_array() {
            *list = Value::Array(Vec::new());
        }
        let Value::Array(list) = list else { continue };
        if let Some(existing) = list.iter_mut().find(|r| r["name"].as_str() == Some(name)) {
            existing["count"] = count.into();
        } else {
            list.push(serde_json::json!({"name": name, "count": count}));
        }
    }
    Ok(())
}

/// An Argo patch entry without the fields left empty (the CRD's `omitempty`).
fn without_empty(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| match v {
                    Value::Null => false,
                    Value::String(s) => !s.is_empty(),
                    Value::Object(m) => !m.is_empty(),
                    _ => true,
                })
                .map(|(k, v)| (k.clone(), without_empty(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kustomize_build::fs::MemFs;
    use serde_json::json;

    fn edited(existing: &Value, options: &Value) -> Result<Value, EditError> {
        let mut fs = MemFs::new();
        fs.add_file("/r/app/team/kustomization.yaml", "kind: Component\n");
        let mut map = existing.as_object().cloned().unwrap();
        apply_options(&fs, Path::new("/r/app"), options, &mut map).map(|()| Value::Object(map))
    }

    #[test]
    fn images_replace_entries_by_name_and_sort() {
        let result = edited(
            &json!({"images": [
                {"name": "web", "newName": "mirror/web", "newTag": "1"},
                {"name": "zed", "newTag": "9"},
                {"name": "cache", "newName": "mirror/cache", "newTag": "3"},
            ]}),
            &json!({"images": ["web:2", "api=registry.example:5000/api", "db@sha256:abc", "cache=*:4"]}),
        )
        .unwrap();
        // The argument replaces the entry (web loses its newName); `*` keeps a field.
        assert_eq!(
            result["images"],
            json!([
                {"name": "api", "newName": "registry.example:5000/api"},
                {"name": "cache", "newName": "mirror/cache", "newTag": "4"},
                {"name": "db", "digest": "sha256:abc"},
                {"name": "web", "newTag": "2"},
                {"name": "zed", "newTag": "9"},
            ])
        );
        assert!(parse_image("no-tag").is_err());
    }

    #[test]
    fn labels_fail_on_existing_keys_unless_forced() {
        let existing = json!({"commonLabels": {"team": "a"}});
        let error = edited(&existing, &json!({"commonLabels": {"team": "b"}})).unwrap_err();
        assert!(error.starts_with("label team already in kustomization file"));
        let forced = edited(
            &existing,
            &json!({"commonLabels": {"team": "b", "tier": 1}, "forceCommonLabels": true}),
        )
        .unwrap();
        assert_eq!(forced["commonLabels"], json!({"team": "b", "tier": "1"}));
        let without = edited(
            &existing,
            &json!({"commonLabels": {"team": "b"}, "labelWithoutSelector": true}),
        )
        .unwrap();
        assert_eq!(without["labels"], json!([{"pairs": {"team": "b"}}]));
    }

    #[test]
    fn replicas_components_patches_and_names() {
        let result = edited(
            &json!({"replicas": [{"name": "web", "count": 1}], "components": ["team"]}),
            &json!({
                "namePrefix": "p-", "nameSuffix": "", "namespace": "shop",
                "replicas": [{"name": "web", "count": "3"}, {"name": "api", "count": 2}],
                "components": ["team"],
                "patches": [{"patch": "x", "target": {"kind": "Deployment", "name": ""}, "path": ""}],
            }),
        )
        .unwrap();
        assert_eq!(result["namePrefix"], "p-");
        assert!(result.get("nameSuffix").is_none());
        assert_eq!(result["namespace"], "shop");
        assert_eq!(
            result["replicas"],
            json!([{"name": "web", "count": 3}, {"name": "api", "count": 2}])
        );
        assert_eq!(result["components"], json!(["team"]));
        assert_eq!(
            result["patches"],
            json!([{"patch": "x", "target": {"kind": "Deployment"}}])
        );
        let missing = edited(&json!({}), &json!({"components": ["gone"]})).unwrap_err();
        assert!(missing.contains("component gone does not exist"));
        let ignored = edited(
            &json!({}),
            &json!({"components": ["gone"], "ignoreMissingComponents": true}),
        )
        .unwrap();
        assert!(ignored.get("components").is_none());
    }
}
