//! What the caller knows about the update: how the two objects relate, which server receives it,
//! and facts about the cluster that some rules need.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;

use serde::Serialize;

/// How the two objects handed to [`check`](crate::check) relate to each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Both sides are manifests from git (the previous and the next commit). A field present in
    /// old and absent in new was deleted from git, so apply removes it and the server re-defaults
    /// or clears it. Server-populated state (status, allocated IPs) is unknown.
    Git,
    /// Old is the live object as the API server stores it; new is the manifest that gets applied.
    /// A field absent from new is not owned by git and keeps its live value; an explicit `null`
    /// means the field was deleted from git and apply removes it. Lists in new replace the live
    /// list; entries of lists keyed by `name` keep the live entry's unowned fields.
    Apply,
}

/// A Kubernetes minor release such as `1.31`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ServerVersion {
    /// Major version, `1` for every release so far.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
}

impl ServerVersion {
    /// A version from its major and minor numbers.
    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }
}

impl fmt::Display for ServerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A server version string that is not `MAJOR.MINOR` (optionally `v`-prefixed, with a patch).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid server version {input:?}: expected MAJOR.MINOR such as 1.31")]
pub struct ParseVersionError {
    /// The text that failed to parse.
    pub input: String,
}

impl FromStr for ServerVersion {
    type Err = ParseVersionError;

    /// Parse `1.31`, `v1.31`, `1.31.4` or `v1.31.4-gke.100`.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let error = || ParseVersionError {
            input: input.to_owned(),
        };
        let trimmed = input.trim();
        let trimmed = trimmed.strip_prefix('v').unwrap_or(trimmed);
        let mut parts = trimmed.split('.');
        let major = parts.next().ok_or_else(error)?;
        let minor = parts.next().ok_or_else(error)?;
        // Tolerate a patch with a vendor suffix, but the minor must be plain digits.
        let minor: String = minor.chars().take_while(char::is_ascii_digit).collect();
        if minor.is_empty() {
            return Err(error());
        }
        Ok(Self {
            major: major.parse().map_err(|_| error())?,
            minor: minor.parse().map_err(|_| error())?,
        })
    }
}

/// Facts about the cluster that decide a few rules (PVC expansion, node-port collisions).
///
/// Every fact is optional: an unknown fact turns the verdict of the rules that need it into a
/// `warning` instead of an `error` or silence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterFacts {
    /// StorageClasses by name, with whether they allow volume expansion.
    pub storage_classes: BTreeMap<String, StorageClassFacts>,
    /// Node ports already allocated to other Services.
    pub allocated_node_ports: BTreeSet<u32>,
    /// The cluster's `--service-node-port-range`, when known.
    pub node_port_range: Option<RangeInclusive<u32>>,
}

/// What the rules need to know about one StorageClass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StorageClassFacts {
    /// The class has `allowVolumeExpansion: true`.
    pub allow_volume_expansion: bool,
}

/// Everything [`check`](crate::check) needs besides the two objects.
///
/// ```
/// use immutable_rules::{Context, Mode, ServerVersion};
///
/// let ctx = Context::apply()
///     .with_server_version(ServerVersion::new(1, 31))
///     .with_storage_class("standard", true);
/// assert_eq!(ctx.mode, Mode::Apply);
/// assert!(ctx.at_least(1, 30));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Context {
    /// How old and new relate.
    pub mode: Mode,
    /// The server that receives the update; `None` means current upstream with default gates.
    pub server_version: Option<ServerVersion>,
    /// Known cluster state.
    pub cluster: ClusterFacts,
}

impl Context {
    /// A context for `mode`, current upstream server, no cluster facts.
    pub fn new(mode: Mode) -> Self {
        Self {
            mode,
            server_version: None,
            cluster: ClusterFacts::default(),
        }
    }

    /// Old is the live object, new is applied to it.
    pub fn apply() -> Self {
        Self::new(Mode::Apply)
    }

    /// Old and new are two revisions of a manifest in git.
    pub fn git() -> Self {
        Self::new(Mode::Git)
    }

    /// Set the server version the update goes to.
    #[must_use]
    pub fn with_server_version(mut self, version: ServerVersion) -> Self {
        self.server_version = Some(version);
        self
    }

    /// Record whether StorageClass `name` allows volume expansion.
    #[must_use]
    pub fn with_storage_class(mut self, name: &str, allow_volume_expansion: bool) -> Self {
        self.cluster.storage_classes.insert(
            name.to_owned(),
            StorageClassFacts {
                allow_volume_expansion,
            },
        );
        self
    }

    /// Record a node port already used by another Service.
    #[must_use]
    pub fn with_allocated_node_port(mut self, port: u32) -> Self {
        self.cluster.allocated_node_ports.insert(port);
        self
    }

    /// Replace all cluster facts.
    #[must_use]
    pub fn with_cluster(mut self, cluster: ClusterFacts) -> Self {
        self.cluster = cluster;
        self
    }

    /// Whether the server is at least `major.minor`; an unknown server counts as current
    /// upstream, so this is `true`.
    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        self.server_version
            .is_none_or(|v| v >= ServerVersion::new(major, minor))
    }

    /// Whether the server is known to be older than `major.minor`.
    pub fn older_than(&self, major: u32, minor: u32) -> bool {
        !self.at_least(major, minor)
    }
}

impl Default for Context {
    fn default() -> Self {
        Self::apply()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        assert_eq!("1.31".parse(), Ok(ServerVersion::new(1, 31)));
        assert_eq!("v1.28.4".parse(), Ok(ServerVersion::new(1, 28)));
        assert_eq!("1.30+".parse(), Ok(ServerVersion::new(1, 30)));
        assert!("1".parse::<ServerVersion>().is_err());
        assert!("one.two".parse::<ServerVersion>().is_err());
    }

    #[test]
    fn unknown_server_is_current() {
        let ctx = Context::apply();
        assert!(ctx.at_least(1, 99));
        let old = ctx.with_server_version(ServerVersion::new(1, 27));
        assert!(old.older_than(1, 28));
        assert!(old.at_least(1, 27));
    }
}
