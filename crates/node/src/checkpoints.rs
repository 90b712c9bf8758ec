//! The own circle's kept checkpoint, as `circle status` shows it: whether first syncs
//! of this circle start from a checkpoint of the current term, and how far behind the
//! ledger it is. The checkpoint itself lives in the kept snapshot (`Store::vouched_snapshot`).

use circle_core::checkpoint::{Checkpoint, Snapshot, Vouch};
use circle_core::keys::Hash32;
use circle_store::Store;
use serde::Serialize;

use crate::{LocalCircle, NodeError};

/// What `status` says of the own circle's kept checkpoint.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct CheckpointStatus {
    pub term: u64,
    /// Stewards of the term who signed it, and how many are needed.
    pub signatures: usize,
    pub needed: u32,
    /// Changes of the ledger written after its heads (they sync signed, one by one).
    pub changes_after: usize,
}

impl LocalCircle {
    /// The kept checkpoint of the own circle, while it vouches for the current term.
    pub fn checkpoint_status(&self, now: u64) -> Result<Option<CheckpointStatus>, NodeError> {
        let c = self.circle();
        let Some(kept) = kept_checkpoint(self.store(), &c.circle_id())? else {
            return Ok(None);
        };
        if kept.verify(&c.chain, now).is_err() {
            return Ok(None);
        }
        let heads: Vec<automerge::ChangeHash> = kept
            .body
            .heads
            .iter()
            .map(|h| automerge::ChangeHash(h.0))
            .collect();
        Ok(Some(CheckpointStatus {
            term: kept.body.term,
            signatures: kept.signatures.len(),
            needed: c.chain.latest().body.threshold,
            changes_after: c.ledger.doc().get_changes_meta(&heads).len(),
        }))
    }
}

/// The complete checkpoint the kept snapshot is vouched by, if it is one.
pub(crate) fn kept_checkpoint(
    store: &Store,
    circle: &Hash32,
) -> Result<Option<Checkpoint>, NodeError> {
    Ok(store
        .vouched_snapshot(circle)?
        .and_then(|b| Snapshot::decode(&b).ok())
        .and_then(|s| match s.vouch {
            Vouch::Checkpoint(c) => Some(c),
            _ => None,
        }))
}
