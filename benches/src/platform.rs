//! A synthetic repository with the shape of a large platform repository (Kubeflow manifests, an
//! Istio-heavy service mesh): shared bases, deep overlay chains with kustomize components,
//! multi-megabyte CRD files, and JSON 6902 and strategic-merge patches at every level.
//!
//! Layout, for `apps` applications and the environments `dev`, `staging`, `prod`:
//!
//! - `common/workload-defaults` — a shared base every application includes (a default-deny
//!   `NetworkPolicy`, an Istio `PeerAuthentication`, a `Role`, a mesh `ConfigMap`);
//! - `components/{istio-sidecar,pod-security,monitoring}` — `kind: Component`s: strategic-merge
//!   patches (sidecar annotations, a metrics port) and JSON 6902 patches (security context, labels);
//! - `platform/crds/base` — three CRD files of about 2 MB each (controller-gen-shaped schemas, three
//!   served versions per CRD), and `platform/crds/overlays/<env>` patching them with JSON 6902
//!   (cert-manager CA injection annotations, conversion webhooks, a version no longer served);
//! - per application `apps/appNNN/upstream/base` (includes the shared base; labels with selectors,
//!   a generated `ConfigMap`) → `apps/appNNN/upstream/overlays/istio` (`VirtualService`,
//!   `DestinationRule`, `AuthorizationPolicy`, the sidecar component, a strategic-merge patch with
//!   `null`s deleting fields, a 6902 patch) → `apps/appNNN/overlays/<env>` (namespace, components,
//!   images, replicas, a strategic-merge patch merging lists by key, 6902 patches on Istio objects,
//!   a `behavior: merge` generator, a generated `Secret`);
//! - `clusters/<env>` — the CRD overlay of that environment and every application's overlay.
//!
//! With 60 apps that is 1 + 1 + 3 + 60 × 5 + 3 = 308 kustomizations (the components are not
//! buildable on their own and are not listed). Everything is derived from the indices: two calls
//! with the same arguments write the same bytes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The environments every application has an overlay for.
pub const ENVIRONMENTS: [&str; 3] = ["dev", "staging", "prod"];

/// CRD files under `platform/crds/base`, CRDs per file and served versions per CRD.
const CRD_FILES: [&str; 3] = ["networking", "serving", "pipelines"];
const CRDS_PER_FILE: usize = 3;
const VERSIONS: [&str; 3] = ["v1alpha1", "v1beta1", "v1"];
/// Schema shape: properties per object and object nesting below `spec` (about 210 KB a version).
const SCHEMA_FANOUT: usize = 5;
const SCHEMA_DEPTH: usize = 3;

/// Write the repository under `root` and return the kustomization directories: shared and
/// platform bases first, then applications, then clusters.
pub fn write_repo(root: &Path, apps: usize) -> std::io::Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    let write = |path: PathBuf, text: String| -> std::io::Result<()> {
        std::fs::create_dir_all(path.parent().expect("files have parents"))?;
        std::fs::write(path, text)
    };

    let defaults = root.join("common/workload-defaults");
    write(
        defaults.join("kustomization.yaml"),
        kustomization(&["defaults.yaml"]),
    )?;
    write(defaults.join("defaults.yaml"), workload_defaults())?;
    dirs.push(defaults);

    for (name, text) in components() {
        write(
            root.join("components")
                .join(name)
                .join("kustomization.yaml"),
            text,
        )?;
    }

    let crds = root.join("platform/crds/base");
    let files: Vec<String> = CRD_FILES.iter().map(|f| format!("{f}-crds.yaml")).collect();
    let file_refs: Vec<&str> = files.iter().map(String::as_str).collect();
    write(crds.join("kustomization.yaml"), kustomization(&file_refs))?;
    for (group, file) in CRD_FILES.iter().zip(&files) {
        write(crds.join(file), crd_file(group))?;
    }
    dirs.push(crds);
    for env in ENVIRONMENTS {
        let overlay = root.join("platform/crds/overlays").join(env);
        write(overlay.join("kustomization.yaml"), crd_overlay(env))?;
        dirs.push(overlay);
    }

    for app in 0..apps {
        let name = format!("app{app:03}");
        let upstream = root.join("apps").join(&name).join("upstream");
        let base = upstream.join("base");
        write(
            base.join("kustomization.yaml"),
            app_base_kustomization(&name),
        )?;
        write(base.join("workload.yaml"), app_workload(&name, app))?;
        write(base.join("config.yaml"), app_config(&name, app))?;
        dirs.push(base);
        let istio = upstream.join("overlays/istio");
        write(istio.join("kustomization.yaml"), istio_kustomization(&name))?;
        write(istio.join("mesh.yaml"), istio_objects(&name))?;
        write(istio.join("deployment-patch.yaml"), istio_patch(&name))?;
        dirs.push(istio);
    }
    for env in ENVIRONMENTS {
        for app in 0..apps {
            let name = format!("app{app:03}");
            let overlay = root.join("apps").join(&name).join("overlays").join(env);
            write(
                overlay.join("kustomization.yaml"),
                env_kustomization(&name, app, env),
            )?;
            write(overlay.join("namespace.yaml"), namespace(&name))?;
            write(overlay.join("env-patch.yaml"), env_patch(&name, env))?;
            dirs.push(overlay);
        }
    }
    for env in ENVIRONMENTS {
        let cluster = root.join("clusters").join(env);
        let mut text = String::from(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n",
        );
        let _ = writeln!(text, "- ../../platform/crds/overlays/{env}");
        for app in 0..apps {
            let _ = writeln!(text, "- ../../apps/app{app:03}/overlays/{env}");
        }
        let _ = write!(
            text,
            "commonAnnotations:\n  platform.example.com/cluster: {env}\n"
        );
        write(cluster.join("kustomization.yaml"), text)?;
        dirs.push(cluster);
    }
    Ok(dirs)
}

