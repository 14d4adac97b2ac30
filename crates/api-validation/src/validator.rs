//! The entry point: a [`Validator`] for one Kubernetes release, fed CRDs, checks objects.

use crate::builtin::{group_of, Builtin};
use crate::check::Walk;
use crate::error::Error;
use crate::lifecycle::{Lifecycle, Status};
use crate::problem::{Problem, Rule};
use crate::schema::{SchemaId, Schemas};
use crate::KubeVersion;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One served or unserved version of a custom resource, from its CRD.
#[derive(Debug, Clone)]
struct CustomVersion {
    crd: String,
    schema: Option<SchemaId>,
    served: bool,
    deprecation: Option<String>,
}

/// Validates rendered objects as the API server of one Kubernetes release would.
///
/// Built once per release (decompressing and compiling that release's schemas takes a few
/// milliseconds), then given the repository's `CustomResourceDefinition`s, then asked about
/// each object; it never changes after that, so one validator serves every target.
#[derive(Debug, Clone)]
pub struct Validator {
    version: KubeVersion,
    schemas: Schemas,
    builtin: Builtin,
    lifecycle: Lifecycle,
    /// (apiVersion, kind) → what the CRD says.
    custom: BTreeMap<(String, String), CustomVersion>,
}

impl Validator {
    /// A validator for `version`, which must be one of
    /// [`embedded_versions`](crate::embedded_versions).
    pub fn new(version: KubeVersion) -> Result<Self, Error> {
        let mut schemas = Schemas::default();
        let builtin = Builtin::load(version, &mut schemas)?;
        Ok(Self {
            version,
            schemas,
            builtin,
            lifecycle: Lifecycle::embedded().map_err(|error| Error::CorruptData {
                version,
                source: error.into(),
            })?,
            custom: BTreeMap::new(),
        })
    }

    /// The release this validator checks against.
    pub fn version(&self) -> KubeVersion {
        self.version
    }

    /// Where the built-in schemas come from (`kubernetes-validate 1.37.0 v1.37.0-local-strict`).
    pub fn schema_source(&self) -> &str {
        &self.builtin.source
    }

    /// Whether `object` is a `CustomResourceDefinition` (whatever its `apiVersion`).
    pub fn is_custom_resource_definition(object: &Value) -> bool {
        object.get("kind").and_then(Value::as_str) == Some("CustomResourceDefinition")
            && object
                .get("apiVersion")
                .and_then(Value::as_str)
                .is_some_and(|api| group_of(api) == "apiextensions.k8s.io")
    }

