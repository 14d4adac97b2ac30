//! The pure decisions behind `unstuck rescue`: what counts as stuck, and what is refused.

use recovery_actions::backup::restore;
use recovery_actions::flux::FluxKind;
use recovery_actions::fluxops::{flux_op, FluxOp};
use recovery_actions::helm::{helm_release_for, release_heads, unlock};
use recovery_actions::plan::{Decision, Refusal};
use recovery_actions::request::Verb;
use recovery_actions::status::{status, Snapshot, Verdict};
use recovery_actions::target::{resolve_kind_static, KindName};
use recovery_actions::terminating::{finalize_namespace, force_delete, namespace_still_stuck};
use serde_json::{json, Value};

fn resource(kind: &str) -> kube::api::ApiResource {
    resolve_kind_static(&KindName::parse(&format!("{kind}/x")).unwrap())
        .unwrap()
        .resource
}

#[test]
fn force_delete_acts_only_on_objects_held_while_being_deleted() {
    let cm = resource("configmap");
    assert!(matches!(force_delete(&cm, None), Decision::NothingToDo(_)));
    let deleting_without_finalizers = json!({"kind": "ConfigMap", "metadata": {"name": "a", "namespace": "n",
        "deletionTimestamp": "2026-01-01T00:00:00Z"}});
    assert!(matches!(
        force_delete(&cm, Some(&deleting_without_finalizers)),
        Decision::NothingToDo(_)
    ));
    let finalizers_but_alive = json!({"kind": "ConfigMap", "metadata": {"name": "a", "namespace": "n",
        "finalizers": ["x"]}});
    let Decision::Refused(refusal) = force_delete(&cm, Some(&finalizers_but_alive)) else {
        panic!("a live object is refused")
    };
    assert!(refusal.to_string().contains("ConfigMap/n/a"));
    assert!(refusal.to_string().contains("kubectl delete"));
}

