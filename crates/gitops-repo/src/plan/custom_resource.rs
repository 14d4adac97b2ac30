//! What a migration says about a custom resource whose CRD's transition rule (`self ==
//! oldSelf`…) refuses the change: the API server answers such an update `422 Invalid`, which
//! kustomize-controller treats as immutable and, with the force annotation, answers by
//! deleting and recreating the object (`fluxcd/pkg` `ssa/errors/immutable.go`,
//! `IsImmutableError`: every `Invalid` error counts). So the strategies of the built-in kinds
//! carry over unchanged: recreate by default, keep (the revert) with `update-strategy:
//! rolling`, blue-green when asked for. What differs is the cost of recreating: the resource's
//! own controller sees a deletion, and what it does then is its own.

use super::Strategy;

/// The id of the rule `check` reports for a CRD's transition rule.
pub(super) const CRD_TRANSITION_RULE: &str = "crd-transition-rule";

/// `reason` for a migration of `kind` under `strategy`, with what recreating a custom
/// resource costs when the plan recreates one.
pub(super) fn reason(kind: &str, strategy: Strategy, reason: String) -> String {
    if strategy != Strategy::Recreate {
        return reason;
    }
    format!(
        "{reason}: its CRD's transition rule refuses the change in place, so the {kind} is deleted and created again; its controller handles the deletion first (finalizers, what it manages): make sure deleting it does not delete data it manages, else choose `update-strategy: rolling` to keep the old value"
    )
}
