//! Comparing two snapshots ([`compare`]) and building one ([`validate`]): the engine of
//! `unstuck check` and `unstuck validate`.

use std::collections::{BTreeMap, BTreeSet};

use immutable_rules::{compare_revisions, Context, Finding, ObjectRef};
use kustomize_build::value::Value as BuiltValue;

use crate::accept;
use crate::advice::apply_engine_advice;
use crate::crd_rules;
use crate::error::Error;
use crate::impact::{impacts, prune_findings, readers};
use crate::lifecycle;
use crate::render::{
    render, render_units_then, Progress, RenderOptions, Rendered, Rendering, Reuse,
};
use crate::report::{Report, SchemaProblem, UnitBuild, Validation, Violation, Warning};
use crate::schema::{self, Found, Scope};
use crate::sources::{locate_field, sources, BaseObjects, Head, HeadTarget};
use crate::Snapshot;

/// What changes from `base` to `head`: every deploying unit rendered at both (the head
/// reusing the base's builds where a unit read the same files), objects paired per unit, the
/// API server's immutable-field rules applied, each finding traced to the line that wrote it,
/// and the builds the change broke told from those already broken.
///
/// The rules are the built-in ones plus the transition rules (`self == oldSelf`…) of the
/// `CustomResourceDefinition`s the change deploys — the head's where it renders one, as Flux
/// applies CRDs before the rest — and of those [`SchemaOptions::custom_resource_definitions`](crate::SchemaOptions::custom_resource_definitions)
/// supplies ([`crate::crd_rules`]).
///
/// A change refused in place on an object its engine recreates anyway (Flux's `spec.force`, or
/// the object's `kustomize.toolkit.fluxcd.io/force: enabled`) is a `warning` that says what
/// recreating costs, not an `error`.
///
/// [`Report::impact`] says per unit how many objects are created, changed and removed, whether
/// removed objects are pruned, and whether the unit is suspended; removing a Namespace, PVC, PV
/// or CRD from a pruning unit is an `error` finding (`prune-namespace`…) naming what goes with
/// it.
///
/// A finding the head's `.unstuck.yaml` (or [`RenderOptions::accept`]) accepts moves to
/// [`Report::accepted`] with its reason; an acceptance matching no finding is an
/// `accept-stale` warning ([`crate::accept`]).
///
/// Unless [`RenderOptions::schema`] turns it off, the objects both sides rendered go through
/// the API server's schema check ([`crate::schema`]), as in [`validate`]: [`Report::problems`]
/// holds the `error` and `warning` problems the change introduces — those the base did not
/// already have in the same unit, on the same object (kind, namespace, name), at the same field,
/// for the same rule — each traced to the line that wrote it. An introduced `error` fails the
/// report; problems the base already had are left out, as they are not the change's doing.
///
/// A plain directory that a Flux Kustomization deploys is reported through that unit: a
/// finding only such directories (and the bases only they include) show — with values the
/// cluster never receives — is dropped, and so are the build failures of the directories it
/// deploys.
///
/// ```
/// use std::path::Path;
/// use gitops_repo::{compare, NoProgress, RenderOptions, Snapshot};
/// use kustomize_build::fs::MemFs;
///
/// let deployment = |selector: &str| format!(
///     "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n\
///      spec:\n  selector:\n    matchLabels:\n      app: {selector}\n"
/// );
/// let mut before = MemFs::new();
/// before.add_file("/r/app/kustomization.yaml", "resources: [web.yaml]\n");
/// before.add_file("/r/app/web.yaml", deployment("web"));
/// let mut after = before.clone();
/// after.add_file("/r/app/web.yaml", deployment("shop"));
///
/// let root = Path::new("/r");
/// let base = Snapshot::new("before", Box::new(before), root, root);
/// let head = Snapshot::new("after", Box::new(after), root, root);
/// let report = compare(&base, &head, &RenderOptions::new(), &NoProgress)?;
/// assert!(report.failed());
/// let violation = &report.violations[0];
/// assert_eq!(violation.finding.violation.rule, "deployment-selector");
/// assert_eq!(violation.source.as_ref().unwrap().to_string(), "app/web.yaml:8 (resource file)");
/// let json = serde_json::to_value(&report)?;
/// assert_eq!(json["violations"][0]["dirs"], serde_json::json!(["app"]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn compare(
    base: &Snapshot,
    head: &Snapshot,
    options: &RenderOptions,
    progress: &dyn Progress,
) -> Result<Report, Error> {
    // A malformed acceptance stops the run before any build: it names its file and line.
    let mut acceptances = accept::read(head)?;
    acceptances.extend(options.accept.iter().cloned());
    let mut base_rendering = render(base, options, Reuse::Record, progress)?;
    // Builds of the base are reused where the head is the same tree at the same path.
    let reuse = if base.root() == head.root() {
        Reuse::From(&base_rendering)
    } else {
        Reuse::Nothing
    };
    let mut head_rendering = render(head, options, reuse, progress)?;
    // The base's kept builds served the head's rendering; the comparison needs only objects.
    base_rendering.release_kept_builds();
    let crd_rules::ChangeRules {
        rules,
        warnings: crd_warnings,
        skipped: skipped_validations,
    } = crd_rules::change_rules((base, &base_rendering), (head, &head_rendering), options)?;

    let context = options.server_version.map_or_else(Context::git, |version| {
        Context::git().with_server_version(version)
    });
    let mut findings = compare_revisions(
        &base_rendering.built(),
        &head_rendering.built(),
        &rules,
        &context,
    );
    let shadowed = shadowed_units(&base_rendering, &head_rendering);
    let readers = readers(&base_rendering);
    let through_flux = deployed_through_flux(&shadowed, &readers);
    findings.retain(|finding| finding.dirs.iter().any(|dir| !through_flux.contains(dir)));
    apply_engine_advice(&mut findings, &head_rendering);
    // Units another unit deploys (bases, overlays of a Flux Kustomization) count through it.
    let mut counted_elsewhere: BTreeSet<String> = readers.keys().cloned().collect();
    counted_elsewhere.extend(shadowed.iter().cloned());
    let impact = impacts(&base_rendering, &head_rendering, &counted_elsewhere);
    prune_findings(&mut findings, &impact, &base_rendering);
    // Still most severe first (a stable sort keeps the object order within a severity).
    findings.sort_by_key(|f| std::cmp::Reverse(f.violation.severity));
    let (problems, schema_warnings) = introduced_problems(
        &base_rendering,
        head,
        &head_rendering,
        options,
        &through_flux,
    )?;

    let mut report = Report {
        build_failures: build_failures(&base_rendering, &head_rendering, &shadowed),
        impact,
        problems,
        ..Report::default()
    };
    report.violations = violations(
        findings,
        &base_rendering,
        &head_rendering,
        head,
        options,
        &shadowed,
    );
    // The engine's warnings about the tree as it is after the change.
    report.warnings = std::mem::take(&mut head_rendering.warnings);
    report.warnings.extend(schema_warnings);
    report.warnings.extend(crd_warnings);
    accept::apply(&mut report, &acceptances);
    report.notes.push(format!(
        "compared {} targets at {} with {} at {}",
        base_rendering.units.len(),
        base.label(),
        head_rendering.units.len(),
        head.label()
    ));
    report.notes.append(&mut head_rendering.notes);
    for skipped in &skipped_validations {
        report.notes.push(format!(
            "CRD {} ({}): transition rule on {} not interpreted, left to the API server: {}",
            skipped.crd, skipped.version, skipped.field, skipped.rule
        ));
    }
    report.skipped_validations = skipped_validations;
    Ok(report)
}

