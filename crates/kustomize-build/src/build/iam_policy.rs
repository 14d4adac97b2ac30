//! kustomize's `IAMPolicyGenerator` builtin: a Kubernetes `ServiceAccount` bound to a cloud
//! service account through GKE workload identity.

use serde::Deserialize;
use serde_json::json;

use crate::error::{BuildError, Result};
use crate::loader::Loader;
use crate::plugin::Generator;
use crate::resource::Resource;

/// The generator's configuration (`apiVersion: builtin`, `kind: IAMPolicyGenerator`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct IamPolicyGenerator {
    cloud: String,
    kubernetes_service: KubernetesService,
    service_account: ServiceAccount,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct KubernetesService {
    namespace: String,
    name: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ServiceAccount {
    name: String,
    project_id: String,
}

impl Generator for IamPolicyGenerator {
    fn generate(&self, _loader: &Loader<'_>) -> Result<Vec<Resource>> {
        if self.cloud != "gke" {
            return Err(BuildError::Other(format!(
                "IAMPolicyGenerator: cloud '{}' is not supported; only 'gke' is",
                self.cloud
            )));
        }
        let mut metadata = json!({
            "name": self.kubernetes_service.name,
            "annotations": {
                "iam.gke.io/gcp-service-account": format!(
                    "{}@{}.iam.gserviceaccount.com",
                    self.service_account.name, self.service_account.project_id
                ),
            },
        });
        if !self.kubernetes_service.namespace.is_empty() {
            metadata["namespace"] = json!(self.kubernetes_service.namespace);
        }
        Ok(vec![Resource::new(json!({
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": metadata,
        }))])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::MemFs;
    use crate::loader::LoadRestrictions;
    use std::path::Path;

    #[test]
    fn makes_an_annotated_service_account() {
        let generator: IamPolicyGenerator = serde_json::from_value(json!({
            "cloud": "gke",
            "kubernetesService": {"name": "k8s-sa", "namespace": "ns"},
            "serviceAccount": {"name": "gsa", "projectId": "p"},
        }))
        .unwrap();
        let fs = MemFs::new();
        let made = generator
            .generate(&Loader::new(
                &fs,
                Path::new("/"),
                LoadRestrictions::RootOnly,
            ))
            .unwrap();
        assert_eq!(
            made[0].annotation("iam.gke.io/gcp-service-account"),
            Some("gsa@p.iam.gserviceaccount.com")
        );
        assert_eq!(made[0].namespace(), "ns");
    }
}
