//! The description of every built-in rule, for listings (`unstuck rules`) and for the
//! violations the rules produce.

use serde::Serialize;

use crate::violation::{Remediation, Severity};

/// One built-in rule: which kinds and fields it covers, when the server refuses the change, and
/// which releases behave that way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleInfo {
    /// Stable kebab-case id, e.g. `deployment-selector`.
    pub id: &'static str,
    /// Kinds the rule applies to, as `Kind.group` (`Kind` alone for the core group), or `*`.
    pub kinds: &'static [&'static str],
    /// Field paths the rule watches (`[]` stands for every list entry).
    pub fields: &'static [&'static str],
    /// When the API server refuses the change.
    pub condition: &'static str,
    /// Which server releases behave this way.
    pub versions: &'static str,
    /// The usual severity (some rules lower it when cluster state or version is unknown).
    pub severity: Severity,
    /// Ways out, most appropriate first.
    pub remediations: &'static [Remediation],
}

pub(crate) use crate::rules::BUILTIN;

/// Every built-in rule, in a stable order.
///
/// ```
/// let ids: Vec<&str> = immutable_rules::builtin_rules().iter().map(|r| r.id).collect();
/// assert!(ids.contains(&"deployment-selector"));
/// assert!(!ids.iter().any(|id| id.contains("node-port") && id.contains("immutable")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn builtin_rules() -> &'static [&'static RuleInfo] {
    BUILTIN
}

/// The built-in rule with this id.
pub fn builtin_rule(id: &str) -> Option<&'static RuleInfo> {
    BUILTIN.iter().copied().find(|rule| rule.id == id)
}
