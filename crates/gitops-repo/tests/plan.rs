//! The property that defines a correct plan: after step 1 is applied to the head, `check` from
//! the base reports no error for the object; after step 2, `check` from the tree step 1 left
//! reports none either. Run for every strategy and every rule family the plan supports.

use std::path::Path;

use gitops_repo::plan::{plan, Plan, Strategy};
use gitops_repo::{compare, NoProgress, RenderOptions, Report, Snapshot};
use immutable_rules::Severity;
use kustomize_build::fs::MemFs;

const FLUX: &str = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  path: ./app\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n";

fn snapshot(label: &str, fs: MemFs) -> Snapshot {
    let root = Path::new("/r");
    Snapshot::new(label, Box::new(fs), root, root)
}

fn check(before: &MemFs, after: &MemFs) -> Report {
    compare(
        &snapshot("base", before.clone()),
        &snapshot("head", after.clone()),
        &RenderOptions::new(),
        &NoProgress,
    )
    .unwrap()
}

fn errors(report: &Report) -> Vec<String> {
    report
        .violations
        .iter()
        .filter(|v| v.finding.violation.severity == Severity::Error)
        .map(|v| {
            format!(
                "{} {}",
                v.finding.violation.rule, v.finding.violation.object.name
            )
        })
        .collect()
}

/// `fs` with every edit of step `index` (0-based) of every migration applied.
fn apply_step(fs: &MemFs, plan: &Plan, index: usize) -> MemFs {
    let mut fs = fs.clone();
    for migration in &plan.migrations {
        if let Some(step) = migration.steps.get(index) {
            for edit in &step.edits {
                assert_eq!(
                    String::from_utf8(
                        kustomize_build::fs::Filesystem::read(
                            &fs,
                            &Path::new("/r").join(&edit.file)
                        )
                        .unwrap()
                    )
                    .unwrap(),
                    edit.before,
                    "the edit applies to the tree as it is"
                );
                fs.add_file(format!("/r/{}", edit.file), edit.after.as_bytes());
            }
        }
    }
    fs
}

/// Plan the change from `before` to `before + changes`, check it is refused, and prove the
/// plan: returns the plan for further assertions.
fn proven(before: &MemFs, changes: &[(&str, &str)], rule: &str, strategy: Strategy) -> Plan {
    let mut after = before.clone();
    for (path, content) in changes {
        after.add_file(format!("/r/{path}"), content.as_bytes());
    }
    let refused = errors(&check(before, &after));
    assert!(
        refused.iter().any(|e| e.starts_with(rule)),
        "{rule} not refused: {refused:?}"
    );
    let plan = plan(
        &snapshot("base", before.clone()),
        &snapshot("head", after.clone()),
        &RenderOptions::new(),
        &NoProgress,
    )
    .unwrap();
    assert!(plan.unplanned.is_empty(), "{:#?}", plan.unplanned);
    let migration = plan
        .migrations
        .iter()
        .find(|m| m.rule == rule)
        .unwrap_or_else(|| panic!("no migration for {rule}: {plan:#?}"));
    assert_eq!(migration.strategy, strategy, "{}", migration.reason);
    let step1 = apply_step(&after, &plan, 0);
    let left = errors(&check(before, &step1));
    assert!(
        left.is_empty(),
        "after step 1 of {rule}: {left:?}\n{plan:#?}"
    );
    if plan.migrations.iter().any(|m| m.steps.len() > 1) {
        let step2 = apply_step(&step1, &plan, 1);
        let left = errors(&check(&step1, &step2));
        assert!(left.is_empty(), "after step 2 of {rule}: {left:?}");
        assert_eq!(
            errors(&check(&step2, &after)),
            Vec::<String>::new(),
            "step 2 restores the head"
        );
    }
    plan
}

fn flux_app(files: &[(&str, &str)]) -> MemFs {
    let mut fs = MemFs::new();
    fs.add_file("/r/clusters/apps.yaml", FLUX);
    for (path, content) in files {
        fs.add_file(format!("/r/{path}"), content.as_bytes());
    }
    fs
}

fn deployment(app: &str) -> String {
    format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels:\n      app: {app}\n  template:\n    metadata:\n      labels:\n        app: {app}\n    spec:\n      containers:\n      - name: web\n        image: nginx\n")
}

/// [`deployment`] with one annotation (`key: value`).
fn annotated_deployment(app: &str, annotation: &str) -> String {
    deployment(app).replace(
        "  name: web\n",
        &format!("  name: web\n  annotations:\n    {annotation}\n"),
    )
}

#[test]
fn deployment_selector_in_the_resource_file_is_recreated() {
    let before = flux_app(&[
        ("app/kustomization.yaml", "resources: [web.yaml]\n"),
        ("app/web.yaml", &deployment("web")),
    ]);
    let plan = proven(
        &before,
        &[("app/web.yaml", &deployment("shop"))],
        "deployment-selector",
        Strategy::Recreate,
    );
    let steps = &plan.migrations[0].steps;
    assert_eq!(steps[0].edits[0].file, "app/web.yaml");
    assert!(steps[0]
        .checks
        .iter()
        .any(|c| c.starts_with("flux reconcile kustomization apps -n flux-system")));
    assert_eq!(steps[1].edits[0].after, deployment("shop"));
    let patches = plan.patches();
    assert_eq!(patches[0].0, "01-deployment-web-step1.patch");
    assert!(patches[0]
        .1
        .contains("+  annotations:\n+    kustomize.toolkit.fluxcd.io/force: enabled\n"));
}

