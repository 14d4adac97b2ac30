//! The built-in rules, one module per group of kinds, and the dispatcher that runs the ones that
//! apply to an object.

use serde_json::Value;

use crate::catalog::RuleInfo;
use crate::compare::render;
use crate::context::Context;
use crate::identity::canonical_group;
use crate::update::Update;
use crate::violation::{ObjectRef, Remediation, Severity, Violation};

mod certificates;
mod cluster;
mod config;
mod coordination;
mod crd;
mod events;
mod job;
mod kept;
mod metadata;
mod node;
mod pod;
mod resource;
mod scheduling;
mod service;
mod statefulset;
mod volumes;
mod workloads;

/// Every built-in rule, in the order `unstuck rules` lists them.
pub(crate) static BUILTIN: &[&RuleInfo] = &[
    &metadata::OBJECT_RENAMED,
    &metadata::OBJECT_NAMESPACE_CHANGED,
    &metadata::OBJECT_KIND_CHANGED,
    &metadata::METADATA_UID,
    &metadata::METADATA_DELETION_TIMESTAMP,
    &metadata::METADATA_FINALIZERS_WHILE_DELETING,
    &metadata::METADATA_RESOURCE_VERSION,
    &metadata::STATUS_IGNORED,
    &workloads::DEPLOYMENT_SELECTOR,
    &workloads::DEPLOYMENT_RECREATE_ROLLING_UPDATE,
    &workloads::REPLICASET_SELECTOR,
    &workloads::DAEMONSET_SELECTOR,
    &workloads::SELECTOR_TEMPLATE_MISMATCH,
    &statefulset::STATEFULSET_SELECTOR,
    &statefulset::STATEFULSET_SERVICE_NAME,
    &statefulset::STATEFULSET_POD_MANAGEMENT_POLICY,
    &statefulset::STATEFULSET_VOLUME_CLAIM_TEMPLATES,
    &statefulset::STATEFULSET_REVISION_HISTORY_LIMIT,
    &statefulset::STATEFULSET_SPEC,
    &statefulset::STATEFULSET_ON_DELETE_ROLLING_UPDATE,
    &job::JOB_SELECTOR,
    &job::JOB_TEMPLATE,
    &job::JOB_COMPLETIONS,
    &job::JOB_COMPLETION_MODE,
    &job::JOB_POD_FAILURE_POLICY,
    &job::JOB_BACKOFF_LIMIT_PER_INDEX,
    &job::JOB_MANAGED_BY,
    &job::JOB_SUCCESS_POLICY,
    &job::CRONJOB_JOB_TEMPLATE_SELECTOR,
    &job::CRONJOB_SCHEDULE_TIME_ZONE,
    &pod::POD_CONTAINERS,
    &pod::POD_SPEC,
    &pod::POD_ACTIVE_DEADLINE_SECONDS,
    &pod::POD_TOLERATIONS,
    &pod::POD_SCHEDULING_GATES,
    &pod::POD_NODE_SELECTOR,
    &pod::POD_IMAGE_EMPTY,
    &pod::POD_RESTRICTED_ANNOTATIONS,
    &service::SERVICE_CLUSTER_IP,
    &service::SERVICE_SECONDARY_CLUSTER_IP,
    &service::SERVICE_IP_FAMILIES,
    &service::SERVICE_IP_FAMILY_POLICY,
    &service::SERVICE_HEADLESS_TYPE,
    &service::SERVICE_LOAD_BALANCER_CLASS,
    &service::SERVICE_HEALTH_CHECK_NODE_PORT,
    &service::SERVICE_NODE_PORT_TYPE,
    &service::SERVICE_NODE_PORT_ALLOCATED,
    &service::SERVICE_LOAD_BALANCER_SOURCE_RANGES,
    &service::SERVICE_SESSION_AFFINITY_CONFIG,
    &volumes::PV_SOURCE,
    &volumes::PV_VOLUME_MODE,
    &volumes::PV_NODE_AFFINITY,
    &volumes::PV_VOLUME_ATTRIBUTES_CLASS,
    &volumes::PVC_STORAGE_CLASS,
    &volumes::PVC_STORAGE_CLASS_ANNOTATION,
    &volumes::PVC_ACCESS_MODES,
    &volumes::PVC_VOLUME_MODE,
    &volumes::PVC_VOLUME_NAME,
    &volumes::PVC_DATA_SOURCE,
    &volumes::PVC_SELECTOR,
    &volumes::PVC_RESOURCES,
    &volumes::PVC_STORAGE_SHRINK,
    &volumes::PVC_STORAGE_EXPAND,
    &volumes::PVC_VOLUME_ATTRIBUTES_CLASS,
    &config::CONFIGMAP_IMMUTABLE_DATA,
    &config::CONFIGMAP_IMMUTABLE_FLAG,
    &config::SECRET_IMMUTABLE_DATA,
    &config::SECRET_IMMUTABLE_FLAG,
    &config::SECRET_TYPE,
    &cluster::ROLEBINDING_ROLE_REF,
    &cluster::CLUSTERROLEBINDING_ROLE_REF,
    &cluster::STORAGECLASS_PARAMETERS,
    &cluster::STORAGECLASS_PROVISIONER,
    &cluster::STORAGECLASS_RECLAIM_POLICY,
    &cluster::STORAGECLASS_VOLUME_BINDING_MODE,
    &cluster::CSIDRIVER_ATTACH_REQUIRED,
    &cluster::CSIDRIVER_VOLUME_LIFECYCLE_MODES,
    &cluster::CSIDRIVER_POD_INFO_ON_MOUNT,
    &cluster::CSIDRIVER_FS_GROUP_POLICY,
    &cluster::VOLUMEATTACHMENT_SPEC,
    &cluster::VOLUMEATTRIBUTESCLASS_DRIVER_NAME,
    &cluster::VOLUMEATTRIBUTESCLASS_PARAMETERS,
    &cluster::CSISTORAGECAPACITY_FIELDS,
    &cluster::CSINODE_DRIVERS,
    &cluster::PRIORITYCLASS_VALUE,
    &cluster::PRIORITYCLASS_PREEMPTION_POLICY,
    &cluster::INGRESSCLASS_CONTROLLER,
    &cluster::ENDPOINTSLICE_ADDRESS_TYPE,
    &cluster::RESOURCEQUOTA_SCOPES,
    &cluster::SERVICECIDR_CIDRS,
    &cluster::IPADDRESS_PARENT_REF,
    &cluster::NODE_POD_CIDR,
    &cluster::NODE_PROVIDER_ID,
    &cluster::NODE_SPEC,
    &cluster::CONTROLLERREVISION_DATA,
    &cluster::PODDISRUPTIONBUDGET_SPEC,
    &cluster::PODDISRUPTIONBUDGET_MIN_AND_MAX,
    &cluster::HPA_MIN_REPLICAS_ZERO,
    &cluster::NAMESPACE_FINALIZERS_IGNORED,
    &cluster::CSR_SPEC_IGNORED,
    &node::RUNTIMECLASS_HANDLER,
    &coordination::LEASECANDIDATE_LEASE_NAME,
    &coordination::EVICTIONREQUEST_TARGET,
    &certificates::CLUSTERTRUSTBUNDLE_SIGNER_NAME,
    &certificates::PODCERTIFICATEREQUEST_SPEC,
    &resource::RESOURCECLAIM_SPEC,
    &resource::RESOURCECLAIMTEMPLATE_SPEC,
    &resource::RESOURCESLICE_FIELDS,
    &scheduling::WORKLOAD_POD_GROUPS,
    &scheduling::WORKLOAD_CONTROLLER_REF,
    &events::EVENT_FIXED_FIELDS,
    &crd::CRD_GROUP,
    &crd::CRD_NAMES_PLURAL,
    &crd::CRD_SCOPE,
    &crd::CRD_NAMES_KIND,
    &crd::CRD_STORED_VERSIONS,
    &crd::CRD_STORAGE_VERSION_COUNT,
    &crd::CRD_CONVERSION_WEBHOOK_KEPT,
    &crate::custom::ANNOTATION_IMMUTABLE_FIELD,
    &crate::custom::CRD_TRANSITION_RULE,
];

