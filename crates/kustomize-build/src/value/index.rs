//! Indexing a [`Value`] by key or position, as `serde_json::Value` does.

use super::{Map, Value};

/// What a [`Value`] can be indexed by: a key (`&str`, `String`) for maps, a position
/// (`usize`) for lists.
pub trait ValueIndex: private::Sealed {
    /// The value at this index, if there is one.
    fn index_into<'v>(&self, value: &'v Value) -> Option<&'v Value>;
    /// The value at this index to change, if there is one.
    fn index_into_mut<'v>(&self, value: &'v mut Value) -> Option<&'v mut Value>;
    /// The value at this index to change, made if a map lacks it (`value[key] = …`).
    ///
    /// # Panics
    ///
    /// As `serde_json` does: when a key indexes something other than a map or `null`, or a
    /// position is out of range or indexes something other than a list.
    fn index_or_insert<'v>(&self, value: &'v mut Value) -> &'v mut Value;
}

impl ValueIndex for usize {
    fn index_into<'v>(&self, value: &'v Value) -> Option<&'v Value> {
        match value {
            Value::Array(items) => items.get(*self),
            _ => None,
        }
    }

    fn index_into_mut<'v>(&self, value: &'v mut Value) -> Option<&'v mut Value> {
        match value {
            Value::Array(items) if *self < items.len() => items.make_mut().get_mut(*self),
            _ => None,
        }
    }

    fn index_or_insert<'v>(&self, value: &'v mut Value) -> &'v mut Value {
        match value {
            Value::Array(items) => {
                let len = items.len();
                items
                    .make_mut()
                    .get_mut(*self)
                    .unwrap_or_else(|| panic!("index {self} out of range for a list of {len}"))
            }
            other => panic!("cannot index {} with a position", kind_name(other)),
        }
    }
}

impl ValueIndex for str {
    fn index_into<'v>(&self, value: &'v Value) -> Option<&'v Value> {
        match value {
            Value::Object(map) => map.get(self),
            _ => None,
        }
    }

    fn index_into_mut<'v>(&self, value: &'v mut Value) -> Option<&'v mut Value> {
        match value {
            Value::Object(map) => map.get_mut(self),
            _ => None,
        }
    }

    fn index_or_insert<'v>(&self, value: &'v mut Value) -> &'v mut Value {
        if value.is_null() {
            *value = Value::Object(Map::new());
        }
        match value {
            Value::Object(map) => map.entry(self).or_insert(Value::Null),
            other => panic!("cannot index {} with a key", kind_name(other)),
        }
    }
}

/// Owned texts index as the `str` they hold.
macro_rules! index_as_str {
    ($($text:ty),*) => {$(
        impl ValueIndex for $text {
            fn index_into<'v>(&self, value: &'v Value) -> Option<&'v Value> {
                self.as_str().index_into(value)
            }

            fn index_into_mut<'v>(&self, value: &'v mut Value) -> Option<&'v mut Value> {
                self.as_str().index_into_mut(value)
            }

            fn index_or_insert<'v>(&self, value: &'v mut Value) -> &'v mut Value {
                self.as_str().index_or_insert(value)
            }
        }
    )*};
}

index_as_str!(String, super::Key);

impl<T: ValueIndex + ?Sized> ValueIndex for &T {
    fn index_into<'v>(&self, value: &'v Value) -> Option<&'v Value> {
        (**self).index_into(value)
    }

    fn index_into_mut<'v>(&self, value: &'v mut Value) -> Option<&'v mut Value> {
        (**self).index_into_mut(value)
    }

    fn index_or_insert<'v>(&self, value: &'v mut Value) -> &'v mut Value {
        (**self).index_or_insert(value)
    }
}

mod private {
    pub trait Sealed {}
    impl Sealed for usize {}
    impl Sealed for str {}
    impl Sealed for String {}
    impl Sealed for super::super::Key {}
    impl<T: Sealed + ?Sized> Sealed for &T {}
}

fn kind_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

static NULL: Value = Value::Null;

/// `value[key]`: the field, or `null` when there is none (never panics).
impl<I: ValueIndex> std::ops::Index<I> for Value {
    type Output = Value;

    fn index(&self, index: I) -> &Value {
        index.index_into(self).unwrap_or(&NULL)
    }
}

/// `value[key] = …`: makes the field (and a map in place of `null`) when missing.
impl<I: ValueIndex> std::ops::IndexMut<I> for Value {
    fn index_mut(&mut self, index: I) -> &mut Value {
        index.index_or_insert(self)
    }
}
