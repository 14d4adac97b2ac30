//! What a change does to each deploying unit once its engine applies it: how many objects are
//! created, changed and removed, whether removed objects are deleted (pruned) or left behind
//! (orphaned), and whether the unit rolls out at all (a suspended Flux Kustomization does not).
//!
//! Removing a `Namespace`, `PersistentVolumeClaim`, `PersistentVolume` or
//! `CustomResourceDefinition` from a unit that prunes deletes data: each is an `error` finding
//! whose rule starts with `prune-` and which names what goes with it. Flux prunes the objects of
//! a Kustomization with `spec.prune: true` that left its build, except those annotated (or
//! labelled) `kustomize.toolkit.fluxcd.io/prune: disabled`, and deleting the Kustomization
//! itself deletes its objects too (`fluxcd/kustomize-controller` `docs/spec/v1/kustomizations.md`,
//! "Prune" and "Suspend"). Deleting a Namespace deletes every object in it; deleting a CRD
//! deletes every custom resource of it (Kubernetes documentation, "Namespaces" and "Extend the
//! Kubernetes API with `CustomResourceDefinitions`", "Delete a `CustomResourceDefinition`").

use std::collections::{BTreeMap, BTreeSet};

use immutable_rules::{Finding, ObjectRef, Remediation, Severity, Violation, PRUNED_RULE};
use serde::Serialize;
use serde_json::Value;

use crate::render::Rendering;

/// Rule of a pruned `Namespace`.
pub const PRUNE_NAMESPACE_RULE: &str = "prune-namespace";
/// Rule of a pruned `PersistentVolumeClaim`.
pub const PRUNE_CLAIM_RULE: &str = "prune-persistent-volume-claim";
/// Rule of a pruned `PersistentVolume`.
pub const PRUNE_VOLUME_RULE: &str = "prune-persistent-volume";
/// Rule of a pruned `CustomResourceDefinition`.
pub const PRUNE_CRD_RULE: &str = "prune-custom-resource-definition";

/// The label or annotation with which an object asks Flux not to prune it.
pub const FLUX_PRUNE_KEY: &str = "kustomize.toolkit.fluxcd.io/prune";

/// Which engine applies a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Engine {
    /// A plain kustomization directory, applied by whatever runs `kubectl apply -k`.
    Kustomize,
    /// A Flux `Kustomization`.
    Flux,
    /// An Argo CD `Application`.
    Argo,
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Engine::Kustomize => "kustomize",
            Engine::Flux => "flux",
            Engine::Argo => "argo",
        })
    }
}

/// An object, as the impact names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ObjectName {
    /// `kind`.
    pub kind: String,
    /// `metadata.namespace`; `null` for cluster-scoped objects or when the manifest sets none.
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
}

impl std::fmt::Display for ObjectName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(namespace) => write!(f, "{} {namespace}/{}", self.kind, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// What the change does to one deploying unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Impact {
    /// The unit, named as in the rest of the report.
    pub unit: String,
    /// The unit's kustomization file or the file defining its Flux Kustomization, relative to
    /// the searched directory (where annotations point); not serialized.
    #[serde(skip)]
    pub file: String,
    /// The engine applying it.
    pub engine: Engine,
    /// Whether removed objects are deleted from the cluster (`false`: they are left behind,
    /// orphaned, no longer managed).
    pub prune: bool,
    /// Whether the unit is suspended after the change (a Flux `spec.suspend`, an Argo CD
    /// Application without `syncPolicy.automated`): nothing of it rolls out by itself.
    pub suspended: bool,
    /// Whether it was suspended before the change (differs from `suspended` on a flip).
    pub suspended_before: bool,
    /// Objects the engine creates.
    pub created: usize,
    /// Objects whose rendered content changes.
    pub changed: usize,
    /// Objects the unit no longer renders.
    pub removed: usize,
    /// Those objects.
    pub removed_objects: Vec<ObjectName>,
}

impl Impact {
    /// A unit that `engine` applies, with nothing created, changed or removed yet and neither
    /// pruning nor suspended.
    pub fn new(unit: impl Into<String>, file: impl Into<String>, engine: Engine) -> Self {
        Self {
            unit: unit.into(),
            file: file.into(),
            engine,
            prune: false,
            suspended: false,
            suspended_before: false,
            created: 0,
            changed: 0,
            removed: 0,
            removed_objects: Vec::new(),
        }
    }

    /// Whether the unit stops or starts rolling out with this change.
    pub fn suspend_flipped(&self) -> bool {
        self.suspended != self.suspended_before
    }

