//! Gossip: judging announcements and alerts before anything is relayed, sending alerts,
//! announcing the own circle.
//!
//! Verdicts: malformed, off-topic, forged, signed by a non-steward of the term we know, or
//! of an older term → `Reject` (the sender's score drops). Reasons to pull, not to
//! penalise → `Ignore` and a pull from the sender: a newer term (a rotation whose
//! certificate we lack), an expired term, a circle not compliant in our copy or saying it
//! is not compliant. An alert with such a reason waits for that pull in a bounded waiting
//! room (`budget::WaitingRoom`: per circle, per relaying peer, in all), holding no judging
//! permit, and is judged again when a pull ends, so a follower that missed a rotation still
//! shows the alert and a flood of unverifiable alerts cannot delay one of a known term;
//! past the room's bounds such an alert is ignored at once (the pull still asked for).
//! A steward's message dated outside the window (clock skew, ours or theirs) → `Ignore` and a pull,
//! but no wait: no pull changes its date; an absurd date (further off than any clock
//! drifts) → `Ignore` alone. Only a steward's signature earns these (`gossip::check`
//! verifies it first). About a circle this node does not hold → `Ignore`, but past a
//! per-peer rate `Reject` (a flooder is graylisted); a duplicate of a known alert, or past
//! a circle's alert rate → `Ignore`; valid → `Accept` (forwarded).

use std::sync::Arc;
use std::time::Instant;

use circle_core::compliance::compliance;
use circle_core::gossip::{self, Alert, Announcement, Gossip, GossipError};
use circle_core::keys::Hash32;
use circle_core::validate::has_change;
use circle_net::{Acceptance, PeerId};
use circle_store::StoredAlert;
use serde::Serialize;
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tracing::{debug, info};

use super::budget::{self, Refused, Seat};
use super::sync::{hashes, short};
use super::{join_err, lock, net_err, now, Job, Node, ALERT_TOPIC, ANNOUNCE_TOPIC};
use crate::NodeError;

/// Heads carried by an announcement (more are cut: the pull finds the rest).
const ANNOUNCE_HEADS: usize = 64;
/// Furthest a signer's clock may plausibly be from ours: a message dated further off is
/// ignored without a pull (pulling cannot make it valid, and it says nothing about what
/// the sender holds).
const PLAUSIBLE_SKEW: u64 = 7 * 24 * 3600;

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
    /// Judge an alert again once the pull is done (it may bring what the judgement lacks).
    recheck: bool,
    alert: Option<AlertView>,
}

impl Judged {
    fn just(verdict: Acceptance) -> Judged {
        Judged {
            verdict,
            pull: None,
            recheck: false,
            alert: None,
        }
    }

    /// Not now, and no penalty: pull the circle from the sender first.
    fn pull_first(circle: Hash32) -> Judged {
        Judged {
            verdict: Acceptance::Ignore,
            pull: Some(circle),
            recheck: true,
            alert: None,
        }
    }
}

/// What a failed check says: the sender misbehaved, or only that our view may lag.
#[derive(Debug, PartialEq, Eq)]
enum Fault {
    /// Reject: the sender's score drops.
    Sender,
    /// Certificates or content we lack: pull, and judge an alert again after.
    OurCopy,
    /// A steward's date outside our window (skewed clocks): no penalty; a pull if the
    /// skew is plausible, never a wait.
    Clock { plausible: bool },
}

