//! The HTTP side: routing of Kubernetes API paths, discovery, watch streams, fault injection and
//! the request log.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use http::{header, Method, Request, Response, StatusCode};
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full, StreamBody};
use hyper::body::{Bytes, Frame, Incoming};
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};

use crate::catalog::Resource;
use crate::error::ApiError;
use crate::select::{FieldSelector, LabelSelector};
use crate::store::{PatchKind, Store, Subresource, WriteOptions};

pub(crate) type Body = UnsyncBoxBody<Bytes, Infallible>;

const AGGREGATED: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// One request as the stand-in saw and answered it (one line of the request log).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoggedRequest {
    /// `GET`, `LIST`, `WATCH`, `POST`, `PUT`, `PATCH` or `DELETE`.
    pub verb: String,
    /// The URL path.
    pub path: String,
    /// The raw query string (empty when there is none).
    pub query: String,
    /// The request body as JSON (apply patches converted from YAML), or `null`.
    pub body: Value,
    /// The HTTP status code of the answer.
    pub status: u16,
}

/// Receives every [`LoggedRequest`] as it is answered (the binary writes them as JSON lines).
pub trait RequestSink: Send {
    /// Records one request.
    fn record(&mut self, request: &LoggedRequest);
}

/// The [`Fault::status`] of [`Fault::stall`].
const STALL: u16 = 0;

/// A scheduled failure: the next `times` requests matching `verb` and `path_contains` are
/// answered with `status` instead of being served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// Only requests of this verb (`PATCH`, `DELETE`, `LIST`, `WATCH`, …); `None` for any.
    pub verb: Option<String>,
    /// Only requests whose path contains this; `None` for any.
    pub path_contains: Option<String>,
    /// 409, 429 or 500 (any code is accepted; these three get their API reasons); 0 never answers.
    pub status: u16,
    /// How many matching requests fail.
    pub times: u32,
}

impl Fault {
    /// One failure with `status` on any request.
    pub fn status(status: u16) -> Self {
        Fault {
            verb: None,
            path_contains: None,
            status,
            times: 1,
        }
    }

    /// One request that is never answered: it hangs until the client gives up or goes away, as a
    /// request does when the API server stalls or the client process is killed mid-request. It
    /// never appears in the request log, which records answers.
    pub fn stall() -> Self {
        Fault::status(STALL)
    }

    /// Only requests of `verb`.
    #[must_use]
    pub fn on(mut self, verb: &str) -> Self {
        self.verb = Some(verb.to_owned());
        self
    }

    /// Only requests whose path contains `fragment`.
    #[must_use]
    pub fn path(mut self, fragment: &str) -> Self {
        self.path_contains = Some(fragment.to_owned());
        self
    }

    /// The next `times` matching requests fail.
    #[must_use]
    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }

    fn matches(&self, verb: &str, path: &str) -> bool {
        self.times > 0
            && self.verb.as_deref().is_none_or(|v| v == verb)
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| path.contains(p))
    }

    fn error(&self) -> ApiError {
        let reason = match self.status {
            409 => "Conflict",
            429 => "TooManyRequests",
            500 => "InternalError",
            503 => "ServiceUnavailable",
            _ => "Unknown",
        };
        ApiError::new(self.status, reason, format!("injected fault: {reason}"))
    }
}

/// State shared by the connections.
pub(crate) struct Shared {
    pub(crate) store: Mutex<Store>,
    /// The latest revision; watches wake on changes.
    pub(crate) revisions: watch::Sender<u64>,
    /// Bumped to end every open watch; the flag says whether watches expired (410) rather than
    /// just being cut.
    pub(crate) drops: watch::Sender<(u64, bool)>,
    pub(crate) faults: Mutex<Vec<Fault>>,
    /// Answered requests with their arrival tickets, kept in ticket order.
    pub(crate) log: Mutex<Vec<(u64, LoggedRequest)>>,
    /// The next arrival ticket.
    pub(crate) arrivals: AtomicU64,
    pub(crate) sink: Mutex<Option<Box<dyn RequestSink>>>,
    pub(crate) bookmark_interval: Duration,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// Draws the ticket that places a request in the log.
    ///
    /// Requests are logged when answered, but a handler can be preempted between changing the
    /// store and logging; a request that saw the change could then be logged first. Ordering by
    /// arrival instead keeps cause before effect: whatever observed a request's change arrived
    /// after that request did.
    fn arrival(&self) -> u64 {
        self.arrivals.fetch_add(1, Ordering::SeqCst)
    }

