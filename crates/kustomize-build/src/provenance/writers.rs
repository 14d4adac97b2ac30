//! The kustomization files an object passes through, and the entries in them that may write one
//! of its fields: each entry can be taken out (to see whether the field changes) and pointed at.

use std::path::{Path, PathBuf};

use crate::value::{Key, Map, Value};

use super::field::Segment;
use super::locate;
use super::marked::{self, Node};
use crate::fs::{clean_path, Filesystem};
use crate::kustomization::FILE_NAMES;

/// A kustomization file as provenance reads it: its JSON (to edit) and its marked tree (to
/// point into).
pub(crate) struct KFile {
    /// The file, absolute.
    pub(crate) path: PathBuf,
    /// Its directory.
    pub(crate) dir: PathBuf,
    json: Map,
    doc: Node,
}

impl KFile {
    fn load(fs: &dyn Filesystem, dir: &Path) -> Option<Self> {
        let path = FILE_NAMES
            .iter()
            .map(|name| dir.join(name))
            .find(|p| fs.exists(p) && !fs.is_dir(p))?;
        let text = String::from_utf8(fs.read(&path).ok()?).ok()?;
        let json = match crate::yaml::parse_documents(&text).ok()?.into_iter().next() {
            Some(Value::Object(map)) => map,
            None => Map::new(),
            Some(_) => return None,
        };
        let doc = marked::parse(&text)?.into_iter().next().unwrap_or(Node {
            line: 1,
            kind: marked::Kind::Map(Vec::new()),
        });
        Some(Self {
            path,
            dir: dir.to_path_buf(),
            json,
            doc,
        })
    }

    /// The key as written for a field (kustomize reads field names case-insensitively).
    fn key(&self, canonical: &str) -> Option<&str> {
        self.json
            .keys()
            .find(|k| k.eq_ignore_ascii_case(canonical))
            .map(Key::as_str)
    }

    fn value(&self, canonical: &str) -> Option<&Value> {
        self.json.get(self.key(canonical)?)
    }

    fn node(&self, canonical: &str) -> Option<&marked::Entry> {
        self.doc.get(self.key(canonical)?)
    }

    fn strings(&self, canonical: &str) -> Vec<String> {
        match self.value(canonical) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn len(&self, canonical: &str) -> usize {
        self.value(canonical)
            .and_then(Value::as_array)
            .map_or(0, Vec::len)
    }

    fn map_keys(&self, canonical: &str) -> Vec<String> {
        self.value(canonical)
            .and_then(Value::as_object)
            .map(|m| m.keys().map(ToString::to_string).collect())
            .unwrap_or_default()
    }
}

/// Where the object was read or made, from its origin annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Read from this resource file.
    File(PathBuf),
    /// Made by a generator configured in this kustomization file.
    Generated(PathBuf),
}

/// The kustomization files the object passes through, the outermost first; for each, its
/// components come right after it (they transform before it does).
pub(crate) fn route(fs: &dyn Filesystem, top: &Path, origin: &Origin) -> Vec<KFile> {
    let mut out = Vec::new();
    let mut visiting = Vec::new();
    visit(fs, top, origin, false, &mut visiting, &mut out);
    out
}

fn visit(
    fs: &dyn Filesystem,
    dir: &Path,
    origin: &Origin,
    is_component: bool,
    visiting: &mut Vec<PathBuf>,
    out: &mut Vec<KFile>,
) -> bool {
    if visiting.iter().any(|v| v == dir) || visiting.len() > 64 {
        return false;
    }
    let Some(k) = KFile::load(fs, dir) else {
        return false;
    };
    visiting.push(dir.to_path_buf());
    let mut on_route = *origin == Origin::Generated(k.path.clone());
    let mut inner = Vec::new();
    let entries = k.strings("resources").into_iter().chain(k.strings("bases"));
    for entry in entries {
        let path = clean_path(&dir.join(&entry));
        if fs.is_dir(&path) {
            let path = fs.canonicalize(&path).unwrap_or(path);
            let mut below = Vec::new();
            if visit(fs, &path, origin, false, visiting, &mut below) {
                on_route = true;
                inner.extend(below);
            }
        } else if *origin == Origin::File(path) {
            on_route = true;
        }
    }
    let mut components = Vec::new();
    for entry in k.strings("components").iter().rev() {
        let path = clean_path(&dir.join(entry));
        let path = fs.canonicalize(&path).unwrap_or(path);
        on_route |= visit(fs, &path, origin, true, visiting, &mut components);
    }
    visiting.pop();
    if on_route || is_component {
        out.push(k);
        out.extend(components);
        out.extend(inner);
    }
    on_route
}

