//! The built-in patterns: the messages Flux, Helm and the API server really write.
//!
//! Each regex matches the *inner* message (the API server's or Helm's own words), so it keeps
//! working whatever wrapper Flux or Helm put around it across versions. Priorities put the
//! cause that decides the action ahead of the wrapper that merely reports it: an immutable field
//! inside `Helm upgrade failed: …` is a `recreate_resource`, not a rollback.

use crate::action::{Action, Severity};
use crate::config::{AdditionalConditions, PatternConfig, PatternEntry};

/// One built-in row: name, regex, action, severity, priority, max retries, description.
type Row = (
    &'static str,
    &'static str,
    Action,
    Severity,
    i32,
    u32,
    &'static str,
);

const NAMESPACE_TERMINATING: i32 = 50;
const HELM_LOCK: i32 = 45;
const IMMUTABLE: i32 = 40;
const RETRIES_EXHAUSTED: i32 = 35;
const DEPENDENCY_OR_SOURCE: i32 = 30;
const BROKEN_DESIRED_STATE: i32 = 25;
const TRANSIENT: i32 = 20;
const HELM_UPGRADE: i32 = 10;
const CATCH_ALL: i32 = 5;

fn rows() -> Vec<Row> {
    use Action::{
        FixInGit, NamespaceTerminating, RecreateResource, RequestReconcile, ResetHelmRelease,
        RetrySource, RollbackHelmRelease, UnlockHelmRelease, WaitForDependencies,
    };
    use Severity::{Critical, High, Low, Medium};
    vec![
        (
            "namespace-terminating",
            r"because it is being terminated|NamespaceTerminating",
            NamespaceTerminating, High, NAMESPACE_TERMINATING, 0,
            "The target namespace is being deleted; nothing can be created in it until it is gone.",
        ),
        (
            "helm-operation-in-progress",
            r"another operation \([a-z/]+\) is in progress",
            UnlockHelmRelease, Medium, HELM_LOCK, 2,
            "A previous Helm operation left the release locked.",
        ),
        (
            "helm-release-pending",
            r"pending-(?:install|upgrade|rollback)",
            UnlockHelmRelease, Medium, HELM_LOCK, 2,
            "The Helm release is stuck in a pending state.",
        ),
        (
            "field-immutable",
            r"field is immutable",
            RecreateResource, High, IMMUTABLE, 1,
            "The API server refused to change an immutable field (ValidateImmutableField).",
        ),
        (
            "immutable-after-creation",
            r"is immutable after creation",
            RecreateResource, High, IMMUTABLE, 1,
            "PersistentVolumeClaim or PersistentVolume spec changed after creation.",
        ),
        (
            "statefulset-spec-forbidden",
            r"updates to statefulset spec for fields other than .* are forbidden",
            RecreateResource, High, IMMUTABLE, 1,
            "A StatefulSet field outside the mutable allow-list changed (the list varies by Kubernetes version).",
        ),
        (
            "pod-spec-forbidden",
            r"pod updates may not (?:change fields other than|add or remove containers)",
            RecreateResource, High, IMMUTABLE, 1,
            "A Pod's spec changed outside the few mutable fields.",
        ),
        (
            "field-may-not-change",
            r"may not change once set|primary (?:clusterIP|ipFamily) can not be unset|cannot change roleRef|may not be changed in an update",
            RecreateResource, High, IMMUTABLE, 1,
            "A set-once field changed (Service clusterIP/ipFamilies/loadBalancerClass, RBAC roleRef, PriorityClass value).",
        ),
        (
            "updates-forbidden",
            r"updates to (?:parameters|provisioner|reclaimPolicy|driverName|poddisruptionbudget spec) are forbidden",
            RecreateResource, High, IMMUTABLE, 1,
            "A StorageClass, VolumeAttributesClass or old PodDisruptionBudget field cannot be updated.",
        ),
        (
            "immutable-webhook-or-cel",
            r"(?i)is\s+immutable|immutable\s+field",
            RecreateResource, High, IMMUTABLE, 1,
            "A webhook or CEL validation rule declared the field immutable.",
        ),
        (
            "helm-retries-exhausted",
            r"(?:install|upgrade) retries exhausted|Failed to (?:install|upgrade) after [0-9]+ attempt\(s\)|exceeded maximum retries: cannot (?:install|upgrade) release",
            ResetHelmRelease, Critical, RETRIES_EXHAUSTED, 1,
            "helm-controller gave up after its install/upgrade retries.",
        ),
        (
            "helm-remediation-failed",
            r"Failed to perform remediation|has no deployed releases",
            ResetHelmRelease, Critical, RETRIES_EXHAUSTED, 1,
            "helm-controller could not remediate (no rollback target, or no deployed release to upgrade).",
        ),
        (
            "dependency-not-ready",
            r"dependency '[^']*' (?:is not ready|not found)",
            WaitForDependencies, Low, DEPENDENCY_OR_SOURCE, 0,
            "A dependsOn entry is not ready yet.",
        ),
        (
            "crd-not-installed",
            r#"no matches for kind "[^"]*" in (?:version|group)"#,
            WaitForDependencies, Medium, DEPENDENCY_OR_SOURCE, 0,
            "The CustomResourceDefinition is not installed yet; if it persists, add a dependsOn on whatever installs it.",
        ),
        (
            "source-not-found",
            r"Source '[^']*' not found",
            RetrySource, Medium, DEPENDENCY_OR_SOURCE, 3,
            "The Kustomization's sourceRef does not exist (yet).",
        ),
        (
            "artifact-not-found",
            r"artifact not found|no artifact available|failed to (?:download|fetch) artifact",
            RetrySource, Medium, DEPENDENCY_OR_SOURCE, 3,
            "The source has no artifact, or it could not be fetched.",
        ),
        (
            "source-not-ready",
            r"(?:HelmChart|GitRepository|OCIRepository|Bucket|HelmRepository|ExternalArtifact) '[^']*' is not ready|could not get Source object",
            RetrySource, Medium, DEPENDENCY_OR_SOURCE, 3,
            "The source object behind the release is not ready.",
        ),
        (
            "source-fetch-failed",
            r"failed to checkout and determine revision|unable to clone|failed to fetch Helm repository index|chart pull error|failed to download chart",
            RetrySource, Medium, DEPENDENCY_OR_SOURCE, 3,
            "Fetching from git, an OCI registry or a Helm repository failed.",
        ),
        (
            "kustomize-build-failed",
            r"kustomize build failed",
            FixInGit, High, BROKEN_DESIRED_STATE, 0,
            "kustomize could not build the path; the repository content is broken.",
        ),
        (
            "kustomization-path-not-found",
            r"kustomization path not found",
            FixInGit, High, BROKEN_DESIRED_STATE, 0,
            "spec.path does not exist in the source revision.",
        ),
        (
            "schema-violation",
            r#"field not declared in schema|strict decoding error|unknown field "[^"]*""#,
            FixInGit, High, BROKEN_DESIRED_STATE, 0,
            "A manifest sets a field the schema does not have.",
        ),
        (
            "invalid-manifest",
            r"error converting YAML to JSON|YAML parse error|did not find expected key|mapping values are not allowed in this context|json: cannot unmarshal",
            FixInGit, High, BROKEN_DESIRED_STATE, 0,
            "A manifest is not valid YAML/JSON for its type.",
        ),
        (
            "helm-template-failed",
            r"execution error at \(|template: [^\s:]+:[0-9]+:[0-9]+: executing",
            FixInGit, High, BROKEN_DESIRED_STATE, 0,
            "The chart failed to render with these values.",
        ),
        (
            "substitution-failed",
            r"(?:var|variable) substitution failed",
            FixInGit, High, BROKEN_DESIRED_STATE, 0,
            "Flux post-build variable substitution failed.",
        ),
        (
            "circular-dependency",
            r"circular dependency",
            FixInGit, High, BROKEN_DESIRED_STATE, 0,
            "dependsOn entries form a cycle.",
        ),
        (
            "context-deadline-exceeded",
            r"context deadline exceeded",
            RequestReconcile, Medium, TRANSIENT, 3,
            "An operation timed out.",
        ),
        (
            "client-rate-limiter",
            r"client rate limiter Wait returned an error",
            RequestReconcile, Medium, TRANSIENT, 3,
            "The controller's own client-side rate limiter gave up waiting.",
        ),
        (
            "rate-limited",
            r"(?i:too many requests)|rate limit exceeded",
            RequestReconcile, Medium, TRANSIENT, 3,
            "Server-side rate limiting (HTTP 429).",
        ),
        (
            "health-check-timeout",
            r"Health check failed after|timeout waiting for: \[",
            RequestReconcile, Medium, TRANSIENT, 3,
            "Applied objects did not become healthy within the timeout.",
        ),
        (
            "timed-out-waiting",
            r"timed out waiting for the condition",
            RequestReconcile, Medium, TRANSIENT, 3,
            "Helm or kubectl waited for readiness and gave up.",
        ),
        (
            "api-unavailable",
            r"i/o timeout|TLS handshake timeout|connection reset by peer|connection refused|no such host|the server is currently unable to handle the request|etcdserver: request timed out|http2: client connection lost",
            RequestReconcile, Medium, TRANSIENT, 3,
            "A network or API-server hiccup.",
        ),
        (
            "helm-upgrade-failed",
            r#"Helm upgrade failed|UPGRADE FAILED|Upgrade "[^"]*" failed"#,
            RollbackHelmRelease, High, HELM_UPGRADE, 1,
            "A Helm upgrade failed for a reason no more specific pattern recognised.",
        ),
        (
            "object-invalid",
            r" is invalid: ",
            FixInGit, High, CATCH_ALL, 0,
            "The API server rejected an object as invalid (not an immutable-field change).",
        ),
        (
            "admission-denied",
            r#"admission webhook "[^"]*" denied the request|violates PodSecurity|ValidatingAdmissionPolicy '[^']*' with binding '[^']*' denied request"#,
            FixInGit, High, CATCH_ALL, 0,
            "An admission policy rejected the object.",
        ),
    ]
}

/// The built-in patterns as a configuration document (what `PatternSet::builtin` compiles).
pub(crate) fn config() -> PatternConfig {
    let patterns = rows()
        .into_iter()
        .map(
            |(name, regex, action, severity, priority, max_retries, description)| PatternEntry {
                name: name.to_owned(),
                error_pattern: regex.to_owned(),
                recovery_action: action,
                max_retries: Some(max_retries),
                applies_to: Vec::new(),
                cleanup_dependencies: false,
                severity,
                description: Some(description.to_owned()),
                validation_required: false,
                priority: Some(priority),
                additional_conditions: None::<AdditionalConditions>,
            },
        )
        .collect();
    PatternConfig {
        patterns,
        ..PatternConfig::default()
    }
}
