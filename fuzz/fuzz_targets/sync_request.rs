//! A sync request from any peer: decode (with bounded inflation), then answer it
//! against a real ledger, as a node serving that peer would: with and without a serve
//! order (its cursor path), with evidence to carry.
#![no_main]

use std::collections::HashMap;

use circle_core::keys::Hash32;
use circle_core::sync::{
    answer_pull, answer_pull_with, Request, Response, Serve, ServeOrder, MAX_PAGE_BYTES,
};
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
        let mut order = ServeOrder::new();
        order.refresh(cx.replica.doc());
        let changes = &cx.scenario.changes;
        let evidence = [(changes[1].clone(), changes[2].clone())];
        let serve = Serve {
            order: Some(&order),
            evidence: &evidence,
        };
        let answered = answer_pull_with(
            &cx.replica,
            &cx.chain,
            &pull,
            &mut |h| envelopes.get(h).cloned(),
            MAX_PAGE_BYTES,
            serve,
        );
        // One page of work, whatever the request says.
        assert!(answered.touched <= 2 * order.len() + 64);
        let bytes = Response::Page(answered.page).encode();
        assert!(
            Response::decode(&bytes).is_ok(),
            "our own ordered page is refused"
        );
    });
});
