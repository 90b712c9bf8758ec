//! A certificate whose stewards were drawn by lottery: accepted when its proof drew
//! exactly the stewards it names, refused (each with its own reason) when the proof or
//! the body was tampered with, whoever signed it.

use super::*;
use crate::error::CertError;
use crate::handover::candidate_code;
use crate::term::{CertBody, TermCert, TermChain, CERT_VERSION};

struct Scene {
    outgoing: Vec<StewardKey>,
    seeds: Vec<[u8; 32]>,
    chain: TermChain,
    codes: Vec<String>,
}

fn scene() -> Scene {
    let outgoing: Vec<StewardKey> = (1..=2u8)
        .map(|i| StewardKey::from_secret([i; 32]))
        .collect();
    let refs: Vec<&StewardKey> = outgoing.iter().collect();
    let body = CertBody {
        version: CERT_VERSION,
        circle_id: None,
        term: 0,
        stewards: refs.iter().map(|k| k.public()).collect(),
        threshold: 2,
        start: 1_000,
        expires: 1_000 + 14 * 86_400,
        handover_heads: vec![],
        prev: None,
        genesis_nonce: Some(Hash32([7; 32])),
        lottery: None,
        forgetting: None,
    };
    let chain = TermChain::from_genesis(TermCert::sign(body, &refs).unwrap()).unwrap();
    let codes = (10..14u8)
        .map(|i| candidate_code(&StewardKey::from_secret([i; 32]).public()))
        .collect();
    Scene {
        outgoing,
        seeds: vec![[21; 32], [22; 32]],
        chain,
        codes,
    }
}

impl Scene {
    /// A complete draw of `seats` among the candidate codes, for `purpose`.
    fn transcript(&self, seats: u32, purpose: &str) -> Transcript {
        let circle = self.chain.circle_id();
        let mut pairs: Vec<(&StewardKey, &[u8; 32])> =
            self.outgoing.iter().zip(self.seeds.iter()).collect();
        pairs.sort_by_key(|(k, _)| k.public());
        let mut t = Transcript {
            circle_id: circle,
            term: 0,
            candidates: canonical_candidates(&self.codes).unwrap(),
            seats,
            purpose: purpose.into(),
            heads: vec![Hash32([5; 32])],
            slots: pairs
                .iter()
                .map(|(k, seed)| {
                    let anchor = chain_value(&circle, &k.public(), seed, 0).unwrap();
                    Slot {
                        commitment: Commitment::sign(&circle, 0, k, anchor),
                        position: 1,
                        reveal: None,
                    }
                })
                .collect(),
            closed: false,
        };
        let digest = t.draw_digest();
        for (slot, (k, seed)) in t.slots.iter_mut().zip(pairs) {
            let v = chain_value(&circle, &k.public(), seed, 1).unwrap();
            slot.reveal = Some(Reveal::sign(&digest, v, k));
        }
        t
    }

    /// Term 1's certificate naming `stewards` (codes), carrying `proof`, signed by
    /// every outgoing steward: only the lottery check can refuse it.
    fn cert(&self, stewards: &[String], proof: Option<Vec<u8>>) -> TermCert {
        let prev = self.chain.latest();
        let body = CertBody {
            version: CERT_VERSION,
            circle_id: Some(self.chain.circle_id()),
            term: 1,
            stewards: stewards
                .iter()
                .map(|c| crate::handover::parse_candidate(c).unwrap())
                .collect(),
            threshold: 1,
            start: prev.body.start,
            expires: prev.body.start + 86_400,
            handover_heads: vec![],
            prev: Some(prev.id()),
            genesis_nonce: None,
            lottery: proof,
            forgetting: None,
        };
        let refs: Vec<&StewardKey> = self.outgoing.iter().collect();
        TermCert::sign(body, &refs).unwrap()
    }

    fn insert(&self, cert: TermCert) -> Result<(), CertError> {
        self.chain.clone().insert(cert).map(|_| ())
    }
}

fn proof_of(transcript: Transcript, chosen: &[String]) -> Vec<u8> {
    Proof {
        transcript,
        chosen: chosen.to_vec(),
    }
    .encode()
}

fn refused_for(result: Result<(), CertError>) -> LotteryError {
    match result {
        Err(CertError::Lottery(e)) => e,
        other => panic!("expected a lottery refusal, got {other:?}"),
    }
}

