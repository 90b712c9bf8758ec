//! Deciding whether a change from anyone may enter a ledger, and verified ingest.
//!
//! [`judge`] is the one rule: a change signed by key K of term t is valid iff K is a
//! steward of term t, the signature covers (circle, document, change hash), and
//! either t is the latest term and has not expired, or the change lies in the causal
//! history of term t+1's handover heads. Timestamps inside changes are never used.
//!
//! [`ingest`] applies a batch. Hashing, batch signature verification, the rule and
//! only then decoding ([`chunk`] bounds its work first) are cut into small units that
//! both threads take from a shared queue; the main thread passes verified changes
//! through the [`gate`] (dependencies applied, the actor's next sequence number) and
//! applies them in a few large `apply_changes` calls, verifying alongside the second
//! thread whenever it has nothing to apply. Verification is thus overlapped with
//! Automerge's own apply rather than added to it. Automerge's own queue stays empty.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};

use automerge::{ActorId, Automerge, Change, ChangeHash, ReadDoc};

pub(crate) mod chunk;
mod evidence;
mod gate;
mod rebuild;
mod verified;

pub use chunk::{chunk_hash, precheck, scan_ops};
pub use evidence::{check_evidence, freeze_actor};
pub use gate::ChangeEquivocation;
use gate::Gate;
pub(crate) use gate::SeqIndex;
pub use rebuild::{outside_handover, rebuild_without};
pub(crate) use verified::verify_batch_trusting;
pub use verified::{ingest_verified, verify_batch, Verified};

use crate::envelope::{Envelope, SignedChange, ENVELOPE_VERSION};
use crate::error::{Pending, ValidationError};
use crate::keys::{verify_many, Hash32, PublicKey, Signature};
use crate::ledger::Ledger;
use crate::term::TermChain;

/// Most operations one change may carry (bounds op amplification by run-length
/// encoding inside the byte cap). Large enough for a maximal text body.
pub const MAX_OPS_PER_CHANGE: usize = 300_000;

/// The verdict on one change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    Reject(ValidationError),
    Pending(Pending),
}

/// Whether a change lies in the handover history of the term after `term`:
/// `Some(true/false)` when known, `None` while the handover heads are not yet seen.
pub trait HandoverHistory {
    fn in_handover_history(&self, term: u64, change: &Hash32) -> Option<bool>;
}

/// The single rule for every change, local or remote.
pub fn judge(
    chain: &TermChain,
    env: &Envelope,
    signature_ok: bool,
    history: &dyn HandoverHistory,
    now: u64,
) -> Verdict {
    if let Err(e) = judge_without_history(chain, env, signature_ok, now) {
        return e;
    }
    if env.term == chain.latest().body.term {
        return Verdict::Accept;
    }
    match history.in_handover_history(env.term, &env.change_hash) {
        Some(true) => Verdict::Accept,
        Some(false) => Verdict::Reject(ValidationError::AfterHandover(env.term)),
        None => Verdict::Pending(Pending::AwaitingHandover(env.term)),
    }
}

/// Every check except the handover-history one. `Ok` means: accept if the term is
/// the latest, otherwise the history decides.
fn judge_without_history(
    chain: &TermChain,
    env: &Envelope,
    signature_ok: bool,
    now: u64,
) -> Result<(), Verdict> {
    let reject = |e| Err(Verdict::Reject(e));
    if env.version != ENVELOPE_VERSION {
        return reject(ValidationError::Version(env.version));
    }
    if env.circle_id != chain.circle_id() {
        return reject(ValidationError::WrongCircle);
    }
    if let Some(e) = chain.equivocations().iter().map(|e| e.term).min() {
        if env.term >= e {
            return reject(ValidationError::Equivocation(e));
        }
    }
    let Some(cert) = chain.term(env.term) else {
        return Err(Verdict::Pending(Pending::AwaitingCertificate(env.term)));
    };
    if !cert.body.stewards.contains(&env.signer) {
        return reject(ValidationError::NotASteward(env.term));
    }
    if !signature_ok {
        return reject(ValidationError::BadSignature);
    }
    if env.term < chain.epoch_first_term() {
        // Written before the epoch started: its history was forgotten by the circle. Only
        // a validly signed change gets this answer, which does not blame its sender.
        return reject(ValidationError::ForgottenEpoch(env.term));
    }
    if env.term == chain.latest().body.term && chain.latest_expired(now) {
        // Written in an expired term: only the next certificate's handover can vouch for it.
        return Err(Verdict::Pending(Pending::AwaitingCertificate(env.term + 1)));
    }
    Ok(())
}

