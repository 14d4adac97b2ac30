//! Which `apiVersion`s a Kubernetes release serves, and what replaced the ones it dropped.
//!
//! Two sources: the releases whose embedded schemas hold each kind
//! (`data/api-lifecycle.json`, from the same generator as the schemas), which covers every
//! change from 1.25 on, and [`HISTORY`], the removals before 1.25 and the deprecations the
//! schemas cannot show, from the Kubernetes "Deprecated API Migration Guide"
//! (kubernetes/website `content/en/docs/reference/using-api/deprecation-guide.md`).

use crate::builtin::group_of;
use crate::KubeVersion;
use serde::Deserialize;
use std::collections::BTreeMap;

/// One recorded removal or deprecation.
struct Change {
    api_version: &'static str,
    /// The kinds it covers; empty for every kind of the `apiVersion`.
    kinds: &'static [&'static str],
    deprecated_in: KubeVersion,
    removed_in: Option<KubeVersion>,
    replacement: &'static str,
}

const fn v(minor: u32) -> KubeVersion {
    KubeVersion::new(1, minor)
}

const fn removed(
    api_version: &'static str,
    kinds: &'static [&'static str],
    deprecated_in: u32,
    removed_in: u32,
    replacement: &'static str,
) -> Change {
    Change {
        api_version,
        kinds,
        deprecated_in: v(deprecated_in),
        removed_in: Some(v(removed_in)),
        replacement,
    }
}

// One line per change reads as the migration guide's table does.
#[rustfmt::skip]
static HISTORY: &[Change] = &[
    // 1.16
    removed("extensions/v1beta1", &["Deployment", "DaemonSet", "ReplicaSet"], 9, 16, "apps/v1"),
    removed("extensions/v1beta1", &["NetworkPolicy"], 9, 16, "networking.k8s.io/v1"),
    removed("extensions/v1beta1", &["PodSecurityPolicy"], 11, 16, "policy/v1beta1 (itself removed in 1.25)"),
    removed("apps/v1beta1", &[], 9, 16, "apps/v1"),
    removed("apps/v1beta2", &[], 9, 16, "apps/v1"),
    // 1.22
    removed("extensions/v1beta1", &["Ingress"], 14, 22, "networking.k8s.io/v1"),
    removed("networking.k8s.io/v1beta1", &["Ingress", "IngressClass"], 19, 22, "networking.k8s.io/v1"),
    removed("admissionregistration.k8s.io/v1beta1", &["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"], 16, 22, "admissionregistration.k8s.io/v1"),
    removed("apiextensions.k8s.io/v1beta1", &["CustomResourceDefinition"], 16, 22, "apiextensions.k8s.io/v1"),
    removed("apiregistration.k8s.io/v1beta1", &["APIService"], 19, 22, "apiregistration.k8s.io/v1"),
    removed("authentication.k8s.io/v1beta1", &["TokenReview"], 19, 22, "authentication.k8s.io/v1"),
    removed("authorization.k8s.io/v1beta1", &["SubjectAccessReview", "LocalSubjectAccessReview", "SelfSubjectAccessReview"], 19, 22, "authorization.k8s.io/v1"),
    removed("certificates.k8s.io/v1beta1", &["CertificateSigningRequest"], 19, 22, "certificates.k8s.io/v1"),
    removed("coordination.k8s.io/v1beta1", &["Lease"], 19, 22, "coordination.k8s.io/v1"),
    removed("rbac.authorization.k8s.io/v1beta1", &[], 17, 22, "rbac.authorization.k8s.io/v1"),
    removed("scheduling.k8s.io/v1beta1", &["PriorityClass"], 14, 22, "scheduling.k8s.io/v1"),
    removed("storage.k8s.io/v1beta1", &["CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"], 19, 22, "storage.k8s.io/v1"),
    // 1.25
    removed("batch/v1beta1", &["CronJob"], 21, 25, "batch/v1"),
    removed("discovery.k8s.io/v1beta1", &["EndpointSlice"], 21, 25, "discovery.k8s.io/v1"),
    removed("events.k8s.io/v1beta1", &["Event"], 21, 25, "events.k8s.io/v1"),
    removed("autoscaling/v2beta1", &["HorizontalPodAutoscaler"], 22, 25, "autoscaling/v2"),
    removed("policy/v1beta1", &["PodDisruptionBudget"], 21, 25, "policy/v1"),
    removed("policy/v1beta1", &["PodSecurityPolicy"], 21, 25, "Pod Security Admission (no replacement API)"),
    removed("node.k8s.io/v1beta1", &["RuntimeClass"], 20, 25, "node.k8s.io/v1"),
    // Deprecated and still served.
    Change { api_version: "v1", kinds: &["ComponentStatus"], deprecated_in: v(19), removed_in: None, replacement: "" },
    Change { api_version: "v1", kinds: &["Endpoints", "EndpointsList"], deprecated_in: v(33), removed_in: None, replacement: "discovery.k8s.io/v1 EndpointSlice" },
];

