//! The one task that owns the Swarm: it turns [`Command`]s into swarm calls and swarm events into
//! [`Event`]s and replies.

use std::{
    collections::{HashMap, HashSet},
    fmt,
    future::Future,
    ops::ControlFlow,
    time::{Duration, Instant},
};

use futures::StreamExt;
use libp2p::{
    allow_block_list::Blocked,
    gossipsub::{self, IdentTopic, MessageAcceptance, MessageId},
    identify,
    kad::{self, QueryId, RecordKey},
    mdns,
    multiaddr::Protocol,
    request_response::{self, InboundRequestId, OutboundRequestId, ResponseChannel},
    swarm::{
        dial_opts::{DialOpts, PeerCondition},
        ConnectionId, DialError, SwarmEvent,
    },
    Multiaddr, PeerId, Swarm,
};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, trace, warn};

use crate::{
    admission::Source,
    behaviour::{speaks_kad, topic_score_params, Behaviour, BehaviourEvent},
    client::{Acceptance, Command},
    config::Limits,
    cut_off::CutOffs,
    event::{Event, ResponseChannelId},
    NetError,
};

type Reply<T> = oneshot::Sender<Result<T, NetError>>;

/// Drives the network. Spawn [`EventLoop::run`] on a Tokio runtime; it returns when the shutdown
/// future completes, [`crate::Client::shutdown`] is called, or every `Client` is dropped.
pub struct EventLoop {
    swarm: Swarm<Behaviour>,
    commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<Event>,
    limits: Limits,
    pending_dial: HashMap<ConnectionId, Reply<PeerId>>,
    pending_request: HashMap<OutboundRequestId, Reply<Vec<u8>>>,
    /// Inbound requests the node has not answered yet. Bounded in time: the request timeout ends
    /// each one with an `InboundFailure`, which removes it.
    pending_response: HashMap<InboundRequestId, ResponseChannel<Vec<u8>>>,
    pending_providing: HashMap<QueryId, Reply<()>>,
    pending_providers: HashMap<QueryId, (HashSet<PeerId>, Reply<Vec<PeerId>>)>,
    /// Events dropped because the node fell behind; logged, so overload is visible.
    dropped_events: u64,
    /// When the last drop warning was written: at most one a minute (an SD card must not
    /// fill with one line per dropped message).
    last_drop_warning: Option<Instant>,
    /// Where each connected peer's latest connection comes from, for per-source DHT limits.
    /// Bounded by the connection limits.
    sources: HashMap<PeerId, Source>,
    /// Peers refused for a while (see [`crate::Client::cut_off`]), and until when.
    cut_offs: CutOffs,
}

/// Least time between two warnings about dropped events.
const DROP_WARNING_EVERY: Duration = Duration::from_secs(60);

impl fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventLoop")
            .field("local_peer_id", self.swarm.local_peer_id())
            .field("pending_dial", &self.pending_dial.len())
            .field("pending_request", &self.pending_request.len())
            .field("pending_response", &self.pending_response.len())
            .field("dropped_events", &self.dropped_events)
            .finish_non_exhaustive()
    }
}

impl EventLoop {
    pub(crate) fn new(
        swarm: Swarm<Behaviour>,
        commands: mpsc::Receiver<Command>,
        events: mpsc::Sender<Event>,
        limits: Limits,
    ) -> Self {
        Self {
            swarm,
            commands,
            events,
            limits,
            pending_dial: HashMap::new(),
            pending_request: HashMap::new(),
            pending_response: HashMap::new(),
            pending_providing: HashMap::new(),
            pending_providers: HashMap::new(),
            dropped_events: 0,
            last_drop_warning: None,
            sources: HashMap::new(),
            cut_offs: CutOffs::default(),
        }
    }

