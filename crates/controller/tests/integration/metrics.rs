//! Metrics rendering and the HTTP endpoints.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use http_body_util::BodyExt;
use prometheus_client::registry::Registry;
use recovery_patterns::PatternSet;
use serde_json::json;
use unstuck_controller::budget::DestructiveBudget;
use unstuck_controller::config::Config;
use unstuck_controller::decide::{decide, Inputs};
use unstuck_controller::flux::{FluxKind, ObjectState};
use unstuck_controller::http::{respond, HttpState};
use unstuck_controller::metrics::{render, Metrics, EXPORTED};
use unstuck_controller::record::RecoveryRecord;

const T0: u64 = 1_767_225_600;

fn object(message: &str, ready: &str) -> ObjectState {
    ObjectState::from_json(
        FluxKind::Kustomization,
        &json!({
            "metadata": {"name": "apps", "namespace": "flux-system", "generation": 1},
            "status": {"observedGeneration": 1, "conditions": [{"type": "Ready", "status": ready,
                "reason": "ReconciliationFailed", "message": message, "lastTransitionTime": "2026-01-01T00:00:00Z"}]}
        }),
    )
}

/// Decides with the record carried over from the previous call, as the controller does, and
/// exports the decision.
fn observe(metrics: &Metrics, record: &mut RecoveryRecord, object: &ObjectState, now: u64) {
    let patterns = PatternSet::builtin();
    let decision = decide(Inputs {
        object,
        record,
        config: &Config::default(),
        classifier: &patterns,
        budget: &DestructiveBudget::new(3, 3600),
        now,
    });
    metrics.observe(object, &decision);
    *record = decision.record;
}

/// Fresh metrics and the registry they are rendered from.
fn registered() -> (Arc<Metrics>, Registry) {
    let metrics = Arc::new(Metrics::default());
    let mut registry = Registry::default();
    metrics.register(&mut registry);
    (metrics, registry)
}

