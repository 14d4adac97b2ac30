//! RuntimeClass (`node.k8s.io/v1`): the handler is fixed (`ValidateRuntimeClassUpdate`); overhead
//! and scheduling are mutable.

use super::Checker;

rule!(RUNTIMECLASS_HANDLER, "runtimeclass-handler",
    kinds: ["RuntimeClass.node.k8s.io"], fields: ["handler"],
    condition: "handler changes (overhead and scheduling may change)",
    versions: "all (node.k8s.io/v1 since 1.20)",
    severity: Error, remediations: [RenameBlueGreen, Recreate, Revert]);

/// RuntimeClass rules.
pub(super) fn runtime_class(c: &mut Checker<'_>) {
    if c.immutable_defaulted(
        &RUNTIMECLASS_HANDLER,
        &["handler"],
        "",
        "handler: Invalid value: ...: field is immutable",
    ) {
        if let Some(last) = c.out.last_mut() {
            "pods name a RuntimeClass to pick the container runtime handler on the node; the handler of an existing class cannot change under them. Create a RuntimeClass with a new name and move the pods' runtimeClassName to it".clone_into(&mut last.reason);
        }
    }
}
