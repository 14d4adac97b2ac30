//! [`Map`]: an insertion-ordered map shared until changed.

use std::borrow::Borrow;
use std::fmt;
use std::hash::Hash;
use std::sync::Arc;

use indexmap::IndexMap;

use super::Value;

type Entries = IndexMap<String, Value>;

/// A map in insertion order whose entries are shared between clones until one of them
/// changes; the methods are those of `serde_json::Map` with `preserve_order`.
#[derive(Clone, Default)]
pub struct Map {
    entries: Arc<Entries>,
}

/// A place in a [`Map`], from [`Map::entry`].
pub type Entry<'a> = indexmap::map::Entry<'a, String, Value>;

impl Map {
    /// An empty map.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty map with room for `capacity` entries.
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            entries: Arc::new(IndexMap::with_capacity(capacity)),
        }
    }

    // Copies the entries (one level: values are shared) if another clone still holds them.
    fn make_mut(&mut self) -> &mut Entries {
        Arc::make_mut(&mut self.entries)
    }

    /// The shared storage itself, for [`super::share`] to look into without copying.
    pub(super) fn storage(&mut self) -> &mut Arc<Entries> {
        &mut self.entries
    }

    /// Whether both maps hold the very same entries (a clone neither side has changed).
    #[must_use]
    pub fn shares_contents_with(&self, other: &Map) -> bool {
        Arc::ptr_eq(&self.entries, &other.entries)
    }

    /// The number of entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map has no entries.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value of `key`.
    pub fn get<Q>(&self, key: &Q) -> Option<&Value>
    where
        String: Borrow<Q>,
        Q: ?Sized + Ord + Eq + Hash,
    {
        self.entries.get(key)
    }

    /// The key as stored and the value of `key`.
    pub fn get_key_value<Q>(&self, key: &Q) -> Option<(&String, &Value)>
    where
        String: Borrow<Q>,
        Q: ?Sized + Ord + Eq + Hash,
    {
        self.entries.get_key_value(key)
    }

    /// Whether the map has `key`.
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        String: Borrow<Q>,
        Q: ?Sized + Ord + Eq + Hash,
    {
        self.entries.contains_key(key)
    }

    /// The value of `key` to change. The map is copied first if a clone shares it, and
    /// only if it has `key`.
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut Value>
    where
        String: Borrow<Q>,
        Q: ?Sized + Ord + Eq + Hash,
    {
        if !self.entries.contains_key(key) {
            return None;
        }
        self.make_mut().get_mut(key)
    }

    /// Sets `key` to `value` (at the end if it is new, in place if not) and returns the
    /// value it replaced.
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        self.make_mut().insert(key, value)
    }

    /// Inserts `key` at `index`, or moves it there and sets its value.
    pub fn shift_insert(&mut self, index: usize, key: String, value: Value) -> Option<Value> {
        self.make_mut().shift_insert(index, key, value)
    }

    /// Removes `key`, moving the last entry into its place (as `serde_json::Map::remove`
    /// does with `preserve_order`).
    pub fn remove<Q>(&mut self, key: &Q) -> Option<Value>
    where
        String: Borrow<Q>,
        Q: ?Sized + Ord + Eq + Hash,
    {
        self.swap_remove(key)
    }

    /// Removes `key` and returns it with its value; see [`Map::remove`].
    pub fn remove_entry<Q>(&mut self, key: &Q) -> Option<(String, Value)>
    where
        String: Borrow<Q>,
        Q: ?Sized + Ord + Eq + Hash,
    {
        if !self.entries.contains_key(key) {
            return None;
        }
        self.make_mut().swap_remove_entry(key)
    }

    /// Removes `key`, moving the last entry into its place.
    pub fn swap_remove<Q>(&mut self, key: &Q) -> Option<Value>
    where
        String: Borrow<Q>,
        Q: ?Sized + Ord + Eq + Hash,
    {
        if !self.entries.contains_key(key) {
            return None;
        }
        self.make_mut().swap_remove(key)
    }

    /// Removes `key`, keeping the order of the other entries.
    pub fn shift_remove<Q>(&mut self, key: &Q) -> Option<Value>
    where
        String: Borrow<Q>,
        Q: ?Sized + Ord + Eq + Hash,
    {
        if !self.entries.contains_key(key) {
            return None;
        }
        self.make_mut().shift_remove(key)
    }

    /// Removes `key` and returns it with its value, keeping the order of the others.
    pub fn shift_remove_entry<Q>(&mut self, key: &Q) -> Option<(String, Value)>
    where
        String: Borrow<Q>,
        Q: ?Sized + Ord + Eq + Hash,
    {
        if !self.entries.contains_key(key) {
            return None;
        }
        self.make_mut().shift_remove_entry(key)
    }

    /// Moves every entry of `other` into this map.
    pub fn append(&mut self, other: &mut Map) {
        let moved = std::mem::take(other);
        self.extend(moved);
    }

    /// The place of `key`, to read, insert or change.
    pub fn entry<S: Into<String>>(&mut self, key: S) -> Entry<'_> {
        self.make_mut().entry(key.into())
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        if !self.entries.is_empty() {
            self.entries = Arc::default();
        }
    }

    /// The entries in order.
    pub fn iter(&self) -> indexmap::map::Iter<'_, String, Value> {
        self.entries.iter()
    }

    /// The entries in order, values to change.
    pub fn iter_mut(&mut self) -> indexmap::map::IterMut<'_, String, Value> {
        self.make_mut().iter_mut()
    }

    /// The keys in order.
    pub fn keys(&self) -> indexmap::map::Keys<'_, String, Value> {
        self.entries.keys()
    }

    /// The values in order.
    pub fn values(&self) -> indexmap::map::Values<'_, String, Value> {
        self.entries.values()
    }

    /// The values in order, to change.
    pub fn values_mut(&mut self) -> indexmap::map::ValuesMut<'_, String, Value> {
        self.make_mut().values_mut()
    }

    /// The values in order, taken out of the map.
    pub fn into_values(self) -> indexmap::map::IntoValues<String, Value> {
        self.into_entries().into_values()
    }

    /// Keeps the entries `keep` says yes to, in order.
    pub fn retain<F>(&mut self, mut keep: F)
    where
        F: FnMut(&String, &mut Value) -> bool,
    {
        if self.entries.is_empty() {
            return;
        }
        self.make_mut().retain(|key, value| keep(key, value));
    }

    /// Sorts the entries by key.
    pub fn sort_keys(&mut self) {
        if !self.entries.keys().is_sorted() {
            self.make_mut().sort_keys();
        }
    }

    fn into_entries(self) -> Entries {
        Arc::unwrap_or_clone(self.entries)
    }
}

