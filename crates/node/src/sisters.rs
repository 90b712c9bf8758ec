//! Sister circles held by this node: imported (and, next, synced) ledgers, verified
//! end to end and kept only as far as they are valid.

use circle_core::bundle::Bundle;
use circle_core::checkpoint::{Snapshot, SnapshotLimits, Vouch};
use circle_core::compliance::{compliance, Compliance};
use circle_core::envelope::SignedChange;
use circle_core::keys::Hash32;
use circle_core::ledger::Ledger;
use circle_core::term::TermChain;
use circle_core::validate::{ingest, ingest_verified, ApplyReport, Verified};
use circle_store::{CircleSummary, Store, COMPACT_AFTER};

use crate::guard::{
    after_ingest, chain_mark, enforce_chain, handover_heads_missing, install_epoch,
    restore_freezes, store_certs, ChainMark,
};
use crate::{LocalCircle, NodeError};

/// A circle's verified ledger and certificate chain as held here.
#[derive(Debug)]
pub struct Replica {
    pub chain: TermChain,
    pub ledger: Ledger,
    /// Changes logged since the last snapshot: compaction runs when it grows long.
    pub(crate) log_len: usize,
    /// The chain as the ledger was last checked against (see `guard`).
    pub(crate) checked: ChainMark,
    /// This is the node's own circle, lent by [`LocalCircle::lend`] while a page pulled
    /// from another device of the circle is kept: what is taken out of it is warned of.
    pub(crate) own: bool,
}

impl Replica {
    pub fn circle_id(&self) -> Hash32 {
        self.chain.circle_id()
    }

    pub fn compliance(&self, now: u64) -> Compliance {
        compliance(&self.ledger, &self.chain, now)
    }

    /// A new, empty replica of a circle known so far only by its certificates.
    pub(crate) fn new(chain: TermChain) -> Replica {
        Replica {
            ledger: Ledger::empty_replica(chain.circle_id()),
            checked: chain_mark(&chain),
            chain,
            log_len: 0,
            own: false,
        }
    }

    /// The summary a catalog shows for this replica.
    pub(crate) fn summary(&self, now: u64) -> CircleSummary {
        let heads: Vec<Hash32> = self.ledger.heads().iter().map(|h| Hash32(h.0)).collect();
        CircleSummary {
            term: self.chain.latest().body.term,
            heads_digest: circle_core::sync::heads_digest(&heads),
            compliant: self.compliance(now).compliant,
        }
    }

    /// Verifies `changes` and stages what is valid, with certificates and summary;
    /// compacts a long log. The caller makes it durable with `Store::sync`.
    pub(crate) fn absorb(
        &mut self,
        store: &Store,
        changes: Vec<SignedChange>,
        now: u64,
    ) -> Result<ApplyReport, NodeError> {
        self.absorb_with(store, now, |ledger, chain| {
            ingest(ledger, chain, changes, now)
        })
    }

    /// As [`Replica::absorb`], for changes verified already (outside any lock) by
    /// `validate::verify_batch`.
    pub(crate) fn absorb_verified(
        &mut self,
        store: &Store,
        verified: Verified,
        now: u64,
    ) -> Result<ApplyReport, NodeError> {
        self.absorb_with(store, now, |ledger, chain| {
            ingest_verified(ledger, chain, verified, now)
        })
    }

