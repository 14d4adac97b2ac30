//! `check`'s schema check through the library: `compare` reports the schema problems the change
//! introduces, not those the base already had, and only an introduced error fails it.

use std::path::Path;

use api_validation::{Rule, Severity};
use gitops_repo::{compare, NoProgress, RenderOptions, Report, SchemaOptions, Snapshot};
use kustomize_build::fs::MemFs;
use serde_json::json;

const SERVICE: &str =
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - port: 80\n";
const MISSPELT_SERVICE: &str =
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  prots:\n    - port: 80\n";

fn hpa(api_version: &str) -> String {
    format!(
        "apiVersion: {api_version}\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n\
         spec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: web\n  \
         minReplicas: 1\n  maxReplicas: 3\n"
    )
}

/// One kustomization directory `app` listing `files`, at the base and at the head.
fn tree(files: &[(&str, &str)]) -> MemFs {
    let mut fs = MemFs::new();
    let names: Vec<&str> = files.iter().map(|(name, _)| *name).collect();
    fs.add_file(
        "/r/app/kustomization.yaml",
        format!("resources: [{}]\n", names.join(", ")),
    );
    for (name, text) in files {
        fs.add_file(format!("/r/app/{name}"), *text);
    }
    fs
}

fn check(base: MemFs, head: MemFs, options: &RenderOptions) -> Report {
    let root = Path::new("/r");
    compare(
        &Snapshot::new("base", Box::new(base), root, root),
        &Snapshot::new("head", Box::new(head), root, root),
        options,
        &NoProgress,
    )
    .unwrap()
}

fn rules(report: &Report) -> Vec<(&str, Rule, &str)> {
    report
        .problems
        .iter()
        .map(|p| (p.path.as_str(), p.problem.rule, p.problem.field.as_str()))
        .collect()
}

#[test]
fn a_misspelt_field_the_change_introduces_fails_it_at_the_line_that_wrote_it() {
    let report = check(
        tree(&[("svc.yaml", SERVICE)]),
        tree(&[("svc.yaml", MISSPELT_SERVICE)]),
        &RenderOptions::new(),
    );
    assert_eq!(
        rules(&report),
        [("app", Rule::SchemaUnknownField, ".spec.prots")]
    );
    let problem = &report.problems[0];
    assert_eq!(problem.problem.severity, Severity::Error);
    assert_eq!(problem.file, "app/kustomization.yaml");
    let source = problem.source.as_ref().expect("traced");
    assert_eq!((source.file.as_str(), source.line), ("app/svc.yaml", 6));
    assert!(report.violations.is_empty() && report.build_failures.is_empty());
    assert!(report.failed());

    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["problems"][0]["path"], "app");
    assert_eq!(json["problems"][0]["rule"], "schema-unknown-field");
    assert_eq!(json["problems"][0]["kind"], "Service");
    assert_eq!(json["problems"][0]["field"], ".spec.prots");
    assert_eq!(
        json["problems"][0]["source"],
        json!({"file": "app/svc.yaml", "line": 6, "writer": "resource file"})
    );
}

#[test]
fn a_problem_the_base_already_had_is_not_the_changes_doing() {
    // The misspelling predates the change; the change only adds a port.
    let head = MISSPELT_SERVICE.replace("- port: 80\n", "- port: 80\n    - port: 443\n");
    let report = check(
        tree(&[("svc.yaml", MISSPELT_SERVICE)]),
        tree(&[("svc.yaml", &head)]),
        &RenderOptions::new(),
    );
    assert_eq!(rules(&report), []);
    assert!(!report.failed());
    assert_eq!(
        serde_json::to_value(&report).unwrap()["problems"],
        json!([])
    );

    // The same misspelling on another object is new.
    let other = MISSPELT_SERVICE.replace("name: web", "name: api");
    let report = check(
        tree(&[("svc.yaml", MISSPELT_SERVICE)]),
        tree(&[("svc.yaml", MISSPELT_SERVICE), ("api.yaml", &other)]),
        &RenderOptions::new(),
    );
    assert_eq!(
        report
            .problems
            .iter()
            .map(|p| p.problem.name.as_str())
            .collect::<Vec<_>>(),
        ["api"]
    );
    assert!(report.failed());
}

