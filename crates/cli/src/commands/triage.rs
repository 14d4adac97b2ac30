//! `unstuck triage`: read `kubectl get kustomizations,helmreleases -A -o json` and explain every
//! object that is not Ready — for how long, why, and the exact command to run next. With nothing
//! piped in (and the `cluster` feature), the same list is read from the cluster itself.

#[cfg(feature = "cluster")]
mod live;

use std::io::{IsTerminal as _, Read, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use recovery_patterns::{
    Action, Classification, Context, PatternSet, Target, UNKNOWN_NEXT_STEP, UNKNOWN_PATTERN,
    UNKNOWN_SEVERITY,
};
use serde::Serialize;
use serde_json::Value;

use super::classify::{describe_target, shorten, PatternArgs};
use crate::exit::Status;

/// Arguments of `unstuck triage`.
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub(crate) struct Args {
    /// Read the object list from this file instead of standard input (JSON or YAML).
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// Read Kustomizations and Helm releases from the cluster even though standard input is not a
    /// terminal (scripts, CI). Without piped input this is what happens anyway.
    #[arg(long, conflicts_with = "file")]
    from_cluster: bool,
    #[cfg(feature = "cluster")]
    #[command(flatten)]
    connect: super::rescue::connect::ConnectArgs,
    /// The time to measure "not Ready for" against: RFC 3339 (`2026-11-26T10:00:00Z`) or unix
    /// seconds. Defaults to the current time.
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    #[command(flatten)]
    patterns: PatternArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = super::classify::Format::Human)]
    format: super::classify::Format,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Status> {
    let patterns = args.patterns.load()?;
    let now = match &args.now {
        Some(text) => parse_time(text)
            .with_context(|| format!("--now {text:?} is neither RFC 3339 nor unix seconds"))?,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs()),
    };
    let objects = read_objects(args)?;
    let total = objects.len();
    let mut reports: Vec<Report> = objects
        .iter()
        .filter_map(|object| report(object, &patterns, now))
        .collect();
    // Longest-stuck first; objects without a timestamp last; then by identity.
    reports.sort_by(|a, b| {
        b.not_ready_seconds
            .cmp(&a.not_ready_seconds)
            .then_with(|| (&a.kind, &a.namespace, &a.name).cmp(&(&b.kind, &b.namespace, &b.name)))
    });
    let mut out = std::io::stdout().lock();
    let written = match args.format {
        super::classify::Format::Human => write_human(&mut out, total, &reports),
        super::classify::Format::Json => write_json(&mut out, &reports),
    };
    ignore_broken_pipe(written)?;
    Ok(if reports.is_empty() {
        Status::Success
    } else {
        Status::Findings
    })
}

/// A closed pipe (`| head`) is not an error.
pub(crate) fn ignore_broken_pipe(result: std::io::Result<()>) -> anyhow::Result<()> {
    match result {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to standard output"),
    }
}

#[cfg(feature = "cluster")]
const AFTER_HELP: &str = "With nothing piped in, Kustomizations (kustomize.toolkit.fluxcd.io/v1) and HelmReleases \
(helm.toolkit.fluxcd.io/v2) are listed from the cluster (--kubeconfig, --context, KUBECONFIG, \
~/.kube/config, in-cluster), read-only; a kind the cluster does not serve is skipped with a note.

Examples:
  unstuck triage
  kubectl get kustomizations.kustomize.toolkit.fluxcd.io,helmreleases.helm.toolkit.fluxcd.io -A -o json | unstuck triage";
#[cfg(not(feature = "cluster"))]
const AFTER_HELP: &str = "Example:
  kubectl get kustomizations.kustomize.toolkit.fluxcd.io,helmreleases.helm.toolkit.fluxcd.io -A -o json | unstuck triage";

/// The objects to triage: from `--file`, from piped standard input, or from the cluster.
fn read_objects(args: &Args) -> anyhow::Result<Vec<Value>> {
    let (source, text) = if let Some(path) = &args.file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        (path.display().to_string(), text)
    } else if args.from_cluster || std::io::stdin().is_terminal() {
        return live_objects(args);
    } else {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read standard input")?;
        ("standard input".to_owned(), text)
    };
    parse_objects(&text).with_context(|| format!("{source} is not a kubectl object list"))
}

