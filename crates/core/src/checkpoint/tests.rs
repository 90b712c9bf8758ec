//! Checkpoints and snapshots under attack: each refusal test fails if its check is
//! taken out of `Snapshot::open` / `Checkpoint::verify`.

use automerge::{ActorId, Automerge, LoadOptions, VerificationMode};
use sha2::{Digest, Sha256};

use super::*;
use crate::circle::Circle;
use crate::keys::StewardKey;
use crate::ledger::Signer;
use crate::testing::{scenario, Scenario};
use crate::validate::ingest;

fn heads_of(doc: &Automerge) -> Vec<Hash32> {
    let mut h: Vec<Hash32> = doc.get_heads().iter().map(|h| Hash32(h.0)).collect();
    h.sort();
    h
}

/// A checkpoint of the scenario's current heads signed by its current stewards.
fn checkpoint(s: &Scenario) -> Checkpoint {
    let body = CheckpointBody::new(
        s.circle_id(),
        s.circle.term(),
        &heads_of(s.circle.ledger.doc()),
    );
    Checkpoint::sign(body, &s.circle.current_keys()).unwrap()
}

fn snapshot_of(s: &Scenario) -> Snapshot {
    Snapshot::build(s.circle.ledger.doc(), Vouch::Checkpoint(checkpoint(s))).unwrap()
}

/// The same snapshot with its document replaced by `doc_bytes` (an uncompressed save).
fn with_document(snap: &Snapshot, doc_bytes: &[u8]) -> Snapshot {
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut z, doc_bytes).unwrap();
    Snapshot {
        vouch: snap.vouch.clone(),
        inflated_len: doc_bytes.len() as u64,
        deflated: z.finish().unwrap(),
    }
}

/// Rewrites a chunk's checksum after its bytes were edited (so that only the content
/// checks, not the checksum, can refuse it).
fn fix_checksum(chunk: &mut [u8]) {
    let digest = Sha256::digest(&chunk[8..]);
    chunk[4..8].copy_from_slice(&digest[..4]);
}

/// Replaces the first occurrence of `from` by `to` (same length) in `bytes`.
fn replace_once(bytes: &mut [u8], from: &[u8], to: &[u8]) {
    assert_eq!(from.len(), to.len());
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("pattern in document");
    bytes[at..at + to.len()].copy_from_slice(to);
}

/// Where the declared heads start in a document chunk (after header and actors).
fn heads_offset(chunk: &[u8]) -> usize {
    let mut pos = 9;
    let uleb = |pos: &mut usize| {
        let mut out = 0u64;
        let mut shift = 0;
        loop {
            let b = chunk[*pos];
            *pos += 1;
            out |= u64::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                return out;
            }
        }
    };
    uleb(&mut pos); // chunk length
    let actors = uleb(&mut pos);
    for _ in 0..actors {
        let n = uleb(&mut pos);
        pos += n as usize;
    }
    uleb(&mut pos); // head count
    pos
}

#[test]
fn checkpoint_snapshot_loads_exactly_the_history_and_later_signed_changes_flow() {
    let mut s = scenario(1, 40);
    let snap = snapshot_of(&s);
    let chain = s.chain();
    let mut follower = snap.open(&chain, s.now, SnapshotLimits::default()).unwrap();
    assert_eq!(follower.heads(), s.circle.ledger.heads());
    assert_eq!(follower.actions().len(), 40);
    // A change after the checkpoint still needs, and gets, its own signature check.
    let Circle {
        ledger,
        keys,
        chain: c,
    } = &mut s.circle;
    let signer = Signer {
        key: &keys[0],
        term: c.latest().body.term,
    };
    let (_, later) = ledger.log_action(&signer, s.now, "after", "", &[]).unwrap();
    let report = ingest(&mut follower, &chain, vec![later.clone()], s.now);
    assert_eq!(report.applied.len(), 1, "{:?}", report.rejected);
    let mut forged = later;
    forged.envelope.signature.0[0] ^= 1;
    let mut other = snap.open(&chain, s.now, SnapshotLimits::default()).unwrap();
    let report = ingest(&mut other, &chain, vec![forged], s.now);
    assert!(report.applied.is_empty() && !report.rejected.is_empty());
}

