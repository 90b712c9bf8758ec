//! Validation rules under attack: generated histories and forgeries by the thousand.

use proptest::prelude::*;

use super::*;
use crate::envelope::MAX_CHANGE_BYTES;
use crate::keys::StewardKey;
use crate::testing::{scenario, Scenario};

fn replica_with_history(s: &Scenario) -> Ledger {
    let mut replica = s.empty_replica();
    let report = ingest(&mut replica, &s.chain(), s.changes.clone(), s.now);
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert!(report.pending.is_empty());
    replica
}

#[test]
fn honest_history_replicates_exactly() {
    let s = scenario(4, 12);
    let replica = replica_with_history(&s);
    assert_eq!(replica.heads(), s.circle.ledger.heads());
    assert_eq!(replica.actions().len(), 48);
}

#[test]
fn replay_changes_nothing() {
    let s = scenario(2, 5);
    let mut replica = replica_with_history(&s);
    let again = ingest(&mut replica, &s.chain(), s.changes.clone(), s.now);
    assert_eq!(again.duplicates, s.changes.len());
    assert!(again.applied.is_empty() && again.rejected.is_empty());
}

#[test]
fn old_term_waits_for_its_handover_heads() {
    let s = scenario(2, 5);
    let mut replica = s.empty_replica();
    // Term 0 without its last change: term 1's handover head is not known yet.
    let partial: Vec<_> = s.changes[..5].to_vec();
    let r = ingest(&mut replica, &s.chain(), partial, s.now);
    assert!(r.applied.is_empty());
    assert_eq!(r.pending.len(), 5);
    assert!(r
        .pending
        .iter()
        .all(|(_, p)| *p == Pending::AwaitingHandover(0)));
    // Once everything arrives, all of it is accepted.
    let r = ingest(&mut replica, &s.chain(), s.changes.clone(), s.now);
    assert_eq!(r.applied.len(), s.changes.len());
}

#[test]
fn expired_latest_term_waits_for_the_next_certificate() {
    let s = scenario(1, 3);
    let mut replica = s.empty_replica();
    let later = s.circle.chain.latest().body.expires + 1;
    let r = ingest(&mut replica, &s.chain(), s.changes.clone(), later);
    assert!(r.applied.is_empty());
    assert!(r
        .pending
        .iter()
        .all(|(_, p)| *p == Pending::AwaitingCertificate(1)));
}

#[test]
fn unknown_term_waits_in_quarantine() {
    let s = scenario(3, 2);
    let genesis_only = TermChain::from_genesis(s.circle.chain.genesis().clone()).unwrap();
    let mut replica = s.empty_replica();
    let r = ingest(&mut replica, &genesis_only, s.changes.clone(), s.now);
    assert!(r
        .pending
        .iter()
        .any(|(_, p)| matches!(p, Pending::AwaitingCertificate(_))));
    assert!(r.rejected.is_empty());
}

#[test]
fn equivocating_circle_is_frozen() {
    let s = scenario(2, 2);
    let mut chain = s.chain();
    // The term-0 steward certifies a second, different term 1.
    let (t0, k0) = &s.old_keys[0];
    assert_eq!(*t0, 0);
    let mut body = chain.term(1).unwrap().body.clone();
    body.stewards = vec![StewardKey::generate().public()];
    let rival = crate::term::TermCert::sign(body, &[k0]).unwrap();
    assert_eq!(
        chain.insert(rival).unwrap(),
        crate::term::CertOutcome::Equivocation(1)
    );
    let mut replica = s.empty_replica();
    let r = ingest(&mut replica, &chain, s.changes.clone(), s.now);
    assert!(r
        .rejected
        .iter()
        .any(|(_, e)| *e == ValidationError::Equivocation(1)));
    assert!(r.applied.iter().all(|c| c.envelope.term < 1));
}

#[test]
fn malformed_bytes_are_refused_before_decoding() {
    let s = scenario(1, 1);
    let mut c = s.changes[1].clone();
    for bytes in [
        vec![],
        vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 7],
        c.bytes[..c.bytes.len() / 2].to_vec(),
    ] {
        c.bytes = bytes;
        assert!(decode_change(&c).is_err());
    }
    let mut big = s.changes[1].clone();
    big.bytes = vec![0; MAX_CHANGE_BYTES + 1];
    assert_eq!(
        decode_change(&big).unwrap_err(),
        ValidationError::TooLarge(MAX_CHANGE_BYTES)
    );
}