#[test]
fn active_namespaces_are_never_finalized() {
    // The emergency scripts compared `deletionTimestamp` with the string "null" and so treated
    // every namespace as stuck; an active namespace with the usual `kubernetes` finalizer is not.
    let active = json!({"kind": "Namespace", "metadata": {"name": "apps"},
        "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}});
    assert_eq!(
        finalize_namespace(&active, &[]),
        Decision::Refused(Refusal::NamespaceNotTerminating {
            namespace: "apps".into()
        })
    );
    assert!(!namespace_still_stuck(Some(&active)));
    assert!(!namespace_still_stuck(None));
    let terminating_done = json!({"kind": "Namespace", "metadata": {"name": "old", "deletionTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {}, "status": {"phase": "Terminating"}});
    assert!(!namespace_still_stuck(Some(&terminating_done)));
    assert!(matches!(
        finalize_namespace(&terminating_done, &[]),
        Decision::NothingToDo(_)
    ));
}

#[test]
fn a_namespace_with_metadata_finalizers_gets_both_guarded_writes() {
    let ns = json!({"kind": "Namespace", "metadata": {"name": "old", "deletionTimestamp": "2026-01-01T00:00:00Z",
        "finalizers": ["example.com/ns"]}, "spec": {"finalizers": ["kubernetes"]}});
    let Decision::Act(plan) = finalize_namespace(&ns, &[]) else {
        panic!()
    };
    let requests: Vec<String> = plan.requests.iter().map(ToString::to_string).collect();
    assert_eq!(
        requests,
        [
            r#"PATCH /api/v1/namespaces/old {"metadata":{"finalizers":null}} (only if namespace old is still stuck terminating)"#,
            r#"PUT /api/v1/namespaces/old/finalize {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"old"},"spec":{"finalizers":[]}} (only if namespace old is still stuck terminating)"#,
        ]
    );
    assert_eq!(plan.backups.len(), 1);
}

fn helm_secret(v: u64, status: &str) -> Value {
    json!({"kind": "Secret", "metadata": {"name": format!("sh.helm.release.v1.web.v{v}"), "namespace": "apps",
        "uid": format!("u{v}"), "labels": {"owner": "helm", "name": "web", "version": v.to_string(), "status": status}}})
}

#[test]
fn only_the_latest_revision_decides_whether_a_release_is_locked() {
    // A pending revision that was superseded later does not lock anything.
    let history = [
        helm_secret(10, "deployed"),
        helm_secret(9, "pending-upgrade"),
    ];
    assert!(release_heads(&history).iter().all(|h| !h.is_locked()));
    assert_eq!(
        unlock("apps", "web", &history, None, "t"),
        Decision::Refused(Refusal::NotLocked {
            namespace: "apps".into(),
            release: "web".into(),
            revision: 10,
            status: "deployed".into()
        })
    );
    // Revision numbers compare as numbers, not strings ("10" > "9").
    let locked = [
        helm_secret(9, "deployed"),
        helm_secret(10, "pending-rollback"),
    ];
    let Decision::Act(plan) = unlock("apps", "web", &locked, None, "t") else {
        panic!()
    };
    assert_eq!(
        plan.requests.len(),
        1,
        "no HelmRelease: nothing to annotate"
    );
    assert_eq!(plan.requests[0].verb, Verb::Delete);
    assert!(matches!(
        unlock("apps", "other", &locked, None, "t"),
        Decision::NothingToDo(_)
    ));
    // Secrets not written by Helm are ignored.
    let mut foreign = helm_secret(11, "pending-install");
    foreign["metadata"]["labels"]["owner"] = json!("someone");
    assert_eq!(release_heads(&[foreign]), []);
}

#[test]
fn helm_releases_are_found_by_storage_namespace_and_release_name() {
    let hrs = [
        json!({"metadata": {"name": "web", "namespace": "flux-system"}, "spec": {"targetNamespace": "apps", "storageNamespace": "apps"}}),
        json!({"metadata": {"name": "db", "namespace": "apps"}, "spec": {"releaseName": "postgres"}}),
    ];
    assert_eq!(
        helm_release_for("apps", "apps-web", &hrs).unwrap()["metadata"]["name"],
        "web"
    );
    assert_eq!(
        helm_release_for("apps", "postgres", &hrs).unwrap()["metadata"]["name"],
        "db"
    );
    assert!(helm_release_for("apps", "db", &hrs).is_none());
}

#[test]
fn flux_operations_write_only_what_changes() {
    let ks_resource = FluxKind::Kustomization.api_resource();
    let git = resource("gitrepository");
    let ks = json!({"kind": "Kustomization", "metadata": {"name": "apps", "namespace": "flux-system"}, "spec": {}});
    let suspended = json!({"kind": "Kustomization", "metadata": {"name": "apps", "namespace": "flux-system"}, "spec": {"suspend": true}});
    let source = json!({"kind": "GitRepository", "metadata": {"name": "repo", "namespace": "flux-system"}, "spec": {}});

    assert!(matches!(
        flux_op(FluxOp::Suspend, (&ks_resource, &suspended), None, "t"),
        Decision::NothingToDo(_)
    ));
    assert!(matches!(
        flux_op(FluxOp::Resume, (&ks_resource, &ks), None, "t"),
        Decision::NothingToDo(_)
    ));
    assert!(matches!(
        flux_op(FluxOp::Reconcile, (&ks_resource, &suspended), None, "t"),
        Decision::Refused(Refusal::Suspended { .. })
    ));
    let Decision::Act(plan) = flux_op(
        FluxOp::Reconcile,
        (&ks_resource, &ks),
        Some((&git, &source)),
        "t",
    ) else {
        panic!()
    };
    let paths: Vec<&str> = plan.requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/gitrepositories/repo",
            "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/apps",
        ],
        "the source first"
    );
    let Decision::Act(plan) = flux_op(FluxOp::Resume, (&ks_resource, &suspended), None, "t") else {
        panic!()
    };
    assert_eq!(
        plan.requests[0].body,
        Some(
            json!({"spec": {"suspend": false}, "metadata": {"annotations": {"reconcile.fluxcd.io/requestedAt": "t"}}})
        )
    );
    assert!(matches!(
        flux_op(FluxOp::Suspend, (&resource("deployment"), &ks), None, "t"),
        Decision::Refused(Refusal::NotFlux { .. })
    ));
}

#[test]
fn restore_creates_only_what_is_missing() {
    let cm = resource("configmap");
    let backup = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "n", "uid": "old"}});
    assert!(matches!(
        restore(&[(cm.clone(), backup.clone(), Some(backup.clone()))]),
        Decision::NothingToDo(_)
    ));
    let Decision::Act(plan) = restore(&[(cm, backup, None)]) else {
        panic!()
    };
    assert_eq!(plan.requests[0].verb, Verb::Post);
    assert_eq!(plan.requests[0].path, "/api/v1/namespaces/n/configmaps");
    assert!(plan.requests[0].body.as_ref().unwrap()["metadata"]
        .get("uid")
        .is_none());
}

