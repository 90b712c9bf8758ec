//! THREATS.md network input 31 end to end, through the real Kademlia behaviour over
//! loopback TCP: 20 Sybil identities on one machine (127.0.0.2) publish provider records
//! for a circle's key and for many other keys to our node. Its own provider records are
//! untouched, others' are capped per source and per key, and an honest provider from
//! another address (127.0.0.3) is still in the circle's list.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::time::Duration;

use circle_net::{multiaddr::Protocol, Client, Event, Keypair, Limits, Multiaddr, NetConfig};
use circle_net::{PeerId, Transport, PROVIDERS_PER_SOURCE_PER_KEY};
use futures::StreamExt;
use libp2p::{kad, noise, tcp, yamux, StreamProtocol};
use tokio::sync::{mpsc, oneshot};
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(20);
const SYBILS: usize = 20;
/// Other keys each Sybil provides: more records than the source's share over all keys.
const KEYS_PER_SYBIL: usize = 3;
/// The source share our node is given here (the default is 256; small keeps it quick).
const PER_SOURCE: usize = 16;

async fn within<T>(fut: impl std::future::Future<Output = T>) -> T {
    timeout(WAIT, fut).await.expect("timed out")
}

struct Node {
    client: Client,
    peer: PeerId,
    addr: Multiaddr,
    _events: mpsc::Receiver<Event>,
    stop: oneshot::Sender<()>,
}

/// One of our nodes over TCP, listening on `ip`. The node under test dials the others, so
/// that each connection's source is the other's listen address (dials from a test would
/// all leave from 127.0.0.1).
async fn node(ip: &str, limits: Limits) -> Node {
    let keypair = Keypair::generate_ed25519();
    let peer = keypair.public().to_peer_id();
    let mut cfg = NetConfig::new(keypair, Transport::Tcp);
    cfg.listen = vec![format!("/ip4/{ip}/tcp/0").parse().unwrap()];
    cfg.limits = limits;
    let (client, mut events, event_loop) = circle_net::new(cfg).unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(event_loop.run(stopped));
    let addr = within(async {
        loop {
            if let Some(Event::NewListenAddr(a)) = events.recv().await {
                return a.with(Protocol::P2p(peer));
            }
        }
    })
    .await;
    // Keep the events flowing; nothing here needs them.
    let (tx, rx) = mpsc::channel(1);
    tokio::spawn(async move {
        while let Some(e) = events.recv().await {
            let _ = tx.try_send(e);
        }
    });
    Node {
        client,
        peer,
        addr,
        _events: rx,
        stop,
    }
}

fn bare(addr: &Multiaddr) -> Multiaddr {
    let mut a = addr.clone();
    a.pop();
    a
}

/// A Sybil: a bare Kademlia peer under our private protocol name, listening on `ip`.
/// Provides `keys` to `target` (every query ends) and keeps running (so that what it sent
/// is delivered) until the returned task is aborted. It is a Kademlia client: our node does
/// not route to it, so only our node's own records answer the observer below.
async fn sybil(ip: &str, target: &Node, keys: &[Vec<u8>]) -> tokio::task::JoinHandle<()> {
    let mut swarm = libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(
            tcp::Config::default(),
            noise::Config::new,
            yamux::Config::default,
        )
        .unwrap()
        .with_behaviour(|key| {
            let peer = key.public().to_peer_id();
            let config = kad::Config::new(StreamProtocol::new("/circle-ledger/kad/1.0.0"));
            let mut kad =
                kad::Behaviour::with_config(peer, kad::store::MemoryStore::new(peer), config);
            kad.set_mode(Some(kad::Mode::Client));
            kad
        })
        .unwrap()
        .with_swarm_config(|c| c.with_idle_connection_timeout(WAIT))
        .build();
    swarm
        .listen_on(format!("/ip4/{ip}/tcp/0").parse().unwrap())
        .unwrap();
    let addr = within(async {
        loop {
            if let libp2p::swarm::SwarmEvent::NewListenAddr { address, .. } =
                swarm.select_next_some().await
            {
                return address;
            }
        }
    })
    .await;
    // Records carry the provider's external addresses; without one our node would hold
    // the record but never list it (and the count below would prove nothing).
    swarm.add_external_address(addr.clone());
    swarm
        .behaviour_mut()
        .add_address(&target.peer, bare(&target.addr));
    let me = *swarm.local_peer_id();
    let client = target.client.clone();
    let dial = tokio::spawn(async move { client.dial(addr.with(Protocol::P2p(me))).await });
    // The Sybil must see the connection before it queries: otherwise Kademlia dials our
    // node itself, from 127.0.0.1, and that is another source with its own share.
    within(async {
        loop {
            if let libp2p::swarm::SwarmEvent::ConnectionEstablished { peer_id, .. } =
                swarm.select_next_some().await
            {
                if peer_id == target.peer {
                    return;
                }
            }
        }
    })
    .await;
    assert_eq!(within(dial).await.unwrap().unwrap(), me);
    for k in keys {
        swarm
            .behaviour_mut()
            .start_providing(kad::RecordKey::new(k))
            .unwrap();
    }
    let mut ended = 0;
    within(async {
        while ended < keys.len() {
            if let libp2p::swarm::SwarmEvent::Behaviour(kad::Event::OutboundQueryProgressed {
                result: kad::QueryResult::StartProviding(_),
                step,
                ..
            }) = swarm.select_next_some().await
            {
                ended += usize::from(step.last);
            }
        }
    })
    .await;
    tokio::spawn(async move {
        loop {
            swarm.select_next_some().await;
        }
    })
}

