//! Keeping a held ledger consistent with what its chain says, after ingest or after
//! new certificates: evidence of equivocations is stored and their actors frozen,
//! and changes the chain now rules out are taken out by a rebuild (the mechanism
//! revocation will use too).

use circle_core::envelope::SignedChange;
use circle_core::keys::Hash32;
use circle_core::ledger::Ledger;
use circle_core::term::TermChain;
use circle_core::validate::{outside_handover, rebuild_without, ApplyReport};
use circle_store::{ChangeEvidence, Store};
use tracing::warn;

use crate::NodeError;

/// What the chain looked like when the ledger was last checked against it: a new
/// term or a new fork means applied changes may now be ruled out.
pub(crate) type ChainMark = (u64, usize);

pub(crate) fn chain_mark(chain: &TermChain) -> ChainMark {
    (chain.latest().body.term, chain.equivocations().len())
}

/// Whether some ended term's handover heads are not in the ledger yet. `enforce_chain`
/// cannot tell what lies outside such a handover (it skips that term), so a certificate
/// that arrives before the changes it hands over at must be enforced again once they are
/// applied: a change written meanwhile under the ended term would stay otherwise.
pub(crate) fn handover_heads_missing(ledger: &Ledger, chain: &TermChain) -> bool {
    let doc = ledger.doc();
    (0..chain.latest().body.term).any(|term| {
        chain.handover_heads(term).is_some_and(|sets| {
            sets.iter().any(|heads| {
                heads
                    .iter()
                    .any(|h| !circle_core::validate::has_change(doc, &automerge::ChangeHash(h.0)))
            })
        })
    })
}

/// The source a peer's certificates are counted under while they wait for their
/// predecessor (bounded per source, see `TermChain::insert_from`).
pub(crate) fn cert_source(peer: &str) -> circle_core::term::CertSource {
    let h = Hash32::digest(b"circle-ledger/cert-source/v1", &[peer.as_bytes()]);
    let mut b = [0u8; 8];
    b.copy_from_slice(&h.0[..8]);
    // 0 is this node's own source.
    u64::from_le_bytes(b).max(1)
}

/// Freezes again, on open, every actor whose equivocation was stored.
pub(crate) fn restore_freezes(
    store: &Store,
    id: &Hash32,
    chain: &mut TermChain,
) -> Result<(), NodeError> {
    for e in store.change_evidence(id)? {
        chain.freeze_actor(&e.actor, e.seq);
    }
    Ok(())
}

/// Stores every certificate the chain holds, evidence of forks included, so that a
/// fork is found again after a restart.
pub(crate) fn store_certs(store: &Store, chain: &TermChain) -> Result<(), NodeError> {
    for cert in chain.all_certs() {
        store.put_cert(cert)?;
    }
    Ok(())
}

/// After an ingest: keeps evidence of each equivocation found (both changes), freezes
/// its actor in the chain, and replaces the stored document if it was rebuilt. Call
/// after staging `report.applied`.
pub(crate) fn after_ingest(
    store: &Store,
    id: &Hash32,
    ledger: &Ledger,
    chain: &mut TermChain,
    report: &ApplyReport,
    own: bool,
) -> Result<(), NodeError> {
    for e in &report.equivocations {
        let actor = e.actor.to_bytes().to_vec();
        chain.freeze_actor(&actor, e.seq);
        let mut evidence = vec![e.second.clone()];
        if let Some((c, env)) = report
            .removed
            .iter()
            .find(|(c, _)| Hash32(c.hash().0) == e.first)
        {
            let env = match env {
                Some(env) => Some(env.clone()),
                None => store.envelope(id, &e.first)?,
            };
            if let Some(envelope) = env {
                evidence.push(SignedChange {
                    envelope,
                    bytes: c.raw_bytes().to_vec(),
                });
            }
        }
        for change in evidence {
            store.put_change_evidence(
                id,
                &ChangeEvidence {
                    actor: actor.clone(),
                    seq: e.seq,
                    change,
                },
            )?;
        }
        if own {
            warn!(
                seq = e.seq,
                "a steward of this circle signed two versions of one change: that writer is frozen"
            );
        }
    }
    if let Some(why) = &report.rebuild_error {
        warn!(%why, "could not take frozen changes out of a ledger");
    }
    if !report.removed.is_empty() {
        store.replace_doc(id, ledger.doc())?;
        if own {
            warn!(
                removed = report.removed.len(),
                "changes were taken out of this circle's own ledger (an equivocating writer)"
            );
        }
    }
    Ok(())
}

/// After the chain changed (a new term, a fork): takes out applied changes that now
/// lie outside a handover history, and stages the rebuilt document. Returns how many.
pub(crate) fn enforce_chain(
    store: &Store,
    id: &Hash32,
    ledger: &mut Ledger,
    chain: &TermChain,
    own: bool,
) -> Result<usize, NodeError> {
    if enter_epoch(store, id, ledger, chain)? {
        return Ok(0);
    }
    let term_of = |h: &Hash32| store.envelope(id, h).ok().flatten().map(|e| e.term);
    let outside = outside_handover(ledger, chain, term_of);
    if outside.is_empty() {
        return Ok(0);
    }
    // The own circle's writes taken out stay recoverable: the ledger as it was is
    // written to a file first (a device that wrote while apart from a handover it
    // knew nothing of; see docs/DECISIONS.md).
    let before = own.then(|| ledger.doc().save());
    let removed = rebuild_without(ledger, |c| outside.contains(&Hash32(c.hash().0)))?;
    let kept = match before {
        Some(bytes) if !removed.is_empty() => {
            Some(keep_before(store, chain.latest().body.term, &bytes)?)
        }
        _ => None,
    };
    store.replace_doc(id, ledger.doc())?;
    if let Some(path) = kept {
        warn!(
            removed = removed.len(),
            file = %path.display(),
            "changes in this circle's own ledger were written after a handover (or past a \
             certificate fork) and have been taken out: a past steward key may be in other \
             hands, or this device wrote while apart from the handover. The ledger as it was is \
             kept in the file, so that a steward of the new term can enter them again"
        );
    }
    Ok(removed.len())
}

