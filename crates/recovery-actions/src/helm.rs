//! Helm releases locked in a `pending-*` state.
//!
//! Helm stores each revision of a release as a Secret `sh.helm.release.v1.<release>.v<revision>`
//! of type `helm.sh/release.v1`, labelled `owner=helm`, `name=<release>`, `version=<revision>` and
//! `status=<status>` (`pkg/storage/driver/secrets.go`). Before acting, Helm looks at the latest
//! revision: while it is `pending-install`, `pending-upgrade` or `pending-rollback`, every new
//! action fails with "another operation (install/upgrade/rollback) is in progress". When the
//! process that wrote it died, nothing will ever finish that revision: the release is locked.
//!
//! Unlocking backs up the pending revision, deletes exactly that Secret (uid precondition), so the
//! previous revision is again the latest, and asks the HelmRelease for a forced reconcile
//! (`requestedAt` + `forceAt`), so helm-controller runs the upgrade again from there.

use serde::Serialize;
use serde_json::{json, Value};

use crate::actions::request_annotations;
use crate::flux::{FluxKind, REQUESTED_AT};
use crate::object::text;
use crate::plan::{Backup, Decision, Plan, Refusal};
use crate::request::{resource_path, ApiRequest, Verb};

/// The statuses that lock a release.
pub const PENDING_STATUSES: [&str; 3] = ["pending-install", "pending-upgrade", "pending-rollback"];

/// The latest revision of one Helm release, read from its storage Secret's labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseHead {
    /// Namespace of the storage Secret.
    pub namespace: String,
    /// Release name.
    pub release: String,
    /// Revision number.
    pub revision: u64,
    /// Helm status (`deployed`, `pending-upgrade`, ...).
    pub status: String,
    /// The storage Secret's name.
    pub secret: String,
}

impl ReleaseHead {
    /// Whether the release is locked by a pending revision.
    pub fn is_locked(&self) -> bool {
        PENDING_STATUSES.contains(&self.status.as_str())
    }
}

fn revision_of(secret: &Value) -> Option<ReleaseHead> {
    if text(secret, "/metadata/labels/owner") != Some("helm") {
        return None;
    }
    Some(ReleaseHead {
        namespace: text(secret, "/metadata/namespace")?.to_owned(),
        release: text(secret, "/metadata/labels/name")?.to_owned(),
        revision: text(secret, "/metadata/labels/version")?.parse().ok()?,
        status: text(secret, "/metadata/labels/status")?.to_owned(),
        secret: text(secret, "/metadata/name")?.to_owned(),
    })
}

/// The latest revision of every release among `secrets` (any Secrets; those not written by Helm
/// are ignored), sorted by namespace and release.
///
/// ```
/// use recovery_actions::helm::release_heads;
/// let secret = |v: u64, status: &str| serde_json::json!({"metadata": {
///     "name": format!("sh.helm.release.v1.web.v{v}"), "namespace": "apps",
///     "labels": {"owner": "helm", "name": "web", "version": v.to_string(), "status": status}}});
/// let heads = release_heads(&[secret(1, "superseded"), secret(2, "pending-upgrade")]);
/// assert_eq!(heads.len(), 1);
/// assert!(heads[0].is_locked());
/// assert_eq!(heads[0].secret, "sh.helm.release.v1.web.v2");
/// ```
pub fn release_heads(secrets: &[Value]) -> Vec<ReleaseHead> {
    let mut heads: std::collections::BTreeMap<(String, String), ReleaseHead> =
        std::collections::BTreeMap::new();
    for head in secrets.iter().filter_map(revision_of) {
        let key = (head.namespace.clone(), head.release.clone());
        match heads.get(&key) {
            Some(existing) if existing.revision >= head.revision => {}
            _ => {
                heads.insert(key, head);
            }
        }
    }
    heads.into_values().collect()
}

/// The HelmRelease that manages Helm release `release` stored in `namespace`: the one whose
/// `status.storageNamespace`/`spec.storageNamespace` (default: its own namespace) is `namespace`
/// and whose release name (the latest `status.history` entry's, else `spec.releaseName`, default `[<targetNamespace>-]<name>`, as
/// helm-controller's `release.ShortenName` builds it for short names) is `release`.
pub fn helm_release_for<'a>(
    namespace: &str,
    release: &str,
    helm_releases: &'a [Value],
) -> Option<&'a Value> {
    helm_releases.iter().find(|hr| {
        let own_ns = text(hr, "/metadata/namespace").unwrap_or("default");
        let storage = text(hr, "/status/storageNamespace")
            .or_else(|| text(hr, "/spec/storageNamespace"))
            .unwrap_or(own_ns);
        let name = text(hr, "/metadata/name").unwrap_or_default();
        let default_name = match text(hr, "/spec/targetNamespace") {
            Some(target) => format!("{target}-{name}"),
            None => name.to_owned(),
        };
        let release_name = text(hr, "/status/history/0/name")
            .or_else(|| text(hr, "/spec/releaseName"))
            .map_or(default_name, str::to_owned);
        storage == namespace && release_name == release
    })
}

/// `helm-unlock`: `secrets` are the release's storage Secrets in `namespace` (as listed),
/// `helm_release` the HelmRelease managing it if any, `token` the request annotation value.
pub fn unlock(
    namespace: &str,
    release: &str,
    secrets: &[Value],
    helm_release: Option<&Value>,
    token: &str,
) -> Decision {
    let head = release_heads(secrets)
        .into_iter()
        .find(|h| h.namespace == namespace && h.release == release);
    let Some(head) = head else {
        return Decision::NothingToDo(format!(
            "no Helm release {release} is stored in namespace {namespace}"
        ));
    };
    if !head.is_locked() {
        return Decision::Refused(Refusal::NotLocked {
            namespace: head.namespace,
            release: head.release,
            revision: head.revision,
            status: head.status,
        });
    }
    let live = secrets
        .iter()
        .find(|s| text(s, "/metadata/name") == Some(head.secret.as_str()))
        .expect("the head was read from these secrets");
    let secret_resource =
        kube::api::ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk("", "v1", "Secret"));
    let mut requests = vec![ApiRequest::new(
        Verb::Delete,
        resource_path(&secret_resource, Some(namespace), Some(&head.secret), None),
        Some(json!({"preconditions": {"uid": text(live, "/metadata/uid")}})),
    )];
    if let Some(hr) = helm_release {
        let annotations = request_annotations(
            FluxKind::HelmRelease,
            &recovery_patterns::Action::UnlockHelmRelease,
            token,
        );
        debug_assert!(annotations.contains_key(REQUESTED_AT));
        requests.push(ApiRequest::new(
            Verb::Patch,
            resource_path(
                &FluxKind::HelmRelease.api_resource(),
                text(hr, "/metadata/namespace"),
                text(hr, "/metadata/name"),
                None,
            ),
            Some(json!({"metadata": {"annotations": annotations}})),
        ));
    }
    Decision::Act(Plan {
        backups: vec![Backup::of(live)],
        requests,
    })
}
