//! What the engines deploying an object need from a plan: the mark that makes each recreate
//! the object, how to see a step has been applied, and — for Argo CD — whether the
//! Application's own `kustomize` options decide what `check` refused.
//!
//! Argo CD deletes and recreates an object carrying the sync options `Force=true,Replace=true`
//! in its `argocd.argoproj.io/sync-options` annotation (comma-separated, blanks trimmed):
//! argoproj/argo-cd `docs/user-guide/sync-options.md`, "Replace Resource Instead Of Applying
//! Changes" and "Force Sync".

use std::path::Path;

use immutable_rules::ObjectRef;
use kustomize_build::fs::Filesystem;
use kustomize_build::BuildOptions;
use serde_json::Value;

use crate::advice::FLUX_FORCE_KEY;
use crate::argo::{kustomize_source, ArgoApplication, SYNC_OPTIONS_ANNOTATION};
use crate::render::Rendered;

/// The sync options with which Argo CD replaces an object by deleting and creating it.
pub(super) const ARGO_FORCE_REPLACE: &str = "Force=true,Replace=true";

/// An annotation that makes an engine recreate the object carrying it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mark {
    /// `kustomize.toolkit.fluxcd.io/force: enabled`.
    Flux,
    /// `argocd.argoproj.io/sync-options: Force=true,Replace=true` (joined to options the
    /// object already has).
    Argo,
}

impl Mark {
    pub(super) fn key(self) -> &'static str {
        match self {
            Self::Flux => FLUX_FORCE_KEY,
            Self::Argo => SYNC_OPTIONS_ANNOTATION,
        }
    }

    pub(super) fn value(self) -> &'static str {
        match self {
            Self::Flux => "enabled",
            Self::Argo => ARGO_FORCE_REPLACE,
        }
    }

    /// `Flux` / `Argo CD`.
    pub(super) fn engine(self) -> &'static str {
        match self {
            Self::Flux => "Flux",
            Self::Argo => "Argo CD",
        }
    }

    /// `key: value` as the step titles show it.
    pub(super) fn describe(self) -> String {
        format!("{}: {}", self.key(), self.value())
    }

    /// The value the annotation must have on `object` (rendered): Argo's options join those the
    /// object already carries, so a patch setting the annotation keeps them.
    pub(super) fn value_for(self, object: Option<&Value>) -> String {
        let existing = object
            .and_then(|o| o["metadata"]["annotations"][self.key()].as_str())
            .filter(|v| !v.trim().is_empty());
        match (self, existing) {
            (Self::Argo, Some(existing)) => format!("{existing},{}", self.value()),
            _ => self.value().to_owned(),
        }
    }
}

/// The marks recreating an object the units deploy: one per engine among them.
pub(super) fn marks(units: &[&Rendered]) -> Vec<Mark> {
    let mut marks = Vec::new();
    if units.iter().any(|u| u.flux.is_some()) {
        marks.push(Mark::Flux);
    }
    if units.iter().any(|u| u.argo.is_some()) {
        marks.push(Mark::Argo);
    }
    marks
}

/// `argocd app …` names an Application by name, or `namespace/name` outside Argo CD's own
/// namespace.
fn app_name(app: &ArgoApplication) -> String {
    if app.id.namespace.is_empty() || app.id.namespace == "argocd" {
        app.id.name.clone()
    } else {
        app.id.to_string()
    }
}

/// How to see each engine has applied the step.
pub(super) fn applied_checks(units: &[&Rendered]) -> Vec<String> {
    let mut checks = Vec::new();
    for unit in units {
        if let Some(ks) = &unit.flux {
            checks.push(format!(
                "flux reconcile kustomization {} -n {} --with-source  # reports `Applied revision`",
                ks.id.name, ks.id.namespace
            ));
        }
        if let Some(app) = &unit.argo {
            let name = app_name(app);
            if !app.automated() {
                checks.push(format!(
                    "argocd app sync {name}  # the Application does not sync by itself"
                ));
            }
            checks.push(format!(
                "argocd app wait {name} --sync --health  # Synced and Healthy"
            ));
        }
    }
    checks.dedup();
    checks
}

/// What removes an object that left the rendering: each engine's pruning, else a delete.
pub(super) fn removal_note(units: &[&Rendered]) -> String {
    let mut ways = Vec::new();
    for unit in units {
        if let Some(ks) = &unit.flux {
            if ks.spec("prune").and_then(Value::as_bool) == Some(true) {
                ways.push(format!("Flux Kustomization {} prunes it", ks.id));
            }
        }
        if let Some(app) = &unit.argo {
            let name = app_name(app);
            ways.push(if app.prunes() {
                format!("Argo CD Application {} prunes it", app.id)
            } else {
                format!("`argocd app sync {name} --prune` removes it")
            });
        }
    }
    if ways.is_empty() {
        "NotFound once it has been deleted: nothing prunes it, delete it".to_owned()
    } else {
        format!("NotFound once {}; else delete it", ways.join(", "))
    }
}

/// When the Argo CD Application rendering `object` changes it with its own
/// `spec.source.kustomize` options — which are written in the Application, not on any line of
/// its source path — the Application and the options it sets. Found by building the source
/// path without the options: an object that then differs (or is missing, renamed by
/// `namePrefix`/`nameSuffix`) takes something from them.
pub(super) fn deciding_options(
    fs: &dyn Filesystem,
    tree_root: &Path,
    unit: &Rendered,
    object: &Value,
    build: &BuildOptions,
) -> Option<String> {
    let app = unit.argo.as_deref()?;
    let dir = fs
        .canonicalize(&unit.dir)
        .unwrap_or_else(|_| unit.dir.clone());
    let (source, _) = kustomize_source(fs, &dir, app)?;
    let options = source.get("kustomize")?.as_object()?;
    let set: Vec<&str> = options
        .iter()
        .filter(|(_, v)| !v.is_null() && v != &&Value::Bool(false) && v.as_str() != Some(""))
        .map(|(k, _)| k.as_str())
        .collect();
    if set.is_empty() {
        return None;
    }
    let target = ObjectRef::of(object);
    let plain = kustomize_build::build(fs, Path::new(&dir), build).ok()?;
    let destination = app.destination_namespace();
    let unchanged = plain.into_resources().into_iter().any(|resource| {
        let mut plain = resource.into_object();
        if plain["metadata"]["namespace"]
            .as_str()
            .unwrap_or("")
            .is_empty()
        {
            if let Some(namespace) = destination {
                plain["metadata"]["namespace"] = Value::String(namespace.to_owned());
            }
        }
        ObjectRef::of(&plain) == target && without_namespace(&plain) == without_namespace(object)
    });
    (!unchanged).then(|| {
        format!(
            "Argo CD Application {} ({}) changes this object with its own spec.source.kustomize options ({}), which no file of its source path holds",
            app.id,
            crate::sources::relative(&app.file, tree_root)
                .unwrap_or_else(|| app.file.display().to_string()),
            set.join(", ")
        )
    })
}

fn without_namespace(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(metadata) = object["metadata"].as_object_mut() {
        metadata.remove("namespace");
    }
    object
}