#[test]
fn moving_to_a_removed_api_version_is_introduced_and_named_at_its_line() {
    let report = check(
        tree(&[("hpa.yaml", &hpa("autoscaling/v2"))]),
        tree(&[("hpa.yaml", &hpa("autoscaling/v2beta2"))]),
        &RenderOptions::new(),
    );
    assert_eq!(rules(&report), [("app", Rule::ApiRemoved, "")]);
    assert!(report.problems[0]
        .problem
        .message
        .contains("autoscaling/v2"));
    let source = report.problems[0].source.as_ref().expect("traced");
    assert_eq!((source.file.as_str(), source.line), ("app/hpa.yaml", 1));
    assert!(report.failed());

    // Back to the served version: nothing introduced.
    let report = check(
        tree(&[("hpa.yaml", &hpa("autoscaling/v2beta2"))]),
        tree(&[("hpa.yaml", &hpa("autoscaling/v2"))]),
        &RenderOptions::new(),
    );
    assert_eq!(rules(&report), []);
}

#[test]
fn objects_not_checked_are_not_reported_and_the_check_can_be_skipped() {
    let widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n";
    let report = check(
        tree(&[("svc.yaml", SERVICE)]),
        tree(&[("svc.yaml", MISSPELT_SERVICE), ("w.yaml", widget)]),
        &RenderOptions::new().with_schema(SchemaOptions::new().with_enabled(false)),
    );
    assert_eq!(rules(&report), []);
    assert!(!report.failed());

    // Checked: the misspelling only; the custom resource without a CRD is `info`, left out.
    let report = check(
        tree(&[("svc.yaml", SERVICE)]),
        tree(&[("svc.yaml", MISSPELT_SERVICE), ("w.yaml", widget)]),
        &RenderOptions::new(),
    );
    assert_eq!(
        rules(&report),
        [("app", Rule::SchemaUnknownField, ".spec.prots")]
    );
}

/// A CRD of `Widget`s whose `spec` requires `required` (none when empty).
fn widget_crd(required: &str) -> String {
    let required = if required.is_empty() {
        String::new()
    } else {
        format!("\n              required: [{required}]")
    };
    format!(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  \
         name: widgets.example.com\nspec:\n  group: example.com\n  names:\n    kind: Widget\n    \
         plural: widgets\n  scope: Namespaced\n  versions:\n    - name: v1\n      served: true\n      \
         storage: true\n      schema:\n        openAPIV3Schema:\n          type: object\n          \
         properties:\n            spec:\n              type: object{required}\n              \
         properties:\n                size:\n                  type: integer\n"
    )
}

#[test]
fn an_unchanged_directory_keeps_its_old_problems_but_not_what_a_changed_crd_refuses() {
    const WIDGET: &str =
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  colour: red\n";
    let repository = |crd: &str| {
        let mut fs = tree(&[("svc.yaml", MISSPELT_SERVICE), ("widget.yaml", WIDGET)]);
        fs.add_file("/r/crds/kustomization.yaml", "resources: [crd.yaml]\n");
        fs.add_file("/r/crds/crd.yaml", crd);
        fs
    };
    // `app` reads the same files at both revisions; only the CRD in `crds` changes, now
    // requiring a `size` the unchanged Widget lacks.
    let report = check(
        repository(&widget_crd("")),
        repository(&widget_crd("size")),
        &RenderOptions::new(),
    );
    assert_eq!(
        rules(&report),
        [("app", Rule::SchemaRequired, ".spec.size")],
        "the misspelt Service is the base's problem, the Widget's missing field is new"
    );
    assert!(report.build_failures.is_empty());
    assert!(report.failed());
}