/// What an ingest did. Rejections are normal outcomes for bad peers, not errors.
#[derive(Debug, Default)]
pub struct ApplyReport {
    /// Verified and now part of the ledger, in apply order.
    pub applied: Vec<SignedChange>,
    /// Already in the ledger: nothing to do (replays are idempotent).
    pub duplicates: usize,
    pub rejected: Vec<(Hash32, ValidationError)>,
    /// Valid so far but not judgeable yet: for the caller's bounded quarantine.
    pub pending: Vec<(SignedChange, Pending)>,
    /// Refused because a known equivocation froze their actor (or one they depend on):
    /// not the sender's fault, who may not know of the fork yet.
    pub frozen: Vec<Hash32>,
    /// Equivocations found in this batch; their actors are frozen from then on (the
    /// caller keeps the evidence and calls [`TermChain::freeze_actor`]).
    pub equivocations: Vec<ChangeEquivocation>,
    /// Changes applied before (or earlier in this batch, then with their envelope) and
    /// now taken out of the document again: it was rebuilt, and the caller must
    /// replace its stored copy.
    pub removed: Vec<(Change, Option<Envelope>)>,
    /// Set if a rebuild failed (the document is then left as it was).
    pub rebuild_error: Option<String>,
    /// An apply failed part-way: the sequence index is rebuilt before the next ingest.
    stale_index: bool,
    /// Pending changes whose signature was not verified (or did not verify): every
    /// other pending change passed its signature check, so a caller that quarantines
    /// it need not verify it again (see `sync::Puller`).
    pub(crate) unverified_pending: HashSet<Hash32>,
}

impl ApplyReport {
    /// Whether this pending change's signature was verified in this ingest.
    pub(crate) fn signature_verified(&self, change: &Hash32) -> bool {
        !self.unverified_pending.contains(change)
    }
}

/// Decodes a change, binding it to the envelope's hash first and bounding the work of
/// decoding (see [`chunk`]). [`ingest`] also verifies the signature before decoding.
pub fn decode_change(signed: &SignedChange) -> Result<Change, ValidationError> {
    bind(signed)?;
    decode_bound(signed)
}

/// Checks size, chunk type and that the bytes hash to what the envelope claims.
fn bind(signed: &SignedChange) -> Result<(), ValidationError> {
    if chunk_hash(&signed.bytes)? != signed.envelope.change_hash {
        return Err(ValidationError::HashMismatch);
    }
    Ok(())
}

/// Decodes bytes already bound to their envelope, after the op-count pre-scan.
fn decode_bound(signed: &SignedChange) -> Result<Change, ValidationError> {
    scan_ops(&signed.bytes)?;
    let change =
        Change::try_from(signed.bytes.as_slice()).map_err(|_| ValidationError::Malformed)?;
    if change.hash().0 != signed.envelope.change_hash.0 {
        return Err(ValidationError::HashMismatch);
    }
    if change.len() > MAX_OPS_PER_CHANGE {
        return Err(ValidationError::TooLarge(MAX_OPS_PER_CHANGE));
    }
    // Sequence numbers start at 1; an author footer is something our writers never
    // set, and Automerge refuses a whole batch over a second one for an actor.
    if change.seq() == 0 || change.author().is_some() {
        return Err(ValidationError::Malformed);
    }
    Ok(change)
}

/// Whether a change is applied in `doc`: a hash lookup, because nothing ever waits in
/// Automerge's own queue (ingest never hands it a change with missing dependencies).
pub fn has_change(doc: &automerge::Automerge, hash: &ChangeHash) -> bool {
    doc.get_missing_deps(std::slice::from_ref(hash)).is_empty()
}

/// A change verified, decoded, and acceptable so far (its term is the latest, or the
/// handover history decides).
pub(crate) struct Prepared {
    pub(crate) signed: SignedChange,
    pub(crate) deps: Vec<Hash32>,
    pub(crate) change: Change,
}

