//! kustomize's `ResAccumulator`: the objects of a kustomization so far, with the rules to add more
//! (identity clashes are errors) and to absorb generated objects (`behavior: create|merge|replace`).

use crate::config::TransformerConfig;
use crate::error::{BuildError, Result};
use crate::resmap::ResMap;
use crate::resource::Resource;
use crate::vars::VarSet;

/// The objects of one kustomization (and everything below it) being built, with the field specs
/// and vars collected on the way (kustomize's `ResAccumulator`).
#[derive(Debug, Default, Clone)]
pub(crate) struct Accumulator {
    pub(crate) resources: ResMap,
    /// Field specs: the builtin ones plus every `configurations:` file met so far.
    pub(crate) config: TransformerConfig,
    /// Legacy `vars` declared so far.
    pub(crate) vars: VarSet,
}

impl Accumulator {
    /// Add an object; fail when one with the same identity is already there.
    pub(crate) fn append(&mut self, resource: Resource) -> Result<()> {
        let id = resource.id();
        if self.resources.iter().any(|r| r.id().same_as(&id)) {
            return Err(BuildError::DuplicateId { id: id.to_string() });
        }
        self.resources.push(resource);
        Ok(())
    }

    /// Add objects in order, failing on the first identity clash.
    pub(crate) fn append_all(
        &mut self,
        resources: impl IntoIterator<Item = Resource>,
    ) -> Result<()> {
        resources.into_iter().try_for_each(|r| self.append(r))
    }

    /// Take everything another accumulator holds (a nested kustomization's result).
    pub(crate) fn merge(&mut self, other: Accumulator) -> Result<()> {
        self.append_all(other.resources)?;
        self.config.merge(&other.config)?;
        self.vars.merge_set(&other.vars)?;
        Ok(())
    }

    /// kustomize's `AbsorbAll`: add generated objects, merging into or replacing an existing
    /// object of the same identity as their `behavior` asks.
    pub(crate) fn absorb_all(&mut self, generated: Vec<Resource>) -> Result<()> {
        crate::builtins::absorb(&mut self.resources, generated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn cm(name: &str, behavior: &str, data: &Value) -> Resource {
        let mut r = Resource::new(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name}, "data": data.clone()}));
        if !behavior.is_empty() {
            r.set_annotation(crate::builtins::tracking::GENERATOR_BEHAVIOR, behavior);
        }
        r
    }

    #[test]
    fn duplicate_ids_are_refused_with_kustomize_wording() {
        let mut acc = Accumulator::default();
        acc.append(cm("a", "", &json!({}))).unwrap();
        let mut other_ns = cm("a", "", &json!({}));
        other_ns.set_namespace("default");
        assert_eq!(
            acc.append(other_ns).unwrap_err().to_string(),
            "may not add resource with an already registered id: ConfigMap.v1.[noGrp]/a.default"
        );
    }

    #[test]
    fn merge_keeps_old_entries_and_replace_drops_them() {
        let mut acc = Accumulator::default();
        acc.append(cm("a", "", &json!({"x": "1", "y": "1"})))
            .unwrap();
        acc.absorb_all(vec![cm("a", "merge", &json!({"y": "2"}))])
            .unwrap();
        assert_eq!(
            acc.resources.as_slice()[0].object()["data"],
            json!({"x": "1", "y": "2"})
        );
        acc.absorb_all(vec![cm("a", "replace", &json!({"z": "3"}))])
            .unwrap();
        assert_eq!(
            acc.resources.as_slice()[0].object()["data"],
            json!({"z": "3"})
        );
        assert!(acc.absorb_all(vec![cm("a", "create", &json!({}))]).is_err());
        assert!(acc.absorb_all(vec![cm("b", "merge", &json!({}))]).is_err());
    }
}
