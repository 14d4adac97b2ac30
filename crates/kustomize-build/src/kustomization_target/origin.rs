//! Where an object came from (`buildMetadata: [originAnnotations]`) and which transformers touched
//! it (`transformerAnnotations`), recorded as kustomize records them.

use std::path::Path;

use crate::fs::clean_path;
use crate::resource::Resource;

/// kustomize's annotation naming the file or generator an object came from.
pub(crate) const ORIGIN_ANNOTATION: &str = "config.kubernetes.io/origin";
/// kustomize's annotation listing the transformers that changed an object.
pub(crate) const TRANSFORMATIONS_ANNOTATION: &str = "alpha.config.kubernetes.io/transformations";

/// kustomize's `resource.Origin`: a path relative to the top kustomization, or the kustomization
/// file and builtin plugin that configured a generator or transformer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Origin {
    pub(crate) path: String,
    pub(crate) configured_in: String,
    pub(crate) configured_by: Option<ConfiguredBy>,
}

/// The plugin configuration that made or changed an object (kustomize's `ResourceIdentifier`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ConfiguredBy {
    pub(crate) api_version: String,
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) namespace: String,
}

impl Origin {
    /// The origin of `entry` (a `resources` entry) seen from this origin's directory.
    pub(crate) fn append(&self, entry: &str) -> Self {
        Self {
            path: join(&self.path, entry),
            ..Self::default()
        }
    }

    /// The origin of a builtin plugin configured in `file_name` of this origin's directory.
    pub(crate) fn builtin(&self, file_name: &str, kind: &str) -> Self {
        Self {
            path: String::new(),
            configured_in: join(&self.path, file_name),
            configured_by: Some(ConfiguredBy {
                api_version: "builtin".to_owned(),
                kind: kind.to_owned(),
                ..ConfiguredBy::default()
            }),
        }
    }

    /// kustomize's `OriginFromCustomPlugin`: the origin of a plugin listed under
    /// `generators:`/`transformers:`, read from its configuration object's own origin.
    pub(crate) fn of_plugin_config(config: &Resource) -> Option<Self> {
        let own = config.annotation(ORIGIN_ANNOTATION)?;
        let path = own
            .lines()
            .find_map(|line| line.strip_prefix("path: "))
            .unwrap_or("")
            .to_owned();
        let text = |key: &str| {
            config
                .object()
                .pointer(key)
                .and_then(crate::value::Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        Some(Self {
            path: String::new(),
            configured_in: path,
            configured_by: Some(ConfiguredBy {
                api_version: text("/apiVersion"),
                kind: text("/kind"),
                name: text("/metadata/name"),
                namespace: text("/metadata/namespace"),
            }),
        })
    }

    /// The annotation value: the origin as YAML, fields in kustomize's order.
    fn render(&self, indent: &str, first: &str) -> String {
        let mut lines = Vec::new();
        if !self.path.is_empty() {
            lines.push(format!("path: {}", self.path));
        }
        if !self.configured_in.is_empty() {
            lines.push(format!("configuredIn: {}", self.configured_in));
        }
        if let Some(by) = &self.configured_by {
            lines.push("configuredBy:".to_owned());
            for (key, value) in [
                ("apiVersion", &by.api_version),
                ("kind", &by.kind),
                ("name", &by.name),
                ("namespace", &by.namespace),
            ] {
                if !value.is_empty() {
                    lines.push(format!("  {key}: {value}"));
                }
            }
        }
        let mut out = String::new();
        for (i, line) in lines.iter().enumerate() {
            out.push_str(if i == 0 { first } else { indent });
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    /// Annotate `resource` with this origin.
    pub(crate) fn set_on(&self, resource: &mut Resource) {
        resource.set_annotation(ORIGIN_ANNOTATION, &self.render("", ""));
    }

    /// kustomize's `AddTransformerAnnotation` for one object: an object without an origin is
    /// taken to be made by the transformer; otherwise the transformer is appended to its list.
    pub(crate) fn record_transformation(&self, resource: &mut Resource) {
        if resource.annotation(ORIGIN_ANNOTATION).is_none() {
            self.set_on(resource);
            return;
        }
        let mut list = resource
            .annotation(TRANSFORMATIONS_ANNOTATION)
            .unwrap_or("")
            .to_owned();
        list.push_str(&self.render("  ", "- "));
        resource.set_annotation(TRANSFORMATIONS_ANNOTATION, &list);
    }
}

/// `filepath.Join`: join and clean, for relative slash paths.
fn join(base: &str, entry: &str) -> String {
    let joined = if base.is_empty() {
        clean_path(Path::new(entry))
    } else {
        clean_path(&Path::new(base).join(entry))
    };
    let text = joined.to_string_lossy().into_owned();
    if text.is_empty() {
        ".".to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn paths_join_like_go() {
        let root = Origin::default();
        assert_eq!(root.append("service.yaml").path, "service.yaml");
        assert_eq!(
            root.append("../base").append("role.yaml").path,
            "../base/role.yaml"
        );
        assert_eq!(
            root.append("../base").builtin("kustomization.yaml", "ConfigMapGenerator").render("", ""),
            "configuredIn: ../base/kustomization.yaml\nconfiguredBy:\n  apiVersion: builtin\n  kind: ConfigMapGenerator\n"
        );
    }

    #[test]
    fn transformations_accumulate_only_once_an_origin_exists() {
        let mut r = Resource::new(json!({"kind": "A", "metadata": {"name": "a"}}));
        let t = Origin::default().builtin("kustomization.yaml", "PrefixTransformer");
        t.record_transformation(&mut r);
        assert!(r.annotation(TRANSFORMATIONS_ANNOTATION).is_none());
        t.record_transformation(&mut r);
        assert_eq!(
            r.annotation(TRANSFORMATIONS_ANNOTATION),
            Some("- configuredIn: kustomization.yaml\n  configuredBy:\n    apiVersion: builtin\n    kind: PrefixTransformer\n")
        );
    }
}