#[cfg(feature = "cluster")]
fn live_objects(args: &Args) -> anyhow::Result<Vec<Value>> {
    let list = live::flux_list(&args.connect)?;
    list_items(&list).with_context(|| format!("{} is not a kubectl object list", live::SOURCE))
}

#[cfg(not(feature = "cluster"))]
fn live_objects(_args: &Args) -> anyhow::Result<Vec<Value>> {
    anyhow::bail!(
        "nothing piped in, and this unstuck was built without the `cluster` feature, so it cannot \
         read the cluster itself; pipe the list in: kubectl get \
         kustomizations.kustomize.toolkit.fluxcd.io,helmreleases.helm.toolkit.fluxcd.io -A -o json \
         | unstuck triage (or pass --file)"
    )
}

/// The items of a `List`, or a single object.
fn parse_objects(text: &str) -> anyhow::Result<Vec<Value>> {
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(json_error) => serde_yaml_ng::from_str(text).map_err(|_| json_error)?,
    };
    list_items(&value)
}

/// The items of a parsed `List`, or the single object.
fn list_items(value: &Value) -> anyhow::Result<Vec<Value>> {
    match value.get("items") {
        Some(Value::Array(items)) => Ok(items.clone()),
        Some(_) => anyhow::bail!("`items` is not a list"),
        None if value.get("kind").is_some() => Ok(vec![value.clone()]),
        None => anyhow::bail!("expected a List with `items` or a single object with `kind`"),
    }
}

/// One not-Ready object.
#[derive(Debug, Serialize)]
struct Report {
    kind: String,
    namespace: String,
    name: String,
    /// The Ready condition's status (`False`, `Unknown`), or `missing`.
    ready: String,
    since: Option<String>,
    not_ready_seconds: Option<u64>,
    reason: Option<String>,
    message: Option<String>,
    /// The Stalled condition's message, when the object is stalled.
    stalled: Option<String>,
    suspended: bool,
    #[serde(skip)]
    classification: Option<Classification>,
    /// A failure no pattern matched (the `unknown` default).
    #[serde(skip)]
    unknown_failure: bool,
    #[serde(rename = "classification")]
    classification_json: Option<ClassificationJson>,
    next_step: NextStep,
}

#[derive(Debug, Serialize)]
struct ClassificationJson {
    pattern: String,
    action: String,
    severity: String,
    target: Option<Target>,
}

/// What to do, in words and as commands to paste.
#[derive(Debug, Serialize)]
struct NextStep {
    summary: String,
    commands: Vec<String>,
}

fn condition<'a>(object: &'a Value, kind: &str) -> Option<&'a Value> {
    object
        .pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
}

fn text(value: Option<&Value>) -> Option<String> {
    value.and_then(Value::as_str).map(str::to_owned)
}

