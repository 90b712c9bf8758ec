//! The commands: each one a function from the local circle (and the running node's
//! network facts, if any) to a [`Report`]. [`dispatch`] picks the function; it is the
//! same whether the command runs in this process or inside a running node
//! (the executor of `exec.rs`). This layer knows nothing of sockets, HTTP or `serve`.

mod archive;
pub(crate) mod circle;
mod damage;
mod doctor;
pub(crate) mod entries;
pub(crate) mod join;
mod lottery;
pub(crate) mod network;
mod protocol;
pub(crate) mod restore;
pub(crate) mod sisters;
pub(crate) mod steward;
pub(crate) mod token;
pub(crate) mod zines;

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Result;
use circle_node::{LocalCircle, NetStatus};

use crate::args::{AlertCmd, Command};
use crate::Report;

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
        C::Init { .. } | C::Join { .. } | C::Serve(_) | C::Restore { .. } | C::Follow { .. } => {
            unreachable_here()
        }
        C::Alert(AlertCmd::Send { .. }) => anyhow::bail!(
            "alerts go out over the network: start the node with `circle serve` first"
        ),
        C::Alerts => network::alerts(local),
        C::Id => circle::id(local, net),
        C::Invite => circle::invite(local, net),
        C::Status => circle::status(local, now, net),
        C::Doctor => doctor::doctor(local, now, net),
        C::Export {
            format,
            circle: which,
            out,
        } => circle::export(local, format, which.as_deref(), &out),
        C::Steward(cmd) => steward::steward(local, cmd, now),
        C::Lottery(cmd) => lottery::lottery(local, cmd, now),
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
        C::Import {
            file,
            passphrase_file: Some(passphrase),
        } => archive::import(local, &file, &passphrase, now),
        C::Import {
            file,
            passphrase_file: None,
        } => {
            archive::refuse_without_passphrase(&file)?;
            sisters::import(local, &file, now)
        }
        C::Archive {
            out,
            passphrase_file,
        } => archive::archive(local, &out, &passphrase_file, now),
        C::Task(cmd) => entries::task(local, cmd, now),
        C::Tasks { open } => entries::tasks(local, open),
        C::Retro(cmd) => entries::retro(local, cmd, now),
        C::Token => token::running(local.root()),
        C::Retros => entries::retros(local),
        C::Unfollow { circle_id } => sisters::unfollow(local, &circle_id),
    }
}

fn unreachable_here() -> Result<Report> {
    anyhow::bail!("this command is handled before the store is opened")
}

/// Opens the circle of `dir`; a store that will not open is explained (damage.rs).
pub(crate) fn open(dir: &std::path::Path) -> Result<LocalCircle> {
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
