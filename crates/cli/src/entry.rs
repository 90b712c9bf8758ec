//! The front door of the `circle` command: find the data directory, hand the command to
//! the node running there (over its socket) if one runs, else run it here.
//!
//! The top of the crate's layers (see docs/ARCHITECTURE.md): it uses `serve` (which uses
//! `http` and `exec`), `remote`, and `commands`; nothing below imports it.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::args::{Cli, Command};
use crate::commands::{self, restore, restore::Restore};
use crate::Report;

/// Runs one command line and returns its report.
pub(crate) fn run(cli: Cli) -> Result<Report> {
    let dir = data_dir(cli.data_dir)?;
    let now = commands::now();
    check_data_dir(&dir)?;
    // While `circle serve` runs (or is starting) for this directory, it takes the
    // command: wait (bounded) for its socket rather than fail on its lock.
    let command = match crate::remote::forward_or_return(&dir, cli.command, cli.json) {
        Ok(report) => return report,
        Err(command) => *command,
    };
    let command = match command {
        Command::Init { name, term_days } => {
            crate::private::ensure_dir(&dir)?;
            return commands::circle::init(&dir, &name, term_days, now);
        }
        Command::Join { invite } => {
            crate::private::ensure_dir(&dir)?;
            return commands::join::join(&dir, &invite, now);
        }
        Command::Serve(args) => return crate::serve::serve(&dir, *args, cli.json, now),
        Command::Restore { file } => {
            crate::private::ensure_dir(&dir)?;
            return restore::restore(&dir, &file, Restore::Command, now);
        }
        command => command,
    };
    // No node runs: the token kept in the data directory, no store needed.
    if let Command::Token = command {
        return commands::token::offline(&dir);
    }
    if let Command::Follow { invite } = command {
        return commands::network::follow_offline(commands::open(&dir)?, &invite);
    }
    // On a data directory with no circle yet, an import restores the own circle.
    if let Command::Import {
        file,
        passphrase_file,
    } = &command
    {
        if restore::is_empty_data_dir(&dir) {
            if passphrase_file.is_some() {
                anyhow::bail!(
                    "{} holds no circle: an archive is restored beside the circle it belongs to, \
                     on one of its devices (docs/ARCHIVE.md)",
                    dir.display()
                );
            }
            return restore::restore(&dir, file, Restore::Import, now);
        }
    }
    let mut local = match commands::open(&dir) {
        Ok(local) => local,
        // A `circle serve` took the store between our look at its lock and our open:
        // it answers on its socket in a moment, so wait for that (bounded) instead.
        Err(e) if store_locked(&e) => {
            return match crate::remote::forward_or_return(&dir, command, cli.json) {
                Ok(report) => report,
                Err(_) => Err(e),
            };
        }
        Err(e) => return Err(e),
    };
    commands::dispatch(&mut local, command, now, cli.json, None)
}

/// Whether opening failed only because another process holds the store.
fn store_locked(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        matches!(
            c.downcast_ref::<circle_node::NodeError>(),
            Some(circle_node::NodeError::Store(
                circle_store::StoreError::Locked
            ))
        ) || matches!(
            c.downcast_ref::<circle_store::StoreError>(),
            Some(circle_store::StoreError::Locked)
        )
    })
}

/// `--data-dir`, `CIRCLE_DATA_DIR`, or the platform's data directory. A relative path is
/// made absolute here, so every message names the directory actually meant.
fn data_dir(flag: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(d) = flag {
        if d.is_relative() {
            let cwd = std::env::current_dir().context("no current directory")?;
            return Ok(cwd.join(d));
        }
        return Ok(d);
    }
    directories::ProjectDirs::from("org", "circle-ledger", "circle")
        .map(|p| p.data_dir().to_owned())
        .context("no home directory to keep data in; pass --data-dir")
}

/// A data directory that is not a directory is refused before anything reads it, so no
/// message suggests creating a (second) circle there.
fn check_data_dir(dir: &std::path::Path) -> Result<()> {
    match std::fs::metadata(dir) {
        Ok(m) if !m.is_dir() => anyhow::bail!(
            "the data directory {} is not a directory; pass --data-dir with the directory that holds your circle",
            dir.display()
        ),
        _ => Ok(()),
    }
}
