//! Evidence of change equivocations travels with pages, bounded.

use automerge::ActorId;

use super::*;
use crate::validate::check_evidence;

fn pair(s: &Scenario, i: u8) -> (SignedChange, SignedChange) {
    let actor = ActorId::from(&[i; 16][..]);
    let one = |title: &str| {
        let mut l = s.circle.ledger.clone();
        l.set_actor(actor.clone());
        let signer = Signer {
            key: &s.circle.keys[0],
            term: s.circle.term(),
        };
        l.log_action(&signer, s.now, title, "", &[]).unwrap().1
    };
    (one("one"), one("two"))
}

#[test]
fn a_page_carries_evidence_each_pair_checkable_and_bounded_in_count() {
    let s = scenario(2, 2);
    let a = Replica::full(&s);
    let held: Vec<_> = (0..20).map(|i| pair(&s, i + 1)).collect();
    let envs = &a.envs;
    let req = pull_request(None, None, s.circle_id(), &[], u32::MAX);
    let serve = Serve {
        order: None,
        evidence: &held,
    };
    let got = answer_pull_with(
        a.ledger(),
        a.chain.as_ref().unwrap(),
        &req,
        &mut |h| envs.get(h).cloned(),
        MAX_PAGE_BYTES,
        serve,
    );
    assert_eq!(got.page.evidence.len(), MAX_PAGE_EVIDENCE);
    let wire = Response::Page(got.page).encode();
    let Ok(Response::Page(page)) = Response::decode(&wire) else {
        panic!("page does not decode");
    };
    let opened = open_page(page.clone(), &s.circle_id(), None).unwrap();
    assert_eq!(opened.evidence, held[..MAX_PAGE_EVIDENCE].to_vec());
    let chain = s.chain();
    for (x, y) in &opened.evidence {
        assert!(check_evidence(&chain, x, y).is_ok());
    }
    // More pairs than the bound: refused when decoded, whoever built the page.
    let mut over = page.clone();
    let extra = over.evidence[0].clone();
    over.evidence.push(extra);
    let bytes = Response::Page(over).encode();
    assert_eq!(
        Response::decode(&bytes),
        Err(SyncError::TooMany("evidence pairs"))
    );
    // A pair naming a term the requester cannot place refuses the page.
    let mut unknown = page;
    unknown.evidence[0].second.term = 99;
    assert_eq!(
        open_page(unknown, &s.circle_id(), Some(&chain)).map(|_| ()),
        Err(SyncError::UnknownTerm(99))
    );
    // Within a quarter of a small page only.
    let small = answer_pull_with(
        a.ledger(),
        a.chain.as_ref().unwrap(),
        &req,
        &mut |h| envs.get(h).cloned(),
        12 * 1024,
        serve,
    );
    let bytes: usize = small.page.evidence.iter().map(|e| e.encoded_len()).sum();
    assert!(bytes <= 3 * 1024 && small.page.evidence.len() < MAX_PAGE_EVIDENCE);
}
