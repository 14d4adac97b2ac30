//! PersistentVolume and PersistentVolumeClaim (`v1`).
//!
//! A PV's volume source, volume mode and (set) node affinity are fixed; capacity, access modes,
//! reclaim policy, class and mount options are not. A PVC's spec is frozen except the storage
//! request of a bound claim (grow with an expandable class; shrink only to recover a failed
//! expansion), a class set on a claim that had none, a volume name set once, and the
//! VolumeAttributesClass.

use std::cmp::Ordering;

use serde_json::Value;

use super::Checker;
use crate::context::Mode;
use crate::quantity;
use crate::update::Sent;
use crate::violation::Severity;

const PVC_SPEC_ERROR: &str = "spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims";
const BETA_CLASS_ANNOTATION: &str = "volume.beta.kubernetes.io/storage-class";

rule!(PV_SOURCE, "persistentvolume-source",
    kinds: ["PersistentVolume"], fields: ["spec.<volume source>"],
    condition: "the volume source (csi, nfs, hostPath, local, cloud disks…) changes; only setting csi.controllerExpandSecretRef when it was unset is allowed",
    versions: "all",
    severity: Error, remediations: [Recreate, Revert]);
rule!(PV_VOLUME_MODE, "persistentvolume-volume-mode",
    kinds: ["PersistentVolume"], fields: ["spec.volumeMode"],
    condition: "spec.volumeMode changes (omitted = Filesystem)",
    versions: "all",
    severity: Error, remediations: [Recreate, Revert]);
rule!(PV_NODE_AFFINITY, "persistentvolume-node-affinity",
    kinds: ["PersistentVolume"], fields: ["spec.nodeAffinity"],
    condition: "a set nodeAffinity changes other than renaming beta topology labels to their GA names (setting it when unset is allowed)",
    versions: "all; fully mutable only with the MutablePVNodeAffinity alpha gate (1.35, off by default)",
    severity: Error, remediations: [Recreate, Revert]);
rule!(PV_VOLUME_ATTRIBUTES_CLASS, "persistentvolume-volume-attributes-class",
    kinds: ["PersistentVolume"], fields: ["spec.volumeAttributesClassName"],
    condition: "volumeAttributesClassName goes from a value to unset",
    versions: "1.29+",
    severity: Error, remediations: [Revert]);
rule!(PVC_STORAGE_CLASS, "pvc-storage-class",
    kinds: ["PersistentVolumeClaim"], fields: ["spec.storageClassName"],
    condition: "storageClassName changes once set (including removal from git); setting it on a claim without one is allowed (1.26+) unless it contradicts the beta storage-class annotation",
    versions: "unset → value allowed since 1.26 (RetroactiveDefaultStorageClass)",
    severity: Error, remediations: [Revert, RenameBlueGreen]);
rule!(PVC_STORAGE_CLASS_ANNOTATION, "pvc-storage-class-annotation",
    kinds: ["PersistentVolumeClaim", "PersistentVolume"], fields: ["metadata.annotations[volume.beta.kubernetes.io/storage-class]"],
    condition: "the legacy beta storage-class annotation changes",
    versions: "all",
    severity: Error, remediations: [Revert]);
rule!(PVC_ACCESS_MODES, "pvc-access-modes",
    kinds: ["PersistentVolumeClaim"], fields: ["spec.accessModes"],
    condition: "spec.accessModes changes (list order matters)",
    versions: "all",
    severity: Error, remediations: [Revert, RenameBlueGreen]);
rule!(PVC_VOLUME_MODE, "pvc-volume-mode",
    kinds: ["PersistentVolumeClaim"], fields: ["spec.volumeMode"],
    condition: "spec.volumeMode changes (omitted = Filesystem)",
    versions: "all",
    severity: Error, remediations: [Revert, RenameBlueGreen]);
rule!(PVC_VOLUME_NAME, "pvc-volume-name",
    kinds: ["PersistentVolumeClaim"], fields: ["spec.volumeName"],
    condition: "spec.volumeName changes once set (setting it when empty is allowed)",
    versions: "all",
    severity: Error, remediations: [DropField, Revert]);
