//! The schema check of a validation: every object the units render, through `api-validation`,
//! as the API server would check it at apply time. The `CustomResourceDefinition`s rendered
//! anywhere in the snapshot, and those the caller adds, teach it the custom resources; each
//! problem is traced back to the file and line that wrote the bad field with kustomize-build's
//! provenance `Tracer`, as [`crate::compare`] traces its findings.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, PoisonError};

use api_validation::{KubeVersion, Problem, Rule, Validator};
use kustomize_build::provenance::{Query, Tracer};
use kustomize_build::value::Value as BuiltValue;
use kustomize_build::ResId;
use serde_json::Value;

use crate::error::Error;
use crate::render::{RenderOptions, Rendered, Rendering};
use crate::report::{SchemaProblem, Source, Warning};
use crate::sources::{canonical, relative, tracer};
use crate::Snapshot;

/// The id of the warning for a rendered CRD the validator cannot read.
pub const CRD_UNREADABLE_RULE: &str = "schema-crd-unreadable";

/// Whether and how [`crate::validate`] and [`crate::compare`] check rendered objects against
/// the API's schemas.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SchemaOptions {
    /// Whether to check at all (`false`: report builds only).
    pub enabled: bool,
    /// The Kubernetes release whose schemas apply (`None`: the newest embedded,
    /// [`api_validation::LATEST`]).
    pub kube_version: Option<KubeVersion>,
    /// Extra `CustomResourceDefinition`s, already parsed by the caller, for custom resources
    /// whose CRD is not in the snapshot: each with where it came from (a file name), which the
    /// error names when the CRD cannot be read.
    pub custom_resource_definitions: Vec<(String, Value)>,
}

impl Default for SchemaOptions {
    fn default() -> Self {
        Self {
            enabled: true,
            kube_version: None,
            custom_resource_definitions: Vec::new(),
        }
    }
}

impl SchemaOptions {
    /// The defaults: checked, against the newest release, with the snapshot's CRDs only.
    pub fn new() -> Self {
        Self::default()
    }

    /// Check (`true`, the default) or skip the schema check.
    #[must_use]
    pub fn with_enabled(mut self, enabled: bool) -> Self {
        self.enabled = enabled;
        self
    }

    /// Check against the schemas of this Kubernetes release.
    #[must_use]
    pub fn with_kube_version(mut self, version: KubeVersion) -> Self {
        self.kube_version = Some(version);
        self
    }

    /// Also know the custom resources of `crd`, read from `origin` (named in errors).
    #[must_use]
    pub fn with_custom_resource_definition(
        mut self,
        origin: impl Into<String>,
        crd: Value,
    ) -> Self {
        self.custom_resource_definitions.push((origin.into(), crd));
        self
    }
}

/// The schema problems of every object `rendering` built, and a warning for each rendered CRD
/// the validator cannot read (its custom resources are then `schema-not-checked`). Nothing
/// when [`SchemaOptions::enabled`] is off.
///
/// Sources are relative to the snapshot's tree root; a unit's `file` is the location when the
/// field cannot be traced.
///
/// # Errors
///
/// [`Error::Schema`] when the release has no embedded schemas, and
/// [`Error::CustomResourceDefinition`] when a CRD the caller added cannot be read.
pub fn check(
    snapshot: &Snapshot,
    rendering: &Rendering,
    options: &RenderOptions,
) -> Result<(Vec<SchemaProblem>, Vec<Warning>), Error> {
    let (found, warnings) = find(rendering, options, &Scope::Everything)?;
    Ok((trace(snapshot, &rendering.units, options, found), warnings))
}

/// Which objects [`find`] checks (the CRDs of every unit are read either way).
pub(crate) enum Scope<'a> {
    /// Every object.
    Everything,
    /// Every object but those of a built-in kind in a unit whose objects are the very same as
    /// in this earlier rendering: their problems depend on nothing else, so they are the
    /// earlier ones.
    ChangedSince(&'a Rendering),
    /// Only the objects of these units.
    Units(BTreeSet<&'a str>),
}

/// Which objects of one unit [`find`] checks.
enum UnitScope {
    All,
    None,
    /// Custom resources only: the unit is unchanged, but their CRDs may not be.
    NotBuiltIn,
}

impl Scope<'_> {
    fn unit(&self, unit: &str, objects: &[Value]) -> UnitScope {
        match self {
            Scope::Everything => UnitScope::All,
            Scope::ChangedSince(earlier) => {
                let unchanged = earlier
                    .units
                    .get(unit)
                    .and_then(|r| r.objects.as_ref().ok())
                    .is_some_and(|before| std::ptr::eq(before.as_ref(), objects));
                if unchanged {
                    UnitScope::NotBuiltIn
                } else {
                    UnitScope::All
                }
            }
            Scope::Units(units) if units.contains(unit) => UnitScope::All,
            Scope::Units(_) => UnitScope::None,
        }
    }
}

