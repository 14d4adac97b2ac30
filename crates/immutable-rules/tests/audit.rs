//! The scenarios of `fixtures/audit-scenarios.yaml`: accept and reject cases for the rules the
//! audit of the API server's update checks added (docs/rules.md), in the mode and on the server
//! release each scenario names. A reject must be an `error` of the named rule on the named field;
//! an accept must have no `error` at all.

mod support;

use immutable_rules::{builtin_rule, check, Context, ServerVersion};
use serde_json::Value;
use support::{errors, related};

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    id: String,
    kind: String,
    #[serde(rename = "apiVersion")]
    api_version: String,
    old: Value,
    new: Value,
    expected: String,
    rule: String,
    field: String,
    #[serde(default)]
    mode: Option<String>,
    #[serde(rename = "serverVersion", default)]
    server_version: Option<String>,
    note: String,
}

fn scenarios() -> Vec<Scenario> {
    serde_yaml_ng::from_str(include_str!("fixtures/audit-scenarios.yaml"))
        .expect("the audit scenario file parses")
}

/// The scenario's two objects, completed.
fn complete(s: &Scenario) -> (Value, Value) {
    support::complete(&s.api_version, &s.kind, &s.old, &s.new)
}

fn context(s: &Scenario) -> Context {
    let ctx = match s.mode.as_deref() {
        None | Some("apply") => Context::apply(),
        Some("git") => Context::git(),
        Some(other) => panic!("{}: unknown mode {other}", s.id),
    };
    match &s.server_version {
        Some(v) => ctx.with_server_version(
            v.parse::<ServerVersion>()
                .unwrap_or_else(|e| panic!("{}: {e}", s.id)),
        ),
        None => ctx,
    }
}

#[test]
fn every_audit_scenario_passes() {
    let all = scenarios();
    let mut failures = Vec::new();
    for s in &all {
        assert!(
            builtin_rule(&s.rule).is_some(),
            "{}: no built-in rule {}",
            s.id,
            s.rule
        );
        let (old, new) = complete(s);
        let found = check(&old, &new, &context(s));
        let errs = errors(&found);
        let ok = match s.expected.as_str() {
            "reject" => errs
                .iter()
                .any(|v| v.rule == s.rule && related(&v.field, &s.field)),
            "accept" => errs.is_empty(),
            other => panic!("{}: unknown expectation {other}", s.id),
        };
        if !ok {
            failures.push(format!(
                "{} ({} {}, expected {} by {} on {}): {found:#?}\n  note: {}",
                s.id, s.kind, s.api_version, s.expected, s.rule, s.field, s.note
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} audit scenarios fail:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

/// An update is blamed only for what it changes: either side of a scenario checked against
/// itself yields no error, even where that side alone is invalid (two storage versions, a budget
/// with both fields).
#[test]
fn every_object_checked_against_itself_yields_no_error() {
    for s in scenarios() {
        let (old, new) = complete(&s);
        for side in [&old, &new] {
            for ctx in [Context::apply(), Context::git()] {
                let found = check(side, side, &ctx);
                assert!(errors(&found).is_empty(), "{}: {found:#?}", s.id);
            }
        }
    }
}

/// The rules the audit added each have at least one reject and one accept scenario.
#[test]
fn every_rule_from_the_audit_has_both_verdicts() {
    let all = scenarios();
    for id in [
        "statefulset-ondelete-rolling-update",
        "poddisruptionbudget-min-and-max",
        "service-load-balancer-source-ranges",
        "service-session-affinity-config",
        "crd-storage-version-count",
        "crd-conversion-webhook-kept",
        "runtimeclass-handler",
        "leasecandidate-lease-name",
        "evictionrequest-target",
        "clustertrustbundle-signer-name",
        "podcertificaterequest-spec",
        "resourceclaim-spec",
        "resourceclaimtemplate-spec",
        "resourceslice-fields",
        "workload-pod-groups",
        "workload-controller-ref",
        "event-fixed-fields",
        "node-spec",
    ] {
        for verdict in ["reject", "accept"] {
            assert!(
                all.iter().any(|s| s.rule == id && s.expected == verdict),
                "no {verdict} scenario for {id}"
            );
        }
    }
}

/// A field apply keeps is reported with what to change in git: `null` in the manifest, or the
/// `kubectl patch` that removes it once.
#[test]
fn kept_fields_say_what_to_change_in_git() {
    let all = scenarios();
    let by_id = |id: &str| all.iter().find(|s| s.id == id).expect("scenario exists");
    for (id, null_hint, pointer) in [
        (
            "a-pdb-01",
            "add `minAvailable: null` under `spec`",
            "/spec/minAvailable",
        ),
        (
            "a-svc-01",
            "add `loadBalancerSourceRanges: null` under `spec`",
            "/spec/loadBalancerSourceRanges",
        ),
        (
            "a-svc-05",
            "add `sessionAffinityConfig: null` under `spec`",
            "/spec/sessionAffinityConfig",
        ),
        (
            "a-sts-01",
            "add `rollingUpdate: null` under `spec.updateStrategy`",
            "/spec/updateStrategy/rollingUpdate",
        ),
    ] {
        let s = by_id(id);
        let (old, new) = complete(s);
        let found = check(&old, &new, &context(s));
        let v = found
            .iter()
            .find(|v| v.rule == s.rule)
            .unwrap_or_else(|| panic!("{id}: {found:#?}"));
        assert!(v.reason.contains(null_hint), "{id}: {}", v.reason);
        assert!(
            v.reason.contains(&format!("\"path\":\"{pointer}\"")),
            "{id}: {}",
            v.reason
        );
        assert_eq!(v.remediations[0].id(), "clear-kept-field", "{id}");
    }
    // Git mode knows only cainjector as the other owner of a CRD's conversion webhook.
    let s = by_id("a-crd-08");
    let (old, new) = complete(s);
    let found = check(&old, &new, &context(s));
    let v = found
        .iter()
        .find(|v| v.rule == s.rule)
        .expect("a-crd-08 is rejected");
    assert!(
        v.reason
            .contains("cert-manager's cainjector writes its caBundle"),
        "{}",
        v.reason
    );
    assert!(
        v.reason
            .contains("remove the cert-manager.io/inject-ca-from annotation"),
        "{}",
        v.reason
    );
    assert!(
        v.api_error
            .starts_with("spec.conversion.strategy: Required value"),
        "{}",
        v.api_error
    );
    // Git sends the offending field itself: remove it from git.
    let s = by_id("a-crd-05");
    let (old, new) = complete(s);
    let found = check(&old, &new, &context(s));
    assert!(
        found[0]
            .reason
            .contains("keep storage: true on one of them"),
        "{found:#?}"
    );
    let s = by_id("a-crd-01");
    let (old, new) = complete(s);
    let found = check(&old, &new, &context(s));
    assert!(
        found.iter().any(|v| v
            .reason
            .contains("write `storage: false` on version v1beta1 in git")),
        "{found:#?}"
    );
}
