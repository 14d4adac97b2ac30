//! The public repositories recorded under `../shared/conformance/real` (beside the checkout),
//! read by the tests that hold the validator's parsers to every real CRD.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Every YAML document of the files under `subdir` of the corpus that `wanted` accepts, or
/// `None` (said on stderr) when the corpus is not beside the checkout.
pub(crate) fn documents(subdir: &str, wanted: impl Fn(&Path) -> bool) -> Option<Vec<Value>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/real")
        .join(subdir);
    if !root.is_dir() {
        eprintln!("skipped: {} is not there", root.display());
        return None;
    }
    let mut found = Vec::new();
    let mut pending: Vec<PathBuf> = vec![root];
    while let Some(dir) = pending.pop() {
        for path in std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()) {
            if path.is_dir() {
                pending.push(path);
            } else if wanted(&path) {
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                for document in serde_yaml_ng::Deserializer::from_str(&text) {
                    if let Ok(value) = <Value as serde::Deserialize>::deserialize(document) {
                        found.push(value);
                    }
                }
            }
        }
    }
    Some(found)
}

/// What `take` finds in every mapping of `value`, at any depth, sorted and each once.
pub(crate) fn strings_in(
    values: &[Value],
    take: impl Fn(&serde_json::Map<String, Value>) -> Vec<String>,
) -> Vec<String> {
    fn walk(
        value: &Value,
        take: &impl Fn(&serde_json::Map<String, Value>) -> Vec<String>,
        out: &mut Vec<String>,
    ) {
        match value {
            Value::Object(map) => {
                out.extend(take(map));
                map.values().for_each(|v| walk(v, take, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, take, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    for value in values {
        walk(value, &take, &mut found);
    }
    found.sort();
    found.dedup();
    found
}