#[test]
fn a_selector_an_overlay_field_writes_gets_a_patch_in_that_kustomization() {
    let before = flux_app(&[
        ("base/kustomization.yaml", "resources: [web.yaml]\n"),
        ("base/web.yaml", &deployment("web")),
        (
            "app/kustomization.yaml",
            "namePrefix: shop-\nresources: [../base]\n",
        ),
    ]);
    let plan = proven(
        &before,
        &[(
            "app/kustomization.yaml",
            "namePrefix: shop-\nresources: [../base]\ncommonLabels:\n  team: shop\n",
        )],
        "deployment-selector",
        Strategy::Recreate,
    );
    let edit = &plan.migrations[0].steps[0].edits[0];
    assert_eq!(edit.file, "app/kustomization.yaml");
    assert!(
        edit.after
            .contains("patches:\n- target:\n    kind: Deployment\n    name: web\n"),
        "{}",
        edit.after
    );
}

const STATEFULSET: &str = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\n  namespace: data\nspec:\n  replicas: 2\n  serviceName: db\n  selector:\n    matchLabels:\n      app: db\n  template:\n    metadata:\n      labels:\n        app: db\n    spec:\n      containers:\n      - name: db\n        image: postgres\n  volumeClaimTemplates:\n  - metadata:\n      name: data\n    spec:\n      accessModes: [ReadWriteOnce]\n      resources:\n        requests:\n          storage: 10Gi\n";

#[test]
fn statefulset_storage_set_by_a_patch_is_orphan_recreated_with_claim_expansion() {
    let patch = |size: &str| {
        format!("apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\n  namespace: data\nspec:\n  volumeClaimTemplates:\n  - metadata:\n      name: data\n    spec:\n      accessModes: [ReadWriteOnce]\n      resources:\n        requests:\n          storage: {size}\n")
    };
    let before = flux_app(&[
        ("base/kustomization.yaml", "resources: [db.yaml]\n"),
        ("base/db.yaml", STATEFULSET),
        (
            "app/kustomization.yaml",
            "resources: [../base]\npatches:\n- path: storage.yaml\n",
        ),
        ("app/storage.yaml", &patch("20Gi")),
    ]);
    let plan = proven(
        &before,
        &[("app/storage.yaml", &patch("50Gi"))],
        "statefulset-volume-claim-templates",
        Strategy::OrphanRecreate,
    );
    let step = &plan.migrations[0].steps[0];
    assert_eq!(step.edits[0].file, "app/storage.yaml");
    assert_eq!(
        step.before_merge,
        [
            "flux suspend kustomization apps -n flux-system  # no reconcile of the old revision until the merge",
            r#"kubectl -n data patch pvc data-db-0 --type merge -p '{"spec":{"resources":{"requests":{"storage":"50Gi"}}}}'"#,
            r#"kubectl -n data patch pvc data-db-1 --type merge -p '{"spec":{"resources":{"requests":{"storage":"50Gi"}}}}'"#,
            "kubectl -n data get pvc -o custom-columns=NAME:.metadata.name,CAPACITY:.status.capacity.storage  # wait until each claim shows the new size (its StorageClass must set allowVolumeExpansion: true)",
            "kubectl -n data delete statefulset db --cascade=orphan  # pods and claims stay; Flux creates the new StatefulSet, which adopts them",
        ]
    );
    // Nothing applies the old revision between the orphan delete and the merge.
    assert_eq!(
        step.after_merge,
        ["flux resume kustomization apps -n flux-system  # reconciles the merged revision at once"]
    );
}

#[test]
fn statefulset_service_name_is_orphan_recreated() {
    let before = flux_app(&[
        ("app/kustomization.yaml", "resources: [db.yaml]\n"),
        ("app/db.yaml", STATEFULSET),
    ]);
    let plan = proven(
        &before,
        &[(
            "app/db.yaml",
            &STATEFULSET.replace("serviceName: db", "serviceName: db-headless"),
        )],
        "statefulset-service-name",
        Strategy::OrphanRecreate,
    );
    let step = &plan.migrations[0].steps[0];
    assert!(step.before_merge[0].starts_with("flux suspend kustomization apps"));
    assert!(step.before_merge[1].contains("--cascade=orphan"));
    assert_eq!(step.before_merge.len(), 2);
    assert_eq!(step.after_merge.len(), 1);
}

#[test]
fn job_template_is_recreated() {
    let job = |image: &str| {
        format!("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: m\n        image: {image}\n")
    };
    let before = flux_app(&[
        (
            "app/kustomization.yaml",
            "resources: [job.yaml]\nimages:\n- name: tool\n  newTag: \"1\"\n",
        ),
        ("app/job.yaml", &job("tool")),
    ]);
    // The tag comes from the kustomization's `images` field: the mark is a patch there.
    let plan = proven(
        &before,
        &[(
            "app/kustomization.yaml",
            "resources: [job.yaml]\nimages:\n- name: tool\n  newTag: \"2\"\n",
        )],
        "job-template",
        Strategy::Recreate,
    );
    assert!(plan.migrations[0].steps[0]
        .checks
        .iter()
        .any(|c| c.contains("wait --for=condition=complete job/migrate")));
}

#[test]
fn service_cluster_ip_is_recreated() {
    let service = |ip: &str| {
        format!("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  clusterIP: {ip}\n  ports:\n  - port: 80\n")
    };
    let before = flux_app(&[
        ("app/kustomization.yaml", "resources: [svc.yaml]\n"),
        ("app/svc.yaml", &service("10.0.0.10")),
    ]);
    proven(
        &before,
        &[("app/svc.yaml", &service("10.0.0.11"))],
        "service-cluster-ip",
        Strategy::Recreate,
    );
}

