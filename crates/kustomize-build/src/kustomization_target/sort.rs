//! Output order: kustomize's legacy order by kind (its default) or `fifo` (input order), chosen
//! by the top kustomization's `sortOptions`.

use std::collections::HashMap;

use crate::value::Value;
use serde::Deserialize;

use crate::config::{ORDER_FIRST, ORDER_LAST};
use crate::error::{BuildError, Result};
use crate::resource::{ResId, Resource};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct SortOptions {
    order: String,
    legacy_sort_options: Option<LegacySortOptions>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct LegacySortOptions {
    order_first: Vec<String>,
    order_last: Vec<String>,
}

/// Sort `resources` as the top kustomization's `sortOptions` (or the legacy default) asks.
pub(crate) fn apply_sort_options(
    resources: &mut [Resource],
    options: Option<&Value>,
) -> Result<()> {
    let Some(options) = options else {
        legacy_sort(resources, ORDER_FIRST, ORDER_LAST);
        return Ok(());
    };
    let options: SortOptions = crate::value::from_value(options.clone())
        .map_err(|e| BuildError::Other(format!("invalid sortOptions: {e}")))?;
    match options.order.as_str() {
        "fifo" => {
            if options.legacy_sort_options.is_some() {
                return Err(BuildError::Other(
                    "the field 'sortOptions.legacySortOptions' is set but the selected sort order is 'fifo', not 'legacy'"
                        .to_owned(),
                ));
            }
            Ok(())
        }
        "legacy" => {
            match options.legacy_sort_options {
                Some(custom) => {
                    let first: Vec<&str> = custom.order_first.iter().map(String::as_str).collect();
                    let last: Vec<&str> = custom.order_last.iter().map(String::as_str).collect();
                    legacy_sort(resources, &first, &last);
                }
                None => legacy_sort(resources, ORDER_FIRST, ORDER_LAST),
            }
            Ok(())
        }
        _ => Err(BuildError::Other(
            "the field 'sortOptions.order' must be one of [fifo, legacy]".to_owned(),
        )),
    }
}

/// kustomize's `legacyIDSorter` (`api/internal/builtins/SortOrderTransformer.go`): by kind rank,
/// then group/version/kind, then one joined namespace-and-name string per object.
fn legacy_sort(resources: &mut [Resource], first: &[&str], last: &[&str]) {
    let mut rank: HashMap<&str, i64> = HashMap::new();
    let first_len = i64::try_from(first.len()).unwrap_or(i64::MAX);
    for (i, kind) in (0..).zip(first) {
        rank.insert(kind, i - first_len);
    }
    for (i, kind) in (1..).zip(last) {
        rank.insert(kind, i);
    }
    let key = |id: &ResId| {
        (
            rank.get(id.kind.as_str()).copied().unwrap_or(0),
            gvk_sort_string(id),
            id_sort_string(id),
        )
    };
    // Stable, and each key computed once; the objects move instead of being copied.
    resources.sort_by_cached_key(|r| key(&r.id()));
}

fn gvk_sort_string(id: &ResId) -> String {
    format!(
        "{}_{}_{}",
        or_mark(&id.group, "~G"),
        or_mark(&id.version, "~V"),
        or_mark(&id.kind, "~K")
    )
}

/// The tie-break within one GVK, kustomize's `legacyResIDSortString`: namespace and name joined
/// into one string, so that a namespace sorts against the `|` after a shorter one it starts with
/// (`foo-system|a` before `foo|a`, since `-` < `|`), not as a separate tuple field. kustomize
/// puts the GVK's own string form in front, which is the same for both sides of a tie.
fn id_sort_string(id: &ResId) -> String {
    format!(
        "{}|{}",
        or_mark(&id.namespace, "~X"),
        or_mark(&id.name, "~N")
    )
}

fn or_mark<'a>(value: &'a str, mark: &'a str) -> &'a str {
    if value.is_empty() {
        mark
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn kinds(resources: &[Resource]) -> Vec<&str> {
        resources.iter().map(Resource::kind).collect()
    }

    fn sample() -> Vec<Resource> {
        [
            "ValidatingWebhookConfiguration",
            "Zebra",
            "Deployment",
            "Namespace",
            "Apple",
        ]
        .into_iter()
        .map(|k| Resource::new(json!({"apiVersion": "v1", "kind": k, "metadata": {"name": "x"}})))
        .collect()
    }

    #[test]
    fn legacy_order_puts_known_kinds_first_and_webhooks_last() {
        let mut r = sample();
        apply_sort_options(&mut r, None).unwrap();
        assert_eq!(
            kinds(&r),
            [
                "Namespace",
                "Deployment",
                "Apple",
                "Zebra",
                "ValidatingWebhookConfiguration"
            ]
        );
    }

    #[test]
    fn fifo_keeps_input_order_and_bad_orders_fail() {
        let mut r = sample();
        apply_sort_options(&mut r, Some(&json!({"order": "fifo"}))).unwrap();
        assert_eq!(kinds(&r)[0], "ValidatingWebhookConfiguration");
        assert!(apply_sort_options(&mut r, Some(&json!({"legacySortOptions": {}}))).is_err());
    }

    #[test]
    fn ties_within_one_kind_compare_namespace_and_name_as_one_string() {
        let object = |namespace: Option<&str>, name: &str| {
            let mut metadata = json!({"name": name});
            if let Some(ns) = namespace {
                metadata["namespace"] = json!(ns);
            }
            Resource::new(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata}))
        };
        let mut r = vec![
            object(Some("foo"), "a"),
            object(None, "a"),
            object(Some("foo-system"), "a"),
            object(Some("foo"), "a-b"),
            object(Some("foo1"), "a"),
        ];
        apply_sort_options(&mut r, None).unwrap();
        let order: Vec<String> = r.iter().map(|r| id_sort_string(&r.id())).collect();
        assert_eq!(
            order,
            ["foo-system|a", "foo1|a", "foo|a", "foo|a-b", "~X|a"]
        );
    }
}
