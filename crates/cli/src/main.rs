//! The `unstuck` command line: parse arguments, call the libraries, print.

// Building a repository allocates and frees millions of small YAML nodes; glibc's allocator
// spent about a quarter of `validate`'s time on them (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    unstuck_cli::allocator::release_freed_pages_at_once();
    unstuck_cli::main()
}
