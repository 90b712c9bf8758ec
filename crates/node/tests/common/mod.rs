//! Helpers shared by the in-process federation tests.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, unreachable_pub)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use circle_core::invite::Invite;
use circle_net::{Event, Keypair, Multiaddr, NetConfig, Transport};
use circle_node::{LocalCircle, Node, NodeConfig};
use tokio::time::timeout;

pub const WAIT: Duration = Duration::from_secs(30);

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A circle on disk, optionally keeping the protocol, with one tactic.
pub fn circle(dir: &std::path::Path, name: &str, compliant: bool) -> LocalCircle {
    circle_node::fixtures::protocol_circle(dir, name, now(), compliant).unwrap()
}

pub async fn start(local: LocalCircle) -> Node {
    let cfg = NodeConfig {
        listen: vec!["/memory/0".into()],
        mdns: false,
        memory: true,
        resync: Duration::from_millis(500),
        ..NodeConfig::default()
    };
    let node = Node::start(local, cfg).await.unwrap();
    assert!(!node.wait_listening(WAIT).await.is_empty());
    node
}

pub fn invite(node: &Node) -> Invite {
    Invite {
        circle_id: node.circle_id(),
        peer_id: Some(node.peer_id()),
        addrs: node.addrs(),
    }
}

/// Polls `check` every 50 ms until it holds, for at most [`WAIT`].
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A bare libp2p peer that speaks our protocols but none of our rules.
pub async fn hostile(
    dial: Option<&str>,
) -> (
    circle_net::Client,
    tokio::sync::mpsc::Receiver<Event>,
    String,
    Multiaddr,
) {
    hostile_with(dial, |_| {}).await
}

/// [`hostile`] with its network configuration changed by `change` (e.g. larger caps).
pub async fn hostile_with(
    dial: Option<&str>,
    change: impl FnOnce(&mut NetConfig),
) -> (
    circle_net::Client,
    tokio::sync::mpsc::Receiver<Event>,
    String,
    Multiaddr,
) {
    let key = Keypair::generate_ed25519();
    let peer = key.public().to_peer_id();
    let mut cfg = NetConfig::new(key, Transport::Memory);
    cfg.listen = vec!["/memory/0".parse().unwrap()];
    change(&mut cfg);
    let (client, mut events, event_loop) = circle_net::new(cfg).unwrap();
    tokio::spawn(event_loop.run(std::future::pending::<()>()));
    let addr = loop {
        if let Some(Event::NewListenAddr(a)) = timeout(WAIT, events.recv()).await.unwrap() {
            break a.with(circle_net::multiaddr::Protocol::P2p(peer));
        }
    };
    if let Some(d) = dial {
        client.dial(d.parse().unwrap()).await.unwrap();
    }
    (client, events, peer.to_string(), addr)
}

/// A node with `cfg` changed from the test defaults by `change`.
pub async fn start_with(local: LocalCircle, change: impl FnOnce(&mut NodeConfig)) -> Node {
    let mut cfg = NodeConfig {
        listen: vec!["/memory/0".into()],
        mdns: false,
        memory: true,
        resync: Duration::from_millis(500),
        ..NodeConfig::default()
    };
    change(&mut cfg);
    let node = Node::start(local, cfg).await.unwrap();
    assert!(!node.wait_listening(WAIT).await.is_empty());
    node
}

/// What a hostile sync peer does with one request: answer after a delay, or never.
pub enum Answer {
    After(Duration, Vec<u8>),
    Never,
}

/// Serves sync requests with `answer` until the peer's events end. Returns the number of
/// pull requests seen so far and a receiver of the peers that disconnected from it.
pub fn serve_hostile(
    client: circle_net::Client,
    mut events: tokio::sync::mpsc::Receiver<Event>,
    answer: impl Fn(circle_core::sync::Request) -> Answer + Send + 'static,
) -> (
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
    tokio::sync::mpsc::UnboundedReceiver<circle_net::PeerId>,
) {
    use std::sync::atomic::Ordering;
    let pulls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (gone_tx, gone) = tokio::sync::mpsc::unbounded_channel();
    let seen = pulls.clone();
    tokio::spawn(async move {
        let mut parked = Vec::new();
        while let Some(e) = events.recv().await {
            match e {
                Event::InboundRequest {
                    request, channel, ..
                } => {
                    let Ok(req) = circle_core::sync::Request::decode(&request) else {
                        continue;
                    };
                    if matches!(req, circle_core::sync::Request::Pull(_)) {
                        seen.fetch_add(1, Ordering::SeqCst);
                    }
                    match answer(req) {
                        Answer::After(delay, bytes) => {
                            let client = client.clone();
                            tokio::spawn(async move {
                                tokio::time::sleep(delay).await;
                                let _ = client.respond(channel, bytes).await;
                            });
                        }
                        Answer::Never => parked.push(channel),
                    }
                }
                Event::PeerDisconnected(p) => {
                    let _ = gone_tx.send(p);
                }
                _ => {}
            }
        }
    });
    (pulls, gone)
}
