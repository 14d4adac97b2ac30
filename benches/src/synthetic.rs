//! A synthetic `GitOps` repository for the builder benchmarks: `apps` applications, each with a
//! base (a `Deployment`, `Service`, `ServiceAccount`, `HorizontalPodAutoscaler` and a generated
//! `ConfigMap`) and two overlays (`staging`, `prod`: namespace, prefix, labels, replicas, images,
//! a strategic-merge patch, a generated `Secret`, and a `behavior: merge` generator on the base's
//! `ConfigMap`), plus one `clusters/<env>`
//! kustomization per environment that includes every overlay of that environment.
//!
//! With 40 apps that is 40 bases + 80 overlays + 2 cluster kustomizations = 122 kustomizations.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Write the repository under `root` and return the kustomization directories, bases first.
pub fn write_repo(root: &Path, apps: usize) -> std::io::Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    let write = |path: PathBuf, text: String| -> std::io::Result<()> {
        std::fs::create_dir_all(path.parent().expect("files have parents"))?;
        std::fs::write(path, text)
    };
    for app in 0..apps {
        let name = format!("app{app:03}");
        let base = root.join("apps").join(&name).join("base");
        write(base.join("kustomization.yaml"), base_kustomization(&name))?;
        write(base.join("deployment.yaml"), deployment(&name))?;
        write(base.join("service.yaml"), service(&name))?;
        write(base.join("settings.properties"), settings(app))?;
        dirs.push(base);
    }
    for env in ["staging", "prod"] {
        for app in 0..apps {
            let name = format!("app{app:03}");
            let overlay = root.join("apps").join(&name).join(env);
            write(
                overlay.join("kustomization.yaml"),
                overlay_kustomization(&name, env),
            )?;
            write(
                overlay.join("resources-patch.yaml"),
                resources_patch(&name, env),
            )?;
            dirs.push(overlay);
        }
    }
    for env in ["staging", "prod"] {
        let cluster = root.join("clusters").join(env);
        let mut text = String::from(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n",
        );
        for app in 0..apps {
            let _ = writeln!(text, "- ../../apps/app{app:03}/{env}");
        }
        text.push_str("commonAnnotations:\n  cluster: ");
        text.push_str(env);
        text.push('\n');
        write(cluster.join("kustomization.yaml"), text)?;
        dirs.push(cluster);
    }
    Ok(dirs)
}

fn base_kustomization(name: &str) -> String {
    format!(
        "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
labels:
- pairs:
    app.kubernetes.io/name: {name}
  includeSelectors: true
resources:
- deployment.yaml
- service.yaml
configMapGenerator:
- name: {name}-settings
  files:
  - settings.properties
  literals:
  - LOG_LEVEL=info
"
    )
}

fn deployment(name: &str) -> String {
    format!(
        "apiVersion: v1
kind: ServiceAccount
metadata:
  name: {name}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: 1
  template:
    spec:
      serviceAccountName: {name}
      containers:
      - name: {name}
        image: registry.example.com/{name}:1.0.0
        ports:
        - containerPort: 8080
        envFrom:
        - configMapRef:
            name: {name}-settings
        resources:
          requests:
            cpu: 100m
            memory: 128Mi
        volumeMounts:
        - name: settings
          mountPath: /etc/{name}
      volumes:
      - name: settings
        configMap:
          name: {name}-settings
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {name}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {name}
  minReplicas: 1
  maxReplicas: 5
"
    )
}

fn service(name: &str) -> String {
    format!(
        "apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
  ports:
  - name: http
    port: 80
    targetPort: 8080
"
    )
}

fn settings(app: usize) -> String {
    let mut text = String::new();
    for i in 0..20 {
        let _ = writeln!(text, "key{i}=value-{app}-{i}");
    }
    text
}

fn overlay_kustomization(name: &str, env: &str) -> String {
    let replicas = if env == "prod" { 3 } else { 1 };
    format!(
        "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: {env}
namePrefix: {env}-
labels:
- pairs:
    environment: {env}
resources:
- ../base
replicas:
- name: {name}
  count: {replicas}
images:
- name: registry.example.com/{name}
  newTag: 1.0.1-{env}
patches:
- path: resources-patch.yaml
configMapGenerator:
- name: {name}-settings
  behavior: merge
  literals:
  - ENVIRONMENT={env}
secretGenerator:
- name: {name}-credentials
  literals:
  - password={name}-{env}-secret
"
    )
}

fn resources_patch(name: &str, env: &str) -> String {
    let memory = if env == "prod" { "512Mi" } else { "256Mi" };
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  template:
    spec:
      containers:
      - name: {name}
        resources:
          limits:
            memory: {memory}
        env:
        - name: CREDENTIALS
          valueFrom:
            secretKeyRef:
              name: {name}-credentials
              key: password
"
    )
}