fn kustomization(resources: &[&str]) -> String {
    let mut text = String::from(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n",
    );
    for r in resources {
        let _ = writeln!(text, "- {r}");
    }
    text
}

fn workload_defaults() -> String {
    let mut text = String::from(
        "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
spec:
  podSelector: {}
  policyTypes:
  - Ingress
  - Egress
  egress:
  - to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: istio-system
---
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata:
  name: default
spec:
  mtls:
    mode: STRICT
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: workload-reader
rules:
- apiGroups:
  - \"\"
  resources:
  - configmaps
  - secrets
  verbs:
  - get
  - list
  - watch
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: mesh-defaults
data:
",
    );
    for i in 0..60 {
        let _ = writeln!(
            text,
            "  proxy.setting{i:02}: \"holdApplicationUntilProxyStarts={} concurrency={}\"",
            i % 2 == 0,
            i % 4 + 1
        );
    }
    text
}

fn components() -> [(&'static str, String); 3] {
    let header = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n";
    [
        (
            "istio-sidecar",
            format!(
                "{header}patches:
- target:
    kind: Deployment
  patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: any
    spec:
      template:
        metadata:
          annotations:
            sidecar.istio.io/inject: \"true\"
            proxy.istio.io/config: '{{\"holdApplicationUntilProxyStarts\": true}}'
            traffic.sidecar.istio.io/excludeOutboundPorts: \"15021\"
- target:
    kind: Service
  patch: |-
    - op: add
      path: /metadata/labels/istio.io~1rev
      value: stable
"
            ),
        ),
        (
            "pod-security",
            format!(
                "{header}patches:
- target:
    group: apps
    kind: Deployment
  patch: |-
    - op: add
      path: /spec/template/spec/securityContext
      value:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
    - op: add
      path: /spec/template/spec/containers/0/securityContext
      value:
        allowPrivilegeEscalation: false
        capabilities:
          drop:
          - ALL
    - op: replace
      path: /spec/template/spec/containers/0/imagePullPolicy
      value: IfNotPresent
"
            ),
        ),
        (
            "monitoring",
            format!(
                "{header}patches:
- target:
    kind: Deployment
  patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: any
    spec:
      template:
        metadata:
          annotations:
            prometheus.io/scrape: \"true\"
            prometheus.io/port: \"9090\"
        spec:
          containers:
          - name: main
            ports:
            - containerPort: 9090
              name: metrics
"
            ),
        ),
    ]
}

fn crd_file(group: &str) -> String {
    let mut text = String::new();
    for i in 0..CRDS_PER_FILE {
        if i > 0 {
            text.push_str("---\n");
        }
        let kind = format!(
            "{}{}",
            capitalised(group),
            KIND_SUFFIXES[i % KIND_SUFFIXES.len()]
        );
        crd(&mut text, group, &kind);
    }
    text
}

const KIND_SUFFIXES: [&str; 6] = ["Gateway", "Route", "Policy", "Run", "Revision", "Profile"];

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_ascii_uppercase().to_string() + chars.as_str()
    })
}

