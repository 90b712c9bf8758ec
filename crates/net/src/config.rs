//! What a node asks of its network: identity, where to listen, whom to dial, and the limits that
//! keep one hostile peer from costing more than a bounded amount of memory or time.

use std::time::Duration;

use libp2p::{identity::Keypair, Multiaddr};

/// How the node reaches other nodes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transport {
    /// TCP and QUIC, each authenticated with Noise; TCP is multiplexed with Yamux.
    #[default]
    Tcp,
    /// libp2p's in-process `MemoryTransport` with Noise and Yamux: for tests, addresses look like
    /// `/memory/<port>` and never leave the process.
    Memory,
}

/// Everything [`crate::new`] needs to build a node's network.
#[derive(Clone, Debug)]
pub struct NetConfig {
    /// The node's identity; its PeerId is what other nodes authenticate in the Noise handshake.
    pub keypair: Keypair,
    /// Addresses to listen on, e.g. `/ip4/0.0.0.0/tcp/0`, `/ip4/0.0.0.0/udp/0/quic-v1` or
    /// `/memory/0`. Empty means "dial out only".
    pub listen: Vec<Multiaddr>,
    /// Peers to dial at start (bootstrap nodes, known circle members). Include `/p2p/<PeerId>` so
    /// the handshake checks whom we reached.
    pub dial: Vec<Multiaddr>,
    /// Find peers on the local network with mDNS. Off in tests and wherever the LAN is hostile.
    pub mdns: bool,
    /// Relay connections for nodes behind NAT. Opt-in: relaying costs bandwidth.
    pub relay_server: bool,
    /// Which transport stack to build.
    pub transport: Transport,
    /// Size, time and count limits.
    pub limits: Limits,
}

impl NetConfig {
    /// A config with default limits that listens nowhere and dials no one.
    pub fn new(keypair: Keypair, transport: Transport) -> Self {
        Self {
            keypair,
            listen: Vec::new(),
            dial: Vec::new(),
            mdns: false,
            relay_server: false,
            transport,
            limits: Limits::default(),
        }
    }
}

/// Every limit the network enforces. The defaults suit a Raspberry Pi 3 serving a few circles.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest sync request accepted, in bytes; checked against the declared length before a byte
    /// of the body is read.
    pub max_request_size: usize,
    /// Largest sync response accepted, in bytes.
    pub max_response_size: usize,
    /// Time for a peer to send its whole request and for us to answer, and for a peer to answer
    /// us. A stalled stream is closed when it runs out.
    pub request_timeout: Duration,
    /// Largest gossip payload, in bytes. Larger messages are refused when published and rejected
    /// (with a score penalty for the sender) when received.
    pub max_gossip_size: usize,
    /// Gossipsub heartbeat: mesh maintenance and score decay run at this rate.
    pub gossip_heartbeat: Duration,
    /// Connections to one peer; more are refused (threat 4: many connections from one peer).
    pub max_connections_per_peer: u32,
    /// Established connections in total.
    pub max_connections: u32,
    /// Connections still in their handshake, per direction.
    pub max_pending_connections: u32,
    /// Inbound connections still in their handshake from one IP address (or, on the memory
    /// transport, one remote address): one machine cannot take every handshake slot (threat 30).
    pub max_pending_per_ip: u32,
    /// Time for a new connection to finish its whole upgrade (protocol negotiation, Noise,
    /// Yamux; the QUIC handshake). A connection that sends nothing is closed then, and its
    /// handshake slot freed.
    pub handshake_timeout: Duration,
    /// Yamux streams per connection; bounds the per-connection buffers a peer can make us hold.
    pub max_streams_per_connection: usize,
    /// Concurrent sync requests per connection, both directions together.
    pub max_concurrent_requests: usize,
    /// A connection with no open streams is closed after this long.
    pub idle_connection_timeout: Duration,
    /// Capacity of the event channel to the application. When it is full, inbound requests and
    /// gossip are dropped (gossip is reported `Ignore`) rather than stalling the network task.
    pub event_queue: usize,
    /// Gossip topics one peer may be subscribed to, as seen by us (threat 3).
    pub max_peer_topics: usize,
    /// Keys (circle ids) for which other peers' Kademlia provider records are kept; each key
    /// holds at most 20 of them. The node's own records have separate room (1,024 keys), so
    /// others can never crowd out what the node itself provides.
    pub max_provider_keys: usize,
    /// Provider records kept from one source (an IP address, or a peer on the memory
    /// transport), over all keys; and [`crate::PROVIDERS_PER_SOURCE_PER_KEY`] per key, so 20
    /// Sybils run on one machine cannot fill a circle's provider list (threat 31).
    pub max_provider_records_per_source: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            // What circle-core accepts (`sync::MAX_REQUEST_BYTES`): reading more is wasted.
            max_request_size: 32 * 1024,
            max_response_size: 8 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            max_gossip_size: 64 * 1024,
            gossip_heartbeat: Duration::from_secs(1),
            max_connections_per_peer: 2,
            max_connections: 128,
            max_pending_connections: 32,
            max_pending_per_ip: 4,
            handshake_timeout: Duration::from_secs(10),
            max_streams_per_connection: 64,
            max_concurrent_requests: 16,
            idle_connection_timeout: Duration::from_secs(60),
            event_queue: 1024,
            max_peer_topics: 256,
            max_provider_keys: 1024,
            max_provider_records_per_source: 256,
        }
    }
}