/// When the chain has started an epoch this node's store is not in yet: derives the
/// base from the history at the epoch's handover heads, checks it against the heads
/// the certificate vouches for, makes it the ledger and forgets the old epoch (store:
/// sealed values under a destroyed key; `recovered/` files of the old epoch). Returns
/// whether it did. It cannot when the history here is short of the handover heads, or
/// the chain is more than one epoch ahead, or a change's signature was never held here
/// (a snapshot first sync): the base then comes from a peer (`docs/EPOCHS.md`).
pub(crate) fn enter_epoch(
    store: &Store,
    id: &Hash32,
    ledger: &mut Ledger,
    chain: &TermChain,
) -> Result<bool, NodeError> {
    let held = store.epoch(id)?;
    let Some(cert) = chain.epoch_start() else {
        return Ok(false);
    };
    if chain.epoch() != held + 1 || chain.fork_term().is_some() {
        return Ok(false);
    }
    let heads = cert.body.handover_hashes();
    let doc = ledger.doc();
    if heads
        .iter()
        .any(|h| !circle_core::validate::has_change(doc, h))
    {
        return Ok(false);
    }
    let history = doc
        .fork_at(&heads)
        .map_err(|e| NodeError::Invalid(format!("the handover history: {e}")))?;
    let term_of = signed_term(store, *id);
    let base = match circle_core::epoch::derive(&cert.body, &history, &term_of) {
        Ok(base) => base,
        Err(e) => {
            warn!(%e, term = cert.body.term, "cannot derive the new epoch's base here; it will be taken from a peer");
            return Ok(false);
        }
    };
    install_epoch(store, id, ledger, chain, base)?;
    Ok(true)
}

/// The term of a change of `id` by its stored signature (`None`: never held signed).
pub(crate) fn signed_term(
    store: &Store,
    id: Hash32,
) -> impl Fn(&automerge::ChangeHash) -> Option<u64> + '_ {
    move |h| {
        store
            .envelope(&id, &Hash32(h.0))
            .ok()
            .flatten()
            .map(|e| e.term)
    }
}

/// Makes `base` (verified: derived here, or loaded from a snapshot vouched by the
/// epoch's certificate) the ledger of the chain's epoch and forgets the old one.
pub(crate) fn install_epoch(
    store: &Store,
    id: &Hash32,
    ledger: &mut Ledger,
    chain: &TermChain,
    base: automerge::Automerge,
) -> Result<(), NodeError> {
    let first = chain.epoch_first_term();
    let retain = u64::from(chain.retain_terms().unwrap_or(1));
    // Alerts are evidence: kept from the start of the oldest term still retained.
    let oldest = (first + 1).saturating_sub(retain);
    let keep_alerts_since = chain.term(oldest).map(|c| c.body.start).unwrap_or(0);
    let actor = ledger.doc().get_actor().clone();
    let mut fresh = Ledger::from_doc(base, *id)?;
    fresh.set_actor(actor);
    store.start_epoch(id, chain.epoch(), &fresh.doc().save(), keep_alerts_since)?;
    forget_recovered(store)?;
    *ledger = fresh;
    tracing::info!(
        epoch = chain.epoch(),
        first_term = first,
        "a new epoch began: the evidence it does not retain is forgotten on this node"
    );
    Ok(())
}

/// Files of `recovered/` hold an earlier ledger in full: after forgetting, none may stay.
fn forget_recovered(store: &Store) -> Result<(), NodeError> {
    let root = store.dir().parent().unwrap_or(store.dir());
    let dir = root.join("recovered");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(circle_store::StoreError::from)?;
    }
    Ok(())
}

/// Writes the own ledger as it was before changes were taken out to `recovered/` in the
/// data directory: an Automerge file any Automerge library (and `Ledger::from_doc`)
/// loads, holding the writes taken out with their history.
fn keep_before(store: &Store, term: u64, bytes: &[u8]) -> Result<std::path::PathBuf, NodeError> {
    use std::io::Write;
    let root = store.dir().parent().unwrap_or(store.dir());
    let dir = root.join("recovered");
    std::fs::create_dir_all(&dir).map_err(circle_store::StoreError::from)?;
    let tag = Hash32::digest(b"circle-ledger/recovered/v1", &[bytes]);
    let path = dir.join(format!(
        "before-handover-term-{term}-{}.automerge",
        &tag.to_hex()[..12]
    ));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&path)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::File::open(&dir)?.sync_all()
    };
    write().map_err(circle_store::StoreError::from)?;
    Ok(path)
}

#[cfg(test)]
mod tests;
