//! Keeping a pulled page, as core's `sync::Puller` says: the puller checks and keeps,
//! this file takes the locks and persists. Everything the peer's bytes cost (rebuilding envelopes,
//! checking certificates and evidence, hashing, signatures, the bounded decode) is done
//! outside the circle's slot lock, against a copy of its chain, so that answering other
//! peers, status and the circle's readers never wait behind a page being verified. The
//! lock is taken to copy the chain, to skip changes held already (hash lookups), and
//! to apply what was verified; `ingest_verified` judges again against the chain as it
//! is then, in case it changed meanwhile.

use automerge::ChangeHash;
use circle_core::envelope::SignedChange;
use circle_core::keys::Hash32;
use circle_core::ledger::Ledger;
use circle_core::sync::{CheckedPage, ForkEvidence, Keeper, Next, Page, PullError, Puller, Stop};
use circle_core::term::TermChain;
use circle_core::validate::{freeze_actor, has_change, ApplyReport, Verified};
use circle_net::PeerId;
use circle_store::{ChangeEvidence, Store};
use tracing::{debug, warn};

use super::{lock, short, sync_err, Node, PageOutcome};
use crate::replicas::Slot;
use crate::sisters::Replica;
use crate::NodeError;

impl Node {
    /// Verifies and keeps one page, as `puller` says.
    pub(super) fn apply_page(
        &self,
        peer: PeerId,
        circle: Hash32,
        slot: &Slot,
        page: Page,
        puller: &mut Puller,
    ) -> Result<PageOutcome, NodeError> {
        if circle != self.inner.own {
            return self.apply_to_slot(peer, circle, slot, page, puller);
        }
        // A page of the own circle, from another of its devices: the local circle lends
        // its ledger to the slot meanwhile, and writes here wait for the page.
        let mut local = lock(&self.inner.local);
        let terms_before = local.circle().chain.certs().len();
        lock(slot).replica = Some(local.lend());
        let outcome = self.apply_to_slot(peer, circle, slot, page, puller);
        match lock(slot).replica.take() {
            Some(replica) => local.take_back(replica),
            None => {
                return Err(NodeError::Invalid(
                    "the own circle's ledger was not handed back".into(),
                ))
            }
        }
        // A term certified on another device: if it names a key volunteered here, this
        // device now writes with it (and the outgoing term's keys here are destroyed).
        if local.circle().chain.certs().len() != terms_before {
            match local.adopt_keys() {
                Ok(true) => tracing::info!("a new steward term names this device: it writes"),
                Ok(false) => {}
                Err(e) => warn!(%e, "cannot take up the new term's keys"),
            }
        }
        // A lottery drawn on another device waits for this device's reveal (a no-op on a
        // device that cannot write now).
        if outcome.is_ok() {
            if let Err(e) = local.reveal_open_draws(super::now()) {
                warn!(%e, "cannot reveal for an open lottery draw");
            }
        }
        outcome
    }

    /// Verifies one page outside the circle's slot lock (against a copy of its chain;
    /// the lock is taken only to copy it and to skip changes held already), then keeps
    /// it under the lock.
    fn apply_to_slot(
        &self,
        peer: PeerId,
        circle: Hash32,
        slot: &Slot,
        page: Page,
        puller: &mut Puller,
    ) -> Result<PageOutcome, NodeError> {
        let now = super::now();
        let chain = lock(slot).replica.as_ref().map(|r| r.chain.clone());
        let unheld = |changes: Vec<SignedChange>| {
            let held = lock(slot);
            match held.replica.as_ref() {
                Some(r) => {
                    let doc = r.ledger.doc();
                    let applied =
                        |c: &SignedChange| has_change(doc, &ChangeHash(c.envelope.change_hash.0));
                    changes.into_iter().filter(|c| !applied(c)).collect()
                }
                None => changes,
            }
        };
        // Nothing of the quarantine is judged when this fails: it waits as before.
        let checked = puller.check(page, chain, now, unheld).map_err(pull_err)?;
        #[cfg(test)]
        super::tests::hooks::verified(&circle);
        self.keep_page(peer, circle, slot, checked, puller, now)
    }

