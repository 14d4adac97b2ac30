//! What counts as a deploying unit: a directory a Flux Kustomization deploys is reported
//! through that unit only, and a `kind: Component` is no unit at all.

use std::path::Path;

use gitops_repo::{compare, validate, NoProgress, RenderOptions, Snapshot};
use kustomize_build::fs::MemFs;

const FLUX_APPS: &str = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  path: ./apps\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  postBuild:\n    substitute:\n      tier: gold\n";

fn deployment(app: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels:\n      app: {app}\n"
    )
}

fn snapshot(label: &str, fs: MemFs) -> Snapshot {
    Snapshot::new(label, Box::new(fs), Path::new("/r"), Path::new("/r"))
}

#[test]
fn a_change_only_the_bare_directory_sees_is_not_reported_twice() {
    // The selector is a Flux variable: the cluster receives `gold` before and after, while the
    // bare directory renders the literal `${tier}` text, which the change edits.
    let mut before = MemFs::new();
    before.add_file("/r/clusters/apps.yaml", FLUX_APPS);
    before.add_file("/r/apps/kustomization.yaml", "resources: [web.yaml]\n");
    before.add_file("/r/apps/web.yaml", deployment("${tier}"));
    let mut after = before.clone();
    after.add_file("/r/apps/web.yaml", deployment("${tier:=gold}"));
    let report = compare(
        &snapshot("before", before.clone()),
        &snapshot("after", after),
        &RenderOptions::new(),
        &NoProgress,
    )
    .unwrap();
    assert!(
        report.violations.is_empty(),
        "{:#?}",
        report
            .violations
            .iter()
            .map(|v| &v.finding)
            .collect::<Vec<_>>()
    );
    assert!(!report.failed());

    // A change the cluster receives is reported, through the Flux unit.
    let mut after = before.clone();
    after.add_file("/r/apps/web.yaml", deployment("shop"));
    let report = compare(
        &snapshot("before", before),
        &snapshot("after", after),
        &RenderOptions::new(),
        &NoProgress,
    )
    .unwrap();
    let selector: Vec<_> = report
        .violations
        .iter()
        .map(|v| &v.finding)
        .filter(|f| f.violation.rule == "deployment-selector")
        .collect();
    // Once, with the values the cluster sees (`gold`, not the bare directory's `${tier}`).
    assert_eq!(selector.len(), 1, "{selector:#?}");
    assert_eq!(selector[0].dirs, ["clusters/apps.yaml#flux-system/apps"]);
    assert_eq!(
        selector[0].violation.old,
        r#"{"matchLabels":{"app":"gold"}}"#
    );
}

#[test]
fn a_base_only_a_flux_deployed_directory_includes_is_reported_through_flux_too() {
    let mut before = MemFs::new();
    before.add_file("/r/clusters/apps.yaml", FLUX_APPS);
    before.add_file("/r/apps/kustomization.yaml", "resources: [../base]\n");
    before.add_file("/r/base/kustomization.yaml", "resources: [web.yaml]\n");
    before.add_file("/r/base/web.yaml", deployment("${tier}"));
    let mut after = before.clone();
    after.add_file("/r/base/web.yaml", deployment("${tier:=gold}"));
    let report = compare(
        &snapshot("before", before.clone()),
        &snapshot("after", after.clone()),
        &RenderOptions::new(),
        &NoProgress,
    )
    .unwrap();
    // The cluster receives `gold` before and after: nothing to report.
    assert!(report.violations.is_empty(), "{:#?}", report.violations);

    // A plain overlay deploying the same base on its own still sees the change.
    let mut with_overlay = before.clone();
    with_overlay.add_file("/r/dev/kustomization.yaml", "resources: [../base]\n");
    after.add_file("/r/dev/kustomization.yaml", "resources: [../base]\n");
    let report = compare(
        &snapshot("before", with_overlay),
        &snapshot("after", after),
        &RenderOptions::new(),
        &NoProgress,
    )
    .unwrap();
    let dirs: Vec<&[String]> = report
        .violations
        .iter()
        .filter(|v| v.finding.violation.rule == "deployment-selector")
        .map(|v| v.finding.dirs.as_slice())
        .collect();
    assert_eq!(dirs, [["apps", "base", "dev"]]);
}

#[test]
fn a_bare_directory_failure_the_flux_unit_does_not_share_is_not_a_build_failure() {
    // Flux builds with LoadRestrictionsNone: reading a file above the directory is fine there.
    let mut before = MemFs::new();
    before.add_file("/r/clusters/apps.yaml", FLUX_APPS);
    before.add_file("/r/apps/kustomization.yaml", "resources: [web.yaml]\n");
    before.add_file("/r/apps/web.yaml", deployment("web"));
    before.add_file(
        "/r/shared/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
    );
    let mut after = before.clone();
    after.add_file(
        "/r/apps/kustomization.yaml",
        "resources: [web.yaml, ../shared/cm.yaml]\n",
    );
    let report = compare(
        &snapshot("before", before),
        &snapshot("after", after.clone()),
        &RenderOptions::new(),
        &NoProgress,
    )
    .unwrap();
    assert!(
        report.build_failures.is_empty(),
        "{:#?}",
        report.build_failures
    );
    assert!(!report.failed());

    let validation = validate(
        &snapshot("after", after),
        &RenderOptions::new(),
        &NoProgress,
    )
    .unwrap();
    let units: Vec<&str> = validation.results.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(units, ["clusters/apps.yaml#flux-system/apps"]);
    // The fixture's Deployment is a bare selector, which the schema check refuses (no
    // `template`); what matters here is that no unit fails to build.
    assert!(
        validation.results.iter().all(|r| !r.failed()),
        "{:#?}",
        validation.results
    );
    assert!(validation
        .problems
        .iter()
        .all(|p| p.problem.rule == api_validation::Rule::SchemaRequired));
}

