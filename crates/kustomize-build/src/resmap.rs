//! The ordered list of objects a build carries from step to step.

use crate::resource::{ResId, Resource};

/// The objects of a build, in the order they were accumulated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResMap {
    resources: Vec<Resource>,
}

impl ResMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Append an object.
    pub fn push(&mut self, resource: Resource) {
        self.resources.push(resource);
    }

    /// The objects, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Resource> {
        self.resources.iter()
    }

    /// The objects, mutably, in order.
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, Resource> {
        self.resources.iter_mut()
    }

    /// How many objects there are.
    pub fn len(&self) -> usize {
        self.resources.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    /// The position of the object whose current identity is `id`.
    pub fn position(&self, id: &ResId) -> Option<usize> {
        self.resources.iter().position(|r| &r.id() == id)
    }

    /// The objects as a slice.
    pub fn as_slice(&self) -> &[Resource] {
        &self.resources
    }

    /// The objects as a mutable vector, for steps that insert, remove or reorder.
    pub fn as_mut_vec(&mut self) -> &mut Vec<Resource> {
        &mut self.resources
    }

    /// Unwrap into the objects.
    pub fn into_vec(self) -> Vec<Resource> {
        self.resources
    }
}

impl From<Vec<Resource>> for ResMap {
    fn from(resources: Vec<Resource>) -> Self {
        Self { resources }
    }
}

impl IntoIterator for ResMap {
    type Item = Resource;
    type IntoIter = std::vec::IntoIter<Resource>;
    fn into_iter(self) -> Self::IntoIter {
        self.resources.into_iter()
    }
}

impl<'a> IntoIterator for &'a ResMap {
    type Item = &'a Resource;
    type IntoIter = std::slice::Iter<'a, Resource>;
    fn into_iter(self) -> Self::IntoIter {
        self.resources.iter()
    }
}

impl Extend<Resource> for ResMap {
    fn extend<T: IntoIterator<Item = Resource>>(&mut self, iter: T) {
        self.resources.extend(iter);
    }
}

impl<'a> IntoIterator for &'a mut ResMap {
    type Item = &'a mut Resource;
    type IntoIter = std::slice::IterMut<'a, Resource>;
    fn into_iter(self) -> Self::IntoIter {
        self.resources.iter_mut()
    }
}
