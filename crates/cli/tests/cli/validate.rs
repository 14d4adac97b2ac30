//! Tests of `unstuck validate`.

use std::fs;
use std::path::Path;

use crate::sarif::sarif_errors;
use crate::support::{stdout, unstuck_in, version_filtered};

fn write(root: &Path, path: &str, content: &str) {
    let path = root.join(path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}

const CONFIG_MAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n";

/// A repository with a base, an overlay, a broken overlay, and an ignored broken directory.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "apps/base/kustomization.yaml",
        "resources: [cm.yaml]\n",
    );
    write(root, "apps/base/cm.yaml", CONFIG_MAP);
    write(
        root,
        "apps/prod/kustomization.yaml",
        "namePrefix: prod-\nresources: [../base]\n",
    );
    write(
        root,
        "apps/broken/kustomization.yml",
        "namePrefix: x-\nresources:\n  - missing.yaml\n",
    );
    write(root, ".gitignore", "scratch/\n");
    write(
        root,
        "scratch/kustomization.yaml",
        "resources: [nothing-here.yaml]\n",
    );
    dir
}

#[test]
fn reports_each_failing_directory_and_exits_1() {
    let repo = repository();
    let output = unstuck_in(repo.path(), &["validate", "--format", "json", "."]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let results = report["results"].as_array().unwrap();
    let summary: Vec<(&str, bool)> = results
        .iter()
        .map(|r| (r["path"].as_str().unwrap(), r["ok"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        summary,
        [
            ("apps/base", true),
            ("apps/broken", false),
            ("apps/prod", true)
        ]
    );
    let error = results[1]["error"].as_str().unwrap();
    assert!(error.contains("missing.yaml"), "{error}");
    assert!(results[0]["error"].is_null());
}

#[test]
fn human_output_names_the_failure_and_counts() {
    let repo = repository();
    let output = unstuck_in(repo.path(), &["validate"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.starts_with("FAIL apps/broken\n"), "{text}");
    assert!(
        text.ends_with("2 of 3 kustomization directories built, 1 failed\n"),
        "{text}"
    );
}

#[test]
fn exits_0_when_everything_builds() {
    let repo = repository();
    fs::remove_dir_all(repo.path().join("apps/broken")).unwrap();
    let output = unstuck_in(repo.path(), &["validate", "apps"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(
        stdout(&output),
        "2 of 2 kustomization directories built, 0 failed\n"
    );
    // Nothing to report is still a valid SARIF log, and no annotation.
    let output = unstuck_in(repo.path(), &["validate", "apps", "--format", "sarif"]);
    assert_eq!(output.status.code(), Some(0));
    let log: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(sarif_errors(&log), Vec::<String>::new());
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
    let output = unstuck_in(repo.path(), &["validate", "apps", "--format", "github"]);
    assert_eq!(
        stdout(&output),
        "unstuck: 0 errors, 0 annotations in total\n"
    );
}

#[test]
fn a_missing_path_is_a_usage_error() {
    let repo = repository();
    let output = unstuck_in(repo.path(), &["validate", "no/such/dir"]);
    assert_eq!(output.status.code(), Some(2));
}

/// Run `unstuck validate` with `args` in the repository and snapshot stdout under `name`.
fn snapshot(repo: &Path, name: &str, args: &[&str]) {
    let mut all = vec!["validate"];
    all.extend_from_slice(args);
    let output = unstuck_in(repo, &all);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    version_filtered().bind(|| insta::assert_snapshot!(name, stdout(&output)));
}

#[test]
fn every_format_of_a_failing_repository() {
    let repo = repository();
    snapshot(repo.path(), "validate_human", &[]);
    snapshot(repo.path(), "validate_json", &["--format", "json"]);
    snapshot(repo.path(), "validate_sarif", &["--format", "sarif"]);
    snapshot(repo.path(), "validate_github", &["--format", "github"]);
}

#[test]
fn sarif_is_valid_and_points_at_the_kustomization_file() {
    let repo = repository();
    let init = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(repo.path())
        .status()
        .unwrap();
    assert!(init.success());
    let output = unstuck_in(repo.path(), &["validate", "--format", "sarif", "apps"]);
    let log: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(sarif_errors(&log), Vec::<String>::new());
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["level"], "error");
    assert_eq!(result["ruleId"], "build-failure");
    // Relative to the repository root (here PATH's parent), not to PATH.
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        "apps/broken/kustomization.yml"
    );
    // The line of the entry naming the missing file.
    assert_eq!(location["region"]["startLine"], 3);
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(rules.len(), 1);
    assert!(rules[0]["help"]["text"]
        .as_str()
        .unwrap()
        .contains("unstuck build"));
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let repo = repository();
    let escape = |args: &[&str]| {
        let mut all = vec!["validate"];
        all.extend_from_slice(args);
        stdout(&unstuck_in(repo.path(), &all)).contains('\u{1b}')
    };
    // The tests run with NO_COLOR=1 and stdout is a pipe: plain text unless forced.
    assert!(!escape(&[]));
    assert!(!escape(&["--color", "auto"]));
    assert!(!escape(&["--color", "never"]));
    assert!(escape(&["--color", "always"]));
    // Machine formats are never coloured.
    assert!(!escape(&["--color", "always", "--format", "json"]));

    // `auto` follows the environment: CLICOLOR_FORCE forces colour into a pipe, NO_COLOR wins.
    let with_env = |vars: &[(&str, &str)]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_unstuck"))
            .arg("validate")
            .current_dir(repo.path())
            .env_clear()
            .envs(vars.iter().copied())
            .output()
            .unwrap();
        stdout(&output).contains('\u{1b}')
    };
    assert!(!with_env(&[]));
    assert!(with_env(&[("CLICOLOR_FORCE", "1")]));
    assert!(!with_env(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]));
}

#[test]
fn one_directory_is_counted_in_the_singular() {
    let repo = repository();
    let output = unstuck_in(repo.path(), &["validate", "apps/base"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output),
        "1 of 1 kustomization directory built, 0 failed\n"
    );
}

const FLUX_KS: &str = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: NAME\n  namespace: flux-system\nspec:\n  path: PATH\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  dependsOn:\n    - name: DEP\n";

#[test]
fn flux_kustomizations_are_built_and_dependency_cycles_fail() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "apps/cm.yaml", CONFIG_MAP);
    let ks = |name: &str, path: &str, dep: &str| {
        FLUX_KS
            .replace("NAME", name)
            .replace("PATH", path)
            .replace("DEP", dep)
    };
    write(
        root,
        "clusters/prod/ks.yaml",
        &format!(
            "{}---\n{}",
            ks("apps", "./apps", "infra"),
            ks("infra", "./apps", "apps")
        ),
    );
    let output = unstuck_in(root, &["validate", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let results: Vec<(&str, &str)> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["path"].as_str().unwrap(),
                r["error"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].0, "clusters/prod/ks.yaml#flux-system/apps");
    assert!(
        results[0]
            .1
            .contains("dependsOn cycle (flux-system/apps → flux-system/infra → flux-system/apps)"),
        "{}",
        results[0].1
    );

    // Without the cycle both build (the directory has no kustomization file: Flux generates one).
    write(
        root,
        "clusters/prod/ks.yaml",
        &format!(
            "{}---\n{}",
            ks("apps", "./apps", "infra"),
            ks("infra", "./apps", "apps").replace("  dependsOn:\n    - name: apps\n", "")
        ),
    );
    let output = unstuck_in(root, &["validate"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    // The summary counts Flux Kustomizations apart from directories.
    assert!(
        stdout(&output).ends_with(
            "2 of 2 (0 kustomization directories, 2 Flux Kustomizations) built, 0 failed\n"
        ),
        "{}",
        stdout(&output)
    );
}

/// A repository of `count` small kustomization directories.
fn many_directories(count: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..count {
        write(
            dir.path(),
            &format!("apps/app-{i:02}/kustomization.yaml"),
            "resources: [cm.yaml]\n",
        );
        write(dir.path(), &format!("apps/app-{i:02}/cm.yaml"), CONFIG_MAP);
    }
    dir
}

#[test]
fn no_progress_bar_unless_stderr_is_a_terminal() {
    let repo = many_directories(12);
    let output = unstuck_in(repo.path(), &["validate"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(crate::support::stderr(&output), "");
}

#[test]
fn a_terminal_sees_the_progress_bar_cleared_at_the_end() {
    // util-linux `script` gives the command a terminal; without it there is nothing to check.
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return;
    }
    let repo = many_directories(12);
    let binary = env!("CARGO_BIN_EXE_unstuck");
    let output = std::process::Command::new("script")
        .args(["--quiet", "--return", "--command"])
        .arg(format!("{binary} validate"))
        .arg("/dev/null")
        .current_dir(repo.path())
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{shown}");
    assert!(shown.contains("building ["), "no progress bar in {shown:?}");
    assert!(shown.contains("/12"), "no count in {shown:?}");
    // The report follows the cleared bar.
    assert!(shown.contains("12 of 12 kustomization directories built, 0 failed"));
}

#[test]
fn flux_kustomizations_of_other_sources_are_built_only_when_named() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "deploy/cm.yaml", CONFIG_MAP);
    write(
        root,
        "clusters/ks.yaml",
        &FLUX_KS
            .replace("NAME", "app")
            .replace("PATH", "./deploy")
            .replace("name: flux-system\n", "name: app-repo\n")
            .replace("  dependsOn:\n    - name: DEP\n", ""),
    );
    let paths = |args: &[&str]| {
        let mut all = vec!["validate", "--format", "json"];
        all.extend_from_slice(args);
        let output = unstuck_in(root, &all);
        assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["path"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(paths(&[]), Vec::<String>::new());
    assert_eq!(
        paths(&["--flux-source", "GitRepository/flux-system/app-repo"]),
        ["clusters/ks.yaml#flux-system/app"]
    );
}

/// A repository whose kustomizations build but render objects the API server refuses.
fn refused_repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "app/kustomization.yaml",
        "resources: [deploy.yaml, hpa.yaml, widget.yaml]\n",
    );
    write(
        root,
        "app/deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replica: 2\n  \
         selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    \
         spec:\n      containers:\n        - name: web\n          image: nginx\n",
    );
    write(
        root,
        "app/hpa.yaml",
        "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n\
         spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  maxReplicas: 3\n",
    );
    write(
        root,
        "app/widget.yaml",
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: big\n",
    );
    dir
}

const WIDGET_CRD: &str = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n\
metadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  \
scope: Namespaced\n  versions:\n    - name: v1\n      served: true\n      storage: true\n      schema:\n        \
openAPIV3Schema:\n          type: object\n          properties:\n            spec:\n              type: object\n              \
properties:\n                size: {type: integer}\n";

#[test]
fn schema_problems_point_at_the_line_that_wrote_them_and_fail_the_run() {
    let repo = refused_repository();
    let output = unstuck_in(repo.path(), &["validate", "--color", "never"]);
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(stdout(&output), @r"
    FAIL app schema-unknown-field: Deployment web .spec.replica
         field not declared in schema
         at:  app/deploy.yaml:6 (resource file)
         fix: correct the field's name (or remove it): the API server's strict field validation refuses undeclared fields
    FAIL app api-removed: HorizontalPodAutoscaler web
         autoscaling/v2beta2 HorizontalPodAutoscaler is not served by Kubernetes 1.37: it was removed in 1.26; use autoscaling/v2
         at:  app/hpa.yaml:1 (resource file)
         fix: move the object to the replacement apiVersion the message names before the cluster runs that release
    1 of 1 kustomization directory built, 0 failed, 2 schema errors
    ");
    let output = unstuck_in(repo.path(), &["validate", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let result = &report["results"][0];
    assert_eq!(result["ok"], false);
    assert_eq!(
        result["problems"][0]["source"],
        serde_json::json!({"file": "app/deploy.yaml", "line": 6, "writer": "resource file"})
    );
    let rules: Vec<&str> = result["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        ["schema-unknown-field", "api-removed", "schema-not-checked"]
    );
}

#[test]
fn schema_flags_choose_the_release_skip_the_check_or_add_crds() {
    let repo = refused_repository();
    // At 1.25 autoscaling/v2beta2 is still served (deprecated): one error, one warning.
    let output = unstuck_in(
        repo.path(),
        &["validate", "--format", "json", "--kube-version", "1.25"],
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let problems: Vec<(&str, &str)> = report["results"][0]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["severity"].as_str().unwrap(), p["rule"].as_str().unwrap()))
        .collect();
    assert_eq!(
        problems,
        [
            ("error", "schema-unknown-field"),
            ("warning", "api-deprecated"),
            ("info", "schema-not-checked")
        ]
    );
    let output = unstuck_in(repo.path(), &["validate", "--no-schema"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    write(repo.path(), "crds/widget.yaml", WIDGET_CRD);
    let output = unstuck_in(
        repo.path(),
        &[
            "validate",
            "--format",
            "json",
            "--schema-dir",
            "crds",
            "app",
        ],
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let widget = &report["results"][0]["problems"][2];
    assert_eq!(
        (widget["rule"].as_str(), widget["field"].as_str()),
        (Some("schema-type"), Some(".spec.size"))
    );
    let output = unstuck_in(repo.path(), &["validate", "--kube-version", "1.2"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn schema_problems_are_annotated_at_the_line_that_wrote_them() {
    let repo = refused_repository();
    let output = unstuck_in(repo.path(), &["validate", "--format", "github"]);
    assert_eq!(output.status.code(), Some(1));
    let annotations = stdout(&output);
    assert!(
        annotations.starts_with(
            "::error file=app/deploy.yaml,line=6,title=schema-unknown-field%3A app Deployment web::"
        ),
        "{annotations}"
    );
    assert!(annotations.contains("::error file=app/hpa.yaml,line=1,title=api-removed"));
    let output = unstuck_in(repo.path(), &["validate", "--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let first = &sarif["runs"][0]["results"][0];
    assert_eq!(first["ruleId"], "schema-unknown-field");
    let location = &first["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "app/deploy.yaml");
    assert_eq!(location["region"]["startLine"], 6);
}