    fn absorb_with(
        &mut self,
        store: &Store,
        now: u64,
        run: impl FnOnce(&mut Ledger, &TermChain) -> ApplyReport,
    ) -> Result<ApplyReport, NodeError> {
        let id = self.circle_id();
        store_certs(store, &self.chain)?;
        if chain_mark(&self.chain) != self.checked {
            if enforce_chain(store, &id, &mut self.ledger, &self.chain, self.own)? > 0 {
                self.log_len = 0;
            }
            self.checked = chain_mark(&self.chain);
        }
        let heads_missing = handover_heads_missing(&self.ledger, &self.chain);
        let report = run(&mut self.ledger, &self.chain);
        store.stage_changes(&id, &report.applied)?;
        after_ingest(store, &id, &self.ledger, &mut self.chain, &report, self.own)?;
        self.log_len += report.applied.len();
        if heads_missing
            && !report.applied.is_empty()
            && enforce_chain(store, &id, &mut self.ledger, &self.chain, self.own)? > 0
        {
            self.log_len = 0;
        }
        if self.log_len >= COMPACT_AFTER {
            store.compact(&id, self.ledger.doc())?;
            self.log_len = 0;
        }
        store.set_summary(&id, &self.summary(now))?;
        Ok(report)
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    pub circle_id: String,
    pub name: String,
    pub applied: usize,
    pub duplicates: usize,
    pub rejected: usize,
    pub pending: usize,
    pub compliant: bool,
}

/// Loads a circle's replica from the store, if any.
pub(crate) fn load_replica(store: &Store, id: &Hash32) -> Result<Option<Replica>, NodeError> {
    let certs = store.certs(id)?;
    if certs.is_empty() {
        return Ok(None);
    }
    let mut chain = TermChain::from_certs(certs)?;
    restore_freezes(store, id, &mut chain)?;
    let (ledger, log_len) = match store.load_doc(id)? {
        Some(loaded) => (Ledger::from_doc(loaded.doc, *id)?, loaded.log_len),
        None => (Ledger::empty_replica(*id), 0),
    };
    Ok(Some(Replica {
        checked: chain_mark(&chain),
        chain,
        ledger,
        log_len,
        own: false,
    }))
}

impl LocalCircle {
    /// The circles this node follows (not its own).
    pub fn sisters(&self) -> Result<Vec<Hash32>, NodeError> {
        Ok(self.store().followed()?)
    }

    /// Stops following a sister circle and drops its replica. `Ok(false)`: not followed.
    pub fn unfollow(&mut self, id: &Hash32) -> Result<bool, NodeError> {
        if *id == self.circle_id() {
            return Err(NodeError::Invalid(
                "that is this node's own circle; only sister circles can be unfollowed".into(),
            ));
        }
        let held = self.sisters()?.contains(id) || !self.store().certs(id)?.is_empty();
        if held {
            self.store().drop_circle(id)?;
        }
        Ok(held)
    }

    /// A sister circle's replica.
    pub fn sister(&self, id: &Hash32) -> Result<Option<Replica>, NodeError> {
        if *id == self.circle_id() || !self.sisters()?.contains(id) {
            return Ok(None);
        }
        load_replica(self.store(), id)
    }

    /// Verifies a bundle's base against the chain (as a snapshot from a peer is) and
    /// returns its document.
    pub(crate) fn open_base(
        store: &Store,
        id: &Hash32,
        chain: &TermChain,
        base: &[u8],
        now: u64,
    ) -> Result<(automerge::Automerge, u64), NodeError> {
        let invalid = |e: String| NodeError::Invalid(format!("the bundle's base is refused: {e}"));
        let snapshot = Snapshot::decode(base).map_err(|e| invalid(e.to_string()))?;
        let mut chain = chain.clone();
        restore_freezes(store, id, &mut chain)?;
        let opened = snapshot
            .open_counted(&chain, now, SnapshotLimits::default())
            .map_err(|e| invalid(e.to_string()))?;
        Ok((opened.ledger.into_doc(), opened.signed))
    }

    /// Keeps an installed base (to vouch for what it holds when this node exports or
    /// serves the circle: it holds no signature for those changes) and its count.
    pub(crate) fn keep_base(
        store: &Store,
        id: &Hash32,
        base: &[u8],
        signed: u64,
    ) -> Result<(), NodeError> {
        store.put_vouched_snapshot(id, base)?;
        store.set_vouched_changes(id, signed)?;
        Ok(())
    }

