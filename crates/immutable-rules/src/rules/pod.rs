//! Pod (`v1`): nearly all of `spec` is frozen; images, a shrinking `activeDeadlineSeconds`, added
//! tolerations, removed scheduling gates and (while gated) narrowed node constraints may change.

use serde_json::{Map, Value};

use super::Checker;
use crate::compare::{semantic_eq, Slot};
use crate::context::Mode;
use crate::update::Sent;

const GENERIC_ERROR: &str = "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

rule!(POD_CONTAINERS, "pod-containers",
    kinds: ["Pod"], fields: ["spec.containers", "spec.initContainers"],
    condition: "containers or init containers are added or removed",
    versions: "all",
    severity: Error, remediations: [Recreate, FluxForce]);
rule!(POD_SPEC, "pod-spec",
    kinds: ["Pod"], fields: ["spec.*"],
    condition: "a pod spec field other than container images, activeDeadlineSeconds, added tolerations, removed scheduling gates or (gated pods) narrowed node constraints changes; includes resources, which since 1.32 only the pods/resize subresource changes",
    versions: "all",
    severity: Error, remediations: [Recreate, FluxForce]);
rule!(POD_ACTIVE_DEADLINE_SECONDS, "pod-active-deadline-seconds",
    kinds: ["Pod"], fields: ["spec.activeDeadlineSeconds"],
    condition: "activeDeadlineSeconds increases or is unset once set (setting it or decreasing it is allowed)",
    versions: "all",
    severity: Error, remediations: [Revert, Recreate]);
rule!(POD_TOLERATIONS, "pod-tolerations",
    kinds: ["Pod"], fields: ["spec.tolerations"],
    condition: "an existing toleration is removed or modified other than its tolerationSeconds (additions are allowed)",
    versions: "all",
    severity: Error, remediations: [Revert, Recreate]);
rule!(POD_SCHEDULING_GATES, "pod-scheduling-gates",
    kinds: ["Pod"], fields: ["spec.schedulingGates"],
    condition: "a scheduling gate is added (only removal is allowed)",
    versions: "1.27+ (field introduced)",
    severity: Error, remediations: [Revert, Recreate]);
rule!(POD_NODE_SELECTOR, "pod-node-selector",
    kinds: ["Pod"], fields: ["spec.nodeSelector", "spec.affinity.nodeAffinity"],
    condition: "node constraints of a pod that is still scheduling-gated change other than by narrowing (nodeSelector additions, added match expressions)",
    versions: "1.30+ (PodSchedulingReadiness GA); ungated pods: never",
    severity: Error, remediations: [Revert, Recreate]);

rule!(POD_IMAGE_EMPTY, "pod-image-empty",
    kinds: ["Pod"], fields: ["spec.containers[].image", "spec.initContainers[].image"],
    condition: "a container image becomes empty or gains surrounding whitespace (images are mutable, but must stay valid)",
    versions: "all",
    severity: Error, remediations: [Revert]);
rule!(POD_RESTRICTED_ANNOTATIONS, "pod-restricted-annotations",
    kinds: ["Pod"], fields: ["metadata.annotations[container.apparmor.security.beta.kubernetes.io/*]", "metadata.annotations[kubernetes.io/config.mirror]"],
    condition: "a beta AppArmor annotation or the mirror-pod annotation is added, removed or changed",
    versions: "all",
    severity: Error, remediations: [Revert, Recreate]);

const APPARMOR_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";
const MIRROR: &str = "kubernetes.io/config.mirror";

/// Pod rules.
pub(super) fn check(c: &mut Checker<'_>) {
    restricted_annotations(c);
    for key in ["containers", "initContainers"] {
        images_valid(c, key);
    }
    let gated = c
        .upd
        .old_at(&["spec", "schedulingGates"])
        .and_then(Value::as_array)
        .is_some_and(|g| !g.is_empty());
    for key in c.upd.keys(&["spec"]) {
        match key {
            "containers" | "initContainers" => containers(c, key),
            "activeDeadlineSeconds" => active_deadline(c),
            "tolerations" => tolerations(c),
            "schedulingGates" => scheduling_gates(c),
            "nodeSelector" if gated && c.at_least(1, 30) => node_selector(c),
            "affinity" if gated && c.at_least(1, 30) => affinity(c),
            "terminationGracePeriodSeconds" => grace_period(c),
            other => generic(c, &["spec", other]),
        }
    }
}