fn crd(text: &mut String, group: &str, kind: &str) {
    let plural = format!("{}s", kind.to_ascii_lowercase());
    let group = format!("{group}.platform.example.com");
    let _ = write!(
        text,
        "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  annotations:
    controller-gen.kubebuilder.io/version: v0.16.5
  labels:
    app.kubernetes.io/part-of: platform
  name: {plural}.{group}
spec:
  group: {group}
  names:
    kind: {kind}
    listKind: {kind}List
    plural: {plural}
    singular: {singular}
  scope: Namespaced
  versions:
",
        singular = kind.to_ascii_lowercase()
    );
    for (v, version) in VERSIONS.iter().enumerate() {
        let _ = write!(
            text,
            "  - name: {version}
    schema:
      openAPIV3Schema:
        description: {kind} is the Schema for the {plural} API of {group}.
        properties:
          apiVersion:
            description: APIVersion defines the versioned schema of this representation of an object.
            type: string
          kind:
            description: Kind is a string value representing the REST resource this object represents.
            type: string
          metadata:
            type: object
          spec:
            description: {kind}Spec defines the desired state of {kind}.
            properties:
"
        );
        schema_properties(text, kind, "spec", 14, SCHEMA_DEPTH);
        let _ = write!(
            text,
            "            type: object
          status:
            description: {kind}Status defines the observed state of {kind}.
            properties:
              conditions:
                items:
                  properties:
                    message:
                      type: string
                    reason:
                      type: string
                    status:
                      type: string
                    type:
                      type: string
                  required:
                  - status
                  - type
                  type: object
                type: array
              observedGeneration:
                format: int64
                type: integer
            type: object
        type: object
    served: true
    storage: {storage}
    subresources:
      status: {{}}
",
            storage = v + 1 == VERSIONS.len()
        );
    }
}

/// Object properties `depth` levels deep under `indent`, named after their path so every CRD
/// differs; leaves alternate string, integer and boolean.
fn schema_properties(text: &mut String, kind: &str, path: &str, indent: usize, depth: usize) {
    let pad = " ".repeat(indent);
    for i in 0..SCHEMA_FANOUT {
        let field = format!("{}{i}", FIELD_WORDS[(path.len() + i) % FIELD_WORDS.len()]);
        let _ = writeln!(text, "{pad}{field}:");
        let _ = writeln!(
            text,
            "{pad}  description: {field} configures the {path} settings of {kind} resources managed by the platform operator."
        );
        if depth == 0 {
            let leaf = ["string", "integer", "boolean"][i % 3];
            let _ = writeln!(text, "{pad}  type: {leaf}");
        } else {
            let _ = writeln!(text, "{pad}  properties:");
            schema_properties(
                text,
                kind,
                &format!("{path}.{field}"),
                indent + 4,
                depth - 1,
            );
            let _ = writeln!(text, "{pad}  type: object");
        }
    }
}

const FIELD_WORDS: [&str; 7] = [
    "backend", "listener", "selector", "timeout", "template", "upstream", "weight",
];

fn crd_overlay(env: &str) -> String {
    let mut text = String::from(
        "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ../../base
patches:
- target:
    group: apiextensions.k8s.io
    kind: CustomResourceDefinition
  patch: |-
    - op: add
      path: /metadata/annotations/cert-manager.io~1inject-ca-from
      value: platform-system/serving-cert
",
    );
    let _ = write!(
        text,
        "    - op: add
      path: /metadata/labels/platform.example.com~1environment
      value: {env}
"
    );
    for group in CRD_FILES {
        let plural = format!("{}{}s", group, KIND_SUFFIXES[0].to_ascii_lowercase());
        let _ = write!(
            text,
            "- target:
    kind: CustomResourceDefinition
    name: {plural}.{group}.platform.example.com
  patch: |-
    - op: add
      path: /spec/conversion
      value:
        strategy: Webhook
        webhook:
          clientConfig:
            service:
              name: {group}-webhook
              namespace: platform-system
              path: /convert
          conversionReviewVersions:
          - v1
    - op: replace
      path: /spec/versions/0/served
      value: false
"
        );
    }
    text
}

fn app_base_kustomization(name: &str) -> String {
    format!(
        "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ../../../../common/workload-defaults
- workload.yaml
labels:
- pairs:
    app.kubernetes.io/name: {name}
  includeSelectors: true
- pairs:
    app.kubernetes.io/part-of: platform
configMapGenerator:
- name: {name}-config
  files:
  - config.yaml
"
    )
}

