//! CustomResourceDefinition (`apiextensions.k8s.io/v1`): group and plural never change; scope and
//! kind are fixed once the CRD is Established; stored versions must stay in `spec.versions`.

use serde_json::Value;

use super::Checker;
use crate::context::Mode;
use crate::update::Sent;

rule!(CRD_GROUP, "crd-group",
    kinds: ["CustomResourceDefinition.apiextensions.k8s.io"], fields: ["spec.group"],
    condition: "spec.group changes (the CRD name is <plural>.<group>)",
    versions: "all",
    severity: Error, remediations: [RenameBlueGreen, Revert]);
rule!(CRD_NAMES_PLURAL, "crd-names-plural",
    kinds: ["CustomResourceDefinition.apiextensions.k8s.io"], fields: ["spec.names.plural"],
    condition: "spec.names.plural changes",
    versions: "all",
    severity: Error, remediations: [RenameBlueGreen, Revert]);
rule!(CRD_SCOPE, "crd-scope",
    kinds: ["CustomResourceDefinition.apiextensions.k8s.io"], fields: ["spec.scope"],
    condition: "spec.scope changes on an Established CRD",
    versions: "all",
    severity: Error, remediations: [Revert, Recreate]);
rule!(CRD_NAMES_KIND, "crd-names-kind",
    kinds: ["CustomResourceDefinition.apiextensions.k8s.io"], fields: ["spec.names.kind"],
    condition: "spec.names.kind changes on an Established CRD",
    versions: "all",
    severity: Error, remediations: [Revert, Recreate]);
rule!(CRD_STORED_VERSIONS, "crd-stored-versions",
    kinds: ["CustomResourceDefinition.apiextensions.k8s.io"], fields: ["spec.versions"],
    condition: "a version listed in status.storedVersions (objects may still be stored in it) is removed from spec.versions",
    versions: "all",
    severity: Error, remediations: [Revert]);

rule!(CRD_STORAGE_VERSION_COUNT, "crd-storage-version-count",
    kinds: ["CustomResourceDefinition.apiextensions.k8s.io"], fields: ["spec.versions[].storage"],
    condition: "after the update not exactly one version has storage: true: git marks none, or moves storage: true to another version while the old version keeps its true (apply keeps the live value when git omits the field)",
    versions: "all",
    severity: Error, remediations: [ClearKeptField, Revert]);

rule!(CRD_CONVERSION_WEBHOOK_KEPT, "crd-conversion-webhook-kept",
    kinds: ["CustomResourceDefinition.apiextensions.k8s.io"], fields: ["spec.conversion.strategy", "spec.conversion.webhook"],
    condition: "conversion.strategy stops being Webhook while part of conversion.webhook survives: typically the caBundle cert-manager's cainjector owns (git mode: the old CRD has a cert-manager.io/inject-ca-from* annotation)",
    versions: "all (apiextensions.k8s.io/v1)",
    severity: Error, remediations: [ClearKeptField, Revert]);

/// Whether the live CRD is Established (git mode cannot tell; an applied CRD almost always is).
fn established(c: &Checker<'_>) -> bool {
    if c.upd.mode == Mode::Git {
        return true;
    }
    c.upd
        .old_at(&["status", "conditions"])
        .and_then(Value::as_array)
        .is_some_and(|conditions| {
            conditions.iter().any(|cond| {
                cond.get("type").and_then(Value::as_str) == Some("Established")
                    && cond.get("status").and_then(Value::as_str) == Some("True")
            })
        })
}

