//! `compare` takes the transition rules of the CRDs the repository deploys (the head's when it
//! renders one), and of those the caller supplies; a CRD that gives no rules is a warning at
//! its line, not the end of the comparison.

use std::path::Path;

use gitops_repo::crd_rules::CRD_RULES_UNREADABLE;
use gitops_repo::{compare, Error, NoProgress, RenderOptions, Report, Snapshot};
use immutable_rules::Severity;
use kustomize_build::fs::MemFs;
use serde_json::Value;

const FLUX: &str = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  path: ./app\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n";

/// The `Database` CRD; `engine_rules` is the YAML list under `engine`'s
/// `x-kubernetes-validations` (empty: none).
fn crd(engine_rules: &[&str]) -> String {
    let validations = if engine_rules.is_empty() {
        String::new()
    } else {
        let rules: Vec<String> = engine_rules
            .iter()
            .map(|rule| {
                format!("                - rule: {rule}\n                  message: engine cannot change\n")
            })
            .collect();
        let rules = rules.concat();
        format!("                x-kubernetes-validations:\n{rules}")
    };
    format!(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: databases.example.com\nspec:\n  group: example.com\n  names:\n    kind: Database\n    plural: databases\n  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec:\n            type: object\n            properties:\n              engine:\n                type: string\n{validations}              replicas:\n                type: integer\n"
    )
}

fn database(engine: &str) -> String {
    format!("apiVersion: example.com/v1\nkind: Database\nmetadata:\n  name: orders\n  namespace: shop\nspec:\n  engine: {engine}\n  replicas: 1\n")
}

/// A CRD without `spec.versions`: it gives no rules.
const BROKEN_CRD: &str = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: caches.example.com\nspec:\n  group: example.com\n  names:\n    kind: Cache\n    plural: caches\n  scope: Namespaced\n";

fn repo(files: &[(&str, &str)]) -> MemFs {
    let mut fs = MemFs::new();
    fs.add_file("/r/clusters/apps.yaml", FLUX);
    for (path, content) in files {
        fs.add_file(format!("/r/{path}"), content.as_bytes());
    }
    fs
}

fn snapshot(label: &str, fs: MemFs) -> Snapshot {
    let root = Path::new("/r");
    Snapshot::new(label, Box::new(fs), root, root)
}

fn check_with(before: MemFs, after: MemFs, options: &RenderOptions) -> Result<Report, Error> {
    compare(
        &snapshot("base", before),
        &snapshot("head", after),
        options,
        &NoProgress,
    )
}

fn check(before: MemFs, after: MemFs) -> Report {
    check_with(before, after, &RenderOptions::new()).unwrap()
}

/// `rule kind/name field @ file:line` of each error.
fn errors(report: &Report) -> Vec<String> {
    report
        .violations
        .iter()
        .filter(|v| v.finding.violation.severity == Severity::Error)
        .map(|v| {
            let f = &v.finding.violation;
            let at = v
                .source
                .as_ref()
                .map_or_else(|| "-".to_owned(), |s| format!("{}:{}", s.file, s.line));
            format!(
                "{} {}/{} {} @ {at}",
                f.rule, f.object.kind, f.object.name, f.field
            )
        })
        .collect()
}

const KUSTOMIZATION: &str = "resources: [crd.yaml, db.yaml]\n";

#[test]
fn a_transition_rule_of_the_crd_in_the_same_unit_refuses_the_change() {
    let rule = ["self == oldSelf"];
    let before = repo(&[
        ("app/kustomization.yaml", KUSTOMIZATION),
        ("app/crd.yaml", &crd(&rule)),
        ("app/db.yaml", &database("postgres")),
    ]);
    let mut after = before.clone();
    after.add_file("/r/app/db.yaml", database("mysql"));
    let report = check(before, after);
    assert_eq!(
        errors(&report),
        ["crd-transition-rule Database/orders spec.engine @ app/db.yaml:7"]
    );
    assert!(report.failed());
    let v = &report.violations[0].finding.violation;
    assert!(v.reason.contains("engine cannot change"), "{}", v.reason);
}

#[test]
fn the_heads_crd_judges_the_heads_custom_resources() {
    // The head adds the rule together with the change: Flux applies the CRD first.
    let before = repo(&[
        ("app/kustomization.yaml", KUSTOMIZATION),
        ("app/crd.yaml", &crd(&[])),
        ("app/db.yaml", &database("postgres")),
    ]);
    let mut after = before.clone();
    after.add_file("/r/app/crd.yaml", crd(&["self == oldSelf"]));
    after.add_file("/r/app/db.yaml", database("mysql"));
    assert_eq!(
        errors(&check(before, after)),
        ["crd-transition-rule Database/orders spec.engine @ app/db.yaml:7"]
    );

    // The head lifts the rule and makes the change: the CRD it applies first allows it.
    let before = repo(&[
        ("app/kustomization.yaml", KUSTOMIZATION),
        ("app/crd.yaml", &crd(&["self == oldSelf"])),
        ("app/db.yaml", &database("postgres")),
    ]);
    let mut after = before.clone();
    after.add_file("/r/app/crd.yaml", crd(&[]));
    after.add_file("/r/app/db.yaml", database("mysql"));
    assert_eq!(errors(&check(before, after)), Vec::<String>::new());
}

