//! Kinds with one or two fixed fields: RBAC bindings, storage classes and drivers, priority and
//! ingress classes, endpoint slices, quotas, nodes, and the kinds whose changes are dropped.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{kept, Checker};
use crate::catalog::RuleInfo;
use crate::compare::{semantic_eq, Slot};
use crate::context::Mode;
use crate::update::Sent;
use crate::violation::Severity;

rule!(ROLEBINDING_ROLE_REF, "rolebinding-role-ref",
    kinds: ["RoleBinding.rbac.authorization.k8s.io"], fields: ["roleRef"],
    condition: "roleRef (apiGroup, kind, name) changes; an omitted apiGroup defaults to rbac.authorization.k8s.io",
    versions: "all (message `cannot change roleRef`; `field is immutable` after the 2026 declarative-validation migration)",
    severity: Error, remediations: [Recreate, RenameBlueGreen, FluxForce]);
rule!(CLUSTERROLEBINDING_ROLE_REF, "clusterrolebinding-role-ref",
    kinds: ["ClusterRoleBinding.rbac.authorization.k8s.io"], fields: ["roleRef"],
    condition: "roleRef (apiGroup, kind, name) changes; an omitted apiGroup defaults to rbac.authorization.k8s.io",
    versions: "all (message `cannot change roleRef`; `field is immutable` after the 2026 declarative-validation migration)",
    severity: Error, remediations: [Recreate, RenameBlueGreen, FluxForce]);
rule!(STORAGECLASS_PARAMETERS, "storageclass-parameters",
    kinds: ["StorageClass.storage.k8s.io"], fields: ["parameters"],
    condition: "parameters change (key order irrelevant)",
    versions: "all",
    severity: Error, remediations: [RenameBlueGreen, Recreate]);
rule!(STORAGECLASS_PROVISIONER, "storageclass-provisioner",
    kinds: ["StorageClass.storage.k8s.io"], fields: ["provisioner"],
    condition: "provisioner changes",
    versions: "all",
    severity: Error, remediations: [RenameBlueGreen, Recreate]);
rule!(STORAGECLASS_RECLAIM_POLICY, "storageclass-reclaim-policy",
    kinds: ["StorageClass.storage.k8s.io"], fields: ["reclaimPolicy"],
    condition: "reclaimPolicy changes (omitted = Delete)",
    versions: "all",
    severity: Error, remediations: [RenameBlueGreen, Recreate]);
rule!(STORAGECLASS_VOLUME_BINDING_MODE, "storageclass-volume-binding-mode",
    kinds: ["StorageClass.storage.k8s.io"], fields: ["volumeBindingMode"],
    condition: "volumeBindingMode changes (omitted = Immediate)",
    versions: "all",
    severity: Error, remediations: [RenameBlueGreen, Recreate]);
rule!(CSIDRIVER_ATTACH_REQUIRED, "csidriver-attach-required",
    kinds: ["CSIDriver.storage.k8s.io"], fields: ["spec.attachRequired"],
    condition: "attachRequired changes (omitted = true)",
    versions: "all",
    severity: Error, remediations: [Recreate, Revert]);
rule!(CSIDRIVER_VOLUME_LIFECYCLE_MODES, "csidriver-volume-lifecycle-modes",
    kinds: ["CSIDriver.storage.k8s.io"], fields: ["spec.volumeLifecycleModes"],
    condition: "volumeLifecycleModes changes (omitted = [Persistent])",
    versions: "all",
    severity: Error, remediations: [Recreate, Revert]);
rule!(CSIDRIVER_POD_INFO_ON_MOUNT, "csidriver-pod-info-on-mount",
    kinds: ["CSIDriver.storage.k8s.io"], fields: ["spec.podInfoOnMount"],
    condition: "podInfoOnMount changes on a server older than 1.28",
    versions: "immutable before 1.28, mutable since",
    severity: Error, remediations: [Recreate, Revert]);
rule!(CSIDRIVER_FS_GROUP_POLICY, "csidriver-fs-group-policy",
    kinds: ["CSIDriver.storage.k8s.io"], fields: ["spec.fsGroupPolicy"],
    condition: "fsGroupPolicy changes on a server older than 1.28",
    versions: "immutable before 1.28, mutable since",
    severity: Error, remediations: [Recreate, Revert]);
rule!(VOLUMEATTACHMENT_SPEC, "volumeattachment-spec",
    kinds: ["VolumeAttachment.storage.k8s.io"], fields: ["spec"],
    condition: "anything in spec (attacher, nodeName, source) changes",
    versions: "all",
    severity: Error, remediations: [Recreate, Revert]);
