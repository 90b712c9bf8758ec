//! Reopen, compaction, corruption and foreign stores.

use circle_core::testing::scenario;

use super::*;

pub(super) fn filled(dir: &Path, changes: usize) -> (Store, circle_core::testing::Scenario) {
    let s = scenario(2, changes / 2);
    let store = Store::open(dir).unwrap();
    store
        .create_circle(s.circle.chain.genesis(), &s.changes[0])
        .unwrap();
    for cert in &s.circle.chain.certs()[1..] {
        store.put_cert(cert).unwrap();
    }
    store
        .stage_changes(&s.circle_id(), &s.changes[1..])
        .unwrap();
    store.sync().unwrap();
    (store, s)
}

#[test]
fn reopen_restores_document_and_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let (store, s) = filled(dir.path(), 40);
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    let id = s.circle_id();
    assert_eq!(store.own_circle().unwrap(), Some(id));
    let loaded = store.load_doc(&id).unwrap().unwrap();
    assert_eq!(loaded.doc.get_heads(), s.circle.ledger.heads());
    assert_eq!(loaded.log_len, s.changes.len());
    assert_eq!(store.certs(&id).unwrap().len(), 2);
    assert_eq!(store.change_count(&id), s.changes.len());
    let env = store
        .envelope(&id, &s.changes[3].envelope.change_hash)
        .unwrap()
        .unwrap();
    assert_eq!(env, s.changes[3].envelope);
}

#[test]
fn compaction_keeps_everything_and_empties_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let (store, s) = filled(dir.path(), 40);
    let id = s.circle_id();
    store.compact(&id, s.circle.ledger.doc()).unwrap();
    store.sync().unwrap();
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    let loaded = store.load_doc(&id).unwrap().unwrap();
    assert_eq!(loaded.log_len, 0);
    assert_eq!(loaded.doc.get_heads(), s.circle.ledger.heads());
}

#[test]
fn compaction_keeps_log_entries_the_snapshot_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let (store, s) = filled(dir.path(), 10);
    let id = s.circle_id();
    // Snapshot of an older document: the newer changes must stay in the log.
    let mut old = automerge::Automerge::new();
    old.apply_changes(
        s.changes[..4]
            .iter()
            .map(|c| automerge::Change::try_from(c.bytes.as_slice()).unwrap()),
    )
    .unwrap();
    store.compact(&id, &old).unwrap();
    let loaded = store.load_doc(&id).unwrap().unwrap();
    assert_eq!(loaded.log_len, s.changes.len() - 4);
    assert_eq!(loaded.doc.get_heads(), s.circle.ledger.heads());
}

#[test]
fn corrupted_snapshot_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (store, s) = filled(dir.path(), 10);
    let id = s.circle_id();
    store.compact(&id, s.circle.ledger.doc()).unwrap();
    let k = key(&id, &0u32.to_be_bytes());
    let mut chunk = store.doc_snap.get(&k).unwrap().unwrap().to_vec();
    chunk[10] ^= 0xff;
    store.doc_snap.insert(&k, chunk).unwrap();
    assert!(matches!(store.load_doc(&id), Err(StoreError::Corrupt(_))));
}

#[test]
fn corrupted_log_entry_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (store, s) = filled(dir.path(), 6);
    let id = s.circle_id();
    let (k, v) = store.doc_log.scan_prefix(id.0).next().unwrap().unwrap();
    let mut v = v.to_vec();
    let n = v.len();
    v[n - 3] ^= 0x55;
    store.doc_log.insert(k, v).unwrap();
    assert!(matches!(store.load_doc(&id), Err(StoreError::Corrupt(_))));
}

#[test]
fn foreign_sled_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = sled::open(dir.path()).unwrap();
        db.insert("somebody", "else").unwrap();
        db.flush().unwrap();
    }
    assert!(matches!(
        Store::open(dir.path()),
        Err(StoreError::Foreign(_))
    ));
}

#[test]
fn second_circle_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = filled(dir.path(), 2);
    let other = scenario(1, 0);
    assert!(store
        .create_circle(other.circle.chain.genesis(), &other.changes[0])
        .is_err());
}

#[test]
fn group_commit_from_many_threads() {
    let dir = tempfile::tempdir().unwrap();
    let (store, s) = filled(dir.path(), 2);
    let id = s.circle_id();
    let extra = scenario(1, 64);
    std::thread::scope(|scope| {
        for chunk in extra.changes.chunks(8) {
            let store = store.clone();
            scope.spawn(move || {
                for c in chunk {
                    store.stage_changes(&id, std::slice::from_ref(c)).unwrap();
                    store.sync().unwrap();
                }
            });
        }
    });
    assert_eq!(
        store.change_count(&id),
        s.changes.len() + extra.changes.len()
    );
}

