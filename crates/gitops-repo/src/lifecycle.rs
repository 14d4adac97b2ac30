//! Per-object lifecycle annotations: how an object may be changed, which of its fields are
//! immutable by policy, where it sits in the deployment order, and whether automation may
//! recover it.
//!
//! Each annotation has a community key (`gitops.flux.io/…`) and unstuck's own
//! (`unstuck.dev/…`); either may be used, and both together must agree.
//!
//! | annotation | values |
//! |---|---|
//! | `update-strategy` | `rolling`, `recreate`, `blue-green` |
//! | `immutable-fields` | comma-separated field paths (`spec.a, spec.b[*].c`) |
//! | `dependency-weight` | an integer; lower deploys first |
//! | `recovery-policy` | `auto`, `manual` |
//!
//! Values are read case-insensitively, as the controller reads `recovery-policy`. The
//! `immutable-fields` list is parsed by the rule engine's own parser
//! ([`immutable_rules::parse_immutable_fields`]), so validation and the rules never disagree on
//! what a value means.

use std::fmt;

use immutable_rules::{parse_immutable_fields, FieldPath};
use serde::Serialize;
use serde_json::Value;

/// The annotations' prefixes, community first.
pub const PREFIXES: [&str; 2] = ["gitops.flux.io/", "unstuck.dev/"];

/// How a change the API server refuses in place should be carried out (`update-strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpdateStrategy {
    /// Update in place only: a change that cannot be applied in place is reverted.
    Rolling,
    /// Delete and create again.
    Recreate,
    /// Create the changed object under a new name beside the old one, move what refers to it
    /// over, then remove the old one.
    BlueGreen,
}

/// Whether automation may act on the object (`recovery-policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecoveryPolicy {
    /// Automation may recover it (the default).
    Auto,
    /// Leave it to a human.
    Manual,
}

/// One object's lifecycle annotations, as read. Absent or invalid annotations are `None` (or
/// empty): the problems say which were invalid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Lifecycle {
    /// `update-strategy`.
    pub update_strategy: Option<UpdateStrategy>,
    /// `immutable-fields`, the paths that parse.
    pub immutable_fields: Vec<FieldPath>,
    /// `dependency-weight`.
    pub dependency_weight: Option<i64>,
    /// `recovery-policy`.
    pub recovery_policy: Option<RecoveryPolicy>,
}

/// An annotation whose value cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnnotationProblem {
    /// The annotation key as written (`gitops.flux.io/update-strategy`).
    pub key: String,
    /// Its value.
    pub value: String,
    /// What is wrong and what would be accepted.
    pub problem: String,
}

impl fmt::Display for AnnotationProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "annotation {}: {:?}: {}",
            self.key, self.value, self.problem
        )
    }
}

/// Read the lifecycle annotations of a Kubernetes object.
///
/// ```
/// use gitops_repo::lifecycle::{read, UpdateStrategy};
/// use serde_json::json;
///
/// let object = json!({"metadata": {"annotations": {
///     "gitops.flux.io/update-strategy": "Blue-Green",
///     "unstuck.dev/dependency-weight": "ten",
/// }}});
/// let (lifecycle, problems) = read(&object);
/// assert_eq!(lifecycle.update_strategy, Some(UpdateStrategy::BlueGreen));
/// assert_eq!(lifecycle.dependency_weight, None);
/// assert_eq!(problems[0].key, "unstuck.dev/dependency-weight");
/// assert!(problems[0].problem.contains("integer"));
/// ```
pub fn read(object: &Value) -> (Lifecycle, Vec<AnnotationProblem>) {
    let annotations = &object["metadata"]["annotations"];
    let mut problems = Vec::new();
    let mut lifecycle = Lifecycle {
        update_strategy: one_of(annotations, "update-strategy", &mut problems, |v| {
            match v.to_ascii_lowercase().as_str() {
                "rolling" => Ok(UpdateStrategy::Rolling),
                "recreate" => Ok(UpdateStrategy::Recreate),
                "blue-green" => Ok(UpdateStrategy::BlueGreen),
                _ => Err("use one of rolling, recreate, blue-green".to_owned()),
            }
        }),
        dependency_weight: one_of(annotations, "dependency-weight", &mut problems, |v| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| "use an integer (lower deploys first), e.g. \"10\"".to_owned())
        }),
        recovery_policy: one_of(annotations, "recovery-policy", &mut problems, |v| {
            match v.to_ascii_lowercase().as_str() {
                "auto" => Ok(RecoveryPolicy::Auto),
                "manual" => Ok(RecoveryPolicy::Manual),
                _ => Err("use auto or manual".to_owned()),
            }
        }),
        immutable_fields: Vec::new(),
    };
    for prefix in PREFIXES {
        let key = format!("{prefix}immutable-fields");
        let Some(value) = annotations.get(&key) else {
            continue;
        };
        let Some(text) = value.as_str() else {
            problems.push(not_a_string(&key, value));
            continue;
        };
        for (field, parsed) in parse_immutable_fields(text) {
            match parsed {
                Ok(path) => lifecycle.immutable_fields.push(path),
                Err(error) => problems.push(AnnotationProblem {
                    key: key.clone(),
                    value: text.to_owned(),
                    problem: format!(
                        "field {field:?} cannot be read ({}); write dotted keys with [*] for every list item, e.g. spec.a, spec.b[*].c",
                        error.problem
                    ),
                }),
            }
        }
    }
    (lifecycle, problems)
}

