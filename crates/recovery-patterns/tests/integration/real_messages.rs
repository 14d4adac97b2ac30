//! Messages users pasted from real clusters into public issues (found through the issues corpus
//! of the search tool), as they were pasted: each must be decided as a person fixing that cluster
//! would decide it.

use recovery_patterns::{Action, Context};

use crate::support::{expect_action, t, target_of, BUILTIN};

/// `(where it was pasted, message, carrier kind, pattern, action)`.
const PASTED: &[(&str, &str, &str, &str, Action)] = &[
    (
        "a HelmRelease status, 2025",
        "HelmChart 'monitoring/monitoring-monitoring-kube-prometheus-stack' is not ready: invalid chart reference: failed to get chart version for remote reference: no 'kube-prometheus-stack' chart with version matching '55.12.0' found",
        "HelmRelease", "source-ref-not-found", Action::FixInGit,
    ),
    (
        "`flux get helmcharts`, 2025",
        "invalid chart reference: failed to get chart version for remote reference: no 'cloudnative-pg' chart with version matching '1.25.x' found",
        "HelmChart", "source-ref-not-found", Action::FixInGit,
    ),
    (
        "fluxcd/flux2-kustomize-helm-example#111",
        r#"Helm install failed for release cert-manager/cert-manager with chart cert-manager@v1.15.0: Unable to continue with install: CustomResourceDefinition "certificaterequests.cert-manager.io" in namespace "" exists and cannot be imported into the current release: invalid ownership metadata; label validation error: missing key "app.kubernetes.io/managed-by": must be set to "Helm"; annotation validation error: missing key "meta.helm.sh/release-name": must be set to "cert-manager"; annotation validation error: missing key "meta.helm.sh/release-namespace": must be set to "cert-manager""#,
        "HelmRelease", "helm-ownership-conflict", Action::FixInGit,
    ),
    (
        "helm/helm#9125",
        r#"Error: UPGRADE FAILED: rendered manifests contain a resource that already exists. Unable to continue with update: RoleBinding "user1-RoleBinding" in namespace "example" exists and cannot be imported into the current release: invalid ownership metadata; annotation v"#,
        "HelmRelease", "helm-ownership-conflict", Action::FixInGit,
    ),
    (
        "fluxcd/flux2-multi-tenancy#69",
        r#"Namespace/apps dry-run failed, reason: Forbidden, error: namespaces "apps" is forbidden: User "system:serviceaccount:flux-system:default" cannot patch resource "namespaces" in API group "" in the namespace "apps""#,
        "Kustomization", "rbac-forbidden", Action::FixInGit,
    ),
    (
        "fluxcd/flux2#3871",
        r#"ClusterRoleBinding/crd-controller-flux-system apply failed, error: clusterrolebindings.rbac.authorization.k8s.io "crd-controller-flux-system" is forbidden: User "system:serviceaccount:flux-system:kustomize-controller" cannot patch resource "clusterrolebindings" in API group "rbac.authorization.k8s.io" at the cluster scope"#,
        "Kustomization", "rbac-forbidden", Action::FixInGit,
    ),
    (
        "fluxcd/flux2#2772",
        r#"Pod/kube-system/calicoctl dry-run failed, reason: Forbidden, error: pods "calicoctl" is forbidden: error looking up service account kube-system/calicoctl: serviceaccount "calicoctl" not found"#,
        "Kustomization", "referenced-object-missing", Action::WaitForDependencies,
    ),
    (
        "fluxcd/flux2#2386",
        r#"Service/xxx/xxx-manager-metrics-service dry-run failed, reason: Invalid, error: Service "xxx-manager-metrics-service" is invalid: [spec.clusterIPs[0]: Invalid value: []string(nil): primary clusterIP can not be unset, spec.ipFamilies[0]: Invalid value: []core.IPFamily(nil): primary ipFamily can not be unset]"#,
        "Kustomization", "field-may-not-change", Action::RecreateResource,
    ),
    (
        "fluxcd/flux2#5580",
        r#"kustomize build failed: no resource matches strategic merge patch "ServiceAccount.v1.[noGrp]/default.flyte": no matches for Id ServiceAccount.v1.[noGrp]/default.flyte; failed to find unique target for patch ServiceAccount.v1.[noGrp]/default.flyte"#,
        "Kustomization", "kustomize-build-failed", Action::FixInGit,
    ),
    (
        "fluxcd/flux2#5329",
        "failed to determine artifact digest: GET https://ghcr.io/v2/stefanprodan/charts/podinfo/manifests/6.0.0: MANIFEST_UNKNOWN: manifest unknown",
        "OCIRepository", "source-ref-not-found", Action::FixInGit,
    ),
    (
        "fluxcd/source-controller#1673",
        r#"failed to determine artifact digest: Get "https://harbor.tanzu.com/v2/": x509: certificate signed by unknown authority; Get "https://harbor.tanzu.com/v2/": x509: certificate signed by unknown authority"#,
        "OCIRepository", "certificate-untrusted", Action::FixInGit,
    ),
    (
        "fluxcd/flux2#3438",
        "chart pull error: failed to download chart for remote reference: failed to authorize: failed to fetch anonymous token: unexpected status: 403 Forbidden",
        "HelmRelease", "source-auth-failed", Action::FixInGit,
    ),
    (
        "fluxcd/source-controller#894",
        "unknown build error: failed to login to OCI registry",
        "HelmChart", "source-auth-failed", Action::FixInGit,
    ),
    (
        "fluxcd/helm-controller#905",
        "OCIRepository 'podinfo/podinfo' is not ready: latest generation of object has not been reconciled",
        "HelmRelease", "source-not-ready", Action::RetrySource,
    ),
    (
        "a Traefik upgrade's events, 2026",
        "Helm upgrade failed for release ingress/traefik with chart traefik@39.0.1: values don't meet the specifications of the schema(s) in the following chart(s):\ntraefik:\n- at '': additional properties 'replicas' not allowed",
        "HelmRelease", "schema-violation", Action::FixInGit,
    ),
    (
        "a rook-ceph upgrade's events",
        "Helm upgrade failed for release rook-ceph/rook-ceph-cluster with chart rook-ceph-cluster@v1.14.10: error while running post render on files: map[string]interface {}(nil): yaml: unmarshal errors:\n  line 16: mapping key \"csi.storage.k8s.io/snapshotter-secret-name\" already defined at line 14",
        "HelmRelease", "post-render-failed", Action::FixInGit,
    ),
    (
        "a cluster report, 2026",
        "Helm upgrade failed for release spire-mgmt/spire with chart spire@0.30.1: timeout waiting for: [DaemonSet/spire-mgmt/spire-agent status: 'InProgress', Deployment/spire-mgmt/spire-spiffe-oidc-discovery-provider status: 'InProgress']",
        "HelmRelease", "health-check-timeout", Action::RequestReconcile,
    ),
    (
        "a cluster report, 2026",
        "Helm install failed for release commerce/lago with chart lago@1.28.0: failed early due to stalled resources: [Deployment/commerce/lago-billing-worker status: 'Failed']",
        "HelmRelease", "health-check-failed-early", Action::FixInGit,
    ),
    (
        "a cluster report, 2026",
        "Helm install failed for release commerce/lago with chart lago@1.28.0: failed pre-install: timeout waiting for: [Job/commerce/lago-migrate-db status: 'InProgress']",
        "HelmRelease", "health-check-timeout", Action::RequestReconcile,
    ),
    (
        "a cluster report, 2026",
        r#"Helm upgrade failed for release crossplane-system/crossplane with chart crossplane@1.15.1: create: failed to create: admission webhook "oke-resource-leak-protection.oke.com" denied the request: OKE resource leak protection rejected"#,
        "HelmRelease", "admission-denied", Action::FixInGit,
    ),
    (
        "a Stalled HelmRelease, 2026",
        "Helm upgrade failed for release coder/coder-coder with chart coder@2.28.3: context deadline exceeded",
        "HelmRelease", "context-deadline-exceeded", Action::RequestReconcile,
    ),
    (
        "an incident write-up",
        "Helm upgrade failed for release midwestmtg/midwestmtg-backend with chart midwestmtg-backend@0.1.13: pre-upgrade hooks failed: 1 error occurred",
        "HelmRelease", "helm-upgrade-failed", Action::RollbackHelmRelease,
    ),
    (
        "onedr0p/cluster-template#156",
        r#"decryption secret error: Secret "sops-age" not found"#,
        "Kustomization", "sops-decryption-failed", Action::FixInGit,
    ),
    (
        "fluxcd/flux2#5391 (as the reporter retold it)",
        "failed toverify archive computed checksum 'a86d....' does not match provided.",
        "Kustomization", "artifact-corrupt", Action::RetrySource,
    ),
    (
        "fluxcd/flux2#3861",
        "failed to parse digest: invalid checksum digest format",
        "Kustomization", "artifact-corrupt", Action::RetrySource,
    ),
    (
        "a cluster report, 2026",
        "dependency 'observability/signoz' is not ready",
        "HelmRelease", "dependency-not-ready", Action::WaitForDependencies,
    ),
];

