//! `ApplicationSet`s whose generators resolve offline: the `list` generator and the `git`
//! generator's `directories` over this repository, with Argo CD's default (fasttemplate)
//! templating (argoproj/argo-cd `applicationset/generators/list.go`, `git.go`,
//! `applicationset/utils/utils.go` `Render`; `docs/operator-manual/applicationset/`). Any
//! other generator, `goTemplate: true` or a per-generator `template` leaves the set not
//! rendered, with the reason.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::build::repo_url_matches;
use super::object::ArgoApplication;

/// The Applications `set` (defined in `file`) generates, or why it cannot be expanded
/// offline. `directories` are the repository's directories relative to its root (for the
/// git generator); `repo_urls` as in [`super::is_local_source`].
pub(crate) fn expand(
    set: &Value,
    file: &Path,
    directories: &BTreeSet<String>,
    repo_urls: &[String],
) -> Result<Vec<ArgoApplication>, String> {
    let spec = &set["spec"];
    if spec["goTemplate"].as_bool() == Some(true) {
        return Err("goTemplate: true is not emulated".to_owned());
    }
    let generators = spec["generators"]
        .as_array()
        .filter(|g| !g.is_empty())
        .ok_or("it has no generators")?;
    let mut parameter_sets: Vec<Map<String, Value>> = Vec::new();
    for generator in generators {
        let Some((kind, settings)) = generator.as_object().and_then(|g| {
            g.iter()
                .find(|(key, _)| !matches!(key.as_str(), "selector" | "values"))
        }) else {
            return Err("a generator is empty".to_owned());
        };
        if settings.get("template").is_some_and(|t| !t.is_null()) {
            return Err(format!(
                "its {kind} generator has a template of its own, which is not emulated"
            ));
        }
        match kind.as_str() {
            "list" => parameter_sets.extend(list(settings)?),
            "git" => parameter_sets.extend(git_directories(settings, directories, repo_urls)?),
            other => {
                return Err(format!(
                    "its {other} generator needs the cluster or an external service"
                ))
            }
        }
    }
    let template = spec
        .get("template")
        .filter(|t| t.is_object())
        .ok_or("it has no spec.template")?;
    let namespace = set["metadata"]["namespace"].as_str().unwrap_or_default();
    let mut applications = Vec::new();
    for parameters in &parameter_sets {
        let mut object = render(template, parameters);
        object["apiVersion"] = "argoproj.io/v1alpha1".into();
        object["kind"] = "Application".into();
        if object["metadata"]["namespace"]
            .as_str()
            .is_none_or(str::is_empty)
        {
            object["metadata"]["namespace"] = namespace.into();
        }
        let app = ArgoApplication::from_object(&object, file)
            .ok_or("a generated Application has no metadata.name")?;
        applications.push(app);
    }
    Ok(applications)
}

/// The `list` generator: one parameter set per element (nested values flattened with `.`).
fn list(settings: &Value) -> Result<Vec<Map<String, Value>>, String> {
    if settings.get("elementsYaml").is_some() {
        return Err("its list generator uses elementsYaml, which is not emulated".to_owned());
    }
    let elements = settings["elements"].as_array().cloned().unwrap_or_default();
    Ok(elements
        .iter()
        .map(|element| {
            let mut flat = Map::new();
            flatten("", element, &mut flat);
            flat
        })
        .collect())
}

fn flatten(prefix: &str, value: &Value, into: &mut Map<String, Value>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                let key = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&key, value, into);
            }
        }
        Value::String(s) => {
            into.insert(prefix.to_owned(), s.clone().into());
        }
        Value::Null => {
            into.insert(prefix.to_owned(), "".into());
        }
        other => {
            into.insert(prefix.to_owned(), other.to_string().into());
        }
    }
}

/// The `git` generator's `directories`: one parameter set per directory of this repository
/// matching a pattern (`path.Match`: `*` stays within one segment) and no `exclude: true`
/// pattern.
fn git_directories(
    settings: &Value,
    directories: &BTreeSet<String>,
    repo_urls: &[String],
) -> Result<Vec<Map<String, Value>>, String> {
    let repo_url = settings["repoURL"].as_str().unwrap_or_default();
    if !repo_url_matches(repo_url, repo_urls) {
        return Err(format!(
            "its git generator reads {repo_url}, not this repository"
        ));
    }
    let Some(patterns) = settings["directories"].as_array() else {
        return Err("its git generator lists files, which is not emulated".to_owned());
    };
    let pattern_list = |exclude: bool| -> Vec<&str> {
        patterns
            .iter()
            .filter(|p| (p["exclude"].as_bool() == Some(true)) == exclude)
            .filter_map(|p| p["path"].as_str())
            .collect()
    };
    let (include, exclude) = (pattern_list(false), pattern_list(true));
    Ok(directories
        .iter()
        .filter(|dir| include.iter().any(|p| segment_match(p, dir)))
        .filter(|dir| !exclude.iter().any(|p| segment_match(p, dir)))
        .map(|dir| directory_parameters(dir))
        .collect())
}

/// `path`, `path.basename`, `path.basenameNormalized` and `path[N]` of a directory.
fn directory_parameters(dir: &str) -> Map<String, Value> {
    let mut parameters = Map::new();
    let basename = dir.rsplit('/').next().unwrap_or(dir);
    parameters.insert("path".into(), dir.into());
    parameters.insert("path.basename".into(), basename.into());
    parameters.insert(
        "path.basenameNormalized".into(),
        normalized(basename).into(),
    );
    for (index, segment) in dir.split('/').enumerate() {
        parameters.insert(format!("path[{index}]"), segment.into());
    }
    parameters
}

