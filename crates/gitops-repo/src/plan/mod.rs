//! Migrations for the changes `check` refuses: for each `error` violation, an ordered list of
//! commit-ready edits to the head tree (with the commands to run and what to verify between
//! them), chosen by the object's `update-strategy` annotation ([`crate::lifecycle`]) or a
//! default by kind.
//!
//! Strategies:
//!
//! - **blue-green** — the default for an object others name (a `HorizontalPodAutoscaler`'s
//!   `scaleTargetRef`, an `Ingress` backend naming a `Service`), or asked for by annotation. Step
//!   1 puts the object's document back at its base values and adds a copy with the change under
//!   a new name (`web` → `web-v2`, `web-v2` → `web-v3`) right after it in the same resource file,
//!   which is where the name comes from, and points the referrers at the copy (and the
//!   `Service`s selecting the old pods by a label the copy's pod template changes at the new
//!   pods); step 2 removes the old document. Planned only when the refused value is written in the object's own
//!   document (a value an overlay writes would reach the copy too): otherwise the plan
//!   recreates the object, saying why.
//! - **recreate** — step 1 adds Flux's object-level `kustomize.toolkit.fluxcd.io/force: enabled`
//!   annotation (kustomize-controller deletes and recreates an object whose apply fails on an
//!   immutable field when it carries it: `fluxcd/kustomize-controller`
//!   `docs/spec/v1/kustomizations.md`, "Controlling the apply behavior of resources"); step 2
//!   removes it once the change has rolled out, so later changes are not recreations by
//!   surprise. The annotation goes where the offending value is written: into the resource
//!   document or the strategic-merge patch document holding that line, or — for a value a
//!   kustomization field writes (`commonLabels`, `images`…) — as a new `patches` entry of that
//!   kustomization file; failing both, into the object's own resource document.
//! - **orphan-recreate** (`StatefulSet`s) — the same two edits, and before merging step 1 the
//!   commands that grow the existing `PersistentVolumeClaim`s (when the change is a larger
//!   storage request) and delete the `StatefulSet` with `--cascade=orphan`, so its pods and
//!   claims survive and the recreated `StatefulSet` adopts them.
//! - **keep** — the revert of the change at the line `check` traced it to (and of the same
//!   edit elsewhere in that file: a label renamed in a selector and in the pod template). The
//!   default for `PersistentVolumeClaim`s and `PersistentVolume`s, for `update-strategy:
//!   rolling`, and for objects no Flux Kustomization deploys (nothing in git makes plain
//!   kustomize recreate an object).
//!
//! The edits of all migrations are planned in order on one virtual tree: every migration's
//! step 1, then every step 2, so [`Plan::patches`] can be applied one after the other with
//! `git apply`. After step 1, `check` from the base reports no `error` for the object (the
//! force annotation turns it into a warning naming the cost); this crate's tests prove it for
//! every strategy and rule family listed in `docs/plan.md`.
//!
//! Not planned (listed in [`Plan::unplanned`] with the reason): reverts of values whose source
//! `check` could not trace, and marks in metadata written in flow style. Two migrations editing
//! the same file are planned on the text the first left, their lines moved past its edits, and
//! a mark lands only in a document of the object's kind and name.

mod diff;
mod edit;

use std::collections::BTreeMap;

use immutable_rules::{ObjectRef, Severity, PRUNED_RULE};
use kustomize_build::BuildOptions;
use serde::Serialize;
use serde_json::Value;

use crate::advice::FLUX_FORCE_KEY;
use crate::lifecycle::{self, UpdateStrategy};
use crate::render::{render, Progress, RenderOptions, Rendered, Rendering, Reuse};
use crate::report::{Source, Violation};
use crate::sources::{locate_field, Head, HeadTarget};
use crate::{compare, Error, Report, SchemaOptions, Snapshot};

/// How a migration carries a refused change out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// A copy under a new name is created beside the object, what refers to the object is
    /// pointed at the copy, then the object is removed.
    BlueGreen,
    /// Flux deletes and recreates the object.
    Recreate,
    /// The `StatefulSet` is deleted with `--cascade=orphan` (its pods and claims stay), then
    /// recreated.
    OrphanRecreate,
    /// The change is reverted.
    Keep,
}

impl Strategy {
    /// The name used in output (`orphan-recreate`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BlueGreen => "blue-green",
            Self::Recreate => "recreate",
            Self::OrphanRecreate => "orphan-recreate",
            Self::Keep => "keep",
        }
    }
}

