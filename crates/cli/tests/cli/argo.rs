//! Tests of `unstuck check` and `validate` on Argo CD repositories.

use crate::check::write;
use crate::support::{stdout, unstuck_in};

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n";

/// An Argo CD Application deploying `apps/web` (kustomize, with `kustomize` options) and a
/// manually synced one deploying the plain-YAML directory `apps/jobs`.
fn application(kustomize: &str, sync: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://git.example/platform.git\n    path: apps/web\n{kustomize}  destination:\n    server: https://kubernetes.default.svc\n    namespace: shop\n{sync}---\napiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: jobs\n  namespace: argocd\nspec:\n  source:\n    repoURL: https://git.example/platform.git\n    path: apps/jobs\n  destination:\n    namespace: batch\n---\napiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: elsewhere\n  namespace: argocd\nspec:\n  source:\n    repoURL: https://git.example/other.git\n    path: deploy\n"
    )
}

fn trees(after_kustomize: &str, after_sync: &str) -> tempfile::TempDir {
    let trees = tempfile::tempdir().unwrap();
    let sync = "  syncPolicy:\n    automated:\n      prune: true\n";
    for (side, kustomize, sync, jobs) in [
        (
            "before",
            "    kustomize:\n      namePrefix: shop-\n",
            sync,
            true,
        ),
        ("after", after_kustomize, after_sync, false),
    ] {
        let root = trees.path().join(side);
        write(&root, "argocd/apps.yaml", &application(kustomize, sync));
        write(
            &root,
            "apps/web/kustomization.yaml",
            "resources: [deployment.yaml]\n",
        );
        write(&root, "apps/web/deployment.yaml", DEPLOYMENT);
        write(
            &root,
            "apps/jobs/settings.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n",
        );
        if jobs {
            write(
                &root,
                "apps/jobs/old.json",
                "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"old\"}}",
            );
        }
    }
    trees
}

fn check(trees: &tempfile::TempDir, format: &str, extra: &[&str]) -> (Option<i32>, String) {
    let mut args = vec![
        "check",
        "--format",
        format,
        "--base-dir",
        "before",
        "--head-dir",
        "after",
    ];
    args.extend_from_slice(extra);
    let output = unstuck_in(trees.path(), &args);
    (output.status.code(), stdout(&output))
}

#[test]
fn argo_common_labels_change_the_selector_and_argo_advice_is_given() {
    let trees = trees(
        "    kustomize:\n      namePrefix: shop-\n      commonLabels:\n        team: shop\n",
        "  syncPolicy:\n    automated:\n      prune: true\n",
    );
    let here = ["--argo-repo-url", "https://git.example/platform.git"];
    let (code, human) = check(&trees, "human", &here);
    assert_eq!(code, Some(1), "{human}");
    insta::assert_snapshot!(human);
    let (_, json) = check(&trees, "json", &here);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let impact = &report["impact"];
    let engines: Vec<(&str, &str, bool, bool)> = impact
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["unit"].as_str().unwrap(),
                i["engine"].as_str().unwrap(),
                i["prune"].as_bool().unwrap(),
                i["suspended"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        engines,
        [
            ("argocd/apps.yaml#argocd/jobs", "argo", false, true),
            ("argocd/apps.yaml#argocd/web", "argo", true, false),
        ]
    );
}

#[test]
fn argo_force_replace_makes_the_selector_change_a_warning() {
    let trees = trees(
        "    kustomize:\n      namePrefix: shop-\n      commonLabels:\n        team: shop\n",
        "  syncPolicy:\n    automated:\n      prune: true\n    syncOptions:\n    - Force=true\n    - Replace=true\n",
    );
    let (code, json) = check(
        &trees,
        "json",
        &["--argo-repo-url", "https://git.example/platform"],
    );
    assert_eq!(code, Some(0), "{json}");
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let selector = &report["violations"][0];
    assert_eq!(selector["severity"], "warning");
    assert!(selector["reason"].as_str().unwrap().contains(
        "Argo CD deletes and recreates it instead of updating it (`Force=true,Replace=true` in the syncOptions of Argo CD Application argocd/web)"
    ), "{selector:#}");
}

#[test]
fn argo_repo_url_limits_what_is_rendered_here() {
    let trees = trees("    kustomize:\n      namePrefix: shop-\n", "");
    let output = unstuck_in(
        &trees.path().join("after"),
        &[
            "validate",
            "--argo-repo-url",
            "https://git.example/other.git",
        ],
    );
    let text = stdout(&output);
    // Only `elsewhere` reads that URL, and its path is not in this tree; `web` and `jobs` are
    // not rendered, so `apps/web` is a bare kustomization directory again.
    assert!(
        text.contains("FAIL argocd/apps.yaml#argocd/elsewhere\n     Argo CD Application argocd/elsewhere (argocd/apps.yaml): source path not found: deploy"),
        "{text}"
    );
    assert!(
        text.contains("1 of 2 (1 kustomization directory, 1 Argo CD Application) built"),
        "Argo units are counted as such, not as Flux Kustomizations: {text}"
    );
    let json = unstuck_in(
        &trees.path().join("after"),
        &[
            "validate",
            "--format",
            "json",
            "--argo-repo-url",
            "https://git.example/platform.git",
        ],
    );
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let units: Vec<&str> = report["results"]
        .as_array()
        .unwrap_or_else(|| panic!("{report:#}"))
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        units,
        [
            "argocd/apps.yaml#argocd/jobs",
            "argocd/apps.yaml#argocd/web"
        ]
    );
}
