//! The lottery's rules without a ledger: reveals fixed by anchors, the bias a steward
//! can exert (reveal or withhold: at most two outcomes), tampering always caught.

use proptest::prelude::*;

use super::*;

const CIRCLE: Hash32 = Hash32([42; 32]);

struct Steward {
    key: StewardKey,
    seed: [u8; 32],
}

impl Steward {
    fn new(secret: [u8; 32], seed: [u8; 32]) -> Steward {
        Steward {
            key: StewardKey::from_secret(secret),
            seed,
        }
    }

    fn commitment(&self) -> Commitment {
        let anchor = chain_value(&CIRCLE, &self.key.public(), &self.seed, 0).unwrap();
        Commitment::sign(&CIRCLE, 3, &self.key, anchor)
    }

    fn value(&self, position: u32) -> Hash32 {
        chain_value(&CIRCLE, &self.key.public(), &self.seed, position).unwrap()
    }
}

fn names(n: usize) -> Vec<String> {
    canonical_candidates(&(0..n).map(|i| format!("c{i:02}")).collect::<Vec<_>>()).unwrap()
}

/// A draw among `stewards` (all honest unless `withhold[i]`), at chain position 1.
fn transcript(stewards: &[Steward], n: usize, seats: u32, withhold: &[bool]) -> Transcript {
    let mut order: Vec<&Steward> = stewards.iter().collect();
    order.sort_by_key(|s| s.key.public());
    let mut t = Transcript {
        circle_id: CIRCLE,
        term: 3,
        candidates: names(n),
        seats,
        purpose: "facilitators".into(),
        heads: vec![Hash32([5; 32])],
        slots: order
            .iter()
            .map(|s| Slot {
                commitment: s.commitment(),
                position: 1,
                reveal: None,
            })
            .collect(),
        closed: withhold.iter().any(|w| *w),
    };
    let digest = t.draw_digest();
    for (slot, s) in t.slots.iter_mut().zip(order) {
        let i = stewards
            .iter()
            .position(|x| x.key.public() == s.key.public())
            .unwrap();
        if !withhold.get(i).copied().unwrap_or(false) {
            slot.reveal = Some(Reveal::sign(&digest, s.value(1), &s.key));
        }
    }
    t
}

fn publics(stewards: &[Steward]) -> Vec<PublicKey> {
    stewards.iter().map(|s| s.key.public()).collect()
}

fn two(a: u8, b: u8) -> Vec<Steward> {
    vec![
        Steward::new([1; 32], [a; 32]),
        Steward::new([2; 32], [b; 32]),
    ]
}

/// rand's shuffle and ChaCha20 pinned: a change of either would void every past draw.
#[test]
fn golden_draw() {
    let stewards = two(3, 4);
    let t = transcript(&stewards, 8, 3, &[false, false]);
    let chosen = verify(&t, &publics(&stewards)).unwrap();
    assert_eq!(
        t.seed().to_hex(),
        "c0aa0c6f75253a033cc3a29dcbc26f608492e0f318d8c35ce5260ba254146a41"
    );
    assert_eq!(chosen, ["c01", "c00", "c03"]);
    assert_eq!(draw(&t).unwrap(), chosen);
}

#[test]
fn a_draw_waits_for_every_reveal_until_closed() {
    let stewards = two(3, 4);
    let mut t = transcript(&stewards, 8, 3, &[false, false]);
    let i = t
        .slots
        .iter()
        .position(|s| s.commitment.steward == stewards[1].key.public())
        .unwrap();
    t.slots[i].reveal = None;
    assert!(matches!(
        verify(&t, &publics(&stewards)),
        Err(LotteryError::Incomplete(_))
    ));
    t.closed = true;
    assert_eq!(t.missing(), [stewards[1].key.public()]);
    assert_eq!(verify(&t, &publics(&stewards)).unwrap().len(), 3);
}

#[test]
fn a_draw_with_no_reveal_is_refused() {
    let stewards = two(3, 4);
    let t = transcript(&stewards, 4, 1, &[true, true]);
    assert_eq!(
        verify(&t, &publics(&stewards)),
        Err(LotteryError::NoReveals)
    );
}

