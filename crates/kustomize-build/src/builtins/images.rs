//! `images`: kustomize's `ImageTagTransformer`.
//!
//! An image reference `[host[:port]/]path[:tag][@digest]` whose name matches `name` gets a new
//! name, tag, digest or tag suffix. Like kustomize, the transformer runs two passes: one over every
//! `containers`/`initContainers` sequence anywhere in the object, then one over the `images` field
//! specs (so a `tagSuffix` on a pod template is appended twice, exactly as kustomize does).
//! `CustomResourceDefinitions` are never touched.

use crate::value::Value;
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::error::{BuildError, Result};
use crate::fieldspec::{apply_all, node_kind, Create, FieldSpec};
use crate::loader::Loader;
use crate::plugin::Transformer;
use crate::resmap::ResMap;

/// One `images:` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    /// The image name to match (without tag or digest); a regular expression, as in kustomize.
    #[serde(default)]
    pub name: String,
    /// Replacement name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub new_name: String,
    /// Appended to the existing tag.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tag_suffix: String,
    /// Replacement tag.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub new_tag: String,
    /// Replacement digest (replaces the tag unless `newTag` is also given).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub digest: String,
}

/// `ImageTagTransformer`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageTagTransformer {
    /// The image to rewrite.
    #[serde(default)]
    pub image_tag: Image,
    /// Where image references live besides `containers`/`initContainers`.
    #[serde(default)]
    pub field_specs: Vec<FieldSpec>,
}

impl Transformer for ImageTagTransformer {
    fn transform(&self, resources: &mut ResMap, _loader: &Loader<'_>) -> Result<()> {
        let matcher = ImageMatcher::new(&self.image_tag.name)?;
        let mut update = |node: &mut Value| update_image(node, &self.image_tag, &matcher);
        // What `update_image` changes or refuses: a matching name, or something not a scalar.
        let wanted = |image: &Value| match image {
            Value::String(name) => matcher.is_match(name),
            Value::Null | Value::Number(_) | Value::Bool(_) => false,
            Value::Array(_) | Value::Object(_) => true,
        };
        for resource in resources.iter_mut() {
            if resource.kind() == "CustomResourceDefinition" {
                continue;
            }
            let id = resource.id();
            visit_containers(resource.object_mut(), &wanted, &mut update).map_err(|reason| {
                BuildError::FieldPath {
                    path: "containers/image".to_owned(),
                    object: id.to_string(),
                    reason,
                }
            })?;
            apply_all(
                &self.field_specs,
                resource.object_mut(),
                Create::Never,
                &mut update,
            )?;
        }
        Ok(())
    }
}

/// kustomize's image match: `^NAME(:[a-zA-Z0-9_.{}-]*)?(@sha256:[a-zA-Z0-9_.{}-]*)?$` with the
/// name taken as a regular expression.
#[derive(Debug)]
enum ImageMatcher {
    /// A name of letters, digits, `_`, `/`, `-` and `.` (the usual image name): matched directly,
    /// each `.` standing for any character as in the regular expression. Compiling the regex
    /// costs more than a whole overlay's other transformers.
    Plain(Vec<char>),
    /// Any other name: the regular expression itself.
    Pattern(Regex),
}

/// The characters of a tag or digest in kustomize's pattern.
fn is_tag_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '{' | '}' | '-')
}

impl ImageMatcher {
    fn new(name: &str) -> Result<Self> {
        if name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '/' | '-' | '.'))
        {
            return Ok(Self::Plain(name.chars().collect()));
        }
        let pattern = format!("^{name}(:[a-zA-Z0-9_.{{}}-]*)?(@sha256:[a-zA-Z0-9_.{{}}-]*)?$");
        Regex::new(&pattern)
            .map(Self::Pattern)
            .map_err(|e| BuildError::Plugin {
                plugin: "ImageTagTransformer",
                reason: format!("image name {name:?} is not a valid pattern: {e}"),
            })
    }

    fn is_match(&self, image: &str) -> bool {
        let name = match self {
            Self::Pattern(regex) => return regex.is_match(image),
            Self::Plain(name) => name,
        };
        let mut chars = image.chars();
        for wanted in name {
            match chars.next() {
                // `.` in a regex: any character but a newline.
                Some(c) if (*wanted == '.' && c != '\n') || c == *wanted => {}
                _ => return false,
            }
        }
        let rest = chars.as_str();
        let rest = match rest.strip_prefix(':') {
            Some(tag) => tag.trim_start_matches(is_tag_char),
            None => rest,
        };
        rest.is_empty()
            || rest
                .strip_prefix("@sha256:")
                .is_some_and(|digest| digest.chars().all(is_tag_char))
    }
}

