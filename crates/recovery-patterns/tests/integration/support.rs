//! Helpers shared by the integration tests.

use std::sync::LazyLock;

use recovery_patterns::{Action, Classification, PatternSet};

/// The built-in set, compiled once for all tests.
pub(crate) static BUILTIN: LazyLock<PatternSet> = LazyLock::new(PatternSet::builtin);

/// Classify with the built-ins and fail with the message when nothing matches.
pub(crate) fn classify(message: &str, carrier: Option<&str>) -> Classification {
    BUILTIN
        .classify(message, carrier)
        .unwrap_or_else(|| panic!("no built-in pattern matched: {message}"))
}

/// Assert the action and return the classification for further checks.
pub(crate) fn expect_action(
    message: &str,
    carrier: Option<&str>,
    action: &Action,
) -> Classification {
    let found = classify(message, carrier);
    assert_eq!(
        &found.action, action,
        "pattern {} for: {message}",
        found.pattern
    );
    found
}

/// `(kind, namespace, name, field)` of the classification's target.
pub(crate) fn target_of(
    found: &Classification,
) -> Option<(String, Option<String>, String, Option<String>)> {
    found.target.as_ref().map(|t| {
        (
            t.kind.clone(),
            t.namespace.clone(),
            t.name.clone(),
            t.field.clone(),
        )
    })
}

/// Build the tuple `target_of` returns.
#[allow(clippy::unnecessary_wraps)] // compared with `target_of`'s `Option` result
pub(crate) fn t(
    kind: &str,
    ns: Option<&str>,
    name: &str,
    field: Option<&str>,
) -> Option<(String, Option<String>, String, Option<String>)> {
    Some((
        kind.to_owned(),
        ns.map(str::to_owned),
        name.to_owned(),
        field.map(str::to_owned),
    ))
}
