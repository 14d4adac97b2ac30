//! Controller configuration: mode, thresholds and the safety switches.
//!
//! The configuration is plain data with safe defaults (`dry-run`, protected kinds protected, at most
//! three destructive actions per hour). The binary fills it from flags and an optional YAML file.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// What the controller is allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Watch and export metrics only: no decisions are reported, nothing is written.
    Observe,
    /// Decide, and report what would be done (Events, logs, metrics), but change nothing.
    #[default]
    DryRun,
    /// Carry the decided actions out.
    Enforce,
}

impl Mode {
    /// The mode's name as used on the command line and in metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Observe => "observe",
            Mode::DryRun => "dry-run",
            Mode::Enforce => "enforce",
        }
    }
}

impl std::str::FromStr for Mode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "observe" => Ok(Mode::Observe),
            "dry-run" | "dryrun" => Ok(Mode::DryRun),
            "enforce" => Ok(Mode::Enforce),
            other => Err(format!(
                "unknown mode `{other}`: use observe, dry-run or enforce"
            )),
        }
    }
}

/// How dependents of a deleted object are treated (Kubernetes `propagationPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Propagation {
    /// Leave dependents in place (their owner references are removed).
    Orphan,
    /// Delete dependents in the background after the owner is gone.
    Background,
    /// Delete dependents before the owner.
    Foreground,
}

/// Kinds the controller never deletes unless the configuration allow-lists them by name.
pub const PROTECTED_KINDS: [&str; 5] = [
    "Namespace",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Secret",
    "CustomResourceDefinition",
];

/// The full controller configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// Operating mode.
    pub mode: Mode,
    /// Seconds an object must keep failing for one generation and source revision before it counts
    /// as stuck.
    pub stuck_threshold_secs: u64,
    /// Per-pattern overrides of [`Config::stuck_threshold_secs`], keyed by pattern name.
    pub pattern_thresholds: BTreeMap<String, u64>,
    /// Protected kinds that may nevertheless be deleted (explicit opt-in, by kind name).
    pub allow_delete_kinds: BTreeSet<String>,
    /// At most this many destructive actions per [`Config::destructive_window_secs`], cluster-wide.
    pub max_destructive_actions: u32,
    /// Window of the destructive rate limit.
    pub destructive_window_secs: u64,
    /// Propagation policy per kind, over the built-in defaults of [`default_propagation`].
    pub propagation: BTreeMap<String, Propagation>,
    /// Seconds after an action within which the object must become Ready for the action to count
    /// as a success.
    pub verify_timeout_secs: u64,
    /// Minimum seconds between two sightings of the same failure (the resync interval while stuck).
    pub sighting_interval_secs: u64,
    /// Namespace holding backups (Secrets) of deleted objects: the controller's own namespace.
    pub backup_namespace: String,
    /// Seconds `recreate_resource` waits for a deleted object to be gone (finalizers, foreground
    /// deletion) before requesting the reconcile; if it is still there, the request follows on a
    /// later reconcile once it is gone.
    pub deletion_wait_secs: u64,
    /// `apiVersion` per Flux source kind, over `source.toolkit.fluxcd.io/v1` (e.g.
    /// `OCIRepository: source.toolkit.fluxcd.io/v1beta2` before Flux 2.6). A `sourceRef` or
    /// `chartRef` that names its `apiVersion` is used as written.
    pub source_api_versions: BTreeMap<String, String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            mode: Mode::DryRun,
            stuck_threshold_secs: 300,
            pattern_thresholds: BTreeMap::new(),
            allow_delete_kinds: BTreeSet::new(),
            max_destructive_actions: 3,
            destructive_window_secs: 3600,
            propagation: BTreeMap::new(),
            verify_timeout_secs: 600,
            sighting_interval_secs: 60,
            backup_namespace: "unstuck-system".to_owned(),
            deletion_wait_secs: 60,
            source_api_versions: BTreeMap::new(),
        }
    }
}

