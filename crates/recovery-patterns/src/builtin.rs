//! The built-in patterns: the messages Flux, Helm and the API server really write.
//!
//! Every pattern is either a **cause** (what the API server, Helm, a registry or SOPS said went
//! wrong) or a **wrapper** (a controller saying which step failed: `Helm upgrade failed for
//! release …: <cause>`, `HelmChart 'ns/name' is not ready: <cause>`, `kustomize build failed:
//! <cause>`). Every cause ranks above every wrapper, so when both match, the cause inside decides
//! the action; a wrapper decides only when nothing inside it is recognised. Among wrappers, the
//! inner ones (post-render, decryption, values references, chart references) rank above the outer
//! ones (the Helm action, the source readiness), because they sit closer to the cause.
//!
//! The audit these rows come from, with the upstream file and function of every format string,
//! is `docs/recovery-patterns.md`.

use crate::action::{Action, Severity};
use crate::config::{AdditionalConditions, PatternConfig, PatternEntry};

/// Whether a pattern names a cause or only the step that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// What went wrong: decides the action whatever wraps it.
    Cause,
    /// Which step failed: decides only when no cause inside it is recognised.
    Wrapper,
}

/// One built-in pattern.
pub(crate) struct Row {
    pub(crate) name: &'static str,
    // Read by the ranking test only: the priorities are what the matcher uses.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) role: Role,
    pub(crate) regex: &'static str,
    pub(crate) action: Action,
    pub(crate) severity: Severity,
    pub(crate) priority: i32,
    pub(crate) max_retries: u32,
    pub(crate) description: &'static str,
}

// Causes, most decisive first.
const NAMESPACE_TERMINATING: i32 = 50;
const HELM_LOCK: i32 = 45;
const IMMUTABLE: i32 = 40;
const RETRIES_EXHAUSTED: i32 = 35;
/// The desired state names a version, ref or credential that does not work: retrying the source
/// cannot help, so these rank above the source-retry causes they often travel with.
const WRONG_REFERENCE: i32 = 32;
const DEPENDENCY_OR_SOURCE: i32 = 30;
const BROKEN_DESIRED_STATE: i32 = 25;
const TRANSIENT: i32 = 20;
/// Rejections that name no more specific cause (`… is invalid: …`, an admission denial).
const GENERIC_REJECTION: i32 = 15;
// Wrappers, below every cause.
pub(crate) const INNER_WRAPPER: i32 = 10;
pub(crate) const OUTER_WRAPPER: i32 = 5;

#[allow(clippy::too_many_arguments)] // one call per table row reads best flat
const fn row(
    name: &'static str,
    role: Role,
    regex: &'static str,
    action: Action,
    severity: Severity,
    priority: i32,
    max_retries: u32,
    description: &'static str,
) -> Row {
    Row {
        name,
        role,
        regex,
        action,
        severity,
        priority,
        max_retries,
        description,
    }
}

