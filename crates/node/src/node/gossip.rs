//! Gossip: judging announcements and alerts before anything is relayed, sending alerts,
//! announcing the own circle.
//!
//! Verdicts: forged, expired-term, stale, oversized or non-compliant → `Reject` (the
//! sender's score drops); about a circle this node does not hold, or a duplicate of a
//! known alert → `Ignore` (not forwarded, no penalty); valid → `Accept` (forwarded).

use circle_core::compliance::compliance;
use circle_core::gossip::{self, Alert, Announcement, Gossip};
use circle_core::keys::Hash32;
use circle_core::validate::has_change;
use circle_net::{Acceptance, PeerId};
use circle_store::StoredAlert;
use serde::Serialize;
use tracing::{debug, info};

use super::sync::{hashes, short};
use super::{join_err, lock, net_err, now, Job, Node, ALERT_TOPIC, ANNOUNCE_TOPIC};
use crate::NodeError;

/// Heads carried by an announcement (more are cut: the pull finds the rest).
const ANNOUNCE_HEADS: usize = 64;

/// An alert as `circle alerts` and the web page show it.
#[derive(Clone, Debug, Serialize)]
pub struct AlertView {
    pub circle_id: String,
    pub alert_id: String,
    pub text: String,
    /// Unix seconds, rounded down to the minute by the sender.
    pub sent: u64,
    /// Sent by this node's own circle.
    pub own: bool,
    /// For an own alert: the circle nodes (PeerIds) it was delivered to.
    pub delivered_to: Vec<String>,
}

impl AlertView {
    fn of(a: &Alert, own: &Hash32) -> AlertView {
        AlertView {
            circle_id: a.circle_id.to_hex(),
            alert_id: hex::encode(a.alert_id),
            text: a.text.clone(),
            sent: a.sent,
            own: a.circle_id == *own,
            delivered_to: Vec::new(),
        }
    }
}

/// What a judged message leads to besides the verdict.
struct Judged {
    verdict: Acceptance,
    pull: Option<Hash32>,
    alert: Option<AlertView>,
}

impl Judged {
    fn just(verdict: Acceptance) -> Judged {
        Judged {
            verdict,
            pull: None,
            alert: None,
        }
    }
}

/// Every kept alert, newest first (works with or without a running node).
pub fn stored_alerts(
    store: &circle_store::Store,
    own: &Hash32,
) -> Result<Vec<AlertView>, NodeError> {
    let mut out = Vec::new();
    for s in store.alerts()? {
        if let Ok(Gossip::Alert(a)) = Gossip::decode(&s.encoded) {
            let mut view = AlertView::of(&a, own);
            if view.own {
                view.delivered_to = store.alert_receivers(own, &a.alert_id)?;
            }
            out.push(view);
        }
    }
    Ok(out)
}

impl Node {
    pub(super) async fn judge_gossip(
        &self,
        source: PeerId,
        topic: String,
        data: Vec<u8>,
    ) -> Acceptance {
        let node = self.clone();
        let judged =
            match tokio::task::spawn_blocking(move || node.judge_blocking(&topic, &data)).await {
                Ok(Ok(j)) => j,
                Ok(Err(e)) => {
                    debug!(%e, "could not judge a gossip message");
                    Judged::just(Acceptance::Ignore)
                }
                Err(_) => Judged::just(Acceptance::Ignore),
            };
        if let Some(circle) = judged.pull {
            self.enqueue(Job::Pull(source, circle));
        }
        if let Some(view) = judged.alert {
            info!(circle = %&view.circle_id[..12], "rapid-defense alert received");
            let _ = self.inner.alerts.send(view);
        }
        judged.verdict
    }

    fn judge_blocking(&self, topic: &str, data: &[u8]) -> Result<Judged, NodeError> {
        let Ok(msg) = Gossip::decode(data) else {
            return Ok(Judged::just(Acceptance::Reject));
        };
        let on_topic = match &msg {
            Gossip::Announce(_) => topic == ANNOUNCE_TOPIC,
            Gossip::Alert(_) => topic == ALERT_TOPIC,
        };
        if !on_topic {
            return Ok(Judged::just(Acceptance::Reject));
        }
        let circle = msg.circle_id();
        let now = now();
        let store = &self.inner.store;
        // The chain and ledger this node holds for the circle decide; others are ignored.
        let own_guard;
        let slot;
        let replica_guard;
        let (chain, ledger) = if circle == self.inner.own {
            own_guard = lock(&self.inner.local);
            let c = own_guard.circle();
            (&c.chain, &c.ledger)
        } else if store.is_followed(&circle)? {
            slot = self.inner.replicas.get(&circle)?;
            replica_guard = lock(&slot);
            match replica_guard.replica.as_ref() {
                Some(r) => (&r.chain, &r.ledger),
                None => return Ok(Judged::just(Acceptance::Ignore)),
            }
        } else {
            return Ok(Judged::just(Acceptance::Ignore));
        };
        if let Err(e) = gossip::check(&msg, chain, now) {
            debug!(%e, circle = %short(&circle), "rejecting gossip");
            return Ok(Judged::just(Acceptance::Reject));
        }
        let compliant = compliance(ledger, chain, now).compliant;
        match msg {
            Gossip::Alert(a) => {
                if store.has_alert(&circle, &a.alert_id)? {
                    return Ok(Judged::just(Acceptance::Ignore));
                }
                if !compliant {
                    return Ok(Judged::just(Acceptance::Reject));
                }
                store.put_alert(&StoredAlert {
                    circle_id: circle,
                    alert_id: a.alert_id,
                    received: now,
                    encoded: data.to_vec(),
                })?;
                store.sync()?;
                Ok(Judged {
                    verdict: Acceptance::Accept,
                    pull: None,
                    alert: Some(AlertView::of(&a, &self.inner.own)),
                })
            }
            Gossip::Announce(a) => {
                if !a.compliant {
                    return Ok(Judged::just(Acceptance::Reject));
                }
                let known = a
                    .heads
                    .iter()
                    .all(|h| has_change(ledger.doc(), &automerge::ChangeHash(h.0)));
                if !known {
                    // Newer than what we hold: pull first, vouch (or not) next time.
                    return Ok(Judged {
                        verdict: Acceptance::Ignore,
                        pull: Some(circle),
                        alert: None,
                    });
                }
                let verdict = if compliant {
                    Acceptance::Accept
                } else {
                    Acceptance::Reject
                };
                Ok(Judged::just(verdict))
            }
        }
    }