rule!(VOLUMEATTRIBUTESCLASS_DRIVER_NAME, "volumeattributesclass-driver-name",
    kinds: ["VolumeAttributesClass.storage.k8s.io"], fields: ["driverName"],
    condition: "driverName changes",
    versions: "all",
    severity: Error, remediations: [RenameBlueGreen, Recreate]);
rule!(VOLUMEATTRIBUTESCLASS_PARAMETERS, "volumeattributesclass-parameters",
    kinds: ["VolumeAttributesClass.storage.k8s.io"], fields: ["parameters"],
    condition: "parameters change",
    versions: "all",
    severity: Error, remediations: [RenameBlueGreen, Recreate]);
rule!(CSISTORAGECAPACITY_FIELDS, "csistoragecapacity-fields",
    kinds: ["CSIStorageCapacity.storage.k8s.io"], fields: ["nodeTopology", "storageClassName"],
    condition: "nodeTopology or storageClassName changes",
    versions: "all",
    severity: Error, remediations: [Recreate]);
rule!(CSINODE_DRIVERS, "csinode-drivers",
    kinds: ["CSINode.storage.k8s.io"], fields: ["spec.drivers[]"],
    condition: "an existing driver entry (same name) changes; adding or removing entries is allowed, and allocatable may change on 1.34+ (MutableCSINodeAllocatableCount beta)",
    versions: "all; allocatable mutable since 1.34",
    severity: Error, remediations: [Revert]);
rule!(PRIORITYCLASS_VALUE, "priorityclass-value",
    kinds: ["PriorityClass.scheduling.k8s.io"], fields: ["value"],
    condition: "value changes",
    versions: "all",
    severity: Error, remediations: [RenameBlueGreen, Recreate, Revert]);
rule!(PRIORITYCLASS_PREEMPTION_POLICY, "priorityclass-preemption-policy",
    kinds: ["PriorityClass.scheduling.k8s.io"], fields: ["preemptionPolicy"],
    condition: "preemptionPolicy changes (omitted = PreemptLowerPriority)",
    versions: "all",
    severity: Error, remediations: [RenameBlueGreen, Recreate, Revert]);
rule!(INGRESSCLASS_CONTROLLER, "ingressclass-controller",
    kinds: ["IngressClass.networking.k8s.io"], fields: ["spec.controller"],
    condition: "spec.controller changes (parameters and the default-class annotation are mutable)",
    versions: "all",
    severity: Error, remediations: [RenameBlueGreen, Recreate, Revert]);
rule!(ENDPOINTSLICE_ADDRESS_TYPE, "endpointslice-address-type",
    kinds: ["EndpointSlice.discovery.k8s.io"], fields: ["addressType"],
    condition: "addressType changes",
    versions: "all",
    severity: Error, remediations: [Recreate, Revert]);
rule!(RESOURCEQUOTA_SCOPES, "resourcequota-scopes",
    kinds: ["ResourceQuota"], fields: ["spec.scopes"],
    condition: "the set of scopes changes (order irrelevant; spec.hard is mutable)",
    versions: "all",
    severity: Error, remediations: [Recreate, RenameBlueGreen, Revert]);
rule!(SERVICECIDR_CIDRS, "servicecidr-cidrs",
    kinds: ["ServiceCIDR.networking.k8s.io"], fields: ["spec.cidrs"],
    condition: "spec.cidrs changes",
    versions: "1.29+ (field introduced)",
    severity: Error, remediations: [Recreate, Revert]);
rule!(IPADDRESS_PARENT_REF, "ipaddress-parent-ref",
    kinds: ["IPAddress.networking.k8s.io"], fields: ["spec.parentRef"],
    condition: "spec.parentRef changes",
    versions: "1.27+ (kind introduced)",
    severity: Error, remediations: [Recreate, Revert]);
rule!(NODE_POD_CIDR, "node-pod-cidr",
    kinds: ["Node"], fields: ["spec.podCIDR", "spec.podCIDRs"],
    condition: "podCIDR or podCIDRs change once set",
    versions: "all",
    severity: Error, remediations: [DropField]);
rule!(NODE_PROVIDER_ID, "node-provider-id",
    kinds: ["Node"], fields: ["spec.providerID"],
    condition: "providerID changes once set",
    versions: "all",
    severity: Error, remediations: [DropField]);
