//! Choosing objects the way kustomize's `target`/`select` blocks do.
//!
//! A [`Selector`] names a group, version, kind, name and namespace (each a regular expression
//! that must match the whole value, as kustomize anchors them) plus a `labelSelector` and an
//! `annotationSelector` in Kubernetes label-selector syntax (`a=b`, `a!=b`, `a in (x,y)`,
//! `a notin (x)`, `a`, `!a`). Patches match names and namespaces against an object's current
//! identity *and* its original one (before prefixes, suffixes or namespace changes), so a patch
//! written against a base still finds the object after an overlay renamed it.
//!
//! ```
//! use kustomize_build::selector::Selector;
//! use kustomize_build::Resource;
//! use kustomize_build::json;
//!
//! let selector: Selector = kustomize_build::value::from_value(json!({
//!     "kind": "Deploy.*", "name": "web", "labelSelector": "tier in (front,edge),!canary"
//! }))?;
//! let web = Resource::new(json!({"apiVersion": "apps/v1", "kind": "Deployment",
//!     "metadata": {"name": "web", "labels": {"tier": "front"}}}));
//! assert!(selector.compile()?.matches(&web));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use crate::value::{Map, Value};
use regex::Regex;
use serde::{Deserialize, Deserializer, Serialize};

use crate::resmap::ResMap;
use crate::resource::{ResId, Resource};

/// Annotation holding the comma-separated names an object had before renames.
pub const PREVIOUS_NAMES: &str = "internal.config.kubernetes.io/previousNames";
/// Annotation holding the comma-separated kinds an object had before kind changes.
pub const PREVIOUS_KINDS: &str = "internal.config.kubernetes.io/previousKinds";
/// Annotation holding the comma-separated namespaces an object had before namespace changes.
pub const PREVIOUS_NAMESPACES: &str = "internal.config.kubernetes.io/previousNamespaces";

/// The namespace kustomize assumes for namespaced objects that name none.
pub const DEFAULT_NAMESPACE: &str = "default";
/// The stand-in namespace kustomize gives cluster-scoped objects when comparing identities.
pub const NOT_A_NAMESPACE: &str = "_non_namespaceable_";

/// Why a selector could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SelectorError {
    /// A group/version/kind/name/namespace pattern is not a valid regular expression.
    #[error("invalid {field} pattern '{pattern}' in selector")]
    Pattern {
        /// Which selector field held the pattern.
        field: &'static str,
        /// The pattern as written.
        pattern: String,
        /// What the regex engine said.
        #[source]
        source: regex::Error,
    },
    /// A `labelSelector` or `annotationSelector` does not parse.
    #[error("unable to parse requirement in '{selector}': {reason}")]
    Requirement {
        /// The selector as written.
        selector: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// kustomize's `Selector`: the `target` of a patch, the `select`/`reject` of a replacement.
///
/// Field names follow kustomize and, as Go's JSON decoding does, match case-insensitively;
/// unknown fields are rejected as kustomize rejects them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Selector {
    /// API group pattern; empty matches any.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// API version pattern; empty matches any.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Kind pattern; empty matches any.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Name pattern; empty matches any.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Namespace pattern; empty matches any.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// Kubernetes label selector over `metadata.labels`; empty matches any.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub label_selector: String,
    /// Kubernetes label selector over `metadata.annotations`; empty matches any.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub annotation_selector: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawSelector {
    #[serde(default, deserialize_with = "go_string")]
    group: String,
    #[serde(default, deserialize_with = "go_string")]
    version: String,
    #[serde(default, deserialize_with = "go_string")]
    kind: String,
    #[serde(default, deserialize_with = "go_string")]
    name: String,
    #[serde(default, deserialize_with = "go_string")]
    namespace: String,
    #[serde(default, deserialize_with = "go_string")]
    label_selector: String,
    #[serde(default, deserialize_with = "go_string")]
    annotation_selector: String,
}

const SELECTOR_FIELDS: &[&str] = &[
    "group",
    "version",
    "kind",
    "name",
    "namespace",
    "labelSelector",
    "annotationSelector",
];

