//! Which Flux Kustomization of the tree renders which: the cluster receives a child Flux
//! Kustomization as its parent's build emits it (the parent's `patches`, `commonMetadata`,
//! `targetNamespace` and `postBuild` substitution applied), not as its file reads. A common
//! pattern patches every child with `postBuild.substituteFrom` of a cluster-wide `ConfigMap`.
//!
//! Builds therefore run in waves: a Flux Kustomization is built once every Flux Kustomization
//! whose `spec.path` directory holds its file has been built, and from the object the closest
//! such parent rendered (kustomize-controller applies the parent's output; see
//! `fluxcd/kustomize-controller` `internal/controller/kustomization_controller.go`, `build` then
//! `apply`). A child no parent renders builds from its file.

use std::path::Path;

use kustomize_build::Resource;

use crate::flux::FluxKustomization;

/// For each target (by index), the Flux targets whose build directory holds its file, closest
/// (deepest directory) first. `flux` gives, per target, `Some((file, dir))` for Flux targets.
pub(super) fn parents_of(flux: &[Option<(&Path, &Path)>]) -> Vec<Vec<usize>> {
    flux.iter()
        .enumerate()
        .map(|(index, target)| {
            let Some((file, _)) = target else {
                return Vec::new();
            };
            let mut parents: Vec<(usize, &Path)> = flux
                .iter()
                .enumerate()
                .filter(|(other, _)| *other != index)
                .filter_map(|(other, parent)| {
                    let (_, dir) = (*parent)?;
                    file.starts_with(dir).then_some((other, dir))
                })
                .collect();
            parents.sort_by_key(|(_, dir)| std::cmp::Reverse(dir.components().count()));
            parents.into_iter().map(|(other, _)| other).collect()
        })
        .collect()
}

/// The waves to build in: each target comes after its parents. Targets whose parents wait on
/// them in turn (directories nested into each other) go in a last wave, built from their files.
pub(super) fn waves(parents: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut placed = vec![false; parents.len()];
    let mut waves = Vec::new();
    loop {
        let wave: Vec<usize> = (0..parents.len())
            .filter(|&i| !placed[i] && parents[i].iter().all(|&p| placed[p]))
            .collect();
        if wave.is_empty() {
            let rest: Vec<usize> = (0..parents.len()).filter(|&i| !placed[i]).collect();
            if !rest.is_empty() {
                waves.push(rest);
            }
            return waves;
        }
        for &i in &wave {
            placed[i] = true;
        }
        waves.push(wave);
    }
}

/// `ks` as the first of `rendered` (the parents' outputs, closest first) that emits it renders
/// it; its file stays `ks`'s own, so findings still point at the file a reader edits. `None`
/// when no parent renders it.
///
/// The parent emits it under the same `namespace/name`, or under the same name in the namespace
/// the parent's kustomization gives it (a `namespace:` of an including kustomization,
/// `targetNamespace`) when only one of its Flux Kustomizations has that name.
pub(super) fn as_rendered<'r>(
    ks: &FluxKustomization,
    rendered: impl IntoIterator<Item = &'r [Resource]>,
) -> Option<FluxKustomization> {
    rendered.into_iter().find_map(|resources| {
        let children: Vec<FluxKustomization> = resources
            .iter()
            .filter(|r| r.kind() == "Kustomization" && r.name() == ks.id.name)
            .filter_map(|r| FluxKustomization::from_object(r.object(), &ks.file))
            .collect();
        let position = children
            .iter()
            .position(|child| child.id == ks.id)
            .or_else(|| (children.len() == 1).then_some(0))?;
        children.into_iter().nth(position)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_come_first_and_nested_loops_still_build() {
        let sites = [
            Some((Path::new("/r/apps/a/ks.yaml"), Path::new("/r/apps/a/app"))),
            Some((Path::new("/r/cluster/ks.yaml"), Path::new("/r/apps"))),
            None,
            Some((Path::new("/r/flux/sync.yaml"), Path::new("/r/cluster"))),
        ];
        let parents = parents_of(&sites);
        assert_eq!(parents[0], [1]);
        assert_eq!(parents[1], [3]);
        assert!(parents[2].is_empty());
        assert_eq!(waves(&parents), [vec![2, 3], vec![1], vec![0]]);

        let looped = [
            Some((Path::new("/r/x/ks.yaml"), Path::new("/r/y"))),
            Some((Path::new("/r/y/ks.yaml"), Path::new("/r/x"))),
        ];
        assert_eq!(waves(&parents_of(&looped)), [vec![0, 1]]);
    }
}