#[allow(clippy::too_many_lines)] // the table itself
pub(crate) fn rows() -> Vec<Row> {
    use Action::{
        FixInGit, NamespaceTerminating, RecreateResource, RequestReconcile, ResetHelmRelease,
        RetrySource, RollbackHelmRelease, UnlockHelmRelease, WaitForDependencies,
    };
    use Role::{Cause, Wrapper};
    use Severity::{Critical, High, Low, Medium};
    vec![
        row(
            "namespace-terminating", Cause,
            r"because it is being terminated|NamespaceTerminating",
            NamespaceTerminating, High, NAMESPACE_TERMINATING, 0,
            "The target namespace is being deleted; nothing can be created in it until it is gone.",
        ),
        row(
            "helm-operation-in-progress", Cause,
            r"another operation \([a-z/]+\) is in progress",
            UnlockHelmRelease, Medium, HELM_LOCK, 2,
            "A previous Helm operation left the release locked.",
        ),
        row(
            "helm-release-pending", Cause,
            r"pending-(?:install|upgrade|rollback)",
            UnlockHelmRelease, Medium, HELM_LOCK, 2,
            "The Helm release is stuck in a pending state.",
        ),
        row(
            "field-immutable", Cause,
            r"field is immutable",
            RecreateResource, High, IMMUTABLE, 1,
            "The API server refused to change an immutable field (ValidateImmutableField).",
        ),
        row(
            "immutable-after-creation", Cause,
            r"is immutable after creation",
            RecreateResource, High, IMMUTABLE, 1,
            "PersistentVolumeClaim or PersistentVolume spec changed after creation.",
        ),
        row(
            "statefulset-spec-forbidden", Cause,
            r"updates to statefulset spec for fields other than .* are forbidden",
            RecreateResource, High, IMMUTABLE, 1,
            "A StatefulSet field outside the mutable allow-list changed (the list varies by Kubernetes version).",
        ),
        row(
            "pod-spec-forbidden", Cause,
            r"pod updates may not (?:change fields other than|add or remove containers)",
            RecreateResource, High, IMMUTABLE, 1,
            "A Pod's spec changed outside the few mutable fields.",
        ),
        row(
            "field-may-not-change", Cause,
            r"may not change once set|primary (?:clusterIP|ipFamily) can not be unset|cannot change roleRef|may not be changed in an update",
            RecreateResource, High, IMMUTABLE, 1,
            "A set-once field changed (Service clusterIP/ipFamilies/loadBalancerClass, RBAC roleRef, PriorityClass value).",
        ),
        row(
            "updates-forbidden", Cause,
            r"updates to (?:parameters|provisioner|reclaimPolicy|driverName|poddisruptionbudget spec) are forbidden",
            RecreateResource, High, IMMUTABLE, 1,
            "A StorageClass, VolumeAttributesClass or old PodDisruptionBudget field cannot be updated.",
        ),
        row(
            "immutable-webhook-or-cel", Cause,
            r"(?i)is\s+immutable|immutable\s+field",
            RecreateResource, High, IMMUTABLE, 1,
            "A webhook or CEL validation rule declared the field immutable (also Flux's own `immutable field detected`).",
        ),
        row(
            "helm-retries-exhausted", Cause,
            r"(?:install|upgrade) retries exhausted|Failed to (?:install|upgrade) after [0-9]+ attempt\(s\)|exceeded maximum retries: cannot (?:install|upgrade) release",
            ResetHelmRelease, Critical, RETRIES_EXHAUSTED, 1,
            "helm-controller gave up after its install/upgrade retries.",
        ),
        row(
            "helm-remediation-failed", Cause,
            r"Failed to perform remediation|has no deployed releases",
            ResetHelmRelease, Critical, RETRIES_EXHAUSTED, 1,
            "helm-controller could not remediate (no rollback target, or no deployed release to upgrade).",
        ),
        row(
            "source-ref-not-found", Cause,
            r"no '[^']*' chart with version matching '[^']*' found|MANIFEST_UNKNOWN|couldn't find remote ref",
            FixInGit, High, WRONG_REFERENCE, 0,
            "The chart version, OCI tag or git ref the spec asks for does not exist; fix the version or ref in git.",
        ),
        row(
            "source-auth-failed", Cause,
            r"authentication required|401 Unauthorized|403 Forbidden|unauthorized: |failed to get secret '[^']*'|failed to configure authentication options|SSH identity key is encrypted|ssh: handshake failed|unable to authenticate|knownhosts: key mismatch|Permission denied \(publickey|failed to login to OCI registry|github app data",
            FixInGit, High, WRONG_REFERENCE, 0,
            "The source's credentials are missing or refused; retrying will not help until the secret is fixed.",
        ),
        row(
            "source-access-denied", Cause,
            r"can't access '[^']*', (?:cross-namespace references have been blocked|[A-Za-z]+ feature gate is disabled)",
            FixInGit, High, WRONG_REFERENCE, 0,
            "The controller's access rules forbid this source reference (cross-namespace references blocked).",
        ),
        row(
            "dependency-not-ready", Cause,
            r"dependency '[^']*' (?:is not ready|not found|revision is not up to date)|unable to get '[^']*' dependency",
            WaitForDependencies, Low, DEPENDENCY_OR_SOURCE, 0,
            "A dependsOn entry is not ready (or not at this revision) yet.",
        ),
        row(
            "crd-not-installed", Cause,
            r#"no matches for kind "[^"]*" in (?:version|group)"#,
            WaitForDependencies, Medium, DEPENDENCY_OR_SOURCE, 0,
            "The CustomResourceDefinition is not installed yet; if it persists, add a dependsOn on whatever installs it.",
        ),
        row(
            "namespace-not-found", Cause,
            r#"namespaces "[^"]*" not found"#,
            WaitForDependencies, Medium, DEPENDENCY_OR_SOURCE, 0,
            "The target namespace does not exist; add it to this Kustomization or dependsOn the one that creates it.",
        ),
        row(
            "referenced-object-missing", Cause,
            r#"substitute from '[^']*' error: [a-z]+ "[^"]*" not found|chart values reference '[^']*'(?: with key '[^']*')?: (?:resource not found|[a-z]+ "[^"]*" not found)|error looking up service account [^:]+: serviceaccount "[^"]*" not found"#,
            WaitForDependencies, Medium, DEPENDENCY_OR_SOURCE, 0,
            "A ConfigMap, Secret or ServiceAccount the spec refers to does not exist (yet); create it or dependsOn what creates it.",
        ),
        row(
            "source-not-found", Cause,
            r#"Source '[^']*' not found|[A-Za-z]+\.source\.toolkit\.fluxcd\.io "[^"]*" not found"#,
            RetrySource, Medium, DEPENDENCY_OR_SOURCE, 3,
            "The sourceRef does not exist (yet).",
        ),
        row(
            "artifact-not-found", Cause,
            r"artifact not found|no artifact available|does not have an artifact|failed to (?:download|fetch) (?:artifact|archive)",
            RetrySource, Medium, DEPENDENCY_OR_SOURCE, 3,
            "The source has no artifact, or it could not be fetched.",
        ),
        row(
            "artifact-corrupt", Cause,
            r"computed (?:digest|checksum)|failed to verify (?:archive|artifact)|failed to extract archive|bytes greater than the max download size|failed to parse digest",
            RetrySource, Medium, DEPENDENCY_OR_SOURCE, 3,
            "The downloaded artifact does not match its digest or is too large; reconcile the source to rebuild it.",
        ),
        row(
            "source-fetch-failed", Cause,
            r"failed to checkout and determine revision|unable to clone|failed to fetch Helm repository index|could not load repository index|chart pull error|failed to download chart|failed to get chart version for remote reference|failed to determine artifact digest|failed to pull artifact",
            RetrySource, Medium, DEPENDENCY_OR_SOURCE, 3,
            "Fetching from git, an OCI registry or a Helm repository failed.",
        ),
        row(
            "source-storage-failed", Cause,
            r"unable to archive artifact to storage|failed to create artifact directory|failed to acquire lock for artifact|failed to stat target artifact path",
            RetrySource, Medium, DEPENDENCY_OR_SOURCE, 3,
            "source-controller could not write the artifact to its storage.",
        ),
        row(
            "kustomization-path-not-found", Cause,
            r"kustomization path not found",
            FixInGit, High, BROKEN_DESIRED_STATE, 0,
            "spec.path does not exist in the source revision.",
        ),
        row(
            "schema-violation", Cause,
            r#"field not declared in schema|strict decoding error|unknown field "[^"]*"|values don't meet the specifications of the schema"#,
            FixInGit, High, BROKEN_DESIRED_STATE, 0,
            "A manifest or the chart values set a field the schema does not have.",
        ),
        row(
            "invalid-manifest", Cause,
            r"error converting YAML to JSON|YAML parse error|did not find expected key|mapping values are not allowed in this context|json: cannot unmarshal|failed to decode Kubernetes apiVersion, kind and name|error validating data: ",
            FixInGit, High, BROKEN_DESIRED_STATE, 0,
            "A manifest is not valid YAML/JSON for its type.",
        ),
        row(
            "namespace-not-specified", Cause,
            r"namespace not specified",
            FixInGit, High, BROKEN_DESIRED_STATE, 0,
            "A namespaced object has no namespace and the Kustomization sets no targetNamespace.",
        ),
        row(
            "helm-template-failed", Cause,
            r"execution error at \(|template: [^\s:]+:[0-9]+:[0-9]+: executing|parse error at \(",
            FixInGit, High, BROKEN_DESIRED_STATE, 0,
            "The chart failed to render with these values.",
        ),
        row(
            "substitution-failed", Cause,
            r"(?:var|variable) substitution failed|var name is invalid",
            FixInGit, High, BROKEN_DESIRED_STATE, 0,
            "Flux post-build variable substitution failed.",
        ),
        row(
            "circular-dependency", Cause,
            r"circular dependency",
            FixInGit, High, BROKEN_DESIRED_STATE, 0,
            "dependsOn entries form a cycle.",
        ),
        row(
            "sops-decryption-failed", Cause,
            r"cannot get sops data key|Failed to get the data key required to decrypt the SOPS file|error decrypting sops tree|failed to verify sops data integrity|failed to load encrypted [A-Za-z]+ data|failed to emit encrypted [A-Za-z]+ file|is SOPS encrypted, configuring decryption is required|data from [A-Za-z]+ decryption Secret|decryption secret error",
            FixInGit, High, BROKEN_DESIRED_STATE, 0,
            "SOPS could not decrypt: the decryption key Secret does not hold a key the file was encrypted for.",
        ),
        row(
            "helm-ownership-conflict", Cause,
            r#"(?P<kind>[A-Z][A-Za-z0-9]*) "(?P<name>[^"]+)" in namespace "(?P<namespace>[^"]*)" exists and cannot be imported into the current release|exists and cannot be imported into the current release|invalid ownership metadata|rendered manifests contain a resource that already exists"#,
            FixInGit, High, BROKEN_DESIRED_STATE, 0,
            "An object the chart renders already exists and belongs to something else: adopt it (Helm's managed-by label and release annotations) or remove the duplicate from git.",
        ),
        row(
            "rbac-forbidden", Cause,
            r#"cannot (?:get|list|watch|create|update|patch|delete|deletecollection|impersonate|escalate|bind) resource "[^"]*""#,
            FixInGit, High, BROKEN_DESIRED_STATE, 0,
            "The service account Flux applies as lacks an RBAC permission.",
        ),
        row(
            "quota-exceeded", Cause,
            r"exceeded quota: ",
            FixInGit, Medium, BROKEN_DESIRED_STATE, 0,
            "A ResourceQuota refused the object; lower its requests or raise the quota.",
        ),
        row(
            "health-check-failed-early", Cause,
            r"failed early due to stalled resources",
            FixInGit, High, BROKEN_DESIRED_STATE, 0,
            "An applied object reached a Failed status (fail-fast health check): look at that workload, waiting will not help.",
        ),
        row(
            "certificate-untrusted", Cause,
            r"x509: certificate",
            FixInGit, High, WRONG_REFERENCE, 0,
            "A TLS certificate was not trusted (a source's CA, or a webhook's caBundle).",
        ),
        row(
            "feature-gate-disabled", Cause,
            r"please enable the [A-Za-z]+ feature gate",
            FixInGit, High, BROKEN_DESIRED_STATE, 0,
            "The spec uses a field the controller only accepts with a feature gate turned on.",
        ),
        row(
            "context-deadline-exceeded", Cause,
            r"context deadline exceeded",
            RequestReconcile, Medium, TRANSIENT, 3,
            "An operation timed out.",
        ),
        row(
            "client-rate-limiter", Cause,
            r"client rate limiter Wait returned an error",
            RequestReconcile, Medium, TRANSIENT, 3,
            "The controller's own client-side rate limiter gave up waiting.",
        ),
        row(
            "rate-limited", Cause,
            r"(?i:too many requests)|rate limit exceeded",
            RequestReconcile, Medium, TRANSIENT, 3,
            "Server-side rate limiting (HTTP 429).",
        ),
        row(
            "health-check-timeout", Cause,
            r"[Hh]ealth check failed after|timeout waiting for: \[",
            RequestReconcile, Medium, TRANSIENT, 3,
            "Applied objects did not become healthy within the timeout.",
        ),
        row(
            "timed-out-waiting", Cause,
            r"timed out waiting for the condition",
            RequestReconcile, Medium, TRANSIENT, 3,
            "Helm or kubectl waited for readiness and gave up.",
        ),
        row(
            "api-conflict", Cause,
            r"the object has been modified; please apply your changes|Operation cannot be fulfilled on ",
            RequestReconcile, Medium, TRANSIENT, 3,
            "Another writer changed the object between read and write (HTTP 409): the next attempt reads it again.",
        ),
        row(
            "webhook-unavailable", Cause,
            r#"failed calling webhook "[^"]*"|no endpoints available for service"#,
            RequestReconcile, Medium, TRANSIENT, 3,
            "An admission or conversion webhook could not be reached (its pods are not ready yet).",
        ),
        row(
            "api-unavailable", Cause,
            r"i/o timeout|TLS handshake timeout|connection reset by peer|connection refused|no such host|the server is currently unable to handle the request|the server was unable to return a response in the time allotted|etcdserver: (?:request timed out|leader changed)|http2: client connection lost",
            RequestReconcile, Medium, TRANSIENT, 3,
            "A network or API-server hiccup.",
        ),
        row(
            "object-invalid", Cause,
            r" is invalid: ",
            FixInGit, High, GENERIC_REJECTION, 0,
            "The API server rejected an object as invalid (not an immutable-field change).",
        ),
        row(
            "admission-denied", Cause,
            r#"admission webhook "[^"]*" denied the request|violates PodSecurity|ValidatingAdmissionPolicy '[^']*' with binding '[^']*' denied request"#,
            FixInGit, High, GENERIC_REJECTION, 0,
            "An admission policy rejected the object.",
        ),
        row(
            "kustomize-build-failed", Wrapper,
            r"kustomize build failed",
            FixInGit, High, INNER_WRAPPER, 0,
            "kustomize could not build the path; the repository content is broken.",
        ),
        row(
            "post-build-failed", Wrapper,
            r"post build failed for '[^']*'",
            FixInGit, High, INNER_WRAPPER, 0,
            "Flux's post-build step (variable substitution) failed for an object.",
        ),
        row(
            "decryption-failed", Wrapper,
            r"decryption failed for '[^']*'|error decrypting sources|failed to decrypt and format '[^']*'|failed to unmarshal decrypted '[^']*'",
            FixInGit, High, INNER_WRAPPER, 0,
            "SOPS decryption of a manifest failed.",
        ),
        row(
            "values-reference-unresolved", Wrapper,
            r"could not resolve (?:optional )?(?:[A-Za-z]+ )?chart values reference",
            FixInGit, High, INNER_WRAPPER, 0,
            "A valuesFrom reference cannot be read (missing key, unreadable YAML, bad targetPath).",
        ),
        row(
            "post-render-failed", Wrapper,
            r"error while running post render on files",
            FixInGit, High, INNER_WRAPPER, 0,
            "The HelmRelease's postRenderers (kustomize patches) failed on the rendered chart.",
        ),
        row(
            "chart-spec-invalid", Wrapper,
            r"invalid chart reference|values files merge error|chart metadata patch error",
            FixInGit, High, INNER_WRAPPER, 0,
            "source-controller stalls on the chart spec: the chart reference, its valuesFiles or its version metadata.",
        ),
        row(
            "source-not-ready", Wrapper,
            r"(?:HelmChart|GitRepository|OCIRepository|Bucket|HelmRepository|ExternalArtifact) '[^']*' is not ready|could not get Source object|Source (?:is )?not ready",
            RetrySource, Medium, OUTER_WRAPPER, 3,
            "The source object behind the release is not ready.",
        ),
        row(
            "helm-upgrade-failed", Wrapper,
            r#"Helm upgrade failed|UPGRADE FAILED|Upgrade "[^"]*" failed|Upgrade of release \S+ with chart \S+ failed"#,
            RollbackHelmRelease, High, OUTER_WRAPPER, 1,
            "A Helm upgrade failed for a reason no cause pattern recognised.",
        ),
        row(
            "helm-rollback-failed", Wrapper,
            r"(?:Helm rollback|Rollback) to previous release \S+ with chart \S+ failed",
            ResetHelmRelease, Critical, OUTER_WRAPPER, 1,
            "helm-controller's rollback remediation failed; it counts towards the retries that stall the release.",
        ),
    ]
}

