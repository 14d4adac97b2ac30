//! The deployment graph of a Flux repository: `Kustomization`s and `HelmRelease`s, the
//! sources they read, the `dependsOn` edges between them, and the order Flux applies them in.
//!
//! Flux applies an object once everything it `dependsOn` is ready
//! (`fluxcd/kustomize-controller` `docs/spec/v1/kustomizations.md`, "Dependencies";
//! `fluxcd/helm-controller` `docs/spec/v2/helmreleases.md`, "Dependencies"). [`Graph::order`]
//! is one such order, objects that are ready together sorted by their `dependency-weight`
//! annotation ([`crate::lifecycle`]; lower first, absent is 0), then by kind and name. A
//! dependency nothing in the repository defines, and objects waiting for each other in a circle,
//! are [`Problem`]s — the same ones `validate` reports — and never get an order.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use kustomize_build::fs::Filesystem;
use serde::Serialize;
use serde_json::Value;

use crate::discover::relative_name;
use crate::lifecycle;
use crate::Snapshot;

/// One object of the graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Node {
    /// `Kustomization`, `HelmRelease`, `GitRepository`, `HelmRepository`…
    pub kind: String,
    /// `metadata.namespace` (`default` when absent).
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// The defining file, relative to the searched directory; `None` for a source the
    /// repository refers to without defining it (Flux's bootstrap `GitRepository`).
    pub file: Option<String>,
    /// The `dependency-weight` annotation.
    pub weight: Option<i64>,
    /// Position in [`Graph::order`], when the node has one.
    pub order: Option<usize>,
}

impl Node {
    /// `Kustomization/flux-system/apps`.
    pub fn id(&self) -> String {
        format!("{}/{}/{}", self.kind, self.namespace, self.name)
    }
}

/// What an edge means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EdgeKind {
    /// `spec.dependsOn`: `from` waits for `to`.
    DependsOn,
    /// `spec.sourceRef` or the chart's source: `from` reads `to`.
    Source,
}

/// An edge between two nodes (indexes into [`Graph::nodes`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edge {
    /// The dependent, or the reader.
    pub from: usize,
    /// The dependency, or the source.
    pub to: usize,
    /// What the edge means.
    pub kind: EdgeKind,
}

/// A dependency Flux can never satisfy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// `missing-dependency` or `dependency-cycle`.
    pub code: &'static str,
    /// The nodes involved.
    pub nodes: Vec<usize>,
    /// What is wrong, naming the objects.
    pub message: String,
}

/// The graph of one repository.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Graph {
    /// Every node: the objects in the order their files were read, then the sources the
    /// repository refers to without defining them.
    pub nodes: Vec<Node>,
    /// Every edge.
    pub edges: Vec<Edge>,
    /// The apply order: node indexes.
    pub order: Vec<usize>,
    /// Missing dependencies and cycles.
    pub problems: Vec<Problem>,
}

const SOURCE_KINDS: [&str; 5] = [
    "GitRepository",
    "OCIRepository",
    "HelmRepository",
    "Bucket",
    "HelmChart",
];

/// A `dependsOn` or source reference before resolution.
struct Reference {
    from: usize,
    kind: String,
    namespace: String,
    name: String,
    edge: EdgeKind,
}

