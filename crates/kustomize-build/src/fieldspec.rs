//! kustomize field specs: which field of which kinds a builtin transformer touches.
//!
//! A [`FieldSpec`] names a group/version/kind (empty parts match anything) and a slash-separated
//! `path` such as `spec/template/spec/containers[]/image`. [`apply`] walks an object along that
//! path and calls a setter on every node at its end, as kustomize's `fieldspec` filter does:
//!
//! - sequences met on the way are walked element by element without consuming a path segment, so
//!   `spec/containers/image` and `spec/containers[]/image` both reach every container's image;
//! - a segment ending in `[]` is expected to be a sequence: an explicit `null` there becomes an
//!   empty sequence, and it is never created;
//! - with `create: true` (and a transformer that creates), missing mappings along the path and the
//!   leaf are created; an explicit `null` on the path takes the created shape;
//! - `\/` escapes a slash inside a segment (`metadata/annotations/example.com\/key`);
//! - a scalar in the middle of the path is an error, as in kustomize.

use crate::value::{escape_token, Map, Value};
use serde::{Deserialize, Serialize};

use crate::error::{BuildError, Result};
use crate::resource::ResId;

/// Group, version and kind; an empty part matches anything when used as a selector.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Gvk {
    /// API group, empty for the core group (or "any" in a selector).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// Version within the group.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Kind.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
}

impl Gvk {
    /// A group/version/kind from its parts.
    pub fn new(group: &str, version: &str, kind: &str) -> Self {
        Self {
            group: group.to_owned(),
            version: version.to_owned(),
            kind: kind.to_owned(),
        }
    }

    /// The group/version/kind of an object, read from `apiVersion` and `kind`.
    pub fn of(object: &Value) -> Self {
        let api_version = object
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        let (group, version) = split_api_version(api_version);
        Self {
            group: group.to_owned(),
            version: version.to_owned(),
            kind: object
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
        }
    }

    /// The group/version/kind of a resource id.
    pub fn of_id(id: &ResId) -> Self {
        Self::new(&id.group, &id.version, &id.kind)
    }

    /// Whether `selector` selects this gvk: each non-empty part of the selector must be equal.
    pub fn is_selected_by(&self, selector: &Gvk) -> bool {
        selected(
            [&self.group, &self.version, &self.kind],
            [&selector.group, &selector.version, &selector.kind],
        )
    }

    /// `apiVersion` as written in a manifest.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

/// Whether each non-empty part of a selector (group, version, kind) equals the same part of a
/// group/version/kind; borrowed, so the hot selection paths allocate nothing.
fn selected(parts: [&str; 3], selector: [&str; 3]) -> bool {
    parts
        .iter()
        .zip(selector)
        .all(|(part, wanted)| wanted.is_empty() || wanted == *part)
}

/// Split an `apiVersion` into group and version (`v1` is the core group).
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        Some((group, version)) => (group, version),
        None => ("", api_version),
    }
}

/// One field of some kinds, as written in kustomize configurations (`group`, `version`, `kind`,
/// `path`, `create`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FieldSpec {
    /// API group the spec applies to; empty for any.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// Version the spec applies to; empty for any.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Kind the spec applies to; empty for any.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Slash-separated path of the field (`spec/selector/matchLabels`).
    #[serde(default)]
    pub path: String,
    /// Whether missing fields along the path are created.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub create: bool,
}

impl FieldSpec {
    /// A spec for `path` in every kind, not created when missing.
    pub fn new(path: &str) -> Self {
        Self {
            path: path.to_owned(),
            ..Self::default()
        }
    }

    /// The same spec, restricted to `kind`.
    #[must_use]
    pub fn kind(mut self, kind: &str) -> Self {
        kind.clone_into(&mut self.kind);
        self
    }

    /// The same spec, restricted to `group`.
    #[must_use]
    pub fn group(mut self, group: &str) -> Self {
        group.clone_into(&mut self.group);
        self
    }

    /// The same spec, restricted to `version`.
    #[must_use]
    pub fn version(mut self, version: &str) -> Self {
        version.clone_into(&mut self.version);
        self
    }

    /// The same spec, creating missing fields.
    #[must_use]
    pub fn creating(mut self) -> Self {
        self.create = true;
        self
    }

    /// The spec's group/version/kind selector.
    pub fn gvk(&self) -> Gvk {
        Gvk::new(&self.group, &self.version, &self.kind)
    }

    /// Whether the spec applies to an object of this group/version/kind.
    pub fn selects(&self, gvk: &Gvk) -> bool {
        selected(
            [&gvk.group, &gvk.version, &gvk.kind],
            [&self.group, &self.version, &self.kind],
        )
    }