impl<'de> Deserialize<'de> for Selector {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw: RawSelector = from_go_json(deserializer, SELECTOR_FIELDS)?;
        Ok(Self {
            group: raw.group,
            version: raw.version,
            kind: raw.kind,
            name: raw.name,
            namespace: raw.namespace,
            label_selector: raw.label_selector,
            annotation_selector: raw.annotation_selector,
        })
    }
}

impl fmt::Display for Selector {
    /// The selector as kustomize prints it in messages (its `ResId` part and selectors).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let part = |s: &str, empty: &'static str| {
            if s.is_empty() {
                empty.to_owned()
            } else {
                s.to_owned()
            }
        };
        write!(
            f,
            "{}.{}.{}/{}.{}",
            part(&self.kind, "[noKind]"),
            part(&self.version, "[noVer]"),
            part(&self.group, "[noGrp]"),
            part(&self.name, "[noName]"),
            part(&self.namespace, "[noNs]")
        )?;
        if !self.annotation_selector.is_empty() {
            write!(f, " annotationSelector: {}", self.annotation_selector)?;
        }
        if !self.label_selector.is_empty() {
            write!(f, " labelSelector: {}", self.label_selector)?;
        }
        Ok(())
    }
}

impl Selector {
    /// Whether every field is empty (the selector matches every object).
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// Whether only the identity fields (group … namespace) are all empty.
    pub fn id_is_empty(&self) -> bool {
        self.group.is_empty()
            && self.version.is_empty()
            && self.kind.is_empty()
            && self.name.is_empty()
            && self.namespace.is_empty()
    }

    /// Compile the patterns and label selectors for matching.
    pub fn compile(&self) -> Result<CompiledSelector, SelectorError> {
        Ok(CompiledSelector {
            group: anchored("group", &self.group)?,
            version: anchored("version", &self.version)?,
            kind: anchored("kind", &self.kind)?,
            name: anchored("name", &self.name)?,
            namespace: anchored("namespace", &self.namespace)?,
            labels: LabelSelector::parse(&self.label_selector)?,
            annotations: LabelSelector::parse(&self.annotation_selector)?,
        })
    }

    /// kustomize's `ResId.IsSelectedBy`: exact (not regex) comparison of the identity fields,
    /// namespaces compared as effective namespaces. Replacements select and reject with this.
    pub fn selects_id(&self, id: &ResId) -> bool {
        (self.name.is_empty() || self.name == id.name)
            && (self.namespace.is_empty()
                // A selector's own kind is looked up like any id's, so `kind: Namespace` with a
                // namespace set compares as cluster-scoped.
                || effective_namespace(&self.selector_id()) == effective_namespace(id))
            && (self.group.is_empty() || self.group == id.group)
            && (self.version.is_empty() || self.version == id.version)
            && (self.kind.is_empty() || self.kind == id.kind)
    }

