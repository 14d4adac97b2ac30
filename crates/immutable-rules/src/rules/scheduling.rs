//! Workload (`scheduling.k8s.io/v1alpha1`, gang scheduling): the pod groups are fixed, and a set
//! controllerRef may not change (`validateWorkloadSpecUpdate`). PriorityClass lives in `cluster`.

use super::Checker;

rule!(WORKLOAD_POD_GROUPS, "workload-pod-groups",
    kinds: ["Workload.scheduling.k8s.io"], fields: ["spec.podGroups"],
    condition: "spec.podGroups changes (groups added, removed, renamed or their policy changed)",
    versions: "1.35+ (v1alpha1), served only with its alpha feature gate",
    severity: Error, remediations: [RenameBlueGreen, Recreate]);
rule!(WORKLOAD_CONTROLLER_REF, "workload-controller-ref",
    kinds: ["Workload.scheduling.k8s.io"], fields: ["spec.controllerRef"],
    condition: "a set spec.controllerRef changes or is removed (setting it when unset is allowed)",
    versions: "1.35+ (v1alpha1), served only with its alpha feature gate",
    severity: Error, remediations: [Recreate, Revert]);

/// Workload rules.
pub(super) fn workload(c: &mut Checker<'_>) {
    c.immutable_subtree(
        &WORKLOAD_POD_GROUPS,
        &["spec", "podGroups"],
        "the pod groups of a workload are fixed at creation",
        "spec.podGroups: Invalid value: ...: field is immutable",
    );
    let controller_ref = ["spec", "controllerRef"];
    if c.upd.old_at(&controller_ref).is_some() {
        c.immutable_subtree(
            &WORKLOAD_CONTROLLER_REF,
            &controller_ref,
            "the controller a workload belongs to is fixed once set",
            "spec.controllerRef: Invalid value: ...: field is immutable",
        );
    }
}
