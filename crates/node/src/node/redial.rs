//! Staying connected: redialing known peers that are not connected, forever while the
//! node serves, so the federation heals by itself after a sister restarts.
//!
//! Targets are the remembered peers (every peer this node reached, from the store), the
//! peers configured with `--peer`, and the node named by each followed invite. Each target
//! not connected is dialed again after an exponential backoff with jitter: 1 s, 2 s, 4 s …
//! up to [`MAX_BACKOFF`], each wait drawn between half and all of its step so that many
//! followers of one restarted sister do not dial it in lockstep. A success (or the peer
//! dialing us) resets it; a lost connection schedules a redial within about a second.
//!
//! Bounded: at most [`MAX_TRACKED`] targets (the store's peer cap), [`DIALS_AT_ONCE`]
//! dials in flight, [`MAX_TARGET_ADDRS`] addresses tried per target. A reconnected peer
//! raises `PeerConnected`, whose catalog job pulls whatever changed meanwhile.
//!
//! Followed circles whose node is not among the targets (they were found through a
//! sister) are looked up in the DHT now and then, and their providers asked for their
//! catalog, which dials them through the addresses the DHT knows.

use std::collections::HashMap;
use std::time::Duration;

use circle_core::invite::Invite;
use circle_core::keys::Hash32;
use circle_net::multiaddr::Protocol;
use circle_net::{Multiaddr, PeerId};
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;
use tracing::debug;

use super::{lock, Job, Node};

/// Peers redialed at most (the store remembers as many).
pub(crate) const MAX_TRACKED: usize = circle_store::MAX_PEERS;
/// Dials in flight at once.
const DIALS_AT_ONCE: usize = 4;
/// Addresses tried per target and round.
const MAX_TARGET_ADDRS: usize = circle_store::MAX_PEER_ADDRS;
/// First wait after a failed dial; it doubles with each failure.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// Longest wait between two dials of one peer.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How often remembered peers are read again from the store.
const REFRESH: Duration = Duration::from_secs(30);
/// How often followed circles are looked up in the DHT, and how many per round.
const PROVIDERS_EVERY: Duration = Duration::from_secs(120);
const PROVIDER_CIRCLES: usize = 4;
/// Longest wait for one DHT lookup.
const PROVIDER_WAIT: Duration = Duration::from_secs(10);
/// Wait before redialing a peer whose connection just closed (it may be restarting).
const AFTER_DISCONNECT: Duration = Duration::from_secs(1);

/// Redial state, shared by the task and the event hooks.
#[derive(Debug, Default)]
pub(super) struct Redial {
    targets: std::sync::Mutex<HashMap<PeerId, Target>>,
    wake: Notify,
}

#[derive(Debug)]
struct Target {
    /// Each ends in `/p2p/<peer>`, so Noise checks who answers.
    addrs: Vec<Multiaddr>,
    failures: u32,
    due: Instant,
    dialing: bool,
}

impl Target {
    fn new(addrs: Vec<Multiaddr>, due: Instant) -> Target {
        Target {
            addrs,
            failures: 0,
            due,
            dialing: false,
        }
    }
}

/// The wait after `failures` failed dials: the doubled step, capped, with "equal jitter"
/// (half the step fixed, half random).
pub(crate) fn backoff(failures: u32) -> Duration {
    let step = FIRST_BACKOFF
        .saturating_mul(1u32 << failures.min(16))
        .min(MAX_BACKOFF);
    let half = step / 2;
    let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX).max(1);
    half + Duration::from_millis(rand::random::<u64>() % jitter_ms)
}

/// `addr` ending in `/p2p/<peer>`, or None if it names another peer.
fn with_peer(mut addr: Multiaddr, peer: PeerId) -> Option<Multiaddr> {
    match addr.iter().last() {
        Some(Protocol::P2p(p)) if p == peer => Some(addr),
        Some(Protocol::P2p(_)) => None,
        _ => {
            addr.push(Protocol::P2p(peer));
            Some(addr)
        }
    }
}

