//! The composed libp2p behaviour and the settings of each protocol in it.

use std::{iter, time::Duration};

use libp2p::{
    allow_block_list::{self, BlockedPeers},
    autonat, connection_limits, dcutr,
    gossipsub::{self, AllowAllSubscriptionFilter, IdentityTransform, MaxCountSubscriptionFilter},
    identify,
    identity::Keypair,
    kad, mdns, ping, relay, request_response,
    swarm::{behaviour::toggle::Toggle, NetworkBehaviour},
    PeerId, StreamProtocol,
};
use sha2::{Digest, Sha256};

use crate::{
    admission::PendingPerIp,
    codec::{SyncCodec, SYNC_PROTOCOL},
    config::{Limits, NetConfig},
    providers::ProviderStore,
    NetError,
};

/// Identify's protocol-version string: private, so circle nodes recognise each other.
const IDENTIFY_PROTOCOL: &str = "/circle-ledger/id/1.0.0";
/// Identify's agent string: says nothing about the software version or platform.
const AGENT_VERSION: &str = "circle";
/// Private Kademlia protocol: circle nodes form their own DHT, not a part of the public IPFS one.
const KAD_PROTOCOL: StreamProtocol = StreamProtocol::new("/circle-ledger/kad/1.0.0");
/// Private gossipsub protocol prefix (gossipsub appends `/1.1.0` and `/1.0.0`).
const GOSSIP_PROTOCOL_PREFIX: &str = "/circle-ledger/meshsub";
/// Room in a gossipsub frame for the protobuf envelope and topic around a payload of the maximum
/// size; the payload cap itself is checked on the data.
pub(crate) const GOSSIP_FRAME_SLACK: usize = 1024;

pub(crate) type Gossipsub =
    gossipsub::Behaviour<IdentityTransform, MaxCountSubscriptionFilter<AllowAllSubscriptionFilter>>;

/// Every protocol a circle node speaks. `cut_off` and `limits` come first so that a connection
/// from a cut-off peer or over the limits is refused before any other behaviour sets up state
/// for it.
#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    pub(crate) cut_off: allow_block_list::Behaviour<BlockedPeers>,
    pub(crate) limits: connection_limits::Behaviour,
    pub(crate) pending_per_ip: PendingPerIp,
    pub(crate) identify: identify::Behaviour,
    pub(crate) ping: ping::Behaviour,
    pub(crate) mdns: Toggle<mdns::tokio::Behaviour>,
    pub(crate) kad: kad::Behaviour<ProviderStore>,
    pub(crate) gossipsub: Gossipsub,
    pub(crate) sync: request_response::Behaviour<SyncCodec>,
    pub(crate) relay_client: relay::client::Behaviour,
    pub(crate) relay_server: Toggle<relay::Behaviour>,
    pub(crate) dcutr: dcutr::Behaviour,
    pub(crate) autonat: autonat::Behaviour,
}

/// mDNS asks the LAN again every 30 s instead of the default 5 minutes, so that a node
/// whose first queries were lost (a Pi whose link came up late, a busy Wi-Fi) still finds
/// its circle within a minute; the traffic is one small multicast packet per interval.
fn mdns_config() -> mdns::Config {
    mdns::Config {
        query_interval: Duration::from_secs(30),
        ..mdns::Config::default()
    }
}

