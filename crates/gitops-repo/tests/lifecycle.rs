//! Lifecycle annotations with unusable values fail `validate`, pointing at the line that
//! wrote them, whether in the resource file or in an overlay's patch.

use std::path::Path;

use gitops_repo::{validate, NoProgress, RenderOptions, Snapshot};
use kustomize_build::fs::MemFs;

fn validated(fs: MemFs) -> gitops_repo::Validation {
    let root = Path::new("/r");
    validate(
        &Snapshot::new("now", Box::new(fs), root, root),
        &RenderOptions::new(),
        &NoProgress,
    )
    .unwrap()
}

#[test]
fn a_bad_value_in_a_resource_file_fails_with_its_line() {
    let mut fs = MemFs::new();
    fs.add_file("/r/app/kustomization.yaml", "resources: [cm.yaml]\n");
    fs.add_file(
        "/r/app/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  annotations:\n    unstuck.dev/owner: me\n    gitops.flux.io/update-strategy: canary\n",
    );
    let validation = validated(fs);
    assert!(validation.failed());
    let unit = &validation.results[0];
    assert_eq!((unit.file.as_str(), unit.line), ("app/cm.yaml", Some(7)));
    let error = unit.error.as_deref().unwrap();
    assert!(
        error.contains("ConfigMap settings at app/cm.yaml:7"),
        "{error}"
    );
    assert!(error.contains("rolling, recreate, blue-green"), "{error}");
}

#[test]
fn a_bad_value_set_by_an_overlay_patch_points_at_the_patch() {
    let mut fs = MemFs::new();
    fs.add_file("/r/base/kustomization.yaml", "resources: [cm.yaml]\n");
    fs.add_file(
        "/r/base/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n",
    );
    fs.add_file(
        "/r/prod/kustomization.yaml",
        "resources: [../base]\npatches:\n- path: weight.yaml\n",
    );
    fs.add_file(
        "/r/prod/weight.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  annotations:\n    unstuck.dev/dependency-weight: heavy\n",
    );
    let validation = validated(fs);
    let prod = validation
        .results
        .iter()
        .find(|r| r.path == "prod")
        .unwrap();
    assert_eq!(
        (prod.file.as_str(), prod.line),
        ("prod/weight.yaml", Some(6))
    );
    assert!(prod.error.as_deref().unwrap().contains("integer"));
    let base = validation
        .results
        .iter()
        .find(|r| r.path == "base")
        .unwrap();
    assert!(!base.failed());
}

#[test]
fn good_values_pass() {
    let mut fs = MemFs::new();
    fs.add_file("/r/app/kustomization.yaml", "resources: [cm.yaml]\n");
    fs.add_file(
        "/r/app/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  annotations:\n    gitops.flux.io/update-strategy: blue-green\n    unstuck.dev/recovery-policy: manual\n    gitops.flux.io/dependency-weight: \"10\"\n    gitops.flux.io/immutable-fields: data.mode\n",
    );
    assert!(!validated(fs).failed());
}