/// A configuration file could not be read.
#[derive(Debug, thiserror::Error)]
#[error("invalid controller configuration")]
pub struct ConfigError(#[from] serde_yaml_ng::Error);

impl Config {
    /// Reads a YAML configuration; absent keys keep their defaults.
    ///
    /// ```
    /// use unstuck_controller::config::{Config, Mode};
    /// let config = Config::from_yaml("mode: enforce\nstuckThresholdSecs: 600\n")?;
    /// assert_eq!(config.mode, Mode::Enforce);
    /// assert_eq!(config.stuck_threshold_secs, 600);
    /// assert_eq!(config.max_destructive_actions, 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_yaml(text: &str) -> Result<Config, ConfigError> {
        if text.trim().is_empty() {
            return Ok(Config::default());
        }
        Ok(serde_yaml_ng::from_str(text)?)
    }

    /// The stuck threshold for a pattern (or the default one when no pattern matched).
    pub fn threshold_for(&self, pattern: Option<&str>) -> u64 {
        pattern
            .and_then(|p| self.pattern_thresholds.get(p))
            .copied()
            .unwrap_or(self.stuck_threshold_secs)
    }

    /// Whether deleting an object of `kind` is allowed at all.
    pub fn may_delete_kind(&self, kind: &str) -> bool {
        !is_protected_kind(kind) || self.allow_delete_kinds.contains(kind)
    }

    /// The `apiVersion` of the Flux source kind `kind`.
    pub fn source_api_version(&self, kind: &str) -> String {
        self.source_api_versions
            .get(kind)
            .cloned()
            .unwrap_or_else(|| crate::flux::DEFAULT_SOURCE_API_VERSION.to_owned())
    }

    /// The propagation policy used when deleting an object of `kind`.
    pub fn propagation_for(&self, kind: &str) -> Propagation {
        self.propagation
            .get(kind)
            .copied()
            .unwrap_or_else(|| default_propagation(kind))
    }
}

/// The built-in propagation policy of a kind.
///
/// StatefulSet: orphan, so its pods and their PersistentVolumeClaims survive the recreation and the
/// new StatefulSet adopts them. Everything else: background, as Flux's own force-apply does (a Job's
/// pods must go with it; a Deployment's old ReplicaSets would otherwise linger unowned).
pub fn default_propagation(kind: &str) -> Propagation {
    match kind {
        "StatefulSet" => Propagation::Orphan,
        _ => Propagation::Background,
    }
}

/// Whether `kind` is one of the [`PROTECTED_KINDS`].
pub fn is_protected_kind(kind: &str) -> bool {
    PROTECTED_KINDS.contains(&kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_safe() {
        let c = Config::default();
        assert_eq!(c.mode, Mode::DryRun);
        for kind in PROTECTED_KINDS {
            assert!(
                !c.may_delete_kind(kind),
                "{kind} must be protected by default"
            );
        }
        assert!(c.may_delete_kind("Deployment"));
        assert_eq!(c.propagation_for("StatefulSet"), Propagation::Orphan);
        assert_eq!(c.propagation_for("Job"), Propagation::Background);
    }

    #[test]
    fn allow_list_and_thresholds_from_yaml() {
        let c = Config::from_yaml(
            "allowDeleteKinds: [PersistentVolumeClaim]\npatternThresholds: {field-immutable: 60}\npropagation: {Deployment: Foreground}\n",
        )
        .unwrap();
        assert!(c.may_delete_kind("PersistentVolumeClaim"));
        assert!(!c.may_delete_kind("Secret"));
        assert_eq!(c.threshold_for(Some("field-immutable")), 60);
        assert_eq!(c.threshold_for(Some("other")), 300);
        assert_eq!(c.threshold_for(None), 300);
        assert_eq!(c.propagation_for("Deployment"), Propagation::Foreground);
        // Entries are merged over the built-in defaults.
        assert_eq!(c.propagation_for("StatefulSet"), Propagation::Orphan);
    }

    #[test]
    fn source_api_versions_default_to_v1_and_can_be_pinned() {
        let c = Config::from_yaml(
            "sourceApiVersions: {OCIRepository: source.toolkit.fluxcd.io/v1beta2}\n",
        )
        .unwrap();
        assert_eq!(
            c.source_api_version("OCIRepository"),
            "source.toolkit.fluxcd.io/v1beta2"
        );
        assert_eq!(
            c.source_api_version("GitRepository"),
            "source.toolkit.fluxcd.io/v1"
        );
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = Config::from_yaml("mode: enforce\nstuckThreshold: 5\n").unwrap_err();
        assert!(std::error::Error::source(&err)
            .unwrap()
            .to_string()
            .contains("unknown field"));
    }

    #[test]
    fn modes_parse() {
        assert_eq!("enforce".parse::<Mode>(), Ok(Mode::Enforce));
        assert!("yolo".parse::<Mode>().is_err());
    }
}