    fn log(&self, arrival: u64, entry: LoggedRequest) {
        if let Some(sink) = lock(&self.sink).as_mut() {
            sink.record(&entry);
        }
        let mut log = lock(&self.log);
        let at = log.partition_point(|(ticket, _)| *ticket < arrival);
        log.insert(at, (arrival, entry));
    }

    fn notify(&self) {
        let revision = lock(&self.store).revision();
        self.revisions.send_replace(revision);
    }
}

fn json_response(status: u16, body: &Value, content_type: &str) -> Response<Body> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut response = Response::new(Full::new(Bytes::from(bytes)).boxed_unsync());
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(value) = header::HeaderValue::from_str(content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}

fn error_response(error: &ApiError) -> Response<Body> {
    let mut response = json_response(error.code, &error.to_status(), "application/json");
    if error.code == 429 {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    }
    response
}

/// Percent-decoding of one query component (`+` is a space, as form encoding writes it).
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match u8::from_str_radix(&text[i + 1..i + 3], 16) {
                Ok(b) => {
                    out.push(b);
                    i += 2;
                }
                Err(_) => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

struct Query(Vec<(String, String)>);

impl Query {
    fn parse(text: &str) -> Self {
        Query(
            text.split('&')
                .filter(|p| !p.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    (decode(k), decode(v))
                })
                .collect(),
        )
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("true" | "1"))
    }
}

/// A parsed resource path.
struct Target {
    resource: Resource,
    namespace: Option<String>,
    name: Option<String>,
    sub: Option<String>,
}

enum Route {
    Version,
    CoreGroup,
    Groups,
    Group(String),
    ResourceList(String, String),
    Resource(Target),
    OpenApi,
    NotFound,
}