    fn selector_id(&self) -> ResId {
        ResId {
            group: self.group.clone(),
            version: self.version.clone(),
            kind: self.kind.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }
}

fn anchored(field: &'static str, pattern: &str) -> Result<Option<FieldPattern>, SelectorError> {
    if pattern.is_empty() {
        return Ok(None);
    }
    // Most targets name a kind, a group or an object outright: matching those without a
    // regular expression spares compiling one per patch (about 300 KB of short-lived memory
    // each, enough to set a run's peak) and holding it for the whole build.
    if !pattern.contains(REGEX_SYNTAX) {
        return Ok(Some(FieldPattern::Plain(pattern.to_owned())));
    }
    Regex::new(&format!("^(?:{pattern})$"))
        .map(|regex| Some(FieldPattern::Regex(regex)))
        .map_err(|source| SelectorError::Pattern {
            field,
            pattern: pattern.to_owned(),
            source,
        })
}

/// The characters with a meaning in a regular expression outside a character class, but `.`;
/// a pattern with none of them is its own text where each `.` stands for one character other
/// than a line break (no flag is set, so spaces and `#` are text too).
const REGEX_SYNTAX: [char; 13] = [
    '\\', '+', '*', '?', '(', ')', '|', '[', ']', '{', '}', '^', '$',
];

/// One identity field of a selector, matched against the whole value as kustomize does
/// (`^(?:pattern)$`).
#[derive(Debug, Clone)]
enum FieldPattern {
    /// Text in which each `.` stands for any one character but `\n`, as in a regular
    /// expression (`networking.istio.io`, `Deployment`, `web-1`).
    Plain(String),
    Regex(Regex),
}

impl FieldPattern {
    fn is_match(&self, value: &str) -> bool {
        match self {
            Self::Plain(pattern) => {
                let mut value = value.chars();
                pattern.chars().all(|wanted| {
                    value
                        .next()
                        .is_some_and(|found| found == wanted || (wanted == '.' && found != '\n'))
                }) && value.next().is_none()
            }
            Self::Regex(regex) => regex.is_match(value),
        }
    }
}

/// A [`Selector`] ready to match objects.
#[derive(Debug, Clone)]
pub struct CompiledSelector {
    group: Option<FieldPattern>,
    version: Option<FieldPattern>,
    kind: Option<FieldPattern>,
    name: Option<FieldPattern>,
    namespace: Option<FieldPattern>,
    labels: LabelSelector,
    annotations: LabelSelector,
}

impl CompiledSelector {
    /// kustomize's `ResMap.Select` test for one object: namespace and name match the original or
    /// the current identity, group/version/kind match the current one, and the label and
    /// annotation selectors match.
    pub fn matches(&self, resource: &Resource) -> bool {
        let current = resource.id();
        let original = original_id(resource);
        let current_ns = effective_namespace(&current);
        // kustomize rebuilds previous ids without looking up their scope, so an original id
        // read from the annotations always counts as namespaced.
        let original_ns = match &original {
            Some(id) => namespaced_effective_namespace(&id.namespace),
            None => current_ns,
        };
        let original = original.as_ref().unwrap_or(&current);
        if let Some(ns) = &self.namespace {
            if !ns.is_match(original_ns) && !ns.is_match(current_ns) {
                return false;
            }
        }
        if let Some(name) = &self.name {
            if !name.is_match(&original.name) && !name.is_match(&current.name) {
                return false;
            }
        }
        let gvk_matches = |pattern: &Option<FieldPattern>, value: &str| {
            pattern.as_ref().is_none_or(|p| p.is_match(value))
        };
        gvk_matches(&self.group, &current.group)
            && gvk_matches(&self.version, &current.version)
            && gvk_matches(&self.kind, &current.kind)
            && self.labels.matches(resource.labels())
            && self.annotations.matches(resource.annotations())
    }

    /// Only the label and annotation selectors (replacements combine these with
    /// [`Selector::selects_id`]).
    pub fn matches_labels_and_annotations(&self, resource: &Resource) -> bool {
        self.labels.matches(resource.labels()) && self.annotations.matches(resource.annotations())
    }

