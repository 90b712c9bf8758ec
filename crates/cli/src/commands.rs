//! Command dispatch: open what the command needs, run it, build its report.

pub(crate) mod circle;
mod damage;
mod doctor;
pub(crate) mod entries;
mod protocol;
mod restore;
pub(crate) mod serve;
pub(crate) mod sisters;
mod token;
pub(crate) mod zines;

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use circle_node::{LocalCircle, NetStatus};

use crate::args::{AlertCmd, Cli, Command};
use crate::Report;

pub(crate) fn run(cli: Cli) -> Result<Report> {
    let dir = data_dir(cli.data_dir)?;
    let now = now();
    check_data_dir(&dir)?;
    // While `circle serve` runs (or is starting) for this directory, it takes the
    // command: wait (bounded) for its socket rather than fail on its lock.
    let command = match crate::remote::forward_or_return(&dir, cli.command, cli.json) {
        Ok(report) => return report,
        Err(command) => command,
    };
    let command = match command {
        Command::Init { name, term_days } => {
            crate::private::ensure_dir(&dir)?;
            return circle::init(&dir, &name, term_days, now);
        }
        Command::Serve(args) => return serve::serve(&dir, *args, cli.json, now),
        Command::Restore { file } => {
            crate::private::ensure_dir(&dir)?;
            return circle::restore(&dir, &file, now);
        }
        command => command,
    };
    // No node runs: the token kept in the data directory, no store needed.
    if let Command::Token = command {
        return token::offline(&dir);
    }
    if let Command::Follow { invite } = command {
        return serve::follow_offline(open(&dir)?, &invite);
    }
    // On a data directory with no circle yet, an import restores the own circle.
    if let Command::Import { file } = &command {
        if restore::is_empty_data_dir(&dir) {
            return restore::restore(&dir, file, now);
        }
    }
    let mut local = match open(&dir) {
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
    dispatch(&mut local, command, now, cli.json, None)
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

/// Runs a command on the local circle; `net` describes the running node, if any.
pub(crate) fn dispatch(
    local: &mut LocalCircle,
    command: Command,
    now: u64,
    json: bool,
    net: Option<&NetStatus>,
) -> Result<Report> {
    use Command as C;
    match command {
        C::Init { .. } | C::Serve(_) | C::Restore { .. } | C::Follow { .. } => unreachable_here(),
        C::Alert(AlertCmd::Send { .. }) => anyhow::bail!(
            "alerts go out over the network: start the node with `circle serve` first"
        ),
        C::Alerts => serve::alerts(local),
        C::Id => circle::id(local, net),
        C::Invite => circle::invite(local, net),
        C::Status => circle::status(local, now, net),
        C::Doctor => doctor::doctor(local, now, net),
        C::Export {
            format,
            circle: which,
            out,
        } => circle::export(local, format, which.as_deref(), &out),
        C::Steward(cmd) => circle::steward(local, cmd, now),
        C::Fund(cmd) => protocol::fund(local, cmd, now),
        C::Pledge(cmd) => protocol::pledge(local, cmd, now),
        C::Protocol(cmd) => protocol::protocol(local, cmd, now),
        C::Action(cmd) => entries::action(local, cmd, now, json),
        C::Actions => entries::actions(local),
        C::Tactic(cmd) => entries::tactic(local, cmd, now),
        C::Tactics { from, tag, search } => sisters::tactics(
            local,
            from.as_deref(),
            tag.as_deref(),
            search.as_deref(),
            now,
        ),
        C::Zines { from } => sisters::zines(local, from.as_deref(), now),
        C::Zine(cmd) => zines::zine(local, cmd, now),
        C::Member(cmd) => zines::lexicon(local, circle_node::LexiconList::MemberAliases, cmd),
        C::RedactWord(cmd) => zines::lexicon(local, circle_node::LexiconList::RedactWords, cmd),
        C::Import { file } => sisters::import(local, &file, now),
        C::Task(cmd) => entries::task(local, cmd, now),
        C::Tasks { open } => entries::tasks(local, open),
        C::Retro(cmd) => entries::retro(local, cmd, now),
        C::Token => token::running(local.root()),
        C::Retros => entries::retros(local),
        C::Unfollow { circle_id } => sisters::unfollow(local, &circle_id),
    }
}

/// A command's refusal that a front-end may tell apart from bad input: the HTTP API
/// answers 404 or 409 for these. The message is exactly what the CLI prints.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// The id names nothing this node holds.
    NotFound(String),
    /// The request is well formed, but the circle's state refuses it.
    Conflict(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NotFound(m) | Refusal::Conflict(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Refusal {}

fn unreachable_here() -> Result<Report> {
    anyhow::bail!("this command is handled before the store is opened")
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

fn open(dir: &std::path::Path) -> Result<LocalCircle> {
    // sled can panic on some corrupt files; turn that into an error like any other.
    let opened = std::panic::catch_unwind(|| LocalCircle::open(dir));
    match opened {
        Ok(Ok(local)) => Ok(local),
        Ok(Err(e)) => Err(damage::explain(dir, e.into())),
        Err(_) => Err(damage::explain(
            dir,
            anyhow::anyhow!("the store could not be read"),
        )),
    }
}

pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
