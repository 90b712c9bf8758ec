//! The network side of a circle node. Only this crate names libp2p.
//!
//! It moves opaque bytes between nodes and decides nothing about them: the node crate decodes and
//! validates every request and gossip message, and tells this crate what to answer, forward or
//! penalise.
//!
//! - [`new`] builds the network from a [`NetConfig`] and returns three things: a [`Client`] (a
//!   cheap, cloneable handle), a receiver of [`Event`]s, and the [`EventLoop`] to spawn.
//! - Sync is request-response on `/circle-ledger/sync/1`: [`Client::request`] and, for an
//!   [`Event::InboundRequest`], [`Client::respond`]. Frames are length-prefixed and capped.
//! - Gossip is gossipsub with anonymous, content-addressed messages. Nothing is forwarded before
//!   the node calls [`Client::report_validation`]; a `Reject` lowers the sender's score.
//! - Circles are found by id in a private Kademlia DHT: [`Client::start_providing`] and
//!   [`Client::providers`].
//! - Transports: TCP and QUIC with Noise and Yamux, or in-memory for tests ([`Transport`]).
//!   Relay client, DCUtR and AutoNAT run for nodes behind NAT; relaying for others is opt-in.
//!
//! Every input has a bound: see [`Limits`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), circle_net::NetError> {
//! use circle_net::{Event, NetConfig, Transport};
//!
//! let mut cfg = NetConfig::new(circle_net::keypair([7u8; 32])?, Transport::Memory);
//! cfg.listen.push("/memory/0".parse().expect("valid address"));
//! let (client, mut events, event_loop) = circle_net::new(cfg)?;
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! let task = tokio::spawn(event_loop.run(stopped));
//!
//! while let Some(event) = events.recv().await {
//!     if let Event::NewListenAddr(addr) = event {
//!         println!("listening on {addr}");
//!         break;
//!     }
//! }
//! client.subscribe("circle/announcements").await?;
//! let _ = stop.send(());
//! task.await.expect("event loop ended cleanly");
//! # Ok(())
//! # }
//! ```
//!
//! Node identity:
//!
//! ```
//! let peer = circle_net::peer_id([7u8; 32]).unwrap();
//! assert!(peer.starts_with("12D3KooW"));
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod admission;
mod behaviour;
mod client;
mod codec;
mod config;
mod cut_off;
mod event;
mod event_loop;
mod port_probe;
mod providers;
mod swarm;

use thiserror::Error;
use tokio::sync::mpsc;

pub use client::{Acceptance, Client};
pub use config::{Limits, NetConfig, Transport};
pub use event::{Event, ResponseChannelId};
pub use event_loop::EventLoop;
pub use libp2p::{gossipsub::MessageId, identity::Keypair, multiaddr, Multiaddr, PeerId};
pub use providers::PROVIDERS_PER_SOURCE_PER_KEY;

/// Commands waiting for the event loop. Small: each caller waits for its answer anyway.
const COMMAND_QUEUE: usize = 64;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum NetError {
    #[error("node key is invalid: {0}")]
    Identity(String),
    #[error("invalid network configuration: {0}")]
    Config(String),
    #[error("cannot listen: {0}")]
    Listen(String),
    /// Another socket holds the port (another node, or another program).
    #[error("{proto} port {port} ({addr}) is already in use by another program")]
    PortInUse {
        port: u16,
        proto: &'static str,
        addr: String,
    },
    #[error("dial failed: {0}")]
    Dial(String),
    #[error("request failed: {0}")]
    Request(String),
    #[error("{what} of {size} bytes is over the {cap}-byte limit")]
    TooLarge {
        what: &'static str,
        size: usize,
        cap: usize,
    },
    #[error("no such inbound request: answered already or timed out")]
    UnknownRequest,
    #[error("gossip: {0}")]
    Gossip(String),
    #[error("no peer is subscribed to this gossip topic yet")]
    NoPeers,
    #[error("dht: {0}")]
    Dht(String),
    #[error("the network task has stopped")]
    Shutdown,
}

/// The libp2p keypair of a node, from its stored 32-byte ed25519 secret.
pub fn keypair(secret: [u8; 32]) -> Result<libp2p_identity::Keypair, NetError> {
    libp2p_identity::Keypair::ed25519_from_bytes(secret)
        .map_err(|e| NetError::Identity(e.to_string()))
}

/// The node's PeerId in its usual text form.
pub fn peer_id(secret: [u8; 32]) -> Result<String, NetError> {
    Ok(keypair(secret)?.public().to_peer_id().to_string())
}

/// Builds the network: starts listening on `cfg.listen` and dialing `cfg.dial`.
///
/// Call it inside a Tokio runtime, then spawn [`EventLoop::run`]. Events arrive on the receiver;
/// keep draining it (see [`Event`] for what happens when it is full).
pub fn new(cfg: NetConfig) -> Result<(Client, mpsc::Receiver<Event>, EventLoop), NetError> {
    // Every port first, so that a taken one refuses before anything listens.
    for addr in &cfg.listen {
        port_probe::check_free(addr)?;
    }
    let mut swarm = swarm::build(&cfg)?;
    for addr in &cfg.listen {
        swarm
            .listen_on(addr.clone())
            .map_err(|e| NetError::Listen(format!("{addr}: {e}")))?;
    }
    for addr in &cfg.dial {
        if let Some(multiaddr::Protocol::P2p(peer)) = addr.iter().last() {
            // A known bootstrap peer also seeds the DHT routing table.
            let mut bare = addr.clone();
            bare.pop();
            swarm.behaviour_mut().kad.add_address(&peer, bare);
        }
        swarm
            .dial(event_loop::dial_opts(addr.clone()))
            .map_err(|e| NetError::Dial(format!("{addr}: {e}")))?;
    }
    let (command_tx, command_rx) = mpsc::channel(COMMAND_QUEUE);
    let (event_tx, event_rx) = mpsc::channel(cfg.limits.event_queue.max(1));
    let event_loop = EventLoop::new(swarm, command_rx, event_tx, cfg.limits);
    Ok((Client::new(command_tx), event_rx, event_loop))
}