#[test]
fn requests_out_of_bounds_are_refused_each_with_its_reason() {
    let c = names(3);
    assert_eq!(check_request(&c, 0, ""), Err(LotteryError::NoSeats));
    assert!(matches!(
        check_request(&c, 4, ""),
        Err(LotteryError::TooManySeats {
            seats: 4,
            candidates: 3
        })
    ));
    let dup = ["ana".to_string(), " Ana ".into()];
    assert!(matches!(
        canonical_candidates(&dup),
        Err(LotteryError::DuplicateCandidate(_))
    ));
    assert_eq!(
        canonical_candidates(&["  ".into()]),
        Err(LotteryError::EmptyName)
    );
    assert_eq!(canonical_candidates(&[]), Err(LotteryError::NoCandidates));
    let many: Vec<String> = (0..65).map(|i| format!("n{i}")).collect();
    assert_eq!(
        canonical_candidates(&many),
        Err(LotteryError::TooManyCandidates(65))
    );
    assert!(matches!(
        canonical_candidates(&["x".repeat(MAX_NAME_CHARS + 1)]),
        Err(LotteryError::NameTooLong(_))
    ));
    assert!(matches!(
        canonical_candidates(&["a\u{1b}[2J".into()]),
        Err(LotteryError::NameControl(_))
    ));
    assert_eq!(
        check_request(&c, 1, &"p".repeat(201)),
        Err(LotteryError::PurposeTooLong)
    );
    let unsorted = vec!["b".to_string(), "a".into()];
    assert_eq!(
        check_request(&unsorted, 1, ""),
        Err(LotteryError::NotCanonical)
    );
    let stewards = two(3, 4);
    let mut t = transcript(&stewards, 3, 1, &[false, false]);
    t.slots.swap(0, 1);
    assert!(matches!(
        t.check_shape(),
        Err(LotteryError::StewardOrder(_))
    ));
    let mut t = transcript(&stewards, 3, 1, &[false, false]);
    t.heads = vec![Hash32([0; 32]); MAX_DRAW_HEADS + 1];
    assert!(matches!(
        t.check_shape(),
        Err(LotteryError::TooManyHeads(_))
    ));
    let mut t = transcript(&stewards, 3, 1, &[false, false]);
    t.slots[0].position = CHAIN_LENGTH + 1;
    assert!(matches!(
        t.check_shape(),
        Err(LotteryError::PositionOutOfRange { .. })
    ));
}

#[test]
fn a_key_outside_the_term_or_a_forged_commitment_is_refused() {
    let stewards = two(3, 4);
    let t = transcript(&stewards, 4, 1, &[false, false]);
    assert!(matches!(
        verify(&t, &[stewards[0].key.public()]),
        Err(LotteryError::NotASteward(_))
    ));
    // Steward 0 publishes a chain in steward 1's name: the signature is not 1's.
    let mut t = transcript(&stewards, 4, 1, &[false, false]);
    let forged = Commitment::sign(&CIRCLE, 3, &stewards[0].key, Hash32([9; 32]));
    let i = t
        .slots
        .iter()
        .position(|s| s.commitment.steward == stewards[1].key.public())
        .unwrap();
    t.slots[i].commitment.anchor = forged.anchor;
    t.slots[i].commitment.signature = forged.signature;
    assert!(matches!(
        verify(&t, &publics(&stewards)),
        Err(LotteryError::BadCommitment(_))
    ));
}

