//! API requests as data: every operation can list the exact requests it would make (verb, path,
//! body) before, or instead of, making them.

use std::fmt;

use kube::api::ApiResource;
use serde::Serialize;
use serde_json::Value;

/// An HTTP verb of the Kubernetes API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verb {
    /// Read one object or list a collection.
    Get,
    /// Create an object.
    Post,
    /// Replace an object or a subresource.
    Put,
    /// Merge-patch an object.
    Patch,
    /// Delete an object.
    Delete,
}

impl Verb {
    /// The HTTP method.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Patch => "PATCH",
            Verb::Delete => "DELETE",
        }
    }
}

/// A condition checked against a fresh read just before a request is sent; when it no longer
/// holds, the request is skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "if")]
pub enum Guard {
    /// The namespace still exists and is still `Terminating` with finalizers left.
    NamespaceStillStuck {
        /// The namespace.
        namespace: String,
    },
}

impl fmt::Display for Guard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Guard::NamespaceStillStuck { namespace } => {
                write!(
                    f,
                    "only if namespace {namespace} is still stuck terminating"
                )
            }
        }
    }
}

/// One API request: verb, path (with query) and JSON body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiRequest {
    /// The verb.
    pub verb: Verb,
    /// Path and query, e.g. `/api/v1/namespaces/apps/configmaps/web`.
    pub path: String,
    /// The body (`None` for reads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// Checked before sending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guard: Option<Guard>,
}

impl ApiRequest {
    /// A request without guard.
    pub fn new(verb: Verb, path: impl Into<String>, body: Option<Value>) -> Self {
        ApiRequest {
            verb,
            path: path.into(),
            body,
            guard: None,
        }
    }

    /// The same request, sent only while `guard` holds.
    #[must_use]
    pub fn guarded(mut self, guard: Guard) -> Self {
        self.guard = Some(guard);
        self
    }

    /// Whether the request changes anything.
    pub fn is_write(&self) -> bool {
        self.verb != Verb::Get
    }

    /// The body in one line: JSON, with Secret data replaced by its size (backups and Helm
    /// release records are large and sensitive).
    pub fn body_summary(&self) -> String {
        let Some(body) = &self.body else {
            return String::new();
        };
        let mut shown = body.clone();
        if let Some(data) = shown.get_mut("data").and_then(Value::as_object_mut) {
            for value in data.values_mut() {
                let size = value.as_str().map_or(0, str::len);
                *value = Value::String(format!("<{size} bytes>"));
            }
        }
        serde_json::to_string(&shown).unwrap_or_default()
    }

    /// The request as an HTTP request for [`kube::Client::request`].
    pub fn to_http(&self) -> Result<http::Request<Vec<u8>>, http::Error> {
        let body = self
            .body
            .as_ref()
            .map(|b| serde_json::to_vec(b).unwrap_or_default())
            .unwrap_or_default();
        let content_type = match self.verb {
            Verb::Patch => "application/merge-patch+json",
            _ => "application/json",
        };
        http::Request::builder()
            .method(self.verb.as_str())
            .uri(&self.path)
            .header(http::header::CONTENT_TYPE, content_type)
            .body(body)
    }
}

impl fmt::Display for ApiRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.verb.as_str(), self.path)?;
        if self.body.is_some() {
            write!(f, " {}", self.body_summary())?;
        }
        if let Some(guard) = &self.guard {
            write!(f, " ({guard})")?;
        }
        Ok(())
    }
}

/// The path of a collection (`name` `None`) or an object, optionally of a subresource.
///
/// ```
/// use kube::api::{ApiResource, GroupVersionKind};
/// use recovery_actions::request::resource_path;
/// let sts = ApiResource::from_gvk(&GroupVersionKind::gvk("apps", "v1", "StatefulSet"));
/// assert_eq!(resource_path(&sts, Some("db"), Some("pg"), None), "/apis/apps/v1/namespaces/db/statefulsets/pg");
/// let ns = ApiResource::from_gvk(&GroupVersionKind::gvk("", "v1", "Namespace"));
/// assert_eq!(resource_path(&ns, None, Some("apps"), Some("finalize")), "/api/v1/namespaces/apps/finalize");
/// ```
pub fn resource_path(
    resource: &ApiResource,
    namespace: Option<&str>,
    name: Option<&str>,
    subresource: Option<&str>,
) -> String {
    let mut path = if resource.group.is_empty() {
        format!("/api/{}", resource.version)
    } else {
        format!("/apis/{}/{}", resource.group, resource.version)
    };
    if let Some(ns) = namespace {
        path.push_str("/namespaces/");
        path.push_str(ns);
    }
    path.push('/');
    path.push_str(&resource.plural);
    if let Some(name) = name {
        path.push('/');
        path.push_str(name);
        if let Some(sub) = subresource {
            path.push('/');
            path.push_str(sub);
        }
    }
    path
}
