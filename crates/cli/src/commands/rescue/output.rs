//! Human output of `rescue`: the status report and the plan of a write command.

use std::io::Write;
use std::path::Path;

use recovery_actions::plan::Plan;
use recovery_actions::status::StatusReport;

fn duration(seconds: u64) -> String {
    match seconds {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

fn place(namespace: Option<&str>) -> String {
    namespace.map_or_else(String::new, |ns| format!("{ns}/"))
}

/// The status report, one section per kind of trouble; sections with nothing are left out.
pub(super) fn write_status(out: &mut impl Write, report: &StatusReport) -> std::io::Result<()> {
    if report.is_empty() {
        return writeln!(out, "nothing is stuck");
    }
    if !report.namespaces.is_empty() {
        writeln!(out, "Namespaces stuck terminating:")?;
        for ns in &report.namespaces {
            writeln!(
                out,
                "  {} (terminating since {})",
                ns.name,
                ns.terminating_since.as_deref().unwrap_or("unknown")
            )?;
            for condition in &ns.conditions {
                writeln!(out, "    condition {condition}")?;
            }
            for blocker in &ns.blockers {
                writeln!(
                    out,
                    "    held by {}/{}{} [{}]",
                    blocker.kind,
                    place(blocker.namespace.as_deref()),
                    blocker.name,
                    blocker.finalizers.join(", ")
                )?;
            }
            writeln!(
                out,
                "    next: unstuck rescue finalize-namespace {}",
                ns.name
            )?;
        }
    }
    if !report.terminating_objects.is_empty() {
        writeln!(out, "Objects held by finalizers while being deleted:")?;
        for object in &report.terminating_objects {
            writeln!(
                out,
                "  {}/{}{} since {} [{}]",
                object.kind,
                place(object.namespace.as_deref()),
                object.name,
                object.since.as_deref().unwrap_or("unknown"),
                object.finalizers.join(", ")
            )?;
        }
    }
    if !report.flux.is_empty() {
        writeln!(out, "Flux objects not Ready:")?;
        for object in &report.flux {
            let how_long = object.not_ready_for_s.map_or_else(
                || "no Ready condition yet".to_owned(),
                |s| format!("for {}", duration(s)),
            );
            writeln!(
                out,
                "  {}/{}/{} {how_long}",
                object.kind, object.namespace, object.name
            )?;
            if let Some(message) = &object.message {
                writeln!(out, "    message: {message}")?;
            }
            if let (Some(pattern), Some(action)) = (&object.pattern, &object.action) {
                writeln!(out, "    pattern: {pattern} → {action}")?;
            }
            writeln!(out, "    next: {}", object.next_step)?;
        }
    }
    if !report.helm_locks.is_empty() {
        writeln!(out, "Helm releases locked by a pending revision:")?;
        for lock in &report.helm_locks {
            writeln!(
                out,
                "  {}/{} revision {} is {} (secret {})",
                lock.namespace, lock.release, lock.revision, lock.status, lock.secret
            )?;
            writeln!(
                out,
                "    next: unstuck rescue helm-unlock {} -n {}",
                lock.release, lock.namespace
            )?;
        }
    }
    if !report.suspended.is_empty() {
        writeln!(out, "Suspended Flux objects:")?;
        for object in &report.suspended {
            writeln!(
                out,
                "  {}/{}{}",
                object.kind,
                place(object.namespace.as_deref()),
                object.name
            )?;
        }
    }
    Ok(())
}

/// The backups and the exact requests of a write command.
pub(super) fn write_plan(out: &mut impl Write, plan: &Plan, dir: &Path) -> std::io::Result<()> {
    if !plan.backups.is_empty() {
        writeln!(
            out,
            "backups, written to {} before any request:",
            dir.display()
        )?;
        for backup in &plan.backups {
            writeln!(out, "  {}", backup.id)?;
        }
    }
    writeln!(out, "requests:")?;
    for request in &plan.requests {
        writeln!(out, "  {request}")?;
    }
    Ok(())
}
