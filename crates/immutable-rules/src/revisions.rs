//! Comparing two revisions of a whole repository: the objects each kustomization directory
//! renders at the base and at the head, paired within each directory, checked, and merged so an
//! object reached through several directories gives one finding.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::context::Context;
use crate::identity::{pair_objects, ObjectKey};
use crate::ruleset::RuleSet;
use crate::violation::{ObjectRef, Severity, Violation};

/// Rule id of an object present at the base and gone at the head: GitOps prunes it.
pub const PRUNED_RULE: &str = "object-pruned";
/// Rule id of an object whose name or namespace changed: GitOps prunes the old object and
/// creates the new one.
pub const REPLACED_RULE: &str = "object-replaced";

/// Identity of a finding: the object, the rule, the field and the values.
type FindingKey = (ObjectKey, String, String, String, String);
/// Findings being merged, with the directories showing each.
type Merged = BTreeMap<FindingKey, (Violation, BTreeSet<String>)>;

/// One violation, and every directory (sorted) whose output shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What is wrong with the update.
    pub violation: Violation,
    /// The directories (as given in the maps) that render the object.
    pub dirs: Vec<String>,
}

/// Compare what each directory renders at the base and at the head.
///
/// Only directories present in both maps are compared (a directory that fails to build or is
/// new has nothing to pair with). Objects are paired by group/kind/namespace/name within one
/// directory; a pruned object is an `info` finding, and a pruned object whose kind reappears
/// under another name or namespace in the same directory is reported as one replacement.
/// Findings are sorted most severe first, then by object and field.
///
/// ```
/// use std::collections::BTreeMap;
/// use immutable_rules::{compare_revisions, Context, RuleSet, Severity};
/// use serde_json::json;
///
/// let deployment = |app: &str| json!({
///     "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "prod"},
///     "spec": {"selector": {"matchLabels": {"app": app}},
///              "template": {"metadata": {"labels": {"app": app}}}}
/// });
/// let base = BTreeMap::from([
///     ("apps/prod".to_owned(), vec![deployment("web")]),
///     ("clusters/prod".to_owned(), vec![deployment("web")]),
/// ]);
/// let head = BTreeMap::from([
///     ("apps/prod".to_owned(), vec![deployment("web-v2")]),
///     ("clusters/prod".to_owned(), vec![deployment("web-v2")]),
/// ]);
/// let findings = compare_revisions(&base, &head, &RuleSet::new(), &Context::git());
/// assert_eq!(findings.len(), 1);
/// assert_eq!(findings[0].violation.rule, "deployment-selector");
/// assert_eq!(findings[0].violation.severity, Severity::Error);
/// assert_eq!(findings[0].dirs, ["apps/prod", "clusters/prod"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn compare_revisions(
    base: &BTreeMap<String, Vec<Value>>,
    head: &BTreeMap<String, Vec<Value>>,
    rules: &RuleSet,
    ctx: &Context,
) -> Vec<Finding> {
    let mut merged: Merged = BTreeMap::new();
    for (dir, old_objects) in base {
        let Some(new_objects) = head.get(dir) else {
            continue;
        };
        let mut found = Vec::new();
        let pairing = pair_objects(old_objects, new_objects);
        for &(i, j) in &pairing.pairs {
            found.extend(rules.check(&old_objects[i], &new_objects[j], ctx));
        }
        let mut added: Vec<Option<&Value>> = pairing
            .added
            .iter()
            .map(|&j| Some(&new_objects[j]))
            .collect();
        for &i in &pairing.removed {
            let old = &old_objects[i];
            let old_key = ObjectKey::of(old);
            let successor = added.iter_mut().find(|candidate| {
                candidate.is_some_and(|new| {
                    let key = ObjectKey::of(new);
                    key.group == old_key.group && key.kind == old_key.kind
                })
            });
            found.push(match successor.and_then(Option::take) {
                Some(new) => replaced(old, new),
                None => pruned(old),
            });
        }
        for violation in found {
            let object = ObjectKey {
                group: violation.object.group.clone(),
                kind: violation.object.kind.clone(),
                namespace: violation.object.namespace.clone().unwrap_or_default(),
                name: violation.object.name.clone(),
            };
            let key = (
                object,
                violation.rule.clone(),
                violation.field.clone(),
                violation.old.clone(),
                violation.new.clone(),
            );
            merged
                .entry(key)
                .or_insert_with(|| (violation, BTreeSet::new()))
                .1
                .insert(dir.clone());
        }
    }
    fold_namespaceless(&mut merged);
    let mut findings: Vec<Finding> = merged
        .into_values()
        .map(|(violation, dirs)| Finding {
            violation,
            dirs: dirs.into_iter().collect(),
        })
        .collect();
    // Stable: the map already ordered equal severities by object and field.
    findings.sort_by_key(|f| std::cmp::Reverse(f.violation.severity));
    findings
}

