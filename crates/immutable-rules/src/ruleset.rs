//! A [`RuleSet`]: the built-in rules plus user rule files and rules derived from CRDs.

use serde_json::Value;

use crate::context::Context;
use crate::custom::{self, CustomRule, SkippedValidation};
use crate::error::{CrdError, RuleFileError};
use crate::rules::{self, Checker};
use crate::update::Update;
use crate::violation::{ObjectRef, Violation};

/// The built-in rules (always on), the `gitops.flux.io/immutable-fields` annotation, and any
/// user or CRD-derived rules added to the set.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    custom: Vec<CustomRule>,
    skipped: Vec<SkippedValidation>,
}

impl RuleSet {
    /// The built-in rules only.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add the rules of a user rule file (see the crate docs for the format). `file` names the
    /// file in errors. Returns how many field rules were added.
    pub fn add_rule_file(&mut self, file: &str, text: &str) -> Result<usize, RuleFileError> {
        let rules = custom::parse_rule_file(file, text)?;
        let added = rules.len();
        self.custom.extend(rules);
        Ok(added)
    }

    /// Add the transition rules (`x-kubernetes-validations` using `oldSelf`) of a
    /// CustomResourceDefinition. Returns how many rules were derived; rules the engine cannot
    /// interpret are listed by [`RuleSet::skipped_validations`].
    pub fn add_crd(&mut self, crd: &Value) -> Result<usize, CrdError> {
        let (rules, mut skipped) = custom::rules_from_crd(crd)?;
        let added = rules.len();
        self.custom.extend(rules);
        self.skipped.append(&mut skipped);
        Ok(added)
    }

    /// The user and CRD-derived rules in the set.
    pub fn custom_rules(&self) -> &[CustomRule] {
        &self.custom
    }

    /// Transition rules of the added CRDs that the engine does not interpret.
    pub fn skipped_validations(&self) -> &[SkippedValidation] {
        &self.skipped
    }

    /// Every violation the update from `old` to `new` would hit.
    pub fn check(&self, old: &Value, new: &Value, ctx: &Context) -> Vec<Violation> {
        let mut out = Vec::new();
        let mut object = ObjectRef::of(new);
        if object.kind.is_empty() || object.name.is_empty() {
            let from_old = ObjectRef::of(old);
            if object.kind.is_empty() {
                object.group = from_old.group;
                object.version = from_old.version;
                object.kind = from_old.kind;
            }
            if object.name.is_empty() {
                object.name = from_old.name;
            }
            if object.namespace.is_none() {
                object.namespace = from_old.namespace;
            }
        }
        let upd = Update {
            old,
            new,
            mode: ctx.mode,
        };
        let mut checker = Checker::new(upd, ctx, &object, &mut out);
        if rules::check_builtin(&mut checker) {
            custom::annotation_rules(&mut checker);
            for rule in &self.custom {
                rule.evaluate(&mut checker);
            }
        }
        out
    }
}
