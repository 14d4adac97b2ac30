//! `unstuck rescue`: hands-on recovery of a cluster that is already stuck.
//!
//! Read-only by default: every write command prints the exact API requests and changes nothing
//! without `--yes`; backups are written before the first write. The decisions (is it really
//! stuck, which requests follow) are `recovery-actions`' pure functions; this module parses,
//! reads, calls and prints. Exit codes: 0 done or nothing to do, 1 refused, 2 error.

pub(crate) mod connect;
mod output;
mod read;

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use recovery_actions::backup::{restore, BackupStore, DirStore};
use recovery_actions::flux::{FluxKind, ObjectState};
use recovery_actions::fluxops::{flux_op, FluxOp};
use recovery_actions::plan::{Backup, Decision};
use recovery_actions::run::{Cluster, Sent};
use recovery_actions::status::{status, Snapshot, Verdict};
use recovery_actions::target::{resolve_static, KindName, Resolved};
use recovery_actions::{helm, terminating};
use serde_json::Value;

use crate::exit::Status;

/// Arguments of `unstuck rescue`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Every write command prints the exact API requests first and changes \
nothing unless --yes is given. Exit codes: 0 done or nothing to do, 1 refused, 2 error. \
See docs/recovery-guide.md."
)]
pub(crate) struct Args {
    #[command(flatten)]
    connect: connect::ConnectArgs,
    #[command(subcommand)]
    command: RescueCommand,
}

/// Options of every write command.
#[derive(Debug, Clone, clap::Args)]
struct WriteArgs {
    /// Send the requests. Without it, they are only printed.
    #[arg(long)]
    yes: bool,
    /// Where backups go before any write (default: `unstuck-backup-<time>` in the current
    /// directory).
    #[arg(long, value_name = "DIR")]
    backup_dir: Option<PathBuf>,
}

