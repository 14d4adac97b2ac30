//! Finding the object a message is about: kind, namespace, name and the offending field.
//!
//! Messages name objects in a handful of stable shapes, whatever wrapper surrounds them:
//! Flux's `Kind/namespace/name` references (`… dry-run failed`, health-check lists,
//! `Source '…' not found`, `dependency '…'`), the API server's `Kind.group "name" is invalid: path: …`
//! and `resource "name" is forbidden: …`, and Helm's `cannot patch "name" with kind Kind`.
//! One Aho-Corasick pass finds the anchors of all shapes (faster than regexes would), and it only
//! runs once a pattern matched.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use serde::{Deserialize, Serialize};

/// The object a message names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Target {
    /// Kind, without API group (`DaemonSet`, `PersistentVolumeClaim`).
    pub kind: String,
    /// Namespace, when the message says it.
    pub namespace: Option<String>,
    /// Object name.
    pub name: String,
    /// Field path the API server complained about (`spec.selector`), when present.
    pub field: Option<String>,
}

impl std::fmt::Display for Target {
    /// `Kind/namespace/name` (Flux's spelling), or `Kind/name` without a namespace.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(namespace) => write!(f, "{}/{}/{}", self.kind, namespace, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

/// The substrings every reference shape hangs off, found in one pass by one automaton.
const ANCHORS: [&str; 18] = [
    " dry-run failed",
    "timeout waiting for: [",
    "Source '",
    "dependency '",
    " is invalid: ",
    " is forbidden: ",
    "cannot patch \"",
    "in namespace ",
    "' is not ready",
    // Field-error markers the API server writes after a field path (`field.ErrorType` strings).
    ": Invalid value",
    ": Forbidden",
    ": field is immutable",
    ": Required value",
    ": Unsupported value",
    ": Duplicate value",
    ": Not found",
    ": Too long",
    ": Too many",
];
const DRY_RUN: usize = 0;
const HEALTH_CHECK: usize = 1;
const SOURCE: usize = 2;
const DEPENDENCY: usize = 3;
const INVALID: usize = 4;
const FORBIDDEN: usize = 5;
const CANNOT_PATCH: usize = 6;
const IN_NAMESPACE: usize = 7;
const QUOTED_NOT_READY: usize = 8;
const FIRST_FIELD_MARKER: usize = 9;

static AUTOMATON: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::new(ANCHORS)
        .unwrap_or_else(|error| unreachable!("fixed ASCII anchors build: {error}"))
});

/// Where each anchor first occurs, and the first field path before a field-error marker.
struct Scan<'m> {
    first: [Option<usize>; FIRST_FIELD_MARKER],
    field: Option<&'m str>,
}

impl<'m> Scan<'m> {
    fn new(message: &'m str) -> Self {
        let mut scan = Scan {
            first: [None; FIRST_FIELD_MARKER],
            field: None,
        };
        for found in AUTOMATON.find_overlapping_iter(message) {
            let anchor = found.pattern().as_usize();
            if anchor < FIRST_FIELD_MARKER {
                scan.first[anchor].get_or_insert(found.start());
            } else if scan.field.is_none() {
                // Skip markers whose preceding token is not a path (`}: field is immutable`).
                let token = token_before(message, found.start()).trim_start_matches('[');
                if is_field_path(token) {
                    scan.field = Some(token);
                }
            }
        }
        scan
    }

    /// Where `anchor` first occurs.
    fn at(&self, anchor: usize) -> Option<usize> {
        self.first[anchor]
    }

    /// The text right after the first occurrence of `anchor`.
    fn after<'a>(&self, message: &'a str, anchor: usize) -> Option<&'a str> {
        Some(&message[self.at(anchor)? + ANCHORS[anchor].len()..])
    }
}

