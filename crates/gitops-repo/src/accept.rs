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
use serde_json::Value;

use crate::report::{Report, Source, Violation, Warning};
use crate::Snapshot;

/// The file at the repository root holding the acceptances.
pub const ACCEPT_FILE: &str = ".unstuck.yaml";

/// Rule id of the warning about an acceptance that matches no finding.
pub const STALE_RULE: &str = "accept-stale";

/// What a given acceptance was not accepted for, given on the command line.
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

/// The acceptances of `snapshot`: its [`ACCEPT_FILE`] at the root of the compared tree; none
/// when there is no such file.
///
/// # Errors
///
/// When the file is not UTF-8 YAML of the documented shape (see [`parse_file`]).
pub fn read(snapshot: &Snapshot) -> Result<Vec<Acceptance>, AcceptanceError> {
    let Ok(bytes) = snapshot.fs().read(&snapshot.tree_root().join(ACCEPT_FILE)) else {
        return Ok(Vec::new());
    };
    let text = String::from_utf8(bytes).map_err(|_| AcceptanceError::File {
        file: ACCEPT_FILE.to_owned(),
        line: 1,
        message: "not UTF-8 text; save it as UTF-8".to_owned(),
    })?;
    parse_file(&text, ACCEPT_FILE)
}

/// Read the acceptances of a file's `text`: a mapping whose only key `accept` lists entries
/// with `rule`, `kind`, `name` and `reason` (required, non-empty) and `namespace` (for a
/// namespaced object). `file` names it in errors and in each acceptance's source.
///
/// ```
/// use gitops_repo::accept::parse_file;
///
/// let text = "accept:\n  - rule: prune-namespace\n    kind: Namespace\n    name: media\n    reason: retired\n";
/// let found = parse_file(text, ".unstuck.yaml")?;
/// assert_eq!(found[0].source.as_ref().unwrap().line, 2);
/// let error = parse_file("accept:\n  - rule: prune-namespace\n    kind: Namespace\n    name: media\n", ".unstuck.yaml")
///     .unwrap_err();
/// assert_eq!(error.to_string(), ".unstuck.yaml:2: entry 1 has no `reason`; say why the finding is meant");
/// # Ok::<(), gitops_repo::accept::AcceptanceError>(())
/// ```
///
/// # Errors
///
/// Invalid YAML (at the line the parser names), another shape, an unknown key (a misspelt
/// one would otherwise accept nothing), a missing or empty field.
pub fn parse_file(text: &str, file: &str) -> Result<Vec<Acceptance>, AcceptanceError> {
    let error = |line: usize, message: String| AcceptanceError::File {
        file: file.to_owned(),
        line,
        message,
    };
    let documents = kustomize_build::yaml::parse_documents(text).map_err(|e| {
        error(
            e.line(),
            format!("not valid YAML ({}); correct the syntax", e.kind()),
        )
    })?;
    let document = match documents.as_slice() {
        [] | [Value::Null] => return Ok(Vec::new()),
        [document] => document,
        _ => {
            return Err(error(
                1,
                "holds several YAML documents; keep one, with an `accept:` list".to_owned(),
            ))
        }
    };
    let Value::Object(top) = document else {
        return Err(error(
            1,
            "is not a mapping; write `accept:` followed by a list of entries".to_owned(),
        ));
    };
    if let Some(key) = top.keys().find(|key| *key != "accept") {
        let line = key_line(text, key).unwrap_or(1);
        return Err(error(
            line,
            format!("unknown key `{key}`; the file holds only `accept:`"),
        ));
    }
    let accept_line = key_line(text, "accept").unwrap_or(1);
    let entries = match top.get("accept") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(entries)) => entries,
        Some(_) => {
            return Err(error(
                accept_line,
                "`accept` is not a list; write one `- rule: …` entry per finding".to_owned(),
            ))
        }
    };
    let lines = item_lines(text, accept_line);
    let line_of = |index: usize| {
        if lines.len() == entries.len() {
            lines[index]
        } else {
            accept_line
        }
    };
    entries
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            let line = line_of(index);
            let number = index + 1;
            let Value::Object(fields) = entry else {
                return Err(error(line, format!("entry {number} is not a mapping; give rule, kind, namespace, name and reason")));
            };
            if let Some(key) = fields
                .keys()
                .find(|key| !["rule", "kind", "namespace", "name", "reason"].contains(&key.as_str()))
            {
                return Err(error(line, format!("entry {number} has an unknown key `{key}`; an entry holds rule, kind, namespace, name and reason")));
            }
            let field = |key: &str, what: &str| match fields.get(key) {
                Some(Value::String(text)) if !text.trim().is_empty() => Ok(Some(text.trim().to_owned())),
                None | Some(Value::Null) => Ok(None),
                Some(_) => Err(error(line, format!("entry {number}: `{key}` is not a non-empty string; give {what}"))),
            };
            let required = |key: &str, what: &str| {
                field(key, what)?.ok_or_else(|| error(line, format!("entry {number} has no `{key}`; {what}")))
            };
            Ok(Acceptance {
                rule: required("rule", "name the rule id the check reports")?,
                kind: required("kind", "name the object's kind")?,
                namespace: field("namespace", "the object's namespace")?,
                name: required("name", "name the object")?,
                reason: required("reason", "say why the finding is meant")?,
                source: Some(Source {
                    file: file.to_owned(),
                    line,
                    writer: None,
                }),
            })
        })
        .collect()
}

