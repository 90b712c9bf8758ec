//! First sync by snapshot (docs/CHECKPOINTS.md): a follower that holds nothing of a
//! circle asks for its vouched history as one document, verifies it with core's
//! `SnapshotPage` / `Snapshot::open_with_document`, installs it, and then pulls the
//! rest change by change from the vouched heads, as any pull. A responder serves the
//! snapshot it keeps for the circle, or builds one: a checkpoint of the latest term if
//! this node holds a quorum of its keys, else the latest handover.

use std::time::Instant;

use automerge::{Automerge, ChangeHash};
use circle_core::checkpoint::{Checkpoint, CheckpointBody, Snapshot, SnapshotLimits, Vouch};
use circle_core::keys::{Hash32, StewardKey};
use circle_core::sync::{Request, Response, SnapshotPage, MAX_PAGE_BYTES, MAX_PAGE_CERTS};
use circle_core::term::TermChain;
use circle_net::PeerId;
use circle_store::Store;
use tracing::{debug, info, warn};

use super::{hashes, join_err, lock, net_err, short, sync_err, Node, INVALID_CONTENT_CUT_OFF};
use crate::guard::{chain_mark, restore_freezes, store_certs};
use crate::replicas::Slot;
use crate::sisters::Replica;
use crate::NodeError;

/// A kept checkpoint snapshot is served until the ledger has grown this many changes
/// past it; then (if this node can sign) a fresh one is made. The follower pulls the
/// difference change by change.
pub(super) const CHECKPOINT_EVERY: usize = 2_000;
/// Room left in a sync response for the certificates and framing around a snapshot.
const SNAPSHOT_ROOM: usize = MAX_PAGE_BYTES - 512 * 1024;

impl Node {
    /// Answers a snapshot request for `circle`: the circle's certificates and a vouched
    /// history, or `NotServed`.
    pub(super) fn answer_snapshot(
        &self,
        peer: PeerId,
        circle: Hash32,
    ) -> Result<Response, NodeError> {
        let who = peer.to_string();
        if !lock(&self.inner.replicas.work).allows(&who, Instant::now()) {
            return Ok(Response::Refused(
                "over this node's sync work budget for your peer; try again later".into(),
            ));
        }
        let now = super::now();
        let store = &self.inner.store;
        // The kept snapshot is checked in place; only a build works on copies, so that
        // it does not hold up writes or other peers.
        let source = if circle == self.inner.own {
            let local = lock(&self.inner.local);
            let c = local.circle();
            let keys: Vec<StewardKey> = c
                .current_keys()
                .into_iter()
                .map(|k| StewardKey::from_secret(k.secret_bytes()))
                .collect();
            match kept_offer(
                store,
                &c.chain,
                c.ledger.doc(),
                can_sign(&c.chain, &keys, now),
                now,
            )? {
                Some(offer) => Source::Kept(offer.past(c.ledger.doc()), c.chain.certs().to_vec()),
                None => Source::Build(Box::new((c.chain.clone(), c.ledger.doc().clone(), keys))),
            }
        } else {
            if !store.is_followed(&circle)? {
                return Ok(Response::NotServed);
            }
            let slot = self.inner.replicas.get(&circle)?;
            let held = lock(&slot);
            let Some(r) = held.replica.as_ref() else {
                return Ok(Response::NotServed);
            };
            if !r.compliance(now).compliant {
                return Ok(Response::NotServed);
            }
            match kept_offer(store, &r.chain, r.ledger.doc(), false, now)? {
                Some(offer) => Source::Kept(offer.past(r.ledger.doc()), r.chain.certs().to_vec()),
                None => Source::Build(Box::new((
                    r.chain.clone(),
                    r.ledger.doc().clone(),
                    Vec::new(),
                ))),
            }
        };
        let (offer, certs) = match source {
            Source::Kept(offer, certs) => (offer, certs),
            Source::Build(copies) => {
                let (chain, doc, keys) = *copies;
                let offer = build_offer(store, &chain, &doc, &keys, now)?.past(&doc);
                (offer, chain.certs().to_vec())
            }
        };
        let touched = u64::try_from(offer.touched).unwrap_or(u64::MAX);
        lock(&self.inner.replicas.work).charge(&who, touched, Instant::now());
        Ok(match offer.snapshot {
            Some(snapshot) => Response::Snapshot(SnapshotPage {
                circle_id: circle,
                certs,
                snapshot,
                more: offer.more,
            }),
            None => Response::NotServed,
        })
    }

