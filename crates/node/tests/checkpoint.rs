//! First sync by vouched snapshot between in-process nodes (docs/CHECKPOINTS.md): a
//! follower gets everything, later signed changes still flow, a sister serves the
//! snapshot on, and a forged snapshot is refused and its sender cut off.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

mod common;

use common::*;

use circle_core::checkpoint::{Checkpoint, CheckpointBody, Snapshot, Vouch};
use circle_core::keys::{Hash32, StewardKey};
use circle_core::sync::{CatalogEntry, Request, Response, SnapshotPage};
use circle_node::{LocalCircle, Node};

use tokio::time::timeout;

fn doc_changes(node: &Node, cid: &Hash32) -> usize {
    node.with_local(|l| {
        l.sister(cid)
            .unwrap()
            .map_or(0, |r| r.ledger.doc().get_changes_meta(&[]).len())
    })
}

fn own_changes(node: &Node) -> usize {
    node.with_local(|l| l.circle().ledger.doc().get_changes_meta(&[]).len())
}

async fn snapshot_follower(dir: &std::path::Path, name: &str) -> Node {
    start_with(circle(dir, name, true), |c| c.snapshot_first_sync = true).await
}

fn busy_circle(dir: &std::path::Path) -> LocalCircle {
    let mut a = circle(dir, "Aspen", true);
    let t = now();
    for i in 0..150 {
        a.stage(t, |l, s| {
            l.log_action(s, t, &format!("term 0, action {i}"), "", &[])
        })
        .unwrap();
    }
    a.commit().unwrap();
    a.rotate(14, 1, t).unwrap();
    // The new term's stewards keep the protocol: a pledge.
    a.write(t, |l, s| l.sign_pledge(s, t, "We answer.").map(|c| ((), c)))
        .unwrap();
    for i in 0..50 {
        a.stage(t, |l, s| {
            l.log_action(s, t, &format!("term 1, action {i}"), "", &[])
        })
        .unwrap();
    }
    a.commit().unwrap();
    a
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sync_by_snapshot_gets_everything_and_later_signed_changes_flow() {
    let (da, db, dc) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let a = start(busy_circle(da.path())).await;
    let cid = a.circle_id();
    let total = own_changes(&a);
    let b = snapshot_follower(db.path(), "Birch").await;
    let report = b.follow(invite(&a), None).await.unwrap();
    assert!(report.synced && report.compliant, "{report:?}");
    assert_eq!(report.changes, total);
    // The history came vouched, not change by change: every change is counted as
    // vouched for by the snapshot, none holds an envelope of its own.
    assert_eq!(b.store().vouched_changes(&cid).unwrap(), total as u64);
    assert_eq!(b.store().change_count(&cid), total);
    assert!(b.store().vouched_snapshot(&cid).unwrap().is_some());

    // A later change comes signed, through the ordinary pull.
    let t = now();
    a.with_local(|l| {
        l.write(t, |l, s| {
            l.log_action(s, t, "after the checkpoint", "", &[])
        })
    })
    .unwrap();
    eventually("B gets the later change", || {
        doc_changes(&b, &cid) == total + 1
    })
    .await;
    assert_eq!(b.store().change_count(&cid), total + 1);
    assert_eq!(b.store().vouched_changes(&cid).unwrap(), total as u64);

    // B serves the vouched history on: C follows from B alone.
    let c = snapshot_follower(dc.path(), "Cedar").await;
    let from_b = circle_core::invite::Invite {
        circle_id: cid,
        peer_id: Some(b.peer_id()),
        addrs: b.addrs(),
    };
    let report = c.follow(from_b, None).await.unwrap();
    assert!(report.synced && report.compliant, "{report:?}");
    assert_eq!(report.changes, total + 1);
    a.shutdown().await;
    c.shutdown().await;

    // What B installed is what B's store loads (as on a restart).
    let stored = b.store().load_doc(&cid).unwrap().unwrap();
    assert_eq!(stored.doc.get_changes_meta(&[]).len(), total + 1);
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_snapshot_is_refused_and_its_sender_cut_off() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a_local = busy_circle(da.path());
    let cid = a_local.circle_id();
    // The real history, vouched by a key that is no steward of the circle.
    let (certs, snapshot) = {
        let c = a_local.circle();
        let mut heads: Vec<Hash32> = c.ledger.heads().iter().map(|h| Hash32(h.0)).collect();
        heads.sort();
        let body = CheckpointBody::new(cid, c.term(), &heads);
        let forged = Checkpoint::sign(body, &[&StewardKey::generate()]).unwrap();
        let snap = Snapshot::build(c.ledger.doc(), Vouch::Checkpoint(forged)).unwrap();
        (c.chain.certs().to_vec(), snap)
    };
    drop(a_local);
    let forged = Response::Snapshot(SnapshotPage {
        circle_id: cid,
        certs,
        snapshot,
        more: true,
    })
    .encode();
    let b = snapshot_follower(db.path(), "Birch").await;
    let (evil, events, evil_id, evil_addr) = hostile(None).await;
    let catalog = Response::Catalog(vec![CatalogEntry {
        circle_id: cid,
        term: 1,
        heads_digest: Hash32([7; 32]),
    }])
    .encode();
    let (_, mut gone) = serve_hostile(evil.clone(), events, move |req| match req {
        Request::Catalog => Answer::After(Duration::ZERO, catalog.clone()),
        Request::Snapshot { .. } => Answer::After(Duration::ZERO, forged.clone()),
        _ => Answer::After(Duration::ZERO, Response::NotServed.encode()),
    });
    let invite = circle_core::invite::Invite {
        circle_id: cid,
        peer_id: Some(evil_id),
        addrs: vec![evil_addr.to_string()],
    };
    let report = b.follow(invite, None).await.unwrap();
    assert!(!report.synced, "{report:?}");
    assert_eq!(report.changes, 0);
    assert!(b.store().vouched_snapshot(&cid).unwrap().is_none());
    assert!(
        timeout(WAIT, gone.recv()).await.is_ok(),
        "the forger was not cut off"
    );
    b.shutdown().await;
}

/// A follower served an honest snapshot pulls after it only if the responder says it
/// holds more: `more: false` saves a round trip, `more: true` gets one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_pulls_after_a_snapshot_only_when_the_responder_holds_more() {
    for more in [false, true] {
        let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let a_local = busy_circle(da.path());
        let cid = a_local.circle_id();
        let total = a_local.circle().ledger.doc().get_changes_meta(&[]).len();
        let (page, digest) = {
            let c = a_local.circle();
            let mut heads: Vec<Hash32> = c.ledger.heads().iter().map(|h| Hash32(h.0)).collect();
            heads.sort();
            let body = CheckpointBody::new(cid, c.term(), &heads);
            let signers = c.current_keys();
            let vouch = Vouch::Checkpoint(Checkpoint::sign(body, &signers).unwrap());
            let snapshot = Snapshot::build(c.ledger.doc(), vouch).unwrap();
            let page = SnapshotPage {
                circle_id: cid,
                certs: c.chain.certs().to_vec(),
                snapshot,
                more,
            };
            (
                Response::Snapshot(page).encode(),
                circle_core::sync::heads_digest(&heads),
            )
        };
        drop(a_local);
        let b = snapshot_follower(db.path(), "Birch").await;
        let (peer, events, peer_id, peer_addr) = hostile(None).await;
        let catalog = Response::Catalog(vec![CatalogEntry {
            circle_id: cid,
            term: 1,
            heads_digest: digest,
        }])
        .encode();
        let pulls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = pulls.clone();
        let _serving = serve_hostile(peer.clone(), events, move |req| match req {
            Request::Catalog => Answer::After(Duration::ZERO, catalog.clone()),
            Request::Snapshot { .. } => Answer::After(Duration::ZERO, page.clone()),
            _ => {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Answer::After(Duration::ZERO, Response::NotServed.encode())
            }
        });
        let invite = circle_core::invite::Invite {
            circle_id: cid,
            peer_id: Some(peer_id),
            addrs: vec![peer_addr.to_string()],
        };
        let report = b.follow(invite, None).await.unwrap();
        assert_eq!(doc_changes(&b, &cid), total, "more: {more}");
        assert_eq!(report.changes, total, "more: {more}: {report:?}");
        let pulled = pulls.load(std::sync::atomic::Ordering::SeqCst);
        if more {
            assert!(pulled > 0, "more: true, yet no pull followed the snapshot");
        } else {
            assert_eq!(pulled, 0, "more: false, yet the follower pulled");
        }
        b.shutdown().await;
    }
}