/// The state shared by the rules checking one update.
pub(crate) struct Checker<'a> {
    pub(crate) upd: Update<'a>,
    pub(crate) ctx: &'a Context,
    pub(crate) object: &'a ObjectRef,
    pub(crate) out: &'a mut Vec<Violation>,
}

impl<'a> Checker<'a> {
    pub(crate) fn new(
        upd: Update<'a>,
        ctx: &'a Context,
        object: &'a ObjectRef,
        out: &'a mut Vec<Violation>,
    ) -> Self {
        Self {
            upd,
            ctx,
            object,
            out,
        }
    }

    /// The old and new values at a reported field path (`a.b[0].c`), rendered short. Only the
    /// subtree up to the first list index is merged, so reporting stays cheap.
    fn render_field(&self, field: &str) -> (String, String) {
        let (keys, rest) = match field.find('[') {
            Some(i) => (&field[..i], &field[i..]),
            None => (field, ""),
        };
        let keys: Vec<&str> = keys.split('.').filter(|k| !k.is_empty()).collect();
        let merged = if keys.is_empty() {
            crate::compare::merged(Some(self.upd.old), Some(self.upd.new), self.upd.mode)
        } else {
            self.upd.merged_at(&keys)
        };
        let new = match (&merged, rest) {
            (Some(value), "") => Some(value),
            (Some(value), rest) => lookup(value, rest),
            (None, _) => None,
        };
        (render(lookup(self.upd.old, field)), render(new))
    }