fn restricted_annotations(c: &mut Checker<'_>) {
    let restricted = |k: &str| k.starts_with(APPARMOR_PREFIX) || k == MIRROR;
    let mut keys: Vec<&str> = c.upd.keys(&["metadata", "annotations"]);
    if let Some(Value::Object(old)) = c.upd.old_at(&["metadata", "annotations"]) {
        keys.extend(old.keys().map(String::as_str));
    }
    keys.retain(|k| restricted(k));
    keys.sort_unstable();
    keys.dedup();
    for key in keys {
        let path = ["metadata", "annotations", key];
        let old = c.upd.old_str(&path);
        let new = match (c.upd.sent(&path), c.upd.mode) {
            (Sent::Absent, Mode::Apply) => continue,
            (Sent::Value(v), _) => v.as_str(),
            _ => None,
        };
        if old == new {
            continue;
        }
        let error = match (old, key == MIRROR) {
            (None, false) => "metadata.annotations: Forbidden: may not add AppArmor annotations",
            (_, false) => {
                "metadata.annotations: Forbidden: may not remove or update AppArmor annotations"
            }
            (None, true) => "metadata.annotations: Forbidden: may not add mirror pod annotation",
            (_, true) => {
                "metadata.annotations: Forbidden: may not remove or update mirror pod annotation"
            }
        };
        c.report(
            &POD_RESTRICTED_ANNOTATIONS,
            "metadata.annotations",
            "these annotations are fixed for the life of a pod",
            error,
        );
    }
}

fn images_valid(c: &mut Checker<'_>, key: &str) {
    let Some(list) = sent_list(c, &["spec", key]) else {
        return;
    };
    let old = old_list(c, &["spec", key]);
    for (i, container) in list.iter().enumerate() {
        if let Some(Value::String(image)) = container.get("image") {
            let unchanged = old.get(i).and_then(|o| o.get("image")) == container.get("image");
            if !unchanged && (image.is_empty() || image.trim() != image) {
                let field = format!("spec.{key}[{i}].image");
                let error = if image.is_empty() {
                    format!("{field}: Required value")
                } else {
                    format!("{field}: Invalid value: {image:?}: must not have leading or trailing whitespace")
                };
                c.report(
                    &POD_IMAGE_EMPTY,
                    &field,
                    "an image may change, but must name an image",
                    &error,
                );
            }
        }
    }
}

fn generic(c: &mut Checker<'_>, path: &[&str]) {
    generic_except(c, path, &[]);
}

fn generic_except(c: &mut Checker<'_>, path: &[&str], exclude: &[&[&str]]) {
    if let Some(field) = c.upd.difference_except(path, exclude) {
        c.report(
            &POD_SPEC,
            &field,
            "a running pod's spec is frozen; the controller that owns the pod (Deployment, StatefulSet, Job…) is where changes belong",
            GENERIC_ERROR,
        );
    }
}

/// The list at `path` as sent: `None` when apply keeps the live one.
fn sent_list<'a>(c: &Checker<'a>, path: &[&str]) -> Option<&'a [Value]> {
    static EMPTY: [Value; 0] = [];
    match (c.upd.sent(path), c.upd.mode) {
        (Sent::Absent, Mode::Apply) => None,
        (Sent::Value(Value::Array(list)), _) => Some(list),
        _ => Some(&EMPTY),
    }
}

fn old_list<'a>(c: &Checker<'a>, path: &[&str]) -> &'a [Value] {
    c.upd
        .old_at(path)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn containers(c: &mut Checker<'_>, key: &str) {
    let path = ["spec", key];
    let Some(new) = sent_list(c, &path) else {
        return;
    };
    if new.len() != old_list(c, &path).len() {
        let field = format!("spec.{key}");
        c.report(
            &POD_CONTAINERS,
            &field,
            "a pod's set of containers is fixed at creation",
            "spec.containers: Forbidden: pod updates may not add or remove containers",
        );
        return;
    }
    generic_except(c, &path, &[&["[]", "image"]]);
}

fn active_deadline(c: &mut Checker<'_>) {
    let path = ["spec", "activeDeadlineSeconds"];
    let Some(old) = c.upd.old_at(&path).and_then(Value::as_i64) else {
        return;
    };
    let new = match (c.upd.sent(&path), c.upd.mode) {
        (Sent::Absent, Mode::Apply) => return,
        (Sent::Value(v), _) => v.as_i64(),
        _ => None,
    };
    let error = match new {
        None => "spec.activeDeadlineSeconds: Invalid value: null: must not update from a positive integer to nil value".to_owned(),
        Some(n) if n > old => format!("spec.activeDeadlineSeconds: Invalid value: {n}: must be less than or equal to previous value"),
        Some(_) => return,
    };
    c.report(
        &POD_ACTIVE_DEADLINE_SECONDS,
        "spec.activeDeadlineSeconds",
        "a pod's deadline may only be set or shortened",
        &error,
    );
}

