//! `circle join INVITE`: this data directory becomes a device of an existing circle.
//!
//! The ledger is pulled by a node of its own, run in a scratch directory inside the
//! data directory, as `circle follow` pulls a sister's (every change verified against
//! the term chain) but change by change, never as a snapshot: a device keeps every
//! change's signature, to export, archive and serve them. The verified ledger then
//! becomes this directory's own circle, verified once more as it is stored. The scratch
//! directory is removed after.

use std::path::Path;

use anyhow::{Context, Result};
use circle_core::invite::Invite;
use circle_node::{LocalCircle, NodeError};
use serde_json::json;

use super::network::{check_invite, progress_printer, runtime, short_lived_node, FirstSync};
use crate::Report;

const SCRATCH: &str = "joining";

pub(crate) fn join(dir: &Path, invite: &str, now: u64) -> Result<Report> {
    if !super::restore::is_empty_data_dir(dir) {
        let local = super::open(dir)?;
        return Err(NodeError::AlreadyInitialised {
            dir: dir.to_owned(),
            circle_id: local.circle_id().to_hex(),
        }
        .into());
    }
    let invite: Invite = invite.parse()?;
    check_invite(&invite)?;
    let scratch = dir.join(SCRATCH);
    if scratch.exists() {
        // Left by a join that was interrupted: it holds nothing of value.
        std::fs::remove_dir_all(&scratch)
            .with_context(|| format!("cannot clear {}", scratch.display()))?;
    }
    crate::private::ensure_dir(&scratch)?;
    let pulled = pull(&scratch, &invite, now);
    let cleared = std::fs::remove_dir_all(&scratch);
    let bundle = pulled?;
    cleared.with_context(|| format!("cannot remove {}", scratch.display()))?;
    let (local, r) = LocalCircle::join(dir, bundle, now)
        .with_context(|| format!("cannot join circle {}", invite.circle_id))?;
    // `circle serve` dials the invite's device again, as a remembered peer.
    if let Some(peer) = &invite.peer_id {
        let day = circle_core::ledger::day_of(now);
        local.store().put_peer(peer, &invite.addrs, day)?;
        local.store().sync()?;
    }
    let c = local.circle();
    let name = c.ledger.name();
    let device = local.peer_id()?;
    let changes = local.store().change_count(&local.circle_id());
    let term = c.term();
    Ok(Report::new(
        json!({ "circle_id": r.circle_id, "device": device, "name": name,
                "changes": changes, "term": term, "writes": local.holds_steward_key() }),
        format!(
            "this data directory is now a device of circle \"{name}\" ({}): {changes} signed \
             changes, term {term}. It reads until a steward names it for a term: run \
             `circle steward volunteer` here and pass the code to a steward. Start it with \
             `circle serve` to keep it in sync with the circle's other devices.",
            r.circle_id
        ),
    ))
}

/// Pulls the invite's circle with a scratch node kept in `scratch`; its bundle.
fn pull(scratch: &Path, invite: &Invite, now: u64) -> Result<circle_core::bundle::Bundle> {
    let local = LocalCircle::init(scratch, "joining", 1, now)?;
    let id = invite.circle_id;
    runtime()?.block_on(async {
        let node = short_lived_node(local, FirstSync::ChangeByChange).await?;
        let print = progress_printer("joining");
        let followed = node.follow(invite.clone(), Some(&print)).await;
        let bundle = match followed {
            Ok(r) if r.synced => node.with_local(|l| l.bundle(&id)).map_err(Into::into),
            Ok(_) => Err(anyhow::anyhow!(
                "no device of circle {id} answered: is its node running (`circle serve`) and \
                 reachable at the invite's addresses?"
            )),
            Err(e) => Err(e.into()),
        };
        node.shutdown().await;
        bundle
    })
}
