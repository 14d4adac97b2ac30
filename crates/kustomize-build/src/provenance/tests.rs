//! One test per kind of writer, on in-memory trees.

use std::path::Path;

use crate::json;

use super::{Query, Tracer, Writer};
use crate::fs::MemFs;
use crate::{BuildOptions, ResId};

const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27
";

const STATEFULSET: &str = "\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  selector:
    matchLabels:
      app: db
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        storageClassName: standard
        resources:
          requests:
            storage: 10Gi
";

fn tree(files: &[(&str, &str)]) -> MemFs {
    let mut fs = MemFs::new();
    fs.add_file(
        "/r/base/kustomization.yaml",
        "resources: [deploy.yaml, sts.yaml]\n",
    );
    fs.add_file("/r/base/deploy.yaml", DEPLOYMENT);
    fs.add_file("/r/base/sts.yaml", STATEFULSET);
    for (path, content) in files {
        fs.add_file(format!("/r/{path}"), *content);
    }
    fs
}

fn id(kind: &str, namespace: &str, name: &str) -> ResId {
    ResId {
        group: "apps".to_owned(),
        version: "v1".to_owned(),
        kind: kind.to_owned(),
        namespace: namespace.to_owned(),
        name: name.to_owned(),
    }
}

/// `file:line (writer)` of a query, or `None`.
fn locate(fs: &MemFs, dir: &str, object: &ResId, field: &str) -> Option<String> {
    let tracer = Tracer::new(fs, Path::new(dir), &BuildOptions::new()).unwrap();
    tracer.locate(&Query::new(object, field)).map(|s| {
        format!(
            "{}:{} ({})",
            s.file_relative_to(Path::new("/r")).display(),
            s.line,
            s.writer
        )
    })
}

#[test]
fn a_value_in_the_base_file_is_found_through_an_overlay() {
    let fs = tree(&[(
        "prod/kustomization.yaml",
        "namespace: prod\nresources: [../base]\n",
    )]);
    let web = id("Deployment", "prod", "web");
    assert_eq!(
        locate(
            &fs,
            "/r/prod",
            &web,
            "spec.template.spec.containers[0].image"
        )
        .as_deref(),
        Some("base/deploy.yaml:17 (resource file)")
    );
    assert_eq!(
        locate(&fs, "/r/prod", &web, "spec.replicas").as_deref(),
        Some("base/deploy.yaml:6 (resource file)")
    );
}

#[test]
fn namespace_points_at_its_kustomization_line_and_a_prefixed_name_at_the_base() {
    let fs = tree(&[(
        "prod/kustomization.yaml",
        "resources: [../base]\nnamespace: prod\nnamePrefix: p-\n",
    )]);
    let web = id("Deployment", "prod", "p-web");
    assert_eq!(
        locate(&fs, "/r/prod", &web, "metadata.namespace").as_deref(),
        Some("prod/kustomization.yaml:2 (namespace)")
    );
    // Without the previous object, the prefix is taken to be unchanged: the rest of the name
    // is what to point at (see the prefix test below for a new prefix).
    assert_eq!(
        locate(&fs, "/r/prod", &web, "metadata.name").as_deref(),
        Some("base/deploy.yaml:4 (resource file)")
    );
}

#[test]
fn a_renamed_object_behind_a_prefix_points_at_the_base_name() {
    let fs = tree(&[(
        "prod/kustomization.yaml",
        "resources: [../base]\nnamePrefix: p-\n",
    )]);
    let tracer = Tracer::new(&fs, Path::new("/r/prod"), &BuildOptions::new()).unwrap();
    let web = id("Deployment", "", "p-web");
    let at = |previous: &crate::value::Value| {
        let s = tracer
            .locate(&Query::new(&web, "metadata.name").with_previous(previous))
            .unwrap();
        (s.file_relative_to(Path::new("/r")), s.line)
    };
    // The prefix was there before too: the part that changed is the base file's name.
    let renamed = json!({"metadata": {"name": "p-old"}});
    assert_eq!(at(&renamed), ("base/deploy.yaml".into(), 4));
    // The prefix is new: it is the change.
    let unprefixed = json!({"metadata": {"name": "web"}});
    assert_eq!(at(&unprefixed), ("prod/kustomization.yaml".into(), 2));
}

