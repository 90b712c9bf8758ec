//! A circle that forgets evidence after 2 terms against one that keeps everything, over
//! 26 terms of generated activity (issue 11, item 2): ledger size and first sync per
//! term, printed as a curve.
//!
//! `cargo bench -p circle-core --features test-utils --bench epochs` (release).
//! `EPOCH_TERMS=26`, `EPOCH_ACTIONS=400` (actions per term; other records scale with it).
//!
//! Each term writes actions, retrospectives, fund entries with memos, tasks (half of them
//! closed with a note) and a few tactics. "First sync" is the follower's core path for
//! the state at the end of the term: for the forgetting circle, the epoch base as a
//! snapshot vouched by its certificate (`Vouch::Epoch`, verified load) and then every
//! signed change of the epoch through `validate::ingest`; for the keeping circle, every
//! signed change through `validate::ingest` (what a first sync without snapshots does),
//! and plain `Automerge::load` of the same document as the baseline of the same run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use automerge::{Automerge, ChangeHash};
use circle_core::checkpoint::{Snapshot, SnapshotLimits, Vouch};
use circle_core::circle::Circle;
use circle_core::envelope::SignedChange;
use circle_core::ledger::{Amount, Currency, FundKind, Ledger, NewTactic, Signer};
use circle_core::testing::T0;
use circle_core::validate::ingest;

const DAY: u64 = 86_400;

struct Run {
    c: Circle,
    retain: Option<u32>,
    terms: HashMap<ChangeHash, u64>,
    /// Signed changes of the current epoch (all of them when the circle keeps everything).
    epoch_changes: Vec<SignedChange>,
    now: u64,
}

impl Run {
    fn new(retain: Option<u32>) -> Run {
        let (c, genesis) = Circle::create("Curve", 14, T0).unwrap();
        let mut r = Run {
            c,
            retain,
            terms: HashMap::new(),
            epoch_changes: Vec::new(),
            now: T0,
        };
        r.keep(genesis);
        r
    }

    fn keep(&mut self, s: SignedChange) {
        self.terms
            .insert(ChangeHash(s.envelope.change_hash.0), s.envelope.term);
        self.epoch_changes.push(s);
    }

