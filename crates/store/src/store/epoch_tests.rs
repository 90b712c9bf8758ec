//! Epochs and sealing against the files on disk: what a forgotten epoch leaves behind,
//! crashes inside `start_epoch`, refused values, and the migration of a `/1` store.

use std::fs;

use automerge::transaction::Transactable;
use circle_core::ledger::{Ledger, Signer};
use circle_core::testing::{scenario, Scenario};

use super::tests::filled;
use super::*;
use crate::epoch_keys::KEY_DIR;
use crate::seal::{EpochKey, ALERTS, EVIDENCE, SEALED_TREES, VERSION};
use crate::{ChangeEvidence, StoredAlert};

const MARKER: &str = "forget-me-7f3a9c";

/// Every file under `dir`, read raw.
fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push((path.clone(), fs::read(&path).unwrap()));
            }
        }
    }
    out
}

/// The files under `dir` that hold `needle` anywhere.
fn holding(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|(_, bytes)| bytes.windows(needle.len()).any(|w| w == needle))
        .map(|(p, _)| p)
        .collect()
}

fn key_file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match fs::read_dir(dir.join(KEY_DIR)) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

fn key_file(dir: &Path, circle: &Hash32, epoch: u64) -> PathBuf {
    dir.join(KEY_DIR)
        .join(format!("{}.{epoch}", hex::encode(circle.0)))
}

/// A change by the circle's stewards logging an action titled `title`.
fn action(s: &Scenario, ledger: &mut Ledger, title: &str) -> SignedChange {
    let signer = Signer {
        key: &s.circle.keys[0],
        term: s.circle.term(),
    };
    ledger
        .log_action(&signer, s.now, title, "summary", &[])
        .unwrap()
        .1
}

/// A small document, the base of a next epoch.
fn base_document(text: &str) -> (Vec<u8>, Vec<automerge::ChangeHash>) {
    let mut doc = automerge::AutoCommit::new();
    doc.put(automerge::ROOT, "base", text).unwrap();
    let heads = doc.get_heads();
    (doc.save(), heads)
}

fn alert(circle: Hash32, id: u8, received: u64, text: &str) -> StoredAlert {
    StoredAlert {
        circle_id: circle,
        alert_id: [id; 16],
        received,
        encoded: text.as_bytes().to_vec(),
    }
}

#[test]
fn a_forgotten_epoch_leaves_no_byte_of_its_text_or_key_in_any_file() {
    let dir = tempfile::tempdir().unwrap();
    let (store, s) = filled(dir.path(), 10);
    let id = s.circle_id();
    let mut ledger = s.circle.ledger.clone();
    // One marked action compacted into the snapshot, one left in the log, one kept as
    // evidence, one in a vouched snapshot, one in an alert.
    let first = action(&s, &mut ledger, MARKER);
    assert!(holding_bytes(&first.bytes, MARKER.as_bytes()));
    // Control: sled keeps a plaintext value as it is, where the scan finds it.
    let plain_dir = tempfile::tempdir().unwrap();
    {
        let db = sled::open(plain_dir.path()).unwrap();
        db.insert("k", first.bytes.as_slice()).unwrap();
        db.flush().unwrap();
    }
    assert!(!holding(plain_dir.path(), MARKER.as_bytes()).is_empty());
    store
        .stage_changes(&id, std::slice::from_ref(&first))
        .unwrap();
    store.compact(&id, ledger.doc()).unwrap();
    let second = action(&s, &mut ledger, &format!("{MARKER} again"));
    store
        .stage_changes(&id, std::slice::from_ref(&second))
        .unwrap();
    store
        .put_change_evidence(
            &id,
            &ChangeEvidence {
                actor: vec![1],
                seq: 1,
                change: first.clone(),
            },
        )
        .unwrap();
    store
        .put_vouched_snapshot(&id, format!("vouched {MARKER}").as_bytes())
        .unwrap();
    store.put_alert(&alert(id, 1, 100, MARKER)).unwrap();
    store.put_alert(&alert(id, 2, 900, "still news")).unwrap();
    store
        .set_shared_heads("peer", &id, &[Hash32([1; 32])])
        .unwrap();
    store.sync().unwrap();

    // Readable through the store...
    let loaded = Ledger::from_doc(store.load_doc(&id).unwrap().unwrap().doc, id).unwrap();
    let titles: Vec<String> = loaded.actions().into_iter().map(|a| a.title).collect();
    assert!(titles.contains(&MARKER.to_owned()), "{titles:?}");
    assert!(titles.contains(&format!("{MARKER} again")));
    assert!(store
        .alerts()
        .unwrap()
        .iter()
        .any(|a| a.encoded == MARKER.as_bytes()));
    // ... and in no file, even now: every value is sealed.
    assert_eq!(
        holding(dir.path(), MARKER.as_bytes()),
        Vec::<PathBuf>::new()
    );
    let old_key = fs::read(key_file(dir.path(), &id, 0)).unwrap();
    assert_eq!(old_key.len(), 32);
    // The scan does see what is there: the old key, in its file.
    assert_eq!(holding(dir.path(), &old_key).len(), 1);

    let (base, heads) = base_document("epoch one");
    store.start_epoch(&id, 1, &base, 500).unwrap();
    assert_eq!(store.epoch(&id).unwrap(), 1);
    drop(store);
    assert_eq!(
        holding(dir.path(), MARKER.as_bytes()),
        Vec::<PathBuf>::new()
    );
    assert_eq!(holding(dir.path(), &old_key), Vec::<PathBuf>::new());
    assert_eq!(
        key_file_names(dir.path()),
        vec![format!("{}.1", hex::encode(id.0))]
    );

    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.epoch(&id).unwrap(), 1);
    let loaded = store.load_doc(&id).unwrap().unwrap();
    assert_eq!(loaded.doc.get_heads(), heads);
    assert_eq!(loaded.log_len, 0);
    assert_eq!(store.change_count(&id), 0, "envelopes of the old changes");
    assert!(store.change_evidence(&id).unwrap().is_empty());
    assert!(store.vouched_snapshot(&id).unwrap().is_none());
    assert!(store.shared_heads("peer", &id).unwrap().is_empty());
    let alerts = store.alerts().unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(
        alerts[0].encoded, b"still news",
        "re-sealed under the new key"
    );
    // Certificates are of the circle, not of an epoch.
    assert_eq!(store.certs(&id).unwrap().len(), 2);
    // The new epoch takes writes as before.
    store.stage_changes(&id, &s.changes[..1]).unwrap();
    assert_eq!(store.load_doc(&id).unwrap().unwrap().log_len, 1);
}