/// Verifies and applies a batch of signed changes to a ledger.
///
/// What reaches Automerge, in this order: bytes within the size cap, hashing to the
/// envelope's change hash; a signature that verifies; a signer who is a steward of the
/// term, the rule of [`judge`]; an op-count pre-scan within [`MAX_OPS_PER_CHANGE`]; a
/// decode; then, in the [`gate`], every dependency applied (or released earlier in this
/// batch) and the actor's next sequence number. Everything else is rejected, frozen, or
/// returned as pending for the caller's bounded quarantine.
pub fn ingest(
    ledger: &mut Ledger,
    chain: &TermChain,
    batch: Vec<SignedChange>,
    now: u64,
) -> ApplyReport {
    let mut report = ApplyReport::default();
    let mut fresh = Vec::with_capacity(batch.len());
    let mut seen = HashSet::with_capacity(batch.len());
    for s in batch {
        let h = ChangeHash(s.envelope.change_hash.0);
        if has_change(ledger.doc(), &h) || !seen.insert(h) {
            report.duplicates += 1;
        } else {
            fresh.push(s);
        }
    }
    let total = fresh.len();
    let units = Units::new(fresh);
    let trusted = HashSet::new();
    let trusted = &trusted;
    let mut state = IngestState::new(chain, now);
    let (doc, seqs) = ledger.doc_and_seqs();
    let mut gate = Gate::new(frozen_of(chain), seqs);
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel::<(usize, Unit)>(units.len().max(1));
        let worker_units = &units;
        if units.len() > 1 {
            scope.spawn(move || {
                while let Some((i, batch)) = worker_units.grab() {
                    if tx.send((i, prepare(chain, batch, trusted, now))).is_err() {
                        return;
                    }
                }
            });
        } else {
            // One unit (a sync page or a local write): this thread verifies it; a helper
            // would only cost a thread start, and under glibc a fresh malloc arena.
            drop(tx);
        }
        let mut done: BTreeMap<usize, Unit> = BTreeMap::new();
        let mut next = 0;
        let min_apply = (total / 4).max(1);
        while next < units.len() {
            done.extend(rx.try_iter());
            let ready_units: Vec<usize> = (next..units.len())
                .take_while(|i| done.contains_key(i))
                .collect();
            let ready_changes: usize = ready_units.iter().map(|i| done[i].prepared.len()).sum();
            let last = ready_units.last().is_some_and(|i| i + 1 == units.len());
            if !ready_units.is_empty() && (ready_changes >= min_apply || last) {
                let mut ready = Vec::with_capacity(ready_changes);
                for i in ready_units {
                    if let Some(unit) = done.remove(&i) {
                        report.unverified_pending.extend(unit.unverified);
                        report.rejected.extend(unit.bad);
                        report.pending.extend(unit.waiting);
                        ready.extend(state.classify(doc, unit.prepared, &mut report));
                    }
                    next = i + 1;
                }
                let released = gate.admit(doc, ready, &mut report);
                apply(doc, released, &mut report);
            } else if let Some((i, batch)) = units.grab() {
                // Nothing worth applying yet: verify alongside the worker.
                done.insert(i, prepare(chain, batch, trusted, now));
            } else if let Ok((i, unit)) = rx.recv() {
                done.insert(i, unit);
            } else {
                break;
            }
        }
    });
    let freezes = conclude(&mut state, gate, &mut report);
    settle(ledger, &freezes, &mut report);
    report
}

/// Whatever waits when an ingest ends goes back as pending; returns the actors frozen.
fn conclude(
    state: &mut IngestState<'_>,
    gate: Gate<'_>,
    report: &mut ApplyReport,
) -> Vec<(ActorId, u64)> {
    for (term, items) in std::mem::take(&mut state.deferred) {
        for p in items {
            report
                .pending
                .push((p.signed, Pending::AwaitingHandover(term)));
        }
    }
    gate.finish(report)
}

/// After the gate is done with the ledger: the sequence index is re-read if changes were
/// applied one by one, and the writers frozen by this batch are taken out.
fn settle(ledger: &mut Ledger, freezes: &[(ActorId, u64)], report: &mut ApplyReport) {
    if report.stale_index {
        ledger.forget_seqs();
    }
    if !freezes.is_empty() {
        take_out_frozen(ledger, freezes, report);
    }
}

