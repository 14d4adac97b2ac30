//! `unstuck-controller`: parses flags, sets up logging, and runs the controller library.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use recovery_patterns::PatternSet;
use unstuck_controller::config::{Config, Mode};
use unstuck_controller::flux::FluxKind;
use unstuck_controller::runtime::{run, RunOptions};

/// Watch Flux objects, detect stuck reconciliations and recover them safely.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// observe (metrics only), dry-run (report what would be done) or enforce; overrides the file.
    #[arg(long, env = "UNSTUCK_MODE")]
    mode: Option<Mode>,
    /// Controller configuration (YAML, see docs/controller.md).
    #[arg(long, env = "UNSTUCK_CONFIG")]
    config: Option<PathBuf>,
    /// Extra recovery patterns (YAML), merged over the built-in ones.
    #[arg(long, env = "UNSTUCK_PATTERNS")]
    patterns: Option<PathBuf>,
    /// Address of /metrics, /healthz and /readyz.
    #[arg(long, default_value = "0.0.0.0:8080")]
    listen: SocketAddr,
    /// Watch only Kustomizations (e.g. when helm-controller is not installed).
    #[arg(long)]
    no_helm_releases: bool,
    /// Elect a leader through a Lease (for more than one replica).
    #[arg(long)]
    leader_election: bool,
    /// Name of the leader-election Lease.
    #[arg(long, default_value = "unstuck-controller")]
    lease_name: String,
    /// The controller's namespace (backups and the Lease live here).
    #[arg(long, env = "POD_NAMESPACE", default_value = "unstuck-system")]
    namespace: String,
    /// This replica's name (leader identity, Events).
    #[arg(long, env = "POD_NAME", default_value = "unstuck-controller")]
    pod_name: String,
    /// Log as JSON lines.
    #[arg(long)]
    log_json: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    if args.log_json {
        logs.json().init();
    } else {
        logs.init();
    }
    match start(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn start(args: Args) -> anyhow::Result<()> {
    let mut config = match &args.config {
        Some(path) => Config::from_yaml(
            &std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?,
        )
        .with_context(|| format!("in {}", path.display()))?,
        None => Config::default(),
    };
    config.mode = args.mode.unwrap_or(config.mode);
    config.backup_namespace.clone_from(&args.namespace);
    let patterns = match &args.patterns {
        Some(path) => PatternSet::builtin_with_yaml(
            &std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?,
        )
        .with_context(|| format!("in {}", path.display()))?,
        None => PatternSet::builtin(),
    };
    let mut kinds = vec![FluxKind::Kustomization];
    if !args.no_helm_releases {
        kinds.push(FluxKind::HelmRelease);
    }
    tracing::info!(
        mode = config.mode.as_str(),
        patterns = patterns.len(),
        "starting unstuck-controller"
    );
    let client = kube::Client::try_default()
        .await
        .context("connecting to the Kubernetes API")?;
    let options = RunOptions {
        leader_election: args.leader_election.then(|| {
            (
                args.lease_name.clone(),
                args.namespace.clone(),
                args.pod_name.clone(),
            )
        }),
        instance: Some(args.pod_name),
        listen: args.listen,
        kinds,
        config,
    };
    run(client, patterns, options).await?;
    Ok(())
}
