//! `deploy/`: least-privilege RBAC, hardened Deployment, configuration that parses, alert rules
//! that promtool accepts and whose unit tests pass, and a kustomization that builds.

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use unstuck_controller::config::Config;

fn deploy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

fn documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).unwrap())
        .filter(|v| !v.is_null())
        .collect()
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Metric names the controller exports, as Prometheus sees them (counters with `_total`).
fn exported_metrics() -> BTreeSet<String> {
    unstuck_controller::metrics::EXPORTED
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}

/// Every `unstuck_…` identifier in a text (not part of a longer name like `x-unstuck_`).
fn referenced_metrics(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("unstuck_") {
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        let preceded_by_ident = rest[..i]
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !preceded_by_ident {
            out.insert(tail[..end].to_owned());
        }
        rest = &tail[end..];
    }
    out
}

#[test]
fn rbac_has_no_wildcards_and_no_delete_on_protected_kinds() {
    let protected = [
        "namespaces",
        "persistentvolumes",
        "persistentvolumeclaims",
        "secrets",
        "customresourcedefinitions",
    ];
    let docs = documents(&deploy().join("rbac.yaml"));
    let mut roles = 0;
    for doc in &docs {
        let Some(rules) = doc["rules"].as_array() else {
            continue;
        };
        roles += 1;
        for rule in rules {
            for field in ["apiGroups", "resources", "verbs"] {
                assert!(!strings(&rule[field]).contains(&"*"), "wildcard in {rule}");
            }
            assert!(rule.get("nonResourceURLs").is_none());
            let verbs = strings(&rule["verbs"]);
            for resource in strings(&rule["resources"]) {
                if protected.contains(&resource) {
                    assert!(
                        !verbs.contains(&"delete") && !verbs.contains(&"deletecollection"),
                        "{resource}: {verbs:?}"
                    );
                }
                if resource == "secrets" {
                    assert_eq!(verbs, ["create"], "backups are write-only");
                    assert_eq!(
                        doc["kind"], "Role",
                        "secrets only in the controller's namespace"
                    );
                }
            }
        }
    }
    assert_eq!(roles, 2, "one ClusterRole, one Role");
}

#[test]
fn rbac_lets_retry_source_patch_every_source_kind() {
    let docs = documents(&deploy().join("rbac.yaml"));
    let granted: Vec<&str> = docs
        .iter()
        .filter_map(|doc| doc["rules"].as_array())
        .flatten()
        .filter(|rule| strings(&rule["apiGroups"]) == ["source.toolkit.fluxcd.io"])
        .filter(|rule| strings(&rule["verbs"]).contains(&"patch"))
        .flat_map(|rule| strings(&rule["resources"]))
        .collect();
    for kind in [
        "GitRepository",
        "OCIRepository",
        "HelmRepository",
        "HelmChart",
        "Bucket",
        "ExternalArtifact",
    ] {
        assert!(unstuck_controller::decide::is_source_kind(kind));
        let plural = kube::api::ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk(
            "source.toolkit.fluxcd.io",
            "v1",
            kind,
        ))
        .plural;
        assert!(
            granted.contains(&plural.as_str()),
            "{plural} missing from {granted:?}"
        );
    }
}

#[test]
fn deployment_runs_non_root_with_read_only_root_filesystem() {
    let docs = documents(&deploy().join("deployment.yaml"));
    let pod = &docs[0]["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    let container = &pod["containers"][0];
    assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(
        container["securityContext"]["allowPrivilegeEscalation"],
        false
    );
    assert_eq!(
        strings(&container["securityContext"]["capabilities"]["drop"]),
        ["ALL"]
    );
    assert!(strings(&container["args"]).contains(&"--leader-election"));
}

#[test]
fn shipped_configuration_parses() {
    let config = std::fs::read_to_string(deploy().join("config/controller.yaml")).unwrap();
    let config = Config::from_yaml(&config).unwrap();
    assert_eq!(
        config,
        Config::default(),
        "the shipped file documents the defaults"
    );
    let patterns = std::fs::read_to_string(deploy().join("config/recovery-patterns.yaml")).unwrap();
    let set = recovery_patterns::PatternSet::builtin_with_yaml(&patterns).unwrap();
    assert_eq!(set.len(), recovery_patterns::PatternSet::builtin().len());
}

#[test]
fn alerts_and_dashboard_use_only_exported_metrics() {
    let exported = exported_metrics();
    let rules = std::fs::read_to_string(deploy().join("prometheusrule.yaml")).unwrap();
    let dashboard =
        std::fs::read_to_string(deploy().join("grafana/unstuck-controller.json")).unwrap();
    serde_json::from_str::<Value>(&dashboard).expect("dashboard is JSON");
    for (file, text) in [("prometheusrule.yaml", &rules), ("dashboard", &dashboard)] {
        let used = referenced_metrics(text);
        assert!(!used.is_empty());
        for name in used {
            assert!(
                exported.contains(&name),
                "{file} uses {name}, which the controller does not export"
            );
        }
    }
}

/// Extracts the PrometheusRule's spec into a plain rule file next to the unit tests.
fn rule_files() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let rule = &documents(&deploy().join("prometheusrule.yaml"))[0];
    std::fs::write(
        dir.path().join("rules.yaml"),
        serde_yaml_ng::to_string(&rule["spec"]).unwrap(),
    )
    .unwrap();
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/promtool/alerts.test.yaml");
    std::fs::copy(tests, dir.path().join("alerts.test.yaml")).unwrap();
    dir
}