rule!(PVC_DATA_SOURCE, "pvc-data-source",
    kinds: ["PersistentVolumeClaim"], fields: ["spec.dataSource", "spec.dataSourceRef"],
    condition: "spec.dataSource or spec.dataSourceRef changes",
    versions: "all",
    severity: Error, remediations: [Revert, RenameBlueGreen]);
rule!(PVC_SELECTOR, "pvc-selector",
    kinds: ["PersistentVolumeClaim"], fields: ["spec.selector"],
    condition: "spec.selector changes",
    versions: "all",
    severity: Error, remediations: [Revert, RenameBlueGreen]);
rule!(PVC_RESOURCES, "pvc-resources",
    kinds: ["PersistentVolumeClaim"], fields: ["spec.resources.limits", "spec.resources.requests.<other than storage>"],
    condition: "resource limits or requests other than storage change",
    versions: "all",
    severity: Error, remediations: [Revert]);
rule!(PVC_STORAGE_SHRINK, "pvc-storage-shrink",
    kinds: ["PersistentVolumeClaim"], fields: ["spec.resources.requests.storage"],
    condition: "the storage request decreases, unless (1.32+) it stays strictly above status.capacity to recover from a failed expansion; equal quantities in other units are no change",
    versions: "any decrease refused before 1.32; recovery decrease allowed 1.32+ (GA 1.34)",
    severity: Error, remediations: [Revert, RenameBlueGreen]);
rule!(PVC_STORAGE_EXPAND, "pvc-storage-expand",
    kinds: ["PersistentVolumeClaim"], fields: ["spec.resources.requests.storage"],
    condition: "the storage request grows on a claim that is not bound, has no class, or whose StorageClass lacks allowVolumeExpansion: true (warning when the class is unknown)",
    versions: "all",
    severity: Warning, remediations: [Revert, RenameBlueGreen]);
rule!(PVC_VOLUME_ATTRIBUTES_CLASS, "pvc-volume-attributes-class",
    kinds: ["PersistentVolumeClaim"], fields: ["spec.volumeAttributesClassName"],
    condition: "volumeAttributesClassName goes from a value to unset or \"\"; on servers before 1.34 any change needs the VolumeAttributesClass feature gate",
    versions: "GA 1.34; beta (off by default) 1.31-1.33",
    severity: Error, remediations: [Revert]);

/// Keys of a PV spec that are not part of the volume source.
const PV_NON_SOURCE: &[&str] = &[
    "capacity",
    "accessModes",
    "claimRef",
    "persistentVolumeReclaimPolicy",
    "storageClassName",
    "mountOptions",
    "volumeMode",
    "nodeAffinity",
    "volumeAttributesClassName",
];

/// Beta topology labels a PV's node affinity may be renamed from, with their GA names.
const BETA_TO_GA: &[(&str, &str)] = &[
    (
        "failure-domain.beta.kubernetes.io/zone",
        "topology.kubernetes.io/zone",
    ),
    (
        "failure-domain.beta.kubernetes.io/region",
        "topology.kubernetes.io/region",
    ),
    (
        "beta.kubernetes.io/instance-type",
        "node.kubernetes.io/instance-type",
    ),
    ("beta.kubernetes.io/os", "kubernetes.io/os"),
    ("beta.kubernetes.io/arch", "kubernetes.io/arch"),
];

/// PersistentVolume rules.
pub(super) fn persistent_volume(c: &mut Checker<'_>) {
    for key in c.upd.keys(&["spec"]) {
        if PV_NON_SOURCE.contains(&key) {
            continue;
        }
        let path = ["spec", key];
        let exclude: &[&[&str]] = if key == "csi"
            && c.upd
                .old_at(&["spec", "csi", "controllerExpandSecretRef"])
                .is_none()
        {
            &[&["controllerExpandSecretRef"]]
        } else {
            &[]
        };
        if let Some(field) = c.upd.difference_except(&path, exclude) {
            c.report(
                &PV_SOURCE,
                &field,
                "a PersistentVolume points at one piece of storage for its whole life",
                "spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation",
            );
        }
    }
    c.immutable_defaulted(
        &PV_VOLUME_MODE,
        &["spec", "volumeMode"],
        "Filesystem",
        "volumeMode: Invalid value: ...: field is immutable",
    );
    pv_node_affinity(c);
    attributes_class_unset(c, &PV_VOLUME_ATTRIBUTES_CLASS);
    class_annotation(c);
}

