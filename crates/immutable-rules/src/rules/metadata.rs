//! Rules every kind shares: identity (name, namespace, kind), `metadata.uid`,
//! `deletionTimestamp`, finalizers during deletion, and `status` sent with the object.

use serde_json::Value;

use super::Checker;
use crate::compare::is_vacuous;
use crate::identity::canonical_group;
use crate::update::Sent;
use crate::violation::{ObjectRef, Severity};

rule!(OBJECT_RENAMED, "object-renamed",
    kinds: ["*"], fields: ["metadata.name"],
    condition: "metadata.name differs: this is a different object; GitOps creates the new one and prunes the old one (delete + create, not an update)",
    versions: "all", severity: Info, remediations: [RenameBlueGreen, Revert]);
rule!(OBJECT_NAMESPACE_CHANGED, "object-namespace-changed",
    kinds: ["*"], fields: ["metadata.namespace"],
    condition: "metadata.namespace differs: this is a different object; GitOps creates it in the new namespace and prunes the old one",
    versions: "all", severity: Info, remediations: [Revert]);
rule!(OBJECT_KIND_CHANGED, "object-kind-changed",
    kinds: ["*"], fields: ["kind", "apiVersion"],
    condition: "kind or API group differs (version-only changes and historic group aliases excepted): this is a different object, created next to the old one, which is pruned",
    versions: "all", severity: Info, remediations: [Revert]);
rule!(METADATA_UID, "metadata-uid",
    kinds: ["*"], fields: ["metadata.uid"],
    condition: "a uid is sent and differs from the live uid (an absent uid is filled from the live object)",
    versions: "all", severity: Error, remediations: [DropField]);
rule!(METADATA_DELETION_TIMESTAMP, "metadata-deletion-timestamp",
    kinds: ["*"], fields: ["metadata.deletionTimestamp", "metadata.deletionGracePeriodSeconds"],
    condition: "the object sets deletionTimestamp or deletionGracePeriodSeconds while the live object has none",
    versions: "all", severity: Error, remediations: [DropField]);
rule!(METADATA_FINALIZERS_WHILE_DELETING, "metadata-finalizers-while-deleting",
    kinds: ["*"], fields: ["metadata.finalizers"],
    condition: "a finalizer is added while the live object is being deleted (deletionTimestamp set); removing finalizers is allowed",
    versions: "all", severity: Error, remediations: [Revert]);
rule!(METADATA_RESOURCE_VERSION, "metadata-resource-version",
    kinds: ["*"], fields: ["metadata.resourceVersion"],
    condition: "the applied manifest carries a resourceVersion that differs from the live one: it acts as an optimistic-lock precondition and the update conflicts (not immutability)",
    versions: "all",
    severity: Error, remediations: [DropField]);
rule!(STATUS_IGNORED, "status-ignored",
    kinds: ["*"], fields: ["status"],
    condition: "the manifest carries a status that differs from the live one: the server resets status on a main-resource update, so the change has no effect",
    versions: "all", severity: Info, remediations: [DropField]);