/// A name made valid for Kubernetes: lower case, other characters than `a-z0-9-.` as `-`.
fn normalized(name: &str) -> String {
    name.chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect::<String>()
        .trim_matches(|c| c == '-' || c == '.')
        .to_owned()
}

/// `path.Match`: each `/`-separated segment matched on its own (`*` does not cross `/`).
fn segment_match(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.trim_matches('/').split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    pattern.len() == path.len()
        && pattern
            .iter()
            .zip(&path)
            .all(|(p, s)| super::directory::glob_match(p, s))
}

/// Every string of `template` with `{{ name }}` replaced by the parameter's value (unknown
/// names are left as written, as fasttemplate leaves them).
fn render(template: &Value, parameters: &Map<String, Value>) -> Value {
    match template {
        Value::String(text) => Value::String(substitute(text, parameters)),
        Value::Array(items) => Value::Array(items.iter().map(|i| render(i, parameters)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), render(v, parameters)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn substitute(text: &str, parameters: &Map<String, Value>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open..].find("}}") else {
            break;
        };
        let name = rest[open + 2..open + close].trim();
        out.push_str(&rest[..open]);
        match parameters.get(name).and_then(Value::as_str) {
            Some(value) => out.push_str(value),
            None => out.push_str(&rest[open..open + close + 2]),
        }
        rest = &rest[open + close + 2..];
    }
    out.push_str(rest);
    out
}

/// Every directory holding a file of `files`, and their parents, relative to `repo_root`
/// (`/`-separated, hidden ones left out), for the git generator.
pub(crate) fn repository_directories(repo_root: &Path, files: &[PathBuf]) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for file in files {
        let Ok(relative) = file.strip_prefix(repo_root) else {
            continue;
        };
        let mut dir = relative.parent();
        while let Some(current) = dir.filter(|d| !d.as_os_str().is_empty()) {
            let name = current.to_string_lossy().replace('\\', "/");
            if !name.split('/').any(|s| s.starts_with('.')) {
                found.insert(name);
            }
            dir = current.parent();
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(generators: &Value, extra: &Value) -> Value {
        let mut set = json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet",
            "metadata": {"name": "apps", "namespace": "argocd"},
            "spec": {
                "generators": generators,
                "template": {
                    "metadata": {"name": "{{ name }}-{{path.basename}}"},
                    "spec": {"source": {"repoURL": "https://git.example/r", "path": "{{path}}"},
                             "destination": {"namespace": "{{path.basenameNormalized}}"}}
                }
            }
        });
        if let (Some(spec), Some(extra)) = (set["spec"].as_object_mut(), extra.as_object()) {
            spec.extend(extra.clone());
        }
        set
    }

    #[test]
    fn list_and_git_directory_generators_expand() {
        let directories: BTreeSet<String> =
            ["apps", "apps/Web_UI", "apps/db", "apps/db/sub", "apps/old"]
                .map(str::to_owned)
                .into();
        let generators = json!([
            {"list": {"elements": [{"name": "one", "path": "apps/db"}]}},
            {"git": {"repoURL": "https://git.example/r.git", "revision": "HEAD",
                     "directories": [{"path": "apps/*"}, {"path": "apps/old", "exclude": true}]}}
        ]);
        let apps = expand(
            &set(&generators, &json!({})),
            Path::new("/r/set.yaml"),
            &directories,
            &[],
        )
        .unwrap();
        let names: Vec<(String, Option<String>, Option<&str>)> = apps
            .iter()
            .map(|a| {
                (
                    a.id.to_string(),
                    a.sources[0].path.clone(),
                    a.destination_namespace(),
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                (
                    "argocd/one-{{path.basename}}".to_owned(),
                    Some("apps/db".to_owned()),
                    Some("{{path.basenameNormalized}}")
                ),
                (
                    "argocd/{{ name }}-Web_UI".to_owned(),
                    Some("apps/Web_UI".to_owned()),
                    Some("web-ui")
                ),
                (
                    "argocd/{{ name }}-db".to_owned(),
                    Some("apps/db".to_owned()),
                    Some("db")
                ),
            ]
        );
    }

    #[test]
    fn what_does_not_resolve_offline_says_why() {
        let dirs = BTreeSet::new();
        let file = Path::new("/r/set.yaml");
        let clusters = set(&json!([{"clusters": {}}]), &json!({}));
        assert_eq!(
            expand(&clusters, file, &dirs, &[]).unwrap_err(),
            "its clusters generator needs the cluster or an external service"
        );
        let go = set(
            &json!([{"list": {"elements": []}}]),
            &json!({"goTemplate": true}),
        );
        assert_eq!(
            expand(&go, file, &dirs, &[]).unwrap_err(),
            "goTemplate: true is not emulated"
        );
        let other = set(
            &json!([{"git": {"repoURL": "https://git.example/other", "directories": [{"path": "*"}]}}]),
            &json!({}),
        );
        let only_r = ["https://git.example/r".to_owned()];
        assert!(expand(&other, file, &dirs, &only_r)
            .unwrap_err()
            .contains("not this repository"));
    }

    #[test]
    fn directories_of_the_repository() {
        let files = [
            PathBuf::from("/r/a/b/c.yaml"),
            PathBuf::from("/r/.github/x.yaml"),
            PathBuf::from("/r/top.yaml"),
        ];
        let dirs: Vec<String> = repository_directories(Path::new("/r"), &files)
            .into_iter()
            .collect();
        assert_eq!(dirs, ["a", "a/b"]);
    }
}
