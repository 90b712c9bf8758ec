//! Verifying a batch apart from applying it: [`verify_batch`] needs only the chain, so
//! a caller runs it (hashing, signatures, the rule, the bounded decode: all the work
//! peer bytes cause) outside the lock that guards its ledger, and takes the lock only
//! for [`ingest_verified`], which checks again whatever may have changed meanwhile.

use std::collections::HashSet;

use automerge::ChangeHash;

use super::gate::Gate;
use super::{
    apply, conclude, frozen_of, has_change, judge_without_history, prepare, settle, ApplyReport,
    IngestState, Unit, Units, Verdict,
};
use crate::envelope::SignedChange;
use crate::error::ValidationError;
use crate::keys::Hash32;
use crate::ledger::Ledger;
use crate::term::TermChain;

/// What of a chain the checks of [`prepare`] depend on.
type ChainMark = (u64, usize, usize);

fn mark(chain: &TermChain) -> ChainMark {
    (
        chain.latest().body.term,
        chain.certs().len(),
        chain.equivocations().len(),
    )
}

/// A batch hashed, signature-verified, judged against a chain and decoded (within its
/// bounds) by [`verify_batch`], without the ledger: so that a caller verifies peer
/// input outside the lock that guards its ledger, then applies it under the lock with
/// [`ingest_verified`].
pub struct Verified {
    units: Vec<Unit>,
    duplicates: usize,
    /// Signatures verified for this batch (not those trusted from before).
    signatures_checked: usize,
    mark: ChainMark,
    circle: Hash32,
}

impl std::fmt::Debug for Verified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verified")
            .field("units", &self.units.len())
            .field("duplicates", &self.duplicates)
            .field("signatures_checked", &self.signatures_checked)
            .finish()
    }
}

impl Verified {
    /// How many signatures were verified for this batch (changes trusted from before,
    /// see `sync::Puller`, are not verified again).
    pub fn signatures_checked(&self) -> usize {
        self.signatures_checked
    }
}

/// The first half of [`ingest`]: everything that needs no document, on two threads.
/// Changes repeated in the batch count as duplicates.
pub fn verify_batch(chain: &TermChain, batch: Vec<SignedChange>, now: u64) -> Verified {
    let batch = batch.into_iter().map(|s| (s, false)).collect();
    verify_batch_trusting(chain, batch, now)
}

/// As [`verify_batch`], where a change paired with `true` had its signature verified
/// before in this process (by an ingest that left it pending: see
/// `ApplyReport::signature_verified`), so it is not verified again. Of changes repeated
/// in the batch the first is kept, with its own flag.
pub(crate) fn verify_batch_trusting(
    chain: &TermChain,
    batch: Vec<(SignedChange, bool)>,
    now: u64,
) -> Verified {
    let mut seen = HashSet::with_capacity(batch.len());
    let mut trusted = HashSet::new();
    let total = batch.len();
    let fresh: Vec<SignedChange> = batch
        .into_iter()
        .filter(|(s, _)| seen.insert(s.envelope.change_hash))
        .map(|(s, verified)| {
            if verified {
                trusted.insert(s.envelope.change_hash);
            }
            s
        })
        .collect();
    let duplicates = total - fresh.len();
    let units = Units::new(fresh);
    let trusted = &trusted;
    let mut done: Vec<(usize, Unit)> = Vec::with_capacity(units.len());
    std::thread::scope(|scope| {
        let helper = (units.len() > 1).then(|| {
            scope.spawn(|| {
                let mut mine = Vec::new();
                while let Some((i, batch)) = units.grab() {
                    mine.push((i, prepare(chain, batch, trusted, now)));
                }
                mine
            })
        });
        while let Some((i, batch)) = units.grab() {
            done.push((i, prepare(chain, batch, trusted, now)));
        }
        if let Some(h) = helper {
            // A panic in the helper loses its units: they are then simply not applied.
            done.extend(h.join().unwrap_or_default());
        }
    });
    done.sort_by_key(|(i, _)| *i);
    let units: Vec<Unit> = done.into_iter().map(|(_, u)| u).collect();
    Verified {
        signatures_checked: units.iter().map(|u| u.signatures_checked).sum(),
        units,
        duplicates,
        mark: mark(chain),
        circle: chain.circle_id(),
    }
}

