//! Property: building is deterministic. The same tree, built twice (and built from a copy),
//! gives byte-identical output, whatever mix of bases, prefixes, namespaces, labels and
//! generators it holds; and the objects it reports match the YAML it prints.

use std::fmt::Write as _;
use std::path::Path;

use kustomize_build::fs::MemFs;
use kustomize_build::{build, BuildOptions};
use proptest::prelude::*;

/// One base: some `ConfigMap`s and `Deployment`s, maybe a prefix and a generator.
#[derive(Debug, Clone)]
struct Base {
    objects: Vec<(bool, String)>,
    prefix: Option<String>,
    generated: Option<Vec<(String, String)>>,
}

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{0,6}"
}

fn base() -> impl Strategy<Value = Base> {
    (
        prop::collection::btree_set(name(), 1..4),
        any::<Vec<bool>>(),
        prop::option::of(name()),
        prop::option::of(prop::collection::vec((name(), "[a-zA-Z0-9 ]{0,8}"), 1..3)),
    )
        .prop_map(|(names, kinds, prefix, generated)| Base {
            objects: names
                .into_iter()
                .enumerate()
                .map(|(i, n)| (kinds.get(i).copied().unwrap_or(false), n))
                .collect(),
            prefix: prefix.map(|p| format!("{p}-")),
            generated,
        })
}

fn tree(bases: &[Base], namespace: Option<&str>, label: Option<&str>) -> MemFs {
    let mut fs = MemFs::new();
    let mut overlay = String::from("resources:\n");
    for (i, base) in bases.iter().enumerate() {
        let _ = writeln!(overlay, "- ../base{i}");
        let mut kustomization = String::from("resources:\n- objects.yaml\n");
        if let Some(prefix) = &base.prefix {
            let _ = writeln!(kustomization, "namePrefix: {prefix}");
        }
        if let Some(literals) = &base.generated {
            let _ = writeln!(
                kustomization,
                "configMapGenerator:\n- name: gen{i}\n  literals:"
            );
            for (k, v) in literals {
                let _ = writeln!(kustomization, "  - {k}={v}");
            }
        }
        let mut objects = String::new();
        for (is_deployment, n) in &base.objects {
            let n = format!("b{i}-{n}");
            if *is_deployment {
                let _ = writeln!(
                    objects,
                    "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {n}\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: app:1"
                );
            } else {
                let _ = writeln!(
                    objects,
                    "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {n}\ndata:\n  k: v"
                );
            }
        }
        fs.add_file(format!("/repo/base{i}/kustomization.yaml"), kustomization);
        fs.add_file(format!("/repo/base{i}/objects.yaml"), objects);
    }
    if let Some(namespace) = namespace {
        let _ = writeln!(overlay, "namespace: {namespace}");
    }
    if let Some(label) = label {
        let _ = writeln!(overlay, "labels:\n- pairs:\n    team: {label}");
    }
    fs.add_file("/repo/overlay/kustomization.yaml", overlay);
    fs
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn building_twice_gives_the_same_bytes(
        bases in prop::collection::vec(base(), 1..4),
        namespace in prop::option::of(name()),
        label in prop::option::of(name()),
    ) {
        let fs = tree(&bases, namespace.as_deref(), label.as_deref());
        let dir = Path::new("/repo/overlay");
        let first = build(&fs, dir, &BuildOptions::new());
        let again = build(&fs.clone(), dir, &BuildOptions::new());
        match (first, again) {
            (Ok(first), Ok(again)) => {
                prop_assert_eq!(first.to_yaml(), again.to_yaml());
                prop_assert_eq!(first.ids(), again.ids());
                let printed = kustomize_build::yaml::parse_documents(&first.to_yaml()).unwrap();
                let objects: Vec<_> = first.resources().iter().map(|r| r.object().clone()).collect();
                prop_assert_eq!(printed, objects);
            }
            (Err(first), Err(again)) => prop_assert_eq!(first.to_string(), again.to_string()),
            (first, again) => prop_assert!(false, "one build failed: {:?} / {:?}", first.err(), again.err()),
        }
    }
}
