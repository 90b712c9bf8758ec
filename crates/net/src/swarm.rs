//! Builds the Swarm: a transport stack (TCP + QUIC, or in-memory), the relay client on top, and
//! the behaviour.

use libp2p::{
    core::{transport::MemoryTransport, upgrade, Transport as _},
    noise, quic, tcp, yamux, Swarm, SwarmBuilder,
};

use crate::{
    behaviour::Behaviour,
    config::{Limits, NetConfig, Transport},
    NetError,
};

/// QUIC flow-control windows: enough for steady sync traffic, small enough that a peer cannot
/// make us buffer much (the 15 MB quinn default is sized for servers).
const QUIC_STREAM_WINDOW: u32 = 1024 * 1024;
const QUIC_CONNECTION_WINDOW: u32 = 4 * 1024 * 1024;

pub(crate) fn build(cfg: &NetConfig) -> Result<Swarm<Behaviour>, NetError> {
    let limits = cfg.limits.clone();
    let streams = limits.max_streams_per_connection;
    // yamux 0.48 exposes only the stream count; with fewer streams the per-connection buffers a
    // peer can make us fill shrink with it.
    let mux = move || {
        let mut config = yamux::Config::default();
        config.set_max_num_streams(streams);
        config
    };
    let builder = SwarmBuilder::with_existing_identity(cfg.keypair.clone()).with_tokio();
    let err = |e: noise::Error| NetError::Config(format!("noise: {e}"));
    let swarm_config = |c: libp2p::swarm::Config| swarm_config(c, &limits);
    // libp2p's own TCP builder sets no upgrade timeout: a socket that never says a word holds
    // its handshake slot for as long as it stays open (threat 30). Every transport here ends
    // its upgrade within `handshake_timeout`.
    let handshake = limits.handshake_timeout;
    let swarm = match cfg.transport {
        Transport::Tcp => builder
            .with_quic_config(|mut c: quic::Config| {
                c.max_concurrent_stream_limit = u32::try_from(streams).unwrap_or(u32::MAX);
                c.max_stream_data = QUIC_STREAM_WINDOW;
                c.max_connection_data = QUIC_CONNECTION_WINDOW;
                c.handshake_timeout = handshake;
                c
            })
            .with_other_transport(|key| {
                Ok::<_, BoxError>(
                    tcp::tokio::Transport::new(tcp::Config::default().nodelay(true))
                        .upgrade(upgrade::Version::V1Lazy)
                        .authenticate(noise::Config::new(key)?)
                        .multiplex(mux())
                        .timeout(handshake),
                )
            })
            .map_err(|e| NetError::Config(format!("tcp transport: {e}")))?
            .with_relay_client(noise::Config::new, mux)
            .map_err(err)?
            .with_behaviour(|key, relay| behaviour(key, relay, cfg))
            .map_err(|e| NetError::Config(e.to_string()))?
            .with_swarm_config(swarm_config)
            .build(),
        Transport::Memory => builder
            .with_other_transport(|key| {
                Ok::<_, BoxError>(
                    MemoryTransport::default()
                        .upgrade(upgrade::Version::V1)
                        .authenticate(noise::Config::new(key)?)
                        .multiplex(mux())
                        .timeout(handshake),
                )
            })
            .map_err(|e| NetError::Config(format!("memory transport: {e}")))?
            .with_relay_client(noise::Config::new, mux)
            .map_err(err)?
            .with_behaviour(|key, relay| behaviour(key, relay, cfg))
            .map_err(|e| NetError::Config(e.to_string()))?
            .with_swarm_config(swarm_config)
            .build(),
    };
    Ok(swarm)
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn behaviour(
    key: &libp2p::identity::Keypair,
    relay: libp2p::relay::client::Behaviour,
    cfg: &NetConfig,
) -> Result<Behaviour, BoxError> {
    Ok(Behaviour::new(key, relay, cfg)?)
}

fn swarm_config(config: libp2p::swarm::Config, limits: &Limits) -> libp2p::swarm::Config {
    config
        .with_idle_connection_timeout(limits.idle_connection_timeout)
        .with_max_negotiating_inbound_streams(limits.max_streams_per_connection)
}
