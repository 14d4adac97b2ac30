//! The embedded schemas of the built-in kinds, one gzipped file per Kubernetes release
//! (`data/kubernetes-X.Y.json.gz`, written by `scripts/regen-api-schemas`).

use crate::error::Error;
use crate::schema::{SchemaId, Schemas};
use crate::KubeVersion;
use flate2::read::GzDecoder;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;

/// The newest embedded release, the default target.
pub const LATEST: KubeVersion = KubeVersion::new(1, 37);

macro_rules! embedded {
    ($($minor:literal),* $(,)?) => {
        &[$((KubeVersion::new(1, $minor), include_bytes!(concat!("../data/kubernetes-1.", stringify!($minor), ".json.gz")))),*]
    };
}

#[cfg(feature = "older-kubernetes")]
static DATA: &[(KubeVersion, &[u8])] =
    embedded![25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37];
#[cfg(not(feature = "older-kubernetes"))]
static DATA: &[(KubeVersion, &[u8])] = embedded![37];

/// The releases whose schemas are embedded, oldest first.
pub fn embedded_versions() -> Vec<KubeVersion> {
    DATA.iter().map(|(version, _)| *version).collect()
}

/// The built-in kinds of one release, compiled.
#[derive(Debug, Clone)]
pub(crate) struct Builtin {
    pub(crate) source: String,
    /// apiVersion → kind → schema.
    pub(crate) kinds: BTreeMap<String, BTreeMap<String, SchemaId>>,
    /// `ObjectMeta`, which custom resources share.
    pub(crate) object_meta: Option<SchemaId>,
}

impl Builtin {
    pub(crate) fn load(version: KubeVersion, schemas: &mut Schemas) -> Result<Self, Error> {
        let Some((_, bytes)) = DATA.iter().find(|(v, _)| *v == version) else {
            return Err(Error::UnsupportedVersion {
                version,
                available: embedded_versions()
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        let corrupt = |source: std::io::Error| Error::CorruptData { version, source };
        let mut text = Vec::new();
        GzDecoder::new(*bytes)
            .read_to_end(&mut text)
            .map_err(corrupt)?;
        let data: Value = serde_json::from_slice(&text).map_err(|e| corrupt(e.into()))?;
        let invalid = |what: &str| corrupt(std::io::Error::other(what.to_owned()));
        let definitions = data
            .get("definitions")
            .and_then(Value::as_object)
            .ok_or_else(|| invalid("no definitions"))?;
        let ids = schemas
            .compile_definitions(definitions)
            .map_err(|e| invalid(&e))?;
        let mut kinds = BTreeMap::new();
        for (api_version, by_kind) in data
            .get("kinds")
            .and_then(Value::as_object)
            .ok_or_else(|| invalid("no kinds"))?
        {
            let mut compiled = BTreeMap::new();
            for (kind, definition) in by_kind.as_object().ok_or_else(|| invalid("bad kinds"))? {
                let name = definition.as_str().unwrap_or_default();
                let id = ids.get(name).ok_or_else(|| invalid(name))?;
                compiled.insert(kind.clone(), *id);
            }
            kinds.insert(api_version.clone(), compiled);
        }
        Ok(Self {
            source: data
                .get("source")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            kinds,
            object_meta: ids
                .get("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
                .copied(),
        })
    }

    /// Whether some built-in kind is served under this API group.
    pub(crate) fn serves_group(&self, group: &str) -> bool {
        self.kinds
            .keys()
            .any(|api_version| group_of(api_version) == group)
    }
}

/// The group of an `apiVersion` (`apps` for `apps/v1`, empty for the core `v1`).
pub(crate) fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(group, _)| group)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_release_loads_and_knows_deployments() {
        for version in embedded_versions() {
            let mut schemas = Schemas::default();
            let builtin = Builtin::load(version, &mut schemas).unwrap();
            assert!(
                builtin.kinds["apps/v1"].contains_key("Deployment"),
                "{version}"
            );
            assert!(builtin.object_meta.is_some());
            assert!(
                builtin.source.contains(&format!("v{version}.0")),
                "{}",
                builtin.source
            );
        }
        assert_eq!(embedded_versions().last(), Some(&LATEST));
    }

    #[test]
    fn an_unembedded_release_names_the_embedded_ones() {
        let error = Builtin::load(KubeVersion::new(1, 12), &mut Schemas::default()).unwrap_err();
        assert!(error.to_string().contains("1.37"), "{error}");
    }
}
