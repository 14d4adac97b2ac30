//! Pair checks per second of the immutable-field engine on realistic objects.
//!
//! Each object is a live object as `kubectl get -o json` returns it (server defaults, status,
//! managed metadata) paired with the git manifest that gets applied: the common case of
//! `unstuck check` in apply mode. Run with `cargo bench -p unstuck-benches --bench rules`.

use immutable_rules::{check, Context};
use serde_json::{json, Value};

fn main() {
    divan::main();
}

fn container(name: &str, image: &str) -> Value {
    json!({
        "name": name, "image": image, "imagePullPolicy": "IfNotPresent",
        "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
        "env": [{"name": "MODE", "value": "prod"}, {"name": "POD_IP", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}}}],
        "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"}, "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
        "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}],
        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"
    })
}

fn pod_template(app: &str, image: &str) -> Value {
    json!({
        "metadata": {"labels": {"app": app, "tier": "backend"}, "annotations": {"prometheus.io/scrape": "true"}},
        "spec": {
            "containers": [container(app, image), container("sidecar", "envoy:1.30")],
            "volumes": [{"name": "config", "configMap": {"name": format!("{app}-config"), "defaultMode": 420}}],
            "restartPolicy": "Always", "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler",
            "securityContext": {"runAsNonRoot": true}, "terminationGracePeriodSeconds": 30,
            "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "backend", "effect": "NoSchedule"}]
        }
    })
}

fn metadata(name: &str, live: bool) -> Value {
    let mut meta = json!({"name": name, "namespace": "shop", "labels": {"app": name, "app.kubernetes.io/part-of": "shop"}});
    if live {
        meta["uid"] = json!("6f1a2b3c-0000-4000-8000-000000000001");
        meta["resourceVersion"] = json!("123456");
        meta["generation"] = json!(7);
        meta["creationTimestamp"] = json!("2026-01-01T00:00:00Z");
        meta["annotations"] = json!({"deployment.kubernetes.io/revision": "7"});
    }
    meta
}

fn deployment(image: &str, live: bool) -> Value {
    let mut d = json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata("web", live),
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web", "tier": "backend"}},
            "template": pod_template("web", image),
        }
    });
    if live {
        d["spec"]["strategy"] = json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}});
        d["spec"]["revisionHistoryLimit"] = json!(10);
        d["spec"]["progressDeadlineSeconds"] = json!(600);
        d["status"] = json!({"replicas": 3, "readyReplicas": 3, "updatedReplicas": 3, "observedGeneration": 7,
            "conditions": [{"type": "Available", "status": "True"}, {"type": "Progressing", "status": "True"}]});
    }
    d
}

fn statefulset(storage: &str, live: bool) -> Value {
    let mut s = json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": metadata("db", live),
        "spec": {
            "replicas": 3, "serviceName": "db",
            "selector": {"matchLabels": {"app": "db", "tier": "backend"}},
            "template": pod_template("db", "postgres:16"),
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                "accessModes": ["ReadWriteOnce"], "storageClassName": "standard",
                "resources": {"requests": {"storage": storage}}}}]
        }
    });
    if live {
        s["spec"]["podManagementPolicy"] = json!("OrderedReady");
        s["spec"]["updateStrategy"] =
            json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}});
        s["spec"]["volumeClaimTemplates"][0]["apiVersion"] = json!("v1");
        s["spec"]["volumeClaimTemplates"][0]["kind"] = json!("PersistentVolumeClaim");
        s["spec"]["volumeClaimTemplates"][0]["spec"]["volumeMode"] = json!("Filesystem");
        s["spec"]["volumeClaimTemplates"][0]["status"] = json!({"phase": "Pending"});
        s["status"] = json!({"replicas": 3, "readyReplicas": 3, "currentRevision": "db-1"});
    }
    s
}

fn service(node_port: u16, live: bool) -> Value {
    let mut s = json!({
        "apiVersion": "v1", "kind": "Service", "metadata": metadata("web", live),
        "spec": {"type": "NodePort", "selector": {"app": "web"},
            "ports": [{"name": "http", "port": 80, "targetPort": 8080, "nodePort": node_port}]}
    });
    if live {
        s["spec"]["clusterIP"] = json!("10.96.12.7");
        s["spec"]["clusterIPs"] = json!(["10.96.12.7"]);
        s["spec"]["ipFamilies"] = json!(["IPv4"]);
        s["spec"]["ipFamilyPolicy"] = json!("SingleStack");
        s["spec"]["externalTrafficPolicy"] = json!("Cluster");
        s["spec"]["ports"][0]["protocol"] = json!("TCP");
    }
    s
}

fn run(bencher: divan::Bencher<'_, '_>, old: &Value, new: &Value, expected: usize) {
    let ctx = Context::apply();
    assert_eq!(
        check(old, new, &ctx).len(),
        expected,
        "the pair does not behave as the bench assumes"
    );
    bencher
        .counter(divan::counter::ItemsCount::new(1usize))
        .bench(|| check(divan::black_box(old), divan::black_box(new), &ctx));
}

/// A rollout: live Deployment vs a manifest with a new image (no violation).
#[divan::bench]
fn deployment_image_bump(bencher: divan::Bencher<'_, '_>) {
    run(
        bencher,
        &deployment("web:1.0", true),
        &deployment("web:1.1", false),
        0,
    );
}

/// A selector change (one violation, rendered).
#[divan::bench]
fn deployment_selector_change(bencher: divan::Bencher<'_, '_>) {
    let mut new = deployment("web:1.0", false);
    new["spec"]["selector"]["matchLabels"]["track"] = json!("stable");
    new["spec"]["template"]["metadata"]["labels"]["track"] = json!("stable");
    run(bencher, &deployment("web:1.0", true), &new, 1);
}

/// A `StatefulSet` with server defaults in its claim templates and an equal size in other units.
#[divan::bench]
fn statefulset_unchanged_templates(bencher: divan::Bencher<'_, '_>) {
    run(
        bencher,
        &statefulset("10Gi", true),
        &statefulset("10240Mi", false),
        0,
    );
}

/// A `StatefulSet` whose claim template grows (one violation).
#[divan::bench]
fn statefulset_template_resize(bencher: divan::Bencher<'_, '_>) {
    run(
        bencher,
        &statefulset("10Gi", true),
        &statefulset("20Gi", false),
        1,
    );
}

/// Service with allocated cluster IP kept and a new node port (mutable).
#[divan::bench]
fn service_node_port_change(bencher: divan::Bencher<'_, '_>) {
    run(bencher, &service(30080, true), &service(30081, false), 0);
}