#[test]
fn role_binding_role_ref_is_recreated() {
    let binding = |role: &str| {
        format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: read\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: {role}\nsubjects:\n- kind: ServiceAccount\n  name: app\n")
    };
    let before = flux_app(&[
        ("app/kustomization.yaml", "resources: [rb.yaml]\n"),
        ("app/rb.yaml", &binding("reader")),
    ]);
    proven(
        &before,
        &[("app/rb.yaml", &binding("writer"))],
        "rolebinding-role-ref",
        Strategy::Recreate,
    );
}

#[test]
fn immutable_config_map_and_secret_data_are_recreated() {
    let config = |mode: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\nimmutable: true\ndata:\n  mode: {mode}\n")
    };
    let secret = |token: &str| {
        format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: token\nimmutable: true\nstringData:\n  token: {token}\n")
    };
    let before = flux_app(&[
        (
            "app/kustomization.yaml",
            "resources: [cm.yaml, secret.yaml]\n",
        ),
        ("app/cm.yaml", &config("a")),
        ("app/secret.yaml", &secret("x")),
    ]);
    let plan = proven(
        &before,
        &[
            ("app/cm.yaml", &config("b")),
            ("app/secret.yaml", &secret("y")),
        ],
        "configmap-immutable-data",
        Strategy::Recreate,
    );
    assert!(
        plan.migrations
            .iter()
            .any(|m| m.rule == "secret-immutable-data"),
        "{plan:#?}"
    );
}

#[test]
fn a_field_the_immutable_fields_annotation_lists_is_recreated() {
    let widget = |size: &str| {
        format!("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  annotations:\n    unstuck.dev/immutable-fields: spec.size\nspec:\n  size: {size}\n")
    };
    let before = flux_app(&[
        ("app/kustomization.yaml", "resources: [w.yaml]\n"),
        ("app/w.yaml", &widget("1")),
    ]);
    let plan = proven(
        &before,
        &[("app/w.yaml", &widget("2"))],
        "annotation-immutable-field",
        Strategy::Recreate,
    );
    // The object already has annotations: the mark joins them.
    assert!(plan.migrations[0].steps[0].edits[0].after.contains("  annotations:\n    kustomize.toolkit.fluxcd.io/force: enabled\n    unstuck.dev/immutable-fields"));
}

#[test]
fn a_claim_keeps_its_old_value_by_default() {
    let claim = |class: &str| {
        format!("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\nspec:\n  storageClassName: {class}\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n")
    };
    let before = flux_app(&[
        ("app/kustomization.yaml", "resources: [pvc.yaml]\n"),
        ("app/pvc.yaml", &claim("standard")),
    ]);
    let plan = proven(
        &before,
        &[("app/pvc.yaml", &claim("fast"))],
        "pvc-storage-class",
        Strategy::Keep,
    );
    assert_eq!(plan.migrations[0].steps.len(), 1);
    assert_eq!(
        plan.migrations[0].steps[0].edits[0].after,
        claim("standard")
    );
}

#[test]
fn update_strategy_rolling_keeps_the_old_value_and_only_that_change_is_reverted() {
    let annotated = |app: &str, image: &str| {
        annotated_deployment(app, "gitops.flux.io/update-strategy: rolling")
            .replace("image: nginx", &format!("image: {image}"))
    };
    let before = flux_app(&[
        ("app/kustomization.yaml", "resources: [web.yaml]\n"),
        ("app/web.yaml", &annotated("web", "nginx:1")),
    ]);
    let plan = proven(
        &before,
        &[("app/web.yaml", &annotated("shop", "nginx:2"))],
        "deployment-selector",
        Strategy::Keep,
    );
    // The image change, which applies in place, stays.
    let after = &plan.migrations[0].steps[0].edits[0].after;
    assert!(
        after.contains("image: nginx:2") && after.contains("app: web"),
        "{after}"
    );
}

#[test]
fn without_flux_the_plan_keeps_the_old_value() {
    let mut before = MemFs::new();
    before.add_file("/r/app/kustomization.yaml", "resources: [web.yaml]\n");
    before.add_file("/r/app/web.yaml", deployment("web"));
    let plan = proven(
        &before,
        &[("app/web.yaml", &deployment("shop"))],
        "deployment-selector",
        Strategy::Keep,
    );
    assert!(plan.migrations[0]
        .reason
        .contains("no Flux Kustomization or Argo CD Application deploys it"));
}

const HPA: &str = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: web\n  minReplicas: 2\n  maxReplicas: 5\n";

#[test]
fn a_deployment_an_autoscaler_targets_goes_blue_green() {
    let before = flux_app(&[
        (
            "app/kustomization.yaml",
            "resources: [web.yaml, hpa.yaml]\n",
        ),
        ("app/web.yaml", &deployment("web")),
        ("app/hpa.yaml", HPA),
    ]);
    let plan = proven(
        &before,
        &[("app/web.yaml", &deployment("shop"))],
        "deployment-selector",
        Strategy::BlueGreen,
    );
    let steps = &plan.migrations[0].steps;
    assert_eq!(
        steps[0].title,
        "create Deployment web-v2 beside web with the change, and point HorizontalPodAutoscaler web at it"
    );
    let files: Vec<&str> = steps[0].edits.iter().map(|e| e.file.as_str()).collect();
    assert_eq!(files, ["app/web.yaml", "app/hpa.yaml"]);
    assert_eq!(
        steps[0].edits[0].after,
        format!(
            "{}---\n{}",
            deployment("web"),
            deployment("shop").replacen("name: web\n", "name: web-v2\n", 1)
        )
    );
    assert!(steps[0].edits[1].after.contains("    name: web-v2\n"));
    // Step 2 leaves only the new Deployment.
    assert_eq!(
        steps[1].edits[0].after,
        deployment("shop").replacen("name: web\n", "name: web-v2\n", 1)
    );
}