/// Heads and log length of a circle's stored document after reopening the store.
fn reopened(dir: &Path, id: &Hash32) -> (Vec<automerge::ChangeHash>, usize) {
    let store = Store::open(dir).unwrap();
    let loaded = store.load_doc(id).unwrap().unwrap();
    (loaded.doc.get_heads(), loaded.log_len)
}

#[test]
fn compactions_alternate_bases_and_leave_only_the_new_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let (store, s) = filled(dir.path(), 12);
    let id = s.circle_id();
    let mut doc = Automerge::new();
    for (round, part) in s.changes.chunks(4).enumerate() {
        let part: Vec<_> = part
            .iter()
            .map(|c| Change::try_from(c.bytes.as_slice()).unwrap())
            .collect();
        doc.apply_changes(part).unwrap();
        store.compact(&id, &doc).unwrap();
        let base = if round % 2 == 0 { 0u32 } else { 1 << 30 };
        let chunks = doc.save().len().div_ceil(SNAP_CHUNK);
        let keys = store.snapshot_keys(&id).unwrap();
        assert_eq!(
            keys.len(),
            chunks + 1,
            "round {round}: chunks and the header only"
        );
        assert_eq!(keys[0].as_ref(), key(&id, &base.to_be_bytes()).as_slice());
        // The snapshot plus what is still logged is the whole ledger, at every round.
        let loaded = store.load_doc(&id).unwrap().unwrap();
        assert_eq!(loaded.doc.get_heads(), s.circle.ledger.heads());
        let covered = (4 * (round + 1)).min(s.changes.len());
        assert_eq!(loaded.log_len, s.changes.len() - covered);
    }
    store.sync().unwrap();
    drop(store);
    assert_eq!(reopened(dir.path(), &id), (s.circle.ledger.heads(), 0));
}

/// The states a crash inside a compaction can leave, written as its steps write them.
#[test]
fn a_compaction_cut_short_at_any_step_loads_the_whole_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let (store, s) = filled(dir.path(), 10);
    let id = s.circle_id();
    let half: Vec<_> = s.changes[..6]
        .iter()
        .map(|c| Change::try_from(c.bytes.as_slice()).unwrap())
        .collect();
    let mut early = Automerge::new();
    early.apply_changes(half).unwrap();
    store.compact(&id, &early).unwrap();
    let base = store.next_snapshot_base(&id).unwrap();
    let key_now = store.seal.writer(&id).unwrap().key.clone();
    let rows = sealed_snapshot(&id, &s.circle.ledger.doc().save(), &key_now, base).unwrap();
    let (header, chunks) = rows.split_last().unwrap();
    // 1. New chunks written, header not yet switched: the old snapshot and its log.
    for (k, v) in chunks {
        store.doc_snap.insert(k.as_slice(), v.as_slice()).unwrap();
    }
    store.sync().unwrap();
    assert_eq!(
        store.load_doc(&id).unwrap().unwrap().log_len,
        s.changes.len() - 6
    );
    assert_eq!(
        store.load_doc(&id).unwrap().unwrap().doc.get_heads(),
        s.circle.ledger.heads()
    );
    // 2. Header switched, covered log entries and old chunks still there: the covered
    // entries apply as no-ops.
    store
        .doc_snap
        .insert(header.0.as_slice(), header.1.as_slice())
        .unwrap();
    store.sync().unwrap();
    drop(store);
    assert_eq!(
        reopened(dir.path(), &id),
        (s.circle.ledger.heads(), s.changes.len() - 6)
    );
    // The next compaction tidies both away.
    let store = Store::open(dir.path()).unwrap();
    store.compact(&id, s.circle.ledger.doc()).unwrap();
    let chunks = s.circle.ledger.doc().save().len().div_ceil(SNAP_CHUNK);
    assert_eq!(store.snapshot_keys(&id).unwrap().len(), chunks + 1);
    assert_eq!(store.load_doc(&id).unwrap().unwrap().log_len, 0);
}

#[test]
fn a_snapshot_missing_a_chunk_its_header_counts_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (store, s) = filled(dir.path(), 10);
    let id = s.circle_id();
    store.compact(&id, s.circle.ledger.doc()).unwrap();
    store
        .doc_snap
        .remove(key(&id, &0u32.to_be_bytes()))
        .unwrap();
    assert!(matches!(store.load_doc(&id), Err(StoreError::Corrupt(_))));
}
