//! Event through `events.k8s.io/v1` (`ValidateEventUpdate`): what the event is about and who
//! reported it are fixed; note, series and deprecated counters may change. Updates through the core
//! `v1` Event API skip these checks for backward compatibility.

use super::Checker;

rule!(EVENT_FIXED_FIELDS, "event-fixed-fields",
    kinds: ["Event.events.k8s.io"], fields: ["regarding", "related", "reason", "type", "action", "eventTime", "reportingController", "reportingInstance"],
    condition: "one of these fields changes on an update sent through events.k8s.io (core v1 Event updates are not checked)",
    versions: "all (events.k8s.io/v1 since 1.19)",
    severity: Error, remediations: [Recreate]);

/// The fields of an `events.k8s.io/v1` Event that an update may not change, with the names of the
/// internal fields the server reports (`involvedObject` is `regarding` in `events.k8s.io/v1`).
const FIXED: &[(&str, &str)] = &[
    ("regarding", "involvedObject"),
    ("reason", "reason"),
    ("type", "type"),
    ("eventTime", "eventTime"),
    ("action", "action"),
    ("related", "related"),
    ("reportingController", "reportingController"),
    ("reportingInstance", "reportingInstance"),
];

/// Event rules, only when both sides use the `events.k8s.io` shape.
pub(super) fn event(c: &mut Checker<'_>) {
    let events_api = |object: &serde_json::Value| {
        object
            .get("apiVersion")
            .and_then(serde_json::Value::as_str)
            .is_some_and(|v| v.starts_with("events.k8s.io/"))
    };
    if !events_api(c.upd.old) || !events_api(c.upd.new) {
        return;
    }
    for (field, internal) in FIXED {
        let error = format!("{internal}: Invalid value: ...: field is immutable");
        c.immutable_subtree(
            &EVENT_FIXED_FIELDS,
            &[field],
            "an event records one occurrence; what it is about and who reported it cannot change (update note or series instead)",
            &error,
        );
    }
}
