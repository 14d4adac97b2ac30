//! Differential test against `kubernetes-validate --strict` (`PyPI`), the source of the embedded
//! schemas: for every object rendered from the real corpus and the bundled examples, plus
//! generated mistakes, both must give the same verdict (refused or accepted) for the objects
//! kubernetes-validate has a schema for. `.ci/run` installs kubernetes-validate; without it the
//! test says so and passes.

use crate::corpus;
use crate::mutations;
use api_validation::{KubeVersion, Rule, Validator};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

const DRIVER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/integration/kubernetes_validate_driver.py"
);

fn kubernetes_validate_missing() -> Option<String> {
    match Command::new("python3").args(["-c", "import kubernetes_validate"]).output() {
        Ok(output) if output.status.success() => None,
        Ok(_) => Some("the Python package kubernetes-validate is not installed (pip install kubernetes-validate)".into()),
        Err(error) => Some(format!("python3 cannot be run: {error}")),
    }
}

/// kubernetes-validate's verdict on one object.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Theirs {
    Pass,
    Fail(String),
    NoSchema,
}

fn run_kubernetes_validate(
    version: &str,
    files: &[std::path::PathBuf],
) -> BTreeMap<String, Theirs> {
    let mut verdicts = BTreeMap::new();
    // Several processes at once: the Python side is most of this test's time.
    let children: Vec<_> = files
        .chunks(1000)
        .map(|chunk| {
            Command::new("python3")
                .arg(DRIVER)
                .arg(version)
                .args(chunk)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("python3 runs")
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().expect("python3 finishes");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        for line in String::from_utf8(output.stdout).unwrap().lines() {
            let mut parts = line.splitn(3, ' ');
            let (verdict, file, rest) = (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap_or(""),
            );
            let theirs = match verdict {
                "PASS" => Theirs::Pass,
                "FAIL" => Theirs::Fail(rest.to_owned()),
                _ => Theirs::NoSchema,
            };
            verdicts.insert(file.to_owned(), theirs);
        }
    }
    verdicts
}

/// A generated mistake: the mutated object, or `None` when the object offers no place for it.
type Mutation = fn(&Value) -> Option<Value>;

struct Case {
    label: String,
    object: Value,
}

/// The corpus with duplicates removed, then each built-in object's mutations.
fn cases(rendered: &[corpus::Rendered], custom_kinds: &BTreeSet<(String, String)>) -> Vec<Case> {
    let mut seen = BTreeSet::new();
    let mut cases = Vec::new();
    for rendered in rendered {
        if !seen.insert(rendered.object.to_string()) {
            continue;
        }
        let label = corpus::label(&rendered.file);
        let id = identity(&rendered.object);
        let mutations: [(&str, Mutation); 4] = [
            ("renamed field", mutations::rename_field),
            ("changed type", mutations::change_type),
            ("dropped field", mutations::drop_list_item_field),
            ("old apiVersion", mutations::old_api_version),
        ];
        if !custom_kinds.contains(&id) {
            for (name, mutate) in mutations {
                if let Some(object) = mutate(&rendered.object) {
                    cases.push(Case {
                        label: format!("{label} ({name})"),
                        object,
                    });
                }
            }
        }
        cases.push(Case {
            label,
            object: rendered.object.clone(),
        });
    }
    cases
}

fn identity(object: &Value) -> (String, String) {
    let text = |key: &str| {
        object
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    (text("apiVersion"), text("kind"))
}

/// Why a disagreement is expected, or `None` when it is a bug. Each reason is listed in
/// docs/schema-validation.md.
fn known_reason(custom: bool, theirs: &Theirs) -> Option<&'static str> {
    match theirs {
        // kubernetes-validate picks a schema by kind and the first label of the group, so
        // batch.tutorial.kubebuilder.io/v1 CronJob is checked as batch/v1 CronJob and refused
        // for its apiVersion; unstuck checks it against its CRD.
        Theirs::Fail(message) if custom && message.starts_with("apiVersion ") => {
            Some("custom resource taken for a built-in kind by kubernetes-validate")
        }
        _ => None,
    }
}

#[test]
fn verdicts_agree_with_kubernetes_validate() {
    if let Some(why) = kubernetes_validate_missing() {
        eprintln!("skipping the differential test against kubernetes-validate: {why}");
        return;
    }
    let rendered = corpus::rendered();
    let crds: Vec<&Value> = rendered
        .iter()
        .map(|r| &r.object)
        .filter(|o| Validator::is_custom_resource_definition(o))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let mut report = Vec::new();
    let mut unexplained = Vec::new();
    let versions: &[&str] = if cfg!(feature = "older-kubernetes") {
        &["1.37", "1.30"]
    } else {
        &["1.37"]
    };
    for version in versions {
        let mut validator = Validator::new(version.parse::<KubeVersion>().unwrap()).unwrap();
        let mut custom_kinds = BTreeSet::new();
        for crd in &crds {
            // CRDs the target cannot read are reported on the CRD itself (api-removed).
            if validator.add_custom_resource_definition(crd).is_ok() {
                let kind = crd
                    .pointer("/spec/names/kind")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let group = crd
                    .pointer("/spec/group")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                for v in crd
                    .pointer("/spec/versions")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let name = v.get("name").and_then(Value::as_str).unwrap_or_default();
                    custom_kinds.insert((format!("{group}/{name}"), kind.to_owned()));
                }
            }
        }
        let cases = cases(&rendered, &custom_kinds);
        let files: Vec<_> = cases
            .iter()
            .enumerate()
            .map(|(index, case)| {
                let file = dir.path().join(format!("{version}-{index}.json"));
                std::fs::write(&file, case.object.to_string()).unwrap();
                file
            })
            .collect();
        let theirs = run_kubernetes_validate(version, &files);
        let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
        for (case, file) in cases.iter().zip(&files) {
            let theirs = &theirs[&file.display().to_string()];
            let ours = validator.validate(&case.object);
            let we_refuse = ours.iter().any(api_validation::Problem::is_error);
            let outcome = match theirs {
                Theirs::NoSchema if ours.iter().any(|p| p.rule == Rule::ApiRemoved) => {
                    "no schema in kubernetes-validate, api-removed in unstuck"
                }
                Theirs::NoSchema if ours.iter().any(|p| p.rule == Rule::SchemaNotChecked) => {
                    "no schema in either"
                }
                Theirs::NoSchema => {
                    "no schema in kubernetes-validate, checked against its CRD by unstuck"
                }
                Theirs::Pass if !we_refuse => "both accept",
                Theirs::Fail(_) if we_refuse => "both refuse",
                _ => {
                    let custom = custom_kinds.contains(&identity(&case.object));
                    known_reason(custom, theirs).unwrap_or_else(|| {
                        unexplained.push(format!(
                            "{version} {}: kubernetes-validate {theirs:?}, unstuck {:?}",
                            case.label,
                            ours.iter().map(ToString::to_string).collect::<Vec<_>>()
                        ));
                        "DISAGREE"
                    })
                }
            };
            *tally.entry(outcome).or_default() += 1;
            // Objects kubernetes-validate has no schema for: ours must be a removal, a CRD
            // check or "not checked", never a built-in schema verdict it could not give.
            if *theirs == Theirs::NoSchema && !custom_kinds.contains(&identity(&case.object)) {
                let unexplained_rule = ours.iter().find(|p| {
                    !matches!(
                        p.rule,
                        Rule::ApiRemoved | Rule::ApiDeprecated | Rule::SchemaNotChecked
                    )
                });
                if let Some(problem) = unexplained_rule {
                    unexplained.push(format!(
                        "{version} {}: no schema upstream, unstuck says {problem}",
                        case.label
                    ));
                }
            }
        }
        report.push(format!(
            "Kubernetes {version}: {} objects, {tally:?}",
            cases.len()
        ));
    }
    eprintln!("{}", report.join("\n"));
    assert!(
        unexplained.is_empty(),
        "{} disagreements with kubernetes-validate:\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
}