/// Read every Flux object under the snapshot's root into a graph.
///
/// ```
/// use std::path::Path;
/// use gitops_repo::graph::graph;
/// use gitops_repo::Snapshot;
/// use kustomize_build::fs::MemFs;
///
/// let ks = |name: &str, deps: &str, weight: &str| format!(
///     "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\n  annotations:\n    gitops.flux.io/dependency-weight: \"{weight}\"\nspec:\n  dependsOn: [{deps}]\n  path: ./{name}\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
/// );
/// let mut fs = MemFs::new();
/// fs.add_file("/r/apps.yaml", ks("apps", "{name: infra}", "0"));
/// fs.add_file("/r/infra.yaml", ks("infra", "", "5"));
/// fs.add_file("/r/monitoring.yaml", ks("monitoring", "", "1"));
/// let root = Path::new("/r");
/// let graph = graph(&Snapshot::new("now", Box::new(fs), root, root));
/// let order: Vec<&str> = graph.order.iter().map(|&i| graph.nodes[i].name.as_str()).collect();
/// // The bootstrap source first, then what is ready, lighter first.
/// assert_eq!(order, ["flux-system", "monitoring", "infra", "apps"]);
/// assert!(graph.problems.is_empty());
/// ```
pub fn graph(snapshot: &Snapshot) -> Graph {
    let fs = snapshot.fs();
    let root = snapshot.root();
    let files = match snapshot.files() {
        Some(files) => files.to_vec(),
        None => walk(fs, root),
    };
    let mut graph = Graph::default();
    let mut references = Vec::new();
    for file in files {
        let is_yaml = file.extension().is_some_and(|e| e == "yaml" || e == "yml");
        let Some(text) = is_yaml
            .then(|| fs.read(&file).ok())
            .flatten()
            .and_then(|b| String::from_utf8(b).ok())
        else {
            continue;
        };
        if !text.contains("toolkit.fluxcd.io") {
            continue;
        }
        let Ok(documents) = kustomize_build::yaml::parse_json_documents(&text) else {
            continue;
        };
        let name = relative_name(root, &file);
        for object in &documents {
            add_object(&mut graph, &mut references, object, &name);
        }
    }
    resolve(&mut graph, references);
    graph.order = order(&mut graph);
    for (position, &node) in graph.order.iter().enumerate() {
        graph.nodes[node].order = Some(position + 1);
    }
    graph
}

/// Every file under `root`, hidden entries skipped.
fn walk(fs: &dyn Filesystem, root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(names) = fs.read_dir(&dir) else {
            continue;
        };
        for name in names.into_iter().filter(|n| !n.starts_with('.')) {
            let path = dir.join(name);
            if fs.is_dir(&path) {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn text<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key)?.as_str()
}

fn add_object(graph: &mut Graph, references: &mut Vec<Reference>, object: &Value, file: &str) {
    let Some(api_version) = text(object, "apiVersion") else {
        return;
    };
    let kind = text(object, "kind").unwrap_or_default();
    let group = api_version.split('/').next().unwrap_or_default();
    let relevant = match group {
        "kustomize.toolkit.fluxcd.io" => kind == "Kustomization",
        "helm.toolkit.fluxcd.io" => kind == "HelmRelease",
        "source.toolkit.fluxcd.io" => SOURCE_KINDS.contains(&kind),
        _ => false,
    };
    if !relevant {
        return;
    }
    let metadata = &object["metadata"];
    let namespace = text(metadata, "namespace").unwrap_or("default").to_owned();
    let index = graph.nodes.len();
    graph.nodes.push(Node {
        kind: kind.to_owned(),
        namespace: namespace.clone(),
        name: text(metadata, "name").unwrap_or_default().to_owned(),
        file: Some(file.to_owned()),
        weight: lifecycle::read(object).0.dependency_weight,
        order: None,
    });
    let spec = &object["spec"];
    for dependency in spec["dependsOn"].as_array().into_iter().flatten() {
        references.push(Reference {
            from: index,
            kind: kind.to_owned(),
            namespace: text(dependency, "namespace")
                .unwrap_or(&namespace)
                .to_owned(),
            name: text(dependency, "name").unwrap_or_default().to_owned(),
            edge: EdgeKind::DependsOn,
        });
    }
    let source = [
        &spec["sourceRef"],
        &spec["chart"]["spec"]["sourceRef"],
        &spec["chartRef"],
    ]
    .into_iter()
    .find(|r| r.is_object());
    if let Some(source) = source {
        references.push(Reference {
            from: index,
            kind: text(source, "kind").unwrap_or_default().to_owned(),
            namespace: text(source, "namespace").unwrap_or(&namespace).to_owned(),
            name: text(source, "name").unwrap_or_default().to_owned(),
            edge: EdgeKind::Source,
        });
    }
}

/// Directories two files share (a reference resolves to the definition closest to the
/// referring file, as the same name is often defined once per cluster directory).
fn shared_dirs(a: Option<&str>, b: Option<&str>) -> usize {
    let parts = |f: Option<&str>| -> Vec<String> {
        let f = f.unwrap_or_default();
        let mut parts: Vec<String> = f.split('/').map(str::to_owned).collect();
        parts.pop();
        parts
    };
    parts(a)
        .iter()
        .zip(parts(b).iter())
        .take_while(|(x, y)| x == y)
        .count()
}

/// Turn references into edges; a missing dependency is a problem, a missing source a node
/// without a file (Flux's bootstrap source usually lives outside the repository).
fn resolve(graph: &mut Graph, references: Vec<Reference>) {
    for reference in references {
        let from_file = graph.nodes[reference.from].file.clone();
        let target = graph
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| {
                n.kind == reference.kind
                    && n.namespace == reference.namespace
                    && n.name == reference.name
            })
            .max_by_key(|(i, n)| {
                (
                    shared_dirs(from_file.as_deref(), n.file.as_deref()),
                    usize::MAX - i,
                )
            })
            .map(|(i, _)| i);
        let to = match (target, reference.edge) {
            (Some(i), _) => i,
            (None, EdgeKind::Source) => {
                graph.nodes.push(Node {
                    kind: reference.kind.clone(),
                    namespace: reference.namespace.clone(),
                    name: reference.name.clone(),
                    file: None,
                    weight: None,
                    order: None,
                });
                graph.nodes.len() - 1
            }
            (None, EdgeKind::DependsOn) => {
                let from = &graph.nodes[reference.from];
                graph.problems.push(Problem {
                    code: "missing-dependency",
                    nodes: vec![reference.from],
                    message: format!(
                        "{} {}/{} depends on {}/{}, which no {} in the repository defines; Flux keeps it waiting (\"dependency '{}/{}' not found\")",
                        from.kind, from.namespace, from.name, reference.namespace, reference.name,
                        reference.kind, reference.namespace, reference.name
                    ),
                });
                continue;
            }
        };
        graph.edges.push(Edge {
            from: reference.from,
            to,
            kind: reference.edge,
        });
    }
}