/// Build every deploying unit of `snapshot` and report each one's outcome. Directories a Flux
/// Kustomization deploys are built only through it. A unit whose objects carry a lifecycle
/// annotation with an unusable value ([`crate::lifecycle`]) fails, pointing at the line that
/// wrote it.
///
/// Unless [`RenderOptions::schema`] turns it off, every object built then goes through the API
/// server's schema check ([`crate::schema::check`]): an `error` problem makes its unit not `ok`
/// and the validation [failed](Validation::failed); each problem names the file and line that
/// wrote the bad field.
///
/// # Errors
///
/// When the searched directory cannot be read, or the schema check cannot start (see
/// [`crate::schema::check`]).
///
/// ```
/// use std::path::Path;
/// use gitops_repo::{validate, NoProgress, RenderOptions, Snapshot};
/// use kustomize_build::fs::MemFs;
///
/// let mut fs = MemFs::new();
/// fs.add_file("/r/ok/kustomization.yaml", "resources: []\n");
/// fs.add_file("/r/broken/kustomization.yaml", "resources: [gone.yaml]\n");
/// fs.add_file("/r/web/kustomization.yaml", "resources: [svc.yaml]\n");
/// fs.add_file(
///     "/r/web/svc.yaml",
///     "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  prots: []\n",
/// );
/// let root = Path::new("/r");
/// let validation = validate(&Snapshot::new("now", Box::new(fs), root, root), &RenderOptions::new(), &NoProgress)?;
/// assert!(validation.failed());
/// let json = serde_json::to_value(&validation)?;
/// assert_eq!(json["results"][0]["path"], "broken");
/// assert_eq!(json["results"][1]["ok"], true);
/// // The misspelt field, at the line that wrote it.
/// let web = &json["results"][2];
/// assert_eq!(web["ok"], false);
/// assert_eq!(web["problems"][0]["rule"], "schema-unknown-field");
/// assert_eq!(web["problems"][0]["source"]["file"], "web/svc.yaml");
/// assert_eq!(web["problems"][0]["source"]["line"], 6);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn validate(
    snapshot: &Snapshot,
    options: &RenderOptions,
    progress: &dyn Progress,
) -> Result<Validation, Error> {
    let checks = schema::UnitChecks::new(&options.schema)?;
    let head = Head {
        fs: snapshot.fs(),
        tree_root: snapshot.root(),
    };
    // Each unit is judged and schema-checked as soon as it is built, and its objects dropped:
    // a platform repository's units together hold many times its YAML.
    let rendered = render_units_then(
        snapshot,
        options,
        Reuse::Nothing,
        progress,
        true,
        &|path, rendered: Rendered<BuiltValue>| {
            let mut build = UnitBuild {
                path: path.to_owned(),
                file: rendered.file.clone(),
                line: rendered.line,
                error: rendered.objects.as_ref().err().cloned(),
                introduced: true,
                engine: rendered.engine(),
            };
            if let Ok(objects) = &rendered.objects {
                let target = HeadTarget {
                    dir: &rendered.dir,
                    flux: rendered.flux.as_deref(),
                    argo: rendered.argo.as_deref(),
                    objects: &[],
                };
                // Each check converts an object's head for itself and drops it: holding the
                // heads of a whole unit to convert them once raised the peak by about 3 MB on
                // the platform repository, and only the schema check (off by `--no-schema`)
                // converts them a second time.
                fail_on_bad_annotations(&mut build, &head, &target, objects, &options.build);
                checks.unit(path, &rendered.file, objects);
            }
            // Kept without its objects: only where it came from, to trace its problems.
            (build, rendered.without_objects())
        },
    )?;
    let (found_objects, schema_warnings) = checks.finish();
    let found = found_objects
        .iter()
        .flat_map(|(unit, _, object, problems)| {
            problems.iter().map(move |problem| Found {
                unit,
                object,
                problem: problem.clone(),
            })
        })
        .collect();
    let (results, places): (Vec<UnitBuild>, BTreeMap<String, Rendered>) = rendered
        .units
        .into_iter()
        .map(|(path, (build, place))| (build, (path, place)))
        .unzip();
    let problems = schema::trace(snapshot, &places, options, found);
    let mut warnings = rendered.warnings;
    warnings.extend(schema_warnings);
    Ok(Validation {
        problems,
        warnings,
        results,
        notes: rendered.notes,
    })
}

