//! The pull state machine: its quarantine's bounds, signatures verified once, stale
//! pages, hostile pages refused with nothing applied.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::envelope::Envelope;
use crate::keys::{PublicKey, Signature, StewardKey};
use crate::sync::sim::{pull_all, Peer};
use crate::sync::MAX_PAGE_BYTES;
use crate::testing::scenario;

fn change(i: usize, len: usize) -> SignedChange {
    let mut h = [0u8; 32];
    h[..8].copy_from_slice(&(i as u64).to_le_bytes());
    SignedChange {
        envelope: Envelope {
            version: 1,
            circle_id: Hash32([1; 32]),
            change_hash: Hash32(h),
            term: 0,
            signer: PublicKey([2; 32]),
            signature: Signature([3; 64]),
        },
        bytes: vec![0; len],
    }
}

#[test]
fn quarantine_is_bounded_in_count_and_bytes() {
    let mut q = Quarantine::new();
    let n = QUARANTINE_CHANGES;
    let dropped = q.hold_unverified((0..n + 100).map(|i| change(i, 10)));
    assert_eq!((q.len(), dropped), (n, 100));
    let more = q.hold_unverified((n + 100..n + 110).map(|i| change(i, 10)));
    assert_eq!((q.len(), more), (n, 10), "a full quarantine takes no more");
    assert_eq!(q.take().len(), n);
    assert!(q.is_empty() && q.bytes() == 0);
    assert_eq!(q.hold_unverified([change(7, 10), change(7, 10)]), 0);
    assert_eq!(q.len(), 1, "a change held already is not held twice");
    q.take();
    // Bytes: a few large changes fill it long before the count does.
    let big = 4 * 1024 * 1024;
    let dropped = q.hold_unverified((0..20).map(|i| change(i, big)));
    assert_eq!(q.len(), QUARANTINE_BYTES / big);
    assert_eq!(dropped, 20 - QUARANTINE_BYTES / big);
    // Merging keeps the bounds too.
    let mut other = Quarantine::new();
    other.hold_unverified((100..110).map(|i| change(i, big)));
    assert_eq!(q.merge(other), 10);
}

/// With one change per page, each past term waits in quarantine until its handover
/// heads arrive: today's node verified it again with every page (1 + 2 + … + 7 for a
/// term of 7); the machine verifies each signature once.
#[test]
fn a_quarantined_change_is_verified_once() {
    let s = scenario(3, 6);
    let origin = Peer::full(&s);
    let mut b = Peer::empty(&s);
    let mut puller = Puller::new(s.circle_id(), &[], 1);
    let mut most_waiting = 0;
    let kept = pull_all(&mut b, &origin, &mut puller, 1_000, s.now, |p| {
        most_waiting = most_waiting.max(p.quarantine().len());
    })
    .unwrap()
    .unwrap();
    assert_eq!(kept.next, Next::Done);
    assert_eq!(b.heads(), origin.heads());
    assert!(puller.quarantine().is_empty());
    assert_eq!(puller.pages(), s.changes.len(), "one change per page");
    assert!(most_waiting >= 6, "a whole term waited: {most_waiting}");
    assert_eq!(
        puller.signatures_checked(),
        s.changes.len(),
        "each signature verified exactly once"
    );
}