/// Kahn's algorithm on "`to` before `from`", the ready set sorted by weight, kind and name.
/// Nodes in or behind a cycle are left out, and each cycle is a problem.
fn order(graph: &mut Graph) -> Vec<usize> {
    let count = graph.nodes.len();
    let mut waiting_on = vec![0usize; count];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); count];
    for edge in &graph.edges {
        waiting_on[edge.from] += 1;
        dependents[edge.to].push(edge.from);
    }
    let key = |i: usize| {
        let n = &graph.nodes[i];
        (
            n.weight.unwrap_or(0),
            !SOURCE_KINDS.contains(&n.kind.as_str()),
            n.kind.clone(),
            n.namespace.clone(),
            n.name.clone(),
            i,
        )
    };
    let mut ready: BTreeSet<_> = (0..count)
        .filter(|&i| waiting_on[i] == 0)
        .map(key)
        .collect();
    let mut order = Vec::new();
    while let Some(next) = ready.pop_first() {
        let node = next.5;
        order.push(node);
        for &dependent in &dependents[node] {
            waiting_on[dependent] -= 1;
            if waiting_on[dependent] == 0 {
                ready.insert(key(dependent));
            }
        }
    }
    let stuck: BTreeSet<usize> = (0..count).filter(|&i| waiting_on[i] > 0).collect();
    for cycle in cycles(graph, &stuck) {
        let names: Vec<String> = cycle
            .iter()
            .chain(cycle.first())
            .map(|&i| {
                let n = &graph.nodes[i];
                format!("{}/{}", n.namespace, n.name)
            })
            .collect();
        graph.problems.push(Problem {
            code: "dependency-cycle",
            nodes: cycle,
            message: format!(
                "{} wait for each other in a circle; Flux never applies them",
                names.join(" → ")
            ),
        });
    }
    order
}

/// The `dependsOn` cycles among `stuck` nodes, each once, starting at its smallest index.
fn cycles(graph: &Graph, stuck: &BTreeSet<usize>) -> Vec<Vec<usize>> {
    let next: BTreeMap<usize, Vec<usize>> = stuck
        .iter()
        .map(|&i| {
            let to = graph
                .edges
                .iter()
                .filter(|e| e.from == i && e.kind == EdgeKind::DependsOn && stuck.contains(&e.to))
                .map(|e| e.to)
                .collect();
            (i, to)
        })
        .collect();
    let mut found: Vec<Vec<usize>> = Vec::new();
    let mut seen = BTreeSet::new();
    for &start in stuck {
        // Follow the first stuck dependency until a node repeats: that loop is a cycle.
        let mut path = vec![start];
        let mut at = start;
        while let Some(&to) = next.get(&at).and_then(|n| n.first()) {
            if let Some(position) = path.iter().position(|&p| p == to) {
                let mut cycle = path[position..].to_vec();
                let smallest = cycle
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, &n)| n)
                    .map_or(0, |(i, _)| i);
                cycle.rotate_left(smallest);
                if seen.insert(cycle.clone()) {
                    found.push(cycle);
                }
                break;
            }
            path.push(to);
            at = to;
        }
    }
    found
}

