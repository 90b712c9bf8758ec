//! Delivering the own circle's alerts: to the circle nodes there when one is sent, and
//! to those that connect later while it is still live.
//!
//! Gossipsub sends a published message to every connected peer subscribed to its topic,
//! whatever that peer is. A *receiver* here is a circle node: a connected peer subscribed
//! to the alert topic that answered our catalog request with a circle catalog (it speaks
//! the sync protocol and serves at least its own circle). A bare libp2p peer that merely
//! subscribes is sent the bytes, but is not counted, and does not stop the alert from
//! going out again once a circle node is there.
//!
//! Each own alert is offered again, until it is [`DELIVER_FOR`] old, whenever a circle
//! node that has not got it is connected. Gossipsub refuses to publish the same bytes
//! twice within its duplicate window (120 s): such an alert waits and is retried every
//! [`RETRY`] while someone is owed it. Sisters that have it already ignore it without
//! penalty. Receivers are recorded in the store (`circle alerts` shows them), bounded by
//! the store's cap per alert.

use std::collections::HashSet;
use std::time::Duration;

use circle_core::gossip::{Gossip, ALERT_MAX_AGE};
use circle_net::PeerId;
use tokio::sync::Notify;
use tracing::{debug, info};

use super::{join_err, lock, now, Node, ALERT_TOPIC};
use crate::NodeError;

/// Alerts are offered until this long after they were sent: short of the age at which
/// receivers refuse them, with room for clocks that disagree.
pub(crate) const DELIVER_FOR: u64 = ALERT_MAX_AGE - 15 * 60;
/// How often an alert still owed to someone is offered again.
const RETRY: Duration = Duration::from_secs(10);
/// Own alerts offered per pass (the newest first); older ones wait for the next pass.
const ALERTS_PER_PASS: usize = 64;

/// Who can receive alerts right now. Both sets hold connected peers only (a peer leaves
/// them when its last connection closes), so they are bounded by the connection limit.
#[derive(Debug, Default)]
pub(super) struct Delivery {
    peers: std::sync::Mutex<Peers>,
    wake: Notify,
}

#[derive(Debug, Default)]
struct Peers {
    /// Peers that answered a catalog request with a circle catalog.
    circle: HashSet<PeerId>,
    /// Peers subscribed to the alert topic.
    subscribed: HashSet<PeerId>,
}

impl Delivery {
    /// Circle nodes subscribed to the alert topic, as text PeerIds, sorted.
    fn receivers(&self) -> Vec<String> {
        let peers = lock(&self.peers);
        let mut out: Vec<String> = peers
            .circle
            .intersection(&peers.subscribed)
            .map(|p| p.to_string())
            .collect();
        out.sort();
        out
    }
}

/// An own alert still live, as the store holds it.
struct Owed {
    alert_id: [u8; 16],
    encoded: Vec<u8>,
    got_it: Vec<String>,
}

impl Node {
    /// Hook for a peer that answered a catalog request with a circle catalog.
    pub(super) fn deliver_to_circle_peer(&self, peer: PeerId) {
        if !lock(&self.inner.live).peers.contains(&peer) {
            return;
        }
        if lock(&self.inner.delivery.peers).circle.insert(peer) {
            self.inner.delivery.wake.notify_one();
        }
    }

    /// Hook for a peer's gossip subscription.
    pub(super) fn deliver_subscribed(&self, peer: PeerId, topic: &str) {
        if topic != ALERT_TOPIC || !lock(&self.inner.live).peers.contains(&peer) {
            return;
        }
        if lock(&self.inner.delivery.peers).subscribed.insert(peer) {
            self.inner.delivery.wake.notify_one();
        }
    }

    /// Hook for a peer's last connection closing.
    pub(super) fn deliver_disconnected(&self, peer: PeerId) {
        let mut peers = lock(&self.inner.delivery.peers);
        peers.circle.remove(&peer);
        peers.subscribed.remove(&peer);
    }

