//! What sealing costs: 100,000 small logged changes staged and loaded through the store
//! (sealed) and through bare sled trees holding the same rows in plaintext, in one run.
//! `cargo test -p circle-store --lib seal_cost -- --ignored --nocapture`

use std::time::Instant;

use automerge::transaction::Transactable;
use circle_core::keys::StewardKey;

use super::*;

const CHANGES: usize = 100_000;
const BATCH: usize = 100;

fn small_changes(circle: Hash32) -> Vec<SignedChange> {
    let key = StewardKey::generate();
    let mut doc = automerge::AutoCommit::new();
    (0..CHANGES)
        .map(|i| {
            doc.put(automerge::ROOT, format!("k{}", i % 100), i as u64)
                .unwrap();
            doc.commit();
            let change = doc.get_last_local_change().unwrap();
            let bytes = change.raw_bytes().to_vec();
            let hash = Hash32(change.hash().0);
            SignedChange {
                envelope: Envelope::sign(circle, hash, 0, &key),
                bytes,
            }
        })
        .collect()
}

/// The same rows `stage_changes` writes, in plaintext, then the same load.
fn plaintext_stage_and_load(dir: &Path, circle: &Hash32, changes: &[SignedChange]) -> usize {
    let db = sled::Config::new()
        .path(dir)
        .mode(sled::Mode::HighThroughput)
        .cache_capacity(CACHE_BYTES)
        .open()
        .unwrap();
    let (envs, log) = (
        db.open_tree("envelopes").unwrap(),
        db.open_tree("doc_log").unwrap(),
    );
    for batch in changes.chunks(BATCH) {
        let rows: Vec<_> = batch
            .iter()
            .map(|c| {
                let seq = db.generate_id().unwrap();
                (
                    key(circle, &c.envelope.change_hash.0),
                    c.envelope.encode(),
                    key(circle, &seq.to_be_bytes()),
                    log_value(c),
                )
            })
            .collect();
        (&envs, &log)
            .transaction(|(e, l)| {
                for (ek, ev, lk, lv) in &rows {
                    e.insert(ek.as_slice(), ev.as_slice())?;
                    l.insert(lk.as_slice(), lv.as_slice())?;
                }
                Ok::<(), ConflictableTransactionError<()>>(())
            })
            .unwrap();
    }
    // What `Store::sync` does: sled's flush, then a real fsync.
    db.flush().unwrap();
    std::fs::File::open(dir.join("db"))
        .unwrap()
        .sync_all()
        .unwrap();
    let mut loaded = Vec::new();
    for v in log.scan_prefix(circle.0).values() {
        loaded.push(parse_logged(&v.unwrap()).unwrap());
    }
    let n = loaded.len();
    let mut doc = Automerge::new();
    doc.apply_changes(loaded).unwrap();
    n
}

fn sealed_stage_and_load(dir: &Path, circle: &Hash32, changes: &[SignedChange]) -> usize {
    let store = Store::open(dir).unwrap();
    for batch in changes.chunks(BATCH) {
        store.stage_changes(circle, batch).unwrap();
    }
    store.sync().unwrap();
    store.load_doc(circle).unwrap().unwrap().log_len
}

#[test]
#[ignore = "a measurement (about two minutes in a debug build), not a check"]
fn seal_cost() {
    let circle = Hash32([5; 32]);
    let changes = small_changes(circle);
    let (plain_dir, sealed_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // Twice each, alternating, so neither pays alone for a cold cache.
    let mut plain = Vec::new();
    let mut sealed = Vec::new();
    for round in 0..2 {
        let p = plain_dir.path().join(round.to_string());
        let t = Instant::now();
        assert_eq!(plaintext_stage_and_load(&p, &circle, &changes), CHANGES);
        plain.push(t.elapsed());
        let s = sealed_dir.path().join(round.to_string());
        let t = Instant::now();
        assert_eq!(sealed_stage_and_load(&s, &circle, &changes), CHANGES);
        sealed.push(t.elapsed());
    }
    let (p, s) = (plain.iter().min().unwrap(), sealed.iter().min().unwrap());
    println!(
        "stage + load of {CHANGES} logged changes: plaintext sled {p:.2?}, sealed store {s:.2?}, ratio {:.2}",
        s.as_secs_f64() / p.as_secs_f64()
    );
}

/// The sealing alone, for the same number and size of values: how much of the figure
/// above is the cipher. The cipher's generic code is compiled in this crate, hence the
/// root Cargo.toml's `opt-level` for circle-store in the dev profile (without it: 23 s).
#[test]
#[ignore = "a measurement, not a check"]
fn seal_cost_of_the_cipher_alone() {
    let k = crate::seal::EpochKey::new(0, &[1; 32]);
    let value = vec![7u8; 32 + 120];
    let t = Instant::now();
    for i in 0..CHANGES as u64 {
        let sled_key = key(&Hash32([5; 32]), &i.to_be_bytes());
        let sealed = k.seal(crate::seal::DOC_LOG, &sled_key, &value).unwrap();
        k.open(crate::seal::DOC_LOG, &sled_key, &sealed).unwrap();
    }
    println!(
        "seal + open of {CHANGES} values of {} bytes: {:.2?}",
        value.len(),
        t.elapsed()
    );
}
