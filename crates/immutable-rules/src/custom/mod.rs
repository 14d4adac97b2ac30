//! Rules that do not ship with the crate: user rule files (for CRDs and policies), the per-object
//! `gitops.flux.io/immutable-fields` annotation, and rules derived from CRDs' CEL transition rules.

mod crd;
mod file;
pub(crate) mod path;

use std::cmp::Ordering;

use serde::Serialize;
use serde_json::Value;

pub use self::path::{FieldPath, FieldPathError};
use crate::identity::canonical_group;
use crate::quantity;
use crate::rules::Checker;
use crate::violation::{Remediation, Severity};

pub(crate) use self::crd::rules_from_crd;
pub use self::crd::SkippedValidation;
pub(crate) use self::file::parse_rule_file;

/// The annotation that lists extra immutable fields of one object, comma-separated.
pub const IMMUTABLE_FIELDS_ANNOTATION: &str = "gitops.flux.io/immutable-fields";
/// unstuck's own equivalent of [`IMMUTABLE_FIELDS_ANNOTATION`]; both are read.
pub const UNSTUCK_IMMUTABLE_FIELDS_ANNOTATION: &str = "unstuck.dev/immutable-fields";

/// The field paths an `immutable-fields` annotation value lists: comma-separated, blanks
/// around each entry and empty entries ignored, each parsed as a [`FieldPath`]. The one parser
/// of the annotation, shared by the rule engine and by validation of the annotation itself.
///
/// ```
/// use immutable_rules::parse_immutable_fields;
/// let fields = parse_immutable_fields("spec.a, spec.b[*].c,");
/// assert_eq!(fields.len(), 2);
/// assert_eq!(fields[1].0, "spec.b[*].c");
/// assert!(fields.iter().all(|(_, parsed)| parsed.is_ok()));
/// assert!(parse_immutable_fields("spec.a[0]")[0].1.is_err());
/// ```
pub fn parse_immutable_fields(text: &str) -> Vec<(&str, Result<FieldPath, FieldPathError>)> {
    text.split(',')
        .map(str::trim)
        .filter(|field| !field.is_empty())
        .map(|field| (field, field.parse::<FieldPath>()))
        .collect()
}

rule!(ANNOTATION_IMMUTABLE_FIELD, "annotation-immutable-field",
    kinds: ["*"], fields: ["fields listed in the gitops.flux.io/immutable-fields annotation"],
    condition: "a field the object's gitops.flux.io/immutable-fields annotation (on the live or the new object) lists changes",
    versions: "all (policy, not enforced by the API server)",
    severity: Error, remediations: [Revert, Recreate]);
rule!(CRD_TRANSITION_RULE, "crd-transition-rule",
    kinds: ["*"], fields: ["fields with x-kubernetes-validations transition rules in the CRDs given to the rule set"],
    condition: "a transition rule such as `self == oldSelf` of the custom resource's CRD fails",
    versions: "1.25+ (CEL validation rules beta, GA 1.29)",
    severity: Error, remediations: [Revert, Recreate]);

/// Which change of the field a custom rule refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Transition {
    /// Any change: set, changed or removed.
    Changed,
    /// Changed or removed once it has a value (setting it when unset is allowed).
    ChangedOnceSet,
    /// Changed while present on both sides (CEL `self == oldSelf`: not evaluated when the field
    /// is added or removed).
    ChangedWhenBothSet,
    /// Removed once set.
    Unset,
    /// Added or removed.
    PresenceChanged,
    /// A number or quantity decreases.
    Decreased,
    /// A number or quantity increases.
    Increased,
}

/// Where a custom rule came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleSource {
    /// A user rule file, by the name the caller gave it.
    File(String),
    /// A CustomResourceDefinition, by name.
    Crd(String),
}

/// A rule that is not built in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomRule {
    /// Stable id, reported in violations.
    pub id: String,
    /// API group the rule applies to; `None` means any group.
    pub group: Option<String>,
    /// Kind the rule applies to.
    pub kind: String,
    /// API versions the rule applies to; empty means all.
    pub versions: Vec<String>,
    /// The watched field.
    #[serde(serialize_with = "serialize_display")]
    pub field: FieldPath,
    /// Which change is refused.
    pub transition: Transition,
    /// Why, shown to the user (and, for CRD rules, the error the API server returns).
    pub message: String,
    /// Severity of violations.
    pub severity: Severity,
    /// Ways out.
    pub remediations: Vec<Remediation>,
    /// Where the rule came from.
    pub source: RuleSource,
}

