//! Rules derived from the `x-kubernetes-validations` transition rules of CustomResourceDefinitions
//! (`self == oldSelf` and its common variants).

use serde::Serialize;
use serde_json::Value;

use super::path::Segment;
use super::{CustomRule, FieldPath, RuleSource, Transition, CRD_TRANSITION_RULE};
use crate::error::CrdError;
use crate::violation::Severity;

/// A validation rule of a CRD the engine does not understand (it is left to the API server).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedValidation {
    /// CRD name.
    pub crd: String,
    /// Version whose schema holds the rule.
    pub version: String,
    /// Where the rule sits in the schema (`spec.size`).
    pub field: String,
    /// The CEL rule.
    pub rule: String,
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `self.a.b` → `["a", "b"]` when every part is an identifier.
fn member_path<'a>(expr: &'a str, root: &str) -> Option<Vec<&'a str>> {
    if expr == root {
        return Some(Vec::new());
    }
    let rest = expr.strip_prefix(root)?.strip_prefix('.')?;
    let parts: Vec<&str> = rest.split('.').collect();
    parts.iter().all(|p| is_identifier(p)).then_some(parts)
}

/// `has(self.a.b)` → `["a", "b"]`.
fn has_path<'a>(expr: &'a str, root: &str) -> Option<Vec<&'a str>> {
    let inner = expr.strip_prefix("has(")?.strip_suffix(')')?;
    member_path(inner, root).filter(|p| !p.is_empty())
}

/// `a == b` where the two sides are `self.X` and `oldSelf.X` in either order.
fn same_member(expr: &str) -> Option<Vec<&str>> {
    let (a, b) = expr.split_once("==")?;
    let (a, b) = if a.starts_with("oldSelf") {
        (b, a)
    } else {
        (a, b)
    };
    let x = member_path(a, "self")?;
    (member_path(b, "oldSelf")? == x).then_some(x)
}

fn strip_parens(s: &str) -> &str {
    let mut s = s;
    while let Some(inner) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        if inner.contains('(') || inner.contains(')') {
            break;
        }
        s = inner;
    }
    s
}

/// Recognize a transition rule: the relative path it constrains and how.
pub(crate) fn classify(rule: &str) -> Option<(Vec<String>, Transition)> {
    let compact: String = rule.chars().filter(|c| !c.is_whitespace()).collect();
    let r = strip_parens(&compact);
    let owned = |parts: Vec<&str>| parts.into_iter().map(str::to_owned).collect::<Vec<_>>();
    if let Some((left, right)) = r.split_once("||") {
        let (left, right) = (strip_parens(left), strip_parens(right));
        let guarded = has_path(left.strip_prefix('!')?, "oldSelf")?;
        if let Some(x) = has_path(right, "self") {
            return (x == guarded).then(|| (owned(x), Transition::Unset));
        }
        let x = same_member(right)?;
        return (x == guarded).then(|| (owned(x), Transition::ChangedOnceSet));
    }
    if r.contains("&&") || r.contains('!') && !r.contains("!=") {
        return None;
    }
    if let Some((a, b)) = r.split_once("==") {
        if let (Some(x), Some(y)) = (has_path(a, "self"), has_path(b, "oldSelf")) {
            return (x == y).then(|| (owned(x), Transition::PresenceChanged));
        }
        if let (Some(x), Some(y)) = (has_path(a, "oldSelf"), has_path(b, "self")) {
            return (x == y).then(|| (owned(x), Transition::PresenceChanged));
        }
        let x = same_member(r)?;
        let transition = if x.is_empty() {
            Transition::ChangedWhenBothSet
        } else {
            Transition::Changed
        };
        return Some((owned(x), transition));
    }
    for (op, self_first) in [(">=", Transition::Decreased), ("<=", Transition::Increased)] {
        if let Some((a, b)) = r.split_once(op) {
            let opposite = if self_first == Transition::Decreased {
                Transition::Increased
            } else {
                Transition::Decreased
            };
            if let (Some(x), Some(y)) = (member_path(a, "self"), member_path(b, "oldSelf")) {
                return (x == y).then(|| (owned(x), self_first));
            }
            if let (Some(x), Some(y)) = (member_path(a, "oldSelf"), member_path(b, "self")) {
                return (x == y).then(|| (owned(x), opposite));
            }
        }
    }
    None
}

struct Walk<'a> {
    crd: &'a str,
    group: &'a str,
    kind: &'a str,
    version: &'a str,
    rules: Vec<CustomRule>,
    skipped: Vec<SkippedValidation>,
}