/// Graphviz `dot` text: dependencies as solid edges from the dependent, sources dashed;
/// nodes in a problem red, sources the repository does not define grey.
pub fn to_dot(graph: &Graph) -> String {
    let problem_nodes = problem_nodes(graph);
    let mut out = String::from("digraph flux {\n  rankdir=LR;\n  node [shape=box];\n");
    for (i, node) in graph.nodes.iter().enumerate() {
        let mut style = Vec::new();
        if problem_nodes.contains(&i) {
            style.push("color=red".to_owned());
        }
        if node.file.is_none() {
            style.push("style=dashed, color=grey".to_owned());
        }
        let extra = if style.is_empty() {
            String::new()
        } else {
            format!(", {}", style.join(", "))
        };
        let _ = writeln!(
            out,
            "  n{i} [label=\"{}\"{extra}];",
            label(node).replace('\n', "\\n")
        );
    }
    for edge in &graph.edges {
        let style = match edge.kind {
            EdgeKind::DependsOn => "label=\"dependsOn\"",
            EdgeKind::Source => "label=\"source\", style=dashed",
        };
        let _ = writeln!(out, "  n{} -> n{} [{style}];", edge.from, edge.to);
    }
    for problem in &graph.problems {
        let _ = writeln!(out, "  // {}: {}", problem.code, problem.message);
    }
    out.push_str("}\n");
    out
}

/// Mermaid `flowchart` text, styled as [`to_dot`].
pub fn to_mermaid(graph: &Graph) -> String {
    let problem_nodes = problem_nodes(graph);
    let mut out = String::from("flowchart LR\n");
    for (i, node) in graph.nodes.iter().enumerate() {
        let _ = writeln!(
            out,
            "  n{i}[\"{}\"]",
            label(node).replace('\n', "<br/>").replace('"', "#quot;")
        );
    }
    for edge in &graph.edges {
        let arrow = match edge.kind {
            EdgeKind::DependsOn => "-->|dependsOn|",
            EdgeKind::Source => "-.->|source|",
        };
        let _ = writeln!(out, "  n{} {arrow} n{}", edge.from, edge.to);
    }
    out.push_str(
        "  classDef problem stroke:#d00,stroke-width:2px\n  classDef external stroke-dasharray:4\n",
    );
    for (i, node) in graph.nodes.iter().enumerate() {
        if problem_nodes.contains(&i) {
            let _ = writeln!(out, "  class n{i} problem");
        } else if node.file.is_none() {
            let _ = writeln!(out, "  class n{i} external");
        }
    }
    for problem in &graph.problems {
        let _ = writeln!(out, "  %% {}: {}", problem.code, problem.message);
    }
    out
}

fn problem_nodes(graph: &Graph) -> BTreeSet<usize> {
    graph
        .problems
        .iter()
        .flat_map(|p| p.nodes.iter().copied())
        .collect()
}

/// `Kustomization flux-system/apps`, then `#2 · weight 10` and the file.
fn label(node: &Node) -> String {
    let mut label = format!("{} {}/{}", node.kind, node.namespace, node.name);
    let mut facts = Vec::new();
    if let Some(order) = node.order {
        facts.push(format!("#{order}"));
    }
    if let Some(weight) = node.weight {
        facts.push(format!("weight {weight}"));
    }
    facts.push(
        node.file
            .clone()
            .unwrap_or_else(|| "not in the repository".to_owned()),
    );
    label.push('\n');
    label.push_str(&facts.join(" · "));
    label
}

#[cfg(test)]
mod tests {
    use super::*;
    use kustomize_build::fs::MemFs;