rule!(NODE_SPEC, "node-spec",
    kinds: ["Node"], fields: ["spec.*"],
    condition: "a spec field other than podCIDR(s), providerID, unschedulable and taints changes (configSource, externalID)",
    versions: "all (configSource only while the DynamicKubeletConfig gate existed, removed in 1.24)",
    severity: Error, remediations: [DropField, Revert]);
rule!(CONTROLLERREVISION_DATA, "controllerrevision-data",
    kinds: ["ControllerRevision.apps"], fields: ["data"],
    condition: "data changes",
    versions: "all",
    severity: Error, remediations: [Recreate]);
rule!(PODDISRUPTIONBUDGET_SPEC, "poddisruptionbudget-spec",
    kinds: ["PodDisruptionBudget.policy"], fields: ["spec"],
    condition: "spec changes on a server older than 1.15",
    versions: "immutable before 1.15, mutable since",
    severity: Error, remediations: [Recreate]);
rule!(PODDISRUPTIONBUDGET_MIN_AND_MAX, "poddisruptionbudget-min-and-max",
    kinds: ["PodDisruptionBudget.policy"], fields: ["spec.minAvailable", "spec.maxUnavailable"],
    condition: "after the update both minAvailable and maxUnavailable are set: git switches from one to the other while apply keeps the one git does not own (set by another field manager or kubectl edit), or git sets both",
    versions: "all",
    severity: Error, remediations: [ClearKeptField, Revert]);
rule!(HPA_MIN_REPLICAS_ZERO, "hpa-min-replicas-zero",
    kinds: ["HorizontalPodAutoscaler.autoscaling"], fields: ["spec.minReplicas"],
    condition: "minReplicas becomes 0 while the live object has more (only a live 0 is kept, as a ratchet, without the HPAScaleToZero alpha gate)",
    versions: "all with default feature gates (HPAScaleToZero is alpha)",
    severity: Error, remediations: [Revert]);
rule!(NAMESPACE_FINALIZERS_IGNORED, "namespace-finalizers-ignored",
    kinds: ["Namespace"], fields: ["spec.finalizers"],
    condition: "spec.finalizers changes: the server silently keeps the live value (only namespaces/finalize changes it)",
    versions: "all",
    severity: Info, remediations: [DropField]);
rule!(CSR_SPEC_IGNORED, "csr-spec-ignored",
    kinds: ["CertificateSigningRequest.certificates.k8s.io"], fields: ["spec"],
    condition: "spec changes: the server silently keeps the live spec",
    versions: "all",
    severity: Info, remediations: [RenameBlueGreen, Revert]);

/// `roleRef` of a RoleBinding or ClusterRoleBinding.
pub(super) fn role_binding(c: &mut Checker<'_>, rule: &'static RuleInfo) {
    if c.upd.mode == Mode::Apply && c.upd.sent(&["roleRef"]) == Sent::Absent {
        return;
    }
    let part = |upd: &crate::update::Update<'_>, key: &str, old: bool| -> String {
        let path = ["roleRef", key];
        let value = if old {
            upd.old_str(&path)
        } else {
            upd.new_str(&path)
        };
        match (key, value) {
            ("apiGroup", None | Some("")) => "rbac.authorization.k8s.io".to_owned(),
            (_, v) => v.unwrap_or_default().to_owned(),
        }
    };
    let changed = ["apiGroup", "kind", "name"]
        .iter()
        .find(|key| part(&c.upd, key, true) != part(&c.upd, key, false));
    if let Some(key) = changed {
        let field = format!("roleRef.{key}");
        let error = if c.ctx.server_version.is_some() && c.at_least(1, 36) {
            "roleRef: Invalid value: ...: field is immutable (older servers: cannot change roleRef)"
        } else {
            "roleRef: Invalid value: rbac.RoleRef{...}: cannot change roleRef (newer servers: field is immutable)"
        };
        c.report(
            rule,
            &field,
            "a binding grants exactly one role for its whole life; delete and recreate it (or create a binding with a new name)",
            error,
        );
    }
}

fn bool_changed(c: &Checker<'_>, path: &[&str], default: bool) -> bool {
    let old = c
        .upd
        .old_at(path)
        .and_then(Value::as_bool)
        .unwrap_or(default);
    let new = match (c.upd.sent(path), c.upd.mode) {
        (Sent::Absent, Mode::Apply) => return false,
        (Sent::Value(v), _) => v.as_bool().unwrap_or(default),
        _ => default,
    };
    old != new
}