/// Call `update` on the `image` of every element of every `containers`/`initContainers`
/// sequence in `node`, at any depth, that `wanted` says yes to. Only the maps and lists on the
/// way to such an image are changed (copied if shared): an object without one stays shared
/// with the base it came from.
fn visit_containers<F>(
    node: &mut Value,
    wanted: &dyn Fn(&Value) -> bool,
    update: &mut F,
) -> std::result::Result<(), String>
where
    F: FnMut(&mut Value) -> std::result::Result<(), String>,
{
    match node {
        Value::Object(map) => {
            let keys: Vec<String> = map
                .iter()
                .filter(|(key, value)| reaches_wanted(key, value, wanted))
                .map(|(key, _)| String::from(key.clone()))
                .collect();
            for key in keys {
                let Some(value) = map.get_mut(key.as_str()) else {
                    continue;
                };
                visit_containers(value, wanted, update)?;
                if is_container_list(&key) {
                    if let Value::Array(items) = value {
                        for item in items.iter_mut() {
                            if item.get("image").is_some_and(wanted) {
                                if let Some(image) = item.get_mut("image") {
                                    update(image)?;
                                }
                            }
                        }
                    }
                }
            }
            Ok(())
        }
        Value::Array(items) if items.iter().any(|item| holds_wanted(item, wanted)) => items
            .iter_mut()
            .try_for_each(|item| visit_containers(item, wanted, update)),
        _ => Ok(()),
    }
}

fn is_container_list(key: &str) -> bool {
    key == "containers" || key == "initContainers"
}

/// Whether `value`, found at `key`, is or holds a container list with a wanted image.
fn reaches_wanted(key: &str, value: &Value, wanted: &dyn Fn(&Value) -> bool) -> bool {
    holds_wanted(value, wanted)
        || (is_container_list(key)
            && value.as_array().is_some_and(|items| {
                items
                    .iter()
                    .any(|item| item.get("image").is_some_and(wanted))
            }))
}

/// Whether a container list with a wanted image is anywhere below `node`.
fn holds_wanted(node: &Value, wanted: &dyn Fn(&Value) -> bool) -> bool {
    match node {
        Value::Object(map) => map
            .iter()
            .any(|(key, value)| reaches_wanted(key, value, wanted)),
        Value::Array(items) => items.iter().any(|item| holds_wanted(item, wanted)),
        _ => false,
    }
}

fn update_image(
    node: &mut Value,
    image: &Image,
    matcher: &ImageMatcher,
) -> std::result::Result<(), String> {
    let current = match node {
        Value::String(s) => s.clone(),
        Value::Null | Value::Number(_) | Value::Bool(_) => return Ok(()),
        other => {
            return Err(format!(
                "wrong node kind: expected ScalarNode but got {}",
                node_kind(other)
            ))
        }
    };
    if !matcher.is_match(&current) {
        return Ok(());
    }
    let (mut name, mut tag, mut digest) = split_image(&current);
    if !image.new_name.is_empty() {
        name.clone_from(&image.new_name);
    }
    match (image.new_tag.is_empty(), image.digest.is_empty()) {
        (false, false) => {
            tag.clone_from(&image.new_tag);
            digest.clone_from(&image.digest);
        }
        (false, true) => {
            tag.clone_from(&image.new_tag);
            digest.clear();
        }
        (true, false) => {
            tag.clear();
            digest.clone_from(&image.digest);
        }
        (true, true) if !image.tag_suffix.is_empty() => {
            tag.push_str(&image.tag_suffix);
            digest.clear();
        }
        (true, true) => {}
    }
    if !tag.is_empty() {
        name = format!("{name}:{tag}");
    }
    if !digest.is_empty() {
        name = format!("{name}@{digest}");
    }
    *node = Value::String(name);
    Ok(())
}