impl Walk<'_> {
    fn schema(&mut self, node: &Value, at: &mut Vec<Segment>) {
        if let Some(Value::Array(validations)) = node.get("x-kubernetes-validations") {
            for validation in validations {
                self.validation(validation, at);
            }
        }
        if let Some(Value::Object(properties)) = node.get("properties") {
            for (key, child) in properties {
                at.push(Segment::Key(key.clone()));
                self.schema(child, at);
                at.pop();
            }
        }
        // Transition rules inside list items are evaluated only for lists the API server can
        // correlate: `x-kubernetes-list-type: map`, entries paired by their map keys.
        if node.get("x-kubernetes-list-type").and_then(Value::as_str) == Some("map") {
            if let Some(items) = node.get("items") {
                let keys = node
                    .get("x-kubernetes-list-map-keys")
                    .and_then(Value::as_array)
                    .map(|k| {
                        k.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                at.push(Segment::Each(keys));
                self.schema(items, at);
                at.pop();
            }
        }
    }

    fn validation(&mut self, validation: &Value, at: &[Segment]) {
        let Some(rule) = validation.get("rule").and_then(Value::as_str) else {
            return;
        };
        if !rule.contains("oldSelf") {
            return;
        }
        let here = FieldPath {
            segments: at.to_vec(),
        };
        let Some((relative, transition)) = classify(rule) else {
            self.skipped.push(SkippedValidation {
                crd: self.crd.to_owned(),
                version: self.version.to_owned(),
                field: here.to_string(),
                rule: rule.to_owned(),
            });
            return;
        };
        let mut segments = at.to_vec();
        segments.extend(relative.into_iter().map(Segment::Key));
        let message = validation
            .get("message")
            .and_then(Value::as_str)
            .filter(|m| !m.is_empty())
            .map_or_else(|| format!("failed rule: {rule}"), str::to_owned);
        self.rules.push(CustomRule {
            id: CRD_TRANSITION_RULE.id.to_owned(),
            group: Some(self.group.to_owned()),
            kind: self.kind.to_owned(),
            versions: vec![self.version.to_owned()],
            field: FieldPath { segments },
            transition,
            message,
            severity: Severity::Error,
            remediations: CRD_TRANSITION_RULE.remediations.to_vec(),
            source: RuleSource::Crd(self.crd.to_owned()),
        });
    }
}

/// Derive rules from a CRD object; also returns the transition rules it could not interpret.
pub(crate) fn rules_from_crd(
    crd: &Value,
) -> Result<(Vec<CustomRule>, Vec<SkippedValidation>), CrdError> {
    let api_version = crd.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind = crd.get("kind").and_then(Value::as_str).unwrap_or("");
    if !api_version.starts_with("apiextensions.k8s.io/") || kind != "CustomResourceDefinition" {
        return Err(CrdError::NotACrd {
            found: format!("{api_version} {kind}").trim().to_owned(),
        });
    }
    let name = crd
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let missing = |field| CrdError::Missing {
        name: name.clone(),
        field,
    };
    let group = crd
        .pointer("/spec/group")
        .and_then(Value::as_str)
        .ok_or_else(|| missing("spec.group"))?;
    let resource_kind = crd
        .pointer("/spec/names/kind")
        .and_then(Value::as_str)
        .ok_or_else(|| missing("spec.names.kind"))?;
    let versions = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .ok_or_else(|| missing("spec.versions"))?;
    let mut rules = Vec::new();
    let mut skipped = Vec::new();
    for version in versions {
        let Some(version_name) = version.get("name").and_then(Value::as_str) else {
            continue;
        };
        let Some(schema) = version.pointer("/schema/openAPIV3Schema") else {
            continue;
        };
        let mut walk = Walk {
            crd: &name,
            group,
            kind: resource_kind,
            version: version_name,
            rules: Vec::new(),
            skipped: Vec::new(),
        };
        walk.schema(schema, &mut Vec::new());
        rules.append(&mut walk.rules);
        skipped.append(&mut walk.skipped);
    }
    Ok((rules, skipped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_common_transition_rules() {
        assert_eq!(
            classify("self == oldSelf"),
            Some((vec![], Transition::ChangedWhenBothSet))
        );
        assert_eq!(
            classify("oldSelf==self"),
            Some((vec![], Transition::ChangedWhenBothSet))
        );
        assert_eq!(
            classify("self.size == oldSelf.size"),
            Some((vec!["size".into()], Transition::Changed))
        );
        assert_eq!(
            classify("!has(oldSelf.mode) || self.mode == oldSelf.mode"),
            Some((vec!["mode".into()], Transition::ChangedOnceSet))
        );
        assert_eq!(
            classify("!has(oldSelf.mode) || has(self.mode)"),
            Some((vec!["mode".into()], Transition::Unset))
        );
        assert_eq!(
            classify("has(self.a) == has(oldSelf.a)"),
            Some((vec!["a".into()], Transition::PresenceChanged))
        );
        assert_eq!(
            classify("self >= oldSelf"),
            Some((vec![], Transition::Decreased))
        );
        assert_eq!(
            classify("self.replicas <= oldSelf.replicas"),
            Some((vec!["replicas".into()], Transition::Increased))
        );
        assert_eq!(classify("self.size(), oldSelf.all(x, x in self)"), None);
        assert_eq!(classify("self.a == oldSelf.b"), None);
    }
}
