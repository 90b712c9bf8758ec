//! What reaches Automerge: op bombs, withheld dependencies, equivocating changes.

use automerge::{ActorId, Automerge, ReadDoc};

use super::*;
use crate::envelope::Envelope;
use crate::ledger::Signer;

fn uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn sleb(out: &mut Vec<u8>, mut v: i64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if (v == 0 && b & 0x40 == 0) || (v == -1 && b & 0x40 != 0) {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// A change chunk built by hand (automerge 0.12's format): `n` ops, each a map put of
/// null at key "a" on the root, declared by one run per op column.
fn bomb_chunk(n: u64, null_runs: bool) -> Vec<u8> {
    let run = |value: &[u8]| {
        let mut c = Vec::new();
        sleb(&mut c, i64::try_from(n).unwrap_or(i64::MAX));
        c.extend_from_slice(value);
        c
    };
    let nulls = || {
        let mut c = vec![0];
        uleb(&mut c, n);
        c
    };
    let mut booleans = Vec::new();
    uleb(&mut booleans, n);
    let action = if null_runs { nulls() } else { run(&[1]) };
    let columns: Vec<(u64, Vec<u8>)> = vec![
        (0x01, nulls()),       // obj actor
        (0x02, nulls()),       // obj counter
        (0x11, nulls()),       // key actor
        (0x13, nulls()),       // key counter (delta)
        (0x15, run(b"\x01a")), // key string "a"
        (0x34, booleans),      // insert: all false
        (0x42, action),        // action: set
        (0x56, run(&[0])),     // value metadata: null
        (0x70, run(&[0])),     // pred group: no predecessors
    ];
    let mut data = vec![0]; // no deps
    data.push(16);
    data.extend_from_slice(&[7; 16]); // actor
    data.extend_from_slice(&[1, 1, 0, 0, 0]); // seq, start op, time, message, others
    uleb(&mut data, columns.len() as u64);
    for (spec, bytes) in &columns {
        uleb(&mut data, *spec);
        uleb(&mut data, bytes.len() as u64);
    }
    for (_, bytes) in &columns {
        data.extend_from_slice(bytes);
    }
    let mut header = vec![1];
    uleb(&mut header, data.len() as u64);
    let mut hashed = header.clone();
    hashed.extend_from_slice(&data);
    let digest: [u8; 32] = {
        use sha2::Digest;
        sha2::Sha256::digest(&hashed).into()
    };
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83];
    chunk.extend_from_slice(&digest[..4]);
    chunk.extend_from_slice(&hashed);
    chunk
}

fn signed_by_steward(s: &Scenario, bytes: Vec<u8>) -> SignedChange {
    let hash = chunk_hash(&bytes).unwrap();
    SignedChange {
        envelope: Envelope::sign(s.circle_id(), hash, s.circle.term(), &s.circle.keys[0]),
        bytes,
    }
}

#[test]
fn the_hand_built_chunk_is_a_change_automerge_decodes() {
    // The format is right: a small one decodes, with the declared number of ops.
    let small = bomb_chunk(3, false);
    let change = Change::try_from(small.as_slice()).unwrap();
    assert_eq!(change.len(), 3);
    assert_eq!(chunk_hash(&small).unwrap().0, change.hash().0);
}

#[test]
fn op_bomb_is_refused_before_decoding() {
    let s = scenario(1, 1);
    let mut replica = replica_with_history(&s);
    for (n, null_runs) in [(1u64 << 62, false), (u64::MAX, true), (1 << 26, false)] {
        let bytes = bomb_chunk(n, null_runs);
        assert!(bytes.len() < 160, "{} bytes", bytes.len());
        let bomb = signed_by_steward(&s, bytes);
        assert_eq!(
            decode_change(&bomb).unwrap_err(),
            ValidationError::TooLarge(MAX_OPS_PER_CHANGE)
        );
        let r = ingest(&mut replica, &s.chain(), vec![bomb.clone()], s.now);
        assert_eq!(
            r.rejected,
            vec![(
                bomb.envelope.change_hash,
                ValidationError::TooLarge(MAX_OPS_PER_CHANGE)
            )]
        );
        // From a stranger it is not even scanned: the signer is refused first.
        let stranger = StewardKey::generate();
        let forged = SignedChange {
            envelope: Envelope::sign(s.circle_id(), bomb.envelope.change_hash, 0, &stranger),
            bytes: bomb.bytes.clone(),
        };
        let r = ingest(&mut replica, &s.chain(), vec![forged], s.now);
        assert!(matches!(r.rejected[0].1, ValidationError::NotASteward(0)));
    }
    // At the cap it is decoded (and then refused by Automerge's checks or applied).
    assert!(scan_ops(&bomb_chunk(MAX_OPS_PER_CHANGE as u64, false)).is_ok());
    assert!(scan_ops(&bomb_chunk(MAX_OPS_PER_CHANGE as u64 + 1, false)).is_err());
}

#[test]
fn a_deflated_column_is_refused() {
    let mut bytes = bomb_chunk(3, false);
    // The first column's spec (0x01) gets the deflate bit: rebuild header and hash.
    let data_start = 4 + 4 + 1 + 1;
    let spec_at = data_start + 1 + 17 + 5 + 1;
    assert_eq!(bytes[spec_at], 0x01);
    bytes[spec_at] |= 0b1000;
    assert_eq!(scan_ops(&bytes), Err(ValidationError::Compressed));
}

fn empty_queue(doc: &Automerge) -> bool {
    doc.get_missing_deps(&[]).is_empty()
}

/// Issue 8, item 2: a victim still at term 0 gets X from the holder of a copied
/// term-0 key while X's dependencies are missing; then the honest term-1 history
/// arrives. X must never be applied, nor saved.
#[test]
fn withheld_dependencies_never_enter_automerges_queue() {
    let s = scenario(2, 3);
    let (old_term, old_key) = &s.old_keys[0];
    assert_eq!(*old_term, 0);
    // Written on top of term-1 history, which the victim does not have yet.
    let x = s.write_as(old_key, 0, s.now, "late write");
    let genesis_only = TermChain::from_genesis(s.circle.chain.genesis().clone()).unwrap();
    let term0: Vec<_> = s
        .changes
        .iter()
        .filter(|c| c.envelope.term == 0)
        .cloned()
        .collect();
    let mut victim = s.empty_replica();
    let r = ingest(&mut victim, &genesis_only, term0, s.now);
    assert!(r.rejected.is_empty() && r.pending.is_empty(), "{r:?}");
    let r = ingest(&mut victim, &genesis_only, vec![x.clone()], s.now);
    assert!(r.applied.is_empty());
    assert_eq!(r.pending.len(), 1);
    assert_eq!(r.pending[0].1, Pending::MissingDeps);
    assert!(empty_queue(victim.doc()), "nothing waits inside Automerge");
    // The honest history and the term-1 certificate arrive, X offered again with them.
    let mut batch = vec![x.clone()];
    batch.extend(s.changes.clone());
    let r = ingest(&mut victim, &s.chain(), batch, s.now);
    assert!(
        r.rejected
            .iter()
            .any(|(h, e)| *h == x.envelope.change_hash && *e == ValidationError::AfterHandover(0)),
        "{r:?}"
    );
    let xh = ChangeHash(x.envelope.change_hash.0);
    assert!(!has_change(victim.doc(), &xh));
    assert!(empty_queue(victim.doc()));
    assert!(victim.actions().iter().all(|a| a.title != "late write"));
    let saved = Automerge::load(&victim.doc().save()).unwrap();
    assert!(!has_change(&saved, &xh), "X is not in save()");
    assert_eq!(victim.heads(), s.circle.ledger.heads());
}

/// Issue 8, item 3: a relay withholds one root change and sends its many dependants.
#[test]
fn a_withheld_root_quarantines_its_dependants_and_dedup_still_works() {
    let s = scenario(1, 60);
    let root = s.changes[1].clone();
    let rest: Vec<_> = s
        .changes
        .iter()
        .filter(|c| c.envelope.change_hash != root.envelope.change_hash)
        .cloned()
        .collect();
    let mut replica = s.empty_replica();
    let r = ingest(&mut replica, &s.chain(), rest.clone(), s.now);
    assert_eq!(r.applied.len(), 1, "only genesis applies");
    assert_eq!(r.pending.len(), rest.len() - 1);
    assert!(r.pending.iter().all(|(_, p)| *p == Pending::MissingDeps));
    assert!(empty_queue(replica.doc()));
    // Nothing of them is in the document, so nothing of them is served.
    assert_eq!(replica.doc().get_changes(&[]).len(), 1);
    // Offered again, what is applied is still recognised as such.
    let again = ingest(&mut replica, &s.chain(), rest.clone(), s.now);
    assert_eq!(again.duplicates, 1);
    assert_eq!(again.pending.len(), rest.len() - 1);
    // The root arrives: everything applies.
    let mut batch: Vec<_> = again.pending.into_iter().map(|(c, _)| c).collect();
    batch.push(root);
    let r = ingest(&mut replica, &s.chain(), batch, s.now);
    assert_eq!(r.applied.len(), rest.len());
    assert_eq!(replica.heads(), s.circle.ledger.heads());
}

/// Issue 8, item 3, with the dependants written by another actor (so the sequence rule
/// cannot hold them; only the dependency rule does): while the root is withheld they wait
/// outside Automerge, and membership of what is applied still answers.
#[test]
fn dependants_of_another_actor_wait_outside_automerge_for_a_withheld_root() {
    let s = scenario(1, 3);
    let signer = Signer {
        key: &s.circle.keys[0],
        term: s.circle.term(),
    };
    let mut writer = s.circle.ledger.clone();
    writer.set_actor(ActorId::from(&[7u8; 16][..]));
    let (_, root) = writer.log_action(&signer, s.now, "root", "", &[]).unwrap();
    writer.set_actor(ActorId::from(&[8u8; 16][..]));
    let dependants: Vec<_> = (0..20)
        .map(|i| {
            let title = format!("after {i}");
            writer
                .log_action(&signer, s.now, &title, "", &[])
                .unwrap()
                .1
        })
        .collect();
    let mut replica = replica_with_history(&s);
    let r = ingest(&mut replica, &s.chain(), dependants.clone(), s.now);
    assert!(r.applied.is_empty(), "none applies without the root");
    assert_eq!(r.pending.len(), dependants.len());
    assert!(empty_queue(replica.doc()), "Automerge's queue stays empty");
    let again = ingest(&mut replica, &s.chain(), s.changes.clone(), s.now);
    assert_eq!(
        again.duplicates,
        s.changes.len(),
        "what is applied is still known"
    );
    let mut batch: Vec<_> = r.pending.into_iter().map(|(c, _)| c).collect();
    batch.push(root);
    let r = ingest(&mut replica, &s.chain(), batch, s.now);
    assert_eq!(r.applied.len(), dependants.len() + 1);
    assert_eq!(replica.heads(), writer.heads());
}

/// Two writes by one actor with one sequence number, by the current steward.
fn equivocating_pair(s: &Scenario) -> (SignedChange, SignedChange, SignedChange) {
    let actor = ActorId::from(&[9u8; 16][..]);
    let signer = Signer {
        key: &s.circle.keys[0],
        term: s.circle.term(),
    };
    let mut a = s.circle.ledger.clone();
    a.set_actor(actor.clone());
    let (_, x1) = a.log_action(&signer, s.now, "one", "", &[]).unwrap();
    let (_, y) = a.log_action(&signer, s.now, "one, again", "", &[]).unwrap();
    let mut b = s.circle.ledger.clone();
    b.set_actor(actor);
    let (_, x2) = b.log_action(&signer, s.now, "two", "", &[]).unwrap();
    (x1, y, x2)
}

/// Issue 8, item 4: the same document whatever order the two versions arrive in.
#[test]
fn change_equivocation_freezes_the_actor_whatever_the_order() {
    let s = scenario(2, 3);
    let (x1, y, x2) = equivocating_pair(&s);
    let z = s.write_as(&s.circle.keys[0], s.circle.term(), s.now, "honest");
    let orders: Vec<Vec<Vec<SignedChange>>> = vec![
        vec![vec![x1.clone(), y.clone()], vec![x2.clone(), z.clone()]],
        vec![vec![x2.clone()], vec![x1.clone(), y.clone(), z.clone()]],
        vec![vec![z.clone(), x1.clone(), x2.clone(), y.clone()]],
        vec![vec![y.clone(), x2.clone(), x1.clone(), z.clone()]],
    ];
    let mut heads = Vec::new();
    for batches in orders {
        let mut chain = s.chain();
        let mut replica = replica_with_history(&s);
        let mut found = Vec::new();
        for batch in batches {
            let r = ingest(&mut replica, &chain, batch, s.now);
            assert!(r.rejected.is_empty(), "{r:?}");
            assert!(r.rebuild_error.is_none());
            for e in &r.equivocations {
                chain.freeze_actor(e.actor.to_bytes(), e.seq);
            }
            found.extend(r.equivocations);
            assert!(empty_queue(replica.doc()));
        }
        assert_eq!(found.len(), 1, "one fork, found once");
        assert_eq!(found[0].seq, 1);
        for c in [&x1, &x2, &y] {
            assert!(!has_change(
                replica.doc(),
                &ChangeHash(c.envelope.change_hash.0)
            ));
        }
        assert!(has_change(
            replica.doc(),
            &ChangeHash(z.envelope.change_hash.0)
        ));
        // Known from then on: offered again, none of them comes back.
        let r = ingest(&mut replica, &chain, vec![x1.clone(), y.clone()], s.now);
        assert!(r.applied.is_empty() && r.frozen.len() == 2, "{r:?}");
        heads.push(replica.heads());
    }
    assert!(heads.windows(2).all(|w| w[0] == w[1]));
}
