//! Keeping a pulled page. Everything the peer's bytes cost (rebuilding envelopes,
//! checking certificates and evidence, hashing, signatures, the bounded decode) is done
//! outside the circle's slot lock, against a copy of its chain, so that answering other
//! peers, status and the circle's readers never wait behind a page being verified. The
//! lock is taken to copy the chain, to skip changes held already (hash lookups), and
//! to apply what was verified; `ingest_verified` judges again against the chain as it
//! is then, in case it changed meanwhile.

use automerge::{ActorId, ChangeHash};
use circle_core::envelope::SignedChange;
use circle_core::keys::Hash32;
use circle_core::sync::{self as proto, Cursor, Page};
use circle_core::term::{TermCert, TermChain};
use circle_core::validate::{check_evidence, freeze_actor, has_change, verify_batch, Verified};
use circle_net::PeerId;
use circle_store::{ChangeEvidence, Store};
use tracing::{debug, warn};

use super::{lock, short, sync_err, Node, PageOutcome};
use crate::guard::cert_source;
use crate::replicas::Slot;
use crate::sisters::Replica;
use crate::NodeError;

/// A page checked and verified, ready to be applied under the lock.
struct Checked {
    certs: Vec<TermCert>,
    evidence: Vec<Evidence>,
    verified: Verified,
    received: usize,
    /// Changes of the page we had applied already (not verified again).
    held: usize,
    heads: Vec<Hash32>,
    more: bool,
    missing_on_responder: bool,
    resume: Vec<Hash32>,
    cursor: Option<Cursor>,
}

/// A checked pair of changes with one actor and sequence number.
struct Evidence {
    actor: ActorId,
    seq: u64,
    pair: [SignedChange; 2],
}

type Refused = (NodeError, Vec<SignedChange>);

impl Node {
    /// Verifies and keeps one page.
    pub(super) fn apply_page(
        &self,
        peer: PeerId,
        circle: Hash32,
        slot: &Slot,
        page: Page,
        sent: &[Hash32],
    ) -> Result<PageOutcome, NodeError> {
        if circle != self.inner.own {
            return self.apply_to_slot(peer, circle, slot, page, sent);
        }
        // A page of the own circle, from another of its devices: the local circle lends
        // its ledger to the slot meanwhile, and writes here wait for the page.
        let mut local = lock(&self.inner.local);
        let terms_before = local.circle().chain.certs().len();
        lock(slot).replica = Some(local.lend());
        let outcome = self.apply_to_slot(peer, circle, slot, page, sent);
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
        outcome
    }

    /// Verifies and keeps one page in the circle's slot.
    fn apply_to_slot(
        &self,
        peer: PeerId,
        circle: Hash32,
        slot: &Slot,
        page: Page,
        sent: &[Hash32],
    ) -> Result<PageOutcome, NodeError> {
        let now = super::now();
        let (chain, quarantine) = {
            let mut held = lock(slot);
            let chain = held.replica.as_ref().map(|r| r.chain.clone());
            (chain, held.take_quarantine())
        };
        let checked = match check_page(&peer, &circle, slot, chain, page, quarantine, now) {
            Ok(c) => c,
            Err((e, quarantine)) => {
                // Nothing of the quarantine was judged: it waits as before.
                lock(slot).hold(quarantine);
                return Err(e);
            }
        };
        self.keep_page(peer, circle, slot, checked, sent, now)
    }