/// The value of annotation `name` under either prefix, parsed; both prefixes present must
/// agree.
fn one_of<T: PartialEq>(
    annotations: &Value,
    name: &str,
    problems: &mut Vec<AnnotationProblem>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<T> {
    let mut found: Option<(String, String, T)> = None;
    for prefix in PREFIXES {
        let key = format!("{prefix}{name}");
        let Some(value) = annotations.get(&key) else {
            continue;
        };
        let Some(text) = value.as_str() else {
            problems.push(not_a_string(&key, value));
            continue;
        };
        match parse(text) {
            Err(problem) => problems.push(AnnotationProblem {
                key,
                value: text.to_owned(),
                problem,
            }),
            Ok(parsed) => match &found {
                Some((first_key, first_value, first)) if *first != parsed => {
                    problems.push(AnnotationProblem {
                        key,
                        value: text.to_owned(),
                        problem: format!(
                            "contradicts {first_key}: {first_value:?}; keep one of the two annotations"
                        ),
                    });
                }
                Some(_) => {}
                None => found = Some((key, text.to_owned(), parsed)),
            },
        }
    }
    found.map(|(_, _, value)| value)
}

fn not_a_string(key: &str, value: &Value) -> AnnotationProblem {
    AnnotationProblem {
        key: key.to_owned(),
        value: value.to_string(),
        problem: "annotation values are strings; quote it".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn annotated(annotations: Value) -> Value {
        let mut object = json!({"metadata": {}});
        object["metadata"]["annotations"] = annotations;
        object
    }

    #[test]
    fn both_prefixes_are_read_and_values_are_case_insensitive() {
        let (lifecycle, problems) = read(&annotated(json!({
            "unstuck.dev/update-strategy": "Recreate",
            "gitops.flux.io/recovery-policy": "MANUAL",
            "gitops.flux.io/dependency-weight": "-5",
            "unstuck.dev/immutable-fields": "spec.a, spec.b[*].c",
        })));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(lifecycle.update_strategy, Some(UpdateStrategy::Recreate));
        assert_eq!(lifecycle.recovery_policy, Some(RecoveryPolicy::Manual));
        assert_eq!(lifecycle.dependency_weight, Some(-5));
        assert_eq!(lifecycle.immutable_fields.len(), 2);
    }

    #[test]
    fn bad_values_say_what_is_accepted() {
        let (lifecycle, problems) = read(&annotated(json!({
            "gitops.flux.io/update-strategy": "canary",
            "gitops.flux.io/recovery-policy": "sometimes",
            "gitops.flux.io/immutable-fields": "spec.a, spec.b[0]",
        })));
        assert_eq!(
            lifecycle,
            Lifecycle {
                immutable_fields: vec!["spec.a".parse().unwrap()],
                ..Lifecycle::default()
            }
        );
        let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), 3);
        assert!(messages[0].contains("rolling, recreate, blue-green"));
        assert!(messages[1].contains("auto or manual"));
        assert!(messages[2].contains("\"spec.b[0]\""));
    }

    #[test]
    fn the_two_prefixes_must_agree() {
        let (lifecycle, problems) = read(&annotated(json!({
            "gitops.flux.io/update-strategy": "recreate",
            "unstuck.dev/update-strategy": "blue-green",
        })));
        assert_eq!(lifecycle.update_strategy, Some(UpdateStrategy::Recreate));
        assert_eq!(problems[0].key, "unstuck.dev/update-strategy");
        assert!(problems[0]
            .problem
            .contains("contradicts gitops.flux.io/update-strategy"));
    }

    #[test]
    fn a_non_string_value_is_a_problem() {
        let (_, problems) = read(&annotated(json!({"gitops.flux.io/dependency-weight": 3})));
        assert!(problems[0].problem.contains("quote it"));
    }

    #[test]
    fn no_annotations_mean_defaults() {
        assert_eq!(
            read(&json!({"kind": "ConfigMap"})),
            (Lifecycle::default(), Vec::new())
        );
    }
}
