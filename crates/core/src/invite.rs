//! Invite codes: what a sister circle needs to find and verify this one.
//!
//! Text form, readable and QR-friendly:
//! `circle:<circle id hex>?peer=<PeerId>&addr=<multiaddr>&addr=…`

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::keys::Hash32;

/// Longest invite accepted (bounds parsing of untrusted text).
pub const MAX_INVITE_LEN: usize = 4096;
const MAX_ADDRS: usize = 16;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invite {
    pub circle_id: Hash32,
    pub peer_id: Option<String>,
    pub addrs: Vec<String>,
}

impl fmt::Display for Invite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "circle:{}", self.circle_id.to_hex())?;
        let mut sep = '?';
        if let Some(p) = &self.peer_id {
            write!(f, "{sep}peer={p}")?;
            sep = '&';
        }
        for a in &self.addrs {
            write!(f, "{sep}addr={a}")?;
            sep = '&';
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not an invite code: {0}")]
pub struct InviteError(&'static str);

impl FromStr for Invite {
    type Err = InviteError;

    fn from_str(s: &str) -> Result<Invite, InviteError> {
        let s = s.trim();
        if s.len() > MAX_INVITE_LEN {
            return Err(InviteError("too long"));
        }
        let rest = s
            .strip_prefix("circle:")
            .ok_or(InviteError("must start with `circle:`"))?;
        let (id, query) = rest.split_once('?').unwrap_or((rest, ""));
        let circle_id = Hash32::from_hex(id).map_err(|_| InviteError("bad circle id"))?;
        let mut invite = Invite {
            circle_id,
            peer_id: None,
            addrs: Vec::new(),
        };
        for part in query.split('&').filter(|p| !p.is_empty()) {
            match part.split_once('=') {
                Some(("peer", v)) if !v.is_empty() => invite.peer_id = Some(v.to_owned()),
                Some(("addr", v)) if v.starts_with('/') && invite.addrs.len() < MAX_ADDRS => {
                    invite.addrs.push(v.to_owned())
                }
                _ => return Err(InviteError("unknown or malformed field")),
            }
        }
        Ok(invite)
    }
}

/// Addresses an invite lists at most (the parser takes up to 16).
pub const INVITE_ADDRS: usize = 8;

/// The addresses a node may put in an invite, which leaves the node and is passed on.
///
/// `listening` are the addresses the node listens on (as reported, wildcards already
/// resolved to interface addresses); `chosen` are the IPs the user named in a listen
/// address; `announced` are addresses the user asked to be listed as they are.
///
/// Listed: announced addresses, then listening ones on a chosen IP or on a globally
/// routable one. Private LAN, VPN (CGNAT), container, link-local and unique-local
/// addresses say where a circle's node sits and are useless to most sisters, so they are
/// left out unless chosen. Loopback is listed only when the node listens on nothing else
/// (a node for one machine, or a test). `/p2p/…` suffixes are cut (the invite names the
/// peer once); duplicates go; at most [`INVITE_ADDRS`] remain.
pub fn shareable_addrs(
    listening: &[String],
    chosen: &[IpAddr],
    announced: &[String],
) -> Vec<String> {
    let loopback_only = !listening.is_empty()
        && listening
            .iter()
            .all(|a| addr_ip(a).is_some_and(|ip| ip.is_loopback()));
    let listed = listening.iter().filter(|a| match addr_ip(a) {
        Some(ip) => chosen.contains(&ip) || is_routable(ip) || (loopback_only && ip.is_loopback()),
        None => false,
    });
    let mut out: Vec<String> = Vec::new();
    for a in announced.iter().chain(listed) {
        let bare = a.split("/p2p/").next().unwrap_or(a).to_owned();
        if !out.contains(&bare) && out.len() < INVITE_ADDRS {
            out.push(bare);
        }
    }
    out
}

/// The IP of `/ip4/<ip>/…` or `/ip6/<ip>/…`.
pub fn addr_ip(addr: &str) -> Option<IpAddr> {
    let mut parts = addr.strip_prefix('/')?.split('/');
    match (parts.next()?, parts.next()?) {
        ("ip4", ip) => ip.parse::<Ipv4Addr>().ok().map(IpAddr::V4),
        ("ip6", ip) => ip.parse::<Ipv6Addr>().ok().map(IpAddr::V6),
        _ => None,
    }
}

/// Whether `ip` is reachable across the internet: not private, shared (CGNAT, used by
/// VPNs), loopback, link-local, documentation, benchmarking, multicast or reserved.
pub fn is_routable(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_routable_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_routable_v4(v4),
            None => {
                let s = v6.segments();
                // Global unicast is 2000::/3; of it, 2001:db8::/32 is for documentation.
                (s[0] & 0xe000) == 0x2000 && !(s[0] == 0x2001 && s[1] == 0x0db8)
            }
        },
    }
}