/// A problem in one object a unit rendered, not yet traced to the line that wrote it: tracing
/// rebuilds the unit with origin annotations, so [`crate::compare`] traces only the problems
/// it reports.
pub(crate) struct Found<'r> {
    /// The unit rendering the object.
    pub(crate) unit: &'r str,
    /// The object, as rendered.
    pub(crate) object: &'r Value,
    /// What is wrong with it.
    pub(crate) problem: Problem,
}

/// The problems of the objects of `scope` that `rendering` built, in unit order, and the
/// warnings of [`check`], without tracing. Nothing when the check is off.
pub(crate) fn find<'r>(
    rendering: &'r Rendering,
    options: &RenderOptions,
    scope: &Scope<'_>,
) -> Result<(Vec<Found<'r>>, Vec<Warning>), Error> {
    let schema = &options.schema;
    if !schema.enabled {
        return Ok((Vec::new(), Vec::new()));
    }
    let mut validator = new_validator(schema)?;
    let built: Vec<(&str, &Rendered, &[Value])> = rendering
        .units
        .iter()
        .filter_map(|(name, r)| Some((name.as_str(), r, r.objects.as_ref().ok()?.as_ref())))
        .collect();
    let mut crds = CrdChoice::default();
    for (name, rendered, objects) in &built {
        crds.offer(name, &rendered.file, objects, |crd| crd);
    }
    let warnings = add_rendered_crds(
        &mut validator,
        crds.chosen
            .values()
            .map(|(unit, file, crd)| (*crd, unit.as_str(), file.as_str())),
    );
    let mut found = Vec::new();
    for (unit, _, objects) in built {
        let unit_scope = scope.unit(unit, objects);
        if matches!(unit_scope, UnitScope::None) {
            continue;
        }
        for object in objects {
            if matches!(unit_scope, UnitScope::NotBuiltIn) && validator.is_built_in_kind(object) {
                continue;
            }
            found.extend(validator.validate(object).into_iter().map(|problem| Found {
                unit,
                object,
                problem,
            }));
        }
    }
    Ok((found, warnings))
}

/// The CRD each name resolves to when several units render one of that name (bases and their
/// overlays): the one the unit first in name order renders, whatever order units come in.
struct CrdChoice<C> {
    /// CRD name → `(unit, unit file, the CRD as kept)`.
    chosen: BTreeMap<String, (String, String, C)>,
}

impl<C> Default for CrdChoice<C> {
    fn default() -> Self {
        Self {
            chosen: BTreeMap::new(),
        }
    }
}

impl<C> CrdChoice<C> {
    /// Consider the CRDs among `objects`, rendered by `unit` (whose file is `file`), keeping a
    /// chosen one as `keep` makes it.
    fn offer<'v>(
        &mut self,
        unit: &str,
        file: &str,
        objects: &'v [Value],
        keep: impl Fn(&'v Value) -> C,
    ) {
        let crds = objects
            .iter()
            .filter(|o| Validator::is_custom_resource_definition(o));
        for crd in crds {
            self.offer_one(unit, file, crd_name(crd), || keep(crd));
        }
    }

    /// Consider the CRD `name` rendered by `unit` (whose file is `file`): the first unit in
    /// name order that renders a CRD is the one whose copy counts; `keep` makes that copy.
    fn offer_one(&mut self, unit: &str, file: &str, name: &str, keep: impl FnOnce() -> C) {
        let earlier = self
            .chosen
            .get(name)
            .is_some_and(|(chosen_unit, _, _)| chosen_unit.as_str() <= unit);
        if !earlier {
            self.chosen
                .insert(name.to_owned(), (unit.to_owned(), file.to_owned(), keep()));
        }
    }
}

