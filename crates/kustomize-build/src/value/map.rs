//! [`Map`]: an insertion-ordered map shared until changed.
//!
//! Entries sit in one vector and are found by a linear search: the maps of Kubernetes objects
//! are small (a schema node has two or three keys), so a hash index would cost more memory
//! than its lookups save time.

use std::fmt;
use std::sync::Arc;

use super::{Key, Value};

type Entries = Vec<(Key, Value)>;

/// A map in insertion order whose entries are shared between clones until one of them
/// changes; the methods are those of `serde_json::Map` with `preserve_order`, except that keys
/// are [`Key`]s (read as `str`, short ones held inline) and lookups take a `&str`.
#[derive(Clone, Default)]
pub struct Map {
    entries: Arc<Entries>,
}

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
            entries: Arc::new(Vec::with_capacity(capacity)),
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

    /// Where the shared storage lives: equal for clones, unique among live maps.
    pub(super) fn storage_address(&self) -> usize {
        Arc::as_ptr(&self.entries).addr()
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

    fn position(&self, key: &str) -> Option<usize> {
        self.entries.iter().position(|(k, _)| k.as_str() == key)
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.get_key_value(key).map(|(_, value)| value)
    }

    /// The key as stored and the value of `key`.
    pub fn get_key_value(&self, key: &str) -> Option<(&Key, &Value)> {
        self.entries
            .iter()
            .find(|(k, _)| k.as_str() == key)
            .map(|(k, v)| (k, v))
    }

    /// Whether the map has `key`.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// The value of `key` to change. The map is copied first if a clone shares it, and
    /// only if it has `key`.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        let index = self.position(key)?;
        Some(&mut self.make_mut()[index].1)
    }

    /// Sets `key` to `value` (at the end if it is new, in place if not) and returns the
    /// value it replaced.
    pub fn insert(&mut self, key: impl Into<Key>, value: Value) -> Option<Value> {
        let key = key.into();
        if let Some(index) = self.position(key.as_str()) {
            return Some(std::mem::replace(&mut self.make_mut()[index].1, value));
        }
        self.make_mut().push((key, value));
        None
    }

    /// Inserts `key` at `index`, or moves it there and sets its value.
    ///
    /// # Panics
    ///
    /// When `index` is past the end (as `serde_json::Map::shift_insert` does).
    pub fn shift_insert(
        &mut self,
        index: usize,
        key: impl Into<Key>,
        value: Value,
    ) -> Option<Value> {
        let key = key.into();
        let previous = self.shift_remove(key.as_str());
        let entries = self.make_mut();
        assert!(index <= entries.len(), "index {index} out of bounds");
        entries.insert(index, (key, value));
        previous
    }

    /// Removes `key`, moving the last entry into its place (as `serde_json::Map::remove`
    /// does with `preserve_order`).
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.swap_remove(key)
    }

    /// Removes `key` and returns it with its value; see [`Map::remove`].
    pub fn remove_entry(&mut self, key: &str) -> Option<(Key, Value)> {
        let index = self.position(key)?;
        Some(self.make_mut().swap_remove(index))
    }

    /// Removes `key`, moving the last entry into its place.
    pub fn swap_remove(&mut self, key: &str) -> Option<Value> {
        self.remove_entry(key).map(|(_, value)| value)
    }

    /// Removes `key`, keeping the order of the other entries.
    pub fn shift_remove(&mut self, key: &str) -> Option<Value> {
        self.shift_remove_entry(key).map(|(_, value)| value)
    }

    /// Removes `key` and returns it with its value, keeping the order of the others.
    pub fn shift_remove_entry(&mut self, key: &str) -> Option<(Key, Value)> {
        let index = self.position(key)?;
        Some(self.make_mut().remove(index))
    }

    /// Moves every entry of `other` into this map.
    pub fn append(&mut self, other: &mut Map) {
        let moved = std::mem::take(other);
        self.extend(moved);
    }

    /// The place of `key`, to read, insert or change.
    pub fn entry<S: Into<Key>>(&mut self, key: S) -> Entry<'_> {
        let key = key.into();
        match self.position(key.as_str()) {
            Some(index) => Entry::Occupied(OccupiedEntry { map: self, index }),
            None => Entry::Vacant(VacantEntry { map: self, key }),
        }
    }

    /// Frees the room left for entries not added (after the map was built up entry by entry).
    pub(crate) fn shrink_to_fit(&mut self) {
        if self.entries.capacity() > self.entries.len() {
            self.make_mut().shrink_to_fit();
        }
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        if !self.entries.is_empty() {
            self.entries = Arc::default();
        }
    }

    /// The entries in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter(self.entries.iter())
    }

    /// The entries in order, values to change.
    pub fn iter_mut(&mut self) -> IterMut<'_> {
        IterMut(self.make_mut().iter_mut())
    }

    /// The keys in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &Key> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    /// The values in order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Value> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }

    /// The values in order, to change.
    pub fn values_mut(
        &mut self,
    ) -> impl DoubleEndedIterator<Item = &mut Value> + ExactSizeIterator {
        self.make_mut().iter_mut().map(|(_, v)| v)
    }

    /// The values in order, taken out of the map.
    pub fn into_values(self) -> impl DoubleEndedIterator<Item = Value> + ExactSizeIterator {
        self.into_entries().into_iter().map(|(_, v)| v)
    }

    /// Keeps the entries `keep` says yes to, in order.
    pub fn retain<F>(&mut self, mut keep: F)
    where
        F: FnMut(&Key, &mut Value) -> bool,
    {
        if self.entries.is_empty() {
            return;
        }
        self.make_mut().retain_mut(|(key, value)| keep(key, value));
    }

    /// Sorts the entries by key.
    pub fn sort_keys(&mut self) {
        if !self.entries.is_sorted_by(|a, b| a.0 <= b.0) {
            self.make_mut().sort_by(|a, b| a.0.cmp(&b.0));
        }
    }

    fn into_entries(self) -> Entries {
        Arc::unwrap_or_clone(self.entries)
    }
}