/// Split an image reference into name, tag and digest; a `:` before the first `/` is a registry
/// port, not a tag.
pub fn split_image(reference: &str) -> (String, String, String) {
    let offset = match reference.find('/') {
        Some(i) if i > 0 => i,
        _ => 0,
    };
    let search = &reference[offset..];
    let at = search.find('@').map(|i| i + offset);
    let colon = search.find(':').map(|i| i + offset);
    match (colon, at) {
        (None, None) => (reference.to_owned(), String::new(), String::new()),
        (c, Some(d)) if c.is_none_or(|c| d < c) => (
            reference[..d].to_owned(),
            String::new(),
            reference[d + 1..].to_owned(),
        ),
        (Some(c), Some(d)) => (
            reference[..c].to_owned(),
            reference[c + 1..d].to_owned(),
            reference[d + 1..].to_owned(),
        ),
        (Some(c), None) => (
            reference[..c].to_owned(),
            reference[c + 1..].to_owned(),
            String::new(),
        ),
        (None, Some(_)) => unreachable!("handled above"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_without_a_matching_image_stay_shared_with_their_base() {
        let deployment = crate::json!({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"template": {"spec": {
                "containers": [{"name": "web", "image": "nginx:1.0"}],
                "volumes": [{"name": "data", "emptyDir": {}}]}}},
        });
        let config = crate::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
            "data": {"containers": "not a list"}});
        let base: ResMap = vec![Resource::new(deployment), Resource::new(config)].into();
        let mut overlay = base.clone();
        let transformer = ImageTagTransformer {
            image_tag: Image {
                name: "nginx".to_owned(),
                new_tag: "1.1".to_owned(),
                ..Image::default()
            },
            field_specs: Vec::new(),
        };
        let fs = MemFs::new();
        let loader = Loader::new(&fs, Path::new("/"), LoadRestrictions::RootOnly);
        transformer
            .transform(&mut overlay, &loader)
            .expect("transforms");
        let (old, new) = (base.iter().next().unwrap(), overlay.iter().next().unwrap());
        assert_eq!(
            new.object()
                .pointer("/spec/template/spec/containers/0/image"),
            Some(&Value::from("nginx:1.1"))
        );
        let volumes = "/spec/template/spec/volumes";
        assert!(new
            .object()
            .pointer(volumes)
            .unwrap()
            .shares_contents_with(old.object().pointer(volumes).unwrap()));
        let (old, new) = (base.iter().nth(1).unwrap(), overlay.iter().nth(1).unwrap());
        assert!(
            new.object().shares_contents_with(old.object()),
            "nothing to rewrite"
        );
    }

    #[test]
    fn plain_names_match_exactly_as_the_regular_expression_does() {
        let names = ["nginx", "my.reg/app", "a-b_c/d", "x.y", ""];
        let images = [
            "nginx",
            "nginx:1.2",
            "nginx@sha256:abc",
            "nginx:1@sha256:a.b",
            "nginxx",
            "nginx:",
            "nginx:1:2",
            "nginx@sha256",
            "nginx:{x}",
            "my.reg/app:v",
            "myXreg/app",
            "my\nreg/app",
            "a-b_c/d",
            "x.y",
            "xéy",
            "x\ny",
            ":tag",
            "@sha256:d",
            "",
            "nginx:a@sha256:b@c",
        ];
        for name in names {
            let plain = ImageMatcher::new(name).unwrap();
            assert!(matches!(plain, ImageMatcher::Plain(_)), "{name}");
            let regex = Regex::new(&format!(
                "^{name}(:[a-zA-Z0-9_.{{}}-]*)?(@sha256:[a-zA-Z0-9_.{{}}-]*)?$"
            ))
            .unwrap();
            for image in images {
                assert_eq!(
                    plain.is_match(image),
                    regex.is_match(image),
                    "{name} vs {image}"
                );
            }
        }
        assert!(matches!(
            ImageMatcher::new("ngin[x]").unwrap(),
            ImageMatcher::Pattern(_)
        ));
    }
    use crate::config::TransformerConfig;
    use crate::fs::MemFs;
    use crate::json;
    use crate::loader::LoadRestrictions;
    use crate::resource::Resource;
    use std::path::Path;

    #[test]
    fn splits_references_with_ports_and_digests() {
        let s = |r: &str| {
            let (a, b, c) = split_image(r);
            [a, b, c]
        };
        assert_eq!(s("nginx"), ["nginx", "", ""]);
        assert_eq!(s("nginx:1.2"), ["nginx", "1.2", ""]);
        assert_eq!(s("my.reg:5000/app:v1"), ["my.reg:5000/app", "v1", ""]);
        assert_eq!(s("nginx@sha256:111"), ["nginx", "", "sha256:111"]);
        assert_eq!(s("a/b:t@sha256:1"), ["a/b", "t", "sha256:1"]);
    }

    /// The expected images are what `kubectl kustomize` produced for the same input.
    #[test]
    fn rewrites_like_kubectl() {
        let object = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"template": {"spec": {
                "containers": [
                    {"name": "a", "image": "nginx@sha256:111"},
                    {"name": "b", "image": "my.reg:5000/app:v1"},
                    {"name": "c", "image": "redis:6"},
                    {"name": "e", "image": "nginxx"}
                ],
                "initContainers": [{"name": "i", "image": "nginx"}]
            }}, "foo": {"containers": [{"image": "nginx"}]}}});
        let fs = MemFs::new();
        let loader = Loader::new(&fs, Path::new("/"), LoadRestrictions::RootOnly);
        let mut map: ResMap = vec![Resource::new(object)].into();
        for image in [
            json!({"name": "nginx", "newTag": "1.2"}),
            json!({"name": "my.reg:5000/app", "newName": "other/app", "digest": "sha256:abc"}),
            json!({"name": "redis", "tagSuffix": "-x"}),
        ] {
            ImageTagTransformer {
                image_tag: crate::value::from_value(image).unwrap(),
                field_specs: TransformerConfig::default().images,
            }
            .transform(&mut map, &loader)
            .unwrap();
        }
        let out = map.as_slice()[0].object();
        let images: Vec<&str> = out["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["image"].as_str().unwrap())
            .collect();
        assert_eq!(
            images,
            ["nginx:1.2", "other/app@sha256:abc", "redis:6-x-x", "nginxx"]
        );
        assert_eq!(
            out["spec"]["template"]["spec"]["initContainers"][0]["image"],
            "nginx:1.2"
        );
        assert_eq!(out["spec"]["foo"]["containers"][0]["image"], "nginx:1.2");
    }
}