#[test]
fn a_service_an_ingress_routes_to_goes_blue_green_even_without_flux() {
    let service = |ip: &str| {
        format!("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  clusterIP: {ip}\n  ports:\n  - port: 80\n")
    };
    let ingress = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\nspec:\n  rules:\n  - host: shop.example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service:\n            name: web\n            port:\n              number: 80\n";
    let mut before = MemFs::new();
    before.add_file(
        "/r/app/kustomization.yaml",
        "resources: [svc.yaml, ingress.yaml]\n",
    );
    before.add_file("/r/app/svc.yaml", service("10.0.0.10"));
    before.add_file("/r/app/ingress.yaml", ingress);
    let plan = proven(
        &before,
        &[("app/svc.yaml", &service("10.0.0.11"))],
        "service-cluster-ip",
        Strategy::BlueGreen,
    );
    let step = &plan.migrations[0].steps[0];
    assert!(
        step.edits[1].after.contains("            name: web-v2\n"),
        "{}",
        step.edits[1].after
    );
    assert!(step
        .checks
        .iter()
        .any(|c| c.contains("get endpoints web-v2")));
}

#[test]
fn update_strategy_blue_green_renames_a_job() {
    let job = |image: &str| {
        format!("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate-v3\n  annotations:\n    unstuck.dev/update-strategy: blue-green\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: m\n        image: {image}\n")
    };
    let before = flux_app(&[
        ("app/kustomization.yaml", "resources: [job.yaml]\n"),
        ("app/job.yaml", &job("tool:1")),
    ]);
    let plan = proven(
        &before,
        &[("app/job.yaml", &job("tool:2"))],
        "job-template",
        Strategy::BlueGreen,
    );
    assert!(plan.migrations[0].steps[0].edits[0]
        .after
        .contains("name: migrate-v4\n"));
}

#[test]
fn blue_green_falls_back_to_recreate_when_an_overlay_writes_the_value() {
    let before = flux_app(&[
        (
            "base/kustomization.yaml",
            "resources: [web.yaml, hpa.yaml]\n",
        ),
        ("base/web.yaml", &deployment("web")),
        ("base/hpa.yaml", HPA),
        ("app/kustomization.yaml", "resources: [../base]\n"),
    ]);
    let plan = proven(
        &before,
        &[(
            "app/kustomization.yaml",
            "resources: [../base]\ncommonLabels:\n  team: shop\n",
        )],
        "deployment-selector",
        Strategy::Recreate,
    );
    assert!(
        plan.migrations[0]
            .reason
            .contains("blue-green is not possible here"),
        "{}",
        plan.migrations[0].reason
    );
}

#[test]
fn two_objects_of_one_file_are_planned_one_after_the_other() {
    let two = |app: &str| {
        format!(
            "{}---\n{}",
            deployment(app),
            deployment(app).replacen("name: web\n", "name: api\n", 1)
        )
    };
    let before = flux_app(&[
        ("app/kustomization.yaml", "resources: [apps.yaml]\n"),
        ("app/apps.yaml", &two("web")),
    ]);
    let plan = proven(
        &before,
        &[("app/apps.yaml", &two("shop"))],
        "deployment-selector",
        Strategy::Recreate,
    );
    assert_eq!(plan.migrations.len(), 2);
    let marked = &plan.migrations[1].steps[0].edits[0].after;
    // Each document carries the mark once.
    assert_eq!(
        marked
            .matches("kustomize.toolkit.fluxcd.io/force: enabled")
            .count(),
        2,
        "{marked}"
    );
    assert_eq!(plan.patches().len(), 4);
}

#[test]
fn removing_a_claim_is_not_planned_and_says_what_to_do() {
    let claim = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n";
    let before = flux_app(&[
        ("app/kustomization.yaml", "resources: [pvc.yaml]\n"),
        ("app/pvc.yaml", claim),
    ]);
    let mut after = before.clone();
    after.add_file("/r/app/kustomization.yaml", "resources: []\n");
    let refused = errors(&check(&before, &after));
    assert!(
        !refused.is_empty(),
        "removing a claim Flux prunes is an error"
    );
    let plan = plan(
        &snapshot("base", before),
        &snapshot("head", after),
        &RenderOptions::new(),
        &NoProgress,
    )
    .unwrap();
    assert!(plan.migrations.is_empty(), "{plan:#?}");
    assert_eq!(plan.unplanned.len(), refused.len());
    for unplanned in &plan.unplanned {
        assert!(
            unplanned.reason.contains("prune: disabled"),
            "{}",
            unplanned.reason
        );
    }
}

