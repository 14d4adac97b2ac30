//! The `rule!` macro that defines built-in rules.

/// Define a built-in rule as a `static RuleInfo`.
macro_rules! rule {
    ($name:ident, $id:literal, kinds: [$($k:literal),* $(,)?], fields: [$($f:literal),* $(,)?],
     condition: $c:expr, versions: $v:expr, severity: $s:ident, remediations: [$($r:ident),* $(,)?]) => {
        pub(crate) static $name: $crate::catalog::RuleInfo = $crate::catalog::RuleInfo {
            id: $id,
            kinds: &[$($k),*],
            fields: &[$($f),*],
            condition: $c,
            versions: $v,
            severity: $crate::violation::Severity::$s,
            remediations: &[$($crate::violation::Remediation::$r),*],
        };
    };
}
