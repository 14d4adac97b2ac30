//! A compiled set of patterns and the classification it produces.

use indexmap::IndexMap;
use regex::{Regex, RegexSet};
use serde::{Deserialize, Serialize};

use crate::action::{Action, Severity};
use crate::config::{
    regex_error_kind, ActionDefinition, ConfigError, MinOccurrences, PatternConfig, PatternEntry,
};
use crate::lines::{content_lines, without_change_log};
use crate::target::{parse_target, Target};
use crate::verdict::{is_failure, is_progress, UnknownFailure, Verdict};

/// Priority of a user pattern that does not set one: ahead of every built-in (5–50).
pub const DEFAULT_USER_PRIORITY: i32 = 100;

/// Retries allowed when a pattern does not say (the built-ins always do).
pub const DEFAULT_MAX_RETRIES: u32 = 3;

/// What a message means and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    /// Name of the pattern that matched.
    pub pattern: String,
    /// What to do.
    pub action: Action,
    /// How urgent it is.
    pub severity: Severity,
    /// The object the message names, when it names one.
    pub target: Option<Target>,
    /// How often the action may be tried for one object before escalating.
    pub max_retries: u32,
    /// Sightings required within a window before acting.
    pub min_occurrences: Option<MinOccurrences>,
    /// The pattern's description.
    pub description: Option<String>,
    /// Carried from the pattern for the controller.
    pub cleanup_dependencies: bool,
    /// Carried from the pattern: a human must confirm the action.
    pub validation_required: bool,
    /// Whether the pattern is one of the built-ins.
    pub builtin: bool,
}

/// What is known about the message besides its text; everything unknown is `None` and never
/// rules a pattern out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Context<'a> {
    /// The message (a condition message or an event note).
    pub message: &'a str,
    /// Kind of the object whose status carries the message (`Kustomization`, `HelmRelease`).
    pub carrier_kind: Option<&'a str>,
    /// Namespace of the carrier.
    pub namespace: Option<&'a str>,
    /// The condition reason (`ReconciliationFailed`, `UpgradeFailed`) or event reason.
    pub reason: Option<&'a str>,
}

impl<'a> Context<'a> {
    /// A context with only the message known.
    pub fn new(message: &'a str) -> Self {
        Context {
            message,
            ..Context::default()
        }
    }
}

#[derive(Debug, Clone)]
struct Compiled {
    entry: PatternEntry,
    builtin: bool,
    /// Compiled only when the regex names `kind`/`namespace`/`name`/`field` groups.
    captures: Option<Regex>,
}

/// Patterns compiled into one [`RegexSet`], ordered most specific first.
///
/// Order: higher `priority` first; among equal priorities the regex with the longer minimal
/// match (a more specific text) first; then the order the patterns were given in.
#[derive(Debug, Clone)]
pub struct PatternSet {
    patterns: Vec<Compiled>,
    set: RegexSet,
    actions: IndexMap<String, ActionDefinition>,
}

impl PatternSet {
    /// The built-in patterns.
    pub fn builtin() -> PatternSet {
        Self::compile(crate::builtin::config())
            .unwrap_or_else(|error| unreachable!("built-in patterns compile: {error}"))
    }

    /// The built-in patterns as a configuration document (to print, or to start a file from).
    pub fn builtin_config() -> PatternConfig {
        crate::builtin::config()
    }

    /// Only the patterns of a `recovery-patterns.yaml` document (or `ConfigMap`), no built-ins.
    pub fn from_yaml(text: &str) -> Result<PatternSet, ConfigError> {
        Self::from_config(PatternConfig::from_yaml(text)?)
    }

    /// A document's patterns merged over the built-ins: same-named entries replace built-ins,
    /// and user patterns default to a priority ahead of every built-in.
    pub fn builtin_with_yaml(text: &str) -> Result<PatternSet, ConfigError> {
        Self::builtin_with(PatternConfig::from_yaml(text)?)
    }