#[test]
fn pasted_messages_get_the_action_a_person_would_choose() {
    for (source, message, carrier, pattern, action) in PASTED {
        let found = expect_action(message, Some(carrier), action);
        assert_eq!(found.pattern, *pattern, "{source}: {message}");
    }
}

#[test]
fn sops_error_as_flux_logged_it_classifies_on_its_first_line() {
    // fluxcd/flux2#5154: kustomize-controller's error, SOPS's multi-line explanation included.
    let message = "decryption failed for 'basic-auth': failed to decrypt and format 'flux-system/basic-auth' Secret data: cannot get sops data key: Failed to get the data key required to decrypt the SOPS file.\n\nGroup 0: FAILED\n  age1zyhut6uk754ayr3arpcelf2zvgrllmmj94q8pctwqnr66ul2g5as4wqujw: FAILED\n    - | failed to load age identities: failed to open file: open\n      | /.config/sops/age/keys.txt: no such file or directory\n\nRecovery failed because no master key was able to decrypt the file. In\norder for SOPS to recover the file, at least one key has to be successful,\nbut none were.";
    let found = expect_action(message, Some("Kustomization"), &Action::FixInGit);
    assert_eq!(found.pattern, "sops-decryption-failed");
    let line = BUILTIN.meaningful_line(&Context::new(message));
    assert!(
        line.starts_with("decryption failed for 'basic-auth'"),
        "{line}"
    );
}