fn frozen_of(chain: &TermChain) -> HashMap<ActorId, u64> {
    chain
        .frozen_actors()
        .iter()
        .map(|(a, s)| (ActorId::from(a.as_slice()), *s))
        .collect()
}

/// Rebuilds the ledger without the frozen actors' changes from their fork on (and
/// whatever depends on them), so that the document is the same whichever of the two
/// conflicting changes arrived first.
fn take_out_frozen(ledger: &mut Ledger, freezes: &[(ActorId, u64)], report: &mut ApplyReport) {
    let condemned = |c: &Change| {
        freezes
            .iter()
            .any(|(a, s)| c.actor_id() == a && c.seq() >= *s)
    };
    match rebuild_without(ledger, condemned) {
        Ok(removed) => {
            let gone: HashSet<Hash32> = removed.iter().map(|c| Hash32(c.hash().0)).collect();
            let mut envelopes: HashMap<Hash32, Envelope> = HashMap::new();
            report.applied.retain(|s| {
                let out = gone.contains(&s.envelope.change_hash);
                if out {
                    envelopes.insert(s.envelope.change_hash, s.envelope.clone());
                }
                !out
            });
            report.frozen.extend(gone.iter().copied());
            report.removed = removed
                .into_iter()
                .map(|c| {
                    let env = envelopes.remove(&Hash32(c.hash().0));
                    (c, env)
                })
                .collect();
        }
        Err(e) => report.rebuild_error = Some(e.to_string()),
    }
}

/// Changes handed out for verification in units of this many, to whichever thread is
/// free; the main thread applies verified units in order, in few large calls, since
/// each `apply_changes` call rewrites columns and so costs more the larger the document.
const UNIT: usize = 1024;

/// One unit's outcome of [`prepare`].
struct Unit {
    /// Verified, acceptable so far, decoded.
    prepared: Vec<Prepared>,
    bad: Vec<(Hash32, ValidationError)>,
    waiting: Vec<(SignedChange, Pending)>,
    /// Of `waiting`, those whose signature was not verified (see
    /// [`ApplyReport::signature_verified`]).
    unverified: Vec<Hash32>,
    /// Signatures verified (those of trusted changes are not).
    signatures_checked: usize,
}

/// Work queue of verification units shared by the two threads.
struct Units {
    parts: Vec<Mutex<Vec<SignedChange>>>,
    next: AtomicUsize,
}

impl Units {
    fn new(changes: Vec<SignedChange>) -> Units {
        let mut parts = Vec::new();
        let mut it = changes.into_iter().peekable();
        while it.peek().is_some() {
            parts.push(Mutex::new(it.by_ref().take(UNIT).collect()));
        }
        Units {
            parts,
            next: AtomicUsize::new(0),
        }
    }

    fn len(&self) -> usize {
        self.parts.len()
    }

    /// Takes the next unit nobody has taken yet.
    fn grab(&self) -> Option<(usize, Vec<SignedChange>)> {
        let i = self.next.fetch_add(1, Ordering::SeqCst);
        let part = self.parts.get(i)?;
        let batch = part
            .lock()
            .map(|mut p| std::mem::take(&mut *p))
            .unwrap_or_default();
        Some((i, batch))
    }
}