    /// Asks `peer` for a snapshot of `circle` and installs it if it verifies. `Ok(None)`
    /// when the peer serves none (the pull then goes change by change); a snapshot that
    /// fails verification cuts the peer off, as an invalid page does.
    pub(super) async fn fetch_snapshot(
        &self,
        peer: PeerId,
        circle: Hash32,
        slot: &Slot,
    ) -> Result<Option<Installed>, NodeError> {
        let asked_at = Instant::now();
        let asked = self
            .inner
            .net
            .request(peer, Request::Snapshot { circle_id: circle }.encode());
        let Ok(answer) = tokio::time::timeout(self.inner.pull_budget, asked).await else {
            return Ok(None);
        };
        let bytes = answer.map_err(net_err)?;
        debug!(
            bytes = bytes.len(),
            ms = asked_at.elapsed().as_millis() as u64,
            "snapshot response received"
        );
        let page = match Response::decode(&bytes).map_err(sync_err)? {
            Response::Snapshot(page) => page,
            _ => return Ok(None),
        };
        let more = page.more;
        let (node, s) = (self.clone(), slot.clone());
        let installed = tokio::task::spawn_blocking(move || node.install(peer, circle, &s, &page))
            .await
            .map_err(join_err)?;
        match installed {
            Ok(()) => Ok(Some(Installed { more })),
            Err(e) => {
                warn!(%e, "a peer served a snapshot that does not verify; it is cut off for ten minutes");
                let _ = self.inner.net.cut_off(peer, INVALID_CONTENT_CUT_OFF).await;
                Err(e)
            }
        }
    }

    /// Verifies a snapshot page against its own certificate chain and what this node
    /// knows of the circle (frozen writers), and makes it the circle's replica.
    fn install(
        &self,
        peer: PeerId,
        circle: Hash32,
        slot: &Slot,
        page: &SnapshotPage,
    ) -> Result<(), NodeError> {
        if circle != self.inner.own {
            return self.install_in_slot(peer, circle, slot, page);
        }
        // A device of the own circle that missed an epoch: the local circle lends its
        // ledger to the slot, as for a page, and takes up the new term's keys after.
        let mut local = lock(&self.inner.local);
        lock(slot).replica = Some(local.lend());
        let installed = self.install_in_slot(peer, circle, slot, page);
        match lock(slot).replica.take() {
            Some(replica) => local.take_back(replica),
            None => {
                return Err(NodeError::Invalid(
                    "the own circle's ledger was not handed back".into(),
                ))
            }
        }
        installed?;
        local.adopt_keys()?;
        Ok(())
    }

