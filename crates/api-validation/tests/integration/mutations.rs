//! Generated mistakes: each takes a valid object and makes the one change people make by hand.

use serde_json::{Map, Value};

/// The fields no mutation touches: they say which schema applies.
const IDENTITY: [&str; 2] = ["apiVersion", "kind"];

/// A misspelt field: the first key of the first object under the object's body (its `spec`,
/// `data`, `rules`...) gets `Typo` appended; objects with no such body get `metadata.nameTypo`.
pub(crate) fn rename_field(object: &Value) -> Option<Value> {
    let mut mutated = object.clone();
    let map = mutated.as_object_mut()?;
    let body = map
        .iter_mut()
        .filter(|(key, _)| !IDENTITY.contains(&key.as_str()) && key.as_str() != "metadata")
        .find_map(|(_, value)| value.as_object_mut().filter(|m| !m.is_empty()));
    let target: &mut Map<String, Value> = match body {
        Some(body) => body,
        None => map.get_mut("metadata")?.as_object_mut()?,
    };
    let key = target.keys().next()?.clone();
    let value = target.remove(&key)?;
    target.insert(format!("{key}Typo"), value);
    Some(mutated)
}

/// A wrong type: the first number or boolean outside `metadata` becomes a string, or, when
/// there is none, the first string becomes a list holding it.
pub(crate) fn change_type(object: &Value) -> Option<Value> {
    let mut mutated = object.clone();
    let body = mutated.as_object_mut()?;
    let changed = body
        .iter_mut()
        .filter(|(key, _)| !IDENTITY.contains(&key.as_str()) && key.as_str() != "metadata")
        .any(|(_, value)| retype_first(value, true))
        || body
            .iter_mut()
            .filter(|(key, _)| !IDENTITY.contains(&key.as_str()) && key.as_str() != "metadata")
            .any(|(_, value)| retype_first(value, false));
    changed.then_some(mutated)
}

fn retype_first(value: &mut Value, scalars: bool) -> bool {
    match value {
        Value::Number(_) | Value::Bool(_) if scalars => {
            *value = Value::String(format!("not-a-{value}"));
            true
        }
        Value::String(text) if !scalars => {
            *value = Value::Array(vec![Value::String(text.clone())]);
            true
        }
        Value::Object(map) => map.values_mut().any(|v| retype_first(v, scalars)),
        Value::Array(items) => items.iter_mut().any(|v| retype_first(v, scalars)),
        _ => false,
    }
}

/// A dropped field: the first key of the first object in the first list outside `metadata`
/// (a container's `name`, a port's `port`, a rule's `apiGroups`), which is often required.
pub(crate) fn drop_list_item_field(object: &Value) -> Option<Value> {
    let mut mutated = object.clone();
    let body = mutated.as_object_mut()?;
    let dropped = body
        .iter_mut()
        .filter(|(key, _)| !IDENTITY.contains(&key.as_str()) && key.as_str() != "metadata")
        .any(|(_, value)| drop_first(value));
    dropped.then_some(mutated)
}

fn drop_first(value: &mut Value) -> bool {
    match value {
        Value::Array(items) => match items.first_mut() {
            Some(Value::Object(first)) if !first.is_empty() => {
                let key = first.keys().next().cloned().unwrap_or_default();
                first.remove(&key);
                true
            }
            _ => items.iter_mut().any(drop_first),
        },
        Value::Object(map) => map.values_mut().any(drop_first),
        _ => false,
    }
}

/// An old `apiVersion` people still have in git, for the kinds that had one.
pub(crate) fn old_api_version(object: &Value) -> Option<Value> {
    let api_version = object.get("apiVersion")?.as_str()?;
    let kind = object.get("kind")?.as_str()?;
    let old = match (api_version, kind) {
        ("apps/v1", "Deployment" | "DaemonSet" | "ReplicaSet" | "StatefulSet") => "apps/v1beta2",
        ("policy/v1", "PodDisruptionBudget") => "policy/v1beta1",
        ("autoscaling/v2", "HorizontalPodAutoscaler") => "autoscaling/v2beta2",
        ("batch/v1", "CronJob") => "batch/v1beta1",
        ("networking.k8s.io/v1", "Ingress") => "extensions/v1beta1",
        ("rbac.authorization.k8s.io/v1", _) => "rbac.authorization.k8s.io/v1beta1",
        ("flowcontrol.apiserver.k8s.io/v1", _) => "flowcontrol.apiserver.k8s.io/v1beta3",
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition") => "apiextensions.k8s.io/v1beta1",
        ("admissionregistration.k8s.io/v1", _) => "admissionregistration.k8s.io/v1beta1",
        _ => return None,
    };
    let mut mutated = object.clone();
    mutated["apiVersion"] = Value::String(old.to_owned());
    Some(mutated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment() -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
               "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}})
    }

    #[test]
    fn each_mutation_makes_its_one_change() {
        assert!(rename_field(&deployment()).unwrap()["spec"]
            .get("replicasTypo")
            .is_some());
        assert_eq!(
            change_type(&deployment()).unwrap()["spec"]["replicas"],
            json!("not-a-1")
        );
        let dropped = drop_list_item_field(&deployment()).unwrap();
        assert_eq!(
            dropped["spec"]["template"]["spec"]["containers"][0],
            json!({"image": "i"})
        );
        assert_eq!(
            old_api_version(&deployment()).unwrap()["apiVersion"],
            json!("apps/v1beta2")
        );
    }
}