/// Runs on either thread: bind bytes to envelope, batch-verify signatures, every chain
/// check that needs no document state, and only for what passes all of them, the
/// bounded decode. Nobody else's lock is held meanwhile.
///
/// A change in `trusted` had its signature verified before, in this process (a
/// quarantined change offered again): it is bound to its hash again (cheap) but its
/// signature is not verified again. A [`Prepared`] change always passed its signature
/// check: [`ApplyReport::signature_verified`] relies on that.
fn prepare(
    chain: &TermChain,
    chunk: Vec<SignedChange>,
    trusted: &HashSet<Hash32>,
    now: u64,
) -> Unit {
    let mut bad = Vec::new();
    let mut waiting = Vec::new();
    let mut unverified = Vec::new();
    let mut bound = Vec::with_capacity(chunk.len());
    for signed in chunk {
        match bind(&signed) {
            Ok(()) => bound.push(signed),
            Err(e) => bad.push((signed.envelope.change_hash, e)),
        }
    }
    let fresh: Vec<usize> = (0..bound.len())
        .filter(|i| !trusted.contains(&bound[*i].envelope.change_hash))
        .collect();
    let messages: Vec<[u8; 96]> = fresh.iter().map(|i| bound[*i].envelope.message()).collect();
    let items: Vec<(PublicKey, &[u8], Signature)> = fresh
        .iter()
        .zip(&messages)
        .map(|(i, m)| {
            let e = &bound[*i].envelope;
            (e.signer, m.as_slice(), e.signature)
        })
        .collect();
    let mut sig_ok = vec![true; bound.len()];
    for (i, result) in fresh.iter().zip(verify_many(&items)) {
        sig_ok[*i] = result.is_ok();
    }
    let mut prepared = Vec::with_capacity(bound.len());
    for (signed, sig) in bound.into_iter().zip(sig_ok) {
        match judge_without_history(chain, &signed.envelope, sig, now) {
            Err(Verdict::Reject(e)) => bad.push((signed.envelope.change_hash, e)),
            Err(Verdict::Pending(why)) => {
                if !sig {
                    unverified.push(signed.envelope.change_hash);
                }
                waiting.push((signed, why));
            }
            Ok(()) | Err(Verdict::Accept) => match decode_bound(&signed) {
                Ok(change) => prepared.push(Prepared {
                    deps: change.deps().iter().map(|h| Hash32(h.0)).collect(),
                    signed,
                    change,
                }),
                Err(e) => bad.push((signed.envelope.change_hash, e)),
            },
        }
    }
    Unit {
        prepared,
        bad,
        waiting,
        unverified,
        signatures_checked: fresh.len(),
    }
}

/// Main-thread state across chunks: the dependency graph of the batch so far and the
/// old-term changes waiting for their term's handover heads to show up.
struct IngestState<'a> {
    chain: &'a TermChain,
    batch_deps: HashMap<Hash32, Vec<Hash32>>,
    ancestors: HashMap<u64, HashSet<Hash32>>,
    deferred: HashMap<u64, Vec<Prepared>>,
    now: u64,
}

impl<'a> IngestState<'a> {
    fn new(chain: &'a TermChain, now: u64) -> Self {
        IngestState {
            chain,
            now,
            batch_deps: HashMap::new(),
            ancestors: HashMap::new(),
            deferred: HashMap::new(),
        }
    }

    fn classify(
        &mut self,
        doc: &Automerge,
        prepared: Vec<Prepared>,
        report: &mut ApplyReport,
    ) -> Vec<Prepared> {
        let latest = self.chain.latest().body.term;
        let mut ready = Vec::new();
        let mut old = Vec::new();
        for p in prepared {
            self.batch_deps
                .insert(p.signed.envelope.change_hash, p.deps.clone());
            if p.signed.envelope.term == latest {
                ready.push(p);
            } else {
                old.push(p);
            }
        }
        for p in old {
            let term = p.signed.envelope.term;
            self.deferred.entry(term).or_default().push(p);
        }
        // Resolve every deferred term whose handover heads are now all known.
        let terms: Vec<u64> = self.deferred.keys().copied().collect();
        for term in terms {
            if !self.compute_ancestors(doc, term) {
                continue;
            }
            for p in self.deferred.remove(&term).unwrap_or_default() {
                let verdict = judge(self.chain, &p.signed.envelope, true, &*self, self.now);
                match verdict {
                    Verdict::Accept => ready.push(p),
                    Verdict::Reject(e) => report.rejected.push((p.signed.envelope.change_hash, e)),
                    Verdict::Pending(why) => report.pending.push((p.signed, why)),
                }
            }
        }
        ready
    }