fn route(store: &Store, path: &str) -> Route {
    let segments: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let (group, version, rest) = match segments.as_slice() {
        ["version"] => return Route::Version,
        ["openapi", ..] => return Route::OpenApi,
        ["api"] => return Route::CoreGroup,
        ["apis"] => return Route::Groups,
        ["apis", group] => return Route::Group((*group).to_owned()),
        ["api", "v1"] => return Route::ResourceList(String::new(), "v1".to_owned()),
        ["apis", group, version] => {
            return Route::ResourceList((*group).to_owned(), (*version).to_owned())
        }
        ["api", "v1", rest @ ..] => ("", "v1", rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return Route::NotFound,
    };
    let catalog = store.catalog();
    let namespaced = |plural: &str| {
        catalog
            .by_path(group, version, plural)
            .filter(|r| r.namespaced)
    };
    let (namespace, rest) = match rest {
        ["namespaces", ns, plural, more @ ..] if namespaced(plural).is_some() => {
            (Some((*ns).to_owned()), {
                let mut v = vec![*plural];
                v.extend_from_slice(more);
                v
            })
        }
        other => (None, other.to_vec()),
    };
    let Some((plural, item)) = rest.split_first() else {
        return Route::NotFound;
    };
    let Some(resource) = catalog.by_path(group, version, plural) else {
        return Route::NotFound;
    };
    if namespace.is_none() && resource.namespaced && !item.is_empty() {
        return Route::NotFound;
    }
    Route::Resource(Target {
        resource: resource.clone(),
        namespace,
        name: item.first().map(|s| (*s).to_owned()),
        sub: item.get(1).map(|s| (*s).to_owned()),
    })
}

/// The verb of the request log.
fn log_verb(method: &Method, has_name: bool, query: &Query) -> String {
    match *method {
        Method::GET if query.flag("watch") => "WATCH".to_owned(),
        Method::GET if !has_name => "LIST".to_owned(),
        ref other => other.as_str().to_owned(),
    }
}

/// Serves one request.
pub(crate) async fn serve(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let (parts, body) = request.into_parts();
    let bytes = body
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default();
    let path = parts.uri.path().to_owned();
    let raw_query = parts.uri.query().unwrap_or_default().to_owned();
    let query = Query::parse(&raw_query);
    let header = |name: header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let content_type = header(header::CONTENT_TYPE);
    let accept = header(header::ACCEPT);
    let user_agent = header(header::USER_AGENT);
    let body: Result<Value, String> = if bytes.is_empty() {
        Ok(Value::Null)
    } else if content_type.starts_with("application/apply-patch+yaml") {
        serde_yaml_ng::from_slice(&bytes).map_err(|e| e.to_string())
    } else {
        serde_json::from_slice(&bytes).map_err(|e| e.to_string())
    };
    let arrival = shared.arrival();
    let routed = route(&lock(&shared.store), &path);
    let has_name = matches!(&routed, Route::Resource(t) if t.name.is_some());
    let verb = log_verb(&parts.method, has_name, &query);
    let logged_body = body.clone().unwrap_or(Value::Null);
    let fault = {
        let mut faults = lock(&shared.faults);
        faults
            .iter_mut()
            .find(|f| f.matches(&verb, &path))
            .map(|f| {
                f.times -= 1;
                f.error()
            })
    };
    if fault.as_ref().is_some_and(|f| f.code == STALL) {
        // The request is never answered: the client sees a hung API server (or dies waiting).
        futures::future::pending::<()>().await;
    }
    let response = if let Some(error) = fault {
        error_response(&error)
    } else {
        match body {
            Err(problem) => error_response(&ApiError::bad_request(format!(
                "cannot decode the request body: {problem}"
            ))),
            Ok(body) => answer(
                &shared,
                &parts.method,
                routed,
                &query,
                body,
                &content_type,
                &accept,
                &user_agent,
            ),
        }
    };
    shared.log(
        arrival,
        LoggedRequest {
            verb,
            path,
            query: raw_query,
            body: logged_body,
            status: response.status().as_u16(),
        },
    );
    Ok(response)
}

#[allow(clippy::too_many_arguments)] // one per part of the request
fn answer(
    shared: &Arc<Shared>,
    method: &Method,
    routed: Route,
    query: &Query,
    body: Value,
    content_type: &str,
    accept: &str,
    user_agent: &str,
) -> Response<Body> {
    let aggregated = accept.contains("as=APIGroupDiscoveryList");
    let store = lock(&shared.store);
    let ok = |value: &Value| json_response(200, value, "application/json");
    match routed {
        Route::Version => ok(&json!({
            "major": "1", "minor": "33", "gitVersion": "v1.33.0-kube-stand-in",
            "gitCommit": "", "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z",
            "goVersion": "", "compiler": "stand-in", "platform": "linux/amd64"
        })),
        Route::OpenApi => error_response(&ApiError::new(
            404,
            "NotFound",
            "the stand-in serves no OpenAPI schema; use --validate=false",
        )),
        Route::NotFound => error_response(&ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )),
        Route::CoreGroup if aggregated => {
            json_response(200, &aggregated_list(&store, true), AGGREGATED)
        }
        Route::CoreGroup => ok(&json!({"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]})),
        Route::Groups if aggregated => {
            json_response(200, &aggregated_list(&store, false), AGGREGATED)
        }
        Route::Groups => {
            let groups: Vec<Value> = store
                .catalog()
                .groups()
                .into_iter()
                .map(|(g, vs)| group_json(&g, &vs))
                .collect();
            ok(&json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}))
        }
        Route::Group(name) => match store
            .catalog()
            .groups()
            .into_iter()
            .find(|(g, _)| *g == name)
        {
            Some((g, vs)) => ok(&group_json(&g, &vs)),
            None => error_response(&ApiError::new(
                404,
                "NotFound",
                "the server could not find the requested resource",
            )),
        },
        Route::ResourceList(group, version) => {
            let resources: Vec<Value> = store
                .catalog()
                .resources()
                .iter()
                .filter(|r| r.group == group && r.version == version)
                .flat_map(Resource::legacy_discovery)
                .collect();
            if resources.is_empty() {
                return error_response(&ApiError::new(
                    404,
                    "NotFound",
                    "the server could not find the requested resource",
                ));
            }
            let group_version = if group.is_empty() {
                version
            } else {
                format!("{group}/{version}")
            };
            ok(
                &json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}),
            )
        }
        Route::Resource(target) => {
            drop(store);
            let options = WriteOptions {
                dry_run: query.get("dryRun") == Some("All"),
                field_manager: query.get("fieldManager").map_or_else(
                    || user_agent.split('/').next().unwrap_or_default().to_owned(),
                    str::to_owned,
                ),
                force: query.flag("force"),
            };
            if *method == Method::GET && query.flag("watch") {
                return start_watch(shared, &target, query);
            }
            let result =
                resource_request(shared, method, &target, query, body, content_type, &options);
            match result {
                Ok(value) if accept.contains("as=Table") && *method == Method::GET => {
                    ok(&table(&value))
                }
                Ok(value) => {
                    let status = if *method == Method::POST && !options.dry_run {
                        201
                    } else {
                        200
                    };
                    json_response(status, &value, "application/json")
                }
                Err(error) => error_response(&error),
            }
        }
    }
}

