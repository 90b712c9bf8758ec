//! Deciding whether a change from anyone may enter a ledger, and verified ingest.
//!
//! [`judge`] is the one rule: a change signed by key K of term t is valid iff K is a
//! steward of term t, the signature covers (circle, document, change hash), and
//! either t is the latest term and has not expired, or the change lies in the causal
//! history of term t+1's handover heads. Timestamps inside changes are never used.
//!
//! [`ingest`] applies a batch. Decoding and batch signature verification are cut into
//! small units that both threads take from a shared queue; the main thread applies the
//! verified prefix in a few large `apply_changes` calls and verifies alongside the
//! second thread whenever it has nothing to apply. Verification is thus overlapped
//! with Automerge's own apply rather than added to it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};

use automerge::{Change, ChangeHash, ReadDoc};

use crate::envelope::{Envelope, SignedChange, ENVELOPE_VERSION, MAX_CHANGE_BYTES};
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
}

/// Cheap structural checks before any decoding: size and chunk type. A compressed
/// chunk is refused outright: inflating it is where decompression bombs live.
pub fn precheck(bytes: &[u8]) -> Result<(), ValidationError> {
    const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
    const CHANGE_CHUNK: u8 = 1;
    const COMPRESSED_CHUNK: u8 = 2;
    if bytes.len() > MAX_CHANGE_BYTES {
        return Err(ValidationError::TooLarge(MAX_CHANGE_BYTES));
    }
    if bytes.len() < 9 || bytes[..4] != MAGIC {
        return Err(ValidationError::Malformed);
    }
    match bytes[8] {
        CHANGE_CHUNK => Ok(()),
        COMPRESSED_CHUNK => Err(ValidationError::Compressed),
        _ => Err(ValidationError::Malformed),
    }
}

/// Decodes a change after [`precheck`], binding it to the envelope's claims.
pub fn decode_change(signed: &SignedChange) -> Result<Change, ValidationError> {
    precheck(&signed.bytes)?;
    let change =
        Change::try_from(signed.bytes.as_slice()).map_err(|_| ValidationError::Malformed)?;
    if change.hash().0 != signed.envelope.change_hash.0 {
        return Err(ValidationError::HashMismatch);
    }
    if change.len() > MAX_OPS_PER_CHANGE {
        return Err(ValidationError::TooLarge(MAX_OPS_PER_CHANGE));
    }
    Ok(change)
}

/// Whether a change is applied in `doc`. `get_change_meta_by_hash` builds the whole
/// metadata (microseconds each); a missing-deps query is a hash lookup. A change
/// queued inside Automerge for lack of dependencies reports those as missing.
pub fn has_change(doc: &automerge::Automerge, hash: &ChangeHash) -> bool {
    doc.get_missing_deps(std::slice::from_ref(hash)).is_empty()
}

/// A change after the second thread is done with it.
struct Prepared {
    signed: SignedChange,
    deps: Vec<Hash32>,
    change: Change,
    /// Outcome of every check that needs neither the document nor the handover history.
    early: Result<(), Verdict>,
}

