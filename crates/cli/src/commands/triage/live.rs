//! `unstuck triage` without piped input: list Flux Kustomizations and Helm releases across all
//! namespaces from the cluster `unstuck rescue` would reach, as the list
//! `kubectl get kustomizations.kustomize.toolkit.fluxcd.io,helmreleases.helm.toolkit.fluxcd.io -A -o json`
//! prints, so the report is the same as the piped one. Only GETs are sent.

use std::io::Write as _;

use anyhow::Context as _;
use recovery_actions::flux::FluxKind;
use recovery_actions::request::resource_path;
use recovery_actions::run::Cluster;
use serde_json::{json, Value};

use crate::commands::rescue::connect::ConnectArgs;

/// Where the list came from, for error messages.
pub(crate) const SOURCE: &str = "the cluster";

/// The kubectl-shaped `List` of every Kustomization and `HelmRelease` the cluster serves. A kind
/// the cluster does not serve (its CRD is missing, 404) is skipped with a note on stderr.
pub(crate) fn flux_list(connect: &ConnectArgs) -> anyhow::Result<Value> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let cluster = Cluster::new(connect.client().await?);
        let mut items = Vec::new();
        for kind in FluxKind::ALL {
            let resource = kind.api_resource();
            let path = resource_path(&resource, None, None, None);
            let listed = cluster
                .list_served(&resource, &path)
                .await
                .with_context(|| format!("cannot list {}", resource.plural))?;
            if let Some(listed) = listed {
                items.extend(listed);
            } else {
                writeln!(
                    anstream::stderr().lock(),
                    "note: the cluster does not serve {}.{}/{} (is the Flux CRD installed?); {} objects skipped",
                    resource.plural,
                    resource.group,
                    resource.version,
                    kind.as_str()
                )?;
            }
        }
        // The envelope kubectl prints for several kinds at once.
        Ok(json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}))
    })
}
