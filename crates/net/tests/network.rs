//! In-process network tests over libp2p's MemoryTransport (and one over loopback TCP/QUIC).
//! Every wait is bounded; nothing sleeps where an event can be awaited.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use circle_net::{
    multiaddr::Protocol, Acceptance, Client, Event, Keypair, Limits, Multiaddr, NetConfig,
    NetError, PeerId, Transport,
};
use futures::{AsyncReadExt, AsyncWriteExt, StreamExt};
use libp2p::Transport as _;
use libp2p::{core::transport::MemoryTransport, core::upgrade, noise, yamux, StreamProtocol};
use tokio::{
    sync::{mpsc, oneshot},
    task::JoinHandle,
    time::timeout,
};

/// Upper bound for any single wait; generous for a loaded 2-core machine.
const WAIT: Duration = Duration::from_secs(20);
const TOPIC: &str = "circle/test";

struct Node {
    client: Client,
    events: mpsc::Receiver<Event>,
    peer: PeerId,
    /// First listen address, ending in `/p2p/<peer>` (empty for a dial-only node).
    addr: Multiaddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Node {
    async fn spawn(transport: Transport, listen: &[&str], limits: Limits) -> Node {
        let keypair = Keypair::generate_ed25519();
        let peer = keypair.public().to_peer_id();
        let mut cfg = NetConfig::new(keypair, transport);
        cfg.listen = listen.iter().map(|a| a.parse().unwrap()).collect();
        cfg.limits = limits;
        let (client, mut events, event_loop) = circle_net::new(cfg).unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(event_loop.run(stopped));
        let addr = if listen.is_empty() {
            Multiaddr::empty()
        } else {
            next(&mut events, |e| match e {
                Event::NewListenAddr(a) => Some(a),
                _ => None,
            })
            .await
            .with(Protocol::P2p(peer))
        };
        Node {
            client,
            events,
            peer,
            addr,
            stop: Some(stop),
            task,
        }
    }

    async fn memory() -> Node {
        Self::spawn(Transport::Memory, &["/memory/0"], Limits::default()).await
    }

    async fn memory_with(limits: Limits) -> Node {
        Self::spawn(Transport::Memory, &["/memory/0"], limits).await
    }

    /// Waits for the next event `pick` accepts, skipping the others.
    async fn next<T>(&mut self, pick: impl FnMut(Event) -> Option<T>) -> T {
        next(&mut self.events, pick).await
    }

    async fn gossip(&mut self) -> (PeerId, circle_net::MessageId, Vec<u8>) {
        self.next(|e| match e {
            Event::Gossip {
                source,
                message_id,
                data,
                ..
            } => Some((source, message_id, data)),
            _ => None,
        })
        .await
    }

    /// Waits until each of `peers` has told us it subscribed to TOPIC, in any order.
    async fn subscribed(&mut self, peers: &[PeerId]) {
        let mut waiting: Vec<PeerId> = peers.to_vec();
        while !waiting.is_empty() {
            let peer = self
                .next(|e| match e {
                    Event::Subscribed { peer, topic } if topic == TOPIC => Some(peer),
                    _ => None,
                })
                .await;
            waiting.retain(|p| *p != peer);
        }
    }

    /// No gossip is waiting in the event queue right now.
    fn no_gossip_queued(&mut self) -> bool {
        while let Ok(event) = self.events.try_recv() {
            if matches!(event, Event::Gossip { .. }) {
                return false;
            }
        }
        true
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        timeout(WAIT, self.task).await.unwrap().unwrap();
    }
}

async fn next<T>(
    events: &mut mpsc::Receiver<Event>,
    mut pick: impl FnMut(Event) -> Option<T>,
) -> T {
    timeout(WAIT, async {
        loop {
            let event = events.recv().await.expect("event channel open");
            if let Some(found) = pick(event) {
                return found;
            }
        }
    })
    .await
    .expect("timed out waiting for an event")
}

async fn within<T>(fut: impl std::future::Future<Output = T>) -> T {
    timeout(WAIT, fut).await.expect("timed out")
}

/// Answers every inbound request with `f(request)` until the node stops.
fn serve(
    mut node: Node,
    f: fn(Vec<u8>) -> Vec<u8>,
) -> (Client, PeerId, Multiaddr, JoinHandle<Node>) {
    let (client, peer, addr) = (node.client.clone(), node.peer, node.addr.clone());
    let task = tokio::spawn(async move {
        while let Some(event) = node.events.recv().await {
            if let Event::InboundRequest {
                request, channel, ..
            } = event
            {
                if node.client.respond(channel, f(request)).await.is_err() {
                    break;
                }
            }
        }
        node
    });
    (client, peer, addr, task)
}

fn reversed(mut v: Vec<u8>) -> Vec<u8> {
    v.reverse();
    v
}

#[tokio::test]
async fn request_response_round_trip() {
    let a = Node::memory().await;
    let b = Node::memory().await;
    let (b_client, b_peer, b_addr, b_task) = serve(b, reversed);

    assert_eq!(within(a.client.dial(b_addr)).await.unwrap(), b_peer);
    let response = within(a.client.request(b_peer, b"abc".to_vec()))
        .await
        .unwrap();
    assert_eq!(response, b"cba");
    assert!(a.client.connected_peers().await.unwrap().contains(&b_peer));

    b_client.shutdown().await.unwrap();
    within(b_task).await.unwrap();
    a.stop().await;
}

#[tokio::test]
async fn request_and_response_over_the_cap_are_refused_locally() {
    let a = Node::memory().await;
    let mut b = Node::memory().await;
    within(a.client.dial(b.addr.clone())).await.unwrap();

    let cap = Limits::default().max_request_size;
    let err = a
        .client
        .request(b.peer, vec![0; cap + 1])
        .await
        .unwrap_err();
    assert!(matches!(err, NetError::TooLarge { .. }), "{err}");

    // A response over the cap is refused by the responder, who may then answer properly.
    let pending = tokio::spawn({
        let client = a.client.clone();
        let peer = b.peer;
        async move { client.request(peer, b"q".to_vec()).await }
    });
    let channel = b
        .next(|e| match e {
            Event::InboundRequest { channel, .. } => Some(channel),
            _ => None,
        })
        .await;
    let too_big = vec![0; Limits::default().max_response_size + 1];
    let err = b.client.respond(channel, too_big).await.unwrap_err();
    assert!(matches!(err, NetError::TooLarge { .. }), "{err}");
    b.client.respond(channel, b"ok".to_vec()).await.unwrap();
    assert_eq!(within(pending).await.unwrap().unwrap(), b"ok");
    // Answered already: the channel is gone.
    let err = b
        .client
        .respond(channel, b"again".to_vec())
        .await
        .unwrap_err();
    assert!(matches!(err, NetError::UnknownRequest), "{err}");

    a.stop().await;
    b.stop().await;
}

/// A bare libp2p swarm that can open raw streams, to play a hostile peer.
fn raw_swarm() -> libp2p::Swarm<libp2p_stream::Behaviour> {
    hostile_swarm(|_| libp2p_stream::Behaviour::new())
}

/// A swarm of our own making over the memory transport, with `behaviour`.
fn hostile_swarm<B: libp2p::swarm::NetworkBehaviour>(
    behaviour: impl FnOnce(&Keypair) -> B,
) -> libp2p::Swarm<B> {
    libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_other_transport(|key| {
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(
                MemoryTransport::default()
                    .upgrade(upgrade::Version::V1)
                    .authenticate(noise::Config::new(key)?)
                    .multiplex(yamux::Config::default()),
            )
        })
        .unwrap()
        .with_behaviour(behaviour)
        .unwrap()
        .with_swarm_config(|c| c.with_idle_connection_timeout(WAIT))
        .build()
}

async fn raw_stream_to(peer: PeerId, addr: Multiaddr) -> libp2p::Stream {
    let mut swarm = raw_swarm();
    let mut control = swarm.behaviour().new_control();
    swarm.dial(addr).unwrap();
    tokio::spawn(async move {
        loop {
            swarm.select_next_some().await;
        }
    });
    within(control.open_stream(peer, StreamProtocol::new("/circle-ledger/sync/1")))
        .await
        .unwrap()
}

/// Reads until the remote closes or resets the stream.
async fn until_closed(stream: &mut libp2p::Stream) {
    let mut buf = [0u8; 64];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

#[tokio::test]
async fn request_declaring_a_huge_length_is_refused_at_once() {
    let mut b = Node::memory().await;
    let mut stream = raw_stream_to(b.peer, b.addr.clone()).await;
    // Declare 4 GiB and send nothing more: the receiver must not wait for (or allocate) it.
    stream.write_all(&u32::MAX.to_be_bytes()).await.unwrap();
    stream.flush().await.unwrap();
    let started = Instant::now();
    within(until_closed(&mut stream)).await;
    assert!(started.elapsed() < Limits::default().request_timeout / 2);

    // The node never saw it, and still serves honest peers.
    let a = Node::memory().await;
    within(a.client.dial(b.addr.clone())).await.unwrap();
    let pending = tokio::spawn({
        let client = a.client.clone();
        let peer = b.peer;
        async move { client.request(peer, b"honest".to_vec()).await }
    });
    let (from, request, channel) = b
        .next(|e| match e {
            Event::InboundRequest {
                peer,
                request,
                channel,
            } => Some((peer, request, channel)),
            _ => None,
        })
        .await;
    assert_eq!((from, request), (a.peer, b"honest".to_vec()));
    b.client.respond(channel, b"ok".to_vec()).await.unwrap();
    assert_eq!(within(pending).await.unwrap().unwrap(), b"ok");

    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn stalled_request_is_closed_at_the_timeout() {
    let limits = Limits {
        request_timeout: Duration::from_secs(1),
        ..Limits::default()
    };
    let mut b = Node::memory_with(limits).await;
    let mut stream = raw_stream_to(b.peer, b.addr.clone()).await;
    // Under the cap, so the body is awaited; then stall after 10 of 1000 bytes.
    stream.write_all(&1000u32.to_be_bytes()).await.unwrap();
    stream.write_all(&[0; 10]).await.unwrap();
    stream.flush().await.unwrap();
    let started = Instant::now();
    within(until_closed(&mut stream)).await;
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "closed before the timeout"
    );
    assert!(b.no_inbound_request());
    b.stop().await;
}

impl Node {
    fn no_inbound_request(&mut self) -> bool {
        while let Ok(event) = self.events.try_recv() {
            if matches!(event, Event::InboundRequest { .. }) {
                return false;
            }
        }
        true
    }
}

/// A dials B, both subscribed to TOPIC, and each has seen the other's subscription.
async fn pair_on_topic(a: &mut Node, b: &mut Node) {
    a.client.subscribe(TOPIC).await.unwrap();
    b.client.subscribe(TOPIC).await.unwrap();
    within(a.client.dial(b.addr.clone())).await.unwrap();
    b.subscribed(&[a.peer]).await;
    a.subscribed(&[b.peer]).await;
}

/// A - B - C, all subscribed to TOPIC, with every mesh formed.
async fn line() -> (Node, Node, Node) {
    let mut a = Node::memory().await;
    let mut b = Node::memory().await;
    let mut c = Node::memory().await;
    for n in [&a, &b, &c] {
        assert!(n.client.subscribe(TOPIC).await.unwrap());
    }
    within(a.client.dial(b.addr.clone())).await.unwrap();
    within(c.client.dial(b.addr.clone())).await.unwrap();
    // Gossipsub grafts a subscribed peer before it reports the subscription.
    b.subscribed(&[a.peer, c.peer]).await;
    a.subscribed(&[b.peer]).await;
    c.subscribed(&[b.peer]).await;
    (a, b, c)
}

#[tokio::test]
async fn gossip_is_forwarded_only_after_accept_and_reject_penalises() {
    let (a, mut b, mut c) = line().await;

    // Accepted: reaches C, via B, only once B's application said so.
    let id = a
        .client
        .publish(TOPIC, b"announce 1".to_vec())
        .await
        .unwrap();
    let (source, message_id, data) = b.gossip().await;
    assert_eq!(
        (source, &message_id, data.as_slice()),
        (a.peer, &id, &b"announce 1"[..])
    );
    assert!(c.no_gossip_queued(), "forwarded before validation");
    assert!(b
        .client
        .report_validation(message_id, source, Acceptance::Accept)
        .await
        .unwrap());
    let (source, message_id, data) = c.gossip().await;
    assert_eq!((source, data.as_slice()), (b.peer, &b"announce 1"[..]));
    assert_eq!(
        message_id, id,
        "ids are content-derived, the same everywhere"
    );
    c.client
        .report_validation(message_id, source, Acceptance::Accept)
        .await
        .unwrap();

    // Rejected: never reaches C, and A pays for it at B.
    a.client.publish(TOPIC, b"forged".to_vec()).await.unwrap();
    let (source, message_id, data) = b.gossip().await;
    assert_eq!(data, b"forged");
    assert!(b
        .client
        .report_validation(message_id, source, Acceptance::Reject)
        .await
        .unwrap());
    let score = b
        .client
        .peer_score(a.peer)
        .await
        .unwrap()
        .expect("scoring on");
    assert!(score < 0.0, "score of a rejected sender: {score}");

    // The next accepted message is the next thing C sees: "forged" was never forwarded.
    a.client
        .publish(TOPIC, b"announce 2".to_vec())
        .await
        .unwrap();
    let (source, message_id, data) = b.gossip().await;
    assert_eq!(data, b"announce 2");
    b.client
        .report_validation(message_id, source, Acceptance::Accept)
        .await
        .unwrap();
    let (_, _, data) = c.gossip().await;
    assert_eq!(data, b"announce 2");

    // Replays are deduplicated by content: publishing the same bytes again is refused.
    let err = a
        .client
        .publish(TOPIC, b"announce 1".to_vec())
        .await
        .unwrap_err();
    assert!(matches!(err, NetError::Gossip(_)), "{err}");

    for n in [a, b, c] {
        n.stop().await;
    }
}

#[tokio::test]
async fn oversize_gossip_is_not_delivered() {
    let cap = Limits::default().max_gossip_size;
    // A hostile A that allows itself twice the cap.
    let mut a = Node::memory_with(Limits {
        max_gossip_size: 2 * cap,
        ..Limits::default()
    })
    .await;
    let mut b = Node::memory().await;
    pair_on_topic(&mut a, &mut b).await;

    // An honest node refuses to publish it at all.
    let err = b.client.publish(TOPIC, vec![0; cap + 1]).await.unwrap_err();
    assert!(matches!(err, NetError::TooLarge { .. }), "{err}");

    a.client.publish(TOPIC, vec![1; cap + 1]).await.unwrap();
    a.client.publish(TOPIC, vec![2; cap]).await.unwrap();
    // Messages from one peer arrive in order: the first B sees is the one at the cap.
    let (_, _, data) = b.gossip().await;
    assert_eq!((data.len(), data[0]), (cap, 2));
    let score = b.client.peer_score(a.peer).await.unwrap().unwrap();
    assert!(score < 0.0, "oversize sender not penalised: {score}");

    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn kademlia_finds_a_provider_through_a_third_node() {
    let a = Node::memory().await;
    let b = Node::memory().await;
    let c = Node::memory().await;
    let b_bare = {
        let mut addr = b.addr.clone();
        addr.pop();
        addr
    };
    // A and C know only B.
    for n in [&a, &c] {
        n.client
            .add_peer_address(b.peer, b_bare.clone())
            .await
            .unwrap();
        within(n.client.dial(b.addr.clone())).await.unwrap();
    }
    let circle_id = b"circle:7f3a".to_vec();
    within(a.client.start_providing(circle_id.clone()))
        .await
        .unwrap();
    let providers = within(c.client.providers(circle_id)).await.unwrap();
    assert!(providers.contains(&a.peer), "{providers:?}");
    let none = within(c.client.providers(b"circle:unknown".to_vec())).await;
    assert!(none.map(|p| p.is_empty()).unwrap_or(true));

    for n in [a, b, c] {
        n.stop().await;
    }
}

#[tokio::test]
async fn connections_beyond_the_per_peer_cap_are_refused() {
    let a = Node::memory_with(Limits {
        max_connections_per_peer: 1,
        ..Limits::default()
    })
    .await;
    let b = Node::memory().await;
    within(a.client.dial(b.addr.clone())).await.unwrap();
    let err = within(a.client.dial(b.addr.clone())).await.unwrap_err();
    assert!(matches!(err, NetError::Dial(_)), "{err}");
    assert!(err.to_string().contains("connection limit"), "{err}");
    // The first connection still works.
    assert_eq!(a.client.connected_peers().await.unwrap(), vec![b.peer]);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn inbound_connections_beyond_the_per_peer_cap_are_closed() {
    use libp2p::swarm::{dial_opts::DialOpts, dial_opts::PeerCondition, SwarmEvent};

    let b = Node::memory_with(Limits {
        max_connections_per_peer: 1,
        ..Limits::default()
    })
    .await;
    let mut bare = b.addr.clone();
    bare.pop();
    // A peer with no limits of its own opens three connections to B.
    let mut swarm = raw_swarm();
    for _ in 0..3 {
        let opts = DialOpts::peer_id(b.peer)
            .addresses(vec![bare.clone()])
            .condition(PeerCondition::Always)
            .build();
        swarm.dial(opts).unwrap();
    }
    // B keeps one and ends the other two (the dialer sees them fail or close).
    within(async {
        let mut ended = 0;
        loop {
            let counters = swarm.network_info().connection_counters().clone();
            if ended == 2 && counters.num_pending() == 0 && counters.num_established() == 1 {
                return;
            }
            match swarm.select_next_some().await {
                SwarmEvent::ConnectionClosed { .. }
                | SwarmEvent::OutgoingConnectionError { .. } => ended += 1,
                _ => {}
            }
        }
    })
    .await;
    b.stop().await;
}

#[tokio::test]
async fn a_node_that_falls_behind_does_not_stall_the_network() {
    // B never reads its events; its queue holds one.
    let b = Node::memory_with(Limits {
        event_queue: 1,
        ..Limits::default()
    })
    .await;
    let a = Node::memory().await;
    within(a.client.dial(b.addr.clone())).await.unwrap();
    // B's queue is full (PeerConnected): the request is dropped there and A hears so at once,
    // not at the request timeout.
    let started = Instant::now();
    let err = within(a.client.request(b.peer, b"anyone?".to_vec()))
        .await
        .unwrap_err();
    assert!(matches!(err, NetError::Request(_)), "{err}");
    assert!(started.elapsed() < Limits::default().request_timeout / 2);
    // B's network task still answers its own node.
    assert_eq!(
        within(b.client.connected_peers()).await.unwrap(),
        vec![a.peer]
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn clients_fail_with_shutdown_once_the_loop_stops() {
    let a = Node::memory().await;
    let client = a.client.clone();
    client.shutdown().await.unwrap();
    within(a.task).await.unwrap();
    let err = client.listen_addrs().await.unwrap_err();
    assert!(matches!(err, NetError::Shutdown), "{err}");
}

#[tokio::test]
async fn dial_checks_the_peer_id() {
    let a = Node::memory().await;
    let b = Node::memory().await;
    let mut wrong = b.addr.clone();
    wrong.pop();
    let impostor = Keypair::generate_ed25519().public().to_peer_id();
    let err = within(a.client.dial(wrong.with(Protocol::P2p(impostor))))
        .await
        .unwrap_err();
    assert!(matches!(err, NetError::Dial(_)), "{err}");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn round_trip_over_loopback_tcp_and_quic() {
    let listen = ["/ip4/127.0.0.1/tcp/0", "/ip4/127.0.0.1/udp/0/quic-v1"];
    let mut b = Node::spawn(Transport::Tcp, &listen, Limits::default()).await;
    // The first listen address came with spawn; wait for the second.
    let second = b
        .next(|e| match e {
            Event::NewListenAddr(addr) => Some(addr),
            _ => None,
        })
        .await
        .with(Protocol::P2p(b.peer));
    let first = b.addr.clone();
    let (b_client, b_peer, _, b_task) = serve(b, reversed);

    let is_quic = |addr: &Multiaddr| addr.iter().any(|p| p == Protocol::QuicV1);
    assert!(
        is_quic(&first) != is_quic(&second),
        "one TCP and one QUIC address"
    );
    for addr in [first, second] {
        assert!(addr
            .iter()
            .any(|p| p == Protocol::Ip4([127, 0, 0, 1].into())));
        let a = Node::spawn(Transport::Tcp, &[], Limits::default()).await;
        assert_eq!(within(a.client.dial(addr)).await.unwrap(), b_peer);
        let response = within(a.client.request(b_peer, b"loop".to_vec()))
            .await
            .unwrap();
        assert_eq!(response, b"pool");
        a.stop().await;
    }
    b_client.shutdown().await.unwrap();
    within(b_task).await.unwrap();
}

/// Hand-made gossipsub RPCs (protobuf, as `rpc.proto` of the gossipsub spec defines
/// them): a hostile peer speaks the wire format directly, not through a well-behaved
/// library.
mod wire {
    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    fn field(out: &mut Vec<u8>, number: u64, bytes: &[u8]) {
        varint(out, (number << 3) | 2);
        varint(out, bytes.len() as u64);
        out.extend_from_slice(bytes);
    }

    fn number(out: &mut Vec<u8>, number: u64, v: u64) {
        varint(out, number << 3);
        varint(out, v);
    }

    /// `RPC { subscriptions: [SubOpts { subscribe: true, topic_id }] }`.
    pub(super) fn subscribe(topics: &[String]) -> Vec<u8> {
        let mut rpc = Vec::new();
        for t in topics {
            let mut sub = Vec::new();
            number(&mut sub, 1, 1);
            field(&mut sub, 2, t.as_bytes());
            field(&mut rpc, 1, &sub);
        }
        rpc
    }

    /// `RPC { control: ControlMessage { graft: [ControlGraft { topic_id }] } }`.
    pub(super) fn graft(topic: &str) -> Vec<u8> {
        let mut graft = Vec::new();
        field(&mut graft, 1, topic.as_bytes());
        control(3, &graft)
    }

    /// `RPC { control: { prune: [ControlPrune { topic_id, peers: n empty, backoff }] } }`.
    pub(super) fn prune(topic: &str, backoff: u64, peers: usize) -> Vec<u8> {
        let mut prune = Vec::new();
        field(&mut prune, 1, topic.as_bytes());
        for _ in 0..peers {
            field(&mut prune, 2, &[]);
        }
        number(&mut prune, 3, backoff);
        control(4, &prune)
    }

    /// `RPC { control: { iwant: [ControlIWant { message_ids: id × n }] } }`.
    pub(super) fn iwant(id: &[u8], n: usize) -> Vec<u8> {
        let mut iwant = Vec::new();
        for _ in 0..n {
            field(&mut iwant, 1, id);
        }
        control(2, &iwant)
    }

    fn control(kind: u64, body: &[u8]) -> Vec<u8> {
        let mut control = Vec::new();
        field(&mut control, kind, body);
        let mut rpc = Vec::new();
        field(&mut rpc, 3, &control);
        rpc
    }

    /// One frame on the stream: the RPC's length as an unsigned varint, then the RPC.
    pub(super) fn frame(rpc: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        varint(&mut out, rpc.len() as u64);
        out.extend_from_slice(rpc);
        out
    }
}

/// THREATS.md network inputs 1–3: a PRUNE whose backoff is near `u64::MAX` (the gossipsub
/// backoff-overflow advisories), GRAFT during that backoff, thousands of topic
/// subscriptions, the same IWANT again and again, and an RPC over the size cap. The
/// target neither panics nor stalls: honest gossip keeps flowing, and the hostile peer's
/// score drops.
#[tokio::test]
async fn hostile_gossipsub_control_messages_neither_crash_nor_stall_the_node() {
    let mut a = Node::memory().await;
    let mut b = Node::memory().await;
    pair_on_topic(&mut a, &mut b).await;
    let id = a.client.publish(TOPIC, b"before".to_vec()).await.unwrap();
    let (source, message_id, _) = b.gossip().await;
    b.client
        .report_validation(message_id, source, Acceptance::Accept)
        .await
        .unwrap();

    // The hostile peer: a raw swarm that takes B's gossip streams and sends its own frames.
    let protocol = StreamProtocol::new("/circle-ledger/meshsub/1.1.0");
    let mut swarm = raw_swarm();
    let hostile = *swarm.local_peer_id();
    let mut control = swarm.behaviour().new_control();
    let mut incoming = control.accept(protocol.clone()).unwrap();
    swarm.dial(b.addr.clone()).unwrap();
    let driver = tokio::spawn(async move {
        loop {
            swarm.select_next_some().await;
        }
    });
    let drain = tokio::spawn(async move {
        while let Some((_, mut stream)) = incoming.next().await {
            tokio::spawn(async move { until_closed(&mut stream).await });
        }
    });
    // 1. PRUNE with a backoff near u64::MAX, then GRAFT during that backoff.
    let mut frames = vec![wire::subscribe(&[TOPIC.to_owned()]), wire::graft(TOPIC)];
    frames.push(wire::prune(TOPIC, u64::MAX, 0));
    frames.push(wire::prune(TOPIC, u64::MAX - 1, 0));
    frames.extend((0..50).map(|_| wire::graft(TOPIC)));
    let mut stream = within(control.open_stream(b.peer, protocol.clone()))
        .await
        .unwrap();
    assert_eq!(send(&mut stream, &frames).await, frames.len());
    // B read them all without panicking: grafting during a backoff costs score.
    let deadline = Instant::now() + WAIT;
    loop {
        let score = within(b.client.peer_score(hostile)).await.unwrap();
        if score.is_some_and(|s| s < 0.0) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "hostile peer not penalised: {score:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // 2. The same IWANT, 10,000 times; 3. subscriptions to 5,000 topics (in RPCs under
    // the size cap, so the subscription filter, not the codec, decides). B may stop
    // reading a stream that abuses it (then the writes stall): it owes the peer nothing.
    let cap = Limits::default().max_gossip_size;
    for frames in [
        (0..20)
            .map(|_| wire::iwant(id.0.as_slice(), 500))
            .collect::<Vec<_>>(),
        (0..5_000)
            .map(|i| format!("flood/{i}"))
            .collect::<Vec<_>>()
            .chunks(400)
            .map(wire::subscribe)
            .collect(),
    ] {
        assert!(frames.iter().all(|f| f.len() < cap));
        let mut stream = within(control.open_stream(b.peer, protocol.clone()))
            .await
            .unwrap();
        send(&mut stream, &frames).await;
    }

    // 4. One RPC over the size cap: the stream is closed, nothing of it is read.
    let mut stream = within(control.open_stream(b.peer, protocol)).await.unwrap();
    let oversized = wire::prune(TOPIC, 1, cap + 2 * 1024);
    send(&mut stream, &[oversized]).await;
    within(until_closed(&mut stream)).await;

    // B still answers, and honest gossip still goes through.
    a.client.publish(TOPIC, b"after".to_vec()).await.unwrap();
    let (_, _, data) = b.gossip().await;
    assert_eq!(data, b"after");

    driver.abort();
    drain.abort();
    a.stop().await;
    b.stop().await;
}

/// Writes `frames` one by one; stops at the first that B does not take within a few
/// seconds (it stopped reading). Returns how many were written.
async fn send(stream: &mut libp2p::Stream, frames: &[Vec<u8>]) -> usize {
    for (i, rpc) in frames.iter().enumerate() {
        let written = timeout(Duration::from_secs(3), async {
            stream.write_all(&wire::frame(rpc)).await?;
            stream.flush().await
        })
        .await;
        if !matches!(written, Ok(Ok(()))) {
            return i;
        }
    }
    frames.len()
}

/// THREATS.md network input 7: a peer pushes value records at a node through the DHT
/// (PUT_VALUE, which libp2p's Kademlia stores by default). The node keeps none of them:
/// asked for one afterwards, it has nothing.
#[tokio::test]
async fn value_records_pushed_through_the_dht_are_not_stored() {
    use libp2p::kad;

    let b = Node::memory().await;
    let mut b_bare = b.addr.clone();
    b_bare.pop();
    let mut hostile = hostile_swarm(|key| {
        let peer = key.public().to_peer_id();
        // Our private protocol name: the node only speaks Kademlia under it.
        let config = kad::Config::new(StreamProtocol::new("/circle-ledger/kad/1.0.0"));
        let store = kad::store::MemoryStore::new(peer);
        kad::Behaviour::with_config(peer, store, config)
    });
    hostile.behaviour_mut().add_address(&b.peer, b_bare);
    hostile.dial(b.addr.clone()).unwrap();

    const RECORDS: usize = 200;
    let key = |i: usize| kad::RecordKey::new(&format!("planted/{i}"));
    for i in 0..RECORDS {
        let record = kad::Record::new(key(i), vec![7; 512]);
        hostile
            .behaviour_mut()
            .put_record_to(record, std::iter::once(b.peer), kad::Quorum::One);
    }
    // Every put ends (accepted on the wire or not) before we look.
    let mut ended = 0;
    within(async {
        while ended < RECORDS {
            if let libp2p::swarm::SwarmEvent::Behaviour(kad::Event::OutboundQueryProgressed {
                result: kad::QueryResult::PutRecord(_),
                step,
                ..
            }) = hostile.select_next_some().await
            {
                ended += usize::from(step.last);
            }
        }
    })
    .await;

    // The node's store would hold some of them (the first 16 to arrive, in any order).
    for i in 0..RECORDS {
        hostile.behaviour_mut().get_record(key(i));
        let found = within(async {
            loop {
                if let libp2p::swarm::SwarmEvent::Behaviour(kad::Event::OutboundQueryProgressed {
                    result: kad::QueryResult::GetRecord(result),
                    ..
                }) = hostile.select_next_some().await
                {
                    return result;
                }
            }
        })
        .await;
        if let Ok(kad::GetRecordOk::FoundRecord(r)) = found {
            panic!("the node kept a pushed record: {:?}", r.record.key);
        }
    }
    b.stop().await;
}

/// THREATS.md network input 29: the bytes of a message first sent on another topic, and
/// rejected there, must not make the real message a "duplicate" that is dropped. Message
/// ids bind the topic.
#[tokio::test]
async fn the_same_bytes_on_another_topic_are_another_message() {
    const OTHER: &str = "circle/other";
    let mut a = Node::memory().await;
    let mut b = Node::memory().await;
    for n in [&a, &b] {
        n.client.subscribe(OTHER).await.unwrap();
        n.client.subscribe(TOPIC).await.unwrap();
    }
    within(a.client.dial(b.addr.clone())).await.unwrap();
    for n in [&mut a, &mut b] {
        let mut waiting = vec![TOPIC.to_owned(), OTHER.to_owned()];
        while !waiting.is_empty() {
            let topic = n
                .next(|e| match e {
                    Event::Subscribed { topic, .. } => Some(topic),
                    _ => None,
                })
                .await;
            waiting.retain(|t| *t != topic);
        }
    }
    let alert = b"an alert's exact bytes".to_vec();
    a.client.publish(OTHER, alert.clone()).await.unwrap();
    let (source, message_id, topic) = b
        .next(|e| match e {
            Event::Gossip {
                source,
                message_id,
                topic,
                ..
            } => Some((source, message_id, topic)),
            _ => None,
        })
        .await;
    assert_eq!(topic, OTHER);
    b.client
        .report_validation(message_id.clone(), source, Acceptance::Reject)
        .await
        .unwrap();
    // The real one, on its own topic: a new id, published and delivered.
    let id = a.client.publish(TOPIC, alert.clone()).await.unwrap();
    assert_ne!(id, message_id);
    let (_, got, data) = b.gossip().await;
    assert_eq!((got, data), (id, alert));
    a.stop().await;
    b.stop().await;
}

/// THREATS.md network input 30: 32 TCP connections from one machine that never start a
/// handshake. They may hold a few handshake slots for a few seconds, never all of them:
/// a peer dialing meanwhile from another address gets in, and the idle sockets are closed
/// at the handshake timeout.
#[tokio::test]
async fn idle_tcp_connections_from_one_address_do_not_lock_out_new_peers() {
    let b = Node::spawn(Transport::Tcp, &["/ip4/127.0.0.1/tcp/0"], Limits::default()).await;
    let port = b
        .addr
        .iter()
        .find_map(|p| match p {
            Protocol::Tcp(port) => Some(port),
            _ => None,
        })
        .unwrap();
    // The hogging machine: another loopback address, so the honest dial below (from
    // 127.0.0.1) is a different source.
    let mut idle = Vec::new();
    for _ in 0..32 {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
        idle.push(
            within(socket.connect(([127, 0, 0, 1], port).into()))
                .await
                .unwrap(),
        );
    }
    let a = Node::spawn(Transport::Tcp, &[], Limits::default()).await;
    assert_eq!(within(a.client.dial(b.addr.clone())).await.unwrap(), b.peer);
    // Every idle socket is closed by B: at once beyond the per-address cap, the others at
    // the handshake timeout.
    let started = Instant::now();
    for mut s in idle {
        let mut buf = [0u8; 256];
        within(async {
            loop {
                match tokio::io::AsyncReadExt::read(&mut s, &mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        })
        .await;
    }
    assert!(started.elapsed() <= Limits::default().handshake_timeout + Duration::from_secs(5));
    a.stop().await;
    b.stop().await;
}
