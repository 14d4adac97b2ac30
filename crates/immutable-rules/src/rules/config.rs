//! ConfigMap and Secret (`v1`): once `immutable: true` is live, data and the flag itself freeze;
//! a Secret's `type` never changes (omitted means `Opaque`).

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::Value;

use super::Checker;
use crate::catalog::RuleInfo;
use crate::context::Mode;
use crate::update::Sent;

rule!(CONFIGMAP_IMMUTABLE_DATA, "configmap-immutable-data",
    kinds: ["ConfigMap"], fields: ["data", "binaryData"],
    condition: "data or binaryData changes while the live ConfigMap has immutable: true (turning immutable on together with a data change is allowed)",
    versions: "1.21+ (GA)",
    severity: Error, remediations: [RenameBlueGreen, Recreate, FluxForce]);
rule!(CONFIGMAP_IMMUTABLE_FLAG, "configmap-immutable-flag",
    kinds: ["ConfigMap"], fields: ["immutable"],
    condition: "immutable goes from true to false or unset",
    versions: "1.21+ (GA)",
    severity: Error, remediations: [Recreate, RenameBlueGreen, Revert]);
rule!(SECRET_IMMUTABLE_DATA, "secret-immutable-data",
    kinds: ["Secret"], fields: ["data", "stringData"],
    condition: "data (stringData is merged into data first) changes while the live Secret has immutable: true",
    versions: "1.21+ (GA)",
    severity: Error, remediations: [RenameBlueGreen, Recreate, FluxForce]);
rule!(SECRET_IMMUTABLE_FLAG, "secret-immutable-flag",
    kinds: ["Secret"], fields: ["immutable"],
    condition: "immutable goes from true to false or unset",
    versions: "1.21+ (GA)",
    severity: Error, remediations: [Recreate, RenameBlueGreen, Revert]);
rule!(SECRET_TYPE, "secret-type",
    kinds: ["Secret"], fields: ["type"],
    condition: "type changes; an omitted type is defaulted to Opaque before comparison (removing type from git turns it into Opaque)",
    versions: "all",
    severity: Error, remediations: [Revert, Recreate, RenameBlueGreen]);

const IMMUTABLE_ERROR: &str = "immutable: Forbidden: field is immutable when `immutable` is set";

/// ConfigMap rules.
pub(super) fn configmap(c: &mut Checker<'_>) {
    if !c.upd.old_true(&["immutable"]) {
        return;
    }
    immutable_flag(c, &CONFIGMAP_IMMUTABLE_FLAG);
    for key in ["data", "binaryData"] {
        if let Some(field) = c.upd.difference(&[key]) {
            let error = format!("{key}: Forbidden: field is immutable when `immutable` is set");
            c.report(
                &CONFIGMAP_IMMUTABLE_DATA,
                &field,
                "the live ConfigMap is immutable; ship the new content under a new name (e.g. a hash suffix)",
                &error,
            );
        }
    }
}

/// Secret rules.
pub(super) fn secret(c: &mut Checker<'_>) {
    c.immutable_defaulted(
        &SECRET_TYPE,
        &["type"],
        "Opaque",
        "type: Invalid value: ...: field is immutable",
    );
    if !c.upd.old_true(&["immutable"]) {
        return;
    }
    immutable_flag(c, &SECRET_IMMUTABLE_FLAG);
    let old = effective_data(c.upd.old);
    let new = match c.upd.mode {
        Mode::Git => effective_data(c.upd.new),
        Mode::Apply => {
            let mut data = old.clone();
            match c.upd.sent(&["data"]) {
                Sent::Null => data.clear(),
                Sent::Value(Value::Object(sent)) => {
                    for (k, v) in sent {
                        match v.as_str() {
                            Some(s) => data.insert(k.clone(), s.to_owned()),
                            None => data.remove(k),
                        };
                    }
                }
                _ => {}
            }
            add_string_data(&mut data, c.upd.new);
            data
        }
    };
    if let Some(key) = old
        .keys()
        .chain(new.keys())
        .find(|k| old.get(*k) != new.get(*k))
    {
        let field = format!("data.{key}");
        c.report(
            &SECRET_IMMUTABLE_DATA,
            &field,
            "the live Secret is immutable; ship the new content under a new name",
            "data: Forbidden: field is immutable when `immutable` is set",
        );
    }
}

fn immutable_flag(c: &mut Checker<'_>, rule: &'static RuleInfo) {
    let path = ["immutable"];
    let unset = match (c.upd.sent(&path), c.upd.mode) {
        (Sent::Absent, Mode::Apply) => false,
        (Sent::Value(v), _) => v.as_bool() != Some(true),
        _ => true,
    };
    if unset {
        c.report(
            rule,
            "immutable",
            "an immutable object stays immutable; delete and recreate it to make it mutable again",
            IMMUTABLE_ERROR,
        );
    }
}

/// `data` with `stringData` merged in (base64-encoded), as the server stores it.
fn effective_data(object: &Value) -> BTreeMap<String, String> {
    let mut data: BTreeMap<String, String> = object
        .get("data")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    add_string_data(&mut data, object);
    data
}

fn add_string_data(data: &mut BTreeMap<String, String>, object: &Value) {
    if let Some(Value::Object(string_data)) = object.get("stringData") {
        for (k, v) in string_data {
            if let Some(s) = v.as_str() {
                data.insert(
                    k.clone(),
                    base64::engine::general_purpose::STANDARD.encode(s),
                );
            }
        }
    }
}