fn group_json(group: &str, versions: &[String]) -> Value {
    let versions: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v}))
        .collect();
    json!({"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": versions,
           "preferredVersion": versions.first().cloned().unwrap_or(Value::Null)})
}

/// `apidiscovery.k8s.io/v2` `APIGroupDiscoveryList` of the core group or of the named groups.
fn aggregated_list(store: &Store, core: bool) -> Value {
    let catalog = store.catalog();
    let groups: Vec<(String, Vec<String>)> = if core {
        vec![(String::new(), vec!["v1".to_owned()])]
    } else {
        catalog.groups()
    };
    let items: Vec<Value> = groups
        .into_iter()
        .map(|(group, versions)| {
            let versions: Vec<Value> = versions
                .iter()
                .map(|version| {
                    let resources: Vec<Value> = catalog
                        .resources()
                        .iter()
                        .filter(|r| r.group == group && r.version == *version)
                        .map(Resource::aggregated_discovery)
                        .collect();
                    json!({"version": version, "resources": resources, "freshness": "Current"})
                })
                .collect();
            json!({"metadata": {"name": group}, "versions": versions})
        })
        .collect();
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items})
}

fn age(created: Option<&str>) -> String {
    let Some(created) = created.and_then(|c| c.parse::<jiff::Timestamp>().ok()) else {
        return "<unknown>".to_owned();
    };
    let secs = jiff::Timestamp::now().as_second() - created.as_second();
    match secs {
        s if s < 120 => format!("{}s", s.max(0)),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86400),
    }
}

/// A `meta.k8s.io/v1` `Table` (Name, Age) for kubectl's human-readable output.
fn table(value: &Value) -> Value {
    let items: Vec<&Value> = match value["items"].as_array() {
        Some(items) => items.iter().collect(),
        None => vec![value],
    };
    let rows: Vec<Value> = items
        .iter()
        .map(|o| {
            let metadata = &o["metadata"];
            json!({"cells": [metadata["name"], age(metadata["creationTimestamp"].as_str())],
                   "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": metadata}})
        })
        .collect();
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1",
           "metadata": {"resourceVersion": value["metadata"]["resourceVersion"]},
           "columnDefinitions": [
               {"name": "Name", "type": "string", "format": "name", "description": "Name of the object", "priority": 0},
               {"name": "Age", "type": "string", "format": "", "description": "Time since creation", "priority": 0}],
           "rows": rows})
}

fn selectors(query: &Query) -> Result<(LabelSelector, FieldSelector), ApiError> {
    let labels = LabelSelector::parse(query.get("labelSelector").unwrap_or_default())
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let fields = FieldSelector::parse(query.get("fieldSelector").unwrap_or_default())
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok((labels, fields))
}