    /// Every signed change of a held circle (own or sister), with certificates.
    pub fn bundle(&self, id: &Hash32) -> Result<Bundle, NodeError> {
        let store = self.store();
        let (chain, doc) = if *id == self.circle_id() {
            (
                self.circle().chain.clone(),
                self.circle().ledger.doc().clone(),
            )
        } else {
            let r = self.sister(id)?.ok_or_else(|| {
                NodeError::NotFound(format!("circle {id} is not known to this node"))
            })?;
            (r.chain, r.ledger.into_doc())
        };
        // Changes no signature covers travel as a snapshot vouched by the chain: the
        // epoch's base past a forgetting handover, or the snapshot this node was synced
        // from (it holds no signature for what that vouched).
        let mut bases: Vec<Snapshot> = Vec::new();
        if let Some(f) = chain.epoch_start().and_then(|c| c.body.forgetting.as_ref()) {
            let vouch = Vouch::Epoch {
                term: chain.epoch_first_term(),
            };
            let built = Snapshot::history_at(&doc, &f.base_heads)
                .and_then(|h| Snapshot::build(&h, vouch))
                .map_err(|e| NodeError::Invalid(format!("the epoch's base: {e}")))?;
            bases.push(built);
        }
        let now = crate::node::now();
        if let Some(kept) = store
            .vouched_snapshot(id)?
            .and_then(|b| Snapshot::decode(&b).ok())
        {
            if kept.vouch.heads(&chain, now).is_ok() {
                bases.push(kept);
            } else if let Some(handover) = latest_handover(&chain, &doc, now) {
                // The kept snapshot's checkpoint was of a term that has ended since: the
                // handover that ended it vouches for that term's whole history.
                bases.push(handover);
            }
        }
        let mut last_missing = None;
        // The own circle's devices hold every signature: its bundle (a backup) carries
        // them all, and a base only past a forgetting handover. A sister's may hold
        // none for what a snapshot vouched.
        let own = *id == self.circle_id();
        let full = own.then_some(None);
        let tried = full
            .into_iter()
            .chain(bases.iter().map(Some))
            .chain((!own).then_some(None));
        for base in tried {
            let after: Vec<automerge::ChangeHash> = match base {
                Some(b) => b
                    .vouch
                    .heads(&chain, now)
                    .map_err(|e| NodeError::Invalid(e.to_string()))?
                    .iter()
                    .map(|h| automerge::ChangeHash(h.0))
                    .collect(),
                None if chain.epoch() > 0 => continue,
                None => Vec::new(),
            };
            match signed_after(store, id, &doc, &after)? {
                Ok(changes) => {
                    return Ok(Bundle {
                        circle_id: *id,
                        certs: chain.all_certs().cloned().collect(),
                        changes,
                        base: base.map(Snapshot::encode),
                    })
                }
                Err(hash) => last_missing = Some(hash),
            }
        }
        let hash = last_missing.map(|h| h.to_hex()).unwrap_or_default();
        Err(NodeError::Invalid(format!(
            "change {hash} has no stored signature"
        )))
    }

