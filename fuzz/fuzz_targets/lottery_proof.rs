//! A steward lottery proof, as a certificate from a peer carries it (`CertBody::lottery`):
//! decode, then every check a node runs on it, against the shared circle's latest term.
#![no_main]

use circle_core::handover::parse_candidate;
use circle_core::keys::PublicKey;
use circle_core::lottery::{self, Proof};
use circle_ledger_fuzz::with_context;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(proof) = Proof::decode(data) else {
        return;
    };
    assert_eq!(Proof::decode(&proof.encode()).ok(), Some(proof.clone()));
    let t = &proof.transcript;
    let _ = t.check_shape();
    let _ = (t.draw_digest(), t.seed(), t.missing(), t.complete());
    let _ = lottery::draw(t);
    with_context(|cx| {
        let latest = &cx.chain.latest().body;
        let _ = lottery::verify(t, &latest.stewards);
        let named: Vec<PublicKey> = proof
            .chosen
            .iter()
            .filter_map(|c| parse_candidate(c).ok())
            .collect();
        let verified = lottery::verify_steward_proof(
            data,
            &cx.chain.circle_id(),
            latest.term,
            &latest.stewards,
            &named,
        );
        // Whatever verifies drew exactly the keys it names.
        if let Ok(drawn) = verified {
            assert_eq!(drawn.len(), named.len());
        }
    });
});
