//! A sync response from a peer we pull from: decode (with bounded inflation), open the
//! page against our chain (and as a first sync, with none), check its evidence, then
//! verify its changes apart from the ledger and ingest them.
#![no_main]

use circle_core::sync::{open_page, Response};
use circle_core::validate::{check_evidence, ingest, ingest_verified, verify_batch};
use circle_ledger_fuzz::with_context;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(resp) = Response::decode(data) else {
        return;
    };
    assert_eq!(Response::decode(&resp.encode()).ok(), Some(resp.clone()));
    let Response::Page(page) = resp else {
        return;
    };
    with_context(|cx| {
        let circle = cx.chain.circle_id();
        let _ = open_page(page.clone(), &circle, None);
        let Ok(opened) = open_page(page, &circle, Some(&cx.chain)) else {
            return;
        };
        let mut chain = cx.chain.clone();
        for cert in opened.certs {
            let _ = chain.insert(cert);
        }
        for (a, b) in &opened.evidence {
            let _ = check_evidence(&chain, a, b);
        }
        let mut replica = cx.replica.clone();
        let verified = verify_batch(&chain, opened.changes.clone(), cx.now());
        let _ = ingest_verified(&mut replica, &chain, verified, cx.now());
        let mut replica = cx.replica.clone();
        let _ = ingest(&mut replica, &chain, opened.changes, cx.now());
    });
});
