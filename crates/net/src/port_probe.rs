//! Refusing a listen port another process holds already.
//!
//! libp2p-tcp 0.45 sets `SO_REUSEPORT` on every listening socket (its `port_reuse(false)`
//! is a deprecated no-op), and Linux lets any number of sockets of one user listen on a
//! port when all of them set it: a second `circle serve` on a taken TCP port would start
//! and silently share the port, each node getting a random half of the connections.
//!
//! A socket *without* `SO_REUSEPORT` cannot bind next to a listening one, whatever that
//! one set. So before libp2p binds, each concrete port is bound once the strict way
//! (`SO_REUSEADDR` only, which merely lets a restart reuse a port in `TIME_WAIT`) and
//! closed again. A port taken by a program that did not set `SO_REUSEPORT` fails both
//! here and in libp2p; here it fails with a clear error. What remains is a race between
//! two nodes probing the very same port in the same few microseconds.

use std::net::{IpAddr, SocketAddr};

use libp2p::{multiaddr::Protocol, Multiaddr};
use socket2::{Domain, Socket, Type};

use crate::NetError;

/// Fails with [`NetError::PortInUse`] if another socket listens on `addr`'s TCP port (or
/// holds its UDP port, for QUIC). Addresses with port 0, or that are not IP, pass.
pub(crate) fn check_free(addr: &Multiaddr) -> Result<(), NetError> {
    let Some((socket_addr, udp)) = socket_addr(addr) else {
        return Ok(());
    };
    if socket_addr.port() == 0 {
        return Ok(());
    }
    let in_use = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            NetError::PortInUse {
                port: socket_addr.port(),
                proto: if udp { "UDP/QUIC" } else { "TCP" },
                addr: addr.to_string(),
            }
        } else {
            NetError::Listen(format!("{addr}: {e}"))
        }
    };
    let (kind, proto) = if udp {
        (Type::DGRAM, socket2::Protocol::UDP)
    } else {
        (Type::STREAM, socket2::Protocol::TCP)
    };
    let socket = Socket::new(Domain::for_address(socket_addr), kind, Some(proto))
        .map_err(|e| NetError::Listen(format!("{addr}: {e}")))?;
    if socket_addr.is_ipv6() {
        // As libp2p does: an IPv6 listener does not also take the IPv4 port.
        socket.set_only_v6(true).map_err(in_use)?;
    }
    if !udp {
        // As libp2p does, so that a node restarting on its port is not refused while
        // connections of its previous run linger in TIME_WAIT. (For UDP it would let
        // two sockets share the port, so it stays off.)
        socket.set_reuse_address(true).map_err(in_use)?;
    }
    socket.bind(&socket_addr.into()).map_err(in_use)?;
    if !udp {
        // A bound, non-listening TCP socket does not conflict with a listener on Linux;
        // listening does.
        socket.listen(1).map_err(in_use)?;
    }
    Ok(())
}

/// The socket address of `/ip4|ip6/<ip>/tcp/<port>` or `/ip4|ip6/<ip>/udp/<port>/quic-v1`,
/// and whether it is UDP.
fn socket_addr(addr: &Multiaddr) -> Option<(SocketAddr, bool)> {
    let mut parts = addr.iter();
    let ip: IpAddr = match parts.next()? {
        Protocol::Ip4(ip) => ip.into(),
        Protocol::Ip6(ip) => ip.into(),
        _ => return None,
    };
    match parts.next()? {
        Protocol::Tcp(port) => Some((SocketAddr::new(ip, port), false)),
        Protocol::Udp(port) => Some((SocketAddr::new(ip, port), true)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> Multiaddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_taken_tcp_port_is_refused_even_when_its_holder_set_so_reuseport() {
        // The holder sets SO_REUSEPORT, as libp2p's listener does.
        let holder = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        holder.set_reuse_address(true).unwrap();
        holder.set_reuse_port(true).unwrap();
        holder
            .bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
            .unwrap();
        holder.listen(8).unwrap();
        let port = holder.local_addr().unwrap().as_socket().unwrap().port();
        let err = check_free(&addr(&format!("/ip4/127.0.0.1/tcp/{port}"))).unwrap_err();
        assert!(
            matches!(err, NetError::PortInUse { port: p, proto: "TCP", .. } if p == port),
            "{err}"
        );
        // The wildcard address overlaps it too.
        assert!(check_free(&addr(&format!("/ip4/0.0.0.0/tcp/{port}"))).is_err());
        drop(holder);
        check_free(&addr(&format!("/ip4/127.0.0.1/tcp/{port}"))).unwrap();
    }

    #[test]
    fn a_taken_udp_port_is_refused() {
        let holder = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = holder.local_addr().unwrap().port();
        let err = check_free(&addr(&format!("/ip4/127.0.0.1/udp/{port}/quic-v1"))).unwrap_err();
        assert!(
            matches!(
                err,
                NetError::PortInUse {
                    proto: "UDP/QUIC",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn port_zero_and_non_ip_addresses_pass() {
        check_free(&addr("/ip4/127.0.0.1/tcp/0")).unwrap();
        check_free(&addr("/memory/0")).unwrap();
        check_free(&addr("/dns4/example.org/tcp/1")).unwrap();
    }
}