/// How to take one entry out of a kustomization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Removal {
    /// A whole scalar field (`namespace`, `namePrefix`).
    Field,
    /// Item `n` of a list field (`patches`, `images`…).
    Item(usize),
    /// One key of a map field (`commonLabels`).
    Key(String),
    /// One pair of a `labels` entry.
    LabelPair(usize, String),
}

/// One entry of a kustomization that may write the field.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    /// Index of the kustomization in the route.
    pub(crate) file: usize,
    /// The kustomization field, canonical spelling.
    pub(crate) field: &'static str,
    pub(crate) removal: Removal,
}

/// What is known about the field being traced, for filtering and locating.
pub(crate) struct Target<'a> {
    pub(crate) segments: &'a [Segment],
    /// The built object.
    pub(crate) object: &'a Value,
    /// The built value of the field.
    pub(crate) value: Option<&'a Value>,
    /// The kind and every name the object had, for finding it in patches.
    pub(crate) kind: &'a str,
    pub(crate) names: &'a [String],
}

impl Target<'_> {
    fn last_key(&self) -> &str {
        super::field::last_key(self.segments).unwrap_or("")
    }

    /// Whether a label or annotation `key` may be what is traced.
    fn mentions(&self, key: &str) -> bool {
        self.last_key() == key || self.value.is_some_and(|v| contains_key(v, key, 8))
    }
}

fn contains_key(value: &Value, key: &str, depth: usize) -> bool {
    depth > 0
        && match value {
            Value::Object(map) => {
                map.contains_key(key) || map.values().any(|v| contains_key(v, key, depth - 1))
            }
            Value::Array(items) => items.iter().any(|v| contains_key(v, key, depth - 1)),
            _ => false,
        }
}

/// Every entry of the route that may write the field, the last to run first.
///
/// Each candidate costs a build, so entries that cannot touch the field are left out: label,
/// name, namespace, image and replica fields only for fields of that kind, patches and
/// replacements only when their text mentions the field (or a parent of it), vars only for
/// strings, generators only for their kind.
pub(crate) fn candidates(
    fs: &dyn Filesystem,
    route: &[KFile],
    target: &Target<'_>,
) -> Vec<Candidate> {
    let leaf = target.last_key().to_owned();
    let mut out = Vec::new();
    for (file, k) in route.iter().enumerate() {
        let items = |field: &'static str, out: &mut Vec<Candidate>| {
            for i in (0..k.len(field)).rev() {
                if may_write(fs, k, field, i, target) {
                    out.push(Candidate {
                        file,
                        field,
                        removal: Removal::Item(i),
                    });
                }
            }
        };
        // vars are resolved once, after every transformer of every kustomization.
        items("vars", &mut out);
        items("transformers", &mut out);
        items("replacements", &mut out);
        if leaf.contains("image") {
            items("images", &mut out);
        }
        if leaf == "replicas" {
            items("replicas", &mut out);
        }
        items("patchesJson6902", &mut out);
        for (field, keys) in [
            ("commonAnnotations", k.map_keys("commonAnnotations")),
            ("commonLabels", k.map_keys("commonLabels")),
        ] {
            for key in keys.into_iter().filter(|key| target.mentions(key)) {
                out.push(Candidate {
                    file,
                    field,
                    removal: Removal::Key(key),
                });
            }
        }
        if let Some(Value::Array(entries)) = k.value("labels") {
            for (i, entry) in entries.iter().enumerate().rev() {
                let pairs = entry.get("pairs").and_then(Value::as_object);
                for key in pairs.into_iter().flat_map(Map::keys) {
                    if target.mentions(key) {
                        out.push(Candidate {
                            file,
                            field: "labels",
                            removal: Removal::LabelPair(i, key.to_string()),
                        });
                    }
                }
            }
        }
        if leaf.to_ascii_lowercase().ends_with("name") {
            for field in ["nameSuffix", "namePrefix"] {
                if k.value(field).is_some() {
                    out.push(Candidate {
                        file,
                        field,
                        removal: Removal::Field,
                    });
                }
            }
        }
        if leaf == "namespace" && k.value("namespace").is_some() {
            out.push(Candidate {
                file,
                field: "namespace",
                removal: Removal::Field,
            });
        }
        items("patches", &mut out);
        items("patchesStrategicMerge", &mut out);
        items("configMapGenerator", &mut out);
        items("secretGenerator", &mut out);
        items("generators", &mut out);
    }
    out
}

