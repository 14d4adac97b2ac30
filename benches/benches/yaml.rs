//! Reading and writing YAML as kustomize does: the hot path of every build.
//!
//! The input is a synthetic but realistic multi-document file (Deployments, Services and
//! `ConfigMaps` with labels, probes, env lists and multi-line data).

use std::fmt::Write as _;

use kustomize_build::yaml::{emit_documents, parse_documents};

fn main() {
    divan::main();
}

/// `count` groups of a `Deployment`, a `Service` and a `ConfigMap`.
fn manifest(count: usize) -> String {
    let mut text = String::new();
    for i in 0..count {
        let _ = write!(
            text,
            r#"---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: team-{team}
  labels:
    app.kubernetes.io/name: app-{i}
    app.kubernetes.io/part-of: shop
  annotations:
    description: "Serves the storefront for region {i}; scaled by the HPA, so replicas is a floor."
spec:
  replicas: 3
  selector:
    matchLabels:
      app.kubernetes.io/name: app-{i}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: app-{i}
    spec:
      containers:
      - name: app
        image: registry.example.com/shop/app:v1.{i}.0
        args: ["--port=8080", "--log-level=info"]
        ports:
        - containerPort: 8080
          name: http
        env:
        - name: FEATURE_FLAG
          value: "yes"
        - name: TIMEOUT
          value: "30s"
        resources:
          limits: {{cpu: 500m, memory: 256Mi}}
          requests: {{cpu: 100m, memory: 128Mi}}
        readinessProbe:
          httpGet: {{path: /healthz, port: http}}
          periodSeconds: 10
---
apiVersion: v1
kind: Service
metadata:
  name: app-{i}
spec:
  ports:
  - port: 80
    targetPort: http
  selector:
    app.kubernetes.io/name: app-{i}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-{i}-config
data:
  app.properties: |
    server.port=8080
    cache.ttl=300
    greeting=hello world
  enabled: "true"
"#,
            team = i % 7
        );
    }
    text
}

#[divan::bench(args = [10, 100])]
fn parse(bencher: divan::Bencher<'_, '_>, groups: usize) {
    let text = manifest(groups);
    bencher
        .counter(divan::counter::BytesCount::of_str(&text))
        .bench(|| parse_documents(divan::black_box(&text)).unwrap());
}

#[divan::bench(args = [10, 100])]
fn emit(bencher: divan::Bencher<'_, '_>, groups: usize) {
    let docs = parse_documents(&manifest(groups)).unwrap();
    bencher.bench(|| emit_documents(divan::black_box(&docs)));
}

#[divan::bench(args = [10, 100])]
fn parse_and_emit(bencher: divan::Bencher<'_, '_>, groups: usize) {
    let text = manifest(groups);
    bencher
        .counter(divan::counter::BytesCount::of_str(&text))
        .bench(|| emit_documents(&parse_documents(divan::black_box(&text)).unwrap()));
}
