//! The cloneable handle through which the node drives its network.

use libp2p::{gossipsub::MessageId, Multiaddr, PeerId};
use tokio::sync::{mpsc, oneshot};

use crate::{event::ResponseChannelId, NetError};

/// The node's verdict on a gossip message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Acceptance {
    /// Valid: forward it to the mesh.
    Accept,
    /// Invalid (bad signature, wrong circle, oversize...): drop it and penalise the peer that
    /// sent it.
    Reject,
    /// Not wanted but not malicious (e.g. a circle we do not follow): drop it, no penalty.
    Ignore,
}

/// A handle to the network task. Cheap to clone; every method waits for the task's answer and
/// fails with [`NetError::Shutdown`] once the task has stopped.
#[derive(Clone, Debug)]
pub struct Client {
    tx: mpsc::Sender<Command>,
}

type Reply<T> = oneshot::Sender<Result<T, NetError>>;

/// Messages from [`Client`] to the event loop; each carries the sender for its answer.
#[derive(Debug)]
pub(crate) enum Command {
    ListenOn {
        addr: Multiaddr,
        reply: Reply<()>,
    },
    ListenAddrs {
        reply: Reply<Vec<Multiaddr>>,
    },
    Dial {
        addr: Multiaddr,
        reply: Reply<PeerId>,
    },
    AddPeerAddress {
        peer: PeerId,
        addr: Multiaddr,
        reply: Reply<()>,
    },
    Disconnect {
        peer: PeerId,
        reply: Reply<bool>,
    },
    CutOff {
        peer: PeerId,
        duration: std::time::Duration,
        reply: Reply<()>,
    },
    ConnectedPeers {
        reply: Reply<Vec<PeerId>>,
    },
    Request {
        peer: PeerId,
        request: Vec<u8>,
        reply: Reply<Vec<u8>>,
    },
    Respond {
        channel: ResponseChannelId,
        response: Vec<u8>,
        reply: Reply<()>,
    },
    Subscribe {
        topic: String,
        reply: Reply<bool>,
    },
    Unsubscribe {
        topic: String,
        reply: Reply<bool>,
    },
    Publish {
        topic: String,
        data: Vec<u8>,
        reply: Reply<MessageId>,
    },
    ReportValidation {
        message_id: MessageId,
        source: PeerId,
        acceptance: Acceptance,
        reply: Reply<bool>,
    },
    PeerScore {
        peer: PeerId,
        reply: Reply<Option<f64>>,
    },
    StartProviding {
        key: Vec<u8>,
        reply: Reply<()>,
    },
    Providers {
        key: Vec<u8>,
        reply: Reply<Vec<PeerId>>,
    },
    Shutdown {
        reply: Reply<()>,
    },
}

impl Client {
    pub(crate) fn new(tx: mpsc::Sender<Command>) -> Self {
        Self { tx }
    }