/// Where an `apiVersion`/`kind` stands at a target release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Status {
    /// Served, nothing to say (or nothing known: custom resources).
    Served,
    /// Served at the target but deprecated, or gone in a later release.
    Deprecated {
        since: Option<KubeVersion>,
        removed_in: Option<KubeVersion>,
        replacement: Option<String>,
    },
    /// Not served at the target: removed in `removed_in`.
    Removed {
        removed_in: KubeVersion,
        replacement: Option<String>,
    },
    /// Not served at the target yet: first served in `since`.
    NotYetServed { since: KubeVersion },
}

#[derive(Deserialize)]
struct LifecycleData {
    versions: Vec<KubeVersion>,
    served: BTreeMap<String, BTreeMap<String, (KubeVersion, KubeVersion)>>,
}

/// The releases that serve each built-in kind.
#[derive(Debug, Clone)]
pub(crate) struct Lifecycle {
    newest: KubeVersion,
    served: BTreeMap<String, BTreeMap<String, (KubeVersion, KubeVersion)>>,
}

impl Lifecycle {
    /// The embedded `data/api-lifecycle.json`.
    pub(crate) fn embedded() -> Result<Self, serde_json::Error> {
        let data: LifecycleData = serde_json::from_str(include_str!("../data/api-lifecycle.json"))?;
        Ok(Self {
            newest: data.versions.into_iter().max().unwrap_or(crate::LATEST),
            served: data.served,
        })
    }

    pub(crate) fn status(&self, api_version: &str, kind: &str, target: KubeVersion) -> Status {
        let span = self
            .served
            .get(api_version)
            .and_then(|k| k.get(kind))
            .copied();
        // A group may reuse a removed version for new kinds (scheduling.k8s.io/v1beta1 had
        // PriorityClass until 1.22 and Workload from 1.37): the schemas have the last word.
        let served_at_target = span.is_some_and(|(first, last)| first <= target && target <= last);
        if let Some(change) = HISTORY.iter().find(|c| {
            c.api_version == api_version && (c.kinds.is_empty() || c.kinds.contains(&kind))
        }) {
            let replacement =
                (!change.replacement.is_empty()).then(|| change.replacement.to_owned());
            match change.removed_in {
                Some(removed_in) if removed_in <= target && !served_at_target => {
                    return Status::Removed {
                        removed_in,
                        replacement,
                    };
                }
                _ if change.deprecated_in <= target => {
                    return Status::Deprecated {
                        since: Some(change.deprecated_in),
                        removed_in: change.removed_in,
                        replacement,
                    };
                }
                _ => {}
            }
        }
        let Some((first, last)) = span else {
            return Status::Served;
        };
        if target < first {
            return Status::NotYetServed { since: first };
        }
        let replacement = || self.replacement(api_version, kind, target);
        if last < target {
            return Status::Removed {
                removed_in: last.next(),
                replacement: replacement(),
            };
        }
        if last < self.newest {
            return Status::Deprecated {
                since: None,
                removed_in: Some(last.next()),
                replacement: replacement(),
            };
        }
        Status::Served
    }