fn ga_topology(value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(ga_topology).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("key", Value::String(s)) => Value::String(
                            BETA_TO_GA
                                .iter()
                                .find(|(beta, _)| beta == s)
                                .map_or_else(|| s.clone(), |(_, ga)| (*ga).to_owned()),
                        ),
                        _ => ga_topology(v),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn pv_node_affinity(c: &mut Checker<'_>) {
    let path = ["spec", "nodeAffinity"];
    let Some(old) = c.upd.old_at(&path) else {
        return;
    };
    if !c.upd.changed(&path) {
        return;
    }
    let merged = c.upd.merged_at(&path).unwrap_or(Value::Null);
    if crate::compare::semantic_eq(
        Some(&ga_topology(old)),
        Some(&merged),
        crate::compare::Slot::Field,
    ) {
        return;
    }
    c.report(
        &PV_NODE_AFFINITY,
        "spec.nodeAffinity",
        "where a PersistentVolume is reachable is fixed once set; only beta topology labels may be renamed to their GA names",
        "nodeAffinity: Invalid value: ...: field is immutable, except for updating from beta label to GA",
    );
}

fn attributes_class_unset(c: &mut Checker<'_>, rule: &'static crate::catalog::RuleInfo) -> bool {
    let path = ["spec", "volumeAttributesClassName"];
    let Some(old) = c.upd.old_str(&path).filter(|s| !s.is_empty()) else {
        return false;
    };
    let error = match (c.upd.sent(&path), c.upd.mode) {
        (Sent::Value(Value::String(s)), _) if s.is_empty() => {
            "spec.volumeAttributesClassName: Forbidden: update from non-nil value to an empty string is forbidden"
        }
        (Sent::Value(_), _) | (Sent::Absent, Mode::Apply) => return false,
        _ => "spec.volumeAttributesClassName: Forbidden: update from non-nil value to nil is forbidden",
    };
    let reason = format!(
        "volumeAttributesClassName {old:?} may be changed to another class but not removed"
    );
    c.report(rule, "spec.volumeAttributesClassName", &reason, error);
    true
}

fn class_annotation(c: &mut Checker<'_>) {
    let path = ["metadata", "annotations", BETA_CLASS_ANNOTATION];
    let Some(old) = c.upd.old_str(&path) else {
        return;
    };
    let new = c.upd.new_str(&path);
    if new == Some(old) {
        return;
    }
    // Legacy migration: an annotation-only claim may drop the annotation when the same class moves
    // into spec.storageClassName.
    if new.is_none()
        && c.upd.old_at(&["spec", "storageClassName"]).is_none()
        && c.upd.new_str(&["spec", "storageClassName"]) == Some(old)
    {
        return;
    }
    let error = format!(
        "metadata.annotations.{BETA_CLASS_ANNOTATION}: Invalid value: ...: field is immutable"
    );
    c.report(
        &PVC_STORAGE_CLASS_ANNOTATION,
        "metadata.annotations",
        "the legacy storage-class annotation is fixed like the class itself",
        &error,
    );
}

/// PersistentVolumeClaim rules.
pub(super) fn persistent_volume_claim(c: &mut Checker<'_>) {
    class_annotation(c);
    storage_class(c);
    c.immutable_defaulted(
        &PVC_VOLUME_MODE,
        &["spec", "volumeMode"],
        "Filesystem",
        PVC_SPEC_ERROR,
    );
    for (rule, key) in [
        (&PVC_ACCESS_MODES, "accessModes"),
        (&PVC_SELECTOR, "selector"),
        (&PVC_DATA_SOURCE, "dataSource"),
        (&PVC_DATA_SOURCE, "dataSourceRef"),
    ] {
        c.immutable(rule, &["spec", key], PVC_SPEC_ERROR);
    }
    volume_name(c);
    if let Some(field) = c
        .upd
        .difference_except(&["spec", "resources"], &[&["requests", "storage"]])
    {
        c.report(
            &PVC_RESOURCES,
            &field,
            "only the storage request of a claim may change",
            PVC_SPEC_ERROR,
        );
    }
    storage_request(c);
    volume_attributes_class(c);
}

fn storage_class(c: &mut Checker<'_>) {
    let path = ["spec", "storageClassName"];
    let new = match (c.upd.sent(&path), c.upd.mode) {
        (Sent::Absent, Mode::Apply) => return,
        (Sent::Value(v), _) => v.as_str(),
        _ => None,
    };
    match c.upd.old_str(&path) {
        Some(old) if new != Some(old) => {
            let reason = format!(
                "the claim's volume was provisioned by class {old:?}; a claim cannot move to another class — create a new claim and migrate the data"
            );
            c.report(
                &PVC_STORAGE_CLASS,
                "spec.storageClassName",
                &reason,
                PVC_SPEC_ERROR,
            );
        }
        Some(_) => {}
        None => {
            let Some(new) = new else { return };
            let annotation = c
                .upd
                .old_str(&["metadata", "annotations", BETA_CLASS_ANNOTATION]);
            if c.ctx.older_than(1, 26) {
                c.report(
                    &PVC_STORAGE_CLASS,
                    "spec.storageClassName",
                    "servers before 1.26 (RetroactiveDefaultStorageClass) do not let a claim without class get one",
                    PVC_SPEC_ERROR,
                );
            } else if annotation.is_some_and(|a| a != new) {
                let reason = format!(
                    "the claim carries the legacy annotation {BETA_CLASS_ANNOTATION}={:?}; only that class may be set",
                    annotation.unwrap_or_default()
                );
                c.report(
                    &PVC_STORAGE_CLASS,
                    "spec.storageClassName",
                    &reason,
                    PVC_SPEC_ERROR,
                );
            }
        }
    }
}

fn volume_name(c: &mut Checker<'_>) {
    let path = ["spec", "volumeName"];
    let Some(old) = c.upd.old_str(&path).filter(|s| !s.is_empty()) else {
        return;
    };
    let new = match (c.upd.sent(&path), c.upd.mode) {
        (Sent::Absent, Mode::Apply) => return,
        (Sent::Value(v), _) => v.as_str().unwrap_or(""),
        _ => "",
    };
    if new != old {
        c.report(
            &PVC_VOLUME_NAME,
            "spec.volumeName",
            "the claim is bound to its volume; the binding cannot move",
            PVC_SPEC_ERROR,
        );
    }
}

/// Whether the live claim is bound: `None` when status is unknown (git mode or no status).
fn bound(c: &Checker<'_>) -> Option<bool> {
    if c.upd.mode == Mode::Git {
        return None;
    }
    c.upd
        .old_str(&["status", "phase"])
        .map(|phase| phase == "Bound")
}

fn storage_request(c: &mut Checker<'_>) {
    let path = ["spec", "resources", "requests", "storage"];
    let field = "spec.resources.requests.storage";
    let (Some(old), Some(new)) = (c.upd.old_at(&path), c.upd.new_at(&path)) else {
        if c.upd.old_at(&path).is_some() && c.upd.changed(&path) {
            c.report(
                &PVC_RESOURCES,
                field,
                "the storage request cannot be removed",
                PVC_SPEC_ERROR,
            );
        }
        return;
    };
    let Some(order) = quantity::compare(new, old) else {
        if old != new {
            c.report(
                &PVC_RESOURCES,
                field,
                "the storage request is not a valid quantity",
                PVC_SPEC_ERROR,
            );
        }
        return;
    };
    if order == Ordering::Equal {
        return;
    }
    if bound(c) == Some(false) {
        let rule: &'static crate::catalog::RuleInfo = if order == Ordering::Less {
            &PVC_STORAGE_SHRINK
        } else {
            &PVC_STORAGE_EXPAND
        };
        c.report_as(
            rule,
            Severity::Error,
            field,
            "the claim is not bound yet; its requested size may change only once it is bound",
            PVC_SPEC_ERROR,
        );
        return;
    }
    if order == Ordering::Less {
        shrink(c, new);
    } else {
        expand(c);
    }
}