    /// Computes the batch-side ancestors of term+1's handover heads, if all heads are
    /// known (in the document or the batch). Changes already in the document never
    /// need this: the document is causally closed, so a batch change can only be an
    /// ancestor of heads that are themselves in the batch. After a certificate fork, a
    /// change must be in the history of every certificate of the fork.
    fn compute_ancestors(&mut self, doc: &Automerge, term: u64) -> bool {
        if self.ancestors.contains_key(&term) {
            return true;
        }
        let Some(sets) = self.chain.handover_heads(term) else {
            return false;
        };
        let known =
            |h: &Hash32| self.batch_deps.contains_key(h) || has_change(doc, &ChangeHash(h.0));
        if !sets.iter().all(|heads| heads.iter().all(known)) {
            return false;
        }
        let mut common: Option<HashSet<Hash32>> = None;
        for heads in sets {
            let mut set = HashSet::new();
            let mut stack: Vec<Hash32> = heads.to_vec();
            while let Some(h) = stack.pop() {
                if let Some(deps) = self.batch_deps.get(&h) {
                    if set.insert(h) {
                        stack.extend(deps.iter().copied());
                    }
                }
            }
            common = Some(match common {
                None => set,
                Some(c) => c.intersection(&set).copied().collect(),
            });
        }
        self.ancestors.insert(term, common.unwrap_or_default());
        true
    }
}

impl HandoverHistory for IngestState<'_> {
    fn in_handover_history(&self, term: u64, change: &Hash32) -> Option<bool> {
        self.ancestors.get(&term).map(|set| set.contains(change))
    }
}

/// Hands the gate's released changes to Automerge, then checks that its queue is
/// still empty (the gate's promise). A change that decodes but does not apply is
/// malformed at the op level: the group is then applied one change at a time, so
/// that one steward's bad change cannot take the others down with it.
fn apply(doc: &mut Automerge, ready: Vec<Prepared>, report: &mut ApplyReport) {
    if ready.is_empty() {
        return;
    }
    let (changes, signed): (Vec<Change>, Vec<SignedChange>) =
        ready.into_iter().map(|p| (p.change, p.signed)).unzip();
    match apply_guarded(doc, changes.clone()) {
        Some(Ok(())) => report.applied.extend(signed),
        // An error, or a panic inside Automerge (a steward-signed change whose ops name
        // an object that does not exist does it; the document was put back): apply one
        // by one so that only the culprits are refused.
        _ => {
            report.stale_index = true;
            for (c, s) in changes.into_iter().zip(signed) {
                let h = ChangeHash(s.envelope.change_hash.0);
                match apply_guarded(doc, vec![c]) {
                    Some(Ok(())) if has_change(doc, &h) => report.applied.push(s),
                    Some(Ok(())) => report.pending.push((s, Pending::MissingDeps)),
                    Some(Err(_)) if has_change(doc, &h) => report.applied.push(s),
                    Some(Err(e)) => report.rejected.push((
                        s.envelope.change_hash,
                        ValidationError::Schema(e.to_string()),
                    )),
                    None => report.rejected.push((
                        s.envelope.change_hash,
                        ValidationError::Schema("Automerge could not apply it".into()),
                    )),
                }
            }
        }
    }
    if !doc.get_missing_deps(&[]).is_empty() {
        // Unreachable by the gate's construction; if it ever happens, drop Automerge's
        // queue by rebuilding from what is applied, rather than let it apply later.
        let applied = doc.get_changes(&[]);
        let mut fresh = Automerge::new().with_actor(doc.get_actor().clone());
        if fresh.apply_changes(applied).is_ok() {
            *doc = fresh;
        }
        report.stale_index = true;
        let gone: Vec<SignedChange> = report
            .applied
            .iter()
            .filter(|s| !has_change(doc, &ChangeHash(s.envelope.change_hash.0)))
            .cloned()
            .collect();
        report
            .applied
            .retain(|s| has_change(doc, &ChangeHash(s.envelope.change_hash.0)));
        report
            .pending
            .extend(gone.into_iter().map(|s| (s, Pending::MissingDeps)));
    }
}

/// `apply_changes`, with Automerge's panics contained: `None` if it panicked, in
/// which case the document is put back as it was (a copy costs about what the
/// apply itself costs, since each apply rewrites the document's columns).
fn apply_guarded(
    doc: &mut Automerge,
    changes: Vec<Change>,
) -> Option<Result<(), automerge::AutomergeError>> {
    let before = doc.clone();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| doc.apply_changes(changes))) {
        Ok(result) => Some(result),
        Err(_) => {
            *doc = before;
            None
        }
    }
}

#[cfg(test)]
mod apply_panic_tests;
#[cfg(test)]
mod tests;
