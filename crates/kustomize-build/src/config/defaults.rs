//! kustomize's default field spec tables, written compactly.
//!
//! The facts (which kinds, which paths, which are created) follow kustomize v5.5.0's builtin
//! configuration; the tables are generated from short lists so the repeated pod-template shapes
//! are written once.

use super::{NameBackReferences, TransformerConfig};
use crate::fieldspec::{FieldSpec, Gvk};

/// Where a pod spec sits in each kind that carries one, for name references into pod specs.
/// `(group, version, kind, path to the pod spec)`.
const CONFIG_AND_SECRET_HOLDERS: &[(&str, &str, &str, &str)] = &[
    ("", "v1", "Pod", "spec"),
    ("", "", "PodTemplate", "template/spec"),
    ("", "", "Deployment", "spec/template/spec"),
    ("", "", "ReplicaSet", "spec/template/spec"),
    ("", "", "DaemonSet", "spec/template/spec"),
    ("", "", "StatefulSet", "spec/template/spec"),
    ("", "", "Job", "spec/template/spec"),
    ("", "", "CronJob", "spec/jobTemplate/spec/template/spec"),
];

/// Kinds whose pod spec may name a `ServiceAccount`, PVC or `PriorityClass` (no `ReplicaSet` or
/// `PodTemplate` here, as in kustomize).
const WORKLOAD_HOLDERS: &[(&str, &str)] = &[
    ("Pod", "spec"),
    ("StatefulSet", "spec/template/spec"),
    ("Deployment", "spec/template/spec"),
    ("ReplicationController", "spec/template/spec"),
    ("CronJob", "spec/jobTemplate/spec/template/spec"),
    ("Job", "spec/template/spec"),
    ("DaemonSet", "spec/template/spec"),
];

const CONFIG_MAP_IN_POD_SPEC: &[&str] = &[
    "volumes/configMap/name",
    "containers/env/valueFrom/configMapKeyRef/name",
    "initContainers/env/valueFrom/configMapKeyRef/name",
    "containers/envFrom/configMapRef/name",
    "initContainers/envFrom/configMapRef/name",
    "volumes/projected/sources/configMap/name",
];

const SECRET_IN_POD_SPEC: &[&str] = &[
    "volumes/secret/secretName",
    "containers/env/valueFrom/secretKeyRef/name",
    "initContainers/env/valueFrom/secretKeyRef/name",
    "containers/envFrom/secretRef/name",
    "initContainers/envFrom/secretRef/name",
    "imagePullSecrets/name",
    "volumes/projected/sources/secret/name",
];

/// Kinds with a pod template whose metadata gets labels/annotations, and the template's path.
/// `(group, version, kind, template metadata path prefix)`.
const TEMPLATE_METADATA: &[(&str, &str, &str, &str)] = &[
    ("", "v1", "ReplicationController", "spec/template/metadata"),
    ("", "", "Deployment", "spec/template/metadata"),
    ("", "", "ReplicaSet", "spec/template/metadata"),
    ("", "", "DaemonSet", "spec/template/metadata"),
    ("apps", "", "StatefulSet", "spec/template/metadata"),
    ("batch", "", "Job", "spec/template/metadata"),
    ("batch", "", "CronJob", "spec/jobTemplate/metadata"),
    (
        "batch",
        "",
        "CronJob",
        "spec/jobTemplate/spec/template/metadata",
    ),
];

const AFFINITY_SELECTORS: &[&str] = &[
    "spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
    "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels",
];

fn spec(group: &str, version: &str, kind: &str, path: &str, create: bool) -> FieldSpec {
    FieldSpec {
        group: group.to_owned(),
        version: version.to_owned(),
        kind: kind.to_owned(),
        path: path.to_owned(),
        create,
    }
}

/// Labels on `metadata/labels` and on pod templates (kustomize's `templateLabels`).
pub(super) fn template_labels() -> Vec<FieldSpec> {
    let mut specs = vec![FieldSpec::new("metadata/labels").creating()];
    for (group, version, kind, prefix) in TEMPLATE_METADATA {
        specs.push(spec(
            group,
            version,
            kind,
            &format!("{prefix}/labels"),
            true,
        ));
        if *kind == "StatefulSet" {
            specs.push(spec(
                group,
                version,
                kind,
                "spec/volumeClaimTemplates[]/metadata/labels",
                true,
            ));
        }
    }
    specs
}

