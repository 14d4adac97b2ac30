//! The `recovery-patterns.yaml` format: reading it strictly, writing it back.
//!
//! ```yaml
//! patterns:
//!   - name: immutable-field
//!     error_pattern: "field is immutable"
//!     recovery_action: recreate_resource
//!     max_retries: 1
//!     applies_to: [Kustomization]
//!     severity: high
//!     additional_conditions:
//!       min_occurrences: {count: 2, time_window: 300}
//! recovery_actions:            # declares custom actions (and documents built-in ones)
//!   page_oncall: {description: "Page the on-call engineer", steps: [notify], timeout: 60}
//! settings: {}                 # carried through untouched
//! ```
//!
//! The same document may be wrapped in a `ConfigMap` under `data."recovery-patterns.yaml"`.
//! Everything unexpected is an error naming the entry and the line: unknown keys, values of the
//! wrong type, regexes that do not compile (with the column in the regex), actions that are
//! neither built in nor declared, unknown severities and duplicate names.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::action::{Action, Severity};
use crate::yaml::{self, Node, Value};

/// The `ConfigMap` data key that holds the document.
pub const CONFIGMAP_KEY: &str = "recovery-patterns.yaml";

/// A parsed `recovery-patterns.yaml` document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PatternConfig {
    /// Pattern entries, in file order.
    pub patterns: Vec<PatternEntry>,
    /// Declared actions. A pattern may name a built-in action or one declared here.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub recovery_actions: IndexMap<String, ActionDefinition>,
    /// The `settings:` section, carried through uninterpreted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<serde_json::Value>,
}

/// One `patterns:` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatternEntry {
    /// Unique name; reported as the classification's `pattern`.
    pub name: String,
    /// Regex (Rust `regex` syntax) searched for anywhere in the message.
    pub error_pattern: String,
    /// What to do when the pattern matches.
    pub recovery_action: Action,
    /// How often the action may be tried for one object before escalating.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<u32>,
    /// Kinds this pattern is for: of the object whose status carries the message, or of the
    /// object the message names. Empty means any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applies_to: Vec<String>,
    /// Whether dependants should be cleaned up along with the target (carried for the controller).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cleanup_dependencies: bool,
    /// How urgent a match is.
    #[serde(default = "default_severity")]
    pub severity: Severity,
    /// Human explanation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether a human must confirm the action (carried for the controller).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub validation_required: bool,
    /// Match order: higher first; equal priorities put the more specific regex (longer minimal
    /// match) first. Built-ins use 5–50; user patterns default to 100, ahead of all built-ins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i32>,
    /// Extra conditions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_conditions: Option<AdditionalConditions>,
}

fn default_severity() -> Severity {
    Severity::Medium
}

/// `additional_conditions` of a pattern entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdditionalConditions {
    /// Only act after this many sightings within a time window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_occurrences: Option<MinOccurrences>,
    /// Only match objects in these namespaces (empty: any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespace: Vec<String>,
    /// Only match when the carrier's condition reason is one of these (empty: any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub event_reason: Vec<String>,
}

/// `min_occurrences: {count, time_window}`: act only once the message was seen `count` times
/// within `time_window` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MinOccurrences {
    /// Sightings needed.
    pub count: u32,
    /// Window in seconds.
    pub time_window: u64,
}

/// A `recovery_actions:` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionDefinition {
    /// What the action does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Step names, carried for whoever implements the action.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<String>,
    /// Timeout in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
}

/// A configuration that cannot be used, with where and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}{kind}", line_prefix(*.line), entry_prefix(.entry.as_deref()))]
pub struct ConfigError {
    line: Option<usize>,
    entry: Option<String>,
    kind: ConfigErrorKind,
}

fn line_prefix(line: Option<usize>) -> String {
    line.map(|line| format!("line {line}: "))
        .unwrap_or_default()
}

fn entry_prefix(entry: Option<&str>) -> String {
    entry.map(|entry| format!("{entry}: ")).unwrap_or_default()
}

impl ConfigError {
    pub(crate) fn new(line: Option<usize>, entry: Option<String>, kind: ConfigErrorKind) -> Self {
        ConfigError { line, entry, kind }
    }

