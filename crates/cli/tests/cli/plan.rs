//! Tests of `unstuck plan`: the bundled example planned, printed, and its patches applied with
//! `git apply` — after which `check` from the base finds no error.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::support::{stderr, stdout, unstuck, workspace_root};

const EXAMPLE: [&str; 4] = [
    "--base-dir",
    "examples/gitops/before",
    "--head-dir",
    "examples/gitops/after",
];

fn copy_tree(from: &Path, to: &Path) {
    let copied = Command::new("cp")
        .arg("-r")
        .arg(from.join("."))
        .arg(to)
        .status()
        .unwrap();
    assert!(copied.success());
}

/// `git apply MODE PATCH` in `dir`, which must succeed.
fn run_git_apply(dir: &Path, mode: &str, patch: &Path) {
    let output = Command::new("git")
        .args(["apply", mode])
        .arg(patch)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git apply {mode} {}: {}",
        patch.display(),
        stderr(&output)
    );
}

fn git_apply(dir: &Path, patch: &Path) {
    run_git_apply(dir, "--verbose", patch);
}

fn check_dirs(base: &Path, head: &Path) -> std::process::Output {
    unstuck(&[
        "check",
        "--base-dir",
        base.to_str().unwrap(),
        "--head-dir",
        head.to_str().unwrap(),
    ])
}