/// Selectors and templates that `commonLabels` (and `labels` with `includeSelectors`) touch.
pub(super) fn common_labels() -> Vec<FieldSpec> {
    let mut specs = vec![
        spec("", "v1", "Service", "spec/selector", true),
        spec("", "v1", "ReplicationController", "spec/selector", true),
        spec("", "", "Deployment", "spec/selector/matchLabels", true),
    ];
    specs.extend(
        AFFINITY_SELECTORS
            .iter()
            .map(|p| spec("apps", "", "Deployment", p, false)),
    );
    specs.push(spec(
        "",
        "",
        "ReplicaSet",
        "spec/selector/matchLabels",
        true,
    ));
    specs.push(spec("", "", "DaemonSet", "spec/selector/matchLabels", true));
    specs.push(spec(
        "apps",
        "",
        "StatefulSet",
        "spec/selector/matchLabels",
        true,
    ));
    specs.extend(
        AFFINITY_SELECTORS
            .iter()
            .map(|p| spec("apps", "", "StatefulSet", p, false)),
    );
    specs.extend([
        spec("batch", "", "Job", "spec/selector/matchLabels", false),
        spec(
            "batch",
            "",
            "CronJob",
            "spec/jobTemplate/spec/selector/matchLabels",
            false,
        ),
        spec(
            "policy",
            "",
            "PodDisruptionBudget",
            "spec/selector/matchLabels",
            false,
        ),
        spec(
            "networking.k8s.io",
            "",
            "NetworkPolicy",
            "spec/podSelector/matchLabels",
            false,
        ),
        spec(
            "networking.k8s.io",
            "",
            "NetworkPolicy",
            "spec/ingress/from/podSelector/matchLabels",
            false,
        ),
        spec(
            "networking.k8s.io",
            "",
            "NetworkPolicy",
            "spec/egress/to/podSelector/matchLabels",
            false,
        ),
    ]);
    specs.extend(template_labels());
    specs
}

fn common_annotations() -> Vec<FieldSpec> {
    let mut specs = vec![FieldSpec::new("metadata/annotations").creating()];
    for (group, version, kind, prefix) in TEMPLATE_METADATA {
        // kustomize does not restrict StatefulSet template annotations to the apps group.
        let group = if *kind == "StatefulSet" { "" } else { group };
        specs.push(spec(
            group,
            version,
            kind,
            &format!("{prefix}/annotations"),
            true,
        ));
    }
    specs
}

fn namespace() -> Vec<FieldSpec> {
    vec![
        spec("", "", "Namespace", "metadata/name", true),
        spec(
            "apiregistration.k8s.io",
            "",
            "APIService",
            "spec/service/namespace",
            true,
        ),
        spec(
            "apiextensions.k8s.io",
            "",
            "CustomResourceDefinition",
            "spec/conversion/webhook/clientConfig/service/namespace",
            false,
        ),
    ]
}

fn images() -> Vec<FieldSpec> {
    [
        "spec/containers[]/image",
        "spec/initContainers[]/image",
        "spec/template/spec/containers[]/image",
        "spec/template/spec/initContainers[]/image",
    ]
    .into_iter()
    .map(|p| FieldSpec::new(p).creating())
    .collect()
}

fn replicas() -> Vec<FieldSpec> {
    [
        "Deployment",
        "ReplicationController",
        "ReplicaSet",
        "StatefulSet",
    ]
    .into_iter()
    .map(|k| spec("", "", k, "spec/replicas", true))
    .collect()
}

fn back_ref(
    group: &str,
    version: &str,
    kind: &str,
    referrers: Vec<FieldSpec>,
) -> NameBackReferences {
    NameBackReferences {
        gvk: Gvk::new(group, version, kind),
        referrers,
    }
}

fn pod_spec_refs(suffixes: &[&str]) -> Vec<FieldSpec> {
    let mut specs = Vec::new();
    for (group, version, kind, prefix) in CONFIG_AND_SECRET_HOLDERS {
        for suffix in suffixes {
            specs.push(spec(
                group,
                version,
                kind,
                &format!("{prefix}/{suffix}"),
                false,
            ));
        }
    }
    specs
}

fn workload_refs(field: &str) -> Vec<FieldSpec> {
    WORKLOAD_HOLDERS
        .iter()
        .map(|(kind, prefix)| spec("", "", kind, &format!("{prefix}/{field}"), false))
        .collect()
}

