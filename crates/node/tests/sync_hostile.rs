//! Equivocation evidence travels with sync (issue 8, item 4): a node that saw only one
//! of two versions of a change freezes the writer once it syncs with a node that saw
//! both, and false evidence is refused and its sender cut off. In one process over the
//! memory transport; every wait is bounded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use automerge::{ActorId, ChangeHash};
use circle_core::bundle::Bundle;
use circle_core::envelope::SignedChange;
use circle_core::invite::Invite;
use circle_core::keys::Hash32;
use circle_core::ledger::Signer;
use circle_core::sync::{self as proto, EvidencePair, Request, Response, WireChange};
use circle_core::validate::has_change;
use circle_node::{LocalCircle, Node};
use common::*;
use tokio::time::timeout;

/// Two versions of the next change of one actor, signed by the circle's steward.
fn two_versions(local: &LocalCircle) -> (ActorId, SignedChange, SignedChange) {
    let c = local.circle();
    let actor = ActorId::from(&[0x5e; 16][..]);
    let signer = Signer {
        key: &c.keys[0],
        term: c.chain.latest().body.term,
    };
    let version = |title: &str| {
        let mut l = c.ledger.clone();
        l.set_actor(actor.clone());
        l.log_action(&signer, now(), title, "", &[]).unwrap().1
    };
    (actor.clone(), version("one"), version("two"))
}

fn with(bundle: &Bundle, extra: &[SignedChange]) -> Bundle {
    let mut b = bundle.clone();
    b.changes.extend(extra.iter().cloned());
    b
}

fn invite_for(circle: Hash32, node: &Node) -> Invite {
    Invite {
        circle_id: circle,
        ..invite(node)
    }
}

fn holds(node: &Node, circle: &Hash32, c: &SignedChange) -> bool {
    node.with_local(|l| {
        let r = l.sister(circle).unwrap().unwrap();
        has_change(r.ledger.doc(), &ChangeHash(c.envelope.change_hash.0))
    })
}

/// A sees both versions; B only the second, and C takes the circle from B. After one
/// sync with A, C freezes the writer, takes the version out and has A's heads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_saw_one_version_freezes_the_writer_after_syncing_with_one_that_saw_both() {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut a = circle(dirs[0].path(), "Alder", true);
    let cid = a.circle_id();
    let (actor, x1, x2) = two_versions(&a);
    let honest = a.bundle(&cid).unwrap();
    // A: both versions (x1 as its own writer's, then x2 from another device).
    a.import(with(&honest, &[x1.clone(), x2.clone()]), now())
        .unwrap();
    assert_eq!(a.store().change_evidence(&cid).unwrap().len(), 2);
    assert_eq!(a.circle().chain.frozen_actors().len(), 1);
    let a_heads = a.circle().ledger.heads();
    assert_eq!(a_heads, honest_heads(&honest), "both versions are out at A");
    // B: only x2.
    let mut b = circle(dirs[1].path(), "Birch", true);
    let imported = b
        .import(with(&honest, std::slice::from_ref(&x2)), now())
        .unwrap();
    assert_eq!(imported.rejected, 0);
    let (a, b) = (start(a).await, start(b).await);
    let c = start(circle(dirs[2].path(), "Cedar", true)).await;

    let via_b = c.follow(invite_for(cid, &b), None).await.unwrap();
    assert!(via_b.synced && via_b.compliant, "{via_b:?}");
    assert!(holds(&c, &cid, &x2), "C has the one version B had");
    assert!(!holds(&c, &cid, &x1));

    let via_a = c.follow(invite_for(cid, &a), None).await.unwrap();
    assert!(via_a.synced, "{via_a:?}");
    let (frozen, c_heads) = c.with_local(|l| {
        let r = l.sister(&cid).unwrap().unwrap();
        (r.chain.frozen_actors().clone(), r.ledger.heads())
    });
    assert_eq!(
        frozen.get(actor.to_bytes()),
        Some(&1),
        "the writer is frozen at C"
    );
    assert!(!holds(&c, &cid, &x2), "and its version is out");
    assert_eq!(c_heads, a_heads, "C converges with A");
    assert_eq!(
        c.store().change_evidence(&cid).unwrap().len(),
        2,
        "C keeps it"
    );
    assert!(!via_a.compliant, "the circle is flagged");
    for n in [a, b, c] {
        n.shutdown().await;
    }
}

fn honest_heads(bundle: &Bundle) -> Vec<automerge::ChangeHash> {
    let mut l = circle_core::ledger::Ledger::empty_replica(bundle.circle_id);
    let chain = circle_core::term::TermChain::from_certs(bundle.certs.clone()).unwrap();
    let r = circle_core::validate::ingest(&mut l, &chain, bundle.changes.clone(), now());
    assert!(r.rejected.is_empty());
    l.heads()
}

/// Evidence that is not evidence (the same change twice, two actors, a signer who is
/// no steward) refuses the page: nothing is frozen and the sender is cut off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn false_evidence_is_refused_and_its_sender_cut_off() {
    let (da, dc) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = circle(da.path(), "Alder", true);
    let cid = a.circle_id();
    let (_, x1, _) = two_versions(&a);
    let chain = a.circle().chain.clone();
    let req = proto::pull_request(None, None, cid, &[], 1 << 20);
    let mut envelope = |h: &Hash32| a.store().envelope(&cid, h).ok().flatten();
    let mut page = proto::answer_pull(&a.circle().ledger, &chain, &req, &mut envelope, 1 << 20);
    let w = WireChange::from_signed(&x1, &chain).unwrap();
    page.evidence = vec![EvidencePair {
        first: w.clone(),
        second: w,
    }];
    let bytes = Response::Page(page).encode();
    let (client, events, _, addr) = hostile(None).await;
    let (pulls, mut gone) = serve_hostile(client, events, move |r| match r {
        Request::Pull(_) => Answer::After(Duration::ZERO, bytes.clone()),
        Request::Catalog => Answer::After(Duration::ZERO, Response::Catalog(vec![]).encode()),
        Request::Proposals { .. } | Request::Snapshot { .. } | Request::Checkpoint { .. } => {
            Answer::After(Duration::ZERO, Response::NotServed.encode())
        }
    });
    let c = start(circle(dc.path(), "Cedar", true)).await;
    let peer = addr.iter().last();
    let invite = Invite {
        circle_id: cid,
        peer_id: match peer {
            Some(circle_net::multiaddr::Protocol::P2p(p)) => Some(p.to_string()),
            _ => None,
        },
        addrs: vec![addr.to_string()],
    };
    let report = timeout(WAIT, c.follow(invite.clone(), None))
        .await
        .unwrap()
        .unwrap();
    assert!(!report.synced, "{report:?}");
    assert!(pulls.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    let cut = timeout(WAIT, gone.recv()).await.unwrap().unwrap();
    assert_eq!(cut.to_string(), c.peer_id(), "the sender was cut off");
    // And it stays cut off: following it again does not reach it.
    let before = pulls.load(std::sync::atomic::Ordering::SeqCst);
    let again = timeout(WAIT, c.follow(invite, None))
        .await
        .unwrap()
        .unwrap();
    assert!(!again.synced, "{again:?}");
    assert_eq!(
        pulls.load(std::sync::atomic::Ordering::SeqCst),
        before,
        "not pulled from again"
    );
    assert!(c.store().change_evidence(&cid).unwrap().is_empty());
    let frozen = c.with_local(|l| {
        l.sister(&cid)
            .unwrap()
            .map(|r| r.chain.frozen_actors().len())
    });
    assert_ne!(frozen, Some(1), "nothing frozen");
    c.shutdown().await;
}
