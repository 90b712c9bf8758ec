//! A deterministic, in-process simulator of many replicas pulling one multi-term circle
//! from each other through [`Puller`] and `answer_pull_with`: lost answers, pages
//! delivered twice or late, replicas that restart (losing their puller and quarantine,
//! keeping what they applied), tiny page budgets, and a steward that keeps writing.
//! Seeded, so a failure names the seed that reproduces it; every loop is bounded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};

use automerge::ChangeHash;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::*;
use crate::ledger::Signer;
use crate::testing::{scenario, Scenario};
use crate::validate::has_change;

/// One replica: what it stores, and its pull in progress.
#[derive(Debug)]
pub(super) struct Peer {
    cid: Hash32,
    pub(super) ledger: Option<Ledger>,
    pub(super) chain: Option<TermChain>,
    envs: HashMap<Hash32, Envelope>,
    /// Heads persisted as shared with each peer after a completed pull.
    shared: HashMap<usize, Vec<Hash32>>,
    /// What a finished pull left waiting (a node keeps it in the circle's slot).
    quarantine: Quarantine,
    pull: Option<(usize, Puller)>,
}

impl Peer {
    pub(super) fn empty(s: &Scenario) -> Peer {
        Peer {
            cid: s.circle_id(),
            ledger: None,
            chain: None,
            envs: HashMap::new(),
            shared: HashMap::new(),
            quarantine: Quarantine::new(),
            pull: None,
        }
    }

    pub(super) fn full(s: &Scenario) -> Peer {
        Peer {
            ledger: Some(s.circle.ledger.clone()),
            chain: Some(s.chain()),
            envs: s
                .changes
                .iter()
                .map(|c| (c.envelope.change_hash, c.envelope.clone()))
                .collect(),
            ..Peer::empty(s)
        }
    }

    pub(super) fn heads(&self) -> Vec<Hash32> {
        self.ledger.as_ref().map(heads_of).unwrap_or_default()
    }

    /// Answers a pull as a node does (fresh serve order); `None`: not served.
    pub(super) fn answer(&self, req: &PullRequest, max_page_bytes: usize) -> Option<Page> {
        let (ledger, chain) = (self.ledger.as_ref()?, self.chain.as_ref()?);
        let mut order = ServeOrder::new();
        order.refresh(ledger.doc());
        let serve = Serve {
            order: Some(&order),
            evidence: &[],
        };
        let envs = &self.envs;
        let mut envelope = |h: &Hash32| envs.get(h).cloned();
        let a = answer_pull_with(ledger, chain, req, &mut envelope, max_page_bytes, serve);
        Some(a.page)
    }

    /// Takes one page through the machine: check against a chain copy, then keep.
    pub(super) fn take(
        &mut self,
        puller: &mut Puller,
        page: Page,
        now: u64,
    ) -> Result<Kept, PullError> {
        let ledger = self.ledger.as_ref();
        let checked = puller.check(page, self.chain.clone(), now, |changes| match ledger {
            Some(l) => changes
                .into_iter()
                .filter(|c| !has_change(l.doc(), &ChangeHash(c.envelope.change_hash.0)))
                .collect(),
            None => changes,
        })?;
        if self.chain.is_none() {
            self.chain = Some(TermChain::from_certs(checked.certs().to_vec())?);
        }
        let cid = self.cid;
        let ledger = self
            .ledger
            .get_or_insert_with(|| Ledger::empty_replica(cid));
        let chain = self.chain.as_mut().expect("set above");
        let mut keeper = KeepInMemory::new(ledger, chain);
        let kept = puller.keep(checked, &mut keeper, now)?;
        for c in keeper.applied {
            self.envs.insert(c.envelope.change_hash, c.envelope);
        }
        Ok(kept)
    }

    /// Every change hash this replica applied.
    fn applied(&self) -> HashSet<Hash32> {
        let Some(l) = &self.ledger else {
            return HashSet::new();
        };
        l.doc()
            .get_changes(&[])
            .iter()
            .map(|c| Hash32(c.hash().0))
            .collect()
    }
}

/// Pulls `from` into `to` until the machine says done or stop, over encoded bytes,
/// with no losses; returns the last page's outcome (`None`: not served). `on_page`
/// sees the puller after each page.
pub(super) fn pull_all(
    to: &mut Peer,
    from: &Peer,
    puller: &mut Puller,
    budget_pages: usize,
    now: u64,
    mut on_page: impl FnMut(&Puller),
) -> Result<Option<Kept>, PullError> {
    for _ in 0..budget_pages {
        let Some(req) = puller.request(to.ledger.as_ref(), to.chain.as_ref()) else {
            break;
        };
        let Some(page) = roundtrip(from, &req) else {
            return Ok(None);
        };
        let kept = to.take(puller, page, now)?;
        on_page(puller);
        if kept.next != Next::Request {
            return Ok(Some(kept));
        }
    }
    panic!("the pull did not end within {budget_pages} pages");
}