#[test]
fn a_drawn_certificate_is_accepted_and_every_tampering_refused() {
    let s = scene();
    let t = s.transcript(2, &steward_purpose(1));
    let chosen = draw(&t).unwrap();
    let proof = Proof {
        transcript: t.clone(),
        chosen: chosen.clone(),
    };
    s.insert(s.cert(&chosen, Some(proof.encode()))).unwrap();

    // The stewards named are not the ones drawn (the proof itself is honest).
    let undrawn: Vec<String> = s
        .codes
        .iter()
        .filter(|c| !chosen.contains(c))
        .cloned()
        .collect();
    let other = vec![chosen[0].clone(), undrawn[0].clone()];
    let e = refused_for(s.insert(s.cert(&other, Some(proof.encode()))));
    assert_eq!(e, LotteryError::StewardsNotDrawn);
    let e = refused_for(s.insert(s.cert(&chosen[..1], Some(proof.encode()))));
    assert_eq!(e, LotteryError::StewardsNotDrawn);

    // The proof claims other chosen than its transcript draws.
    let lie = Proof {
        transcript: t.clone(),
        chosen: other.clone(),
    };
    let e = refused_for(s.insert(s.cert(&other, Some(lie.encode()))));
    assert_eq!(e, LotteryError::ChosenMismatch);

    // A facilitator draw (same stewards, honest reveals) does not choose stewards.
    let facilitators = s.transcript(2, "facilitators");
    let f_chosen = draw(&facilitators).unwrap();
    let f_proof = Proof {
        transcript: facilitators,
        chosen: f_chosen.clone(),
    };
    let e = refused_for(s.insert(s.cert(&f_chosen, Some(f_proof.encode()))));
    assert!(matches!(e, LotteryError::NotStewardDraw { .. }), "{e:?}");

    // A reveal changed after the fact.
    let mut bad_value = t.clone();
    if let Some(r) = bad_value.slots[0].reveal.as_mut() {
        r.value = Hash32([0xAA; 32]);
    }
    let e = refused_for(s.insert(s.cert(&chosen, Some(proof_of(bad_value, &chosen)))));
    assert!(matches!(e, LotteryError::RevealMismatch(_)), "{e:?}");

    // A candidate swapped into the fixed part: the reveals no longer sign it.
    let mut swapped = t.clone();
    swapped.candidates[0] = candidate_code(&StewardKey::from_secret([99; 32]).public());
    swapped.candidates.sort();
    let e = refused_for(s.insert(s.cert(&chosen, Some(proof_of(swapped, &chosen)))));
    assert!(matches!(e, LotteryError::RevealSignature(_)), "{e:?}");

    // A reveal withheld (the drawer's choice would be free again): no proof.
    let mut withheld = t.clone();
    withheld.slots[1].reveal = None;
    withheld.closed = true;
    let e = refused_for(s.insert(s.cert(&chosen, Some(proof_of(withheld, &chosen)))));
    assert!(matches!(e, LotteryError::ProofWithheld(1)), "{e:?}");

    // Bytes that are no proof, and one too large to read.
    let e = refused_for(s.insert(s.cert(&chosen, Some(vec![0xFF; 40]))));
    assert!(matches!(e, LotteryError::BadProof(_)), "{e:?}");
    let e = refused_for(s.insert(s.cert(&chosen, Some(vec![0; MAX_PROOF_BYTES + 1]))));
    assert_eq!(e, LotteryError::ProofTooLarge);
}

#[test]
fn a_genesis_cannot_claim_a_lottery() {
    let key = StewardKey::from_secret([3; 32]);
    let body = CertBody {
        version: CERT_VERSION,
        circle_id: None,
        term: 0,
        stewards: vec![key.public()],
        threshold: 1,
        start: 1_000,
        expires: 2_000,
        handover_heads: vec![],
        prev: None,
        genesis_nonce: Some(Hash32([7; 32])),
        lottery: Some(vec![1, 2, 3]),
        forgetting: None,
    };
    let cert = TermCert::sign(body, &[&key]).unwrap();
    assert_eq!(
        TermChain::from_genesis(cert).unwrap_err(),
        CertError::GenesisShape
    );
}
