//! Reading what the decisions need: lists and objects as JSON, through `recovery_actions::run`.

use std::io::Write as _;

use anyhow::Context as _;
use recovery_actions::request::resource_path;
use recovery_actions::run::Cluster;
use recovery_actions::target::Resolved;
use serde_json::Value;

/// Every object of every listable resource, in `namespace` or everywhere. A resource that cannot
/// be listed (typically an aggregated API whose backend is down — a frequent reason namespaces
/// stay `Terminating`) is skipped with a warning on stderr rather than stopping the command.
pub(crate) async fn all_objects(
    cluster: &Cluster,
    namespace: Option<&str>,
) -> anyhow::Result<Vec<(Resolved, Value)>> {
    let mut out = Vec::new();
    for resolved in cluster
        .resources()
        .await
        .context("cannot discover the cluster's api resources")?
    {
        if namespace.is_some() && !resolved.namespaced {
            continue;
        }
        let path = resource_path(&resolved.resource, namespace, None, None);
        match cluster.list(&resolved.resource, &path).await {
            Ok(items) => out.extend(items.into_iter().map(|item| (resolved.clone(), item))),
            Err(error) => {
                let mut err = anstream::stderr().lock();
                writeln!(
                    err,
                    "warning: cannot list {} ({error}); objects of that kind are not considered — check `kubectl get apiservices` for an unavailable API",
                    resolved.resource.plural
                )?;
            }
        }
    }
    Ok(out)
}

/// One object; `None` when it does not exist.
pub(crate) async fn object(
    cluster: &Cluster,
    resolved: &Resolved,
    namespace: &str,
    name: &str,
) -> anyhow::Result<Option<Value>> {
    let ns = resolved.namespaced.then_some(namespace);
    let path = resource_path(&resolved.resource, ns, Some(name), None);
    let mut found = cluster
        .get(&path)
        .await
        .with_context(|| format!("cannot read {}/{name}", resolved.resource.kind))?;
    if let Some(object) = found.as_mut() {
        if object.get("kind").is_none() {
            object["kind"] = Value::String(resolved.resource.kind.clone());
        }
    }
    Ok(found)
}
