//! A bundle file handed over on a USB stick: decode, build its chain, open its base if
//! it has one, ingest its changes, as `circle import` does.
#![no_main]

use circle_core::bundle::Bundle;
use circle_core::checkpoint::{Snapshot, SnapshotLimits};
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
    let now = with_context(|cx| cx.now());
    // A base (a circle past a forgetting handover) is verified against the chain first,
    // as `circle import` does; the changes then build on it.
    let mut replica = match &bundle.base {
        None => Ledger::empty_replica(bundle.circle_id),
        Some(base) => {
            let Ok(snapshot) = Snapshot::decode(base) else {
                return;
            };
            match snapshot.open_with_document(&chain, now, SnapshotLimits::default()) {
                Ok((ledger, _)) => ledger,
                Err(_) => return,
            }
        }
    };
    let _ = ingest(&mut replica, &chain, bundle.changes, now);
});
