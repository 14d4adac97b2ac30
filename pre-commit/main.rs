//! `unstuck-hook`: the `unstuck` command line under the name pre-commit installs it as (see
//! `.pre-commit-hooks.yaml`); a second name keeps it from clashing with the `unstuck` binary
//! when the whole workspace is built.

// As in `crates/cli/src/main.rs`: glibc's allocator was a quarter of `validate`'s time.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    #[cfg(feature = "mimalloc")]
    unstuck_cli::allocator::release_freed_pages_at_once();
    unstuck_cli::main()
}
