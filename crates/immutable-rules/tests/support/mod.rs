//! What the scenario tests (`scenarios.rs`, `audit.rs`) share: completing a scenario's two
//! objects, picking out errors, and comparing field paths.

use immutable_rules::{Severity, Violation};
use serde_json::{json, Value};

/// Give both objects `api_version`/`kind` and one common name when they omit them: the name
/// either side states, else `example`.
pub(crate) fn complete(api_version: &str, kind: &str, old: &Value, new: &Value) -> (Value, Value) {
    let name = [old, new]
        .iter()
        .find_map(|o| o.pointer("/metadata/name").and_then(Value::as_str))
        .unwrap_or("example")
        .to_owned();
    let fill = |o: &Value| {
        let mut o = o.clone();
        let map = o.as_object_mut().expect("scenario objects are maps");
        map.entry("apiVersion")
            .or_insert_with(|| json!(api_version));
        map.entry("kind").or_insert_with(|| json!(kind));
        let meta = map.entry("metadata").or_insert_with(|| json!({}));
        meta.as_object_mut()
            .expect("metadata is a map")
            .entry("name")
            .or_insert_with(|| json!(name));
        o
    };
    (fill(old), fill(new))
}

/// The error-severity violations.
pub(crate) fn errors(violations: &[Violation]) -> Vec<&Violation> {
    violations
        .iter()
        .filter(|v| v.severity == Severity::Error)
        .collect()
}

/// Whether two dotted paths lie on one branch (one is a prefix of the other).
pub(crate) fn related(a: &str, b: &str) -> bool {
    let norm = |p: &str| p.replace('[', ".[");
    let (a, b) = (norm(a), norm(b));
    a == b || a.starts_with(&format!("{b}.")) || b.starts_with(&format!("{a}."))
}
