//! `unstuck classify`: say what a Flux/Helm/Kubernetes error message means and what to do.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use recovery_patterns::{parse_target, Context, PatternSet, Target, Verdict};
use serde::Serialize;

use crate::exit::Status;

/// Arguments of `unstuck classify`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Messages to classify; one result each.
    #[arg(value_name = "MESSAGE")]
    messages: Vec<String>,
    /// Also read messages from standard input, one per line (blank lines are skipped).
    #[arg(long)]
    stdin: bool,
    #[command(flatten)]
    patterns: PatternArgs,
    /// Kind of the object whose status carries the messages (`Kustomization`, `HelmRelease`);
    /// narrows patterns with `applies_to` and names `dependency '…'` targets.
    #[arg(long, value_name = "KIND")]
    kind: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Print the patterns in the order they are tried, instead of classifying.
    #[arg(long, conflicts_with_all = ["messages", "stdin"])]
    list: bool,
}

/// Where the patterns come from; shared with `unstuck triage`.
#[derive(Debug, clap::Args)]
pub(crate) struct PatternArgs {
    /// A `recovery-patterns.yaml` (or a `ConfigMap` carrying one) merged over the built-in patterns.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Use only the patterns from `--config`, without the built-in ones.
    #[arg(long, requires = "config")]
    no_builtin: bool,
}

impl PatternArgs {
    /// The built-in patterns, merged with or replaced by `--config`.
    pub(crate) fn load(&self) -> anyhow::Result<PatternSet> {
        let Some(path) = &self.config else {
            return Ok(PatternSet::builtin());
        };
        let text = read_config(path)?;
        let loaded = if self.no_builtin {
            PatternSet::from_yaml(&text)
        } else {
            PatternSet::builtin_with_yaml(&text)
        };
        loaded.with_context(|| format!("invalid pattern file {}", path.display()))
    }
}

fn read_config(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .with_context(|| format!("cannot read pattern file {}", path.display()))
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Readable text.
    Human,
    /// One JSON object per message, one per line.
    Json,
}

/// The JSON shape of one result. `verdict` is `known` (a pattern matched), `unknown` (a failure
/// no pattern matched: pattern `unknown`, no action, next step `investigate`) or `not_a_failure`
/// (progress or success: everything else `null` but the target).
#[derive(Debug, Serialize)]
pub(crate) struct JsonResult<'a> {
    pub(crate) verdict: &'static str,
    pub(crate) pattern: Option<&'a str>,
    pub(crate) action: Option<&'a str>,
    pub(crate) severity: Option<&'a str>,
    pub(crate) next_step: Option<&'a str>,
    pub(crate) target: Option<&'a Target>,
}