    fn write<T>(
        &mut self,
        f: impl FnOnce(&mut Ledger, &Signer<'_>, u64) -> (T, SignedChange),
    ) -> T {
        let Circle {
            ledger,
            keys,
            chain,
        } = &mut self.c;
        let signer = Signer {
            key: &keys[0],
            term: chain.latest().body.term,
        };
        let (out, s) = f(ledger, &signer, self.now);
        self.keep(s);
        out
    }

    fn term_of_activity(&mut self, term: usize, actions: usize) {
        if term == 0 {
            self.write(|l, s, n| ((), l.declare_fund(s, n, "bail fund").unwrap()));
        }
        let eur: Currency = "EUR".parse().unwrap();
        for i in 0..actions {
            let title = format!("action {term}.{i} at the depot");
            self.write(|l, s, n| {
                l.log_action(s, n, &title, "we held the gate for two hours", &[])
                    .unwrap()
            });
            if i % 10 == 0 {
                let memo = format!("gift {term}.{i} from a supporter");
                let amount: Amount = "25".parse().unwrap();
                self.write(|l, s, n| {
                    l.add_fund_entry(s, n, FundKind::Contribution, amount, &eur, &memo)
                        .unwrap()
                });
                let id =
                    self.write(|l, s, n| l.add_task(s, n, &format!("task {term}.{i}")).unwrap());
                if i % 20 == 0 {
                    self.write(|l, s, n| {
                        ((), l.close_task(s, n, &id, "done, see the retro").unwrap())
                    });
                }
                self.write(|l, s, n| {
                    l.add_retro(s, n, &format!("retro {term}.{i}"), "what we learnt", None)
                        .unwrap()
                });
            }
            if i % 100 == 0 {
                let t = NewTactic {
                    title: format!("tactic {term}.{i}"),
                    body: "Lock on in pairs; rotate every hour.".into(),
                    license: "CC0-1.0".into(),
                    tags: vec![],
                    lineage: vec![],
                };
                self.write(|l, s, n| l.publish_tactic(s, n, &t).unwrap());
            }
        }
    }

    fn handover(&mut self) {
        self.now += 15 * DAY;
        let terms = &self.terms;
        let term_of = |h: &ChangeHash| terms.get(h).copied();
        match self.retain {
            Some(n) => {
                self.c
                    .rotate_forgetting(14, 1, self.now, n, &term_of)
                    .unwrap();
                self.epoch_changes.clear();
            }
            None => {
                self.c.rotate(14, 1, self.now).unwrap();
            }
        }
    }

    /// The follower's first sync of the circle as it stands now.
    fn first_sync(&self) -> Duration {
        let chain = self.c.chain.clone();
        let started = Instant::now();
        let mut ledger = match chain.epoch_start() {
            Some(cert) => {
                let term = cert.body.term;
                let base = base_of(
                    self.c.ledger.doc(),
                    &cert.body.forgetting.as_ref().unwrap().base_heads,
                );
                let snap = Snapshot::build(&base, Vouch::Epoch { term }).unwrap();
                let bytes = snap.encode();
                let snap = Snapshot::decode(&bytes).unwrap();
                snap.open_with_document(&chain, self.now, SnapshotLimits::default())
                    .unwrap()
                    .0
            }
            None => Ledger::empty_replica(chain.circle_id()),
        };
        let report = ingest(&mut ledger, &chain, self.epoch_changes.clone(), self.now);
        assert!(report.rejected.is_empty() && report.pending.is_empty());
        assert_eq!(ledger.heads(), self.c.ledger.heads());
        started.elapsed()
    }
}

fn base_of(doc: &Automerge, heads: &[circle_core::keys::Hash32]) -> Automerge {
    let heads: Vec<ChangeHash> = heads.iter().map(|h| ChangeHash(h.0)).collect();
    doc.fork_at(&heads).unwrap()
}

fn plain_load(doc: &Automerge) -> Duration {
    let bytes = doc.save();
    let started = Instant::now();
    let loaded = Automerge::load(&bytes).unwrap();
    assert_eq!(loaded.get_heads(), doc.get_heads());
    started.elapsed()
}

fn main() {
    let terms: usize = std::env::var("EPOCH_TERMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(26);
    let actions: usize = std::env::var("EPOCH_ACTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    let mut forget = Run::new(Some(2));
    let mut keep = Run::new(None);
    println!("== {terms} terms, {actions} actions per term; forgetting after 2 terms vs keeping everything ==");
    println!("term | forget: bytes  first sync | keep: bytes  first sync  plain load | forget/keep bytes  forget sync / keep plain load | forget bytes / term 3");
    let mut at_three = None;
    for term in 0..terms {
        forget.term_of_activity(term, actions);
        keep.term_of_activity(term, actions);
        let (fb, kb) = (
            forget.c.ledger.doc().save().len(),
            keep.c.ledger.doc().save().len(),
        );
        let (fs, ks, kl) = (
            forget.first_sync(),
            keep.first_sync(),
            plain_load(keep.c.ledger.doc()),
        );
        if term == 3 {
            at_three = Some(fb);
        }
        let vs3 = at_three
            .map(|b| format!("{:.2}x", fb as f64 / b as f64))
            .unwrap_or_else(|| "-".into());
        println!(
            "{term:>4} | {fb:>12} {:>10.1?} | {kb:>10} {:>10.1?} {:>10.1?} | {:>6.2}x {:>6.2}x | {vs3}",
            fs,
            ks,
            kl,
            fb as f64 / kb as f64,
            fs.as_secs_f64() / kl.as_secs_f64(),
        );
        forget.handover();
        keep.handover();
    }
}
