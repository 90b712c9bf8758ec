//! A sync request from any peer: decode (with bounded inflation), then answer it
//! against a real ledger, as a node serving that peer would.
#![no_main]

use std::collections::HashMap;

use circle_core::keys::Hash32;
use circle_core::sync::{answer_pull, Request, Response, MAX_PAGE_BYTES};
use circle_ledger_fuzz::with_context;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(req) = Request::decode(data) else {
        return;
    };
    assert_eq!(Request::decode(&req.encode()).ok(), Some(req.clone()));
    let Request::Pull(pull) = req else {
        return;
    };
    with_context(|cx| {
        let envelopes: HashMap<Hash32, _> = cx
            .scenario
            .changes
            .iter()
            .map(|c| (c.envelope.change_hash, c.envelope.clone()))
            .collect();
        let page = answer_pull(
            &cx.replica,
            &cx.chain,
            &pull,
            &mut |h| envelopes.get(h).cloned(),
            MAX_PAGE_BYTES,
        );
        // What we answer must be something a peer of ours accepts.
        let bytes = Response::Page(page).encode();
        assert!(Response::decode(&bytes).is_ok(), "our own page is refused");
    });
});