fn serialize_display<S: serde::Serializer>(
    value: &FieldPath,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

fn as_number(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn order(old: &Value, new: &Value) -> Option<Ordering> {
    match (as_number(old), as_number(new)) {
        (Some(a), Some(b)) => b.partial_cmp(&a),
        _ => quantity::compare(new, old),
    }
}

impl CustomRule {
    fn applies_to(&self, c: &Checker<'_>) -> bool {
        let object = c.object;
        object.kind == self.kind
            && self.group.as_deref().is_none_or(|g| {
                canonical_group(g, &self.kind) == canonical_group(&object.group, &object.kind)
            })
            && (self.versions.is_empty() || self.versions.contains(&object.version))
    }

    /// Report every field this rule refuses to see changed.
    pub(crate) fn evaluate(&self, c: &mut Checker<'_>) {
        if !self.applies_to(c) {
            return;
        }
        let mode = c.upd.mode;
        let mut hits: Vec<String> = Vec::new();
        let mut list_hits: Vec<String> = Vec::new();
        let transition = self.transition;
        self.field.visit(
            c.upd.old,
            c.upd.new,
            mode,
            &mut |path, reached| {
                let old_present = reached.old.is_some();
                let new_present = reached.new_present(mode);
                let hit = match transition {
                    Transition::Changed => reached.changed(mode),
                    Transition::ChangedOnceSet => old_present && reached.changed(mode),
                    Transition::ChangedWhenBothSet => {
                        old_present && new_present && reached.changed(mode)
                    }
                    Transition::Unset => old_present && !new_present,
                    Transition::PresenceChanged => old_present != new_present,
                    Transition::Decreased | Transition::Increased => {
                        match (reached.old, reached.new) {
                            (Some(old), Some(new)) if !new.is_null() => {
                                let want = if transition == Transition::Decreased {
                                    Ordering::Less
                                } else {
                                    Ordering::Greater
                                };
                                order(old, new) == Some(want)
                            }
                            _ => false,
                        }
                    }
                };
                if hit {
                    hits.push(path.to_owned());
                }
            },
            &mut |list| {
                if matches!(transition, Transition::Changed | Transition::ChangedOnceSet) {
                    list_hits.push(list.to_owned());
                }
            },
        );
        hits.append(&mut list_hits);
        for field in hits {
            let (reason, api_error) = match &self.source {
                RuleSource::File(file) => (
                    format!("{} (rule {} from {file})", self.message, self.id),
                    format!("{field}: {}", self.message),
                ),
                RuleSource::Crd(crd) => (
                    format!(
                        "the CRD {crd} declares a transition rule on {}: {}",
                        self.field, self.message
                    ),
                    format!("{field}: Invalid value: ...: {}", self.message),
                ),
            };
            c.push(
                &self.id,
                self.severity,
                &field,
                &reason,
                &api_error,
                &self.remediations,
            );
        }
    }
}

/// Fields listed by the `gitops.flux.io/immutable-fields` (or `unstuck.dev/immutable-fields`)
/// annotation of either side.
pub(crate) fn annotation_rules(c: &mut Checker<'_>) {
    let keys = [
        IMMUTABLE_FIELDS_ANNOTATION,
        UNSTUCK_IMMUTABLE_FIELDS_ANNOTATION,
    ];
    let mut listed: Vec<(&str, Result<FieldPath, FieldPathError>)> = Vec::new();
    let mut annotation_changed = false;
    for key in keys {
        let path = ["metadata", "annotations", key];
        let (old, new) = (c.upd.old_str(&path), c.upd.new_str(&path));
        annotation_changed |= old != new;
        for text in [old, new].into_iter().flatten() {
            for (field, parsed) in parse_immutable_fields(text) {
                if !listed.iter().any(|(seen, _)| *seen == field) {
                    listed.push((field, parsed));
                }
            }
        }
    }
    for (_, parsed) in listed {
        match parsed {
            Ok(field) => {
                let rule = CustomRule {
                    id: ANNOTATION_IMMUTABLE_FIELD.id.to_owned(),
                    group: None,
                    kind: c.object.kind.clone(),
                    versions: Vec::new(),
                    field,
                    transition: Transition::Changed,
                    message: format!("the object's {IMMUTABLE_FIELDS_ANNOTATION} annotation declares it immutable"),
                    severity: Severity::Error,
                    remediations: ANNOTATION_IMMUTABLE_FIELD.remediations.to_vec(),
                    source: RuleSource::File(IMMUTABLE_FIELDS_ANNOTATION.to_owned()),
                };
                rule.evaluate(c);
            }
            // An unreadable path is reported once, when the annotation changes.
            Err(_) if !annotation_changed => {}
            Err(error) => {
                let reason = format!("the {IMMUTABLE_FIELDS_ANNOTATION} annotation lists a field the engine cannot read: {error}");
                c.push(
                    ANNOTATION_IMMUTABLE_FIELD.id,
                    Severity::Warning,
                    "metadata.annotations",
                    &reason,
                    "none (annotation not understood)",
                    &[],
                );
            }
        }
    }
}