#[test]
fn an_opened_snapshot_counts_exactly_the_changes_its_history_holds() {
    for actions in [0, 1, 40] {
        let s = scenario(1, actions);
        let opened = snapshot_of(&s)
            .open_counted(&s.chain(), s.now, SnapshotLimits::default())
            .unwrap();
        let held = s.circle.ledger.doc().get_changes_meta(&[]).len() as u64;
        assert_eq!(opened.signed, held, "{actions} actions");
        assert_eq!(
            snapshot::prescan_document(&opened.document, &SnapshotLimits::default()).unwrap(),
            held
        );
    }
}

#[test]
fn automerge_check_mode_refuses_a_document_declaring_false_heads() {
    let s = scenario(1, 5);
    let mut bytes = s.circle.ledger.doc().save_nocompress();
    let at = heads_offset(&bytes);
    bytes[at] ^= 0xff;
    fix_checksum(&mut bytes);
    let check = LoadOptions::new().verification_mode(VerificationMode::Check);
    assert!(Automerge::load_with_options(&bytes, check).is_err());
    // Without the check the same bytes load: the check is what refuses them.
    let dont = LoadOptions::new().verification_mode(VerificationMode::DontCheck);
    assert!(Automerge::load_with_options(&bytes, dont).is_ok());
    // And the snapshot path refuses them too.
    let snap = with_document(&snapshot_of(&s), &bytes);
    assert!(snap
        .open(&s.chain(), s.now, SnapshotLimits::default())
        .is_err());
}

#[test]
fn tampered_snapshot_with_the_right_heads_label_is_refused() {
    let s = scenario(1, 5);
    let honest = snapshot_of(&s);
    let mut bytes = s.circle.ledger.doc().save_nocompress();
    // Edit an action's title inside the op columns; the declared heads (the label)
    // stay the vouched ones and the checksum is made right again.
    replace_once(&mut bytes, b"action 0.3", b"actioN 0.3");
    fix_checksum(&mut bytes);
    let tampered = with_document(&honest, &bytes);
    let err = tampered
        .open(&s.chain(), s.now, SnapshotLimits::default())
        .unwrap_err();
    assert!(
        matches!(
            err,
            CheckpointError::Load(_) | CheckpointError::HeadsMismatch
        ),
        "{err:?}"
    );
    assert!(honest
        .open(&s.chain(), s.now, SnapshotLimits::default())
        .is_ok());
}

#[test]
fn snapshot_with_one_extra_unsigned_change_is_refused() {
    let s = scenario(1, 5);
    let honest = snapshot_of(&s);
    // One more change by anyone, inside the document: its heads are honest, and not
    // the vouched ones.
    let mut doc = s.circle.ledger.doc().fork().with_actor(ActorId::random());
    let mut tx = doc.transaction();
    automerge::transaction::Transactable::put(&mut tx, automerge::ROOT, "x", 1).unwrap();
    tx.commit();
    let extra = with_document(&honest, &doc.save_nocompress());
    let err = extra
        .open(&s.chain(), s.now, SnapshotLimits::default())
        .unwrap_err();
    assert_eq!(err, CheckpointError::HeadsMismatch);
    // The same change as a chunk after the vouched document: refused unread.
    let mut appended = s.circle.ledger.doc().save_nocompress();
    let last = doc.get_last_local_change().unwrap().raw_bytes().to_vec();
    appended.extend(last);
    let err = with_document(&honest, &appended)
        .open(&s.chain(), s.now, SnapshotLimits::default())
        .unwrap_err();
    assert_eq!(
        err,
        CheckpointError::Malformed("bytes after the document chunk")
    );
}

