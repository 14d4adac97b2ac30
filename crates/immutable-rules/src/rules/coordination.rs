//! `coordination.k8s.io` kinds other than Lease (which is fully mutable): the lease a
//! LeaseCandidate competes for (`ValidateLeaseCandidateSpecUpdate`) and the target of an
//! EvictionRequest (`ValidateEvictionRequestSpecUpdate`) are fixed.

use super::Checker;

rule!(LEASECANDIDATE_LEASE_NAME, "leasecandidate-lease-name",
    kinds: ["LeaseCandidate.coordination.k8s.io"], fields: ["spec.leaseName"],
    condition: "spec.leaseName changes",
    versions: "1.31+ (v1alpha1; v1beta1 1.33), served only with the CoordinatedLeaderElection feature gate",
    severity: Error, remediations: [RenameBlueGreen, Recreate]);
rule!(EVICTIONREQUEST_TARGET, "evictionrequest-target",
    kinds: ["EvictionRequest.coordination.k8s.io"], fields: ["spec.target"],
    condition: "spec.target (the pod to evict) changes",
    versions: "alpha kind of the newest releases, served only with its feature gate",
    severity: Error, remediations: [Recreate]);

/// LeaseCandidate rules.
pub(super) fn lease_candidate(c: &mut Checker<'_>) {
    c.immutable_defaulted(
        &LEASECANDIDATE_LEASE_NAME,
        &["spec", "leaseName"],
        "",
        "spec.leaseName: Invalid value: ...: field is immutable",
    );
}

/// EvictionRequest rules.
pub(super) fn eviction_request(c: &mut Checker<'_>) {
    c.immutable_subtree(
        &EVICTIONREQUEST_TARGET,
        &["spec", "target"],
        "an eviction request is about one pod; ask for another pod with a new EvictionRequest",
        "spec.target: Invalid value: ...: field is immutable",
    );
}
