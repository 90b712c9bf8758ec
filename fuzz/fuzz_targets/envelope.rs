//! An envelope as stored or sent: decode, re-encode, verify and judge it.
#![no_main]

use circle_core::envelope::{Envelope, SignedChange};
use circle_core::keys::Hash32;
use circle_core::validate::{judge, HandoverHistory, Verdict};
use circle_ledger_fuzz::with_context;
use libfuzzer_sys::fuzz_target;

/// Knows no handover history: old-term envelopes stay pending.
struct Unknown;

impl HandoverHistory for Unknown {
    fn in_handover_history(&self, _term: u64, _change: &Hash32) -> Option<bool> {
        None
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(signed) = postcard::from_bytes::<SignedChange>(data) {
        let again: SignedChange = postcard::from_bytes(&postcard::to_stdvec(&signed).unwrap())
            .expect("a decoded signed change re-decodes");
        assert_eq!(again, signed);
    }
    let Some(env) = Envelope::decode(data) else {
        return;
    };
    assert_eq!(Envelope::decode(&env.encode()), Some(env.clone()));
    let signature_ok = env.signer.verify(&env.message(), &env.signature).is_ok();
    with_context(|cx| {
        let verdict = judge(&cx.chain, &env, signature_ok, &Unknown, cx.now());
        if verdict == Verdict::Accept {
            // Only a real steward's signature over this circle can be accepted.
            assert!(signature_ok);
            assert_eq!(env.circle_id, cx.chain.circle_id());
        }
    });
});
