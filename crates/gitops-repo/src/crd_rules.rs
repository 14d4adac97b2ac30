//! The rules of a comparison beyond the built-in ones: the transition rules
//! (`x-kubernetes-validations` using `oldSelf`, such as `self == oldSelf`) of the
//! `CustomResourceDefinition`s the repository deploys, and of those the caller supplies for
//! custom resources whose CRD the repository does not hold.
//!
//! The API server judges an update of a custom resource with the CRD stored when the update
//! arrives. Which one that is follows from the engines' apply order:
//!
//! - Within one Flux Kustomization, kustomize-controller applies `CustomResourceDefinition`s
//!   and `Namespace`s first and waits for them to be established before it applies anything
//!   else (`fluxcd/kustomize-controller` `internal/controller/kustomization_controller.go`,
//!   `apply`; `fluxcd/pkg` `ssa/manager_apply.go`, `ApplyAllStaged`): the head's CRD judges the
//!   head's custom resources. Argo CD likewise syncs a `CustomResourceDefinition` before the
//!   custom resources of its kind within one Application (`argoproj/gitops-engine`
//!   `pkg/sync/sync_tasks.go`, `kindOrder` and `syncTasks.Sort`).
//! - Across units the order is the units' (`dependsOn`, or none): with a dependency on the unit
//!   deploying the CRD the head's CRD judges again; without one either may be stored. The head's
//!   CRD is taken there too: it is what the cluster converges to, and a rule the head relaxes
//!   only fails an apply that comes first until the CRD's unit has applied.
//!
//! So a CRD the head renders gives the rules; one only the base renders (the head stops
//! deploying it, and it stays stored unless pruned) gives them otherwise; a supplied CRD
//! counts for the CRD names the repository renders at neither side. A CRD of the repository
//! that cannot give rules (no `spec.group`, no `spec.versions`…) does not stop the comparison:
//! it is a [`CRD_RULES_UNREADABLE`] warning at the line of its name, and its custom resources
//! are compared with the built-in rules only.

use std::collections::{BTreeMap, BTreeSet};

use immutable_rules::{ObjectRef, RuleSet, SkippedValidation};
use serde_json::Value;

use crate::render::{RenderOptions, Rendered, Rendering};
use crate::report::Warning;
use crate::sources::{locate_field, Head, HeadTarget};
use crate::{Error, Snapshot};

/// Warning id: a CRD the repository renders gives no transition rules (it cannot be read).
pub const CRD_RULES_UNREADABLE: &str = "crd-rules-unreadable";

/// The rule set of a comparison, what it says about the CRDs it read, and the transition rules
/// it leaves to the API server.
pub(crate) struct ChangeRules {
    /// Built-in rules plus each applicable CRD's transition rules.
    pub(crate) rules: RuleSet,
    /// One per repository CRD that gives no rules.
    pub(crate) warnings: Vec<Warning>,
    /// Transition rules not interpreted, of CRDs whose custom resources both sides render.
    pub(crate) skipped: Vec<SkippedValidation>,
}

/// A CRD found in a rendering: the object and the unit rendering it first.
struct Found<'r> {
    crd: &'r Value,
    unit: &'r str,
    rendered: &'r Rendered,
}