    /// The path's segments, with `\/` unescaped.
    pub fn segments(&self) -> Vec<String> {
        split_path(&self.path)
    }

    /// kustomize's "effectively equal": same path, and this spec's kind is selected by the
    /// other's (so a later, more general spec is absorbed by an earlier, more specific one).
    fn same_target(&self, other: &FieldSpec) -> bool {
        self.path == other.path
            && selected(
                [&self.group, &self.version, &self.kind],
                [&other.group, &other.version, &other.kind],
            )
    }
}

/// Split a field spec path on `/`, keeping slashes escaped as `\/` inside a segment.
pub fn split_path(path: &str) -> Vec<String> {
    let mut segments: Vec<String> = Vec::new();
    for piece in path.split('/') {
        match segments.last_mut() {
            Some(last) if last.ends_with('\\') => {
                last.pop();
                last.push('/');
                last.push_str(piece);
            }
            _ => segments.push(piece.to_owned()),
        }
    }
    segments
}

/// Add `spec` to `specs` unless an entry for the same path whose kind `spec` selects is already
/// there; such a duplicate that disagrees on `create` is an error, as in kustomize.
pub fn merge_one(specs: &mut Vec<FieldSpec>, spec: FieldSpec) -> Result<()> {
    match specs.iter().find(|s| s.same_target(&spec)) {
        Some(existing) if existing.create != spec.create => Err(BuildError::Plugin {
            plugin: "configurations",
            reason: format!(
                "conflicting fieldspecs: path '{}' of kind '{}' is listed with create: {} and create: {}",
                spec.path, spec.kind, existing.create, spec.create
            ),
        }),
        Some(_) => Ok(()),
        None => {
            specs.push(spec);
            Ok(())
        }
    }
}

/// [`merge_one`] for every spec of `more`, in order.
pub fn merge_all(specs: &mut Vec<FieldSpec>, more: &[FieldSpec]) -> Result<()> {
    for spec in more {
        merge_one(specs, spec.clone())?;
    }
    Ok(())
}

/// What a walk creates at the end of a path when the field is missing and the spec says `create`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    /// Never create (image and name-reference updates).
    Never,
    /// Create a scalar (names, namespaces, replica counts); it starts as an empty string.
    Scalar,
    /// Create a mapping (labels, annotations).
    Mapping,
}

/// Walk `object` along `spec.path` when `spec` selects the object's kind, and call `set` on every
/// node found at the end of the path. `set` reports a failure as a short reason; the error names
/// the path and the object.
pub fn apply<F>(spec: &FieldSpec, object: &mut Value, create: Create, set: &mut F) -> Result<()>
where
    F: FnMut(&mut Value) -> std::result::Result<(), String>,
{
    let gvk = Gvk::of(object);
    apply_selected(
        spec,
        &gvk,
        object,
        create,
        &mut |_: &str, node: &mut Value| set(node),
    )
}

/// [`apply`] for each spec in order.
pub fn apply_all<F>(
    specs: &[FieldSpec],
    object: &mut Value,
    create: Create,
    set: &mut F,
) -> Result<()>
where
    F: FnMut(&mut Value) -> std::result::Result<(), String>,
{
    apply_all_at(specs, object, create, &mut |_: &str, node: &mut Value| {
        set(node)
    })
}

/// [`apply_all`], with the JSON pointer of each node found passed to `set`.
pub(crate) fn apply_all_at<F>(
    specs: &[FieldSpec],
    object: &mut Value,
    create: Create,
    set: &mut F,
) -> Result<()>
where
    F: FnMut(&str, &mut Value) -> std::result::Result<(), String>,
{
    // The kind cannot change while walking, so read it once.
    let gvk = Gvk::of(object);
    for spec in specs {
        apply_selected(spec, &gvk, object, create, set)?;
    }
    Ok(())
}

fn apply_selected<F>(
    spec: &FieldSpec,
    gvk: &Gvk,
    object: &mut Value,
    create: Create,
    set: &mut F,
) -> Result<()>
where
    F: FnMut(&str, &mut Value) -> std::result::Result<(), String>,
{
    if !spec.selects(gvk) {
        return Ok(());
    }
    let walker = Walker {
        create: if spec.create { create } else { Create::Never },
    };
    let outcome = walker.walk(&spec.segments(), object, &mut String::new(), set);
    outcome.map_err(|reason| BuildError::FieldPath {
        path: spec.path.clone(),
        object: ResId::of(object).to_string(),
        reason,
    })
}