#[test]
fn a_cluster_kustomization_two_levels_up_reaches_the_overlay() {
    let fs = tree(&[
        (
            "apps/web/prod/kustomization.yaml",
            "resources: [../../../base]\nimages:\n  - name: nginx\n    newTag: \"2\"\n",
        ),
        (
            "clusters/prod/kustomization.yaml",
            "resources:\n  - ../../apps/web/prod\ncommonAnnotations:\n  cluster: prod\n",
        ),
    ]);
    let web = id("Deployment", "", "web");
    assert_eq!(
        locate(
            &fs,
            "/r/clusters/prod",
            &web,
            "spec.template.spec.containers[0].image"
        )
        .as_deref(),
        Some("apps/web/prod/kustomization.yaml:3 (images)")
    );
    assert_eq!(
        locate(&fs, "/r/clusters/prod", &web, "spec.replicas").as_deref(),
        Some("base/deploy.yaml:6 (resource file)")
    );
}

#[test]
fn common_labels_in_an_overlay_write_the_selector() {
    let fs = tree(&[(
        "prod/kustomization.yaml",
        "resources:\n  - ../base\ncommonLabels:\n  app: shop\n  team: a\n",
    )]);
    let web = id("Deployment", "", "web");
    assert_eq!(
        locate(&fs, "/r/prod", &web, "spec.selector.matchLabels.app").as_deref(),
        Some("prod/kustomization.yaml:4 (commonLabels)")
    );
    assert_eq!(
        locate(&fs, "/r/prod", &web, "spec.template.metadata.labels.team").as_deref(),
        Some("prod/kustomization.yaml:5 (commonLabels)")
    );
}

#[test]
fn labels_pairs_point_at_the_pair() {
    let fs = tree(&[(
        "prod/kustomization.yaml",
        "resources: [../base]\nlabels:\n  - pairs:\n      env: prod\n    includeSelectors: true\n",
    )]);
    assert_eq!(
        locate(
            &fs,
            "/r/prod",
            &id("Deployment", "", "web"),
            "spec.selector.matchLabels.env"
        )
        .as_deref(),
        Some("prod/kustomization.yaml:4 (labels)")
    );
}

#[test]
fn a_strategic_merge_patch_in_an_overlay_wins_over_the_base() {
    let fs = tree(&[
        (
            "prod/kustomization.yaml",
            "resources: [../base]\npatches:\n  - path: replicas.yaml\n",
        ),
        (
            "prod/replicas.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 5\n  template:\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.28\n",
        ),
    ]);
    let web = id("Deployment", "", "web");
    assert_eq!(
        locate(&fs, "/r/prod", &web, "spec.replicas").as_deref(),
        Some("prod/replicas.yaml:6 (patch)")
    );
    assert_eq!(
        locate(
            &fs,
            "/r/prod",
            &web,
            "spec.template.spec.containers[0].image"
        )
        .as_deref(),
        Some("prod/replicas.yaml:11 (patch)")
    );
    // Fields the patch leaves alone still come from the base.
    assert_eq!(
        locate(&fs, "/r/prod", &web, "spec.selector.matchLabels.app").as_deref(),
        Some("base/deploy.yaml:9 (resource file)")
    );
}

#[test]
fn a_json6902_patch_changing_a_claim_template_names_the_operation() {
    let fs = tree(&[
        (
            "prod/kustomization.yaml",
            "resources: [../base]\npatches:\n  - path: storage.yaml\n    target:\n      kind: StatefulSet\n      name: db\n",
        ),
        (
            "prod/storage.yaml",
            "- op: replace\n  path: /spec/volumeClaimTemplates/0/spec/storageClassName\n  value: fast\n",
        ),
    ]);
    assert_eq!(
        locate(
            &fs,
            "/r/prod",
            &id("StatefulSet", "", "db"),
            "spec.volumeClaimTemplates[0].spec.storageClassName"
        )
        .as_deref(),
        Some("prod/storage.yaml:3 (patch)")
    );
}

#[test]
fn a_strategic_merge_patch_of_claim_templates_points_inside_the_patch() {
    let fs = tree(&[
        (
            "prod/kustomization.yaml",
            "resources: [../base]\npatchesStrategicMerge:\n  - storage.yaml\n",
        ),
        (
            "prod/storage.yaml",
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  volumeClaimTemplates:\n    - metadata:\n        name: data\n      spec:\n        storageClassName: fast\n        resources:\n          requests:\n            storage: 10Gi\n",
        ),
    ]);
    assert_eq!(
        locate(
            &fs,
            "/r/prod",
            &id("StatefulSet", "", "db"),
            "spec.volumeClaimTemplates[0].spec.storageClassName"
        )
        .as_deref(),
        Some("prod/storage.yaml:10 (patch)")
    );
}