/// Find the object `message` is about. `carrier_kind` (the kind of the object whose status
/// carries the message) names the kind of `dependency 'ns/name'` references, which Flux writes
/// without one.
///
/// ```
/// use recovery_patterns::parse_target;
///
/// let target = parse_target(
///     r#"Deployment/apps/web dry-run failed (Invalid): Deployment.apps "web" is invalid: spec.selector: Invalid value: v1.LabelSelector{}: field is immutable"#,
///     None,
/// ).expect("a target");
/// assert_eq!(target.kind, "Deployment");
/// assert_eq!(target.namespace.as_deref(), Some("apps"));
/// assert_eq!(target.name, "web");
/// assert_eq!(target.field.as_deref(), Some("spec.selector"));
/// ```
pub fn parse_target(message: &str, carrier_kind: Option<&str>) -> Option<Target> {
    let scan = Scan::new(message);
    let mut target = flux_reference(message, &scan)
        .or_else(|| api_reference(message, &scan))
        .or_else(|| dependency_reference(message, &scan, carrier_kind))?;
    if target.namespace.is_none() {
        target.namespace = terminating_namespace(message, &scan).map(str::to_owned);
    }
    target.field = scan.field.map(str::to_owned);
    Some(target)
}

/// A Flux `Kind/ns/name` reference in one of the places Flux writes them.
fn flux_reference(message: &str, scan: &Scan<'_>) -> Option<Target> {
    if let Some(end) = scan.at(DRY_RUN) {
        if let Some(target) = parse_kind_ref(token_before(message, end)) {
            return Some(target);
        }
    }
    // helm-controller: `HelmChart 'ns/name' is not ready: …`.
    if let Some(end) = scan.at(QUOTED_NOT_READY) {
        let head = &message[..end];
        if let Some(open) = head.rfind('\'') {
            let kind = head[..open]
                .strip_suffix(' ')
                .map(|before| token_before(before, before.len()));
            if let Some(target) =
                kind.and_then(|kind| parse_kind_ref(&format!("{kind}/{}", &head[open + 1..])))
            {
                return Some(target);
            }
        }
    }
    for opener in [HEALTH_CHECK, SOURCE] {
        if let Some(rest) = scan.after(message, opener) {
            let end = rest.find([' ', '\'', ',', ']']).unwrap_or(rest.len());
            if let Some(target) = parse_kind_ref(&rest[..end]) {
                return Some(target);
            }
        }
    }
    None
}

/// `dependency 'ns/name' …`: a Flux object of the carrier's own kind.
fn dependency_reference(
    message: &str,
    scan: &Scan<'_>,
    carrier_kind: Option<&str>,
) -> Option<Target> {
    let rest = scan.after(message, DEPENDENCY)?;
    let reference = &rest[..rest.find('\'')?];
    let (namespace, name) = match reference.split_once('/') {
        Some((namespace, name)) => (Some(namespace), name),
        None => (None, reference),
    };
    if !is_name(name) || namespace.is_some_and(|ns| !is_name(ns)) {
        return None;
    }
    Some(Target {
        kind: carrier_kind?.to_owned(),
        namespace: namespace.map(str::to_owned),
        name: name.to_owned(),
        field: None,
    })
}

/// The API server's and Helm's ways of naming an object.
fn api_reference(message: &str, scan: &Scan<'_>) -> Option<Target> {
    if let Some(at) = scan.at(INVALID) {
        if let Some(target) = kind_and_name_before(message, at, false) {
            return Some(target);
        }
    }
    if let Some(at) = scan.at(FORBIDDEN) {
        if let Some(target) = kind_and_name_before(message, at, true) {
            return Some(target);
        }
    }
    let rest = scan.after(message, CANNOT_PATCH)?;
    let name = &rest[..rest.find('"')?];
    let rest = rest[name.len() + 1..].strip_prefix(" with kind ")?;
    let kind = &rest[..rest.find([':', ' ']).unwrap_or(rest.len())];
    (is_kind(kind) && is_name(name)).then(|| Target {
        kind: kind.to_owned(),
        namespace: None,
        name: name.to_owned(),
        field: None,
    })
}

/// `Kind.group "name"`, `The Kind "name"`, `Kind name` or (forbidden) `resources "name"` ending at `end`.
fn kind_and_name_before(message: &str, end: usize, resource_form: bool) -> Option<Target> {
    let head = &message[..end];
    let (name, kind_end) = if let Some(stripped) = head.strip_suffix('"') {
        let open = stripped.rfind('"')?;
        (&stripped[open + 1..], open.checked_sub(1)?)
    } else {
        let name = token_before(head, head.len());
        (name, (head.len() - name.len()).checked_sub(1)?)
    };
    if !is_name(name) || head.as_bytes().get(kind_end) != Some(&b' ') {
        return None;
    }
    let qualified = token_before(head, kind_end);
    let bare = qualified.split('.').next().unwrap_or(qualified);
    let kind = if resource_form {
        kind_for_resource(bare)?
    } else if is_kind(bare) {
        bare.to_owned()
    } else {
        return None;
    };
    Some(Target {
        kind,
        namespace: None,
        name: name.to_owned(),
        field: None,
    })
}