fn names(list: Option<&Value>, only_storage: bool) -> Vec<String> {
    list.and_then(Value::as_array)
        .map(|versions| {
            versions
                .iter()
                .filter(|v| {
                    !only_storage || v.get("storage").and_then(Value::as_bool) == Some(true)
                })
                .filter_map(|v| v.get("name").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// CRD rules.
pub(super) fn check(c: &mut Checker<'_>) {
    c.immutable_defaulted(
        &CRD_GROUP,
        &["spec", "group"],
        "",
        "spec.group: Invalid value: ...: field is immutable",
    );
    c.immutable_defaulted(
        &CRD_NAMES_PLURAL,
        &["spec", "names", "plural"],
        "",
        "spec.names.plural: Invalid value: ...: field is immutable",
    );
    if established(c) {
        c.immutable_defaulted(
            &CRD_SCOPE,
            &["spec", "scope"],
            "",
            "spec.scope: Invalid value: ...: field is immutable",
        );
        c.immutable_defaulted(
            &CRD_NAMES_KIND,
            &["spec", "names", "kind"],
            "",
            "spec.names.kind: Invalid value: ...: field is immutable",
        );
    }
    stored_versions(c);
    storage_version_count(c);
    conversion_webhook_kept(c);
}

/// Annotations that make cert-manager's cainjector write `spec.conversion.webhook.clientConfig.caBundle`
/// with its own field manager.
const CA_INJECTION_ANNOTATIONS: &[&str] = &[
    "cert-manager.io/inject-ca-from",
    "cert-manager.io/inject-ca-from-secret",
    "cert-manager.io/inject-apiserver-ca",
];

/// `validateCustomResourceConversion`: without strategy Webhook, `webhook.clientConfig` and
/// `webhook.conversionReviewVersions` are forbidden (and an emptied strategy is required).
fn conversion_webhook_kept(c: &mut Checker<'_>) {
    let strategy = ["spec", "conversion", "strategy"];
    let webhook = ["spec", "conversion", "webhook"];
    let old_strategy = c.upd.old_str(&strategy);
    let new_strategy = c.upd.new_str(&strategy);
    if new_strategy == Some("Webhook") || old_strategy != Some("Webhook") {
        return;
    }
    let injected = |object: &Value| {
        CA_INJECTION_ANNOTATIONS.iter().any(|key| {
            object
                .pointer(&format!("/metadata/annotations/{}", key.replace('/', "~1")))
                .is_some()
        })
    };
    // Git mode: what survives is what git never owned, i.e. the injected caBundle.
    let kept_by_injector = c.upd.mode == Mode::Git && injected(c.upd.old);
    let survives = match (c.upd.sent(&webhook), c.upd.mode) {
        (Sent::Value(v), _) => !crate::compare::is_vacuous(v),
        (Sent::Null, Mode::Apply) => false,
        (Sent::Absent, Mode::Apply) => c.upd.old_at(&webhook).is_some(),
        (Sent::Null | Sent::Absent, Mode::Git) => kept_by_injector,
    };
    if !survives {
        return;
    }
    let advice = if kept_by_injector {
        super::kept::advice_owned_by(
            c,
            &webhook,
            "cert-manager's cainjector writes its caBundle with its own field manager and git never owned it",
        )
    } else {
        super::kept::advice(c, &webhook)
    };
    let mut reason = format!(
        "strategy {} forbids a conversion webhook, and the update keeps part of it: {advice}",
        new_strategy.unwrap_or("(unset)"),
    );
    if injected(c.upd.old) || injected(c.upd.new) {
        reason.push_str("; remove the cert-manager.io/inject-ca-from annotation in the same change, or cainjector writes caBundle back");
    }
    let forbidden = "spec.conversion.webhookClientConfig: Forbidden: should not be set when strategy is not set to Webhook";
    let error = if new_strategy.is_none() {
        format!("spec.conversion.strategy: Required value, {forbidden}")
    } else {
        forbidden.to_owned()
    };
    c.report(
        &CRD_CONVERSION_WEBHOOK_KEPT,
        "spec.conversion.webhook",
        &reason,
        &error,
    );
}

/// `validateCustomResourceDefinitionSpec`: exactly one version is the storage version, counted on
/// the object apply produces (entries of `spec.versions` are merged by name).
fn storage_version_count(c: &mut Checker<'_>) {
    let path = ["spec", "versions"];
    let Sent::Value(Value::Array(sent)) = c.upd.sent(&path) else {
        return;
    };
    if sent.is_empty() || !c.upd.changed(&path) {
        return;
    }
    let Some(Value::Array(merged)) = c.upd.merged_at(&path) else {
        return;
    };
    let storage: Vec<(usize, &str)> = merged
        .iter()
        .enumerate()
        .filter(|(_, v)| v.get("storage").and_then(Value::as_bool) == Some(true))
        .map(|(i, v)| (i, v.get("name").and_then(Value::as_str).unwrap_or("")))
        .collect();
    if storage.len() == 1 {
        return;
    }
    let reason = if storage.is_empty() {
        "no version is marked storage: true; mark exactly one version (normally the newest) storage: true in git".to_owned()
    } else {
        // The versions whose `storage: true` git did not send survive from the live object.
        let kept: Vec<String> = storage
            .iter()
            .filter(|(i, _)| sent.get(*i).and_then(|v| v.get("storage")).is_none())
            .map(|(_, name)| format!("`storage: false` on version {name}"))
            .collect();
        let names: Vec<&str> = storage.iter().map(|(_, name)| *name).collect();
        if kept.is_empty() {
            format!(
                "versions {} are all marked storage: true; keep storage: true on one of them in git",
                names.join(", ")
            )
        } else {
            format!(
                "versions {} end up marked storage: true because apply keeps the live storage: true of a version when git omits the field: write {} in git",
                names.join(", "),
                kept.join(" and ")
            )
        }
    };
    c.report(
        &CRD_STORAGE_VERSION_COUNT,
        "spec.versions",
        &reason,
        "spec.versions: Invalid value: ...: must have exactly one version marked as storage version",
    );
}

fn stored_versions(c: &mut Checker<'_>) {
    let path = ["spec", "versions"];
    let new = match (c.upd.sent(&path), c.upd.mode) {
        (Sent::Absent, Mode::Apply) => return,
        (Sent::Value(v), _) => names(Some(v), false),
        _ => Vec::new(),
    };
    let mut stored: Vec<String> = c
        .upd
        .old_at(&["status", "storedVersions"])
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if stored.is_empty() {
        stored = names(c.upd.old_at(&path), true);
    }
    if let Some((i, missing)) = stored.iter().enumerate().find(|(_, v)| !new.contains(v)) {
        let error = format!(
            "status.storedVersions[{i}]: Invalid value: \"{missing}\": missing from spec.versions; {missing} was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in {missing} and removes {missing} from status.storedVersions"
        );
        let reason = format!(
            "objects may still be stored as {missing}; keep it in spec.versions with served: false until a storage migration removes it from status.storedVersions"
        );
        c.report(&CRD_STORED_VERSIONS, "spec.versions", &reason, &error);
    }
}