/// A change to one file of the head tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edit {
    /// The file, relative to the head tree.
    pub file: String,
    /// The unified diff, as `git apply` reads it at the tree root.
    pub diff: String,
    /// The content before the edit.
    #[serde(skip)]
    pub before: String,
    /// The content after it.
    #[serde(skip)]
    pub after: String,
}

/// One commit of a migration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// What the step does.
    pub title: String,
    /// The edits to commit.
    pub edits: Vec<Edit>,
    /// Commands to run against the cluster before merging the step.
    pub before_merge: Vec<String>,
    /// What to verify after the step is reconciled, before going on.
    pub checks: Vec<String>,
}

/// The migration of one refused change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Migration {
    /// The object.
    pub object: ObjectRef,
    /// The rule `check` reported.
    pub rule: String,
    /// The refused field.
    pub field: String,
    /// The strategy carried out.
    pub strategy: Strategy,
    /// Why this strategy: the annotation, or the default for the kind.
    pub reason: String,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// An error violation no migration is planned for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unplanned {
    /// The object.
    pub object: ObjectRef,
    /// The rule `check` reported.
    pub rule: String,
    /// Why there is no plan, and what to do by hand.
    pub reason: String,
}

/// What [`plan`] proposes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Plan {
    /// One migration per planned error violation.
    pub migrations: Vec<Migration>,
    /// Error violations without a plan.
    pub unplanned: Vec<Unplanned>,
    /// Error violations an acceptance covers ([`crate::accept`]): meant, so not planned;
    /// `reason` is the acceptance's. Serialized only when there are any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accepted: Vec<Unplanned>,
}

impl Plan {
    /// Every step's edits as patch files, in the order to apply them (all step 1s, then all
    /// step 2s): `(file name, unified diff)`, named `01-<kind>-<name>-<step>.patch`.
    pub fn patches(&self) -> Vec<(String, String)> {
        let mut ordered: Vec<(&Migration, usize, &Step)> = Vec::new();
        let phases = self
            .migrations
            .iter()
            .map(|m| m.steps.len())
            .max()
            .unwrap_or(0);
        for phase in 0..phases {
            for migration in &self.migrations {
                if let Some(step) = migration.steps.get(phase) {
                    ordered.push((migration, phase, step));
                }
            }
        }
        ordered
            .into_iter()
            .filter(|(_, _, step)| !step.edits.is_empty())
            .enumerate()
            .map(|(i, (migration, phase, step))| {
                let name = format!(
                    "{:02}-{}-{}-step{}.patch",
                    i + 1,
                    migration.object.kind.to_ascii_lowercase(),
                    slug(&migration.object.name),
                    phase + 1
                );
                let diff = step.edits.iter().map(|e| e.diff.as_str()).collect();
                (name, diff)
            })
            .collect()
    }
}

fn slug(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// Compare `base` with `head` as `check` does, and plan a migration for every `error`
/// violation, as edits to the head tree.
///
/// ```
/// use std::path::Path;
/// use gitops_repo::plan::{plan, Strategy};
/// use gitops_repo::{NoProgress, RenderOptions, Snapshot};
/// use kustomize_build::fs::MemFs;
///
/// let job = |image: &str| format!(
///     "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\nspec:\n  template:\n    spec:\n      containers:\n      - name: m\n        image: {image}\n"
/// );
/// let mut before = MemFs::new();
/// before.add_file("/r/flux.yaml", "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  path: ./app\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n");
/// before.add_file("/r/app/kustomization.yaml", "resources: [job.yaml]\n");
/// before.add_file("/r/app/job.yaml", job("tool:1"));
/// let mut after = before.clone();
/// after.add_file("/r/app/job.yaml", job("tool:2"));
///
/// let root = Path::new("/r");
/// let plan = plan(
///     &Snapshot::new("main", Box::new(before), root, root),
///     &Snapshot::new("branch", Box::new(after), root, root),
///     &RenderOptions::new(),
///     &NoProgress,
/// )?;
/// let migration = &plan.migrations[0];
/// assert_eq!(migration.strategy, Strategy::Recreate);
/// assert!(migration.steps[0].edits[0].diff.contains("+    kustomize.toolkit.fluxcd.io/force: enabled"));
/// assert_eq!(plan.patches()[1].0, "02-job-migrate-step2.patch");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn plan(
    base: &Snapshot,
    head: &Snapshot,
    options: &RenderOptions,
    progress: &dyn Progress,
) -> Result<Plan, Error> {
    // A plan migrates rule violations only: the schema check would be work thrown away.
    let without_schema = options
        .clone()
        .with_schema(SchemaOptions::new().with_enabled(false));
    let report = compare(base, head, &without_schema, progress)?;
    let rendering = render(head, options, Reuse::Nothing, progress)?;
    Ok(plan_report(&report, base, head, &rendering, &options.build))
}