/// `… in namespace NAME because it is being terminated`.
fn terminating_namespace<'m>(message: &'m str, scan: &Scan<'_>) -> Option<&'m str> {
    let rest = scan.after(message, IN_NAMESPACE)?;
    let name = &rest[..rest.find(' ').unwrap_or(rest.len())];
    (is_name(name) && rest[name.len()..].starts_with(" because it is being terminated"))
        .then_some(name)
}

/// `Kind/ns/name` or `Kind/name`.
fn parse_kind_ref(reference: &str) -> Option<Target> {
    let mut parts = reference.split('/');
    let kind = parts.next()?;
    let first = parts.next()?;
    let second = parts.next();
    if parts.next().is_some() || !is_kind(kind) {
        return None;
    }
    let (namespace, name) = match second {
        Some(name) => (Some(first), name),
        None => (None, first),
    };
    if !is_name(name) || namespace.is_some_and(|ns| !is_name(ns)) {
        return None;
    }
    Some(Target {
        kind: kind.to_owned(),
        namespace: namespace.map(str::to_owned),
        name: name.to_owned(),
        field: None,
    })
}

/// The whitespace-free token that ends at byte `end`.
fn token_before(text: &str, end: usize) -> &str {
    let head = &text[..end];
    let start = head
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(at, c)| at + c.len_utf8());
    &head[start..]
}

/// A Kubernetes kind: `CamelCase` ASCII letters and digits.
fn is_kind(text: &str) -> bool {
    text.as_bytes().first().is_some_and(u8::is_ascii_uppercase)
        && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// An object or namespace name (DNS subdomain characters; a little lenient).
fn is_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 253
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b':'))
}

/// A field path such as `spec.template`, `spec.ports[0].nodePort`,
/// `metadata.annotations.volume.beta.kubernetes.io/storage-class`.
fn is_field_path(text: &str) -> bool {
    // Flux's older wrapper writes `dry-run failed, reason: Forbidden, error: …`: a label, not a path.
    text != "reason"
        && text.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
        && text.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'[' | b']' | b'/' | b'-' | b'_' | b'*')
        })
}

