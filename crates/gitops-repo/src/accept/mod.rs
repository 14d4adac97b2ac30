//! Acknowledging a finding the change means to cause: deleting an app deletes its
//! `PersistentVolumeClaim` and its data (`prune-persistent-volume-claim`), and the author knows.
//!
//! An [`Acceptance`] names one rule and one object — kind, namespace, name — and says why. The
//! repository commits them at the head revision, in `.unstuck.yaml` at its root
//! ([`ACCEPT_FILE`], read by [`read`]):
//!
//! ```yaml
//! accept:
//!   - rule: prune-persistent-volume-claim
//!     kind: PersistentVolumeClaim
//!     namespace: media
//!     name: plex-config
//!     reason: plex is retired; its library is backed up to the NAS
//! ```
//!
//! or a caller gives them ([`Acceptance::parse_flag`]: `RULE:KIND/NAMESPACE/NAME`, the CLI's
//! `--accept`). [`crate::compare`] moves each finding an acceptance matches from
//! [`Report::violations`] to [`Report::accepted`], with the acceptance: it no longer fails the
//! report, and every output still shows it and why. An acceptance that matches nothing is a
//! warning (`accept-stale`), so entries do not outlive the change they were written for and
//! silently accept a later, unintended one; a malformed entry is an [`AcceptanceError`] naming
//! the file and line.

use serde::{Serialize, Serializer};

use crate::report::{Report, Source, Violation, Warning};

mod file;

pub use file::{parse_file, read};

/// The file at the repository root holding the acceptances.
pub const ACCEPT_FILE: &str = ".unstuck.yaml";

/// Rule id of the warning about an acceptance that matches no finding.
pub const STALE_RULE: &str = "accept-stale";

/// The reason of an acceptance a caller gave without one.
const FLAG_REASON: &str = "accepted with --accept";

/// One acknowledged finding: a rule on one object, and why it is fine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Acceptance {
    /// The rule id (`prune-persistent-volume-claim`, `deployment-selector`…).
    pub rule: String,
    /// The object's kind (`PersistentVolumeClaim`).
    pub kind: String,
    /// The object's namespace; `None` for a cluster-scoped object (or one the manifests leave
    /// without a namespace).
    pub namespace: Option<String>,
    /// The object's name.
    pub name: String,
    /// Why the finding is meant.
    pub reason: String,
    /// Where it is written (the file relative to the compared tree, and the entry's line);
    /// `None` when a caller gave it ([`Acceptance::parse_flag`]).
    pub source: Option<Source>,
}

/// An acceptance that cannot be read: what is wrong, where, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AcceptanceError {
    /// An entry of the acceptance file (or the file itself) is malformed.
    #[error("{file}:{line}: {message}")]
    File {
        /// The file, relative to the compared tree.
        file: String,
        /// The line, counted from 1.
        line: usize,
        /// What is wrong and what to write instead.
        message: String,
    },
    /// A `RULE:KIND/NAMESPACE/NAME` given by a caller is malformed.
    #[error("--accept {value}: {message}")]
    Flag {
        /// What was given.
        value: String,
        /// What is wrong and what to write instead.
        message: String,
    },
}

/// A finding accepted by an acceptance: still reported, no longer failing the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    /// The finding, as [`Report::violations`] would hold it.
    pub violation: Violation,
    /// What accepted it.
    pub acceptance: Acceptance,
}

impl Acceptance {
    /// Read `RULE:KIND/NAMESPACE/NAME` (`RULE:KIND/NAME` for an object without namespace),
    /// optionally followed by `=REASON`.
    ///
    /// ```
    /// use gitops_repo::accept::Acceptance;
    ///
    /// let pvc = Acceptance::parse_flag("prune-persistent-volume-claim:PersistentVolumeClaim/media/plex")?;
    /// assert_eq!((pvc.kind.as_str(), pvc.namespace.as_deref(), pvc.name.as_str()),
    ///            ("PersistentVolumeClaim", Some("media"), "plex"));
    /// let ns = Acceptance::parse_flag("prune-namespace:Namespace/media=the media apps are gone")?;
    /// assert_eq!((ns.namespace, ns.reason.as_str()), (None, "the media apps are gone"));
    /// assert!(Acceptance::parse_flag("prune-namespace").is_err());
    /// # Ok::<(), gitops_repo::accept::AcceptanceError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// When a part is missing or empty.
    pub fn parse_flag(value: &str) -> Result<Self, AcceptanceError> {
        let error = |message: &str| {
            AcceptanceError::Flag {
            value: value.to_owned(),
            message: format!("{message}; write RULE:KIND/NAMESPACE/NAME (RULE:KIND/NAME without namespace), optionally =REASON"),
        }
        };
        let (target, reason) = value
            .split_once('=')
            .map_or((value, FLAG_REASON), |(target, reason)| {
                (target, reason.trim())
            });
        let (rule, object) = target
            .split_once(':')
            .ok_or_else(|| error("no `:` after the rule"))?;
        let parts: Vec<&str> = object.split('/').map(str::trim).collect();
        let (kind, namespace, name) = match parts.as_slice() {
            [kind, name] => (*kind, None, *name),
            [kind, namespace, name] => (*kind, Some((*namespace).to_owned()), *name),
            _ => return Err(error("the object is not KIND/NAMESPACE/NAME or KIND/NAME")),
        };
        if [rule.trim(), kind, name, reason]
            .iter()
            .any(|part| part.is_empty())
            || namespace.as_deref() == Some("")
        {
            return Err(error("a part is empty"));
        }
        Ok(Self {
            rule: rule.trim().to_owned(),
            kind: kind.to_owned(),
            namespace,
            name: name.to_owned(),
            reason: reason.to_owned(),
            source: None,
        })
    }

