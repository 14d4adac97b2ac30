//! Argo CD Applications as deploying units: what they render, which directories they
//! report, the advice and the impact that know Argo CD.

use std::path::Path;

use gitops_repo::discover::DiscoverOptions;
use gitops_repo::impact::Engine;
use gitops_repo::{compare, validate, NoProgress, RenderOptions, Snapshot};
use immutable_rules::{Remediation, Severity};
use kustomize_build::fs::MemFs;

const REPO: &str = "https://git.example/platform.git";

fn application(name: &str, source: &str, extra: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  namespace: argocd\nspec:\n{source}  destination:\n    namespace: shop\n{extra}"
    )
}

fn deployment(app: &str, annotations: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n{annotations}spec:\n  selector:\n    matchLabels:\n      app: {app}\n"
    )
}

fn snapshot(label: &str, fs: MemFs) -> Snapshot {
    Snapshot::new(label, Box::new(fs), Path::new("/r"), Path::new("/r"))
}

/// A multi-source Application: kustomize `web` and the plain directory `config` (recursed,
/// `*.md`-like files and `skip/` left out).
fn repository(web_app: &str, web_annotations: &str, extra: &str) -> MemFs {
    let mut fs = MemFs::new();
    fs.add_file(
        "/r/argocd/shop.yaml",
        application(
            "shop",
            &format!(
                "  sources:\n  - repoURL: {REPO}\n    path: web\n    kustomize:\n      nameSuffix: -v1\n  - repoURL: {REPO}\n    path: config\n    directory:\n      recurse: true\n      exclude: 'skip/*'\n  - repoURL: https://charts.example\n    chart: redis\n"
            ),
            extra,
        ),
    );
    fs.add_file("/r/web/kustomization.yaml", "resources: [web.yaml]\n");
    fs.add_file("/r/web/web.yaml", deployment(web_app, web_annotations));
    fs.add_file(
        "/r/config/settings.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n",
    );
    fs.add_file(
        "/r/config/cluster/ns.json",
        "{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"shop\"}}",
    );
    fs.add_file("/r/config/skip/broken.yaml", "not: [a manifest");
    fs.add_file(
        "/r/argocd/set.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: teams\n  namespace: argocd\nspec:\n  generators:\n  - clusters: {}\n",
    );
    fs
}