    /// One line: `3 created, 1 changed, 2 removed (pruned: …)`, then whether a suspension
    /// holds the rollout back.
    pub fn summary(&self) -> String {
        let mut text = format!(
            "{} created, {} changed, {} removed",
            self.created, self.changed, self.removed
        );
        if self.removed > 0 {
            text.push_str(match (self.engine, self.prune) {
                (_, true) => " (pruned: deleted from the cluster)",
                (Engine::Flux, false) => {
                    " (not pruned: left in the cluster, orphaned, as spec.prune is not true)"
                }
                (Engine::Argo, false) => {
                    " (not pruned: left in the cluster, orphaned, as syncPolicy.automated.prune is not true)"
                }
                (Engine::Kustomize, false) => {
                    " (`kubectl apply -k` leaves them in the cluster; deleted only if the tool applying it prunes)"
                }
            });
        }
        match (self.suspended_before, self.suspended) {
            (_, true) if self.engine == Engine::Argo => text.push_str(
                "; it has no syncPolicy.automated: none of this rolls out until someone syncs the Application",
            ),
            (true, false) if self.engine == Engine::Argo => text.push_str(
                "; this change turns on automated sync: everything it renders rolls out",
            ),
            (false, true) => text
                .push_str("; this change suspends it: nothing of it rolls out until it is resumed"),
            (true, false) => {
                text.push_str("; this change resumes it: everything it renders rolls out");
            }
            (true, true) => {
                text.push_str("; it is suspended: none of this rolls out until it is resumed");
            }
            (false, false) => {}
        }
        text
    }
}

/// The impact of the change on every unit it touches, in unit order. Directories that another
/// unit builds through (bases, overlays a Flux Kustomization deploys) are counted through that
/// unit only.
pub(crate) fn impacts(base: &Rendering, head: &Rendering, skip: &BTreeSet<String>) -> Vec<Impact> {
    let names: BTreeSet<&String> = base.units.keys().chain(head.units.keys()).collect();
    names
        .into_iter()
        .filter(|name| !skip.contains(*name))
        .filter_map(|name| {
            let before = base.units.get(name);
            let after = head.units.get(name);
            let (engine, prune, suspended_before, suspended) = engine_of(before, after);
            let empty: &[Value] = &[];
            // A unit that fails to build on either side rolls out nothing countable.
            let old = match before.map(|r| r.objects.as_ref()) {
                Some(Ok(objects)) => objects.as_ref(),
                Some(Err(_)) => return None,
                None => empty,
            };
            let new = match after.map(|r| r.objects.as_ref()) {
                Some(Ok(objects)) => objects.as_ref(),
                Some(Err(_)) => return None,
                None => empty,
            };
            let old_by_id: BTreeMap<Key, &Value> = old.iter().map(|o| (key(o), o)).collect();
            let new_ids: BTreeSet<Key> = new.iter().map(key).collect();
            let mut created = 0;
            let mut changed = 0;
            for object in new {
                match old_by_id.get(&key(object)) {
                    None => created += 1,
                    Some(previous) if *previous != object => changed += 1,
                    Some(_) => {}
                }
            }
            let removed_objects: Vec<ObjectName> = old_by_id
                .keys()
                .filter(|id| !new_ids.contains(*id))
                .map(|(_, kind, namespace, name)| ObjectName {
                    kind: kind.clone(),
                    namespace: namespace.clone(),
                    name: name.clone(),
                })
                .collect();
            let impact = Impact {
                unit: name.clone(),
                file: after.or(before).map(|r| r.file.clone()).unwrap_or_default(),
                engine,
                prune,
                suspended,
                suspended_before,
                created,
                changed,
                removed: removed_objects.len(),
                removed_objects,
            };
            let touched = impact.created + impact.changed + impact.removed > 0;
            (touched || impact.suspend_flipped()).then_some(impact)
        })
        .collect()
}

/// An object's identity across versions: group, kind, namespace, name (an `apiVersion` bump
/// is the same object).
type Key = (String, String, Option<String>, String);

fn key(object: &Value) -> Key {
    let id = ObjectRef::of(object);
    (id.group, id.kind, id.namespace, id.name)
}

