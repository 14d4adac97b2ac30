//! Label and annotation values kustomize shares between several fields of one object.
//!
//! kustomize's label and annotation transformers (`api/filters/labels`, `api/filters/annotations`)
//! build one YAML node per key for each object (`fsslice.SetEntry`) and hand it to every field
//! spec. kyaml's `FieldSetter` copies that node into a field that already holds the key, but
//! appends the node itself where it creates the key: the created fields (`metadata.labels`,
//! `spec.selector.matchLabels`, `spec.template.metadata.labels`, ...) then share one node. Any
//! later in-place write to one of them (another label transformer setting the same key, even on
//! `metadata.labels` only, or a strategic-merge patch of one field) writes them all, so an
//! overlay's `labels` without `includeSelectors` still changes a selector its base labelled. A JSON
//! 6902 patch goes through JSON and ends the sharing.
//!
//! The builder holds JSON, so it records each group of fields that share a node as JSON pointers
//! in the internal annotation [`SHARED_VALUES_ANNOTATION`] and writes the whole group where
//! kustomize writes one of them.

use std::cmp::Ordering;

use crate::value::{escape_token, unescape_token, Value};

use crate::resource::Resource;

/// The annotation holding the groups of fields that share one node, as a JSON array of arrays
/// of JSON pointers.
pub(crate) const SHARED_VALUES_ANNOTATION: &str =
    "internal.config.kubernetes.io/unstuck-shared-values";

/// The groups recorded on `resource`.
pub(crate) fn groups(resource: &Resource) -> Vec<Vec<String>> {
    resource
        .annotation(SHARED_VALUES_ANNOTATION)
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default()
}

/// Record `groups` on `resource` (groups of fewer than two fields share nothing and are dropped).
pub(crate) fn set_groups(resource: &mut Resource, mut groups: Vec<Vec<String>>) {
    groups.retain(|group| group.len() > 1);
    if groups.is_empty() {
        resource.remove_annotation(SHARED_VALUES_ANNOTATION);
    } else {
        let text = serde_json::to_string(&groups).unwrap_or_default();
        resource.set_annotation(SHARED_VALUES_ANNOTATION, &text);
    }
}

/// Write `value` to every other field of the groups `pointer` belongs to.
pub(crate) fn write_through(
    object: &mut Value,
    groups: &[Vec<String>],
    pointer: &str,
    value: &Value,
) {
    for group in groups.iter().filter(|g| g.iter().any(|p| p == pointer)) {
        for other in group.iter().filter(|p| *p != pointer) {
            if let Some(slot) = object.pointer_mut(other) {
                slot.clone_from(value);
            }
        }
    }
}

/// The values of every field of `groups` in `object`, to compare after a strategic merge.
pub(crate) fn snapshot(object: &Value, groups: &[Vec<String>]) -> Vec<Vec<Option<Value>>> {
    groups
        .iter()
        .map(|group| group.iter().map(|p| object.pointer(p).cloned()).collect())
        .collect()
}

/// After a strategic merge: fields the merge removed leave their group, and when the patch wrote
/// some fields of a group, the value kyaml's walk wrote last (fields in sorted order, list
/// elements in order) is the value of every field of the group.
pub(crate) fn after_merge(
    object: &mut Value,
    mut groups: Vec<Vec<String>>,
    before: &[Vec<Option<Value>>],
) -> Vec<Vec<String>> {
    for (group, before) in groups.iter_mut().zip(before) {
        let mut written: Option<(&String, Value)> = None;
        for (pointer, old) in group.iter().zip(before) {
            let Some(now) = object.pointer(pointer) else {
                continue;
            };
            if Some(now) != old.as_ref()
                && written
                    .as_ref()
                    .is_none_or(|(last, _)| walk_order(pointer, last) == Ordering::Greater)
            {
                written = Some((pointer, now.clone()));
            }
        }
        if let Some((_, value)) = written {
            for pointer in group.iter() {
                if let Some(slot) = object.pointer_mut(pointer) {
                    slot.clone_from(&value);
                }
            }
        }
        group.retain(|pointer| object.pointer(pointer).is_some());
    }
    groups
}

/// The order kyaml's merge walk visits two fields in: mapping keys sorted, list elements by
/// index.
fn walk_order(first: &str, second: &str) -> Ordering {
    let mut left = first.split('/');
    let mut right = second.split('/');
    loop {
        match (left.next(), right.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(mine), Some(theirs)) => {
                let order = match (mine.parse::<usize>(), theirs.parse::<usize>()) {
                    (Ok(index), Ok(other)) => index.cmp(&other),
                    _ => unescape_token(mine).cmp(&unescape_token(theirs)),
                };
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}

/// The JSON pointer of `key` in the mapping at `parent`.
pub(crate) fn child_pointer(parent: &str, key: &str) -> String {
    format!("{parent}/{}", escape_token(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn the_field_walked_last_wins_and_removed_fields_leave() {
        let mut object = json!({
            "metadata": {"labels": {"tier": "a"}},
            "spec": {"selector": {"matchLabels": {"tier": "z"}}, "template": {"metadata": {"labels": {"tier": "w"}}}}
        });
        let groups = vec![vec![
            "/metadata/labels/tier".to_owned(),
            "/spec/selector/matchLabels/tier".to_owned(),
            "/spec/template/metadata/labels/tier".to_owned(),
            "/spec/gone/tier".to_owned(),
        ]];
        let before = vec![vec![
            Some(json!("a")),
            Some(json!("a")),
            Some(json!("a")),
            Some(json!("a")),
        ]];
        let groups = after_merge(&mut object, groups, &before);
        assert_eq!(object["metadata"]["labels"]["tier"], "w");
        assert_eq!(object["spec"]["selector"]["matchLabels"]["tier"], "w");
        assert_eq!(groups[0].len(), 3);
    }

    #[test]
    fn list_indices_compare_as_numbers() {
        assert_eq!(walk_order("/a/10/b", "/a/9/b"), Ordering::Greater);
        assert_eq!(walk_order("/metadata/x", "/spec/x"), Ordering::Less);
    }
}