#[test]
fn compressed_chunks_are_refused() {
    let mut s = scenario(1, 0);
    let now = s.now;
    let body = "Bring thermoses and a banner. ".repeat(200);
    let tactic = crate::ledger::NewTactic {
        title: "Warm pickets".into(),
        body,
        license: "CC0-1.0".into(),
        tags: vec![],
        lineage: Vec::new(),
    };
    let signed = {
        let Circle {
            ledger,
            keys,
            chain,
        } = &mut s.circle;
        let signer = crate::ledger::Signer {
            key: &keys[0],
            term: chain.latest().body.term,
        };
        ledger.publish_tactic(&signer, now, &tactic).unwrap().1
    };
    let mut change = Change::try_from(signed.bytes.as_slice()).unwrap();
    let compressed = change.bytes().to_vec();
    assert!(
        compressed.len() < signed.bytes.len(),
        "expected automerge to compress"
    );
    let bomb = SignedChange {
        envelope: signed.envelope.clone(),
        bytes: compressed,
    };
    assert_eq!(
        decode_change(&bomb).unwrap_err(),
        ValidationError::Compressed
    );
}

use crate::circle::Circle;

/// The attacks a hostile peer (or a steward whose term is over) can mount.
#[derive(Clone, Copy, Debug)]
enum Attack {
    /// A key that was never a steward signs for the current term.
    StrangerKey,
    /// A steward is named as signer, but the signature is by another key.
    ForgedSignature,
    /// A valid signature over another circle's message.
    SignatureForOtherCircle,
    /// The envelope names another circle.
    EnvelopeForOtherCircle,
    /// A change replayed from another circle entirely.
    ReplayFromOtherCircle,
    /// A past steward's key claims the current term.
    OldKeyClaimsCurrentTerm,
    /// A current steward key claims a past term.
    CurrentKeyClaimsOldTerm,
    /// A past steward writes in its own (ended) term, claiming any time at all.
    OldKeyAfterHandover,
    /// An envelope for one change over the bytes of another.
    SwappedBytes,
    /// A signature with a flipped bit.
    BitFlip,
}

fn attack_strategy() -> impl Strategy<Value = Attack> {
    use Attack::*;
    prop_oneof![
        Just(StrangerKey),
        Just(ForgedSignature),
        Just(SignatureForOtherCircle),
        Just(EnvelopeForOtherCircle),
        Just(ReplayFromOtherCircle),
        Just(OldKeyClaimsCurrentTerm),
        Just(CurrentKeyClaimsOldTerm),
        Just(OldKeyAfterHandover),
        Just(SwappedBytes),
        Just(BitFlip),
    ]
}

