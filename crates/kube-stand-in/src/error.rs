//! Errors: the API errors the stand-in answers with, and the errors of starting it.

use serde_json::{json, Value};

/// An API error, answered as a `meta/v1` `Status` object with the same HTTP status code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code} {reason}: {message}")]
pub struct ApiError {
    /// HTTP status code.
    pub code: u16,
    /// `StatusReason` (`NotFound`, `Conflict`, `AlreadyExists`, …).
    pub reason: &'static str,
    /// Human-readable message, worded like the real API server's.
    pub message: String,
    /// `details` of the Status (name, group, kind, causes).
    pub details: Option<Box<Value>>,
}

impl ApiError {
    /// An error without details.
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    /// `404 NotFound`: `<resource> "<name>" not found`.
    pub fn not_found(qualified: &str, name: &str) -> Self {
        let (kind, group) = qualified.split_once('.').unwrap_or((qualified, ""));
        ApiError {
            details: Some(Box::new(
                json!({"name": name, "group": group, "kind": kind}),
            )),
            ..ApiError::new(404, "NotFound", format!("{qualified} \"{name}\" not found"))
        }
    }

    /// `409 Conflict` on an update carrying a stale `resourceVersion`.
    pub fn stale(qualified: &str, name: &str) -> Self {
        ApiError::conflict(
            qualified,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }

    /// `409 Conflict`: `Operation cannot be fulfilled on <resource> "<name>": <why>`.
    pub fn conflict(qualified: &str, name: &str, why: &str) -> Self {
        let (kind, group) = qualified.split_once('.').unwrap_or((qualified, ""));
        ApiError {
            details: Some(Box::new(
                json!({"name": name, "group": group, "kind": kind}),
            )),
            ..ApiError::new(
                409,
                "Conflict",
                format!("Operation cannot be fulfilled on {qualified} \"{name}\": {why}"),
            )
        }
    }

    /// `400 BadRequest`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(400, "BadRequest", message)
    }

    /// `422 Invalid`.
    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError::new(422, "Invalid", message)
    }

    /// The `Status` object sent as the response body.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(details) = &self.details {
            status["details"] = (**details).clone();
        }
        status
    }
}

/// The stand-in could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// An object of the initial set is not a Kubernetes object.
    #[error(
        "object #{index} ({what}): {problem}; give every object apiVersion, kind and metadata.name"
    )]
    BadObject {
        /// 1-based position in the initial set (the YAML document number for files).
        index: usize,
        /// What the object says it is, as far as it says.
        what: String,
        /// What is wrong.
        problem: String,
    },
    /// Two objects of the initial set have the same kind, namespace and name.
    #[error("object #{index} ({what}) is given twice; remove one of them")]
    Duplicate {
        /// 1-based position of the second one.
        index: usize,
        /// The object.
        what: String,
    },
    /// A YAML document could not be parsed.
    #[error("YAML document #{index}: {source}")]
    Yaml {
        /// 1-based document number.
        index: usize,
        /// The parser's error, with line and column.
        #[source]
        source: serde_yaml_ng::Error,
    },
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}")]
    Listen {
        /// The address.
        addr: std::net::SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The kube client could not be configured for the stand-in's address.
    #[error("cannot build a kube client for the stand-in")]
    Client(#[source] kube::Error),
}