/// Verifies and applies a batch of signed changes to a ledger.
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
    let mut state = IngestState::new(chain, now);
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel::<(usize, Unit)>(units.len().max(1));
        let worker_units = &units;
        if units.len() > 1 {
            scope.spawn(move || {
                while let Some((i, batch)) = worker_units.grab() {
                    if tx.send((i, prepare(chain, batch, now))).is_err() {
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
            let ready_changes: usize = ready_units.iter().map(|i| done[i].0.len()).sum();
            let last = ready_units.last().is_some_and(|i| i + 1 == units.len());
            if !ready_units.is_empty() && (ready_changes >= min_apply || last) {
                let mut ready = Vec::with_capacity(ready_changes);
                for i in ready_units {
                    if let Some((prepared, bad)) = done.remove(&i) {
                        report.rejected.extend(bad);
                        ready.extend(state.classify(ledger, prepared, &mut report));
                    }
                    next = i + 1;
                }
                apply(ledger, ready, &mut report);
            } else if let Some((i, batch)) = units.grab() {
                // Nothing worth applying yet: verify alongside the worker.
                done.insert(i, prepare(chain, batch, now));
            } else if let Ok((i, unit)) = rx.recv() {
                done.insert(i, unit);
            } else {
                break;
            }
        }
    });
    for (term, items) in std::mem::take(&mut state.deferred) {
        for p in items {
            report
                .pending
                .push((p.signed, Pending::AwaitingHandover(term)));
        }
    }
    // Accepted changes whose dependencies are missing wait inside Automerge's queue;
    // report them as pending so the caller keeps them rather than acking them.
    let doc = ledger.doc();
    let (applied, missing): (Vec<_>, Vec<_>) = std::mem::take(&mut report.applied)
        .into_iter()
        .partition(|s| has_change(doc, &ChangeHash(s.envelope.change_hash.0)));
    report.applied = applied;
    report
        .pending
        .extend(missing.into_iter().map(|s| (s, Pending::MissingDeps)));
    report
}

/// Changes handed out for verification in units of this many, to whichever thread is
/// free; the main thread applies verified units in order, in few large calls, since
/// each `apply_changes` call rewrites columns and so costs more the larger the document.
const UNIT: usize = 1024;

type Unit = (Vec<Prepared>, Vec<(Hash32, ValidationError)>);

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

/// Runs on either thread: decode, bind to envelope, batch-verify signatures, and
/// every chain check that needs no document state.
fn prepare(chain: &TermChain, chunk: Vec<SignedChange>, now: u64) -> Unit {
    let mut bad = Vec::new();
    let mut decoded = Vec::with_capacity(chunk.len());
    for signed in chunk {
        match decode_change(&signed) {
            Ok(change) => decoded.push((signed, change)),
            Err(e) => bad.push((signed.envelope.change_hash, e)),
        }
    }
    let messages: Vec<[u8; 96]> = decoded.iter().map(|(s, _)| s.envelope.message()).collect();
    let items: Vec<(PublicKey, &[u8], Signature)> = decoded
        .iter()
        .zip(&messages)
        .map(|((s, _), m)| (s.envelope.signer, m.as_slice(), s.envelope.signature))
        .collect();
    let sig_results = verify_many(&items);
    let prepared = decoded
        .into_iter()
        .zip(sig_results)
        .map(|((signed, change), sig)| Prepared {
            early: judge_without_history(chain, &signed.envelope, sig.is_ok(), now),
            deps: change.deps().iter().map(|h| Hash32(h.0)).collect(),
            signed,
            change,
        })
        .collect();
    (prepared, bad)
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
        ledger: &Ledger,
        prepared: Vec<Prepared>,
        report: &mut ApplyReport,
    ) -> Vec<Prepared> {
        let latest = self.chain.latest().body.term;
        let mut ready = Vec::new();
        let mut old = Vec::new();
        for p in prepared {
            match &p.early {
                Err(Verdict::Reject(e)) => report
                    .rejected
                    .push((p.signed.envelope.change_hash, e.clone())),
                Err(Verdict::Pending(why)) => report.pending.push((p.signed, *why)),
                Err(Verdict::Accept) | Ok(()) => {
                    self.batch_deps
                        .insert(p.signed.envelope.change_hash, p.deps.clone());
                    if p.signed.envelope.term == latest {
                        ready.push(p);
                    } else {
                        old.push(p);
                    }
                }
            }
        }
        for p in old {
            let term = p.signed.envelope.term;
            self.deferred.entry(term).or_default().push(p);
        }
        // Resolve every deferred term whose handover heads are now all known.
        let terms: Vec<u64> = self.deferred.keys().copied().collect();
        for term in terms {
            if !self.compute_ancestors(ledger, term) {
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
    /// ancestor of heads that are themselves in the batch.
    fn compute_ancestors(&mut self, ledger: &Ledger, term: u64) -> bool {
        if self.ancestors.contains_key(&term) {
            return true;
        }
        let Some(next) = self.chain.term(term + 1) else {
            return false;
        };
        let heads = &next.body.handover_heads;
        let doc = ledger.doc();
        let known =
            |h: &Hash32| self.batch_deps.contains_key(h) || has_change(doc, &ChangeHash(h.0));
        if !heads.iter().all(known) {
            return false;
        }
        let mut set = HashSet::new();
        let mut stack: Vec<Hash32> = heads.clone();
        while let Some(h) = stack.pop() {
            if let Some(deps) = self.batch_deps.get(&h) {
                if set.insert(h) {
                    stack.extend(deps.iter().copied());
                }
            }
        }
        self.ancestors.insert(term, set);
        true
    }
}

impl HandoverHistory for IngestState<'_> {
    fn in_handover_history(&self, term: u64, change: &Hash32) -> Option<bool> {
        self.ancestors.get(&term).map(|set| set.contains(change))
    }
}

fn apply(ledger: &mut Ledger, ready: Vec<Prepared>, report: &mut ApplyReport) {
    if ready.is_empty() {
        return;
    }
    let (changes, signed): (Vec<Change>, Vec<SignedChange>) =
        ready.into_iter().map(|p| (p.change, p.signed)).unzip();
    let result = match apply_guarded(ledger, changes.clone()) {
        Some(result) => result,
        None => {
            // Automerge panicked on something in this batch (a steward-signed change
            // whose ops name an object that does not exist does it): the document was
            // restored; apply one by one so that only the culprits are refused.
            for (change, s) in changes.into_iter().zip(signed) {
                match apply_guarded(ledger, vec![change]) {
                    Some(Ok(())) => report.applied.push(s),
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
            return;
        }
    };
    match result {
        Ok(()) => report.applied.extend(signed),
        Err(e) => {
            // A change that decodes but does not apply is malformed at the op level;
            // whatever did get in before the failure counts as applied.
            let why = ValidationError::Schema(e.to_string());
            for s in signed {
                let h = ChangeHash(s.envelope.change_hash.0);
                if has_change(ledger.doc(), &h) {
                    report.applied.push(s);
                } else {
                    report.rejected.push((s.envelope.change_hash, why.clone()));
                }
            }
        }
    }
}

/// `apply_changes`, with Automerge's panics contained: `None` if it panicked, in
/// which case the document is put back as it was (a copy costs about what the
/// apply itself costs, since each apply rewrites the document's columns).
fn apply_guarded(
    ledger: &mut Ledger,
    changes: Vec<Change>,
) -> Option<Result<(), automerge::AutomergeError>> {
    let before = ledger.doc().clone();
    let doc = ledger.doc_mut();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| doc.apply_changes(changes))) {
        Ok(result) => Some(result),
        Err(_) => {
            *ledger.doc_mut() = before;
            None
        }
    }
}

#[cfg(test)]
mod apply_panic_tests;
#[cfg(test)]
mod tests;