#[test]
fn forged_checkpoints_are_refused() {
    let s = scenario(2, 5);
    let chain = s.chain();
    let heads = heads_of(s.circle.ledger.doc());
    let body = CheckpointBody::new(s.circle_id(), s.circle.term(), &heads);
    // Not a steward.
    let stranger = StewardKey::generate();
    let forged = Checkpoint::sign(body.clone(), &[&stranger]).unwrap();
    assert!(matches!(
        forged.verify(&chain, s.now),
        Err(CheckpointError::NotEnoughSignatures { good: 0, .. })
    ));
    // A steward of the previous term signing for the latest one.
    let old: Vec<&StewardKey> = s.old_keys.iter().map(|(_, k)| k).collect();
    let forged = Checkpoint::sign(body.clone(), &old).unwrap();
    assert!(forged.verify(&chain, s.now).is_err());
    // A real signature over other heads, relabelled.
    let mut relabelled = Checkpoint::sign(
        CheckpointBody::new(s.circle_id(), s.circle.term(), &[Hash32([7; 32])]),
        &s.circle.current_keys(),
    )
    .unwrap();
    relabelled.body = body.clone();
    assert!(relabelled.verify(&chain, s.now).is_err());
    // The previous term's stewards vouching for their own (ended) term.
    let ended = Checkpoint::sign(CheckpointBody::new(s.circle_id(), 0, &heads), &old).unwrap();
    assert_eq!(
        ended.verify(&chain, s.now),
        Err(CheckpointError::NotLatest(0))
    );
    // An expired term.
    let honest = Checkpoint::sign(body, &s.circle.current_keys()).unwrap();
    let late = chain.latest().body.expires;
    assert!(matches!(
        honest.verify(&chain, late),
        Err(CheckpointError::Expired(_))
    ));
    assert!(honest.verify(&chain, s.now).is_ok());
    // A forged checkpoint cannot carry a snapshot.
    let snap = Snapshot::build(
        s.circle.ledger.doc(),
        Vouch::Checkpoint(
            Checkpoint::sign(
                CheckpointBody::new(s.circle_id(), s.circle.term(), &heads),
                &[&stranger],
            )
            .unwrap(),
        ),
    )
    .unwrap();
    assert!(snap.open(&chain, s.now, SnapshotLimits::default()).is_err());
}

#[test]
fn handover_vouch_covers_ended_terms_and_later_changes_are_judged() {
    let s = scenario(3, 10);
    let chain = s.chain();
    let vouch = Vouch::Handover { term: 1 };
    let heads = vouch.heads(&chain, s.now).unwrap();
    let history = Snapshot::history_at(s.circle.ledger.doc(), &heads).unwrap();
    let snap = Snapshot::build(&history, vouch).unwrap();
    let mut follower = snap.open(&chain, s.now, SnapshotLimits::default()).unwrap();
    assert_eq!(heads_of(follower.doc()), heads);
    // The rest comes signed, change by change.
    let report = ingest(&mut follower, &chain, s.changes.clone(), s.now);
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert_eq!(follower.heads(), s.circle.ledger.heads());
    // A term-1 key writing after its handover is still refused.
    let (term, key) = s.old_keys.iter().find(|(t, _)| *t == 1).unwrap();
    let late = s.write_as(key, *term, s.now, "late");
    let report = ingest(&mut follower, &chain, vec![late], s.now);
    assert!(report.applied.is_empty() && !report.rejected.is_empty());
    // Vouching for the latest term by handover is impossible: there is none yet.
    assert_eq!(
        Vouch::Handover { term: 2 }.heads(&chain, s.now),
        Err(CheckpointError::UnknownTerm(3))
    );
}

#[test]
fn snapshot_cannot_bring_back_a_frozen_writer() {
    let s = scenario(1, 5);
    let snap = snapshot_of(&s);
    let mut chain = s.chain();
    let actor = s.circle.ledger.doc().get_changes_meta(&[])[1].actor.clone();
    chain.freeze_actor(actor.to_bytes(), 1);
    let err = snap
        .open(&chain, s.now, SnapshotLimits::default())
        .unwrap_err();
    assert_eq!(err, CheckpointError::Frozen);
}