    /// Whether this acceptance covers `violation`: same rule, kind, namespace and name.
    pub fn matches(&self, violation: &immutable_rules::Violation) -> bool {
        let object = &violation.object;
        self.rule == violation.rule
            && self.kind == object.kind
            && self.name == object.name
            && self.namespace.as_deref().unwrap_or_default()
                == object.namespace.as_deref().unwrap_or_default()
    }

    /// `rule Kind namespace/name`, as messages name it.
    fn target(&self) -> String {
        match &self.namespace {
            Some(namespace) => format!("{} {} {namespace}/{}", self.rule, self.kind, self.name),
            None => format!("{} {} {}", self.rule, self.kind, self.name),
        }
    }
}

/// Move each violation of `report` an acceptance matches to [`Report::accepted`]; warn about
/// each acceptance that matches none.
pub(crate) fn apply(report: &mut Report, acceptances: &[Acceptance]) {
    if acceptances.is_empty() {
        return;
    }
    let mut used = vec![false; acceptances.len()];
    let mut kept = Vec::new();
    for violation in std::mem::take(&mut report.violations) {
        match acceptances
            .iter()
            .position(|a| a.matches(&violation.finding.violation))
        {
            Some(index) => {
                used[index] = true;
                report.accepted.push(Accepted {
                    violation,
                    acceptance: acceptances[index].clone(),
                });
            }
            None => kept.push(violation),
        }
    }
    report.violations = kept;
    for (acceptance, _) in acceptances.iter().zip(used).filter(|(_, used)| !used) {
        let origin = acceptance
            .source
            .as_ref()
            .map_or_else(|| "--accept".to_owned(), |s| s.file.clone());
        report.warnings.push(Warning {
            rule: STALE_RULE.to_owned(),
            path: origin.clone(),
            message: format!(
                "accepts {}, which this change does not cause",
                acceptance.target()
            ),
            help: "remove the entry once the change it was written for is merged: left in place, it would accept a later, unintended finding without anyone noticing".to_owned(),
            source: acceptance.source.clone(),
            file: origin,
        });
    }
}

impl Serialize for Accepted {
    /// The violation's keys (as in `violations`), then `"acceptance": {"reason", "source"}`
    /// (`source` null when given on the command line).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Why<'a> {
            reason: &'a str,
            source: Option<&'a Source>,
        }
        #[derive(Serialize)]
        struct Flat<'a> {
            #[serde(flatten)]
            violation: &'a Violation,
            acceptance: Why<'a>,
        }
        Flat {
            violation: &self.violation,
            acceptance: Why {
                reason: &self.acceptance.reason,
                source: self.acceptance.source.as_ref(),
            },
        }
        .serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_need_every_part() {
        for bad in [
            "",
            "rule",
            "rule:Kind",
            "rule:Kind/a/b/c",
            ":Kind/name",
            "rule:Kind//name",
            "rule:Kind/name=",
        ] {
            let error = Acceptance::parse_flag(bad).unwrap_err();
            assert!(
                error.to_string().starts_with(&format!("--accept {bad}: ")),
                "{error}"
            );
        }
    }

    #[test]
    fn matching_compares_rule_kind_namespace_and_name() {
        let object = serde_json::json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data", "namespace": "media"}});
        let violation = immutable_rules::Violation {
            rule: "r".to_owned(),
            severity: immutable_rules::Severity::Error,
            object: immutable_rules::ObjectRef::of(&object),
            field: String::new(),
            old: String::new(),
            new: String::new(),
            reason: String::new(),
            api_error: String::new(),
            remediations: Vec::new(),
        };
        let accept = |flag: &str| Acceptance::parse_flag(flag).unwrap().matches(&violation);
        assert!(accept("r:PersistentVolumeClaim/media/data"));
        assert!(!accept("r:PersistentVolumeClaim/other/data"));
        assert!(!accept("r:PersistentVolumeClaim/data"));
        assert!(!accept("other:PersistentVolumeClaim/media/data"));
        assert!(!accept("r:ConfigMap/media/data"));
    }
}