/// A request and its page through their encodings, as between two nodes.
fn roundtrip(from: &Peer, req: &PullRequest) -> Option<Page> {
    let wire = Request::Pull(req.clone()).encode();
    let Ok(Request::Pull(got)) = Request::decode(&wire) else {
        panic!("request does not decode");
    };
    let back = Response::Page(from.answer(&got, MAX_PAGE_BYTES)?).encode();
    match Response::decode(&back) {
        Ok(Response::Page(page)) => Some(page),
        other => panic!("page does not decode: {other:?}"),
    }
}

/// The network of one simulation run.
struct Sim {
    peers: Vec<Peer>,
    rng: StdRng,
    /// Pages delivered once and kept to be delivered again, late.
    replay: Vec<(usize, Page)>,
    s: Scenario,
    writes: usize,
    /// A replica that serves forged pages (a copy of the origin that flips a bit of
    /// one signature in every page it sends).
    hostile: Option<usize>,
    /// Pages refused for a forged signature.
    refused: usize,
}

impl Sim {
    fn new(seed: u64, nodes: usize) -> Sim {
        let s = scenario(4, 6);
        let mut peers = vec![Peer::full(&s)];
        peers.extend((1..nodes).map(|_| Peer::empty(&s)));
        Sim {
            peers,
            rng: StdRng::seed_from_u64(seed),
            replay: Vec::new(),
            s,
            writes: 0,
            hostile: None,
            refused: 0,
        }
    }

    /// As [`Sim::new`], with one more replica that forges what it serves.
    fn with_hostile(seed: u64, nodes: usize) -> Sim {
        let mut sim = Sim::new(seed, nodes);
        sim.hostile = Some(nodes);
        let forger = Peer::full(&sim.s);
        sim.peers.push(forger);
        sim
    }

    /// The replicas that play fair.
    fn honest(&self) -> usize {
        self.peers.len() - usize::from(self.hostile.is_some())
    }

    /// The origin (peer 0) writes one more action as a steward of the latest term.
    fn write(&mut self) {
        let origin = &mut self.peers[0];
        let signer = Signer {
            key: &self.s.circle.keys[0],
            term: self.s.circle.term(),
        };
        let title = format!("late action {}", self.writes);
        let ledger = origin.ledger.as_mut().unwrap();
        let (_, c) = ledger
            .log_action(&signer, self.s.now, &title, "", &[])
            .unwrap();
        origin.envs.insert(c.envelope.change_hash, c.envelope);
        self.writes += 1;
    }

    /// One step of node `i`'s pull (started if none): a request, maybe a lost or late
    /// answer, a page checked and kept.
    fn step(&mut self, i: usize) {
        let n = self.peers.len();
        let (from, mut puller) = match self.peers[i].pull.take() {
            Some(p) => p,
            None => {
                let from = (i + 1 + self.rng.random_range(0..n - 1)) % n;
                let shared = self.peers[i].shared.get(&from).cloned().unwrap_or_default();
                let budget = self.rng.random_range(0..600u32);
                let held = std::mem::take(&mut self.peers[i].quarantine);
                let puller = Puller::new(self.s.circle_id(), &shared, budget).with_quarantine(held);
                (from, puller)
            }
        };
        let me = &self.peers[i];
        let Some(req) = puller.request(me.ledger.as_ref(), me.chain.as_ref()) else {
            self.peers[i].quarantine = puller.into_quarantine();
            return;
        };
        let Some(mut page) = roundtrip(&self.peers[from], &req) else {
            // Not served: the pull ends, as a node's does.
            self.peers[i].quarantine = puller.into_quarantine();
            return;
        };
        let forged = Some(from) == self.hostile && !page.changes.is_empty();
        if forged {
            let at = self.rng.random_range(0..page.changes.len());
            page.changes[at].signature.0[7] ^= 0x10;
        }
        let roll = self.rng.random_range(0..100u32);
        let page = match roll {
            // Lost: the same request goes out again next step.
            0..=14 => {
                self.peers[i].pull = Some((from, puller));
                return;
            }
            // Kept aside to arrive again later (a duplicate, out of order).
            15..=29 => {
                self.replay.push((i, page.clone()));
                page
            }
            // A page from earlier arrives instead of this one.
            30..=39 => match self.replay.iter().position(|(to, _)| *to == i) {
                Some(at) => self.replay.swap_remove(at).1,
                None => page,
            },
            _ => page,
        };
        let now = self.s.now;
        let ended = match self.peers[i].take(&mut puller, page, now) {
            Err(e) => panic!("a signed page, late or not, was refused: {e}"),
            Ok(kept) => {
                // A forged change we hold already (applied, or waiting with its true
                // signature) is dropped as a duplicate: only then may a forged page pass.
                let refused = matches!(kept.next, Next::Stop(Stop::Rejected(_)));
                assert!(
                    forged || !refused,
                    "an honest page was refused: {:?}",
                    kept.next
                );
                self.refused += usize::from(refused);
                assert_ne!(kept.next, Next::Stop(Stop::Overflow));
                if let Some(shared) = kept.shared {
                    self.peers[i].shared.insert(from, shared);
                }
                kept.next != Next::Request
            }
        };
        match ended {
            true => self.peers[i].quarantine = puller.into_quarantine(),
            false => self.peers[i].pull = Some((from, puller)),
        }
    }

