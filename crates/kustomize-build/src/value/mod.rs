//! The builder's object model: a JSON value whose maps and lists share their contents.
//!
//! kustomize works on whole documents, but almost every transformer changes a few fields
//! of an object that later kustomizations reuse unchanged. [`Value`] has the shape and the
//! methods of `serde_json::Value` (with `preserve_order`), except that a [`Map`] or an
//! [`Array`] holds its contents behind a reference count: cloning a value is cheap at every
//! depth, and changing a field copies only the maps and lists on the path to it. Annotating
//! a `CustomResourceDefinition` that an overlay shares with its base therefore copies its
//! `metadata`, not its schema.
//!
//! Convert at the edges: `serde_json::Value::from(&value)` and `Value::from(json)`.
//!
//! ```
//! use kustomize_build::value::Value;
//!
//! let base = Value::from(kustomize_build::json!({
//!     "metadata": {"name": "widgets"},
//!     "spec": {"versions": [{"name": "v1"}]},
//! }));
//! let mut overlay = base.clone();
//! overlay["metadata"]["labels"] = Value::from(kustomize_build::json!({"team": "a"}));
//! assert!(base["metadata"].get("labels").is_none());
//! assert!(overlay["spec"].shares_contents_with(&base["spec"]));
//! ```

mod array;
mod convert;
mod index;
mod key;
mod map;
mod pointer;
mod serde_impl;
mod share;

use std::fmt;

pub use array::Array;
pub use index::ValueIndex;
pub use key::Key;
pub use map::{Entry, Iter, IterMut, Map, OccupiedEntry, VacantEntry};
pub(crate) use pointer::{escape_token, unescape_token};
pub use serde_impl::{from_value, to_value};
pub use serde_json::Number;
pub use share::share_equal_subtrees;
pub(crate) use share::SubtreeSharing;

/// A JSON value whose maps and lists are shared until changed; see the [module](self).
#[derive(Clone, PartialEq, Default)]
pub enum Value {
    /// `null`.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer or a float, as `serde_json` keeps it.
    Number(Number),
    /// A string.
    String(String),
    /// A list.
    Array(Array),
    /// A map in insertion order.
    Object(Map),
}