/// The peer an address ending in `/p2p/<peer>` names.
fn peer_of(addr: &Multiaddr) -> Option<PeerId> {
    match addr.iter().last() {
        Some(Protocol::P2p(p)) => Some(p),
        _ => None,
    }
}

impl Redial {
    /// Adds addresses for a peer (new targets are due at `due`); past the cap, new peers
    /// are not tracked.
    fn track(&self, peer: PeerId, addrs: Vec<Multiaddr>, due: Instant) {
        let addrs: Vec<Multiaddr> = addrs
            .into_iter()
            .filter_map(|a| with_peer(a, peer))
            .collect();
        if addrs.is_empty() {
            return;
        }
        let mut targets = lock(&self.targets);
        let full = targets.len() >= MAX_TRACKED;
        match targets.get_mut(&peer) {
            Some(t) => {
                for a in addrs {
                    if !t.addrs.contains(&a) {
                        t.addrs.insert(0, a);
                    }
                }
                t.addrs.truncate(MAX_TARGET_ADDRS);
            }
            None if !full => {
                let mut addrs = addrs;
                addrs.truncate(MAX_TARGET_ADDRS);
                targets.insert(peer, Target::new(addrs, due));
            }
            None => {}
        }
    }

    /// Targets due now that no dial is working on, marked as being dialed.
    fn take_due(
        &self,
        now: Instant,
        connected: &dyn Fn(&PeerId) -> bool,
        max: usize,
    ) -> Vec<(PeerId, Vec<Multiaddr>)> {
        let mut targets = lock(&self.targets);
        let mut out = Vec::new();
        for (peer, t) in targets.iter_mut() {
            if out.len() >= max {
                break;
            }
            if t.dialing || t.due > now {
                continue;
            }
            if connected(peer) {
                // Nothing to do; look again after the longest backoff (a disconnect
                // brings it forward).
                t.failures = 0;
                t.due = now + MAX_BACKOFF;
                continue;
            }
            t.dialing = true;
            out.push((*peer, t.addrs.clone()));
        }
        out
    }

    fn dialed(&self, peer: PeerId, reached: bool) {
        if let Some(t) = lock(&self.targets).get_mut(&peer) {
            t.dialing = false;
            if reached {
                t.failures = 0;
                t.due = Instant::now() + MAX_BACKOFF;
            } else {
                t.failures = t.failures.saturating_add(1);
                t.due = Instant::now() + backoff(t.failures);
            }
        }
    }

    /// When the next target is due (None: no target).
    fn next_due(&self) -> Option<Instant> {
        lock(&self.targets)
            .values()
            .filter(|t| !t.dialing)
            .map(|t| t.due)
            .min()
    }
}

impl Node {
    /// Hook for `PeerConnected`: a peer that is back needs no redial for now.
    pub(super) fn redial_connected(&self, peer: PeerId) {
        if let Some(t) = lock(&self.inner.redial.targets).get_mut(&peer) {
            t.failures = 0;
            t.due = Instant::now() + MAX_BACKOFF;
        }
    }

    /// Hook for `PeerDisconnected`: dial it again soon (it may be restarting).
    pub(super) fn redial_disconnected(&self, peer: PeerId) {
        if let Some(t) = lock(&self.inner.redial.targets).get_mut(&peer) {
            t.failures = 0;
            t.due = Instant::now() + AFTER_DISCONNECT + backoff(0);
        }
        self.inner.redial.wake.notify_one();
    }

