//! Dynamic resource allocation (`resource.k8s.io`): a ResourceClaim's and a ResourceClaimTemplate's
//! spec are fixed (`ValidateResourceClaimUpdate`, `ValidateResourceClaimTemplateUpdate`); a
//! ResourceSlice keeps its driver, pool and node (`validateResourceSliceSpec`). DeviceClass and
//! DeviceTaintRule are mutable.

use super::Checker;

rule!(RESOURCECLAIM_SPEC, "resourceclaim-spec",
    kinds: ["ResourceClaim.resource.k8s.io"], fields: ["spec"],
    condition: "anything in spec changes (device requests, constraints, config)",
    versions: "all serving releases (alpha 1.26, v1beta1 1.32, v1 GA 1.34)",
    severity: Error, remediations: [RenameBlueGreen, Recreate]);
rule!(RESOURCECLAIMTEMPLATE_SPEC, "resourceclaimtemplate-spec",
    kinds: ["ResourceClaimTemplate.resource.k8s.io"], fields: ["spec"],
    condition: "anything in spec changes (the claims created from it keep their own copy)",
    versions: "all serving releases (alpha 1.26, v1beta1 1.32, v1 GA 1.34)",
    severity: Error, remediations: [RenameBlueGreen, Recreate]);
rule!(RESOURCESLICE_FIELDS, "resourceslice-fields",
    kinds: ["ResourceSlice.resource.k8s.io"], fields: ["spec.driver", "spec.pool.name", "spec.nodeName"],
    condition: "spec.driver, spec.pool.name or spec.nodeName changes (top-level driverName and nodeName in the 1.30 v1alpha2 shape)",
    versions: "1.30+ (v1alpha2 top-level fields; spec.* since 1.31)",
    severity: Error, remediations: [Recreate]);

/// ResourceClaim rules.
pub(super) fn resource_claim(c: &mut Checker<'_>) {
    c.immutable_subtree(
        &RESOURCECLAIM_SPEC,
        &["spec"],
        "a claim's requests are fixed once it exists (devices may already be allocated for it); create a claim with a new name",
        "spec: Invalid value: ...: field is immutable",
    );
}

/// ResourceClaimTemplate rules.
pub(super) fn resource_claim_template(c: &mut Checker<'_>) {
    c.immutable_subtree(
        &RESOURCECLAIMTEMPLATE_SPEC,
        &["spec"],
        "a claim template is fixed once it exists; create a template with a new name and point the pods at it",
        "spec: Invalid value: ...: field is immutable",
    );
}

/// ResourceSlice rules.
pub(super) fn resource_slice(c: &mut Checker<'_>) {
    for path in [
        &["spec", "driver"][..],
        &["spec", "pool", "name"],
        &["spec", "nodeName"],
        &["driverName"],
        &["nodeName"],
    ] {
        let error = format!("{}: Invalid value: ...: field is immutable", path.join("."));
        c.immutable_defaulted(&RESOURCESLICE_FIELDS, path, "", &error);
    }
}
