//! `validate`'s schema check through the library: problems traced through Flux units, CRDs
//! rendered by one unit teaching the check another unit's custom resources, and the options.

use std::path::Path;

use api_validation::{KubeVersion, Rule, Severity};
use gitops_repo::schema::CRD_UNREADABLE_RULE;
use gitops_repo::{
    validate, Error, NoProgress, RenderOptions, SchemaOptions, Snapshot, Validation,
};
use kustomize_build::fs::MemFs;
use serde_json::json;

const FLUX_APPS: &str = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n\
metadata:\n  name: apps\n  namespace: flux-system\nspec:\n  path: ./apps\n  prune: true\n  \
sourceRef:\n    kind: GitRepository\n    name: flux-system\n";

const WIDGET_CRD: &str = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n\
metadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  \
scope: Namespaced\n  versions:\n    - name: v1\n      served: true\n      storage: true\n      schema:\n        \
openAPIV3Schema:\n          type: object\n          properties:\n            spec:\n              type: object\n              \
properties:\n                size: {type: integer}\n";

const WIDGET: &str =
    "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: big\n";

fn run(fs: MemFs, options: &RenderOptions) -> Result<Validation, Error> {
    let root = Path::new("/r");
    validate(
        &Snapshot::new("now", Box::new(fs), root, root),
        options,
        &NoProgress,
    )
}

fn rules(validation: &Validation) -> Vec<(&str, Rule)> {
    validation
        .problems
        .iter()
        .map(|p| (p.path.as_str(), p.problem.rule))
        .collect()
}

#[test]
fn a_problem_in_a_flux_unit_is_traced_through_the_generated_kustomization() {
    let mut fs = MemFs::new();
    fs.add_file("/r/clusters/apps.yaml", FLUX_APPS);
    // No kustomization.yaml: kustomize-controller generates one listing the manifests.
    fs.add_file(
        "/r/apps/svc.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  prots: []\n",
    );
    let validation = run(fs, &RenderOptions::new()).unwrap();
    let unit = "clusters/apps.yaml#flux-system/apps";
    assert_eq!(rules(&validation), [(unit, Rule::SchemaUnknownField)]);
    let problem = &validation.problems[0];
    assert_eq!(problem.file, "clusters/apps.yaml");
    let source = problem.source.as_ref().expect("traced");
    assert_eq!((source.file.as_str(), source.line), ("apps/svc.yaml", 6));
    assert!(validation.failed());
    assert!(validation.refused(&validation.results[0]));
}

#[test]
fn a_crd_rendered_by_one_unit_checks_the_custom_resources_of_another() {
    let mut fs = MemFs::new();
    fs.add_file("/r/crds/kustomization.yaml", "resources: [widget.yaml]\n");
    fs.add_file("/r/crds/widget.yaml", WIDGET_CRD);
    fs.add_file("/r/app/kustomization.yaml", "resources: [w.yaml]\n");
    fs.add_file("/r/app/w.yaml", WIDGET);
    let validation = run(fs.clone(), &RenderOptions::new()).unwrap();
    assert_eq!(rules(&validation), [("app", Rule::SchemaType)]);
    let json = serde_json::to_value(&validation).unwrap();
    assert_eq!(json["results"][0]["path"], "app");
    assert_eq!(json["results"][0]["ok"], false);
    assert_eq!(json["results"][0]["problems"][0]["field"], ".spec.size");
    assert_eq!(
        json["results"][0]["problems"][0]["source"],
        json!({"file": "app/w.yaml", "line": 6, "writer": "resource file"})
    );
    assert_eq!(
        json["results"][1],
        json!({"path": "crds", "ok": true, "error": null, "problems": []})
    );

    // Without the CRD the custom resource is only `info`: reported, not failing.
    fs.add_file("/r/crds/kustomization.yaml", "resources: []\n");
    let validation = run(fs, &RenderOptions::new()).unwrap();
    assert_eq!(rules(&validation), [("app", Rule::SchemaNotChecked)]);
    assert_eq!(validation.problems[0].problem.severity, Severity::Info);
    assert!(validation.problems[0].source.is_none());
    assert!(!validation.failed());
}

#[test]
fn an_unreadable_rendered_crd_is_a_warning_on_its_unit() {
    let mut fs = MemFs::new();
    fs.add_file("/r/crds/kustomization.yaml", "resources: [widget.yaml]\n");
    fs.add_file(
        "/r/crds/widget.yaml",
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n\
         metadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n",
    );
    let validation = run(fs, &RenderOptions::new()).unwrap();
    let warnings: Vec<(&str, &str, &str)> = validation
        .warnings
        .iter()
        .map(|w| (w.rule.as_str(), w.path.as_str(), w.file.as_str()))
        .collect();
    assert_eq!(
        warnings,
        [(CRD_UNREADABLE_RULE, "crds", "crds/kustomization.yaml")]
    );
    assert!(validation.warnings[0]
        .message
        .contains("spec.names.kind is missing"));
}

#[test]
fn options_choose_the_release_add_crds_or_skip_the_check() {
    let mut fs = MemFs::new();
    fs.add_file(
        "/r/app/kustomization.yaml",
        "resources: [hpa.yaml, w.yaml]\n",
    );
    fs.add_file(
        "/r/app/hpa.yaml",
        "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n\
         spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  maxReplicas: 3\n",
    );
    fs.add_file("/r/app/w.yaml", WIDGET);
    let crd = json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": "Widget", "plural": "widgets"},
            "scope": "Namespaced",
            "versions": [{"name": "v1", "served": true, "storage": true, "schema": {
                "openAPIV3Schema": {"type": "object", "properties": {
                    "spec": {"type": "object", "properties": {"size": {"type": "integer"}}}
                }}
            }}]
        }
    });

    let latest = run(fs.clone(), &RenderOptions::new()).unwrap();
    assert_eq!(
        rules(&latest),
        [("app", Rule::ApiRemoved), ("app", Rule::SchemaNotChecked)]
    );
    // At 1.25 the API is still served, deprecated: a warning, which does not fail the run.
    let schema = SchemaOptions::new()
        .with_kube_version(KubeVersion::new(1, 25))
        .with_custom_resource_definition("crds/widget.yaml", crd);
    let older = run(fs.clone(), &RenderOptions::new().with_schema(schema)).unwrap();
    assert_eq!(
        rules(&older),
        [("app", Rule::ApiDeprecated), ("app", Rule::SchemaType)]
    );
    let off = run(
        fs.clone(),
        &RenderOptions::new().with_schema(SchemaOptions::new().with_enabled(false)),
    )
    .unwrap();
    assert!(off.problems.is_empty());
    assert!(!off.failed());

    let broken = SchemaOptions::new().with_custom_resource_definition(
        "extra/bad.yaml",
        json!({"kind": "CustomResourceDefinition"}),
    );
    let error = run(fs, &RenderOptions::new().with_schema(broken)).unwrap_err();
    assert!(matches!(error, Error::CustomResourceDefinition { .. }));
    assert!(error.to_string().starts_with("extra/bad.yaml: "), "{error}");
}
