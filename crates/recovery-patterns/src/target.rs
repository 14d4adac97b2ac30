//! Finding the object a message is about: kind, namespace, name and the offending field.
//!
//! Messages name objects in a handful of stable shapes, whatever wrapper surrounds them:
//! Flux's `Kind/namespace/name` references (`… dry-run failed`, health-check lists,
//! `Source '…' not found`, `dependency '…'`), the API server's `Kind.group "name" is invalid: path: …`
//! and `resource "name" is forbidden: …`, and Helm's `cannot patch "name" with kind Kind`.
//! Plain substring scans find them faster than regexes would, and only run once a pattern matched.

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

/// Field-error markers the API server writes after a field path (`field.ErrorType` strings).
const FIELD_MARKERS: [&str; 9] = [
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
    let flux = flux_reference(message);
    let api = api_reference(message);
    let field = field_path(message);
    let namespace_hint = terminating_namespace(message);

    let mut target = match (flux, api) {
        (Some(flux), _) => flux,
        (None, Some(api)) => api,
        (None, None) => dependency_reference(message, carrier_kind)?,
    };
    if target.namespace.is_none() {
        target.namespace = namespace_hint.map(str::to_owned);
    }
    target.field = field;
    Some(target)
}

/// A Flux `Kind/ns/name` reference in one of the places Flux writes them.
fn flux_reference(message: &str) -> Option<Target> {
    if let Some(end) = message.find(" dry-run failed") {
        if let Some(target) = parse_kind_ref(token_before(message, end)) {
            return Some(target);
        }
    }
    for opener in ["timeout waiting for: [", "Source '"] {
        if let Some(start) = message.find(opener) {
            let rest = &message[start + opener.len()..];
            let end = rest.find([' ', '\'', ',', ']']).unwrap_or(rest.len());
            if let Some(target) = parse_kind_ref(&rest[..end]) {
                return Some(target);
            }
        }
    }
    None
}

/// `dependency 'ns/name' …`: a Flux object of the carrier's own kind.
fn dependency_reference(message: &str, carrier_kind: Option<&str>) -> Option<Target> {
    let start = message.find("dependency '")? + "dependency '".len();
    let rest = &message[start..];
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
fn api_reference(message: &str) -> Option<Target> {
    if let Some(at) = message.find(" is invalid: ") {
        if let Some(target) = kind_and_name_before(message, at, false) {
            return Some(target);
        }
    }
    if let Some(at) = message.find(" is forbidden: ") {
        if let Some(target) = kind_and_name_before(message, at, true) {
            return Some(target);
        }
    }
    let start = message.find("cannot patch \"")? + "cannot patch \"".len();
    let rest = &message[start..];
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

/// The field path of the first `path: <ErrorType>` in the message.
fn field_path(message: &str) -> Option<String> {
    FIELD_MARKERS
        .iter()
        .filter_map(|marker| {
            // Look past occurrences whose preceding token is not a path (`}: field is immutable`).
            let mut from = 0;
            while let Some(found) = message[from..].find(marker) {
                let at = from + found;
                let token = token_before(message, at).trim_start_matches('[');
                if is_field_path(token) {
                    return Some((at, token));
                }
                from = at + marker.len();
            }
            None
        })
        .min_by_key(|(at, _)| *at)
        .map(|(_, path)| path.to_owned())
}

/// `… in namespace NAME because it is being terminated`.
fn terminating_namespace(message: &str) -> Option<&str> {
    let start = message.find("in namespace ")? + "in namespace ".len();
    let rest = &message[start..];
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
    text.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
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
