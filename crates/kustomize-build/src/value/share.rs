//! Making equal subtrees of parsed documents share one copy.
//!
//! A `CustomResourceDefinition` serving several versions often repeats the same schema for
//! each, and the objects of one file repeat blocks (probes, security contexts, selectors). Once parsed, equal subtrees of a file can share their storage: [`Value`] copies a
//! shared map or list before changing it, so sharing is invisible to every reader and writer.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use super::{Map, Value};

/// Subtrees smaller than this many values are not worth a table entry.
const MIN_SHARED_NODES: usize = 16;

/// Makes every subtree of `documents` that equals an earlier one (same entries in the same
/// order, at least 16 values) share the earlier one's storage.
///
/// ```
/// use kustomize_build::json;
/// use kustomize_build::value::share_equal_subtrees;
///
/// let schema = json!({"type": "object", "properties": {
///     "a": {"type": "string"}, "b": {"type": "string"}, "c": {"type": "integer"},
///     "d": {"type": "boolean"}, "e": {"type": "string"}, "f": {"type": "string"},
///     "g": {"type": "number"}}});
/// let mut documents = vec![json!({"v1": schema.clone(), "v2": schema})];
/// share_equal_subtrees(&mut documents);
/// assert!(documents[0]["v1"].shares_contents_with(&documents[0]["v2"]));
/// ```
pub fn share_equal_subtrees(documents: &mut [Value]) {
    let mut sharing = SubtreeSharing::default();
    for document in documents {
        sharing.share_tree(document);
    }
}

/// Equal subtrees met so far, by hash, to share later ones with: [`share_equal_subtrees`]
/// walks whole trees; a parser hands over each collection as it finishes it, so that a
/// document is never held unshared whole.
#[derive(Default)]
pub(crate) struct SubtreeSharing {
    by_hash: HashMap<u64, Vec<Value>>,
    /// The summary of each collection held in `by_hash`, by the address of its storage (kept
    /// alive, so not reused, by the table's own clone).
    known: HashMap<usize, Summary>,
}

/// A subtree's order-sensitive hash and its number of values.
#[derive(Clone, Copy)]
struct Summary {
    hash: u64,
    nodes: usize,
}

impl SubtreeSharing {
    /// Shares `value`, a collection whose own collections were all passed here as they were
    /// finished: replaced by an earlier equal subtree, or kept to share with later ones.
    /// Each value is hashed once however deep it sits, as its finished children are looked up
    /// by their storage instead of hashed again.
    pub(crate) fn share_finished(&mut self, value: &mut Value) {
        let summary = self.summarize(value);
        self.offer(value, summary);
    }

    /// Shares every subtree of `value`, children before their parent. What another value
    /// already shares (a YAML alias) is offered whole, its insides left as they are.
    fn share_tree(&mut self, value: &mut Value) {
        match value {
            Value::Array(items) => {
                if let Some(items) = Arc::get_mut(items.storage()) {
                    for item in items {
                        self.share_tree(item);
                    }
                }
            }
            Value::Object(map) => {
                if let Some(entries) = Arc::get_mut(map.storage()) {
                    for (_, item) in entries.iter_mut() {
                        self.share_tree(item);
                    }
                }
            }
            // Smaller than any subtree worth sharing.
            _ => return,
        }
        self.share_finished(value);
    }

    /// Replaces `value` by an earlier equal subtree, or keeps it for later ones; small subtrees
    /// are left alone.
    fn offer(&mut self, value: &mut Value, summary: Summary) {
        if summary.nodes < MIN_SHARED_NODES {
            return;
        }
        let candidates = self.by_hash.entry(summary.hash).or_default();
        if let Some(earlier) = candidates.iter().find(|earlier| same_tree(earlier, value)) {
            *value = earlier.clone();
        } else {
            if let Some(address) = storage_address(value) {
                self.known.insert(address, summary);
            }
            candidates.push(value.clone());
        }
    }

    fn summarize(&self, value: &Value) -> Summary {
        if let Some(known) = storage_address(value).and_then(|a| self.known.get(&a)) {
            return *known;
        }
        match value {
            Value::Null => Summary {
                hash: hash_of(&0_u8),
                nodes: 1,
            },
            Value::Bool(flag) => Summary {
                hash: hash_of(&(1_u8, flag)),
                nodes: 1,
            },
            Value::Number(number) => Summary {
                hash: hash_of(&(2_u8, number)),
                nodes: 1,
            },
            Value::String(text) => Summary {
                hash: hash_of(&(3_u8, text)),
                nodes: 1,
            },
            Value::Array(items) => combine(1, items.iter().map(|item| self.summarize(item))),
            Value::Object(map) => combine(
                2,
                map.iter()
                    .flat_map(|(key, item)| [key_summary(key), self.summarize(item)]),
            ),
        }
    }
}

fn storage_address(value: &Value) -> Option<usize> {
    match value {
        Value::Array(items) => Some(items.storage_address()),
        Value::Object(map) => Some(map.storage_address()),
        _ => None,
    }
}

fn key_summary(key: &str) -> Summary {
    Summary {
        hash: hash_of(&key),
        nodes: 0,
    }
}

fn combine(tag: u8, parts: impl Iterator<Item = Summary>) -> Summary {
    let mut combined = Combiner::new(tag);
    for part in parts {
        combined.add(part);
    }
    combined.finish()
}

/// The summary of a list or map, built part by part: its tag, then each part's hash in order.
struct Combiner {
    hasher: DefaultHasher,
    nodes: usize,
}

impl Combiner {
    fn new(tag: u8) -> Self {
        let mut hasher = DefaultHasher::new();
        tag.hash(&mut hasher);
        Self { hasher, nodes: 1 }
    }

    fn add(&mut self, part: Summary) {
        part.hash.hash(&mut self.hasher);
        self.nodes += part.nodes;
    }

    fn finish(&self) -> Summary {
        Summary {
            hash: self.hasher.finish(),
            nodes: self.nodes,
        }
    }
}

fn hash_of(value: &impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// Equal with entries in the same order (`==` on maps ignores order, which printing does not).
fn same_tree(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            x.shares_contents_with(y)
                || (x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| same_tree(p, q)))
        }
        (Value::Object(x), Value::Object(y)) => x.shares_contents_with(y) || same_entries(x, y),
        (Value::Number(x), Value::Number(y)) => x == y,
        _ => a == b,
    }
}

fn same_entries(x: &Map, y: &Map) -> bool {
    x.len() == y.len()
        && x.iter()
            .zip(y.iter())
            .all(|((k1, v1), (k2, v2))| k1 == k2 && same_tree(v1, v2))
}