/// The error findings `report` holds as accepted, with the acceptances' reasons.
fn accepted_errors(report: &Report) -> Vec<Unplanned> {
    report
        .accepted
        .iter()
        .filter(|a| a.violation.finding.violation.severity == Severity::Error)
        .map(|a| {
            let v = &a.violation.finding.violation;
            Unplanned {
                object: v.object.clone(),
                rule: v.rule.clone(),
                reason: a.acceptance.reason.clone(),
            }
        })
        .collect()
}

/// A step 1 whose step 2 is still to plan: what step 1 inserted where.
struct Pending {
    migration: usize,
    file: String,
    inserted: String,
    title: String,
    checks: Vec<String>,
}

/// Files of the head tree as the plan has edited them so far.
struct Tree<'a> {
    head: &'a Snapshot,
    edited: BTreeMap<String, String>,
    /// Per file, the changed regions of each edit so far: to move a line number `check`
    /// found at the head to where that line is now.
    history: BTreeMap<String, Vec<Vec<edit::Hunk>>>,
}

impl Tree<'_> {
    fn read(&self, file: &str) -> Option<String> {
        if let Some(text) = self.edited.get(file) {
            return Some(text.clone());
        }
        let bytes = self
            .head
            .fs()
            .read(&self.head.tree_root().join(file))
            .ok()?;
        String::from_utf8(bytes).ok()
    }

    /// `place` with its line moved past the edits made to its file so far.
    fn now(&self, place: &Source) -> Source {
        let mut line = place.line;
        for hunks in self.history.get(&place.file).into_iter().flatten() {
            line = edit::moved_line(hunks, line);
        }
        Source {
            line,
            ..place.clone()
        }
    }

    /// Record `after` as the content of `file` and return the edit.
    fn write(&mut self, file: &str, before: String, after: String) -> Edit {
        self.history
            .entry(file.to_owned())
            .or_default()
            .push(edit::hunks(&before, &after));
        self.edited.insert(file.to_owned(), after.clone());
        Edit {
            file: file.to_owned(),
            diff: diff::unified(file, &before, &after),
            before,
            after,
        }
    }
}

