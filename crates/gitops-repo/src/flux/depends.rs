//! `spec.dependsOn` checks: dependencies no Kustomization of the repository defines, and
//! Kustomizations that wait for each other in a circle (Flux never applies those).

use std::collections::VecDeque;

use super::diagnostic::{Code, Diagnostic};
use super::object::FluxKustomization;
use super::scan::shared_dirs;

/// Check the `dependsOn` lists of `kustomizations` (all those of one repository).
///
/// A repository often defines the same `namespace/name` once per cluster directory
/// (`clusters/prod/apps.yaml`, `clusters/dev/apps.yaml`); a dependency resolves to the
/// Kustomization of that name defined closest to the dependent's file.
///
/// ```
/// use std::path::Path;
/// use gitops_repo::flux::{check_dependencies, Code, FluxKustomization};
///
/// let ks = |name: &str, deps: &str| {
///     let object = serde_json::json!({
///         "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
///         "metadata": {"name": name, "namespace": "flux-system"},
///         "spec": {"dependsOn": deps.split_whitespace().map(|d| serde_json::json!({"name": d})).collect::<Vec<_>>()}
///     });
///     FluxKustomization::from_object(&object, Path::new("/r/clusters/prod/ks.yaml")).unwrap()
/// };
/// let found = check_dependencies(&[ks("a", "b"), ks("b", "a"), ks("c", "missing")]);
/// let codes: Vec<Code> = found.iter().map(|d| d.code).collect();
/// assert_eq!(codes, [Code::DependencyCycle, Code::MissingDependency]);
/// assert!(found[0].message.starts_with("flux-system/a → flux-system/b → flux-system/a"));
/// ```
pub fn check_dependencies(kustomizations: &[FluxKustomization]) -> Vec<Diagnostic> {
    check_dependencies_among(kustomizations, &[])
}

/// [`check_dependencies`] of the Kustomizations Flux applies, knowing those the repository
/// defines but Flux never applies (`not_applied`: their file lies in a parent's `spec.path` that
/// does not include it): a dependency on one of those (by name: the namespace its parent would
/// give it is unknown) is still missing for Flux, and the message says why rather than that
/// nothing defines it.
///
/// ```
/// use std::path::Path;
/// use gitops_repo::flux::{check_dependencies_among, Code, FluxKustomization};
///
/// let ks = |name: &str, deps: &[&str]| {
///     let object = serde_json::json!({
///         "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
///         "metadata": {"name": name, "namespace": "flux-system"},
///         "spec": {"dependsOn": deps.iter().map(|d| serde_json::json!({"name": d})).collect::<Vec<_>>()}
///     });
///     FluxKustomization::from_object(&object, Path::new("/r/apps/ks.yaml")).unwrap()
/// };
/// let found = check_dependencies_among(&[ks("web", &["db"])], &[ks("db", &[])]);
/// assert_eq!(found[0].code, Code::MissingDependency);
/// assert!(found[0].message.contains("is defined but never applied"), "{}", found[0].message);
/// ```
pub fn check_dependencies_among(
    kustomizations: &[FluxKustomization],
    not_applied: &[FluxKustomization],
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); kustomizations.len()];
    for (i, ks) in kustomizations.iter().enumerate() {
        for dependency in &ks.depends_on {
            let target = kustomizations
                .iter()
                .enumerate()
                .filter(|(_, other)| other.id == *dependency)
                .max_by_key(|(j, other)| (shared_dirs(&ks.file, &other.file), usize::MAX - j))
                .map(|(j, _)| j);
            let Some(j) = target else {
                // A file Flux never applies has the namespace its parent would have given it
                // unknown: one of the same name is what the dependency means.
                let why = if not_applied
                    .iter()
                    .any(|other| other.id.name == dependency.name)
                {
                    "which is defined but never applied (no kustomization of its parent's spec.path includes its file)"
                } else {
                    "which no Flux Kustomization in the repository defines"
                };
                diagnostics.push(Diagnostic::new(
                    Code::MissingDependency,
                    ks.id.to_string(),
                    ks.file.clone(),
                    format!(
                        "depends on {dependency}, {why}; Flux keeps {} waiting (\"dependency '{dependency}' not found\") until it exists",
                        ks.id
                    ),
                ));
                continue;
            };
            edges[i].push(j);
        }
    }
    let mut cycles: Vec<Diagnostic> = strongly_connected(&edges)
        .into_iter()
        .filter(|component| component.len() > 1 || edges[component[0]].contains(&component[0]))
        .map(|component| {
            let path = cycle_through(&edges, &component);
            let names: Vec<String> = path.iter().map(|&i| kustomizations[i].id.to_string()).collect();
            let first = &kustomizations[path[0]];
            Diagnostic::new(
                Code::DependencyCycle,
                first.id.to_string(),
                first.file.clone(),
                format!(
                    "{}: these Flux Kustomizations wait for each other and are never applied; remove one of the dependsOn entries",
                    names.join(" → ")
                ),
            )
            .with_related(names)
        })
        .collect();
    cycles.sort_by(|a, b| a.message.cmp(&b.message));
    cycles.extend(diagnostics);
    cycles
}

