//! Fields other tools call immutable but the API server accepts: never flagged, in either mode.

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

fn assert_accepted(api_version: &str, kind: &str, old: Value, new: Value) {
    let (old, new) = (
        object(api_version, kind, old),
        object(api_version, kind, new),
    );
    for ctx in [Context::apply(), Context::git()] {
        let errors: Vec<_> = check(&old, &new, &ctx)
            .into_iter()
            .filter(|v| v.severity == Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{kind} {:?}: {errors:#?}", ctx.mode);
    }
}

#[test]
fn service_type_and_node_port_are_mutable() {
    assert_accepted(
        "v1",
        "Service",
        json!({"spec": {"type": "ClusterIP", "ports": [{"name": "http", "port": 80}]}}),
        json!({"spec": {"type": "NodePort", "ports": [{"name": "http", "port": 80, "nodePort": 30080}]}}),
    );
    assert_accepted(
        "v1",
        "Service",
        json!({"spec": {"type": "NodePort", "ports": [{"name": "http", "port": 80, "nodePort": 30080}]}}),
        json!({"spec": {"type": "NodePort", "ports": [{"name": "http", "port": 80, "nodePort": 30090}]}}),
    );
    assert_accepted(
        "v1",
        "Service",
        json!({"spec": {"type": "LoadBalancer"}}),
        json!({"spec": {"type": "ClusterIP"}}),
    );
}

#[test]
fn ingress_class_pv_capacity_network_policy_and_service_account_are_mutable() {
    assert_accepted(
        "networking.k8s.io/v1",
        "Ingress",
        json!({"spec": {"ingressClassName": "nginx"}}),
        json!({"spec": {"ingressClassName": "traefik"}}),
    );
    assert_accepted(
        "v1",
        "PersistentVolume",
        json!({"spec": {"capacity": {"storage": "10Gi"}, "persistentVolumeReclaimPolicy": "Delete", "accessModes": ["ReadWriteOnce"]}}),
        json!({"spec": {"capacity": {"storage": "20Gi"}, "persistentVolumeReclaimPolicy": "Retain", "accessModes": ["ReadWriteMany"]}}),
    );
    assert_accepted(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        json!({"spec": {"podSelector": {"matchLabels": {"app": "a"}}}}),
        json!({"spec": {"podSelector": {"matchLabels": {"app": "b"}}}}),
    );
    assert_accepted(
        "v1",
        "ServiceAccount",
        json!({"automountServiceAccountToken": true}),
        json!({"automountServiceAccountToken": false}),
    );
    assert_accepted(
        "policy/v1",
        "PodDisruptionBudget",
        json!({"spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "a"}}}}),
        // `minAvailable: null`: the old budget was git's, so apply removes it. Leaving it out of
        // the applied manifest would mean another manager owns it, and apply would keep it next
        // to maxUnavailable (rule poddisruptionbudget-min-and-max).
        json!({"spec": {"minAvailable": null, "maxUnavailable": 1, "selector": {"matchLabels": {"app": "b"}}}}),
    );
    assert_accepted(
        "batch/v1",
        "CronJob",
        json!({"spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "a:1"}]}}}}}}),
        json!({"spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "a:2"}]}}}}}}),
    );
}