fn plan_report(
    report: &Report,
    base: &Snapshot,
    head: &Snapshot,
    rendering: &Rendering,
    build: &BuildOptions,
) -> Plan {
    let mut plan = Plan {
        accepted: accepted_errors(report),
        ..Plan::default()
    };
    let mut tree = Tree {
        head,
        edited: BTreeMap::new(),
        history: BTreeMap::new(),
    };
    let mut pending = Vec::new();
    for violation in &report.violations {
        let v = &violation.finding.violation;
        if v.severity != Severity::Error {
            continue;
        }
        let unplanned = |reason: String| Unplanned {
            object: v.object.clone(),
            rule: v.rule.clone(),
            reason,
        };
        if v.rule.starts_with("prune-") || v.rule == PRUNED_RULE {
            plan.unplanned.push(unplanned(
                "the head removes the object and Flux prunes it with what it holds; no edit of the head makes that safe: keep its manifest in git, or first mark it `kustomize.toolkit.fluxcd.io/prune: disabled` and merge that, then remove it".to_owned(),
            ));
            continue;
        }
        // Where `check` traced the value, moved past the edits earlier migrations made.
        let source = violation.source.as_ref().map(|s| tree.now(s));
        let units = rendering_units(violation, rendering);
        let flux_units: Vec<&Rendered> =
            units.iter().copied().filter(|r| r.flux.is_some()).collect();
        let object = units.iter().find_map(|r| find_object(r, &v.object));
        let referrers = referrers(&v.object, &units);
        let (mut strategy, mut reason) = choose(&v.object.kind, object, !referrers.is_empty());
        let index = plan.migrations.len();
        let head_side = Head {
            fs: head.fs(),
            tree_root: head.tree_root(),
        };
        // Where the object's name is written: its resource document.
        let name_place = object
            .zip(flux_units.first().or(units.first()))
            .and_then(|(object, unit)| name_source(&head_side, unit, object, build))
            .map(|place| tree.now(&place));
        if strategy == Strategy::BlueGreen {
            let planned = name_place
                .as_ref()
                .ok_or_else(|| "the object's name is not written in a resource file".to_owned())
                .and_then(|place| {
                    blue_green(
                        &mut tree,
                        base,
                        &v.object,
                        source.as_ref(),
                        place,
                        &referrers,
                        &units,
                        &head_side,
                        build,
                    )
                });
            match planned {
                Ok((step, step2)) => {
                    pending.push(Pending {
                        migration: index,
                        ..step2
                    });
                    plan.migrations.push(Migration {
                        object: v.object.clone(),
                        rule: v.rule.clone(),
                        field: v.field.clone(),
                        strategy,
                        reason,
                        steps: vec![step],
                    });
                    continue;
                }
                Err(why) => {
                    reason = format!("{reason}; blue-green is not possible here ({why}), so the plan recreates it");
                    strategy = if v.object.kind == "StatefulSet" {
                        Strategy::OrphanRecreate
                    } else {
                        Strategy::Recreate
                    };
                }
            }
        }
        if strategy != Strategy::Keep && flux_units.is_empty() {
            reason = format!(
                "{reason}; but no Flux Kustomization deploys it, so nothing in git can make it be recreated: the plan keeps the old value"
            );
            strategy = Strategy::Keep;
        }
        let step = if strategy == Strategy::Keep {
            let Some(source) = &source else {
                plan.unplanned.push(unplanned(
                    "check could not trace the value to a line of the repository; revert it by hand".to_owned(),
                ));
                continue;
            };
            let old = base_file(base, &source.file);
            let Some(reverted) = tree.read(&source.file).and_then(|current| {
                edit::revert_at(old.as_deref().unwrap_or(""), &current, source.line)
                    .map(|after| (current, after))
            }) else {
                plan.unplanned.push(unplanned(format!(
                    "no change at {source} to revert; revert the change by hand"
                )));
                continue;
            };
            Step {
                title: format!("revert the change at {source}"),
                edits: vec![tree.write(&source.file, reverted.0, reverted.1)],
                before_merge: Vec::new(),
                checks: vec![format!(
                    "unstuck check reports no error for {}",
                    describe(&v.object)
                )],
            }
        } else {
            let original_name = name_place
                .as_ref()
                .and_then(|place| written_name(&tree, place))
                .unwrap_or_else(|| v.object.name.clone());
            let marked = [source.as_ref(), name_place.as_ref()]
                .into_iter()
                .flatten()
                .find_map(|place| mark_for_recreation(&mut tree, &v.object, place, &original_name));
            let Some((edit, inserted)) = marked else {
                plan.unplanned.push(unplanned(format!(
                    "cannot tell where to add the annotation `{FLUX_FORCE_KEY}: enabled` (the value's source is unknown or written in flow style); add it to the object by hand"
                )));
                continue;
            };
            pending.push(Pending {
                migration: index,
                file: edit.file.clone(),
                inserted,
                title: format!(
                    "remove the recreation mark from {} once it has been recreated",
                    describe(&v.object)
                ),
                checks: vec![format!(
                    "unstuck check reports no finding for {}",
                    describe(&v.object)
                )],
            });
            let before_merge = if strategy == Strategy::OrphanRecreate {
                orphan_commands(violation, object)
            } else {
                Vec::new()
            };
            Step {
                title: format!(
                    "mark {} for recreation by Flux ({FLUX_FORCE_KEY}: enabled)",
                    describe(&v.object)
                ),
                edits: vec![edit],
                before_merge,
                checks: recreate_checks(&v.object, &flux_units),
            }
        };
        plan.migrations.push(Migration {
            object: v.object.clone(),
            rule: v.rule.clone(),
            field: v.field.clone(),
            strategy,
            reason,
            steps: vec![step],
        });
    }
    for Pending {
        migration,
        file,
        inserted,
        title,
        checks,
    } in pending
    {
        let Some(current) = tree.read(&file) else {
            continue;
        };
        let Some(after) = edit::remove_block(&current, &inserted) else {
            continue;
        };
        let edit = tree.write(&file, current, after);
        plan.migrations[migration].steps.push(Step {
            title,
            edits: vec![edit],
            before_merge: Vec::new(),
            checks,
        });
    }
    plan
}

/// `Deployment shop/web`.
fn describe(object: &ObjectRef) -> String {
    match &object.namespace {
        Some(ns) => format!("{} {ns}/{}", object.kind, object.name),
        None => format!("{} {}", object.kind, object.name),
    }
}

/// The head units rendering the violation's object.
fn rendering_units<'r>(violation: &Violation, rendering: &'r Rendering) -> Vec<&'r Rendered> {
    violation
        .finding
        .dirs
        .iter()
        .filter_map(|dir| rendering.units.get(dir))
        .collect()
}