    /// Sends a rapid-defense alert from the own circle. Returns the alert and whether a
    /// circle node took it (`delivered_to` names them); if none did, it goes out when one
    /// connects (see `deliver.rs`).
    pub async fn send_alert(&self, text: String) -> Result<(AlertView, bool), NodeError> {
        let node = self.clone();
        let (alert, bytes) = tokio::task::spawn_blocking(move || node.sign_alert(&text))
            .await
            .map_err(join_err)??;
        let mut view = AlertView::of(&alert, &self.inner.own);
        view.delivered_to = self.publish_alert(alert.alert_id, bytes).await?;
        let _ = self.inner.alerts.send(view.clone());
        let delivered = !view.delivered_to.is_empty();
        Ok((view, delivered))
    }

    fn sign_alert(&self, text: &str) -> Result<(Alert, Vec<u8>), NodeError> {
        let now = now();
        let local = lock(&self.inner.local);
        let c = local.circle();
        let comp = compliance(&c.ledger, &c.chain, now);
        if !comp.compliant {
            let why = [
                &comp.items.mutual_aid_fund,
                &comp.items.rapid_defense_pledge,
                &comp.items.open_tactics,
            ]
            .into_iter()
            .find(|i| !i.ok)
            .map(|i| i.reason.clone())
            .unwrap_or_default();
            return Err(NodeError::Invalid(format!(
                "sister circles relay alerts only from circles that keep the protocol: {why}"
            )));
        }
        let signer = c.writer(now)?;
        let alert = Alert::sign(self.inner.own, signer.term, signer.key, text, now)
            .map_err(|e| NodeError::Invalid(e.to_string()))?;
        let bytes = Gossip::Alert(alert.clone()).encode();
        let store = &self.inner.store;
        store.put_alert(&StoredAlert {
            circle_id: self.inner.own,
            alert_id: alert.alert_id,
            received: now,
            encoded: bytes.clone(),
        })?;
        store.sync()?;
        Ok((alert, bytes))
    }

    /// Announces the own circle's heads soon, if they changed since the last announcement.
    pub(super) fn announce_soon(&self) {
        let node = self.clone();
        tokio::spawn(async move {
            if let Err(e) = node.announce().await {
                debug!(%e, "announcement not sent");
            }
        });
    }

    async fn announce(&self) -> Result<(), NodeError> {
        let node = self.clone();
        let signed = tokio::task::spawn_blocking(move || node.sign_announcement())
            .await
            .map_err(join_err)??;
        let Some((digest, bytes)) = signed else {
            return Ok(());
        };
        self.inner
            .net
            .publish(ANNOUNCE_TOPIC, bytes)
            .await
            .map_err(net_err)?;
        lock(&self.inner.live).announced = Some(digest);
        Ok(())
    }

    /// A signed announcement of the own circle, unless the last one still holds.
    fn sign_announcement(&self) -> Result<Option<(Hash32, Vec<u8>)>, NodeError> {
        let now = now();
        let local = lock(&self.inner.local);
        let c = local.circle();
        let heads = hashes(&c.ledger.heads());
        let digest = circle_core::sync::heads_digest(&heads);
        if lock(&self.inner.live).announced == Some(digest) {
            return Ok(None);
        }
        // An expired term cannot announce; rotation fixes that.
        let Ok(signer) = c.writer(now) else {
            return Ok(None);
        };
        let compliant = compliance(&c.ledger, &c.chain, now).compliant;
        let mut heads = heads;
        heads.truncate(ANNOUNCE_HEADS);
        let a = Announcement::sign(
            self.inner.own,
            signer.term,
            heads,
            compliant,
            signer.key,
            now,
        )
        .map_err(|e| NodeError::Invalid(e.to_string()))?;
        Ok(Some((digest, Gossip::Announce(a).encode())))
    }
}