#[test]
fn a_crd_the_head_no_longer_renders_still_judges_with_the_bases_rules() {
    // The CRD moves out of the repository (installed otherwise now); the stored one stays.
    let before = repo(&[
        ("app/kustomization.yaml", KUSTOMIZATION),
        ("app/crd.yaml", &crd(&["self == oldSelf"])),
        ("app/db.yaml", &database("postgres")),
    ]);
    let mut after = before.clone();
    after.add_file("/r/app/kustomization.yaml", "resources: [db.yaml]\n");
    after.add_file("/r/app/db.yaml", database("mysql"));
    let report = check(before, after);
    assert!(errors(&report)
        .iter()
        .any(|e| e.starts_with("crd-transition-rule Database/orders spec.engine")));
}

#[test]
fn a_crd_without_versions_is_a_warning_at_its_line_and_the_others_still_judge() {
    let files = |engine: &str| {
        repo(&[
            (
                "app/kustomization.yaml",
                "resources: [crd.yaml, broken.yaml, db.yaml]\n",
            ),
            (
                "app/crd.yaml",
                &crd(&["self == oldSelf", "self.size() >= oldSelf.size()"]),
            ),
            ("app/broken.yaml", BROKEN_CRD),
            ("app/db.yaml", &database(engine)),
        ])
    };
    let report = check(files("postgres"), files("mysql"));
    assert_eq!(
        errors(&report),
        ["crd-transition-rule Database/orders spec.engine @ app/db.yaml:7"]
    );
    let warning = report
        .warnings
        .iter()
        .find(|w| w.rule == CRD_RULES_UNREADABLE)
        .unwrap_or_else(|| panic!("no {CRD_RULES_UNREADABLE}: {:#?}", report.warnings));
    assert!(
        warning.message.contains("caches.example.com") && warning.message.contains("spec.versions"),
        "{}",
        warning.message
    );
    let source = warning.source.as_ref().expect("the CRD's line");
    assert_eq!((source.file.as_str(), source.line), ("app/broken.yaml", 4));
    // The rule the engine does not read is listed, not dropped.
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(
        json["skipped_validations"],
        serde_json::json!([{
            "crd": "databases.example.com",
            "version": "v1",
            "field": "spec.engine",
            "rule": "self.size() >= oldSelf.size()"
        }])
    );
    assert!(report
        .notes
        .iter()
        .any(|n| n.contains("not interpreted, left to the API server")));
}

#[test]
fn a_report_without_skipped_rules_has_no_such_key() {
    let before = repo(&[
        ("app/kustomization.yaml", KUSTOMIZATION),
        ("app/crd.yaml", &crd(&["self == oldSelf"])),
        ("app/db.yaml", &database("postgres")),
    ]);
    let json = serde_json::to_value(check(before.clone(), before)).unwrap();
    assert_eq!(json.get("skipped_validations"), None);
}

fn parsed(yaml: &str) -> Value {
    kustomize_build::yaml::parse_json_documents(yaml)
        .unwrap()
        .remove(0)
}

#[test]
fn a_supplied_crd_judges_custom_resources_the_repository_has_no_crd_for() {
    let before = repo(&[
        ("app/kustomization.yaml", "resources: [db.yaml]\n"),
        ("app/db.yaml", &database("postgres")),
    ]);
    let mut after = before.clone();
    after.add_file("/r/app/db.yaml", database("mysql"));
    assert_eq!(
        errors(&check(before.clone(), after.clone())),
        Vec::<String>::new()
    );
    let options = RenderOptions::new()
        .with_custom_resource_definition("crds.yaml:1", parsed(&crd(&["self == oldSelf"])));
    let report = check_with(before, after, &options).unwrap();
    assert_eq!(
        errors(&report),
        ["crd-transition-rule Database/orders spec.engine @ app/db.yaml:7"]
    );
}

#[test]
fn the_repositorys_crd_wins_over_a_supplied_one_of_the_same_name() {
    let before = repo(&[
        ("app/kustomization.yaml", KUSTOMIZATION),
        ("app/crd.yaml", &crd(&[])),
        ("app/db.yaml", &database("postgres")),
    ]);
    let mut after = before.clone();
    after.add_file("/r/app/db.yaml", database("mysql"));
    let options = RenderOptions::new()
        .with_custom_resource_definition("crds.yaml:1", parsed(&crd(&["self == oldSelf"])));
    assert_eq!(
        errors(&check_with(before, after, &options).unwrap()),
        Vec::<String>::new()
    );
}

#[test]
fn a_supplied_crd_without_versions_is_an_error_naming_where_it_came_from() {
    let before = repo(&[
        ("app/kustomization.yaml", "resources: [db.yaml]\n"),
        ("app/db.yaml", &database("postgres")),
    ]);
    let options =
        RenderOptions::new().with_custom_resource_definition("crds.yaml:12", parsed(BROKEN_CRD));
    let error = check_with(before.clone(), before, &options).unwrap_err();
    assert!(
        matches!(&error, Error::TransitionRules { origin, .. } if origin == "crds.yaml:12"),
        "{error:?}"
    );
    assert!(error.to_string().starts_with("crds.yaml:12: "), "{error}");
}
