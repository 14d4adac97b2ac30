//! Every format over one report holding each kind of entry: a pre-existing build failure, a
//! violation with a traced source in a `--head-dir` tree, and warnings with and without a line
//! (as the Flux build adds them).

use gitops_repo::impact::{Engine, Impact, ObjectName};
use immutable_rules::{Finding, ObjectRef, Remediation, Severity};

use super::{
    github, human, json, sarif, Build, Outcome, Report, Source, Subject, Violation, Warning,
};

fn report() -> Report {
    let mut check = gitops_repo::Report::default();
    check.build_failures.push(Build {
        path: "apps/legacy".to_owned(),
        file: "apps/legacy/Kustomization".to_owned(),
        line: None,
        error: Some("accumulating resources: 'apps/legacy/gone.yaml': no such file".to_owned()),
        introduced: false,
        engine: Engine::Kustomize,
    });
    check.violations.push(Violation {
        finding: Finding {
            violation: immutable_rules::Violation {
                rule: "deployment-selector".to_owned(),
                severity: Severity::Error,
                object: ObjectRef {
                    group: "apps".to_owned(),
                    version: "v1".to_owned(),
                    kind: "Deployment".to_owned(),
                    namespace: Some("shop".to_owned()),
                    name: "web".to_owned(),
                },
                field: "spec.selector".to_owned(),
                old: r#"{"matchLabels":{"app":"web"}}"#.to_owned(),
                new: r#"{"matchLabels":{"app":"web","team":"a,b"}}"#.to_owned(),
                reason: "the selector is immutable".to_owned(),
                api_error: "spec.selector: Invalid value: field is immutable".to_owned(),
                remediations: vec![Remediation::RenameBlueGreen, Remediation::Revert],
            },
            dirs: vec!["apps/prod".to_owned(), "clusters/prod".to_owned()],
        },
        source: Some(Source {
            file: "apps/prod/kustomization.yaml".to_owned(),
            line: 4,
            writer: Some("commonLabels".to_owned()),
        }),
        file: "apps/prod/kustomization.yaml".to_owned(),
    });
    check.warnings.push(Warning {
        rule: "flux-unresolved-variable".to_owned(),
        path: "clusters/prod".to_owned(),
        message: "${cluster_name} has no value: 100% of substitutions need one".to_owned(),
        help: "define cluster_name in postBuild.substitute or a substituteFrom ConfigMap"
            .to_owned(),
        source: Some(Source {
            file: "clusters/prod/apps.yaml".to_owned(),
            line: 12,
            writer: None,
        }),
        file: "clusters/prod/kustomization.yaml".to_owned(),
    });
    check.warnings.push(Warning {
        rule: "flux-depends-on-missing".to_owned(),
        path: "clusters/prod".to_owned(),
        message: "dependsOn names infra, which no Flux Kustomization defines".to_owned(),
        help: "add the Kustomization or remove the dependency".to_owned(),
        source: None,
        file: "clusters/prod/kustomization.yaml".to_owned(),
    });
    let mut apps = Impact::new(
        "clusters/prod/apps.yaml#flux-system/apps",
        "clusters/prod/apps.yaml",
        Engine::Flux,
    );
    apps.prune = true;
    apps.suspended = true;
    apps.changed = 2;
    apps.removed = 1;
    apps.removed_objects.push(ObjectName {
        kind: "ConfigMap".to_owned(),
        namespace: Some("shop".to_owned()),
        name: "old-settings".to_owned(),
    });
    check.impact.push(apps);
    let mut report = Report::new(
        Subject::Check {
            base: "before".to_owned(),
            head: "after".to_owned(),
        },
        "gitops/after/".to_owned(),
        "gitops/after".to_owned(),
        Outcome::Check(check),
    );
    report.source_prefix = "gitops/after/".to_owned();
    report
}

fn render(write: impl Fn(&mut Vec<u8>, &Report) -> std::io::Result<()>) -> String {
    let mut out = Vec::new();
    write(&mut out, &report()).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn a_warning_or_an_old_failure_alone_does_not_fail_the_run() {
    let mut report = report();
    assert!(report.failed(), "the error violation fails it");
    if let Outcome::Check(check) = &mut report.outcome {
        check.violations.clear();
    }
    assert!(!report.failed());
}

#[test]
fn human() {
    let styled = render(|out, r| human::write(out, r, false));
    // Styles are written as ANSI codes; the output stream strips them where colour is off.
    assert!(styled.contains("\u{1b}[1m\u{1b}[31merror\u{1b}[0m"));
    insta::assert_snapshot!(anstream::adapter::strip_str(&styled).to_string());
}

#[test]
fn json() {
    insta::assert_snapshot!(render(json::write));
}

#[test]
fn github() {
    insta::assert_snapshot!(render(github::write));
}

#[test]
fn sarif_locates_sources_and_warnings_in_the_repository() {
    let log: serde_json::Value = serde_json::from_str(&render(sarif::write)).unwrap();
    let run = &log["runs"][0];
    let locations: Vec<(String, String, u64)> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let location = &r["locations"][0]["physicalLocation"];
            (
                r["ruleId"].as_str().unwrap().to_owned(),
                location["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                location["region"]["startLine"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("build-failure", "gitops/after/apps/legacy/Kustomization", 1),
        (
            "deployment-selector",
            "gitops/after/apps/prod/kustomization.yaml",
            4,
        ),
        ("gitops-impact", "gitops/after/clusters/prod/apps.yaml", 1),
        (
            "flux-unresolved-variable",
            "gitops/after/clusters/prod/apps.yaml",
            12,
        ),
        (
            "flux-depends-on-missing",
            "gitops/after/clusters/prod/kustomization.yaml",
            1,
        ),
    ];
    let expected: Vec<(String, String, u64)> = expected
        .iter()
        .map(|(rule, uri, line)| ((*rule).to_owned(), (*uri).to_owned(), *line))
        .collect();
    assert_eq!(locations, expected);
    let levels: Vec<&str> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["level"].as_str().unwrap())
        .collect();
    assert_eq!(levels, ["warning", "error", "note", "warning", "warning"]);
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 5);
    assert_eq!(
        rules[2]["shortDescription"]["text"],
        "What the change does to a deploying unit"
    );
    assert_eq!(
        rules[3]["shortDescription"]["text"],
        "Flux unresolved variable"
    );
    assert_eq!(
        rules[3]["help"]["text"],
        "define cluster_name in postBuild.substitute or a substituteFrom ConfigMap"
    );
}