#[test]
fn an_application_renders_its_sources_and_is_the_only_unit_for_them() {
    let fs = repository("web", "", "");
    let options = RenderOptions::new()
        .with_discover(DiscoverOptions::new().with_argo_repo_url("https://GIT.example/platform"));
    let validation = validate(&snapshot("now", fs.clone()), &options, &NoProgress).unwrap();
    let units: Vec<&str> = validation.results.iter().map(|r| r.path.as_str()).collect();
    // `web` is deployed by the Application: no bare `web` unit.
    assert_eq!(units, ["argocd/shop.yaml#argocd/shop"]);
    // It builds (the schema check may still have things to say about these sketchy objects).
    assert!(
        validation.results.iter().all(|r| r.error.is_none()),
        "{:#?}",
        validation.results
    );
    assert!(
        validation
            .notes
            .iter()
            .any(|n| n == "argocd/set.yaml#argocd/teams: ApplicationSet not rendered: its clusters generator needs the cluster or an external service; the Applications it generates are not checked"),
        "{:?}",
        validation.notes
    );
    assert!(
        validation
            .notes
            .iter()
            .any(|n| n
                .contains("source not rendered: its source https://charts.example has no path")),
        "{:?}",
        validation.notes
    );

    let rendering = gitops_repo::render(
        &snapshot("now", fs),
        &options,
        gitops_repo::Reuse::Nothing,
        &NoProgress,
    )
    .unwrap();
    let objects = rendering.units["argocd/shop.yaml#argocd/shop"]
        .objects
        .as_ref()
        .unwrap();
    let names: Vec<(String, String)> = objects
        .iter()
        .map(|o| {
            (
                format!(
                    "{} {}",
                    o["kind"].as_str().unwrap(),
                    o["metadata"]["name"].as_str().unwrap()
                ),
                o["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or("-")
                    .to_owned(),
            )
        })
        .collect();
    let expected = [
        ("Deployment web-v1", "shop"),
        ("Namespace shop", "-"),
        ("ConfigMap settings", "shop"),
    ]
    .map(|(a, b)| (a.to_owned(), b.to_owned()));
    assert_eq!(names, expected);
}

#[test]
fn a_selector_change_names_argo_advice_and_a_force_replace_annotation_makes_it_a_warning() {
    let before = repository("web", "", "  syncPolicy:\n    automated: {}\n");
    let after = repository("shop", "", "  syncPolicy:\n    automated: {}\n");
    let report = compare(
        &snapshot("before", before),
        &snapshot("after", after),
        &RenderOptions::new(),
        &NoProgress,
    )
    .unwrap();
    let selector = &report.violations[0].finding;
    assert_eq!(selector.violation.rule, "deployment-selector");
    assert_eq!(selector.violation.severity, Severity::Error);
    assert_eq!(selector.dirs, ["argocd/shop.yaml#argocd/shop"]);
    let remediations = &selector.violation.remediations;
    assert!(remediations.contains(&Remediation::ArgoForceReplace));
    assert!(!remediations.contains(&Remediation::FluxForce));
    let impact = &report.impact[0];
    assert_eq!(impact.engine, Engine::Argo);
    assert!(!impact.prune && !impact.suspended);
    assert_eq!(impact.changed, 1);

    let annotations =
        "  annotations:\n    argocd.argoproj.io/sync-options: Force=true,Replace=true\n";
    let before = repository("web", annotations, "");
    let after = repository("shop", annotations, "");
    let report = compare(
        &snapshot("before", before),
        &snapshot("after", after),
        &RenderOptions::new(),
        &NoProgress,
    )
    .unwrap();
    let selector = &report.violations[0].finding.violation;
    assert_eq!(selector.severity, Severity::Warning);
    assert!(
        selector.reason.contains("Argo CD deletes and recreates it instead of updating it (the object's `argocd.argoproj.io/sync-options: Force=true,Replace=true`)"),
        "{}",
        selector.reason
    );
    assert!(!selector
        .remediations
        .contains(&Remediation::ArgoForceReplace));
    assert!(!report.failed());
    // No `syncPolicy.automated`: the change does not roll out by itself.
    assert!(report.impact[0].suspended);
    assert!(report.impact[0]
        .summary()
        .contains("until someone syncs the Application"));
}

#[test]
fn a_bad_option_or_manifest_is_a_build_failure_naming_the_application_and_file() {
    let mut fs = repository("web", "", "");
    fs.add_file("/r/config/bad.yaml", "apiVersion: v1\nkind: [\n");
    let validation = validate(&snapshot("now", fs), &RenderOptions::new(), &NoProgress).unwrap();
    let error = validation.results[0].error.as_deref().unwrap();
    assert!(
        error.starts_with("Argo CD Application argocd/shop: config/bad.yaml: line"),
        "{error}"
    );

    let mut fs = MemFs::new();
    fs.add_file(
        "/r/app.yaml",
        application(
            "web",
            &format!("  source:\n    repoURL: {REPO}\n    path: web\n    kustomize:\n      commonLabels:\n        app: other\n"),
            "",
        ),
    );
    fs.add_file(
        "/r/web/kustomization.yaml",
        "commonLabels:\n  app: web\nresources: []\n",
    );
    let validation = validate(&snapshot("now", fs), &RenderOptions::new(), &NoProgress).unwrap();
    let error = validation.results[0].error.as_deref().unwrap();
    assert_eq!(
        error,
        "Argo CD Application argocd/web: web/kustomization.yaml: label app already in kustomization file (kustomize edit add label fails; set forceCommonLabels: true to override it)"
    );
}

#[test]
fn an_application_set_over_the_repository_directories_is_expanded() {
    let mut fs = MemFs::new();
    fs.add_file(
        "/r/argocd/teams.yaml",
        format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: teams\n  namespace: argocd\nspec:\n  generators:\n  - git:\n      repoURL: {REPO}\n      revision: HEAD\n      directories:\n      - path: teams/*\n  template:\n    metadata:\n      name: 'team-{{{{path.basename}}}}'\n    spec:\n      source:\n        repoURL: {REPO}\n        path: '{{{{path}}}}'\n      destination:\n        namespace: '{{{{path.basename}}}}'\n"
        ),
    );
    for team in ["blue", "red"] {
        fs.add_file(
            format!("/r/teams/{team}/cm.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n",
        );
    }
    let snapshot = snapshot("now", fs);
    let rendering = gitops_repo::render(
        &snapshot,
        &RenderOptions::new(),
        gitops_repo::Reuse::Nothing,
        &NoProgress,
    )
    .unwrap();
    let placed: Vec<(&str, &str)> = rendering
        .units
        .iter()
        .map(|(name, unit)| {
            let objects = unit.objects.as_ref().unwrap();
            (
                name.as_str(),
                objects[0]["metadata"]["namespace"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        placed,
        [
            ("argocd/teams.yaml#argocd/team-blue", "blue"),
            ("argocd/teams.yaml#argocd/team-red", "red"),
        ]
    );
}

#[test]
fn pruning_a_namespace_from_an_argo_application_names_argo_and_prune_false_keeps_it() {
    let app = application(
        "shop",
        &format!("  source:\n    repoURL: {REPO}\n    path: shop\n"),
        "  syncPolicy:\n    automated:\n      prune: true\n",
    );
    let side = |namespace: &str, with_namespace: bool| {
        let mut fs = MemFs::new();
        fs.add_file("/r/argocd/shop.yaml", app.clone());
        fs.add_file(
            "/r/shop/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n",
        );
        if with_namespace {
            fs.add_file("/r/shop/ns.yaml", namespace.to_owned());
        }
        fs
    };
    let plain = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n";
    let report = compare(
        &snapshot("before", side(plain, true)),
        &snapshot("after", side(plain, false)),
        &RenderOptions::new(),
        &NoProgress,
    )
    .unwrap();
    let pruned = &report.violations[0].finding.violation;
    assert_eq!(pruned.rule, "prune-namespace");
    assert!(
        pruned.reason.starts_with("argocd/shop.yaml#argocd/shop stops rendering it and prunes: Argo CD deletes it from the cluster, and every object in the namespace goes with it"),
        "{}",
        pruned.reason
    );
    assert!(pruned.reason.ends_with("or first mark it `argocd.argoproj.io/sync-options: Prune=false` in a change of its own so Argo CD leaves it in the cluster"));
    assert!(report.failed());
    assert!(report.impact[0].prune);

    let kept = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  annotations:\n    argocd.argoproj.io/sync-options: Prune=false\n";
    let report = compare(
        &snapshot("before", side(kept, true)),
        &snapshot("after", side(kept, false)),
        &RenderOptions::new(),
        &NoProgress,
    )
    .unwrap();
    assert!(
        report
            .violations
            .iter()
            .all(|v| v.finding.violation.rule != "prune-namespace"),
        "{:?}",
        report
            .violations
            .iter()
            .map(|v| &v.finding.violation.rule)
            .collect::<Vec<_>>()
    );
}