#[test]
fn a_healthy_cluster_reports_nothing() {
    let snapshot = Snapshot {
        namespaces: vec![json!({"kind": "Namespace", "metadata": {"name": "apps"},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})],
        objects: vec![
            json!({"kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": "apps",
            "finalizers": ["kubernetes.io/pvc-protection"]}}),
        ],
        flux: vec![
            json!({"kind": "Kustomization", "metadata": {"name": "apps", "namespace": "flux-system"},
            "spec": {}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}}),
        ],
        sources: vec![],
        helm_secrets: vec![helm_secret(3, "deployed")],
    };
    let report = status(&snapshot, 0, |_| panic!("nothing to classify"));
    assert!(report.is_empty(), "{report:#?}");
}

#[test]
fn status_lists_what_is_stuck_in_the_documented_shape() {
    let snapshot = Snapshot {
        namespaces: vec![
            json!({"kind": "Namespace", "metadata": {"name": "old", "deletionTimestamp": "2026-01-01T00:00:00Z"},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Terminating"}}),
        ],
        objects: vec![
            json!({"kind": "ConfigMap", "metadata": {"name": "held", "namespace": "old",
            "deletionTimestamp": "2026-01-01T00:00:00Z", "finalizers": ["example.com/hold"]}}),
        ],
        flux: vec![
            json!({"kind": "HelmRelease", "metadata": {"name": "web", "namespace": "apps"},
            "spec": {"suspend": true}, "status": {"conditions": [{"type": "Ready", "status": "False",
            "lastTransitionTime": "2026-01-01T00:00:00Z", "message": "boom"}]}}),
        ],
        sources: vec![],
        helm_secrets: vec![helm_secret(2, "pending-install")],
    };
    let report = status(&snapshot, 1_767_225_600 + 90, |_| Verdict {
        pattern: Some("p".into()),
        action: Some("a".into()),
        next_step: "n".into(),
    });
    assert_eq!(
        serde_json::to_value(&report).unwrap(),
        json!({
            "namespaces": [{"name": "old", "terminating_since": "2026-01-01T00:00:00Z",
                "blockers": [{"kind": "ConfigMap", "namespace": "old", "name": "held", "finalizers": ["example.com/hold"]}]}],
            "terminating_objects": [{"kind": "ConfigMap", "namespace": "old", "name": "held",
                "finalizers": ["example.com/hold"], "since": "2026-01-01T00:00:00Z"}],
            "flux": [{"kind": "HelmRelease", "namespace": "apps", "name": "web", "not_ready_for_s": 90,
                "message": "boom", "pattern": "p", "action": "a", "next_step": "n"}],
            "helm_locks": [{"namespace": "apps", "release": "web", "revision": 2, "status": "pending-install",
                "secret": "sh.helm.release.v1.web.v2"}],
            "suspended": [{"kind": "HelmRelease", "namespace": "apps", "name": "web"}],
        })
    );
}