    /// Learns the versions of a custom resource from its `CustomResourceDefinition`
    /// (`apiextensions.k8s.io/v1`); a later CRD for the same group and kind replaces an
    /// earlier one. Returns how many versions it declares.
    pub fn add_custom_resource_definition(&mut self, crd: &Value) -> Result<usize, Error> {
        let name = crd
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("(unnamed)")
            .to_owned();
        let invalid = |reason: &str| Error::InvalidCrd {
            name: name.clone(),
            reason: reason.to_owned(),
        };
        let spec = crd.get("spec").ok_or_else(|| invalid("it has no spec"))?;
        let group = spec
            .get("group")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("spec.group is missing"))?;
        let kind = spec
            .pointer("/names/kind")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("spec.names.kind is missing"))?;
        let versions = spec
            .get("versions")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                invalid("spec.versions is missing (only apiextensions.k8s.io/v1 CRDs are read)")
            })?;
        // Versions served with the very same schema (often all of them) share one compiled
        // copy: compiling is deterministic, and a platform CRD's schema runs to megabytes.
        let mut compiled: Vec<(&Value, SchemaId)> = Vec::new();
        for version in versions {
            let version_name = version
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("a version has no name"))?;
            let schema = match version.pointer("/schema/openAPIV3Schema") {
                Some(body) => {
                    let earlier = compiled
                        .iter()
                        .find(|(earlier, _)| same_in_order(earlier, body));
                    if let Some(&(_, id)) = earlier {
                        Some(id)
                    } else {
                        let id = self
                            .schemas
                            .compile_structural(body, self.version)
                            .map_err(|reason| {
                                invalid(&format!("version {version_name}: {reason}"))
                            })?;
                        compiled.push((body, id));
                        Some(id)
                    }
                }
                None => None,
            };
            let api_version = format!("{group}/{version_name}");
            let deprecation = version
                .get("deprecated")
                .and_then(Value::as_bool)
                .unwrap_or(false)
                .then(|| {
                    version
                        .get("deprecationWarning")
                        .and_then(Value::as_str)
                        .map_or_else(
                            || format!("{api_version} {kind} is deprecated"),
                            str::to_owned,
                        )
                });
            self.custom.insert(
                (api_version, kind.to_owned()),
                CustomVersion {
                    crd: name.clone(),
                    schema,
                    served: version
                        .get("served")
                        .and_then(Value::as_bool)
                        .unwrap_or(true),
                    deprecation,
                },
            );
        }
        Ok(versions.len())
    }

    /// Whether the built-in schemas decide `object` on their own: its `apiVersion` and `kind`
    /// are a built-in kind of this release, so [`Validator::validate`] gives the same answer
    /// whatever custom resource definitions are added. A caller checking objects as they come
    /// can check these at once and keep only the others until every CRD is known.
    ///
    /// ```
    /// use api_validation::{Validator, LATEST};
    /// use serde_json::json;
    ///
    /// let validator = Validator::new(LATEST)?;
    /// assert!(validator.is_built_in_kind(&json!({"apiVersion": "v1", "kind": "ConfigMap"})));
    /// assert!(!validator.is_built_in_kind(&json!({"apiVersion": "example.com/v1", "kind": "Widget"})));
    /// # Ok::<(), api_validation::Error>(())
    /// ```
    pub fn is_built_in_kind(&self, object: &Value) -> bool {
        let text = |key: &str| object.get(key).and_then(Value::as_str);
        let (Some(api_version), Some(kind)) = (text("apiVersion"), text("kind")) else {
            return false;
        };
        self.builtin
            .kinds
            .get(api_version)
            .is_some_and(|kinds| kinds.contains_key(kind))
    }

    /// Everything the API server would refuse or warn about in `object`, in field order.
    pub fn validate(&self, object: &Value) -> Vec<Problem> {
        let text = |pointer: &str| object.pointer(pointer).and_then(Value::as_str);
        let kind = text("/kind").unwrap_or_default();
        let identity = Identity {
            kind: kind.to_owned(),
            namespace: text("/metadata/namespace").map(str::to_owned),
            name: text("/metadata/name").unwrap_or_default().to_owned(),
        };
        let Some(api_version) = text("/apiVersion").filter(|_| !kind.is_empty()) else {
            let field = if kind.is_empty() {
                ".kind"
            } else {
                ".apiVersion"
            };
            return vec![identity.problem(
                Rule::SchemaRequired,
                field,
                "Required value".to_owned(),
            )];
        };
        let mut problems = Vec::new();
        let subject = format!("{api_version} {kind}");
        match self.lifecycle.status(api_version, kind, self.version) {
            Status::Removed {
                removed_in,
                replacement,
            } => {
                let message = format!(
                    "{subject} is not served by Kubernetes {}: it was removed in {removed_in}; {}",
                    self.version,
                    replacement.map_or_else(
                        || "it has no replacement".to_owned(),
                        |r| format!("use {r}")
                    ),
                );
                return vec![identity.problem(Rule::ApiRemoved, "", message)];
            }
            Status::NotYetServed { since } => {
                let message = format!(
                    "{subject} is not served by Kubernetes {}: it is first served in {since}",
                    self.version
                );
                return vec![identity.problem(Rule::ApiRemoved, "", message)];
            }
            Status::Deprecated {
                since,
                removed_in,
                replacement,
            } => {
                let mut message = format!("{subject} is deprecated");
                if let Some(since) = since {
                    let _ = write!(message, " since Kubernetes {since}");
                }
                if let Some(removed_in) = removed_in {
                    let _ = write!(message, " and removed in {removed_in}");
                }
                if let Some(replacement) = replacement {
                    let _ = write!(message, "; use {replacement}");
                }
                problems.push(identity.problem(Rule::ApiDeprecated, "", message));
            }
            Status::Served => {}
        }
        let key = (api_version.to_owned(), kind.to_owned());
        let (root, custom) = if let Some(schema) = self
            .builtin
            .kinds
            .get(api_version)
            .and_then(|k| k.get(kind))
        {
            (*schema, false)
        } else if let Some(custom) = self.custom.get(&key) {
            if !custom.served {
                let message = format!("{subject} is not served: CustomResourceDefinition {} marks version as served: false", custom.crd);
                problems.push(identity.problem(Rule::ApiRemoved, "", message));
                return problems;
            }
            if let Some(deprecation) = &custom.deprecation {
                problems.push(identity.problem(Rule::ApiDeprecated, "", deprecation.clone()));
            }
            let Some(schema) = custom.schema else {
                let message = format!(
                    "CustomResourceDefinition {} gives {subject} no schema",
                    custom.crd
                );
                problems.push(identity.problem(Rule::SchemaNotChecked, "", message));
                return problems;
            };
            (schema, true)
        } else {
            let message = if self.builtin.serves_group(group_of(api_version)) {
                format!("Kubernetes {} has no schema for {subject}", self.version)
            } else {
                format!(
                    "no CustomResourceDefinition for {subject} was found, so it was not checked"
                )
            };
            problems.push(identity.problem(Rule::SchemaNotChecked, "", message));
            return problems;
        };
        let mut walk = Walk::new(&self.schemas, self.builtin.object_meta);
        walk.object(root, object, custom);
        problems.extend(
            walk.findings
                .into_iter()
                .map(|finding| identity.problem(finding.rule, &finding.field, finding.message)),
        );
        problems
    }
}

