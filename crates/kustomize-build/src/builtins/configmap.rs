//! `configMapGenerator`: kustomize's `ConfigMapGenerator`.

use crate::value::{Map, Value};
use serde::{Deserialize, Serialize};

use super::generator::{encode_base64, GeneratorArgs};
use crate::error::Result;
use crate::loader::Loader;
use crate::plugin::Generator;
use crate::resource::Resource;

/// `ConfigMapGenerator`: one `ConfigMap` from env files, literals and files. Values that are valid
/// UTF-8 go to `data`, others (base64-encoded) to `binaryData`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConfigMapGenerator {
    /// Name, namespace, behavior, sources and options.
    #[serde(flatten)]
    pub args: GeneratorArgs,
}

impl Generator for ConfigMapGenerator {
    fn generate(&self, loader: &Loader<'_>) -> Result<Vec<Resource>> {
        let (mut object, pairs) = self.args.load("ConfigMap", loader)?;
        let mut data = Map::new();
        let mut binary = Map::new();
        for pair in pairs {
            match String::from_utf8(pair.value) {
                Ok(text) => {
                    data.insert(pair.key, Value::String(text));
                }
                Err(e) => {
                    binary.insert(pair.key, Value::String(encode_base64(e.as_bytes())));
                }
            }
        }
        if !data.is_empty() {
            object.insert("data", Value::Object(data));
        }
        if !binary.is_empty() {
            object.insert("binaryData", Value::Object(binary));
        }
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

    fn build(generator: &ConfigMapGenerator, fs: &MemFs) -> Result<Vec<Value>> {
        let loader = Loader::new(fs, Path::new("/app"), LoadRestrictions::RootOnly);
        let mut map: ResMap = generator.generate(&loader)?.into();
        HashTransformer::default().transform(&mut map, &loader)?;
        Ok(map
            .into_iter()
            .map(|mut r| {
                strip_build_annotations(&mut r);
                r.into_object()
            })
            .collect())
    }

    /// Output checked against `kubectl kustomize` for the same inputs.
    #[test]
    fn generates_like_kubectl() {
        let mut fs = MemFs::new();
        fs.add_file("/app/e.env", "A=1\nB\n # c\n  C = 2\n");
        let generator: ConfigMapGenerator = crate::value::from_value(json!({
            "name": "p-cm-s", "envs": ["e.env"], "literals": ["q='a b'", "z=\"<&>\""]
        }))
        .unwrap();
        let out = build(&generator, &fs).unwrap();
        assert_eq!(
            out[0],
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "p-cm-s-729k42fcfc"},
                "data": {"A": "1", "B": "", "C ": " 2", "q": "a b", "z": "<&>"}})
        );
    }

    #[test]
    fn binary_files_go_to_binary_data_and_options_apply() {
        let mut fs = MemFs::new();
        fs.add_file("/app/bin.dat", &b"\xff\xfe\x00bin"[..]);
        fs.add_file("/app/long.txt", "x".repeat(60));
        let generator: ConfigMapGenerator = crate::value::from_value(json!({
            "name": "c", "files": ["bin.dat", "k2=long.txt"],
            "options": {"disableNameSuffixHash": true, "immutable": true, "labels": {"a": "b"}}
        }))
        .unwrap();
        let out = build(&generator, &fs).unwrap();
        assert_eq!(
            out[0],
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": {"a": "b"}},
                "binaryData": {"bin.dat": "//4AYmlu"}, "data": {"k2": "x".repeat(60)}, "immutable": true})
        );
    }

    #[test]
    fn repeated_keys_and_missing_names_are_errors() {
        let fs = MemFs::new();
        let generator: ConfigMapGenerator =
            crate::value::from_value(json!({"name": "c", "literals": ["a=1", "a=2"]})).unwrap();
        assert!(build(&generator, &fs)
            .unwrap_err()
            .to_string()
            .contains("illegally repeats the key `a`"));
        let generator: ConfigMapGenerator =
            crate::value::from_value(json!({"literals": ["a=1"]})).unwrap();
        assert!(build(&generator, &fs).is_err());
    }
}