    fn install_in_slot(
        &self,
        peer: PeerId,
        circle: Hash32,
        slot: &Slot,
        page: &SnapshotPage,
    ) -> Result<(), NodeError> {
        let store = &self.inner.store;
        let now = super::now();
        let invalid = |e: String| NodeError::Invalid(format!("snapshot refused: {e}"));
        let mut chain = page.chain(&circle).map_err(|e| invalid(e.to_string()))?;
        restore_freezes(store, &circle, &mut chain)?;
        let t = Instant::now();
        let opened = page
            .snapshot
            .open_counted(&chain, now, SnapshotLimits::default())
            .map_err(|e| invalid(e.to_string()))?;
        let (ledger, document) = (opened.ledger, opened.document);
        debug!(ms = t.elapsed().as_millis() as u64, "snapshot verified");
        let mut held = lock(slot);
        if let Some(r) = held.replica.as_mut() {
            // A replica left in a forgotten epoch takes the new one; otherwise another
            // pull got there first and what it holds stays.
            if store.epoch(&circle)? >= chain.epoch() {
                return Ok(());
            }
            // The certificates this node held (forks kept as evidence) and the page's.
            for cert in chain.all_certs() {
                r.chain.insert(cert.clone())?;
            }
            if r.chain.epoch() != chain.epoch() {
                return Err(NodeError::Invalid(
                    "snapshot refused: its chain and this node's disagree on the epoch".into(),
                ));
            }
            store_certs(store, &r.chain)?;
            crate::guard::install_epoch(
                store,
                &circle,
                &mut r.ledger,
                &r.chain,
                ledger.into_doc(),
            )?;
            r.checked = chain_mark(&r.chain);
            r.log_len = 0;
            store.put_vouched_snapshot(&circle, &page.snapshot.encode())?;
            store.set_vouched_changes(&circle, opened.signed)?;
            store.set_summary(&circle, &r.summary(now))?;
            store.set_shared_heads(&peer.to_string(), &circle, &hashes(&r.ledger.heads()))?;
            drop(held);
            store.sync()?;
            info!(circle = %short(&circle), "this replica had missed a new epoch: its vouched base was verified and installed");
            return Ok(());
        }
        let t = Instant::now();
        store_certs(store, &chain)?;
        store.install_document(&circle, &document)?;
        debug!(
            ms = t.elapsed().as_millis() as u64,
            bytes = document.len(),
            "document stored"
        );
        store.put_vouched_snapshot(&circle, &page.snapshot.encode())?;
        store.set_vouched_changes(&circle, opened.signed)?;
        let heads = hashes(&ledger.heads());
        let replica = Replica {
            checked: chain_mark(&chain),
            chain,
            ledger,
            log_len: 0,
            own: false,
        };
        store.set_summary(&circle, &replica.summary(now))?;
        store.set_shared_heads(&peer.to_string(), &circle, &heads)?;
        held.replica = Some(replica);
        drop(held);
        let t = Instant::now();
        store.sync()?;
        debug!(
            ms = t.elapsed().as_millis() as u64,
            "snapshot install synced"
        );
        info!(circle = %short(&circle), "first sync: a vouched snapshot was verified and installed");
        Ok(())
    }
}

/// What a responder can serve of a circle, and what finding it cost (in changes).
struct Offer {
    snapshot: Option<Snapshot>,
    touched: usize,
    /// `doc` held changes past the snapshot's heads (set by [`Offer::past`]).
    more: bool,
    /// The snapshot's vouched heads, sorted.
    heads: Vec<Hash32>,
}

impl Offer {
    /// Records whether `doc` (what the responder holds) goes past the snapshot.
    fn past(mut self, doc: &Automerge) -> Offer {
        self.more = sorted(hashes(&doc.get_heads())) != self.heads;
        self
    }
}

/// A snapshot was installed; `more`: the responder holds changes past it.
pub(super) struct Installed {
    pub(super) more: bool,
}

/// Where a snapshot answer comes from: the kept snapshot (with the chain's
/// certificates), or copies of what a new one is built from.
enum Source {
    Kept(Offer, Vec<circle_core::term::TermCert>),
    Build(Box<(TermChain, Automerge, Vec<StewardKey>)>),
}

