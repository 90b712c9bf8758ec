use super::*;
use crate::circle::Circle;
use crate::testing::T0;

/// A circle whose current term (1) has three stewards, 2 of 3 to hand over.
fn three_steward_circle() -> Circle {
    let (mut c, _) = Circle::create("Handover", 14, T0).unwrap();
    c.rotate(14, 3, T0 + DAY).unwrap();
    assert_eq!(c.chain.latest().body.threshold, 2);
    c
}

fn body_for(c: &Circle, stewards: Vec<PublicKey>, threshold: u32) -> CertBody {
    c.next_body(14, stewards, threshold, T0 + 2 * DAY).unwrap()
}

fn fresh(n: usize) -> Vec<PublicKey> {
    (0..n).map(|_| StewardKey::generate().public()).collect()
}

#[test]
fn signatures_collect_to_a_certificate_the_chain_accepts() {
    let mut c = three_steward_circle();
    let now = T0 + 2 * DAY;
    let mut p = Proposal::new(
        body_for(&c, fresh(2), 1),
        ProposalKind::Handover,
        &[&c.keys[0]],
    )
    .unwrap();
    p.verify(&c.chain, now).unwrap();
    assert!(p.complete(&c.chain).is_none(), "one of two");
    assert_eq!(p.missing(&c.chain).len(), 2);
    // A peer's copy signed by another steward is absorbed once.
    let mut other = Proposal::decode(&p.encode()).unwrap();
    other.sign_with(&c.keys[1], &c.chain).unwrap();
    other.verify(&c.chain, now).unwrap();
    assert!(p.absorb(&other));
    assert!(!p.absorb(&other));
    let cert = p.complete(&c.chain).unwrap();
    assert_eq!(cert.id(), p.id());
    c.chain.insert(cert).unwrap();
    assert_eq!(c.term(), 2);
    // Once certified, the same proposal is stale everywhere.
    assert!(matches!(
        p.verify(&c.chain, now),
        Err(HandoverError::Stale { .. })
    ));
}

#[test]
fn each_bad_proposal_is_refused_with_its_own_error() {
    let c = three_steward_circle();
    let now = T0 + 2 * DAY;
    let k = &c.keys;
    let check = |stewards: Vec<PublicKey>, threshold: u32| {
        let p = Proposal::new(
            body_for(&c, stewards, threshold),
            ProposalKind::Handover,
            &[&k[0]],
        )
        .unwrap();
        p.verify(&c.chain, now)
    };
    assert!(matches!(
        check(fresh(2), 0),
        Err(HandoverError::Threshold { threshold: 0, .. })
    ));
    assert!(matches!(
        check(fresh(2), 3),
        Err(HandoverError::Threshold { threshold: 3, .. })
    ));
    assert!(matches!(check(vec![], 1), Err(HandoverError::NoStewards)));
    let one = fresh(1)[0];
    assert!(matches!(
        check(vec![one, one], 1),
        Err(HandoverError::DuplicateSteward(_))
    ));
    assert!(matches!(
        check(fresh(MAX_STEWARDS + 1), 1),
        Err(HandoverError::TooManyStewards(..))
    ));

    // A key of this or an earlier term named again.
    let current = c.keys[1].public();
    assert!(matches!(
        check(vec![current], 1),
        Err(HandoverError::ReusedKey(_))
    ));
    let genesis = c.chain.genesis().body.stewards[0];
    assert!(matches!(
        check(vec![genesis], 1),
        Err(HandoverError::ReusedKey(_))
    ));
    // A key of another term (here: a stranger's, or a candidate) signing.
    let stranger = StewardKey::generate();
    let mut p = Proposal::new(body_for(&c, fresh(1), 1), ProposalKind::Handover, &[&k[0]]).unwrap();
    assert!(matches!(
        p.sign_with(&stranger, &c.chain),
        Err(HandoverError::ForeignSigner(_))
    ));
    let forged = Proposal::new(p.body.clone(), ProposalKind::Handover, &[&stranger]).unwrap();
    assert!(matches!(
        forged.verify(&c.chain, now),
        Err(HandoverError::ForeignSigner(_))
    ));
    // The same signer twice.
    assert!(matches!(
        p.sign_with(&k[0], &c.chain),
        Err(HandoverError::AlreadySigned { .. })
    ));
    let mut twice = p.clone();
    twice.signatures.push(twice.signatures[0].clone());
    assert!(matches!(
        twice.verify(&c.chain, now),
        Err(HandoverError::DuplicateSigner(_))
    ));
    // A signature over another body.
    let mut tampered = p.clone();
    tampered.body.threshold = 1;
    tampered.body.expires += DAY;
    assert!(matches!(
        tampered.verify(&c.chain, now),
        Err(HandoverError::BadSignature(_))
    ));
    // The kind swapped under the proposer's header.
    let mut rekinded = p.clone();
    rekinded.kind = ProposalKind::Revoke {
        key: c.keys[2].public(),
        reason: String::new(),
    };
    assert!(matches!(
        rekinded.verify(&c.chain, now),
        Err(HandoverError::BadSignature(_))
    ));
    // A stale device: its chain was behind when it proposed.
    let (mut ahead, mut behind) = (three_steward_circle(), three_steward_circle());
    let stale = Proposal::new(
        behind.next_body(14, fresh(1), 1, now).unwrap(),
        ProposalKind::Handover,
        &[&behind.keys[0]],
    )
    .unwrap();
    behind.rotate(14, 1, now).unwrap();
    ahead.rotate(14, 1, now).unwrap();
    assert!(matches!(
        stale.verify(&behind.chain, now),
        Err(HandoverError::Stale {
            proposed: 2,
            latest: 2
        })
    ));
    // Another circle's proposal.
    assert!(matches!(
        p.verify(&ahead.chain, now),
        Err(HandoverError::WrongCircle)
    ));
    // Starting far in the future (would stay open past its lifetime).
    let mut future = body_for(&c, fresh(1), 1);
    future.start = now + 30 * DAY;
    future.expires = future.start + DAY;
    let future = Proposal::new(future, ProposalKind::Handover, &[&k[0]]).unwrap();
    assert!(matches!(
        future.verify(&c.chain, now),
        Err(HandoverError::Period)
    ));
}

