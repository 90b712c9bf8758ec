//! A held ledger follows its chain: forks, equivocations and late writes are taken
//! out whatever the arrival order, and stay out after a restart.

#![allow(clippy::unwrap_used)]

use automerge::{ActorId, ChangeHash};
use circle_core::bundle::Bundle;
use circle_core::envelope::SignedChange;
use circle_core::keys::StewardKey;
use circle_core::ledger::{Ledger, Signer};
use circle_core::term::{TermCert, TermChain};
use circle_core::testing::{scenario, Scenario};
use circle_core::validate::{has_change, ingest};

use crate::LocalCircle;

fn bundle(s: &Scenario, certs: Vec<TermCert>, changes: Vec<SignedChange>) -> Bundle {
    Bundle {
        circle_id: s.circle_id(),
        certs,
        changes,
        base: None,
    }
}

fn holds(local: &LocalCircle, s: &Scenario, c: &SignedChange) -> bool {
    let r = local.sister(&s.circle_id()).unwrap().unwrap();
    has_change(r.ledger.doc(), &ChangeHash(c.envelope.change_hash.0))
}

fn sister_heads(local: &LocalCircle, s: &Scenario) -> Vec<ChangeHash> {
    local
        .sister(&s.circle_id())
        .unwrap()
        .unwrap()
        .ledger
        .heads()
}

fn reopen(dir: &std::path::Path, local: LocalCircle) -> LocalCircle {
    drop(local);
    LocalCircle::open(dir).unwrap()
}

/// A rival term-1 certificate signed by the term-0 steward.
fn rival(s: &Scenario) -> TermCert {
    let mut body = s.circle.chain.term(1).unwrap().body.clone();
    body.stewards = vec![StewardKey::generate().public()];
    TermCert::sign(body, &[&s.old_keys[0].1]).unwrap()
}

#[test]
fn a_certificate_fork_freezes_every_node_alike_and_survives_a_restart() {
    let s = scenario(2, 2);
    let rival = rival(&s);
    let honest = s.circle.chain.certs().to_vec();
    let genesis = honest[0].clone();
    let mut heads = Vec::new();
    for rival_first in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let mut local = LocalCircle::init(dir.path(), "Home", 14, s.now).unwrap();
        let (first, second) = if rival_first {
            (vec![genesis.clone(), rival.clone()], honest.clone())
        } else {
            (honest.clone(), vec![genesis.clone(), rival.clone()])
        };
        local
            .import(bundle(&s, first, s.changes.clone()), s.now)
            .unwrap();
        local
            .import(bundle(&s, second, s.changes.clone()), s.now)
            .unwrap();
        let local = reopen(dir.path(), local);
        let r = local.sister(&s.circle_id()).unwrap().unwrap();
        assert_eq!(r.chain.fork_term(), Some(1), "found again on open");
        assert_eq!(
            r.chain.term(1).unwrap().id(),
            rival.id().min(honest[1].id())
        );
        for c in &s.changes {
            assert_eq!(
                holds(&local, &s, c),
                c.envelope.term == 0,
                "past the fork: out"
            );
        }
        heads.push(r.ledger.heads());
    }
    assert_eq!(heads[0], heads[1]);
}

#[test]
fn an_equivocating_writer_is_frozen_and_remembered() {
    let s = scenario(1, 2);
    let actor = ActorId::from(&[5u8; 16][..]);
    let signer = Signer {
        key: &s.circle.keys[0],
        term: 0,
    };
    let mut a = s.circle.ledger.clone();
    a.set_actor(actor.clone());
    let (_, x1) = a.log_action(&signer, s.now, "one", "", &[]).unwrap();
    let (_, y) = a.log_action(&signer, s.now, "one, again", "", &[]).unwrap();
    let mut b = s.circle.ledger.clone();
    b.set_actor(actor);
    let (_, x2) = b.log_action(&signer, s.now, "two", "", &[]).unwrap();
    let certs = s.circle.chain.certs().to_vec();
    let mut heads = Vec::new();
    for (first, second) in [
        (vec![x1.clone(), y.clone()], vec![x2.clone()]),
        (vec![x2.clone()], vec![x1.clone(), y.clone()]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut local = LocalCircle::init(dir.path(), "Home", 14, s.now).unwrap();
        let mut batch = s.changes.clone();
        batch.extend(first);
        local
            .import(bundle(&s, certs.clone(), batch), s.now)
            .unwrap();
        let r = local
            .import(bundle(&s, certs.clone(), second), s.now)
            .unwrap();
        assert_eq!((r.applied, r.rejected), (0, 0), "{r:?}");
        let mut local = reopen(dir.path(), local);
        for c in [&x1, &x2, &y] {
            assert!(!holds(&local, &s, c));
        }
        let evidence = local.store().change_evidence(&s.circle_id()).unwrap();
        assert_eq!(evidence.len(), 2, "both versions kept");
        let r = local.sister(&s.circle_id()).unwrap().unwrap();
        assert_eq!(r.chain.frozen_actors().len(), 1);
        assert!(!r.compliance(s.now).compliant, "the circle is flagged");
        // Offered again after the restart: nothing comes back.
        let again = local
            .import(
                bundle(&s, certs.clone(), vec![x1.clone(), y.clone(), x2.clone()]),
                s.now,
            )
            .unwrap();
        assert_eq!(again.applied, 0);
        assert!(!holds(&local, &s, &x1));
        heads.push(sister_heads(&local, &s));
    }
    assert_eq!(heads[0], heads[1]);
    assert_eq!(heads[0], s.circle.ledger.heads());
}

/// A term-0 change written by a copied key on term-0 history, applied while term 0
/// was the latest; the term-1 certificate then shows it outside the handover.
#[test]
fn a_late_write_is_taken_out_when_the_next_certificate_arrives() {
    let s = scenario(2, 3);
    let genesis_only = TermChain::from_genesis(s.circle.chain.genesis().clone()).unwrap();
    let term0: Vec<SignedChange> = s
        .changes
        .iter()
        .filter(|c| c.envelope.term == 0)
        .cloned()
        .collect();
    let mut at_term0: Ledger = s.empty_replica();
    ingest(&mut at_term0, &genesis_only, term0.clone(), s.now);
    at_term0.set_actor(ActorId::random());
    let copied = &s.old_keys[0].1;
    let signer = Signer {
        key: copied,
        term: 0,
    };
    let (_, x) = at_term0
        .log_action(&signer, s.now, "late write", "", &[])
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut local = LocalCircle::init(dir.path(), "Home", 14, s.now).unwrap();
    let mut batch = term0;
    batch.push(x.clone());
    let r = local
        .import(
            bundle(&s, vec![s.circle.chain.genesis().clone()], batch),
            s.now,
        )
        .unwrap();
    assert_eq!(r.rejected, 0);
    assert!(holds(&local, &s, &x), "valid while term 0 is the latest");
    local
        .import(
            bundle(&s, s.circle.chain.certs().to_vec(), s.changes.clone()),
            s.now,
        )
        .unwrap();
    assert!(!holds(&local, &s, &x));
    let local = reopen(dir.path(), local);
    assert!(
        !holds(&local, &s, &x),
        "and not brought back from the store"
    );
    assert_eq!(sister_heads(&local, &s), s.circle.ledger.heads());
}