    /// Hook for `follow`: the invite's node is a target from now on, and is remembered
    /// across restarts even if it is not reachable yet.
    pub(super) fn redial_invite(&self, invite: &Invite) {
        let Some(peer) = invite
            .peer_id
            .as_deref()
            .and_then(|p| p.parse::<PeerId>().ok())
        else {
            return;
        };
        let addrs: Vec<Multiaddr> = invite
            .addrs
            .iter()
            .filter_map(|a| a.parse::<Multiaddr>().ok())
            .filter_map(|a| with_peer(a, peer))
            .collect();
        if addrs.is_empty() {
            return;
        }
        if peer == self.inner.peer_id {
            return;
        }
        let texts: Vec<String> = addrs.iter().map(|a| a.to_string()).collect();
        self.inner
            .redial
            .track(peer, addrs, Instant::now() + backoff(0));
        let store = self.inner.store.clone();
        let day = circle_core::ledger::day_of(super::now());
        tokio::task::spawn_blocking(move || {
            // Only an invite not remembered yet: a reached address stays first.
            let known = store
                .peers()
                .map(|ps| ps.iter().any(|p| p.peer_id == peer.to_string()))
                .unwrap_or(true);
            if !known {
                let _ = store.put_peer(&peer.to_string(), &texts, day);
                let _ = store.sync();
            }
        });
        self.inner.redial.wake.notify_one();
    }

    /// Reads the remembered peers and merges them into the targets.
    async fn redial_refresh(&self, configured: &[Multiaddr]) {
        let store = self.inner.store.clone();
        let remembered = match tokio::task::spawn_blocking(move || store.peers()).await {
            Ok(Ok(p)) => p,
            _ => Vec::new(),
        };
        let due = Instant::now() + backoff(1);
        for p in remembered {
            let Ok(peer) = p.peer_id.parse::<PeerId>() else {
                continue;
            };
            if peer == self.inner.peer_id {
                continue;
            }
            let addrs = p.addrs.iter().filter_map(|a| a.parse().ok()).collect();
            self.inner.redial.track(peer, addrs, due);
        }
        for a in configured {
            if let Some(peer) = peer_of(a) {
                self.inner.redial.track(peer, vec![a.clone()], due);
            }
        }
    }

    /// Dials one target, address after address, until one answers.
    async fn redial_one(&self, peer: PeerId, addrs: Vec<Multiaddr>) {
        let mut reached = false;
        for addr in addrs {
            match self.dial(addr).await {
                Ok(p) if p == peer => {
                    reached = true;
                    break;
                }
                Ok(_) => {}
                Err(e) => debug!(%e, "redial failed"),
            }
        }
        self.inner.redial.dialed(peer, reached);
    }

    /// Followed circles are asked of the DHT a few at a time, and each provider asked
    /// for its catalog: a circle reached only through a sister finds its own node again.
    async fn redial_providers(&self, round: usize) {
        let store = self.inner.store.clone();
        let followed: Vec<Hash32> =
            match tokio::task::spawn_blocking(move || store.followed()).await {
                Ok(Ok(f)) => f,
                _ => return,
            };
        if followed.is_empty() || lock(&self.inner.live).peers.is_empty() {
            // No one to ask: the DHT lives on connected peers.
            return;
        }
        let start = (round * PROVIDER_CIRCLES) % followed.len();
        for circle in followed
            .iter()
            .cycle()
            .skip(start)
            .take(PROVIDER_CIRCLES.min(followed.len()))
        {
            let lookup = self.inner.net.providers(circle.0.to_vec());
            let Ok(Ok(found)) = tokio::time::timeout(PROVIDER_WAIT, lookup).await else {
                continue;
            };
            for peer in found {
                let connected = lock(&self.inner.live).peers.contains(&peer);
                if peer != self.inner.peer_id && !connected {
                    self.enqueue(Job::Catalog(peer));
                }
            }
        }
    }

