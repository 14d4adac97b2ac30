//! `check` and `plan` with the transition rules of CRDs: those the repository deploys, and
//! those `--crd FILE` supplies for custom resources whose CRD the repository does not hold.

use std::path::Path;

use crate::check::{commit_all, git, write};
use crate::support::{stderr, stdout, unstuck_in};

const FLUX: &str = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./app\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n";

/// `spec.engine` may not change (`self == oldSelf`); `spec.tags` may only grow, a rule the
/// engine does not read.
const DATABASE_CRD: &str = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: databases.example.com\nspec:\n  group: example.com\n  names:\n    kind: Database\n    plural: databases\n  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec:\n            type: object\n            properties:\n              engine:\n                type: string\n                x-kubernetes-validations:\n                - rule: self == oldSelf\n                  message: engine is immutable\n              tags:\n                type: array\n                items:\n                  type: string\n                x-kubernetes-validations:\n                - rule: oldSelf.all(t, t in self)\n                  message: tags can only be added\n";

/// A CRD without `spec.versions`.
const BROKEN_CRD: &str = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: caches.example.com\nspec:\n  group: example.com\n  names:\n    kind: Cache\n    plural: caches\n  scope: Namespaced\n";

fn database(engine: &str) -> String {
    format!("apiVersion: example.com/v1\nkind: Database\nmetadata:\n  name: orders\n  namespace: shop\nspec:\n  engine: {engine}\n  tags: [a]\n")
}

/// A Flux repository whose last commit changes the `Database`'s engine; `resources` lists
/// what `app/` deploys besides `db.yaml`.
fn repository(resources: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    write(root, "clusters/apps.yaml", FLUX);
    let mut names: Vec<&str> = resources.iter().map(|(name, _)| *name).collect();
    names.push("db.yaml");
    write(
        root,
        "app/kustomization.yaml",
        &format!("resources: [{}]\n", names.join(", ")),
    );
    for (name, content) in resources {
        write(root, &format!("app/{name}"), content);
    }
    write(root, "app/db.yaml", &database("postgres"));
    commit_all(root, "initial");
    write(root, "app/db.yaml", &database("mysql"));
    commit_all(root, "change the engine");
    dir
}

fn json(root: &Path, args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let output = unstuck_in(root, args);
    let value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&output), stderr(&output)));
    (output.status.code(), value)
}

#[test]
fn a_crd_the_repository_deploys_refuses_the_change() {
    let repo = repository(&[("crd.yaml", DATABASE_CRD), ("broken.yaml", BROKEN_CRD)]);
    let root = repo.path();
    let output = unstuck_in(root, &["check"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    insta::assert_snapshot!(stdout(&output));

    let (code, report) = json(root, &["check", "--format", "json"]);
    assert_eq!(code, Some(1));
    let violation = &report["violations"][0];
    assert_eq!(violation["rule"], "crd-transition-rule");
    assert_eq!(violation["field"], "spec.engine");
    assert_eq!(violation["source"]["file"], "app/db.yaml");
    assert_eq!(violation["source"]["line"], 7);
    assert_eq!(
        report["skipped_validations"][0]["rule"],
        "oldSelf.all(t, t in self)"
    );
    let unreadable = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["rule"] == "crd-rules-unreadable")
        .expect("the CRD without versions is a warning");
    assert_eq!(unreadable["source"]["file"], "app/broken.yaml");
    assert_eq!(unreadable["source"]["line"], 4);
}

#[test]
fn crd_flag_supplies_the_crd_of_a_custom_resource_the_repository_has_no_crd_for() {
    let repo = repository(&[]);
    let root = repo.path();
    let outside = tempfile::tempdir().unwrap();
    let crds = outside.path().join("crds.yaml");
    std::fs::write(&crds, DATABASE_CRD).unwrap();
    let crds = crds.to_str().unwrap();

    let output = unstuck_in(root, &["check"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));

    let (code, report) = json(root, &["check", "--crd", crds, "--format", "json"]);
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(report["violations"][0]["rule"], "crd-transition-rule");

    // A supplied CRD that gives no rules is an error naming its file and line.
    let broken = outside.path().join("broken.yaml");
    std::fs::write(&broken, format!("{DATABASE_CRD}---\n{BROKEN_CRD}")).unwrap();
    let output = unstuck_in(root, &["check", "--crd", broken.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    let message = stderr(&output);
    assert!(
        message.contains(&format!("{}:35:", broken.display())) && message.contains("spec.versions"),
        "{message}"
    );

    // Not a CRD at all.
    let output = unstuck_in(root, &["check", "--crd", "app/db.yaml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output)
            .contains("app/db.yaml:1: a example.com/v1 Database, not a CustomResourceDefinition"),
        "{}",
        stderr(&output)
    );

    let (code, plan) = json(root, &["plan", "--crd", crds, "--format", "json"]);
    assert_eq!(code, Some(0), "{plan:#}");
    let migration = &plan["migrations"][0];
    assert_eq!(migration["rule"], "crd-transition-rule");
    assert_eq!(migration["strategy"], "recreate");
    assert!(migration["steps"][0]["edits"][0]["diff"]
        .as_str()
        .unwrap()
        .contains("+    kustomize.toolkit.fluxcd.io/force: enabled"));
}
