//! The Flux objects the controller watches, and the state it reads from them.
//!
//! The controller works on dynamic objects (`serde_json::Value` under the hood) instead of typed
//! Flux structs: only a handful of status fields matter, and avoiding a Flux API crate keeps the
//! controller free of crates pinned to old kube versions.

use kube::api::{ApiResource, GroupVersionKind};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Annotation Flux controllers watch to start a reconciliation outside the interval.
pub const REQUESTED_AT: &str = "reconcile.fluxcd.io/requestedAt";
/// Annotation asking helm-controller for a one-off forced install or upgrade (with `requestedAt`).
pub const FORCE_AT: &str = "reconcile.fluxcd.io/forceAt";
/// Annotation asking helm-controller to reset its failure counters (with `requestedAt`).
pub const RESET_AT: &str = "reconcile.fluxcd.io/resetAt";
/// Community annotation asking automation to leave an object to humans (value `manual`).
pub const FLUX_RECOVERY_POLICY: &str = "gitops.flux.io/recovery-policy";
/// The controller's own equivalent of [`FLUX_RECOVERY_POLICY`].
pub const RECOVERY_POLICY: &str = "unstuck.dev/recovery-policy";

/// The kinds of Flux object the controller watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum FluxKind {
    /// `kustomize.toolkit.fluxcd.io/v1` `Kustomization`.
    Kustomization,
    /// `helm.toolkit.fluxcd.io/v2` `HelmRelease`.
    HelmRelease,
}

impl FluxKind {
    /// Every watched kind.
    pub const ALL: [FluxKind; 2] = [FluxKind::Kustomization, FluxKind::HelmRelease];

    /// The kind name, as in `kind:`.
    pub fn as_str(self) -> &'static str {
        match self {
            FluxKind::Kustomization => "Kustomization",
            FluxKind::HelmRelease => "HelmRelease",
        }
    }

    /// Group, version and kind.
    pub fn gvk(self) -> GroupVersionKind {
        match self {
            FluxKind::Kustomization => {
                GroupVersionKind::gvk("kustomize.toolkit.fluxcd.io", "v1", "Kustomization")
            }
            FluxKind::HelmRelease => {
                GroupVersionKind::gvk("helm.toolkit.fluxcd.io", "v2", "HelmRelease")
            }
        }
    }

    /// The API resource (plural `kustomizations` / `helmreleases`).
    pub fn api_resource(self) -> ApiResource {
        ApiResource::from_gvk(&self.gvk())
    }
}

impl std::fmt::Display for FluxKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Status of a Kubernetes condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConditionStatus {
    /// `True`.
    True,
    /// `False`.
    False,
    /// `Unknown`, or the condition is absent.
    Unknown,
}

impl ConditionStatus {
    fn parse(s: Option<&str>) -> Self {
        match s {
            Some("True") => ConditionStatus::True,
            Some("False") => ConditionStatus::False,
            _ => ConditionStatus::Unknown,
        }
    }
}

/// A reference to another object (a Flux source, or the target of a recovery).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ObjectRef {
    /// `apiVersion` when known (`source.toolkit.fluxcd.io/v1`), else `None`.
    pub api_version: Option<String>,
    /// Kind, e.g. `GitRepository`.
    pub kind: String,
    /// Namespace (`None` for cluster-scoped objects).
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{}/{}", self.kind, ns, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

/// One entry of a Kustomization's `status.inventory`: what Flux applied, with its exact group and version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryEntry {
    /// Namespace (empty for cluster-scoped objects).
    pub namespace: String,
    /// Name.
    pub name: String,
    /// API group (empty for the core group).
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Version.
    pub version: String,
}

impl InventoryEntry {
    /// Parses Flux's `<namespace>_<name>_<group>_<kind>` id plus its `v` field.
    ///
    /// The id is cli-utils' `ObjMetadata` string (`pkg/object/objmetadata.go`, which Flux's
    /// inventory uses): namespaces, groups and kinds contain no `_`, but the `:` of RBAC names
    /// (`system:metrics-reader`) is written as `__`. So the namespace ends at the first `_`, the
    /// kind and group start after the last two, and the name is what remains, `__` decoded to `:`.
    pub fn parse(id: &str, version: &str) -> Option<Self> {
        let (namespace, rest) = id.split_once('_')?;
        let (rest, kind) = rest.rsplit_once('_')?;
        let (name, group) = rest.rsplit_once('_')?;
        if name.is_empty() || kind.is_empty() {
            return None;
        }
        Some(InventoryEntry {
            namespace: namespace.to_owned(),
            name: name.replace("__", ":"),
            group: group.to_owned(),
            kind: kind.to_owned(),
            version: version.to_owned(),
        })
    }

