//! Migrations for the changes `check` refuses: for each `error` violation, an ordered list of
//! commit-ready edits to the head tree (with the commands to run and what to verify between
//! them), chosen by the object's `update-strategy` annotation ([`crate::lifecycle`]) or a
//! default by kind.
//!
//! Strategies:
//!
//! - **blue-green** — the default for an object others name (a `HorizontalPodAutoscaler`'s
//!   `scaleTargetRef`, an `Ingress` backend naming a `Service`, a pod template reading a
//!   `ConfigMap` or `Secret`), or asked for by annotation. Step 1 puts the object's document
//!   back at its base values and adds a copy with the change under a new name (`web` →
//!   `web-v2`, `web-v2` → `web-v3`) right after it in the same resource file, which is where
//!   the name comes from, and points the referrers at the copy; `Service`s selecting the old
//!   pods by a label the copy's pod template changes select the new pods, and
//!   `PodDisruptionBudget`s selecting them by such a label select both (`key In [old, new]`)
//!   until step 2, which removes the old document and narrows the budgets to the new pods.
//!   Planned only when the refused value is written in the object's own document (a value an
//!   overlay or an Argo CD Application's options write would reach the copy too), and when
//!   every referrer can follow the copy (a `Job` or `Pod` reading a `ConfigMap` cannot):
//!   otherwise the plan recreates the object, saying why.
//! - **recreate** — step 1 adds the mark with which the engine deploying the object deletes
//!   and recreates it: Flux's object-level `kustomize.toolkit.fluxcd.io/force: enabled`
//!   annotation (kustomize-controller recreates an object whose apply fails on an immutable
//!   field when it carries it: `fluxcd/kustomize-controller` `docs/spec/v1/kustomizations.md`,
//!   "Controlling the apply behavior of resources"), or Argo CD's
//!   `argocd.argoproj.io/sync-options: Force=true,Replace=true` (argo-cd
//!   `docs/user-guide/sync-options.md`, "Force Sync"; joined to sync options the object
//!   already has); step 2 removes it once the change has rolled out, so later changes are not
//!   recreations by surprise. The mark goes where the offending value is written: into the
//!   resource document or the strategic-merge patch document holding that line, or — for a
//!   value a kustomization field writes (`commonLabels`, `images`…) — as a new `patches` entry
//!   of that kustomization file; failing both, into the object's own resource document.
//! - **orphan-recreate** (`StatefulSet`s) — the same two edits, and before merging step 1 the
//!   commands that grow the existing `PersistentVolumeClaim`s (when the change is a larger
//!   storage request) and delete the `StatefulSet` with `--cascade=orphan`, so its pods and
//!   claims survive and the recreated `StatefulSet` adopts them.
//! - **keep** — the revert of the change at the line `check` traced it to (and of the same
//!   edit elsewhere in that file: a label renamed in a selector and in the pod template). The
//!   default for `PersistentVolumeClaim`s and `PersistentVolume`s, for `update-strategy:
//!   rolling`, and for objects no Flux Kustomization or Argo CD Application deploys (nothing
//!   in git makes plain kustomize recreate an object).
//!
//! A custom resource whose CRD's transition rule (`self == oldSelf`…) refuses the change is
//! planned like a built-in kind (recreate by default, keep with `update-strategy: rolling`):
//! the migration's reason adds what deleting a custom resource costs (`custom_resource`).
//!
//! The edits of all migrations are planned in order on one virtual tree: every migration's
//! step 1, then every step 2, so [`Plan::patches`] can be applied one after the other with
//! `git apply`. After step 1, `check` from the base reports no `error` for the object (the
//! force annotation turns it into a warning naming the cost); this crate's tests prove it for
//! every strategy and rule family listed in `docs/plan.md`.
//!
//! Not planned (listed in [`Plan::unplanned`] with the reason): reverts of values whose source
//! `check` could not trace (naming the Argo CD Application when its own `kustomize` options
//! decide the value), and marks in metadata written in flow style. Two migrations editing
//! the same file are planned on the text the first left, their lines moved past its edits, and
//! a mark lands only in a document of the object's kind and name.

mod custom_resource;
mod diff;
mod edit;
mod engine;
mod references;

use std::collections::BTreeMap;

use immutable_rules::{ObjectRef, Severity, PRUNED_RULE};
use kustomize_build::BuildOptions;
use serde::Serialize;
use serde_json::Value;

