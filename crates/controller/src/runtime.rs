//! Wiring: kube-runtime controllers for each Flux kind, leader election, the HTTP endpoints.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::runtime::controller::{Action as Requeue, Controller};
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::reflector::Store;
use kube::runtime::watcher;
use kube::Client;
use kube_lease_manager::LeaseManagerBuilder;
use prometheus_client::registry::Registry;
use recovery_patterns::PatternSet;

use crate::actions::{DeletionWait, Executor};
use crate::config::Config;
use crate::controller::{error_policy, Context, Error};
use crate::flux::FluxKind;
use crate::http::HttpState;
use crate::metrics::Metrics;

/// How to run the controller.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Controller configuration.
    pub config: Config,
    /// Address of the metrics and health endpoints.
    pub listen: SocketAddr,
    /// Kinds to watch.
    pub kinds: Vec<FluxKind>,
    /// Leader election: `(lease name, lease namespace, identity)`; `None` runs as sole leader.
    pub leader_election: Option<(String, String, String)>,
    /// Name of this replica in Events (the pod name).
    pub instance: Option<String>,
}

/// The controller could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The HTTP listener could not be bound.
    #[error("cannot listen on {addr}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The leader-election Lease could not be set up.
    #[error("cannot set up leader election")]
    Lease(#[source] kube_lease_manager::LeaseManagerError),
    /// None of the kinds to watch is served by the cluster.
    #[error(
        "the cluster serves none of the Flux kinds to watch ({kinds}); install Flux's CRDs, or \
         check that the controller's kubeconfig points at the right cluster"
    )]
    NothingServed {
        /// The kinds that were asked for, comma-separated.
        kinds: String,
    },
    /// Asking the API server which kinds it serves failed for another reason than their
    /// absence.
    #[error("cannot ask the API server whether it serves {kind}")]
    Discovery {
        /// The kind asked about.
        kind: FluxKind,
        /// The cause.
        #[source]
        source: kube::Error,
    },
}

/// The kinds of `wanted` the cluster serves. A kind whose CRD is not installed is left out with
/// a warning: every kind's initial list gates destructive actions (the budget is rebuilt from
/// all of them), so watching an unserved kind would keep the controller from ever acting.
async fn served_kinds(client: &Client, wanted: &[FluxKind]) -> Result<Vec<FluxKind>, RunError> {
    let mut served = Vec::new();
    for &kind in wanted {
        let resource = kind.api_resource();
        match client.list_api_group_resources(&resource.api_version).await {
            Ok(list) if list.resources.iter().any(|r| r.name == resource.plural) => {
                served.push(kind);
            }
            Ok(_) => tracing::warn!(%kind, api_version = %resource.api_version,
                "the cluster does not serve this kind (CRD not installed?); not watching it"),
            Err(kube::Error::Api(response)) if response.code == 404 => tracing::warn!(
                %kind, api_version = %resource.api_version,
                "the cluster does not serve this API version (CRD not installed?); not watching it"
            ),
            Err(source) => return Err(RunError::Discovery { kind, source }),
        }
    }
    if served.is_empty() {
        let kinds: Vec<&str> = wanted.iter().map(|kind| kind.as_str()).collect();
        return Err(RunError::NothingServed {
            kinds: kinds.join(", "),
        });
    }
    Ok(served)
}

/// Per-kind context handed to kube-runtime.
struct KindContext {
    kind: FluxKind,
    inner: Arc<Context>,
}