fn mount(
    s: &Scenario,
    other: &Scenario,
    attack: Attack,
    pick: usize,
    claimed_now: u64,
) -> SignedChange {
    let latest = s.circle.term();
    let (old_term, old_key) = &s.old_keys[pick % s.old_keys.len()];
    match attack {
        Attack::StrangerKey => s.write_as(&StewardKey::generate(), latest, claimed_now, "stranger"),
        Attack::ForgedSignature => s.tamper(|e| {
            e.signature = StewardKey::generate().sign(&e.message());
        }),
        Attack::SignatureForOtherCircle => {
            let key = &s.circle.keys[0];
            s.tamper(|e| {
                e.signature = key.sign(&crate::envelope::signing_message(
                    &other.circle_id(),
                    &e.change_hash,
                ));
            })
        }
        Attack::EnvelopeForOtherCircle => s.tamper(|e| e.circle_id = other.circle_id()),
        Attack::ReplayFromOtherCircle => other.changes[pick % other.changes.len()].clone(),
        Attack::OldKeyClaimsCurrentTerm => s.write_as(old_key, latest, claimed_now, "old key"),
        Attack::CurrentKeyClaimsOldTerm => {
            s.write_as(&s.circle.keys[0], *old_term, claimed_now, "backdated")
        }
        Attack::OldKeyAfterHandover => s.write_as(old_key, *old_term, claimed_now, "late write"),
        Attack::SwappedBytes => {
            let mut c = s.tamper(|_| {});
            c.bytes = s.changes[pick % s.changes.len()].bytes.clone();
            c
        }
        Attack::BitFlip => s.tamper(|e| e.signature.0[pick % 64] ^= 1 << (pick % 8)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// No forged, wrong-circle, wrong-term or post-handover change is ever applied,
    /// whatever timestamp it claims and wherever it sits in the batch.
    #[test]
    fn no_attack_is_ever_applied(
        attacks in proptest::collection::vec((attack_strategy(), any::<usize>(), any::<u64>()), 1..6),
        seed in any::<u64>(),
    ) {
        let s = scenario(3, 3);
        let other = scenario(2, 1);
        let evil: Vec<SignedChange> = attacks
            .iter()
            .map(|(a, pick, t)| mount(&s, &other, *a, *pick, *t))
            .collect();
        let evil_hashes: Vec<Hash32> = evil.iter().map(|c| c.envelope.change_hash).collect();

        // Mixed into the honest history at a seeded position, into an empty replica.
        let mut batch = s.changes.clone();
        for (i, e) in evil.into_iter().enumerate() {
            let pos = (seed as usize).wrapping_add(i * 7919) % (batch.len() + 1);
            batch.insert(pos, e);
        }
        let mut replica = s.empty_replica();
        let report = ingest(&mut replica, &s.chain(), batch, s.now);
        for h in &evil_hashes {
            let in_doc = replica.doc().get_change_meta_by_hash(&ChangeHash(h.0)).is_some();
            let honest = s.changes.iter().any(|c| c.envelope.change_hash == *h);
            prop_assert!(honest || !in_doc, "attack change {h:?} was applied");
            prop_assert!(honest || !report.applied.iter().any(|c| c.envelope.change_hash == *h));
        }
        // The honest history still arrives whole.
        for c in &s.changes {
            let h = ChangeHash(c.envelope.change_hash.0);
            prop_assert!(replica.doc().get_change_meta_by_hash(&h).is_some());
        }
    }

    /// Changes split across batches in any way reach the same state.
    #[test]
    fn any_batching_converges(cuts in proptest::collection::vec(any::<usize>(), 0..4)) {
        let s = scenario(3, 4);
        let mut replica = s.empty_replica();
        let mut quarantine: Vec<SignedChange> = Vec::new();
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % s.changes.len()).collect();
        cuts.sort_unstable();
        cuts.push(s.changes.len());
        let mut start = 0;
        for end in cuts {
            let mut batch = std::mem::take(&mut quarantine);
            batch.extend_from_slice(&s.changes[start..end.max(start)]);
            start = end.max(start);
            let r = ingest(&mut replica, &s.chain(), batch, s.now);
            prop_assert!(r.rejected.is_empty());
            quarantine = r.pending.into_iter().map(|(c, _)| c).collect();
        }
        prop_assert_eq!(replica.heads(), s.circle.ledger.heads());
    }
}

/// Whether a rejection is the one expected for an attack.
type ExpectedError = fn(&ValidationError) -> bool;

#[test]
fn every_attack_kind_gets_its_own_error() {
    let s = scenario(3, 2);
    let other = scenario(2, 1);
    let mut replica = replica_with_history(&s);
    let expect: [(Attack, ExpectedError); 10] = [
        (Attack::StrangerKey, |e| {
            matches!(e, ValidationError::NotASteward(_))
        }),
        (Attack::ForgedSignature, |e| {
            *e == ValidationError::BadSignature
        }),
        (Attack::SignatureForOtherCircle, |e| {
            *e == ValidationError::BadSignature
        }),
        (Attack::EnvelopeForOtherCircle, |e| {
            *e == ValidationError::WrongCircle
        }),
        (Attack::ReplayFromOtherCircle, |e| {
            *e == ValidationError::WrongCircle
        }),
        (Attack::OldKeyClaimsCurrentTerm, |e| {
            matches!(e, ValidationError::NotASteward(_))
        }),
        (Attack::CurrentKeyClaimsOldTerm, |e| {
            matches!(e, ValidationError::NotASteward(_))
        }),
        (Attack::OldKeyAfterHandover, |e| {
            matches!(e, ValidationError::AfterHandover(_))
        }),
        (Attack::SwappedBytes, |e| {
            *e == ValidationError::HashMismatch
        }),
        (Attack::BitFlip, |e| *e == ValidationError::BadSignature),
    ];
    for (attack, check) in expect {
        for claimed in [0, s.now, i64::MAX as u64, u64::MAX] {
            let c = mount(&s, &other, attack, 1, claimed);
            let r = ingest(&mut replica, &s.chain(), vec![c], s.now);
            assert_eq!(r.rejected.len(), 1, "{attack:?} at {claimed}: {r:?}");
            assert!(
                check(&r.rejected[0].1),
                "{attack:?}: got {:?}",
                r.rejected[0].1
            );
        }
    }
}

mod ingest_attacks;
