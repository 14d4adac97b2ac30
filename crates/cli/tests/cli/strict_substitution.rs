//! `check` and `validate` under kustomize-controller's `StrictPostBuildSubstitutions`: asked for
//! with `--flux-strict-substitution`, or turned on by the repository's own bootstrap patch.

use crate::check::{commit_all, git, write};
use crate::support::{stderr, stdout, unstuck_in};

const FLUX: &str = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./app\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  postBuild:\n    substitute:\n      TIER: gold\n";

const BOOTSTRAP: &str = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- gotk-components.yaml\npatches:\n- patch: |\n    - op: add\n      path: /spec/template/spec/containers/0/args/-\n      value: --feature-gates=StrictPostBuildSubstitutions=true\n  target:\n    kind: Deployment\n    name: kustomize-controller\n";

fn config_map(data: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: radarr\n  namespace: media\ndata:\n{data}")
}

/// A Flux repository whose last commit uses `${RADARR_HOST}`, which nothing sets; with
/// `gate`, `clusters/flux-system` turns strict substitution on.
fn repository(gate: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    write(root, "clusters/apps.yaml", FLUX);
    if gate {
        write(root, "clusters/flux-system/kustomization.yaml", BOOTSTRAP);
        write(root, "clusters/flux-system/gotk-components.yaml", "");
    }
    write(root, "app/kustomization.yaml", "resources: [cm.yaml]\n");
    write(root, "app/cm.yaml", &config_map("  tier: ${TIER}\n"));
    commit_all(root, "initial");
    write(
        root,
        "app/cm.yaml",
        &config_map("  tier: ${TIER}\n  host: ${RADARR_HOST}\n"),
    );
    commit_all(root, "use RADARR_HOST");
    dir
}

#[test]
fn strict_substitution_turns_the_warning_into_an_introduced_build_failure() {
    let repo = repository(false);
    let root = repo.path();
    let lenient = unstuck_in(root, &["check"]);
    assert_eq!(lenient.status.code(), Some(0), "{}", stderr(&lenient));
    assert!(stdout(&lenient).contains("flux-unresolved-variable"));

    let strict = unstuck_in(root, &["check", "--flux-strict-substitution"]);
    assert_eq!(strict.status.code(), Some(1), "{}", stderr(&strict));
    insta::assert_snapshot!(stdout(&strict));

    let validate = unstuck_in(root, &["validate", "--flux-strict-substitution"]);
    assert_eq!(validate.status.code(), Some(1), "{}", stderr(&validate));
    assert!(stdout(&validate).contains("variable not set (strict mode): \"RADARR_HOST\""));
}

#[test]
fn a_repository_turning_the_gate_on_is_checked_strictly_and_says_so() {
    let repo = repository(true);
    let root = repo.path();
    let output = unstuck_in(root, &["check", "--verbose"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("variable not set (strict mode): \"RADARR_HOST\""),
        "{text}"
    );
    assert!(
        text.contains("clusters/flux-system/kustomization.yaml: line 9 turns kustomize-controller's feature gate StrictPostBuildSubstitutions on"),
        "{text}"
    );
}