fn name_reference() -> Vec<NameBackReferences> {
    let hpa = |kind: &str| {
        back_ref(
            "",
            "",
            kind,
            vec![spec(
                "",
                "",
                "HorizontalPodAutoscaler",
                "spec/scaleTargetRef/name",
                false,
            )],
        )
    };
    let mut config_map = pod_spec_refs(CONFIG_MAP_IN_POD_SPEC);
    config_map.extend([
        spec("", "", "Node", "spec/configSource/configMap", false),
        spec("", "", "Role", "rules/resourceNames", false),
        spec("", "", "ClusterRole", "rules/resourceNames", false),
        spec(
            "",
            "",
            "Ingress",
            r"metadata/annotations/nginx.ingress.kubernetes.io\/fastcgi-params-configmap",
            false,
        ),
    ]);
    let mut secret = pod_spec_refs(SECRET_IN_POD_SPEC);
    secret.extend([
        spec("", "", "Ingress", "spec/tls/secretName", false),
        spec(
            "",
            "",
            "Ingress",
            r"metadata/annotations/ingress.kubernetes.io\/auth-secret",
            false,
        ),
        spec(
            "",
            "",
            "Ingress",
            r"metadata/annotations/nginx.ingress.kubernetes.io\/auth-secret",
            false,
        ),
        spec(
            "",
            "",
            "Ingress",
            r"metadata/annotations/nginx.ingress.kubernetes.io\/auth-tls-secret",
            false,
        ),
        spec("", "", "ServiceAccount", "imagePullSecrets/name", false),
        spec("", "", "StorageClass", "parameters/secretName", false),
        spec("", "", "StorageClass", "parameters/adminSecretName", false),
        spec("", "", "StorageClass", "parameters/userSecretName", false),
        spec("", "", "StorageClass", "parameters/secretRef", false),
        spec("", "", "Role", "rules/resourceNames", false),
        spec("", "", "ClusterRole", "rules/resourceNames", false),
        spec(
            "serving.knative.dev",
            "v1",
            "Service",
            "spec/template/spec/containers/env/valueFrom/secretKeyRef/name",
            false,
        ),
        spec(
            "",
            "",
            "PersistentVolume",
            "spec/azureFile/secretName",
            false,
        ),
    ]);
    let service = vec![
        spec("apps", "", "StatefulSet", "spec/serviceName", false),
        spec(
            "",
            "",
            "Ingress",
            "spec/rules/http/paths/backend/serviceName",
            false,
        ),
        spec("", "", "Ingress", "spec/backend/serviceName", false),
        spec(
            "",
            "",
            "Ingress",
            "spec/rules/http/paths/backend/service/name",
            false,
        ),
        spec("", "", "Ingress", "spec/defaultBackend/service/name", false),
        spec(
            "apiregistration.k8s.io",
            "",
            "APIService",
            "spec/service/name",
            false,
        ),
        spec(
            "admissionregistration.k8s.io",
            "",
            "ValidatingWebhookConfiguration",
            "webhooks/clientConfig/service",
            false,
        ),
        spec(
            "admissionregistration.k8s.io",
            "",
            "MutatingWebhookConfiguration",
            "webhooks/clientConfig/service",
            false,
        ),
        spec("", "", "HTTPRoute", "spec/rules/backendRefs/name", false),
    ];
    let rbac = "rbac.authorization.k8s.io";
    let mut service_account = vec![
        spec(rbac, "", "RoleBinding", "subjects", false),
        spec(rbac, "", "ClusterRoleBinding", "subjects", false),
    ];
    service_account.extend(workload_refs("serviceAccountName"));
    vec![
        hpa("Deployment"),
        hpa("ReplicationController"),
        hpa("ReplicaSet"),
        hpa("StatefulSet"),
        back_ref("", "v1", "ConfigMap", config_map),
        back_ref("", "v1", "Secret", secret),
        back_ref("", "v1", "Service", service),
        back_ref(
            rbac,
            "",
            "Role",
            vec![spec(rbac, "", "RoleBinding", "roleRef/name", false)],
        ),
        back_ref(
            rbac,
            "",
            "ClusterRole",
            vec![
                spec(rbac, "", "RoleBinding", "roleRef/name", false),
                spec(rbac, "", "ClusterRoleBinding", "roleRef/name", false),
            ],
        ),
        back_ref("", "v1", "ServiceAccount", service_account),
        back_ref(
            "",
            "v1",
            "PersistentVolumeClaim",
            workload_refs("volumes/persistentVolumeClaim/claimName"),
        ),
        back_ref(
            "",
            "v1",
            "PersistentVolume",
            vec![
                spec("", "", "PersistentVolumeClaim", "spec/volumeName", false),
                spec("", "", "ClusterRole", "rules/resourceNames", false),
            ],
        ),
        back_ref(
            "storage.k8s.io",
            "v1",
            "StorageClass",
            vec![
                spec("", "", "PersistentVolume", "spec/storageClassName", false),
                spec(
                    "",
                    "",
                    "PersistentVolumeClaim",
                    "spec/storageClassName",
                    false,
                ),
                spec(
                    "",
                    "",
                    "StatefulSet",
                    "spec/volumeClaimTemplates/spec/storageClassName",
                    false,
                ),
            ],
        ),
        back_ref(
            "scheduling.k8s.io",
            "v1",
            "PriorityClass",
            workload_refs("priorityClassName"),
        ),
        back_ref(
            "admissionregistration.k8s.io",
            "",
            "ValidatingAdmissionPolicy",
            vec![spec(
                "admissionregistration.k8s.io",
                "",
                "ValidatingAdmissionPolicyBinding",
                "spec/policyName",
                false,
            )],
        ),
        // kustomize writes this group as "networking.k8s.io/v1", so it never matches a real
        // IngressClass; kept as is to produce the same output.
        back_ref(
            "networking.k8s.io/v1",
            "v1",
            "IngressClass",
            vec![spec("", "", "Ingress", "spec/ingressClassName", false)],
        ),
    ]
}

/// The configuration kustomize starts every build with.
pub(super) fn default_config() -> TransformerConfig {
    TransformerConfig {
        name_prefix: vec![FieldSpec::new("metadata/name")],
        name_suffix: vec![FieldSpec::new("metadata/name")],
        namespace: namespace(),
        common_labels: common_labels(),
        template_labels: template_labels(),
        labels: Vec::new(),
        common_annotations: common_annotations(),
        name_reference: name_reference(),
        var_reference: Vec::new(),
        images: images(),
        replicas: replicas(),
    }
}
