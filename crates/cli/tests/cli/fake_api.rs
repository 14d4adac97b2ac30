//! A small in-process fake Kubernetes API server for the `rescue` end-to-end tests: plain
//! HTTP/1.1, aggregated discovery, get/list/merge-patch/put/post/delete over objects in memory,
//! and a log of every request. (The shared `kube-stand-in` crate had not landed when these were
//! written; this covers only what `rescue` sends.)

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

/// One served resource: group, version, kind, plural, namespaced.
#[derive(Clone, Copy)]
pub(crate) struct Kind(
    pub(crate) &'static str,
    pub(crate) &'static str,
    pub(crate) &'static str,
    pub(crate) &'static str,
    pub(crate) bool,
);

pub(crate) const KINDS: [Kind; 7] = [
    Kind("", "v1", "Namespace", "namespaces", false),
    Kind("", "v1", "ConfigMap", "configmaps", true),
    Kind("", "v1", "Secret", "secrets", true),
    Kind("apps", "v1", "Deployment", "deployments", true),
    Kind(
        "kustomize.toolkit.fluxcd.io",
        "v1",
        "Kustomization",
        "kustomizations",
        true,
    ),
    Kind(
        "helm.toolkit.fluxcd.io",
        "v2",
        "HelmRelease",
        "helmreleases",
        true,
    ),
    Kind(
        "source.toolkit.fluxcd.io",
        "v1",
        "GitRepository",
        "gitrepositories",
        true,
    ),
];

fn prefix(kind: Kind) -> String {
    if kind.0.is_empty() {
        format!("/api/{}", kind.1)
    } else {
        format!("/apis/{}/{}", kind.0, kind.1)
    }
}

fn kind_of(object: &Value) -> Kind {
    KINDS
        .into_iter()
        .find(|k| object["kind"] == k.2)
        .unwrap_or_else(|| panic!("the fake serves no kind {}", object["kind"]))
}

fn object_path(object: &Value) -> String {
    let kind = kind_of(object);
    let name = object["metadata"]["name"].as_str().unwrap();
    match object["metadata"]["namespace"].as_str() {
        Some(ns) if kind.4 => format!("{}/namespaces/{ns}/{}/{name}", prefix(kind), kind.3),
        _ => format!("{}/{}/{name}", prefix(kind), kind.3),
    }
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) body: Value,
}

#[derive(Default)]
struct State {
    objects: BTreeMap<String, Value>,
    /// Plurals whose lists answer 503, like an aggregated API whose backend is down.
    unavailable: Vec<&'static str>,
    seen: Vec<Seen>,
}

/// The running fake.
pub(crate) struct FakeApi {
    state: Arc<Mutex<State>>,
    port: u16,
}

impl FakeApi {
    /// Serves `objects` on a free local port until the test process ends.
    pub(crate) fn start(objects: Vec<Value>) -> FakeApi {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        for mut object in objects {
            object["metadata"]["resourceVersion"] = json!("1");
            let path = object_path(&object);
            state.lock().unwrap().objects.insert(path, object);
        }
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        FakeApi { state, port }
    }

    /// A kubeconfig for the fake, written into `dir`.
    pub(crate) fn kubeconfig(&self, dir: &Path) -> std::path::PathBuf {
        let path = dir.join("kubeconfig");
        std::fs::write(
            &path,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster: {{server: \"http://127.0.0.1:{}\"}}\nusers:\n- name: u\n  user: {{token: t}}\ncontexts:\n- name: fake\n  context: {{cluster: fake, user: u, namespace: apps}}\ncurrent-context: fake\n",
                self.port
            ),
        )
        .unwrap();
        path
    }

    /// Every write (anything but GET) so far, as `METHOD path`.
    pub(crate) fn writes(&self) -> Vec<String> {
        self.requests()
            .into_iter()
            .filter(|s| s.method != "GET")
            .map(|s| format!("{} {}", s.method, s.path))
            .collect()
    }

    /// Every request so far.
    pub(crate) fn requests(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    /// The stored object at `path`.
    pub(crate) fn object(&self, path: &str) -> Option<Value> {
        self.state.lock().unwrap().objects.get(path).cloned()
    }

    /// Makes every list of `plural` answer 503 Service Unavailable.
    pub(crate) fn make_unavailable(&self, plural: &'static str) {
        self.state.lock().unwrap().unavailable.push(plural);
    }

    /// Removes the object at `path` (as if deleted behind the tool's back).
    pub(crate) fn remove(&self, path: &str) {
        self.state.lock().unwrap().objects.remove(path);
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let uri = parts.next().unwrap_or_default().to_owned();
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).unwrap();
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap();
                }
            }
        }
        let mut bytes = vec![0; length];
        reader.read_exact(&mut bytes).unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let path = uri.split('?').next().unwrap_or_default().to_owned();
        let (status, reply) = handle(state, &method, &path, body);
        let text = serde_json::to_vec(&reply).unwrap();
        let head = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            text.len()
        );
        if writer.write_all(head.as_bytes()).is_err() || writer.write_all(&text).is_err() {
            return;
        }
    }
}