    fn repository(files: &[(&str, &str)]) -> Graph {
        let mut fs = MemFs::new();
        for (path, content) in files {
            fs.add_file(format!("/r/{path}"), content.as_bytes());
        }
        let root = Path::new("/r");
        graph(&Snapshot::new("now", Box::new(fs), root, root))
    }

    fn ks(name: &str, deps: &[&str]) -> String {
        let deps: Vec<String> = deps.iter().map(|d| format!("{{name: {d}}}")).collect();
        format!(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  dependsOn: [{}]\n  path: ./x\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
            deps.join(", ")
        )
    }

    #[test]
    fn cycles_and_missing_dependencies_are_problems_without_order() {
        let graph = repository(&[
            ("a.yaml", &ks("a", &["b"])),
            ("b.yaml", &ks("b", &["a"])),
            ("c.yaml", &ks("c", &["gone"])),
        ]);
        let codes: Vec<&str> = graph.problems.iter().map(|p| p.code).collect();
        assert_eq!(codes, ["missing-dependency", "dependency-cycle"]);
        assert!(graph.problems[1]
            .message
            .starts_with("flux-system/a → flux-system/b → flux-system/a"));
        let ordered: Vec<&str> = graph
            .order
            .iter()
            .map(|&i| graph.nodes[i].name.as_str())
            .collect();
        assert_eq!(ordered, ["flux-system", "c"]);
    }

    proptest::proptest! {
        /// On any dependency graph without cycles, every object comes after what it depends
        /// on, and everything gets an order.
        #[test]
        fn the_order_respects_every_dependency(
            deps in proptest::collection::vec(proptest::collection::vec(0usize..8, 0..3), 1..8),
            weights in proptest::collection::vec(-3i64..3, 8),
        ) {
            // Only edges to earlier objects: no cycles.
            let files: Vec<(String, String)> = deps
                .iter()
                .enumerate()
                .map(|(i, targets)| {
                    let names: Vec<String> = targets.iter().filter(|&&t| t < i).map(|t| format!("k{t}")).collect();
                    let text = ks(&format!("k{i}"), &names.iter().map(String::as_str).collect::<Vec<_>>())
                        .replace("metadata:\n", &format!("metadata:\n  annotations:\n    gitops.flux.io/dependency-weight: \"{}\"\n", weights[i]));
                    (format!("k{i}.yaml"), text)
                })
                .collect();
            let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
            let graph = repository(&borrowed);
            proptest::prop_assert!(graph.problems.is_empty());
            proptest::prop_assert_eq!(graph.order.len(), graph.nodes.len());
            for edge in &graph.edges {
                proptest::prop_assert!(graph.nodes[edge.to].order < graph.nodes[edge.from].order);
            }
        }
    }

    #[test]
    fn helm_releases_read_their_chart_source_and_dependencies() {
        let release = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: redis\n  namespace: apps\nspec:\n  dependsOn:\n  - name: cert-manager\n    namespace: infra\n  chart:\n    spec:\n      chart: redis\n      sourceRef:\n        kind: HelmRepository\n        name: bitnami\n        namespace: flux-system\n";
        let cert = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: cert-manager\n  namespace: infra\nspec:\n  chart:\n    spec:\n      chart: cert-manager\n      sourceRef:\n        kind: HelmRepository\n        name: jetstack\n        namespace: flux-system\n";
        let repo = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: bitnami\n  namespace: flux-system\nspec:\n  url: https://charts.bitnami.com/bitnami\n";
        let graph = repository(&[
            ("redis.yaml", release),
            ("cert.yaml", cert),
            ("repos.yaml", repo),
        ]);
        assert!(graph.problems.is_empty());
        let ordered: Vec<String> = graph.order.iter().map(|&i| graph.nodes[i].id()).collect();
        assert_eq!(
            ordered,
            [
                "HelmRepository/flux-system/bitnami",
                "HelmRepository/flux-system/jetstack",
                "HelmRelease/infra/cert-manager",
                "HelmRelease/apps/redis"
            ]
        );
        let dot = to_dot(&graph);
        assert!(dot.contains("[label=\"dependsOn\"]"));
        assert!(
            dot.contains("style=dashed, color=grey"),
            "jetstack is not defined here: {dot}"
        );
        assert!(to_mermaid(&graph).contains("-.->|source|"));
    }
}
