//! A bundle file handed over on a USB stick: decode, build its chain, ingest its
//! changes into an empty replica, as `circle import` does.
#![no_main]

use circle_core::bundle::Bundle;
use circle_core::ledger::Ledger;
use circle_core::term::TermChain;
use circle_core::validate::ingest;
use circle_ledger_fuzz::with_context;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(bundle) = Bundle::decode(data) else {
        return;
    };
    assert_eq!(Bundle::decode(&bundle.encode()).ok(), Some(bundle.clone()));
    let Ok(chain) = TermChain::from_certs(bundle.certs) else {
        return;
    };
    if chain.circle_id() != bundle.circle_id {
        return;
    }
    let mut replica = Ledger::empty_replica(bundle.circle_id);
    let now = with_context(|cx| cx.now());
    let _ = ingest(&mut replica, &chain, bundle.changes, now);
});
