//! A plain-YAML directory source, read as Argo CD's repo-server reads it
//! (argoproj/argo-cd `reposerver/repository/repository.go`, `findManifests`): every `.yaml`,
//! `.yml` and `.json` file of the source's `path` — and of its subdirectories with
//! `directory.recurse: true` — whose path relative to `path` matches `directory.include` and
//! not `directory.exclude` (glob patterns where `*` also crosses `/`, with `{a,b}`
//! alternatives, as argo-cd's `util/glob`).

use std::path::Path;

use serde_json::Value;

use kustomize_build::fs::Filesystem;

/// Why a directory source cannot be read: the file and what is wrong.
pub(crate) type ManifestError = (std::path::PathBuf, String);

/// The objects of the directory source `dir` with the source's `directory` settings.
pub(crate) fn read_directory(
    fs: &dyn Filesystem,
    dir: &Path,
    settings: Option<&Value>,
) -> Result<Vec<Value>, ManifestError> {
    let setting = |field: &str| {
        settings
            .and_then(|s| s[field].as_str())
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
    };
    let recurse = settings.is_some_and(|s| s["recurse"].as_bool() == Some(true));
    let (include, exclude) = (setting("include"), setting("exclude"));
    let mut objects = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    let mut files = Vec::new();
    while let Some(current) = pending.pop() {
        let Ok(names) = fs.read_dir(&current) else {
            continue;
        };
        for name in names {
            let path = current.join(&name);
            if fs.is_dir(&path) {
                if recurse {
                    pending.push(path);
                }
                continue;
            }
            files.push(path);
        }
    }
    files.sort();
    for path in files {
        let extension = path.extension().and_then(|e| e.to_str());
        if !matches!(extension, Some("yaml" | "yml" | "json")) {
            continue;
        }
        let relative = path
            .strip_prefix(dir)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        if exclude.as_deref().is_some_and(|p| glob_match(p, &relative)) {
            continue;
        }
        if include
            .as_deref()
            .is_some_and(|p| !glob_match(p, &relative))
        {
            continue;
        }
        let bytes = fs.read(&path).map_err(|e| (path.clone(), e.to_string()))?;
        let text = String::from_utf8_lossy(&bytes);
        let documents = kustomize_build::yaml::parse_json_documents(&text).map_err(|e| {
            (
                path.clone(),
                format!("line {} column {}: {}", e.line(), e.column(), e.kind()),
            )
        })?;
        for document in documents.into_iter().filter(|d| !d.is_null()) {
            let is_list = document["kind"].as_str() == Some("List") && document["items"].is_array();
            let items = if is_list {
                document["items"].as_array().cloned().unwrap_or_default()
            } else {
                vec![document]
            };
            for object in items {
                if object["kind"].as_str().is_none_or(str::is_empty)
                    || object["apiVersion"].as_str().is_none_or(str::is_empty)
                {
                    return Err((
                        path.clone(),
                        "a document has no apiVersion or kind: Argo CD fails to sync this directory; exclude the file with directory.exclude if it is no manifest".to_owned(),
                    ));
                }
                objects.push(object);
            }
        }
    }
    Ok(objects)
}

/// Whether `text` matches `pattern`: `*` any run of characters (`/` included), `?` one
/// character, `[abc]`/`[a-z]` a class, `{a,b}` alternatives.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    expand_braces(pattern).iter().any(|p| {
        match_here(
            &p.chars().collect::<Vec<_>>(),
            &text.chars().collect::<Vec<_>>(),
        )
    })
}

/// `a{b,c}d` → `abd`, `acd` (nested braces expand from the outside in).
fn expand_braces(pattern: &str) -> Vec<String> {
    let Some(open) = pattern.find('{') else {
        return vec![pattern.to_owned()];
    };
    let mut depth = 0;
    let mut close = None;
    let mut splits = Vec::new();
    for (at, c) in pattern[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(open + at);
                    break;
                }
            }
            ',' if depth == 1 => splits.push(open + at),
            _ => {}
        }
    }
    let Some(close) = close else {
        return vec![pattern.to_owned()];
    };
    let (head, tail) = (&pattern[..open], &pattern[close + 1..]);
    let mut bounds = vec![open];
    bounds.extend(&splits);
    bounds.push(close);
    bounds
        .windows(2)
        .flat_map(|w| expand_braces(&format!("{head}{}{tail}", &pattern[w[0] + 1..w[1]])))
        .collect()
}

fn match_here(pattern: &[char], text: &[char]) -> bool {
    match pattern.first() {
        None => text.is_empty(),
        Some('*') => (0..=text.len()).any(|skip| match_here(&pattern[1..], &text[skip..])),
        Some('?') => !text.is_empty() && match_here(&pattern[1..], &text[1..]),
        Some('[') => {
            let Some(end) = pattern.iter().position(|c| *c == ']') else {
                return text.first() == Some(&'[') && match_here(&pattern[1..], &text[1..]);
            };
            let Some(c) = text.first() else { return false };
            let class = &pattern[1..end];
            let (negated, class) = match class.first() {
                Some('!' | '^') => (true, &class[1..]),
                _ => (false, class),
            };
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == '-' {
                    hit |= (class[i]..=class[i + 2]).contains(c);
                    i += 3;
                } else {
                    hit |= class[i] == *c;
                    i += 1;
                }
            }
            hit != negated && match_here(&pattern[end + 1..], &text[1..])
        }
        Some(p) => text.first() == Some(p) && match_here(&pattern[1..], &text[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kustomize_build::fs::MemFs;
    use serde_json::json;

    #[test]
    fn globs() {
        assert!(glob_match("*.yaml", "a.yaml"));
        assert!(glob_match("*.yaml", "sub/a.yaml"));
        assert!(glob_match("{config.json,env-*/*}", "env-usw2/x.yaml"));
        assert!(glob_match("{config.json,env-*/*}", "config.json"));
        assert!(!glob_match("{config.json,env-*/*}", "app.yaml"));
        assert!(glob_match("[a-c]?.yml", "b1.yml"));
        assert!(!glob_match("[!a-c]?.yml", "b1.yml"));
    }

    #[test]
    fn recurse_include_exclude_and_lists() {
        let mut fs = MemFs::new();
        let cm =
            |name: &str| format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n");
        fs.add_file("/r/d/a.yaml", cm("a"));
        fs.add_file(
            "/r/d/b.json",
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}}).to_string(),
        );
        fs.add_file("/r/d/notes.md", "# no");
        fs.add_file(
            "/r/d/sub/c.yml",
            format!(
                "apiVersion: v1\nkind: List\nitems:\n- {}",
                cm("c").replace('\n', "\n  ")
            ),
        );
        fs.add_file("/r/d/skip/d.yaml", cm("d"));
        let names = |settings: Option<Value>| -> Vec<String> {
            read_directory(&fs, Path::new("/r/d"), settings.as_ref())
                .unwrap()
                .iter()
                .map(|o| o["metadata"]["name"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(names(None), ["a", "b"]);
        assert_eq!(names(Some(json!({"recurse": true}))), ["a", "b", "d", "c"]);
        assert_eq!(
            names(Some(
                json!({"recurse": true, "exclude": "skip/*", "include": "*.{yaml,yml}"})
            )),
            ["a", "c"]
        );
        fs.add_file("/r/d/kustomize-ish.yaml", "resources: [a.yaml]\n");
        let (file, message) = read_directory(&fs, Path::new("/r/d"), None).unwrap_err();
        assert_eq!(file, Path::new("/r/d/kustomize-ish.yaml"));
        assert!(message.contains("no apiVersion or kind"));
    }
}