/// Turn a unit whose objects carry unusable lifecycle annotations ([`crate::lifecycle`]) into
/// a failed one, pointing at the first bad annotation's line.
fn fail_on_bad_annotations(
    build: &mut UnitBuild,
    head: &Head<'_>,
    target: &HeadTarget<'_>,
    objects: &[BuiltValue],
    options: &kustomize_build::BuildOptions,
) {
    let mut messages = Vec::new();
    for object in objects {
        // The annotations are in the head: the rest of the object is not converted.
        let object = schema::object_head(object);
        let (_, problems) = lifecycle::read(&object);
        for problem in problems {
            let field = format!("metadata.annotations.{}", problem.key);
            let place = locate_field(head, target, &object, &field, options);
            if messages.is_empty() {
                if let Some(place) = &place {
                    build.file.clone_from(&place.file);
                    build.line = Some(place.line);
                }
            }
            let at = place.map_or_else(String::new, |p| format!(" at {}:{}", p.file, p.line));
            messages.push(format!(
                "{} {}{at}: {problem}",
                object["kind"].as_str().unwrap_or("object"),
                ObjectRef::of(&object).name,
            ));
        }
    }
    if !messages.is_empty() {
        build.error = Some(messages.join("\n"));
    }
}

/// The schema problems of the head ([`schema::find`] on the objects already rendered) that
/// the change introduces, traced to the lines that wrote them, and the head's schema warnings.
///
/// A head problem is introduced unless the base has one in the same unit, on the same object
/// (kind, namespace, name), at the same field, for the same rule: its message may differ (a
/// value still of the wrong type, now another wrong value) and it is still not the change's
/// doing. Only `error` and `warning` problems count (an object not checked is not news), and
/// not those of units reaching the cluster only through a Flux Kustomization (reported
/// through it). The base is checked only when the head has something to compare, and then
/// only in the units where it has; objects of built-in kinds in a unit the head shares with the
/// base unchanged are not checked at the head (their problems are the base's); only the
/// introduced problems are traced, so no unit is built twice for nothing.
fn introduced_problems(
    base: &Rendering,
    head: &Snapshot,
    head_rendering: &Rendering,
    options: &RenderOptions,
    through_flux: &BTreeSet<String>,
) -> Result<(Vec<SchemaProblem>, Vec<Warning>), Error> {
    let (found, warnings) = schema::find(head_rendering, options, &Scope::ChangedSince(base))?;
    let found: Vec<Found<'_>> = found
        .into_iter()
        .filter(|f| {
            f.problem.severity != api_validation::Severity::Info && !through_flux.contains(f.unit)
        })
        .collect();
    if found.is_empty() {
        return Ok((Vec::new(), warnings));
    }
    let units = found.iter().map(|f| f.unit).collect();
    let (at_base, _) = schema::find(base, options, &Scope::Units(units))?;
    let at_base: BTreeSet<ProblemKey<'_>> = at_base.iter().map(problem_key).collect();
    let introduced = found
        .into_iter()
        .filter(|f| !at_base.contains(&problem_key(f)))
        .collect();
    Ok((
        schema::trace(head, &head_rendering.units, options, introduced),
        warnings,
    ))
}