#[allow(clippy::too_many_arguments)]
fn resource_request(
    shared: &Arc<Shared>,
    method: &Method,
    target: &Target,
    query: &Query,
    body: Value,
    content_type: &str,
    options: &WriteOptions,
) -> Result<Value, ApiError> {
    let resource = &target.resource;
    let namespace = target.namespace.clone().unwrap_or_default();
    let sub = match target.sub.as_deref() {
        None => None,
        Some("status") if resource.status_subresource => Some(Subresource::Status),
        Some("finalize") if resource.group.is_empty() && resource.plural == "namespaces" => {
            Some(Subresource::Finalize)
        }
        Some(_) => {
            return Err(ApiError::new(
                404,
                "NotFound",
                "the server could not find the requested resource",
            ))
        }
    };
    let mut store = lock(&shared.store);
    let before = store.revision();
    let result = match (method, &target.name) {
        (&Method::GET, Some(name)) => store.get(resource, &namespace, name),
        (&Method::GET, None) => {
            let (labels, fields) = selectors(query)?;
            let items = store.list(resource, target.namespace.as_deref(), &labels, &fields);
            let offset: usize = query
                .get("continue")
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            let limit: usize = query
                .get("limit")
                .and_then(|l| l.parse().ok())
                .filter(|l| *l > 0)
                .unwrap_or(usize::MAX);
            let page: Vec<Value> = items.iter().skip(offset).take(limit).cloned().collect();
            let mut metadata = json!({"resourceVersion": store.revision().to_string()});
            if offset + page.len() < items.len() {
                metadata["continue"] = json!((offset + page.len()).to_string());
                metadata["remainingItemCount"] = json!(items.len() - offset - page.len());
            }
            Ok(
                json!({"apiVersion": resource.api_version(), "kind": format!("{}List", resource.kind),
                      "metadata": metadata, "items": page}),
            )
        }
        (&Method::POST, None) => store.create(resource, &namespace, body, options),
        (&Method::PUT, Some(name)) => store.update(resource, &namespace, name, body, sub, options),
        (&Method::PATCH, Some(name)) => {
            let kind = match content_type.split(';').next().unwrap_or_default().trim() {
                "application/merge-patch+json" => PatchKind::Merge,
                "application/json-patch+json" => PatchKind::Json,
                "application/strategic-merge-patch+json" => PatchKind::Strategic,
                "application/apply-patch+yaml" => PatchKind::Apply,
                other => {
                    return Err(ApiError::new(
                        415,
                        "UnsupportedMediaType",
                        format!("the body of the request was in an unknown format - {other}"),
                    ))
                }
            };
            store.patch(resource, &namespace, name, kind, &body, sub, options)
        }
        (&Method::DELETE, Some(name)) => {
            let mut delete_options = if body.is_object() { body } else { json!({}) };
            if let Some(policy) = query.get("propagationPolicy") {
                delete_options["propagationPolicy"] = json!(policy);
            }
            let dry_run = options.dry_run
                || delete_options["dryRun"]
                    .as_array()
                    .is_some_and(|d| d.iter().any(|v| v == "All"));
            store.delete(resource, &namespace, name, &delete_options, dry_run)
        }
        _ => Err(ApiError::new(
            405,
            "MethodNotAllowed",
            format!("{method} is not supported here"),
        )),
    };
    let changed = store.revision() != before;
    drop(store);
    if changed {
        shared.notify();
    }
    result
}

fn watch_line(kind: &str, object: &Value) -> Bytes {
    let mut line = serde_json::to_vec(&json!({"type": kind, "object": object})).unwrap_or_default();
    line.push(b'\n');
    Bytes::from(line)
}

