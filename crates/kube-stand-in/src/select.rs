//! Label and field selectors, as list and watch requests carry them (`labelSelector=`,
//! `fieldSelector=`).

use serde_json::Value;

/// A selector could not be parsed (answered with 400 Bad Request).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unable to parse requirement `{0}`")]
pub struct SelectorError(pub String);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

/// A parsed label selector (`app=web,tier in (a,b),!legacy`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector(Vec<Requirement>);

/// Splits on commas that are not inside parentheses.
fn split_top(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0_i32;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

fn set_values(text: &str) -> Option<Vec<String>> {
    let inner = text.trim().strip_prefix('(')?.strip_suffix(')')?;
    Some(inner.split(',').map(|v| v.trim().to_owned()).collect())
}

impl LabelSelector {
    /// Parses the selector syntax of the API (equality- and set-based requirements).
    pub fn parse(text: &str) -> Result<Self, SelectorError> {
        let mut out = Vec::new();
        for part in split_top(text) {
            let bad = || SelectorError(part.to_owned());
            let requirement = if let Some(key) = part.strip_prefix('!') {
                Requirement::DoesNotExist(key.trim().to_owned())
            } else if let Some((key, value)) = part.split_once("!=") {
                Requirement::NotEquals(key.trim().to_owned(), value.trim().to_owned())
            } else if let Some((key, value)) =
                part.split_once("==").or_else(|| part.split_once('='))
            {
                Requirement::Equals(key.trim().to_owned(), value.trim().to_owned())
            } else if let Some((key, values)) = part.split_once(" notin ") {
                Requirement::NotIn(key.trim().to_owned(), set_values(values).ok_or_else(bad)?)
            } else if let Some((key, values)) = part.split_once(" in ") {
                Requirement::In(key.trim().to_owned(), set_values(values).ok_or_else(bad)?)
            } else if part.contains([' ', '(', ')']) {
                return Err(bad());
            } else {
                Requirement::Exists(part.to_owned())
            };
            out.push(requirement);
        }
        Ok(LabelSelector(out))
    }

    /// Whether an object's `metadata.labels` satisfy every requirement.
    pub fn matches(&self, labels: &Value) -> bool {
        let get = |key: &str| labels.get(key).and_then(Value::as_str);
        self.0.iter().all(|r| match r {
            Requirement::Equals(k, v) => get(k) == Some(v.as_str()),
            Requirement::NotEquals(k, v) => get(k) != Some(v.as_str()),
            Requirement::In(k, vs) => get(k).is_some_and(|l| vs.iter().any(|v| v == l)),
            Requirement::NotIn(k, vs) => get(k).is_none_or(|l| vs.iter().all(|v| v != l)),
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::DoesNotExist(k) => get(k).is_none(),
        })
    }
}

/// A parsed field selector (`metadata.name=web,status.phase!=Running`).
///
/// The real API server accepts only a few fields per kind; the stand-in accepts any dotted path
/// and compares its value as a string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector(Vec<(String, String, bool)>);

impl FieldSelector {
    /// Parses `path=value`, `path==value` and `path!=value` terms.
    pub fn parse(text: &str) -> Result<Self, SelectorError> {
        let mut out = Vec::new();
        for part in split_top(text) {
            if let Some((path, value)) = part.split_once("!=") {
                out.push((path.trim().to_owned(), value.trim().to_owned(), false));
            } else if let Some((path, value)) =
                part.split_once("==").or_else(|| part.split_once('='))
            {
                out.push((path.trim().to_owned(), value.trim().to_owned(), true));
            } else {
                return Err(SelectorError(part.to_owned()));
            }
        }
        Ok(FieldSelector(out))
    }

    /// Whether `object` satisfies every term.
    pub fn matches(&self, object: &Value) -> bool {
        self.0.iter().all(|(path, value, equal)| {
            let mut cursor = object;
            for part in path.split('.') {
                cursor = &cursor[part];
            }
            let actual = match cursor {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            (actual == *value) == *equal
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn set_and_equality_requirements() {
        let labels = json!({"app": "web", "tier": "front"});
        let yes = [
            "app=web",
            "app==web,tier",
            "tier in (front, back)",
            "app notin (db)",
            "!legacy",
            "app!=db",
        ];
        for text in yes {
            assert!(
                LabelSelector::parse(text).unwrap().matches(&labels),
                "{text}"
            );
        }
        let no = [
            "app=db",
            "legacy",
            "tier in (back)",
            "!app",
            "tier notin (front)",
        ];
        for text in no {
            assert!(
                !LabelSelector::parse(text).unwrap().matches(&labels),
                "{text}"
            );
        }
        assert!(LabelSelector::parse("tier in front").is_err());
    }

    #[test]
    fn field_selectors_compare_paths() {
        let object = json!({"metadata": {"name": "web"}, "reason": "RecoveryStarted"});
        assert!(FieldSelector::parse("metadata.name=web,reason!=Other")
            .unwrap()
            .matches(&object));
        assert!(!FieldSelector::parse("reason=Other")
            .unwrap()
            .matches(&object));
        assert!(FieldSelector::parse("nonsense").is_err());
    }
}