fn find_object<'r>(unit: &'r Rendered, object: &ObjectRef) -> Option<&'r Value> {
    unit.objects
        .as_ref()
        .ok()?
        .iter()
        .find(|o| ObjectRef::of(o) == *object)
}

/// The strategy for an object of `kind`: its `update-strategy` annotation, else the default
/// (blue-green when other objects refer to it by name).
fn choose(kind: &str, object: Option<&Value>, referenced: bool) -> (Strategy, String) {
    let annotated = object.and_then(|o| lifecycle::read(o).0.update_strategy);
    let recreate = if kind == "StatefulSet" {
        Strategy::OrphanRecreate
    } else {
        Strategy::Recreate
    };
    match annotated {
        Some(UpdateStrategy::Rolling) => (
            Strategy::Keep,
            "update-strategy: rolling allows only in-place updates, and this change cannot be made in place".to_owned(),
        ),
        Some(UpdateStrategy::Recreate) => (recreate, "update-strategy: recreate".to_owned()),
        Some(UpdateStrategy::BlueGreen) => {
            (Strategy::BlueGreen, "update-strategy: blue-green".to_owned())
        }
        None if referenced => (
            Strategy::BlueGreen,
            "default for an object others refer to by name".to_owned(),
        ),
        None => match kind {
            "StatefulSet" => (
                Strategy::OrphanRecreate,
                "default for a StatefulSet: its pods and claims are kept".to_owned(),
            ),
            "PersistentVolumeClaim" | "PersistentVolume" => (
                Strategy::Keep,
                "default for storage: recreating it can lose data".to_owned(),
            ),
            _ => (Strategy::Recreate, format!("default for a {kind}")),
        },
    }
}

/// An object that refers to another, and the field holding the reference.
struct Referrer<'r> {
    unit: &'r Rendered,
    object: &'r Value,
    field: String,
    /// The value to replace and its replacement; `None` for the object's name and the copy's.
    values: Option<(String, String)>,
}

/// The objects of `units` naming `target`: `HorizontalPodAutoscaler`s scaling it, `Ingress`es
/// routing to it (a `Service`).
fn referrers<'r>(target: &ObjectRef, units: &[&'r Rendered]) -> Vec<Referrer<'r>> {
    let mut found = Vec::new();
    for unit in units {
        let Ok(objects) = &unit.objects else { continue };
        for object in objects {
            let same_namespace = ObjectRef::of(object).namespace == target.namespace;
            let mut fields = Vec::new();
            match object["kind"].as_str() {
                Some("HorizontalPodAutoscaler") if same_namespace => {
                    let reference = &object["spec"]["scaleTargetRef"];
                    if reference["kind"].as_str() == Some(target.kind.as_str())
                        && reference["name"].as_str() == Some(target.name.as_str())
                    {
                        fields.push("spec.scaleTargetRef.name".to_owned());
                    }
                }
                Some("Ingress") if same_namespace && target.kind == "Service" => {
                    let names = |backend: &Value| {
                        backend["service"]["name"].as_str() == Some(target.name.as_str())
                    };
                    if names(&object["spec"]["defaultBackend"]) {
                        fields.push("spec.defaultBackend.service.name".to_owned());
                    }
                    let rules = object["spec"]["rules"]
                        .as_array()
                        .map_or(&[][..], Vec::as_slice);
                    for (i, rule) in rules.iter().enumerate() {
                        let paths = rule["http"]["paths"]
                            .as_array()
                            .map_or(&[][..], Vec::as_slice);
                        for (j, path) in paths.iter().enumerate() {
                            if names(&path["backend"]) {
                                fields.push(format!(
                                    "spec.rules[{i}].http.paths[{j}].backend.service.name"
                                ));
                            }
                        }
                    }
                }
                _ => {}
            }
            found.extend(fields.into_iter().map(|field| Referrer {
                unit,
                object,
                field,
                values: None,
            }));
        }
    }
    found
}