    /// `user` merged over the built-ins (see [`PatternSet::builtin_with_yaml`]).
    pub fn builtin_with(user: PatternConfig) -> Result<PatternSet, ConfigError> {
        Self::compile(user.merged_over(crate::builtin::config()))
    }

    /// Compile a configuration as given (no built-ins added).
    pub fn from_config(config: PatternConfig) -> Result<PatternSet, ConfigError> {
        Self::compile(config)
    }

    fn compile(config: PatternConfig) -> Result<PatternSet, ConfigError> {
        let builtin_config = crate::builtin::config();
        // `from_yaml` already rejects duplicates with their lines; configurations built in code
        // are checked here.
        let mut names = std::collections::HashSet::new();
        if let Some(repeated) = config
            .patterns
            .iter()
            .find(|entry| !names.insert(entry.name.as_str()))
        {
            let kind = crate::config::ConfigErrorKind::RepeatedName {
                name: repeated.name.clone(),
            };
            return Err(ConfigError::new(
                None,
                Some(format!("pattern `{}`", repeated.name)),
                kind,
            ));
        }
        let mut ranked = Vec::with_capacity(config.patterns.len());
        for (index, entry) in config.patterns.into_iter().enumerate() {
            let label = || Some(format!("pattern `{}`", entry.name));
            // Parsed once here for the error position and the specificity; the RegexSet below
            // compiles it (and reports size-limit errors).
            let hir = regex_syntax::Parser::new()
                .parse(&entry.error_pattern)
                .map_err(|error| ConfigError::new(None, label(), regex_error_kind(&error)))?;
            if !entry.recovery_action.is_builtin()
                && !config
                    .recovery_actions
                    .contains_key(entry.recovery_action.as_str())
            {
                let kind = crate::config::ConfigErrorKind::UnknownAction {
                    action: entry.recovery_action.to_string(),
                };
                return Err(ConfigError::new(None, label(), kind));
            }
            // Unchanged built-ins keep their built-in status even inside a merged set.
            let builtin = builtin_config.patterns.contains(&entry);
            let priority = entry.priority.unwrap_or(DEFAULT_USER_PRIORITY);
            let min_len = hir.properties().minimum_len().unwrap_or(0);
            let wants_captures = ["kind", "namespace", "name", "field"].iter().any(|group| {
                entry.error_pattern.contains(&format!("(?P<{group}>"))
                    || entry.error_pattern.contains(&format!("(?<{group}>"))
            });
            let captures = if wants_captures {
                Some(Regex::new(&entry.error_pattern).map_err(|error| {
                    ConfigError::new(
                        None,
                        label(),
                        crate::config::ConfigErrorKind::Regex {
                            column: 1,
                            message: error.to_string(),
                        },
                    )
                })?)
            } else {
                None
            };
            ranked.push((
                (
                    std::cmp::Reverse(priority),
                    std::cmp::Reverse(min_len),
                    index,
                ),
                Compiled {
                    entry,
                    builtin,
                    captures,
                },
            ));
        }
        ranked.sort_by_key(|a| a.0);
        let patterns: Vec<Compiled> = ranked.into_iter().map(|(_, compiled)| compiled).collect();
        let set = RegexSet::new(patterns.iter().map(|p| p.entry.error_pattern.as_str())).map_err(
            |error| {
                ConfigError::new(
                    None,
                    None,
                    crate::config::ConfigErrorKind::Regex {
                        column: 1,
                        message: error.to_string(),
                    },
                )
            },
        )?;
        Ok(PatternSet {
            patterns,
            set,
            actions: config.recovery_actions,
        })
    }

