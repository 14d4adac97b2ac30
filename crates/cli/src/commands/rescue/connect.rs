//! Reaching the cluster the way kubectl does: `--kubeconfig`, else `KUBECONFIG` or
//! `~/.kube/config` (kube-rs reads those), with `--context`; in a pod, the service account.

use anyhow::Context as _;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

/// How to reach the API server.
#[derive(Debug, clap::Args)]
pub(crate) struct ConnectArgs {
    /// The kubeconfig file (default: `KUBECONFIG`, then `~/.kube/config`, then in-cluster).
    #[arg(long, global = true, value_name = "FILE")]
    kubeconfig: Option<std::path::PathBuf>,
    /// The kubeconfig context to use (default: its current context).
    #[arg(long, global = true, value_name = "NAME")]
    context: Option<String>,
}

impl ConnectArgs {
    pub(crate) async fn client(&self) -> anyhow::Result<Client> {
        let options = KubeConfigOptions {
            context: self.context.clone(),
            ..KubeConfigOptions::default()
        };
        let config = if let Some(path) = &self.kubeconfig {
            let kubeconfig = Kubeconfig::read_from(path)
                .with_context(|| format!("cannot read kubeconfig {}", path.display()))?;
            Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .with_context(|| format!("kubeconfig {} has no usable context", path.display()))?
        } else {
            match Config::from_kubeconfig(&options).await {
                Ok(config) => config,
                Err(from_file) if self.context.is_none() => Config::incluster().map_err(|_| {
                    anyhow::Error::new(from_file).context(
                        "no kubeconfig (set KUBECONFIG or pass --kubeconfig) and not running in a pod",
                    )
                })?,
                Err(e) => {
                    return Err(anyhow::Error::new(e)
                        .context("cannot load the kubeconfig context given by --context"))
                }
            }
        };
        // kube-rs retries 429/503/504 up to 15 times with backoff by default: minutes of silence
        // per unavailable aggregated API, exactly when a namespace is stuck because of one. A
        // hands-on command fails fast instead and says so; the operator runs it again.
        let mut config = config;
        config.default_retry = false;
        Client::try_from(config).context("cannot build a Kubernetes client from the kubeconfig")
    }
}
