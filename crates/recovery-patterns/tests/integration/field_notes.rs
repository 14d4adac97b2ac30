//! Every real message quoted in the field notes (§5 "Real error strings"), classified with the
//! built-in patterns, with the object each one names.

use recovery_patterns::{Action, Severity};

use crate::support::{expect_action, t, target_of};

#[test]
fn n1_daemonset_selector_old_flux_wrapper() {
    let message = r#"DaemonSet/jhub/eosfuse dry-run failed, reason: Invalid: DaemonSet.apps "eosfuse" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"eosfuse"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"#;
    let found = expect_action(message, Some("Kustomization"), &Action::RecreateResource);
    assert_eq!(found.pattern, "field-immutable");
    assert_eq!(found.severity, Severity::High);
    assert_eq!(
        target_of(&found),
        t("DaemonSet", Some("jhub"), "eosfuse", Some("spec.selector"))
    );
}

#[test]
fn n3_job_template_current_flux_wrapper() {
    // The reporter abbreviated the message into two parts; both shapes must work.
    let message = "Job/mcp-system/memory-mcp-migrate dry-run failed (Invalid): spec.template: field is immutable";
    let found = expect_action(message, Some("Kustomization"), &Action::RecreateResource);
    assert_eq!(
        target_of(&found),
        t(
            "Job",
            Some("mcp-system"),
            "memory-mcp-migrate",
            Some("spec.template")
        )
    );
    let first_part = expect_action(
        "Job/mcp-system/memory-mcp-migrate dry-run failed (Invalid): Job.batch \"memory-mcp-migrate\" is invalid: spec.template: Invalid value: core.PodTemplateSpec{}: field is immutable",
        None,
        &Action::RecreateResource,
    );
    assert_eq!(
        target_of(&first_part),
        t(
            "Job",
            Some("mcp-system"),
            "memory-mcp-migrate",
            Some("spec.template")
        )
    );
}

#[test]
fn n5_helm_operation_in_progress() {
    let found = expect_action(
        "Helm upgrade failed: another operation (install/upgrade/rollback) is in progress",
        Some("HelmRelease"),
        &Action::UnlockHelmRelease,
    );
    assert_eq!(found.pattern, "helm-operation-in-progress");
    assert_eq!(found.target, None);
}

#[test]
fn n7_upgrade_retries_exhausted() {
    let found = expect_action(
        "upgrade retries exhausted",
        Some("HelmRelease"),
        &Action::ResetHelmRelease,
    );
    assert_eq!(found.severity, Severity::Critical);
    expect_action(
        "install retries exhausted",
        Some("HelmRelease"),
        &Action::ResetHelmRelease,
    );
}

#[test]
fn n9_client_rate_limiter() {
    let found = expect_action(
        "client rate limiter Wait returned an error: context deadline exceeded",
        Some("HelmRelease"),
        &Action::RequestReconcile,
    );
    // Both transient patterns match; the longer, more specific one wins.
    assert_eq!(found.pattern, "client-rate-limiter");
}

#[test]
fn n11_health_check_timeout() {
    let message = "Health check failed after 5m0.030442677s, timeout waiting for: [ImageUpdateAutomation/e13/home-e13-dev status: 'Terminating', ImagePolicy/e13/home-e13-dev status: 'Terminating', ImageRepository/e13/home-e13-dev status: 'Terminating']";
    let found = expect_action(message, Some("Kustomization"), &Action::RequestReconcile);
    assert_eq!(found.pattern, "health-check-timeout");
    assert_eq!(
        target_of(&found),
        t("ImageUpdateAutomation", Some("e13"), "home-e13-dev", None)
    );
    // The reporter wrapped the lines; a newline inside must not break matching.
    let wrapped = message.replace(", ImagePolicy", ",\nImagePolicy");
    expect_action(&wrapped, Some("Kustomization"), &Action::RequestReconcile);
}