/// The name a CRD is chosen by (`""` when it has none).
fn crd_name(crd: &Value) -> &str {
    crd.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The top of an object as `serde_json`: `apiVersion`, `kind` and `metadata` — what names it,
/// decides how it is checked and carries its annotations — without converting the rest.
pub(crate) fn object_head(object: &BuiltValue) -> Value {
    let head = ["apiVersion", "kind", "metadata"]
        .into_iter()
        .filter_map(|key| Some((key.to_owned(), Value::from(object.get(key)?))))
        .collect();
    Value::Object(head)
}

/// The validator of `schema`'s release, knowing the CRDs the caller added.
fn new_validator(schema: &SchemaOptions) -> Result<Validator, Error> {
    let mut validator = Validator::new(schema.kube_version.unwrap_or(api_validation::LATEST))
        .map_err(Error::Schema)?;
    for (origin, crd) in &schema.custom_resource_definitions {
        validator
            .add_custom_resource_definition(crd)
            .map_err(|source| Error::CustomResourceDefinition {
                origin: origin.clone(),
                source,
            })?;
    }
    Ok(validator)
}

/// Teach `validator` the rendered CRDs — each `(crd, unit, unit file)`, once per CRD name —
/// with a warning for each it cannot read.
fn add_rendered_crds<C: std::borrow::Borrow<Value>>(
    validator: &mut Validator,
    crds: impl IntoIterator<Item = (C, impl Into<String>, impl Into<String>)>,
) -> Vec<Warning> {
    let mut warnings = Vec::new();
    for (crd, unit, file) in crds {
        if let Err(error) = validator.add_custom_resource_definition(crd.borrow()) {
            warnings.push(Warning {
                rule: CRD_UNREADABLE_RULE.to_owned(),
                path: unit.into(),
                message: error.to_string(),
                help: "its custom resources are reported as not checked".to_owned(),
                source: None,
                file: file.into(),
            });
        }
    }
    warnings
}

/// The schema check of units handed over one by one as they are built ([`crate::validate`]),
/// so that no unit's objects outlive its build: objects of built-in kinds are checked at once;
/// custom resources wait (copied) until every unit's CRDs are known, as [`find`] would check
/// them. Only objects with problems, custom resources and one copy of each CRD are kept.
pub(crate) struct UnitChecks {
    validator: Option<Validator>,
    kept: Mutex<Kept>,
}

/// What [`UnitChecks`] keeps between units.
#[derive(Default)]
struct Kept {
    /// The CRDs chosen as [`find`] chooses them, each kept as JSON text: a fraction of its size
    /// as a value (platform CRDs run to megabytes).
    crds: CrdChoice<String>,
    /// Custom resources, checked once every CRD is known: `(unit, position in the unit, object
    /// as JSON)`.
    waiting: Vec<(String, usize, String)>,
    /// Objects with problems: `(unit, position in the unit, object, problems)`.
    found: Vec<(String, usize, Value, Vec<Problem>)>,
}

/// The objects [`UnitChecks::finish`] found problems in, in unit order, each with its problems.
pub(crate) type FoundObjects = Vec<(String, usize, Value, Vec<Problem>)>;

impl UnitChecks {
    /// Ready to check units with `schema` (nothing is checked when it is off).
    ///
    /// # Errors
    ///
    /// As [`check`].
    pub(crate) fn new(schema: &SchemaOptions) -> Result<Self, Error> {
        Ok(Self {
            validator: schema.enabled.then(|| new_validator(schema)).transpose()?,
            kept: Mutex::new(Kept::default()),
        })
    }

    /// Check what `unit` (whose file is `file`) rendered, keeping only what [`Self::finish`]
    /// needs. Called from the worker threads.
    pub(crate) fn unit(&self, unit: &str, file: &str, objects: &[BuiltValue]) {
        let Some(validator) = &self.validator else {
            return;
        };
        let mut found = Vec::new();
        let mut waiting = Vec::new();
        let mut crds = Vec::new();
        // Each object is converted for the validator alone and dropped: the unit's objects are
        // never held twice.
        for (index, object) in objects.iter().enumerate() {
            let head = object_head(object);
            if validator.is_built_in_kind(&head) {
                let object = Value::from(object);
                let problems = validator.validate(&object);
                if !problems.is_empty() {
                    found.push((unit.to_owned(), index, object, problems));
                }
            } else {
                waiting.push((unit.to_owned(), index, object.to_string()));
            }
            if Validator::is_custom_resource_definition(&head) {
                crds.push((crd_name(&head).to_owned(), object));
            }
        }
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        kept.found.extend(found);
        kept.waiting.extend(waiting);
        for (name, crd) in crds {
            kept.crds.offer_one(unit, file, &name, || crd.to_string());
        }
    }

    /// Check the custom resources against every CRD the units rendered; the objects with
    /// problems in unit order (as [`find`] lists them), and the warnings of [`check`].
    pub(crate) fn finish(self) -> (FoundObjects, Vec<Warning>) {
        let Some(mut validator) = self.validator else {
            return (Vec::new(), Vec::new());
        };
        let mut kept = self
            .kept
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        // Written by `Value::to_string` above, so it reads back.
        let parse = |json: &str| serde_json::from_str::<Value>(json).unwrap_or_default();
        // One CRD read back at a time: the validator keeps what it compiled, not the CRD.
        let chosen = std::mem::take(&mut kept.crds.chosen);
        let warnings = add_rendered_crds(
            &mut validator,
            chosen
                .into_values()
                .map(|(unit, file, crd)| (parse(&crd), unit, file)),
        );
        for (unit, index, object) in std::mem::take(&mut kept.waiting) {
            let object = parse(&object);
            let problems = validator.validate(&object);
            if !problems.is_empty() {
                kept.found.push((unit, index, object, problems));
            }
        }
        kept.found
            .sort_by(|a, b| (a.0.as_str(), a.1).cmp(&(b.0.as_str(), b.1)));
        (kept.found, warnings)
    }
}

/// Each found problem with the file and line that wrote its field, when the unit's build with
/// origin annotations tells it.
pub(crate) fn trace(
    snapshot: &Snapshot,
    units: &BTreeMap<String, Rendered>,
    options: &RenderOptions,
    found: Vec<Found<'_>>,
) -> Vec<SchemaProblem> {
    let fs = snapshot.fs();
    let roots = [
        snapshot.tree_root().to_path_buf(),
        canonical(fs, snapshot.tree_root()),
    ];
    // Rebuilt with origin annotations only for units with something to point at, once each.
    let mut tracers: BTreeMap<&str, Option<Tracer<'_>>> = BTreeMap::new();
    let mut problems = Vec::with_capacity(found.len());
    for Found {
        unit,
        object,
        problem,
    } in found
    {
        let Some(rendered) = units.get(unit) else {
            continue;
        };
        let source = traced_field(&problem).and_then(|field| {
            let tracer = tracers
                .entry(unit)
                .or_insert_with(|| {
                    tracer(fs, &rendered.dir, rendered.flux.as_deref(), &options.build)
                })
                .as_ref()?;
            let object = kustomize_build::value::Value::from(object);
            let id = ResId::of(&object);
            let located = tracer.locate(&Query::new(&id, &field).with_current(&object))?;
            Some(Source {
                file: roots
                    .iter()
                    .find_map(|root| relative(&located.file, root))?,
                line: located.line,
                writer: Some(located.writer.to_string()),
            })
        });
        problems.push(SchemaProblem {
            path: unit.to_owned(),
            file: rendered.file.clone(),
            problem,
            source,
        });
    }
    problems
}

/// The field to trace back to a file and line, in the provenance syntax (`spec.replicas`,
/// dotted keys unquoted): the bad field; a missing field's parent; `apiVersion` for a removed
/// or deprecated API. `None` for problems that point nowhere (an unchecked object).
fn traced_field(problem: &Problem) -> Option<String> {
    let field = match problem.rule {
        Rule::SchemaNotChecked => return None,
        Rule::ApiRemoved | Rule::ApiDeprecated if problem.field.is_empty() => {
            return Some("apiVersion".to_owned())
        }
        Rule::SchemaRequired => parent(&problem.field),
        _ => &problem.field,
    };
    let plain = field.replace("[\"", ".").replace("\"]", "");
    let plain = plain.trim_start_matches('.');
    Some(if plain.is_empty() {
        "kind".to_owned()
    } else {
        plain.to_owned()
    })
}

/// `.a.b[0]` → `.a.b`; `.a["x.y"]` → `.a`.
fn parent(field: &str) -> &str {
    let cut = if field.ends_with(']') {
        field.rfind('[')
    } else {
        field.rfind('.')
    };
    &field[..cut.unwrap_or(0)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(rule: Rule, field: &str) -> Problem {
        let object = serde_json::json!({"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "x"}});
        let validator = Validator::new(api_validation::LATEST).unwrap();
        let mut problem = validator.validate(&object).remove(0);
        problem.rule = rule;
        problem.field = field.to_owned();
        problem
    }

    #[test]
    fn fields_are_traced_in_the_provenance_syntax() {
        let traced = |rule, field| traced_field(&problem(rule, field));
        assert_eq!(
            traced(Rule::SchemaType, ".spec.ports[0].port").as_deref(),
            Some("spec.ports[0].port")
        );
        assert_eq!(
            traced(
                Rule::SchemaUnknownField,
                r#".metadata.annotations["example.com/x"]"#
            )
            .as_deref(),
            Some("metadata.annotations.example.com/x")
        );
        assert_eq!(
            traced(
                Rule::SchemaRequired,
                ".spec.template.spec.containers[0].name"
            )
            .as_deref(),
            Some("spec.template.spec.containers[0]")
        );
        assert_eq!(
            traced(Rule::SchemaRequired, ".spec").as_deref(),
            Some("kind")
        );
        assert_eq!(traced(Rule::ApiRemoved, "").as_deref(), Some("apiVersion"));
        assert_eq!(traced(Rule::SchemaNotChecked, ""), None);
    }
}