/// What makes two schema problems the same one: unit, kind, namespace, name, field, rule.
type ProblemKey<'a> = (
    &'a str,
    &'a str,
    Option<&'a str>,
    &'a str,
    &'a str,
    api_validation::Rule,
);

fn problem_key<'a>(found: &'a Found<'_>) -> ProblemKey<'a> {
    let problem = &found.problem;
    (
        found.unit,
        &problem.kind,
        problem.namespace.as_deref(),
        &problem.name,
        &problem.field,
        problem.rule,
    )
}

/// Directory units that a Flux Kustomization deploys, at either side.
fn shadowed_units(base: &Rendering, head: &Rendering) -> BTreeSet<String> {
    [base, head]
        .into_iter()
        .flat_map(|rendering| &rendering.units)
        .filter(|(_, rendered)| !rendered.deployed_by.is_empty())
        .map(|(name, _)| name.clone())
        .collect()
}

/// Directory units whose objects reach the cluster only through a Flux Kustomization: those
/// it deploys, and the bases only they (and other such bases) include. What they render on
/// their own is not what the cluster receives.
fn deployed_through_flux(
    shadowed: &BTreeSet<String>,
    readers: &BTreeMap<String, BTreeSet<String>>,
) -> BTreeSet<String> {
    let top_level = |unit: &String| readers.get(unit).is_none_or(BTreeSet::is_empty);
    let mut through = shadowed.clone();
    for (unit, read_by) in readers {
        // Builds read bases transitively: the top-level readers are every unit deploying it.
        let mut deployers = read_by.iter().filter(|reader| top_level(reader)).peekable();
        if deployers.peek().is_some() && deployers.all(|reader| shadowed.contains(reader)) {
            through.insert(unit.clone());
        }
    }
    through
}

