//! Messages classified per second with the built-in recovery patterns.
//!
//! Run: `cargo bench -p unstuck-benches --bench patterns`. Divan reports time per iteration and,
//! through the item counter, messages per second; each iteration classifies a whole corpus.

use divan::counter::ItemsCount;
use divan::{black_box, Bencher};
use recovery_patterns::{parse_target, PatternSet};

fn main() {
    divan::main();
}

/// Short messages as Flux puts them in status conditions: half failures, half progress/success.
const SHORT: &[&str] = &[
    "Reconciliation in progress",
    "Applied revision: main@sha1:4f1c2b7d9e0a1b2c3d4e5f60718293a4b5c6d7e8",
    "Helm upgrade succeeded for release podinfo/podinfo.v3 with chart podinfo@6.5.4",
    "Running health checks for revision main@sha1:4f1c2b7d with a timeout of 5m0s",
    "Health check passed in 2.031s",
    "Release reconciliation succeeded",
    "stored artifact for revision 'main@sha1:4f1c2b7d'",
    "Helm upgrade failed: another operation (install/upgrade/rollback) is in progress",
    "upgrade retries exhausted",
    "client rate limiter Wait returned an error: context deadline exceeded",
    "dependency 'flux-system/infra-controllers' is not ready",
    "Source artifact not found, retrying in 30s",
    r#"The Service "ingress-nginx-controller" is invalid: spec.clusterIP: Invalid value: "": field is immutable"#,
    "ConfigMap xxx is invalid: data: Forbidden: field is immutable when immutable is set",
];

/// Realistic long messages: Flux wrappers around API errors with Go struct dumps of several KB.
fn long_messages() -> Vec<String> {
    let template = "core.PodTemplateSpec{ObjectMeta:v1.ObjectMeta{Name:\"\", GenerateName:\"\", Namespace:\"\", Labels:map[string]string{\"app.kubernetes.io/name\":\"migrate\", \"batch.kubernetes.io/job-name\":\"migrate\"}, Annotations:map[string]string(nil)}, Spec:core.PodSpec{Volumes:[]core.Volume(nil), Containers:[]core.Container{core.Container{Name:\"migrate\", Image:\"ghcr.io/example/migrate:1.2.3\", Command:[]string{\"/migrate\"}, Args:[]string{\"--up\"}, Env:[]core.EnvVar{core.EnvVar{Name:\"DATABASE_URL\", Value:\"\", ValueFrom:(*core.EnvVarSource)(0xc00a1b2c3d)}}, Resources:core.ResourceRequirements{Limits:core.ResourceList(nil), Requests:core.ResourceList(nil)}}}, RestartPolicy:\"Never\"}}";
    let dump = template.repeat(8);
    vec![
        format!("Job/mcp-system/memory-mcp-migrate dry-run failed (Invalid): Job.batch \"memory-mcp-migrate\" is invalid: spec.template: Invalid value: {dump}: field is immutable"),
        format!("StatefulSet/data/postgres dry-run failed, reason: Invalid, error: StatefulSet.apps \"postgres\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden {dump}"),
        format!("Health check failed after 5m0.03s, timeout waiting for: [{}]", "Deployment/apps/web status: 'InProgress', ".repeat(60)),
        format!("kustomize build failed: {}", "accumulating resources: accumulation err='accumulating resources from '../base': missing Resource metadata', ".repeat(40)),
    ]
}

#[divan::bench]
fn compile_builtin() -> PatternSet {
    PatternSet::builtin()
}

#[divan::bench]
fn classify_short(bencher: Bencher<'_, '_>) {
    let patterns = PatternSet::builtin();
    bencher
        .counter(ItemsCount::new(SHORT.len()))
        .bench_local(|| {
            for message in SHORT {
                black_box(patterns.classify(black_box(message), Some("Kustomization")));
            }
        });
}

#[divan::bench]
fn classify_short_progress_only(bencher: Bencher<'_, '_>) {
    let patterns = PatternSet::builtin();
    let progress = &SHORT[..7];
    bencher
        .counter(ItemsCount::new(progress.len()))
        .bench_local(|| {
            for message in progress {
                black_box(patterns.classify(black_box(message), Some("Kustomization")));
            }
        });
}

#[divan::bench]
fn classify_short_failures_only(bencher: Bencher<'_, '_>) {
    let patterns = PatternSet::builtin();
    let failures = &SHORT[7..];
    bencher
        .counter(ItemsCount::new(failures.len()))
        .bench_local(|| {
            for message in failures {
                black_box(patterns.classify(black_box(message), Some("Kustomization")));
            }
        });
}

#[divan::bench]
fn classify_long(bencher: Bencher<'_, '_>) {
    let patterns = PatternSet::builtin();
    let messages = long_messages();
    let bytes: usize = messages.iter().map(String::len).sum();
    bencher
        .counter(ItemsCount::new(messages.len()))
        .counter(divan::counter::BytesCount::new(bytes))
        .bench_local(|| {
            for message in &messages {
                black_box(patterns.classify(black_box(message), Some("Kustomization")));
            }
        });
}

#[divan::bench]
fn parse_target_short(bencher: Bencher<'_, '_>) {
    bencher
        .counter(ItemsCount::new(SHORT.len()))
        .bench_local(|| {
            for message in SHORT {
                black_box(parse_target(black_box(message), Some("Kustomization")));
            }
        });
}