    /// Applies a checked page under the slot lock.
    fn keep_page(
        &self,
        peer: PeerId,
        circle: Hash32,
        slot: &Slot,
        checked: Checked,
        sent: &[Hash32],
        now: u64,
    ) -> Result<PageOutcome, NodeError> {
        let store = &self.inner.store;
        let mut held = lock(slot);
        let had_replica = held.replica.is_some();
        let mut replica = match held.replica.take() {
            Some(r) => r,
            None => Replica::new(TermChain::from_certs(checked.certs.clone())?),
        };
        let certs_before = replica.chain.certs().len();
        let source = cert_source(&peer.to_string());
        let kept = (|| {
            for cert in checked.certs {
                replica.chain.insert_from(cert, source)?;
            }
            // Evidence first: its writer is frozen before the page's changes are judged.
            let frozen = freeze_by_evidence(store, &circle, &mut replica, checked.evidence)?;
            let report = replica.absorb_verified(store, checked.verified, now)?;
            Ok::<_, NodeError>((frozen, report))
        })();
        let new_certs = !had_replica || replica.chain.certs().len() != certs_before;
        let replica = held.replica.insert(replica);
        let (frozen, report) = kept?;
        if !checked.more {
            // Both sides' heads, as far as this ledger holds them: the next sync with
            // this peer starts there.
            let ours: &[Hash32] = if checked.missing_on_responder {
                &[]
            } else {
                sent
            };
            let shared = proto::shared_after(ours, &checked.heads, &replica.ledger);
            store.set_shared_heads(&peer.to_string(), &circle, &shared)?;
        }
        store.sync()?;
        let rejected = report.rejected.len();
        let applied = report.applied.len();
        let dropped = held.hold(report.pending.into_iter().map(|(c, _)| c));
        if rejected > 0 {
            return Err(NodeError::Invalid(format!(
                "{rejected} change(s) failed verification"
            )));
        }
        debug!(applied, quarantined = held.quarantined(), "page applied");
        let duplicates = report.duplicates + checked.held;
        Ok(PageOutcome {
            stale: checked.received > 0
                && duplicates >= checked.received
                && !new_certs
                && frozen == 0,
            more: checked.more,
            resume: checked.resume,
            cursor: checked.cursor,
            pending: held.quarantined(),
            overflow: dropped > 0,
        })
    }
}

/// Everything a page costs to check, outside the slot lock: opens it against a copy of
/// the chain, checks its certificates and evidence, and verifies its changes (with the
/// quarantine, offered again). On error, the quarantine is handed back.
fn check_page(
    peer: &PeerId,
    circle: &Hash32,
    slot: &Slot,
    chain: Option<TermChain>,
    page: Page,
    quarantine: Vec<SignedChange>,
    now: u64,
) -> Result<Checked, Refused> {
    let opened = match proto::open_page(page, circle, chain.as_ref()) {
        Ok(o) => o,
        Err(e) => return Err((sync_err(e), quarantine)),
    };
    let working = match chain {
        Some(c) => Ok(c),
        None => TermChain::from_certs(opened.certs.clone()),
    };
    let mut working = match working {
        Ok(c) => c,
        Err(e) => return Err((e.into(), quarantine)),
    };
    let source = cert_source(&peer.to_string());
    for cert in &opened.certs {
        if let Err(e) = working.insert_from(cert.clone(), source) {
            return Err((e.into(), quarantine));
        }
    }
    let mut evidence = Vec::with_capacity(opened.evidence.len());
    for (a, b) in opened.evidence {
        match check_evidence(&working, &a, &b) {
            Ok((actor, seq)) => evidence.push(Evidence {
                actor,
                seq,
                pair: [a, b],
            }),
            Err(e) => {
                let why = format!("the peer sent false evidence of an equivocation: {e}");
                return Err((NodeError::Invalid(why), quarantine));
            }
        }
    }
    let received = opened.changes.len();
    let fresh: Vec<SignedChange> = {
        let held = lock(slot);
        match held.replica.as_ref() {
            Some(r) => {
                let doc = r.ledger.doc();
                let applied =
                    |c: &SignedChange| has_change(doc, &ChangeHash(c.envelope.change_hash.0));
                opened.changes.into_iter().filter(|c| !applied(c)).collect()
            }
            None => opened.changes,
        }
    };
    let already = received - fresh.len();
    let mut batch = quarantine;
    batch.extend(fresh);
    let verified = verify_batch(&working, batch, now);
    #[cfg(test)]
    super::tests::hooks::verified(circle);
    Ok(Checked {
        certs: opened.certs,
        evidence,
        verified,
        received,
        held: already,
        heads: opened.heads,
        more: opened.more,
        missing_on_responder: opened.missing_on_responder,
        resume: opened.resume,
        cursor: opened.cursor,
    })
}

/// Freezes each writer that checked evidence shows to have forked (the gate's rule:
/// from that sequence number on), keeps the evidence, and takes their changes out;
/// returns how many changes were taken out.
fn freeze_by_evidence(
    store: &Store,
    circle: &Hash32,
    replica: &mut Replica,
    evidence: Vec<Evidence>,
) -> Result<usize, NodeError> {
    let mut removed = 0;
    for e in evidence {
        let actor = e.actor.to_bytes().to_vec();
        let known = replica.chain.frozen_actors().get(&actor);
        if known.is_some_and(|s| *s <= e.seq) {
            continue;
        }
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
