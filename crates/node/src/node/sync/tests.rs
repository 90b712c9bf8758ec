//! A pulled page is verified outside its circle's slot lock: the circle's readers (here,
//! another peer's pull) are served meanwhile.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use circle_core::keys::Hash32;
use circle_core::sync::{self as proto, Request, Response};
use circle_net::PeerId;

use crate::{LocalCircle, Node, NodeConfig};

/// Test hooks inside page verification.
pub(in crate::node) mod hooks {
    use std::sync::{Arc, Mutex};

    use circle_core::keys::Hash32;

    type Hook = Arc<dyn Fn() + Send + Sync>;
    static HOOKS: Mutex<Vec<(Hash32, Hook)>> = Mutex::new(Vec::new());

    pub(in crate::node) fn on_verified(circle: Hash32, f: Hook) {
        HOOKS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((circle, f));
    }

    /// Runs the hooks of `circle`: called once a page's changes are verified and
    /// decoded, before the slot lock is taken to apply them.
    pub(in crate::node) fn verified(circle: &Hash32) {
        let hooks: Vec<Hook> = HOOKS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|(c, _)| c == circle)
            .map(|(_, h)| h.clone())
            .collect();
        for h in hooks {
            h();
        }
    }
}

fn now() -> u64 {
    super::now()
}

/// A compliant circle with `n` actions.
fn sister(dir: &std::path::Path, n: usize) -> LocalCircle {
    let mut local = crate::fixtures::protocol_circle(dir, "Sister", now(), true).unwrap();
    write(&mut local, 0, n);
    local
}

fn write(local: &mut LocalCircle, from: usize, n: usize) {
    let t = now();
    for i in from..from + n {
        let title = format!("action {i}");
        local
            .write(t, |l, s| {
                l.log_action(s, t, &title, "", &[]).map(|(_, c)| ((), c))
            })
            .unwrap();
    }
}

/// What `a` serves to a requester holding `ledger` (none: a first sync).
fn page_of(a: &LocalCircle, ledger: Option<&circle_core::ledger::Ledger>) -> proto::Page {
    let c = a.circle();
    let chain = ledger.map(|_| &c.chain);
    let req = proto::pull_request(ledger, chain, a.circle_id(), &[], 1 << 20);
    let store = a.store();
    let id = a.circle_id();
    let mut envelope = |h: &Hash32| store.envelope(&id, h).ok().flatten();
    proto::answer_pull(&c.ledger, &c.chain, &req, &mut envelope, 1 << 20)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_is_verified_without_holding_the_circles_lock() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = sister(da.path(), 20);
    let cid = a.circle_id();
    let b = LocalCircle::init(db.path(), "Follower", 14, now()).unwrap();
    let cfg = NodeConfig {
        listen: vec!["/memory/0".into()],
        mdns: false,
        memory: true,
        resync: Duration::from_secs(3600),
        ..NodeConfig::default()
    };
    let node = Node::start(b, cfg).await.unwrap();
    node.store().follow(&cid, 0).unwrap();
    let (peer, other) = (PeerId::random(), PeerId::random());
    let slot = node.inner.replicas.get(&cid).unwrap();
    let mut puller = proto::Puller::new(cid, &[], 1 << 20);
    node.apply_page(peer, cid, &slot, page_of(&a, None), &mut puller)
        .unwrap();
    // A second page, verified while the test watches the lock.
    write(&mut a, 20, 30);
    let held_ledger = {
        let held = slot.lock().unwrap();
        held.replica.as_ref().unwrap().ledger.clone()
    };
    let second = page_of(&a, Some(&held_ledger));
    assert_eq!(second.changes.len(), 30);
    let seen: Arc<Mutex<Vec<(bool, bool)>>> = Arc::default();
    let (n, s, out) = (node.clone(), slot.clone(), seen.clone());
    hooks::on_verified(
        cid,
        Arc::new(move || {
            let free = s.try_lock().is_ok();
            // Another peer's pull of the same circle, answered meanwhile (only tried
            // when the lock is free: this thread would otherwise wait on itself).
            let served = free
                && {
                    let req = proto::pull_request(None, None, cid, &[], 1 << 16);
                    let bytes = n.answer_blocking(other, &Request::Pull(req).encode());
                    matches!(Response::decode(&bytes.encode()), Ok(Response::Page(p)) if !p.changes.is_empty())
                };
            out.lock().unwrap().push((free, served));
        }),
    );
    node.apply_page(peer, cid, &slot, second, &mut puller)
        .unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        vec![(true, true)],
        "while the page was verified, the slot was free and another peer was served"
    );
    let heads = slot
        .lock()
        .unwrap()
        .replica
        .as_ref()
        .unwrap()
        .ledger
        .heads();
    assert_eq!(heads, a.circle().ledger.heads(), "and the page was applied");
    node.shutdown().await;
}