/// Tarjan's strongly connected components, each sorted by index.
fn strongly_connected(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    struct State<'e> {
        edges: &'e [Vec<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        components: Vec<Vec<usize>>,
    }
    fn visit(s: &mut State<'_>, v: usize) {
        s.index[v] = Some(s.next);
        s.low[v] = s.next;
        s.next += 1;
        s.stack.push(v);
        s.on_stack[v] = true;
        for &w in &s.edges[v] {
            match s.index[w] {
                None => {
                    visit(s, w);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(index) if s.on_stack[w] => s.low[v] = s.low[v].min(index),
                Some(_) => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack[w] = false;
                component.push(w);
                if w == v {
                    break;
                }
            }
            component.sort_unstable();
            s.components.push(component);
        }
    }
    let n = edges.len();
    let mut state = State {
        edges,
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        next: 0,
        components: Vec::new(),
    };
    for v in 0..n {
        if state.index[v].is_none() {
            visit(&mut state, v);
        }
    }
    state.components
}

/// A shortest cycle from the component's first node back to itself, staying in the component;
/// the path starts and ends with that node.
fn cycle_through(edges: &[Vec<usize>], component: &[usize]) -> Vec<usize> {
    let start = component[0];
    let mut parent: Vec<Option<usize>> = vec![None; edges.len()];
    let mut queue = VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for &w in &edges[v] {
            if !component.contains(&w) {
                continue;
            }
            if w == start {
                // Walk back from v to start, then read it forwards.
                let mut middle = Vec::new();
                let mut at = v;
                while at != start {
                    middle.push(at);
                    at = parent[at].unwrap_or(start);
                }
                middle.reverse();
                let mut path = vec![start];
                path.extend(middle);
                path.push(start);
                return path;
            }
            if parent[w].is_none() {
                parent[w] = Some(v);
                queue.push_back(w);
            }
        }
    }
    vec![start, start]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::Path;

    fn ks(file: &str, name: &str, deps: &[&str]) -> FluxKustomization {
        let object = json!({
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": name, "namespace": "flux-system"},
            "spec": {"dependsOn": deps.iter().map(|d| json!({"name": d})).collect::<Vec<_>>()}
        });
        FluxKustomization::from_object(&object, Path::new(file)).unwrap()
    }

    #[test]
    fn a_three_cycle_is_listed_in_order() {
        let found = check_dependencies(&[
            ks("/r/k.yaml", "a", &["b"]),
            ks("/r/k.yaml", "b", &["c"]),
            ks("/r/k.yaml", "c", &["a"]),
        ]);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].related,
            [
                "flux-system/a",
                "flux-system/b",
                "flux-system/c",
                "flux-system/a"
            ]
        );
        assert!(found[0]
            .message
            .starts_with("flux-system/a → flux-system/b → flux-system/c → flux-system/a:"));
    }

    #[test]
    fn a_self_dependency_is_a_cycle() {
        let found = check_dependencies(&[ks("/r/k.yaml", "a", &["a"])]);
        assert_eq!(found[0].code, Code::DependencyCycle);
    }

    #[test]
    fn dependencies_resolve_per_cluster_directory() {
        // prod/apps → prod/infra and dev/apps → dev/infra: no cycle although the names repeat,
        // and prod/infra → dev-only name is missing there.
        let found = check_dependencies(&[
            ks("/r/clusters/prod/apps.yaml", "apps", &["infra"]),
            ks("/r/clusters/prod/infra.yaml", "infra", &[]),
            ks("/r/clusters/dev/apps.yaml", "apps", &["infra"]),
            ks("/r/clusters/dev/infra.yaml", "infra", &["apps"]),
        ]);
        // Only dev has a cycle.
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].code, Code::DependencyCycle);
        assert!(found[0].file.starts_with("/r/clusters/dev"));
    }

    #[test]
    fn a_chain_without_cycle_is_fine() {
        let found = check_dependencies(&[
            ks("/r/k.yaml", "a", &["b"]),
            ks("/r/k.yaml", "b", &["c"]),
            ks("/r/k.yaml", "c", &[]),
        ]);
        assert!(found.is_empty());
    }
}
