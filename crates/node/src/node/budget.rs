//! Per-peer and per-circle budgets of the running node: permit pools for inbound work,
//! rate limits, the peers benched for stalling a pull, and a compliance cache.
//!
//! Everything here is bounded in entries; none of it survives a restart.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use circle_core::compliance::compliance;
use circle_core::keys::Hash32;
use circle_core::ledger::Ledger;
use circle_core::term::TermChain;
use circle_net::PeerId;
use tokio::sync::Semaphore;
use tracing::warn;

/// Sync requests answered at once; beyond this a request goes unanswered (the requester
/// times out).
pub(crate) const SYNC_AT_ONCE: usize = 16;
/// Announcements judged at once; beyond this one is ignored (the next one, or the catalog
/// check, says the same).
pub(crate) const ANNOUNCE_AT_ONCE: usize = 16;
/// Alerts judged at once, from a pool of their own: no sync request or announcement can
/// take an alert's permit.
pub(crate) const ALERTS_AT_ONCE: usize = 16;
/// Alerts that may wait for a permit; only past this is an alert dropped, and that is
/// logged.
pub(crate) const ALERTS_WAITING: usize = 256;
/// Longest wait of an alert for its permit (gossipsub keeps an unjudged message for a few
/// heartbeats).
pub(crate) const ALERT_WAIT: Duration = Duration::from_secs(3);
/// Alerts accepted per circle per [`ALERT_WINDOW`]; more are ignored (not kept, not
/// forwarded). A circle in trouble sends a few; thousands are a flood.
pub(crate) const ALERTS_PER_WINDOW: u64 = 30;
pub(crate) const ALERT_WINDOW: Duration = Duration::from_secs(3600);
/// Alerts that wait for a pull (their term is newer than ours, so their signature cannot
/// be checked until the pull brings that term's certificate) wait in a waiting room, not
/// holding an alert permit: a flood of them costs a few entries, and an alert of a term we
/// know is judged at once whatever the flood. The room holds this many of one circle's
/// alerts; more are ignored at once (no penalty: the sender may only relay), the pull still
/// asked for.
pub(crate) const PARKED_PER_CIRCLE: usize = 8;
/// Of one circle's seats, those one relaying peer may take: a forger flooding from one
/// peer leaves the others' seats to the alerts honest relays bring.
pub(crate) const PARKED_PER_PEER: usize = 2;
/// Alerts waiting in the room in all (over every circle).
pub(crate) const PARKED_IN_ALL: usize = 256;
/// Longest an alert waits in the room for its pull. It holds no permit meanwhile; past a
/// few heartbeats gossipsub no longer forwards it, but it is still shown. Longer than two
/// sync request timeouts (30 s each): a pull of the circle from a silent relay may run
/// ahead of the one that brings the certificate, and an urgent alert shown late is better
/// than one dropped.
pub(crate) const PARKED_FOR: Duration = Duration::from_secs(75);
/// Pulls of a circle asked of one relay while its alerts wait (see [`WaitingRoom`]).
pub(crate) const PARKED_PULLS: u32 = 3;
/// Gossip about circles this node does not hold, tolerated per peer per
/// [`UNWANTED_WINDOW`] (honest relays forward their own circles' messages to everyone);
/// beyond it each one is rejected, so a flooder's score sinks until it is graylisted.
pub(crate) const UNWANTED_PER_WINDOW: u64 = 64;
pub(crate) const UNWANTED_WINDOW: Duration = Duration::from_secs(60);
/// How long a peer that stalled a pull is not pulled from.
pub(crate) const BENCH_FOR: Duration = Duration::from_secs(600);
/// Entries in each per-peer or per-circle table; the oldest window makes room.
const TABLE: usize = crate::rate::KEYS;
/// Compliance results kept (one per circle, for its current heads, term and minute).
const COMPLIANCE_CACHED: usize = 64;
/// Least time between two warnings about dropped work.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// The permit pools of the events task: one each for sync answers, announcements and
/// alerts, so that a few expensive pulls can never silence an alert.
#[derive(Debug, Clone)]
pub(crate) struct Pools {
    pub(crate) sync: Arc<Semaphore>,
    pub(crate) announce: Arc<Semaphore>,
    pub(crate) alert: Arc<Semaphore>,
    pub(crate) alert_waiting: Arc<Semaphore>,
}

