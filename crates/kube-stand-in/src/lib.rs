//! A **test double** of the Kubernetes API server: an HTTP/1.1 server on a loopback address with
//! its state in memory, modelling the API semantics unstuck relies on. It is not a Kubernetes API
//! server — no authentication, admission, validation against schemas, or persistence — and exists
//! so tests and scripts can drive the real `kube::Client`, kubectl and the real
//! `unstuck-controller` binary against something that answers the way the API does.
//!
//! Modelled (each with a test naming the API rule it follows, see `tests/semantics.rs`):
//!
//! * discovery (`/api`, `/apis`, group/version resource lists, aggregated discovery v2) for the
//!   built-in kinds unstuck touches and every custom resource present in the objects;
//! * get, list with label and field selectors (and `limit`/`continue`), watch from a
//!   `resourceVersion` with bookmarks and `410 Gone` for a compacted one;
//! * create, update, JSON merge patch, JSON patch, strategic merge patch (built-in kinds), server-side
//!   apply with field managers and conflicts, `dryRun=All`;
//! * `resourceVersion` optimistic concurrency, `generation` bumped on spec changes only, the
//!   `status` subresource;
//! * delete with preconditions and `propagationPolicy` through `ownerReferences`, finalizers and
//!   `deletionTimestamp`, namespace termination with its conditions and `/finalize`;
//! * fault injection ([`Fault`]) and dropped or expired watches.
//!
//! Not modelled: authentication and authorization, admission and schema validation, the schema
//! documents (`/openapi/v2`, `/openapi/v3`), protobuf, TLS, HTTP/2, conversion between custom
//! resource versions, lists at a past `resourceVersion`, streaming lists (`sendInitialEvents`),
//! graceful deletion periods, and every controller except a synchronous garbage collector and
//! namespace controller. The "Tested end to end" section of `docs/controller.md` lists the
//! differences in full.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use kube::api::{Api, PostParams};
//! use kube_stand_in::StandIn;
//! use serde_json::json;
//!
//! let stand_in = StandIn::start(vec![json!({
//!     "apiVersion": "v1", "kind": "ConfigMap",
//!     "metadata": {"name": "settings", "namespace": "apps"},
//!     "data": {"mode": "fast"}
//! })])
//! .await?;
//! let client = stand_in.client()?;
//! let maps: Api<kube::api::DynamicObject> = Api::namespaced_with(
//!     client,
//!     "apps",
//!     &kube::api::ApiResource::erase::<k8s_openapi::api::core::v1::ConfigMap>(&()),
//! );
//! let settings = maps.get("settings").await?;
//! assert_eq!(settings.data["data"]["mode"], "fast");
//! assert_eq!(stand_in.requests()[0].verb, "GET");
//! # Ok(())
//! # }
//! ```

mod catalog;
mod error;
mod patch;
mod select;
mod server;
mod store;

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::sync::watch;

pub use catalog::{plural_of, Catalog, Resource};
pub use error::{ApiError, StartError};
pub use select::{FieldSelector, LabelSelector, SelectorError};
pub use server::{Fault, LoggedRequest, RequestSink};

use server::{lock, Shared};
use store::{LoadError, Store};

/// How to start a [`StandIn`].
pub struct Builder {
    objects: Vec<Value>,
    listen: SocketAddr,
    sink: Option<Box<dyn RequestSink>>,
    bookmark_interval: Duration,
}

impl Builder {
    /// The initial objects.
    #[must_use]
    pub fn objects(mut self, objects: Vec<Value>) -> Self {
        self.objects = objects;
        self
    }

    /// The address to listen on (default `127.0.0.1:0`, a free port).
    #[must_use]
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Also hand every request to `sink` as it is answered.
    #[must_use]
    pub fn request_sink(mut self, sink: Box<dyn RequestSink>) -> Self {
        self.sink = Some(sink);
        self
    }

    /// How often watches that allow bookmarks get one (default 1 s; the real server sends one
    /// about every minute).
    #[must_use]
    pub fn bookmark_interval(mut self, interval: Duration) -> Self {
        self.bookmark_interval = interval;
        self
    }

    /// Loads the objects, binds the address and starts serving.
    pub async fn start(self) -> Result<StandIn, StartError> {
        let mut store = Store::default();
        // Definitions first, so objects of their kinds get the declared plural and scope.
        let (definitions, others): (Vec<_>, Vec<_>) = self
            .objects
            .into_iter()
            .enumerate()
            .partition(|(_, o)| o["kind"] == "CustomResourceDefinition");
        for (index, object) in definitions.into_iter().chain(others) {
            load(&mut store, index + 1, object)?;
        }
        store.settle();
        let listener = tokio::net::TcpListener::bind(self.listen)
            .await
            .map_err(|source| StartError::Listen {
                addr: self.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Listen {
            addr: self.listen,
            source,
        })?;
        let (revisions, _) = watch::channel(store.revision());
        let (drops, _) = watch::channel((0, false));
        let shared = Arc::new(Shared {
            store: Mutex::new(store),
            revisions,
            drops,
            faults: Mutex::new(Vec::new()),
            log: Mutex::new(Vec::new()),
            arrivals: AtomicU64::new(0),
            sink: Mutex::new(self.sink),
            bookmark_interval: self.bookmark_interval,
        });
        let serving = Arc::clone(&shared);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let shared = Arc::clone(&serving);
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        server::serve(Arc::clone(&shared), request)
                    });
                    // A connection error only ends that connection.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(StandIn { addr, shared, task })
    }
}

