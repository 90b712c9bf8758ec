//! What may reach Automerge: a verified change whose dependencies are all applied (or
//! released earlier in the same batch) and whose sequence number is its actor's next.
//!
//! Automerge queues a change with missing dependencies and applies it later, when they
//! arrive, whatever ingest decided meanwhile; and it refuses a whole batch when one
//! change reuses an actor's sequence number. The gate keeps both out: changes wait
//! here (and then in the caller's bounded quarantine), never in Automerge's queue,
//! and two changes claiming one (actor, seq) freeze that actor (see
//! `docs/DECISIONS.md`). Every check is a hash lookup, whatever arrives.

use std::collections::{HashMap, HashSet};

use automerge::{ActorId, Automerge, ChangeHash};

use super::{has_change, ApplyReport, Prepared};
use crate::envelope::SignedChange;
use crate::error::Pending;
use crate::keys::Hash32;

/// The highest sequence number applied per actor. Automerge keeps this but does not
/// expose it; built from the document once, then kept up to date by every apply.
#[derive(Clone, Debug, Default)]
pub(crate) struct SeqIndex {
    max: HashMap<ActorId, u64>,
}

impl SeqIndex {
    pub(crate) fn build(doc: &Automerge) -> SeqIndex {
        let mut ix = SeqIndex::default();
        for meta in doc.get_changes_meta(&[]) {
            ix.note(&meta.actor, meta.seq);
        }
        ix
    }

    pub(crate) fn max(&self, actor: &ActorId) -> u64 {
        self.max.get(actor).copied().unwrap_or(0)
    }

    pub(crate) fn note(&mut self, actor: &ActorId, seq: u64) {
        let m = self.max.entry(actor.clone()).or_insert(0);
        *m = (*m).max(seq);
    }
}

/// Two verified changes by one actor with one sequence number: evidence of a fork.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeEquivocation {
    pub actor: ActorId,
    pub seq: u64,
    /// The change that claimed (actor, seq) first here (applied, or released earlier in
    /// the batch); its bytes are in [`ApplyReport::removed`] once the replica is rebuilt.
    pub first: Hash32,
    pub second: SignedChange,
}

/// Why a parked change waits.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum WaitKey {
    Change(Hash32),
    /// The actor's change with this sequence number.
    Seq(ActorId, u64),
}

pub(crate) struct Gate<'a> {
    frozen: HashMap<ActorId, u64>,
    seqs: &'a mut SeqIndex,
    /// Released in this ingest, by hash and by (actor, seq).
    released: HashSet<Hash32>,
    claimed: HashMap<(ActorId, u64), Hash32>,
    /// Refused for an equivocation, and whatever depends on them.
    dead: HashSet<Hash32>,
    parked: Vec<Option<Prepared>>,
    waiting: HashMap<WaitKey, Vec<usize>>,
    new_freezes: Vec<(ActorId, u64)>,
}

impl<'a> Gate<'a> {
    pub(crate) fn new(frozen: HashMap<ActorId, u64>, seqs: &'a mut SeqIndex) -> Gate<'a> {
        Gate {
            frozen,
            seqs,
            released: HashSet::new(),
            claimed: HashMap::new(),
            dead: HashSet::new(),
            parked: Vec::new(),
            waiting: HashMap::new(),
            new_freezes: Vec::new(),
        }
    }

    fn is_frozen(&self, actor: &ActorId, seq: u64) -> bool {
        self.frozen.get(actor).is_some_and(|s| seq >= *s)
    }

    /// Releases, in an order Automerge can apply without queueing, every change of
    /// `items` (and every change parked earlier) whose turn has come.
    pub(crate) fn admit(
        &mut self,
        doc: &Automerge,
        items: Vec<Prepared>,
        report: &mut ApplyReport,
    ) -> Vec<Prepared> {
        let mut out = Vec::new();
        let mut todo: Vec<Prepared> = items.into_iter().rev().collect();
        while let Some(p) = todo.pop() {
            let hash = p.signed.envelope.change_hash;
            let actor = p.change.actor_id().clone();
            let seq = p.change.seq();
            if self.is_frozen(&actor, seq) || p.deps.iter().any(|d| self.dead.contains(d)) {
                self.dead.insert(hash);
                report.frozen.push(hash);
                continue;
            }
            let missing = p
                .deps
                .iter()
                .find(|d| !self.released.contains(*d) && !has_change(doc, &ChangeHash(d.0)))
                .copied();
            if let Some(d) = missing {
                self.park(WaitKey::Change(d), p);
                continue;
            }
            let next = self.seqs.max(&actor) + 1;
            if seq > next {
                self.park(WaitKey::Seq(actor, seq - 1), p);
                continue;
            }
            if seq < next {
                let first = self
                    .claimed
                    .get(&(actor.clone(), seq))
                    .copied()
                    .or_else(|| find_in_doc(doc, &actor, seq))
                    .unwrap_or(hash);
                self.freeze(actor.clone(), seq);
                self.dead.insert(hash);
                report.equivocations.push(ChangeEquivocation {
                    actor,
                    seq,
                    first,
                    second: p.signed,
                });
                continue;
            }
            self.seqs.note(&actor, seq);
            self.released.insert(hash);
            self.claimed.insert((actor.clone(), seq), hash);
            for key in [WaitKey::Change(hash), WaitKey::Seq(actor, seq)] {
                for i in self.waiting.remove(&key).unwrap_or_default() {
                    if let Some(w) = self.parked.get_mut(i).and_then(Option::take) {
                        todo.push(w);
                    }
                }
            }
            out.push(p);
        }
        out
    }

    fn park(&mut self, key: WaitKey, p: Prepared) {
        self.waiting.entry(key).or_default().push(self.parked.len());
        self.parked.push(Some(p));
    }

    fn freeze(&mut self, actor: ActorId, seq: u64) {
        let s = self.frozen.entry(actor.clone()).or_insert(seq);
        *s = (*s).min(seq);
        self.new_freezes.push((actor, seq));
    }

    /// Whatever is still parked waits in the caller's quarantine (or, if an
    /// equivocation condemns it, is reported as frozen).
    /// Returns the actors frozen by this batch.
    pub(crate) fn finish(self, report: &mut ApplyReport) -> Vec<(ActorId, u64)> {
        for p in self.parked.into_iter().flatten() {
            let actor = p.change.actor_id();
            if self.frozen.get(actor).is_some_and(|s| p.change.seq() >= *s)
                || p.deps.iter().any(|d| self.dead.contains(d))
            {
                report.frozen.push(p.signed.envelope.change_hash);
            } else {
                report.pending.push((p.signed, Pending::MissingDeps));
            }
        }
        self.new_freezes
    }
}

/// The applied change of `actor` with sequence number `seq` (a scan: only ever run when
/// an equivocation has just been found).
fn find_in_doc(doc: &Automerge, actor: &ActorId, seq: u64) -> Option<Hash32> {
    doc.get_changes_meta(&[])
        .into_iter()
        .find(|m| m.actor.as_ref() == actor && m.seq == seq)
        .map(|m| Hash32(m.hash.0))
}