fn holding_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_crash_after_the_new_key_file_alone_rolls_back_to_the_old_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let (store, s) = filled(dir.path(), 6);
    let id = s.circle_id();
    // State after step (a): the new key written durably, nothing else.
    store.seal.files.create(&id, 1).unwrap();
    fs::write(key_file(dir.path(), &id, 2).with_extension("2.tmp"), [0; 5]).unwrap();
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.epoch(&id).unwrap(), 0);
    let loaded = store.load_doc(&id).unwrap().unwrap();
    assert_eq!(loaded.doc.get_heads(), s.circle.ledger.heads());
    assert_eq!(
        key_file_names(dir.path()),
        vec![format!("{}.0", hex::encode(id.0))]
    );
    // The epoch can still be started.
    let (base, heads) = base_document("one");
    store.start_epoch(&id, 1, &base, 0).unwrap();
    assert_eq!(store.load_doc(&id).unwrap().unwrap().doc.get_heads(), heads);
}

#[test]
fn a_crash_before_the_old_key_is_destroyed_finishes_the_new_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let (store, s) = filled(dir.path(), 6);
    let id = s.circle_id();
    let old = key_file(dir.path(), &id, 0);
    let old_key = fs::read(&old).unwrap();
    let (base, heads) = base_document("one");
    store.start_epoch(&id, 1, &base, 0).unwrap();
    drop(store);
    // State after (b) and (c) without (d): the old key file still there.
    fs::write(&old, &old_key).unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.epoch(&id).unwrap(), 1);
    assert_eq!(store.load_doc(&id).unwrap().unwrap().doc.get_heads(), heads);
    assert_eq!(
        key_file_names(dir.path()),
        vec![format!("{}.1", hex::encode(id.0))]
    );
    drop(store);
    assert_eq!(holding(dir.path(), &old_key), Vec::<PathBuf>::new());
}

#[test]
fn a_missing_epoch_key_is_corruption_not_a_fresh_start() {
    let dir = tempfile::tempdir().unwrap();
    let (store, s) = filled(dir.path(), 4);
    let id = s.circle_id();
    drop(store);
    fs::remove_file(key_file(dir.path(), &id, 0)).unwrap();
    match Store::open(dir.path()) {
        Err(StoreError::Corrupt(why)) => assert!(why.contains("epoch key missing"), "{why}"),
        other => panic!("expected corruption, got {other:?}"),
    }
}

