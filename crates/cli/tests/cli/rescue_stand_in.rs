//! `unstuck rescue` against `kube-stand-in` (the shared in-memory API double): the same cluster
//! as `rescue.rs`, so `status` must give the very same report, and writes go only to what is
//! stuck.

use std::path::Path;
use std::process::Output;

use kube_stand_in::StandIn;
use serde_json::Value;

use crate::rescue::{cluster, code, files_under, redacted};
use crate::support::{stderr, stdout, unstuck_in};

struct Running {
    stand_in: StandIn,
    // Serves the stand-in while the blocking binary runs.
    _runtime: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
}

fn start() -> Running {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let stand_in = runtime.block_on(StandIn::start(cluster())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("kubeconfig"), stand_in.kubeconfig()).unwrap();
    Running {
        stand_in,
        _runtime: runtime,
        dir,
    }
}

impl Running {
    fn rescue(&self, args: &[&str]) -> Output {
        let kubeconfig = self.dir.path().join("kubeconfig");
        let mut all = vec!["rescue", "--kubeconfig", kubeconfig.to_str().unwrap()];
        all.extend_from_slice(args);
        unstuck_in(self.dir.path(), &all)
    }

    fn writes(&self) -> Vec<String> {
        self.stand_in
            .requests()
            .into_iter()
            .filter(|r| !matches!(r.verb.as_str(), "GET" | "LIST" | "WATCH"))
            .map(|r| format!("{} {}", r.verb, r.path))
            .collect()
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

#[test]
fn status_on_the_stand_in_matches_the_documented_report() {
    let running = start();
    let out = running.rescue(&["status", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    // The same report as against the small fake (`cli__rescue__rescue_status_json.snap`).
    redacted().bind(|| insta::assert_json_snapshot!("rescue_status_json", report));
    assert_eq!(running.writes(), Vec::<String>::new());
}

#[test]
fn writes_on_the_stand_in_touch_only_what_is_stuck() {
    let running = start();
    let refused = running.rescue(&["force-delete", "configmap/protected", "-n", "apps", "--yes"]);
    assert_eq!(code(&refused), 1, "{}", stderr(&refused));
    let refused = running.rescue(&["helm-unlock", "api", "-n", "apps", "--yes"]);
    assert_eq!(code(&refused), 1, "{}", stderr(&refused));
    let refused = running.rescue(&["finalize-namespace", "apps", "--yes"]);
    assert_eq!(code(&refused), 1, "{}", stderr(&refused));
    assert_eq!(
        running.writes(),
        Vec::<String>::new(),
        "healthy objects get no write"
    );

    let unlocked = running.rescue(&[
        "helm-unlock",
        "web",
        "-n",
        "apps",
        "--yes",
        "--backup-dir",
        "b",
    ]);
    assert_eq!(code(&unlocked), 0, "{}", stderr(&unlocked));
    assert_eq!(
        running.writes(),
        [
            "DELETE /api/v1/namespaces/apps/secrets/sh.helm.release.v1.web.v2",
            "PATCH /apis/helm.toolkit.fluxcd.io/v2/namespaces/apps/helmreleases/web",
        ]
    );
    assert!(running
        .stand_in
        .object("v1", "Secret", "apps", "sh.helm.release.v1.web.v2")
        .is_none());
    assert!(running
        .stand_in
        .object("v1", "Secret", "apps", "sh.helm.release.v1.web.v1")
        .is_some());
    assert_eq!(
        files_under(&running.path().join("b")),
        ["apps/secret-sh.helm.release.v1.web.v2.json"]
    );
}

#[test]
fn a_stuck_namespace_on_the_stand_in_is_released() {
    let running = start();
    let out = running.rescue(&["finalize-namespace", "old", "--yes", "--backup-dir", "b"]);
    assert_eq!(code(&out), 0, "{}\n{}", stdout(&out), stderr(&out));
    let writes = running.writes();
    assert_eq!(
        writes.first().map(String::as_str),
        Some("PATCH /api/v1/namespaces/old/configmaps/held"),
        "{writes:?}"
    );
    assert!(
        files_under(&running.path().join("b")).contains(&"_cluster/namespace-old.json".to_owned())
    );
    assert!(
        running
            .stand_in
            .object("v1", "Namespace", "", "old")
            .is_none(),
        "the namespace is gone once nothing holds it: {:?}",
        running.stand_in.object("v1", "Namespace", "", "old")
    );
}