fn not_found() -> (u16, Value) {
    (
        404,
        json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404, "message": "not found"}),
    )
}

fn discovery(core: bool) -> Value {
    let mut groups: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for kind in KINDS.into_iter().filter(|k| k.0.is_empty() == core) {
        groups.entry(kind.0).or_default().push(json!({
            "resource": kind.3,
            "responseKind": {"group": kind.0, "version": kind.1, "kind": kind.2},
            "scope": if kind.4 { "Namespaced" } else { "Cluster" },
            "verbs": ["get", "list", "patch", "delete", "create"],
        }));
    }
    let items: Vec<Value> = groups
        .into_iter()
        .map(|(group, resources)| {
            let version = KINDS.iter().find(|k| k.0 == group).unwrap().1;
            json!({"metadata": {"name": group}, "versions": [{"version": version, "resources": resources}]})
        })
        .collect();
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items})
}

fn merge(target: &mut Value, patch: &Value) {
    let Some(patch) = patch.as_object() else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    let map = target.as_object_mut().unwrap();
    for (key, value) in patch {
        if value.is_null() {
            map.remove(key);
        } else {
            merge(map.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

fn list(state: &State, path: &str) -> Option<Value> {
    for kind in KINDS {
        let all = format!("{}/{}", prefix(kind), kind.3);
        let items: Vec<Value> = state
            .objects
            .values()
            .filter(|o| kind_of(o).2 == kind.2)
            .filter(|o| {
                path == all
                    || o["metadata"]["namespace"].as_str().is_some_and(|ns| {
                        path == format!("{}/namespaces/{ns}/{}", prefix(kind), kind.3)
                    })
            })
            .map(|o| {
                let mut item = o.clone();
                // Lists carry the kind once, not per item.
                item.as_object_mut().unwrap().remove("kind");
                item
            })
            .collect();
        if path == all
            || (kind.4
                && path.starts_with(&format!("{}/namespaces/", prefix(kind)))
                && path.ends_with(&format!("/{}", kind.3)))
        {
            return Some(
                json!({"kind": format!("{}List", kind.2), "apiVersion": kind.1, "items": items}),
            );
        }
    }
    None
}

fn handle(state: &Mutex<State>, method: &str, path: &str, body: Value) -> (u16, Value) {
    let mut state = state.lock().unwrap();
    state.seen.push(Seen {
        method: method.to_owned(),
        path: path.to_owned(),
        body: body.clone(),
    });
    match method {
        "GET" if path == "/api" => (200, discovery(true)),
        "GET" if path == "/apis" => (200, discovery(false)),
        "GET" => {
            if let Some(object) = state.objects.get(path) {
                return (200, object.clone());
            }
            if state
                .unavailable
                .iter()
                .any(|plural| path.ends_with(&format!("/{plural}")))
            {
                return (
                    503,
                    json!({"kind": "Status", "status": "Failure", "reason": "ServiceUnavailable",
                    "code": 503, "message": "the server is currently unable to handle the request"}),
                );
            }
            list(&state, path).map_or_else(not_found, |l| (200, l))
        }
        "PATCH" => {
            let Some(object) = state.objects.get_mut(path) else {
                return not_found();
            };
            let expected = body["metadata"]["resourceVersion"].as_str();
            if expected.is_some_and(|rv| Some(rv) != object["metadata"]["resourceVersion"].as_str())
            {
                return (
                    409,
                    json!({"kind": "Status", "status": "Failure", "reason": "Conflict", "code": 409, "message": "changed"}),
                );
            }
            merge(object, &body);
            object["metadata"]["resourceVersion"] = json!("2");
            (200, object.clone())
        }
        "PUT" if path.ends_with("/finalize") => {
            let object_path = path.trim_end_matches("/finalize");
            let Some(object) = state.objects.get_mut(object_path) else {
                return not_found();
            };
            object["spec"]["finalizers"] = body["spec"]["finalizers"].clone();
            (200, object.clone())
        }
        "DELETE" => state
            .objects
            .remove(path)
            .map_or_else(not_found, |o| (200, o)),
        "POST" => {
            let mut object = body;
            let stored = object_path(&object);
            if !stored.starts_with(path) {
                return (
                    400,
                    json!({"kind": "Status", "code": 400, "message": "wrong collection"}),
                );
            }
            object["metadata"]["resourceVersion"] = json!("1");
            state.objects.insert(stored, object.clone());
            (201, object)
        }
        _ => (
            405,
            json!({"kind": "Status", "code": 405, "message": "unsupported"}),
        ),
    }
}
