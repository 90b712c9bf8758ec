//! Taking changes back out of a replica: Automerge cannot remove a change, so the
//! document is rebuilt from its own (already verified) changes minus the condemned ones
//! and everything that depends on them.
//!
//! Used when an equivocation freezes an actor after some of its changes were applied,
//! and when a new certificate shows applied changes to lie outside a handover history
//! (a past term's key writing after the handover, seen before the certificate). Revoking
//! a steward is the same operation.

use std::collections::{HashMap, HashSet};

use automerge::{Automerge, Change, ChangeHash};

use crate::error::LedgerError;
use crate::keys::Hash32;
use crate::ledger::Ledger;
use crate::term::TermChain;

/// Rebuilds `ledger` without every change `condemn` names and their descendants;
/// returns the changes taken out (empty, and nothing rebuilt, if none matched). The
/// caller must replace its stored copy of the document (see `Store::replace_doc`).
pub fn rebuild_without(
    ledger: &mut Ledger,
    condemn: impl Fn(&Change) -> bool,
) -> Result<Vec<Change>, LedgerError> {
    let changes = ledger.doc().get_changes(&[]);
    let index: HashMap<ChangeHash, usize> = changes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.hash(), i))
        .collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); changes.len()];
    for (i, c) in changes.iter().enumerate() {
        for d in c.deps() {
            if let Some(&j) = index.get(d) {
                children[j].push(i);
            }
        }
    }
    let mut dead = vec![false; changes.len()];
    let mut stack: Vec<usize> = (0..changes.len())
        .filter(|&i| condemn(&changes[i]))
        .collect();
    while let Some(i) = stack.pop() {
        if !std::mem::replace(&mut dead[i], true) {
            stack.extend(children[i].iter().copied());
        }
    }
    if !dead.iter().any(|d| *d) {
        return Ok(Vec::new());
    }
    let (mut removed, mut kept) = (Vec::new(), Vec::new());
    for (c, d) in changes.into_iter().zip(dead) {
        if d {
            removed.push(c);
        } else {
            kept.push(c);
        }
    }
    let mut doc = Automerge::new().with_actor(ledger.doc().get_actor().clone());
    // Kept changes are causally closed (a descendant of a removed change is removed).
    doc.apply_changes(kept)?;
    ledger.replace_doc(doc);
    Ok(removed)
}

/// Applied changes that lie outside a handover: signed for a term that has ended
/// (per `term_of`, from the stored envelopes) yet not in the history of *every*
/// certificate of the next term, whose heads are all applied; and, after a certificate
/// fork, every change of the fork's term or later. Empty when the document obeys the
/// chain.
pub fn outside_handover(
    ledger: &Ledger,
    chain: &TermChain,
    term_of: impl Fn(&Hash32) -> Option<u64>,
) -> HashSet<Hash32> {
    let doc = ledger.doc();
    let latest = chain.latest().body.term;
    let metas = doc.get_changes_meta(&[]);
    let deps: HashMap<Hash32, Vec<Hash32>> = metas
        .iter()
        .map(|m| {
            (
                Hash32(m.hash.0),
                m.deps.iter().map(|d| Hash32(d.0)).collect(),
            )
        })
        .collect();
    // For each ended term whose successors' heads are all here: its allowed history.
    let mut allowed: HashMap<u64, HashSet<Hash32>> = HashMap::new();
    for term in 0..latest {
        let Some(sets) = chain.handover_heads(term) else {
            continue;
        };
        if !sets
            .iter()
            .all(|heads| heads.iter().all(|h| deps.contains_key(h)))
        {
            continue;
        }
        let mut common: Option<HashSet<Hash32>> = None;
        for heads in sets {
            let set = ancestors(&deps, heads);
            common = Some(match common {
                None => set,
                Some(c) => c.intersection(&set).copied().collect(),
            });
        }
        allowed.insert(term, common.unwrap_or_default());
    }
    let fork = chain.fork_term();
    let mut out = HashSet::new();
    for h in deps.keys() {
        if fork.is_none() && allowed.values().all(|set| set.contains(h)) {
            // In every handover history: whatever its term, it is allowed.
            continue;
        }
        if let Some(t) = term_of(h) {
            if fork.is_some_and(|f| t >= f) || allowed.get(&t).is_some_and(|set| !set.contains(h)) {
                out.insert(*h);
            }
        }
    }
    out
}

fn ancestors(deps: &HashMap<Hash32, Vec<Hash32>>, heads: &[Hash32]) -> HashSet<Hash32> {
    let mut set = HashSet::new();
    let mut stack: Vec<Hash32> = heads.to_vec();
    while let Some(h) = stack.pop() {
        if set.insert(h) {
            if let Some(d) = deps.get(&h) {
                stack.extend(d.iter().copied());
            }
        }
    }
    set
}