    /// 1-based line in the file, when known.
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// The entry at fault (``pattern `name` `` or `patterns[3]`), when there is one.
    pub fn entry(&self) -> Option<&str> {
        self.entry.as_deref()
    }

    /// What is wrong.
    pub fn kind(&self) -> &ConfigErrorKind {
        &self.kind
    }
}

/// What is wrong with a configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigErrorKind {
    /// The text is not YAML.
    #[error("invalid YAML at column {column}: {message}")]
    Syntax {
        /// 1-based column.
        column: usize,
        /// The parser's explanation.
        message: String,
    },
    /// The document is empty.
    #[error("the document is empty; expected a mapping with a `patterns:` list")]
    Empty,
    /// A `ConfigMap` without the expected data key.
    #[error("the ConfigMap has no `data.\"{CONFIGMAP_KEY}\"` entry holding the patterns")]
    MissingConfigMapKey,
    /// A key this format does not have.
    #[error("unknown key `{key}`; expected one of: {expected}")]
    UnknownKey {
        /// The key found.
        key: String,
        /// The keys allowed here.
        expected: String,
    },
    /// A required key is absent.
    #[error("missing required key `{key}`")]
    MissingKey {
        /// The key.
        key: String,
    },
    /// A value of the wrong shape.
    #[error("`{key}` must be {expected}, found {found}")]
    WrongType {
        /// The key whose value is wrong.
        key: String,
        /// What was expected.
        expected: &'static str,
        /// What was found.
        found: String,
    },
    /// `error_pattern` is not a valid regex.
    #[error("`error_pattern` is not a valid regex (at column {column} of the regex): {message}")]
    Regex {
        /// 1-based column in the regex where the problem starts.
        column: usize,
        /// The regex parser's explanation.
        message: String,
    },
    /// `recovery_action` names an action that is neither built in nor declared.
    #[error(
        "unknown recovery action `{action}`; use a built-in action ({}) or declare it under `recovery_actions:`",
        builtin_action_list()
    )]
    UnknownAction {
        /// The action named.
        action: String,
    },
    /// `severity` is not one of the four.
    #[error("unknown severity `{severity}`; expected low, medium, high or critical")]
    UnknownSeverity {
        /// The severity named.
        severity: String,
    },
    /// Two entries share a name.
    #[error("duplicate pattern name `{name}` (first defined on line {first_line})")]
    DuplicateName {
        /// The name.
        name: String,
        /// Where it was first defined.
        first_line: usize,
    },
    /// Two entries of a configuration built in code share a name.
    #[error("pattern name `{name}` is used more than once")]
    RepeatedName {
        /// The name.
        name: String,
    },
    /// A value outside its allowed range.
    #[error("`{key}` {problem}")]
    OutOfRange {
        /// The key.
        key: String,
        /// What is wrong with it.
        problem: &'static str,
    },
}