fn app_workload(name: &str, app: usize) -> String {
    format!(
        "apiVersion: v1
kind: ServiceAccount
metadata:
  name: {name}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {name}-reader
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: workload-reader
subjects:
- kind: ServiceAccount
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
      - name: main
        image: registry.example.com/{name}:1.0.0
        imagePullPolicy: Always
        args:
        - --config=/etc/{name}/config.yaml
        - --port=8080
        ports:
        - containerPort: 8080
          name: http
        env:
        - name: LOG_LEVEL
          value: info
        - name: WORKERS
          value: \"{workers}\"
        resources:
          requests:
            cpu: 100m
            memory: 128Mi
          limits:
            cpu: 500m
            memory: 256Mi
        readinessProbe:
          httpGet:
            path: /ready
            port: 8080
        volumeMounts:
        - name: config
          mountPath: /etc/{name}
        - name: mesh
          mountPath: /etc/mesh
      volumes:
      - name: config
        configMap:
          name: {name}-config
      - name: mesh
        configMap:
          name: mesh-defaults
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
  ports:
  - name: http
    port: 80
    targetPort: 8080
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
",
        workers = app % 8 + 1
    )
}

fn app_config(name: &str, app: usize) -> String {
    let mut text = format!("service: {name}\nlisteners:\n");
    for i in 0..20 {
        let _ = writeln!(
            text,
            "- name: listener{i}\n  port: {}\n  timeout: {}s",
            9000 + i,
            (app + i) % 30 + 1
        );
    }
    text
}

fn istio_kustomization(name: &str) -> String {
    format!(
        "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ../../base
- mesh.yaml
components:
- ../../../../../components/istio-sidecar
patches:
- path: deployment-patch.yaml
- target:
    kind: Service
    name: {name}
  patch: |-
    - op: replace
      path: /spec/ports/0/name
      value: http-web
    - op: add
      path: /spec/ports/-
      value:
        name: grpc
        port: 9000
        targetPort: 9000
"
    )
}

fn istio_objects(name: &str) -> String {
    format!(
        "apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: {name}
spec:
  hosts:
  - {name}.example.com
  gateways:
  - istio-system/platform-gateway
  http:
  - match:
    - uri:
        prefix: /api
    route:
    - destination:
        host: {name}
        port:
          number: 80
    timeout: 30s
    retries:
      attempts: 3
      perTryTimeout: 10s
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata:
  name: {name}
spec:
  host: {name}
  trafficPolicy:
    tls:
      mode: ISTIO_MUTUAL
    connectionPool:
      http:
        http2MaxRequests: 1000
---
apiVersion: security.istio.io/v1beta1
kind: AuthorizationPolicy
metadata:
  name: {name}
spec:
  action: ALLOW
  rules:
  - from:
    - source:
        principals:
        - cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account
"
    )
}

fn istio_patch(name: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  template:
    spec:
      containers:
      - name: main
        readinessProbe: null
        resources:
          limits:
            cpu: null
        env:
        - name: ISTIO_META_APP
          value: {name}
"
    )
}

fn namespace(name: &str) -> String {
    format!(
        "apiVersion: v1
kind: Namespace
metadata:
  name: {name}
  labels:
    istio-injection: enabled
"
    )
}

fn env_kustomization(name: &str, app: usize, env: &str) -> String {
    let replicas = match env {
        "prod" => 3,
        "staging" => 2,
        _ => 1,
    };
    let monitoring = if env == "prod" {
        "- ../../../../components/monitoring\n"
    } else {
        ""
    };
    format!(
        "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: {name}
resources:
- namespace.yaml
- ../../upstream/overlays/istio
components:
- ../../../../components/pod-security
{monitoring}labels:
- pairs:
    environment: {env}
commonAnnotations:
  platform.example.com/owner: team-{team}
images:
- name: registry.example.com/{name}
  newTag: 2.{minor}.0-{env}
replicas:
- name: {name}
  count: {replicas}
patches:
- path: env-patch.yaml
- target:
    group: networking.istio.io
    kind: VirtualService
  patch: |-
    - op: replace
      path: /spec/hosts/0
      value: {name}.{env}.example.com
    - op: add
      path: /spec/http/0/route/0/destination/subset
      value: {env}
- target:
    kind: HorizontalPodAutoscaler
  patch: |-
    - op: replace
      path: /spec/maxReplicas
      value: {max}
configMapGenerator:
- name: {name}-config
  behavior: merge
  literals:
  - ENVIRONMENT={env}
secretGenerator:
- name: {name}-credentials
  literals:
  - token={name}-{env}-token
",
        team = app % 7,
        minor = app % 5,
        max = replicas * 4
    )
}

fn env_patch(name: &str, env: &str) -> String {
    let memory = match env {
        "prod" => "1Gi",
        "staging" => "512Mi",
        _ => "256Mi",
    };
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  template:
    spec:
      containers:
      - name: main
        env:
        - name: LOG_LEVEL
          value: {level}
        - name: CREDENTIALS
          valueFrom:
            secretKeyRef:
              name: {name}-credentials
              key: token
        resources:
          limits:
            memory: {memory}
",
        level = if env == "prod" { "warn" } else { "debug" }
    )
}