    /// Classify a message. `carrier_kind` is the kind of the object whose status carries it,
    /// when known; patterns whose `applies_to` excludes it (and the kind the message names) are
    /// skipped.
    ///
    /// ```
    /// use recovery_patterns::{Action, PatternSet};
    ///
    /// let patterns = PatternSet::builtin();
    /// let found = patterns
    ///     .classify("Helm upgrade failed: another operation (install/upgrade/rollback) is in progress", Some("HelmRelease"))
    ///     .expect("a known message");
    /// assert_eq!(found.action, Action::UnlockHelmRelease);
    /// assert!(patterns.classify("Applied revision: main@sha1:4f1c2b", Some("Kustomization")).is_none());
    /// ```
    pub fn classify(&self, message: &str, carrier_kind: Option<&str>) -> Option<Classification> {
        self.classify_with(&Context {
            message,
            carrier_kind,
            ..Context::default()
        })
    }

    /// Classify with everything known about the message.
    ///
    /// Apply change-log lines (`Deployment/apps/web configured`) are dropped before matching,
    /// and a message whose first line is progress or success (`Applied revision: …`) matches
    /// nothing, whatever words follow it.
    pub fn classify_with(&self, context: &Context<'_>) -> Option<Classification> {
        self.best(context).map(|(_, found)| found)
    }

    /// What the message says: a [`Verdict::Known`] classification when a pattern matches, else
    /// the documented [`Verdict::Unknown`] default for a failure, or [`Verdict::NotAFailure`] for
    /// progress and success messages.
    ///
    /// ```
    /// use recovery_patterns::{Context, PatternSet, Verdict, UNKNOWN_NEXT_STEP};
    ///
    /// let patterns = PatternSet::builtin();
    /// let unknown = patterns.verdict(&Context::new("Could not determine release state: boom"));
    /// let Verdict::Unknown(failure) = unknown else { panic!("a failure") };
    /// assert_eq!(failure.next_step, UNKNOWN_NEXT_STEP);
    /// assert_eq!(patterns.verdict(&Context::new("Reconciliation in progress")), Verdict::NotAFailure);
    /// ```
    pub fn verdict(&self, context: &Context<'_>) -> Verdict {
        if let Some(found) = self.classify_with(context) {
            return Verdict::Known(found);
        }
        let text = without_change_log(context.message);
        let first = content_lines(&text).next().unwrap_or("");
        if is_failure(first, &text, context.reason) {
            Verdict::Unknown(UnknownFailure::new(
                first,
                parse_target(&text, context.carrier_kind),
            ))
        } else {
            Verdict::NotAFailure
        }
    }

    /// The line of a multi-line message that carries the failure: the first line the deciding
    /// pattern matches on, else the first line that is not blank and not an apply change-log
    /// entry. A one-line message is its own meaningful line.
    ///
    /// ```
    /// use recovery_patterns::{Context, PatternSet};
    ///
    /// let message = "pre-upgrade hooks failed: 1 error occurred:\n\t* timed out waiting for the condition\n\n";
    /// let line = PatternSet::builtin().meaningful_line(&Context::new(message));
    /// assert_eq!(line, "* timed out waiting for the condition");
    /// ```
    pub fn meaningful_line<'m>(&self, context: &Context<'m>) -> &'m str {
        let message = context.message;
        if let Some((index, _)) = self.best(context) {
            if let Some(line) =
                content_lines(message).find(|line| self.set.matches(line).matched(index))
            {
                return line;
            }
        }
        content_lines(message).next().unwrap_or("")
    }

    /// The winning pattern's index and its classification.
    fn best(&self, context: &Context<'_>) -> Option<(usize, Classification)> {
        let text = without_change_log(context.message);
        let message = text.as_ref();
        if content_lines(message).next().is_some_and(is_progress) {
            return None;
        }
        let matches = self.set.matches(message);
        if !matches.matched_any() {
            return None;
        }
        let mut target: Option<Option<Target>> = None;
        for index in &matches {
            let compiled = &self.patterns[index];
            let parsed = target.get_or_insert_with(|| parse_target(message, context.carrier_kind));
            if !applies(&compiled.entry, context, parsed.as_ref()) {
                continue;
            }
            let mut found = parsed.clone();
            if let Some(regex) = &compiled.captures {
                found = with_captures(regex, message, found);
            }
            let entry = &compiled.entry;
            return Some((
                index,
                Classification {
                    pattern: entry.name.clone(),
                    action: entry.recovery_action.clone(),
                    severity: entry.severity,
                    target: found,
                    max_retries: entry.max_retries.unwrap_or(DEFAULT_MAX_RETRIES),
                    min_occurrences: entry
                        .additional_conditions
                        .as_ref()
                        .and_then(|c| c.min_occurrences),
                    description: entry.description.clone().or_else(|| {
                        self.actions
                            .get(entry.recovery_action.as_str())
                            .and_then(|a| a.description.clone())
                    }),
                    cleanup_dependencies: entry.cleanup_dependencies,
                    validation_required: entry.validation_required,
                    builtin: compiled.builtin,
                },
            ));
        }
        None
    }

    /// The patterns in match order.
    pub fn patterns(&self) -> impl Iterator<Item = &PatternEntry> {
        self.patterns.iter().map(|p| &p.entry)
    }

    /// Declared actions (from `recovery_actions:`).
    pub fn actions(&self) -> &IndexMap<String, ActionDefinition> {
        &self.actions
    }

    /// Number of patterns.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// Whether the set has no patterns.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }
}