#[test]
fn an_epoch_must_follow_the_current_one() {
    let dir = tempfile::tempdir().unwrap();
    let (store, s) = filled(dir.path(), 4);
    let id = s.circle_id();
    let (base, _) = base_document("b");
    assert!(matches!(
        store.start_epoch(&id, 0, &base, 0),
        Err(StoreError::EpochNotNewer {
            current: 0,
            asked: 0
        })
    ));
    store.start_epoch(&id, 3, &base, 0).unwrap();
    for asked in [2, 3] {
        assert!(matches!(
            store.start_epoch(&id, asked, &base, 0),
            Err(StoreError::EpochNotNewer { current: 3, .. })
        ));
    }
    assert_eq!(store.epoch(&id).unwrap(), 3);
    assert_eq!(
        key_file_names(dir.path()),
        vec![format!("{}.3", hex::encode(id.0))]
    );
    // A circle that never held anything starts at epoch 0 and may move on from it.
    let other = Hash32([9; 32]);
    assert_eq!(store.epoch(&other).unwrap(), 0);
    store.start_epoch(&other, 1, &base, 0).unwrap();
    assert_eq!(store.epoch(&other).unwrap(), 1);
}

#[test]
fn a_changed_or_moved_value_is_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let (store, s) = filled(dir.path(), 6);
    let id = s.circle_id();
    let entries: Vec<(sled::IVec, sled::IVec)> = store
        .doc_log
        .scan_prefix(id.0)
        .map(|e| e.unwrap())
        .collect();
    // Moved: entry 1's value under entry 2's key.
    store.doc_log.insert(&entries[2].0, &entries[1].1).unwrap();
    match store.load_doc(&id) {
        Err(StoreError::Corrupt(why)) => assert!(why.contains("fails to open"), "{why}"),
        other => panic!("expected corruption, got {other:?}"),
    }
    store.doc_log.insert(&entries[2].0, &entries[2].1).unwrap();
    assert!(store.load_doc(&id).is_ok());
    // Changed: one bit of the ciphertext.
    let mut v = entries[3].1.to_vec();
    v[40] ^= 0x01;
    store.doc_log.insert(&entries[3].0, v).unwrap();
    assert!(matches!(store.load_doc(&id), Err(StoreError::Corrupt(_))));
    // Moved to another tree: a log value where an alert should be.
    let k = key(&id, &[5; 16]);
    store.alerts.insert(&k, &entries[1].1).unwrap();
    assert!(matches!(store.alerts(), Err(StoreError::Corrupt(_))));
    // Not sealed at all.
    store.alerts.insert(&k, b"plain".to_vec()).unwrap();
    match store.alerts() {
        Err(StoreError::Corrupt(why)) => assert!(why.contains("not sealed"), "{why}"),
        other => panic!("expected corruption, got {other:?}"),
    }
}

#[test]
fn dropping_a_circle_destroys_its_keys() {
    let dir = tempfile::tempdir().unwrap();
    let (store, s) = filled(dir.path(), 4);
    let sister = scenario(1, 3);
    let sid = sister.circle_id();
    store.follow(&sid, 1).unwrap();
    store.stage_changes(&sid, &sister.changes).unwrap();
    store.put_alert(&alert(sid, 1, 5, MARKER)).unwrap();
    store.sync().unwrap();
    let sister_key = fs::read(key_file(dir.path(), &sid, 0)).unwrap();
    store.drop_circle(&sid).unwrap();
    assert_eq!(
        key_file_names(dir.path()),
        vec![format!("{}.0", hex::encode(s.circle_id().0))]
    );
    assert!(store.load_doc(&sid).unwrap().is_none());
    drop(store);
    assert_eq!(holding(dir.path(), &sister_key), Vec::<PathBuf>::new());
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.epoch(&sid).unwrap(), 0);
    // Following it again starts afresh, under a new key.
    store.stage_changes(&sid, &sister.changes).unwrap();
    assert_eq!(
        store.load_doc(&sid).unwrap().unwrap().doc.get_heads(),
        sister.circle.ledger.heads()
    );
}

