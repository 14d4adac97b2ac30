//! Builds every Flux case under `tests/fixtures/flux/` as kustomize-controller would and compares
//! it with goldens: `kustomization.expected.yaml` is the kustomization Flux writes into
//! `spec.path` (from Flux's rules), `expected.yaml` what `kubectl kustomize
//! --load-restrictor LoadRestrictionsNone` builds from it (`scripts/regen-flux-goldens`).

use std::path::{Path, PathBuf};

use gitops_repo::flux::{build_flux, kustomization_for, FluxRepository};
use kustomize_build::fs::OsFs;
use kustomize_build::yaml::{emit_documents, parse_documents};
use kustomize_build::BuildOptions;

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/flux");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    cases
}

#[test]
fn flux_builds_match_kubectl_on_the_kustomization_flux_writes() {
    let cases = cases();
    assert!(cases.len() >= 2, "fixtures missing");
    for case in cases {
        let repo = std::fs::canonicalize(case.join("repo")).unwrap();
        let found = FluxRepository::scan(&OsFs, &[repo.join("flux.yaml")]);
        let ks = &found.kustomizations[0];
        let dir = repo.join(ks.path.trim_start_matches("./"));

        let generated = kustomization_for(&OsFs, &dir, ks).unwrap();
        let expected_text =
            std::fs::read_to_string(case.join("kustomization.expected.yaml")).unwrap();
        assert_eq!(
            parse_documents(&generated.content).unwrap(),
            parse_documents(&expected_text).unwrap(),
            "{}: generated kustomization\n{}",
            case.display(),
            generated.content
        );

        let built = build_flux(&OsFs, &repo, ks, &found.sources, &BuildOptions::new())
            .unwrap_or_else(|e| panic!("{}: {e}", case.display()));
        let expected = std::fs::read_to_string(case.join("expected.yaml")).unwrap();
        assert_eq!(
            emit_documents(
                &built
                    .resources
                    .iter()
                    .map(|r| r.object().clone())
                    .collect::<Vec<_>>()
            ),
            expected,
            "{}",
            case.display()
        );
        assert!(built.diagnostics.is_empty(), "{:?}", built.diagnostics);
    }
}

#[test]
fn the_completed_case_needs_flux_load_restrictions() {
    // Built plainly (kustomize's default RootOnly), the overlay may not read ../shared.
    let overlay =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/flux/completed/repo/overlay");
    let overlay = std::fs::canonicalize(overlay).unwrap();
    let error = kustomize_build::build(&OsFs, &overlay, &BuildOptions::new()).unwrap_err();
    assert!(matches!(
        error.root_cause(),
        kustomize_build::BuildError::OutsideRoot { .. }
    ));
}