#[test]
fn withdrawn_and_expired_proposals_are_not_open() {
    let c = three_steward_circle();
    let now = T0 + 2 * DAY;
    let mut p = Proposal::new(
        body_for(&c, fresh(1), 1),
        ProposalKind::Handover,
        &[&c.keys[0]],
    )
    .unwrap();
    assert_eq!(p.state(now), ProposalState::Open);
    assert!(matches!(
        p.require_open(p.expires_at()),
        Err(HandoverError::Expired(_))
    ));
    assert!(p.expires_at() >= now + 7 * DAY);
    assert!(matches!(
        p.withdraw(&c.keys[1]),
        Err(HandoverError::NotProposer(_))
    ));
    p.withdraw(&c.keys[0]).unwrap();
    p.verify(&c.chain, now).unwrap();
    assert!(matches!(
        p.require_open(now),
        Err(HandoverError::Withdrawn(_))
    ));
    // A withdrawal travels: the open copy takes it in.
    let mut open = p.clone();
    open.withdrawn = None;
    assert!(open.absorb(&p));
    assert_eq!(open.state(now), ProposalState::Withdrawn);
    // A forged withdrawal does not verify.
    let mut forged = open.clone();
    forged.withdrawn = Some(c.keys[1].sign(b"anything"));
    assert!(matches!(
        forged.verify(&c.chain, now),
        Err(HandoverError::BadSignature(_))
    ));
}

#[test]
fn a_revocation_counts_without_the_revoked_key() {
    let c = three_steward_circle();
    let now = T0 + 2 * DAY;
    let seized = c.keys[2].public();
    let kind = ProposalKind::Revoke {
        key: seized,
        reason: "phone seized".into(),
    };
    let mut p = Proposal::new(body_for(&c, fresh(2), 2), kind.clone(), &[&c.keys[0]]).unwrap();
    p.verify(&c.chain, now).unwrap();
    assert!(matches!(
        p.sign_with(&c.keys[2], &c.chain),
        Err(HandoverError::RevokedSigner(_))
    ));
    assert_eq!(p.missing(&c.chain), vec![c.keys[1].public()]);
    // The thief cannot propose its own revocation of someone else and count itself.
    let by_thief = Proposal::new(body_for(&c, fresh(1), 1), kind.clone(), &[&c.keys[2]]).unwrap();
    assert!(matches!(
        by_thief.verify(&c.chain, now),
        Err(HandoverError::RevokedSigner(_))
    ));
    // The revoked key named again for the next term (a key of this term: never reused).
    let renamed = Proposal::new(body_for(&c, vec![seized], 1), kind, &[&c.keys[0]]).unwrap();
    assert!(matches!(
        renamed.verify(&c.chain, now),
        Err(HandoverError::ReusedKey(_))
    ));
    p.sign_with(&c.keys[1], &c.chain).unwrap();
    assert!(p.complete(&c.chain).is_some());
    // 1 of 1: no one else could certify.
    let (solo, _) = Circle::create("Solo", 14, T0).unwrap();
    assert!(matches!(
        check_revocation(&solo.chain, &solo.keys[0].public(), ""),
        Err(HandoverError::RevokeImpossible {
            others: 0,
            threshold: 1,
            ..
        })
    ));
    assert!(matches!(
        check_revocation(&c.chain, &StewardKey::generate().public(), ""),
        Err(HandoverError::RevokeNotSteward(_))
    ));
    assert!(matches!(
        check_revocation(&c.chain, &seized, &"x".repeat(MAX_REASON_BYTES + 1)),
        Err(HandoverError::ReasonTooLong(..))
    ));
}

#[test]
fn decoding_is_bounded_and_strict() {
    assert!(matches!(
        Proposal::decode(&vec![0u8; MAX_PROPOSAL_BYTES + 1]),
        Err(HandoverError::TooLarge(..))
    ));
    assert!(matches!(
        Proposal::decode(&[1, 2, 3]),
        Err(HandoverError::Encoding)
    ));
    let c = three_steward_circle();
    let p = Proposal::new(
        body_for(&c, fresh(3), 2),
        ProposalKind::Handover,
        &[&c.keys[0], &c.keys[1]],
    )
    .unwrap();
    let bytes = p.encode();
    assert!(bytes.len() <= MAX_PROPOSAL_BYTES);
    assert_eq!(Proposal::decode(&bytes).unwrap(), p);
    // The largest honest proposal still fits.
    let big = Proposal::new(
        body_for(&c, fresh(MAX_STEWARDS), 1),
        ProposalKind::Revoke {
            key: c.keys[2].public(),
            reason: "r".repeat(MAX_REASON_BYTES),
        },
        &[&c.keys[0], &c.keys[1]],
    )
    .unwrap();
    assert!(big.encode().len() <= MAX_PROPOSAL_BYTES);
}
