//! What a change does to each deploying unit, and the removals that delete data.

use std::path::Path;

use gitops_repo::impact::{Engine, PRUNE_CRD_RULE, PRUNE_NAMESPACE_RULE};
use gitops_repo::{compare, NoProgress, RenderOptions, Report, Snapshot};
use immutable_rules::Severity;
use kustomize_build::fs::MemFs;

fn flux(spec_extra: &str) -> String {
    format!(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  path: ./apps\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n{spec_extra}"
    )
}

const NAMESPACE: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n";
const CONFIG_MAP: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\n";
const CRD: &str = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  names:\n    kind: Widget\n    plural: widgets\n  scope: Namespaced\n";
const WIDGET: &str =
    "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\n  namespace: shop\n";

fn compare_trees(before: MemFs, after: MemFs) -> Report {
    let root = Path::new("/r");
    compare(
        &Snapshot::new("before", Box::new(before), root, root),
        &Snapshot::new("after", Box::new(after), root, root),
        &RenderOptions::new(),
        &NoProgress,
    )
    .unwrap()
}

/// `apps/` holds a Namespace, a `ConfigMap` in it, a CRD and a custom resource of it; the
/// change keeps only the `ConfigMap` and the Widget.
fn removal(spec_extra: &str, namespace_extra: &str) -> Report {
    let mut before = MemFs::new();
    before.add_file("/r/clusters/apps.yaml", flux(spec_extra));
    before.add_file(
        "/r/apps/kustomization.yaml",
        "resources: [ns.yaml, cm.yaml, crd.yaml, widget.yaml]\n",
    );
    before.add_file("/r/apps/ns.yaml", format!("{NAMESPACE}{namespace_extra}"));
    before.add_file("/r/apps/cm.yaml", CONFIG_MAP);
    before.add_file("/r/apps/crd.yaml", CRD);
    before.add_file("/r/apps/widget.yaml", WIDGET);
    let mut after = before.clone();
    after.add_file(
        "/r/apps/kustomization.yaml",
        "resources: [cm.yaml, widget.yaml]\n",
    );
    compare_trees(before, after)
}

fn rules(report: &Report) -> Vec<(Severity, String)> {
    report
        .violations
        .iter()
        .map(|v| {
            (
                v.finding.violation.severity,
                v.finding.violation.rule.clone(),
            )
        })
        .collect()
}

#[test]
fn pruning_a_namespace_or_a_crd_is_an_error_naming_what_goes_with_it() {
    let report = removal("  prune: true\n", "");
    assert!(report.failed());
    let found = rules(&report);
    assert!(
        found.contains(&(Severity::Error, PRUNE_NAMESPACE_RULE.to_owned())),
        "{found:?}"
    );
    assert!(
        found.contains(&(Severity::Error, PRUNE_CRD_RULE.to_owned())),
        "{found:?}"
    );
    let reason = |rule: &str| {
        report
            .violations
            .iter()
            .find(|v| v.finding.violation.rule == rule)
            .map(|v| v.finding.violation.reason.clone())
            .unwrap()
    };
    let namespace = reason(PRUNE_NAMESPACE_RULE);
    assert!(
        namespace.contains("2 in the repository (ConfigMap shop/settings, Widget shop/w1)"),
        "{namespace}"
    );
    let crd = reason(PRUNE_CRD_RULE);
    assert!(
        crd.contains(
            "every Widget custom resource goes with it: 1 in the repository (Widget shop/w1)"
        ),
        "{crd}"
    );
    // The prune findings replace the `object-pruned` notes of the same objects.
    assert!(
        !found.iter().any(|(_, rule)| rule == "object-pruned"),
        "{found:?}"
    );

    assert_eq!(report.impact.len(), 1, "{:#?}", report.impact);
    let apps = &report.impact[0];
    assert_eq!(apps.unit, "clusters/apps.yaml#flux-system/apps");
    assert_eq!(apps.engine, Engine::Flux);
    assert!(apps.prune);
    assert_eq!((apps.created, apps.changed, apps.removed), (0, 0, 2));
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(
        json["impact"][0]["removed_objects"],
        serde_json::json!([
            {"kind": "Namespace", "namespace": null, "name": "shop"},
            {"kind": "CustomResourceDefinition", "namespace": null, "name": "widgets.example.com"}
        ])
    );
}

#[test]
fn without_pruning_or_with_prune_disabled_nothing_is_deleted() {
    let report = removal("", "");
    assert!(!report.failed());
    assert!(!rules(&report)
        .iter()
        .any(|(_, rule)| rule.starts_with("prune-")));
    assert!(!report.impact[0].prune);
    assert!(report.impact[0].summary().contains("orphaned"));

    let report = removal(
        "  prune: true\n",
        "  annotations:\n    kustomize.toolkit.fluxcd.io/prune: disabled\n",
    );
    let found = rules(&report);
    assert!(
        !found.contains(&(Severity::Error, PRUNE_NAMESPACE_RULE.to_owned())),
        "{found:?}"
    );
    assert!(
        found.contains(&(Severity::Error, PRUNE_CRD_RULE.to_owned())),
        "{found:?}"
    );
}

#[test]
fn suspended_units_and_suspend_flips_are_told() {
    let mut before = MemFs::new();
    before.add_file("/r/clusters/apps.yaml", flux("  prune: true\n"));
    before.add_file("/r/apps/kustomization.yaml", "resources: [cm.yaml]\n");
    before.add_file("/r/apps/cm.yaml", CONFIG_MAP);
    let mut after = before.clone();
    after.add_file(
        "/r/clusters/apps.yaml",
        flux("  prune: true\n  suspend: true\n"),
    );
    after.add_file("/r/apps/cm.yaml", format!("{CONFIG_MAP}data:\n  a: b\n"));
    let report = compare_trees(before, after);
    let apps = &report.impact[0];
    assert!(apps.suspended && !apps.suspended_before && apps.suspend_flipped());
    assert_eq!(apps.changed, 1);
    assert!(
        apps.summary().contains("this change suspends it"),
        "{}",
        apps.summary()
    );
}

#[test]
fn bases_count_through_the_unit_deploying_them() {
    let mut before = MemFs::new();
    before.add_file("/r/base/kustomization.yaml", "resources: [cm.yaml]\n");
    before.add_file("/r/base/cm.yaml", CONFIG_MAP);
    before.add_file("/r/prod/kustomization.yaml", "resources: [../base]\n");
    let mut after = before.clone();
    after.add_file("/r/base/cm.yaml", format!("{CONFIG_MAP}data:\n  a: b\n"));
    let report = compare_trees(before, after);
    let units: Vec<(&str, Engine, usize)> = report
        .impact
        .iter()
        .map(|i| (i.unit.as_str(), i.engine, i.changed))
        .collect();
    assert_eq!(units, [("prod", Engine::Kustomize, 1)]);
}