#[test]
fn n13_kustomize_build_failed_with_a_timeout_inside() {
    let message = "kustomize build failed: accumulating resources: accumulation err='accumulating resources from '../../base/infrastructure': read /tmp/kustomization-1762639108/kubernetes/base/infrastructure: is a directory': … hit 27s timeout running '/usr/bin/git submodule update --init --recursive'";
    let found = expect_action(message, Some("Kustomization"), &Action::FixInGit);
    assert_eq!(found.pattern, "kustomize-build-failed");
}

#[test]
fn n15_pvc_spec_immutable_three_variants() {
    let variants = [
        r#"PersistentVolumeClaim "serverless-docker-registry" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests for bound claims"#,
        r#"PersistentVolumeClaim "atlantis-data" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"#,
        r#"Upgrade "grafana" failed: cannot patch "grafana" with kind PersistentVolumeClaim: PersistentVolumeClaim "grafana" is invalid: spec: Forbidden: is immutable after creation except resources.requests for bound claims"#,
    ];
    let names = ["serverless-docker-registry", "atlantis-data", "grafana"];
    for (message, name) in variants.iter().zip(names) {
        let found = expect_action(message, None, &Action::RecreateResource);
        assert_eq!(found.pattern, "immutable-after-creation", "{message}");
        assert_eq!(
            target_of(&found),
            t("PersistentVolumeClaim", None, name, Some("spec"))
        );
    }
}

#[test]
fn n17_service_cluster_ip() {
    let found = expect_action(
        r#"The Service "ingress-nginx-nginx-ingress-controller" is invalid: spec.clusterIP: Invalid value: "": field is immutable"#,
        None,
        &Action::RecreateResource,
    );
    assert_eq!(
        target_of(&found),
        t(
            "Service",
            None,
            "ingress-nginx-nginx-ingress-controller",
            Some("spec.clusterIP")
        )
    );
}

#[test]
fn n19_immutable_configmap() {
    let found = expect_action(
        "ConfigMap xxx is invalid: data: Forbidden: field is immutable when immutable is set",
        None,
        &Action::RecreateResource,
    );
    assert_eq!(target_of(&found), t("ConfigMap", None, "xxx", Some("data")));
}

#[test]
fn n21_namespace_terminating() {
    let found = expect_action(
        r#"Error from server (Forbidden): error when creating "STDIN": secrets "gitops-scmm" is forbidden: unable to create new content in namespace fluxv2 because it is being terminated"#,
        None,
        &Action::NamespaceTerminating,
    );
    assert_eq!(
        target_of(&found),
        t("Secret", Some("fluxv2"), "gitops-scmm", None)
    );
}

#[test]
fn n23_helm_replace_immutable_beats_upgrade_failed() {
    let found = expect_action(
        r#"Error: UPGRADE FAILED: failed to replace object: Service "nginx-chart" is invalid: spec.clusterIP: Invalid value: "": field is immutable"#,
        Some("HelmRelease"),
        &Action::RecreateResource,
    );
    assert_eq!(
        target_of(&found),
        t("Service", None, "nginx-chart", Some("spec.clusterIP"))
    );
}

#[test]
fn n25_kustomization_path_not_found() {
    let found = expect_action(
        "kustomization path not found: stat /tmp/kustomization-1464362706/invalid: no such file or directory",
        Some("Kustomization"),
        &Action::FixInGit,
    );
    assert_eq!(found.pattern, "kustomization-path-not-found");
}

#[test]
fn controller_format_strings() {
    let cases: [(&str, Option<&str>, Action); 8] = [
        ("Failed to install after 3 attempt(s)", Some("HelmRelease"), Action::ResetHelmRelease),
        ("Failed to upgrade after 1 attempt(s)", Some("HelmRelease"), Action::ResetHelmRelease),
        ("exceeded maximum retries: cannot upgrade release", Some("HelmRelease"), Action::ResetHelmRelease),
        ("Failed to perform remediation: missing target release for rollback", Some("HelmRelease"), Action::ResetHelmRelease),
        ("dependency 'flux-system/infra' is not ready", Some("Kustomization"), Action::WaitForDependencies),
        ("dependency 'flux-system/infra' not found: Kustomization.kustomize.toolkit.fluxcd.io \"infra\" not found", Some("Kustomization"), Action::WaitForDependencies),
        ("Source artifact not found, retrying in 30s", Some("Kustomization"), Action::RetrySource),
        ("Source 'GitRepository/flux-system/podinfo' not found", Some("Kustomization"), Action::RetrySource),
    ];
    for (message, carrier, action) in cases {
        expect_action(message, carrier, &action);
    }
    let dependency = expect_action(
        "dependency 'flux-system/infra' is not ready",
        Some("HelmRelease"),
        &Action::WaitForDependencies,
    );
    assert_eq!(
        target_of(&dependency),
        t("HelmRelease", Some("flux-system"), "infra", None)
    );
    let source = expect_action(
        "Source 'GitRepository/flux-system/podinfo' not found",
        None,
        &Action::RetrySource,
    );
    assert_eq!(
        target_of(&source),
        t("GitRepository", Some("flux-system"), "podinfo", None)
    );
}