fn builtin_action_list() -> String {
    Action::BUILTIN
        .iter()
        .map(Action::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

const TOP_KEYS: &[&str] = &["patterns", "recovery_actions", "settings"];
const PATTERN_KEYS: &[&str] = &[
    "name",
    "error_pattern",
    "recovery_action",
    "max_retries",
    "applies_to",
    "cleanup_dependencies",
    "severity",
    "description",
    "validation_required",
    "priority",
    "additional_conditions",
];
const CONDITION_KEYS: &[&str] = &["min_occurrences", "namespace", "event_reason"];
const OCCURRENCE_KEYS: &[&str] = &["count", "time_window"];
const ACTION_KEYS: &[&str] = &["description", "steps", "timeout"];

impl PatternConfig {
    /// Read a `recovery-patterns.yaml` document, or a `ConfigMap` carrying one under
    /// `data."recovery-patterns.yaml"`.
    ///
    /// ```
    /// use recovery_patterns::PatternConfig;
    ///
    /// let error = PatternConfig::from_yaml(
    ///     "patterns:\n  - name: broken\n    error_pattern: \"(unclosed\"\n    recovery_action: request_reconcile\n",
    /// ).unwrap_err();
    /// assert_eq!(error.line(), Some(3));
    /// assert!(error.to_string().contains("pattern `broken`"), "{error}");
    /// ```
    pub fn from_yaml(text: &str) -> Result<PatternConfig, ConfigError> {
        let root = parse_node(text, 0)?;
        if is_configmap(&root) {
            let (inner, offset) = configmap_payload(&root)?;
            let inner_root = parse_node(inner, offset)?;
            return Reader {
                line_offset: offset,
            }
            .document(&inner_root);
        }
        Reader { line_offset: 0 }.document(&root)
    }

    /// Write the document as YAML (without a `ConfigMap` wrapper). Reading the result gives back
    /// an equal `PatternConfig`.
    pub fn to_yaml(&self) -> String {
        serde_yaml_ng::to_string(self).unwrap_or_else(|error| {
            // Serialising plain data with string keys cannot fail; keep the library panic-free anyway.
            format!("# could not serialise the configuration: {error}\n")
        })
    }

    /// This configuration's entries placed over `base`: an entry whose name exists in `base`
    /// replaces it, the others come first; `base` entries not replaced follow. Declared actions
    /// are merged the same way.
    #[must_use]
    pub fn merged_over(self, base: PatternConfig) -> PatternConfig {
        let mut patterns = self.patterns;
        for entry in base.patterns {
            if !patterns.iter().any(|own| own.name == entry.name) {
                patterns.push(entry);
            }
        }
        let mut recovery_actions = base.recovery_actions;
        recovery_actions.extend(self.recovery_actions);
        PatternConfig {
            patterns,
            recovery_actions,
            settings: self.settings.or(base.settings),
        }
    }
}

fn parse_node(text: &str, line_offset: usize) -> Result<Node, ConfigError> {
    match yaml::parse(text) {
        Ok(Some(node)) if !node.is_null() => Ok(node),
        Ok(_) => Err(ConfigError::new(
            Some(line_offset + 1),
            None,
            ConfigErrorKind::Empty,
        )),
        Err(error) => Err(ConfigError::new(
            Some(error.line + line_offset),
            None,
            ConfigErrorKind::Syntax {
                column: error.column,
                message: error.message,
            },
        )),
    }
}

fn is_configmap(root: &Node) -> bool {
    root.get("kind").and_then(Node::as_scalar) == Some("ConfigMap")
        || (root.get("data").is_some() && root.get("patterns").is_none())
}

/// The embedded document and the line offset that maps its lines to the file's.
fn configmap_payload(root: &Node) -> Result<(&str, usize), ConfigError> {
    let entry = root.get("data").and_then(|data| data.get(CONFIGMAP_KEY));
    let Some(node) = entry else {
        return Err(ConfigError::new(
            Some(root.line),
            None,
            ConfigErrorKind::MissingConfigMapKey,
        ));
    };
    let Value::Scalar { text, .. } = &node.value else {
        return Err(ConfigError::new(
            Some(node.line),
            None,
            ConfigErrorKind::WrongType {
                key: format!("data.{CONFIGMAP_KEY}"),
                expected: "a string holding the YAML document",
                found: node.describe().to_owned(),
            },
        ));
    };
    // The scalar's recorded line is where its content starts (for a `|` block, the line after
    // the indicator), which is line 1 of the embedded document.
    Ok((text, node.line - 1))
}

struct Reader {
    line_offset: usize,
}

impl Reader {
    fn line(&self, node: &Node) -> usize {
        node.line + self.line_offset
    }

    fn error(&self, node: &Node, entry: Option<&str>, kind: ConfigErrorKind) -> ConfigError {
        ConfigError::new(Some(self.line(node)), entry.map(str::to_owned), kind)
    }

    fn document(&self, root: &Node) -> Result<PatternConfig, ConfigError> {
        let entries = self.mapping(root, None, "the document", TOP_KEYS)?;
        let mut config = PatternConfig::default();
        let mut pattern_nodes = None;
        for (key, value) in entries {
            match key {
                "patterns" => pattern_nodes = Some(value),
                "recovery_actions" => config.recovery_actions = self.actions(value)?,
                "settings" => config.settings = (!value.is_null()).then(|| value.to_json()),
                _ => unreachable!("keys were checked against TOP_KEYS"),
            }
        }
        let Some(pattern_nodes) = pattern_nodes else {
            return Err(self.error(
                root,
                None,
                ConfigErrorKind::MissingKey {
                    key: "patterns".to_owned(),
                },
            ));
        };
        let items = match &pattern_nodes.value {
            Value::Seq(items) => items.as_slice(),
            _ if pattern_nodes.is_null() => &[],
            _ => {
                return Err(self.error(
                    pattern_nodes,
                    None,
                    ConfigErrorKind::WrongType {
                        key: "patterns".to_owned(),
                        expected: "a list of pattern entries",
                        found: pattern_nodes.describe().to_owned(),
                    },
                ))
            }
        };
        let mut first_lines: HashMap<String, usize> = HashMap::new();
        for (index, item) in items.iter().enumerate() {
            let entry = self.pattern(item, index, &config.recovery_actions)?;
            if let Some(first_line) = first_lines.get(&entry.name) {
                return Err(self.error(
                    item,
                    Some(&format!("pattern `{}`", entry.name)),
                    ConfigErrorKind::DuplicateName {
                        name: entry.name,
                        first_line: *first_line,
                    },
                ));
            }
            first_lines.insert(entry.name.clone(), item.line + self.line_offset);
            config.patterns.push(entry);
        }
        Ok(config)
    }

    /// The entries of a mapping node, rejecting keys not in `allowed`.
    fn mapping<'n>(
        &self,
        node: &'n Node,
        entry: Option<&str>,
        what: &str,
        allowed: &[&str],
    ) -> Result<Vec<(&'n str, &'n Node)>, ConfigError> {
        let Value::Map(entries) = &node.value else {
            return Err(self.error(
                node,
                entry,
                ConfigErrorKind::WrongType {
                    key: what.to_owned(),
                    expected: "a mapping",
                    found: node.describe().to_owned(),
                },
            ));
        };
        let mut seen: Vec<&str> = Vec::new();
        let mut out = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            let Some(name) = key.as_scalar() else {
                return Err(self.error(
                    key,
                    entry,
                    ConfigErrorKind::WrongType {
                        key: format!("a key of {what}"),
                        expected: "a string",
                        found: key.describe().to_owned(),
                    },
                ));
            };
            if !allowed.contains(&name) {
                return Err(self.error(
                    key,
                    entry,
                    ConfigErrorKind::UnknownKey {
                        key: name.to_owned(),
                        expected: allowed.join(", "),
                    },
                ));
            }
            if seen.contains(&name) {
                return Err(self.error(
                    key,
                    entry,
                    ConfigErrorKind::WrongType {
                        key: name.to_owned(),
                        expected: "given once",
                        found: "a repeated key".to_owned(),
                    },
                ));
            }
            seen.push(name);
            out.push((name, value));
        }
        Ok(out)
    }

    fn actions(&self, node: &Node) -> Result<IndexMap<String, ActionDefinition>, ConfigError> {
        let mut out = IndexMap::new();
        if node.is_null() {
            return Ok(out);
        }
        let Value::Map(entries) = &node.value else {
            return Err(self.error(
                node,
                None,
                ConfigErrorKind::WrongType {
                    key: "recovery_actions".to_owned(),
                    expected: "a mapping of action names to definitions",
                    found: node.describe().to_owned(),
                },
            ));
        };
        for (key, value) in entries {
            let name = self.string(key, None, "recovery_actions key")?;
            let label = format!("action `{name}`");
            let mut definition = ActionDefinition::default();
            if !value.is_null() {
                for (field, field_value) in
                    self.mapping(value, Some(&label), &label, ACTION_KEYS)?
                {
                    match field {
                        "description" => {
                            definition.description =
                                Some(self.string(field_value, Some(&label), field)?);
                        }
                        "steps" => {
                            definition.steps =
                                self.string_list(field_value, Some(&label), field)?;
                        }
                        "timeout" => {
                            definition.timeout =
                                Some(self.integer(field_value, Some(&label), field)?);
                        }
                        _ => unreachable!("keys were checked against ACTION_KEYS"),
                    }
                }
            }
            if out.insert(name.clone(), definition).is_some() {
                return Err(self.error(
                    key,
                    Some(&label),
                    ConfigErrorKind::WrongType {
                        key: name,
                        expected: "declared once",
                        found: "a second declaration".to_owned(),
                    },
                ));
            }
        }
        Ok(out)
    }

    fn pattern(
        &self,
        node: &Node,
        index: usize,
        declared: &IndexMap<String, ActionDefinition>,
    ) -> Result<PatternEntry, ConfigError> {
        // Name the entry by its name when it has a usable one, by its index otherwise.
        let name = node
            .get("name")
            .and_then(Node::as_scalar)
            .filter(|name| !name.is_empty());
        let label = name.map_or_else(
            || format!("patterns[{index}]"),
            |name| format!("pattern `{name}`"),
        );
        let label = Some(label.as_str());
        let fields = self.mapping(node, label, "a pattern entry", PATTERN_KEYS)?;
        let lookup = |key: &str| fields.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
        let require = |key: &str| {
            lookup(key).ok_or_else(|| {
                self.error(
                    node,
                    label,
                    ConfigErrorKind::MissingKey {
                        key: key.to_owned(),
                    },
                )
            })
        };

        let name_node = require("name")?;
        let name = self.string(name_node, label, "name")?;
        if name.trim().is_empty() {
            return Err(self.error(
                name_node,
                label,
                ConfigErrorKind::OutOfRange {
                    key: "name".to_owned(),
                    problem: "must not be empty",
                },
            ));
        }
        let regex_node = require("error_pattern")?;
        let error_pattern = self.string(regex_node, label, "error_pattern")?;
        if let Err(kind) = check_regex(&error_pattern) {
            return Err(self.error(regex_node, label, kind));
        }
        let action_node = require("recovery_action")?;
        let action_name = self.string(action_node, label, "recovery_action")?;
        let recovery_action = Action::from_name(&action_name);
        if !recovery_action.is_builtin() && !declared.contains_key(&action_name) {
            return Err(self.error(
                action_node,
                label,
                ConfigErrorKind::UnknownAction {
                    action: action_name,
                },
            ));
        }

        let mut entry = PatternEntry {
            name,
            error_pattern,
            recovery_action,
            max_retries: None,
            applies_to: Vec::new(),
            cleanup_dependencies: false,
            severity: default_severity(),
            description: None,
            validation_required: false,
            priority: None,
            additional_conditions: None,
        };
        for (key, value) in &fields {
            match *key {
                "name" | "error_pattern" | "recovery_action" => {}
                "max_retries" => entry.max_retries = Some(self.small_integer(value, label, key)?),
                "applies_to" => entry.applies_to = self.string_list(value, label, key)?,
                "cleanup_dependencies" => {
                    entry.cleanup_dependencies = self.boolean(value, label, key)?;
                }
                "validation_required" => {
                    entry.validation_required = self.boolean(value, label, key)?;
                }
                "description" => entry.description = Some(self.string(value, label, key)?),
                "severity" => {
                    let text = self.string(value, label, key)?;
                    entry.severity = Severity::from_name(&text).ok_or_else(|| {
                        self.error(
                            value,
                            label,
                            ConfigErrorKind::UnknownSeverity {
                                severity: text.clone(),
                            },
                        )
                    })?;
                }
                "priority" => {
                    let text = self.plain_scalar(value, label, key, "an integer")?;
                    entry.priority = Some(
                        text.parse()
                            .map_err(|_| self.wrong(value, label, key, "an integer"))?,
                    );
                }
                "additional_conditions" => {
                    entry.additional_conditions = Some(self.conditions(value, label)?);
                }
                _ => unreachable!("keys were checked against PATTERN_KEYS"),
            }
        }
        Ok(entry)
    }

    fn conditions(
        &self,
        node: &Node,
        label: Option<&str>,
    ) -> Result<AdditionalConditions, ConfigError> {
        let mut conditions = AdditionalConditions::default();
        for (key, value) in self.mapping(node, label, "additional_conditions", CONDITION_KEYS)? {
            match key {
                "namespace" => conditions.namespace = self.string_list(value, label, key)?,
                "event_reason" => conditions.event_reason = self.string_list(value, label, key)?,
                "min_occurrences" => {
                    let mut count = None;
                    let mut time_window = None;
                    for (field, field_value) in
                        self.mapping(value, label, "min_occurrences", OCCURRENCE_KEYS)?
                    {
                        match field {
                            "count" => {
                                count = Some((
                                    field_value,
                                    self.small_integer(field_value, label, field)?,
                                ));
                            }
                            "time_window" => {
                                time_window =
                                    Some((field_value, self.integer(field_value, label, field)?));
                            }
                            _ => unreachable!("keys were checked against OCCURRENCE_KEYS"),
                        }
                    }
                    let missing = |key: &str| {
                        self.error(
                            value,
                            label,
                            ConfigErrorKind::MissingKey {
                                key: format!("min_occurrences.{key}"),
                            },
                        )
                    };
                    let (count_node, count) = count.ok_or_else(|| missing("count"))?;
                    let (window_node, time_window) =
                        time_window.ok_or_else(|| missing("time_window"))?;
                    if count == 0 {
                        return Err(self.error(
                            count_node,
                            label,
                            ConfigErrorKind::OutOfRange {
                                key: "min_occurrences.count".to_owned(),
                                problem: "must be at least 1",
                            },
                        ));
                    }
                    if time_window == 0 {
                        return Err(self.error(
                            window_node,
                            label,
                            ConfigErrorKind::OutOfRange {
                                key: "min_occurrences.time_window".to_owned(),
                                problem: "must be at least 1 second",
                            },
                        ));
                    }
                    conditions.min_occurrences = Some(MinOccurrences { count, time_window });
                }
                _ => unreachable!("keys were checked against CONDITION_KEYS"),
            }
        }
        Ok(conditions)
    }

    fn wrong(
        &self,
        node: &Node,
        label: Option<&str>,
        key: &str,
        expected: &'static str,
    ) -> ConfigError {
        let found = match &node.value {
            Value::Scalar { text, plain: true } if !node.is_null() => format!("`{text}`"),
            // `max_retries: "3"` is a string in YAML; say so, or the message reads as nonsense.
            Value::Scalar { text, plain: false } => format!("the quoted string {text:?}"),
            _ => node.describe().to_owned(),
        };
        self.error(
            node,
            label,
            ConfigErrorKind::WrongType {
                key: key.to_owned(),
                expected,
                found,
            },
        )
    }

    fn string(&self, node: &Node, label: Option<&str>, key: &str) -> Result<String, ConfigError> {
        match node.as_scalar() {
            Some(text) if !node.is_null() => Ok(text.to_owned()),
            _ => Err(self.wrong(node, label, key, "a string")),
        }
    }

    fn plain_scalar<'n>(
        &self,
        node: &'n Node,
        label: Option<&str>,
        key: &str,
        expected: &'static str,
    ) -> Result<&'n str, ConfigError> {
        match &node.value {
            Value::Scalar {
                text, plain: true, ..
            } if !node.is_null() => Ok(text),
            _ => Err(self.wrong(node, label, key, expected)),
        }
    }

    fn integer(&self, node: &Node, label: Option<&str>, key: &str) -> Result<u64, ConfigError> {
        const EXPECTED: &str = "a non-negative integer";
        let text = self.plain_scalar(node, label, key, EXPECTED)?;
        text.parse()
            .map_err(|_| self.wrong(node, label, key, EXPECTED))
    }

    fn small_integer(
        &self,
        node: &Node,
        label: Option<&str>,
        key: &str,
    ) -> Result<u32, ConfigError> {
        const EXPECTED: &str = "a non-negative integer below 2^32";
        let text = self.plain_scalar(node, label, key, EXPECTED)?;
        text.parse()
            .map_err(|_| self.wrong(node, label, key, EXPECTED))
    }

    fn boolean(&self, node: &Node, label: Option<&str>, key: &str) -> Result<bool, ConfigError> {
        match self.plain_scalar(node, label, key, "true or false")? {
            "true" | "True" | "TRUE" => Ok(true),
            "false" | "False" | "FALSE" => Ok(false),
            _ => Err(self.wrong(node, label, key, "true or false")),
        }
    }

    fn string_list(
        &self,
        node: &Node,
        label: Option<&str>,
        key: &str,
    ) -> Result<Vec<String>, ConfigError> {
        match &node.value {
            Value::Seq(items) => items
                .iter()
                .map(|item| self.string(item, label, key))
                .collect(),
            _ if node.is_null() => Ok(Vec::new()),
            _ => Err(self.wrong(node, label, key, "a list of strings")),
        }
    }
}