fn is_routable_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT, VPNs)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240) // reserved
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn invites_list_routable_and_chosen_addresses_only() {
        let p = "/p2p/12D3KooWabc";
        let listening = strings(&[
            &format!("/ip4/127.0.0.1/tcp/7879{p}"),
            "/ip4/192.168.1.20/tcp/7879",
            "/ip4/10.8.0.3/tcp/7879",
            "/ip4/172.17.0.1/tcp/7879",
            "/ip4/100.101.102.103/tcp/7879",
            "/ip4/169.254.3.4/tcp/7879",
            "/ip6/fd00::1/tcp/7879",
            "/ip6/fe80::1/tcp/7879",
            "/ip4/203.0.113.9/tcp/7879",
            &format!("/ip4/81.2.69.160/udp/7879/quic-v1{p}"),
            "/ip6/2a01:4f8::1/tcp/7879",
        ]);
        // Default (wildcard listen): only the routable ones, without `/p2p`.
        assert_eq!(
            shareable_addrs(&listening, &[], &[]),
            strings(&[
                "/ip4/81.2.69.160/udp/7879/quic-v1",
                "/ip6/2a01:4f8::1/tcp/7879"
            ])
        );
        // A LAN address the user chose with `--listen`, and an announced one, first.
        let chosen = ["192.168.1.20".parse().unwrap()];
        let announced = strings(&["/dns4/circle.example.org/tcp/7879"]);
        assert_eq!(
            shareable_addrs(&listening, &chosen, &announced),
            strings(&[
                "/dns4/circle.example.org/tcp/7879",
                "/ip4/192.168.1.20/tcp/7879",
                "/ip4/81.2.69.160/udp/7879/quic-v1",
                "/ip6/2a01:4f8::1/tcp/7879",
            ])
        );
    }

    #[test]
    fn loopback_is_listed_only_for_a_loopback_only_node() {
        let local = strings(&["/ip4/127.0.0.1/tcp/4001", "/ip6/::1/tcp/4001"]);
        assert_eq!(shareable_addrs(&local, &[], &[]), local);
        let mixed = strings(&["/ip4/127.0.0.1/tcp/4001", "/ip4/192.168.1.2/tcp/4001"]);
        assert!(shareable_addrs(&mixed, &[], &[]).is_empty());
        assert!(shareable_addrs(&[], &[], &[]).is_empty());
    }

    #[test]
    fn at_most_a_few_addresses_and_no_duplicates() {
        let many: Vec<String> = (1..40).map(|i| format!("/ip4/81.2.69.{i}/tcp/1")).collect();
        let twice: Vec<String> = many.iter().chain(many.iter()).cloned().collect();
        let out = shareable_addrs(&twice, &[], &[]);
        assert_eq!(out.len(), INVITE_ADDRS);
        assert_eq!(out[..], many[..INVITE_ADDRS]);
    }

    #[test]
    fn routable_judges_v4_mapped_v6_by_its_v4_address() {
        assert!(!is_routable("::ffff:192.168.0.1".parse().unwrap()));
        assert!(is_routable("::ffff:81.2.69.160".parse().unwrap()));
        assert!(!is_routable("2001:db8::1".parse().unwrap()));
        assert_eq!(addr_ip("/dns4/x/tcp/1"), None);
        assert_eq!(addr_ip("/ip4/nonsense/tcp/1"), None);
    }

    #[test]
    fn roundtrip_and_rejects() {
        let i = Invite {
            circle_id: Hash32([3; 32]),
            peer_id: Some("12D3KooWabc".into()),
            addrs: vec!["/ip4/127.0.0.1/tcp/4001".into()],
        };
        assert_eq!(i.to_string().parse::<Invite>().unwrap(), i);
        for bad in ["", "circle:zz", "http://x", "circle:0303?evil=1"] {
            assert!(bad.parse::<Invite>().is_err(), "{bad}");
        }
    }
}