fn report(object: &Value, patterns: &PatternSet, now: u64) -> Option<Report> {
    let ready = condition(object, "Ready");
    let status = ready.and_then(|c| c.get("status")).and_then(Value::as_str);
    if status == Some("True") {
        return None;
    }
    let kind = text(object.get("kind")).unwrap_or_else(|| "Object".to_owned());
    let namespace = text(object.pointer("/metadata/namespace")).unwrap_or_default();
    let name = text(object.pointer("/metadata/name")).unwrap_or_default();
    let since = ready.and_then(|c| text(c.get("lastTransitionTime")));
    let not_ready_seconds = since
        .as_deref()
        .and_then(|t| parse_rfc3339(t).ok())
        .map(|t| now.saturating_sub(t));
    let reason = ready.and_then(|c| text(c.get("reason")));
    let message = ready.and_then(|c| text(c.get("message")));
    let suspended = object
        .pointer("/spec/suspend")
        .and_then(Value::as_bool)
        .unwrap_or(false);

    // A Stalled condition (retries exhausted) says more about what to do than Ready's last error.
    let stalled = condition(object, "Stalled")
        .filter(|c| c.get("status").and_then(Value::as_str) == Some("True"));
    let mut candidates: Vec<(Option<String>, Option<String>)> = Vec::new();
    if let Some(stalled) = stalled {
        candidates.push((text(stalled.get("message")), text(stalled.get("reason"))));
    }
    candidates.push((message.clone(), reason.clone()));
    let stalled_message = stalled.and_then(|c| text(c.get("message")));
    let classification = candidates.iter().find_map(|(message, reason)| {
        patterns.classify_with(&Context {
            message: message.as_deref()?,
            carrier_kind: Some(&kind),
            namespace: Some(&namespace),
            reason: reason.as_deref(),
        })
    });

    let flux = FluxObject {
        kind: &kind,
        namespace: &namespace,
        name: &name,
        object,
    };
    let mut next_step = next_step(&flux, classification.as_ref());
    // No silent nulls: a failure no pattern matched gets the documented default.
    let unknown_failure = classification.is_none()
        && candidates.iter().any(|(message, reason)| {
            message.as_deref().is_some_and(|message| {
                patterns
                    .verdict(&Context {
                        message,
                        carrier_kind: Some(&kind),
                        namespace: Some(&namespace),
                        reason: reason.as_deref(),
                    })
                    .is_failure()
            })
        });
    if unknown_failure {
        next_step.summary = format!(
            "no pattern matched this failure: {UNKNOWN_NEXT_STEP} — read the events and the full status"
        );
    } else if classification.is_none() && status == Some("Unknown") {
        "still reconciling; look again in a minute, and read the events if it lasts"
            .clone_into(&mut next_step.summary);
    }
    if suspended {
        next_step.summary = format!(
            "suspended — nothing happens until it is resumed; {}",
            next_step.summary
        );
        next_step.commands.insert(
            0,
            format!("flux resume {} {name} -n {namespace}", flux.flux_kind()),
        );
    }
    Some(Report {
        classification_json: classification.as_ref().map(|c| ClassificationJson {
            pattern: c.pattern.clone(),
            action: c.action.to_string(),
            severity: c.severity.to_string(),
            target: c.target.clone(),
        }),
        kind: kind.clone(),
        namespace: namespace.clone(),
        name: name.clone(),
        ready: status.unwrap_or("missing").to_owned(),
        since,
        not_ready_seconds,
        reason,
        message,
        stalled: stalled_message,
        suspended,
        classification,
        unknown_failure,
        next_step,
    })
}

/// What triage says about one Flux object that is not Ready: its pattern, action and next step
/// (summary, then the first command), for `unstuck rescue status`.
#[cfg(feature = "cluster")]
pub(crate) fn verdict(
    object: &Value,
    patterns: &PatternSet,
    now: u64,
) -> Option<(Option<String>, Option<String>, String)> {
    let report = report(object, patterns, now)?;
    let mut next = report.next_step.summary;
    if let Some(command) = report.next_step.commands.first() {
        next = format!("{next} (`{command}`)");
    }
    let classification = report.classification_json;
    Some((
        classification.as_ref().map(|c| c.pattern.clone()),
        classification.map(|c| c.action),
        next,
    ))
}

struct FluxObject<'a> {
    kind: &'a str,
    namespace: &'a str,
    name: &'a str,
    object: &'a Value,
}