/// The kept snapshot, while it is still vouched for and fresh enough to serve.
fn kept_offer(
    store: &Store,
    chain: &TermChain,
    doc: &Automerge,
    can_sign: bool,
    now: u64,
) -> Result<Option<Offer>, NodeError> {
    if chain.certs().len() > MAX_PAGE_CERTS {
        return Ok(None);
    }
    let circle = chain.circle_id();
    let Some(s) = store
        .vouched_snapshot(&circle)?
        .and_then(|b| Snapshot::decode(&b).ok())
    else {
        return Ok(None);
    };
    let Ok(heads) = s.vouch.heads(chain, now) else {
        return Ok(None);
    };
    let latest = chain.latest().body.term;
    let fresh = match &s.vouch {
        Vouch::Checkpoint(_) => !can_sign || behind(doc, &heads) < CHECKPOINT_EVERY,
        // A later handover (or a checkpoint we can sign) covers more.
        Vouch::Handover { term } => *term + 1 == latest && !can_sign,
        Vouch::Epoch { term } => *term == latest && !can_sign,
    };
    Ok(fresh.then(|| Offer {
        snapshot: Some(s),
        touched: heads.len(),
        more: true,
        heads: sorted(heads),
    }))
}

/// A new snapshot to serve (kept for the next requester), when no kept one would do.
fn build_offer(
    store: &Store,
    chain: &TermChain,
    doc: &Automerge,
    keys: &[StewardKey],
    now: u64,
) -> Result<Offer, NodeError> {
    let circle = chain.circle_id();
    let none = |touched| Offer {
        snapshot: None,
        touched,
        more: true,
        heads: Vec::new(),
    };
    if chain.certs().len() > MAX_PAGE_CERTS {
        return Ok(none(0));
    }
    let can_sign = can_sign(chain, keys, now);
    let vouch = if can_sign {
        let mut heads = hashes(&doc.get_heads());
        heads.sort();
        let body = CheckpointBody::new(circle, chain.latest().body.term, &heads);
        let signers: Vec<&StewardKey> = keys.iter().collect();
        match Checkpoint::sign(body, &signers) {
            Ok(c) => Vouch::Checkpoint(c),
            Err(_) => return Ok(none(0)),
        }
    } else {
        let latest = chain.latest().body.term;
        match latest.checked_sub(1) {
            // The epoch's first term: the history handed over into it was forgotten,
            // and its base is vouched for by the certificate itself.
            Some(_) if chain.epoch() > 0 && latest == chain.epoch_first_term() => {
                Vouch::Epoch { term: latest }
            }
            Some(term) => Vouch::Handover { term },
            None => return Ok(none(0)),
        }
    };
    let touched = doc.get_changes_meta(&[]).len();
    let Ok(heads) = vouch.heads(chain, now) else {
        return Ok(none(touched));
    };
    let built = Snapshot::history_at(doc, &heads).and_then(|h| Snapshot::build(&h, vouch));
    let snapshot = match built {
        Ok(s) => s,
        Err(e) => {
            debug!(%e, "no snapshot of this circle can be built");
            return Ok(none(touched));
        }
    };
    let encoded = snapshot.encode();
    if encoded.len() > SNAPSHOT_ROOM {
        debug!(
            bytes = encoded.len(),
            "the circle's snapshot is too large for one response"
        );
        return Ok(none(touched));
    }
    store.put_vouched_snapshot(&circle, &encoded)?;
    Ok(Offer {
        snapshot: Some(snapshot),
        touched,
        more: true,
        heads: sorted(heads),
    })
}

fn sorted(mut heads: Vec<Hash32>) -> Vec<Hash32> {
    heads.sort();
    heads
}

/// Whether `keys` (held here) can sign a checkpoint of the latest term now.
fn can_sign(chain: &TermChain, keys: &[StewardKey], now: u64) -> bool {
    let latest = &chain.latest().body;
    let held = keys
        .iter()
        .filter(|k| latest.stewards.contains(&k.public()))
        .count();
    held >= latest.threshold as usize && !chain.latest_expired(now) && chain.fork_term().is_none()
}

/// How many changes of `doc` lie past `heads` (a metadata pass).
pub(super) fn behind(doc: &Automerge, heads: &[Hash32]) -> usize {
    let heads: Vec<ChangeHash> = heads.iter().map(|h| ChangeHash(h.0)).collect();
    doc.get_changes_meta(&heads).len()
}