/// The `Service`s of `units` in `target`'s namespace selecting pods by a label the copy's pod
/// template changes: each such selector entry, to be given the copy's value.
fn selecting_services<'r>(
    target: &ObjectRef,
    units: &[&'r Rendered],
    old: &Value,
    new: &Value,
) -> Vec<Referrer<'r>> {
    let labels = |doc: &Value| doc["spec"]["template"]["metadata"]["labels"].clone();
    let (old_labels, new_labels) = (labels(old), labels(new));
    let Some(new_labels) = new_labels.as_object() else {
        return Vec::new();
    };
    let changed: Vec<(&String, &str, &str)> = new_labels
        .iter()
        .filter_map(|(key, value)| {
            let old_value = old_labels[key].as_str()?;
            let new_value = value.as_str()?;
            (old_value != new_value).then_some((key, old_value, new_value))
        })
        .collect();
    let mut found = Vec::new();
    for unit in units {
        let Ok(objects) = &unit.objects else { continue };
        for object in objects {
            if object["kind"].as_str() != Some("Service")
                || ObjectRef::of(object).namespace != target.namespace
            {
                continue;
            }
            for (key, old_value, new_value) in &changed {
                if object["spec"]["selector"][key.as_str()].as_str() == Some(old_value) {
                    found.push(Referrer {
                        unit,
                        object,
                        field: format!("spec.selector.{key}"),
                        values: Some(((*old_value).to_owned(), (*new_value).to_owned())),
                    });
                }
            }
        }
    }
    found
}

/// `web` → `web-v2`, `web-v2` → `web-v3`.
fn next_name(name: &str) -> String {
    if let Some((stem, version)) = name.rsplit_once("-v") {
        if let Ok(n) = version.parse::<u32>() {
            return format!("{stem}-v{}", n + 1);
        }
    }
    format!("{name}-v2")
}