/// A pull that starts with what an earlier pull left in quarantine is sent those
/// changes again by an honest responder (its heads do not cover them): that is not a
/// stale page. Twice in one pull is.
#[test]
fn changes_quarantined_by_an_earlier_pull_do_not_make_a_page_stale() {
    let s = scenario(3, 6);
    let origin = Peer::full(&s);
    let mut b = Peer::empty(&s);
    // An earlier pull got term 0 and half of term 1, then ended (its time ran out).
    let mut first = Puller::new(s.circle_id(), &[], 1);
    for _ in 0..11 {
        let req = first.request(b.ledger.as_ref(), b.chain.as_ref()).unwrap();
        let kept = b.take(
            &mut first,
            origin.answer(&req, MAX_PAGE_BYTES).unwrap(),
            s.now,
        );
        assert_eq!(kept.unwrap().next, Next::Request);
    }
    let left = first.into_quarantine();
    assert!(left.len() >= 3, "part of term 1 waits: {}", left.len());
    let mut again = Puller::new(s.circle_id(), &[], 1).with_quarantine(left);
    let kept = pull_all(&mut b, &origin, &mut again, 1_000, s.now, |_| {}).unwrap();
    assert_eq!(kept.unwrap().next, Next::Done);
    assert_eq!(b.heads(), origin.heads());
    // A page delivered twice within one pull stops it.
    let mut c = Peer::empty(&s);
    let mut p = Puller::new(s.circle_id(), &[], 1);
    let req = p.request(None, None).unwrap();
    let page = origin.answer(&req, MAX_PAGE_BYTES).unwrap();
    assert_eq!(
        c.take(&mut p, page.clone(), s.now).unwrap().next,
        Next::Request
    );
    let req = p.request(c.ledger.as_ref(), c.chain.as_ref()).unwrap();
    let second = origin.answer(&req, MAX_PAGE_BYTES).unwrap();
    assert_eq!(
        c.take(&mut p, second.clone(), s.now).unwrap().next,
        Next::Request
    );
    let kept = c.take(&mut p, second, s.now).unwrap();
    assert_eq!(kept.next, Next::Stop(Stop::Stale));
    assert_eq!(p.request(c.ledger.as_ref(), c.chain.as_ref()), None);
}

/// What a forged page does to a replica: nothing applied, the quarantine as it was.
#[test]
fn a_forged_page_is_refused_and_nothing_is_applied() {
    let s = scenario(3, 4);
    let origin = Peer::full(&s);
    // A replica with term 0 applied and part of term 1 waiting in quarantine.
    let mut b = Peer::empty(&s);
    let mut p = Puller::new(s.circle_id(), &[], 1);
    for _ in 0..7 {
        let req = p.request(b.ledger.as_ref(), b.chain.as_ref()).unwrap();
        b.take(&mut p, origin.answer(&req, MAX_PAGE_BYTES).unwrap(), s.now)
            .unwrap();
    }
    let (heads, waiting) = (b.heads(), p.quarantine().len());
    assert!(waiting > 0);
    let req = p.request(b.ledger.as_ref(), b.chain.as_ref()).unwrap();
    let honest = origin.answer(&req, MAX_PAGE_BYTES).unwrap();
    let unchanged = |b: &Peer, p: &Puller| {
        assert_eq!(b.heads(), heads, "nothing applied");
        assert_eq!(p.quarantine().len(), waiting, "the quarantine as it was");
    };
    // A certificate for the next term signed by someone who is no steward.
    let mut forged = honest.clone();
    let mut body = s.chain().latest().body.clone();
    body.term += 1;
    forged.certs = vec![TermCert::sign(body, &[&StewardKey::generate()]).unwrap()];
    let e = b.take(&mut p, forged, s.now).unwrap_err();
    assert!(
        matches!(e, PullError::Sync(SyncError::Cert(_)) | PullError::Cert(_)),
        "{e}"
    );
    unchanged(&b, &p);
    // Another circle's page.
    let mut foreign = honest.clone();
    foreign.circle_id = Hash32([9; 32]);
    let e = b.take(&mut p, foreign, s.now).unwrap_err();
    assert!(matches!(e, PullError::Sync(SyncError::WrongCircle)), "{e}");
    unchanged(&b, &p);
    // A change whose signature was altered: refused by name, and the pull stops.
    let mut bad_sig = honest.clone();
    bad_sig.changes[0].signature.0[0] ^= 1;
    let kept = b.take(&mut p, bad_sig, s.now).unwrap();
    assert_eq!(kept.next, Next::Stop(Stop::Rejected(1)));
    assert_eq!(b.heads(), heads, "nothing applied");
    // The honest page still works with a new pull (the quarantine is kept).
    let rest = p.into_quarantine();
    let mut p = Puller::new(s.circle_id(), &[], 1).with_quarantine(rest);
    let kept = pull_all(&mut b, &origin, &mut p, 1_000, s.now, |_| {}).unwrap();
    assert_eq!(kept.unwrap().next, Next::Done);
    assert_eq!(b.heads(), origin.heads());
}
