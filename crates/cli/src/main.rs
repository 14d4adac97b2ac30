//! The `unstuck` command line: parse arguments, call the libraries, print.

fn main() -> std::process::ExitCode {
    unstuck_cli::main()
}
