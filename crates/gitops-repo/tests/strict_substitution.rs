//! kustomize-controller's `StrictPostBuildSubstitutions`: a change adding a `${VAR}` without
//! value or default only warns under Flux's default, but is an introduced build failure when
//! the repository turns the gate on (or the caller asks for strict substitution).

use std::path::Path;

use gitops_repo::{compare, validate, NoProgress, RenderOptions, Report, Snapshot};
use kustomize_build::fs::MemFs;

const FLUX_APPS: &str = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  path: ./apps\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  postBuild:\n    substitute:\n      TIER: gold\n";

const BOOTSTRAP: &str = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- gotk-components.yaml\npatches:\n- patch: |\n    - op: add\n      path: /spec/template/spec/containers/0/args/-\n      value: --feature-gates=StrictPostBuildSubstitutions=true\n  target:\n    kind: Deployment\n    name: kustomize-controller\n";

const UNIT: &str = "clusters/apps.yaml#flux-system/apps";

fn config_map(data: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: radarr\n  namespace: media\ndata:\n{data}")
}

/// A repository whose `apps` unit gains `${RADARR_HOST}`; with `bootstrap`, its
/// `flux-system/kustomization.yaml` turns the gate on.
fn change(bootstrap: Option<&str>) -> (MemFs, MemFs) {
    let mut before = MemFs::new();
    before.add_file("/r/clusters/apps.yaml", FLUX_APPS);
    if let Some(bootstrap) = bootstrap {
        before.add_file("/r/clusters/flux-system/kustomization.yaml", bootstrap);
        before.add_file("/r/clusters/flux-system/gotk-components.yaml", "");
    }
    before.add_file("/r/apps/kustomization.yaml", "resources: [cm.yaml]\n");
    before.add_file("/r/apps/cm.yaml", config_map("  tier: ${TIER}\n"));
    let mut after = before.clone();
    after.add_file(
        "/r/apps/cm.yaml",
        config_map("  tier: ${TIER}\n  host: ${RADARR_HOST}\n"),
    );
    (before, after)
}

fn check(before: MemFs, after: MemFs, options: &RenderOptions) -> Report {
    let snapshot = |label: &str, fs: MemFs| {
        Snapshot::new(label, Box::new(fs), Path::new("/r"), Path::new("/r"))
    };
    compare(
        &snapshot("before", before),
        &snapshot("after", after),
        options,
        &NoProgress,
    )
    .unwrap()
}

const FLUX_ERROR: &str = "Flux Kustomization flux-system/apps: post build failed for 'ConfigMap/media/radarr': variable substitution failed: variable not set (strict mode): \"RADARR_HOST\"";

#[test]
fn a_repository_turning_the_gate_on_gets_an_introduced_build_failure() {
    let (before, after) = change(Some(BOOTSTRAP));
    let report = check(before, after.clone(), &RenderOptions::new());
    let failure = report
        .build_failures
        .iter()
        .find(|b| b.path == UNIT)
        .unwrap_or_else(|| panic!("{:#?}", report.build_failures));
    assert!(failure.introduced);
    let error = failure.error.as_deref().unwrap();
    assert!(error.starts_with(FLUX_ERROR), "{error}");
    assert_eq!(failure.file, "clusters/apps.yaml");
    assert!(report.failed());
    assert!(report
        .warnings
        .iter()
        .all(|w| w.rule != "flux-unresolved-variable"));
    assert!(
        report.notes.iter().any(|n| n.starts_with(
            "clusters/flux-system/kustomization.yaml: line 9 turns kustomize-controller's feature gate StrictPostBuildSubstitutions on"
        )),
        "{:#?}",
        report.notes
    );

    let snapshot = Snapshot::new("after", Box::new(after), Path::new("/r"), Path::new("/r"));
    let validation = validate(&snapshot, &RenderOptions::new(), &NoProgress).unwrap();
    let result = validation.results.iter().find(|r| r.path == UNIT).unwrap();
    assert!(result.failed());
    assert!(result.error.as_deref().unwrap().starts_with(FLUX_ERROR));
}

#[test]
fn without_the_gate_it_is_only_a_warning_unless_strict_is_asked_for() {
    let gate_off = BOOTSTRAP.replace("=true", "=false");
    for bootstrap in [None, Some(gate_off.as_str())] {
        let (before, after) = change(bootstrap);
        let report = check(before, after, &RenderOptions::new());
        assert!(
            report.build_failures.iter().all(|b| !b.failed()),
            "{:#?}",
            report.build_failures
        );
        let warning = report
            .warnings
            .iter()
            .find(|w| w.rule == "flux-unresolved-variable")
            .unwrap_or_else(|| panic!("{:#?}", report.warnings));
        assert!(warning.message.starts_with("${RADARR_HOST} has no value"));
        assert!(report.notes.iter().all(|n| !n.contains("StrictPostBuild")));
    }

    let (before, after) = change(None);
    let strict = RenderOptions::new().with_flux_strict_substitution(true);
    let report = check(before, after, &strict);
    let failure = report
        .build_failures
        .iter()
        .find(|b| b.path == UNIT)
        .unwrap();
    assert!(failure.introduced);
    assert!(failure.error.as_deref().unwrap().starts_with(FLUX_ERROR));
}
