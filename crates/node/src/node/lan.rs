//! Following the circles found on the local network (`circle serve --follow-lan`).
//!
//! mDNS finds peers on the LAN and the node connects to them, but by default it syncs only
//! circles it already follows. With LAN following on, the node also follows every circle
//! a LAN peer serves (that peer's catalog), so two nodes in one room federate with no
//! invite typed. It is opt-in because anyone on the LAN can answer mDNS; the bounds below
//! keep a hostile LAN from making the node follow without end.

use std::time::Duration;

use circle_core::invite::Invite;
use circle_core::keys::Hash32;
use circle_core::sync::{Request, Response};
use circle_net::PeerId;
use tracing::{debug, info};

use super::{join_err, lock, net_err, Node};
use crate::NodeError;

/// LAN peers remembered during a run; more are not followed from.
pub(super) const LAN_PEERS: usize = 64;
/// Circles followed from the LAN during one run.
const LAN_FOLLOWS: usize = 32;
/// Circles taken from one peer's catalog per check.
const PER_PEER: usize = 8;

impl Node {
    /// Remembers a peer that mDNS found on the local network (bounded).
    pub(super) fn note_lan_peer(&self, peer: PeerId) {
        let mut live = lock(&self.inner.live);
        if live.lan.len() < LAN_PEERS {
            live.lan.insert(peer);
        }
    }

    /// From now on, follows every circle a peer found on the LAN serves, checking every
    /// `every` (at most [`LAN_FOLLOWS`] circles this run). Needs mDNS on.
    pub fn follow_lan(&self, every: Duration) {
        let task = tokio::spawn(self.clone().lan_task(every));
        lock(&self.inner.tasks).push(task);
    }

    async fn lan_task(self, every: Duration) {
        let mut stopped = std::pin::pin!(self.stopped());
        let mut tick = tokio::time::interval(every.max(Duration::from_millis(100)));
        let mut followed = 0;
        while followed < LAN_FOLLOWS {
            tokio::select! {
                _ = tick.tick() => {}
                _ = &mut stopped => return,
            }
            let peers: Vec<PeerId> = {
                let live = lock(&self.inner.live);
                live.lan
                    .iter()
                    .filter(|p| live.peers.contains(p))
                    .copied()
                    .collect()
            };
            for peer in peers {
                let circles = match self.unfollowed_circles_of(peer).await {
                    Ok(c) => c,
                    Err(e) => {
                        debug!(%e, "catalog of a LAN peer not read");
                        continue;
                    }
                };
                for circle in circles {
                    if followed >= LAN_FOLLOWS {
                        return;
                    }
                    followed += 1;
                    let invite = Invite {
                        circle_id: circle,
                        peer_id: Some(peer.to_string()),
                        addrs: Vec::new(),
                    };
                    match self.follow(invite, None).await {
                        Ok(r) => info!(circle = %r.circle_id, synced = r.synced,
                                       "following a circle found on the local network"),
                        Err(e) => debug!(%e, "could not follow a circle found on the LAN"),
                    }
                }
            }
        }
    }

    /// Circles in `peer`'s catalog that this node neither owns nor follows.
    async fn unfollowed_circles_of(&self, peer: PeerId) -> Result<Vec<Hash32>, NodeError> {
        let bytes = self
            .inner
            .net
            .request(peer, Request::Catalog.encode())
            .await
            .map_err(net_err)?;
        let entries = match Response::decode(&bytes)
            .map_err(|e| NodeError::Net(format!("bad catalog from a LAN peer: {e}")))?
        {
            Response::Catalog(entries) => entries,
            _ => return Err(NodeError::Net("a LAN peer sent no catalog".into())),
        };
        let store = self.inner.store.clone();
        let own = self.inner.own;
        tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            for e in entries {
                if out.len() >= PER_PEER {
                    break;
                }
                if e.circle_id != own && !store.is_followed(&e.circle_id)? {
                    out.push(e.circle_id);
                }
            }
            Ok::<_, NodeError>(out)
        })
        .await
        .map_err(join_err)?
    }
}