impl<'a> JsonResult<'a> {
    pub(crate) fn new(verdict: &'a Verdict, target: Option<&'a Target>) -> Self {
        let (name, pattern, action, severity, next_step) = match verdict {
            Verdict::Known(found) => (
                "known",
                Some(found.pattern.as_str()),
                Some(found.action.as_str()),
                Some(found.severity.as_str()),
                None,
            ),
            Verdict::Unknown(failure) => (
                "unknown",
                Some(failure.pattern.as_str()),
                None,
                Some(failure.severity.as_str()),
                Some(failure.next_step.as_str()),
            ),
            Verdict::NotAFailure => ("not_a_failure", None, None, None, None),
        };
        JsonResult {
            verdict: name,
            pattern,
            action,
            severity,
            next_step,
            target,
        }
    }
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Status> {
    let patterns = args.patterns.load()?;
    if args.list {
        let mut out = std::io::stdout().lock();
        crate::commands::triage::ignore_broken_pipe(write_list(&mut out, &patterns, args.format))?;
        return Ok(Status::Success);
    }
    let mut messages = args.messages.clone();
    if args.stdin {
        for line in std::io::stdin().lock().lines() {
            let line = line.context("cannot read standard input")?;
            if !line.trim().is_empty() {
                messages.push(line);
            }
        }
    }
    if messages.is_empty() {
        anyhow::bail!("no message to classify; pass messages as arguments or use --stdin");
    }
    let mut out = std::io::stdout().lock();
    let written = write_results(
        &mut out,
        &patterns,
        &messages,
        args.kind.as_deref(),
        args.format,
    );
    crate::commands::triage::ignore_broken_pipe(written)?;
    Ok(Status::Success)
}

fn write_results(
    out: &mut impl Write,
    patterns: &PatternSet,
    messages: &[String],
    kind: Option<&str>,
    format: Format,
) -> std::io::Result<()> {
    for (index, message) in messages.iter().enumerate() {
        let context = Context {
            message,
            carrier_kind: kind,
            ..Context::default()
        };
        let verdict = patterns.verdict(&context);
        // Even without a match, say which object the message names.
        let target = match &verdict {
            Verdict::Known(found) => found.target.clone(),
            Verdict::Unknown(failure) => failure.target.clone(),
            Verdict::NotAFailure => parse_target(message, kind),
        };
        match format {
            Format::Json => {
                let json = JsonResult::new(&verdict, target.as_ref());
                writeln!(
                    out,
                    "{}",
                    serde_json::to_string(&json).map_err(std::io::Error::other)?
                )?;
            }
            Format::Human => {
                if index > 0 {
                    writeln!(out)?;
                }
                let line = message
                    .contains('\n')
                    .then(|| patterns.meaningful_line(&context));
                write_human(out, message, line, &verdict, target.as_ref())?;
            }
        }
    }
    Ok(())
}

/// The patterns in match order: a table, or JSON Lines of the configuration entries.
fn write_list(out: &mut impl Write, patterns: &PatternSet, format: Format) -> std::io::Result<()> {
    for entry in patterns.patterns() {
        match format {
            Format::Json => writeln!(
                out,
                "{}",
                serde_json::to_string(entry).map_err(std::io::Error::other)?
            )?,
            Format::Human => writeln!(
                out,
                "{:<28} {:>8} {:<22} {:<8} retries {:<2} {}",
                entry.name,
                format!(
                    "prio {}",
                    entry
                        .priority
                        .unwrap_or(recovery_patterns::DEFAULT_USER_PRIORITY)
                ),
                entry.recovery_action.as_str(),
                entry.severity.as_str(),
                entry
                    .max_retries
                    .unwrap_or(recovery_patterns::DEFAULT_MAX_RETRIES),
                entry.error_pattern
            )?,
        }
    }
    Ok(())
}

fn write_human(
    out: &mut impl Write,
    message: &str,
    line: Option<&str>,
    verdict: &Verdict,
    target: Option<&Target>,
) -> std::io::Result<()> {
    writeln!(out, "message:  {}", shorten(message, 200))?;
    if let Some(line) = line {
        writeln!(out, "line:     {}", shorten(line, 200))?;
    }
    match verdict {
        Verdict::Known(found) => {
            writeln!(
                out,
                "pattern:  {}{}",
                found.pattern,
                if found.builtin {
                    ""
                } else {
                    " (from --config)"
                }
            )?;
            writeln!(
                out,
                "action:   {} (severity {})",
                found.action, found.severity
            )?;
            if let Some(description) = &found.description {
                writeln!(out, "why:      {description}")?;
            }
        }
        Verdict::Unknown(failure) => {
            writeln!(
                out,
                "pattern:  {} (a failure no pattern matched)",
                failure.pattern
            )?;
            writeln!(
                out,
                "action:   none; {} (severity {})",
                failure.next_step, failure.severity
            )?;
            writeln!(
                out,
                "why:      read the object's events and full status; if it recurs, add a pattern with --config"
            )?;
        }
        Verdict::NotAFailure => writeln!(out, "pattern:  none matched (not a failure)")?,
    }
    if let Some(target) = target {
        writeln!(out, "target:   {}", describe_target(target))?;
    }
    Ok(())
}

/// `Kind/namespace/name, field spec.selector`.
pub(crate) fn describe_target(target: &Target) -> String {
    match &target.field {
        Some(field) => format!("{target}, field {field}"),
        None => target.to_string(),
    }
}

/// At most `limit` characters of `text` on one line, saying how much was left out.
pub(crate) fn shorten(text: &str, limit: usize) -> String {
    let one_line = text.trim_end().replace(['\n', '\r'], " ");
    match one_line.char_indices().nth(limit) {
        None => one_line,
        Some((cut, _)) => format!(
            "{} … ({} more bytes)",
            &one_line[..cut],
            one_line.len() - cut
        ),
    }
}