    /// `group/version`, or `version` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

/// Everything the decision function needs to know about one Flux object, read from the live object.
#[allow(clippy::struct_excessive_bools)] // independent facts read from the object
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectState {
    /// Which Flux kind.
    pub kind: FluxKind,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// `metadata.uid`.
    pub uid: Option<String>,
    /// `metadata.resourceVersion`, used for optimistic concurrency when persisting state.
    pub resource_version: Option<String>,
    /// `metadata.generation`: changes when the spec (i.e. Git) changes.
    pub generation: i64,
    /// `status.observedGeneration`.
    pub observed_generation: Option<i64>,
    /// `spec.suspend`.
    pub suspended: bool,
    /// Status of the `Ready` condition.
    pub ready: ConditionStatus,
    /// Reason of the `Ready` condition.
    pub reason: Option<String>,
    /// Message of the `Ready` condition.
    pub message: Option<String>,
    /// `lastTransitionTime` of the `Ready` condition, as Unix seconds.
    pub ready_since: Option<i64>,
    /// `Reconciling=True`.
    pub reconciling: bool,
    /// `Stalled=True`.
    pub stalled: bool,
    /// Reason of the `Stalled` condition while it is `True` (helm-controller: `RetriesExceeded`).
    pub stalled_reason: Option<String>,
    /// Message of the `Stalled` condition while it is `True` ("Failed to upgrade after 1 attempt(s)").
    pub stalled_message: Option<String>,
    /// HelmRelease only: what `spec.upgrade.remediation` makes helm-controller do after a failed upgrade.
    pub upgrade_remediation: UpgradeRemediation,
    /// `status.lastAppliedRevision`.
    pub last_applied_revision: Option<String>,
    /// `status.lastAttemptedRevision`.
    pub last_attempted_revision: Option<String>,
    /// `spec.targetNamespace`: where the object's resources go when they name no namespace.
    pub target_namespace: Option<String>,
    /// The source the object reconciles from (`spec.sourceRef`, or the HelmChart built for a HelmRelease).
    pub source: Option<ObjectRef>,
    /// The object carries a manual recovery policy annotation.
    pub manual: bool,
    /// The controller's persisted recovery state annotation, undecoded.
    pub persisted: Option<String>,
    /// Kustomization inventory (empty for HelmReleases).
    pub inventory: Vec<InventoryEntry>,
}

impl ObjectState {
    /// Reads the state of a Flux object from its JSON form.
    ///
    /// Missing fields read as "unknown"; this never fails, because a half-initialised object (no
    /// status yet) is normal right after creation.
    pub fn from_json(kind: FluxKind, obj: &Value) -> Self {
        let meta = &obj["metadata"];
        let status = &obj["status"];
        let spec = &obj["spec"];
        let namespace = str_at(meta, "namespace").unwrap_or("default").to_owned();
        let name = str_at(meta, "name").unwrap_or_default().to_owned();
        let annotations = &meta["annotations"];

        let condition = |ty: &str| -> Option<&Value> {
            status["conditions"]
                .as_array()?
                .iter()
                .find(|c| c["type"].as_str() == Some(ty))
        };
        let ready = condition("Ready");
        let is_true =
            |ty: &str| condition(ty).is_some_and(|c| c["status"].as_str() == Some("True"));
        let stalled = condition("Stalled").filter(|c| c["status"].as_str() == Some("True"));

        ObjectState {
            kind,
            source: source_of(kind, &namespace, &name, spec),
            inventory: status["inventory"]["entries"]
                .as_array()
                .map(|entries| {
                    entries
                        .iter()
                        .filter_map(|e| {
                            InventoryEntry::parse(
                                e["id"].as_str()?,
                                e["v"].as_str().unwrap_or("v1"),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
            namespace,
            name,
            target_namespace: str_at(spec, "targetNamespace").map(str::to_owned),
            uid: str_at(meta, "uid").map(str::to_owned),
            resource_version: str_at(meta, "resourceVersion").map(str::to_owned),
            generation: meta["generation"].as_i64().unwrap_or(0),
            observed_generation: status["observedGeneration"].as_i64(),
            suspended: spec["suspend"].as_bool().unwrap_or(false),
            ready: ConditionStatus::parse(ready.and_then(|c| c["status"].as_str())),
            reason: ready.and_then(|c| str_at(c, "reason")).map(str::to_owned),
            message: ready.and_then(|c| str_at(c, "message")).map(str::to_owned),
            ready_since: ready
                .and_then(|c| str_at(c, "lastTransitionTime"))
                .and_then(parse_time),
            reconciling: is_true("Reconciling"),
            stalled: is_true("Stalled"),
            stalled_reason: stalled.and_then(|c| str_at(c, "reason")).map(str::to_owned),
            stalled_message: stalled
                .and_then(|c| str_at(c, "message"))
                .map(str::to_owned),
            upgrade_remediation: UpgradeRemediation::from_spec(&spec["upgrade"]["remediation"]),
            last_applied_revision: str_at(status, "lastAppliedRevision").map(str::to_owned),
            last_attempted_revision: str_at(status, "lastAttemptedRevision").map(str::to_owned),
            manual: is_manual(annotations),
            persisted: str_at(annotations, crate::record::STATE_ANNOTATION).map(str::to_owned),
        }
    }

    /// `Kind/namespace/name`, the key used in logs, metrics and persisted state.
    pub fn key(&self) -> String {
        format!("{}/{}/{}", self.kind, self.namespace, self.name)
    }

    /// A reference to this object.
    pub fn object_ref(&self) -> ObjectRef {
        let gvk = self.kind.gvk();
        ObjectRef {
            api_version: Some(format!("{}/{}", gvk.group, gvk.version)),
            kind: self.kind.as_str().to_owned(),
            namespace: Some(self.namespace.clone()),
            name: self.name.clone(),
        }
    }
}

/// A HelmRelease's `spec.upgrade.remediation`, with helm-controller's defaults applied
/// (`api/v2/helmrelease_types.go`: `retries` 0, `strategy` rollback, `remediateLastFailure`
/// defaulting to `retries > 0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UpgradeRemediation {
    /// `retries` (negative: unlimited).
    pub retries: i64,
    /// `strategy` is `uninstall` rather than the default `rollback`.
    pub uninstall: bool,
    /// `remediateLastFailure`, defaulted.
    pub remediate_last_failure: bool,
}

impl UpgradeRemediation {
    fn from_spec(remediation: &Value) -> Self {
        let retries = remediation["retries"].as_i64().unwrap_or(0);
        UpgradeRemediation {
            retries,
            uninstall: remediation["strategy"].as_str() == Some("uninstall"),
            remediate_last_failure: remediation["remediateLastFailure"]
                .as_bool()
                .unwrap_or(retries > 0),
        }
    }

    /// Whether helm-controller itself rolls a failed upgrade back: only with the rollback
    /// strategy and at least one retry or `remediateLastFailure` (`AtomicRelease.actionForState`,
    /// case `ReleaseStatusFailed`). Under the defaults it never does.
    pub fn rolls_back(self) -> bool {
        !self.uninstall && (self.retries != 0 || self.remediate_last_failure)
    }
}

/// True when an object's annotations (the `metadata.annotations` JSON object) ask for manual recovery.
pub fn is_manual(annotations: &Value) -> bool {
    [FLUX_RECOVERY_POLICY, RECOVERY_POLICY].iter().any(|key| {
        annotations[*key]
            .as_str()
            .is_some_and(|v| v.eq_ignore_ascii_case("manual"))
    })
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v[key].as_str().filter(|s| !s.is_empty())
}

/// Parses an RFC 3339 timestamp to Unix seconds.
pub fn parse_time(s: &str) -> Option<i64> {
    s.parse::<jiff::Timestamp>()
        .ok()
        .map(jiff::Timestamp::as_second)
}

/// Formats Unix seconds as RFC 3339 (the form Flux's own CLI writes into request annotations).
pub fn format_time(unix: i64) -> String {
    jiff::Timestamp::from_second(unix).map_or_else(|_| unix.to_string(), |t| t.to_string())
}

/// The source a Flux object reconciles from.
fn source_of(kind: FluxKind, namespace: &str, name: &str, spec: &Value) -> Option<ObjectRef> {
    let from_ref = |r: &Value| -> Option<ObjectRef> {
        let kind = str_at(r, "kind")?.to_owned();
        Some(ObjectRef {
            // Left open unless the spec names it: OCIRepository is served as `v1` only from Flux
            // 2.6 (`v1beta2` before), so the executor resolves it from the configuration.
            api_version: str_at(r, "apiVersion").map(str::to_owned),
            namespace: Some(str_at(r, "namespace").unwrap_or(namespace).to_owned()),
            name: str_at(r, "name")?.to_owned(),
            kind,
        })
    };
    match kind {
        FluxKind::Kustomization => from_ref(&spec["sourceRef"]),
        FluxKind::HelmRelease => {
            if spec["chartRef"].is_object() {
                return from_ref(&spec["chartRef"]);
            }
            // For `spec.chart`, helm-controller builds a HelmChart named `<namespace>-<name>` in the
            // namespace of the chart's source; retrying that HelmChart re-fetches the chart.
            let chart_source = &spec["chart"]["spec"]["sourceRef"];
            if !chart_source.is_object() {
                return None;
            }
            let chart_ns = str_at(chart_source, "namespace").unwrap_or(namespace);
            Some(ObjectRef {
                api_version: None,
                kind: "HelmChart".to_owned(),
                namespace: Some(chart_ns.to_owned()),
                name: format!("{namespace}-{name}"),
            })
        }
    }
}

/// The `apiVersion` Flux serves a source kind as, unless configured otherwise
/// ([`crate::config::Config::source_api_version`]): `source.toolkit.fluxcd.io/v1` for every kind,
/// which for OCIRepository holds from Flux 2.6 (source-controller v1.6); older Flux serves it as
/// `v1beta2` only.
pub const DEFAULT_SOURCE_API_VERSION: &str = "source.toolkit.fluxcd.io/v1";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn failing_kustomization() -> Value {
        json!({
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
            "kind": "Kustomization",
            "metadata": {
                "name": "apps", "namespace": "flux-system", "uid": "u-1", "resourceVersion": "42",
                "generation": 3,
                "annotations": {"gitops.flux.io/recovery-policy": "Manual"}
            },
            "spec": {"sourceRef": {"kind": "GitRepository", "name": "flux-system"}, "suspend": false},
            "status": {
                "observedGeneration": 3,
                "lastAppliedRevision": "main@sha1:aaa",
                "lastAttemptedRevision": "main@sha1:bbb",
                "inventory": {"entries": [
                    {"id": "jhub_eosfuse_apps_DaemonSet", "v": "v1"},
                    {"id": "default_web__Service", "v": "v1"}
                ]},
                "conditions": [
                    {"type": "Reconciling", "status": "True", "reason": "ProgressingWithRetry"},
                    {"type": "Ready", "status": "False", "reason": "ReconciliationFailed",
                     "message": "DaemonSet/jhub/eosfuse dry-run failed (Invalid): field is immutable",
                     "lastTransitionTime": "2026-01-01T00:00:00Z"}
                ]
            }
        })
    }

    #[test]
    fn reads_ready_condition_revisions_and_source() {
        let s = ObjectState::from_json(FluxKind::Kustomization, &failing_kustomization());
        assert_eq!(s.key(), "Kustomization/flux-system/apps");
        assert_eq!(s.ready, ConditionStatus::False);
        assert_eq!(s.reason.as_deref(), Some("ReconciliationFailed"));
        assert!(s.message.as_deref().unwrap().contains("field is immutable"));
        assert_eq!(s.ready_since, Some(1_767_225_600));
        assert!(s.reconciling);
        assert!(!s.stalled);
        assert_eq!(s.generation, 3);
        assert_eq!(s.last_applied_revision.as_deref(), Some("main@sha1:aaa"));
        assert_eq!(s.last_attempted_revision.as_deref(), Some("main@sha1:bbb"));
        assert!(s.manual, "annotation value is matched case-insensitively");
        assert_eq!(
            s.source,
            Some(ObjectRef {
                api_version: None,
                kind: "GitRepository".into(),
                namespace: Some("flux-system".into()),
                name: "flux-system".into()
            })
        );
        assert_eq!(s.inventory.len(), 2);
        assert_eq!(s.inventory[0].api_version(), "apps/v1");
        assert_eq!(s.inventory[1].api_version(), "v1");
        assert_eq!(s.inventory[1].kind, "Service");
    }

    #[test]
    fn object_without_status_reads_as_unknown() {
        let s = ObjectState::from_json(
            FluxKind::HelmRelease,
            &json!({"metadata": {"name": "x", "namespace": "y"}, "spec": {}}),
        );
        assert_eq!(s.ready, ConditionStatus::Unknown);
        assert_eq!(s.message, None);
        assert_eq!(s.source, None);
        assert!(!s.manual);
    }

    #[test]
    fn helm_release_chart_source_is_the_generated_helm_chart() {
        let obj = json!({
            "metadata": {"name": "podinfo", "namespace": "apps"},
            "spec": {"chart": {"spec": {"chart": "podinfo",
                "sourceRef": {"kind": "HelmRepository", "name": "podinfo", "namespace": "flux-system"}}}}
        });
        let s = ObjectState::from_json(FluxKind::HelmRelease, &obj);
        let src = s.source.unwrap();
        assert_eq!(src.to_string(), "HelmChart/flux-system/apps-podinfo");
    }

    #[test]
    fn helm_release_chart_ref_is_used_directly() {
        let obj = json!({
            "metadata": {"name": "podinfo", "namespace": "apps"},
            "spec": {"chartRef": {"kind": "OCIRepository", "name": "podinfo"}}
        });
        let s = ObjectState::from_json(FluxKind::HelmRelease, &obj);
        assert_eq!(s.source.unwrap().to_string(), "OCIRepository/apps/podinfo");
    }

    #[test]
    fn inventory_ids_parse() {
        let e = InventoryEntry::parse("_ns1__Namespace", "v1").unwrap();
        assert_eq!(
            (e.namespace.as_str(), e.name.as_str(), e.group.as_str()),
            ("", "ns1", "")
        );
        assert!(InventoryEntry::parse("garbage", "v1").is_none());
    }

    #[test]
    fn inventory_ids_decode_rbac_colons() {
        let e = InventoryEntry::parse(
            "_system__metrics-reader_rbac.authorization.k8s.io_ClusterRole",
            "v1",
        )
        .unwrap();
        assert_eq!(e.name, "system:metrics-reader");
        assert_eq!(e.group, "rbac.authorization.k8s.io");
        assert_eq!(e.kind, "ClusterRole");
        assert_eq!(e.namespace, "");
        let e = InventoryEntry::parse(
            "kube-system_a__b__c_rbac.authorization.k8s.io_RoleBinding",
            "v1",
        )
        .unwrap();
        assert_eq!(
            (e.namespace.as_str(), e.name.as_str()),
            ("kube-system", "a:b:c")
        );
    }

    #[test]
    fn stalled_and_remediation_are_read() {
        let s = ObjectState::from_json(
            FluxKind::HelmRelease,
            &json!({"metadata": {"name": "web", "namespace": "apps"},
                "spec": {"upgrade": {"remediation": {"retries": 3}}},
                "status": {"conditions": [
                    {"type": "Stalled", "status": "True", "reason": "RetriesExceeded",
                     "message": "Failed to upgrade after 1 attempt(s)"}]}}),
        );
        assert!(s.stalled);
        assert_eq!(s.stalled_reason.as_deref(), Some("RetriesExceeded"));
        assert!(s.upgrade_remediation.rolls_back());
        let defaults = ObjectState::from_json(
            FluxKind::HelmRelease,
            &json!({"metadata": {"name": "web"}, "spec": {}}),
        );
        assert!(!defaults.upgrade_remediation.rolls_back());
        assert_eq!(defaults.stalled_reason, None);
    }

    #[test]
    fn time_round_trips() {
        assert_eq!(format_time(1_767_225_600), "2026-01-01T00:00:00Z");
        assert_eq!(parse_time("2026-01-01T00:00:00Z"), Some(1_767_225_600));
        assert_eq!(parse_time("yesterday"), None);
    }
}