    /// Runs until `shutdown` completes, a `Client` asks to stop, or all clients are gone. Replies
    /// still pending are dropped, so their callers get [`NetError::Shutdown`].
    pub async fn run<F: Future>(mut self, shutdown: F) {
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.handle_swarm_event(event),
                command = self.commands.recv() => match command {
                    Some(command) => {
                        if self.handle_command(command).is_break() {
                            break;
                        }
                    }
                    None => break,
                },
                _ = &mut shutdown => break,
            }
        }
        debug!("network event loop stopped");
    }

    /// Carries out one command; `Break` means stop the loop.
    fn handle_command(&mut self, command: Command) -> ControlFlow<()> {
        self.lift_ended_cut_offs();
        match command {
            Command::ListenOn { addr, reply } => {
                let result = self
                    .swarm
                    .listen_on(addr)
                    .map(|_| ())
                    .map_err(|e| NetError::Listen(e.to_string()));
                let _ = reply.send(result);
            }
            Command::ListenAddrs { reply } => {
                let _ = reply.send(Ok(self.swarm.listeners().cloned().collect()));
            }
            Command::Dial { addr, reply } => self.handle_dial(addr, reply),
            Command::AddPeerAddress { peer, addr, reply } => {
                self.add_address(peer, addr);
                let _ = reply.send(Ok(()));
            }
            Command::Disconnect { peer, reply } => {
                let _ = reply.send(Ok(self.swarm.disconnect_peer_id(peer).is_ok()));
            }
            Command::CutOff {
                peer,
                duration,
                reply,
            } => {
                self.cut_off(peer, duration);
                let _ = reply.send(Ok(()));
            }
            Command::ConnectedPeers { reply } => {
                let _ = reply.send(Ok(self.swarm.connected_peers().copied().collect()));
            }
            Command::Request {
                peer,
                request,
                reply,
            } => self.handle_request(peer, request, reply),
            Command::Respond {
                channel,
                response,
                reply,
            } => {
                let _ = reply.send(self.handle_respond(channel, response));
            }
            Command::Subscribe { topic, reply } => {
                let _ = reply.send(self.handle_subscribe(&topic));
            }
            Command::Unsubscribe { topic, reply } => {
                let topic = IdentTopic::new(topic);
                let _ = reply.send(Ok(self.swarm.behaviour_mut().gossipsub.unsubscribe(&topic)));
            }
            Command::Publish { topic, data, reply } => {
                let _ = reply.send(self.handle_publish(topic, data));
            }
            Command::ReportValidation {
                message_id,
                source,
                acceptance,
                reply,
            } => {
                let found = self.report(&message_id, &source, acceptance);
                let _ = reply.send(Ok(found));
            }
            Command::PeerScore { peer, reply } => {
                let _ = reply.send(Ok(self.swarm.behaviour().gossipsub.peer_score(&peer)));
            }
            Command::StartProviding { key, reply } => {
                let kad = &mut self.swarm.behaviour_mut().kad;
                match kad.start_providing(RecordKey::new(&key)) {
                    Ok(id) => {
                        self.pending_providing.insert(id, reply);
                    }
                    Err(e) => {
                        let _ = reply.send(Err(NetError::Dht(e.to_string())));
                    }
                }
            }
            Command::Providers { key, reply } => {
                let id = self
                    .swarm
                    .behaviour_mut()
                    .kad
                    .get_providers(RecordKey::new(&key));
                self.pending_providers.insert(id, (HashSet::new(), reply));
            }
            Command::Shutdown { reply } => {
                let _ = reply.send(Ok(()));
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    }

    fn handle_dial(&mut self, addr: Multiaddr, reply: Reply<PeerId>) {
        let opts = dial_opts(addr);
        let id = opts.connection_id();
        match self.swarm.dial(opts) {
            Ok(()) => {
                self.pending_dial.insert(id, reply);
            }
            Err(e) => {
                let _ = reply.send(Err(NetError::Dial(describe_dial_error(&e))));
            }
        }
    }

    fn handle_request(&mut self, peer: PeerId, request: Vec<u8>, reply: Reply<Vec<u8>>) {
        let cap = self.limits.max_request_size;
        if request.len() > cap {
            let _ = reply.send(Err(NetError::TooLarge {
                what: "request",
                size: request.len(),
                cap,
            }));
            return;
        }
        let id = self.swarm.behaviour_mut().sync.send_request(&peer, request);
        self.pending_request.insert(id, reply);
    }

    fn handle_respond(
        &mut self,
        channel: ResponseChannelId,
        response: Vec<u8>,
    ) -> Result<(), NetError> {
        let cap = self.limits.max_response_size;
        if response.len() > cap {
            return Err(NetError::TooLarge {
                what: "response",
                size: response.len(),
                cap,
            });
        }
        let channel = self
            .pending_response
            .remove(&channel.0)
            .ok_or(NetError::UnknownRequest)?;
        self.swarm
            .behaviour_mut()
            .sync
            .send_response(channel, response)
            .map_err(|_| NetError::Request("connection closed before the response".into()))
    }

    fn handle_subscribe(&mut self, topic: &str) -> Result<bool, NetError> {
        let topic = IdentTopic::new(topic);
        let gossipsub = &mut self.swarm.behaviour_mut().gossipsub;
        // Register scoring first: a topic without parameters counts for nothing in a peer's
        // score, so rejected messages on it would cost the sender nothing.
        gossipsub
            .set_topic_params(topic.clone(), topic_score_params())
            .map_err(|e| NetError::Gossip(e.to_owned()))?;
        gossipsub
            .subscribe(&topic)
            .map_err(|e| NetError::Gossip(e.to_string()))
    }

    fn handle_publish(&mut self, topic: String, data: Vec<u8>) -> Result<MessageId, NetError> {
        let cap = self.limits.max_gossip_size;
        if data.len() > cap {
            return Err(NetError::TooLarge {
                what: "gossip message",
                size: data.len(),
                cap,
            });
        }
        self.swarm
            .behaviour_mut()
            .gossipsub
            .publish(IdentTopic::new(topic), data)
            .map_err(|e| match e {
                gossipsub::PublishError::NoPeersSubscribedToTopic => NetError::NoPeers,
                e => NetError::Gossip(e.to_string()),
            })
    }

    fn report(&mut self, id: &MessageId, source: &PeerId, acceptance: Acceptance) -> bool {
        let acceptance = match acceptance {
            Acceptance::Accept => MessageAcceptance::Accept,
            Acceptance::Reject => MessageAcceptance::Reject,
            Acceptance::Ignore => MessageAcceptance::Ignore,
        };
        self.swarm
            .behaviour_mut()
            .gossipsub
            .report_message_validation_result(id, source, acceptance)
    }

    fn add_address(&mut self, peer: PeerId, addr: Multiaddr) {
        self.swarm.add_peer_address(peer, addr.clone());
        self.swarm.behaviour_mut().kad.add_address(&peer, addr);
    }

    fn handle_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        // An incoming connection is an event before its handshake ends, so a peer whose time
        // is up is unblocked before the block list judges its established connection.
        self.lift_ended_cut_offs();
        match event {
            SwarmEvent::Behaviour(BehaviourEvent::Sync(e)) => self.handle_sync(e),
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(e)) => self.handle_gossip(e),
            SwarmEvent::Behaviour(BehaviourEvent::Kad(e)) => self.handle_kad(e),
            SwarmEvent::Behaviour(BehaviourEvent::Identify(e)) => self.handle_identify(e),
            SwarmEvent::Behaviour(BehaviourEvent::Mdns(e)) => self.handle_mdns(e),
            SwarmEvent::Behaviour(other) => trace!(?other, "behaviour event"),
            SwarmEvent::ConnectionEstablished {
                peer_id,
                connection_id,
                num_established,
                endpoint,
                ..
            } => {
                self.sources
                    .insert(peer_id, Source::of(endpoint.get_remote_address()));
                if let Some(reply) = self.pending_dial.remove(&connection_id) {
                    let _ = reply.send(Ok(peer_id));
                }
                if num_established.get() == 1 {
                    self.emit(Event::PeerConnected(peer_id));
                }
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                self.sources.remove(&peer_id);
                self.emit(Event::PeerDisconnected(peer_id));
            }
            SwarmEvent::OutgoingConnectionError {
                connection_id,
                error,
                ..
            } => {
                debug!(%error, "outgoing connection failed");
                if let Some(reply) = self.pending_dial.remove(&connection_id) {
                    let _ = reply.send(Err(NetError::Dial(describe_dial_error(&error))));
                }
            }
            SwarmEvent::IncomingConnectionError { error, .. } => {
                debug!(%error, "incoming connection refused or failed");
            }
            SwarmEvent::NewListenAddr { address, .. } => {
                self.emit(Event::NewListenAddr(address));
            }
            // A listener that fails after binding (its socket errored) must not vanish
            // silently: the node would look reachable where it is not.
            SwarmEvent::ListenerClosed {
                addresses,
                reason: Err(error),
                ..
            } => {
                warn!(%error, ?addresses, "a listener stopped");
            }
            SwarmEvent::ListenerError { error, .. } => {
                warn!(%error, "a listener failed");
            }
            other => trace!(?other, "swarm event"),
        }
    }

    fn handle_sync(&mut self, event: request_response::Event<Vec<u8>, Vec<u8>>) {
        match event {
            request_response::Event::Message { peer, message, .. } => match message {
                request_response::Message::Request {
                    request_id,
                    request,
                    channel,
                } => {
                    self.pending_response.insert(request_id, channel);
                    let sent = self.emit(Event::InboundRequest {
                        peer,
                        request,
                        channel: ResponseChannelId(request_id),
                    });
                    if !sent {
                        // Dropping the channel tells the peer it will get no answer.
                        self.pending_response.remove(&request_id);
                    }
                }
                request_response::Message::Response {
                    request_id,
                    response,
                } => {
                    if let Some(reply) = self.pending_request.remove(&request_id) {
                        let _ = reply.send(Ok(response));
                    }
                }
            },
            request_response::Event::OutboundFailure {
                request_id, error, ..
            } => {
                if let Some(reply) = self.pending_request.remove(&request_id) {
                    let _ = reply.send(Err(NetError::Request(error.to_string())));
                }
            }
            request_response::Event::InboundFailure {
                request_id, error, ..
            } => {
                debug!(%error, "inbound sync request failed");
                self.pending_response.remove(&request_id);
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    fn handle_gossip(&mut self, event: gossipsub::Event) {
        match event {
            gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            } => {
                if message.data.len() > self.limits.max_gossip_size {
                    // Oversize is invalid, not merely unwanted: the sender is penalised.
                    debug!(size = message.data.len(), "rejecting oversize gossip");
                    self.report(&message_id, &propagation_source, Acceptance::Reject);
                    return;
                }
                self.emit(Event::Gossip {
                    source: propagation_source,
                    message_id,
                    topic: message.topic.into_string(),
                    data: message.data,
                });
            }
            gossipsub::Event::Subscribed { peer_id, topic } => {
                self.emit(Event::Subscribed {
                    peer: peer_id,
                    topic: topic.into_string(),
                });
            }
            other => trace!(?other, "gossipsub event"),
        }
    }

    fn handle_kad(&mut self, event: kad::Event) {
        match event {
            kad::Event::InboundRequest {
                request:
                    kad::InboundRequest::AddProvider {
                        record: Some(record),
                    },
            } => {
                // libp2p has checked that the record names the peer that sent it, so the
                // provider is connected and its connection says where it came from.
                let source = self
                    .sources
                    .get(&record.provider)
                    .cloned()
                    .unwrap_or_else(|| Source::Addr(Multiaddr::empty()));
                let kad = &mut self.swarm.behaviour_mut().kad;
                if let Err(why) = kad.store_mut().add_foreign(record, source) {
                    debug!(?why, "provider record not stored");
                }
            }
            kad::Event::InboundRequest {
                request: kad::InboundRequest::PutRecord { .. },
            } => {
                // Circles publish no value records; whatever a peer pushes is dropped (threat 7).
                debug!("dropping an inbound DHT value record");
            }
            kad::Event::OutboundQueryProgressed {
                id, result, step, ..
            } => self.handle_query(id, result, step.last),
            other => trace!(?other, "kademlia event"),
        }
    }

    fn handle_query(&mut self, id: QueryId, result: kad::QueryResult, last: bool) {
        match result {
            kad::QueryResult::StartProviding(result) => {
                if let Some(reply) = self.pending_providing.remove(&id) {
                    let _ =
                        reply.send(result.map(|_| ()).map_err(|e| NetError::Dht(e.to_string())));
                }
            }
            kad::QueryResult::GetProviders(result) => {
                let Some((found, _)) = self.pending_providers.get_mut(&id) else {
                    return;
                };
                let error = match result {
                    Ok(kad::GetProvidersOk::FoundProviders { providers, .. }) => {
                        found.extend(providers);
                        None
                    }
                    Ok(kad::GetProvidersOk::FinishedWithNoAdditionalRecord { .. }) => None,
                    Err(e) => Some(e),
                };
                if last || error.is_some() {
                    if let Some((found, reply)) = self.pending_providers.remove(&id) {
                        let result = match error {
                            Some(e) if found.is_empty() => Err(NetError::Dht(e.to_string())),
                            _ => Ok(found.into_iter().collect()),
                        };
                        let _ = reply.send(result);
                    }
                }
            }
            other => trace!(?other, "kademlia query result"),
        }
    }

    fn handle_identify(&mut self, event: identify::Event) {
        if let identify::Event::Received { peer_id, info, .. } = event {
            // Only peers in our private DHT go into the routing table, with the addresses they
            // say they listen on.
            if speaks_kad(&info.protocols) {
                let kad = &mut self.swarm.behaviour_mut().kad;
                for addr in info.listen_addrs {
                    kad.add_address(&peer_id, addr);
                }
            }
        }
    }

    fn handle_mdns(&mut self, event: mdns::Event) {
        if let mdns::Event::Discovered(found) = event {
            let mut by_peer: HashMap<PeerId, Vec<Multiaddr>> = HashMap::new();
            for (peer, addr) in found {
                by_peer.entry(peer).or_default().push(with_peer(addr, peer));
            }
            for (peer, addrs) in by_peer {
                self.emit(Event::Discovered { peer, addrs });
            }
        }
    }

    /// Hands an event to the node without ever waiting: a full channel drops the event (see
    /// [`Event`]). Returns whether it was delivered.
    /// Blocks `peer` (its connections close now) until `duration` from now.
    fn cut_off(&mut self, peer: PeerId, duration: Duration) {
        let behaviour = self.swarm.behaviour_mut();
        behaviour.cut_off.block_peer(peer);
        if let Some(lifted) = self.cut_offs.add(peer, Instant::now() + duration) {
            behaviour.cut_off.unblock_peer(lifted);
        }
        debug!(%peer, ?duration, "peer cut off");
    }

    fn lift_ended_cut_offs(&mut self) {
        for peer in self.cut_offs.expired(Instant::now()) {
            self.swarm.behaviour_mut().cut_off.unblock_peer(peer);
        }
    }

    fn emit(&mut self, event: Event) -> bool {
        let event = match self.events.try_send(event) {
            Ok(()) => return true,
            Err(mpsc::error::TrySendError::Full(event)) => {
                self.dropped_events += 1;
                let now = Instant::now();
                let due = self
                    .last_drop_warning
                    .is_none_or(|t| now.duration_since(t) >= DROP_WARNING_EVERY);
                if due {
                    self.last_drop_warning = Some(now);
                    warn!(
                        dropped = self.dropped_events,
                        "node is behind; dropping network events (counted since start)"
                    );
                }
                event
            }
            // Nobody listens any more; nothing to do but drop it.
            Err(mpsc::error::TrySendError::Closed(event)) => event,
        };
        if let Event::Gossip {
            source, message_id, ..
        } = event
        {
            // Unvalidated, so neither forwarded nor held against the sender.
            self.report(&message_id, &source, Acceptance::Ignore);
        }
        false
    }
}

/// Dial options for an address; an address ending in `/p2p/<PeerId>` is dialed as that peer, so
/// the Noise handshake must prove the remote holds that key.
pub(crate) fn dial_opts(mut addr: Multiaddr) -> DialOpts {
    match addr.iter().last() {
        Some(Protocol::P2p(peer)) => {
            addr.pop();
            DialOpts::peer_id(peer)
                .addresses(vec![addr])
                .condition(PeerCondition::Always)
                .build()
        }
        _ => DialOpts::unknown_peer_id().address(addr).build(),
    }
}

/// libp2p prints a refusal by a behaviour (e.g. the connection limits) as a bare "Dial error";
/// say why instead.
fn describe_dial_error(error: &DialError) -> String {
    match error {
        DialError::Denied { cause } if cause.downcast_ref::<Blocked>().is_some() => {
            "refused: that peer served invalid content and is cut off for a while".to_owned()
        }
        DialError::Denied { cause } => match std::error::Error::source(cause) {
            Some(why) => format!("refused: {why}"),
            None => format!("refused: {cause}"),
        },
        other => other.to_string(),
    }
}

/// `addr` ending in `/p2p/<peer>`.
fn with_peer(mut addr: Multiaddr, peer: PeerId) -> Multiaddr {
    if !matches!(addr.iter().last(), Some(Protocol::P2p(_))) {
        addr.push(Protocol::P2p(peer));
    }
    addr
}