    /// Positions, in build order, of the objects of `resources` this selector matches.
    pub fn select(&self, resources: &ResMap) -> Vec<usize> {
        resources
            .iter()
            .enumerate()
            .filter(|(_, r)| self.matches(r))
            .map(|(i, _)| i)
            .collect()
    }
}

/// The identities an object had before renames, kind changes or namespace changes, oldest first,
/// read from kustomize's `internal.config.kubernetes.io/previous*` annotations. Empty when the
/// object was never renamed (or the annotations disagree in length, which kustomize treats as
/// corrupt).
pub fn previous_ids(resource: &Resource) -> Vec<ResId> {
    let Some(names) = resource.annotation(PREVIOUS_NAMES) else {
        return Vec::new();
    };
    let names: Vec<&str> = names.split(',').collect();
    let kinds: Vec<&str> = resource
        .annotation(PREVIOUS_KINDS)
        .unwrap_or("")
        .split(',')
        .collect();
    let namespaces: Vec<&str> = resource
        .annotation(PREVIOUS_NAMESPACES)
        .unwrap_or("")
        .split(',')
        .collect();
    if names.len() != kinds.len() || names.len() != namespaces.len() {
        return Vec::new();
    }
    let current = resource.id();
    names
        .iter()
        .zip(kinds)
        .zip(namespaces)
        .map(|((name, kind), namespace)| ResId {
            group: current.group.clone(),
            version: current.version.clone(),
            kind: kind.to_owned(),
            namespace: namespace.to_owned(),
            name: (*name).to_owned(),
        })
        .collect()
}

/// Record the object's current identity as its latest previous one (kustomize's
/// `StorePreviousId`), before a step that may rename it or change its kind or namespace.
pub fn store_previous_id(resource: &mut Resource) {
    let id = resource.id();
    let namespace = effective_namespace(&id).to_owned();
    for (key, value) in [
        (PREVIOUS_NAMES, id.name.as_str()),
        (PREVIOUS_NAMESPACES, namespace.as_str()),
        (PREVIOUS_KINDS, id.kind.as_str()),
    ] {
        let joined = match resource.annotation(key) {
            Some(existing) if !existing.is_empty() => format!("{existing},{value}"),
            _ => value.to_owned(),
        };
        resource.set_annotation(key, &joined);
    }
}

/// The oldest previous identity, when the object has one.
fn original_id(resource: &Resource) -> Option<ResId> {
    previous_ids(resource).into_iter().next()
}

/// The current identity followed by every previous one (kustomize's `MakeResIds`).
pub fn all_ids(resource: &Resource) -> Vec<ResId> {
    let mut ids = vec![resource.id()];
    ids.extend(previous_ids(resource));
    ids
}

/// kustomize's `EffectiveNamespace`: [`NOT_A_NAMESPACE`] for cluster-scoped kinds,
/// [`DEFAULT_NAMESPACE`] for namespaced objects without one, else the namespace.
pub fn effective_namespace(id: &ResId) -> &str {
    if crate::config::scope::is_cluster_scoped_gvk(&id.group, &id.version, &id.kind) {
        NOT_A_NAMESPACE
    } else {
        namespaced_effective_namespace(&id.namespace)
    }
}

fn namespaced_effective_namespace(namespace: &str) -> &str {
    if namespace.is_empty() {
        DEFAULT_NAMESPACE
    } else {
        namespace
    }
}

/// Whether objects of `api_version`/`kind` live in a namespace. As in kustomize, only the
/// cluster-scoped types of the built-in Kubernetes v1.21.2 schema are cluster-scoped; every
/// other type, including custom resources, counts as namespaced.
pub fn is_namespaceable(api_version: &str, kind: &str) -> bool {
    !crate::config::scope::is_cluster_scoped(api_version, kind)
}

/// A parsed Kubernetes label selector (`a=b,c!=d,e in (x,y),f notin (z),g,!h,i>1,j<2`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Requirement {
    key: String,
    op: Operator,
    values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
    GreaterThan,
    LessThan,
}

impl LabelSelector {
    /// Parse selector text; the empty text selects everything.
    pub fn parse(text: &str) -> Result<Self, SelectorError> {
        let error = |reason: String| SelectorError::Requirement {
            selector: text.to_owned(),
            reason,
        };
        let tokens = tokenize(text);
        let mut parser = Parser {
            tokens: &tokens,
            at: 0,
        };
        let mut requirements = Vec::new();
        if tokens.is_empty() {
            return Ok(Self { requirements });
        }
        loop {
            requirements.push(parser.requirement().map_err(error)?);
            match parser.next() {
                None => break,
                Some(Token::Comma) => {}
                Some(other) => {
                    return Err(error(format!(
                        "found '{other}', expected: ',' or 'end of string'"
                    )))
                }
            }
        }
        for requirement in &requirements {
            validate_key(&requirement.key).map_err(error)?;
            for value in &requirement.values {
                validate_value(value).map_err(error)?;
            }
        }
        Ok(Self { requirements })
    }

    /// Whether the selector selects everything.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Whether `labels` (a `metadata.labels`/`annotations` map, absent when `None`) satisfies
    /// every requirement.
    pub fn matches(&self, labels: Option<&Map>) -> bool {
        self.requirements.iter().all(|r| {
            let value = labels.and_then(|l| l.get(&r.key)).map(scalar_text);
            match (r.op, value) {
                (Operator::Exists, v) => v.is_some(),
                (Operator::DoesNotExist, v) => v.is_none(),
                (Operator::In, Some(v)) => r.values.contains(&v),
                (Operator::NotIn, Some(v)) => !r.values.contains(&v),
                (Operator::NotIn, None) => true,
                (Operator::GreaterThan | Operator::LessThan, Some(v)) => {
                    match (v.parse::<i64>(), r.values[0].parse::<i64>()) {
                        (Ok(have), Ok(want)) if r.op == Operator::GreaterThan => have > want,
                        (Ok(have), Ok(want)) => have < want,
                        _ => false,
                    }
                }
                (_, None) => false,
            }
        })
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Ident(String),
    Not,
    Equals,
    DoubleEquals,
    NotEquals,
    In,
    NotIn,
    Open,
    Close,
    Comma,
    Greater,
    Less,
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Token::Ident(s) => s,
            Token::Not => "!",
            Token::Equals => "=",
            Token::DoubleEquals => "==",
            Token::NotEquals => "!=",
            Token::In => "in",
            Token::NotIn => "notin",
            Token::Open => "(",
            Token::Close => ")",
            Token::Comma => ",",
            Token::Greater => ">",
            Token::Less => "<",
        };
        f.write_str(text)
    }
}

