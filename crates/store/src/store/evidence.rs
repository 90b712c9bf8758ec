//! Evidence of equivocating changes, and replacing a rebuilt document.

use automerge::Automerge;
use circle_core::envelope::SignedChange;
use circle_core::keys::Hash32;
use serde::{Deserialize, Serialize};

use super::{corrupt, key, Store};
use crate::seal::EVIDENCE;
use crate::StoreError;

/// Evidence rows kept per circle at most (each a change ≤ 256 KiB): an equivocating
/// steward cannot fill the disk through them.
pub const MAX_EVIDENCE: usize = 64;

/// One of two (or more) changes one actor signed with one sequence number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeEvidence {
    pub actor: Vec<u8>,
    pub seq: u64,
    pub change: SignedChange,
}

impl Store {
    /// Keeps evidence of an equivocating change (staged), within [`MAX_EVIDENCE`].
    pub fn put_change_evidence(
        &self,
        circle: &Hash32,
        evidence: &ChangeEvidence,
    ) -> Result<(), StoreError> {
        let k = key(circle, &evidence.change.envelope.change_hash.0);
        if self.evidence.contains_key(&k)? {
            return Ok(());
        }
        if self.evidence.scan_prefix(circle.0).count() >= MAX_EVIDENCE {
            // The actor stays frozen whatever: the first rows already prove the fork.
            return Ok(());
        }
        let v = postcard::to_stdvec(evidence).map_err(|_| corrupt("evidence encoding"))?;
        let writer = self.seal.writer(circle)?;
        let sealed = writer.seal(EVIDENCE, &k, &v)?;
        self.evidence.insert(k, sealed)?;
        drop(writer);
        self.wrote();
        Ok(())
    }

    /// Every piece of change evidence kept for a circle.
    pub fn change_evidence(&self, circle: &Hash32) -> Result<Vec<ChangeEvidence>, StoreError> {
        self.evidence
            .scan_prefix(circle.0)
            .map(|entry| {
                let (k, v) = entry?;
                let v = self.seal.open(EVIDENCE, &k, &v)?;
                postcard::from_bytes(&v).map_err(|_| corrupt("change evidence"))
            })
            .collect()
    }

    /// The kept evidence as pairs: for each (actor, seq), the first two different
    /// changes kept for it (what a page carries to other nodes).
    pub fn change_evidence_pairs(
        &self,
        circle: &Hash32,
    ) -> Result<Vec<(SignedChange, SignedChange)>, StoreError> {
        let mut open: Vec<ChangeEvidence> = Vec::new();
        let mut pairs = Vec::new();
        for e in self.change_evidence(circle)? {
            let twin = open.iter().position(|o| {
                o.actor == e.actor
                    && o.seq == e.seq
                    && o.change.envelope.change_hash != e.change.envelope.change_hash
            });
            match twin {
                Some(i) => pairs.push((open.swap_remove(i).change, e.change)),
                None => open.push(e),
            }
        }
        Ok(pairs)
    }

    /// Replaces a circle's stored document by `doc` after a rebuild took changes out:
    /// one snapshot, and no logged change left to bring them back on load. Envelopes
    /// stay (they are evidence). Staged; durable after [`Store::sync`].
    pub fn replace_doc(&self, circle: &Hash32, doc: &Automerge) -> Result<(), StoreError> {
        let logged = self.log_keys(circle)?;
        self.replace_snapshot(
            circle,
            &doc.save(),
            &logged,
            "replacing the document aborted",
        )
    }
}