    /// Verifies a bundle end to end and keeps what is valid. Importing one's own circle
    /// merges changes made on another device; any other circle becomes a followed sister.
    pub fn import(&mut self, bundle: Bundle, now: u64) -> Result<ImportReport, NodeError> {
        let id = bundle.circle_id;
        let own = id == self.circle_id();
        let incoming = TermChain::from_certs(bundle.certs.clone())?;
        if incoming.circle_id() != id {
            return Err(NodeError::Invalid(
                "the bundle's certificates belong to another circle".into(),
            ));
        }
        let mut replica = if own {
            None
        } else {
            load_replica(self.store(), &id)?
        };
        // Merge certificates into what we already hold (equivocations are kept).
        let mut chain = match (&replica, own) {
            (_, true) => self.circle().chain.clone(),
            (Some(r), false) => r.chain.clone(),
            (None, false) => incoming.clone(),
        };
        for cert in bundle.certs {
            chain.insert(cert)?;
        }
        let store = self.store().clone();
        store_certs(&store, &chain)?;
        if let Some(base) = &bundle.base {
            let (doc, signed) = Self::open_base(&store, &id, &chain, base, now)?;
            if store.epoch(&id)? < chain.epoch() {
                if own {
                    let c = self.circle_mut();
                    install_epoch(&store, &id, &mut c.ledger, &chain, doc)?;
                    c.chain = chain.clone();
                } else {
                    let r = replica.get_or_insert_with(|| Replica::new(chain.clone()));
                    install_epoch(&store, &id, &mut r.ledger, &chain, doc)?;
                    r.chain = chain.clone();
                    r.checked = chain_mark(&chain);
                    r.log_len = 0;
                }
                Self::keep_base(&store, &id, base, signed)?;
            } else if !own && replica.is_none() {
                // A sister first met through a bundle of a snapshot-synced node.
                store.install_document(&id, &doc.save())?;
                Self::keep_base(&store, &id, base, signed)?;
                let mut r = Replica::new(chain.clone());
                r.ledger = Ledger::from_doc(doc, id)?;
                replica = Some(r);
            }
        }
        let report = if own {
            if chain_mark(&chain) != chain_mark(&self.circle().chain) {
                enforce_chain(&store, &id, &mut self.circle_mut().ledger, &chain, true)?;
            }
            let heads_missing = handover_heads_missing(&self.circle().ledger, &chain);
            let ledger = &mut self.circle_mut().ledger;
            let r = ingest(ledger, &chain, bundle.changes, now);
            store.stage_changes(&id, &r.applied)?;
            after_ingest(&store, &id, &self.circle().ledger, &mut chain, &r, true)?;
            if heads_missing && !r.applied.is_empty() {
                enforce_chain(&store, &id, &mut self.circle_mut().ledger, &chain, true)?;
            }
            self.circle_mut().chain = chain;
            r
        } else {
            let r = replica.get_or_insert_with(|| Replica::new(chain.clone()));
            r.chain = chain;
            let report = r.absorb(&store, bundle.changes, now)?;
            store.follow(&id, circle_core::ledger::day_of(now))?;
            report
        };
        store.sync()?;
        if own {
            // After the certificates are durable: candidates they name become keys.
            self.adopt_keys()?;
        }
        let (name, compliant) = if own {
            let c = self.circle();
            (
                c.ledger.name(),
                compliance(&c.ledger, &c.chain, now).compliant,
            )
        } else {
            let r = replica
                .as_ref()
                .ok_or_else(|| NodeError::Invalid("replica vanished".into()))?;
            (r.ledger.name(), r.compliance(now).compliant)
        };
        Ok(ImportReport {
            circle_id: id.to_hex(),
            name,
            applied: report.applied.len(),
            duplicates: report.duplicates,
            rejected: report.rejected.len(),
            pending: report.pending.len(),
            compliant,
        })
    }
}

/// Every change of `doc` after `after`, with its stored signature, or the first change
/// that has none.
fn signed_after(
    store: &Store,
    id: &Hash32,
    doc: &automerge::Automerge,
    after: &[automerge::ChangeHash],
) -> Result<Result<Vec<SignedChange>, Hash32>, NodeError> {
    let mut changes = Vec::new();
    for c in doc.get_changes(after) {
        let hash = Hash32(c.hash().0);
        let Some(envelope) = store.envelope(id, &hash)? else {
            return Ok(Err(hash));
        };
        changes.push(SignedChange {
            envelope,
            bytes: c.raw_bytes().to_vec(),
        });
    }
    Ok(Ok(changes))
}

/// A snapshot of `doc` up to the latest handover, vouched for by it (`None` if the chain
/// has none that vouches, or `doc` lacks its heads).
fn latest_handover(chain: &TermChain, doc: &automerge::Automerge, now: u64) -> Option<Snapshot> {
    let vouch = Vouch::Handover {
        term: chain.latest().body.term.checked_sub(1)?,
    };
    let heads = vouch.heads(chain, now).ok()?;
    let history = Snapshot::history_at(doc, &heads).ok()?;
    Snapshot::build(&history, vouch).ok()
}