/// StorageClass rules.
pub(super) fn storage_class(c: &mut Checker<'_>) {
    if let Some(field) = c.upd.difference(&["parameters"]) {
        c.report(
            &STORAGECLASS_PARAMETERS,
            &field,
            "volumes already provisioned from the class were made with the old parameters; create a class with a new name",
            "parameters: Forbidden: updates to parameters are forbidden.",
        );
    }
    c.immutable_defaulted(
        &STORAGECLASS_PROVISIONER,
        &["provisioner"],
        "",
        "provisioner: Forbidden: updates to provisioner are forbidden.",
    );
    c.immutable_defaulted(
        &STORAGECLASS_RECLAIM_POLICY,
        &["reclaimPolicy"],
        "Delete",
        "reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.",
    );
    c.immutable_defaulted(
        &STORAGECLASS_VOLUME_BINDING_MODE,
        &["volumeBindingMode"],
        "Immediate",
        "volumeBindingMode: Invalid value: ...: field is immutable",
    );
}

/// CSIDriver rules.
pub(super) fn csi_driver(c: &mut Checker<'_>) {
    if bool_changed(c, &["spec", "attachRequired"], true) {
        c.report(
            &CSIDRIVER_ATTACH_REQUIRED,
            "spec.attachRequired",
            CSIDRIVER_ATTACH_REQUIRED.condition,
            "spec.attachedRequired: Invalid value: ...: field is immutable",
        );
    }
    let modes = ["spec", "volumeLifecycleModes"];
    let default = Value::Array(vec![Value::String("Persistent".into())]);
    let new = match (c.upd.sent(&modes), c.upd.mode) {
        (Sent::Absent, Mode::Apply) => None,
        (Sent::Value(v), _) => Some(v),
        _ => Some(&default),
    };
    if let Some(new) = new {
        let old = c.upd.old_at(&modes).unwrap_or(&default);
        if !semantic_eq(Some(old), Some(new), Slot::Field) {
            c.report(
                &CSIDRIVER_VOLUME_LIFECYCLE_MODES,
                "spec.volumeLifecycleModes",
                CSIDRIVER_VOLUME_LIFECYCLE_MODES.condition,
                "spec.volumeLifecycleModes: Invalid value: ...: field is immutable",
            );
        }
    }
    if c.ctx.older_than(1, 28) {
        if bool_changed(c, &["spec", "podInfoOnMount"], false) {
            c.report(
                &CSIDRIVER_POD_INFO_ON_MOUNT,
                "spec.podInfoOnMount",
                "servers before 1.28 refuse podInfoOnMount changes",
                "spec.podInfoOnMount: Invalid value: ...: field is immutable",
            );
        }
        c.immutable_defaulted(
            &CSIDRIVER_FS_GROUP_POLICY,
            &["spec", "fsGroupPolicy"],
            "ReadWriteOnceWithFSType",
            "spec.fsGroupPolicy: Invalid value: ...: field is immutable",
        );
    }
}

/// VolumeAttachment rules.
pub(super) fn volume_attachment(c: &mut Checker<'_>) {
    if let Some(field) = c.upd.difference(&["spec"]) {
        c.report(
            &VOLUMEATTACHMENT_SPEC,
            &field,
            "an attachment records one volume on one node; it is never edited",
            "spec: Invalid value: ...: field is immutable",
        );
    }
}

/// VolumeAttributesClass rules.
pub(super) fn volume_attributes_class(c: &mut Checker<'_>) {
    c.immutable_defaulted(
        &VOLUMEATTRIBUTESCLASS_DRIVER_NAME,
        &["driverName"],
        "",
        "driverName: Forbidden: updates to driverName are forbidden.",
    );
    c.immutable(
        &VOLUMEATTRIBUTESCLASS_PARAMETERS,
        &["parameters"],
        "parameters: Forbidden: updates to parameters are forbidden.",
    );
}

/// CSIStorageCapacity rules.
pub(super) fn csi_storage_capacity(c: &mut Checker<'_>) {
    c.immutable(
        &CSISTORAGECAPACITY_FIELDS,
        &["nodeTopology"],
        "nodeTopology: Invalid value: ...: field is immutable",
    );
    c.immutable_defaulted(
        &CSISTORAGECAPACITY_FIELDS,
        &["storageClassName"],
        "",
        "storageClassName: Invalid value: ...: field is immutable",
    );
}

