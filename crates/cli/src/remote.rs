//! Talking to a running node: while `circle serve` holds the store, every other command
//! for that data directory is sent to it over a Unix socket in the data directory, so
//! users never meet a "database locked" error.
//!
//! One request per connection: a JSON line `{command, json}`, answered by one JSON line
//! (a [`Report`] or an error). The socket is the node's only local control channel;
//! it is created mode 0600 inside the data directory, so only its owner can use it.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::args::{ActionCmd, Command, TacticCmd, ZineCmd};
use crate::failure::Failure;
use crate::Report;

/// Largest request accepted by the node (commands carry paths, never file contents).
pub(crate) const MAX_REQUEST: u64 = 1024 * 1024;
/// Largest answer read back.
const MAX_RESPONSE: u64 = 256 * 1024 * 1024;
/// A follow may sync a large ledger; everything else answers in seconds.
const SLOW: Duration = Duration::from_secs(900);
const FAST: Duration = Duration::from_secs(120);

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct RemoteRequest {
    pub(crate) command: Command,
    pub(crate) json: bool,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum RemoteResponse {
    Ok(Report),
    Err(Failure),
}

pub(crate) fn socket_path(dir: &Path) -> PathBuf {
    dir.join("node.sock")
}

/// Sends the command to the node serving `dir`, if one runs; hands the command back
/// when no node answers (none runs, or a stale socket after a crash).
///
/// A `circle serve` that is starting holds the store before its socket exists. While
/// the store is locked and no socket answers, this waits (bounded, with backoff) for
/// the socket, so a command typed just after `serve` reaches the node instead of
/// failing on the lock. A short-lived command holding the lock is waited for the same way.
pub(crate) fn forward_or_return(
    dir: &Path,
    command: Command,
    json: bool,
) -> std::result::Result<Result<Report>, Box<Command>> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(20);
    loop {
        if let Ok(stream) = UnixStream::connect(socket_path(dir)) {
            return Ok(exchange(dir, stream, command, json));
        }
        if !store_locked(dir) || started.elapsed() >= NODE_START_WAIT {
            // Boxed: a command is large and this is the path nearly every run takes.
            return Err(Box::new(command));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(500));
    }
}

/// How long a command waits for a starting node (or another command) to free the store:
/// a node opening a large ledger on a loaded Raspberry Pi can take tens of seconds.
const NODE_START_WAIT: Duration = Duration::from_secs(60);

/// Whether another process holds the store's lock (the `flock` sled takes on its file).
fn store_locked(dir: &Path) -> bool {
    use fs2::FileExt;
    let Ok(file) = std::fs::File::open(dir.join("store").join("db")) else {
        return false;
    };
    match file.try_lock_exclusive() {
        Ok(()) => {
            let _ = FileExt::unlock(&file);
            false
        }
        Err(e) => e.kind() == std::io::ErrorKind::WouldBlock || e.raw_os_error() == Some(11),
    }
}

fn exchange(dir: &Path, stream: UnixStream, mut command: Command, json: bool) -> Result<Report> {
    let cwd = std::env::current_dir().context("no current directory")?;
    absolutize(&mut command, &cwd);
    // Output meant for our stdout goes through a file the node writes.
    let to_stdout = stdout_export(&mut command, dir);
    let spooled = spool_stdin(&mut command, dir)?;
    let wait = if matches!(command, Command::Follow { .. }) {
        SLOW
    } else {
        FAST
    };
    stream.set_read_timeout(Some(wait))?;
    stream.set_write_timeout(Some(FAST))?;
    let mut line = serde_json::to_vec(&RemoteRequest { command, json })?;
    line.push(b'\n');
    (&stream)
        .write_all(&line)
        .context("cannot reach the running node")?;
    let mut answer = Vec::new();
    BufReader::new((&stream).take(MAX_RESPONSE))
        .read_until(b'\n', &mut answer)
        .context("the running node did not answer")?;
    if let Some(p) = spooled {
        let _ = std::fs::remove_file(p);
    }
    let report = match serde_json::from_slice::<RemoteResponse>(&answer)
        .context("the running node sent an unreadable answer")?
    {
        RemoteResponse::Ok(report) => report,
        // The node's failure, kind and words, as if the command had run here.
        RemoteResponse::Err(failure) => return Err(failure.into()),
    };
    match to_stdout {
        Some(tmp) => {
            let bytes = std::fs::read(&tmp);
            let _ = std::fs::remove_file(&tmp);
            let bytes = bytes.context("the node's export went missing")?;
            std::io::stdout().lock().write_all(&bytes)?;
            Ok(Report::new(serde_json::json!({ "bytes": bytes.len() }), ""))
        }
        None => Ok(report),
    }
}

/// Makes relative paths absolute: the node resolves them from its own directory.
fn absolutize(command: &mut Command, cwd: &Path) {
    let fix = |p: &mut PathBuf| {
        if p.as_os_str() != "-" && p.is_relative() {
            *p = cwd.join(&*p);
        }
    };
    match command {
        Command::Export { out, .. } => fix(out),
        Command::Import {
            file,
            passphrase_file,
        } => {
            fix(file);
            if let Some(p) = passphrase_file {
                fix(p);
            }
        }
        Command::Restore { file } => fix(file),
        Command::Archive {
            out,
            passphrase_file,
        } => {
            fix(out);
            fix(passphrase_file);
        }
        Command::Action(ActionCmd::Import { file }) => fix(file),
        Command::Tactic(TacticCmd::Publish(p)) => fix(&mut p.body_file),
        Command::Zine(ZineCmd::Check { file }) | Command::Zine(ZineCmd::Publish { file, .. }) => {
            fix(file)
        }
        Command::Zine(ZineCmd::Export { out: Some(out), .. }) => fix(out),
        _ => {}
    }
}

/// `export ... -`: the node writes a file in the data directory, we print it.
fn stdout_export(command: &mut Command, dir: &Path) -> Option<PathBuf> {
    if let Command::Export { out, .. } = command {
        if out.as_os_str() == "-" {
            let tmp = dir.join(format!(".export-{}.tmp", std::process::id()));
            *out = tmp.clone();
            return Some(tmp);
        }
    }
    None
}

/// `action import --file -`: standard input is spooled to a file the node reads.
fn spool_stdin(command: &mut Command, dir: &Path) -> Result<Option<PathBuf>> {
    let Command::Action(ActionCmd::Import { file }) = command else {
        return Ok(None);
    };
    if file.as_os_str() != "-" {
        return Ok(None);
    }
    let tmp = dir.join(format!(".import-{}.tmp", std::process::id()));
    let mut f = crate::private::replace_file(&tmp)?;
    std::io::copy(&mut std::io::stdin().lock().take(MAX_SPOOL), &mut f)?;
    *file = tmp.clone();
    Ok(Some(tmp))
}

/// Largest standard input spooled for a running node.
const MAX_SPOOL: u64 = 256 * 1024 * 1024;