/// Whether `object` has at least one node at the end of `spec.path` (no creation, no setter).
pub fn has_field(spec: &FieldSpec, object: &Value) -> bool {
    fn walk(segments: &[String], node: &Value) -> bool {
        let Some((first, rest)) = segments.split_first() else {
            return true;
        };
        match node {
            Value::Array(items) => items.iter().any(|item| walk(segments, item)),
            Value::Object(map) => {
                let name = first.strip_suffix("[]").unwrap_or(first);
                map.get(name).is_some_and(|field| walk(rest, field))
            }
            _ => false,
        }
    }
    walk(&spec.segments(), object)
}

struct Walker {
    create: Create,
}

impl Walker {
    /// `pointer` is the JSON pointer of `node`; it is restored before returning.
    fn walk<F>(
        &self,
        segments: &[String],
        node: &mut Value,
        pointer: &mut String,
        set: &mut F,
    ) -> std::result::Result<(), String>
    where
        F: FnMut(&str, &mut Value) -> std::result::Result<(), String>,
    {
        let Some((first, rest)) = segments.split_first() else {
            return set(pointer, node);
        };
        match node {
            Value::Null => Ok(()),
            // A sequence does not consume a segment: every element continues with the same path.
            Value::Array(items) => items.iter_mut().enumerate().try_for_each(|(i, item)| {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                let outcome = self.walk(segments, item, pointer, set);
                pointer.truncate(len);
                outcome
            }),
            Value::Object(map) => self.walk_map(first, rest, map, pointer, set),
            _ => Err("expected sequence or mapping node".to_owned()),
        }
    }

    fn walk_map<F>(
        &self,
        segment: &str,
        rest: &[String],
        map: &mut Map,
        pointer: &mut String,
        set: &mut F,
    ) -> std::result::Result<(), String>
    where
        F: FnMut(&str, &mut Value) -> std::result::Result<(), String>,
    {
        let (name, is_seq) = match segment.strip_suffix("[]") {
            Some(name) => (name, true),
            None => (segment, false),
        };
        if name.is_empty() {
            return Err("cannot set or create an empty field name".to_owned());
        }
        // The shape a missing (or null) field takes, if any.
        let shape = if self.create == Create::Never || is_seq {
            if is_seq {
                Some(Shape::Sequence)
            } else {
                None
            }
        } else if rest.is_empty() {
            Some(match self.create {
                Create::Mapping => Shape::Mapping,
                _ => Shape::Scalar,
            })
        } else {
            Some(Shape::Mapping)
        };
        let creates = self.create != Create::Never && !is_seq;
        if !map.contains_key(name) {
            if !creates {
                return Ok(());
            }
            let shape = shape.unwrap_or(Shape::Mapping);
            map.insert(name.to_owned(), shape.empty());
        }
        let field = map.get_mut(name).expect("present or just inserted");
        if field.is_null() {
            if let Some(shape) = shape {
                *field = shape.empty();
            }
        }
        let len = pointer.len();
        pointer.push('/');
        pointer.push_str(&escape_token(name));
        let outcome = self.walk(rest, field, pointer, set);
        pointer.truncate(len);
        outcome
    }
}

#[derive(Clone, Copy)]
enum Shape {
    Scalar,
    Mapping,
    Sequence,
}

impl Shape {
    fn empty(self) -> Value {
        match self {
            Shape::Scalar => Value::String(String::new()),
            Shape::Mapping => Value::Object(Map::new()),
            Shape::Sequence => Value::Array(crate::value::Array::new()),
        }
    }
}

/// A setter that writes `value` into a mapping under `key` (labels, annotations, selectors).
pub fn set_entry<'a>(
    key: &'a str,
    value: &'a str,
) -> impl FnMut(&mut Value) -> std::result::Result<(), String> + 'a {
    move |node: &mut Value| match node {
        Value::Object(map) => {
            map.insert(key.to_owned(), Value::String(value.to_owned()));
            Ok(())
        }
        Value::Null => Ok(()),
        other => Err(format!(
            "wrong node kind: expected MappingNode but got {}",
            node_kind(other)
        )),
    }
}