/// Writes a store of format `/1` (every value plaintext) holding `s`, its compacted
/// first half as a snapshot, an alert, evidence and a vouched snapshot.
fn write_v1_store(dir: &Path, s: &Scenario) {
    let db = sled::open(dir).unwrap();
    let id = s.circle_id();
    let meta = db.open_tree("meta").unwrap();
    meta.insert("format", FORMAT_V1).unwrap();
    meta.insert("own_circle", &id.0).unwrap();
    let certs = db.open_tree("certs").unwrap();
    for cert in s.circle.chain.certs() {
        let k = key(
            &id,
            &[&cert.body.term.to_be_bytes()[..], &cert.id().0].concat(),
        );
        certs.insert(k, cert.encode()).unwrap();
    }
    let half = s.changes.len() / 2;
    let mut early = Automerge::new();
    early
        .apply_changes(
            s.changes[..half]
                .iter()
                .map(|c| Change::try_from(c.bytes.as_slice()).unwrap()),
        )
        .unwrap();
    let bytes = early.save();
    let snap = db.open_tree("doc_snap").unwrap();
    for (i, c) in bytes.chunks(SNAP_CHUNK).enumerate() {
        snap.insert(key(&id, &(i as u32).to_be_bytes()), c).unwrap();
    }
    let mut header = (bytes.len() as u64).to_be_bytes().to_vec();
    header.extend_from_slice(&Hash32::digest(b"snapshot", &[&bytes]).0);
    snap.insert(key(&id, &SNAP_HEADER.to_be_bytes()), header)
        .unwrap();
    let envs = db.open_tree("envelopes").unwrap();
    let log = db.open_tree("doc_log").unwrap();
    for c in &s.changes {
        envs.insert(key(&id, &c.envelope.change_hash.0), c.envelope.encode())
            .unwrap();
    }
    for c in &s.changes[half..] {
        let seq = db.generate_id().unwrap();
        log.insert(key(&id, &seq.to_be_bytes()), log_value(c))
            .unwrap();
    }
    let a = alert(id, 1, 7, MARKER);
    db.open_tree(ALERTS)
        .unwrap()
        .insert(key(&id, &a.alert_id), postcard::to_stdvec(&a).unwrap())
        .unwrap();
    let evidence = ChangeEvidence {
        actor: vec![2],
        seq: 3,
        change: s.changes[1].clone(),
    };
    db.open_tree(EVIDENCE)
        .unwrap()
        .insert(
            key(&id, &evidence.change.envelope.change_hash.0),
            postcard::to_stdvec(&evidence).unwrap(),
        )
        .unwrap();
    db.open_tree(crate::seal::VOUCHED)
        .unwrap()
        .insert(id.0, &b"vouched bytes"[..])
        .unwrap();
    db.flush().unwrap();
}

/// What a migrated store must give back, and every value of it sealed.
fn check_migrated(dir: &Path, s: &Scenario) {
    let store = Store::open(dir).unwrap();
    let id = s.circle_id();
    assert_eq!(store.meta.get("format").unwrap().unwrap(), FORMAT);
    let loaded = store.load_doc(&id).unwrap().unwrap();
    assert_eq!(loaded.doc.get_heads(), s.circle.ledger.heads());
    assert_eq!(loaded.log_len, s.changes.len() - s.changes.len() / 2);
    assert_eq!(store.alerts().unwrap()[0].encoded, MARKER.as_bytes());
    assert_eq!(store.change_evidence(&id).unwrap()[0].change, s.changes[1]);
    assert_eq!(
        store.vouched_snapshot(&id).unwrap().unwrap(),
        b"vouched bytes"
    );
    assert_eq!(
        store.certs(&id).unwrap().len(),
        s.circle.chain.certs().len()
    );
    for name in SEALED_TREES {
        let tree = store.db.open_tree(name).unwrap();
        assert!(!tree.is_empty(), "{name}");
        for entry in tree.iter() {
            let (k, v) = entry.unwrap();
            assert_eq!(v[0], VERSION, "{name}");
            store.seal.open(name, &k, &v).unwrap();
        }
    }
}

#[test]
fn a_plaintext_store_is_sealed_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(2, 6);
    write_v1_store(dir.path(), &s);
    check_migrated(dir.path(), &s);
    // Opening again changes nothing.
    check_migrated(dir.path(), &s);
}

#[test]
fn an_interrupted_migration_is_finished_on_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(2, 6);
    write_v1_store(dir.path(), &s);
    let id = s.circle_id();
    {
        // What a migration that died half-way leaves: the circle's key and epoch, some
        // log values sealed, the rest plaintext, the format still /1.
        let db = sled::open(dir.path()).unwrap();
        let secret = crate::epoch_keys::KeyFiles::new(dir.path())
            .create(&id, 0)
            .unwrap();
        db.open_tree("meta")
            .unwrap()
            .insert(crate::seal::epoch_meta_key(&id), &0u64.to_be_bytes())
            .unwrap();
        let k0 = EpochKey::new(0, &secret);
        let log = db.open_tree("doc_log").unwrap();
        let entries: Vec<_> = log.iter().map(|e| e.unwrap()).collect();
        for (k, v) in entries.iter().step_by(2) {
            log.insert(k, k0.seal("doc_log", k, v).unwrap()).unwrap();
        }
        // A plaintext value that starts like a sealed one is still sealed.
        let (k, v) = &entries[1];
        let mut look_alike = v.to_vec();
        look_alike[0] = VERSION;
        assert!(k0.open("doc_log", k, &look_alike).is_err());
        db.flush().unwrap();
    }
    check_migrated(dir.path(), &s);
}

#[test]
fn a_newer_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = sled::open(dir.path()).unwrap();
        db.open_tree("meta")
            .unwrap()
            .insert("format", &b"circle-ledger-store/3"[..])
            .unwrap();
        db.flush().unwrap();
    }
    assert!(matches!(
        Store::open(dir.path()),
        Err(StoreError::TooNew(_))
    ));
}
