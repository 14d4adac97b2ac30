//! Comparing two revisions of a whole repository: the objects each kustomization directory
//! renders at the base and at the head, paired within each directory, checked, and merged so an
//! object reached through several directories gives one finding.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::context::Context;
use crate::identity::{pair_objects, ObjectKey};
use crate::ruleset::RuleSet;
use crate::violation::{ObjectRef, Remediation, Severity, Violation};

/// Rule id of an object present at the base and gone at the head: GitOps prunes it. A rename
/// or a move to another namespace is a prune of the old object and a create of the new one.
pub const PRUNED_RULE: &str = "object-pruned";
/// Rule id of an object present at the head only: GitOps creates it.
pub const CREATED_RULE: &str = "object-created";

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
/// directory. An object only at the base is an `info` prune ([`PRUNED_RULE`]) and one only at
/// the head an `info` create ([`CREATED_RULE`]); a rename or a namespace move is both, each
/// naming the other object. Findings are sorted most severe first, then by object and field.
///
/// Each directory's objects are any `AsRef<[Value]>` — a `Vec`, or an `Arc<[Value]>` a caller
/// shares between both maps for a directory whose output did not change (such a directory is
/// skipped).
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
pub fn compare_revisions<Objects: AsRef<[Value]>>(
    base: &BTreeMap<String, Objects>,
    head: &BTreeMap<String, Objects>,
    rules: &RuleSet,
    ctx: &Context,
) -> Vec<Finding> {
    let mut merged: Merged = BTreeMap::new();
    for (dir, old_objects) in base {
        let Some(new_objects) = head.get(dir) else {
            continue;
        };
        let (old_objects, new_objects) = (old_objects.as_ref(), new_objects.as_ref());
        // The very same objects on both sides (a caller sharing an unchanged directory's
        // output): every object pairs with itself, and no rule refuses an unchanged object.
        if std::ptr::eq(old_objects, new_objects) {
            continue;
        }
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
            // The first new object of the same kind stands in for it: a rename or a move.
            let successor = added
                .iter_mut()
                .find(|candidate| {
                    candidate.is_some_and(|new| {
                        let key = ObjectKey::of(new);
                        key.group == old_key.group && key.kind == old_key.kind
                    })
                })
                .and_then(Option::take);
            found.push(pruned(old, successor));
            if let Some(new) = successor {
                found.push(created(new, Some(old)));
            }
        }
        found.extend(added.into_iter().flatten().map(|new| created(new, None)));
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

/// `Deployment.apps prod/web`, or `prod/web` when both objects have the same kind.
fn other_name(object: &ObjectRef, other: &ObjectRef) -> String {
    if object.kind == other.kind && object.group == other.group {
        match &other.namespace {
            Some(namespace) => format!("{namespace}/{}", other.name),
            None => other.name.clone(),
        }
    } else {
        other.to_string()
    }
}

fn pruned(old: &Value, successor: Option<&Value>) -> Violation {
    let object = ObjectRef::of(old);
    let (reason, remediations) = match successor.map(ObjectRef::of) {
        Some(new) => (
            format!(
                "renamed or moved to {}: a new name or namespace is a new object, so GitOps \
                 deletes this one and creates the new one (delete + create, not an update)",
                other_name(&object, &new)
            ),
            vec![Remediation::KeepUntilReplaced],
        ),
        None => (
            "the object is no longer rendered: GitOps with pruning deletes it".to_owned(),
            vec![Remediation::RestoreIfUnintended],
        ),
    };
    Violation {
        rule: PRUNED_RULE.to_owned(),
        severity: Severity::Info,
        field: "metadata.name".to_owned(),
        old: object.name.clone(),
        new: "(unset)".to_owned(),
        reason,
        api_error: String::new(),
        remediations,
        object,
    }
}

fn created(new: &Value, predecessor: Option<&Value>) -> Violation {
    let object = ObjectRef::of(new);
    let (reason, remediations) = match predecessor.map(ObjectRef::of) {
        Some(old) => (
            format!(
                "replaces {}: GitOps creates this object and deletes the old one, so what the \
                 old one served is down in between",
                other_name(&object, &old)
            ),
            vec![Remediation::KeepUntilReplaced],
        ),
        None => (
            "a new object: GitOps creates it".to_owned(),
            vec![Remediation::ConfirmNew],
        ),
    };
    Violation {
        rule: CREATED_RULE.to_owned(),
        severity: Severity::Info,
        field: "metadata.name".to_owned(),
        old: "(unset)".to_owned(),
        new: object.name.clone(),
        reason,
        api_error: String::new(),
        remediations,
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

    /// `(rule, namespace/name, old, new)` of each finding.
    fn summary(findings: &[Finding]) -> Vec<(&str, String, &str, &str)> {
        findings
            .iter()
            .map(|f| {
                let v = &f.violation;
                (
                    v.rule.as_str(),
                    format!(
                        "{}/{}",
                        v.object.namespace.as_deref().unwrap_or(""),
                        v.object.name
                    ),
                    v.old.as_str(),
                    v.new.as_str(),
                )
            })
            .collect()
    }

    #[test]
    fn rename_is_a_prune_and_a_create_and_deletion_is_a_prune() {
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
        assert_eq!(
            summary(&findings),
            [
                (PRUNED_RULE, "x/a".to_owned(), "a", "(unset)"),
                (CREATED_RULE, "x/b".to_owned(), "(unset)", "b"),
                (PRUNED_RULE, "x/gone".to_owned(), "gone", "(unset)"),
                (PRUNED_RULE, "/s".to_owned(), "s", "(unset)"),
            ]
        );
        assert!(findings
            .iter()
            .all(|f| f.violation.severity == Severity::Info));
        // The two halves of the rename name each other; the plain deletion says so.
        assert!(findings[0]
            .violation
            .reason
            .contains("renamed or moved to x/b"));
        assert!(findings[1].violation.reason.contains("replaces x/a"));
        assert!(findings[2].violation.reason.contains("no longer rendered"));
    }

    #[test]
    fn every_prune_and_create_says_what_to_do() {
        let base = BTreeMap::from([("d".to_owned(), vec![cm("a", "x"), cm("gone", "x")])]);
        let head = BTreeMap::from([(
            "d".to_owned(),
            vec![
                cm("a", "y"),
                json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "new"}}),
            ],
        )]);
        let findings = compare_revisions(&base, &head, &RuleSet::new(), &Context::git());
        let remediations: Vec<(&str, String, Vec<&str>)> = findings
            .iter()
            .map(|f| {
                let v = &f.violation;
                (
                    v.rule.as_str(),
                    v.object.to_string(),
                    v.remediations.iter().map(|r| r.id()).collect(),
                )
            })
            .collect();
        assert_eq!(
            remediations,
            [
                (
                    PRUNED_RULE,
                    "ConfigMap x/a".to_owned(),
                    vec!["keep-until-replaced"]
                ),
                (PRUNED_RULE, "ConfigMap x/gone".to_owned(), vec!["restore"]),
                (
                    CREATED_RULE,
                    "ConfigMap y/a".to_owned(),
                    vec!["keep-until-replaced"]
                ),
                (CREATED_RULE, "Service new".to_owned(), vec!["confirm-new"]),
            ]
        );
        // A move to another namespace names the namespace.
        assert!(findings[0].violation.reason.contains("moved to y/a"));
    }

    #[test]
    fn unchanged_objects_give_no_findings() {
        let base = BTreeMap::from([("d".to_owned(), vec![cm("a", "x")])]);
        assert!(compare_revisions(&base, &base, &RuleSet::new(), &Context::git()).is_empty());
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