#[test]
fn an_inline_patch_points_into_the_kustomization() {
    let fs = tree(&[(
        "prod/kustomization.yaml",
        "resources: [../base]\npatches:\n  - target:\n      kind: Deployment\n    patch: |-\n      - op: replace\n        path: /spec/replicas\n        value: 4\n",
    )]);
    assert_eq!(
        locate(
            &fs,
            "/r/prod",
            &id("Deployment", "", "web"),
            "spec.replicas"
        )
        .as_deref(),
        Some("prod/kustomization.yaml:8 (patch)")
    );
}

#[test]
fn images_and_replicas_point_at_their_entries() {
    let fs = tree(&[(
        "prod/kustomization.yaml",
        "resources: [../base]\nimages:\n  - name: nginx\n    newTag: \"1.29\"\nreplicas:\n  - name: web\n    count: 3\n",
    )]);
    let web = id("Deployment", "", "web");
    assert_eq!(
        locate(
            &fs,
            "/r/prod",
            &web,
            "spec.template.spec.containers[0].image"
        )
        .as_deref(),
        Some("prod/kustomization.yaml:3 (images)")
    );
    assert_eq!(
        locate(&fs, "/r/prod", &web, "spec.replicas").as_deref(),
        Some("prod/kustomization.yaml:6 (replicas)")
    );
}

#[test]
fn generated_data_points_at_the_literal_or_env_line() {
    let mut fs = tree(&[
        (
            "app/kustomization.yaml",
            "configMapGenerator:\n  - name: settings\n    literals:\n      - mode=fast\n    envs: [app.env]\n",
        ),
        ("app/app.env", "# comment\nlevel=debug\n"),
    ]);
    fs.add_dir("/r/app");
    let tracer = Tracer::new(&fs, Path::new("/r/app"), &BuildOptions::new()).unwrap();
    let built = tracer
        .built
        .iter()
        .find(|r| r.kind() == "ConfigMap")
        .unwrap();
    let cm = built.id();
    let at = |field: &str| {
        tracer
            .locate(&Query::new(&cm, field))
            .map(|s| (s.file_relative_to(Path::new("/r")), s.line, s.writer))
    };
    assert_eq!(
        at("data.mode"),
        Some((
            "app/kustomization.yaml".into(),
            4,
            Writer::Generator("configMapGenerator".to_owned())
        ))
    );
    assert_eq!(
        at("data.level"),
        Some((
            "app/app.env".into(),
            2,
            Writer::Generator("configMapGenerator".to_owned())
        ))
    );
}

#[test]
fn a_replacement_points_at_its_entry() {
    let fs = tree(&[(
        "prod/kustomization.yaml",
        "resources: [../base]\nreplacements:\n  - source:\n      kind: StatefulSet\n      fieldPath: spec.volumeClaimTemplates.0.spec.storageClassName\n    targets:\n      - select:\n          kind: Deployment\n        fieldPaths:\n          - spec.template.spec.containers.0.image\n",
    )]);
    assert_eq!(
        locate(
            &fs,
            "/r/prod",
            &id("Deployment", "", "web"),
            "spec.template.spec.containers[0].image"
        )
        .as_deref(),
        Some("prod/kustomization.yaml:3 (replacements)")
    );
}

#[test]
fn a_var_points_at_its_entry() {
    let fs = tree(&[
        (
            "prod/kustomization.yaml",
            "resources: [../base, svc.yaml]\npatches:\n  - path: args.yaml\nvars:\n  - name: SVC\n    objref:\n      kind: Service\n      name: backend\n      apiVersion: v1\n",
        ),
        (
            "prod/svc.yaml",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: backend\n",
        ),
        (
            "prod/args.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          args: [\"--backend=$(SVC)\"]\n",
        ),
    ]);
    assert_eq!(
        locate(
            &fs,
            "/r/prod",
            &id("Deployment", "", "web"),
            "spec.template.spec.containers[0].args[0]"
        )
        .as_deref(),
        Some("prod/kustomization.yaml:5 (vars)")
    );
}