    /// Redials until the node stops.
    pub(super) async fn redial_task(self, configured: Vec<Multiaddr>) {
        let mut stopped = std::pin::pin!(self.stopped());
        let dials = std::sync::Arc::new(Semaphore::new(DIALS_AT_ONCE));
        let mut refresh_at = Instant::now();
        let mut providers_at = Instant::now() + PROVIDERS_EVERY;
        let mut provider_round = 0usize;
        loop {
            let now = Instant::now();
            if now >= refresh_at {
                self.redial_refresh(&configured).await;
                refresh_at = Instant::now() + REFRESH;
            }
            if now >= providers_at {
                let node = self.clone();
                let round = provider_round;
                // In the background: lookups must not hold up redials.
                tokio::spawn(async move { node.redial_providers(round).await });
                provider_round = provider_round.wrapping_add(1);
                providers_at = now + PROVIDERS_EVERY;
            }
            let live = &self.inner.live;
            let connected = |p: &PeerId| lock(live).peers.contains(p);
            let free = dials.available_permits();
            for (peer, addrs) in self.inner.redial.take_due(now, &connected, free) {
                let Ok(permit) = dials.clone().try_acquire_owned() else {
                    self.inner.redial.dialed(peer, false);
                    continue;
                };
                let node = self.clone();
                tokio::spawn(async move {
                    node.redial_one(peer, addrs).await;
                    drop(permit);
                    node.inner.redial.wake.notify_one();
                });
            }
            let wake_at = self
                .inner
                .redial
                .next_due()
                .unwrap_or(refresh_at)
                .min(refresh_at)
                .min(providers_at)
                .max(Instant::now() + Duration::from_millis(50));
            tokio::select! {
                _ = tokio::time::sleep_until(wake_at) => {}
                _ = self.inner.redial.wake.notified() => {}
                _ = &mut stopped => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter() {
        for failures in 0..40 {
            let step = FIRST_BACKOFF
                .saturating_mul(1u32 << failures.min(16))
                .min(MAX_BACKOFF);
            for _ in 0..20 {
                let d = backoff(failures);
                assert!(d >= step / 2 && d <= step, "{failures}: {d:?}");
            }
        }
        assert!(backoff(100) <= MAX_BACKOFF);
        // Jitter: not every draw is the same.
        let draws: std::collections::HashSet<Duration> = (0..50).map(|_| backoff(5)).collect();
        assert!(draws.len() > 1);
    }

    fn peer(n: u8) -> PeerId {
        circle_net::keypair([n; 32]).unwrap().public().to_peer_id()
    }

    #[test]
    fn targets_are_capped_and_due_ones_taken_once() {
        let r = Redial::default();
        let now = Instant::now();
        let addr: Multiaddr = "/ip4/127.0.0.1/tcp/1".parse().unwrap();
        for i in 0..=255u8 {
            r.track(peer(i), vec![addr.clone()], now);
        }
        // 256 tracked, the cap; one more is not.
        assert_eq!(lock(&r.targets).len(), MAX_TRACKED);
        let mut seed = [9u8; 32];
        seed[0] = 1;
        let one_more = circle_net::keypair(seed).unwrap().public().to_peer_id();
        r.track(one_more, vec![addr.clone()], now);
        assert!(!lock(&r.targets).contains_key(&one_more));
        let not_connected = |_: &PeerId| false;
        let first = r.take_due(now, &not_connected, 4);
        assert_eq!(first.len(), 4);
        assert!(first
            .iter()
            .all(|(p, a)| a[0].iter().last() == Some(Protocol::P2p(*p))));
        // Being dialed: not taken again.
        let again = r.take_due(now, &not_connected, 1000);
        assert_eq!(again.len(), MAX_TRACKED - 4);
        for (p, _) in first {
            r.dialed(p, false);
        }
        assert!(r.take_due(now, &not_connected, 1000).is_empty());
    }

    #[test]
    fn an_address_naming_another_peer_is_not_dialed_as_this_one() {
        let a: Multiaddr = format!("/ip4/127.0.0.1/tcp/1/p2p/{}", peer(2))
            .parse()
            .unwrap();
        assert!(with_peer(a, peer(1)).is_none());
        let r = Redial::default();
        r.track(
            peer(1),
            vec![format!("/ip4/127.0.0.1/tcp/1/p2p/{}", peer(2))
                .parse()
                .unwrap()],
            Instant::now(),
        );
        assert!(lock(&r.targets).is_empty());
    }
}