/// Units failing at the head; introduced unless they already failed at the base.
fn build_failures(
    base: &Rendering,
    head: &Rendering,
    shadowed: &BTreeSet<String>,
) -> Vec<UnitBuild> {
    head.units
        .iter()
        .filter(|(name, _)| !shadowed.contains(*name))
        .filter_map(|(name, rendered)| {
            let error = rendered.objects.as_ref().err()?;
            Some(UnitBuild {
                path: name.clone(),
                file: rendered.file.clone(),
                line: rendered.line,
                error: Some(error.clone()),
                introduced: !matches!(base.units.get(name).map(|r| &r.objects), Some(Err(_))),
                engine: rendered.engine(),
            })
        })
        .collect()
}

/// Each finding with the line that wrote its value and the file to point at otherwise.
fn violations(
    findings: Vec<Finding>,
    base: &Rendering,
    head: &Rendering,
    head_snapshot: &Snapshot,
    options: &RenderOptions,
    shadowed: &BTreeSet<String>,
) -> Vec<Violation> {
    // The file to point at for a unit: its kustomization file, or its Flux Kustomization's.
    let unit_file = |unit: &str| {
        head.units
            .get(unit)
            .or_else(|| base.units.get(unit))
            .map_or_else(|| unit.to_owned(), |r| r.file.clone())
    };
    let base_objects: BaseObjects<'_> = base
        .units
        .iter()
        .filter_map(|(name, r)| Some((name.as_str(), r.objects.as_ref().ok()?.as_ref())))
        .collect();
    let head_units = head
        .units
        .iter()
        .filter_map(|(name, r)| {
            let unit = HeadTarget {
                dir: &r.dir,
                flux: r.flux.as_deref(),
                argo: r.argo.as_deref(),
                objects: r.objects.as_ref().ok()?.as_ref(),
            };
            Some((name.as_str(), unit))
        })
        .collect();
    let head_side = Head {
        fs: head_snapshot.fs(),
        tree_root: head_snapshot.tree_root(),
    };
    let located = sources(
        &findings,
        &head_side,
        &head_units,
        &base_objects,
        &options.build,
    );
    findings
        .into_iter()
        .zip(located)
        .map(|(finding, source)| Violation {
            // Point at a unit that deploys the object, not at a directory it deploys through.
            file: unit_file(
                finding
                    .dirs
                    .iter()
                    .find(|dir| !shadowed.contains(*dir))
                    .or(finding.dirs.first())
                    .map_or(".", String::as_str),
            ),
            source,
            finding,
        })
        .collect()
}
