//! `secretGenerator`: kustomize's `SecretGenerator`.

use crate::value::{Map, Value};
use serde::{Deserialize, Serialize};

use super::generator::{encode_base64, GeneratorArgs};
use crate::error::Result;
use crate::loader::Loader;
use crate::plugin::Generator;
use crate::resource::Resource;

/// `SecretGenerator`: one Secret from env files, literals and files; every value is
/// base64-encoded into `data` (which is present even when empty), `type` defaults to `Opaque`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SecretGenerator {
    /// Name, namespace, behavior, sources and options.
    #[serde(flatten)]
    pub args: GeneratorArgs,
    /// The Secret `type` (`Opaque` when empty).
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    pub secret_type: String,
}

impl Generator for SecretGenerator {
    fn generate(&self, loader: &Loader<'_>) -> Result<Vec<Resource>> {
        let (mut object, pairs) = self.args.load("Secret", loader)?;
        let secret_type = if self.secret_type.is_empty() {
            "Opaque"
        } else {
            &self.secret_type
        };
        object.insert("type", Value::String(secret_type.to_owned()));
        let data: Map = pairs
            .into_iter()
            .map(|p| (p.key, Value::String(encode_base64(&p.value))))
            .collect();
        object.insert("data", Value::Object(data));
        Ok(vec![self.args.finish(object)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtins::hash::HashTransformer;
    use crate::builtins::tracking::strip_build_annotations;
    use crate::fs::MemFs;
    use crate::json;
    use crate::loader::LoadRestrictions;
    use crate::plugin::Transformer;
    use crate::resmap::ResMap;
    use std::path::Path;

    /// Output checked against `kubectl kustomize` for the same inputs.
    #[test]
    fn generates_like_kubectl() {
        let mut fs = MemFs::new();
        fs.add_file("/app/long.txt", "x".repeat(60));
        let loader = Loader::new(&fs, Path::new("/app"), LoadRestrictions::RootOnly);
        let generator: SecretGenerator = crate::value::from_value(json!({
            "name": "s", "literals": ["k=0123456789012345678901234567890123456789012345678901"],
            "files": ["long.txt"]
        }))
        .unwrap();
        let empty: SecretGenerator = crate::value::from_value(json!({"name": "es"})).unwrap();
        let mut map: ResMap = generator.generate(&loader).unwrap().into();
        map.extend(empty.generate(&loader).unwrap());
        HashTransformer::default()
            .transform(&mut map, &loader)
            .unwrap();
        let out: Vec<Value> = map
            .into_iter()
            .map(|mut r| {
                strip_build_annotations(&mut r);
                r.into_object()
            })
            .collect();
        assert_eq!(
            out[0],
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s-626f5fh996"}, "type": "Opaque",
            "data": {
                "k": "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMQ\n==\n",
                "long.txt": "eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eH\nh4eHh4eHh4\n"
            }})
        );
        assert_eq!(
            out[1],
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "es-46f8b28mk5"}, "type": "Opaque", "data": {}})
        );
    }
}
