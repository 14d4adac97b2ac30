//! kustomize's `IAMPolicyGenerator`: a GKE Workload Identity `ServiceAccount`.

use crate::{json, value::Value};
use serde::{Deserialize, Serialize};

use crate::error::{BuildError, Result};
use crate::loader::Loader;
use crate::plugin::Generator;
use crate::resource::Resource;

/// The Kubernetes service account to create.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KubernetesService {
    /// Its namespace, if any.
    #[serde(default)]
    pub namespace: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
}

/// The cloud IAM service account it acts as.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudServiceAccount {
    /// Account name.
    #[serde(default)]
    pub name: String,
    /// Project the account lives in.
    #[serde(default)]
    pub project_id: String,
}

/// `IAMPolicyGenerator`: only `cloud: gke` is supported, as in kustomize.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IamPolicyGenerator {
    /// The cloud provider.
    #[serde(default)]
    pub cloud: String,
    /// The Kubernetes service account.
    #[serde(default)]
    pub kubernetes_service: KubernetesService,
    /// The cloud service account.
    #[serde(default)]
    pub service_account: CloudServiceAccount,
}

impl Generator for IamPolicyGenerator {
    fn generate(&self, _loader: &Loader<'_>) -> Result<Vec<Resource>> {
        if self.cloud != "gke" {
            return Err(BuildError::Plugin {
                plugin: "IAMPolicyGenerator",
                reason: format!("cloud provider {} not supported yet", self.cloud),
            });
        }
        let mut metadata = json!({
            "annotations": {
                "iam.gke.io/gcp-service-account": format!(
                    "{}@{}.iam.gserviceaccount.com",
                    self.service_account.name, self.service_account.project_id
                )
            },
            "name": self.kubernetes_service.name,
        });
        if !self.kubernetes_service.namespace.is_empty() {
            metadata["namespace"] = Value::String(self.kubernetes_service.namespace.clone());
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
    fn makes_a_gke_service_account() {
        let generator: IamPolicyGenerator = crate::value::from_value(json!({
            "apiVersion": "builtin", "kind": "IAMPolicyGenerator", "metadata": {"name": "g"},
            "cloud": "gke", "kubernetesService": {"name": "k8s-sa", "namespace": "ns"},
            "serviceAccount": {"name": "gsa", "projectId": "proj"}
        }))
        .unwrap();
        let fs = MemFs::new();
        let loader = Loader::new(&fs, Path::new("/"), LoadRestrictions::RootOnly);
        let out = generator.generate(&loader).unwrap();
        assert_eq!(
            out[0].object(),
            &json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {
                "annotations": {"iam.gke.io/gcp-service-account": "gsa@proj.iam.gserviceaccount.com"},
                "name": "k8s-sa", "namespace": "ns"}})
        );
        let aws = IamPolicyGenerator {
            cloud: "aws".into(),
            ..generator
        };
        assert!(aws.generate(&loader).is_err());
    }
}