    /// Keeps a checked page under the slot lock, and persists what it says to.
    fn keep_page(
        &self,
        peer: PeerId,
        circle: Hash32,
        slot: &Slot,
        checked: CheckedPage,
        puller: &mut Puller,
        now: u64,
    ) -> Result<PageOutcome, NodeError> {
        let store = &self.inner.store;
        let mut held = lock(slot);
        let mut replica = match held.replica.take() {
            Some(r) => r,
            None => Replica::new(TermChain::from_certs(checked.certs().to_vec())?),
        };
        let mut keeper = SlotKeeper {
            store,
            circle: &circle,
            replica: &mut replica,
        };
        let kept = puller.keep(checked, &mut keeper, now);
        held.replica = Some(replica);
        let kept = kept?;
        if let Some(shared) = &kept.shared {
            // Both sides' heads, as far as this ledger holds them: the next sync with
            // this peer starts there.
            store.set_shared_heads(&peer.to_string(), &circle, shared)?;
        }
        store.sync()?;
        if let Next::Stop(Stop::Rejected(rejected)) = kept.next {
            return Err(NodeError::Invalid(format!(
                "{rejected} change(s) failed verification"
            )));
        }
        debug!(
            applied = kept.applied,
            quarantined = kept.pending,
            "page applied"
        );
        Ok(PageOutcome {
            next: kept.next,
            more: kept.more,
            pending: kept.pending,
        })
    }
}

/// A circle's replica as the puller keeps pages into it, with the store alongside.
struct SlotKeeper<'a> {
    store: &'a Store,
    circle: &'a Hash32,
    replica: &'a mut Replica,
}

impl Keeper for SlotKeeper<'_> {
    type Error = NodeError;

    fn chain(&mut self) -> &mut TermChain {
        &mut self.replica.chain
    }

    fn ledger(&self) -> &Ledger {
        &self.replica.ledger
    }

    fn freeze(&mut self, evidence: Vec<ForkEvidence>) -> Result<usize, NodeError> {
        freeze_by_evidence(self.store, self.circle, self.replica, evidence)
    }

    fn absorb(&mut self, verified: Verified, now: u64) -> Result<ApplyReport, NodeError> {
        self.replica.absorb_verified(self.store, verified, now)
    }
}

/// A refused page as the node reports it (the same words as before the puller).
fn pull_err(e: PullError) -> NodeError {
    match e {
        PullError::Sync(e) => sync_err(e),
        PullError::Cert(e) => e.into(),
        other => NodeError::Invalid(other.to_string()),
    }
}

/// Freezes each writer that checked evidence shows to have forked (the gate's rule:
/// from that sequence number on; the puller passes only forks not known yet), keeps
/// the evidence, and takes their changes out; returns how many changes were taken out.
fn freeze_by_evidence(
    store: &Store,
    circle: &Hash32,
    replica: &mut Replica,
    evidence: Vec<ForkEvidence>,
) -> Result<usize, NodeError> {
    let mut removed = 0;
    for e in evidence {
        let actor = e.actor.to_bytes().to_vec();
        for change in e.pair {
            let row = ChangeEvidence {
                actor: actor.clone(),
                seq: e.seq,
                change,
            };
            store.put_change_evidence(circle, &row)?;
        }
        let out = freeze_actor(&mut replica.ledger, &mut replica.chain, &e.actor, e.seq)?;
        warn!(
            circle = %short(circle),
            removed = out.len(),
            "a peer showed that a writer of this circle signed two versions of one change; \
             that writer is frozen"
        );
        removed += out.len();
    }
    if removed > 0 {
        store.replace_doc(circle, replica.ledger.doc())?;
        replica.log_len = 0;
    }
    Ok(removed)
}