#[test]
fn snapshot_work_is_bounded_before_it_is_done() {
    let s = scenario(1, 30);
    let snap = snapshot_of(&s);
    let chain = s.chain();
    let ops = snap.open(
        &chain,
        s.now,
        SnapshotLimits {
            max_ops: 20,
            ..Default::default()
        },
    );
    assert!(matches!(ops, Err(CheckpointError::Precheck(_))), "{ops:?}");
    let changes = snap.open(
        &chain,
        s.now,
        SnapshotLimits {
            max_changes: 10,
            ..Default::default()
        },
    );
    assert!(
        matches!(changes, Err(CheckpointError::Precheck(_))),
        "{changes:?}"
    );
    let small = SnapshotLimits {
        max_bytes: 100,
        ..Default::default()
    };
    assert_eq!(
        snap.open(&chain, s.now, small).unwrap_err(),
        CheckpointError::TooLarge(100)
    );
    // A bomb: a short stream claiming a huge length is cut at the cap.
    let mut bomb = snap.clone();
    bomb.inflated_len = MAX_SNAPSHOT_INFLATED + 1;
    assert!(matches!(
        bomb.open(&chain, s.now, SnapshotLimits::default()),
        Err(CheckpointError::TooLarge(_))
    ));
    let zeros = vec![0u8; 4 * 1024 * 1024];
    let mut bomb = with_document(&snap, &zeros);
    bomb.inflated_len = 1024;
    assert_eq!(
        bomb.open(&chain, s.now, SnapshotLimits::default())
            .unwrap_err(),
        CheckpointError::Malformed("inflated length differs")
    );
    // A document whose columns Automerge would have to inflate itself.
    let compressed = with_document(&snap, &s.circle.ledger.doc().clone().save());
    assert!(compressed
        .open(&chain, s.now, SnapshotLimits::default())
        .is_err());
}

#[test]
fn checkpoint_encoding_round_trips_and_is_bounded() {
    let s = scenario(1, 3);
    let c = checkpoint(&s);
    assert_eq!(Checkpoint::decode(&c.encode()).unwrap(), c);
    assert!(Checkpoint::decode(&vec![0u8; MAX_CHECKPOINT_BYTES + 1]).is_err());
    let mut unsorted = c.clone();
    unsorted.body.heads = vec![Hash32([2; 32]), Hash32([1; 32])];
    assert_eq!(
        unsorted.verify(&s.chain(), s.now),
        Err(CheckpointError::BadHeads)
    );
}

#[test]
fn snapshot_page_travels_in_a_sync_response_and_opens() {
    use crate::sync::{Response, SnapshotPage, SnapshotRefused};
    let s = scenario(2, 20);
    let page = SnapshotPage {
        circle_id: s.circle_id(),
        certs: s.circle.chain.certs().to_vec(),
        snapshot: snapshot_of(&s),
        more: false,
    };
    let bytes = Response::Snapshot(page.clone()).encode();
    let Response::Snapshot(back) = Response::decode(&bytes).unwrap() else {
        panic!("not a snapshot");
    };
    assert_eq!(back, page);
    let (chain, ledger, doc) = back
        .open(&s.circle_id(), s.now, SnapshotLimits::default())
        .unwrap();
    assert_eq!(chain.latest(), s.circle.chain.latest());
    assert_eq!(ledger.heads(), s.circle.ledger.heads());
    assert_eq!(Automerge::load(&doc).unwrap().get_heads(), ledger.heads());
    // For another circle, or with a chain that does not verify: refused.
    let other = scenario(1, 1);
    assert_eq!(
        back.open(&other.circle_id(), s.now, SnapshotLimits::default())
            .unwrap_err(),
        SnapshotRefused::Sync(crate::sync::SyncError::WrongCircle)
    );
    let mut broken = back.clone();
    broken.certs[1].signatures.clear();
    assert!(broken
        .open(&s.circle_id(), s.now, SnapshotLimits::default())
        .is_err());
    let stored = Snapshot::decode(&page.snapshot.encode()).unwrap();
    assert_eq!(stored, page.snapshot);
}