/// Step 1 of a blue-green migration (the object's document back at its base values, a copy
/// with the change under a new name after it, referrers pointed at the copy) and what step 2
/// removes. Only when the refused value is written in the object's own document: a value an
/// overlay writes would reach the copy and the original alike.
#[allow(clippy::too_many_arguments)] // one call site; a struct would only rename them
fn blue_green(
    tree: &mut Tree<'_>,
    base: &Snapshot,
    object: &ObjectRef,
    source: Option<&Source>,
    name_place: &Source,
    referrers: &[Referrer<'_>],
    units: &[&Rendered],
    head: &Head<'_>,
    build: &BuildOptions,
) -> Result<(Step, Pending), String> {
    let current = tree
        .read(&name_place.file)
        .ok_or("the resource file cannot be read")?;
    let range =
        edit::document_at(&current, name_place.line).ok_or("the object's document is not found")?;
    let in_document = source.is_some_and(|source| {
        source.file == name_place.file && (range.0..range.1).contains(&(source.line - 1))
    });
    if !in_document {
        return Err(format!(
            "the refused value is not written in the object's own document {}, so a copy would carry the old one",
            name_place.file
        ));
    }
    let written = written_name(tree, name_place).ok_or("the object's name cannot be read")?;
    let base_text = base_file(base, &name_place.file).ok_or("the resource file is new")?;
    let base_document = edit::documents(&base_text)
        .into_iter()
        .find(|&range| {
            edit::parse_range(&base_text, range).is_some_and(|doc| {
                doc["kind"].as_str() == Some(object.kind.as_str())
                    && doc["metadata"]["name"].as_str() == Some(written.as_str())
            })
        })
        .map(|range| edit::lines_of(&base_text, range))
        .ok_or("the base has no such document in the same file")?;
    let new_name = next_name(&written);
    let name_index = name_place.line - 1 - range.0;
    let copy: String = edit::lines_of(&current, range)
        .split_inclusive('\n')
        .enumerate()
        .map(|(i, line)| {
            if i == name_index {
                line.replacen(&written, &new_name, 1)
            } else {
                line.to_owned()
            }
        })
        .collect();
    let inserted = format!("{base_document}---\n");
    let after = edit::replace_lines(&current, range, &format!("{inserted}{copy}"));
    let mut edits = vec![tree.write(&name_place.file, current, after)];
    // Services selecting the old pods by a label the copy changes follow the copy.
    let first = |text: &str| {
        kustomize_build::yaml::parse_documents(text)
            .ok()
            .and_then(|docs| docs.into_iter().next())
    };
    let services = match (first(&base_document), first(&copy)) {
        (Some(old), Some(new)) => selecting_services(object, units, &old, &new),
        _ => Vec::new(),
    };
    let mut repointed = Vec::new();
    // The same referrer renders in several units (a directory and the Flux Kustomization
    // deploying it): each written line is edited once.
    let mut edited_lines = std::collections::BTreeSet::new();
    for referrer in referrers.iter().chain(&services) {
        let Ok(objects) = &referrer.unit.objects else {
            continue;
        };
        let target = HeadTarget {
            dir: &referrer.unit.dir,
            flux: referrer.unit.flux.as_deref(),
            objects,
        };
        let Some(place) = locate_field(head, &target, referrer.object, &referrer.field, build)
        else {
            return Err(format!(
                "where {} {} names it cannot be told",
                ObjectRef::of(referrer.object).kind,
                ObjectRef::of(referrer.object).name
            ));
        };
        let place = tree.now(&place);
        if !edited_lines.insert((place.file.clone(), place.line)) {
            continue;
        }
        let text = tree
            .read(&place.file)
            .ok_or("a referrer's file cannot be read")?;
        let Some(line) = text.lines().nth(place.line - 1) else {
            continue;
        };
        let (from, to) = referrer
            .values
            .clone()
            .unwrap_or_else(|| (written.clone(), new_name.clone()));
        // Only the value after the key changes (a key may contain the same text).
        let Some((key, value)) = line.split_once(':').filter(|(_, v)| v.contains(&from)) else {
            continue;
        };
        let changed = format!("{key}:{}", value.replacen(&from, &to, 1));
        let after =
            edit::replace_lines(&text, (place.line - 1, place.line), &format!("{changed}\n"));
        let referrer_ref = ObjectRef::of(referrer.object);
        let described = format!("{} {}", referrer_ref.kind, referrer_ref.name);
        if !repointed.contains(&described) {
            repointed.push(described);
        }
        if let Some(edit) = edits.iter_mut().find(|e| e.file == place.file) {
            edit.diff = diff::unified(&place.file, &edit.before, &after);
            edit.after.clone_from(&after);
            tree.edited.insert(place.file.clone(), after);
        } else {
            edits.push(tree.write(&place.file, text, after));
        }
    }
    let ns = namespace_flag(object);
    let kind = object.kind.to_ascii_lowercase();
    let final_new = object.name.replacen(&written, &new_name, 1);
    let mut checks = vec![format!(
        "kubectl {ns}get {kind} {final_new}  # exists beside {}",
        object.name
    )];
    if matches!(
        object.kind.as_str(),
        "Deployment" | "StatefulSet" | "DaemonSet"
    ) {
        checks.push(format!("kubectl {ns}rollout status {kind}/{final_new}"));
    }
    if object.kind == "Service" {
        checks.push(format!(
            "kubectl {ns}get endpoints {final_new}  # lists the ready pods"
        ));
    }
    for referrer in &repointed {
        checks.push(format!(
            "{referrer} now names {final_new}: kubectl {ns}describe {}",
            referrer.to_ascii_lowercase().replacen(' ', "/", 1)
        ));
    }
    let title = if repointed.is_empty() {
        format!(
            "create {} {final_new} beside {} with the change",
            object.kind, object.name
        )
    } else {
        format!(
            "create {} {final_new} beside {} with the change, and point {} at it",
            object.kind,
            object.name,
            repointed.join(", ")
        )
    };
    let step = Step {
        title,
        edits,
        before_merge: Vec::new(),
        checks,
    };
    let step2 = Pending {
        migration: 0,
        file: name_place.file.clone(),
        inserted,
        title: format!("remove the old {} once {final_new} serves", describe(object)),
        checks: vec![format!("kubectl {ns}get {kind} {}  # NotFound once Flux has pruned it (prune: true), else delete it", object.name)],
    };
    Ok((step, step2))
}

/// The file as it is at the base, when it exists there.
fn base_file(base: &Snapshot, file: &str) -> Option<String> {
    let bytes = base.fs().read(&base.tree_root().join(file)).ok()?;
    String::from_utf8(bytes).ok()
}

/// Where the object's `metadata.name` is written, when a resource file writes it (not a
/// `namePrefix`): the object's own document.
fn name_source(
    head: &Head<'_>,
    unit: &Rendered,
    object: &Value,
    build: &BuildOptions,
) -> Option<Source> {
    let objects = unit.objects.as_ref().ok()?;
    let target = HeadTarget {
        dir: &unit.dir,
        flux: unit.flux.as_deref(),
        objects,
    };
    let source = locate_field(head, &target, object, "metadata.name", build)?;
    (source.writer.as_deref() == Some("resource file")).then_some(source)
}

/// The name as written at `place` (before prefixes and suffixes): what kustomize patches match.
fn written_name(tree: &Tree<'_>, place: &Source) -> Option<String> {
    let text = tree.read(&place.file)?;
    let line = text.lines().nth(place.line.checked_sub(1)?)?;
    let value = line.split_once("name:")?.1.trim();
    Some(value.trim_matches(|c| c == '"' || c == '\'').to_owned())
}

/// Add the force annotation at `source`: into the resource or patch document holding the line,
/// or as a `patches` entry of the kustomization file whose field wrote it. Returns the edit and
/// the block inserted (which step 2 removes).
fn mark_for_recreation(
    tree: &mut Tree<'_>,
    object: &ObjectRef,
    source: &Source,
    original_name: &str,
) -> Option<(Edit, String)> {
    let current = tree.read(&source.file)?;
    let in_document = matches!(source.writer.as_deref(), Some("resource file" | "patch"));
    let document = edit::document_at(&current, source.line)
        .filter(|_| in_document)
        .filter(|&range| {
            edit::parse_range(&current, range).is_some_and(|doc| {
                let name = doc["metadata"]["name"].as_str();
                doc["kind"].as_str() == Some(object.kind.as_str())
                    && (name == Some(original_name) || name == Some(object.name.as_str()))
            })
        });
    let (after, inserted) = if let Some(range) = document {
        edit::add_annotation(&current, range, FLUX_FORCE_KEY, "enabled")?
    } else {
        let entry = format!(
                "- target:\n    kind: {kind}\n    name: {original_name}\n  patch: |-\n    apiVersion: {api}\n    kind: {kind}\n    metadata:\n      name: {original_name}\n      annotations:\n        {FLUX_FORCE_KEY}: enabled\n",
                kind = object.kind,
                api = object.api_version(),
            );
        edit::add_patch_entry(&current, &entry)?
    };
    Some((tree.write(&source.file, current, after), inserted))
}

/// `-n NS ` for a namespaced object.
fn namespace_flag(object: &ObjectRef) -> String {
    object
        .namespace
        .as_ref()
        .map_or_else(String::new, |ns| format!("-n {ns} "))
}

/// What to verify once Flux has applied step 1.
fn recreate_checks(object: &ObjectRef, flux_units: &[&Rendered]) -> Vec<String> {
    let mut checks: Vec<String> = flux_units
        .iter()
        .filter_map(|unit| unit.flux.as_ref())
        .map(|ks| {
            format!(
                "flux reconcile kustomization {} -n {} --with-source  # reports `Applied revision`",
                ks.id.name, ks.id.namespace
            )
        })
        .collect();
    let ns = namespace_flag(object);
    let kind = object.kind.to_ascii_lowercase();
    checks.push(format!(
        "kubectl {ns}get {kind} {} -o jsonpath='{{.metadata.creationTimestamp}}'  # newer than the merge",
        object.name
    ));
    if matches!(
        object.kind.as_str(),
        "Deployment" | "StatefulSet" | "DaemonSet"
    ) {
        checks.push(format!("kubectl {ns}rollout status {kind}/{}", object.name));
    }
    if object.kind == "Job" {
        checks.push(format!(
            "kubectl {ns}wait --for=condition=complete job/{} --timeout=10m",
            object.name
        ));
    }
    checks
}

/// The commands that replace a `StatefulSet` without touching its pods and claims: grow the
/// claims first when the change asks for more storage, then delete the `StatefulSet` alone.
fn orphan_commands(violation: &Violation, object: Option<&Value>) -> Vec<String> {
    let v = &violation.finding.violation;
    let ns = namespace_flag(&v.object);
    let mut commands = Vec::new();
    if v.field.starts_with("spec.volumeClaimTemplates") {
        let replicas = object
            .and_then(|o| o["spec"]["replicas"].as_u64())
            .unwrap_or(1);
        let templates = object
            .and_then(|o| o["spec"]["volumeClaimTemplates"].as_array())
            .cloned()
            .unwrap_or_default();
        for template in &templates {
            let Some(claim) = template["metadata"]["name"].as_str() else {
                continue;
            };
            let Some(storage) = template["spec"]["resources"]["requests"]["storage"].as_str()
            else {
                continue;
            };
            for ordinal in 0..replicas {
                commands.push(format!(
                    "kubectl {ns}patch pvc {claim}-{}-{ordinal} --type merge -p '{{\"spec\":{{\"resources\":{{\"requests\":{{\"storage\":\"{storage}\"}}}}}}}}'",
                    v.object.name
                ));
            }
        }
        if !commands.is_empty() {
            commands.push(format!(
                "kubectl {ns}get pvc -o custom-columns=NAME:.metadata.name,CAPACITY:.status.capacity.storage  # wait until each claim shows the new size (its StorageClass must set allowVolumeExpansion: true)"
            ));
        }
    }
    commands.push(format!(
        "kubectl {ns}delete statefulset {} --cascade=orphan  # pods and claims stay; Flux creates the new StatefulSet, which adopts them",
        v.object.name
    ));
    commands
}