    /// Record a violation of `rule` at `field` with the rule's usual severity.
    pub(crate) fn report(
        &mut self,
        rule: &'static RuleInfo,
        field: &str,
        reason: &str,
        api_error: &str,
    ) {
        self.report_as(rule, rule.severity, field, reason, api_error);
    }

    /// Record a violation of `rule` at `field` with `severity`.
    pub(crate) fn report_as(
        &mut self,
        rule: &'static RuleInfo,
        severity: Severity,
        field: &str,
        reason: &str,
        api_error: &str,
    ) {
        self.push(
            rule.id,
            severity,
            field,
            reason,
            api_error,
            rule.remediations,
        );
    }

    /// Record a violation of a rule that is not built in.
    pub(crate) fn push(
        &mut self,
        id: &str,
        severity: Severity,
        field: &str,
        reason: &str,
        api_error: &str,
        remediations: &[Remediation],
    ) {
        let (old, new) = self.render_field(field);
        self.out.push(Violation {
            rule: id.to_owned(),
            severity,
            object: self.object.clone(),
            field: field.to_owned(),
            old,
            new,
            reason: reason.to_owned(),
            api_error: api_error.to_owned(),
            remediations: remediations.to_vec(),
        });
    }

    /// Report `rule` if the subtree at `path` changes; returns whether it did.
    pub(crate) fn immutable(
        &mut self,
        rule: &'static RuleInfo,
        path: &[&str],
        api_error: &str,
    ) -> bool {
        if self.upd.changed(path) {
            let field = path.join(".");
            self.report(rule, &field, rule.condition, api_error);
            true
        } else {
            false
        }
    }

    /// Report `rule` at the first field that changes inside the subtree at `path`, with `reason`.
    pub(crate) fn immutable_subtree(
        &mut self,
        rule: &'static RuleInfo,
        path: &[&str],
        reason: &str,
        api_error: &str,
    ) -> bool {
        if let Some(field) = self.upd.difference(path) {
            self.report(rule, &field, reason, api_error);
            true
        } else {
            false
        }
    }

    /// Report `rule` if the string at `path` (with `default` when unset) changes.
    pub(crate) fn immutable_defaulted(
        &mut self,
        rule: &'static RuleInfo,
        path: &[&str],
        default: &str,
        api_error: &str,
    ) -> bool {
        if self.upd.mode == crate::context::Mode::Apply
            && self.upd.sent(path) == crate::update::Sent::Absent
        {
            return false;
        }
        let old = self.upd.old_str(path).unwrap_or(default);
        let new = self.upd.new_str(path).unwrap_or(default);
        if old == new {
            return false;
        }
        self.report(rule, &path.join("."), rule.condition, api_error);
        true
    }

    /// Whether the server is at least `major.minor` (unknown = current upstream).
    pub(crate) fn at_least(&self, major: u32, minor: u32) -> bool {
        self.ctx.at_least(major, minor)
    }
}

/// Find `a.b[0].c` in a value.
pub(crate) fn lookup<'v>(value: &'v Value, field: &str) -> Option<&'v Value> {
    let mut current = value;
    for part in field.split('.') {
        let (key, indexes) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            current = current.get(key)?;
        }
        for index in indexes.split('[').filter(|s| !s.is_empty()) {
            let index: usize = index.trim_end_matches(']').parse().ok()?;
            current = current.get(index)?;
        }
    }
    Some(current)
}

