//! Handshake slots per source: a behaviour that refuses an inbound connection while its IP
//! address already has `max` connections still in their handshake.
//!
//! libp2p's connection limits count pending connections in total only, so 32 idle sockets
//! from one machine (no byte sent, threat 30) took every slot and locked out every other peer.
//! With this cap and the transport's handshake timeout, one address holds at most `max` slots,
//! each for at most the timeout.

use std::{
    collections::HashMap,
    convert::Infallible,
    net::IpAddr,
    task::{Context, Poll},
};

use libp2p::{
    core::{transport::PortUse, Endpoint},
    multiaddr::Protocol,
    swarm::{
        dummy, ConnectionDenied, ConnectionId, FromSwarm, ListenFailure, NetworkBehaviour,
        THandler, THandlerInEvent, THandlerOutEvent, ToSwarm,
    },
    Multiaddr, PeerId,
};

/// Where a connection comes from, for per-source limits: its IP address, or the whole
/// address when it has none (the memory transport).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Source {
    Ip(IpAddr),
    Addr(Multiaddr),
}

impl Source {
    pub(crate) fn of(addr: &Multiaddr) -> Source {
        for p in addr.iter() {
            match p {
                Protocol::Ip4(ip) => return Source::Ip(IpAddr::V4(ip)),
                Protocol::Ip6(ip) => return Source::Ip(IpAddr::V6(ip)),
                _ => {}
            }
        }
        Source::Addr(addr.clone())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0} connections from this address are still in their handshake")]
struct TooManyPending(u32);

/// Counts inbound connections in their handshake per source IP.
#[derive(Debug)]
pub(crate) struct PendingPerIp {
    max: u32,
    pending: HashMap<ConnectionId, Source>,
    per_source: HashMap<Source, u32>,
}

impl PendingPerIp {
    pub(crate) fn new(max: u32) -> Self {
        Self {
            max: max.max(1),
            pending: HashMap::new(),
            per_source: HashMap::new(),
        }
    }

    fn release(&mut self, id: ConnectionId) {
        let Some(source) = self.pending.remove(&id) else {
            return;
        };
        if let Some(n) = self.per_source.get_mut(&source) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.per_source.remove(&source);
            }
        }
    }
}

impl NetworkBehaviour for PendingPerIp {
    type ConnectionHandler = dummy::ConnectionHandler;
    type ToSwarm = Infallible;

    fn handle_pending_inbound_connection(
        &mut self,
        id: ConnectionId,
        _local: &Multiaddr,
        remote: &Multiaddr,
    ) -> Result<(), ConnectionDenied> {
        let source = Source::of(remote);
        let n = self.per_source.entry(source.clone()).or_insert(0);
        if *n >= self.max {
            return Err(ConnectionDenied::new(TooManyPending(self.max)));
        }
        *n += 1;
        self.pending.insert(id, source);
        Ok(())
    }

    fn handle_established_inbound_connection(
        &mut self,
        id: ConnectionId,
        _peer: PeerId,
        _local: &Multiaddr,
        _remote: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.release(id);
        Ok(dummy::ConnectionHandler)
    }

    fn handle_established_outbound_connection(
        &mut self,
        _id: ConnectionId,
        _peer: PeerId,
        _addr: &Multiaddr,
        _role: Endpoint,
        _port_use: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        Ok(dummy::ConnectionHandler)
    }

    fn on_swarm_event(&mut self, event: FromSwarm) {
        if let FromSwarm::ListenFailure(ListenFailure { connection_id, .. }) = event {
            self.release(connection_id);
        }
    }

    fn on_connection_handler_event(
        &mut self,
        _peer: PeerId,
        _id: ConnectionId,
        event: THandlerOutEvent<Self>,
    ) {
        match event {}
    }

    fn poll(&mut self, _: &mut Context<'_>) -> Poll<ToSwarm<Self::ToSwarm, THandlerInEvent<Self>>> {
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> Multiaddr {
        s.parse().unwrap()
    }

    #[test]
    fn one_address_gets_at_most_max_slots_and_gets_them_back() {
        let mut b = PendingPerIp::new(2);
        let local = addr("/ip4/127.0.0.1/tcp/1");
        let evil = |port: u16| addr(&format!("/ip4/127.0.0.2/tcp/{port}"));
        let (a, c) = (
            ConnectionId::new_unchecked(1),
            ConnectionId::new_unchecked(2),
        );
        assert!(b
            .handle_pending_inbound_connection(a, &local, &evil(5))
            .is_ok());
        assert!(b
            .handle_pending_inbound_connection(c, &local, &evil(6))
            .is_ok());
        let third = ConnectionId::new_unchecked(3);
        assert!(b
            .handle_pending_inbound_connection(third, &local, &evil(7))
            .is_err());
        // Another address is not affected.
        let honest = ConnectionId::new_unchecked(4);
        assert!(b
            .handle_pending_inbound_connection(honest, &local, &addr("/ip4/127.0.0.1/tcp/9"))
            .is_ok());
        // A finished handshake frees its slot.
        let peer = PeerId::random();
        b.handle_established_inbound_connection(a, peer, &local, &evil(5))
            .unwrap();
        assert!(b
            .handle_pending_inbound_connection(third, &local, &evil(7))
            .is_ok());
    }
}
