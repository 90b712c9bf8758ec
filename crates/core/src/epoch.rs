//! Epochs: a term that forgets starts its ledger afresh from the retained state.
//!
//! Automerge cannot delete history, so forgetting is a *rebase*: at a handover whose
//! certificate carries a [`Forgetting`](crate::term::Forgetting), every node builds the
//! next epoch's base document from the history at the handover heads, and the old
//! history is dropped. The base keeps the circle's knowledge whole — tactics with their
//! lineage, zines, the protocol (fund declaration, pledges, licence), open tasks — and
//! of its evidence (actions, retrospectives, fund entries and their memos, closed tasks
//! and their notes) only what was written in the last `retain_terms` terms. Forgotten
//! fund entries are folded into one "carried forward" entry per currency, so balances
//! never change. Lottery records are not carried: a draw is checked against the change
//! graph of its own epoch, and a steward draw's proof travels in its certificate.
//!
//! The base is a pure function of that history and the certificate: one change, written
//! by an actor derived from the circle and epoch, at time 0, with records copied in their
//! creation order. Every node that holds the history derives the same change hash, so
//! the certificate's `base_heads` vouch for it (`docs/EPOCHS.md`).

mod copy;
mod terms;

use std::collections::BTreeMap;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Automerge, ChangeHash, ObjId, ObjType, ReadDoc, ROOT};
use rust_decimal::Decimal;
use thiserror::Error;

use crate::keys::Hash32;
use crate::ledger::{ids_of, read_str, read_u64};
use crate::term::{CertBody, Forgetting, FORGETTING_VERSION};
use copy::{copy_key, copy_map};
use terms::OpIndex;

/// Why a base could not be derived here (the caller then takes it from a peer, as a
/// snapshot vouched by the certificate's base heads).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EpochError {
    #[error("the term of change {0} is not known here (its signature was never held)")]
    UnknownTerm(String),
    #[error("the history is not a ledger: missing `{0}`")]
    NotALedger(&'static str),
    #[error("building the base document failed: {0}")]
    Automerge(String),
    #[error("the history given is not the one at the certificate's handover heads")]
    NotAtHandover,
    #[error("the certificate does not start an epoch")]
    NotForgetting,
    #[error("the base derived here differs from the one the certificate vouches for")]
    BaseMismatch,
}

impl From<automerge::AutomergeError> for EpochError {
    fn from(e: automerge::AutomergeError) -> EpochError {
        EpochError::Automerge(e.to_string())
    }
}

/// What a rebase needs besides the history: all of it from the certificate chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RebasePlan {
    pub circle_id: Hash32,
    /// The epoch the history belongs to (its own base, if any, was written by that
    /// epoch's actor and records the terms of what it copied).
    pub prev_epoch: u64,
    pub epoch: u64,
    /// The term that starts the epoch.
    pub new_term: u64,
    pub retain_terms: u32,
    /// The day (unix seconds, day-rounded) the term starts: the date of carried entries.
    pub day: u64,
}

impl RebasePlan {
    /// The plan of the epoch a certificate body starts (or would start).
    pub fn for_body(body: &CertBody, retain_terms: u32, epoch: u64) -> RebasePlan {
        RebasePlan {
            circle_id: body.circle_id.unwrap_or(Hash32([0; 32])),
            prev_epoch: epoch.saturating_sub(1),
            epoch,
            new_term: body.term,
            retain_terms,
            day: crate::ledger::day_of(body.start),
        }
    }

    /// Is evidence written in `term` still kept when `new_term` begins?
    pub fn keeps(&self, term: u64) -> bool {
        term.saturating_add(u64::from(self.retain_terms)) > self.new_term
    }
}

/// The actor that writes epoch `epoch`'s base: the same on every node.
pub fn epoch_actor(circle: &Hash32, epoch: u64) -> ActorId {
    let d = Hash32::digest(
        b"circle-ledger/epoch-actor/v1",
        &[&circle.0, &epoch.to_be_bytes()],
    );
    ActorId::from(&d.0[..16])
}

/// The heads of a base document, as a certificate names them.
pub fn base_heads(doc: &Automerge) -> Vec<Hash32> {
    let mut heads: Vec<Hash32> = doc.get_heads().iter().map(|h| Hash32(h.0)).collect();
    heads.sort();
    heads
}

/// Makes `body` (the next term's, handing over at `history`'s heads) start epoch
/// `epoch` keeping evidence for `retain_terms` terms: derives the base and names its
/// heads in the body. Returns the base.
pub fn start(
    body: &mut CertBody,
    history: &Automerge,
    retain_terms: u32,
    epoch: u64,
    term_of: &dyn Fn(&ChangeHash) -> Option<u64>,
) -> Result<Automerge, EpochError> {
    check_at_handover(body, history)?;
    let base = rebase(
        history,
        &RebasePlan::for_body(body, retain_terms, epoch),
        term_of,
    )?;
    body.version = FORGETTING_VERSION;
    body.forgetting = Some(Forgetting {
        retain_terms,
        epoch,
        base_heads: base_heads(&base),
    });
    Ok(base)
}