fn describe(object: &Value) -> String {
    let text = |v: &Value| v.as_str().unwrap_or("?").to_owned();
    format!(
        "{} {}/{}",
        text(&object["kind"]),
        object["metadata"]["namespace"].as_str().unwrap_or_default(),
        text(&object["metadata"]["name"])
    )
}

fn load(store: &mut Store, index: usize, object: Value) -> Result<(), StartError> {
    let bad = |problem: &str| StartError::BadObject {
        index,
        what: describe(&object),
        problem: problem.to_owned(),
    };
    if !object.is_object() {
        return Err(bad("not a mapping"));
    }
    for (field, value) in [
        ("apiVersion", &object["apiVersion"]),
        ("kind", &object["kind"]),
        ("metadata.name", &object["metadata"]["name"]),
    ] {
        if value.as_str().is_none_or(str::is_empty) {
            return Err(bad(&format!("{field} is missing")));
        }
    }
    let what = describe(&object);
    store.load(object).map_err(|error| match error {
        LoadError::Duplicate => StartError::Duplicate { index, what },
        LoadError::Invalid(problem) => StartError::BadObject {
            index,
            what,
            problem,
        },
    })
}

/// Reads a multi-document YAML stream of objects; `kind: List` documents contribute their items.
pub fn parse_objects(yaml: &str) -> Result<Vec<Value>, StartError> {
    let mut out = Vec::new();
    for (i, document) in serde_yaml_ng::Deserializer::from_str(yaml).enumerate() {
        let value: Value =
            serde::Deserialize::deserialize(document).map_err(|source| StartError::Yaml {
                index: i + 1,
                source,
            })?;
        match value {
            Value::Null => {}
            list if list["kind"] == "List" => {
                out.extend(list["items"].as_array().cloned().unwrap_or_default());
            }
            object => out.push(object),
        }
    }
    Ok(out)
}

/// A running stand-in. Dropping it stops the server.
pub struct StandIn {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl StandIn {
    /// Starts a stand-in on a free loopback port holding `objects`.
    pub async fn start(objects: Vec<Value>) -> Result<StandIn, StartError> {
        Self::builder().objects(objects).start().await
    }

    /// Options beyond the objects.
    pub fn builder() -> Builder {
        Builder {
            objects: Vec::new(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            sink: None,
            bookmark_interval: Duration::from_secs(1),
        }
    }

    /// The address it serves on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A kube configuration pointing at the stand-in (plain HTTP, no credentials, namespace
    /// `default`).
    pub fn config(&self) -> kube::Config {
        let uri = self
            .url()
            .parse()
            .expect("a socket address is a valid authority");
        kube::Config::new(uri)
    }

    /// A kube client for the stand-in.
    pub fn client(&self) -> Result<kube::Client, StartError> {
        kube::Client::try_from(self.config()).map_err(StartError::Client)
    }

    /// A kubeconfig file's content pointing at the stand-in (context `kube-stand-in`).
    pub fn kubeconfig(&self) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: kube-stand-in\n  cluster:\n    server: {}\nusers:\n- name: kube-stand-in\n  user: {{}}\ncontexts:\n- name: kube-stand-in\n  context:\n    cluster: kube-stand-in\n    user: kube-stand-in\n    namespace: default\ncurrent-context: kube-stand-in\n",
            self.url()
        )
    }

    /// Every request answered so far, in the order they arrived (so a request that saw another's
    /// change always comes after it, even when it was answered first).
    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.shared.log)
            .iter()
            .map(|(_, request)| request.clone())
            .collect()
    }

    /// The stored object of `kind` in `api_version` (as the API would return it), if it exists.
    pub fn object(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Option<Value> {
        let store = lock(&self.shared.store);
        let resource = store.catalog().by_kind(api_version, kind)?.clone();
        store.get(&resource, namespace, name).ok()
    }

    /// Every stored object of `kind` in `api_version`, in namespace and name order.
    pub fn objects(&self, api_version: &str, kind: &str) -> Vec<Value> {
        let store = lock(&self.shared.store);
        let Some(resource) = store.catalog().by_kind(api_version, kind).cloned() else {
            return Vec::new();
        };
        store.list(
            &resource,
            None,
            &LabelSelector::default(),
            &FieldSelector::default(),
        )
    }

    /// Schedules a fault.
    pub fn inject(&self, fault: Fault) {
        lock(&self.shared.faults).push(fault);
    }

    /// Faults scheduled and not yet used up.
    pub fn pending_faults(&self) -> Vec<Fault> {
        lock(&self.shared.faults)
            .iter()
            .filter(|f| f.times > 0)
            .cloned()
            .collect()
    }

    /// Ends every open watch, as a load balancer or an API server restart does.
    pub fn drop_watches(&self) {
        self.shared.drops.send_modify(|(n, expired)| {
            *n += 1;
            *expired = false;
        });
    }

    /// Forgets the watch history: open watches end with an `ERROR` event `410 Expired` (as when
    /// the API server's watch cache falls behind), and watches resuming from any earlier
    /// `resourceVersion` get the same. Clients must list again.
    pub fn expire_watch_history(&self) {
        lock(&self.shared.store).compact();
        self.shared.drops.send_modify(|(n, expired)| {
            *n += 1;
            *expired = true;
        });
    }

    /// Stops serving (also done on drop).
    pub fn shutdown(&self) {
        self.task.abort();
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}
