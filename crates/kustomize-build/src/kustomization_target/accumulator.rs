//! kustomize's `ResAccumulator`: the objects of a kustomization so far, with the rules to add more
//! (identity clashes are errors) and to absorb generated objects (`behavior: create|merge|replace`).

use std::borrow::Cow;
use std::collections::HashSet;

use crate::config::TransformerConfig;
use crate::error::{BuildError, Result};
use crate::resmap::ResMap;
use crate::resource::{ResId, Resource};
use crate::vars::VarSet;

/// The objects of one kustomization (and everything below it) being built, with the field specs
/// and vars collected on the way (kustomize's `ResAccumulator`).
#[derive(Debug, Clone)]
pub(crate) struct Accumulator {
    pub(crate) resources: ResMap,
    /// Field specs: the builtin ones plus every `configurations:` file met so far. Borrowed
    /// until a merge changes it, so most kustomizations never copy the builtin tables.
    pub(crate) config: Cow<'static, TransformerConfig>,
    /// Legacy `vars` declared so far.
    pub(crate) vars: VarSet,
}

/// The id with its namespace replaced by the effective one: two ids are
/// [`ResId::same_as`] each other exactly when their keys are equal.
fn identity_key(mut id: ResId) -> ResId {
    let effective = id.effective_namespace();
    if effective != id.namespace {
        id.namespace = effective.to_owned();
    }
    id
}

impl Default for Accumulator {
    fn default() -> Self {
        Self {
            resources: ResMap::default(),
            config: Cow::Borrowed(TransformerConfig::builtin()),
            vars: VarSet::default(),
        }
    }
}

impl Accumulator {
    /// Merge field specs into [`Accumulator::config`], copying the builtin tables only when the
    /// merge can change them.
    pub(crate) fn merge_config(&mut self, other: &TransformerConfig) -> Result<()> {
        if other.is_empty() || *other == *self.config {
            return Ok(());
        }
        self.config.to_mut().merge(other)
    }

    /// Add an object; fail when one with the same identity is already there.
    #[cfg(test)]
    pub(crate) fn append(&mut self, resource: Resource) -> Result<()> {
        self.append_all([resource])
    }

    /// Add objects in order, failing on the first identity clash. Identities are hashed once,
    /// not compared pairwise: a cluster kustomization appends thousands of objects.
    pub(crate) fn append_all(
        &mut self,
        resources: impl IntoIterator<Item = Resource>,
    ) -> Result<()> {
        let mut seen: HashSet<ResId> = self
            .resources
            .iter()
            .map(|r| identity_key(r.id()))
            .collect();
        for resource in resources {
            let id = resource.id();
            if !seen.insert(identity_key(id.clone())) {
                return Err(BuildError::DuplicateId { id: id.to_string() });
            }
            self.resources.push(resource);
        }
        Ok(())
    }

    /// Take everything another accumulator holds (a nested kustomization's result).
    pub(crate) fn merge(&mut self, other: Accumulator) -> Result<()> {
        self.append_all(other.resources)?;
        self.merge_config(&other.config)?;
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
    use crate::{json, value::Value};

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
