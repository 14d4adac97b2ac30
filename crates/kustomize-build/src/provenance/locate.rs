//! Finding the line of a field in YAML the user wrote: a resource file, a strategic-merge patch
//! or a JSON 6902 patch.

use crate::value::Value;

use super::field::Segment;
use super::marked::{Kind, Node};

/// List keys kustomize and Kubernetes merge list items by, most common first. An index in the
/// built object is matched to the item with the same key in the file, so a patch or base that
/// lists items in another order (or only some of them) is still read right.
const MERGE_KEYS: &[&str] = &[
    "name",
    "mountPath",
    "containerPort",
    "devicePath",
    "ip",
    "topologyKey",
    "key",
];

/// Where a walk ended: the line to report and the node found.
pub(crate) struct Found<'n> {
    pub(crate) line: usize,
    pub(crate) node: &'n Node,
}

/// Follow `segments` in `node`; `built` is the object the segments were resolved in (to match
/// list items by merge key). The line is the last key's, or the last item's.
pub(crate) fn walk<'n>(
    node: &'n Node,
    segments: &[Segment],
    built: Option<&Value>,
) -> Option<Found<'n>> {
    let mut here = node;
    let mut line = node.line;
    let mut built = built;
    for segment in segments {
        match segment {
            Segment::Key(key) => {
                let entry = here.get(key)?;
                line = entry.key_line;
                here = &entry.value;
                built = built.and_then(|b| b.get(key));
            }
            Segment::Index(index) => {
                let element = built.and_then(|b| b.get(*index));
                here = match_item(here, *index, element)?;
                line = here.line;
                built = element;
            }
        }
    }
    Some(Found { line, node: here })
}

/// The item of a sequence node that stands for `element` (at `index` in the built list).
fn match_item<'n>(seq: &'n Node, index: usize, element: Option<&Value>) -> Option<&'n Node> {
    let by_key = element.and_then(|element| {
        MERGE_KEYS.iter().find_map(|key| {
            let wanted = element
                .get(*key)
                .filter(|v| !v.is_object() && !v.is_array())?;
            Some(
                seq.items()
                    .iter()
                    .find(|item| item.get(key).and_then(|e| e.value.scalar()) == Some(wanted)),
            )
        })
    });
    match by_key {
        // The element has a merge key: the item with that key, or none.
        Some(found) => found,
        None => seq.item(index),
    }
}

/// Whether a located node says what the build says: a scalar must be the same value; a mapping
/// or sequence is where the value is written, whatever merged into it later.
pub(crate) fn agrees(node: &Node, built: Option<&Value>) -> bool {
    match (&node.kind, built) {
        (Kind::Scalar { value, .. }, Some(built)) => {
            value == built || scalar_text(value) == scalar_text(built)
        }
        (Kind::Map(_) | Kind::Seq(_), Some(_)) => true,
        _ => false,
    }
}

/// The text of a scalar, so that `"3"` written where an int is built (or the reverse, through
/// a replacement) still agrees.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Whether the documents of a patch are a JSON 6902 operation list.
pub(crate) fn is_json6902(documents: &[Node]) -> bool {
    documents.len() == 1
        && !documents[0].items().is_empty()
        && documents[0].items().iter().all(|op| op.get("op").is_some())
}

/// The line in a JSON 6902 operation list that writes `pointer` (the last operation that sets
/// it, a parent of it, or something inside it).
pub(crate) fn in_json6902(
    ops: &Node,
    segments: &[Segment],
    built: Option<&Value>,
) -> Option<usize> {
    let target = super::field::pointer(segments);
    for op in ops.items().iter().rev() {
        let Some(path) = op.get("path").and_then(|e| e.value.text()) else {
            continue;
        };
        let line = op.get("value").map_or(op.line, |v| v.key_line);
        if path == target {
            return Some(line);
        }
        if target
            .strip_prefix(path)
            .is_some_and(|r| r.starts_with('/'))
        {
            // The operation writes a subtree holding the field: point inside its value.
            let depth = path.split('/').count() - 1;
            let inner = op
                .get("value")
                .and_then(|v| walk(&v.value, &segments[depth..], nested(built, segments, depth)))
                .map(|found| found.line);
            return Some(inner.unwrap_or(line));
        }
        if path.starts_with(&target) && path[target.len()..].starts_with('/') {
            return Some(line);
        }
    }
    None
}

/// The built value at the first `depth` segments.
fn nested<'v>(built: Option<&'v Value>, segments: &[Segment], depth: usize) -> Option<&'v Value> {
    super::field::get(built?, &segments[..depth])
}

/// The line in strategic-merge patch documents that writes the field: the document naming the
/// object (`kind`, any of `names`) first, then any document holding the path.
pub(crate) fn in_strategic_merge(
    documents: &[Node],
    kind: &str,
    names: &[String],
    segments: &[Segment],
    built: Option<&Value>,
) -> Option<usize> {
    let names_object = |doc: &&Node| {
        doc.get("kind").and_then(|e| e.value.text()) == Some(kind)
            && doc
                .get("metadata")
                .and_then(|m| m.value.get("name"))
                .and_then(|n| n.value.text())
                .is_some_and(|n| names.iter().any(|name| name == n))
    };
    documents
        .iter()
        .filter(names_object)
        .chain(documents.iter().filter(|d| !names_object(d)))
        .find_map(|doc| walk(doc, segments, built).map(|found| found.line))
}

#[cfg(test)]
mod tests {
    use super::super::field::resolve;
    use super::super::marked::parse;
    use super::*;
    use crate::json;

    #[test]
    fn list_items_are_matched_by_name() {
        let docs = parse(
            "spec:\n  containers:\n    - name: sidecar\n      image: a\n    - name: web\n      image: b\n",
        )
        .unwrap();
        let built = json!({"spec": {"containers": [{"name": "web", "image": "b"}, {"name": "sidecar", "image": "a"}]}});
        let segments = resolve("spec.containers[0].image", &built).unwrap();
        let found = walk(&docs[0], &segments, Some(&built)).unwrap();
        assert_eq!(found.line, 6);
        assert!(agrees(
            found.node,
            super::super::field::get(&built, &segments)
        ));
    }

    #[test]
    fn json6902_operations_are_found_by_path() {
        let docs = parse(
            "- op: replace\n  path: /spec/replicas\n  value: 3\n- op: add\n  path: /spec/template\n  value:\n    metadata:\n      labels:\n        a: b\n",
        )
        .unwrap();
        assert!(is_json6902(&docs));
        let built =
            json!({"spec": {"replicas": 3, "template": {"metadata": {"labels": {"a": "b"}}}}});
        let replicas = resolve("spec.replicas", &built).unwrap();
        assert_eq!(in_json6902(&docs[0], &replicas, Some(&built)), Some(3));
        let label = resolve("spec.template.metadata.labels.a", &built).unwrap();
        assert_eq!(in_json6902(&docs[0], &label, Some(&built)), Some(9));
    }
}