#[test]
fn every_alert_has_a_unit_test() {
    let rule = &documents(&deploy().join("prometheusrule.yaml"))[0];
    let tests = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/promtool/alerts.test.yaml"),
    )
    .unwrap();
    let mut alerts = 0;
    for group in rule["spec"]["groups"].as_array().unwrap() {
        for r in group["rules"].as_array().unwrap() {
            let name = r["alert"].as_str().unwrap();
            alerts += 1;
            assert!(
                tests.contains(&format!("alertname: {name}\n")),
                "alert {name} has no promtool test"
            );
        }
    }
    assert_eq!(alerts, 9);
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
        || Command::new(tool)
            .arg("version")
            .arg("--client")
            .output()
            .is_ok_and(|o| o.status.success())
}

#[test]
fn promtool_checks_and_unit_tests_the_rules() {
    if !have("promtool") {
        println!("skipped: promtool not found (apt-get install prometheus)");
        return;
    }
    let dir = rule_files();
    for args in [
        &["check", "rules", "rules.yaml"][..],
        &["test", "rules", "alerts.test.yaml"][..],
    ] {
        let out = Command::new("promtool")
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "promtool {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn kustomization_builds() {
    if !have("kubectl") {
        println!("skipped: kubectl not found");
        return;
    }
    let out = Command::new("kubectl")
        .args(["kustomize"])
        .arg(deploy())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let objects: Vec<Value> = serde_yaml_ng::Deserializer::from_str(&text)
        .map(|d| Value::deserialize(d).unwrap())
        .collect();
    let kinds: BTreeSet<&str> = objects.iter().filter_map(|o| o["kind"].as_str()).collect();
    let expected = [
        "ClusterRole",
        "ClusterRoleBinding",
        "ConfigMap",
        "Deployment",
        "Namespace",
        "PrometheusRule",
        "Role",
        "RoleBinding",
        "Service",
        "ServiceAccount",
        "ServiceMonitor",
    ];
    assert_eq!(kinds, expected.into_iter().collect());
    for o in &objects {
        if o["kind"] != "Namespace"
            && o["kind"] != "ClusterRole"
            && o["kind"] != "ClusterRoleBinding"
        {
            assert_eq!(
                o["metadata"]["namespace"], "unstuck-system",
                "{}",
                o["kind"]
            );
        }
    }
    let deployment = objects.iter().find(|o| o["kind"] == "Deployment").unwrap();
    let volume = &deployment["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"];
    assert!(
        volume
            .as_str()
            .unwrap()
            .starts_with("unstuck-controller-config-"),
        "generated name is referenced"
    );
    assert_eq!(
        deployment["spec"]["template"]["spec"]["containers"][0]["image"],
        "ghcr.io/unstuck-dev/unstuck-controller:0.1.0"
    );
}

/// The project's own kustomize builder builds `deploy/` exactly as kubectl does.
#[test]
fn kustomize_build_crate_builds_deploy_like_kubectl() {
    let built = kustomize_build::build(
        &kustomize_build::fs::OsFs,
        &deploy().canonicalize().unwrap(),
        &kustomize_build::BuildOptions::new(),
    )
    .expect("deploy/ builds with kustomize-build");
    let ours = built.to_yaml();
    let kinds: BTreeSet<&str> = built
        .resources()
        .iter()
        .map(kustomize_build::Resource::kind)
        .collect();
    assert!(
        kinds.contains("Deployment") && kinds.contains("PrometheusRule"),
        "{kinds:?}"
    );
    if !have("kubectl") {
        println!("skipped comparison: kubectl not found");
        return;
    }
    let out = Command::new("kubectl")
        .args(["kustomize"])
        .arg(deploy())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        ours,
        String::from_utf8(out.stdout).unwrap(),
        "kustomize-build and kubectl disagree on deploy/"
    );
}
