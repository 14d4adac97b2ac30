//! Field paths as the immutable-field rules write them (`spec.volumeClaimTemplates[0].spec`),
//! resolved against an object into unambiguous segments.
//!
//! The written form joins keys with dots, yet label keys (`app.kubernetes.io/name`) contain
//! dots themselves, so the split is decided by the object: at each mapping the longest run of
//! parts that is a key there wins.

use std::fmt::Write as _;

use crate::value::{escape_token, Value};

/// One step into an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// A mapping key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// A written part: a key (possibly empty, for `[0]` at the start) and the indexes after it.
struct Part<'a> {
    key: &'a str,
    indexes: Vec<usize>,
}

fn parts(field: &str) -> Option<Vec<Part<'_>>> {
    field
        .split('.')
        .map(|part| {
            let (key, rest) = part.find('[').map_or((part, ""), |i| part.split_at(i));
            let indexes = rest
                .split('[')
                .filter(|s| !s.is_empty())
                .map(|s| s.strip_suffix(']')?.parse().ok())
                .collect::<Option<Vec<usize>>>()?;
            Some(Part { key, indexes })
        })
        .collect()
}

/// The segments of `field` in `object`. Keys that are absent are split at every dot.
pub(crate) fn resolve(field: &str, object: &Value) -> Option<Vec<Segment>> {
    let parts = parts(field)?;
    let mut segments = Vec::new();
    let mut here = Some(object);
    let mut i = 0;
    while i < parts.len() {
        // The longest run parts[i..=j] whose inner parts carry no index and that is a key here.
        let mut taken = i;
        if let Some(Value::Object(map)) = here {
            let mut key = String::new();
            for (j, part) in parts.iter().enumerate().skip(i) {
                if j > i {
                    key.push('.');
                }
                key.push_str(part.key);
                if map.contains_key(&key) {
                    taken = j;
                }
                if !part.indexes.is_empty() {
                    break;
                }
            }
        }
        let key = parts[i..=taken]
            .iter()
            .map(|p| p.key)
            .collect::<Vec<_>>()
            .join(".");
        if !key.is_empty() {
            here = here.and_then(|v| v.get(&key));
            segments.push(Segment::Key(key));
        }
        for &index in &parts[taken].indexes {
            here = here.and_then(|v| v.get(index));
            segments.push(Segment::Index(index));
        }
        i = taken + 1;
    }
    Some(segments)
}

/// The value at `segments`.
pub(crate) fn get<'v>(value: &'v Value, segments: &[Segment]) -> Option<&'v Value> {
    segments.iter().try_fold(value, |v, s| match s {
        Segment::Key(k) => v.get(k),
        Segment::Index(i) => v.get(*i),
    })
}

/// Descend from `segments` to the first place where `new` and `old` differ, so a change to a
/// mapping (`spec.selector`) is traced to the entry that changed (`…matchLabels.app`).
/// Values present in `new` are preferred: an added or changed entry has a writer to find.
pub(crate) fn narrow(mut segments: Vec<Segment>, new: &Value, old: &Value) -> Vec<Segment> {
    loop {
        let (Some(n), o) = (get(new, &segments), get(old, &segments)) else {
            return segments;
        };
        let next = match (n, o) {
            (Value::Object(n), Some(Value::Object(o))) => n
                .iter()
                .find(|(k, v)| o.get(k) != Some(*v))
                .map(|(k, _)| Segment::Key(k.to_string())),
            (Value::Object(n), None) if n.len() == 1 => {
                n.keys().next().map(|k| Segment::Key(k.to_string()))
            }
            (Value::Array(n), Some(Value::Array(o))) if n.len() == o.len() => n
                .iter()
                .zip(o)
                .position(|(a, b)| a != b)
                .map(Segment::Index),
            _ => None,
        };
        match next {
            Some(segment) => segments.push(segment),
            None => return segments,
        }
    }
}

/// The last key of the path (`app` for `…matchLabels.app`, `image` for `containers[0].image`).
pub(crate) fn last_key(segments: &[Segment]) -> Option<&str> {
    segments.iter().rev().find_map(|s| match s {
        Segment::Key(k) => Some(k.as_str()),
        Segment::Index(_) => None,
    })
}

/// The path as a JSON pointer (`/spec/template/…`), as JSON 6902 patches write it.
pub(crate) fn pointer(segments: &[Segment]) -> String {
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Key(k) => {
                let _ = write!(out, "/{}", escape_token(k));
            }
            Segment::Index(i) => {
                let _ = write!(out, "/{i}");
            }
        }
    }
    out
}

/// The path as written (`a.b[0].c`).
pub(crate) fn render(segments: &[Segment]) -> String {
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Segment::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn keys(segments: &[Segment]) -> String {
        render(segments)
    }

    #[test]
    fn dotted_label_keys_are_one_segment() {
        let object =
            json!({"spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": "web"}}}});
        let segments =
            resolve("spec.selector.matchLabels.app.kubernetes.io/name", &object).unwrap();
        assert_eq!(segments.len(), 4);
        assert_eq!(
            segments[3],
            Segment::Key("app.kubernetes.io/name".to_owned())
        );
        assert_eq!(
            pointer(&segments),
            "/spec/selector/matchLabels/app.kubernetes.io~1name"
        );
    }

    #[test]
    fn indexes_follow_keys() {
        let object =
            json!({"spec": {"volumeClaimTemplates": [{"spec": {"storageClassName": "fast"}}]}});
        let segments = resolve(
            "spec.volumeClaimTemplates[0].spec.storageClassName",
            &object,
        )
        .unwrap();
        assert_eq!(get(&object, &segments), Some(&json!("fast")));
        assert_eq!(
            pointer(&segments),
            "/spec/volumeClaimTemplates/0/spec/storageClassName"
        );
        assert_eq!(last_key(&segments), Some("storageClassName"));
    }

    #[test]
    fn absent_keys_split_at_dots() {
        let segments = resolve("metadata.labels.a.b", &json!({})).unwrap();
        assert_eq!(segments.len(), 4);
    }

    #[test]
    fn narrowing_finds_the_changed_entry() {
        let new = json!({"spec": {"selector": {"matchLabels": {"app": "web", "team": "a"}}}});
        let old = json!({"spec": {"selector": {"matchLabels": {"app": "web"}}}});
        let segments = resolve("spec.selector", &new).unwrap();
        assert_eq!(
            keys(&narrow(segments, &new, &old)),
            "spec.selector.matchLabels.team"
        );
        let new = json!({"l": [{"a": 1}, {"a": 2}]});
        let old = json!({"l": [{"a": 1}, {"a": 3}]});
        assert_eq!(
            keys(&narrow(resolve("l", &new).unwrap(), &new, &old)),
            "l[1].a"
        );
    }
}