/// CSINode: existing driver entries are fixed.
pub(super) fn csi_node(c: &mut Checker<'_>) {
    let path = ["spec", "drivers"];
    let Sent::Value(Value::Array(new)) = c.upd.sent(&path) else {
        return;
    };
    let old: &[Value] = c
        .upd
        .old_at(&path)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    let without_allocatable = |driver: &Value, drop: bool| {
        let mut d = driver.clone();
        if let (true, Value::Object(map)) = (drop, &mut d) {
            map.remove("allocatable");
        }
        d
    };
    let allocatable_mutable = c.at_least(1, 34);
    for (i, driver) in new.iter().enumerate() {
        let name = driver.get("name");
        let Some(live) = old.iter().find(|d| d.get("name") == name) else {
            continue;
        };
        let same = semantic_eq(
            Some(&without_allocatable(live, allocatable_mutable)),
            Some(&without_allocatable(driver, allocatable_mutable)),
            Slot::Field,
        );
        if !same {
            let field = format!("spec.drivers[{i}]");
            c.report(
                &CSINODE_DRIVERS,
                &field,
                "a registered CSI driver entry of a node cannot be edited; the kubelet re-registers drivers itself",
                "CSINodeDriver: Invalid value: ...: field is immutable",
            );
        }
    }
}

/// PriorityClass rules.
pub(super) fn priority_class(c: &mut Checker<'_>) {
    c.immutable(
        &PRIORITYCLASS_VALUE,
        &["value"],
        "value: Forbidden: may not be changed in an update.",
    );
    c.immutable_defaulted(
        &PRIORITYCLASS_PREEMPTION_POLICY,
        &["preemptionPolicy"],
        "PreemptLowerPriority",
        "preemptionPolicy: Invalid value: ...: field is immutable",
    );
}

/// IngressClass rules.
pub(super) fn ingress_class(c: &mut Checker<'_>) {
    c.immutable_defaulted(
        &INGRESSCLASS_CONTROLLER,
        &["spec", "controller"],
        "",
        "spec.controller: Invalid value: ...: field is immutable",
    );
}

/// ServiceCIDR rules.
pub(super) fn service_cidr(c: &mut Checker<'_>) {
    c.immutable(
        &SERVICECIDR_CIDRS,
        &["spec", "cidrs"],
        "spec.cidrs: Invalid value: ...: field is immutable",
    );
}

/// IPAddress rules.
pub(super) fn ip_address(c: &mut Checker<'_>) {
    c.immutable(
        &IPADDRESS_PARENT_REF,
        &["spec", "parentRef"],
        "spec.parentRef: Invalid value: ...: field is immutable",
    );
}

/// EndpointSlice rules.
pub(super) fn endpoint_slice(c: &mut Checker<'_>) {
    c.immutable_defaulted(
        &ENDPOINTSLICE_ADDRESS_TYPE,
        &["addressType"],
        "",
        "addressType: Invalid value: ...: field is immutable",
    );
}

