//! `replacements` and legacy `vars` over a realistic build: 100 apps, each a deployment, a
//! service and a config map. Replacements copy each config map's image tag into its deployment
//! (a `[name=…]` matcher and a delimiter) and the service port into every container's env (a
//! wildcard); vars put each service's name and port into container args and env values.
//! Run with `cargo bench -p unstuck-benches --bench substitution`.

use kustomize_build::fs::MemFs;
use kustomize_build::plugin::Transformer;
use kustomize_build::replacement::ReplacementTransformer;
use kustomize_build::vars::{merge_vars, resolve_vars, Var, VarSet};
use kustomize_build::{LoadRestrictions, Loader, ResMap, Resource};
use serde_json::{json, Value};
use std::path::Path;

const APPS: usize = 100;

fn main() {
    divan::main();
}

fn resources() -> ResMap {
    let mut out = Vec::new();
    for i in 0..APPS {
        let app = format!("app-{i}");
        out.push(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": format!("{app}-release")},
            "data": {"tag": format!("1.{i}.0"), "level": "info"}}));
        out.push(
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": app},
            "spec": {"ports": [{"name": "http", "port": 8000 + i, "targetPort": "http"}]}}),
        );
        out.push(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": app, "labels": {"app": app}},
            "spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": app}}, "spec": {
                "containers": [
                    {"name": app, "image": format!("registry.example.com/{app}:latest"),
                     "args": ["--listen=:$(PORT_{i})", "--name=$(SVC_{i})"],
                     "env": [{"name": "PORT", "value": "$(PORT_{i})"}, {"name": "LEVEL", "value": "x"}]},
                    {"name": "sidecar", "image": "envoy:1.30",
                     "env": [{"name": "PORT", "value": "0"}]}]}}}}));
    }
    out.into_iter()
        .map(|object| Resource::new(object.into()))
        .collect::<Vec<_>>()
        .into()
}

fn replacements() -> ReplacementTransformer {
    let mut list = Vec::new();
    for i in 0..APPS {
        let app = format!("app-{i}");
        list.push(json!({
            "source": {"kind": "ConfigMap", "name": format!("{app}-release"), "fieldPath": "data.tag"},
            "targets": [{"select": {"kind": "Deployment", "name": app},
                "fieldPaths": [format!("spec.template.spec.containers.[name=^{app}$].image")],
                "options": {"delimiter": ":", "index": 1}}]}));
        list.push(json!({
            "source": {"kind": "Service", "name": app, "fieldPath": "spec.ports.0.port"},
            "targets": [{"select": {"kind": "Deployment", "name": app},
                "fieldPaths": ["spec.template.spec.containers.*.env.[name=PORT].value"]}]}));
    }
    serde_json::from_value(json!({ "replacements": list })).expect("valid replacements")
}

fn vars() -> Vec<Var> {
    let mut list: Vec<Value> = Vec::new();
    for i in 0..APPS {
        let svc = json!({"apiVersion": "v1", "kind": "Service", "name": format!("app-{i}")});
        list.push(json!({"name": format!("SVC_{i}"), "objref": svc}));
        list.push(json!({"name": format!("PORT_{i}"), "objref": svc,
            "fieldref": {"fieldPath": "spec.ports[0].port"}}));
    }
    serde_json::from_value(Value::Array(list)).expect("valid vars")
}

#[divan::bench]
fn replacements_100_apps(bencher: divan::Bencher<'_, '_>) {
    let config = replacements();
    let fs = MemFs::new();
    let loader = Loader::new(&fs, Path::new("/app"), LoadRestrictions::RootOnly);
    bencher
        .with_inputs(resources)
        .bench_local_values(|mut resources| {
            config
                .transform(&mut resources, &loader)
                .expect("replacements apply");
            resources
        });
}

#[divan::bench]
fn vars_100_apps(bencher: divan::Bencher<'_, '_>) {
    let declared = vars();
    bencher
        .with_inputs(resources)
        .bench_local_values(|mut resources| {
            let mut set = VarSet::new();
            merge_vars(&mut set, &mut resources, &declared).expect("vars merge");
            resolve_vars(&mut resources, &set, &[]).expect("vars resolve");
            resources
        });
}