fn shrink(c: &mut Checker<'_>, new: &Value) {
    let field = "spec.resources.requests.storage";
    if c.at_least(1, 32) {
        let capacity = c.upd.old_at(&["status", "capacity", "storage"]);
        if capacity.is_some_and(|cap| quantity::compare(new, cap) == Some(Ordering::Greater)) {
            return;
        }
        c.report(
            &PVC_STORAGE_SHRINK,
            field,
            "a volume cannot shrink; a request may only go down to recover from a failed expansion, and must stay above the current capacity",
            "spec.resources.requests.storage: Forbidden: field can not be less than status.capacity",
        );
    } else {
        c.report(
            &PVC_STORAGE_SHRINK,
            field,
            "a volume cannot shrink",
            "spec.resources.requests.storage: Forbidden: field can not be less than previous value",
        );
    }
}

fn expand(c: &mut Checker<'_>) {
    let field = "spec.resources.requests.storage";
    let error = "persistentvolumeclaims \"NAME\" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize";
    let class = c
        .upd
        .new_str(&["spec", "storageClassName"])
        .filter(|s| !s.is_empty());
    let Some(class) = class else {
        if c.upd.mode == Mode::Apply {
            c.report_as(
                &PVC_STORAGE_EXPAND,
                Severity::Error,
                field,
                "the claim has no StorageClass, so nothing can expand its volume",
                error,
            );
        } else {
            c.report(&PVC_STORAGE_EXPAND, field, "growing a claim needs its StorageClass to allow volume expansion; git does not say which class the cluster assigned, and that cannot be known offline", error);
        }
        return;
    };
    let class = class.to_owned();
    match c.ctx.cluster.storage_classes.get(&class) {
        Some(facts) if facts.allow_volume_expansion => {
            if bound(c).is_none() {
                c.report_as(
                    &PVC_STORAGE_EXPAND,
                    Severity::Info,
                    field,
                    "the class allows expansion; the claim must be bound for the resize to be accepted",
                    error,
                );
            }
        }
        Some(_) => {
            let reason = format!("StorageClass {class:?} does not set allowVolumeExpansion: true");
            c.report_as(&PVC_STORAGE_EXPAND, Severity::Error, field, &reason, error);
        }
        None => {
            let reason = format!(
                "growing a bound claim is accepted only if StorageClass {class:?} has allowVolumeExpansion: true, which cannot be known offline (pass --expandable-storage-class or --fixed-storage-class, or Context::with_storage_class, to decide)"
            );
            c.report(&PVC_STORAGE_EXPAND, field, &reason, error);
        }
    }
}

fn volume_attributes_class(c: &mut Checker<'_>) {
    if attributes_class_unset(c, &PVC_VOLUME_ATTRIBUTES_CLASS) {
        return;
    }
    let path = ["spec", "volumeAttributesClassName"];
    if c.ctx.older_than(1, 34) && c.upd.changed(&path) {
        let severity = if c.ctx.older_than(1, 29) {
            Severity::Error
        } else {
            Severity::Warning
        };
        c.report_as(
            &PVC_VOLUME_ATTRIBUTES_CLASS,
            severity,
            "spec.volumeAttributesClassName",
            "before 1.34 changing the VolumeAttributesClass needs the VolumeAttributesClass feature gate",
            "spec.volumeAttributesClassName: Forbidden: update is forbidden when the VolumeAttributesClass feature gate is disabled",
        );
    }
}
