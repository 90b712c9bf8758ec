//! A gossip payload (announcement or alert) from any peer: decode, then judge it
//! against the circle's chain as a node deciding whether to show and relay it.
#![no_main]

use circle_core::gossip::{check, Gossip};
use circle_ledger_fuzz::with_context;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(msg) = Gossip::decode(data) else {
        return;
    };
    assert_eq!(Gossip::decode(&msg.encode()).ok(), Some(msg.clone()));
    let _ = msg.replay_key();
    let _ = msg.circle_id();
    with_context(|cx| {
        let _ = check(&msg, &cx.chain, cx.now());
    });
});