impl Behaviour {
    pub(crate) fn new(
        key: &Keypair,
        relay_client: relay::client::Behaviour,
        cfg: &NetConfig,
    ) -> Result<Self, NetError> {
        let peer = key.public().to_peer_id();
        let limits = &cfg.limits;
        let mdns = if cfg.mdns {
            let mdns = mdns::tokio::Behaviour::new(mdns_config(), peer)
                .map_err(|e| NetError::Config(format!("mdns: {e}")))?;
            Some(mdns)
        } else {
            None
        };
        let relay_server = cfg
            .relay_server
            .then(|| relay::Behaviour::new(peer, relay::Config::default()));
        Ok(Self {
            cut_off: allow_block_list::Behaviour::default(),
            limits: connection_limits::Behaviour::new(connection_limits(limits)),
            pending_per_ip: PendingPerIp::new(limits.max_pending_per_ip),
            identify: identify::Behaviour::new(
                identify::Config::new(IDENTIFY_PROTOCOL.to_owned(), key.public())
                    .with_agent_version(AGENT_VERSION.to_owned())
                    .with_cache_size(64),
            ),
            ping: ping::Behaviour::new(ping::Config::new()),
            mdns: Toggle::from(mdns),
            kad: kademlia(peer, limits),
            gossipsub: gossipsub(limits)?,
            sync: request_response::Behaviour::with_codec(
                SyncCodec::new(limits.max_request_size, limits.max_response_size),
                iter::once((SYNC_PROTOCOL, request_response::ProtocolSupport::Full)),
                request_response::Config::default()
                    .with_request_timeout(limits.request_timeout)
                    .with_max_concurrent_streams(limits.max_concurrent_requests),
            ),
            relay_client,
            relay_server: Toggle::from(relay_server),
            dcutr: dcutr::Behaviour::new(peer),
            autonat: autonat::Behaviour::new(peer, autonat::Config::default()),
        })
    }
}

/// Whether a protocol list from identify says the peer is in our DHT.
pub(crate) fn speaks_kad(protocols: &[StreamProtocol]) -> bool {
    protocols.contains(&KAD_PROTOCOL)
}

fn connection_limits(limits: &Limits) -> connection_limits::ConnectionLimits {
    connection_limits::ConnectionLimits::default()
        .with_max_established_per_peer(Some(limits.max_connections_per_peer))
        .with_max_established(Some(limits.max_connections))
        .with_max_pending_incoming(Some(limits.max_pending_connections))
        .with_max_pending_outgoing(Some(limits.max_pending_connections))
}

fn kademlia(peer: PeerId, limits: &Limits) -> kad::Behaviour<ProviderStore> {
    let mut config = kad::Config::new(KAD_PROTOCOL);
    config
        // Inbound PUT_VALUE and ADD_PROVIDER arrive as events; the event loop stores provider
        // records only (threat 7) and drops every value record.
        .set_record_filtering(kad::StoreInserts::FilterBoth)
        // Caching would make peers push value records at us; we store none.
        .set_caching(kad::Caching::Disabled)
        .set_query_timeout(Duration::from_secs(30));
    let store = ProviderStore::new(
        peer,
        limits.max_provider_keys,
        limits.max_provider_records_per_source,
    );
    let mut kad = kad::Behaviour::with_config(peer, store, config);
    // Without confirmed external addresses libp2p would keep the node in client mode, and a
    // circle behind NAT (or a test over MemoryTransport) would never answer DHT queries.
    kad.set_mode(Some(kad::Mode::Server));
    kad
}

fn gossipsub(limits: &Limits) -> Result<Gossipsub, NetError> {
    let config = gossipsub::ConfigBuilder::default()
        .protocol_id_prefix(GOSSIP_PROTOCOL_PREFIX)
        // `Strict` demands signed messages naming their author's PeerId; circle payloads are
        // signed by the application instead, and must not reveal which node published them.
        // `Anonymous` is the strict check for that mode: messages with an author, sequence number
        // or signature are rejected.
        .validation_mode(gossipsub::ValidationMode::Anonymous)
        // Nothing is forwarded until the node has validated it (report_validation).
        .validate_messages()
        // Content-derived ids: the same announcement sent twice, by anyone, is one message
        // (replays are deduplicated instead of re-forwarded). The topic is part of the id:
        // otherwise an alert's bytes sent first on another topic, and rejected there, would
        // make the real alert a "duplicate" that is dropped (threat 29).
        .message_id_fn(message_id)
        .max_transmit_size(limits.max_gossip_size + GOSSIP_FRAME_SLACK)
        .heartbeat_interval(limits.gossip_heartbeat)
        .heartbeat_initial_delay(limits.gossip_heartbeat)
        .duplicate_cache_time(Duration::from_secs(120))
        // Bounded per-peer work: queued messages per connection, IHAVE/IWANT per heartbeat.
        .connection_handler_queue_len(256)
        .max_ihave_messages_heartbeat(10)
        .max_publish_messages(256)
        .max_control_messages_sent(256)
        .gossip_retransimission(3)
        .build()
        .map_err(|e| NetError::Config(format!("gossipsub: {e}")))?;
    let filter = MaxCountSubscriptionFilter {
        filter: AllowAllSubscriptionFilter {},
        max_subscribed_topics: limits.max_peer_topics,
        max_subscriptions_per_request: limits.max_peer_topics,
    };
    let mut gossipsub = gossipsub::Behaviour::new_with_subscription_filter(
        gossipsub::MessageAuthenticity::Anonymous,
        config,
        filter,
    )
    .map_err(|e| NetError::Config(format!("gossipsub: {e}")))?;
    gossipsub
        .with_peer_score(
            peer_score_params(),
            gossipsub::PeerScoreThresholds::default(),
        )
        .map_err(|e| NetError::Config(format!("gossipsub scoring: {e}")))?;
    Ok(gossipsub)
}

