//! Reading the acceptance file: YAML, its entries checked one by one, each with its line.

use serde_json::Value;

use super::{Acceptance, AcceptanceError, ACCEPT_FILE};
use crate::report::Source;
use crate::Snapshot;

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
    let documents = kustomize_build::yaml::parse_json_documents(text).map_err(|e| {
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
}