struct Identity {
    kind: String,
    namespace: Option<String>,
    name: String,
}

impl Identity {
    fn problem(&self, rule: Rule, field: &str, message: String) -> Problem {
        Problem {
            severity: rule.severity(),
            rule,
            kind: self.kind.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            field: field.to_owned(),
            message,
        }
    }
}

/// Equal with map entries in the same order: `==` on `serde_json` maps ignores order, and the
/// order of a schema's properties is the order its problems are reported in.
fn same_in_order(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| k1 == k2 && same_in_order(v1, v2))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v1, v2)| same_in_order(v1, v2))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn widget_crd(v1: &Value, v2: &Value) -> Value {
        json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "names": {"kind": "Widget"}, "versions": [
                {"name": "v1", "served": true, "schema": {"openAPIV3Schema": v1}},
                {"name": "v2", "served": true, "schema": {"openAPIV3Schema": v2}},
            ]},
        })
    }

    /// Schemas compiled by adding `crd` to a fresh validator.
    fn compiled_for(crd: &Value) -> (Validator, usize) {
        let mut validator = Validator::new(crate::LATEST).unwrap();
        let before = validator.schemas.len();
        validator.add_custom_resource_definition(crd).unwrap();
        let compiled = validator.schemas.len() - before;
        (validator, compiled)
    }

    #[test]
    fn versions_served_with_the_same_schema_share_one_compiled_copy() {
        let schema = json!({"type": "object", "properties": {
            "spec": {"type": "object", "properties": {
                "size": {"type": "integer"}, "colour": {"type": "string"}}}}});
        let (validator, shared) = compiled_for(&widget_crd(&schema, &schema));
        // The same entries in another order are compiled apart: the order of properties is
        // the order problems are reported in.
        let reordered = json!({"type": "object", "properties": {
            "spec": {"type": "object", "properties": {
                "colour": {"type": "string"}, "size": {"type": "integer"}}}}});
        let (_, apart) = compiled_for(&widget_crd(&schema, &reordered));
        assert!(shared > 0);
        assert_eq!(apart, 2 * shared);
        for version in ["v1", "v2"] {
            let widget = |size: Value| {
                json!({"apiVersion": format!("example.com/{version}"), "kind": "Widget",
                    "metadata": {"name": "w"}, "spec": {"size": size}})
            };
            assert!(
                validator.validate(&widget(json!(3))).is_empty(),
                "{version}"
            );
            assert!(
                !validator.validate(&widget(json!("big"))).is_empty(),
                "{version}"
            );
        }
    }
}
