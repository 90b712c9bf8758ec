//! Checkpoints of the own circle signed across devices (`circle_core::checkpoint::collect`).
//! A device that holds some, but fewer than `threshold`, of the latest term's keys cannot
//! sign a checkpoint alone; after each sync with another device of the circle it asks
//! that device for the checkpoint it is collecting, keeps the better of the two, signs it
//! with the keys it holds if it holds the checkpoint's heads, and starts one at its own
//! heads when none is under way and the kept snapshot is stale. A complete checkpoint
//! becomes the circle's kept snapshot, which first syncs are served from.
//!
//! Work per exchange is bounded before it is done: one checkpoint of at most 256 heads
//! and 32 signatures (checked as the response decodes), one lookup per head, one
//! signature check per steward; a snapshot is built only when a checkpoint completes.

use automerge::{Automerge, ChangeHash, ReadDoc};
use circle_core::checkpoint::collect::choose;
use circle_core::checkpoint::{Checkpoint, CheckpointBody, Snapshot, Vouch};
use circle_core::keys::{Hash32, StewardKey};
use circle_core::sync::{Request, Response};
use circle_core::term::TermChain;
use circle_net::PeerId;
use circle_store::Store;
use tracing::{debug, info};

use super::snapshot::{behind, CHECKPOINT_EVERY};
use super::{hashes, join_err, lock, now, short, Node};
use crate::checkpoints::kept_checkpoint;
use crate::NodeError;

impl Node {
    /// The checkpoint this device is collecting, else the latest complete one it keeps.
    pub(super) fn answer_checkpoint(&self, circle: Hash32) -> Result<Response, NodeError> {
        if circle != self.inner.own {
            return Ok(Response::NotServed);
        }
        if let Some(c) = lock(&self.inner.collecting).clone() {
            return Ok(Response::Checkpoint(Some(c)));
        }
        Ok(Response::Checkpoint(kept_checkpoint(
            &self.inner.store,
            &circle,
        )?))
    }

    /// Asks `peer`, another device of the own circle, for its checkpoint and merges it
    /// with ours (after the own circle was pulled from it, so we hold what it holds).
    pub(super) async fn exchange_checkpoint(&self, peer: PeerId) -> Result<(), NodeError> {
        let request = Request::Checkpoint {
            circle_id: self.inner.own,
        };
        let theirs = match self.ask(peer, request).await? {
            Response::Checkpoint(c) => c,
            Response::NotServed => return Ok(()),
            _ => {
                return Err(NodeError::Net(
                    "peer answered a checkpoint request with something else".into(),
                ))
            }
        };
        let node = self.clone();
        tokio::task::spawn_blocking(move || node.merge_checkpoint(theirs))
            .await
            .map_err(join_err)?
    }

    /// Keeps the better of ours and `theirs`, signs it with the keys held here, and
    /// keeps it as the circle's snapshot once complete.
    fn merge_checkpoint(&self, theirs: Option<Checkpoint>) -> Result<(), NodeError> {
        let store = &self.inner.store;
        let now = now();
        let (complete, chain, doc) = {
            let local = lock(&self.inner.local);
            let c = local.circle();
            let latest = &c.chain.latest().body;
            let keys: Vec<&StewardKey> = c
                .keys
                .iter()
                .filter(|k| latest.stewards.contains(&k.public()))
                .collect();
            let doc = c.ledger.doc();
            let mut collecting = lock(&self.inner.collecting);
            // One that was of an ended term, or whose signers were revoked, is dropped.
            let mut ours = collecting
                .take()
                .and_then(|held| held.valid_part(&c.chain, now).ok())
                .map(|(part, _)| part);
            let mut complete = None;
            if let Some(theirs) = theirs {
                match theirs.valid_part(&c.chain, now) {
                    Ok((part, _)) if !holds(doc, &part.body.heads) => {
                        debug!("a device's checkpoint names changes not held here yet");
                    }
                    Ok((part, true)) => complete = Some(part),
                    Ok((part, false)) => ours = Some(choose(ours, part)),
                    Err(e) => debug!(%e, "a device's checkpoint does not verify"),
                }
            }
            if ours.is_none() && !keys.is_empty() {
                let kept = kept_checkpoint(store, &self.inner.own)?;
                if stale(complete.as_ref().or(kept.as_ref()), &c.chain, doc, now) {
                    let mut heads = hashes(&doc.get_heads());
                    heads.sort();
                    let body = CheckpointBody::new(self.inner.own, latest.term, &heads);
                    ours = Some(Checkpoint::sign(body, &[]).map_err(checkpoint_err)?);
                }
            }
            if let Some(o) = ours.as_mut() {
                for k in &keys {
                    if !o.signatures.iter().any(|s| s.signer == k.public()) {
                        o.add_signature(k).map_err(checkpoint_err)?;
                    }
                }
                if let Ok((part, true)) = o.valid_part(&c.chain, now) {
                    complete = Some(part);
                    ours = None;
                }
            }
            *collecting = ours;
            let Some(done) = complete else {
                return Ok(());
            };
            // A complete one older than what is kept changes nothing.
            let kept = kept_checkpoint(store, &self.inner.own)?;
            if kept.as_ref().is_some_and(|k| {
                k.verify(&c.chain, now).is_ok()
                    && behind(doc, &k.body.heads) <= behind(doc, &done.body.heads)
            }) {
                return Ok(());
            }
            // Built outside the lock: a copy of the ledger, as a served snapshot is.
            (done, c.chain.clone(), doc.clone())
        };
        keep_complete(store, &chain, &doc, complete)
    }
}

/// Builds and keeps the snapshot `done` vouches for: the circle's served snapshot.
fn keep_complete(
    store: &Store,
    chain: &TermChain,
    doc: &Automerge,
    done: Checkpoint,
) -> Result<(), NodeError> {
    let term = done.body.term;
    let snapshot = Snapshot::history_at(doc, &done.body.heads)
        .and_then(|h| Snapshot::build(&h, Vouch::Checkpoint(done)))
        .map_err(checkpoint_err)?;
    let circle = chain.circle_id();
    store.put_vouched_snapshot(&circle, &snapshot.encode())?;
    store.sync()?;
    info!(term, circle = %short(&circle), "checkpoint signed across devices: first syncs start from it");
    Ok(())
}

/// Whether a new checkpoint is due: none kept that still vouches, or the ledger has
/// gone [`CHECKPOINT_EVERY`] changes past it.
fn stale(kept: Option<&Checkpoint>, chain: &TermChain, doc: &Automerge, now: u64) -> bool {
    match kept {
        Some(k) if k.verify(chain, now).is_ok() => behind(doc, &k.body.heads) >= CHECKPOINT_EVERY,
        _ => true,
    }
}

/// Whether `doc` holds every one of `heads`.
fn holds(doc: &Automerge, heads: &[Hash32]) -> bool {
    heads
        .iter()
        .all(|h| doc.get_change_by_hash(&ChangeHash(h.0)).is_some())
}

fn checkpoint_err(e: circle_core::checkpoint::CheckpointError) -> NodeError {
    NodeError::Invalid(format!("checkpoint: {e}"))
}
