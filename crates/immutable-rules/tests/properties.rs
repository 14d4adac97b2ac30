//! Invariants: an object checked against itself yields nothing (an update is blamed only for what
//! it changes, even for the cross-field checks of fields apply keeps), and reordering map keys is
//! never a change, for every kind the engine knows and in both modes.

use immutable_rules::{check, Context};
use proptest::prelude::*;
use serde_json::{Map, Value};

const KINDS: &[(&str, &str)] = &[
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("apps/v1", "ReplicaSet"),
    ("batch/v1", "Job"),
    ("v1", "Pod"),
    ("v1", "Service"),
    ("v1", "PersistentVolume"),
    ("v1", "PersistentVolumeClaim"),
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("v1", "Namespace"),
    ("v1", "ResourceQuota"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("storage.k8s.io/v1", "StorageClass"),
    ("storage.k8s.io/v1", "CSIDriver"),
    ("scheduling.k8s.io/v1", "PriorityClass"),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
    ("discovery.k8s.io/v1", "EndpointSlice"),
    ("policy/v1", "PodDisruptionBudget"),
    ("v1", "Node"),
    ("node.k8s.io/v1", "RuntimeClass"),
    ("resource.k8s.io/v1", "ResourceClaim"),
    ("resource.k8s.io/v1", "ResourceSlice"),
    ("scheduling.k8s.io/v1alpha1", "Workload"),
    ("events.k8s.io/v1", "Event"),
    ("certificates.k8s.io/v1beta1", "ClusterTrustBundle"),
    ("coordination.k8s.io/v1beta1", "LeaseCandidate"),
    ("example.com/v1", "Widget"),
];

/// Keys that real objects use, so generated trees hit the rules' paths.
const KEYS: &[&str] = &[
    "spec",
    "selector",
    "matchLabels",
    "template",
    "metadata",
    "labels",
    "containers",
    "name",
    "image",
    "resources",
    "requests",
    "storage",
    "type",
    "clusterIP",
    "ports",
    "nodePort",
    "volumeClaimTemplates",
    "serviceName",
    "roleRef",
    "data",
    "immutable",
    "status",
    "phase",
    "storageClassName",
    "tolerations",
    "key",
    "value",
    "parameters",
    "versions",
    "scopes",
    "strategy",
    "updateStrategy",
    "rollingUpdate",
    "minAvailable",
    "maxUnavailable",
    "sessionAffinity",
    "sessionAffinityConfig",
    "loadBalancerSourceRanges",
    "conversion",
    "webhook",
    "handler",
    "podGroups",
    "controllerRef",
    "signerName",
    "driver",
    "pool",
    "nodeName",
    "leaseName",
    "reason",
    "configSource",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-5i64..40000).prop_map(Value::from),
        prop::sample::select(vec![
            "a",
            "web",
            "1Gi",
            "1024Mi",
            "None",
            "LoadBalancer",
            "OnDelete",
            "Recreate",
            "ClientIP",
            "Webhook",
            ""
        ])
        .prop_map(Value::from),
    ]
}

fn tree() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|entries| {
                Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

/// Annotations that rules read.
const ANNOTATIONS: &[(&str, &str)] = &[
    (
        "gitops.flux.io/immutable-fields",
        "spec.selector,spec.containers[].image",
    ),
    ("gitops.flux.io/immutable-fields", "spec.a[0]"),
    (
        "container.apparmor.security.beta.kubernetes.io/app",
        "runtime/default",
    ),
    ("volume.beta.kubernetes.io/storage-class", "standard"),
    ("kubernetes.io/config.mirror", "x"),
];

fn object() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(KINDS),
        tree(),
        tree(),
        prop::sample::subsequence(ANNOTATIONS, 0..3),
        tree(),
    )
        .prop_map(|((api_version, kind), spec, status, annotations, extra)| {
            let annotations: Map<String, Value> = annotations
                .into_iter()
                .map(|(k, v)| (k.to_owned(), Value::from(v)))
                .collect();
            serde_json::json!({
                "apiVersion": api_version,
                "kind": kind,
                "metadata": {"name": "x", "namespace": "ns", "labels": {"b": "2", "a": "1"}, "annotations": annotations},
                "spec": spec,
                "status": status,
                "data": extra,
            })
        })
}

/// The same value with every map's keys in reverse order.
fn reversed(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .rev()
                .map(|(k, v)| (k.clone(), reversed(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(reversed).collect()),
        other => other.clone(),
    }
}

proptest! {
    #[test]
    fn an_object_checked_against_itself_yields_nothing(obj in object()) {
        for ctx in [Context::apply(), Context::git()] {
            let found = check(&obj, &obj, &ctx);
            prop_assert!(found.is_empty(), "{:?}: {:#?}", ctx.mode, found);
        }
    }

    #[test]
    fn reordering_map_keys_yields_nothing(obj in object()) {
        let shuffled = reversed(&obj);
        for ctx in [Context::apply(), Context::git()] {
            let found = check(&obj, &shuffled, &ctx);
            prop_assert!(found.is_empty(), "{:?}: {:#?}", ctx.mode, found);
        }
    }
}
