//! The API server's update-time immutability errors (reference: immutable-fields.md), each as the
//! inner message of a Flux wrapper: all must say `recreate_resource`; neighbouring validation
//! errors that are not about immutability must not.

use recovery_patterns::{Action, PatternSet};

use crate::support::expect_action;

/// (kind.group, field path, the rest of the API server's message)
const IMMUTABLE: &[(&str, &str, &str)] = &[
    ("Deployment.apps", "spec.selector", r#"Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web"}}: field is immutable"#),
    ("ReplicaSet.apps", "spec.selector", "Invalid value: v1.LabelSelector{}: field is immutable"),
    ("Job.batch", "spec.completions", "Invalid value: 5: field is immutable"),
    ("Job.batch", "spec.completionMode", r#"Invalid value: "Indexed": field is immutable"#),
    ("Job.batch", "spec.podFailurePolicy", "Invalid value: {}: field is immutable"),
    ("Service", "spec.clusterIPs[0]", r#"Invalid value: ["10.0.0.1"]: may not change once set"#),
    ("Service", "spec.loadBalancerClass", r#"Invalid value: "lb.example.com/v2": may not change once set"#),
    ("Service", "spec.healthCheckNodePort", "Forbidden: field is immutable"),
    ("Service", "spec.ipFamilies[0]", r#"Invalid value: "IPv6": may not change once set"#),
    ("PersistentVolume", "spec.persistentvolumesource", "Forbidden: spec.persistentvolumesource is immutable after creation"),
    ("PersistentVolume", "volumeMode", r#"Invalid value: "Block": field is immutable"#),
    ("PersistentVolume", "nodeAffinity", "Invalid value: core.VolumeNodeAffinity{}: field is immutable, except for updating from beta label to GA"),
    ("PersistentVolumeClaim", "metadata.annotations.volume.beta.kubernetes.io/storage-class", r#"Invalid value: "fast": field is immutable"#),
    ("ConfigMap", "immutable", "Forbidden: field is immutable when `immutable` is set"),
    ("Secret", "data", "Forbidden: field is immutable when `immutable` is set"),
    ("Secret", "type", r#"Invalid value: "kubernetes.io/tls": field is immutable"#),
    ("IngressClass.networking.k8s.io", "spec.controller", r#"Invalid value: "example.com/b": field is immutable"#),
    ("RoleBinding.rbac.authorization.k8s.io", "roleRef", "Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"ClusterRole\", Name:\"view\"}: cannot change roleRef"),
    ("ClusterRoleBinding.rbac.authorization.k8s.io", "roleRef", "Invalid value: rbac.RoleRef{}: field is immutable"),
    ("StorageClass.storage.k8s.io", "parameters", "Forbidden: updates to parameters are forbidden."),
    ("StorageClass.storage.k8s.io", "provisioner", "Forbidden: updates to provisioner are forbidden."),
    ("StorageClass.storage.k8s.io", "reclaimPolicy", "Forbidden: updates to reclaimPolicy are forbidden."),
    ("StorageClass.storage.k8s.io", "volumeBindingMode", r#"Invalid value: "WaitForFirstConsumer": field is immutable"#),
    ("CSIDriver.storage.k8s.io", "spec.attachedRequired", "Invalid value: false: field is immutable"),
    ("VolumeAttachment.storage.k8s.io", "spec", "Invalid value: storage.VolumeAttachmentSpec{}: field is immutable"),
    ("VolumeAttributesClass.storage.k8s.io", "driverName", "Forbidden: updates to driverName are forbidden."),
    ("PriorityClass.scheduling.k8s.io", "value", "Forbidden: may not be changed in an update."),
    ("PriorityClass.scheduling.k8s.io", "preemptionPolicy", r#"Invalid value: "Never": field is immutable"#),
    ("CustomResourceDefinition.apiextensions.k8s.io", "spec.group", r#"Invalid value: "b.example.com": field is immutable"#),
    ("EndpointSlice.discovery.k8s.io", "addressType", r#"Invalid value: "IPv6": field is immutable"#),
    ("ResourceQuota", "spec.scopes", "Invalid value: []core.ResourceQuotaScope{\"BestEffort\"}: field is immutable"),
    ("Pod", "spec", "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"),
    ("Pod", "spec.containers", "Forbidden: pod updates may not add or remove containers"),
    ("PodDisruptionBudget.policy", "spec", "Forbidden: updates to poddisruptionbudget spec are forbidden."),
];

#[test]
fn every_immutability_error_means_recreate() {
    for (qualified, path, rest) in IMMUTABLE {
        let kind = qualified.split('.').next().unwrap();
        let message = format!("{kind}/apps/thing dry-run failed (Invalid): {qualified} \"thing\" is invalid: {path}: {rest}");
        let found = expect_action(&message, Some("Kustomization"), &Action::RecreateResource);
        let target = found.target.expect("target");
        assert_eq!(target.kind, kind, "{message}");
        assert_eq!(target.namespace.as_deref(), Some("apps"));
        assert_eq!(target.name, "thing");
        assert_eq!(target.field.as_deref(), Some(*path), "{message}");
    }
}

#[test]
fn older_wrapper_and_helm_wrapper_give_the_same_answer() {
    let inner = r#"Deployment.apps "web" is invalid: spec.selector: Invalid value: v1.LabelSelector{}: field is immutable"#;
    for message in [
        format!("Deployment/apps/web dry-run failed, reason: Invalid, error: {inner}"),
        format!("Deployment/apps/web dry-run failed (Invalid): {inner}"),
        format!("Helm upgrade failed: cannot patch \"web\" with kind Deployment: {inner}"),
        format!("Error: UPGRADE FAILED: cannot patch \"web\" with kind Deployment: {inner}"),
        // Argo CD's wrapper.
        format!(
            "one or more objects failed to apply, reason: {inner}. Retrying attempt #3 at 10:02AM."
        ),
        inner.to_owned(),
    ] {
        let found = expect_action(&message, None, &Action::RecreateResource);
        assert_eq!(found.pattern, "field-immutable");
        let target = found.target.unwrap();
        assert_eq!(
            (target.kind.as_str(), target.name.as_str()),
            ("Deployment", "web"),
            "{message}"
        );
        assert_eq!(target.field.as_deref(), Some("spec.selector"));
    }
}

#[test]
fn webhook_and_cel_immutability_denials() {
    expect_action(
        r#"admission webhook "validate.cert-manager.io" denied the request: spec.issuerRef: field is immutable"#,
        None,
        &Action::RecreateResource,
    );
    let cel = expect_action(
        r#"Widget.example.com "w" is invalid: spec.size: Invalid value: "string": Value is immutable"#,
        None,
        &Action::RecreateResource,
    );
    assert_eq!(cel.pattern, "immutable-webhook-or-cel");
    assert_eq!(cel.target.unwrap().field.as_deref(), Some("spec.size"));
}

#[test]
fn validation_errors_that_are_not_immutability_mean_fix_in_git() {
    for message in [
        r#"PersistentVolumeClaim "data" is invalid: spec.resources.requests.storage: Forbidden: field can not be less than previous value"#,
        r#"Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: `selector` does not match template `labels`"#,
        r#"Deployment.apps "web" is invalid: spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"#,
        r#"Deployment.apps "web" is invalid: spec.template.spec.containers[0].image: Required value"#,
        r#"admission webhook "validate.kyverno.svc" denied the request: policy require-labels failed"#,
        ".spec.replicass: field not declared in schema",
    ] {
        expect_action(message, Some("Kustomization"), &Action::FixInGit);
    }
}

#[test]
fn classification_json_has_the_documented_keys() {
    let found = PatternSet::builtin()
        .classify(
            r#"Service "x" is invalid: spec.clusterIP: Invalid value: "": field is immutable"#,
            None,
        )
        .unwrap();
    let json = serde_json::to_value(&found).unwrap();
    assert_eq!(json["action"], "recreate_resource");
    assert_eq!(json["severity"], "high");
    assert_eq!(
        json["target"],
        serde_json::json!({"kind": "Service", "namespace": null, "name": "x", "field": "spec.clusterIP"})
    );
    let back: recovery_patterns::Classification = serde_json::from_value(json).unwrap();
    assert_eq!(back, found);
}