fn lines(text: &str, prefix: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

#[test]
fn per_object_series_follow_the_object() {
    let (metrics, registry) = registered();
    let immutable = "Job/apps/migrate dry-run failed (Invalid): Job.batch \"migrate\" is invalid: spec.template: Invalid value: core.PodTemplateSpec{}: field is immutable";
    let record = &mut RecoveryRecord::default();
    observe(&metrics, record, &object(immutable, "False"), T0);
    observe(&metrics, record, &object(immutable, "False"), T0 + 400);
    let text = render(&registry);
    let obj = r#"kind="Kustomization",namespace="flux-system",name="apps""#;
    assert_eq!(
        lines(&text, "unstuck_object_ready{"),
        [format!("unstuck_object_ready{{{obj}}} 0")]
    );
    assert_eq!(
        lines(&text, "unstuck_object_stuck{"),
        [format!("unstuck_object_stuck{{{obj}}} 1")]
    );
    assert_eq!(
        lines(&text, "unstuck_object_not_ready_seconds{"),
        [format!("unstuck_object_not_ready_seconds{{{obj}}} 400.0")]
    );
    assert_eq!(
        lines(&text, "unstuck_object_reason{"),
        [format!(
            "unstuck_object_reason{{{obj},reason=\"ReconciliationFailed\"}} 1"
        )]
    );
    assert_eq!(
        lines(&text, "unstuck_immutable_conflict{"),
        [format!(
            "unstuck_immutable_conflict{{{obj},target=\"Job/apps/migrate\"}} 1"
        )]
    );
    let classification = lines(&text, "unstuck_object_classification{");
    assert_eq!(classification.len(), 1);
    assert!(
        classification[0].contains(r#"action="recreate_resource""#),
        "{classification:?}"
    );
    assert_eq!(
        lines(&text, "unstuck_reconcile_failures_total{"),
        [
            r#"unstuck_reconcile_failures_total{kind="Kustomization",reason="ReconciliationFailed"} 1"#
        ]
    );

    // Flux's next attempt: Ready=Unknown "Reconciliation in progress", then the same error.
    // Neither flaps a series nor counts as a new failure.
    let mut progressing = object("Reconciliation in progress", "Unknown");
    progressing.reason = Some("Progressing".into());
    progressing.reconciling = true;
    let failing_again = object(immutable, "False");
    for (now, flux_object) in [(T0 + 450, &progressing), (T0 + 500, &failing_again)] {
        observe(&metrics, record, flux_object, now);
        let text = render(&registry);
        assert_eq!(
            lines(&text, "unstuck_object_stuck{"),
            [format!("unstuck_object_stuck{{{obj}}} 1")]
        );
        assert_eq!(
            lines(&text, "unstuck_immutable_conflict{").len(),
            1,
            "the conflict series stays across the interlude"
        );
        assert_eq!(
            lines(&text, "unstuck_object_reason{"),
            [format!(
                "unstuck_object_reason{{{obj},reason=\"ReconciliationFailed\"}} 1"
            )]
        );
        assert!(text.contains(
            r#"unstuck_reconcile_failures_total{kind="Kustomization",reason="ReconciliationFailed"} 1"#
        ));
    }

    // Ready: the failure series disappear, the gauges flip.
    observe(
        &metrics,
        record,
        &object("Applied revision: main@sha1:1", "True"),
        T0 + 600,
    );
    let text = render(&registry);
    assert_eq!(
        lines(&text, "unstuck_object_ready{"),
        [format!("unstuck_object_ready{{{obj}}} 1")]
    );
    assert!(lines(&text, "unstuck_object_reason{").is_empty());
    assert!(lines(&text, "unstuck_immutable_conflict{").is_empty());
    assert!(lines(&text, "unstuck_object_classification{").is_empty());

    // Deleted: nothing of the object remains.
    metrics.forget("Kustomization", "flux-system", "apps");
    assert!(!render(&registry).contains(r#"name="apps""#));
}

#[test]
fn an_unrecognised_failure_is_labelled_unknown_and_stays_so_across_interludes() {
    let (metrics, registry) = registered();
    let unrecognised =
        "tmp dir error: mkdir /tmp/kustomization-1762639108: no space left on device";
    let record = &mut RecoveryRecord::default();
    let obj = r#"kind="Kustomization",namespace="flux-system",name="apps""#;
    let unknown_series =
        format!(r#"unstuck_object_classification{{{obj},pattern="unknown",action="none"}} 1"#);
    let unknown_episodes =
        r#"unstuck_classifications_total{kind="Kustomization",pattern="unknown",action="none"} 1"#;
    observe(&metrics, record, &object(unrecognised, "False"), T0);
    // A leader decides first from memory, then (budget rebuilt) from the persisted record, which
    // starts the same episode a second later: still one episode.
    *record = RecoveryRecord::default();
    observe(&metrics, record, &object(unrecognised, "False"), T0 + 1);
    let mut progressing = object("Reconciliation in progress", "Unknown");
    progressing.reason = Some("Progressing".into());
    for (now, flux_object) in [
        (T0 + 400, &object(unrecognised, "False")),
        (T0 + 450, &progressing),
        (T0 + 500, &object(unrecognised, "False")),
    ] {
        observe(&metrics, record, flux_object, now);
        let text = render(&registry);
        assert_eq!(
            lines(&text, "unstuck_object_classification{"),
            [unknown_series.as_str()],
            "at {now}"
        );
        assert_eq!(
            lines(&text, "unstuck_classifications_total{"),
            [unknown_episodes],
            "one episode, counted once"
        );
        assert_eq!(
            lines(&text, "unstuck_object_stuck{"),
            [format!("unstuck_object_stuck{{{obj}}} 1")]
        );
        assert_eq!(
            lines(&text, "unstuck_object_not_ready_seconds{"),
            [format!(
                "unstuck_object_not_ready_seconds{{{obj}}} {}.0",
                now - (T0 + 1)
            )]
        );
        // The message itself never becomes a label.
        assert!(!text.contains("no space left"), "{text}");
    }
    observe(
        &metrics,
        record,
        &object("Applied revision: main@sha1:1", "True"),
        T0 + 600,
    );
    let text = render(&registry);
    assert!(lines(&text, "unstuck_object_classification{").is_empty());
    assert!(text.contains(unknown_episodes), "the counter stays");
}

#[test]
fn alerted_counters_exist_at_zero_before_the_first_increment() {
    // `increase()` over a series that appears at 1 misses that first failure; every series
    // UnstuckRecoveryActionsFailing and UnstuckControllerReconcileErrors select starts at 0.
    let (_metrics, registry) = registered();
    let text = render(&registry);
    for action in unstuck_controller::metrics::RESULT_ACTIONS {
        for result in ["failed", "error"] {
            let line = format!(
                "unstuck_recovery_results_total{{action=\"{action}\",result=\"{result}\"}} 0"
            );
            assert!(text.contains(&line), "{line} in\n{text}");
        }
    }
    for kind in ["Kustomization", "HelmRelease"] {
        let line = format!("unstuck_controller_reconcile_errors_total{{kind=\"{kind}\"}} 0");
        assert!(text.contains(&line), "{line}");
    }
}

#[test]
fn exported_list_matches_what_is_rendered_and_documented() {
    let (metrics, registry) = registered();
    // Put a sample in every family (empty families are not rendered).
    let exhausted =
        "Helm upgrade failed: another operation (install/upgrade/rollback) is in progress";
    let mut obj = object(exhausted, "False");
    obj.kind = FluxKind::HelmRelease;
    let patterns = PatternSet::builtin();
    let mut decision = decide(Inputs {
        object: &obj,
        record: &RecoveryRecord::default(),
        config: &Config::default(),
        classifier: &patterns,
        budget: &DestructiveBudget::new(3, 3600),
        now: T0 + 600,
    });
    decision.health.exhausted = true;
    metrics.observe(&obj, &decision);
    let immutable = "Job/apps/migrate dry-run failed (Invalid): Job.batch \"migrate\" is invalid: spec.template: Invalid value: core.PodTemplateSpec{}: field is immutable";
    observe(
        &metrics,
        &mut RecoveryRecord::default(),
        &object(immutable, "False"),
        T0 + 400,
    );
    metrics.attempt("request_reconcile", "enforce");
    metrics.result("request_reconcile", "succeeded");
    metrics.skipped(
        "recreate_resource",
        unstuck_controller::decide::SkipReason::ProtectedKind,
    );
    metrics.escalation("HelmRelease", "p", "a");
    metrics.reconcile_error("Kustomization");
    metrics.set_leader(true);
    metrics.set_build_info("0.1.0", "dry-run");
    let text = render(&registry);
    let mut rendered: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .map(|l| {
            let mut parts = l.split_whitespace();
            let name = parts.next().unwrap();
            if parts.next() == Some("counter") {
                format!("{name}_total")
            } else {
                name.to_owned()
            }
        })
        .collect();
    rendered.sort();
    let mut exported: Vec<String> = EXPORTED.iter().map(|s| (*s).to_owned()).collect();
    exported.sort();
    assert_eq!(rendered, exported);
    let docs = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/controller.md"
    ))
    .unwrap();
    for name in EXPORTED {
        assert!(
            docs.contains(&format!("`{name}`")),
            "{name} is not documented in docs/controller.md"
        );
    }
}

#[tokio::test]
async fn endpoints() {
    let state = HttpState::new(Registry::default());
    let get = hyper::Method::GET;
    assert_eq!(respond(&state, &get, "/healthz").status(), 200);
    assert_eq!(respond(&state, &get, "/readyz").status(), 503);
    state.ready.store(true, Ordering::Relaxed);
    assert_eq!(respond(&state, &get, "/readyz").status(), 200);
    assert_eq!(respond(&state, &get, "/nope").status(), 404);
    let metrics = respond(&state, &get, "/metrics");
    assert_eq!(
        metrics.headers()["content-type"],
        unstuck_controller::http::OPENMETRICS
    );
    let body = metrics.into_body().collect().await.unwrap().to_bytes();
    assert!(body.ends_with(b"# EOF\n"));
}