/// The kind for a lowercase plural resource name, as in `secrets "x" is forbidden`.
fn kind_for_resource(resource: &str) -> Option<String> {
    const KNOWN: [(&str, &str); 28] = [
        ("configmaps", "ConfigMap"),
        ("cronjobs", "CronJob"),
        ("customresourcedefinitions", "CustomResourceDefinition"),
        ("daemonsets", "DaemonSet"),
        ("deployments", "Deployment"),
        ("endpoints", "Endpoints"),
        ("helmreleases", "HelmRelease"),
        ("horizontalpodautoscalers", "HorizontalPodAutoscaler"),
        ("ingresses", "Ingress"),
        ("jobs", "Job"),
        ("kustomizations", "Kustomization"),
        ("leases", "Lease"),
        ("namespaces", "Namespace"),
        ("networkpolicies", "NetworkPolicy"),
        ("persistentvolumeclaims", "PersistentVolumeClaim"),
        ("persistentvolumes", "PersistentVolume"),
        ("poddisruptionbudgets", "PodDisruptionBudget"),
        ("pods", "Pod"),
        ("replicasets", "ReplicaSet"),
        ("rolebindings", "RoleBinding"),
        ("roles", "Role"),
        ("clusterrolebindings", "ClusterRoleBinding"),
        ("clusterroles", "ClusterRole"),
        ("secrets", "Secret"),
        ("serviceaccounts", "ServiceAccount"),
        ("services", "Service"),
        ("statefulsets", "StatefulSet"),
        ("storageclasses", "StorageClass"),
    ];
    if !resource
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        || resource.is_empty()
    {
        return None;
    }
    Some(
        KNOWN
            .iter()
            .find(|(plural, _)| *plural == resource)
            .map_or_else(|| resource.to_owned(), |(_, kind)| (*kind).to_owned()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(kind: &str, namespace: Option<&str>, name: &str, field: Option<&str>) -> Target {
        Target {
            kind: kind.to_owned(),
            namespace: namespace.map(str::to_owned),
            name: name.to_owned(),
            field: field.map(str::to_owned),
        }
    }

    #[test]
    fn flux_dry_run_wrapper_with_api_message() {
        let message = r#"DaemonSet/jhub/eosfuse dry-run failed, reason: Invalid: DaemonSet.apps "eosfuse" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"eosfuse"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"#;
        assert_eq!(
            parse_target(message, None),
            Some(target(
                "DaemonSet",
                Some("jhub"),
                "eosfuse",
                Some("spec.selector")
            ))
        );
    }

    #[test]
    fn api_message_without_wrapper() {
        let message = r#"The Service "ingress-nginx-nginx-ingress-controller" is invalid: spec.clusterIP: Invalid value: "": field is immutable"#;
        assert_eq!(
            parse_target(message, None),
            Some(target(
                "Service",
                None,
                "ingress-nginx-nginx-ingress-controller",
                Some("spec.clusterIP")
            ))
        );
    }

    #[test]
    fn bare_name_and_forbidden_field() {
        let message =
            "ConfigMap xxx is invalid: data: Forbidden: field is immutable when immutable is set";
        assert_eq!(
            parse_target(message, None),
            Some(target("ConfigMap", None, "xxx", Some("data")))
        );
    }

    #[test]
    fn forbidden_resource_in_terminating_namespace() {
        let message = r#"Error from server (Forbidden): error when creating "STDIN": secrets "gitops-scmm" is forbidden: unable to create new content in namespace fluxv2 because it is being terminated"#;
        assert_eq!(
            parse_target(message, None),
            Some(target("Secret", Some("fluxv2"), "gitops-scmm", None))
        );
    }

    #[test]
    fn helm_cannot_patch() {
        let message = r#"Upgrade "grafana" failed: cannot patch "grafana" with kind PersistentVolumeClaim: PersistentVolumeClaim "grafana" is invalid: spec: Forbidden: is immutable after creation except resources.requests for bound claims"#;
        assert_eq!(
            parse_target(message, None),
            Some(target(
                "PersistentVolumeClaim",
                None,
                "grafana",
                Some("spec")
            ))
        );
    }

    #[test]
    fn flux_references_in_health_checks_sources_and_dependencies() {
        let health = "Health check failed after 5m0.030442677s, timeout waiting for: [ImageUpdateAutomation/e13/home-e13-dev status: 'Terminating', ImagePolicy/e13/home-e13-dev status: 'Terminating']";
        assert_eq!(
            parse_target(health, None),
            Some(target(
                "ImageUpdateAutomation",
                Some("e13"),
                "home-e13-dev",
                None
            ))
        );
        let chart = "HelmChart 'arc-systems/arc-runners' is not ready: latest generation of object has not been reconciled";
        assert_eq!(
            parse_target(chart, Some("HelmRelease")),
            Some(target(
                "HelmChart",
                Some("arc-systems"),
                "arc-runners",
                None
            ))
        );
        let source = "Source 'GitRepository/flux-system/podinfo' not found";
        assert_eq!(
            parse_target(source, None),
            Some(target(
                "GitRepository",
                Some("flux-system"),
                "podinfo",
                None
            ))
        );
        let dependency = "dependency 'flux-system/infra-controllers' is not ready";
        assert_eq!(parse_target(dependency, None), None);
        assert_eq!(
            parse_target(dependency, Some("Kustomization")),
            Some(target(
                "Kustomization",
                Some("flux-system"),
                "infra-controllers",
                None
            ))
        );
    }

    #[test]
    fn field_without_api_header() {
        let message = "Job/mcp-system/memory-mcp-migrate dry-run failed (Invalid): spec.template: field is immutable";
        assert_eq!(
            parse_target(message, None),
            Some(target(
                "Job",
                Some("mcp-system"),
                "memory-mcp-migrate",
                Some("spec.template")
            ))
        );
    }

    #[test]
    fn nothing_to_find() {
        assert_eq!(parse_target("upgrade retries exhausted", None), None);
        assert_eq!(parse_target("", None), None);
        assert_eq!(parse_target(" is invalid: ", None), None);
        assert_eq!(parse_target("\" is invalid: x", None), None);
        assert_eq!(parse_target(" dry-run failed", None), None);
        assert_eq!(parse_target("cannot patch \"", None), None);
    }
}
