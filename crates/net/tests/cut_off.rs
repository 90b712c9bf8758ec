//! A peer cut off for serving invalid content is disconnected, and no connection to or from
//! it is allowed until its time is up (then both directions work again). Over libp2p's
//! MemoryTransport; every wait is bounded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use circle_net::{multiaddr::Protocol, Client, Event, Keypair, Multiaddr, NetConfig, Transport};
use tokio::{sync::mpsc, time::timeout};

const WAIT: Duration = Duration::from_secs(20);

struct Peer {
    client: Client,
    events: mpsc::Receiver<Event>,
    addr: Multiaddr,
}

async fn peer() -> Peer {
    let keypair = Keypair::generate_ed25519();
    let id = keypair.public().to_peer_id();
    let mut cfg = NetConfig::new(keypair, Transport::Memory);
    cfg.listen = vec!["/memory/0".parse().unwrap()];
    let (client, mut events, event_loop) = circle_net::new(cfg).unwrap();
    tokio::spawn(event_loop.run(std::future::pending::<()>()));
    let addr = next(&mut events, |e| match e {
        Event::NewListenAddr(a) => Some(a),
        _ => None,
    })
    .await;
    Peer {
        client,
        events,
        addr: addr.with(Protocol::P2p(id)),
    }
}

async fn next<T>(
    events: &mut mpsc::Receiver<Event>,
    mut pick: impl FnMut(Event) -> Option<T>,
) -> T {
    timeout(WAIT, async {
        loop {
            if let Some(found) = pick(events.recv().await.expect("events open")) {
                return found;
            }
        }
    })
    .await
    .expect("timed out waiting for an event")
}

#[tokio::test]
async fn a_cut_off_peer_is_refused_both_ways_until_its_time_is_up() {
    let (mut a, mut b) = (peer().await, peer().await);
    let b_id = timeout(WAIT, a.client.dial(b.addr.clone()))
        .await
        .unwrap()
        .unwrap();
    let a_id = next(&mut b.events, |e| match e {
        Event::PeerConnected(p) => Some(p),
        _ => None,
    })
    .await;

    let lasts = Duration::from_secs(2);
    a.client.cut_off(b_id, lasts).await.unwrap();
    let gone = next(&mut b.events, |e| match e {
        Event::PeerDisconnected(p) => Some(p),
        _ => None,
    })
    .await;
    assert_eq!(gone, a_id, "the cut-off peer was disconnected");
    let ours = timeout(WAIT, a.client.dial(b.addr.clone())).await.unwrap();
    let ours = ours.unwrap_err().to_string();
    assert!(ours.contains("refused"), "our dial is refused: {ours}");
    // Its dial gets through the handshake and is then closed at once by the block list.
    let _ = timeout(WAIT, b.client.dial(a.addr.clone())).await.unwrap();
    assert!(
        a.client.connected_peers().await.unwrap().is_empty(),
        "its dial is refused"
    );

    tokio::time::sleep(lasts).await;
    let again = timeout(WAIT, b.client.dial(a.addr.clone())).await.unwrap();
    assert_eq!(again.unwrap(), a_id, "once the time is up it may connect");
    next(&mut a.events, |e| {
        matches!(e, Event::PeerConnected(p) if p == b_id).then_some(())
    })
    .await;
}