/// The YAML node kind a JSON value corresponds to, for error messages.
pub fn node_kind(value: &Value) -> &'static str {
    match value {
        Value::Object(_) => "MappingNode",
        Value::Array(_) => "SequenceNode",
        _ => "ScalarNode",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn deployment() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"template": {"spec": {"containers": [
                {"name": "a", "image": "nginx"}, {"name": "b", "image": "redis"}
            ]}}}
        })
    }

    #[test]
    fn splits_paths_and_unescapes_slashes() {
        assert_eq!(split_path("a/b/c"), ["a", "b", "c"]);
        assert_eq!(
            split_path(r"metadata/annotations/nginx.ingress.kubernetes.io\/auth-secret"),
            [
                "metadata",
                "annotations",
                "nginx.ingress.kubernetes.io/auth-secret"
            ]
        );
    }

    #[test]
    fn sequences_are_walked_with_or_without_brackets() {
        for path in [
            "spec/template/spec/containers/image",
            "spec/template/spec/containers[]/image",
        ] {
            let mut obj = deployment();
            let mut seen = Vec::new();
            apply(
                &FieldSpec::new(path),
                &mut obj,
                Create::Never,
                &mut |v: &mut Value| {
                    seen.push(v.as_str().unwrap().to_owned());
                    *v = json!("x");
                    Ok(())
                },
            )
            .unwrap();
            assert_eq!(seen, ["nginx", "redis"]);
            assert_eq!(
                obj["spec"]["template"]["spec"]["containers"][1]["image"],
                "x"
            );
        }
    }

    #[test]
    fn creates_missing_mappings_only_when_asked() {
        let mut obj = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}});
        let spec = FieldSpec::new("spec/selector").kind("Service");
        apply(&spec, &mut obj, Create::Mapping, &mut set_entry("app", "x")).unwrap();
        assert!(obj.get("spec").is_none());
        apply(
            &spec.creating(),
            &mut obj,
            Create::Mapping,
            &mut set_entry("app", "x"),
        )
        .unwrap();
        assert_eq!(obj["spec"], json!({"selector": {"app": "x"}}));
    }

    #[test]
    fn kind_mismatch_is_skipped_and_null_takes_the_created_shape() {
        let mut obj = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": null}});
        let spec = FieldSpec::new("metadata/labels")
            .kind("Deployment")
            .creating();
        apply(&spec, &mut obj, Create::Mapping, &mut set_entry("a", "b")).unwrap();
        assert_eq!(obj["metadata"]["labels"], Value::Null);
        let spec = FieldSpec::new("metadata/labels").creating();
        apply(&spec, &mut obj, Create::Mapping, &mut set_entry("a", "b")).unwrap();
        assert_eq!(obj["metadata"]["labels"], json!({"a": "b"}));
    }

    #[test]
    fn bracketed_null_becomes_an_empty_sequence_and_is_never_created() {
        let mut obj = json!({"kind": "Pod", "spec": {"containers": null}});
        let spec = FieldSpec::new("spec/containers[]/image").creating();
        apply(&spec, &mut obj, Create::Scalar, &mut |_: &mut Value| Ok(())).unwrap();
        assert_eq!(obj["spec"]["containers"], json!([]));
        let spec = FieldSpec::new("spec/initContainers[]/image").creating();
        apply(&spec, &mut obj, Create::Scalar, &mut |_: &mut Value| Ok(())).unwrap();
        assert!(obj["spec"].get("initContainers").is_none());
    }

    #[test]
    fn a_scalar_in_the_middle_of_the_path_is_an_error() {
        let mut obj = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": "oops"});
        let err = apply(
            &FieldSpec::new("spec/selector").creating(),
            &mut obj,
            Create::Mapping,
            &mut set_entry("a", "b"),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "considering field 'spec/selector' of object Service.v1.[noGrp]/s.[noNs]: expected sequence or mapping node"
        );
    }

    #[test]
    fn merging_keeps_one_of_each_target_and_rejects_conflicts() {
        let mut specs = vec![FieldSpec::new("metadata/labels").creating()];
        merge_one(&mut specs, FieldSpec::new("metadata/labels").creating()).unwrap();
        merge_one(&mut specs, FieldSpec::new("spec/selector").kind("Service")).unwrap();
        assert_eq!(specs.len(), 2);
        assert!(merge_one(&mut specs, FieldSpec::new("metadata/labels")).is_err());
    }

    #[test]
    fn gvk_selection_treats_empty_parts_as_wildcards() {
        let deploy = Gvk::new("apps", "v1", "Deployment");
        assert!(deploy.is_selected_by(&Gvk::new("", "", "Deployment")));
        assert!(!deploy.is_selected_by(&Gvk::new("extensions", "", "Deployment")));
        assert!(deploy.is_selected_by(&Gvk::default()));
    }

    #[test]
    fn has_field_follows_sequences() {
        let obj = deployment();
        assert!(has_field(
            &FieldSpec::new("spec/template/spec/containers/image"),
            &obj
        ));
        assert!(!has_field(
            &FieldSpec::new("spec/template/spec/volumes/configMap/name"),
            &obj
        ));
    }

    proptest::proptest! {
        /// Escaping every slash in each segment and joining with `/` splits back into the
        /// segments.
        #[test]
        fn escaped_paths_split_back_into_their_segments(
            segments in proptest::collection::vec("[a-z./]{1,6}", 1..5)
        ) {
            let path = segments.iter().map(|s| s.replace('/', "\\/")).collect::<Vec<_>>().join("/");
            proptest::prop_assert_eq!(split_path(&path), segments);
        }
    }
}