/// SHA-256 over the topic's length, the topic, and the data.
pub(crate) fn message_id(message: &gossipsub::Message) -> gossipsub::MessageId {
    let topic = message.topic.as_str().as_bytes();
    let mut h = Sha256::new();
    h.update((topic.len() as u64).to_be_bytes());
    h.update(topic);
    h.update(&message.data);
    gossipsub::MessageId::new(&h.finalize())
}

fn peer_score_params() -> gossipsub::PeerScoreParams {
    gossipsub::PeerScoreParams {
        // Topics are added as the node subscribes (`topic_score_params`); scoring only counts
        // registered topics.
        ..Default::default()
    }
}

/// Score parameters registered for every topic the node subscribes to. Circle topics are quiet:
/// a few announcements an hour. So no penalty for delivering little (P3 and P3b off), small
/// credit for time in the mesh and first deliveries, and a heavy, slowly forgotten penalty for
/// each message the application rejects.
pub(crate) fn topic_score_params() -> gossipsub::TopicScoreParams {
    gossipsub::TopicScoreParams {
        topic_weight: 1.0,
        // P1: at most +1 for staying in the mesh.
        time_in_mesh_weight: 0.01,
        time_in_mesh_quantum: Duration::from_secs(1),
        time_in_mesh_cap: 100.0,
        // P2: at most +10 for being first with valid messages.
        first_message_deliveries_weight: 0.5,
        first_message_deliveries_decay: gossipsub::score_parameter_decay(Duration::from_secs(3600)),
        first_message_deliveries_cap: 20.0,
        // P3, P3b: off, silence is normal here.
        mesh_message_deliveries_weight: 0.0,
        mesh_failure_penalty_weight: 0.0,
        // P4: -10 x (rejected count)^2, forgotten over about ten minutes.
        invalid_message_deliveries_weight: -10.0,
        invalid_message_deliveries_decay: gossipsub::score_parameter_decay(Duration::from_secs(
            600,
        )),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_parameters_are_valid() {
        peer_score_params().validate().unwrap();
        topic_score_params().validate().unwrap();
    }

    #[test]
    fn one_rejection_outweighs_all_credit() {
        let p = topic_score_params();
        let max_credit = p.time_in_mesh_weight * p.time_in_mesh_cap
            + p.first_message_deliveries_weight * p.first_message_deliveries_cap;
        assert!(max_credit + p.invalid_message_deliveries_weight * 4.0 < 0.0);
        assert!(
            p.time_in_mesh_weight * p.time_in_mesh_cap + p.invalid_message_deliveries_weight < 0.0
        );
    }

    #[test]
    fn behaviour_builds_with_and_without_relay_server() {
        for relay_server in [false, true] {
            let key = Keypair::generate_ed25519();
            let mut cfg = NetConfig::new(key.clone(), crate::Transport::Memory);
            cfg.relay_server = relay_server;
            let (_, relay) = relay::client::new(key.public().to_peer_id());
            let behaviour = Behaviour::new(&key, relay, &cfg).unwrap();
            assert_eq!(behaviour.relay_server.is_enabled(), relay_server);
            assert!(!behaviour.mdns.is_enabled());
        }
    }
}