    /// Sends a command built around a fresh reply channel and waits for the answer.
    async fn call<T>(&self, command: impl FnOnce(Reply<T>) -> Command) -> Result<T, NetError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(command(reply))
            .await
            .map_err(|_| NetError::Shutdown)?;
        rx.await.map_err(|_| NetError::Shutdown)?
    }

    /// Starts listening on one more address (e.g. a relayed `/p2p-circuit` one).
    pub async fn listen_on(&self, addr: Multiaddr) -> Result<(), NetError> {
        self.call(|reply| Command::ListenOn { addr, reply }).await
    }

    /// The addresses we listen on now. A listener on port 0 shows its real port only after its
    /// [`crate::Event::NewListenAddr`].
    pub async fn listen_addrs(&self) -> Result<Vec<Multiaddr>, NetError> {
        self.call(|reply| Command::ListenAddrs { reply }).await
    }

    /// Dials an address and waits until the connection is up; returns whom we reached. End the
    /// address with `/p2p/<PeerId>` to have the handshake check that it is the expected peer.
    pub async fn dial(&self, addr: Multiaddr) -> Result<PeerId, NetError> {
        self.call(|reply| Command::Dial { addr, reply }).await
    }

    /// Remembers an address for a peer, for requests and DHT lookups that need to dial it.
    pub async fn add_peer_address(&self, peer: PeerId, addr: Multiaddr) -> Result<(), NetError> {
        self.call(|reply| Command::AddPeerAddress { peer, addr, reply })
            .await
    }

    /// Closes every connection to a peer; false if there was none.
    pub async fn disconnect(&self, peer: PeerId) -> Result<bool, NetError> {
        self.call(|reply| Command::Disconnect { peer, reply }).await
    }

    /// Disconnects a peer and refuses every connection to or from it for `duration`: it served
    /// invalid content, and neither our redial nor its own must bring it straight back.
    pub async fn cut_off(
        &self,
        peer: PeerId,
        duration: std::time::Duration,
    ) -> Result<(), NetError> {
        self.call(|reply| Command::CutOff {
            peer,
            duration,
            reply,
        })
        .await
    }

    /// Peers we have at least one connection to.
    pub async fn connected_peers(&self) -> Result<Vec<PeerId>, NetError> {
        self.call(|reply| Command::ConnectedPeers { reply }).await
    }

    /// Sends a sync request and waits for the response (or the request timeout).
    pub async fn request(&self, peer: PeerId, request: Vec<u8>) -> Result<Vec<u8>, NetError> {
        self.call(|reply| Command::Request {
            peer,
            request,
            reply,
        })
        .await
    }

    /// Answers an [`crate::Event::InboundRequest`].
    pub async fn respond(
        &self,
        channel: ResponseChannelId,
        response: Vec<u8>,
    ) -> Result<(), NetError> {
        self.call(|reply| Command::Respond {
            channel,
            response,
            reply,
        })
        .await
    }

    /// Joins a gossip topic and registers its score parameters. Returns false if already
    /// subscribed.
    pub async fn subscribe(&self, topic: &str) -> Result<bool, NetError> {
        let topic = topic.to_owned();
        self.call(|reply| Command::Subscribe { topic, reply }).await
    }

    /// Leaves a gossip topic. Returns false if not subscribed.
    pub async fn unsubscribe(&self, topic: &str) -> Result<bool, NetError> {
        let topic = topic.to_owned();
        self.call(|reply| Command::Unsubscribe { topic, reply })
            .await
    }

    /// Publishes a gossip message; its id is the SHA-256 of `data`. Publishing the same data
    /// twice fails as a duplicate.
    pub async fn publish(&self, topic: &str, data: Vec<u8>) -> Result<MessageId, NetError> {
        let topic = topic.to_owned();
        self.call(|reply| Command::Publish { topic, data, reply })
            .await
    }

    /// Reports the node's verdict on an [`crate::Event::Gossip`]. Returns false if the message
    /// was no longer cached (reported twice, or too late).
    pub async fn report_validation(
        &self,
        message_id: MessageId,
        source: PeerId,
        acceptance: Acceptance,
    ) -> Result<bool, NetError> {
        self.call(|reply| Command::ReportValidation {
            message_id,
            source,
            acceptance,
            reply,
        })
        .await
    }

    /// A peer's gossipsub score as this node sees it (None if scoring is off).
    pub async fn peer_score(&self, peer: PeerId) -> Result<Option<f64>, NetError> {
        self.call(|reply| Command::PeerScore { peer, reply }).await
    }

    /// Announces in the DHT that this node serves `key` (e.g. a circle id), and waits until the
    /// announcement reached the closest peers.
    pub async fn start_providing(&self, key: Vec<u8>) -> Result<(), NetError> {
        self.call(|reply| Command::StartProviding { key, reply })
            .await
    }

    /// Looks up in the DHT which peers serve `key`.
    pub async fn providers(&self, key: Vec<u8>) -> Result<Vec<PeerId>, NetError> {
        self.call(|reply| Command::Providers { key, reply }).await
    }

    /// Stops the network task. Later calls on any clone fail with [`NetError::Shutdown`].
    pub async fn shutdown(&self) -> Result<(), NetError> {
        self.call(|reply| Command::Shutdown { reply }).await
    }
}