fn is_special(c: char) -> bool {
    matches!(c, '!' | '=' | '(' | ')' | ',' | '>' | '<')
}

/// Split selector text into tokens as apimachinery's lexer does: whitespace separates,
/// `!`, `=`, `==`, `!=`, `(`, `)`, `,`, `<`, `>` stand alone, `in`/`notin` are keywords.
fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if is_special(c) {
            let next = chars.get(i + 1).copied();
            let (token, width) = match (c, next) {
                ('!', Some('=')) => (Token::NotEquals, 2),
                ('=', Some('=')) => (Token::DoubleEquals, 2),
                ('!', _) => (Token::Not, 1),
                ('=', _) => (Token::Equals, 1),
                ('(', _) => (Token::Open, 1),
                (')', _) => (Token::Close, 1),
                (',', _) => (Token::Comma, 1),
                ('>', _) => (Token::Greater, 1),
                _ => (Token::Less, 1),
            };
            tokens.push(token);
            i += width;
        } else {
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() && !is_special(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            tokens.push(match word.as_str() {
                "in" => Token::In,
                "notin" => Token::NotIn,
                _ => Token::Ident(word),
            });
        }
    }
    tokens
}

struct Parser<'t> {
    tokens: &'t [Token],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn at_requirement_end(&self) -> bool {
        matches!(self.peek(), None | Some(Token::Comma))
    }

    fn requirement(&mut self) -> Result<Requirement, String> {
        let negated = self.peek() == Some(&Token::Not);
        if negated {
            self.at += 1;
        }
        let key = match self.next() {
            Some(Token::Ident(key)) => key,
            Some(other) => return Err(format!("found '{other}', expected: identifier")),
            None => return Err("found 'end of string', expected: identifier".to_owned()),
        };
        if negated || self.at_requirement_end() {
            if negated && !self.at_requirement_end() {
                let found = self.peek().map_or_else(String::new, ToString::to_string);
                return Err(format!("found '{found}', expected: ',' or 'end of string'"));
            }
            let op = if negated {
                Operator::DoesNotExist
            } else {
                Operator::Exists
            };
            return Ok(Requirement {
                key,
                op,
                values: Vec::new(),
            });
        }
        let op = self.next().unwrap_or(Token::Comma);
        let (op, values) = match op {
            Token::Equals | Token::DoubleEquals => (Operator::In, vec![self.single_value()?]),
            Token::NotEquals => (Operator::NotIn, vec![self.single_value()?]),
            Token::Greater | Token::Less => {
                let value = self.single_value()?;
                if value.parse::<i64>().is_err() {
                    return Err(format!(
                        "for 'Gt', 'Lt' operators, the value must be an integer, got '{value}'"
                    ));
                }
                let op = if op == Token::Greater {
                    Operator::GreaterThan
                } else {
                    Operator::LessThan
                };
                (op, vec![value])
            }
            Token::In | Token::NotIn => {
                let values = self.value_set()?;
                let op = if op == Token::In {
                    Operator::In
                } else {
                    Operator::NotIn
                };
                (op, values)
            }
            other => {
                return Err(format!(
                    "found '{other}', expected: in, notin, =, ==, !=, gt, lt"
                ))
            }
        };
        Ok(Requirement { key, op, values })
    }

    fn single_value(&mut self) -> Result<String, String> {
        if self.at_requirement_end() {
            return Ok(String::new());
        }
        match self.next() {
            Some(Token::Ident(value)) => Ok(value),
            Some(other) => Err(format!("found '{other}', expected: identifier")),
            None => Ok(String::new()),
        }
    }

    fn value_set(&mut self) -> Result<Vec<String>, String> {
        if self.next() != Some(Token::Open) {
            return Err("expected: '('".to_owned());
        }
        let mut values = Vec::new();
        loop {
            match self.next() {
                Some(Token::Ident(value)) => {
                    values.push(value);
                    match self.next() {
                        Some(Token::Comma) => {}
                        Some(Token::Close) => return Ok(values),
                        _ => return Err("expected: ',' or ')'".to_owned()),
                    }
                }
                // An empty value: `(a,,b)`, `(a,)` or `()`.
                Some(Token::Comma) => values.push(String::new()),
                Some(Token::Close) => {
                    values.push(String::new());
                    return Ok(values);
                }
                Some(other) => return Err(format!("found '{other}', expected: identifier")),
                None => return Err("found 'end of string', expected: ')'".to_owned()),
            }
        }
    }
}

