//! Key/value sources of `ConfigMap` and Secret generators: env files, literals and files.
//!
//! Parsing follows kustomize exactly: env files are read line by line (a UTF-8 BOM is dropped
//! from the first line, leading whitespace is trimmed, blank lines and `#` comments are skipped,
//! the key is everything before the first `=` with no trimming on its right, a line without `=`
//! is a key with an empty value); literals are `key=value` with one pair of matching surrounding
//! quotes removed from the value; files are `path` (the key is the file's base name) or
//! `key=path`. Pairs come in that order (env files, literals, files) and a repeated key is an
//! error.

use serde::{Deserialize, Serialize};

use crate::error::{BuildError, Result};
use crate::loader::Loader;

/// Where a generator's keys and values come from (kustomize's `KvPairSources`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KvSources {
    /// `key=value` pairs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub literals: Vec<String>,
    /// Files, as `path` or `key=path`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// Env files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub envs: Vec<String>,
    /// One env file (deprecated spelling of `envs`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub env: String,
}

/// One generated key and its raw value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    /// The key.
    pub key: String,
    /// The value's bytes (files may hold binary data).
    pub value: Vec<u8>,
}

impl KvSources {
    /// Load every pair, in kustomize's order, rejecting repeated keys. `plugin` and `name` only
    /// label errors.
    pub fn load(&self, loader: &Loader<'_>, plugin: &'static str, name: &str) -> Result<Vec<Pair>> {
        let mut pairs = Vec::new();
        let env_files = self
            .envs
            .iter()
            .chain(std::iter::once(&self.env).filter(|e| !e.is_empty()));
        for path in env_files {
            let content = loader.read(path)?;
            pairs.extend(
                parse_env_file(&content).map_err(|reason| BuildError::Plugin {
                    plugin,
                    reason: format!("env source file {path}: {reason}"),
                })?,
            );
        }
        for literal in &self.literals {
            let (key, value) =
                parse_literal(literal).map_err(|reason| BuildError::Plugin { plugin, reason })?;
            pairs.push(Pair {
                key,
                value: value.into_bytes(),
            });
        }
        for source in &self.files {
            let (key, path) = parse_file_source(source)
                .map_err(|reason| BuildError::Plugin { plugin, reason })?;
            let value = loader.read(&path)?;
            pairs.push(Pair { key, value });
        }
        let mut seen = std::collections::HashSet::new();
        for pair in &pairs {
            if !seen.insert(pair.key.as_str()) {
                return Err(BuildError::Plugin {
                    plugin,
                    reason: format!("configmap {name} illegally repeats the key `{}`", pair.key),
                });
            }
        }
        Ok(pairs)
    }
}

/// Parse an env file's content into pairs.
pub fn parse_env_file(content: &[u8]) -> std::result::Result<Vec<Pair>, String> {
    let mut pairs = Vec::new();
    // Lines end at '\n'; a '\r' before it is dropped (Go's bufio.ScanLines).
    let mut lines: Vec<&[u8]> = content.split(|b| *b == b'\n').collect();
    if content.ends_with(b"\n") {
        lines.pop();
    }
    for (number, raw) in lines.into_iter().enumerate() {
        let mut line = raw.strip_suffix(b"\r").unwrap_or(raw);
        let text = std::str::from_utf8(line)
            .map_err(|_| format!("line {} has invalid utf8 bytes", number + 1))?;
        let mut text = text;
        if number == 0 {
            text = text.strip_prefix('\u{feff}').unwrap_or(text);
        }
        let text = text.trim_start();
        line = text.as_bytes();
        if line.is_empty() || line[0] == b'#' {
            continue;
        }
        let (key, value) = text.split_once('=').unwrap_or((text, ""));
        pairs.push(Pair {
            key: key.to_owned(),
            value: value.as_bytes().to_vec(),
        });
    }
    Ok(pairs)
}

/// Parse `key=value`, removing one pair of matching surrounding quotes from the value.
pub fn parse_literal(source: &str) -> std::result::Result<(String, String), String> {
    match source.split_once('=') {
        Some((key, value)) if !key.is_empty() => {
            Ok((key.to_owned(), remove_quotes(value).to_owned()))
        }
        _ => Err(format!(
            "invalid literal source {source}, expected key=value"
        )),
    }
}

fn remove_quotes(value: &str) -> &str {
    let bytes = value.as_bytes();
    if bytes.len() >= 2
        && bytes[0] == bytes[bytes.len() - 1]
        && (bytes[0] == b'"' || bytes[0] == b'\'')
    {
        &value[1..value.len() - 1]
    } else {
        value
    }
}

/// Parse a file source: `path` (key is the base name) or `key=path`.
pub fn parse_file_source(source: &str) -> std::result::Result<(String, String), String> {
    match source.matches('=').count() {
        0 => Ok((base_name(source).to_owned(), source.to_owned())),
        1 if source.starts_with('=') => Err(format!(
            "missing key name for file path {:?} in source {source:?}",
            &source[1..]
        )),
        1 if source.ends_with('=') => Err(format!(
            "missing file path for key name {:?} in source {source:?}",
            &source[..source.len() - 1]
        )),
        1 => {
            let (key, path) = source.split_once('=').expect("one '='");
            Ok((key.to_owned(), path.to_owned()))
        }
        _ => Err(format!(
            "source {source:?} key name or file path contains '='"
        )),
    }
}

/// The last element of a slash-separated path, as Go's `path.Base`.
fn base_name(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return if path.is_empty() { "." } else { "/" };
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(pairs: &[Pair]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|p| (p.key.clone(), String::from_utf8(p.value.clone()).unwrap()))
            .collect()
    }

    #[test]
    fn env_files_parse_as_kustomize_does() {
        let content = b"\xef\xbb\xbfA=1\nB\n # comment\n  C = 2\r\n\nD=x=y\n";
        let pairs = parse_env_file(content).unwrap();
        assert_eq!(
            kv(&pairs),
            [
                ("A".into(), "1".into()),
                ("B".into(), String::new()),
                ("C ".into(), " 2".into()),
                ("D".into(), "x=y".into())
            ]
        );
        assert!(parse_env_file(b"A=\xff\n").is_err());
    }

    #[test]
    fn literals_lose_one_pair_of_matching_quotes() {
        assert_eq!(
            parse_literal("q='a b'").unwrap(),
            ("q".into(), "a b".into())
        );
        assert_eq!(
            parse_literal("q=\"a'").unwrap(),
            ("q".into(), "\"a'".into())
        );
        assert_eq!(parse_literal("q=a=b").unwrap(), ("q".into(), "a=b".into()));
        assert!(parse_literal("=x").is_err());
        assert!(parse_literal("novalue").is_err());
    }

    #[test]
    fn file_sources_take_a_key_or_the_base_name() {
        assert_eq!(
            parse_file_source("dir/app.conf").unwrap(),
            ("app.conf".into(), "dir/app.conf".into())
        );
        assert_eq!(
            parse_file_source("k=dir/app.conf").unwrap(),
            ("k".into(), "dir/app.conf".into())
        );
        assert!(parse_file_source("=a").is_err());
        assert!(parse_file_source("a=").is_err());
        assert!(parse_file_source("a=b=c").is_err());
    }
}