impl FluxObject<'_> {
    fn is_helm_release(&self) -> bool {
        self.kind == "HelmRelease"
    }

    /// The `flux` CLI's word for this kind.
    fn flux_kind(&self) -> String {
        flux_words(self.kind).unwrap_or_else(|| self.kind.to_ascii_lowercase())
    }

    fn reconcile(&self, flag: &str) -> String {
        format!(
            "flux reconcile {} {} -n {}{flag}",
            self.flux_kind(),
            self.name,
            self.namespace
        )
    }

    fn events(&self) -> String {
        format!(
            "flux events --for {}/{} -n {}",
            self.kind, self.name, self.namespace
        )
    }

    fn spec_str(&self, pointer: &str) -> Option<&str> {
        self.object
            .pointer(pointer)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }

    /// Helm's release name (helm-controller: `releaseName`, else `<targetNamespace>-<name>`).
    fn release_name(&self) -> String {
        if let Some(name) = self
            .spec_str("/status/history/0/name")
            .or_else(|| self.spec_str("/spec/releaseName"))
        {
            return name.to_owned();
        }
        match self.spec_str("/spec/targetNamespace") {
            Some(target) => format!("{target}-{}", self.name),
            None => self.name.to_owned(),
        }
    }

    /// Where Helm keeps the release records.
    fn storage_namespace(&self) -> &str {
        self.spec_str("/status/storageNamespace")
            .or_else(|| self.spec_str("/spec/storageNamespace"))
            .unwrap_or(self.namespace)
    }

    /// The namespace of an applied object the message did not give one for.
    fn namespace_of(&self, target: &Target) -> Option<String> {
        if let Some(namespace) = &target.namespace {
            return Some(namespace.clone());
        }
        if is_cluster_scoped(&target.kind) {
            return None;
        }
        // Kustomization inventory ids are `<namespace>_<name>_<group>_<Kind>`.
        let entries = self
            .object
            .pointer("/status/inventory/entries")
            .and_then(Value::as_array);
        for entry in entries.into_iter().flatten() {
            let Some(id) = entry.get("id").and_then(Value::as_str) else {
                continue;
            };
            let parts: Vec<&str> = id.split('_').collect();
            if let [namespace, name, _group, kind] = parts.as_slice() {
                if *name == target.name && *kind == target.kind && !namespace.is_empty() {
                    return Some((*namespace).to_owned());
                }
            }
        }
        if let Some(namespace) = self.spec_str("/spec/targetNamespace") {
            return Some(namespace.to_owned());
        }
        // Helm installs into the HelmRelease's namespace unless told otherwise.
        self.is_helm_release().then(|| self.namespace.to_owned())
    }

    /// The source this object pulls from: (kind, namespace, name).
    fn source(&self) -> Option<(String, String, String)> {
        let reference = [
            "/spec/sourceRef",
            "/spec/chartRef",
            "/spec/chart/spec/sourceRef",
        ]
        .iter()
        .find_map(|pointer| self.object.pointer(pointer))?;
        let kind = reference.get("kind")?.as_str()?.to_owned();
        let name = reference.get("name")?.as_str()?.to_owned();
        let namespace = reference
            .get("namespace")
            .and_then(Value::as_str)
            .unwrap_or(self.namespace)
            .to_owned();
        Some((kind, namespace, name))
    }
}

fn flux_words(kind: &str) -> Option<String> {
    let words = match kind {
        "Kustomization" => "kustomization",
        "HelmRelease" => "helmrelease",
        "GitRepository" => "source git",
        "OCIRepository" => "source oci",
        "HelmRepository" => "source helm",
        "HelmChart" => "source chart",
        "Bucket" => "source bucket",
        "ImageRepository" => "image repository",
        "ImageUpdateAutomation" => "image update",
        _ => return None,
    };
    Some(words.to_owned())
}

fn is_cluster_scoped(kind: &str) -> bool {
    matches!(
        kind,
        "Namespace"
            | "Node"
            | "PersistentVolume"
            | "StorageClass"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "CustomResourceDefinition"
            | "PriorityClass"
            | "IngressClass"
            | "CSIDriver"
            | "CSINode"
            | "VolumeAttachment"
            | "VolumeAttributesClass"
            | "ValidatingWebhookConfiguration"
            | "MutatingWebhookConfiguration"
            | "ValidatingAdmissionPolicy"
            | "ValidatingAdmissionPolicyBinding"
            | "APIService"
            | "RuntimeClass"
            | "ClusterIssuer"
    )
}

fn namespace_flag(namespace: Option<&str>, kind: &str) -> String {
    match namespace {
        Some(namespace) => format!(" -n {namespace}"),
        None if is_cluster_scoped(kind) => String::new(),
        None => " -n NAMESPACE".to_owned(),
    }
}