/// The second half of [`ingest`]: applies a batch verified by [`verify_batch`]. If the
/// chain changed since (a new certificate, a fork), every verified change is judged
/// again against it (its signature stays verified: it binds the envelope's signer).
/// Changes applied meanwhile count as duplicates.
pub fn ingest_verified(
    ledger: &mut Ledger,
    chain: &TermChain,
    verified: Verified,
    now: u64,
) -> ApplyReport {
    let mut report = ApplyReport {
        duplicates: verified.duplicates,
        ..ApplyReport::default()
    };
    if verified.circle != chain.circle_id() {
        for unit in verified.units {
            let all = unit
                .prepared
                .into_iter()
                .map(|p| p.signed.envelope.change_hash);
            let all = all.chain(
                unit.waiting
                    .into_iter()
                    .map(|(s, _)| s.envelope.change_hash),
            );
            let all = all.chain(unit.bad.into_iter().map(|(h, _)| h));
            report
                .rejected
                .extend(all.map(|h| (h, ValidationError::WrongCircle)));
        }
        return report;
    }
    let same_chain = verified.mark == mark(chain);
    let mut state = IngestState::new(chain, now);
    let (doc, seqs) = ledger.doc_and_seqs();
    let mut gate = Gate::new(frozen_of(chain), seqs);
    let mut ready = Vec::new();
    for unit in verified.units {
        let Unit {
            prepared,
            bad,
            waiting,
            unverified,
            ..
        } = unit;
        report.unverified_pending.extend(unverified);
        let held = |h: &Hash32| has_change(doc, &ChangeHash(h.0));
        let mut fresh = Vec::with_capacity(prepared.len());
        for p in prepared {
            if held(&p.signed.envelope.change_hash) {
                report.duplicates += 1;
                continue;
            }
            if same_chain {
                fresh.push(p);
                continue;
            }
            match judge_without_history(chain, &p.signed.envelope, true, now) {
                Err(Verdict::Reject(e)) => report.rejected.push((p.signed.envelope.change_hash, e)),
                Err(Verdict::Pending(why)) => report.pending.push((p.signed, why)),
                Ok(()) | Err(Verdict::Accept) => fresh.push(p),
            }
        }
        for (h, e) in bad {
            match held(&h) {
                true => report.duplicates += 1,
                false => report.rejected.push((h, e)),
            }
        }
        for (s, why) in waiting {
            match held(&s.envelope.change_hash) {
                true => report.duplicates += 1,
                false => report.pending.push((s, why)),
            }
        }
        ready.extend(state.classify(doc, fresh, &mut report));
    }
    let released = gate.admit(doc, ready, &mut report);
    apply(doc, released, &mut report);
    let freezes = conclude(&mut state, gate, &mut report);
    settle(ledger, &freezes, &mut report);
    report
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::keys::StewardKey;
    use crate::term::TermCert;
    use crate::testing::scenario;
    use crate::validate::ingest;

    #[test]
    fn verified_apart_then_applied_is_ingest_and_a_chain_changed_meanwhile_is_judged_again() {
        let s = scenario(2, 2);
        let chain = s.chain();
        // Same outcome as ingest when nothing changed in between.
        let mut apart = s.empty_replica();
        let verified = verify_batch(&chain, s.changes.clone(), s.now);
        let r = ingest_verified(&mut apart, &chain, verified, s.now);
        let mut whole = s.empty_replica();
        let w = ingest(&mut whole, &chain, s.changes.clone(), s.now);
        assert_eq!(r.applied, w.applied);
        assert_eq!(apart.heads(), whole.heads());
        // Offered again: all duplicates, nothing verified twice into the document.
        let verified = verify_batch(&chain, s.changes.clone(), s.now);
        let again = ingest_verified(&mut apart, &chain, verified, s.now);
        assert_eq!(again.duplicates, s.changes.len());
        // A certificate fork at term 1 learnt after verifying, before applying.
        let mut body = chain.term(1).unwrap().body.clone();
        body.stewards = vec![StewardKey::generate().public()];
        let rival = TermCert::sign(body, &[&s.old_keys[0].1]).unwrap();
        let mut forked = chain.clone();
        forked.insert(rival).unwrap();
        assert_eq!(forked.fork_term(), Some(1));
        let verified = verify_batch(&chain, s.changes.clone(), s.now);
        let mut late = s.empty_replica();
        let r = ingest_verified(&mut late, &forked, verified, s.now);
        for c in &s.changes {
            let applied = r.applied.contains(c);
            assert_eq!(
                applied,
                c.envelope.term == 0,
                "judged against the chain now"
            );
        }
        assert!(r
            .rejected
            .iter()
            .all(|(_, e)| *e == ValidationError::Equivocation(1)));
        // Another circle's chain refuses everything.
        let other = scenario(1, 0);
        let verified = verify_batch(&chain, s.changes.clone(), s.now);
        let mut foreign = other.empty_replica();
        let r = ingest_verified(&mut foreign, &other.chain(), verified, s.now);
        assert!(r.applied.is_empty() && r.rejected.len() == s.changes.len());
    }
}