impl Pools {
    pub(crate) fn new() -> Pools {
        Pools {
            sync: Arc::new(Semaphore::new(SYNC_AT_ONCE)),
            announce: Arc::new(Semaphore::new(ANNOUNCE_AT_ONCE)),
            alert: Arc::new(Semaphore::new(ALERTS_AT_ONCE)),
            alert_waiting: Arc::new(Semaphore::new(ALERTS_WAITING)),
        }
    }
}

/// One circle's part of the waiting room: its seats, and the relaying peers holding them
/// in the order they take turns to be pulled from.
#[derive(Debug, Default)]
struct CircleSeats {
    taken: usize,
    /// At most [`PARKED_PER_CIRCLE`] relays (each holds a seat).
    rota: VecDeque<Relay>,
    /// The count of finished pulls for which a turn was last given (one per pull end).
    turn_at: Option<u64>,
}

#[derive(Debug)]
struct Relay {
    peer: PeerId,
    seats: usize,
    /// Pulls asked of this peer for the circle since it took its first seat.
    asked: u32,
}

/// Who waits in the waiting room (see [`PARKED_PER_CIRCLE`]). Entries exist only while an
/// alert waits, so it holds at most [`PARKED_IN_ALL`] circles.
#[derive(Debug, Default)]
struct Seats {
    by_circle: HashMap<Hash32, CircleSeats>,
    in_all: usize,
}

/// Why the waiting room has no seat for an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The relaying peer holds its share of the circle's seats: the pull those alerts
    /// asked for covers this one too.
    PeerShare,
    /// The circle's seats, or the room, are taken.
    Full,
}

/// The waiting room for alerts that need a pull before they can be judged. A [`Seat`] is
/// given back when dropped (judged, timed out, or its task cancelled).
///
/// Pulls of a circle run one at a time (a second is skipped while one runs), so the
/// relays of a circle's waiting alerts take turns: each finished pull gives one turn, to
/// the relay asked least (each at most [`PARKED_PULLS`] times). A relay that answers pulls
/// at once, serving nothing, then cannot keep the circle's pull to itself while an honest
/// relay's pull is skipped, and a waiting room of forgeries cannot make pulls go on for ever.
#[derive(Debug, Clone, Default)]
pub(crate) struct WaitingRoom {
    seats: Arc<Mutex<Seats>>,
}

impl WaitingRoom {
    /// A seat for an alert of `circle` relayed by `peer`, if the circle, the peer's share
    /// of it and the room have one left; with it, whether to ask `peer` for the pull now
    /// (its first seat in the circle). `busy`: the circle is being pulled, so that ask
    /// will be skipped and does not count (the peer's turn comes first).
    pub(crate) fn enter(
        &self,
        circle: Hash32,
        peer: PeerId,
        busy: bool,
    ) -> Result<(Seat, bool), Refused> {
        let mut seats = lock(&self.seats);
        if seats.in_all >= PARKED_IN_ALL {
            return Err(Refused::Full);
        }
        let room = seats.by_circle.entry(circle).or_default();
        let relay = room.rota.iter().position(|r| r.peer == peer);
        if relay.is_some_and(|i| room.rota[i].seats >= PARKED_PER_PEER) {
            return Err(Refused::PeerShare);
        }
        if room.taken >= PARKED_PER_CIRCLE {
            return Err(Refused::Full);
        }
        room.taken += 1;
        let first = match relay {
            Some(i) => {
                room.rota[i].seats += 1;
                false
            }
            None => {
                room.rota.push_back(Relay {
                    peer,
                    seats: 1,
                    asked: u32::from(!busy),
                });
                true
            }
        };
        seats.in_all += 1;
        let seat = Seat {
            room: self.clone(),
            circle,
            peer,
        };
        Ok((seat, first))
    }

    /// The relay to ask for a pull of `circle` now that the `pulls_done`-th pull has
    /// ended, if this pull end has not given the circle its turn yet and a relay may
    /// still be asked.
    pub(crate) fn turn(&self, circle: &Hash32, pulls_done: u64) -> Option<PeerId> {
        let mut seats = lock(&self.seats);
        let room = seats.by_circle.get_mut(circle)?;
        if room.turn_at.is_some_and(|t| t >= pulls_done) {
            return None;
        }
        room.turn_at = Some(pulls_done);
        let (i, _) = room
            .rota
            .iter()
            .enumerate()
            .filter(|(_, r)| r.asked < PARKED_PULLS)
            .min_by_key(|(_, r)| r.asked)?;
        let mut relay = room.rota.remove(i)?;
        relay.asked += 1;
        let peer = relay.peer;
        room.rota.push_back(relay);
        Some(peer)
    }