#[test]
fn blue_green_moves_the_service_selecting_the_old_pods_to_the_new_ones() {
    let service = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    app: web\n  ports:\n  - port: 80\n";
    let before = flux_app(&[
        (
            "app/kustomization.yaml",
            "resources: [web.yaml, hpa.yaml, svc.yaml]\n",
        ),
        ("app/web.yaml", &deployment("web")),
        ("app/hpa.yaml", HPA),
        ("app/svc.yaml", service),
    ]);
    let plan = proven(
        &before,
        &[("app/web.yaml", &deployment("shop"))],
        "deployment-selector",
        Strategy::BlueGreen,
    );
    let step = &plan.migrations[0].steps[0];
    assert_eq!(
        step.title,
        "create Deployment web-v2 beside web with the change, and point HorizontalPodAutoscaler web, Service web at it"
    );
    let svc = step
        .edits
        .iter()
        .find(|e| e.file == "app/svc.yaml")
        .unwrap();
    assert_eq!(svc.after, service.replace("app: web", "app: shop"));
}

/// A CRD whose `spec.engine` may not change once set (`self == oldSelf`).
const DATABASE_CRD: &str = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: databases.example.com\nspec:\n  group: example.com\n  names:\n    kind: Database\n    plural: databases\n  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec:\n            type: object\n            properties:\n              engine:\n                type: string\n                x-kubernetes-validations:\n                - rule: self == oldSelf\n                  message: engine is immutable\n              replicas:\n                type: integer\n";

fn database(annotations: &str, engine: &str, replicas: u32) -> String {
    format!("apiVersion: example.com/v1\nkind: Database\nmetadata:\n  name: orders\n  namespace: shop\n{annotations}spec:\n  engine: {engine}\n  replicas: {replicas}\n")
}

#[test]
fn a_custom_resource_its_crds_transition_rule_refuses_is_recreated() {
    let before = flux_app(&[
        ("app/kustomization.yaml", "resources: [crd.yaml, db.yaml]\n"),
        ("app/crd.yaml", DATABASE_CRD),
        ("app/db.yaml", &database("", "postgres", 1)),
    ]);
    let plan = proven(
        &before,
        &[("app/db.yaml", &database("", "mysql", 1))],
        "crd-transition-rule",
        Strategy::Recreate,
    );
    let migration = &plan.migrations[0];
    assert_eq!(migration.field, "spec.engine");
    assert!(
        migration.reason.contains("deleting it"),
        "{}",
        migration.reason
    );
    let step1 = &migration.steps[0];
    assert_eq!(step1.edits[0].file, "app/db.yaml");
    assert_eq!(
        step1.edits[0].after,
        database("", "mysql", 1).replace(
            "metadata:\n",
            "metadata:\n  annotations:\n    kustomize.toolkit.fluxcd.io/force: enabled\n"
        )
    );
    assert_eq!(migration.steps[1].edits[0].after, database("", "mysql", 1));
}

#[test]
fn a_custom_resource_with_update_strategy_rolling_keeps_its_old_value() {
    let rolling = "  annotations:\n    gitops.flux.io/update-strategy: rolling\n";
    let before = flux_app(&[
        ("app/kustomization.yaml", "resources: [crd.yaml, db.yaml]\n"),
        ("app/crd.yaml", DATABASE_CRD),
        ("app/db.yaml", &database(rolling, "postgres", 1)),
    ]);
    let plan = proven(
        &before,
        &[("app/db.yaml", &database(rolling, "mysql", 3))],
        "crd-transition-rule",
        Strategy::Keep,
    );
    // Only the refused field is reverted: the replica change applies in place.
    assert_eq!(
        plan.migrations[0].steps[0].edits[0].after,
        database(rolling, "postgres", 3)
    );
}

#[test]
fn a_custom_resource_whose_crd_another_kustomization_deploys_is_recreated() {
    let crds = FLUX
        .replace("name: apps", "name: crds")
        .replace("path: ./app", "path: ./crds");
    let before = flux_app(&[
        ("clusters/crds.yaml", &crds),
        ("crds/kustomization.yaml", "resources: [database.yaml]\n"),
        ("crds/database.yaml", DATABASE_CRD),
        ("app/kustomization.yaml", "resources: [db.yaml]\n"),
        ("app/db.yaml", &database("", "postgres", 1)),
    ]);
    let plan = proven(
        &before,
        &[("app/db.yaml", &database("", "mysql", 1))],
        "crd-transition-rule",
        Strategy::Recreate,
    );
    assert_eq!(plan.migrations[0].steps[0].edits[0].file, "app/db.yaml");
}

const PDB: &str = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\nspec:\n  minAvailable: 1\n  selector:\n    matchLabels:\n      app: web\n";

#[test]
fn blue_green_lets_the_disruption_budget_cover_old_and_new_pods_then_narrows_it() {
    let before = flux_app(&[
        (
            "app/kustomization.yaml",
            "resources: [web.yaml, hpa.yaml, pdb.yaml]\n",
        ),
        ("app/web.yaml", &deployment("web")),
        ("app/hpa.yaml", HPA),
        ("app/pdb.yaml", PDB),
    ]);
    let plan = proven(
        &before,
        &[("app/web.yaml", &deployment("shop"))],
        "deployment-selector",
        Strategy::BlueGreen,
    );
    let steps = &plan.migrations[0].steps;
    assert_eq!(
        steps[0].title,
        "create Deployment web-v2 beside web with the change, and point HorizontalPodAutoscaler web at it; PodDisruptionBudget web cover the old and the new pods"
    );
    let budget = |step: usize| {
        steps[step]
            .edits
            .iter()
            .find(|e| e.file == "app/pdb.yaml")
            .unwrap_or_else(|| panic!("step {step} leaves the budget alone: {steps:#?}"))
            .after
            .clone()
    };
    assert_eq!(
        budget(0),
        PDB.replace(
            "    matchLabels:\n      app: web\n",
            "    matchExpressions:\n    - key: app\n      operator: In\n      values: [\"web\", \"shop\"]\n"
        )
    );
    assert!(steps[0]
        .checks
        .iter()
        .any(|c| c.contains("get poddisruptionbudget/web -o jsonpath='{.status.expectedPods}'")));
    // Step 2 removes the old Deployment and leaves the budget on the new pods only.
    assert_eq!(budget(1), PDB.replace("app: web", "app: shop"));
    assert_eq!(
        steps[1].title,
        "remove the old Deployment web once web-v2 serves, and narrow PodDisruptionBudget web to the new pods"
    );
}