/// Given the honest stewards' commitments and the draw's fixed part, a steward's one
/// choice is to reveal or withhold: over honest seeds, the share of draws in which it
/// can land a target of its choosing is what two tries give, not more.
#[test]
fn a_withholder_gets_at_most_two_tries() {
    let (n, rounds) = (8usize, 400u32);
    let target = vec!["c05".to_string()];
    let (mut hit_one_try, mut hit_two_tries) = (0u32, 0u32);
    let mut firsts = std::collections::BTreeSet::new();
    for r in 0..rounds {
        let mut honest_seed = [0u8; 32];
        honest_seed[..4].copy_from_slice(&r.to_le_bytes());
        let stewards = vec![
            Steward::new([1; 32], [7; 32]), // the adversary, its seed fixed
            Steward::new([2; 32], honest_seed),
        ];
        let revealed = verify(
            &transcript(&stewards, n, 1, &[false, false]),
            &publics(&stewards),
        )
        .unwrap();
        let withheld = verify(
            &transcript(&stewards, n, 1, &[true, false]),
            &publics(&stewards),
        )
        .unwrap();
        firsts.insert(revealed[0].clone());
        hit_one_try += u32::from(revealed == target);
        hit_two_tries += u32::from(revealed == target || withheld == target);
    }
    // The honest reveal moves the outcome over every candidate.
    assert_eq!(firsts.len(), n, "{firsts:?}");
    // Expected 1/8 = 50 and 1-(7/8)^2 ≈ 94 of 400; bounds at about +4 sigma.
    assert!(hit_one_try < 80, "{hit_one_try}");
    assert!(hit_two_tries < 135, "{hit_two_tries}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A reveal is fixed by its anchor: any other value, or the right value offered
    /// at another position, fails verification.
    #[test]
    fn a_reveal_is_fixed_by_its_anchor(seed in any::<[u8; 32]>(), other in any::<[u8; 32]>(),
                                       position in 1u32..=16) {
        let s = Steward::new([1; 32], seed);
        let c = s.commitment();
        let value = s.value(position);
        prop_assert!(reveal_matches(&CIRCLE, &c, position, &value));
        prop_assume!(Hash32(other) != value);
        prop_assert!(!reveal_matches(&CIRCLE, &c, position, &Hash32(other)));
        prop_assert!(!reveal_matches(&CIRCLE, &c, position + 1, &value));
        let stewards = vec![s, Steward::new([2; 32], [8; 32])];
        let mut t = transcript(&stewards, 5, 2, &[false, false]);
        let i = t.slots.iter().position(|x| x.commitment.steward == stewards[0].key.public()).unwrap();
        let digest = t.draw_digest();
        t.slots[i].reveal = Some(Reveal::sign(&digest, Hash32(other), &stewards[0].key));
        prop_assert!(matches!(verify(&t, &publics(&stewards)), Err(LotteryError::RevealMismatch(_))));
    }

    /// Two honest stewards: each one's reveal changes the outcome as the other's varies,
    /// and the adversary's two options give at most two outcomes.
    #[test]
    fn a_steward_has_two_options_at_most(a in any::<[u8; 32]>(), b in any::<[u8; 32]>()) {
        let stewards = vec![Steward::new([1; 32], a), Steward::new([2; 32], b)];
        let keys = publics(&stewards);
        let mut outcomes = std::collections::BTreeSet::new();
        for withhold in [false, true] {
            outcomes.insert(verify(&transcript(&stewards, 10, 3, &[withhold, false]), &keys).unwrap());
        }
        prop_assert!(outcomes.len() <= 2);
    }

    /// Any change to a complete transcript fails verification or its proof.
    #[test]
    fn a_tampered_transcript_always_fails(a in any::<[u8; 32]>(), b in any::<[u8; 32]>(),
                                          which in 0usize..7) {
        let stewards = vec![Steward::new([1; 32], a), Steward::new([2; 32], b)];
        let keys = publics(&stewards);
        let honest = transcript(&stewards, 6, 2, &[false, false]);
        let chosen = verify(&honest, &keys).unwrap();
        let proof = Proof { transcript: honest.clone(), chosen: chosen.clone() };
        prop_assert_eq!(verify_proof(&proof.encode(), &CIRCLE, 3, &keys), Ok(chosen.clone()));
        let mut t = honest.clone();
        let mut claimed = chosen.clone();
        match which {
            0 => { t.candidates.push("zz".into()); }
            1 => { t.purpose.push('!'); }
            2 => { t.seats = 1; }
            3 => { t.heads[0] = Hash32([6; 32]); }
            4 => { let r = t.slots[0].reveal.as_mut().unwrap(); r.value.0[0] ^= 1; }
            5 => { t.slots[1].position = 2; }
            _ => { claimed = honest.candidates.iter().filter(|c| !chosen.contains(c)).take(2).cloned().collect(); }
        }
        prop_assert!(which == 6 || verify(&t, &keys).is_err());
        let tampered = Proof { transcript: t, chosen: claimed };
        prop_assert!(verify_proof(&tampered.encode(), &CIRCLE, 3, &keys).is_err());
    }
}

#[test]
fn proofs_out_of_bounds_or_withheld_are_refused() {
    let stewards = two(3, 4);
    let keys = publics(&stewards);
    let t = transcript(&stewards, 6, 2, &[true, false]);
    let chosen = verify(&t, &keys).unwrap();
    let p = Proof {
        transcript: t,
        chosen,
    };
    assert_eq!(
        verify_proof(&p.encode(), &CIRCLE, 3, &keys),
        Err(LotteryError::ProofWithheld(1))
    );
    assert!(matches!(
        verify_proof(&[1, 2, 3], &CIRCLE, 3, &keys),
        Err(LotteryError::BadProof(_))
    ));
    assert_eq!(
        verify_proof(&vec![0; MAX_PROOF_BYTES + 1], &CIRCLE, 3, &keys),
        Err(LotteryError::ProofTooLarge)
    );
    let t = transcript(&stewards, 6, 2, &[false, false]);
    let chosen = verify(&t, &keys).unwrap();
    let p = Proof {
        transcript: t,
        chosen,
    };
    assert!(matches!(
        verify_proof(&p.encode(), &Hash32([1; 32]), 3, &keys),
        Err(LotteryError::BadProof(_))
    ));
    assert!(matches!(
        verify_proof(&p.encode(), &CIRCLE, 4, &keys),
        Err(LotteryError::BadProof(_))
    ));
}