/// Derives the base a certificate body vouches for from `history` (the ledger at its
/// handover heads) and checks it is that one.
pub fn derive(
    body: &CertBody,
    history: &Automerge,
    term_of: &dyn Fn(&ChangeHash) -> Option<u64>,
) -> Result<Automerge, EpochError> {
    let f = body.forgetting.as_ref().ok_or(EpochError::NotForgetting)?;
    check_at_handover(body, history)?;
    let base = rebase(
        history,
        &RebasePlan::for_body(body, f.retain_terms, f.epoch),
        term_of,
    )?;
    if base_heads(&base) != f.base_heads {
        return Err(EpochError::BaseMismatch);
    }
    Ok(base)
}

fn check_at_handover(body: &CertBody, history: &Automerge) -> Result<(), EpochError> {
    let mut want = body.handover_heads.clone();
    want.sort();
    if base_heads(history) != want {
        return Err(EpochError::NotAtHandover);
    }
    Ok(())
}

/// Derives the next epoch's base from `history` (the ledger at the handover heads).
/// `term_of` gives the term of a signed change (from its envelope).
pub fn rebase(
    history: &Automerge,
    plan: &RebasePlan,
    term_of: &dyn Fn(&ChangeHash) -> Option<u64>,
) -> Result<Automerge, EpochError> {
    let src = Source {
        doc: history,
        index: OpIndex::build(history),
        prev_actor: (plan.prev_epoch > 0).then(|| epoch_actor(&plan.circle_id, plan.prev_epoch)),
        term_of,
    };
    let mut base = Automerge::new().with_actor(epoch_actor(&plan.circle_id, plan.epoch));
    let mut tx = base.transaction();
    copy_key(history, &ROOT, "schema_version", &mut tx, &ROOT)?;
    let circle = src.object(&ROOT, "circle")?;
    let dst_circle = tx.put_object(ROOT, "circle", ObjType::Map)?;
    copy_map(history, &circle, &mut tx, &dst_circle)?;
    tx.put(&dst_circle, "epoch", plan.epoch)?;
    tx.put(&dst_circle, "epoch_first_term", plan.new_term)?;
    tx.put(&dst_circle, "retain_terms", u64::from(plan.retain_terms))?;

    let protocol = src.object(&ROOT, "protocol")?;
    let dst_protocol = tx.put_object(ROOT, "protocol", ObjType::Map)?;
    let keys: Vec<String> = history.keys(&protocol).collect();
    for k in keys.iter().filter(|k| k.as_str() != "fund_ledger") {
        copy_key(history, &protocol, k, &mut tx, &dst_protocol)?;
    }
    let entries = src.object(&protocol, "fund_ledger")?;
    let dst_entries = tx.put_object(&dst_protocol, "fund_ledger", ObjType::Map)?;
    src.copy_fund(&entries, plan, &mut tx, &dst_entries)?;

    for name in ["tactics", "zines"] {
        let from = src.object(&ROOT, name)?;
        let to = tx.put_object(ROOT, name, ObjType::Map)?;
        src.copy_records(&from, &mut tx, &to, |_, _| Ok(None))?;
    }
    for name in ["actions", "retros"] {
        let from = src.object(&ROOT, name)?;
        let to = tx.put_object(ROOT, name, ObjType::Map)?;
        src.copy_records(&from, &mut tx, &to, |s, rec| {
            let term = s.term_of_op(rec, rec)?;
            Ok(Some(if plan.keeps(term) { term } else { DROP }))
        })?;
    }
    let tasks = src.object(&ROOT, "tasks")?;
    let dst_tasks = tx.put_object(ROOT, "tasks", ObjType::Map)?;
    src.copy_records(&tasks, &mut tx, &dst_tasks, |s, rec| {
        if read_str(s.doc, rec, "status").as_deref() != Some("closed") {
            return Ok(None);
        }
        let Some((_, status_op)) = s.doc.get(rec, "status")? else {
            return Ok(Some(DROP));
        };
        let term = s.term_of_op(&status_op, rec)?;
        Ok(Some(if plan.keeps(term) { term } else { DROP }))
    })?;
    tx.commit_with(CommitOptions::default().with_time(0));
    Ok(base)
}

/// Marks a record to drop in `copy_records`' filter answer.
const DROP: u64 = u64::MAX;

