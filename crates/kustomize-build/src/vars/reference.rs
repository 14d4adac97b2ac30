//! The fields kustomize substitutes `$(VAR)` in by default (its builtin `varReference` config).
//!
//! The table is written compactly: the container fields of every pod-carrying kind, plus a few
//! single fields. Its quirks are kustomize's and are kept on purpose, because output must match:
//! a `CronJob`'s NFS server is looked up at `spec/jobTemplate/spec/template/volumes` (without the
//! pod `spec`), a `StatefulSet`'s at `spec/volumeClaimTemplates/spec` rather than in its pod
//! template, and only Deployments have their pod template annotations substituted.

use crate::fieldspec::FieldSpec;

/// Kinds with containers, and the path to their pod spec.
const POD_SPECS: &[(&str, &str)] = &[
    ("CronJob", "spec/jobTemplate/spec/template/spec"),
    ("DaemonSet", "spec/template/spec"),
    ("Deployment", "spec/template/spec"),
    ("Job", "spec/template/spec"),
    ("Pod", "spec"),
    ("ReplicaSet", "spec/template/spec"),
    ("StatefulSet", "spec/template/spec"),
];

/// Container fields substituted in every pod spec, for `containers` and `initContainers`.
const CONTAINER_FIELDS: &[&str] = &["args", "command", "env/value", "volumeMounts/mountPath"];

/// Single fields of particular kinds.
const KIND_FIELDS: &[(&str, &str)] = &[
    (
        "CronJob",
        "spec/jobTemplate/spec/template/volumes/nfs/server",
    ),
    ("DaemonSet", "spec/template/spec/volumes/nfs/server"),
    ("Deployment", "spec/template/spec/volumes/nfs/server"),
    ("Deployment", "spec/template/metadata/annotations"),
    ("Ingress", "spec/rules/host"),
    ("Ingress", "spec/tls/hosts"),
    ("Ingress", "spec/tls/secretName"),
    ("Job", "spec/template/spec/volumes/nfs/server"),
    ("Pod", "spec/volumes/nfs/server"),
    ("ReplicaSet", "spec/template/spec/volumes/nfs/server"),
    ("Service", "spec/ports/port"),
    ("Service", "spec/ports/targetPort"),
    ("StatefulSet", "spec/volumeClaimTemplates/spec/nfs/server"),
    ("PersistentVolume", "spec/nfs/server"),
];

/// Fields of every kind.
const ALL_KINDS_FIELDS: &[&str] = &["metadata/labels", "metadata/annotations"];

/// kustomize's default `varReference` field specs.
pub fn default_var_reference() -> Vec<FieldSpec> {
    let mut specs = Vec::new();
    for (kind, pod_spec) in POD_SPECS {
        for list in ["containers", "initContainers"] {
            for field in CONTAINER_FIELDS {
                specs.push(FieldSpec::new(&format!("{pod_spec}/{list}/{field}")).kind(kind));
            }
        }
    }
    specs.extend(
        KIND_FIELDS
            .iter()
            .map(|(kind, path)| FieldSpec::new(path).kind(kind)),
    );
    specs.extend(ALL_KINDS_FIELDS.iter().map(|path| FieldSpec::new(path)));
    specs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_kustomizes_entries() {
        let specs = default_var_reference();
        // 7 pod kinds × 2 container lists × 4 fields, 14 single fields, 2 for all kinds.
        assert_eq!(specs.len(), 7 * 2 * 4 + 14 + 2);
        let has = |kind: &str, path: &str| specs.iter().any(|s| s.kind == kind && s.path == path);
        assert!(has(
            "CronJob",
            "spec/jobTemplate/spec/template/spec/initContainers/volumeMounts/mountPath"
        ));
        assert!(has("Pod", "spec/containers/env/value"));
        assert!(has("Service", "spec/ports/targetPort"));
        assert!(has("", "metadata/labels"));
        assert!(!has("StatefulSet", "spec/template/spec/volumes/nfs/server"));
    }
}