    /// Node `i` restarts: what it keeps in memory only is gone.
    fn restart(&mut self, i: usize) {
        self.peers[i].pull = None;
        self.peers[i].quarantine = Quarantine::new();
        self.replay.retain(|(to, _)| *to != i);
    }

    fn run(&mut self, steps: usize) {
        let n = self.peers.len();
        for _ in 0..steps {
            match self.rng.random_range(0..100u32) {
                0..=2 if self.writes < 8 => self.write(),
                3..=6 => {
                    let i = self.rng.random_range(1..n);
                    self.restart(i);
                }
                _ => {
                    let i = self.rng.random_range(0..n);
                    self.step(i);
                }
            }
        }
    }

    /// After the storm: every node pulls from a random peer, without losses, until all
    /// agree (bounded rounds); returns the rounds taken.
    fn settle(&mut self, seed: u64) -> usize {
        let n = self.honest();
        let now = self.s.now;
        for round in 1..=4 * n {
            for i in 0..n {
                // A pull in progress is given up; what it held waits on.
                let mut held = std::mem::take(&mut self.peers[i].quarantine);
                if let Some((_, p)) = self.peers[i].pull.take() {
                    held.merge(p.into_quarantine());
                }
                let from = (i + 1 + self.rng.random_range(0..n - 1)) % n;
                let shared = self.peers[i].shared.get(&from).cloned().unwrap_or_default();
                let mut puller =
                    Puller::new(self.s.circle_id(), &shared, 300).with_quarantine(held);
                let (to, from_peer) = two(&mut self.peers, i, from);
                let kept = pull_all(to, from_peer, &mut puller, 1_000, now, |_| {});
                match kept {
                    Ok(Some(Kept {
                        next: Next::Done,
                        shared,
                        ..
                    })) => {
                        let shared = shared.expect("a done pull names its shared heads");
                        self.peers[i].shared.insert(from, shared);
                    }
                    // A responder behind us whose base is a sample point further back
                    // than a page sends only what we hold: the machine stops (as the
                    // node always did) and another peer is pulled from next round.
                    Ok(Some(Kept {
                        next: Next::Stop(Stop::Stale),
                        ..
                    })) => {}
                    other => panic!("seed {seed}: an honest pull ended {other:?}"),
                }
                self.peers[i].quarantine = puller.into_quarantine();
            }
            let origin = self.peers[0].heads();
            if self.peers[..n].iter().all(|p| p.heads() == origin) {
                return round;
            }
        }
        panic!("seed {seed}: the replicas did not converge");
    }
}

/// Two distinct peers, the first mutable.
fn two(peers: &mut [Peer], i: usize, j: usize) -> (&mut Peer, &Peer) {
    assert_ne!(i, j);
    if i < j {
        let (a, b) = peers.split_at_mut(j);
        (&mut a[i], &b[0])
    } else {
        let (a, b) = peers.split_at_mut(i);
        (&mut b[0], &a[j])
    }
}

/// Every honest replica ends with the origin's heads, exactly the origin's changes
/// under the origin's signatures, and an empty quarantine.
fn assert_converged(sim: &Sim, seed: u64) {
    let origin = &sim.peers[0];
    let (applied, heads) = (origin.applied(), origin.heads());
    assert!(
        applied.len() > sim.s.changes.len(),
        "the origin wrote meanwhile"
    );
    for (i, p) in sim.peers[..sim.honest()].iter().enumerate() {
        assert_eq!(p.heads(), heads, "seed {seed}: node {i}");
        // Only what the origin's stewards signed within their terms.
        assert_eq!(p.applied(), applied, "seed {seed}: node {i}");
        assert_eq!(
            p.envs, origin.envs,
            "seed {seed}: node {i}: the same signatures"
        );
        assert!(p.quarantine.is_empty(), "seed {seed}: node {i}");
        assert!(p.pull.is_none(), "seed {seed}: node {i}");
    }
}

#[test]
fn many_replicas_converge_through_losses_replays_and_restarts() {
    for seed in 0..6u64 {
        let mut sim = Sim::new(seed, 6);
        sim.run(600);
        sim.settle(seed);
        assert_converged(&sim, seed);
    }
}

/// A replica that forges one signature in every page it serves: each such page is
/// refused by name (the pull stops), no forged signature is ever kept, and the others
/// still converge.
#[test]
fn a_forging_replica_among_honest_ones_gets_nothing_in() {
    for seed in 100..103u64 {
        let mut sim = Sim::with_hostile(seed, 5);
        sim.run(600);
        assert!(sim.refused > 0, "seed {seed}: no forged page was refused");
        sim.settle(seed);
        assert_converged(&sim, seed);
    }
}