fn next_step(flux: &FluxObject<'_>, classification: Option<&Classification>) -> NextStep {
    let Some(found) = classification else {
        return NextStep {
            summary: "no pattern matched; read the events and the full status".to_owned(),
            commands: vec![
                flux.events(),
                format!(
                    "kubectl describe {} {} -n {}",
                    flux.kind.to_ascii_lowercase(),
                    flux.name,
                    flux.namespace
                ),
            ],
        };
    };
    let target = found.target.as_ref();
    match &found.action {
        Action::RecreateResource => recreate(flux, target),
        Action::RollbackHelmRelease if flux.is_helm_release() => {
            let (release, storage) = (flux.release_name(), flux.storage_namespace().to_owned());
            NextStep {
                summary: "the upgrade failed: suspend, roll back to the last deployed revision, fix the change in git, then resume".to_owned(),
                commands: vec![
                    format!("flux suspend helmrelease {} -n {}", flux.name, flux.namespace),
                    format!("helm history {release} -n {storage} --max 5"),
                    format!("helm rollback {release} -n {storage}"),
                    format!("flux resume helmrelease {} -n {}", flux.name, flux.namespace),
                ],
            }
        }
        Action::ResetHelmRelease if flux.is_helm_release() => NextStep {
            summary: "helm-controller exhausted its retries: reset the failure counters so it tries again (fix the cause first if it is in git)".to_owned(),
            commands: vec![
                flux.reconcile(" --reset"),
                format!(
                    "TOKEN=\"$(date +%s)\"; kubectl annotate helmrelease/{} -n {} --field-manager=flux-client-side-apply --overwrite reconcile.fluxcd.io/requestedAt=\"$TOKEN\" reconcile.fluxcd.io/resetAt=\"$TOKEN\"",
                    flux.name, flux.namespace
                ),
            ],
        },
        Action::UnlockHelmRelease if flux.is_helm_release() => {
            let (release, storage) = (flux.release_name(), flux.storage_namespace().to_owned());
            NextStep {
                summary: "the release is locked by an unfinished operation; helm-controller ≥ v0.37 (Flux 2.2) unlocks it by itself, older ones need a rollback to the last deployed revision".to_owned(),
                commands: vec![
                    format!("helm history {release} -n {storage} --max 5"),
                    format!("helm rollback {release} -n {storage}"),
                    flux.reconcile(" --force"),
                ],
            }
        }
        Action::WaitForDependencies => {
            let mut commands = Vec::new();
            if let Some(dependency) = target.filter(|t| t.kind == flux.kind) {
                let namespace = dependency.namespace.as_deref().unwrap_or(flux.namespace);
                commands.push(format!("flux get {}s {} -n {namespace}", flux.flux_kind(), dependency.name));
            }
            commands.push(flux.events());
            NextStep { summary: "waiting for a dependency; nothing to change here — make the dependency Ready".to_owned(), commands }
        }
        Action::RetrySource => {
            let mut commands = Vec::new();
            if let Some((kind, namespace, name)) = flux.source() {
                if let Some(words) = flux_words(&kind) {
                    let plural = words.strip_prefix("source ").map_or_else(|| format!("{words}s"), |w| format!("sources {w}"));
                    commands.push(format!("flux get {plural} {name} -n {namespace}"));
                }
            }
            commands.push(flux.reconcile(" --with-source"));
            NextStep { summary: "the source or its artifact is missing or failed to fetch: reconcile the source, then this object".to_owned(), commands }
        }
        Action::RequestReconcile => NextStep {
            summary: "a transient failure (timeout, rate limit, health check): ask for a reconcile".to_owned(),
            commands: vec![flux.reconcile("")],
        },
        Action::FixInGit => {
            let mut commands = Vec::new();
            if flux.kind == "Kustomization" {
                let path = flux.spec_str("/spec/path").unwrap_or("./");
                commands.push(format!("flux build kustomization {} -n {} --path {path}", flux.name, flux.namespace));
            }
            commands.push(flux.events());
            NextStep { summary: "the desired state in git is wrong; fix it there — retrying will not help".to_owned(), commands }
        }
        Action::NamespaceTerminating => {
            let namespace = target.and_then(|t| t.namespace.clone()).unwrap_or_else(|| "NAMESPACE".to_owned());
            NextStep {
                summary: format!("namespace {namespace} is being deleted; wait until it is gone, or find what holds it"),
                commands: vec![
                    format!("kubectl get namespace {namespace} -o jsonpath='{{.status.conditions}}'"),
                    format!("kubectl api-resources --verbs=list --namespaced -o name | xargs -n 1 kubectl get --show-kind --ignore-not-found -n {namespace}"),
                ],
            }
        }
        Action::Custom(name) => NextStep {
            summary: format!(
                "custom action `{name}` from the pattern file{}",
                found.description.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
            ),
            commands: vec![flux.events()],
        },
        // A Helm action on something that is not a HelmRelease: say so and show the events.
        other => NextStep {
            summary: format!("`{other}` applies to HelmReleases; this is a {}", flux.kind),
            commands: vec![flux.events()],
        },
    }
}

