//! What the network tells the node.

use libp2p::{gossipsub::MessageId, request_response::InboundRequestId, Multiaddr, PeerId};

/// Names an inbound request awaiting an answer through [`crate::Client::respond`].
///
/// An unanswered request is dropped (and the peer told so) when the request timeout runs out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ResponseChannelId(pub(crate) InboundRequestId);

/// Something that happened on the network. The node decides what it means.
///
/// When the node falls behind and the channel is full, events are dropped rather than stalling
/// the network: a flooding peer must not be able to stop honest traffic. A dropped
/// [`Event::InboundRequest`] fails at the requester; dropped [`Event::Gossip`] is neither
/// forwarded nor held against its sender; for connections, [`crate::Client::connected_peers`]
/// stays the source of truth. Each drop is logged at `warn` (without peer identities).
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// A peer asks something on the sync protocol; answer with [`crate::Client::respond`].
    InboundRequest {
        peer: PeerId,
        request: Vec<u8>,
        channel: ResponseChannelId,
    },
    /// A gossip message waiting for validation: call [`crate::Client::report_validation`] with
    /// `message_id` and `source`. It is forwarded only on `Accept`.
    Gossip {
        /// The peer that forwarded it to us (not necessarily its author, which is anonymous).
        source: PeerId,
        message_id: MessageId,
        topic: String,
        data: Vec<u8>,
    },
    /// A peer told us it subscribed to a topic.
    Subscribed { peer: PeerId, topic: String },
    /// First connection to this peer opened.
    PeerConnected(PeerId),
    /// Last connection to this peer closed.
    PeerDisconnected(PeerId),
    /// We listen on a new address.
    NewListenAddr(Multiaddr),
    /// mDNS saw a peer on the local network. The addresses end in `/p2p/<peer>`, so dialing one
    /// checks in the Noise handshake that it really is that peer (spoofed answers fail there).
    Discovered { peer: PeerId, addrs: Vec<Multiaddr> },
}
