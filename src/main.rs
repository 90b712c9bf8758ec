//! The `circle` binary: everything lives in the `circle-cli` crate.

fn main() -> std::process::ExitCode {
    circle_cli::main()
}
