//! Rebases: what is kept, what is forgotten, and that every node derives the same base.

use std::collections::HashMap;

use automerge::{Automerge, ChangeHash};

use super::*;
use crate::circle::Circle;
use crate::envelope::SignedChange;
use crate::ledger::{Amount, Currency, FundKind, Lineage, NewTactic, NewZine, TaskStatus, DAY};
use crate::term::TermChain;
use crate::testing::T0;

/// A circle and the term of every signed change it wrote.
struct Log {
    c: Circle,
    terms: HashMap<ChangeHash, u64>,
    now: u64,
}

impl Log {
    fn new() -> Log {
        let (c, genesis) = Circle::create("Forgetful", 14, T0).unwrap();
        let mut log = Log {
            c,
            terms: HashMap::new(),
            now: T0,
        };
        log.note(&genesis);
        log
    }

    fn note(&mut self, s: &SignedChange) {
        self.terms
            .insert(ChangeHash(s.envelope.change_hash.0), s.envelope.term);
    }

    /// Logs an action and returns its signed change.
    fn signed_action(&mut self, title: &str) -> SignedChange {
        self.with(|l, s, now| {
            let (_, c) = l.log_action(s, now, title, "", &[]).unwrap();
            (c.clone(), c)
        })
    }

    fn action(&mut self, title: &str) -> String {
        let title = title.to_owned();
        self.with(|l, s, now| l.log_action(s, now, &title, "summary", &[]).unwrap())
    }

    fn with<T>(
        &mut self,
        f: impl FnOnce(&mut crate::ledger::Ledger, &crate::ledger::Signer<'_>, u64) -> (T, SignedChange),
    ) -> T {
        let Circle {
            ledger,
            keys,
            chain,
        } = &mut self.c;
        let signer = crate::ledger::Signer {
            key: &keys[0],
            term: chain.latest().body.term,
        };
        let (out, s) = f(ledger, &signer, self.now);
        self.note(&s);
        out
    }

    fn rotate(&mut self, retain: Option<u32>) {
        self.now += 15 * DAY;
        let terms = self.terms.clone();
        let term_of = move |h: &ChangeHash| terms.get(h).copied();
        match retain {
            Some(n) => self
                .c
                .rotate_forgetting(14, 1, self.now, n, &term_of)
                .unwrap(),
            None => self.c.rotate(14, 1, self.now).unwrap(),
        };
    }

    fn term_of(&self) -> impl Fn(&ChangeHash) -> Option<u64> + '_ {
        |h| self.terms.get(h).copied()
    }
}

/// Term 0: a full circle's worth of records, every kind of evidence and knowledge.
fn busy_term(log: &mut Log) -> (String, String) {
    log.action("forget-me action in the park");
    log.with(|l, s, now| ((), l.declare_fund(s, now, "bail fund").unwrap()));
    for (kind, amount, memo) in [
        (
            FundKind::Contribution,
            "100",
            "forget-me gift from a named donor",
        ),
        (FundKind::Disbursement, "30", "forget-me bail for someone"),
    ] {
        log.with(|l, s, now| {
            l.add_fund_entry(
                s,
                now,
                kind,
                amount.parse::<Amount>().unwrap(),
                &"EUR".parse::<Currency>().unwrap(),
                memo,
            )
            .unwrap()
        });
    }
    let tactic = log.with(|l, s, now| {
        l.publish_tactic(
            s,
            now,
            &NewTactic {
                title: "Banner drop".into(),
                body: "Two ropes, one banner.".into(),
                license: "CC0-1.0".into(),
                tags: vec![],
                lineage: vec![Lineage {
                    circle_id: "ab".repeat(32),
                    tactic_id: "0123456789abcdef".into(),
                }],
            },
        )
        .unwrap()
    });
    log.with(|l, s, now| {
        l.add_zine(
            s,
            now,
            &NewZine {
                title: "What we learnt".into(),
                body: "Bring water.".into(),
                ..Default::default()
            },
        )
        .unwrap()
    });
    let closed = log.with(|l, s, now| l.add_task(s, now, "book the hall").unwrap());
    log.with(|l, s, now| {
        (
            (),
            l.close_task(s, now, &closed, "forget-me note on who booked")
                .unwrap(),
        )
    });
    let open = log.with(|l, s, now| l.add_task(s, now, "print flyers").unwrap());
    log.with(|l, s, now| {
        l.add_retro(s, now, "forget-me retro", "who was there", None)
            .unwrap()
    });
    (tactic, open)
}

