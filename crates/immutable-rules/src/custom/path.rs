//! Field paths of user rules: dotted keys with `[]` for every list entry (`spec.disks[].size`).

use std::fmt;
use std::fmt::Write as _;
use std::str::FromStr;

use serde_json::Value;

use crate::compare::{Slot, Walker};
use crate::context::Mode;

/// One step of a [`FieldPath`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// A map key.
    Key(String),
    /// Every entry of a list; entries pair by these keys when given (CRD `listType: map`),
    /// otherwise by position.
    Each(Vec<String>),
}

/// A path such as `spec.volumes[].name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath {
    pub(crate) segments: Vec<Segment>,
}

/// A field path that is not `key(.key|[])*`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid field path {path:?}: {problem}")]
pub struct FieldPathError {
    /// The path as written.
    pub path: String,
    /// What is wrong with it.
    pub problem: &'static str,
}

impl FromStr for FieldPath {
    type Err = FieldPathError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = |problem| FieldPathError {
            path: text.to_owned(),
            problem,
        };
        let text = text.trim();
        if text.is_empty() {
            return Err(error("the path is empty"));
        }
        let mut segments = Vec::new();
        for part in text.split('.') {
            let (key, mut rest) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            if key.is_empty() && (segments.is_empty() || rest.is_empty()) {
                return Err(error("a path segment is empty"));
            }
            if !key.is_empty() {
                if key.contains(']') {
                    return Err(error("unbalanced brackets"));
                }
                segments.push(Segment::Key(key.to_owned()));
            }
            while !rest.is_empty() {
                if let Some(after) = rest.strip_prefix("[]").or_else(|| rest.strip_prefix("[*]")) {
                    segments.push(Segment::Each(Vec::new()));
                    rest = after;
                } else {
                    return Err(error(
                        "only `[]` (every entry) may follow a key; indexes are not supported",
                    ));
                }
            }
        }
        Ok(Self { segments })
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Segment::Each(_) => f.write_str("[]")?,
            }
        }
        Ok(())
    }
}

/// One concrete field a path reaches: its rendered path and both sides.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reached<'a> {
    /// Old value, `None` when absent.
    pub(crate) old: Option<&'a Value>,
    /// The sent value: `None` when absent from the sent object (apply keeps the live value),
    /// `Some(Null)` when deleted.
    pub(crate) new: Option<&'a Value>,
}

impl Reached<'_> {
    /// Whether the update changes this field.
    pub(crate) fn changed(&self, mode: Mode) -> bool {
        Walker::new(mode, &[])
            .first_difference(self.old, self.new, Slot::Field, "")
            .is_some()
    }

    /// Whether the field is present after the update.
    pub(crate) fn new_present(&self, mode: Mode) -> bool {
        match self.new {
            None => mode == Mode::Apply && self.old.is_some(),
            Some(v) => !v.is_null(),
        }
    }
}

static NULL: Value = Value::Null;

impl FieldPath {
    /// Walk both objects along the path. `on_field` gets every concrete field reached;
    /// `on_list` gets list paths whose entries cannot be paired (length or keys differ).
    pub(crate) fn visit<'a>(
        &self,
        old: &'a Value,
        new: &'a Value,
        mode: Mode,
        on_field: &mut dyn FnMut(&str, Reached<'a>),
        on_list: &mut dyn FnMut(&str),
    ) {
        let mut path = String::new();
        self.walk(0, Some(old), Some(new), mode, &mut path, on_field, on_list);
    }

    #[allow(clippy::too_many_arguments)]
    fn walk<'a>(
        &self,
        i: usize,
        old: Option<&'a Value>,
        new: Option<&'a Value>,
        mode: Mode,
        path: &mut String,
        on_field: &mut dyn FnMut(&str, Reached<'a>),
        on_list: &mut dyn FnMut(&str),
    ) {
        let old = old.filter(|v| !v.is_null());
        let new = match (new, mode) {
            (None, Mode::Git) => Some(&NULL),
            (other, _) => other,
        };
        let Some(segment) = self.segments.get(i) else {
            on_field(path, Reached { old, new });
            return;
        };
        let base = path.len();
        match segment {
            Segment::Key(key) => {
                let new_child = match new {
                    None => None,
                    Some(Value::Object(map)) => map.get(key),
                    Some(_) => Some(&NULL),
                };
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                self.walk(
                    i + 1,
                    old.and_then(|o| o.get(key)),
                    new_child,
                    mode,
                    path,
                    on_field,
                    on_list,
                );
            }
            Segment::Each(keys) => {
                let old_items: &[Value] = old.and_then(Value::as_array).map_or(&[], Vec::as_slice);
                let new_items: &[Value] = match new {
                    None => {
                        // Kept as is: walk the live entries against "absent" (no change).
                        for (n, item) in old_items.iter().enumerate() {
                            let _ = write!(path, "[{n}]");
                            self.walk(i + 1, Some(item), None, mode, path, on_field, on_list);
                            path.truncate(base);
                        }
                        return;
                    }
                    Some(v) => v.as_array().map_or(&[], Vec::as_slice),
                };
                if keys.is_empty() {
                    if old_items.len() != new_items.len() {
                        on_list(path);
                        return;
                    }
                    for (n, (a, b)) in old_items.iter().zip(new_items).enumerate() {
                        let _ = write!(path, "[{n}]");
                        self.walk(i + 1, Some(a), Some(b), mode, path, on_field, on_list);
                        path.truncate(base);
                    }
                } else {
                    // Keyed entries: only entries present on both sides correlate.
                    for (n, b) in new_items.iter().enumerate() {
                        let matching = old_items
                            .iter()
                            .find(|a| keys.iter().all(|k| a.get(k) == b.get(k)));
                        if let Some(a) = matching {
                            let _ = write!(path, "[{n}]");
                            self.walk(i + 1, Some(a), Some(b), mode, path, on_field, on_list);
                            path.truncate(base);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_and_displays() {
        let p: FieldPath = "spec.disks[].size".parse().unwrap();
        assert_eq!(p.to_string(), "spec.disks[].size");
        assert_eq!(p.segments.len(), 4);
        for bad in ["", "spec..a", "spec.a[0]", "spec.a]", ".a"] {
            assert!(bad.parse::<FieldPath>().is_err(), "{bad}");
        }
    }

    #[test]
    fn visits_each_entry_by_position() {
        let p: FieldPath = "spec.disks[].size".parse().unwrap();
        let old = json!({"spec": {"disks": [{"size": 1}, {"size": 2}]}});
        let new = json!({"spec": {"disks": [{"size": 1}, {"size": 3}]}});
        let mut changed = Vec::new();
        p.visit(
            &old,
            &new,
            Mode::Apply,
            &mut |path, r| {
                if r.changed(Mode::Apply) {
                    changed.push(path.to_owned());
                }
            },
            &mut |_| {},
        );
        assert_eq!(changed, vec!["spec.disks[1].size"]);
    }
}
