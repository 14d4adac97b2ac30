//! What to do about a classified message, and how bad it is.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A recovery action. The nine built-in actions are the vocabulary the controller implements;
/// configuration files may declare their own, which arrive as [`Action::Custom`].
///
/// Serialised as its `snake_case` name (`recreate_resource`, …); a custom action as its own name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// An applied object hit an immutable field (any kind, any wrapper, webhook or CEL denials
    /// included): delete it so the next apply recreates it.
    RecreateResource,
    /// A Helm upgrade failed: roll the release back to its last good revision.
    RollbackHelmRelease,
    /// Install or upgrade retries are exhausted: reset the `HelmRelease`'s failure counters.
    ResetHelmRelease,
    /// Another Helm operation is in progress, or the release is stuck in a pending state.
    UnlockHelmRelease,
    /// A dependency is not ready yet: wait, change nothing.
    WaitForDependencies,
    /// The source or its artifact is missing or failed to fetch: reconcile the source.
    RetrySource,
    /// A transient failure (timeouts, health-check timeouts, rate limiting): ask for a reconcile.
    RequestReconcile,
    /// The desired state itself is wrong (kustomize build failed, invalid manifest): fix it in git.
    FixInGit,
    /// The target namespace is being deleted: nothing can be created in it until it is gone.
    NamespaceTerminating,
    /// An action declared by a configuration file's `recovery_actions`.
    Custom(String),
}

impl Action {
    /// Every built-in action, in documentation order.
    pub const BUILTIN: [Action; 9] = [
        Action::RecreateResource,
        Action::RollbackHelmRelease,
        Action::ResetHelmRelease,
        Action::UnlockHelmRelease,
        Action::WaitForDependencies,
        Action::RetrySource,
        Action::RequestReconcile,
        Action::FixInGit,
        Action::NamespaceTerminating,
    ];

    /// The action's name as written in configuration files.
    pub fn as_str(&self) -> &str {
        match self {
            Action::RecreateResource => "recreate_resource",
            Action::RollbackHelmRelease => "rollback_helm_release",
            Action::ResetHelmRelease => "reset_helm_release",
            Action::UnlockHelmRelease => "unlock_helm_release",
            Action::WaitForDependencies => "wait_for_dependencies",
            Action::RetrySource => "retry_source",
            Action::RequestReconcile => "request_reconcile",
            Action::FixInGit => "fix_in_git",
            Action::NamespaceTerminating => "namespace_terminating",
            Action::Custom(name) => name,
        }
    }

    /// The built-in action with this name, if there is one.
    pub fn builtin(name: &str) -> Option<Action> {
        Action::BUILTIN
            .into_iter()
            .find(|action| action.as_str() == name)
    }

    /// A built-in action for its name, otherwise a custom one. Whether a custom name is allowed
    /// is the configuration reader's business (it must be declared under `recovery_actions`).
    pub fn from_name(name: &str) -> Action {
        Action::builtin(name).unwrap_or_else(|| Action::Custom(name.to_owned()))
    }

    /// Whether this is one of the built-in actions.
    pub fn is_builtin(&self) -> bool {
        !matches!(self, Action::Custom(_))
    }

    /// Whether carrying the action out changes the cluster at all. `wait_for_dependencies`,
    /// `fix_in_git` and `namespace_terminating` only tell a human what is wrong; custom actions
    /// are unknown and reported as changing the cluster, to stay on the safe side.
    pub fn changes_cluster(&self) -> bool {
        !matches!(
            self,
            Action::WaitForDependencies | Action::FixInGit | Action::NamespaceTerminating
        )
    }

    /// Whether the action deletes something (only `recreate_resource` among the built-ins;
    /// custom actions count as destructive because nothing is known about them).
    pub fn is_destructive(&self) -> bool {
        matches!(self, Action::RecreateResource | Action::Custom(_))
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = std::convert::Infallible;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Ok(Action::from_name(name))
    }
}

impl Serialize for Action {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Ok(Action::from_name(&name))
    }
}

/// How urgent a classified failure is. Ordered: `Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Expected to clear by itself (waiting for a dependency).
    Low,
    /// Needs attention if it persists.
    Medium,
    /// Blocks delivery until someone or something acts.
    High,
    /// Blocks delivery and automatic remediation is exhausted or risky.
    Critical,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 4] = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The severity's name as written in configuration files.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The severity with this name (`low`, `medium`, `high`, `critical`).
    pub fn from_name(name: &str) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|severity| severity.as_str() == name)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_names_round_trip() {
        for action in Action::BUILTIN {
            assert_eq!(Action::from_name(action.as_str()), action);
            let json = serde_json::to_string(&action).unwrap();
            assert_eq!(json, format!("\"{}\"", action.as_str()));
            assert_eq!(serde_json::from_str::<Action>(&json).unwrap(), action);
        }
    }

    #[test]
    fn custom_actions_keep_their_name() {
        let action = Action::from_name("page_the_oncall");
        assert_eq!(action, Action::Custom("page_the_oncall".to_owned()));
        assert!(!action.is_builtin());
        assert!(action.is_destructive());
        assert_eq!(
            serde_json::to_string(&action).unwrap(),
            "\"page_the_oncall\""
        );
    }

    #[test]
    fn only_three_builtins_leave_the_cluster_alone() {
        let passive: Vec<_> = Action::BUILTIN
            .into_iter()
            .filter(|a| !a.changes_cluster())
            .collect();
        assert_eq!(
            passive,
            [
                Action::WaitForDependencies,
                Action::FixInGit,
                Action::NamespaceTerminating
            ]
        );
    }

    #[test]
    fn severities_order_and_parse() {
        assert!(Severity::Low < Severity::Critical);
        assert_eq!(Severity::from_name("high"), Some(Severity::High));
        assert_eq!(Severity::from_name("High"), None);
        assert_eq!(
            serde_json::to_string(&Severity::Medium).unwrap(),
            "\"medium\""
        );
    }
}