fn fault_of(e: &GossipError, msg: &Gossip, now: u64) -> Fault {
    match e {
        GossipError::WrongTerm { got, latest } if got > latest => Fault::OurCopy,
        GossipError::Expired(_) | GossipError::Equivocation(_) => Fault::OurCopy,
        GossipError::Stale | GossipError::FromFuture => {
            let dated = match msg {
                Gossip::Announce(a) => a.day,
                Gossip::Alert(a) => a.sent,
            };
            Fault::Clock {
                plausible: dated.abs_diff(now) <= PLAUSIBLE_SKEW,
            }
        }
        _ => Fault::Sender,
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
    /// Judges one gossip message, holding `permit` (from its topic's pool) only while it
    /// is judged. An alert that needs a pull first (a newer term, whose signature cannot be
    /// checked yet) gives its permit back and waits for the pull in the waiting room; it
    /// takes a permit from `alert_pool` again each time it is judged anew.
    pub(super) async fn judge_gossip(
        &self,
        source: PeerId,
        topic: String,
        data: Vec<u8>,
        permit: OwnedSemaphorePermit,
        alert_pool: &Arc<Semaphore>,
    ) -> Acceptance {
        let is_alert = topic == ALERT_TOPIC;
        let (topic, data) = (Arc::new(topic), Arc::new(data));
        // Subscribed before judging: a pull that ends meanwhile wakes the wait below.
        let pulls = self.inner.pulls_done.subscribe();
        let mut judged = self.judge_once(source, &topic, &data).await;
        drop(permit);
        match judged.pull {
            Some(circle) if judged.recheck && is_alert => {
                let busy = lock(&self.inner.live).pulling.contains(&circle);
                match self.inner.waiting_room.enter(circle, source, busy) {
                    Ok((seat, first)) => {
                        if first {
                            self.enqueue(Job::Pull(source, circle));
                        }
                        judged = self
                            .wait_for_pull(seat, source, &topic, &data, alert_pool, pulls)
                            .await;
                    }
                    // No penalty: the sender may only relay what it cannot check. Its
                    // alerts waiting already asked for the pull.
                    Err(Refused::PeerShare) => {
                        debug!(circle = %short(&circle), "peer's share of waiting seats taken");
                    }
                    Err(Refused::Full) => {
                        debug!(circle = %short(&circle), "waiting room full; alert ignored");
                        self.enqueue(Job::Pull(source, circle));
                    }
                }
            }
            Some(circle) => self.enqueue(Job::Pull(source, circle)),
            None => {}
        }
        if let Some(view) = judged.alert {
            info!(circle = %&view.circle_id[..12], "rapid-defense alert received");
            let _ = self.inner.alerts.send(view);
        }
        judged.verdict
    }

    /// An alert's wait in the waiting room, holding `seat` and no permit (its pull was
    /// asked for on entry). Each time a pull ends the alert is judged again, with a permit
    /// from `alert_pool`, and while it still needs a pull the room names the relay whose
    /// turn it is to be pulled from (see [`budget::WaitingRoom`]): the pull that ended may
    /// have been another peer's, during which ours was skipped. Ends `Ignore` (no penalty)
    /// after [`budget::PARKED_FOR`] or at shutdown.
    async fn wait_for_pull(
        &self,
        seat: Seat,
        source: PeerId,
        topic: &Arc<String>,
        data: &Arc<Vec<u8>>,
        alert_pool: &Arc<Semaphore>,
        mut pulls: watch::Receiver<u64>,
    ) -> Judged {
        let deadline = tokio::time::Instant::now() + budget::PARKED_FOR;
        let mut stopped = std::pin::pin!(self.stopped());
        loop {
            let woken = tokio::select! {
                changed = tokio::time::timeout_at(deadline, pulls.changed()) => {
                    matches!(changed, Ok(Ok(())))
                }
                _ = &mut stopped => false,
            };
            if !woken {
                return Judged::just(Acceptance::Ignore);
            }
            let pulls_done = *pulls.borrow_and_update();
            let permit = tokio::time::timeout_at(deadline, alert_pool.clone().acquire_owned());
            let Ok(Ok(_permit)) = permit.await else {
                return Judged::just(Acceptance::Ignore);
            };
            let judged = self.judge_once(source, topic, data).await;
            if !(judged.pull.is_some() && judged.recheck) {
                // Judged: valid, forged (the certificate came), or no reason to wait.
                return judged;
            }
            let circle = seat.circle();
            if let Some(peer) = self.inner.waiting_room.turn(&circle, pulls_done) {
                self.enqueue(Job::Pull(peer, circle));
            }
        }
    }

    async fn judge_once(&self, source: PeerId, topic: &Arc<String>, data: &Arc<Vec<u8>>) -> Judged {
        let (node, topic, data) = (self.clone(), topic.clone(), data.clone());
        let judging = move || node.judge_blocking(source, &topic, &data);
        match tokio::task::spawn_blocking(judging).await {
            Ok(Ok(j)) => j,
            Ok(Err(e)) => {
                debug!(%e, "could not judge a gossip message");
                Judged::just(Acceptance::Ignore)
            }
            Err(_) => Judged::just(Acceptance::Ignore),
        }
    }

    /// Gossip about a circle this node does not hold: ignored within a per-peer rate
    /// (relays forward their circles' messages to everyone), rejected beyond it.
    fn unwanted(&self, source: PeerId) -> Judged {
        let within = lock(&self.inner.budgets)
            .unwanted
            .allow(&source, Instant::now());
        Judged::just(if within {
            Acceptance::Ignore
        } else {
            Acceptance::Reject
        })
    }

    fn judge_blocking(
        &self,
        source: PeerId,
        topic: &str,
        data: &[u8],
    ) -> Result<Judged, NodeError> {
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
                // Followed, nothing arrived yet: the pull brings it.
                None => return Ok(Judged::pull_first(circle)),
            }
        } else {
            return Ok(self.unwanted(source));
        };
        if let Err(e) = gossip::check(&msg, chain, now) {
            return Ok(match fault_of(&e, &msg, now) {
                Fault::OurCopy => {
                    debug!(%e, circle = %short(&circle), "gossip we cannot judge yet; pulling");
                    Judged::pull_first(circle)
                }
                Fault::Clock { plausible } => {
                    debug!(%e, circle = %short(&circle), "gossip dated outside our window");
                    Judged {
                        pull: plausible.then_some(circle),
                        ..Judged::just(Acceptance::Ignore)
                    }
                }
                Fault::Sender => {
                    debug!(%e, circle = %short(&circle), "rejecting gossip");
                    Judged::just(Acceptance::Reject)
                }
            });
        }
        let compliant = lock(&self.inner.budgets)
            .compliance
            .compliant(ledger, chain, now);
        match msg {
            Gossip::Alert(a) => {
                if store.has_alert(&circle, &a.alert_id)? {
                    return Ok(Judged::just(Acceptance::Ignore));
                }
                if !compliant {
                    // Our copy may lack what made it compliant: pull, then judge again.
                    return Ok(Judged::pull_first(circle));
                }
                let within = lock(&self.inner.budgets)
                    .alerts
                    .allow(&circle, Instant::now());
                if !within {
                    debug!(circle = %short(&circle), "over the circle's alert rate");
                    return Ok(Judged::just(Acceptance::Ignore));
                }
                store.put_alert(&StoredAlert {
                    circle_id: circle,
                    alert_id: a.alert_id,
                    received: now,
                    encoded: data.to_vec(),
                })?;
                store.sync()?;
                Ok(Judged {
                    alert: Some(AlertView::of(&a, &self.inner.own)),
                    ..Judged::just(Acceptance::Accept)
                })
            }
            Gossip::Announce(a) => {
                let known = a
                    .heads
                    .iter()
                    .all(|h| has_change(ledger.doc(), &automerge::ChangeHash(h.0)));
                if !known {
                    // Newer than what we hold: pull first, vouch (or not) next time.
                    return Ok(Judged::pull_first(circle));
                }
                // Not relayed unless it keeps the protocol; but a circle saying so of
                // itself, signed by its steward, is no fault of the peer that relays it.
                let verdict = if compliant && a.compliant {
                    Acceptance::Accept
                } else {
                    Acceptance::Ignore
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
            return Err(NodeError::NotCompliant(format!(
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