impl Value {
    /// The map, if this is one.
    #[must_use]
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Self::Object(map) => Some(map),
            _ => None,
        }
    }

    /// The map to change, if this is one.
    pub fn as_object_mut(&mut self) -> Option<&mut Map> {
        match self {
            Self::Object(map) => Some(map),
            _ => None,
        }
    }

    /// The list, if this is one.
    #[must_use]
    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Self::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The list to change, if this is one.
    pub fn as_array_mut(&mut self) -> Option<&mut Vec<Value>> {
        match self {
            Self::Array(items) => Some(items.make_mut()),
            _ => None,
        }
    }

    /// The string, if this is one.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(text) => Some(text),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    #[must_use]
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(flag) => Some(*flag),
            _ => None,
        }
    }

    /// The number as an `i64`, if it is one that fits.
    #[must_use]
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Number(number) => number.as_i64(),
            _ => None,
        }
    }

    /// The number as a `u64`, if it is one that fits.
    #[must_use]
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Self::Number(number) => number.as_u64(),
            _ => None,
        }
    }

    /// The number as an `f64`, if it is a number.
    #[must_use]
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Number(number) => number.as_f64(),
            _ => None,
        }
    }

    /// The number, if this is one.
    #[must_use]
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Self::Number(number) => Some(number),
            _ => None,
        }
    }

    /// Whether this is `null`.
    #[must_use]
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// Whether this is a map.
    #[must_use]
    pub fn is_object(&self) -> bool {
        matches!(self, Self::Object(_))
    }

    /// Whether this is a list.
    #[must_use]
    pub fn is_array(&self) -> bool {
        matches!(self, Self::Array(_))
    }

    /// Whether this is a string.
    #[must_use]
    pub fn is_string(&self) -> bool {
        matches!(self, Self::String(_))
    }

    /// Whether this is a number.
    #[must_use]
    pub fn is_number(&self) -> bool {
        matches!(self, Self::Number(_))
    }

    /// Whether this is a boolean.
    #[must_use]
    pub fn is_boolean(&self) -> bool {
        matches!(self, Self::Bool(_))
    }

    /// Whether this is an integer that fits an `i64`.
    #[must_use]
    pub fn is_i64(&self) -> bool {
        matches!(self, Self::Number(number) if number.is_i64())
    }

    /// Whether this is an integer that fits a `u64`.
    #[must_use]
    pub fn is_u64(&self) -> bool {
        matches!(self, Self::Number(number) if number.is_u64())
    }

    /// Whether this is a number held as a float.
    #[must_use]
    pub fn is_f64(&self) -> bool {
        matches!(self, Self::Number(number) if number.is_f64())
    }

    /// The field of a map or the item of a list; `None` when there is none.
    pub fn get<I: ValueIndex>(&self, index: I) -> Option<&Value> {
        index.index_into(self)
    }

    /// The field of a map or the item of a list to change; `None` when there is none.
    pub fn get_mut<I: ValueIndex>(&mut self, index: I) -> Option<&mut Value> {
        index.index_into_mut(self)
    }

    /// The value at a JSON pointer (RFC 6901), as `serde_json::Value::pointer` finds it.
    #[must_use]
    pub fn pointer(&self, pointer: &str) -> Option<&Value> {
        if pointer.is_empty() {
            return Some(self);
        }
        let rest = pointer.strip_prefix('/')?;
        rest.split('/')
            .map(unescape_token)
            .try_fold(self, |target, token| match target {
                Self::Object(map) => map.get(token.as_ref()),
                Self::Array(items) => parse_index(&token).and_then(|i| items.get(i)),
                _ => None,
            })
    }

    /// The value at a JSON pointer (RFC 6901) to change.
    pub fn pointer_mut(&mut self, pointer: &str) -> Option<&mut Value> {
        if pointer.is_empty() {
            return Some(self);
        }
        let rest = pointer.strip_prefix('/')?;
        rest.split('/')
            .map(unescape_token)
            .try_fold(self, |target, token| match target {
                Self::Object(map) => map.get_mut(token.as_ref()),
                Self::Array(items) => {
                    parse_index(&token).and_then(move |i| items.make_mut().get_mut(i))
                }
                _ => None,
            })
    }

    /// Takes the value out, leaving `null`.
    #[must_use = "the taken value is the point of calling take"]
    pub fn take(&mut self) -> Value {
        std::mem::take(self)
    }

    /// Whether `self` and `other` are maps or lists holding the very same contents (not
    /// merely equal ones): what a clone shares until either side changes.
    #[must_use]
    pub fn shares_contents_with(&self, other: &Value) -> bool {
        match (self, other) {
            (Self::Object(a), Self::Object(b)) => a.shares_contents_with(b),
            (Self::Array(a), Self::Array(b)) => a.shares_contents_with(b),
            _ => false,
        }
    }
}

// Same reading as serde_json: digits only, and no leading zero unless the index is 0.
fn parse_index(token: &str) -> Option<usize> {
    if token.starts_with('+') || (token.starts_with('0') && token.len() != 1) {
        return None;
    }
    token.parse().ok()
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => f.write_str("Null"),
            Self::Bool(flag) => write!(f, "Bool({flag})"),
            Self::Number(number) => write!(f, "Number({number})"),
            Self::String(text) => write!(f, "String({text:?})"),
            Self::Array(items) => {
                f.write_str("Array ")?;
                f.debug_list().entries(items.iter()).finish()
            }
            Self::Object(map) => {
                f.write_str("Object ")?;
                f.debug_map().entries(map.iter()).finish()
            }
        }
    }
}

/// Compact JSON, as `serde_json::Value`'s `Display` writes it (`{:#}` indents).
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = if f.alternate() {
            serde_json::to_string_pretty(self)
        } else {
            serde_json::to_string(self)
        }
        .map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

#[cfg(test)]
mod tests;

/// Builds a [`Value`](crate::value::Value) from JSON syntax, as `kustomize_build::json!` does.
///
/// ```
/// let object = kustomize_build::json!({"kind": "ConfigMap", "data": {"a": "1"}});
/// assert_eq!(object["data"]["a"], "1");
/// ```
#[macro_export]
macro_rules! json {
    ($($json:tt)+) => {
        $crate::value::Value::from(::serde_json::json!($($json)+))
    };
}