#[test]
fn bundled_example_human() {
    let mut args = vec!["plan"];
    args.extend(EXAMPLE);
    let output = unstuck(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn bundled_example_json() {
    let mut args = vec!["plan", "--format", "json"];
    args.extend(EXAMPLE);
    let output = unstuck(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn bundled_example_json_lists_steps_with_files_commands_and_checks() {
    let mut args = vec!["plan", "--format", "json"];
    args.extend(EXAMPLE);
    let output = unstuck(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let plan: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let summary: Vec<String> = plan["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let step = &m["steps"][0];
            format!(
                "{} {} {} {} before-merge:{} after-merge:{} checks:{}",
                m["object"]["kind"].as_str().unwrap(),
                m["strategy"].as_str().unwrap(),
                step["edits"][0]["file"].as_str().unwrap(),
                m["steps"].as_array().unwrap().len(),
                step["before_merge"].as_array().unwrap().len(),
                step["after_merge"].as_array().unwrap().len(),
                step["checks"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "Deployment recreate apps/production/web/kustomization.yaml 2 before-merge:0 after-merge:0 checks:3",
            "StatefulSet orphan-recreate apps/production/db/storage.yaml 2 before-merge:4 after-merge:1 checks:3",
        ]
    );
    assert_eq!(plan["unplanned"], serde_json::json!([]));
}

#[test]
fn patches_apply_with_git_and_step_one_passes_check() {
    let out = tempfile::tempdir().unwrap();
    let mut args = vec![
        "plan",
        "--format",
        "patch",
        "--out",
        out.path().to_str().unwrap(),
    ];
    args.extend(EXAMPLE);
    let output = unstuck(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let mut names: Vec<String> = fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "01-deployment-web-step1.patch",
            "02-statefulset-db-step1.patch",
            "03-deployment-web-step2.patch",
            "04-statefulset-db-step2.patch",
        ]
    );

    let root = workspace_root();
    let before = root.join("examples/gitops/before");
    let step1 = tempfile::tempdir().unwrap();
    copy_tree(&root.join("examples/gitops/after"), step1.path());
    for name in &names[..2] {
        git_apply(step1.path(), &out.path().join(name));
    }
    let checked = check_dirs(&before, step1.path());
    assert_eq!(checked.status.code(), Some(0), "{}", stdout(&checked));
    assert!(
        stdout(&checked).contains("0 errors, 2 warnings"),
        "{}",
        stdout(&checked)
    );

    // Step 2, once step 1 is live: nothing left to refuse, and the head is restored.
    let step2 = tempfile::tempdir().unwrap();
    copy_tree(step1.path(), step2.path());
    for name in &names[2..] {
        git_apply(step2.path(), &out.path().join(name));
    }
    let checked = check_dirs(step1.path(), step2.path());
    assert_eq!(checked.status.code(), Some(0), "{}", stdout(&checked));
    let head = root.join("examples/gitops/after");
    let diff = Command::new("diff")
        .arg("-r")
        .arg(&head)
        .arg(step2.path())
        .output()
        .unwrap();
    assert!(
        diff.status.success(),
        "{}",
        String::from_utf8_lossy(&diff.stdout)
    );
}

#[test]
fn patch_format_needs_an_output_directory() {
    let mut args = vec!["plan", "--format", "patch"];
    args.extend(EXAMPLE);
    let output = unstuck(&args);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--out"), "{}", stderr(&output));
}

#[test]
fn between_git_revisions_the_patches_apply_at_the_repository_root() {
    use crate::check::{commit_all, git, write};
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    git(root, &["init", "-q"]);
    let job = |image: &str| {
        format!("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: m\n        image: {image}\n")
    };
    write(root, "clusters/apps.yaml", "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  path: ./deploy/app\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n");
    write(
        root,
        "deploy/app/kustomization.yaml",
        "resources: [job.yaml]\n",
    );
    write(root, "deploy/app/job.yaml", &job("tool:1"));
    commit_all(root, "job");
    write(root, "deploy/app/job.yaml", &job("tool:2"));
    commit_all(root, "new tool");

    let out = tempfile::tempdir().unwrap();
    let output = crate::support::unstuck_in(
        root,
        &[
            "plan",
            "--format",
            "patch",
            "--out",
            out.path().to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    git(
        root,
        &[
            "apply",
            out.path()
                .join("01-job-migrate-step1.patch")
                .to_str()
                .unwrap(),
        ],
    );
    let checked = crate::support::unstuck_in(root, &["check", "-b", "HEAD~1", "--worktree"]);
    assert_eq!(checked.status.code(), Some(0), "{}", stdout(&checked));
    assert!(
        stdout(&checked).contains("0 errors, 1 warning"),
        "{}",
        stdout(&checked)
    );
}

/// Write `before` to `ROOT/before` and `before` changed by `changes` to `ROOT/after`, plan the
/// change (human output, returned for a snapshot), write the steps as patches, check each
/// with `git apply --check` and apply every step 1 to a copy of the head: `check` from the
/// base then finds no error; applying every step 2 after that, `check` from the step-1 tree
/// finds none either.
fn planned_and_applied(before: &[(&str, &str)], changes: &[(&str, &str)]) -> String {
    use crate::check::write;
    let work = tempfile::tempdir().unwrap();
    let root = work.path();
    for (path, content) in before {
        write(root, &format!("before/{path}"), content);
        write(root, &format!("after/{path}"), content);
    }
    for (path, content) in changes {
        write(root, &format!("after/{path}"), content);
    }
    let dirs = ["--base-dir", "before", "--head-dir", "after"];
    let refused = crate::support::unstuck_in(root, &[&["check"][..], &dirs].concat());
    assert_eq!(refused.status.code(), Some(1), "{}", stdout(&refused));
    let human = crate::support::unstuck_in(root, &[&["plan"][..], &dirs].concat());
    assert_eq!(human.status.code(), Some(0), "{}", stderr(&human));
    let patches = crate::support::unstuck_in(
        root,
        &[
            &["plan", "--format", "patch", "--out", "patches"][..],
            &dirs,
        ]
        .concat(),
    );
    assert_eq!(patches.status.code(), Some(0), "{}", stderr(&patches));
    let mut names: Vec<String> = fs::read_dir(root.join("patches"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let (step1, step2): (Vec<&String>, Vec<&String>) = names
        .iter()
        .partition(|name| name.ends_with("-step1.patch"));
    assert!(!step1.is_empty(), "{names:?}");
    copy_tree(&root.join("after"), &root.join("step1"));
    for name in &step1 {
        git_apply_checked(&root.join("step1"), &root.join("patches").join(name));
    }
    let checked = check_dirs(&root.join("before"), &root.join("step1"));
    assert_eq!(checked.status.code(), Some(0), "{}", stdout(&checked));
    copy_tree(&root.join("step1"), &root.join("step2"));
    for name in &step2 {
        git_apply_checked(&root.join("step2"), &root.join("patches").join(name));
    }
    let checked = check_dirs(&root.join("step1"), &root.join("step2"));
    assert_eq!(checked.status.code(), Some(0), "{}", stdout(&checked));
    stdout(&human)
}

/// `git apply --check`, then `git apply`.
fn git_apply_checked(dir: &Path, patch: &Path) {
    fs::create_dir_all(dir).unwrap();
    run_git_apply(dir, "--check", patch);
    git_apply(dir, patch);
}

const FLUX_APPS: &str = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  path: ./app\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n";

fn web(app: &str) -> String {
    format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  selector:\n    matchLabels:\n      app: {app}\n  template:\n    metadata:\n      labels:\n        app: {app}\n    spec:\n      containers:\n      - name: web\n        image: nginx\n")
}

const AUTOSCALER: &str = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: web\n  minReplicas: 2\n  maxReplicas: 5\n";

const BUDGET: &str = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app: web\n";

#[test]
fn blue_green_widens_the_disruption_budget_and_the_patches_apply() {
    let web_before = web("web");
    let plan = planned_and_applied(
        &[
            ("clusters/apps.yaml", FLUX_APPS),
            (
                "app/kustomization.yaml",
                "resources: [web.yaml, hpa.yaml, pdb.yaml]\n",
            ),
            ("app/web.yaml", &web_before),
            ("app/hpa.yaml", AUTOSCALER),
            ("app/pdb.yaml", BUDGET),
        ],
        &[("app/web.yaml", &web("storefront"))],
    );
    insta::assert_snapshot!(plan);
}

#[test]
fn blue_green_points_the_readers_of_an_immutable_config_map_at_its_copy() {
    let settings = |mode: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\nimmutable: true\ndata:\n  mode: {mode}\n")
    };
    let reader = web("web").replace(
        "        image: nginx\n",
        "        image: nginx\n        envFrom:\n        - configMapRef:\n            name: settings\n        volumeMounts:\n        - name: config\n          mountPath: /etc/web\n      volumes:\n      - name: config\n        configMap:\n          name: settings\n",
    );
    let plan = planned_and_applied(
        &[
            ("clusters/apps.yaml", FLUX_APPS),
            (
                "app/kustomization.yaml",
                "resources: [settings.yaml, web.yaml]\n",
            ),
            ("app/settings.yaml", &settings("fast")),
            ("app/web.yaml", &reader),
        ],
        &[("app/settings.yaml", &settings("safe"))],
    );
    insta::assert_snapshot!(plan);
}

#[test]
fn argo_deployed_objects_are_recreated_or_go_blue_green() {
    let application = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: shop\n  namespace: argocd\nspec:\n  source:\n    repoURL: https://git.example/platform.git\n    path: shop\n  destination:\n    namespace: shop\n  syncPolicy:\n    automated:\n      prune: true\n";
    let api = |app: &str| {
        web(app)
            .replace("  name: web\n  namespace: shop\n", "  name: api\n")
            .replace("name: web\n        image", "name: api\n        image")
    };
    let unnamespaced = |text: String| text.replace("  namespace: shop\n", "");
    let plan = planned_and_applied(
        &[
            ("argocd/shop.yaml", application),
            (
                "shop/kustomization.yaml",
                "resources: [web.yaml, hpa.yaml, api.yaml]\n",
            ),
            ("shop/web.yaml", &unnamespaced(web("web"))),
            ("shop/hpa.yaml", &unnamespaced(AUTOSCALER.to_owned())),
            ("shop/api.yaml", &api("api")),
        ],
        &[
            ("shop/web.yaml", &unnamespaced(web("storefront"))),
            ("shop/api.yaml", &api("backend")),
        ],
    );
    insta::assert_snapshot!(plan);
}