/// A base or an intermediate overlay renders an object without the namespace its parent sets
/// later: fold such a finding into the one namespaced finding of the same kind, name and change,
/// so one object gives one finding. With zero or several candidates it stays on its own.
fn fold_namespaceless(merged: &mut Merged) {
    let keys: Vec<_> = merged.keys().cloned().collect();
    for key in keys.iter().filter(|k| k.0.namespace.is_empty()) {
        let mut candidates = keys.iter().filter(|other| {
            !other.0.namespace.is_empty()
                && other.0.group == key.0.group
                && other.0.kind == key.0.kind
                && other.0.name == key.0.name
                && (&other.1, &other.2, &other.3, &other.4) == (&key.1, &key.2, &key.3, &key.4)
        });
        if let (Some(target), None) = (candidates.next(), candidates.next()) {
            if let Some((_, dirs)) = merged.remove(key) {
                if let Some(entry) = merged.get_mut(target) {
                    entry.1.extend(dirs);
                }
            }
        }
    }
}

fn pruned(old: &Value) -> Violation {
    let object = ObjectRef::of(old);
    Violation {
        rule: PRUNED_RULE.to_owned(),
        severity: Severity::Info,
        field: "metadata.name".to_owned(),
        old: object.name.clone(),
        new: "(unset)".to_owned(),
        reason: "the object is no longer rendered: GitOps with pruning deletes it".to_owned(),
        api_error: String::new(),
        remediations: Vec::new(),
        object,
    }
}

fn replaced(old: &Value, new: &Value) -> Violation {
    let object = ObjectRef::of(old);
    let successor = ObjectRef::of(new);
    let (field, old_value, new_value) = if object.name == successor.name {
        (
            "metadata.namespace",
            object
                .namespace
                .clone()
                .unwrap_or_else(|| "(unset)".to_owned()),
            successor.namespace.unwrap_or_else(|| "(unset)".to_owned()),
        )
    } else {
        ("metadata.name", object.name.clone(), successor.name)
    };
    Violation {
        rule: REPLACED_RULE.to_owned(),
        severity: Severity::Info,
        field: field.to_owned(),
        old: old_value,
        new: new_value,
        reason: "a new name or namespace is a new object: GitOps prunes the old one and creates \
                 the new one (delete + create, not an update)"
            .to_owned(),
        api_error: String::new(),
        remediations: Vec::new(),
        object,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cm(name: &str, namespace: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": name, "namespace": namespace}, "data": {"a": name}})
    }

    #[test]
    fn rename_is_one_replacement_and_deletion_is_a_prune() {
        let base = BTreeMap::from([(
            "d".to_owned(),
            vec![
                cm("a", "x"),
                cm("gone", "x"),
                json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}),
            ],
        )]);
        let head = BTreeMap::from([("d".to_owned(), vec![cm("b", "x")])]);
        let findings = compare_revisions(&base, &head, &RuleSet::new(), &Context::git());
        let summary: Vec<(&str, &str, &str)> = findings
            .iter()
            .map(|f| {
                (
                    f.violation.rule.as_str(),
                    f.violation.old.as_str(),
                    f.violation.new.as_str(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (REPLACED_RULE, "a", "b"),
                (PRUNED_RULE, "gone", "(unset)"),
                (PRUNED_RULE, "s", "(unset)"),
            ]
        );
        assert!(findings
            .iter()
            .all(|f| f.violation.severity == Severity::Info));
    }

    #[test]
    fn an_object_namespaced_by_a_parent_is_one_finding() {
        let sts = |ns: Option<&str>, size: &str| {
            let mut o = json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
                "spec": {"serviceName": "db", "volumeClaimTemplates": [{"metadata": {"name": "d"},
                "spec": {"resources": {"requests": {"storage": size}}}}]}});
            if let Some(ns) = ns {
                o["metadata"]["namespace"] = json!(ns);
            }
            o
        };
        let base = BTreeMap::from([
            ("base".to_owned(), vec![sts(None, "1Gi")]),
            ("prod".to_owned(), vec![sts(Some("p"), "1Gi")]),
        ]);
        let head = BTreeMap::from([
            ("base".to_owned(), vec![sts(None, "2Gi")]),
            ("prod".to_owned(), vec![sts(Some("p"), "2Gi")]),
        ]);
        let findings = compare_revisions(&base, &head, &RuleSet::new(), &Context::git());
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].violation.object.namespace.as_deref(), Some("p"));
        assert_eq!(findings[0].dirs, ["base", "prod"]);
    }

    #[test]
    fn directories_missing_on_one_side_are_not_compared() {
        let base = BTreeMap::from([("old-only".to_owned(), vec![cm("a", "x")])]);
        let head = BTreeMap::from([("new-only".to_owned(), vec![cm("b", "x")])]);
        assert!(compare_revisions(&base, &head, &RuleSet::new(), &Context::git()).is_empty());
    }
}
