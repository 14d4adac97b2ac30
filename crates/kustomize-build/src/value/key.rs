//! [`Key`]: the key of a [`Map`](super::Map) entry.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use compact_str::CompactString;

/// The key of a [`Map`](super::Map) entry: text that reads as a `str`.
///
/// Keys of 24 bytes or fewer — nearly every Kubernetes field name, label and annotation key —
/// are held inside the entry rather than in a heap block of their own: a parsed CRD has tens
/// of thousands of keys, and each block cost memory and an allocation when a map was copied.
///
/// ```
/// use kustomize_build::value::{Key, Map, Value};
///
/// let mut map = Map::new();
/// map.insert("replicas", Value::from(3));
/// let (key, _) = map.iter().next().unwrap();
/// assert_eq!(key, "replicas");
/// assert_eq!(key.len(), 8);
/// assert_eq!(String::from(key.clone()), "replicas");
/// ```
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key(CompactString);

impl Key {
    /// The key as a `str`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl Deref for Key {
    type Target = str;

    fn deref(&self) -> &str {
        self.0.as_str()
    }
}

impl Borrow<str> for Key {
    fn borrow(&self) -> &str {
        self.0.as_str()
    }
}

impl AsRef<str> for Key {
    fn as_ref(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<String> for Key {
    fn from(text: String) -> Self {
        Self(CompactString::from(text))
    }
}

impl From<&String> for Key {
    fn from(text: &String) -> Self {
        Self(CompactString::from(text.as_str()))
    }
}

impl From<&str> for Key {
    fn from(text: &str) -> Self {
        Self(CompactString::from(text))
    }
}

impl From<&Key> for Key {
    fn from(key: &Key) -> Self {
        key.clone()
    }
}

impl From<Key> for String {
    fn from(key: Key) -> Self {
        key.0.into_string()
    }
}

impl PartialEq<str> for Key {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Key {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Key {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<Key> for str {
    fn eq(&self, other: &Key) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Key> for &str {
    fn eq(&self, other: &Key) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Key> for String {
    fn eq(&self, other: &Key) -> bool {
        self.as_str() == other.as_str()
    }
}