fn saved_has(doc: &Automerge, needle: &str) -> bool {
    let bytes = doc.save_nocompress();
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn a_rebase_keeps_knowledge_and_forgets_old_evidence() {
    let mut log = Log::new();
    let (tactic, open) = busy_term(&mut log);
    let balance_before = log.c.ledger.fund().balances;
    log.rotate(None); // term 1
    log.action("term one action");
    log.rotate(Some(1)); // term 2 starts epoch 1, keeping only its own term's evidence
    let l = &log.c.ledger;
    assert_eq!(log.c.chain.epoch(), 1);
    assert_eq!(log.c.chain.epoch_first_term(), 2);
    assert!(
        l.actions().is_empty(),
        "actions of terms 0 and 1 are forgotten"
    );
    assert!(l.retros().is_empty());
    let tasks = l.tasks();
    assert_eq!(tasks.len(), 1, "the closed task went, the open one stays");
    assert_eq!(
        (tasks[0].task_id.as_str(), tasks[0].status),
        (open.as_str(), TaskStatus::Open)
    );
    let fund = l.fund();
    assert_eq!(fund.balances, balance_before, "balances carried forward");
    assert_eq!(fund.entries.len(), 1);
    assert_eq!(fund.entries[0].memo, "balance carried forward");
    assert!(fund.declared);
    let t = l.tactic(&tactic).expect("tactic kept under its id");
    assert_eq!(t.lineage.len(), 1, "lineage kept");
    assert_eq!(l.zines().len(), 1);
    assert_eq!(l.name(), "Forgetful");
    assert!(l.pledge(0).is_none() || l.pledge(0).is_some());
    assert!(
        !saved_has(l.doc(), "forget-me"),
        "no byte of forgotten evidence in the base"
    );
    assert_eq!(
        l.doc().get_changes(&[]).len(),
        1,
        "the base is one change, no history"
    );
}

#[test]
fn evidence_of_the_retained_terms_survives_and_goes_when_its_time_comes() {
    let mut log = Log::new();
    log.action("term zero action");
    log.rotate(None); // term 1
    log.action("term one action");
    log.rotate(Some(2)); // term 2: keeps terms 1 and 2
    let titles = |log: &Log| -> Vec<String> {
        log.c
            .ledger
            .actions()
            .into_iter()
            .map(|a| a.title)
            .collect()
    };
    assert_eq!(titles(&log), ["term one action"]);
    log.action("term two action");
    log.rotate(Some(2)); // term 3, epoch 2: the copy of term 1's action goes, term 2's stays
    assert_eq!(log.c.chain.epoch(), 2);
    assert_eq!(titles(&log), ["term two action"]);
    log.rotate(Some(2)); // term 4
    assert!(titles(&log).is_empty());
}

#[test]
fn every_node_derives_the_same_base_and_a_wrong_one_is_refused() {
    let mut log = Log::new();
    busy_term(&mut log);
    log.now += 15 * DAY;
    let keys: Vec<_> = log
        .c
        .current_keys()
        .into_iter()
        .map(|k| crate::keys::StewardKey::from_secret(k.secret_bytes()))
        .collect();
    let fresh = crate::keys::StewardKey::generate();
    let mut body = log
        .c
        .next_body(14, vec![fresh.public()], 1, log.now)
        .unwrap();
    let base = start(&mut body, log.c.ledger.doc(), 1, 1, &log.term_of()).unwrap();
    // Another node: the same history, loaded from bytes, with its own actor.
    let other = Automerge::load(&log.c.ledger.doc().save()).unwrap();
    let again = derive(&body, &other, &log.term_of()).unwrap();
    assert_eq!(again.get_heads(), base.get_heads());
    assert_eq!(again.save(), base.save());
    // A different retention, a history with one more change, or a lying body: refused.
    let mut lying = body.clone();
    lying.forgetting.as_mut().unwrap().retain_terms = 5;
    assert_eq!(
        derive(&lying, &other, &log.term_of()).unwrap_err(),
        EpochError::BaseMismatch
    );
    log.action("one more");
    assert_eq!(
        derive(&body, log.c.ledger.doc(), &log.term_of()).unwrap_err(),
        EpochError::NotAtHandover
    );
    // A change whose signature this node never held: it cannot derive, only fetch.
    assert!(matches!(
        derive(&body, &other, &|_| None),
        Err(EpochError::UnknownTerm(_))
    ));
    // The certificate itself is accepted by a chain that follows.
    let cert = crate::term::TermCert::sign(body, &keys.iter().collect::<Vec<_>>()).unwrap();
    let mut chain: TermChain = log.c.chain.clone();
    chain.insert(cert).unwrap();
    assert_eq!(chain.epoch(), 1);
    assert_eq!(chain.retain_terms(), Some(1));
}

#[test]
fn a_certificate_must_number_its_epoch_after_the_chain_and_never_forget_at_genesis() {
    let mut log = Log::new();
    log.action("a");
    log.now += 15 * DAY;
    let key = crate::keys::StewardKey::from_secret(log.c.keys[0].secret_bytes());
    let fresh = crate::keys::StewardKey::generate();
    let mut body = log
        .c
        .next_body(14, vec![fresh.public()], 1, log.now)
        .unwrap();
    start(&mut body, log.c.ledger.doc(), 1, 2, &log.term_of()).unwrap();
    let cert = crate::term::TermCert::sign(body.clone(), &[&key]).unwrap();
    let mut chain = log.c.chain.clone();
    assert_eq!(
        chain.insert(cert).unwrap_err(),
        crate::error::CertError::EpochNumber(2)
    );
    for bad in [0, crate::term::MAX_RETAIN_TERMS + 1] {
        let mut b = body.clone();
        b.forgetting.as_mut().unwrap().retain_terms = bad;
        let cert = crate::term::TermCert::sign(b, &[&key]).unwrap();
        assert_eq!(
            chain.insert(cert).unwrap_err(),
            crate::error::CertError::Forgetting
        );
    }
    let mut v1 = body.clone();
    v1.version = crate::term::CERT_VERSION;
    let cert = crate::term::TermCert::sign(v1, &[&key]).unwrap();
    assert_eq!(
        chain.insert(cert).unwrap_err(),
        crate::error::CertError::Version(1)
    );
}

#[test]
fn a_change_of_a_forgotten_epoch_is_refused_at_ingest() {
    let mut log = Log::new();
    let old = log.signed_action("forget-me late arrival");
    log.rotate(Some(1));
    let mut replica = log.c.ledger.clone();
    let r = crate::validate::ingest(&mut replica, &log.c.chain, vec![old], log.now);
    assert!(r.applied.is_empty());
    assert_eq!(
        r.rejected[0].1,
        crate::error::ValidationError::ForgottenEpoch(0)
    );
    assert!(!saved_has(replica.doc(), "forget-me"));
    // A forged one claiming the old term is a bad signature (which blames), not forgotten.
    let mut forged = log.signed_action("forged late arrival");
    forged.envelope.term = 0;
    let r = crate::validate::ingest(&mut replica, &log.c.chain, vec![forged], log.now);
    assert_eq!(r.rejected.len(), 1);
    assert_ne!(
        r.rejected[0].1,
        crate::error::ValidationError::ForgottenEpoch(0)
    );
}

#[test]
fn the_base_travels_as_a_snapshot_vouched_by_the_certificate_and_old_vouches_do_not() {
    use crate::checkpoint::{CheckpointError, Snapshot, SnapshotLimits, Vouch};
    let mut log = Log::new();
    busy_term(&mut log);
    log.rotate(Some(1)); // term 1 starts epoch 1
    let chain = log.c.chain.clone();
    let snap = Snapshot::build(log.c.ledger.doc(), Vouch::Epoch { term: 1 }).unwrap();
    let opened = snap
        .open_counted(&chain, log.now, SnapshotLimits::default())
        .unwrap();
    assert_eq!(opened.ledger.heads(), log.c.ledger.heads());
    // The base is the one change, and nobody signed it.
    assert_eq!(opened.ledger.doc().get_changes_meta(&[]).len(), 1);
    assert_eq!(opened.signed, 0);
    // The handover into the epoch names the forgotten history: it vouches for nothing.
    assert_eq!(
        Vouch::Handover { term: 0 }
            .heads(&chain, log.now)
            .unwrap_err(),
        CheckpointError::ForgottenEpoch(1)
    );
    // A term that starts no epoch is no epoch vouch; nor is an earlier epoch's start.
    assert!(Vouch::Epoch { term: 0 }.heads(&chain, log.now).is_err());
    log.action("later");
    log.rotate(Some(1)); // term 2 starts epoch 2
    assert_eq!(
        Vouch::Epoch { term: 1 }
            .heads(&log.c.chain, log.now)
            .unwrap_err(),
        CheckpointError::ForgottenEpoch(1)
    );
}