/// When `candidate` is a `namePrefix`/`nameSuffix` that the previous value carried too (or
/// there is no previous value), the name without it: the affix is not what changed.
pub(crate) fn strip_affix(
    route: &[KFile],
    candidate: &Candidate,
    value: Option<&Value>,
    previous: Option<&Value>,
) -> Option<Value> {
    let affix = route[candidate.file].value(candidate.field)?.as_str()?;
    let value = value?.as_str()?;
    let previous = previous.map(Value::as_str);
    let rest = match candidate.field {
        "namePrefix" if previous.is_none_or(|p| p.is_some_and(|p| p.starts_with(affix))) => {
            value.strip_prefix(affix)?
        }
        "nameSuffix" if previous.is_none_or(|p| p.is_some_and(|p| p.ends_with(affix))) => {
            value.strip_suffix(affix)?
        }
        _ => return None,
    };
    Some(Value::String(rest.to_owned()))
}

/// Whether item `i` of a list field may write the traced field (cheap checks, no build).
fn may_write(fs: &dyn Filesystem, k: &KFile, field: &str, i: usize, target: &Target<'_>) -> bool {
    match field {
        "patches" | "patchesStrategicMerge" | "patchesJson6902" => {
            let Some(item) = k.node(field).and_then(|e| e.value.item(i)) else {
                return true;
            };
            patch_text(fs, k, item).is_none_or(|text| mentions_field(&text, target.segments))
        }
        "replacements" => k.value(field).and_then(|v| v.get(i)).is_none_or(|entry| {
            entry.get("path").is_some() || mentions_field(&entry.to_string(), target.segments)
        }),
        "vars" => target.value.is_none_or(Value::is_string),
        "configMapGenerator" => target.kind == "ConfigMap",
        "secretGenerator" => target.kind == "Secret",
        _ => true,
    }
}

/// The text of a patch entry: the file it names, or the inline patch.
fn patch_text(fs: &dyn Filesystem, k: &KFile, item: &Node) -> Option<String> {
    match patch_parts(item) {
        (Some(path), _) => {
            let bytes = fs.read(&clean_path(&k.dir.join(path))).ok()?;
            String::from_utf8(bytes).ok()
        }
        (None, Some((text, _))) => Some(text.to_owned()),
        (None, None) => None,
    }
}

/// A patch entry's file path, or its inline text and node.
fn patch_parts(item: &Node) -> (Option<&str>, Option<(&str, &Node)>) {
    // `patchesStrategicMerge` items are a path or the patch itself; the others are mappings.
    match item.text() {
        Some(text) if text.contains('\n') || text.contains(": ") => (None, Some((text, item))),
        Some(text) => (Some(text), None),
        None => (
            item.get("path").and_then(|e| e.value.text()),
            item.get("patch")
                .and_then(|e| Some((e.value.text()?, &e.value))),
        ),
    }
}