/// Check that a regex compiles, reporting where it goes wrong.
pub(crate) fn check_regex(pattern: &str) -> Result<(), ConfigErrorKind> {
    regex_syntax::Parser::new()
        .parse(pattern)
        .map_err(|error| regex_error_kind(&error))?;
    // The syntax is fine; compiling can still fail on size limits.
    regex::Regex::new(pattern)
        .map(|_| ())
        .map_err(|error| ConfigErrorKind::Regex {
            column: 1,
            message: error.to_string(),
        })
}

/// A regex syntax error as a configuration error, with the column where it starts.
pub(crate) fn regex_error_kind(error: &regex_syntax::Error) -> ConfigErrorKind {
    let (column, message) = match error {
        regex_syntax::Error::Parse(error) => (error.span().start.column, error.kind().to_string()),
        regex_syntax::Error::Translate(error) => {
            (error.span().start.column, error.kind().to_string())
        }
        other => (1, other.to_string()),
    };
    ConfigErrorKind::Regex { column, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(text: &str) -> ConfigError {
        PatternConfig::from_yaml(text).expect_err("the configuration should be rejected")
    }

    const MINIMAL: &str =
        "patterns:\n  - name: a\n    error_pattern: boom\n    recovery_action: request_reconcile\n";

    #[test]
    fn reads_a_minimal_document_with_defaults() {
        let config = PatternConfig::from_yaml(MINIMAL).unwrap();
        assert_eq!(config.patterns.len(), 1);
        let entry = &config.patterns[0];
        assert_eq!(entry.recovery_action, Action::RequestReconcile);
        assert_eq!(entry.severity, Severity::Medium);
        assert_eq!(entry.max_retries, None);
    }

    #[test]
    fn unknown_keys_name_entry_and_line() {
        let error = error_of("patterns:\n  - name: a\n    error_pattern: boom\n    recovery_action: request_reconcile\n    max_retry: 3\n");
        assert_eq!(error.line(), Some(5));
        assert_eq!(error.entry(), Some("pattern `a`"));
        assert!(
            matches!(error.kind(), ConfigErrorKind::UnknownKey { key, .. } if key == "max_retry")
        );
        assert!(
            error
                .to_string()
                .starts_with("line 5: pattern `a`: unknown key `max_retry`"),
            "{error}"
        );
        let top = error_of("patterns: []\nextra: 1\n");
        assert_eq!(top.line(), Some(2));
    }

    #[test]
    fn invalid_regex_reports_column() {
        let error = error_of("patterns:\n  - name: a\n    error_pattern: 'ok(?<=x)'\n    recovery_action: request_reconcile\n");
        assert_eq!(error.line(), Some(3));
        let ConfigErrorKind::Regex { column, message } = error.kind() else {
            panic!("{error}")
        };
        assert_eq!(*column, 3, "{message}");
        let unclosed = error_of("patterns:\n  - name: b\n    error_pattern: 'a[bc'\n    recovery_action: request_reconcile\n");
        assert!(
            matches!(unclosed.kind(), ConfigErrorKind::Regex { column: 2, .. }),
            "{unclosed}"
        );
    }

    #[test]
    fn unknown_actions_are_errors_unless_declared() {
        let text =
            "patterns:\n  - name: a\n    error_pattern: boom\n    recovery_action: page_oncall\n";
        let error = error_of(text);
        assert_eq!(error.line(), Some(4));
        assert!(
            error
                .to_string()
                .contains("declare it under `recovery_actions:`"),
            "{error}"
        );
        let declared = format!("recovery_actions:\n  page_oncall:\n    description: Page\n    steps: [notify]\n    timeout: 60\n{text}");
        let config = PatternConfig::from_yaml(&declared).unwrap();
        assert_eq!(
            config.patterns[0].recovery_action,
            Action::Custom("page_oncall".to_owned())
        );
        assert_eq!(config.recovery_actions["page_oncall"].timeout, Some(60));
    }

    #[test]
    fn duplicate_names_point_at_both_lines() {
        let error = error_of(&format!(
            "{MINIMAL}  - name: a\n    error_pattern: other\n    recovery_action: fix_in_git\n"
        ));
        assert_eq!(error.line(), Some(5));
        assert!(
            matches!(
                error.kind(),
                ConfigErrorKind::DuplicateName { first_line: 2, .. }
            ),
            "{error}"
        );
    }

    #[test]
    fn type_errors_and_missing_keys() {
        let error = error_of("patterns:\n  - name: a\n    error_pattern: boom\n    recovery_action: fix_in_git\n    max_retries: three\n");
        assert!(
            error
                .to_string()
                .contains("`max_retries` must be a non-negative integer below 2^32, found `three`"),
            "{error}"
        );
        let quoted = error_of("patterns:\n  - name: a\n    error_pattern: boom\n    recovery_action: fix_in_git\n    max_retries: \"3\"\n");
        assert!(
            quoted
                .to_string()
                .ends_with("found the quoted string \"3\""),
            "{quoted}"
        );
        let error = error_of("patterns:\n  - name: a\n    recovery_action: fix_in_git\n");
        assert_eq!(error.line(), Some(2));
        assert!(
            matches!(error.kind(), ConfigErrorKind::MissingKey { key } if key == "error_pattern")
        );
        let error = error_of("patterns:\n  - error_pattern: x\n    recovery_action: fix_in_git\n");
        assert_eq!(error.entry(), Some("patterns[0]"));
        let error = error_of("patterns:\n  - name: a\n    error_pattern: boom\n    recovery_action: fix_in_git\n    severity: urgent\n");
        assert!(matches!(
            error.kind(),
            ConfigErrorKind::UnknownSeverity { .. }
        ));
        let error = error_of("patterns:\n  - name: a\n    error_pattern: boom\n    recovery_action: fix_in_git\n    additional_conditions:\n      min_occurrences: {count: 0, time_window: 5}\n");
        assert_eq!(error.line(), Some(6));
        assert!(error_of("").to_string().contains("empty"));
        assert!(error_of("patterns: [").to_string().starts_with("line "));
        assert!(matches!(
            error_of("recovery_actions: {}\n").kind(),
            ConfigErrorKind::MissingKey { .. }
        ));
    }

    #[test]
    fn configmap_wrapper_maps_lines_to_the_file() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  recovery-patterns.yaml: |\n    patterns:\n      - name: a\n        error_pattern: boom\n        recovery_action: nope\n";
        let error = error_of(text);
        assert_eq!(error.line(), Some(10), "{error}");
        let fixed = text.replace("nope", "fix_in_git");
        assert_eq!(
            PatternConfig::from_yaml(&fixed).unwrap().patterns[0].name,
            "a"
        );
        let missing = error_of("kind: ConfigMap\ndata:\n  other.yaml: x\n");
        assert!(matches!(
            missing.kind(),
            ConfigErrorKind::MissingConfigMapKey
        ));
    }

    #[test]
    fn merging_replaces_by_name_and_puts_own_entries_first() {
        let base = PatternConfig::from_yaml(&format!(
            "{MINIMAL}  - name: b\n    error_pattern: x\n    recovery_action: fix_in_git\n"
        ))
        .unwrap();
        let own = PatternConfig::from_yaml("patterns:\n  - name: b\n    error_pattern: y\n    recovery_action: retry_source\n  - name: c\n    error_pattern: z\n    recovery_action: fix_in_git\n").unwrap();
        let merged = own.merged_over(base);
        let names: Vec<_> = merged
            .patterns
            .iter()
            .map(|p| (p.name.as_str(), p.error_pattern.as_str()))
            .collect();
        assert_eq!(names, [("b", "y"), ("c", "z"), ("a", "boom")]);
    }

    #[test]
    fn round_trips_through_yaml() {
        let text = "recovery_actions:\n  page: {description: p, steps: [a, b], timeout: 5}\npatterns:\n  - name: a\n    error_pattern: 'x: \"y\"'\n    recovery_action: page\n    max_retries: 2\n    applies_to: [HelmRelease]\n    cleanup_dependencies: true\n    severity: critical\n    description: d\n    validation_required: true\n    priority: -3\n    additional_conditions:\n      min_occurrences: {count: 2, time_window: 300}\n      namespace: [flux-system]\n      event_reason: [Failed]\nsettings:\n  check_interval: 60\n  nested: {list: [1, two]}\n";
        let config = PatternConfig::from_yaml(text).unwrap();
        let again = PatternConfig::from_yaml(&config.to_yaml()).unwrap();
        assert_eq!(config, again);
    }
}
