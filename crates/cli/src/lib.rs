//! The `circle` command: arguments -> local circle -> one report on stdout.
//!
//! Every command returns a [`Report`] holding both its JSON and its human text, so the
//! two outputs cannot drift apart. Errors print one line on stderr and exit 1.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

// The layers, each importing only those below it (docs/ARCHITECTURE.md):
//   entry → serve → http → exec → commands → {remote, failure, report, token, private, args}
mod args;
mod commands;
mod entry;
mod exec;
mod failure;
mod http;
mod private;
mod remote;
mod report;
mod serve;
mod token;

use std::process::ExitCode;

use clap::Parser as _;

pub use args::Cli;
pub use report::Report;

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    // Before any thread starts (see circle_node::tune_allocator).
    circle_node::tune_allocator();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    init_logging();
    let json = cli.json;
    match entry::run(cli) {
        Ok(report) => {
            report.print(json);
            ExitCode::SUCCESS
        }
        Err(e) => {
            // One line a person can act on: the same words the web API answers with.
            let failure = failure::Failure::of(&e);
            eprintln!("error: {}", report::printable(&failure.message));
            failure.exit_code()
        }
    }
}

/// Help and version print as clap renders them; real usage errors become one line.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind as K;
    match e.kind() {
        K::DisplayHelp | K::DisplayVersion | K::DisplayHelpOnMissingArgumentOrSubcommand => {
            e.exit()
        }
        _ => {
            eprintln!(
                "{} (see `circle --help`)",
                usage_line(&e.render().to_string())
            );
            ExitCode::from(2)
        }
    }
}

/// clap's message as one line: its first paragraph, which for a missing argument is the
/// header *and* the indented list of what is missing (usage and tips follow a blank line).
fn usage_line(rendered: &str) -> String {
    let first: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .take_while(|l| !l.is_empty())
        .collect();
    if first.is_empty() {
        "error: bad arguments".to_owned()
    } else {
        first.join(" ")
    }
}

/// Logs go to stderr, quiet by default (`RUST_LOG` to change): warnings, plus the node's
/// own progress lines. libp2p's logs name peers and addresses, so by default only its
/// errors show (THREATS.md promise 9: default logs identify no one).
fn init_logging() {
    const DEFAULT: &str = "warn,circle_node=info,libp2p=error,libp2p_kad=off";
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, never into a log file.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