/// ResourceQuota rules.
pub(super) fn resource_quota(c: &mut Checker<'_>) {
    let path = ["spec", "scopes"];
    let set = |v: Option<&Value>| -> BTreeSet<String> {
        v.and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let new = match (c.upd.sent(&path), c.upd.mode) {
        (Sent::Absent, Mode::Apply) => return,
        (Sent::Value(v), _) => set(Some(v)),
        _ => BTreeSet::new(),
    };
    if set(c.upd.old_at(&path)) != new {
        c.report(
            &RESOURCEQUOTA_SCOPES,
            "spec.scopes",
            "a quota's scopes decide what it counts; they are fixed at creation",
            "spec.scopes: Invalid value: ...: field is immutable",
        );
    }
}

/// Node rules.
pub(super) fn node(c: &mut Checker<'_>) {
    for (rule, key) in [
        (&NODE_POD_CIDR, "podCIDR"),
        (&NODE_POD_CIDR, "podCIDRs"),
        (&NODE_PROVIDER_ID, "providerID"),
    ] {
        let path = ["spec", key];
        let set_before = c
            .upd
            .old_at(&path)
            .is_some_and(|v| !crate::compare::is_vacuous(v));
        if set_before {
            let error = format!("spec.{key}: Forbidden: node updates may not change {key} except from \"\" to valid");
            c.immutable(rule, &path, &error);
        }
    }
    node_residual_spec(c);
}

/// `ValidateNodeUpdate` compares what is left of the spec after the allowed changes.
fn node_residual_spec(c: &mut Checker<'_>) {
    for key in c.upd.keys(&["spec"]) {
        if matches!(
            key,
            "podCIDR" | "podCIDRs" | "providerID" | "unschedulable" | "taints"
        ) {
            continue;
        }
        if let Some(field) = c.upd.difference(&["spec", key]) {
            c.report(
                &NODE_SPEC,
                &field,
                "the kubelet owns a Node's spec; an update may change only labels, taints, unschedulable and a podCIDR or providerID that was empty",
                "Forbidden: node updates may only change labels, taints, or capacity (wording varies by release)",
            );
        }
    }
}

/// ControllerRevision rules.
pub(super) fn controller_revision(c: &mut Checker<'_>) {
    c.immutable(
        &CONTROLLERREVISION_DATA,
        &["data"],
        "data: Invalid value: ...: field is immutable",
    );
}

/// PodDisruptionBudget rules: the whole spec on old servers, and the one-of pair of budgets.
pub(super) fn pod_disruption_budget(c: &mut Checker<'_>) {
    if c.ctx.older_than(1, 15) {
        c.immutable(
            &PODDISRUPTIONBUDGET_SPEC,
            &["spec"],
            "spec: Forbidden: updates to poddisruptionbudget spec are forbidden.",
        );
    }
    min_and_max_available(c);
}

/// `ValidatePodDisruptionBudgetSpec`: minAvailable and maxUnavailable are one-of. A set `0` counts
/// (the fields are pointers), so presence, not emptiness, decides.
fn min_and_max_available(c: &mut Checker<'_>) {
    let min = ["spec", "minAvailable"];
    let max = ["spec", "maxUnavailable"];
    let sent = |path: &[&str]| matches!(c.upd.sent(path), Sent::Value(_));
    if !c.upd.changed(&min) && !c.upd.changed(&max) {
        return;
    }
    if !kept::survives(c, &min, false) || !kept::survives(c, &max, false) {
        return;
    }
    // Blame the budget git did not send; when git sends both, the manifest itself is invalid.
    let (field, reason) = if sent(&min) && sent(&max) {
        (
            "spec",
            "a budget is either minAvailable or maxUnavailable; the manifest sets both: remove one of them from git".to_owned(),
        )
    } else {
        let other = if sent(&min) { &max } else { &min };
        (
            if sent(&min) {
                "spec.maxUnavailable"
            } else {
                "spec.minAvailable"
            },
            format!(
                "a budget is either minAvailable or maxUnavailable, and the update keeps the other one: {}",
                kept::advice(c, other)
            ),
        )
    };
    c.report(
        &PODDISRUPTIONBUDGET_MIN_AND_MAX,
        field,
        &reason,
        "spec: Invalid value: ...: minAvailable and maxUnavailable cannot be both set",
    );
}

/// HorizontalPodAutoscaler: scaling to zero needs an alpha gate.
pub(super) fn horizontal_pod_autoscaler(c: &mut Checker<'_>) {
    let path = ["spec", "minReplicas"];
    let new = c.upd.new_at(&path).and_then(Value::as_i64);
    let old = c.upd.old_at(&path).and_then(Value::as_i64).unwrap_or(1);
    if new == Some(0) && old != 0 {
        c.report(
            &HPA_MIN_REPLICAS_ZERO,
            "spec.minReplicas",
            "scaling to zero needs the HPAScaleToZero feature gate (alpha, off by default)",
            "spec.minReplicas: Invalid value: 0: must be greater than or equal to 1",
        );
    }
}

/// Namespace: spec.finalizers changes are dropped.
pub(super) fn namespace(c: &mut Checker<'_>) {
    if let Sent::Value(_) = c.upd.sent(&["spec", "finalizers"]) {
        if c.upd.changed(&["spec", "finalizers"]) {
            c.report_as(
                &NAMESPACE_FINALIZERS_IGNORED,
                Severity::Info,
                "spec.finalizers",
                "namespace finalizers change only through the namespaces/finalize subresource; this change has no effect",
                "none: accepted, spec.finalizers silently reset",
            );
        }
    }
}

/// CertificateSigningRequest: spec changes are dropped.
pub(super) fn csr(c: &mut Checker<'_>) {
    if let Some(field) = c.upd.difference(&["spec"]) {
        c.report_as(
            &CSR_SPEC_IGNORED,
            Severity::Info,
            &field,
            "a CSR's spec is fixed at creation; the update is accepted but the change is dropped",
            "none: accepted, spec silently reset",
        );
    }
}