#[test]
fn a_budget_selecting_by_a_label_the_copy_keeps_is_left_alone() {
    let before = flux_app(&[
        (
            "app/kustomization.yaml",
            "resources: [web.yaml, hpa.yaml, pdb.yaml]\n",
        ),
        ("app/web.yaml", &deployment("web")),
        ("app/hpa.yaml", HPA),
        ("app/pdb.yaml", &PDB.replace("app: web", "app: other")),
    ]);
    let plan = proven(
        &before,
        &[("app/web.yaml", &deployment("shop"))],
        "deployment-selector",
        Strategy::BlueGreen,
    );
    let files: Vec<&str> = plan.migrations[0].steps[0]
        .edits
        .iter()
        .map(|e| e.file.as_str())
        .collect();
    assert_eq!(files, ["app/web.yaml", "app/hpa.yaml"]);
}

fn settings(mode: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\nimmutable: true\ndata:\n  mode: {mode}\n")
}

fn token(value: &str) -> String {
    format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: token\nimmutable: true\ndata:\n  token: {value}\n")
}

/// A Deployment reading `settings` and `token` in every way a pod template can, and a `CronJob`
/// reading them through a projected volume.
const READERS: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      imagePullSecrets:\n      - name: token\n      initContainers:\n      - name: init\n        image: busybox\n        envFrom:\n        - configMapRef:\n            name: settings\n      containers:\n      - name: web\n        image: nginx\n        env:\n        - name: MODE\n          valueFrom:\n            configMapKeyRef:\n              name: settings\n              key: mode\n        - name: TOKEN\n          valueFrom:\n            secretKeyRef:\n              name: token\n              key: token\n        envFrom:\n        - secretRef:\n            name: token\n        volumeMounts:\n        - name: config\n          mountPath: /etc/web\n      volumes:\n      - name: config\n        configMap:\n          name: settings\n      - name: auth\n        secret:\n          secretName: token\n---\napiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: report\nspec:\n  schedule: \"0 * * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers:\n          - name: report\n            image: tool\n          volumes:\n          - name: all\n            projected:\n              sources:\n              - configMap:\n                  name: settings\n              - secret:\n                  name: token\n";

#[test]
fn a_renamed_config_map_and_secret_are_read_by_every_pod_template_after_step_one() {
    let before = flux_app(&[
        (
            "app/kustomization.yaml",
            "resources: [cm.yaml, secret.yaml, workloads.yaml]\n",
        ),
        ("app/cm.yaml", &settings("a")),
        ("app/secret.yaml", &token("eA==")),
        ("app/workloads.yaml", READERS),
    ]);
    let plan = proven(
        &before,
        &[
            ("app/cm.yaml", &settings("b")),
            ("app/secret.yaml", &token("eQ==")),
        ],
        "configmap-immutable-data",
        Strategy::BlueGreen,
    );
    assert_eq!(plan.migrations.len(), 2, "{plan:#?}");
    let secret = plan
        .migrations
        .iter()
        .find(|m| m.rule == "secret-immutable-data")
        .unwrap();
    assert_eq!(secret.strategy, Strategy::BlueGreen, "{}", secret.reason);
    // After both step 1s, every reference names a copy and no other line changed.
    let workloads = plan
        .migrations
        .iter()
        .flat_map(|m| &m.steps[0].edits)
        .rfind(|e| e.file == "app/workloads.yaml")
        .unwrap();
    assert_eq!(
        workloads.after,
        READERS
            .replace("name: settings\n", "name: settings-v2\n")
            .replace("name: token\n", "name: token-v2\n")
            .replace("secretName: token\n", "secretName: token-v2\n")
    );
    let config = &plan.migrations[0].steps[0];
    assert_eq!(
        config.title,
        "create ConfigMap settings-v2 beside settings with the change, and point Deployment web, CronJob report at it"
    );
    assert!(config
        .checks
        .iter()
        .any(|c| c == "kubectl rollout status deployment/web  # no pod reads settings any more"));
    // Step 2 removes the old objects; the references stay on the copies.
    assert_eq!(
        plan.migrations[0].steps[1].edits[0].after,
        settings("b").replace("name: settings\n", "name: settings-v2\n")
    );
}

#[test]
fn a_config_map_a_job_reads_is_recreated_since_the_job_cannot_follow_a_copy() {
    let job = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: m\n        image: tool\n        envFrom:\n        - configMapRef:\n            name: settings\n";
    let before = flux_app(&[
        ("app/kustomization.yaml", "resources: [cm.yaml, job.yaml]\n"),
        ("app/cm.yaml", &settings("a")),
        ("app/job.yaml", job),
    ]);
    let plan = proven(
        &before,
        &[("app/cm.yaml", &settings("b"))],
        "configmap-immutable-data",
        Strategy::Recreate,
    );
    assert!(
        plan.migrations[0]
            .reason
            .contains("Job migrate reads it, and its pod template cannot be changed in place"),
        "{}",
        plan.migrations[0].reason
    );
}