/// Run every built-in rule that applies to the object. Returns `false` when the "update" is
/// really a replacement (new name, namespace or kind), in which case only that is reported.
pub(crate) fn check_builtin(checker: &mut Checker<'_>) -> bool {
    if metadata::identity_changed(checker) {
        return false;
    }
    metadata::check(checker);
    let group = canonical_group(&checker.object.group, &checker.object.kind).to_owned();
    let kind = checker.object.kind.clone();
    match (group.as_str(), kind.as_str()) {
        ("apps", "Deployment") => workloads::deployment(checker),
        ("apps", "ReplicaSet") => workloads::replicaset(checker),
        ("apps", "DaemonSet") => workloads::daemonset(checker),
        ("apps", "StatefulSet") => statefulset::check(checker),
        ("batch", "Job") => job::check(checker),
        ("batch", "CronJob") => job::cronjob(checker),
        ("autoscaling", "HorizontalPodAutoscaler") => cluster::horizontal_pod_autoscaler(checker),
        ("", "Pod") => pod::check(checker),
        ("", "Service") => service::check(checker),
        ("", "PersistentVolume") => volumes::persistent_volume(checker),
        ("", "PersistentVolumeClaim") => volumes::persistent_volume_claim(checker),
        ("", "ConfigMap") => config::configmap(checker),
        ("", "Secret") => config::secret(checker),
        ("", "Namespace") => cluster::namespace(checker),
        ("", "ResourceQuota") => cluster::resource_quota(checker),
        ("", "Node") => cluster::node(checker),
        ("rbac.authorization.k8s.io", "RoleBinding") => {
            cluster::role_binding(checker, &cluster::ROLEBINDING_ROLE_REF);
        }
        ("rbac.authorization.k8s.io", "ClusterRoleBinding") => {
            cluster::role_binding(checker, &cluster::CLUSTERROLEBINDING_ROLE_REF);
        }
        ("storage.k8s.io", "StorageClass") => cluster::storage_class(checker),
        ("storage.k8s.io", "CSIDriver") => cluster::csi_driver(checker),
        ("storage.k8s.io", "VolumeAttachment") => cluster::volume_attachment(checker),
        ("storage.k8s.io", "VolumeAttributesClass") => cluster::volume_attributes_class(checker),
        ("storage.k8s.io", "CSIStorageCapacity") => cluster::csi_storage_capacity(checker),
        ("storage.k8s.io", "CSINode") => cluster::csi_node(checker),
        ("scheduling.k8s.io", "PriorityClass") => cluster::priority_class(checker),
        ("networking.k8s.io", "IngressClass") => cluster::ingress_class(checker),
        ("networking.k8s.io", "ServiceCIDR") => cluster::service_cidr(checker),
        ("networking.k8s.io", "IPAddress") => cluster::ip_address(checker),
        ("discovery.k8s.io", "EndpointSlice") => cluster::endpoint_slice(checker),
        ("apps", "ControllerRevision") => cluster::controller_revision(checker),
        ("policy", "PodDisruptionBudget") => cluster::pod_disruption_budget(checker),
        ("certificates.k8s.io", "CertificateSigningRequest") => cluster::csr(checker),
        ("apiextensions.k8s.io", "CustomResourceDefinition") => crd::check(checker),
        ("node.k8s.io", "RuntimeClass") => node::runtime_class(checker),
        ("coordination.k8s.io", "LeaseCandidate") => coordination::lease_candidate(checker),
        ("coordination.k8s.io", "EvictionRequest") => coordination::eviction_request(checker),
        ("certificates.k8s.io", "ClusterTrustBundle") => {
            certificates::cluster_trust_bundle(checker);
        }
        ("certificates.k8s.io", "PodCertificateRequest") => {
            certificates::pod_certificate_request(checker);
        }
        ("resource.k8s.io", "ResourceClaim") => resource::resource_claim(checker),
        ("resource.k8s.io", "ResourceClaimTemplate") => resource::resource_claim_template(checker),
        ("resource.k8s.io", "ResourceSlice") => resource::resource_slice(checker),
        ("scheduling.k8s.io", "Workload") => scheduling::workload(checker),
        ("events.k8s.io", "Event") => events::event(checker),
        _ => {}
    }
    true
}