#[test]
fn targets_of_pasted_messages() {
    let ownership = expect_action(PASTED[2].1, Some("HelmRelease"), &Action::FixInGit);
    assert_eq!(
        target_of(&ownership),
        t(
            "CustomResourceDefinition",
            None,
            "certificaterequests.cert-manager.io",
            None
        )
    );
    let binding = expect_action(PASTED[3].1, None, &Action::FixInGit);
    assert_eq!(
        target_of(&binding),
        t("RoleBinding", Some("example"), "user1-RoleBinding", None)
    );
    let account = expect_action(
        PASTED[6].1,
        Some("Kustomization"),
        &Action::WaitForDependencies,
    );
    assert_eq!(
        target_of(&account),
        t("Pod", Some("kube-system"), "calicoctl", None)
    );
    let chart = expect_action(PASTED[13].1, Some("HelmRelease"), &Action::RetrySource);
    assert_eq!(
        target_of(&chart),
        t("OCIRepository", Some("podinfo"), "podinfo", None)
    );
}

#[test]
fn a_multi_line_paste_shows_its_failing_line() {
    // A reporter's wrapped copy of a HelmRelease's message.
    let message = "Helm upgrade failed for release media/immich:\n  timeout waiting for: [Cluster/media/immich-cnpg-main status: 'InProgress']";
    let found = expect_action(message, Some("HelmRelease"), &Action::RequestReconcile);
    assert_eq!(found.pattern, "health-check-timeout");
    assert_eq!(
        BUILTIN.meaningful_line(&Context::new(message)),
        "timeout waiting for: [Cluster/media/immich-cnpg-main status: 'InProgress']"
    );
}