    #[cfg(test)]
    fn taken(&self) -> usize {
        lock(&self.seats).in_all
    }
}

/// One alert's place in the [`WaitingRoom`].
#[derive(Debug)]
pub(crate) struct Seat {
    room: WaitingRoom,
    circle: Hash32,
    peer: PeerId,
}

impl Seat {
    pub(crate) fn circle(&self) -> Hash32 {
        self.circle
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        let mut seats = lock(&self.room.seats);
        seats.in_all = seats.in_all.saturating_sub(1);
        let Some(room) = seats.by_circle.get_mut(&self.circle) else {
            return;
        };
        room.taken = room.taken.saturating_sub(1);
        if let Some(i) = room.rota.iter().position(|r| r.peer == self.peer) {
            room.rota[i].seats = room.rota[i].seats.saturating_sub(1);
            if room.rota[i].seats == 0 {
                room.rota.remove(i);
            }
        }
        if room.taken == 0 {
            seats.by_circle.remove(&self.circle);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock must not take the node down with it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Peers not pulled from for a while, because they stalled a pull.
#[derive(Debug, Default)]
pub(crate) struct Bench {
    until: HashMap<PeerId, Instant>,
}

impl Bench {
    pub(crate) fn add(&mut self, peer: PeerId, now: Instant) {
        if self.until.len() >= TABLE {
            self.until.retain(|_, t| *t > now);
            if self.until.len() >= TABLE {
                return;
            }
        }
        self.until.insert(peer, now + BENCH_FOR);
    }

    pub(crate) fn holds(&self, peer: &PeerId, now: Instant) -> bool {
        self.until.get(peer).is_some_and(|t| *t > now)
    }
}

/// Compliance per circle for given heads, term and minute: judging a thousand gossip
/// messages about one circle computes it once.
#[derive(Debug, Default)]
pub(crate) struct ComplianceCache {
    by_circle: HashMap<Hash32, (Hash32, bool)>,
    computed: u64,
}

impl ComplianceCache {
    pub(crate) fn compliant(&mut self, ledger: &Ledger, chain: &TermChain, now: u64) -> bool {
        let heads: Vec<Hash32> = ledger.heads().iter().map(|h| Hash32(h.0)).collect();
        let key = Hash32::digest(
            b"circle-ledger/compliance-key/v1",
            &[
                &circle_core::sync::heads_digest(&heads).0,
                &chain.latest().body.term.to_be_bytes(),
                &(chain.certs().len() as u64).to_be_bytes(),
                &(now / 60).to_be_bytes(),
            ],
        );
        let circle = chain.circle_id();
        if let Some((k, v)) = self.by_circle.get(&circle) {
            if *k == key {
                return *v;
            }
        }
        let v = compliance(ledger, chain, now).compliant;
        self.computed += 1;
        if self.by_circle.len() >= COMPLIANCE_CACHED && !self.by_circle.contains_key(&circle) {
            self.by_circle.clear();
        }
        self.by_circle.insert(circle, (key, v));
        v
    }

    #[cfg(test)]
    pub(crate) fn computed(&self) -> u64 {
        self.computed
    }
}

/// A warning that is written at most once a minute, with how often it happened meanwhile.
#[derive(Debug, Default)]
pub(crate) struct QuietWarning {
    last: Option<Instant>,
    count: u64,
}

impl QuietWarning {
    pub(crate) fn warn(&mut self, what: &str) {
        self.count += 1;
        let now = Instant::now();
        if self
            .last
            .is_none_or(|t| now.duration_since(t) >= WARN_EVERY)
        {
            self.last = Some(now);
            warn!(
                times = self.count,
                "{what} (counted since start; said once a minute)"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer() -> PeerId {
        circle_net::Keypair::generate_ed25519()
            .public()
            .to_peer_id()
    }

    #[test]
    fn the_waiting_room_is_shared_fairly_and_bounded() {
        let room = WaitingRoom::default();
        let (a, b) = (Hash32([1; 32]), Hash32([2; 32]));
        let forger = peer();
        let mut held = Vec::new();
        let mut firsts = 0;
        for _ in 0..5 {
            match room.enter(a, forger, false) {
                Ok((seat, first)) => {
                    firsts += usize::from(first);
                    held.push(seat);
                }
                Err(why) => assert_eq!(why, Refused::PeerShare),
            }
        }
        assert_eq!(held.len(), PARKED_PER_PEER, "one peer's share of a circle");
        assert_eq!(
            firsts, 1,
            "a peer is asked for the pull once, at its first seat"
        );
        // Refused entries give nothing back (a guard built and dropped on refusal would).
        for _ in 0..10 {
            assert!(room.enter(a, forger, false).is_err());
        }
        assert_eq!(room.taken(), PARKED_PER_PEER);
        let others: Vec<Seat> = (0..PARKED_PER_CIRCLE * 2)
            .filter_map(|_| room.enter(a, peer(), false).ok().map(|(s, _)| s))
            .collect();
        assert_eq!(others.len(), PARKED_PER_CIRCLE - PARKED_PER_PEER);
        assert_eq!(room.enter(a, peer(), false).err(), Some(Refused::Full));
        let other_circle = room.enter(b, forger, false);
        assert!(other_circle.is_ok(), "another circle has its own seats");
        drop(held);
        assert!(
            room.enter(a, forger, false).is_ok(),
            "seats given back are free"
        );
        drop((others, other_circle));
        assert_eq!(room.taken(), 0);
        assert!(lock(&room.seats).by_circle.is_empty());
    }

    #[test]
    fn the_waiting_room_holds_at_most_its_size_over_all_circles() {
        let room = WaitingRoom::default();
        let held: Vec<Seat> = (0..PARKED_IN_ALL as u32 * 2)
            .filter_map(|i| {
                let mut id = [0; 32];
                id[..4].copy_from_slice(&i.to_be_bytes());
                room.enter(Hash32(id), peer(), false).ok().map(|(s, _)| s)
            })
            .collect();
        assert_eq!(held.len(), PARKED_IN_ALL);
        assert_eq!(lock(&room.seats).by_circle.len(), PARKED_IN_ALL);
    }

    #[test]
    fn relays_take_turns_one_per_pull_end_and_each_only_a_few_times() {
        let room = WaitingRoom::default();
        let circle = Hash32([1; 32]);
        let forgers = [peer(), peer(), peer()];
        let steward = peer();
        let mut held = Vec::new();
        for p in forgers.iter().chain([&steward]) {
            held.push(room.enter(circle, *p, false).unwrap().0);
        }
        // All of them wake at the same pull end: one turn.
        assert!(room.turn(&circle, 1).is_some());
        assert_eq!(room.turn(&circle, 1), None);
        // The steward's turn comes within one round, however quick the others' pulls.
        let round: Vec<PeerId> = (2..5).filter_map(|n| room.turn(&circle, n)).collect();
        assert!(round.contains(&steward), "the steward never got its turn");
        // Each relay is asked at most PARKED_PULLS times; then the pulls stop.
        let asked = (5..100).filter_map(|n| room.turn(&circle, n)).count();
        assert_eq!(asked + 4, 4 * (PARKED_PULLS as usize - 1));
        assert_eq!(room.turn(&circle, 100), None);
        drop(held);
        assert_eq!(room.turn(&circle, 101), None, "no seats, no turns");
    }

    #[test]
    fn a_relay_asked_while_its_circle_was_being_pulled_has_the_next_turn() {
        let room = WaitingRoom::default();
        let circle = Hash32([1; 32]);
        let (forger, steward) = (peer(), peer());
        let _f = room.enter(circle, forger, false).unwrap();
        // The forger's pull runs: the steward's ask is skipped.
        let _s = room.enter(circle, steward, true).unwrap();
        assert_eq!(room.turn(&circle, 1), Some(steward));
    }

    #[test]
    fn compliance_is_computed_once_per_heads() {
        let now = 1_700_000_000;
        let (c, _) = circle_core::circle::Circle::create("Alder", 14, now).unwrap();
        let mut cache = ComplianceCache::default();
        let first = cache.compliant(&c.ledger, &c.chain, now);
        for _ in 0..1000 {
            assert_eq!(cache.compliant(&c.ledger, &c.chain, now), first);
        }
        assert_eq!(cache.computed(), 1);
        // A minute later it is judged again (the pledge's term may end).
        cache.compliant(&c.ledger, &c.chain, now + 60);
        assert_eq!(cache.computed(), 2);
    }
}