fn without_seconds(toleration: &Value) -> Value {
    let mut t = toleration.clone();
    if let Value::Object(map) = &mut t {
        map.remove("tolerationSeconds");
    }
    t
}

fn tolerations(c: &mut Checker<'_>) {
    let path = ["spec", "tolerations"];
    let Some(new) = sent_list(c, &path) else {
        return;
    };
    let new: Vec<Value> = new.iter().map(without_seconds).collect();
    let kept = old_list(c, &path).iter().all(|old| {
        let old = without_seconds(old);
        new.iter()
            .any(|n| semantic_eq(Some(&old), Some(n), Slot::Element))
    });
    if !kept {
        c.report(
            &POD_TOLERATIONS,
            "spec.tolerations",
            "a pod may gain tolerations but never lose or change one (except tolerationSeconds)",
            "spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds",
        );
    }
}

fn gate_names(list: &[Value]) -> Vec<&str> {
    list.iter()
        .filter_map(|g| g.get("name").and_then(Value::as_str))
        .collect()
}

fn scheduling_gates(c: &mut Checker<'_>) {
    let path = ["spec", "schedulingGates"];
    let Some(new) = sent_list(c, &path) else {
        return;
    };
    let old = gate_names(old_list(c, &path));
    if let Some((i, added)) = gate_names(new)
        .into_iter()
        .enumerate()
        .find(|(_, name)| !old.contains(name))
    {
        let error = format!(
            "spec.schedulingGates[{i}].name: Forbidden: only deletion is allowed, but found new scheduling gate '{added}'"
        );
        c.report(
            &POD_SCHEDULING_GATES,
            "spec.schedulingGates",
            "scheduling gates may only be removed once the pod exists",
            &error,
        );
    }
}

fn node_selector(c: &mut Checker<'_>) {
    let path = ["spec", "nodeSelector"];
    let merged = c.upd.merged_at(&path).unwrap_or(Value::Null);
    let empty = Map::new();
    let old = c
        .upd
        .old_at(&path)
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let only_additions = old
        .iter()
        .all(|(k, v)| merged.get(k).is_some_and(|n| n == v));
    if !only_additions {
        c.report(
            &POD_NODE_SELECTOR,
            "spec.nodeSelector",
            "a scheduling-gated pod may only narrow its node selector",
            "spec.nodeSelector: Invalid value: ...: only additions to spec.nodeSelector are allowed (no mutations or deletions)",
        );
    }
}

/// Whether every old required node-selector term survives, possibly with more expressions.
fn node_affinity_narrowed(old: Option<&Value>, new: Option<&Value>) -> bool {
    let terms = |v: Option<&Value>| -> Vec<Value> {
        v.and_then(|a| {
            a.pointer("/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms")
        })
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    };
    let old_terms = terms(old);
    let new_terms = terms(new);
    if old_terms.is_empty() {
        return true;
    }
    old_terms.len() == new_terms.len()
        && old_terms.iter().zip(&new_terms).all(|(o, n)| {
            ["matchExpressions", "matchFields"].iter().all(|key| {
                let list = |t: &Value| {
                    t.get(*key)
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default()
                };
                let new_list = list(n);
                list(o).iter().all(|e| new_list.contains(e))
            })
        })
}

fn affinity(c: &mut Checker<'_>) {
    generic_except(c, &["spec", "affinity"], &[&["nodeAffinity"]]);
    let path = ["spec", "affinity", "nodeAffinity"];
    if !c.upd.changed(&path) {
        return;
    }
    let merged = c.upd.merged_at(&path);
    let preferred_same = semantic_eq(
        c.upd
            .old_at(&path)
            .and_then(|a| a.get("preferredDuringSchedulingIgnoredDuringExecution")),
        merged
            .as_ref()
            .and_then(|a| a.get("preferredDuringSchedulingIgnoredDuringExecution")),
        Slot::Field,
    );
    if !preferred_same || !node_affinity_narrowed(c.upd.old_at(&path), merged.as_ref()) {
        c.report(
            &POD_NODE_SELECTOR,
            "spec.affinity.nodeAffinity",
            "a scheduling-gated pod may only add match expressions to its existing required node-selector terms",
            "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Invalid value: ...: no additions/deletions to non-empty NodeSelectorTerms list are allowed",
        );
    }
}

fn grace_period(c: &mut Checker<'_>) {
    let path = ["spec", "terminationGracePeriodSeconds"];
    let old = c.upd.old_at(&path).and_then(Value::as_i64);
    let new = c.upd.new_at(&path).and_then(Value::as_i64);
    if old.is_some_and(|o| o < 0) && new == Some(1) {
        return;
    }
    generic(c, &path);
}