/// A place in a [`Map`], from [`Map::entry`].
pub enum Entry<'a> {
    /// The key is not in the map.
    Vacant(VacantEntry<'a>),
    /// The key is in the map.
    Occupied(OccupiedEntry<'a>),
}

/// A key not in its [`Map`] yet.
pub struct VacantEntry<'a> {
    map: &'a mut Map,
    key: Key,
}

/// A key in its [`Map`].
pub struct OccupiedEntry<'a> {
    map: &'a mut Map,
    index: usize,
}

impl<'a> Entry<'a> {
    /// The key.
    #[must_use]
    pub fn key(&self) -> &Key {
        match self {
            Entry::Vacant(entry) => entry.key(),
            Entry::Occupied(entry) => entry.key(),
        }
    }

    /// The value, inserted as `default` if the key is new.
    pub fn or_insert(self, default: Value) -> &'a mut Value {
        self.or_insert_with(|| default)
    }

    /// The value, inserted as `default()` makes it if the key is new.
    pub fn or_insert_with<F: FnOnce() -> Value>(self, default: F) -> &'a mut Value {
        match self {
            Entry::Vacant(entry) => entry.insert(default()),
            Entry::Occupied(entry) => entry.into_mut(),
        }
    }

    /// The value, inserted as `null` if the key is new.
    pub fn or_default(self) -> &'a mut Value {
        self.or_insert_with(Value::default)
    }
}

impl<'a> VacantEntry<'a> {
    /// The key.
    #[must_use]
    pub fn key(&self) -> &Key {
        &self.key
    }

    /// Inserts the key at the end with `value`.
    pub fn insert(self, value: Value) -> &'a mut Value {
        let entries = self.map.make_mut();
        entries.push((self.key, value));
        &mut entries.last_mut().expect("just pushed").1
    }
}

impl<'a> OccupiedEntry<'a> {
    /// The key.
    #[must_use]
    pub fn key(&self) -> &Key {
        &self.map.entries[self.index].0
    }

    /// The value.
    #[must_use]
    pub fn get(&self) -> &Value {
        &self.map.entries[self.index].1
    }

    /// The value to change.
    pub fn get_mut(&mut self) -> &mut Value {
        &mut self.map.make_mut()[self.index].1
    }

    /// The value to change, for as long as the map is borrowed.
    pub fn into_mut(self) -> &'a mut Value {
        &mut self.map.make_mut()[self.index].1
    }

    /// Replaces the value, returning the old one.
    pub fn insert(&mut self, value: Value) -> Value {
        std::mem::replace(self.get_mut(), value)
    }
}

/// The entries of a [`Map`] in order.
#[derive(Clone)]
pub struct Iter<'a>(std::slice::Iter<'a, (Key, Value)>);

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a Key, &'a Value);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k, v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (k, v))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// The entries of a [`Map`] in order, values to change.
pub struct IterMut<'a>(std::slice::IterMut<'a, (Key, Value)>);

impl<'a> Iterator for IterMut<'a> {
    type Item = (&'a Key, &'a mut Value);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (&*k, v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for IterMut<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (&*k, v))
    }
}

impl ExactSizeIterator for IterMut<'_> {}

/// Equal when both have the same keys with equal values, in any order (as `serde_json::Map`).
impl PartialEq for Map {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.entries, &other.entries)
            || (self.len() == other.len()
                && self
                    .iter()
                    .all(|(key, value)| other.get(key.as_str()) == Some(value)))
    }
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Into<Key>> FromIterator<(K, Value)> for Map {
    fn from_iter<T: IntoIterator<Item = (K, Value)>>(iter: T) -> Self {
        let mut map = Map::new();
        map.extend(iter);
        map
    }
}

impl<K: Into<Key>> Extend<(K, Value)> for Map {
    fn extend<T: IntoIterator<Item = (K, Value)>>(&mut self, iter: T) {
        for (key, value) in iter {
            self.insert(key, value);
        }
    }
}

impl IntoIterator for Map {
    type Item = (Key, Value);
    type IntoIter = std::vec::IntoIter<(Key, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.into_entries().into_iter()
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = (&'a Key, &'a Value);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a> IntoIterator for &'a mut Map {
    type Item = (&'a Key, &'a mut Value);
    type IntoIter = IterMut<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

impl<Q> std::ops::Index<&Q> for Map
where
    Q: ?Sized + AsRef<str>,
{
    type Output = Value;

    fn index(&self, key: &Q) -> &Value {
        self.get(key.as_ref()).expect("no entry found for key")
    }
}

impl<Q> std::ops::IndexMut<&Q> for Map
where
    Q: ?Sized + AsRef<str>,
{
    fn index_mut(&mut self, key: &Q) -> &mut Value {
        self.get_mut(key.as_ref()).expect("no entry found for key")
    }
}
