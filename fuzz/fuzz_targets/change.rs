//! A change chunk from a peer: the size and chunk precheck, the decoder, and the whole
//! ingest path, twice: once as sent (unsigned, so refused), once signed by the current
//! steward (a steward's own buggy or hostile client), which reaches Automerge's apply.
#![no_main]

use circle_core::envelope::Envelope;
use circle_core::keys::Signature;
use circle_core::sync::WireChange;
use circle_core::validate::{decode_change, has_change, ingest, precheck};
use circle_ledger_fuzz::with_context;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = precheck(data);
    with_context(|cx| {
        let circle = cx.chain.circle_id();
        let term = cx.chain.latest().body.term;
        // The wire form rebuilds magic, checksum and hash, so the decoder sees a
        // chunk whose hash binds, as every chunk arriving in a page does.
        let wire = WireChange {
            term,
            signer: 0,
            signature: Signature([0; 64]),
            chunk: data.to_vec(),
        };
        let Ok(mut signed) = wire.into_signed(circle, &cx.chain) else {
            return;
        };
        let _ = decode_change(&signed);
        let mut replica = cx.replica.clone();
        let report = ingest(&mut replica, &cx.chain, vec![signed.clone()], cx.now());
        assert!(report.applied.is_empty(), "unsigned change applied");

        let key = &cx.scenario.circle.keys[0];
        signed.envelope = Envelope::sign(circle, signed.envelope.change_hash, term, key);
        let report = ingest(&mut replica, &cx.chain, vec![signed], cx.now());
        for c in &report.applied {
            let hash = circle_core::automerge::ChangeHash(c.envelope.change_hash.0);
            assert!(has_change(replica.doc(), &hash), "applied but absent");
        }
    });
});