fn recreate(flux: &FluxObject<'_>, target: Option<&Target>) -> NextStep {
    let Some(target) = target else {
        return NextStep {
            summary: "an applied object hit an immutable field, but the message does not say which; find it in the events".to_owned(),
            commands: vec![flux.events()],
        };
    };
    let namespace = flux.namespace_of(target);
    let ns = namespace_flag(namespace.as_deref(), &target.kind);
    let resource = target.kind.to_ascii_lowercase();
    let name = &target.name;
    let mut summary = format!(
        "{} cannot be updated in place ({}); back it up, delete it, and let Flux recreate it from git",
        target,
        target.field.as_deref().unwrap_or("immutable field")
    );
    let cascade = match target.kind.as_str() {
        // Orphaning keeps the pods and their volumes; the new StatefulSet adopts them.
        "StatefulSet" => " --cascade=orphan",
        _ => "",
    };
    if matches!(
        target.kind.as_str(),
        "PersistentVolumeClaim" | "PersistentVolume"
    ) {
        summary.push_str("; deleting a volume claim can delete its data — check the PersistentVolume's reclaimPolicy first");
    }
    let reconcile = if flux.is_helm_release() {
        flux.reconcile(" --force")
    } else {
        flux.reconcile(" --with-source")
    };
    NextStep {
        summary,
        commands: vec![
            format!("kubectl get {resource} {name}{ns} -o yaml > {resource}-{name}.backup.yaml"),
            format!("kubectl delete {resource} {name}{ns}{cascade}"),
            reconcile,
        ],
    }
}

fn write_human(out: &mut impl Write, total: usize, reports: &[Report]) -> std::io::Result<()> {
    if reports.is_empty() {
        return writeln!(out, "all {total} objects are Ready");
    }
    writeln!(out, "{} of {total} objects are not Ready", reports.len())?;
    for report in reports {
        writeln!(out)?;
        let how_long = match (report.not_ready_seconds, &report.since) {
            (Some(seconds), Some(since)) => {
                format!("not Ready for {} (since {since})", format_duration(seconds))
            }
            _ => "not Ready (no transition time)".to_owned(),
        };
        writeln!(
            out,
            "{} {}/{}: {how_long}",
            report.kind, report.namespace, report.name
        )?;
        if let Some(reason) = &report.reason {
            writeln!(out, "  reason:  {reason}")?;
        }
        if let Some(message) = &report.message {
            writeln!(out, "  message: {}", shorten(message, 240))?;
        }
        if let Some(stalled) = &report.stalled {
            writeln!(out, "  stalled: {}", shorten(stalled, 240))?;
        }
        match &report.classification {
            Some(found) => {
                writeln!(
                    out,
                    "  pattern: {} → {} (severity {})",
                    found.pattern, found.action, found.severity
                )?;
                if let Some(target) = &found.target {
                    writeln!(out, "  target:  {}", describe_target(target))?;
                }
            }
            None if report.unknown_failure => writeln!(
                out,
                "  pattern: {UNKNOWN_PATTERN} (a failure no pattern matched; severity {UNKNOWN_SEVERITY})"
            )?,
            None => writeln!(out, "  pattern: none matched")?,
        }
        writeln!(out, "  next:    {}", report.next_step.summary)?;
        for command in &report.next_step.commands {
            writeln!(out, "    {command}")?;
        }
    }
    Ok(())
}