/// Keys are qualified names: an optional DNS-subdomain prefix and `/`, then 1–63 characters of
/// alphanumerics, `-`, `_`, `.`, starting and ending alphanumeric.
fn validate_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        let valid = !prefix.is_empty()
            && prefix.len() <= 253
            && prefix.split('.').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && !part.starts_with('-')
                    && !part.ends_with('-')
            });
        if !valid {
            return Err(format!(
                "invalid label key \"{key}\": prefix part must be a lowercase RFC 1123 subdomain"
            ));
        }
    }
    if name.is_empty() || name.len() > 63 || !is_label_text(name) {
        return Err(format!(
            "invalid label key \"{key}\": name part must consist of alphanumeric characters, \
             '-', '_' or '.', and must start and end with an alphanumeric character"
        ));
    }
    Ok(())
}

/// Values are empty or up to 63 characters like a key's name part.
fn validate_value(value: &str) -> Result<(), String> {
    if value.is_empty() || (value.len() <= 63 && is_label_text(value)) {
        Ok(())
    } else {
        Err(format!(
            "invalid label value: \"{value}\": a valid label must be an empty string or consist \
             of alphanumeric characters, '-', '_' or '.', and must start and end with an \
             alphanumeric character"
        ))
    }
}

fn is_label_text(text: &str) -> bool {
    let alnum = |c: char| c.is_ascii_alphanumeric();
    text.starts_with(alnum)
        && text.ends_with(alnum)
        && text
            .chars()
            .all(|c| alnum(c) || matches!(c, '-' | '_' | '.'))
}

/// Decode a Go-style JSON object: field names match `fields` case-insensitively (an exact match
/// wins), unknown fields fail with Go's wording, and the object is then handed to `T`'s derived
/// decoder under the canonical names.
pub(crate) fn from_go_json<'de, D, T>(deserializer: D, fields: &[&str]) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    decode_go_json(deserializer, fields, true)
}

/// Like [`from_go_json`], but unknown fields are dropped (plugin configs under `transformers:`
/// carry `apiVersion`, `kind` and `metadata` beside their own fields, and kustomize decodes
/// them leniently).
pub(crate) fn from_go_json_lenient<'de, D, T>(
    deserializer: D,
    fields: &[&str],
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    decode_go_json(deserializer, fields, false)
}

fn decode_go_json<'de, D, T>(deserializer: D, fields: &[&str], strict: bool) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::de::Error as _;
    let value = Value::deserialize(deserializer)?;
    let value = canonical_field_names(value, fields, strict).map_err(D::Error::custom)?;
    crate::value::from_value(value).map_err(D::Error::custom)
}

/// Rename the keys of `value` (an object; `null` becomes an empty object) to the canonical
/// spelling in `fields`, matching case-insensitively as Go's `encoding/json` does.
pub(crate) fn canonical_field_names(
    value: Value,
    fields: &[&str],
    strict: bool,
) -> Result<Value, String> {
    let object = match value {
        Value::Object(object) => object,
        Value::Null => Map::new(),
        other => {
            return Err(format!(
                "json: cannot unmarshal {} into a {} object",
                go_json_type(&other),
                fields.first().map_or("", |_| "structured")
            ))
        }
    };
    let mut out = Map::new();
    for (key, value) in object {
        let canonical = fields
            .iter()
            .find(|f| **f == key)
            .or_else(|| fields.iter().find(|f| f.eq_ignore_ascii_case(&key)));
        match canonical {
            Some(name) => {
                out.insert((*name).to_owned(), value);
            }
            None if strict => return Err(format!("json: unknown field \"{key}\"")),
            None => {}
        }
    }
    Ok(Value::Object(out))
}

