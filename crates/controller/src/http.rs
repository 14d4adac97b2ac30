//! The HTTP endpoints: `/metrics`, `/healthz` (the process is alive) and `/readyz` (the watches
//! have listed every Flux object once).

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;

/// Content type of the OpenMetrics text format.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// What the endpoints serve.
#[derive(Debug)]
pub struct HttpState {
    /// The metrics registry.
    pub registry: Registry,
    /// Set once the controller's watches have synced.
    pub ready: AtomicBool,
}

impl HttpState {
    /// State serving `registry`, not ready yet.
    pub fn new(registry: Registry) -> Self {
        HttpState {
            registry,
            ready: AtomicBool::new(false),
        }
    }
}

/// Answers one request.
pub fn respond(state: &HttpState, method: &hyper::Method, path: &str) -> Response<Full<Bytes>> {
    let (status, content_type, body) = match (method, path) {
        (&hyper::Method::GET, "/metrics") => (
            StatusCode::OK,
            OPENMETRICS,
            crate::metrics::render(&state.registry),
        ),
        (&hyper::Method::GET, "/healthz") => (StatusCode::OK, "text/plain", "ok\n".to_owned()),
        (&hyper::Method::GET, "/readyz") if state.ready.load(Ordering::Relaxed) => {
            (StatusCode::OK, "text/plain", "ready\n".to_owned())
        }
        (&hyper::Method::GET, "/readyz") => (
            StatusCode::SERVICE_UNAVAILABLE,
            "text/plain",
            "watches not synced yet\n".to_owned(),
        ),
        _ => (
            StatusCode::NOT_FOUND,
            "text/plain",
            "not found\n".to_owned(),
        ),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    response
}

/// Serves the endpoints on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, state: Arc<HttpState>) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let response = respond(&state, request.method(), request.uri().path());
                async move { Ok::<_, Infallible>(response) }
            });
            if let Err(error) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(%error, "http connection ended with an error");
            }
        });
    }
}