/// The 1-based line of the top-level `key:`.
fn key_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            line.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map(|index| index + 1)
}

/// The 1-based lines where the block-sequence items under the top-level key at `key_line`
/// start (`- …` at the first item's indentation); empty for a flow sequence.
fn item_lines(text: &str, key_line: usize) -> Vec<usize> {
    let mut found = Vec::new();
    let mut indent = None;
    for (index, line) in text.lines().enumerate().skip(key_line) {
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let depth = line.len() - content.len();
        let is_item = content == "-" || content.starts_with("- ");
        match indent {
            None if is_item => indent = Some(depth),
            None => break,
            Some(item) if depth < item || (depth == item && !is_item) => break,
            Some(_) => {}
        }
        if is_item && Some(depth) == indent {
            found.push(index + 1);
        }
    }
    found
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

    const FILE: &str = ".unstuck.yaml";

    #[test]
    fn entries_carry_the_line_they_start_on() {
        let text = "---\n# deliberate\naccept:\n\n- rule: a\n  kind: K\n  name: n\n  # why\n  reason: r\n-   rule: b\n    kind: Namespace\n    name: ns\n    reason: gone\n";
        let found = parse_file(text, FILE).unwrap();
        let lines: Vec<usize> = found
            .iter()
            .map(|a| a.source.as_ref().unwrap().line)
            .collect();
        assert_eq!(lines, [5, 10]);
        assert_eq!(found[1].namespace, None);
        // A flow sequence has no item lines: its entries point at `accept:`.
        let flow = "accept: [{rule: a, kind: K, name: n, reason: r}]\n";
        assert_eq!(
            parse_file(flow, FILE).unwrap()[0]
                .source
                .as_ref()
                .unwrap()
                .line,
            1
        );
    }

    #[test]
    fn empty_files_accept_nothing() {
        assert!(parse_file("", FILE).unwrap().is_empty());
        assert!(parse_file("# nothing yet\n", FILE).unwrap().is_empty());
        assert!(parse_file("accept:\n", FILE).unwrap().is_empty());
    }

    #[test]
    fn malformed_files_name_the_line_and_what_to_write() {
        let cases = [
            ("accept:\n  - rule: [\n", "not valid YAML"),
            ("accepts:\n  - rule: a\n", "1: unknown key `accepts`; the file holds only `accept:`"),
            ("accept: yes\n", "1: `accept` is not a list"),
            ("accept:\n  - just-a-string\n", "2: entry 1 is not a mapping"),
            (
                "accept:\n  - rule: a\n    kind: K\n    name: n\n    reason: r\n  - rule: b\n    kind: K\n    name: 3\n    reason: r\n",
                "6: entry 2: `name` is not a non-empty string",
            ),
            ("accept:\n  - rule: a\n    kind: K\n    name: n\n    reason: \"  \"\n", "2: entry 1: `reason` is not a non-empty string"),
            ("a: 1\n---\nb: 2\n", "1: holds several YAML documents"),
        ];
        for (text, expected) in cases {
            let error = parse_file(text, FILE).unwrap_err().to_string();
            assert!(error.starts_with(FILE), "{error}");
            assert!(error.contains(expected), "{text:?}: {error}");
        }
    }

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