    /// Publishes a freshly signed own alert; returns the circle nodes it went to (and
    /// records them). With none, the alert is kept and goes out when one connects.
    pub(super) async fn publish_alert(
        &self,
        alert_id: [u8; 16],
        bytes: Vec<u8>,
    ) -> Result<Vec<String>, NodeError> {
        let receivers = self.inner.delivery.receivers();
        match self.inner.net.publish(ALERT_TOPIC, bytes).await {
            Ok(_) => {}
            // No peer in the topic yet: kept here.
            Err(circle_net::NetError::NoPeers) => {
                self.inner.delivery.wake.notify_one();
                return Ok(Vec::new());
            }
            Err(e) => return Err(super::net_err(e)),
        }
        if receivers.is_empty() {
            // Sent to non-circle peers only: still owed to circle nodes.
            self.inner.delivery.wake.notify_one();
            return Ok(receivers);
        }
        self.record_receivers(alert_id, receivers).await
    }

    async fn record_receivers(
        &self,
        alert_id: [u8; 16],
        receivers: Vec<String>,
    ) -> Result<Vec<String>, NodeError> {
        let store = self.inner.store.clone();
        let own = self.inner.own;
        tokio::task::spawn_blocking(move || {
            let all = store.add_alert_receivers(&own, &alert_id, &receivers)?;
            store.sync()?;
            Ok(all)
        })
        .await
        .map_err(join_err)?
    }

    /// Own alerts younger than [`DELIVER_FOR`], newest first, with whom they reached.
    async fn owed_alerts(&self) -> Result<Vec<Owed>, NodeError> {
        let store = self.inner.store.clone();
        let own = self.inner.own;
        let now = now();
        tokio::task::spawn_blocking(move || -> Result<Vec<Owed>, NodeError> {
            let mut out = Vec::new();
            for s in store.alerts()? {
                if s.circle_id != own {
                    continue;
                }
                let Ok(Gossip::Alert(a)) = Gossip::decode(&s.encoded) else {
                    continue;
                };
                if now.saturating_sub(a.sent) >= DELIVER_FOR {
                    continue;
                }
                out.push(Owed {
                    alert_id: s.alert_id,
                    got_it: store.alert_receivers(&own, &s.alert_id)?,
                    encoded: s.encoded,
                });
                if out.len() >= ALERTS_PER_PASS {
                    break;
                }
            }
            Ok(out)
        })
        .await
        .map_err(join_err)?
    }

    /// Offers each live own alert to the circle nodes that have not got it. Returns
    /// whether some alert is still owed to a connected circle node (retry later).
    async fn deliver_owed(&self) -> Result<bool, NodeError> {
        let receivers = self.inner.delivery.receivers();
        if receivers.is_empty() {
            return Ok(false);
        }
        let mut owed_still = false;
        for alert in self.owed_alerts().await? {
            if receivers.iter().all(|r| alert.got_it.contains(r)) {
                continue;
            }
            match self.inner.net.publish(ALERT_TOPIC, alert.encoded).await {
                Ok(_) => {
                    let got = self
                        .record_receivers(alert.alert_id, receivers.clone())
                        .await?;
                    info!(receivers = got.len(), "a kept alert went out");
                }
                // Published within gossipsub's duplicate window, or the subscriptions
                // have not reached gossipsub yet: later.
                Err(e) => {
                    debug!(%e, "a kept alert waits");
                    owed_still = true;
                }
            }
        }
        Ok(owed_still)
    }

    /// Delivers kept alerts whenever a circle node appears, until the node stops.
    pub(super) async fn deliver_task(self) {
        let mut stopped = std::pin::pin!(self.stopped());
        // A first pass at start finds nothing to do (nobody is connected yet); the hooks
        // wake the task when someone arrives.
        let mut retry = false;
        loop {
            let wait = async {
                if retry {
                    tokio::time::sleep(RETRY).await;
                } else {
                    std::future::pending::<()>().await;
                }
            };
            tokio::select! {
                _ = self.inner.delivery.wake.notified() => {}
                _ = wait => {}
                _ = &mut stopped => break,
            }
            retry = match self.deliver_owed().await {
                Ok(owed) => owed,
                Err(e) => {
                    debug!(%e, "kept alerts not delivered");
                    true
                }
            };
        }
    }
}