impl PartialEq for Map {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.entries, &other.entries) || self.entries == other.entries
    }
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl FromIterator<(String, Value)> for Map {
    fn from_iter<T: IntoIterator<Item = (String, Value)>>(iter: T) -> Self {
        Self {
            entries: Arc::new(iter.into_iter().collect()),
        }
    }
}

impl Extend<(String, Value)> for Map {
    fn extend<T: IntoIterator<Item = (String, Value)>>(&mut self, iter: T) {
        let mut iter = iter.into_iter().peekable();
        if iter.peek().is_some() {
            self.make_mut().extend(iter);
        }
    }
}

impl IntoIterator for Map {
    type Item = (String, Value);
    type IntoIter = indexmap::map::IntoIter<String, Value>;

    fn into_iter(self) -> Self::IntoIter {
        self.into_entries().into_iter()
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = (&'a String, &'a Value);
    type IntoIter = indexmap::map::Iter<'a, String, Value>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a> IntoIterator for &'a mut Map {
    type Item = (&'a String, &'a mut Value);
    type IntoIter = indexmap::map::IterMut<'a, String, Value>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

impl<Q> std::ops::Index<&Q> for Map
where
    String: Borrow<Q>,
    Q: ?Sized + Ord + Eq + Hash,
{
    type Output = Value;

    fn index(&self, key: &Q) -> &Value {
        self.entries.get(key).expect("no entry found for key")
    }
}

impl<Q> std::ops::IndexMut<&Q> for Map
where
    String: Borrow<Q>,
    Q: ?Sized + Ord + Eq + Hash,
{
    fn index_mut(&mut self, key: &Q) -> &mut Value {
        self.get_mut(key).expect("no entry found for key")
    }
}