fn applies(entry: &PatternEntry, context: &Context<'_>, target: Option<&Target>) -> bool {
    let kind_ok = entry.applies_to.is_empty()
        || match context.carrier_kind {
            None => true,
            Some(carrier) => {
                let listed = |kind: &str| {
                    entry
                        .applies_to
                        .iter()
                        .any(|k| k.eq_ignore_ascii_case(kind))
                };
                listed(carrier) || target.is_some_and(|t| listed(&t.kind))
            }
        };
    let Some(conditions) = &entry.additional_conditions else {
        return kind_ok;
    };
    let namespace = target
        .and_then(|t| t.namespace.as_deref())
        .or(context.namespace);
    let namespace_ok = conditions.namespace.is_empty()
        || namespace.is_none_or(|ns| conditions.namespace.iter().any(|n| n == ns))
        || context
            .namespace
            .is_some_and(|ns| conditions.namespace.iter().any(|n| n == ns));
    let reason_ok = conditions.event_reason.is_empty()
        || context
            .reason
            .is_none_or(|reason| conditions.event_reason.iter().any(|r| r == reason));
    kind_ok && namespace_ok && reason_ok
}

/// Let a user pattern's named groups fill in or override the parsed target.
fn with_captures(regex: &Regex, message: &str, parsed: Option<Target>) -> Option<Target> {
    // An alternation may match first where its named groups do not take part; the first match
    // that names something is the one to use.
    let named = regex.captures_iter(message).find(|captures| {
        ["kind", "namespace", "name", "field"]
            .iter()
            .any(|group| captures.name(group).is_some_and(|m| !m.as_str().is_empty()))
    });
    let Some(captures) = named else {
        return parsed;
    };
    // An empty capture (a cluster-scoped object's `in namespace ""`) says nothing.
    let group = |name: &str| {
        captures
            .name(name)
            .map(|m| m.as_str().to_owned())
            .filter(|text| !text.is_empty())
    };
    let mut target = parsed.unwrap_or(Target {
        kind: String::new(),
        namespace: None,
        name: String::new(),
        field: None,
    });
    if let Some(kind) = group("kind") {
        target.kind = kind;
    }
    if let Some(name) = group("name") {
        target.name = name;
    }
    if let Some(namespace) = group("namespace") {
        target.namespace = Some(namespace);
    }
    if let Some(field) = group("field") {
        target.field = Some(field);
    }
    (!target.kind.is_empty() && !target.name.is_empty()).then_some(target)
}