/// Runs until SIGTERM/SIGINT.
pub async fn run(
    client: Client,
    patterns: PatternSet,
    options: RunOptions,
) -> Result<(), RunError> {
    let kinds = served_kinds(&client, &options.kinds).await?;
    let metrics = Arc::new(Metrics::default());
    let mut registry = Registry::default();
    metrics.register(&mut registry);
    metrics.set_build_info(env!("CARGO_PKG_VERSION"), options.config.mode.as_str());
    let http = Arc::new(HttpState::new(registry));
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|source| RunError::Listen {
            addr: options.listen,
            source,
        })?;
    tokio::spawn(crate::http::serve(listener, Arc::clone(&http)));

    let executor = Executor::new(client.clone(), options.config.backup_namespace.clone())
        .with_deletion_wait(DeletionWait::from_secs(options.config.deletion_wait_secs));
    let mut context = Context::new(
        options.config.clone(),
        patterns,
        Arc::clone(&metrics),
        executor,
    );
    context.recorder = Some(Recorder::new(
        client.clone(),
        Reporter {
            controller: crate::actions::FIELD_MANAGER.to_owned(),
            instance: options.instance.clone(),
        },
    ));
    let leader = Arc::clone(&context.leader);
    let context = Arc::new(context);
    // No destructive action until the window is rebuilt from every object's marks.
    context.budget_synced.store(false, Ordering::SeqCst);
    let (leader_tx, leader_rx) = tokio::sync::watch::channel(options.leader_election.is_none());

    // Keep the lease channel alive for the whole run; dropping it releases the lease.
    let _lease = match &options.leader_election {
        None => {
            metrics.set_leader(true);
            None
        }
        Some((name, namespace, identity)) => {
            leader.store(false, Ordering::Relaxed);
            metrics.set_leader(false);
            let manager = LeaseManagerBuilder::new(client.clone(), name)
                .with_namespace(namespace)
                .with_identity(identity)
                .with_duration(15)
                .with_grace(5)
                .build()
                .await
                .map_err(RunError::Lease)?;
            let (mut channel, task) = manager.watch().await;
            let watcher_channel = channel.clone();
            let metrics = Arc::clone(&metrics);
            let context = Arc::clone(&context);
            tokio::spawn(async move {
                loop {
                    let is_leader = *channel.borrow_and_update();
                    if is_leader != leader.load(Ordering::Relaxed) {
                        // A new term starts with a window that must be rebuilt before acting.
                        context.budget_synced.store(false, Ordering::SeqCst);
                    }
                    leader.store(is_leader, Ordering::Relaxed);
                    metrics.set_leader(is_leader);
                    let _ = leader_tx.send(is_leader);
                    tracing::info!(is_leader, "leadership changed");
                    if channel.changed().await.is_err() {
                        break;
                    }
                }
            });
            Some((watcher_channel, task))
        }
    };

    // Bumped after every budget rebuild: each kind's controller then reconciles all its objects,
    // so a new leader acts at once instead of at the next watch event or resync.
    let (rebuilt_tx, rebuilt_rx) = tokio::sync::watch::channel(0_u64);
    let mut stores = Vec::new();
    let controllers = kinds.iter().map(|&kind| {
        let resource = kind.api_resource();
        let api: Api<DynamicObject> = Api::all_with(client.clone(), &resource);
        let controller = Controller::new_with(api, watcher::Config::default().any_semantic(), resource)
            .reconcile_all_on(changes(rebuilt_rx.clone()))
            .shutdown_on_signal();
        let store = controller.store();
        stores.push((kind, store.clone()));
        let ctx = Arc::new(KindContext { kind, inner: Arc::clone(&context) });
        let metrics = Arc::clone(&metrics);
        let ready = async move {
            // kube's readiness signal wakes only the last of several waiters (the controller's
            // runner waits too): asking again now and then makes this one certain to notice.
            while tokio::time::timeout(Duration::from_millis(500), store.wait_until_ready())
                .await
                .is_err()
            {}
        };
        let run = controller.run(reconcile, on_error, ctx).for_each(move |result| {
            let metrics = Arc::clone(&metrics);
            async move {
                match result {
                    Ok(_) => {}
                    Err(kube::runtime::controller::Error::ObjectNotFound(obj)) => {
                        metrics.forget(kind.as_str(), obj.namespace.as_deref().unwrap_or_default(), &obj.name);
                    }
                    Err(error) => tracing::warn!(%kind, error = %crate::controller::error_chain(&error), "controller error"),
                }
            }
        });
        (ready, run)
    });
    let (ready, runs): (Vec<_>, Vec<_>) = controllers.unzip();
    let http_ready = Arc::clone(&http);
    let (listed_tx, listed_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        futures::future::join_all(ready).await;
        http_ready.ready.store(true, Ordering::Relaxed);
        listed_tx.send_replace(true);
        tracing::info!("watches synced; ready");
    });
    tokio::spawn(rebuild_budget_per_term(
        Arc::clone(&context),
        stores,
        listed_rx,
        leader_rx,
        rebuilt_tx,
    ));
    futures::future::join_all(runs).await;
    Ok(())
}

/// One item per change of `counter` after subscription.
fn changes(counter: tokio::sync::watch::Receiver<u64>) -> impl futures::Stream<Item = ()> {
    futures::stream::unfold(counter, |mut counter| async move {
        counter.changed().await.ok().map(|()| ((), counter))
    })
}

/// After the initial list of every watched kind (`listed`), and again at the start of every leadership
/// term, rebuilds the destructive budget from the marks on all Flux objects, then bumps `rebuilt`
/// so that every object is reconciled by the leader with the rebuilt window.
async fn rebuild_budget_per_term(
    context: Arc<Context>,
    stores: Vec<(FluxKind, Store<DynamicObject>)>,
    mut listed: tokio::sync::watch::Receiver<bool>,
    mut leader: tokio::sync::watch::Receiver<bool>,
    rebuilt: tokio::sync::watch::Sender<u64>,
) {
    if listed.wait_for(|listed| *listed).await.is_err() {
        return;
    }
    loop {
        if *leader.borrow_and_update() {
            let objects: Vec<(FluxKind, serde_json::Value)> = stores
                .iter()
                .flat_map(|(kind, store)| {
                    store.state().into_iter().map(move |object| {
                        (
                            *kind,
                            serde_json::to_value(object.as_ref()).unwrap_or_default(),
                        )
                    })
                })
                .collect();
            context.rebuild_budget(objects.iter().map(|(kind, value)| (*kind, value)));
            tracing::info!(
                objects = objects.len(),
                "destructive budget rebuilt from persisted marks"
            );
            rebuilt.send_modify(|terms| *terms += 1);
        }
        if leader.changed().await.is_err() {
            return;
        }
    }
}

async fn reconcile(object: Arc<DynamicObject>, ctx: Arc<KindContext>) -> Result<Requeue, Error> {
    let value = serde_json::to_value(object.as_ref()).unwrap_or_default();
    let after = ctx.inner.reconcile_object(ctx.kind, &value).await?;
    Ok(Requeue::requeue(after))
}

#[allow(clippy::needless_pass_by_value)] // the signature kube-runtime requires
fn on_error(_: Arc<DynamicObject>, error: &Error, ctx: Arc<KindContext>) -> Requeue {
    error_policy(ctx.kind, error, &ctx.inner.metrics)
}