const REPO: &str = "https://git.example/platform.git";

/// An Argo CD Application deploying `web/` into `shop`, with `kustomize` options when given.
fn argo_app(options: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  namespace: argocd\nspec:\n  source:\n    repoURL: {REPO}\n    path: web\n{options}  destination:\n    namespace: shop\n  syncPolicy:\n    automated:\n      prune: true\n"
    )
}

fn argo_repo(files: &[(&str, &str)]) -> MemFs {
    let mut fs = MemFs::new();
    fs.add_file("/r/argocd/web.yaml", argo_app(""));
    for (path, content) in files {
        fs.add_file(format!("/r/{path}"), content.as_bytes());
    }
    fs
}

#[test]
fn an_argo_deployed_object_is_recreated_with_force_and_replace() {
    let before = argo_repo(&[
        ("web/kustomization.yaml", "resources: [web.yaml]\n"),
        ("web/web.yaml", &deployment("web")),
    ]);
    // `check` traces the refused value through the Application's rendering (which puts the
    // Deployment in `shop`) to its line.
    let mut after = before.clone();
    after.add_file("/r/web/web.yaml", deployment("shop"));
    let report = check(&before, &after);
    let source = report.violations[0].source.as_ref().unwrap();
    assert_eq!((source.file.as_str(), source.line), ("web/web.yaml", 8));
    let plan = proven(
        &before,
        &[("web/web.yaml", &deployment("shop"))],
        "deployment-selector",
        Strategy::Recreate,
    );
    let steps = &plan.migrations[0].steps;
    assert_eq!(
        steps[0].title,
        "mark Deployment shop/web for recreation by Argo CD (argocd.argoproj.io/sync-options: Force=true,Replace=true)"
    );
    assert!(steps[0].edits[0]
        .after
        .contains("metadata:\n  annotations:\n    argocd.argoproj.io/sync-options: Force=true,Replace=true\n  name: web\n"));
    assert!(steps[0]
        .checks
        .iter()
        .any(|c| c.starts_with("argocd app wait web --sync --health")));
    assert_eq!(steps[1].edits[0].after, deployment("shop"));
}

#[test]
fn an_argo_object_with_sync_options_gets_force_and_replace_added_to_them() {
    let annotated =
        |app: &str| annotated_deployment(app, "argocd.argoproj.io/sync-options: Prune=false");
    let before = argo_repo(&[
        ("web/kustomization.yaml", "resources: [web.yaml]\n"),
        ("web/web.yaml", &annotated("web")),
    ]);
    let plan = proven(
        &before,
        &[("web/web.yaml", &annotated("shop"))],
        "deployment-selector",
        Strategy::Recreate,
    );
    let steps = &plan.migrations[0].steps;
    assert!(steps[0].edits[0]
        .after
        .contains("    argocd.argoproj.io/sync-options: Prune=false,Force=true,Replace=true\n"));
    assert_eq!(steps[1].edits[0].after, annotated("shop"));
}

#[test]
fn an_argo_deployed_deployment_an_autoscaler_targets_goes_blue_green() {
    let before = argo_repo(&[
        (
            "web/kustomization.yaml",
            "resources: [web.yaml, hpa.yaml, pdb.yaml]\n",
        ),
        ("web/web.yaml", &deployment("web")),
        ("web/hpa.yaml", HPA),
        ("web/pdb.yaml", PDB),
    ]);
    let plan = proven(
        &before,
        &[("web/web.yaml", &deployment("shop"))],
        "deployment-selector",
        Strategy::BlueGreen,
    );
    let steps = &plan.migrations[0].steps;
    let files: Vec<&str> = steps[0].edits.iter().map(|e| e.file.as_str()).collect();
    assert_eq!(files, ["web/web.yaml", "web/hpa.yaml", "web/pdb.yaml"]);
    assert!(steps[1].checks[0].contains("Argo CD Application argocd/web prunes it"));
}

#[test]
fn a_value_the_argo_application_options_write_is_named_not_patched() {
    let before = argo_repo(&[
        (
            "web/kustomization.yaml",
            "resources: [web.yaml, hpa.yaml]\n",
        ),
        ("web/web.yaml", &deployment("web")),
        ("web/hpa.yaml", HPA),
    ]);
    // The head adds a label through the Application: the selector changes, no file of web/ does.
    let labelled = argo_app("    kustomize:\n      commonLabels:\n        team: shop\n");
    let recreated = proven(
        &before,
        &[("argocd/web.yaml", &labelled)],
        "deployment-selector",
        Strategy::Recreate,
    );
    let migration = &recreated.migrations[0];
    assert!(
        migration.reason.contains("blue-green is not possible here (Argo CD Application argocd/web (argocd/web.yaml) changes this object with its own spec.source.kustomize options (commonLabels)"),
        "{}",
        migration.reason
    );
    // The mark goes on the object's own document, which the options leave as it is.
    assert_eq!(migration.steps[0].edits[0].file, "web/web.yaml");

    // Keeping the old value means editing the Application: named, not patched.
    let mut after = before.clone();
    after.add_file("/r/argocd/web.yaml", labelled.as_bytes());
    let rolling = annotated_deployment("web", "unstuck.dev/update-strategy: rolling");
    let mut before = before.clone();
    before.add_file("/r/web/web.yaml", rolling.as_bytes());
    after.add_file("/r/web/web.yaml", rolling.as_bytes());
    let plan = plan(
        &snapshot("base", before),
        &snapshot("head", after),
        &RenderOptions::new(),
        &NoProgress,
    )
    .unwrap();
    assert!(plan.migrations.is_empty(), "{plan:#?}");
    assert!(
        plan.unplanned[0]
            .reason
            .ends_with("which no file of its source path holds: revert the option there"),
        "{}",
        plan.unplanned[0].reason
    );
}

