//! What a blue-green copy takes over from the object it replaces, besides the referrers by
//! name of [`super::referrers`]: the pod templates reading a renamed `ConfigMap` or `Secret`,
//! and the `PodDisruptionBudget`s guarding the pods of a workload whose pod labels change.

use immutable_rules::ObjectRef;
use serde_json::Value;

use super::Referrer;
use crate::render::Rendered;

/// Where each kind that runs pods keeps its pod spec (dotted, no list indices).
pub(super) fn pod_spec_path(kind: &str) -> Option<&'static str> {
    match kind {
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => Some("spec.template.spec"),
        "CronJob" => Some("spec.jobTemplate.spec.template.spec"),
        "Pod" => Some("spec"),
        _ => None,
    }
}

/// Whether a change to the pod spec of a `kind` is refused in place (a `Job`'s template and a
/// `Pod`'s spec), so it cannot be pointed at a copy without being recreated itself.
pub(super) fn pod_spec_is_immutable(kind: &str) -> bool {
    matches!(kind, "Job" | "Pod")
}

fn at<'v>(object: &'v Value, dotted: &str) -> &'v Value {
    dotted.split('.').fold(object, |value, key| &value[key])
}

fn items(value: &Value) -> &[Value] {
    value.as_array().map_or(&[][..], Vec::as_slice)
}

/// The fields of `object`'s pod spec naming `target`, a `ConfigMap` or `Secret` of its
/// namespace: volumes (also projected ones), `env[].valueFrom` and `envFrom` of containers
/// and init containers, and — for a `Secret` — `imagePullSecrets`.
pub(super) fn config_references(target: &ObjectRef, object: &Value) -> Vec<String> {
    let Some(spec_path) = object["kind"].as_str().and_then(pod_spec_path) else {
        return Vec::new();
    };
    if ObjectRef::of(object).namespace != target.namespace {
        return Vec::new();
    }
    let (volume_key, volume_name, env_key, from_key) = match target.kind.as_str() {
        "ConfigMap" => ("configMap", "name", "configMapKeyRef", "configMapRef"),
        "Secret" => ("secret", "secretName", "secretKeyRef", "secretRef"),
        _ => return Vec::new(),
    };
    let names = |value: &Value| value.as_str() == Some(target.name.as_str());
    let spec = at(object, spec_path);
    let mut fields = Vec::new();
    for (i, volume) in items(&spec["volumes"]).iter().enumerate() {
        if names(&volume[volume_key][volume_name]) {
            fields.push(format!(
                "{spec_path}.volumes[{i}].{volume_key}.{volume_name}"
            ));
        }
        for (j, source) in items(&volume["projected"]["sources"]).iter().enumerate() {
            if names(&source[volume_key]["name"]) {
                fields.push(format!(
                    "{spec_path}.volumes[{i}].projected.sources[{j}].{volume_key}.name"
                ));
            }
        }
    }
    for containers in ["initContainers", "containers"] {
        for (k, container) in items(&spec[containers]).iter().enumerate() {
            let base = format!("{spec_path}.{containers}[{k}]");
            for (l, env) in items(&container["env"]).iter().enumerate() {
                if names(&env["valueFrom"][env_key]["name"]) {
                    fields.push(format!("{base}.env[{l}].valueFrom.{env_key}.name"));
                }
            }
            for (l, from) in items(&container["envFrom"]).iter().enumerate() {
                if names(&from[from_key]["name"]) {
                    fields.push(format!("{base}.envFrom[{l}].{from_key}.name"));
                }
            }
        }
    }
    if target.kind == "Secret" {
        for (i, pull) in items(&spec["imagePullSecrets"]).iter().enumerate() {
            if names(&pull["name"]) {
                fields.push(format!("{spec_path}.imagePullSecrets[{i}].name"));
            }
        }
    }
    fields
}