struct Source<'a> {
    doc: &'a Automerge,
    index: OpIndex,
    prev_actor: Option<ActorId>,
    term_of: &'a dyn Fn(&ChangeHash) -> Option<u64>,
}

impl Source<'_> {
    fn object(&self, parent: &ObjId, key: &'static str) -> Result<ObjId, EpochError> {
        match self.doc.get(parent, key)? {
            Some((automerge::Value::Object(_), id)) => Ok(id),
            _ => Err(EpochError::NotALedger(key)),
        }
    }

    /// The term that wrote operation `op` of `record`.
    fn term_of_op(&self, op: &ObjId, record: &ObjId) -> Result<u64, EpochError> {
        let (actor, hash) = self
            .index
            .change_of(op)
            .ok_or_else(|| EpochError::Automerge("an operation without its change".into()))?;
        if Some(actor) == self.prev_actor.as_ref() {
            // Copied by the previous base: it recorded the term (0 if it could not).
            return Ok(read_u64(self.doc, record, "term").unwrap_or(0));
        }
        (self.term_of)(&hash).ok_or_else(|| EpochError::UnknownTerm(hash.to_string()))
    }

    /// Copies the records of a collection in creation order. `filter` answers `None`
    /// (keep, no term to record), `Some(term)` (keep, recording its term) or
    /// `Some(DROP)`.
    fn copy_records(
        &self,
        from: &ObjId,
        tx: &mut automerge::transaction::Transaction<'_>,
        to: &ObjId,
        filter: impl Fn(&Self, &ObjId) -> Result<Option<u64>, EpochError>,
    ) -> Result<(), EpochError> {
        for id in ids_of(self.doc, from) {
            let Some((automerge::Value::Object(ObjType::Map), rec)) = self.doc.get(from, &id)?
            else {
                continue;
            };
            let term = filter(self, &rec)?;
            if term == Some(DROP) {
                continue;
            }
            let dst = tx.put_object(to, id.as_str(), ObjType::Map)?;
            copy_map(self.doc, &rec, tx, &dst)?;
            if let Some(term) = term {
                tx.put(&dst, "term", term)?;
            }
        }
        Ok(())
    }

    /// Keeps the fund entries of the retained terms and folds the others, per
    /// currency, into one entry that carries their balance forward.
    fn copy_fund(
        &self,
        entries: &ObjId,
        plan: &RebasePlan,
        tx: &mut automerge::transaction::Transaction<'_>,
        to: &ObjId,
    ) -> Result<(), EpochError> {
        let mut carried: BTreeMap<String, Decimal> = BTreeMap::new();
        let mut kept = Vec::new();
        for id in ids_of(self.doc, entries) {
            let Some((automerge::Value::Object(ObjType::Map), rec)) = self.doc.get(entries, &id)?
            else {
                continue;
            };
            let term = self.term_of_op(&rec, &rec)?;
            if plan.keeps(term) {
                kept.push((id, rec, term));
            } else if let Some((currency, signed)) = signed_amount(self.doc, &rec) {
                *carried.entry(currency).or_default() += signed;
            }
        }
        // Carried entries first, so creation order still reads oldest first.
        for (currency, net) in carried.into_iter().filter(|(_, n)| !n.is_zero()) {
            let e = tx.put_object(
                to,
                format!("carried-{}", currency.to_lowercase()),
                ObjType::Map,
            )?;
            let kind = if net.is_sign_negative() {
                "disbursement"
            } else {
                "contribution"
            };
            tx.put(&e, "kind", kind)?;
            tx.put(&e, "amount", net.abs().normalize().to_string())?;
            tx.put(&e, "currency", currency.as_str())?;
            tx.put(&e, "memo", "balance carried forward")?;
            tx.put(&e, "day", plan.day)?;
            tx.put(&e, "term", 0u64)?;
        }
        for (id, rec, term) in kept {
            let dst = tx.put_object(to, id.as_str(), ObjType::Map)?;
            copy_map(self.doc, &rec, tx, &dst)?;
            tx.put(&dst, "term", term)?;
        }
        Ok(())
    }
}

/// A fund entry's currency and amount, negative for a disbursement (`None` when
/// unreadable: such entries count in no balance, as `Ledger::fund` reads them).
fn signed_amount(doc: &Automerge, rec: &ObjId) -> Option<(String, Decimal)> {
    let amount: crate::ledger::Amount = read_str(doc, rec, "amount")?.parse().ok()?;
    let currency = crate::ledger::Currency::read_stored(&read_str(doc, rec, "currency")?)?;
    match read_str(doc, rec, "kind")?.as_str() {
        "contribution" => Some((currency.to_string(), amount.value())),
        "disbursement" => Some((currency.to_string(), -amount.value())),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
