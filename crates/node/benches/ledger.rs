//! Ledger benchmark: signed ingest vs plain Automerge, reopen time, durable writes/s.
//!
//! `cargo bench -p circle-node --bench ledger` (release). `LEDGER_CHANGES` sets the
//! ledger size (default 100,000). Every figure is reported beside a baseline measured
//! in the same run, because these machines are noisy: read the ratios.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use automerge::{Automerge, Change};
use circle_core::testing::{scenario, T0};
use circle_core::validate::ingest;
use circle_node::LocalCircle;
use circle_store::Store;

const RUNS: usize = 3;
const REOPEN_RUNS: usize = 7;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let t = Instant::now();
    let out = f();
    (t.elapsed(), out)
}

fn main() {
    // As the `circle` binary does, so the figures are the product's.
    circle_node::tune_allocator();
    let n: usize = std::env::var("LEDGER_CHANGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let terms = 4;
    println!("building a {n}-change ledger over {terms} steward terms...");
    let (gen, s) = time(|| scenario(terms, n / terms));
    println!("  built in {:.1?}", gen);

    // 1. Signed ingest vs plain apply of the same changes.
    let raw: Vec<Vec<u8>> = s.changes.iter().map(|c| c.bytes.clone()).collect();
    let mut plain = Vec::new();
    let mut signed = Vec::new();
    let mut verify_only = Vec::new();
    let mut decode_only = Vec::new();
    let mut contended = Vec::new();
    for _ in 0..RUNS {
        let (t, _) = time(|| {
            raw.iter()
                .map(|b| Change::try_from(b.as_slice()).unwrap())
                .collect::<Vec<_>>()
        });
        decode_only.push(t);
        let (t, doc) = time(|| {
            let changes: Vec<Change> = raw
                .iter()
                .map(|b| Change::try_from(b.as_slice()).unwrap())
                .collect();
            let mut doc = Automerge::new();
            doc.apply_changes(changes).unwrap();
            doc
        });
        assert_eq!(doc.get_heads(), s.circle.ledger.heads());
        plain.push(t);

        // The same plain apply while the other core verifies signatures: how much two
        // busy cores slow each other down on this machine (the floor for any overlap).
        let (t, _) = time(|| {
            let stop = std::sync::atomic::AtomicBool::new(false);
            std::thread::scope(|sc| {
                sc.spawn(|| {
                    let msgs: Vec<[u8; 96]> =
                        s.changes.iter().map(|c| c.envelope.message()).collect();
                    let items: Vec<_> = s
                        .changes
                        .iter()
                        .zip(&msgs)
                        .map(|(c, m)| (c.envelope.signer, m.as_slice(), c.envelope.signature))
                        .collect();
                    for chunk in items.chunks(1024).cycle() {
                        if stop.load(std::sync::atomic::Ordering::Relaxed) {
                            break;
                        }
                        circle_core::keys::verify_many(chunk);
                    }
                });
                let changes: Vec<Change> = raw
                    .iter()
                    .map(|b| Change::try_from(b.as_slice()).unwrap())
                    .collect();
                let mut doc = Automerge::new();
                doc.apply_changes(changes).unwrap();
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
            });
        });
        contended.push(t);
        let mut replica = s.empty_replica();
        let batch = s.changes.clone();
        let (t, report) = time(|| ingest(&mut replica, &s.chain(), batch, s.now));
        assert_eq!(
            report.applied.len(),
            s.changes.len(),
            "{:?}",
            report.rejected.first()
        );
        assert_eq!(replica.heads(), s.circle.ledger.heads());
        signed.push(t);

        let msgs: Vec<[u8; 96]> = s.changes.iter().map(|c| c.envelope.message()).collect();
        let items: Vec<_> = s
            .changes
            .iter()
            .zip(&msgs)
            .map(|(c, m)| (c.envelope.signer, m.as_slice(), c.envelope.signature))
            .collect();
        let (t, res) = time(|| circle_core::keys::verify_many(&items));
        assert!(res.iter().all(|r| r.is_ok()));
        verify_only.push(t);
    }
    let (plain, signed, verify_only) = (median(plain), median(signed), median(verify_only));
    let decode_only = median(decode_only);
    let contended = median(contended);
    println!("\n== ingest of {n} changes (median of {RUNS}) ==");
    println!("plain automerge decode + apply_changes : {:>9.1?}", plain);
    println!(
        "  of which decoding changes            : {:>9.1?}",
        decode_only
    );
    println!(
        "batch signature verification alone     : {:>9.1?}",
        verify_only
    );
    println!("plain, other core busy verifying       : {:>9.1?}   ({:.2}x: this machine's cost of using both cores)", contended, contended.as_secs_f64() / plain.as_secs_f64());
    println!("signed ingest (verify || apply)        : {:>9.1?}", signed);
    println!(
        "ratio signed / plain                   : {:>9.2}x   (target <= 1.20x)",
        signed.as_secs_f64() / plain.as_secs_f64()
    );
    println!(
        "serial estimate (plain + verify) / plain: {:>9.2}x   (what overlapping saves)",
        (plain + verify_only).as_secs_f64() / plain.as_secs_f64()
    );

    // 2. Reopening the stored ledger.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let root = dir.path();
    let (t_store, ()) = time(|| store_scenario(root, &s));
    println!("\n== storage ==");
    println!("stored {n} signed changes + snapshot in {:.1?}", t_store);
    let mut opens = Vec::new();
    let mut automerge_loads = Vec::new();
    let snapshot = s.circle.ledger.doc().save();
    // More runs than the rest: one reopen and one load take well under a second each, and
    // on this shared machine one load varies by a third from run to run.
    for _ in 0..REOPEN_RUNS {
        let (t, local) = time(|| LocalCircle::open(root).unwrap());
        assert_eq!(local.circle().ledger.heads(), s.circle.ledger.heads());
        opens.push(t);
        drop(local);
        let (t, _) = time(|| Automerge::load(&snapshot).unwrap());
        automerge_loads.push(t);
    }
    // Where a reopen's time goes: the store's own recovery, then the document.
    let mut store_opens = Vec::new();
    let mut doc_loads = Vec::new();
    for _ in 0..RUNS {
        let (t, store) = time(|| Store::open(&root.join("store")).unwrap());
        store_opens.push(t);
        let (t, doc) = time(|| store.load_doc(&s.circle_id()).unwrap().unwrap());
        assert_eq!(doc.doc.get_heads(), s.circle.ledger.heads());
        doc_loads.push(t);
    }
    println!(
        "reopens one by one (the first replays sled's log since the import): {:.0?}",
        opens
    );
    println!(
        "plain loads one by one, interleaved with them                       : {:.0?}",
        automerge_loads
    );
    println!(
        "first reopen after the import / median plain load: {:.2}x",
        opens[0].as_secs_f64() / median(automerge_loads.clone()).as_secs_f64()
    );
    let (open, am_load) = (median(opens), median(automerge_loads));
    println!(
        "reopen circle (store + certs + doc)    : {:>9.1?}   (target < 1 s)",
        open
    );
    println!(
        "  of which opening the store (sled)    : {:>9.1?}",
        median(store_opens)
    );
    println!(
        "  of which loading the document        : {:>9.1?}",
        median(doc_loads)
    );
    println!("plain Automerge::load of same snapshot : {:>9.1?}", am_load);
    println!(
        "ratio reopen / plain load              : {:>9.2}x   (target <= 1.10x)",
        open.as_secs_f64() / am_load.as_secs_f64()
    );

    // 3. Durable acknowledged writes per second.
    durable_writes(root);
}

fn store_scenario(root: &std::path::Path, s: &circle_core::testing::Scenario) {
    let store = Store::open(&root.join("store")).unwrap();
    store
        .create_circle(s.circle.chain.genesis(), &s.changes[0])
        .unwrap();
    for cert in &s.circle.chain.certs()[1..] {
        store.put_cert(cert).unwrap();
    }
    for chunk in s.changes[1..].chunks(2_000) {
        store.stage_changes(&s.circle_id(), chunk).unwrap();
    }
    store
        .compact(&s.circle_id(), s.circle.ledger.doc())
        .unwrap();
    store.sync().unwrap();
    let keys = circle_store::KeyDir::open(&root.join("keys")).unwrap();
    keys.put_stewards(s.circle.term(), &s.circle.keys).unwrap();
}

fn durable_writes(root: &std::path::Path) {
    let budget = Duration::from_secs(3);
    let fresh = root.join("writes");
    let now = T0;
    let mut local = LocalCircle::init(&fresh, "Bench circle", 14, now).unwrap();

    // Baseline: every entry its own fsync.
    let started = Instant::now();
    let mut single = 0u64;
    while started.elapsed() < budget {
        local
            .write(now, |l, s| l.log_action(s, now, "entry", "", &[]))
            .unwrap();
        single += 1;
    }
    let single_rate = single as f64 / started.elapsed().as_secs_f64();

    // Group commit as `action import` and the node do it: stage, then one sync per group.
    let started = Instant::now();
    let mut grouped = 0u64;
    while started.elapsed() < budget {
        for _ in 0..32 {
            local
                .stage(now, |l, s| l.log_action(s, now, "entry", "", &[]))
                .unwrap();
            grouped += 1;
        }
        local.commit().unwrap();
    }
    let group_rate = grouped as f64 / started.elapsed().as_secs_f64();

    // Many threads sharing the store: the leader/follower group commit in `Store::sync`.
    let s = scenario(1, 4_000);
    let store = Store::open(&root.join("threads")).unwrap();
    store
        .create_circle(s.circle.chain.genesis(), &s.changes[0])
        .unwrap();
    let started = Instant::now();
    let threads = 8;
    let per_thread: Vec<&[circle_core::envelope::SignedChange]> =
        s.changes[1..].chunks(s.changes.len() / threads).collect();
    let acked = std::sync::atomic::AtomicU64::new(0);
    let circle = s.circle_id();
    std::thread::scope(|scope| {
        for chunk in per_thread {
            let store = store.clone();
            let acked = &acked;
            scope.spawn(move || {
                for c in chunk {
                    if started.elapsed() > budget {
                        return;
                    }
                    store
                        .stage_changes(&circle, std::slice::from_ref(c))
                        .unwrap();
                    store.sync().unwrap();
                    acked.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            });
        }
    });
    let threads_rate = acked.into_inner() as f64 / started.elapsed().as_secs_f64();

    println!(
        "\n== durable acknowledged entries per second ({}s each) ==",
        budget.as_secs()
    );
    println!(
        "one fsync per entry (baseline)         : {:>9.0}/s",
        single_rate
    );
    println!(
        "group commit, 32 staged per sync       : {:>9.0}/s   ({:.1}x baseline; target >= 300/s)",
        group_rate,
        group_rate / single_rate
    );
    println!(
        "group commit, {threads} concurrent writers      : {:>9.0}/s   ({:.1}x baseline)",
        threads_rate,
        threads_rate / single_rate
    );
}