use crate::lifecycle::{self, UpdateStrategy};
use crate::render::{render, Progress, RenderOptions, Rendered, Rendering, Reuse};
use crate::report::{Source, Violation};
use crate::sources::{locate_field, Head, HeadTarget};
use crate::{compare, Error, Report, Snapshot};

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
    /// Commands to run once the step is merged (starting an engine the `before_merge`
    /// commands paused), before the checks.
    pub after_merge: Vec<String>,
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
    // A plan migrates rule violations only: the schema check would be work thrown away (the
    // caller's CRDs stay: their transition rules are rules too).
    let mut without_schema = options.clone();
    without_schema.schema.enabled = false;
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

/// A step 1 whose step 2 is still to plan: what step 2 changes back, and where.
struct Pending {
    migration: usize,
    undo: Vec<Undo>,
    title: String,
    checks: Vec<String>,
}

/// Text step 1 left in `file` (`now`) and what step 2 makes of it (`then`).
struct Undo {
    file: String,
    now: String,
    then: String,
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

    /// Record `after` as the content of `file`, merged into the edit of `edits` for that file
    /// when the step already has one.
    fn amend(&mut self, edits: &mut Vec<Edit>, file: &str, before: String, after: String) {
        let Some(edit) = edits.iter_mut().find(|e| e.file == file) else {
            edits.push(self.write(file, before, after));
            return;
        };
        edit.diff = diff::unified(file, &edit.before, &after);
        edit.after.clone_from(&after);
        if let Some(last) = self.history.get_mut(file).and_then(|h| h.last_mut()) {
            *last = edit::hunks(&edit.before, &after);
        }
        self.edited.insert(file.to_owned(), after);
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
        let engine_units = engine_units(&units);
        let object = units.iter().find_map(|r| find_object(r, &v.object));
        let referrers = referrers(&v.object, &units);
        let (mut strategy, mut reason) = choose(&v.object.kind, object, !referrers.is_empty());
        if v.rule == custom_resource::CRD_TRANSITION_RULE {
            reason = custom_resource::reason(&v.object.kind, strategy, reason);
        }
        let index = plan.migrations.len();
        let head_side = Head {
            fs: head.fs(),
            tree_root: head.tree_root(),
        };
        // A value no line of the repository holds may come from an Argo CD Application's
        // own options: say so rather than edit a file that does not decide it.
        let argo_options = if source.is_none() {
            object.and_then(|object| {
                units.iter().find_map(|unit| {
                    engine::deciding_options(head.fs(), head.tree_root(), unit, object, build)
                })
            })
        } else {
            None
        };
        // Where the object's name is written: its resource document.
        let name_place = object
            .zip(engine_units.first().or(units.first()))
            .and_then(|(object, unit)| name_source(&head_side, unit, object, build))
            .map(|place| tree.now(&place));
        if strategy == Strategy::BlueGreen {
            // A blue-green plan given up half-way leaves the tree as it found it.
            let saved = (tree.edited.clone(), tree.history.clone());
            let planned = match (&argo_options, &name_place) {
                (Some(why), _) => Err(format!("{why}; a copy would get them too")),
                (None, None) => {
                    Err("the object's name is not written in a resource file".to_owned())
                }
                (None, Some(place)) => blue_green(
                    &mut tree,
                    base,
                    &v.object,
                    source.as_ref(),
                    place,
                    &referrers,
                    &units,
                    &head_side,
                    build,
                ),
            };
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
                    (tree.edited, tree.history) = saved;
                    reason = format!("{reason}; blue-green is not possible here ({why}), so the plan recreates it");
                    strategy = if v.object.kind == "StatefulSet" {
                        Strategy::OrphanRecreate
                    } else {
                        Strategy::Recreate
                    };
                }
            }
        }
        if strategy != Strategy::Keep && engine_units.is_empty() {
            reason = format!(
                "{reason}; but no Flux Kustomization or Argo CD Application deploys it, so nothing in git can make it be recreated: the plan keeps the old value"
            );
            strategy = Strategy::Keep;
        }
        let step = if strategy == Strategy::Keep {
            let Some(source) = &source else {
                plan.unplanned.push(unplanned(match &argo_options {
                    Some(why) => format!("{why}: revert the option there"),
                    None => "check could not trace the value to a line of the repository; revert it by hand".to_owned(),
                }));
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
                after_merge: Vec::new(),
                checks: vec![format!(
                    "unstuck check reports no error for {}",
                    describe(&v.object)
                )],
            }
        } else {
            if let Some(why) = &argo_options {
                reason = format!("{reason}; {why}: the mark leaves them as they are");
            }
            let original_name = name_place
                .as_ref()
                .and_then(|place| written_name(&tree, place))
                .unwrap_or_else(|| v.object.name.clone());
            let marks = engine::marks(&engine_units);
            let mut edits = Vec::new();
            let mut undo = Vec::new();
            for &mark in &marks {
                let value = mark.value_for(object);
                let marked = [source.as_ref(), name_place.as_ref()]
                    .into_iter()
                    .flatten()
                    .find_map(|place| {
                        mark_for_recreation(&tree, &v.object, place, &original_name, mark, &value)
                    });
                let Some((file, before, after)) = marked else {
                    break;
                };
                let (now, then) = edit::changed_region(&after, &before);
                tree.amend(&mut edits, &file, before, after);
                undo.push(Undo { file, now, then });
            }
            if undo.len() < marks.len() {
                let missing = marks[undo.len()];
                plan.unplanned.push(unplanned(format!(
                    "cannot tell where to add the annotation `{}` (the value's source is unknown or written in flow style); add it to the object by hand",
                    missing.describe()
                )));
                continue;
            }
            let engines: Vec<String> = marks
                .iter()
                .map(|m| format!("{} ({})", m.engine(), m.describe()))
                .collect();
            pending.push(Pending {
                migration: index,
                undo,
                title: format!(
                    "remove the recreation mark from {} once it has been recreated",
                    describe(&v.object)
                ),
                checks: vec![format!(
                    "unstuck check reports no finding for {}",
                    describe(&v.object)
                )],
            });
            let (before_merge, after_merge) = if strategy == Strategy::OrphanRecreate {
                // Paused first, so that nothing recreates the old StatefulSet between the
                // orphan delete and the merge.
                let (mut pause, resume) = engine::paused(&engine_units);
                pause.extend(orphan_commands(violation, object, &marks));
                (pause, resume)
            } else {
                (Vec::new(), Vec::new())
            };
            Step {
                title: format!(
                    "mark {} for recreation by {}",
                    describe(&v.object),
                    engines.join(" and ")
                ),
                edits,
                before_merge,
                after_merge,
                checks: recreate_checks(&v.object, &engine_units),
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
        undo,
        title,
        checks,
    } in pending
    {
        let mut edits = Vec::new();
        for Undo { file, now, then } in undo {
            let Some(current) = tree.read(&file) else {
                continue;
            };
            let Some(after) = edit::replace_block(&current, &now, &then) else {
                continue;
            };
            tree.amend(&mut edits, &file, current, after);
        }
        if edits.is_empty() {
            continue;
        }
        plan.migrations[migration].steps.push(Step {
            title,
            edits,
            before_merge: Vec::new(),
            after_merge: Vec::new(),
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
/// routing to it (a `Service`), pod templates reading it (a `ConfigMap` or `Secret`).
fn referrers<'r>(target: &ObjectRef, units: &[&'r Rendered]) -> Vec<Referrer<'r>> {
    let mut found = Vec::new();
    for unit in units {
        let Ok(objects) = &unit.objects else { continue };
        for object in objects.iter() {
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
            fields.extend(references::config_references(target, object));
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

/// The units of `units` an engine deploys.
fn engine_units<'r>(units: &[&'r Rendered]) -> Vec<&'r Rendered> {
    units
        .iter()
        .copied()
        .filter(|r| r.flux.is_some() || r.argo.is_some())
        .collect()
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
    // Services selecting the old pods by a label the copy changes follow the copy; the
    // disruption budgets guarding them cover the old and the new pods until step 2.
    let first = |text: &str| {
        kustomize_build::yaml::parse_json_documents(text)
            .ok()
            .and_then(|docs| docs.into_iter().next())
    };
    let changed = match (first(&base_document), first(&copy)) {
        (Some(old), Some(new)) => references::changed_labels(&old, &new),
        _ => Vec::new(),
    };
    let services =
        references::label_selectors(object, units, &changed, "Service", &["spec", "selector"]);
    let budgets = references::label_selectors(
        object,
        units,
        &changed,
        "PodDisruptionBudget",
        &["spec", "selector", "matchLabels"],
    );
    let mut repointed = Vec::new();
    let mut widened = Vec::new();
    let mut rollouts = Vec::new();
    let mut undo = vec![Undo {
        file: name_place.file.clone(),
        now: inserted,
        then: String::new(),
    }];
    // The same referrer renders in several units (a directory and the Flux Kustomization
    // deploying it): each written line is edited once.
    let mut edited_lines = std::collections::BTreeSet::new();
    for referrer in referrers.iter().chain(&services).chain(&budgets) {
        let Ok(objects) = &referrer.unit.objects else {
            continue;
        };
        let referrer_ref = ObjectRef::of(referrer.object);
        let described = format!("{} {}", referrer_ref.kind, referrer_ref.name);
        let kind = referrer_ref.kind.as_str();
        let reads_pod_spec =
            references::pod_spec_path(kind).is_some_and(|spec| referrer.field.starts_with(spec));
        if reads_pod_spec && references::pod_spec_is_immutable(kind) {
            return Err(format!(
                "{described} reads it, and its pod template cannot be changed in place"
            ));
        }
        let target = HeadTarget {
            dir: &referrer.unit.dir,
            flux: referrer.unit.flux.as_deref(),
            argo: referrer.unit.argo.as_deref(),
            objects,
        };
        let Some(place) = locate_field(head, &target, referrer.object, &referrer.field, build)
        else {
            return Err(format!("where {described} names it cannot be told"));
        };
        let place = tree.now(&place);
        if !edited_lines.insert((place.file.clone(), place.line)) {
            continue;
        }
        let text = tree
            .read(&place.file)
            .ok_or("a referrer's file cannot be read")?;
        let (from, to) = referrer
            .values
            .clone()
            .unwrap_or_else(|| (written.clone(), new_name.clone()));
        let not_plain = || format!("{described} names it at {place}, not as a plain value there");
        let after = if kind == "PodDisruptionBudget" {
            let key = referrer
                .field
                .strip_prefix("spec.selector.matchLabels.")
                .unwrap_or_default();
            let after = edit::widen_match_label(&text, place.line, key, &from, &to)
                .ok_or_else(not_plain)?;
            // Step 2 leaves the budget on the new pods alone.
            let line = text.lines().nth(place.line - 1).unwrap_or_default();
            let narrowed = edit::replace_lines(
                &text,
                (place.line - 1, place.line),
                &format!("{}\n", line.replacen(&from, &to, 1)),
            );
            let (now, then) = edit::changed_region(&after, &narrowed);
            undo.push(Undo {
                file: place.file.clone(),
                now,
                then,
            });
            if !widened.contains(&described) {
                widened.push(described.clone());
            }
            after
        } else {
            let line = text.lines().nth(place.line - 1).unwrap_or_default();
            // Only the value after the key changes (a key may contain the same text).
            let (key, value) = line
                .split_once(':')
                .filter(|(_, v)| v.contains(&from))
                .ok_or_else(not_plain)?;
            let changed = format!("{key}:{}", value.replacen(&from, &to, 1));
            if !repointed.contains(&described) {
                repointed.push(described.clone());
                if reads_pod_spec {
                    rollouts.push(referrer_ref.clone());
                }
            }
            edit::replace_lines(&text, (place.line - 1, place.line), &format!("{changed}\n"))
        };
        tree.amend(&mut edits, &place.file, text, after);
    }
    let ns = namespace_flag(object);
    let kind = object.kind.to_ascii_lowercase();
    let final_new = object.name.replacen(&written, &new_name, 1);
    let mut checks = engine::applied_checks(&engine_units(units));
    checks.push(format!(
        "kubectl {ns}get {kind} {final_new}  # exists beside {}",
        object.name
    ));
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
    // Pods still reading the old object run until their workload has rolled out.
    for workload in &rollouts {
        let workload_kind = workload.kind.to_ascii_lowercase();
        checks.push(match workload.kind.as_str() {
            "Deployment" | "StatefulSet" | "DaemonSet" => format!(
                "kubectl {ns}rollout status {workload_kind}/{}  # no pod reads {} any more",
                workload.name, object.name
            ),
            "CronJob" => format!(
                "kubectl {ns}get jobs -l job-name  # wait until no Job of cronjob/{} started before the merge is still running",
                workload.name
            ),
            _ => format!(
                "kubectl {ns}get pods  # no pod of {workload_kind}/{} reads {} any more (restart them if needed)",
                workload.name, object.name
            ),
        });
    }
    for budget in &widened {
        checks.push(format!(
            "kubectl {ns}get {} -o jsonpath='{{.status.expectedPods}}'  # counts the old and the new pods",
            budget.to_ascii_lowercase().replacen(' ', "/", 1)
        ));
    }
    let mut title = format!(
        "create {} {final_new} beside {} with the change",
        object.kind, object.name
    );
    if !repointed.is_empty() {
        title = format!("{title}, and point {} at it", repointed.join(", "));
    }
    if !widened.is_empty() {
        title = format!(
            "{title}; {} cover the old and the new pods",
            widened.join(", ")
        );
    }
    let step = Step {
        title,
        edits,
        before_merge: Vec::new(),
        after_merge: Vec::new(),
        checks,
    };
    let mut step2_title = format!(
        "remove the old {} once {final_new} serves",
        describe(object)
    );
    if !widened.is_empty() {
        step2_title = format!(
            "{step2_title}, and narrow {} to the new pods",
            widened.join(", ")
        );
    }
    let step2 = Pending {
        migration: 0,
        undo,
        title: step2_title,
        checks: vec![format!(
            "kubectl {ns}get {kind} {}  # {}",
            object.name,
            engine::removal_note(&engine_units(units))
        )],
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
        argo: unit.argo.as_deref(),
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

/// Add `mark` (with `value`) at `source`: into the resource or patch document holding the
/// line, or as a `patches` entry of the kustomization file whose field wrote it. Returns the
/// file, its text before and after.
fn mark_for_recreation(
    tree: &Tree<'_>,
    object: &ObjectRef,
    source: &Source,
    original_name: &str,
    mark: engine::Mark,
    value: &str,
) -> Option<(String, String, String)> {
    let current = tree.read(&source.file)?;
    let in_document = matches!(source.writer.as_deref(), Some("resource file" | "patch"));
    let after = if in_document {
        // Only a document of the object's kind and name (as written, before a prefix or
        // suffix a kustomization or an Argo CD Application adds).
        let range = edit::document_at(&current, source.line).filter(|&range| {
            edit::parse_range(&current, range).is_some_and(|doc| {
                let name = doc["metadata"]["name"].as_str().unwrap_or_default();
                doc["kind"].as_str() == Some(object.kind.as_str())
                    && !name.is_empty()
                    && (name == original_name || object.name.contains(name))
            })
        })?;
        match mark {
            engine::Mark::Flux => edit::add_annotation(&current, range, mark.key(), value)?.0,
            engine::Mark::Argo => {
                edit::add_to_annotation(&current, range, mark.key(), mark.value())?
            }
        }
    } else {
        let entry = format!(
            "- target:\n    kind: {kind}\n    name: {original_name}\n  patch: |-\n    apiVersion: {api}\n    kind: {kind}\n    metadata:\n      name: {original_name}\n      annotations:\n        {key}: {value}\n",
            kind = object.kind,
            api = object.api_version(),
            key = mark.key(),
        );
        edit::add_patch_entry(&current, &entry)?.0
    };
    Some((source.file.clone(), current, after))
}

/// `-n NS ` for a namespaced object.
fn namespace_flag(object: &ObjectRef) -> String {
    object
        .namespace
        .as_ref()
        .map_or_else(String::new, |ns| format!("-n {ns} "))
}

/// What to verify once the engines have applied step 1.
fn recreate_checks(object: &ObjectRef, engine_units: &[&Rendered]) -> Vec<String> {
    let mut checks = engine::applied_checks(engine_units);
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
fn orphan_commands(
    violation: &Violation,
    object: Option<&Value>,
    marks: &[engine::Mark],
) -> Vec<String> {
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
    let engines: Vec<&str> = marks.iter().map(|m| m.engine()).collect();
    commands.push(format!(
        "kubectl {ns}delete statefulset {} --cascade=orphan  # pods and claims stay; {} creates the new StatefulSet, which adopts them",
        v.object.name,
        engines.join(" or ")
    ));
    commands
}
