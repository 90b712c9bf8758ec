//! A term certificate from a peer: decode, then every way a chain takes one in.
#![no_main]

use circle_core::term::{TermCert, TermChain};
use circle_ledger_fuzz::with_context;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(cert) = TermCert::decode(data) else {
        return;
    };
    assert_eq!(TermCert::decode(&cert.encode()).ok(), Some(cert.clone()));
    let _ = cert.circle_id();
    let _ = TermChain::from_genesis(cert.clone());
    with_context(|cx| {
        let mut chain = cx.chain.clone();
        let _ = chain.insert(cert.clone());
        let mut certs = cx.chain.certs().to_vec();
        certs.push(cert);
        let _ = TermChain::from_certs(certs);
    });
});
