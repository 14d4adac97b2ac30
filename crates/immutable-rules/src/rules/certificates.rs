//! `certificates.k8s.io` kinds besides CertificateSigningRequest (whose spec changes are dropped,
//! see `cluster`): a ClusterTrustBundle's signer (`ValidateClusterTrustBundleUpdate`) and the whole
//! spec of a PodCertificateRequest (`ValidatePodCertificateRequestUpdate`) are fixed.

use super::Checker;

rule!(CLUSTERTRUSTBUNDLE_SIGNER_NAME, "clustertrustbundle-signer-name",
    kinds: ["ClusterTrustBundle.certificates.k8s.io"], fields: ["spec.signerName"],
    condition: "spec.signerName changes (the trust bundle itself may change)",
    versions: "1.27+ (v1alpha1; v1beta1 1.33), served only with the ClusterTrustBundle feature gate",
    severity: Error, remediations: [RenameBlueGreen, Recreate]);
rule!(PODCERTIFICATEREQUEST_SPEC, "podcertificaterequest-spec",
    kinds: ["PodCertificateRequest.certificates.k8s.io"], fields: ["spec"],
    condition: "anything in spec changes (signer, pod, key, proof of possession)",
    versions: "1.34+ (v1alpha1), served only with the PodCertificateRequest feature gate",
    severity: Error, remediations: [Recreate]);

/// ClusterTrustBundle rules.
pub(super) fn cluster_trust_bundle(c: &mut Checker<'_>) {
    c.immutable_defaulted(
        &CLUSTERTRUSTBUNDLE_SIGNER_NAME,
        &["spec", "signerName"],
        "",
        "spec.signerName: Invalid value: ...: field is immutable",
    );
}

/// PodCertificateRequest rules.
pub(super) fn pod_certificate_request(c: &mut Checker<'_>) {
    c.immutable_subtree(
        &PODCERTIFICATEREQUEST_SPEC,
        &["spec"],
        "a pod certificate request is fixed once made; the kubelet creates a new one to rotate",
        "spec: Invalid value: ...: field is immutable",
    );
}