/// The built-in patterns as a configuration document (what `PatternSet::builtin` compiles).
pub(crate) fn config() -> PatternConfig {
    let patterns = rows()
        .into_iter()
        .map(|row| PatternEntry {
            name: row.name.to_owned(),
            error_pattern: row.regex.to_owned(),
            recovery_action: row.action,
            max_retries: Some(row.max_retries),
            applies_to: Vec::new(),
            cleanup_dependencies: false,
            severity: row.severity,
            description: Some(row.description.to_owned()),
            validation_required: false,
            priority: Some(row.priority),
            additional_conditions: None::<AdditionalConditions>,
        })
        .collect();
    PatternConfig {
        patterns,
        ..PatternConfig::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cause_outranks_every_wrapper() {
        let rows = rows();
        let lowest_cause = rows
            .iter()
            .filter(|row| row.role == Role::Cause)
            .map(|row| row.priority)
            .min()
            .unwrap();
        for wrapper in rows.iter().filter(|row| row.role == Role::Wrapper) {
            assert!(
                wrapper.priority < lowest_cause,
                "wrapper {} (priority {}) must rank below every cause ({lowest_cause})",
                wrapper.name,
                wrapper.priority
            );
            assert!(
                [INNER_WRAPPER, OUTER_WRAPPER].contains(&wrapper.priority),
                "{}",
                wrapper.name
            );
        }
    }

    #[test]
    fn names_are_unique_and_descriptions_end_with_a_full_stop() {
        let rows = rows();
        let mut names: Vec<&str> = rows.iter().map(|row| row.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), rows.len());
        for row in &rows {
            assert!(row.description.ends_with('.'), "{}", row.name);
        }
    }
}