/// The providers our node lists for `key`, once three answers in a row agree (records
/// still in flight when the Sybils' queries ended arrive meanwhile).
async fn settled_providers(observer: &Client, key: &[u8]) -> Vec<PeerId> {
    let mut last: Option<Vec<PeerId>> = None;
    let mut same = 0;
    within(async {
        loop {
            let mut now = observer.providers(key.to_vec()).await.unwrap_or_default();
            now.sort();
            if last.as_ref() == Some(&now) {
                same += 1;
                if same == 2 {
                    return now;
                }
            } else {
                same = 0;
            }
            last = Some(now);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sybils_on_one_machine_neither_take_the_node_s_room_nor_squat_a_circle() {
    let limits = Limits {
        max_provider_records_per_source: PER_SOURCE,
        ..Limits::default()
    };
    let b = node("127.0.0.1", limits).await;
    let circle = b"circle:7f3a".to_vec();
    let own: Vec<Vec<u8>> = (0..8).map(|i| format!("own:{i}").into_bytes()).collect();

    // The honest provider, from another machine, before the Sybils: and after them.
    let honest = node("127.0.0.3", Limits::default()).await;
    let late = node("127.0.0.4", Limits::default()).await;
    for n in [&honest, &late] {
        n.client
            .add_peer_address(b.peer, bare(&b.addr))
            .await
            .unwrap();
        within(b.client.dial(n.addr.clone())).await.unwrap();
    }
    within(honest.client.start_providing(circle.clone()))
        .await
        .unwrap();

    let mut sybil_keys = HashSet::new();
    let mut sybils = Vec::new();
    for s in 0..SYBILS {
        let mut keys = vec![circle.clone()];
        for k in 0..KEYS_PER_SYBIL {
            let key = format!("squat:{s}:{k}").into_bytes();
            sybil_keys.insert(key.clone());
            keys.push(key);
        }
        sybils.push(sybil("127.0.0.2", &b, &keys).await);
    }
    within(late.client.start_providing(circle.clone()))
        .await
        .unwrap();
    // The node's own room is untouched: it provides all its keys after the flood.
    for k in &own {
        within(b.client.start_providing(k.clone())).await.unwrap();
    }
    let (honest_peer, late_peer) = (honest.peer, late.peer);
    for n in [honest, late] {
        let _ = n.stop.send(());
    }

    // An observer asks our node alone (the providers have gone: only its records count).
    let observer = node("127.0.0.1", Limits::default()).await;
    observer
        .client
        .add_peer_address(b.peer, bare(&b.addr))
        .await
        .unwrap();
    within(observer.client.dial(b.addr.clone())).await.unwrap();
    let listed = settled_providers(&observer.client, &circle).await;
    assert!(listed.contains(&honest_peer), "{listed:?}");
    assert!(listed.contains(&late_peer), "{listed:?}");
    let sybils_listed = listed
        .iter()
        .filter(|p| ![honest_peer, late_peer, b.peer].contains(p))
        .count();
    assert!(
        sybils_listed <= PROVIDERS_PER_SOURCE_PER_KEY,
        "{sybils_listed} Sybils in the circle's list"
    );
    for k in &own {
        let found = within(observer.client.providers(k.clone())).await.unwrap();
        assert!(found.contains(&b.peer), "the node lost its own record");
    }
    let mut kept = sybils_listed;
    for k in &sybil_keys {
        kept += within(observer.client.providers(k.clone()))
            .await
            .unwrap_or_default()
            .len();
    }
    assert!(
        kept > 0,
        "no Sybil record reached the node: the test proves nothing"
    );
    assert!(
        kept <= PER_SOURCE,
        "{kept} records kept from one machine (share {PER_SOURCE})"
    );
    for s in sybils {
        s.abort();
    }
    for n in [b, observer] {
        let _ = n.stop.send(());
    }
}
