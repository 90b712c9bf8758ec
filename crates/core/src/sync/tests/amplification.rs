//! A pull with nothing in common (an empty or unknown base) costs the responder one
//! page of work, not its whole history, however often it is repeated.

use super::*;
use crate::validate::rebuild_without;

/// A replica with a long history, and its serve order.
fn long(n: usize) -> (Scenario, Replica, ServeOrder) {
    let s = scenario(1, 2);
    let mut a = Replica::full(&s);
    let k = key_copy(&s);
    for i in 0..n {
        a.write(&k, &format!("action {i}"));
    }
    let mut order = ServeOrder::new();
    let listed = order.refresh(a.ledger().doc());
    assert_eq!(listed, a.ledger().doc().get_changes_meta(&[]).len());
    assert_eq!(
        order.refresh(a.ledger().doc()),
        0,
        "up to date: nothing listed"
    );
    (s, a, order)
}

const BUDGET: u32 = 4 * 1024;

#[test]
fn repeated_pulls_from_an_empty_base_cost_a_page_each() {
    let (s, a, order) = long(1500);
    let total = order.len();
    // Nothing in common: empty, or only hashes the responder does not know.
    let empty = pull_request(None, None, s.circle_id(), &[], BUDGET);
    let mut unknown = empty.clone();
    unknown.heads = vec![Hash32([7; 32])];
    unknown.sample = vec![Hash32([8; 32])];
    let without = a.answer_with(&empty, MAX_PAGE_BYTES, None);
    eprintln!(
        "one page from an empty base: {} changes touched without a serve order",
        without.touched
    );
    assert!(
        without.touched >= total,
        "baseline: without a serve order the whole history is listed ({} of {total})",
        without.touched
    );
    for req in [&empty, &unknown] {
        for _ in 0..50 {
            let got = a.answer_with(req, MAX_PAGE_BYTES, Some(&order));
            let sent = got.page.changes.len();
            if std::ptr::eq(req, &empty) && sent > 0 && got.touched > 0 {
                eprintln!("... with it: {} touched for {sent} sent", got.touched);
            }
            assert!(sent > 0 && got.page.more && got.page.cursor.is_some());
            assert!(
                got.touched <= 2 * sent + 64,
                "a page of {sent} changes touched {} of {total}",
                got.touched
            );
        }
    }
    // A forged cursor is worth no more than any request: it is checked in O(1) and,
    // not matching, the request is answered from its (empty) base, one page again.
    for position in [1, 2, total as u64, total as u64 + 1, u64::MAX] {
        let mut forged = empty.clone();
        forged.cursor = Some(Cursor {
            position,
            after: Hash32([9; 32]),
        });
        let got = a.answer_with(&forged, MAX_PAGE_BYTES, Some(&order));
        assert!(got.touched <= 2 * got.page.changes.len() + 64);
        assert_eq!(
            got.page.changes, without.page.changes,
            "served from the start"
        );
    }
}

#[test]
fn a_first_sync_by_cursor_gets_every_change_at_o_history_in_all() {
    let (s, a, mut order) = long(1500);
    let total = order.len();
    let mut b = Replica::empty(&s);
    let mut req = pull_request(None, None, s.circle_id(), &[], BUDGET);
    let (mut pages, mut touched, mut received) = (0, 0, 0);
    loop {
        assert_eq!(order.refresh(a.ledger().doc()), 0);
        let got = a.answer_with(&req, MAX_PAGE_BYTES, Some(&order));
        pages += 1;
        touched += got.touched;
        received += got.page.changes.len();
        let wire = Response::Page(got.page).encode();
        let Ok(Response::Page(page)) = Response::decode(&wire) else {
            panic!("page does not decode");
        };
        let opened = open_page(page, &b.cid, b.chain.as_ref()).unwrap();
        let (more, resume, cursor) = (opened.more, opened.resume.clone(), opened.cursor);
        b.take(opened.certs, opened.changes);
        if !more {
            break;
        }
        assert!(pages < 10_000);
        req = req.follow_up(&resume, cursor, b.ledger.as_ref(), b.chain.as_ref());
    }
    eprintln!("first sync by cursor: {total} changes, {pages} pages, {touched} changes touched");
    assert!(pages > 20, "paged: {pages}");
    assert_eq!(received, total, "every change once");
    assert_eq!(b.heads(), a.heads());
    assert!(b.quarantine.is_empty());
    assert!(
        touched <= 2 * total + 64 * pages,
        "{touched} changes touched for {total} over {pages} pages"
    );
}

#[test]
fn the_order_follows_growth_and_rebuilds_and_refuses_stale_cursors() {
    let (s, mut a, mut order) = long(300);
    let k = key_copy(&s);
    for i in 0..3 {
        a.write(&k, &format!("late {i}"));
    }
    assert_eq!(order.refresh(a.ledger().doc()), 3, "only the new changes");
    let req = pull_request(None, None, s.circle_id(), &[], BUDGET);
    let first = a.answer_with(&req, MAX_PAGE_BYTES, Some(&order)).page;
    let cursor = first.cursor.unwrap();
    // Take out a change inside the first page (and what depends on it): positions move.
    let victim = first.changes[first.changes.len() / 2].clone();
    let victim = victim.into_signed(s.circle_id(), &s.chain()).unwrap();
    let ledger = a.ledger.as_mut().unwrap();
    let removed = rebuild_without(ledger, |c| c.hash().0 == victim.envelope.change_hash.0);
    assert!(!removed.unwrap().is_empty());
    let relisted = order.refresh(a.ledger().doc());
    assert_eq!(relisted, a.ledger().doc().get_changes_meta(&[]).len());
    assert_eq!(order.len(), relisted, "listed afresh, not appended");
    let mut next = req.clone();
    next.cursor = Some(cursor);
    let got = a.answer_with(&next, MAX_PAGE_BYTES, Some(&order)).page;
    assert_eq!(
        got.changes.first(),
        first.changes.first(),
        "a cursor into the old order is refused: the page starts again"
    );
}