#[test]
fn statefulset_allow_list_every_version() {
    let lists = [
        "'replicas', 'template', and 'updateStrategy'",
        "'replicas', 'template', 'updateStrategy' and 'minReadySeconds'",
        "'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds'",
        "'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds'",
    ];
    for list in lists {
        let message = format!(
            "StatefulSet/data/postgres dry-run failed (Invalid): StatefulSet.apps \"postgres\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than {list} are forbidden"
        );
        let found = expect_action(&message, Some("Kustomization"), &Action::RecreateResource);
        assert_eq!(found.pattern, "statefulset-spec-forbidden");
        assert_eq!(
            target_of(&found),
            t("StatefulSet", Some("data"), "postgres", Some("spec"))
        );
    }
}

#[test]
fn long_go_struct_dumps() {
    // Several KB of `core.PodTemplateSpec{…}` between the path and the verdict.
    let dump = "core.PodTemplateSpec{ObjectMeta:v1.ObjectMeta{Name:\"\", Labels:map[string]string{\"app\":\"x\"}}, Spec:core.PodSpec{Containers:[]core.Container{core.Container{Name:\"main\", Image:\"busybox\", Env:[]core.EnvVar(nil)}}}}, ".repeat(40);
    let message = format!("Job/batch/migrate dry-run failed (Invalid): Job.batch \"migrate\" is invalid: spec.template: Invalid value: {dump}: field is immutable");
    assert!(message.len() > 4000);
    let found = expect_action(&message, Some("Kustomization"), &Action::RecreateResource);
    assert_eq!(
        target_of(&found),
        t("Job", Some("batch"), "migrate", Some("spec.template"))
    );
}

#[test]
fn helm_controller_source_and_timeout_messages() {
    let chart = expect_action(
        "HelmChart 'cnpg-system/cnpg-system-cnpg' is not ready: latest generation of object has not been reconciled",
        Some("HelmRelease"),
        &Action::RetrySource,
    );
    assert_eq!(
        target_of(&chart),
        t("HelmChart", Some("cnpg-system"), "cnpg-system-cnpg", None)
    );
    expect_action(
        r#"could not get Source object: helmcharts.source.toolkit.fluxcd.io "media-sonarr" not found"#,
        Some("HelmRelease"),
        &Action::RetrySource,
    );
    expect_action(
        "Source not ready: artifact not found. Retrying in 30s",
        Some("HelmRelease"),
        &Action::RetrySource,
    );
    expect_action(
        "Source is not ready, artifact not found",
        Some("Kustomization"),
        &Action::RetrySource,
    );
    // A timeout inside a Helm upgrade failure is transient, not a reason to roll back.
    let timeout = expect_action(
        "Helm upgrade failed for release kube-system/cilium with chart cilium@1.17.2: context deadline exceeded",
        Some("HelmRelease"),
        &Action::RequestReconcile,
    );
    assert_eq!(timeout.pattern, "context-deadline-exceeded");
    let plain = expect_action(
        "Helm upgrade failed for release kube-system/cilium with chart cilium@1.17.2: post-upgrade hooks failed: job failed: BackoffLimitExceeded",
        Some("HelmRelease"),
        &Action::RollbackHelmRelease,
    );
    assert_eq!(plain.pattern, "helm-upgrade-failed");
}
