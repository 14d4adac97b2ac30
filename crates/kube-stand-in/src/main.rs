//! `kube-stand-in`: serve a test double of the Kubernetes API holding the objects of a YAML file.
//!
//! ```text
//! kube-stand-in --objects FILE.yaml [--listen 127.0.0.1:0] --kubeconfig OUT.yaml [--request-log LOG.jsonl]
//! ```
//!
//! Writes OUT.yaml once serving, prints `ready <addr>`, serves until SIGTERM or SIGINT.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Parser;
use kube_stand_in::{parse_objects, LoggedRequest, RequestSink, StandIn};

/// Serve a test double of the Kubernetes API (not a real API server) with state in memory.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Multi-document YAML of the initial objects (status, finalizers, deletionTimestamp kept).
    #[arg(long)]
    objects: PathBuf,
    /// Address to serve on.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Where to write a kubeconfig pointing at the stand-in.
    #[arg(long)]
    kubeconfig: PathBuf,
    /// Append every request as one JSON line {"verb","path","query","body","status"}.
    #[arg(long)]
    request_log: Option<PathBuf>,
}

/// Appends requests to a file as JSON lines, flushing each so readers see complete lines.
struct JsonLines(std::fs::File);

impl RequestSink for JsonLines {
    fn record(&mut self, request: &LoggedRequest) {
        if let Ok(mut line) = serde_json::to_vec(request) {
            line.push(b'\n');
            // A full disk must not stop the server answering; the log is best effort.
            let _ = self.0.write_all(&line);
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let text = std::fs::read_to_string(&args.objects)
        .with_context(|| format!("reading {}", args.objects.display()))?;
    let objects = parse_objects(&text).with_context(|| format!("in {}", args.objects.display()))?;
    let mut builder = StandIn::builder().objects(objects).listen(args.listen);
    if let Some(path) = &args.request_log {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        builder = builder.request_sink(Box::new(JsonLines(file)));
    }
    let stand_in = builder
        .start()
        .await
        .with_context(|| format!("in {}", args.objects.display()))?;
    std::fs::write(&args.kubeconfig, stand_in.kubeconfig())
        .with_context(|| format!("writing {}", args.kubeconfig.display()))?;
    #[allow(clippy::print_stdout)] // the readiness line is the binary's interface
    {
        println!("ready {}", stand_in.addr());
    }
    std::io::stdout().flush().context("writing to stdout")?;
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    tokio::select! {
        _ = terminate.recv() => {}
        result = tokio::signal::ctrl_c() => result.context("waiting for SIGINT")?,
    }
    stand_in.shutdown();
    Ok(())
}
