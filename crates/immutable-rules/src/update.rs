//! A view of one update: the old object, the object sent, and lookups of what a field ends up as.

use serde_json::Value;

use crate::compare::{self, Slot, Walker};
use crate::context::Mode;

/// A field as it appears in the sent object.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Sent<'a> {
    /// The field (or one of its parents) is not in the sent object.
    Absent,
    /// The field (or one of its parents) is an explicit `null`: deleted.
    Null,
    /// The field has this value (in `Apply` mode possibly a partial map merged onto the live one).
    Value(&'a Value),
}

/// The two sides of one update.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Update<'a> {
    pub(crate) old: &'a Value,
    pub(crate) new: &'a Value,
    pub(crate) mode: Mode,
}

fn walk<'a>(mut value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    for key in path {
        value = value.get(*key)?;
    }
    Some(value).filter(|v| !v.is_null())
}

impl<'a> Update<'a> {
    /// The old value at `path` (`null` counts as absent).
    pub(crate) fn old_at(&self, path: &[&str]) -> Option<&'a Value> {
        walk(self.old, path)
    }

    /// The field at `path` as sent.
    pub(crate) fn sent(&self, path: &[&str]) -> Sent<'a> {
        let mut value = self.new;
        for key in path {
            match value {
                Value::Object(map) => match map.get(*key) {
                    Some(v) => value = v,
                    None => return Sent::Absent,
                },
                // `null` (or a scalar where a map is expected): the whole parent is replaced.
                _ => return Sent::Null,
            }
        }
        if value.is_null() {
            Sent::Null
        } else {
            Sent::Value(value)
        }
    }

    /// The value at `path` after the update, for scalars (for maps in `Apply` mode this is the
    /// sent part only; compare subtrees with [`Update::difference`]).
    pub(crate) fn new_at(&self, path: &[&str]) -> Option<&'a Value> {
        match (self.sent(path), self.mode) {
            (Sent::Value(v), _) => Some(v),
            (Sent::Absent, Mode::Apply) => self.old_at(path),
            _ => None,
        }
    }

    /// String at `path` before the update.
    pub(crate) fn old_str(&self, path: &[&str]) -> Option<&'a str> {
        self.old_at(path).and_then(Value::as_str)
    }

    /// String at `path` after the update.
    pub(crate) fn new_str(&self, path: &[&str]) -> Option<&'a str> {
        self.new_at(path).and_then(Value::as_str)
    }

    /// Whether the old object had the field at `path` set to `true`.
    pub(crate) fn old_true(&self, path: &[&str]) -> bool {
        self.old_at(path).and_then(Value::as_bool) == Some(true)
    }

    /// Where the update changes the subtree at `path`, ignoring `exclude` (relative paths,
    /// `[]` for every list entry); `None` when it does not.
    pub(crate) fn difference_except(&self, path: &[&str], exclude: &[&[&str]]) -> Option<String> {
        let old = self.old_at(path);
        let new = match (self.sent(path), self.mode) {
            (Sent::Absent, Mode::Apply) => return None,
            (Sent::Value(v), _) => Some(v),
            (Sent::Absent | Sent::Null, _) => Some(&Value::Null),
        };
        let slot = path.last().map_or(Slot::Field, |k| Slot::Field.child(k));
        Walker::new(self.mode, exclude).first_difference(old, new, slot, &path.join("."))
    }

    /// Where the update changes the subtree at `path`.
    pub(crate) fn difference(&self, path: &[&str]) -> Option<String> {
        self.difference_except(path, &[])
    }

    /// Whether the update changes the subtree at `path`.
    pub(crate) fn changed(&self, path: &[&str]) -> bool {
        self.difference(path).is_some()
    }

    /// The subtree at `path` after the update, materialized (for rendering).
    pub(crate) fn merged_at(&self, path: &[&str]) -> Option<Value> {
        let sent = match self.sent(path) {
            Sent::Absent => None,
            Sent::Null => Some(&Value::Null),
            Sent::Value(v) => Some(v),
        };
        compare::merged(self.old_at(path), sent, self.mode)
    }

    /// Keys of the map at `path` that the update may touch: the sent keys in `Apply` mode, the
    /// union of both sides in `Git` mode.
    pub(crate) fn keys(&self, path: &[&str]) -> Vec<&'a str> {
        let mut keys: Vec<&'a str> = Vec::new();
        if let Sent::Value(Value::Object(map)) = self.sent(path) {
            keys.extend(map.keys().map(String::as_str));
        }
        let old_matters = self.mode == Mode::Git || self.sent(path) == Sent::Null;
        if old_matters {
            if let Some(Value::Object(map)) = self.old_at(path) {
                for key in map.keys() {
                    if !keys.contains(&key.as_str()) {
                        keys.push(key);
                    }
                }
            }
        }
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn apply_falls_back_to_live_values() {
        let old = json!({"spec": {"a": 1, "b": 2}});
        let new = json!({"spec": {"b": null}});
        let u = Update {
            old: &old,
            new: &new,
            mode: Mode::Apply,
        };
        assert_eq!(u.new_at(&["spec", "a"]), Some(&json!(1)));
        assert_eq!(u.new_at(&["spec", "b"]), None);
        assert!(!u.changed(&["spec", "a"]));
        assert!(u.changed(&["spec", "b"]));
        assert_eq!(u.keys(&["spec"]), vec!["b"]);
        let g = Update {
            mode: Mode::Git,
            ..u
        };
        assert_eq!(g.new_at(&["spec", "a"]), None);
        assert!(g.changed(&["spec", "a"]));
        assert_eq!(g.keys(&["spec"]), vec!["b", "a"]);
    }
}