#[test]
fn a_component_is_no_unit_and_its_lone_build_is_no_failure() {
    let mut before = MemFs::new();
    before.add_file(
        "/r/app/kustomization.yaml",
        "resources: [web.yaml]\ncomponents: [../labels]\n",
    );
    before.add_file("/r/app/web.yaml", deployment("web"));
    // Patches an object it does not hold: building it alone fails, as kustomize would.
    let component = |team: &str| {
        format!(
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n      labels:\n        team: {team}\n"
        )
    };
    before.add_file("/r/labels/kustomization.yaml", component("a"));
    assert!(kustomize_build::build(
        &before,
        Path::new("/r/labels"),
        &kustomize_build::BuildOptions::new()
    )
    .is_err());
    let mut after = before.clone();
    after.add_file("/r/labels/kustomization.yaml", component("b"));

    let validation = validate(
        &snapshot("now", before.clone()),
        &RenderOptions::new(),
        &NoProgress,
    )
    .unwrap();
    let units: Vec<&str> = validation.results.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(units, ["app"]);
    // The fixture's Deployment is a bare selector, which the schema check refuses (no
    // `template`); what matters here is that no unit fails to build.
    assert!(
        validation.results.iter().all(|r| !r.failed()),
        "{:#?}",
        validation.results
    );
    assert!(validation
        .problems
        .iter()
        .all(|p| p.problem.rule == api_validation::Rule::SchemaRequired));

    let report = compare(
        &snapshot("before", before),
        &snapshot("after", after),
        &RenderOptions::new(),
        &NoProgress,
    )
    .unwrap();
    assert!(report.build_failures.is_empty());
    assert!(!report.failed());
}

const FORCED_SELECTOR_REPO: &[(&str, &str)] =
    &[("/r/apps/kustomization.yaml", "resources: [web.yaml]\n")];

fn forced_selector_change(flux: &str, annotate: bool) -> gitops_repo::Report {
    let mut before = MemFs::new();
    for (path, content) in FORCED_SELECTOR_REPO {
        before.add_file(*path, *content);
    }
    before.add_file("/r/clusters/apps.yaml", flux);
    let web = |app: &str| {
        let annotation = if annotate {
            "  annotations:\n    kustomize.toolkit.fluxcd.io/force: enabled\n"
        } else {
            ""
        };
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n{annotation}spec:\n  selector:\n    matchLabels:\n      app: {app}\n  template:\n    metadata:\n      labels:\n        app: {app}\n"
        )
    };
    before.add_file("/r/apps/web.yaml", web("web"));
    let mut after = before.clone();
    after.add_file("/r/apps/web.yaml", web("shop"));
    compare(
        &snapshot("before", before),
        &snapshot("after", after),
        &RenderOptions::new(),
        &NoProgress,
    )
    .unwrap()
}

#[test]
fn a_change_flux_recreates_anyway_is_a_warning_naming_the_mechanism_and_its_cost() {
    let selector = |report: &gitops_repo::Report| {
        report
            .violations
            .iter()
            .find(|v| v.finding.violation.rule == "deployment-selector")
            .map(|v| v.finding.violation.clone())
            .unwrap()
    };
    let plain = forced_selector_change(FLUX_APPS, false);
    assert_eq!(selector(&plain).severity, immutable_rules::Severity::Error);
    assert!(selector(&plain)
        .remediations
        .contains(&immutable_rules::Remediation::FluxForce));
    assert!(plain.failed());

    // The object already asks Flux to recreate it: advising the annotation again is wrong.
    let annotated = forced_selector_change(FLUX_APPS, true);
    let v = selector(&annotated);
    assert_eq!(v.severity, immutable_rules::Severity::Warning);
    assert!(
        v.reason.contains("Flux deletes and recreates it")
            && v.reason
                .contains("`kustomize.toolkit.fluxcd.io/force: enabled`")
            && v.reason.contains("pods are deleted"),
        "{}",
        v.reason
    );
    assert!(!v
        .remediations
        .contains(&immutable_rules::Remediation::FluxForce));
    assert!(!annotated.failed());

    let forced = forced_selector_change(
        &FLUX_APPS.replace("  prune: true\n", "  prune: true\n  force: true\n"),
        false,
    );
    let v = selector(&forced);
    assert_eq!(v.severity, immutable_rules::Severity::Warning);
    assert!(
        v.reason
            .contains("`spec.force: true` on Flux Kustomization flux-system/apps"),
        "{}",
        v.reason
    );
}
