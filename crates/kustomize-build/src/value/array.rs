//! [`Array`]: a list shared until changed.

use std::ops::Deref;
use std::sync::Arc;

use super::Value;

/// A list whose items are shared between clones until one of them changes. It reads as a
/// `Vec<Value>` (through `Deref`); [`Array::make_mut`] (or `&mut` use through `DerefMut`)
/// copies the items of a shared list first, one level deep.
#[derive(Clone, Default, PartialEq)]
pub struct Array {
    items: Arc<Vec<Value>>,
}

impl Array {
    /// An empty list.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The items to change, copied first if a clone still shares them.
    pub fn make_mut(&mut self) -> &mut Vec<Value> {
        Arc::make_mut(&mut self.items)
    }

    /// The shared storage itself, for [`super::share`] to look into without copying.
    pub(super) fn storage(&mut self) -> &mut Arc<Vec<Value>> {
        &mut self.items
    }

    /// Where the shared storage lives: equal for clones, unique among live lists.
    pub(super) fn storage_address(&self) -> usize {
        Arc::as_ptr(&self.items).addr()
    }

    /// Whether both lists hold the very same items (a clone neither side has changed).
    #[must_use]
    pub fn shares_contents_with(&self, other: &Array) -> bool {
        Arc::ptr_eq(&self.items, &other.items)
    }

    /// The items, taken out of the list.
    #[must_use]
    pub fn into_vec(self) -> Vec<Value> {
        Arc::unwrap_or_clone(self.items)
    }
}

impl Deref for Array {
    type Target = Vec<Value>;

    fn deref(&self) -> &Vec<Value> {
        &self.items
    }
}

impl std::ops::DerefMut for Array {
    fn deref_mut(&mut self) -> &mut Vec<Value> {
        self.make_mut()
    }
}

impl std::fmt::Debug for Array {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl From<Vec<Value>> for Array {
    fn from(items: Vec<Value>) -> Self {
        Self {
            items: Arc::new(items),
        }
    }
}

impl FromIterator<Value> for Array {
    fn from_iter<T: IntoIterator<Item = Value>>(iter: T) -> Self {
        Self::from(iter.into_iter().collect::<Vec<_>>())
    }
}

impl IntoIterator for Array {
    type Item = Value;
    type IntoIter = std::vec::IntoIter<Value>;

    fn into_iter(self) -> Self::IntoIter {
        self.into_vec().into_iter()
    }
}

impl<'a> IntoIterator for &'a Array {
    type Item = &'a Value;
    type IntoIter = std::slice::Iter<'a, Value>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl<'a> IntoIterator for &'a mut Array {
    type Item = &'a mut Value;
    type IntoIter = std::slice::IterMut<'a, Value>;

    fn into_iter(self) -> Self::IntoIter {
        self.make_mut().iter_mut()
    }
}
