//! `unstuck-hook`: the `unstuck` command line under the name pre-commit installs it as (see
//! `.pre-commit-hooks.yaml`); a second name keeps it from clashing with the `unstuck` binary
//! when the whole workspace is built.

fn main() -> std::process::ExitCode {
    unstuck_cli::main()
}