/// `KIND/NAME` in a namespace.
#[derive(Debug, Clone, clap::Args)]
struct ObjectArgs {
    /// The object, as kubectl names it: `configmap/web`, `deployment.apps/web`, `ks/apps`.
    #[arg(value_name = "KIND/NAME")]
    object: String,
    /// Its namespace (default: the kubeconfig context's).
    #[arg(short, long)]
    namespace: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
enum RescueCommand {
    /// List what is stuck (read-only): terminating namespaces and objects, Flux objects not
    /// Ready, locked Helm releases, suspended Flux objects.
    Status {
        /// Output format.
        #[arg(long, value_enum, default_value_t = super::classify::Format::Human)]
        format: super::classify::Format,
    },
    /// Remove the finalizers of an object that is already being deleted.
    ForceDelete {
        #[command(flatten)]
        target: ObjectArgs,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Release a namespace stuck Terminating: its held objects first, then its finalizers.
    FinalizeNamespace {
        /// The namespace.
        namespace: String,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Set `spec.suspend: true` on a Flux object (and its source with --with-source).
    Suspend(FluxArgs),
    /// Set `spec.suspend: false` and request a reconcile.
    Resume(FluxArgs),
    /// Request a reconcile (`reconcile.fluxcd.io/requestedAt`), the source first with --with-source.
    Reconcile(FluxArgs),
    /// Unlock a Helm release stuck in pending-install/upgrade/rollback.
    HelmUnlock {
        /// The Helm release name.
        release: String,
        /// The namespace Helm stores the release in.
        #[arg(short, long)]
        namespace: String,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Save Flux objects and the objects Kustomization inventories list, as JSON files.
    Backup {
        /// Only this namespace's Flux objects (default: every namespace).
        #[arg(short, long)]
        namespace: Option<String>,
        /// The directory to write.
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
    },
    /// Re-create the objects of a backup directory that are missing; never overwrites.
    Restore {
        /// The backup directory.
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// Send the requests. Without it, they are only printed.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Clone, clap::Args)]
struct FluxArgs {
    #[command(flatten)]
    target: ObjectArgs,
    /// Also act on the object's source (requested first).
    #[arg(long)]
    with_source: bool,
    #[command(flatten)]
    write: WriteArgs,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Status> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(run_async(args))
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

fn token(now: u64) -> String {
    recovery_actions::flux::format_time(i64::try_from(now).unwrap_or(i64::MAX))
}

async fn run_async(args: &Args) -> anyhow::Result<Status> {
    let client = args.connect.client().await?;
    let default_namespace = client.default_namespace().to_owned();
    let cluster = Cluster::new(client);
    let ns = |given: &Option<String>| given.clone().unwrap_or_else(|| default_namespace.clone());
    match &args.command {
        RescueCommand::Status { format } => status_command(&cluster, *format).await,
        RescueCommand::ForceDelete { target, write } => {
            let (resolved, name) = resolve(&cluster, &target.object).await?;
            let namespace = ns(&target.namespace);
            let live = read::object(&cluster, &resolved, &namespace, &name).await?;
            let decision = terminating::force_delete(&resolved.resource, live.as_ref());
            carry_out(&cluster, decision, write).await
        }
        RescueCommand::FinalizeNamespace { namespace, write } => {
            let resolved = Resolved {
                resource: terminating::namespace_resource(),
                namespaced: false,
            };
            let Some(live) = read::object(&cluster, &resolved, "", namespace).await? else {
                return nothing(&format!("namespace {namespace} does not exist"));
            };
            let remaining: Vec<_> = read::all_objects(&cluster, Some(namespace))
                .await?
                .into_iter()
                .map(|(resolved, object)| (resolved.resource, object))
                .collect();
            carry_out(
                &cluster,
                terminating::finalize_namespace(&live, &remaining),
                write,
            )
            .await
        }
        RescueCommand::Suspend(flux) => flux_command(&cluster, FluxOp::Suspend, flux, &ns).await,
        RescueCommand::Resume(flux) => flux_command(&cluster, FluxOp::Resume, flux, &ns).await,
        RescueCommand::Reconcile(flux) => {
            flux_command(&cluster, FluxOp::Reconcile, flux, &ns).await
        }
        RescueCommand::HelmUnlock {
            release,
            namespace,
            write,
        } => {
            let secrets = list_path(
                &cluster,
                "Secret",
                &format!("/api/v1/namespaces/{namespace}/secrets?labelSelector=owner%3Dhelm%2Cname%3D{release}"),
            )
            .await?;
            let hr_resource = FluxKind::HelmRelease.api_resource();
            let helm_releases = cluster
                .list(
                    &hr_resource,
                    &recovery_actions::request::resource_path(&hr_resource, None, None, None),
                )
                .await
                .context("cannot list HelmReleases")?;
            let hr = helm::helm_release_for(namespace, release, &helm_releases);
            let decision = helm::unlock(namespace, release, &secrets, hr, &token(now()));
            carry_out(&cluster, decision, write).await
        }
        RescueCommand::Backup { namespace, dir } => {
            backup_command(&cluster, namespace.as_deref(), dir).await
        }
        RescueCommand::Restore { dir, yes } => restore_command(&cluster, dir, *yes).await,
    }
}

async fn list_path(cluster: &Cluster, kind: &str, path: &str) -> anyhow::Result<Vec<Value>> {
    let resource =
        kube::api::ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk("", "v1", kind));
    cluster
        .list(&resource, path)
        .await
        .with_context(|| format!("cannot read {path}"))
}

async fn resolve(cluster: &Cluster, text: &str) -> anyhow::Result<(Resolved, String)> {
    let kind = KindName::parse(text).with_context(|| {
        format!("`{text}` is not KIND/NAME: write it as kubectl does, e.g. configmap/web or deployment.apps/web")
    })?;
    let resolved = cluster
        .resolve(&kind)
        .await
        .with_context(|| format!("cannot resolve the kind of `{text}`"))?;
    Ok((resolved, kind.name))
}

fn nothing(message: &str) -> anyhow::Result<Status> {
    let mut out = anstream::stdout().lock();
    writeln!(out, "nothing to do: {message}")?;
    Ok(Status::Success)
}

fn default_backup_dir(now: u64) -> PathBuf {
    PathBuf::from(format!("unstuck-backup-{}", token(now).replace(':', "")))
}

/// Prints the decision; with `--yes`, writes the backups and sends the requests.
async fn carry_out(
    cluster: &Cluster,
    decision: Decision,
    write: &WriteArgs,
) -> anyhow::Result<Status> {
    let plan = match decision {
        Decision::NothingToDo(message) => return nothing(&message),
        Decision::Refused(refusal) => {
            let mut err = anstream::stderr().lock();
            writeln!(err, "refused: {refusal}")?;
            return Ok(Status::Findings);
        }
        Decision::Act(plan) => plan,
    };
    let dir = write
        .backup_dir
        .clone()
        .unwrap_or_else(|| default_backup_dir(now()));
    let mut out = anstream::stdout().lock();
    output::write_plan(&mut out, &plan, &dir)?;
    if !write.yes {
        writeln!(
            out,
            "dry run: nothing was changed; run again with --yes to send these requests"
        )?;
        return Ok(Status::Success);
    }
    let mut store = DirStore::new(&dir);
    let sent = cluster.execute(&plan, &mut store).await.map_err(|error| {
        let hint = if error.is_conflict() {
            "the object changed since it was read; run the command again to decide afresh"
        } else {
            "nothing after the failed request was sent; the backups are in the backup directory"
        };
        anyhow::Error::new(error).context(hint)
    })?;
    for step in sent {
        let (word, request) = match &step {
            Sent::Done(request) => ("done", request),
            Sent::Skipped(request) => ("skipped (its condition no longer held)", request),
        };
        writeln!(out, "{word}: {} {}", request.verb.as_str(), request.path)?;
    }
    Ok(Status::Success)
}

async fn status_command(
    cluster: &Cluster,
    format: super::classify::Format,
) -> anyhow::Result<Status> {
    let now = now();
    let namespace_resource = terminating::namespace_resource();
    let namespaces = cluster
        .list(&namespace_resource, "/api/v1/namespaces")
        .await
        .context("cannot list namespaces")?;
    let objects = read::all_objects(cluster, None)
        .await?
        .into_iter()
        .map(|(_, object)| object)
        .collect();
    let snapshot = Snapshot::from_objects(namespaces, objects);
    let patterns = recovery_patterns::PatternSet::builtin();
    let report = status(&snapshot, now, |object| {
        super::triage::verdict(object, &patterns, now)
            .map(|(pattern, action, next_step)| Verdict {
                pattern,
                action,
                next_step,
            })
            .unwrap_or_default()
    });
    let mut out = anstream::stdout().lock();
    match format {
        super::classify::Format::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        super::classify::Format::Human => output::write_status(&mut out, &report)?,
    }
    Ok(Status::Success)
}

async fn flux_command(
    cluster: &Cluster,
    op: FluxOp,
    args: &FluxArgs,
    ns: &impl Fn(&Option<String>) -> String,
) -> anyhow::Result<Status> {
    let (resolved, name) = resolve(cluster, &args.target.object).await?;
    let namespace = ns(&args.target.namespace);
    let Some(live) = read::object(cluster, &resolved, &namespace, &name).await? else {
        anyhow::bail!(
            "{}/{namespace}/{name} does not exist: check the name with `kubectl get {} -n {namespace}`",
            resolved.resource.kind,
            resolved.resource.plural
        );
    };
    let source = if args.with_source {
        let flux_kind = match resolved.resource.kind.as_str() {
            "Kustomization" => Some(FluxKind::Kustomization),
            "HelmRelease" => Some(FluxKind::HelmRelease),
            _ => None,
        };
        let reference = flux_kind.and_then(|kind| ObjectState::from_json(kind, &live).source);
        match reference {
            Some(reference) => {
                let source_resolved = match resolve_static(&reference, &[]) {
                    Some(found) => found,
                    None => {
                        cluster
                            .resolve(
                                &KindName::parse(&format!("{}/{}", reference.kind, reference.name))
                                    .context("bad source reference")?,
                            )
                            .await?
                    }
                };
                let source_ns = reference
                    .namespace
                    .clone()
                    .unwrap_or_else(|| namespace.clone());
                read::object(cluster, &source_resolved, &source_ns, &reference.name)
                    .await?
                    .map(|object| (source_resolved, object))
            }
            None => None,
        }
    } else {
        None
    };
    let decision = flux_op(
        op,
        (&resolved.resource, &live),
        source.as_ref().map(|(r, o)| (&r.resource, o)),
        &token(now()),
    );
    carry_out(cluster, decision, &args.write).await
}

async fn backup_command(
    cluster: &Cluster,
    namespace: Option<&str>,
    dir: &std::path::Path,
) -> anyhow::Result<Status> {
    let mut store = DirStore::new(dir);
    let mut saved = 0usize;
    let objects = read::all_objects(cluster, namespace).await?;
    let flux: Vec<&Value> = objects
        .iter()
        .filter(|(resolved, _)| recovery_actions::fluxops::is_flux_group(&resolved.resource.group))
        .map(|(_, object)| object)
        .collect();
    let mut out = anstream::stdout().lock();
    for object in &flux {
        let location = store.save(&Backup::of(object))?;
        writeln!(out, "saved {location}")?;
        saved += 1;
        if object["kind"] != "Kustomization" {
            continue;
        }
        let state = ObjectState::from_json(FluxKind::Kustomization, object);
        for entry in &state.inventory {
            let reference = recovery_actions::flux::ObjectRef {
                api_version: Some(entry.api_version()),
                kind: entry.kind.clone(),
                namespace: (!entry.namespace.is_empty()).then(|| entry.namespace.clone()),
                name: entry.name.clone(),
            };
            let Some(resolved) = resolve_static(&reference, &state.inventory) else {
                continue;
            };
            let Some(live) =
                read::object(cluster, &resolved, &entry.namespace, &entry.name).await?
            else {
                writeln!(
                    out,
                    "missing {reference} (listed in {}'s inventory)",
                    state.key()
                )?;
                continue;
            };
            let location = store.save(&Backup::of(&live))?;
            writeln!(out, "saved {location}")?;
            saved += 1;
        }
    }
    writeln!(out, "{saved} objects saved under {}", dir.display())?;
    Ok(Status::Success)
}

fn backup_files(dir: &std::path::Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(next) = pending.pop() {
        let entries = std::fs::read_dir(&next)
            .with_context(|| format!("cannot read backup directory {}", next.display()))?;
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

async fn restore_command(
    cluster: &Cluster,
    dir: &std::path::Path,
    yes: bool,
) -> anyhow::Result<Status> {
    let mut items = Vec::new();
    for path in backup_files(dir)? {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let object: Value = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a JSON object backup; remove it from the directory or fix it",
                path.display()
            )
        })?;
        let id = recovery_actions::object::ObjectId::of(&object);
        let reference = recovery_actions::flux::ObjectRef {
            api_version: object["apiVersion"].as_str().map(str::to_owned),
            kind: id.kind.clone(),
            namespace: id.namespace.clone(),
            name: id.name.clone(),
        };
        let resolved = resolve_static(&reference, &[]).with_context(|| {
            format!(
                "{} has no apiVersion; add it (as `kubectl get -o json` prints it)",
                path.display()
            )
        })?;
        let live = read::object(
            cluster,
            &resolved,
            id.namespace.as_deref().unwrap_or_default(),
            &id.name,
        )
        .await?;
        items.push((resolved.resource, object, live));
    }
    let write = WriteArgs {
        yes,
        backup_dir: Some(dir.to_owned()),
    };
    carry_out(cluster, restore(&items), &write).await
}