/// The pod labels a copy changes: `(key, old value, new value)`.
pub(super) fn changed_labels(old: &Value, new: &Value) -> Vec<(String, String, String)> {
    let labels = |doc: &Value| doc["spec"]["template"]["metadata"]["labels"].clone();
    let (old_labels, new_labels) = (labels(old), labels(new));
    let Some(new_labels) = new_labels.as_object() else {
        return Vec::new();
    };
    new_labels
        .iter()
        .filter_map(|(key, value)| {
            let old_value = old_labels[key].as_str()?;
            let new_value = value.as_str()?;
            (old_value != new_value)
                .then(|| (key.clone(), old_value.to_owned(), new_value.to_owned()))
        })
        .collect()
}

/// The objects of `kind` among `units`, in `target`'s namespace, whose label selector at
/// `selector` (the path of its `key: value` map) selects the old pods by a label the copy's pod
/// template changes (`changed`: key, old and new value): each such entry. A `Service`'s entry
/// is given the copy's value; a `PodDisruptionBudget`'s (`spec.selector.matchLabels`) is
/// widened to the old and the new value while both sets of pods run.
pub(super) fn label_selectors<'r>(
    target: &ObjectRef,
    units: &[&'r Rendered],
    changed: &[(String, String, String)],
    kind: &str,
    selector: &[&str],
) -> Vec<Referrer<'r>> {
    let mut found = Vec::new();
    for unit in units {
        let Ok(objects) = &unit.objects else { continue };
        for object in objects.iter() {
            if object["kind"].as_str() != Some(kind)
                || ObjectRef::of(object).namespace != target.namespace
            {
                continue;
            }
            let labels = selector.iter().fold(object, |at, key| &at[*key]);
            for (key, old_value, new_value) in changed {
                if labels[key.as_str()].as_str() == Some(old_value.as_str()) {
                    found.push(Referrer {
                        unit,
                        object,
                        field: format!("{}.{key}", selector.join(".")),
                        values: Some((old_value.clone(), new_value.clone())),
                    });
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_place_a_pod_template_reads_a_secret_is_found() {
        let target = ObjectRef::of(
            &json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "token", "namespace": "shop"}}),
        );
        let cron = json!({
            "apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": "report", "namespace": "shop"},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": {
                "imagePullSecrets": [{"name": "other"}, {"name": "token"}],
                "volumes": [
                    {"name": "a", "secret": {"secretName": "token"}},
                    {"name": "b", "projected": {"sources": [{"configMap": {"name": "token"}}, {"secret": {"name": "token"}}]}},
                ],
                "initContainers": [{"name": "i", "envFrom": [{"secretRef": {"name": "token"}}]}],
                "containers": [{"name": "c", "env": [
                    {"name": "X", "value": "token"},
                    {"name": "T", "valueFrom": {"secretKeyRef": {"name": "token", "key": "t"}}},
                ]}],
            }}}}}
        });
        let p = "spec.jobTemplate.spec.template.spec";
        assert_eq!(
            config_references(&target, &cron),
            [
                format!("{p}.volumes[0].secret.secretName"),
                format!("{p}.volumes[1].projected.sources[1].secret.name"),
                format!("{p}.initContainers[0].envFrom[0].secretRef.name"),
                format!("{p}.containers[0].env[1].valueFrom.secretKeyRef.name"),
                format!("{p}.imagePullSecrets[1].name"),
            ]
        );
        // Another namespace's workload does not read it.
        let mut elsewhere = cron.clone();
        elsewhere["metadata"]["namespace"] = json!("other");
        assert!(config_references(&target, &elsewhere).is_empty());
    }

    #[test]
    fn only_labels_whose_value_changes_count() {
        let pods = |labels: Value| json!({"spec": {"template": {"metadata": {"labels": labels}}}});
        assert_eq!(
            changed_labels(
                &pods(json!({"app": "web", "tier": "front"})),
                &pods(json!({"app": "shop", "tier": "front", "new": "x"}))
            ),
            [("app".to_owned(), "web".to_owned(), "shop".to_owned())]
        );
    }
}
