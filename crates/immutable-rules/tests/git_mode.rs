//! Git mode: both sides are manifests, a field deleted from git is removed by apply, and live
//! state (status, server allocations) is unknown.

use immutable_rules::{check, Context, Severity};
use serde_json::{json, Value};

fn object(api_version: &str, kind: &str, body: Value) -> Value {
    let mut o = json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": "x", "namespace": "ns"}});
    if let Value::Object(fields) = body {
        for (k, v) in fields {
            o[k] = v;
        }
    }
    o
}

/// `(rule, severity)` of every violation of a git-mode check.
fn found(api_version: &str, kind: &str, old: Value, new: Value) -> Vec<(String, Severity)> {
    let old = object(api_version, kind, old);
    let new = object(api_version, kind, new);
    check(&old, &new, &Context::git())
        .into_iter()
        .map(|v| (v.rule, v.severity))
        .collect()
}

#[test]
fn a_field_deleted_from_git_is_a_change() {
    assert_eq!(
        found(
            "apps/v1",
            "StatefulSet",
            json!({"spec": {"serviceName": "db"}}),
            json!({"spec": {}})
        ),
        [("statefulset-service-name".to_owned(), Severity::Error)]
    );
    assert_eq!(
        found(
            "v1",
            "Secret",
            json!({"type": "kubernetes.io/tls"}),
            json!({})
        ),
        [("secret-type".to_owned(), Severity::Error)]
    );
    // Deleting a defaulted field whose default equals the old value is no change.
    assert!(found(
        "apps/v1",
        "StatefulSet",
        json!({"spec": {"podManagementPolicy": "OrderedReady"}}),
        json!({"spec": {}})
    )
    .is_empty());
}

#[test]
fn server_allocated_fields_dropped_from_git_are_refilled() {
    assert!(found(
        "v1",
        "Service",
        json!({"spec": {"clusterIP": "10.96.0.7", "ports": [{"name": "http", "port": 80, "nodePort": 30080}], "type": "NodePort"}}),
        json!({"spec": {"ports": [{"name": "http", "port": 80}], "type": "NodePort"}})
    )
    .is_empty());
}

#[test]
fn switching_to_recreate_keeps_the_defaulted_rolling_update_block() {
    assert_eq!(
        found(
            "apps/v1",
            "Deployment",
            json!({"spec": {"replicas": 1}}),
            json!({"spec": {"strategy": {"type": "Recreate"}}})
        ),
        [(
            "deployment-recreate-rolling-update".to_owned(),
            Severity::Error
        )]
    );
    // Git owned the block: apply removes it together with the switch.
    assert!(found(
        "apps/v1",
        "Deployment",
        json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}}),
        json!({"spec": {"strategy": {"type": "Recreate"}}})
    )
    .is_empty());
}

#[test]
fn unknown_live_state_gives_warnings_not_silence() {
    // A suspended Job may relax its scheduling directives only if it has not started.
    assert_eq!(
        found(
            "batch/v1",
            "Job",
            json!({"spec": {"suspend": true, "template": {"spec": {"nodeSelector": {"pool": "a"}}}}}),
            json!({"spec": {"suspend": true, "template": {"spec": {"nodeSelector": {"pool": "b"}}}}})
        ),
        [("job-template".to_owned(), Severity::Warning)]
    );
    // Growing a PVC depends on its StorageClass.
    assert_eq!(
        found(
            "v1",
            "PersistentVolumeClaim",
            json!({"spec": {"storageClassName": "standard", "resources": {"requests": {"storage": "1Gi"}}}}),
            json!({"spec": {"storageClassName": "standard", "resources": {"requests": {"storage": "2Gi"}}}})
        ),
        [("pvc-storage-expand".to_owned(), Severity::Warning)]
    );
}

#[test]
fn applied_crds_are_assumed_established() {
    assert_eq!(
        found(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            json!({"spec": {"group": "example.com", "scope": "Namespaced", "names": {"plural": "widgets", "kind": "Widget"}, "versions": [{"name": "v1", "served": true, "storage": true}]}}),
            json!({"spec": {"group": "example.com", "scope": "Cluster", "names": {"plural": "widgets", "kind": "Widget"}, "versions": [{"name": "v2", "served": true, "storage": true}]}})
        ),
        [
            ("crd-scope".to_owned(), Severity::Error),
            ("crd-stored-versions".to_owned(), Severity::Error)
        ]
    );
}
