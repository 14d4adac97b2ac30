//! Which Flux Kustomization of the tree renders which: the cluster receives a child Flux
//! Kustomization as its parent's build emits it (the parent's `patches`, `commonMetadata`,
//! `targetNamespace` and `postBuild` substitution applied, and the `namespace:` of the
//! kustomization including the child's file), not as its file reads. A common pattern writes
//! child files without `metadata.namespace` and lets each namespace directory's
//! `kustomization.yaml` set it; another patches every child with `postBuild.substituteFrom` of a
//! cluster-wide `ConfigMap`.
//!
//! [`render_children`] therefore builds, in waves, every Flux Kustomization whose `spec.path`
//! directory holds another's file, and replaces each child by the object the closest such parent
//! rendered (kustomize-controller applies the parent's build output; see
//! `fluxcd/kustomize-controller` `internal/controller/kustomization_controller.go`, `build` then
//! `apply`). Its `namespace/name` — the unit's name — and its `dependsOn` defaults are then those
//! of the object in the cluster. A child no parent renders keeps its file's object.

use std::path::Path;

use kustomize_build::Resource;

use crate::flux::FluxKustomization;

/// For each Flux Kustomization (by index), the others whose build directory holds its file,
/// closest (deepest directory) first. `sites` gives per Kustomization its file and, when it is
/// built from this tree, its build directory.
pub(super) fn parents_of(sites: &[(&Path, Option<&Path>)]) -> Vec<Vec<usize>> {
    sites
        .iter()
        .enumerate()
        .map(|(index, (file, _))| {
            let mut parents: Vec<(usize, &Path)> = sites
                .iter()
                .enumerate()
                .filter(|(other, _)| *other != index)
                .filter_map(|(other, (_, dir))| {
                    let dir = (*dir)?;
                    file.starts_with(dir).then_some((other, dir))
                })
                .collect();
            parents.sort_by_key(|(_, dir)| std::cmp::Reverse(dir.components().count()));
            parents.into_iter().map(|(other, _)| other).collect()
        })
        .collect()
}

/// The waves to resolve in: each Kustomization comes after its parents. Those whose parents
/// wait on them in turn (directories nested into each other) go in a last wave, read from their
/// files.
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

/// Where [`render_children`] took a Flux Kustomization from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Placement {
    /// Its file: no parent of the tree renders it, or one that might does not build.
    File,
    /// The output of a parent.
    Parent,
    /// Nowhere: it lies in the build directory of the parent (by index) and of any other, each
    /// of them built, and none emits it — its kustomization does not list the file — so Flux
    /// never applies it.
    NotApplied {
        /// The closest parent.
        parent: usize,
    },
}

/// Replace each of `kustomizations` that a parent of the tree renders by the object as that
/// parent renders it, and say for each where it was taken from. `dir_of` gives the build
/// directory of those built from this tree (`None` for another source's); `build` builds one as
/// kustomize-controller does (`None` when it does not build: its children are then read from
/// their files, and the build failure is reported with the parent's own unit).
///
/// Only parents are built here; a parent is built from its own rendered object, so a chain of
/// parents resolves from the top. A parent Flux never applies renders nothing.
pub(super) fn render_children(
    kustomizations: &mut [FluxKustomization],
    dir_of: impl Fn(&FluxKustomization) -> Option<std::path::PathBuf>,
    build: impl Fn(&FluxKustomization) -> Option<Vec<Resource>>,
) -> Vec<Placement> {
    let dirs: Vec<Option<std::path::PathBuf>> = kustomizations.iter().map(&dir_of).collect();
    let sites: Vec<(&Path, Option<&Path>)> = kustomizations
        .iter()
        .zip(&dirs)
        .map(|(ks, dir)| (ks.file.as_path(), dir.as_deref()))
        .collect();
    let parents = parents_of(&sites);
    let waves = waves(&parents);
    let is_parent: Vec<bool> = (0..kustomizations.len())
        .map(|i| parents.iter().any(|of| of.contains(&i)))
        .collect();
    let mut outputs: Vec<Option<Vec<Resource>>> = vec![None; kustomizations.len()];
    let mut placements = vec![Placement::File; kustomizations.len()];
    for wave in waves {
        for index in wave {
            // `None` where a parent's output is unknown (it does not build).
            let known: Vec<Option<&[Resource]>> = parents[index]
                .iter()
                .map(|&parent| match placements[parent] {
                    Placement::NotApplied { .. } => Some(&[][..]),
                    _ => outputs[parent].as_deref(),
                })
                .collect();
            if let Some(rendered) =
                as_rendered(&kustomizations[index], known.iter().flatten().copied())
            {
                kustomizations[index] = rendered;
                placements[index] = Placement::Parent;
            } else if !known.is_empty() && known.iter().all(Option::is_some) {
                placements[index] = Placement::NotApplied {
                    parent: parents[index][0],
                };
            }
            let applied = !matches!(placements[index], Placement::NotApplied { .. });
            if is_parent[index] && dirs[index].is_some() && applied {
                outputs[index] = build(&kustomizations[index]);
            }
        }
    }
    placements
}