/// Whether patch or replacement text can write the field: it names the field's last key or a
/// list on its way (a strategic merge replaces lists without merge keys whole), directs a
/// `$patch`, or has an operation `path` at or above the field.
fn mentions_field(text: &str, segments: &[Segment]) -> bool {
    if text.contains("$patch") {
        return true;
    }
    let last = super::field::last_key(segments);
    let lists = segments.windows(2).filter_map(|w| match w {
        [Segment::Key(k), Segment::Index(_)] => Some(k.as_str()),
        _ => None,
    });
    if last
        .into_iter()
        .chain(lists)
        .any(|k| text.contains(k) || text.contains(&k.replace('/', "~1")))
    {
        return true;
    }
    let pointer = super::field::pointer(segments);
    operation_paths(text).any(|path| {
        pointer == path
            || pointer
                .strip_prefix(path)
                .is_some_and(|r| r.starts_with('/'))
    })
}

/// The `path` values of JSON 6902 operations written as YAML or JSON.
fn operation_paths(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices("path").filter_map(move |(at, _)| {
        let rest = text[at + 4..].trim_start_matches(['"', '\'', ' ', ':']);
        let end = rest
            .find(['"', '\'', ',', '}', '\n', ' '])
            .unwrap_or(rest.len());
        rest[..end].starts_with('/').then(|| &rest[..end])
    })
}

/// The kustomization text with the candidate's entry taken out, and the file it replaces.
pub(crate) fn without(route: &[KFile], candidate: &Candidate) -> Option<(PathBuf, Vec<u8>)> {
    let k = &route[candidate.file];
    let mut json = k.json.clone();
    let key = k.key(candidate.field)?.to_owned();
    match &candidate.removal {
        Removal::Field => {
            json.remove(&key);
        }
        Removal::Item(i) => {
            json.get_mut(&key)?.as_array_mut()?.remove(*i);
        }
        Removal::Key(name) => {
            json.get_mut(&key)?.as_object_mut()?.remove(name);
        }
        Removal::LabelPair(i, name) => {
            json.get_mut(&key)?
                .get_mut(*i)?
                .get_mut("pairs")?
                .as_object_mut()?
                .remove(name);
        }
    }
    // JSON is YAML: the builder reads it like any kustomization file.
    let text = serde_json::to_vec(&Value::Object(json)).ok()?;
    Some((k.path.clone(), text))
}

/// The file and line a candidate writes the field at: inside the patch it names when the field
/// can be found there, else the line of its entry in the kustomization.
pub(crate) fn locate(
    fs: &dyn Filesystem,
    route: &[KFile],
    candidate: &Candidate,
    target: &Target<'_>,
) -> Option<(PathBuf, usize)> {
    let k = &route[candidate.file];
    let entry = k.node(candidate.field)?;
    let in_kustomization = |line: usize| Some((k.path.clone(), line));
    match &candidate.removal {
        Removal::Field => in_kustomization(entry.key_line),
        Removal::Key(name) => {
            in_kustomization(entry.value.get(name).map_or(entry.key_line, |e| e.key_line))
        }
        Removal::LabelPair(i, name) => {
            let item = entry.value.item(*i)?;
            let line = item
                .get("pairs")
                .and_then(|p| p.value.get(name))
                .map_or(item.line, |e| e.key_line);
            in_kustomization(line)
        }
        Removal::Item(i) => {
            let item = entry.value.item(*i)?;
            match candidate.field {
                "patches" | "patchesJson6902" | "patchesStrategicMerge" => {
                    in_patch(fs, k, item, target).or_else(|| in_kustomization(item.line))
                }
                "configMapGenerator" | "secretGenerator" => {
                    in_generator(fs, k, item, target).or_else(|| in_kustomization(item.line))
                }
                _ => in_kustomization(item.line),
            }
        }
    }
}