    /// The most stable other `apiVersion` of the same group that serves `kind` at `target`.
    fn replacement(&self, api_version: &str, kind: &str, target: KubeVersion) -> Option<String> {
        let group = group_of(api_version);
        self.served
            .iter()
            .filter(|(other, kinds)| {
                *other != api_version
                    && group_of(other) == group
                    && kinds
                        .get(kind)
                        .is_some_and(|&(first, last)| first <= target && target <= last)
            })
            .map(|(other, _)| other)
            .max_by_key(|other| stability(other))
            .cloned()
    }
}

/// Orders versions as Kubernetes prefers them: GA over beta over alpha, then by number
/// (`v2` > `v1` > `v1beta2` > `v1beta1` > `v1alpha1`).
fn stability(api_version: &str) -> (u8, u32, u32) {
    let version = api_version.rsplit('/').next().unwrap_or(api_version);
    let digits = |s: &str| s.parse::<u32>().unwrap_or(0);
    let body = version.strip_prefix('v').unwrap_or(version);
    for (marker, level) in [("beta", 1), ("alpha", 0)] {
        if let Some((major, minor)) = body.split_once(marker) {
            return (level, digits(major), digits(minor));
        }
    }
    (2, digits(body), 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(api_version: &str, kind: &str, minor: u32) -> Status {
        Lifecycle::embedded()
            .unwrap()
            .status(api_version, kind, v(minor))
    }

    #[test]
    fn removals_before_the_data_come_from_the_history() {
        assert_eq!(
            status("policy/v1beta1", "PodDisruptionBudget", 30),
            Status::Removed {
                removed_in: v(25),
                replacement: Some("policy/v1".into())
            }
        );
        assert_eq!(
            status("extensions/v1beta1", "Ingress", 37),
            Status::Removed {
                removed_in: v(22),
                replacement: Some("networking.k8s.io/v1".into())
            }
        );
    }

    #[test]
    fn removals_in_the_data_are_derived_with_their_replacement() {
        assert_eq!(
            status("autoscaling/v2beta2", "HorizontalPodAutoscaler", 30),
            Status::Removed {
                removed_in: v(26),
                replacement: Some("autoscaling/v2".into())
            }
        );
        assert_eq!(
            status("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", 37),
            Status::Removed {
                removed_in: v(32),
                replacement: Some("flowcontrol.apiserver.k8s.io/v1".into())
            }
        );
        assert_eq!(
            status("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", 29),
            Status::Deprecated {
                since: None,
                removed_in: Some(v(32)),
                replacement: Some("flowcontrol.apiserver.k8s.io/v1".into())
            }
        );
    }

    #[test]
    fn a_reused_version_is_judged_per_kind() {
        assert_eq!(
            status("scheduling.k8s.io/v1beta1", "Workload", 37),
            Status::Served
        );
        assert!(matches!(
            status("scheduling.k8s.io/v1beta1", "PriorityClass", 37),
            Status::Removed { .. }
        ));
    }

    #[test]
    fn deprecations_without_removal_warn() {
        assert_eq!(
            status("v1", "Endpoints", 37),
            Status::Deprecated {
                since: Some(v(33)),
                removed_in: None,
                replacement: Some("discovery.k8s.io/v1 EndpointSlice".into())
            }
        );
        assert_eq!(status("v1", "Endpoints", 32), Status::Served);
    }

    #[test]
    fn current_apis_and_unknown_groups_are_served() {
        assert_eq!(status("apps/v1", "Deployment", 37), Status::Served);
        assert_eq!(
            status("cert-manager.io/v1", "Certificate", 37),
            Status::Served
        );
    }

    #[test]
    fn stability_prefers_ga_then_beta_then_alpha() {
        let mut versions = vec!["g/v1alpha1", "g/v1", "g/v2beta1", "g/v1beta2", "g/v2"];
        versions.sort_by_key(|v| stability(v));
        assert_eq!(
            versions,
            ["g/v1alpha1", "g/v1beta2", "g/v2beta1", "g/v1", "g/v2"]
        );
    }
}