/// `ks` as the first of `rendered` (the parents' outputs, closest first) that emits it renders
/// it; its file stays `ks`'s own, so findings still point at the file a reader edits. `None`
/// when no parent renders it.
///
/// The parent emits it under the same `namespace/name`, or under the same name in the namespace
/// the parent's kustomization gives it (a `namespace:` of an including kustomization,
/// `targetNamespace`): the only one of that name, else the only one of that name building the
/// same `spec.path`.
pub(super) fn as_rendered<'r>(
    ks: &FluxKustomization,
    rendered: impl IntoIterator<Item = &'r [Resource]>,
) -> Option<FluxKustomization> {
    rendered.into_iter().find_map(|resources| {
        let children: Vec<FluxKustomization> = resources
            .iter()
            .filter(|r| r.kind() == "Kustomization" && r.name() == ks.id.name)
            .filter_map(|r| FluxKustomization::from_object(&r.object().into(), &ks.file))
            .collect();
        let only = |matching: Vec<usize>| (matching.len() == 1).then(|| matching[0]);
        let position = children
            .iter()
            .position(|child| child.id == ks.id)
            .or_else(|| only((0..children.len()).collect()))
            .or_else(|| {
                only(
                    (0..children.len())
                        .filter(|&i| children[i].path == ks.path)
                        .collect(),
                )
            })?;
        children.into_iter().nth(position)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parents_come_first_and_nested_loops_still_build() {
        let sites = [
            (
                Path::new("/r/apps/a/ks.yaml"),
                Some(Path::new("/r/apps/a/app")),
            ),
            (Path::new("/r/cluster/ks.yaml"), Some(Path::new("/r/apps"))),
            // Another source's: a child, never a parent.
            (Path::new("/r/apps/b/ks.yaml"), None),
            (
                Path::new("/r/flux/sync.yaml"),
                Some(Path::new("/r/cluster")),
            ),
        ];
        let parents = parents_of(&sites);
        assert_eq!(parents[0], [1]);
        assert_eq!(parents[1], [3]);
        assert_eq!(parents[2], [1]);
        assert!(parents[3].is_empty());
        assert_eq!(waves(&parents), [vec![3], vec![1], vec![0, 2]]);

        let looped = [
            (Path::new("/r/x/ks.yaml"), Some(Path::new("/r/y"))),
            (Path::new("/r/y/ks.yaml"), Some(Path::new("/r/x"))),
        ];
        assert_eq!(waves(&parents_of(&looped)), [vec![0, 1]]);
    }

    fn ks(namespace: Option<&str>, name: &str, path: &str) -> FluxKustomization {
        let mut object = json!({
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": name},
            "spec": {"path": path, "dependsOn": [{"name": "db"}]},
        });
        if let Some(namespace) = namespace {
            object["metadata"]["namespace"] = json!(namespace);
        }
        FluxKustomization::from_object(&object, Path::new("/r/apps/ks.yaml")).unwrap()
    }

    fn at(mut ks: FluxKustomization, file: &str) -> FluxKustomization {
        ks.file = file.into();
        ks
    }

    #[test]
    fn a_child_takes_the_namespace_its_parent_renders_it_in() {
        let emitted = |namespace: &str, path: &str| {
            Resource::new(ks(Some(namespace), "web", path).object.clone().into())
        };
        let file = ks(None, "web", "./apps/web");
        assert_eq!(file.id.to_string(), "default/web");
        let parent = [emitted("shop", "./apps/web")];
        let child = as_rendered(&file, [parent.as_slice()]).unwrap();
        assert_eq!(child.id.to_string(), "shop/web");
        // A dependsOn entry without namespace means the dependent's namespace, as rendered.
        assert_eq!(child.depends_on[0].to_string(), "shop/db");
        assert_eq!(child.file, Path::new("/r/apps/ks.yaml"));

        // Two of that name elsewhere: the one building the same path.
        let two = [
            emitted("shop", "./apps/web"),
            emitted("blog", "./apps/blog/web"),
        ];
        let child = as_rendered(&file, [two.as_slice()]).unwrap();
        assert_eq!(child.id.to_string(), "shop/web");
        let ambiguous = [emitted("shop", "./apps/web"), emitted("blog", "./apps/web")];
        assert!(as_rendered(&file, [ambiguous.as_slice()]).is_none());
    }

    #[test]
    fn children_resolve_down_a_chain_of_parents() {
        let mut kustomizations = vec![
            at(ks(None, "web", "./apps/web"), "/r/apps/shop/web.yaml"),
            at(
                ks(Some("flux-system"), "apps", "./apps"),
                "/r/cluster/apps.yaml",
            ),
            at(
                ks(Some("flux-system"), "cluster", "./cluster"),
                "/r/sync.yaml",
            ),
        ];
        let dir_of =
            |ks: &FluxKustomization| Some(Path::new("/r").join(ks.path.trim_start_matches("./")));
        // `cluster` emits `apps` into `platform`; `apps` emits `web` into its own namespace.
        let build = |parent: &FluxKustomization| match parent.id.name.as_str() {
            "cluster" => Some(vec![Resource::new(
                ks(Some("platform"), "apps", "./apps").object.clone().into(),
            )]),
            "apps" => {
                assert_eq!(parent.id.namespace, "platform");
                Some(vec![Resource::new(
                    ks(Some(&parent.id.namespace), "web", "./apps/web")
                        .object
                        .clone()
                        .into(),
                )])
            }
            other => panic!("{other} is no parent"),
        };
        let placements = render_children(&mut kustomizations, dir_of, build);
        let ids: Vec<String> = kustomizations.iter().map(|k| k.id.to_string()).collect();
        assert_eq!(
            ids,
            ["platform/web", "platform/apps", "flux-system/cluster"]
        );
        assert_eq!(
            placements,
            [Placement::Parent, Placement::Parent, Placement::File]
        );

        // A parent that does not build leaves its children as their files read.
        let mut kustomizations = vec![
            at(ks(None, "web", "./apps/web"), "/r/apps/shop/web.yaml"),
            at(
                ks(Some("flux-system"), "apps", "./apps"),
                "/r/cluster/apps.yaml",
            ),
        ];
        let placements = render_children(&mut kustomizations, dir_of, |_| None);
        assert_eq!(kustomizations[0].id.to_string(), "default/web");
        assert_eq!(placements, [Placement::File, Placement::File]);
    }

    #[test]
    fn a_child_its_parent_does_not_emit_is_not_applied_nor_are_its_children() {
        // `apps` lists neither `web` (commented out, say) nor, so, the `db` inside web's path.
        let mut kustomizations = vec![
            at(ks(None, "web", "./apps/web"), "/r/apps/web/ks.yaml"),
            at(
                ks(Some("flux-system"), "apps", "./apps"),
                "/r/cluster/apps.yaml",
            ),
            at(ks(None, "db", "./apps/web/db"), "/r/apps/web/db/ks.yaml"),
        ];
        let dir_of =
            |ks: &FluxKustomization| Some(Path::new("/r").join(ks.path.trim_start_matches("./")));
        let placements = render_children(&mut kustomizations, dir_of, |parent| {
            assert_eq!(
                parent.id.name, "apps",
                "a parent Flux never applies is not built"
            );
            Some(Vec::new())
        });
        assert_eq!(
            placements,
            [
                Placement::NotApplied { parent: 1 },
                Placement::File,
                Placement::NotApplied { parent: 0 }
            ]
        );
    }
}
