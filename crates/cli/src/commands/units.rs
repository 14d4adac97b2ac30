//! The flags `validate` and `check` share to say which deploying units to build, turned into
//! the library's render options.

use gitops_repo::discover::DiscoverOptions;
use gitops_repo::RenderOptions;
use kustomize_build::BuildOptions;

/// Flags choosing which Flux Kustomizations are built.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct FluxArgs {
    /// A Flux source (`Kind/namespace/name`) that is this repository, besides Flux bootstrap's
    /// `GitRepository/flux-system/flux-system`; Flux Kustomizations reading it are built.
    #[arg(long = "flux-source", value_name = "KIND/NAMESPACE/NAME")]
    sources: Vec<String>,
    /// Build kustomization directories only, not Flux Kustomizations.
    #[arg(long)]
    no_flux: bool,
    /// A `repoURL` that is this repository: only Argo CD Application sources with it are
    /// rendered from here (repeatable; default: every source with a `path`).
    #[arg(long = "argo-repo-url", value_name = "URL")]
    argo_repo_urls: Vec<String>,
    /// Build Flux Kustomizations as kustomize-controller does with the feature gate
    /// `StrictPostBuildSubstitutions` on: a `${VAR}` without value or default fails the build
    /// (default: only when the repository turns the gate on itself).
    #[arg(long)]
    flux_strict_substitution: bool,
}

impl FluxArgs {
    /// The library's options: `build` for plain directories, these Flux flags, `jobs` threads.
    pub(crate) fn render_options(&self, build: BuildOptions, jobs: usize) -> RenderOptions {
        let discover = self
            .sources
            .iter()
            .fold(DiscoverOptions::new(), |options, source| {
                options.with_local_source(source.clone())
            });
        let discover = self.argo_repo_urls.iter().fold(discover, |options, url| {
            options.with_argo_repo_url(url.clone())
        });
        RenderOptions::new()
            .with_build(build)
            .with_discover(discover)
            .with_flux_strict_substitution(self.flux_strict_substitution)
            .with_flux(!self.no_flux)
            .with_jobs(jobs)
    }
}