fn go_json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A Go `string` field: `null` leaves it empty; other non-strings are errors.
pub(crate) fn go_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn resource(value: Value) -> Resource {
        Resource::new(value)
    }

    fn deployment(name: &str, labels: &Value) -> Resource {
        resource(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "labels": labels}}))
    }

    fn selector(value: Value) -> CompiledSelector {
        crate::value::from_value::<Selector>(value)
            .unwrap()
            .compile()
            .unwrap()
    }

    #[test]
    fn patterns_are_anchored_regexes() {
        let web = deployment("web", &json!({}));
        assert!(selector(json!({"name": "we."})).matches(&web));
        assert!(selector(json!({"name": "w.*|api"})).matches(&web));
        assert!(!selector(json!({"name": "we"})).matches(&web));
        assert!(!selector(json!({"name": "eb"})).matches(&web));
        assert!(
            selector(json!({"kind": "Deploy.*", "group": "apps", "version": "v1"})).matches(&web)
        );
        assert!(!selector(json!({"group": "app"})).matches(&web));
        assert!(selector(json!({})).matches(&web));
    }

    #[test]
    fn plain_patterns_match_without_a_regex_as_the_regex_would() {
        let plain = selector(json!({"kind": "Deployment", "name": "web-1_a", "group": "ap.s"}));
        assert!(matches!(plain.kind, Some(FieldPattern::Plain(_))));
        assert!(matches!(plain.name, Some(FieldPattern::Plain(_))));
        assert!(matches!(plain.group, Some(FieldPattern::Plain(_))));
        assert!(plain.matches(&deployment("web-1_a", &json!({}))));
        assert!(!plain.matches(&deployment("web-1_ab", &json!({}))));
        assert!(!selector(json!({"kind": "Deploy"})).matches(&deployment("web", &json!({}))));
        assert!(matches!(
            selector(json!({"name": "web.*"})).name,
            Some(FieldPattern::Regex(_))
        ));
        // The same answers as the regular expression, `.` included.
        let values = [
            "web-1", "web.1", "webx1", "web\n1", "web-10", "web-", "wéb-1", "",
        ];
        for pattern in ["web.1", "web-1", "w.b-.", ".", "wéb.1", "...."] {
            let regex = Regex::new(&format!("^(?:{pattern})$")).unwrap();
            let plain = FieldPattern::Plain(pattern.to_owned());
            for value in values {
                assert_eq!(
                    plain.is_match(value),
                    regex.is_match(value),
                    "{pattern} {value:?}"
                );
            }
        }
    }

    #[test]
    fn field_names_fold_case_and_unknown_fields_fail() {
        let s: Selector = crate::value::from_value(json!({"KIND": "A", "Name": "b",
            "labelselector": "x"}))
        .unwrap();
        assert_eq!((s.kind.as_str(), s.name.as_str()), ("A", "b"));
        assert_eq!(s.label_selector, "x");
        let err = crate::value::from_value::<Selector>(json!({"foo": "bar"})).unwrap_err();
        assert!(err.to_string().contains("unknown field \"foo\""), "{err}");
        let empty: Selector = crate::value::from_value(Value::Null).unwrap();
        assert!(empty.is_empty());
    }

    #[test]
    fn namespace_matches_effective_namespace() {
        let unset = deployment("web", &json!({}));
        assert!(selector(json!({"namespace": "default"})).matches(&unset));
        assert!(!selector(json!({"namespace": "prod"})).matches(&unset));
        let ns = resource(json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "prod"}}));
        assert!(!selector(json!({"namespace": "default"})).matches(&ns));
        assert!(selector(json!({"namespace": "_non_namespaceable_"})).matches(&ns));
    }

    #[test]
    fn previous_names_and_namespaces_still_match() {
        let renamed = resource(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "p-cm", "namespace": "prod", "annotations": {
                PREVIOUS_NAMES: "cm", PREVIOUS_KINDS: "ConfigMap", PREVIOUS_NAMESPACES: "dev"}}}));
        assert!(selector(json!({"name": "cm"})).matches(&renamed));
        assert!(selector(json!({"name": "p-cm"})).matches(&renamed));
        assert!(selector(json!({"namespace": "dev"})).matches(&renamed));
        assert!(selector(json!({"namespace": "prod"})).matches(&renamed));
        assert!(!selector(json!({"name": "other"})).matches(&renamed));
        assert_eq!(all_ids(&renamed).len(), 2);
        assert_eq!(previous_ids(&renamed)[0].namespace, "dev");
    }

    #[test]
    fn label_selector_operators() {
        let web = deployment("web", &json!({"app": "web", "tier": "front", "rev": "3"}));
        let matches = |s: &str| LabelSelector::parse(s).unwrap().matches(web.labels());
        assert!(matches(""));
        assert!(matches("app=web"));
        assert!(matches("app==web"));
        assert!(matches("app = web , tier=front"));
        assert!(!matches("app=api"));
        assert!(matches("app!=api"));
        assert!(matches("missing!=x"));
        assert!(matches("tier in (front, edge)"));
        assert!(!matches("tier in (edge)"));
        assert!(matches("tier notin (edge)"));
        assert!(matches("missing notin (edge)"));
        assert!(matches("app"));
        assert!(!matches("!app"));
        assert!(matches("!missing"));
        assert!(matches("rev>2"));
        assert!(!matches("rev<2"));
        assert!(!matches("missing=x"));
    }

    #[test]
    fn label_selector_errors() {
        for bad in [
            "a in b", "=x", "!a=b", "a=(b)", "a in (b", "a>x", "a b", "-bad=x",
        ] {
            assert!(LabelSelector::parse(bad).is_err(), "{bad} should not parse");
        }
        assert!(LabelSelector::parse("example.com/a=b").is_ok());
        assert!(LabelSelector::parse("a=")
            .unwrap()
            .matches(Some(json!({"a": ""}).as_object().unwrap())));
    }

    #[test]
    fn selects_id_is_exact() {
        let s = Selector {
            kind: "Deployment".into(),
            name: "web".into(),
            ..Selector::default()
        };
        let id = deployment("web", &json!({})).id();
        assert!(s.selects_id(&id));
        let pattern = Selector {
            name: "w.*".into(),
            ..Selector::default()
        };
        assert!(!pattern.selects_id(&id));
        let ns = Selector {
            namespace: "default".into(),
            ..Selector::default()
        };
        assert!(ns.selects_id(&id));
    }

    #[test]
    fn select_returns_positions() {
        let mut map = ResMap::new();
        map.push(deployment("a", &json!({"x": "1"})));
        map.push(deployment("b", &json!({"x": "2"})));
        map.push(deployment("c", &json!({"x": "1"})));
        assert_eq!(
            selector(json!({"labelSelector": "x=1"})).select(&map),
            vec![0, 2]
        );
    }

    #[test]
    fn display_names_the_gaps() {
        let s = Selector {
            kind: "Deployment".into(),
            label_selector: "a=b".into(),
            ..Selector::default()
        };
        assert_eq!(
            s.to_string(),
            "Deployment.[noVer].[noGrp]/[noName].[noNs] labelSelector: a=b"
        );
    }
}

/// Access to the reference Kubernetes schema for tests that check hand-written tables.
#[cfg(test)]
pub(crate) mod reference {
    use crate::value::Value;
    use std::path::PathBuf;

    const NAME: &str = "shared/reference/kubernetes-openapi-v1.21.2.json.gz";

    /// The parsed reference schema, or `None` (tests then skip) when it is not beside the repo.
    pub(crate) fn openapi() -> Option<Value> {
        let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let path = here
            .ancestors()
            .map(|dir| dir.join(NAME))
            .chain(std::iter::once(PathBuf::from("/work").join(NAME)))
            .find(|p| p.is_file())?;
        let file = std::fs::File::open(&path).ok()?;
        Some(serde_json::from_reader(flate2::read::GzDecoder::new(file)).expect("reference schema"))
    }
}