/// `(engine, prune, suspended before, suspended after)` of a unit; a unit gone at the head is
/// judged by its base definition (deleting a pruning Flux Kustomization deletes its objects).
fn engine_of(
    before: Option<&crate::render::Rendered>,
    after: Option<&crate::render::Rendered>,
) -> (Engine, bool, bool, bool) {
    fn flux(r: Option<&crate::render::Rendered>) -> Option<&crate::flux::FluxKustomization> {
        r.and_then(|r| r.flux.as_deref())
    }
    fn argo(r: Option<&crate::render::Rendered>) -> Option<&crate::argo::ArgoApplication> {
        r.and_then(|r| r.argo.as_deref())
    }
    let suspended = |r: Option<&crate::render::Rendered>| {
        flux(r)
            .and_then(|ks| ks.spec("suspend"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    if let Some(app) = argo(after).or(argo(before)) {
        // Without automated sync nothing rolls out by itself: reported like a suspension. A
        // deleted Application is judged by its last definition (its finalizer, if any, runs).
        let manual = |r: Option<&crate::render::Rendered>| argo(r).is_some_and(|a| !a.automated());
        return (Engine::Argo, app.prunes(), manual(before), manual(after));
    }
    match flux(after).or(flux(before)) {
        Some(ks) => (
            Engine::Flux,
            ks.spec("prune").and_then(Value::as_bool).unwrap_or(false),
            suspended(before),
            // A deleted Kustomization is no longer suspended: its finalizer runs.
            suspended(after),
        ),
        None => (Engine::Kustomize, false, false, false),
    }
}

/// For each directory unit that another unit's build read through (its kustomization file was
/// read by a build other than its own), the units whose builds read it. Builds read their
/// bases transitively, so the readers of a base include every unit deploying it.
pub(crate) fn readers(base: &Rendering) -> BTreeMap<String, BTreeSet<String>> {
    let dirs: BTreeMap<&std::path::Path, &String> = base
        .units
        .iter()
        .filter(|(_, r)| r.flux.is_none() && r.argo.is_none())
        .map(|(name, r)| (r.dir.as_path(), name))
        .collect();
    let mut readers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (reader, trace) in base.traces() {
        for file in trace.files_read() {
            let is_kustomization = file.file_name().is_some_and(|n| {
                kustomize_build::kustomization::FILE_NAMES.contains(&n.to_string_lossy().as_ref())
            });
            let Some(unit) = file.parent().and_then(|dir| dirs.get(dir)) else {
                continue;
            };
            if is_kustomization && *unit != reader {
                readers
                    .entry((*unit).clone())
                    .or_default()
                    .insert(reader.clone());
            }
        }
    }
    readers
}

/// Turn the removal of a `Namespace`, PVC, PV or CRD from a pruning unit into an `error`
/// finding naming what goes with it; `object-pruned` findings of the same object are replaced.
pub(crate) fn prune_findings(findings: &mut Vec<Finding>, impacts: &[Impact], base: &Rendering) {
    // Every object the repository rendered before the change, once.
    let mut everything: BTreeMap<ObjectRef, &Value> = BTreeMap::new();
    for objects in base.units.values().filter_map(|r| r.objects.as_ref().ok()) {
        for object in objects.iter() {
            everything.entry(ObjectRef::of(object)).or_insert(object);
        }
    }
    for impact in impacts.iter().filter(|i| i.prune) {
        for removed in &impact.removed_objects {
            let Some((id, object)) = everything.iter().find(|(id, _)| {
                id.kind == removed.kind
                    && id.namespace == removed.namespace
                    && id.name == removed.name
            }) else {
                continue;
            };
            let argo = impact.engine == Engine::Argo;
            if (!argo && keeps_flux_from_pruning(object))
                || (argo && keeps_argo_from_pruning(object))
            {
                continue;
            }
            let Some((rule, goes_with_it)) = what_goes_with(id, object, &everything) else {
                continue;
            };
            let (engine, keep) = if argo {
                (
                    "Argo CD",
                    format!("`{}: Prune=false`", crate::argo::SYNC_OPTIONS_ANNOTATION),
                )
            } else {
                ("Flux", format!("`{FLUX_PRUNE_KEY}: disabled`"))
            };
            let reason = format!(
                "{} stops rendering it and prunes: {engine} deletes it from the cluster, and {goes_with_it}",
                impact.unit
            );
            let violation = Violation {
                rule: rule.to_owned(),
                severity: Severity::Error,
                object: id.clone(),
                field: String::new(),
                old: "(present)".to_owned(),
                new: "(removed)".to_owned(),
                reason: format!(
                    "{reason}. If it must stay, keep it in git, or first mark it {keep} in a change of its own so {engine} leaves it in the cluster"
                ),
                api_error: String::new(),
                remediations: vec![Remediation::RestoreIfUnintended],
            };
            let existing = findings.iter_mut().find(|f| {
                f.violation.rule == PRUNED_RULE
                    && f.violation.object == *id
                    && f.dirs.contains(&impact.unit)
            });
            match existing {
                Some(finding) => finding.violation = violation,
                None => findings.push(Finding {
                    violation,
                    dirs: vec![impact.unit.clone()],
                }),
            }
        }
    }
}

/// Whether `object` carries `kustomize.toolkit.fluxcd.io/prune: disabled`.
fn keeps_flux_from_pruning(object: &Value) -> bool {
    ["annotations", "labels"].iter().any(|field| {
        object["metadata"][field][FLUX_PRUNE_KEY]
            .as_str()
            .is_some_and(|value| value.eq_ignore_ascii_case("disabled"))
    })
}

/// Whether `object`'s `argocd.argoproj.io/sync-options` annotation holds `Prune=false` (argo-cd
/// `docs/user-guide/sync-options.md`, "No Prune Resources"): Argo CD then leaves it in the
/// cluster when it leaves the rendering.
fn keeps_argo_from_pruning(object: &Value) -> bool {
    crate::argo::object_sync_options(object).contains(&"Prune=false")
}

/// The `prune-` rule for an object of `id`'s kind, and what its deletion takes with it.
fn what_goes_with(
    id: &ObjectRef,
    object: &Value,
    everything: &BTreeMap<ObjectRef, &Value>,
) -> Option<(&'static str, String)> {
    let listed = |members: Vec<&ObjectRef>, what: &str| {
        let count = members.len();
        let shown: Vec<String> = members
            .iter()
            .take(5)
            .map(|m| match &m.namespace {
                Some(namespace) => format!("{} {namespace}/{}", m.kind, m.name),
                None => format!("{} {}", m.kind, m.name),
            })
            .collect();
        let more = if count > shown.len() {
            format!(" and {} more", count - shown.len())
        } else {
            String::new()
        };
        match count {
            0 => format!("every {what} in the cluster goes with it (none is in the repository)"),
            1 => format!(
                "every {what} goes with it: 1 in the repository ({})",
                shown.join(", ")
            ),
            _ => format!(
                "every {what} goes with it: {count} in the repository ({}{more})",
                shown.join(", ")
            ),
        }
    };
    match (id.group.as_str(), id.kind.as_str()) {
        ("", "Namespace") => {
            let members = everything
                .keys()
                .filter(|o| o.namespace.as_deref() == Some(id.name.as_str()))
                .collect();
            Some((PRUNE_NAMESPACE_RULE, listed(members, "object in the namespace")))
        }
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            let group = object["spec"]["group"].as_str().unwrap_or_default();
            let kind = object["spec"]["names"]["kind"].as_str().unwrap_or_default();
            let members = everything
                .keys()
                .filter(|o| o.group == group && o.kind == kind)
                .collect();
            Some((PRUNE_CRD_RULE, listed(members, &format!("{kind} custom resource"))))
        }
        ("", "PersistentVolumeClaim") => Some((
            PRUNE_CLAIM_RULE,
            "the volume bound to it is deleted too when its reclaim policy is `Delete` (the default of dynamically provisioned volumes): its data is lost".to_owned(),
        )),
        ("", "PersistentVolume") => Some((
            PRUNE_VOLUME_RULE,
            "with the reclaim policy `Delete` the storage behind it is deleted and its data lost; with `Retain` it must be reclaimed by hand".to_owned(),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn id(group: &str, kind: &str, namespace: Option<&str>, name: &str) -> ObjectRef {
        ObjectRef {
            group: group.to_owned(),
            version: "v1".to_owned(),
            kind: kind.to_owned(),
            namespace: namespace.map(str::to_owned),
            name: name.to_owned(),
        }
    }

    #[test]
    fn a_crd_takes_its_custom_resources_and_a_namespace_its_objects() {
        let crd = json!({"spec": {"group": "example.com", "names": {"kind": "Widget"}}});
        let widget = json!({});
        let everything: BTreeMap<ObjectRef, &Value> = [
            (id("example.com", "Widget", Some("a"), "w1"), &widget),
            (id("apps", "Deployment", Some("a"), "web"), &widget),
            (id("apps", "Deployment", Some("b"), "api"), &widget),
        ]
        .into_iter()
        .collect();
        let crd_id = id(
            "apiextensions.k8s.io",
            "CustomResourceDefinition",
            None,
            "widgets.example.com",
        );
        let (rule, with) = what_goes_with(&crd_id, &crd, &everything).unwrap();
        assert_eq!(rule, PRUNE_CRD_RULE);
        assert!(with.contains("1 in the repository (Widget a/w1)"), "{with}");
        let (rule, with) =
            what_goes_with(&id("", "Namespace", None, "a"), &json!({}), &everything).unwrap();
        assert_eq!(rule, PRUNE_NAMESPACE_RULE);
        assert!(with.contains("2 in the repository"), "{with}");
        assert!(what_goes_with(
            &id("apps", "Deployment", Some("a"), "web"),
            &json!({}),
            &everything
        )
        .is_none());
    }

    #[test]
    fn prune_disabled_is_read_from_labels_and_annotations() {
        let annotated = json!({"metadata": {"annotations": {FLUX_PRUNE_KEY: "disabled"}}});
        let labelled = json!({"metadata": {"labels": {FLUX_PRUNE_KEY: "Disabled"}}});
        assert!(keeps_flux_from_pruning(&annotated));
        assert!(keeps_flux_from_pruning(&labelled));
        assert!(!keeps_flux_from_pruning(&json!({"metadata": {}})));
    }
}