#[test]
fn a_component_is_on_the_way() {
    let fs = tree(&[
        (
            "prod/kustomization.yaml",
            "resources: [../base]\ncomponents: [../ha]\n",
        ),
        (
            "ha/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nreplicas:\n  - name: web\n    count: 3\n",
        ),
    ]);
    assert_eq!(
        locate(
            &fs,
            "/r/prod",
            &id("Deployment", "", "web"),
            "spec.replicas"
        )
        .as_deref(),
        Some("ha/kustomization.yaml:4 (replicas)")
    );
}

#[test]
fn a_value_nothing_can_be_pinned_on_is_none() {
    // Two patches write the same value: taking either out changes nothing, and the base file
    // says something else, so there is no line to point at with confidence.
    let patch =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 7\n";
    let fs = tree(&[
        (
            "prod/kustomization.yaml",
            "resources: [../base]\npatches:\n  - path: a.yaml\n  - path: b.yaml\n",
        ),
        ("prod/a.yaml", patch),
        ("prod/b.yaml", patch),
    ]);
    let web = id("Deployment", "", "web");
    assert_eq!(locate(&fs, "/r/prod", &web, "spec.replicas"), None);
    // An object the build does not have.
    assert_eq!(
        locate(&fs, "/r/prod", &id("Deployment", "", "nope"), "spec"),
        None
    );
}

#[test]
fn a_previous_object_narrows_a_reported_mapping() {
    let fs = tree(&[(
        "prod/kustomization.yaml",
        "resources: [../base]\ncommonLabels:\n  team: a\n",
    )]);
    let tracer = Tracer::new(&fs, Path::new("/r/prod"), &BuildOptions::new()).unwrap();
    let web = id("StatefulSet", "", "db");
    let before = json!({"spec": {"volumeClaimTemplates": [{"metadata": {"name": "data"}}]}});
    let source = tracer
        .locate(&Query::new(&web, "spec.volumeClaimTemplates[0].metadata").with_previous(&before))
        .unwrap();
    assert_eq!(
        source.field,
        "spec.volumeClaimTemplates[0].metadata.labels.team"
    );
    assert_eq!(
        (source.line, source.writer),
        (3, Writer::Field("commonLabels".to_owned()))
    );
    // Without the previous object the whole mapping is traced; the name inside it is the base
    // file's.
    let name = tracer
        .locate(&Query::new(
            &web,
            "spec.volumeClaimTemplates[0].metadata.name",
        ))
        .unwrap();
    assert_eq!((name.line, name.writer), (12, Writer::Resource));
}

#[test]
fn a_value_built_differently_by_the_caller_is_none() {
    let fs = tree(&[("prod/kustomization.yaml", "resources: [../base]\n")]);
    let tracer = Tracer::new(&fs, Path::new("/r/prod"), &BuildOptions::new()).unwrap();
    let web = id("Deployment", "", "web");
    let same = json!({"spec": {"replicas": 1}});
    let substituted = json!({"spec": {"replicas": 4}});
    assert!(tracer
        .locate(&Query::new(&web, "spec.replicas").with_current(&same))
        .is_some());
    assert_eq!(
        tracer.locate(&Query::new(&web, "spec.replicas").with_current(&substituted)),
        None
    );
}

#[test]
fn a_replaced_kustomization_is_built_through_but_never_pointed_at() {
    let mut fs = MemFs::new();
    fs.add_file("/r/apps/sts.yaml", STATEFULSET);
    // What a GitOps engine writes into the directory (as Flux does for a `spec.path` without one).
    let generated = b"resources: [sts.yaml]\nnamespace: shop\nnamePrefix: p-\n".to_vec();
    let tracer = Tracer::with_kustomization(
        &fs,
        Path::new("/r/apps"),
        Path::new("/r/apps/kustomization.yaml"),
        generated,
        &BuildOptions::new(),
    )
    .unwrap();
    let db = id("StatefulSet", "shop", "p-db");
    let at = |field: &str| {
        tracer
            .locate(&Query::new(&db, field))
            .map(|s| (s.file_relative_to(Path::new("/r")), s.line))
    };
    assert_eq!(
        at("spec.volumeClaimTemplates[0].spec.storageClassName"),
        Some(("apps/sts.yaml".into(), 14))
    );
    // Written by the generated kustomization's namespace, which is no file of the tree.
    assert_eq!(at("metadata.namespace"), None);
}