#[test]
fn a_reader_in_a_prefixed_overlay_names_the_copy_as_written_in_the_base() {
    let reader = deployment("web").replace(
        "        image: nginx\n",
        "        image: nginx\n        envFrom:\n        - configMapRef:\n            name: settings\n",
    );
    let before = flux_app(&[
        (
            "base/kustomization.yaml",
            "resources: [cm.yaml, web.yaml]\n",
        ),
        ("base/cm.yaml", &settings("a")),
        ("base/web.yaml", &reader),
        (
            "app/kustomization.yaml",
            "namePrefix: shop-\nresources: [../base]\n",
        ),
    ]);
    let plan = proven(
        &before,
        &[("base/cm.yaml", &settings("b"))],
        "configmap-immutable-data",
        Strategy::BlueGreen,
    );
    let step = &plan.migrations[0].steps[0];
    // kustomize's name references add the prefix to the name the base writes.
    assert!(step.edits[1]
        .after
        .ends_with("        - configMapRef:\n            name: settings-v2\n"));
    assert!(step
        .checks
        .iter()
        .any(|c| c.starts_with("kubectl get configmap shop-settings-v2")));
}

#[test]
fn an_argo_deployed_object_asking_for_rolling_updates_keeps_its_old_value() {
    let rolling = |app: &str| annotated_deployment(app, "gitops.flux.io/update-strategy: rolling");
    let before = argo_repo(&[
        ("web/kustomization.yaml", "resources: [web.yaml]\n"),
        ("web/web.yaml", &rolling("web")),
    ]);
    let plan = proven(
        &before,
        &[("web/web.yaml", &rolling("shop"))],
        "deployment-selector",
        Strategy::Keep,
    );
    assert_eq!(plan.migrations[0].steps[0].edits[0].after, rolling("web"));
}

#[test]
fn an_argo_deployed_statefulset_is_orphan_recreated_by_argo() {
    let db = |service: &str| {
        STATEFULSET
            .replace("  namespace: data\n", "")
            .replace("serviceName: db", &format!("serviceName: {service}"))
    };
    let before = argo_repo(&[
        ("web/kustomization.yaml", "resources: [db.yaml]\n"),
        ("web/db.yaml", &db("db")),
    ]);
    let plan = proven(
        &before,
        &[("web/db.yaml", &db("db-headless"))],
        "statefulset-service-name",
        Strategy::OrphanRecreate,
    );
    let step = &plan.migrations[0].steps[0];
    assert_eq!(
        step.before_merge,
        [
            "argocd app set web --sync-policy none  # no automated sync of the old revision until the merge (an Application generated by an ApplicationSet, or synced from git itself, is paused there instead)",
            "kubectl -n shop delete statefulset db --cascade=orphan  # pods and claims stay; Argo CD creates the new StatefulSet, which adopts them",
        ]
    );
    // Its automated sync comes back as the Application had it (`prune: true`).
    assert_eq!(
        step.after_merge,
        [
            "argocd app set web --sync-policy automated --auto-prune  # its automated sync as it was",
            "argocd app sync web",
        ]
    );
}

#[test]
fn blue_green_under_an_argo_name_prefix_renames_the_written_name() {
    let mut before = argo_repo(&[
        (
            "web/kustomization.yaml",
            "resources: [web.yaml, hpa.yaml]\n",
        ),
        ("web/web.yaml", &deployment("web")),
        ("web/hpa.yaml", HPA),
    ]);
    before.add_file(
        "/r/argocd/web.yaml",
        argo_app("    kustomize:\n      namePrefix: shop-\n"),
    );
    let plan = proven(
        &before,
        &[("web/web.yaml", &deployment("shop"))],
        "deployment-selector",
        Strategy::BlueGreen,
    );
    let step = &plan.migrations[0].steps[0];
    // The files hold the unprefixed names; the Application's prefix reaches the copy too.
    assert!(step.edits[0].after.contains("  name: web-v2\n"));
    assert!(step.edits[1].after.contains("    name: web-v2\n"));
    assert!(step
        .checks
        .contains(&"kubectl -n shop rollout status deployment/shop-web-v2".to_owned()));
}

#[test]
fn a_job_image_the_argo_application_sets_is_recreated_naming_the_option() {
    let job = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: m\n        image: tool\n";
    let before = argo_repo(&[
        ("web/kustomization.yaml", "resources: [job.yaml]\n"),
        ("web/job.yaml", job),
    ]);
    let plan = proven(
        &before,
        &[(
            "argocd/web.yaml",
            &argo_app("    kustomize:\n      images:\n      - tool:2\n"),
        )],
        "job-template",
        Strategy::Recreate,
    );
    let migration = &plan.migrations[0];
    assert!(
        migration.reason.ends_with("changes this object with its own spec.source.kustomize options (images), which no file of its source path holds: the mark leaves them as they are"),
        "{}",
        migration.reason
    );
    assert_eq!(migration.steps[0].edits[0].file, "web/job.yaml");
}