/// Starts a watch: synthetic `ADDED` events when no (or `0`) resourceVersion is given, then every
/// change after it, `BOOKMARK`s when asked for, an `ERROR` event with `410 Expired` when the
/// version is older than the history, until `timeoutSeconds`, a dropped watch or the client leaves.
fn start_watch(shared: &Arc<Shared>, target: &Target, query: &Query) -> Response<Body> {
    let (labels, fields) = match selectors(query) {
        Ok(s) => s,
        Err(e) => return error_response(&e),
    };
    let from = query
        .get("resourceVersion")
        .filter(|v| !v.is_empty() && *v != "0");
    let from: Option<u64> = match from.map(str::parse) {
        None => None,
        Some(Ok(v)) => Some(v),
        Some(Err(_)) => return error_response(&ApiError::bad_request("invalid resourceVersion")),
    };
    let bookmarks = query.flag("allowWatchBookmarks");
    let timeout = Duration::from_secs(
        query
            .get("timeoutSeconds")
            .and_then(|t| t.parse().ok())
            .unwrap_or(1800),
    );
    let (sender, mut receiver) = mpsc::channel::<Bytes>(256);
    let shared = Arc::clone(shared);
    let resource = target.resource.clone();
    let namespace = target.namespace.clone();
    tokio::spawn(async move {
        let mut revisions = shared.revisions.subscribe();
        let mut drops = shared.drops.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        let mut ticker = tokio::time::interval(shared.bookmark_interval);
        ticker.tick().await;
        let qualified = resource.qualified();
        let mut last = if let Some(v) = from {
            v
        } else {
            let (items, revision) = {
                let store = lock(&shared.store);
                (
                    store.list(&resource, namespace.as_deref(), &labels, &fields),
                    store.revision(),
                )
            };
            for item in items {
                if sender.send(watch_line("ADDED", &item)).await.is_err() {
                    return;
                }
            }
            revision
        };
        loop {
            let changes = {
                let store = lock(&shared.store);
                store
                    .changes_after(&qualified, namespace.as_deref(), last)
                    .map(|c| (c, store.revision()))
            };
            match changes {
                Err(gone) => {
                    let _ = sender.send(watch_line("ERROR", &gone.to_status())).await;
                    return;
                }
                Ok((changes, revision)) => {
                    for change in changes {
                        let mut object = change.object;
                        object["apiVersion"] = json!(resource.api_version());
                        if labels.matches(&object["metadata"]["labels"])
                            && fields.matches(&object)
                            && sender
                                .send(watch_line(change.change.as_str(), &object))
                                .await
                                .is_err()
                        {
                            return;
                        }
                    }
                    last = revision;
                }
            }
            tokio::select! {
                changed = revisions.changed() => if changed.is_err() { return },
                _ = drops.changed() => {
                    let (_, expired) = *drops.borrow();
                    if expired {
                        let gone = ApiError::new(410, "Expired", format!("too old resource version: {last} ({})", last + 1));
                        let _ = sender.send(watch_line("ERROR", &gone.to_status())).await;
                    }
                    return;
                }
                () = tokio::time::sleep_until(deadline) => return,
                () = sender.closed() => return,
                _ = ticker.tick(), if bookmarks => {
                    let bookmark = json!({"kind": resource.kind, "apiVersion": resource.api_version(),
                                          "metadata": {"resourceVersion": last.to_string()}});
                    if sender.send(watch_line("BOOKMARK", &bookmark)).await.is_err() {
                        return;
                    }
                }
            }
        }
    });
    let stream = futures::stream::poll_fn(move |cx| {
        receiver
            .poll_recv(cx)
            .map(|next| next.map(|bytes| Ok::<_, Infallible>(Frame::data(bytes))))
    });
    let mut response = Response::new(BodyExt::boxed_unsync(StreamBody::new(stream)));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_components_are_percent_decoded() {
        let q = Query::parse("labelSelector=app%3Dweb%2Ctier+in+%28a%29&watch=1&x");
        assert_eq!(q.get("labelSelector"), Some("app=web,tier in (a)"));
        assert!(q.flag("watch"));
        assert_eq!(q.get("x"), Some(""));
    }

    fn logged(path: &str) -> LoggedRequest {
        LoggedRequest {
            verb: "GET".to_owned(),
            path: path.to_owned(),
            query: String::new(),
            body: Value::Null,
            status: 200,
        }
    }

    #[test]
    fn a_request_answered_late_keeps_its_place_of_arrival() {
        let shared = Shared {
            store: Mutex::new(Store::default()),
            revisions: watch::channel(0).0,
            drops: watch::channel((0, false)).0,
            faults: Mutex::new(Vec::new()),
            log: Mutex::new(Vec::new()),
            arrivals: AtomicU64::new(0),
            sink: Mutex::new(None),
            bookmark_interval: Duration::from_secs(1),
        };
        let (first, second, third) = (shared.arrival(), shared.arrival(), shared.arrival());
        // The first handler is preempted after its change; the others are answered before it.
        shared.log(second, logged("/second"));
        shared.log(third, logged("/third"));
        shared.log(first, logged("/first"));
        let order: Vec<String> = lock(&shared.log)
            .iter()
            .map(|(_, r)| r.path.clone())
            .collect();
        assert_eq!(order, ["/first", "/second", "/third"]);
    }
}