/// The line inside a patch (a file it names, or inline text).
fn in_patch(
    fs: &dyn Filesystem,
    k: &KFile,
    item: &Node,
    target: &Target<'_>,
) -> Option<(PathBuf, usize)> {
    let (path, inline) = patch_parts(item);
    if let Some(path) = path {
        let file = clean_path(&k.dir.join(path));
        let text = String::from_utf8(fs.read(&file).ok()?).ok()?;
        let line = line_in_patch(&text, target)?;
        return Some((file, line));
    }
    let (text, node) = inline?;
    // Only a literal block maps its content lines onto the file's lines one to one.
    if !matches!(node.kind, marked::Kind::Scalar { literal: true, .. }) {
        return None;
    }
    let line = line_in_patch(text, target)?;
    // The node starts on the block's first content line.
    Some((k.path.clone(), node.line + line - 1))
}

fn line_in_patch(text: &str, target: &Target<'_>) -> Option<usize> {
    let documents = marked::parse(text)?;
    let built = Some(target.object);
    if locate::is_json6902(&documents) {
        locate::in_json6902(&documents[0], target.segments, built)
    } else {
        locate::in_strategic_merge(
            &documents,
            target.kind,
            target.names,
            target.segments,
            built,
        )
    }
}

/// The line of a generator entry that makes a `data` key: its literal, or the line of an env
/// file; `None` to point at the entry itself.
fn in_generator(
    fs: &dyn Filesystem,
    k: &KFile,
    item: &Node,
    target: &Target<'_>,
) -> Option<(PathBuf, usize)> {
    let [Segment::Key(section), Segment::Key(key)] = target.segments else {
        return None;
    };
    if !matches!(section.as_str(), "data" | "binaryData" | "stringData") {
        return None;
    }
    let prefix = format!("{key}=");
    let items = |field: &str| item.get(field).map_or(&[][..], |e| e.value.items());
    if let Some(literal) = items("literals")
        .iter()
        .find(|l| l.text().is_some_and(|t| t.starts_with(&prefix)))
    {
        return Some((k.path.clone(), literal.line));
    }
    if let Some(file) = items("files").iter().find(|f| {
        f.text().is_some_and(|t| {
            t.starts_with(&prefix) || Path::new(t).file_name().is_some_and(|n| n == key.as_str())
        })
    }) {
        return Some((k.path.clone(), file.line));
    }
    let env_files = items("envs")
        .iter()
        .filter_map(Node::text)
        .chain(item.get("env").and_then(|e| e.value.text()));
    for env in env_files {
        let file = clean_path(&k.dir.join(env));
        let Some(text) = fs.read(&file).ok().and_then(|b| String::from_utf8(b).ok()) else {
            continue;
        };
        if let Some(n) = text
            .lines()
            .position(|l| l.trim_start().starts_with(&prefix))
        {
            return Some((file, n + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn segments(field: &str) -> Vec<Segment> {
        super::super::field::resolve(field, &json!({})).unwrap()
    }

    #[test]
    fn operation_paths_are_read_from_yaml_and_json() {
        let yaml = "- op: replace\n  path: /spec/replicas\n  value: 3\n";
        assert_eq!(
            operation_paths(yaml).collect::<Vec<_>>(),
            ["/spec/replicas"]
        );
        let json = r#"[{"op": "remove", "path": "/spec/template"}]"#;
        assert_eq!(
            operation_paths(json).collect::<Vec<_>>(),
            ["/spec/template"]
        );
        assert_eq!(operation_paths("- path: relative.yaml\n").count(), 0);
    }

    #[test]
    fn patches_that_cannot_touch_the_field_are_skipped() {
        let image = segments("spec.template.spec.containers[0].image");
        assert!(mentions_field("spec:\n  template:\n    spec:\n      containers:\n        - name: a\n          image: b\n", &image));
        assert!(!mentions_field("spec:\n  replicas: 3\n", &image));
        // An operation replacing a parent writes the field, whatever it names.
        assert!(mentions_field(
            "- op: remove\n  path: /spec/template\n",
            &image
        ));
        assert!(mentions_field("$patch: delete\n", &image));
    }
}