fn write_json(out: &mut impl Write, reports: &[Report]) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(reports).map_err(std::io::Error::other)?;
    writeln!(out, "{text}")
}

/// `3d 4h`, `2h 5m`, `12m 30s`, `45s`.
fn format_duration(seconds: u64) -> String {
    let (days, hours, minutes, secs) = (
        seconds / 86_400,
        seconds / 3600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{secs}s"),
        (0, 0, _) => format!("{minutes}m {secs}s"),
        (0, _, _) => format!("{hours}h {minutes}m"),
        _ => format!("{days}d {hours}h"),
    }
}

/// RFC 3339 or unix seconds.
fn parse_time(text: &str) -> anyhow::Result<u64> {
    match text.trim().parse::<u64>() {
        Ok(seconds) => Ok(seconds),
        Err(_) => parse_rfc3339(text.trim()),
    }
}

/// `2026-11-26T10:00:00Z`, with optional fractional seconds and a `±hh:mm` offset.
fn parse_rfc3339(text: &str) -> anyhow::Result<u64> {
    let bytes = text.as_bytes();
    let number = |range: std::ops::Range<usize>| -> anyhow::Result<i64> {
        let part = text.get(range).context("timestamp too short")?;
        anyhow::ensure!(
            part.bytes().all(|b| b.is_ascii_digit()),
            "not a number: {part:?}"
        );
        Ok(part.parse()?)
    };
    anyhow::ensure!(bytes.len() >= 20, "timestamp too short");
    anyhow::ensure!(
        bytes[4] == b'-'
            && bytes[7] == b'-'
            && matches!(bytes[10], b'T' | b't' | b' ')
            && bytes[13] == b':'
            && bytes[16] == b':',
        "not RFC 3339"
    );
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    anyhow::ensure!(
        (1..=12).contains(&month)
            && (1..=31).contains(&day)
            && hour < 24
            && minute < 60
            && second < 61,
        "out of range"
    );
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        anyhow::ensure!(digits > 0, "empty fraction");
        rest = &fraction[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => anyhow::bail!("missing time zone"),
            };
            anyhow::ensure!(
                rest.len() == 6 && rest.as_bytes()[3] == b':',
                "bad offset {rest:?}"
            );
            let hours: i64 = rest[1..3].parse()?;
            let minutes: i64 = rest[4..6].parse()?;
            sign * (hours * 3600 + minutes * 60)
        }
    };
    let seconds =
        days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
    u64::try_from(seconds).context("before 1970")
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc3339_variants() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z").unwrap(), 0);
        assert_eq!(
            parse_rfc3339("2026-11-26T10:00:00Z").unwrap(),
            1_795_687_200
        );
        assert_eq!(
            parse_rfc3339("2026-11-26T12:00:00.123+02:00").unwrap(),
            1_795_687_200
        );
        assert_eq!(parse_rfc3339("2000-02-29T00:00:00Z").unwrap(), 951_782_400);
        assert!(parse_rfc3339("2026-13-01T00:00:00Z").is_err());
        assert!(parse_rfc3339("yesterday").is_err());
        assert!(parse_rfc3339("1969-12-31T23:59:59Z").is_err());
        assert_eq!(parse_time("42").unwrap(), 42);
    }

    #[test]
    fn formats_durations() {
        assert_eq!(format_duration(45), "45s");
        assert_eq!(format_duration(750), "12m 30s");
        assert_eq!(format_duration(7500), "2h 5m");
        assert_eq!(format_duration(3 * 86_400 + 4 * 3600 + 59), "3d 4h");
    }
}
