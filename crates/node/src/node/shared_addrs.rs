//! Which of the node's addresses go into its invites (see core's
//! [`circle_core::invite::shareable_addrs`]): routable ones, the ones the user chose, and
//! loopback only for a node that listens nowhere else.

use std::net::IpAddr;

use circle_net::Multiaddr;

use super::{lock, Node};

/// What the user chose, from the node's configuration.
#[derive(Debug, Default)]
pub(super) struct Chosen {
    /// IPs named in listen addresses (not wildcards).
    ips: Vec<IpAddr>,
    /// Addresses to list as they are (`serve --announce`).
    announced: Vec<String>,
}

impl Chosen {
    pub(super) fn new(listen: &[Multiaddr], announced: &[Multiaddr]) -> Chosen {
        let ips = listen
            .iter()
            .filter_map(|a| circle_core::invite::addr_ip(&a.to_string()))
            .filter(|ip| !ip.is_unspecified())
            .collect();
        Chosen {
            ips,
            announced: announced.iter().map(|a| a.to_string()).collect(),
        }
    }
}

impl Node {
    /// The addresses an invite to this node lists, without `/p2p` suffixes.
    pub fn invite_addrs(&self) -> Vec<String> {
        let listening: Vec<String> = lock(&self.inner.live)
            .addrs
            .iter()
            .map(|a| a.to_string())
            .collect();
        let chosen = &self.inner.chosen;
        circle_core::invite::shareable_addrs(&listening, &chosen.ips, &chosen.announced)
    }
}