/// The rules comparing `base` with `head` (see the module docs for which CRD applies).
///
/// # Errors
///
/// [`Error::TransitionRules`] when a CRD the caller supplied
/// ([`SchemaOptions::custom_resource_definitions`](crate::SchemaOptions::custom_resource_definitions)) cannot give rules: the caller named it,
/// so it is fixed there.
pub(crate) fn change_rules(
    (base_snapshot, base): (&Snapshot, &Rendering),
    (head_snapshot, head): (&Snapshot, &Rendering),
    options: &RenderOptions,
) -> Result<ChangeRules, Error> {
    let at_head = crds_of(head);
    let at_base = crds_of(base);
    let mut rules = RuleSet::new();
    let mut warnings = Vec::new();
    let mut kinds = BTreeMap::new();
    let sides = [(head_snapshot, &at_head), (base_snapshot, &at_base)];
    let mut used = BTreeSet::new();
    for (snapshot, crds) in sides {
        for (name, found) in crds {
            if !used.insert(*name) {
                continue;
            }
            match rules.add_crd(found.crd) {
                Ok(_) => {
                    kinds.insert((*name).to_owned(), served_kind(found.crd));
                }
                Err(error) => {
                    warnings.push(unreadable(snapshot, found, &error.to_string(), options));
                }
            }
        }
    }
    for (origin, crd) in &options.schema.custom_resource_definitions {
        let name = crd_name(crd);
        if used.contains(name) {
            continue;
        }
        rules
            .add_crd(crd)
            .map_err(|source| Error::TransitionRules {
                origin: origin.clone(),
                source,
            })?;
        kinds.insert(name.to_owned(), served_kind(crd));
    }
    // Most repositories deploy no CRD with a rule left over: no need to list their kinds.
    let skipped = if rules.skipped_validations().is_empty() {
        Vec::new()
    } else {
        let both_sides = custom_kinds(base)
            .intersection(&custom_kinds(head))
            .cloned()
            .collect::<BTreeSet<_>>();
        rules
            .skipped_validations()
            .iter()
            .filter(|s| kinds.get(&s.crd).is_some_and(|k| both_sides.contains(k)))
            .cloned()
            .collect()
    };
    Ok(ChangeRules {
        rules,
        warnings,
        skipped,
    })
}

/// The CRDs a rendering holds, by name, each from the first unit (in name order) rendering it:
/// a base and the overlays deploying it render the same one.
fn crds_of(rendering: &Rendering) -> BTreeMap<&str, Found<'_>> {
    let mut found = BTreeMap::new();
    for (unit, rendered) in &rendering.units {
        let Ok(objects) = &rendered.objects else {
            continue;
        };
        for crd in objects.iter().filter(|o| is_crd(o)) {
            found.entry(crd_name(crd)).or_insert(Found {
                crd,
                unit,
                rendered,
            });
        }
    }
    found
}

fn is_crd(object: &Value) -> bool {
    object["kind"].as_str() == Some("CustomResourceDefinition")
        && object["apiVersion"]
            .as_str()
            .is_some_and(|v| v.starts_with("apiextensions.k8s.io/"))
}

fn crd_name(crd: &Value) -> &str {
    crd["metadata"]["name"].as_str().unwrap_or_default()
}

/// `(group, kind)` of the custom resources a CRD serves.
fn served_kind(crd: &Value) -> (String, String) {
    let kind = crd["spec"]["names"]["kind"].as_str().unwrap_or_default();
    let group = crd["spec"]["group"].as_str().unwrap_or_default();
    (group.to_owned(), kind.to_owned())
}

/// `(group, kind)` of every object a rendering holds (custom groups have no aliases).
fn custom_kinds(rendering: &Rendering) -> BTreeSet<(String, String)> {
    rendering
        .units
        .values()
        .filter_map(|r| r.objects.as_ref().ok())
        .flat_map(|objects| objects.iter())
        .map(|object| {
            let object = ObjectRef::of(object);
            (object.group, object.kind)
        })
        .collect()
}

/// The warning for a repository CRD that gives no rules, at the line writing its name.
fn unreadable(
    snapshot: &Snapshot,
    found: &Found<'_>,
    why: &str,
    options: &RenderOptions,
) -> Warning {
    let source = found.rendered.objects.as_ref().ok().and_then(|objects| {
        let head = Head {
            fs: snapshot.fs(),
            tree_root: snapshot.tree_root(),
        };
        let target = HeadTarget {
            dir: &found.rendered.dir,
            flux: found.rendered.flux.as_deref(),
            argo: found.rendered.argo.as_deref(),
            objects,
        };
        locate_field(&head, &target, found.crd, "metadata.name", &options.build)
    });
    Warning {
        rule: CRD_RULES_UNREADABLE.to_owned(),
        path: found.unit.to_owned(),
        message: format!("{why}: its transition rules are not checked"),
        help: format!(
            "fix the CustomResourceDefinition {} (it needs spec.group, spec.names.kind and spec.versions); until then its custom resources are compared with the built-in rules only",
            crd_name(found.crd)
        ),
        source,
        file: found.rendered.file.clone(),
    }
}
