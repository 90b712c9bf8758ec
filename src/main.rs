//! The `circle` binary: everything lives in the `circle-cli` crate.

/// mimalloc rather than glibc's malloc: a syncing node starts verification threads
/// page after page, and glibc gives new threads new arenas that keep freed memory;
/// following 1,000 circles peaked near twice the live memory with it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    circle_cli::main()
}