/// Report an identity change; returns `true` when the update is really a replacement, in which
/// case no other rule applies.
pub(super) fn identity_changed(c: &mut Checker<'_>) -> bool {
    let old = ObjectRef::of(c.upd.old);
    let new = c.object;
    if !old.kind.is_empty()
        && !new.kind.is_empty()
        && (old.kind != new.kind
            || canonical_group(&old.group, &old.kind) != canonical_group(&new.group, &new.kind))
    {
        let field = if old.kind == new.kind {
            "apiVersion"
        } else {
            "kind"
        };
        let reason = format!(
            "{} {} becomes {} {}: a different object, not an update",
            old.api_version(),
            old.kind,
            new.api_version(),
            new.kind
        );
        c.report(
            &OBJECT_KIND_CHANGED,
            field,
            &reason,
            "none: GitOps creates the new object and prunes the old one",
        );
        return true;
    }
    if !old.name.is_empty() && !new.name.is_empty() && old.name != new.name {
        let reason = format!(
            "renamed from {} to {}: GitOps creates {} and prunes {}",
            old.name, new.name, new.name, old.name
        );
        let error = format!(
            "a PUT to the old URL would fail with: the name of the object ({}) does not match the name on the URL ({})",
            new.name, old.name
        );
        c.report(&OBJECT_RENAMED, "metadata.name", &reason, &error);
        return true;
    }
    if let (Some(old_ns), Some(new_ns)) = (&old.namespace, &new.namespace) {
        if old_ns != new_ns {
            let reason = format!("moved from namespace {old_ns} to {new_ns}: a different object");
            c.report(
                &OBJECT_NAMESPACE_CHANGED,
                "metadata.namespace",
                &reason,
                "the namespace of the provided object does not match the namespace sent on the request",
            );
            return true;
        }
    }
    false
}

/// Metadata rules every kind shares.
pub(super) fn check(c: &mut Checker<'_>) {
    let upd = c.upd;
    if let (Some(old), Some(Value::String(new))) = (
        upd.old_str(&["metadata", "uid"]),
        upd.new_at(&["metadata", "uid"]),
    ) {
        if !new.is_empty() && old != new {
            c.report(
                &METADATA_UID,
                "metadata.uid",
                "the uid names one particular incarnation of the object; a manifest must not carry another one",
                "metadata.uid: Invalid value: ...: field is immutable (PUT: 409 Conflict: Precondition failed: UID in precondition: ..., UID in object meta: ...)",
            );
        }
    }
    if upd.mode == crate::context::Mode::Apply {
        if let (Some(live), Some(Value::String(sent))) = (
            upd.old_str(&["metadata", "resourceVersion"]),
            upd.new_at(&["metadata", "resourceVersion"]),
        ) {
            if !sent.is_empty() && live != sent {
                c.report(
                    &METADATA_RESOURCE_VERSION,
                    "metadata.resourceVersion",
                    "a resourceVersion in the manifest is a precondition; the live object has moved on, so the update is refused with a conflict",
                    "409 Conflict: Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again",
                );
            }
        }
    }
    let live_deleting = upd.old_at(&["metadata", "deletionTimestamp"]).is_some();
    for key in ["deletionTimestamp", "deletionGracePeriodSeconds"] {
        if !live_deleting && upd.old_at(&["metadata", key]).is_none() {
            if let Sent::Value(v) = upd.sent(&["metadata", key]) {
                if !is_vacuous(v) {
                    let field = format!("metadata.{key}");
                    let error = format!("{field}: Invalid value: ...: field is immutable");
                    c.report(
                        &METADATA_DELETION_TIMESTAMP,
                        &field,
                        "deletion is requested with DELETE, not by setting the field in an update",
                        &error,
                    );
                }
            }
        }
    }
    if live_deleting {
        let old: Vec<&str> = upd
            .old_at(&["metadata", "finalizers"])
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Sent::Value(Value::Array(new)) = upd.sent(&["metadata", "finalizers"]) {
            let added: Vec<&str> = new
                .iter()
                .filter_map(Value::as_str)
                .filter(|f| !old.contains(f))
                .collect();
            if !added.is_empty() {
                let error = format!(
                    "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers {added:?}"
                );
                c.report(
                    &METADATA_FINALIZERS_WHILE_DELETING,
                    "metadata.finalizers",
                    "the live object is being deleted; only removing finalizers is allowed",
                    &error,
                );
            }
        }
    }
    if let Sent::Value(status) = upd.sent(&["status"]) {
        if !is_vacuous(status) && upd.changed(&["status"]) {
            c.report_as(
                &STATUS_IGNORED,
                Severity::Info,
                "status",
                "status is written through the status subresource; the server discards it on a normal update",
                "none: accepted, status silently reset to the live value",
            );
        }
    }
}
