//! `first-sync`: a 100,000-change ledger to an empty follower over loopback TCP. The
//! follower is a child process (its RSS is its own); the baseline, in a child too, is
//! plain `Automerge::load` of the same document and plain `apply_changes` of the same
//! changes.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use automerge::{Automerge, Change};
use circle_core::bundle::Bundle;
use circle_core::envelope::SignedChange;
use circle_core::invite::Invite;
use circle_core::sync::WireChange;
use circle_node::{LocalCircle, Node, SyncProgress};
use serde_json::json;

use super::common::{
    cache_dir, cache_fresh, f, generate, loopback_bytes, mark_created, median, median_u64, mib, ms,
    now_secs, report, runtime, size, status_kib, tcp_config, time, write_local, ChildRun, Opts,
    DAY,
};

/// How long one follower may take before the bench gives up on it.
const FOLLOW_LIMIT: Duration = Duration::from_secs(1200);

pub(crate) fn run() {
    let n = size("FED_FIRST_CHANGES", 100_000, 10_000);
    let runs = size("FED_FIRST_RUNS", 3, 1).max(1);
    let terms = size("FED_FIRST_TERMS", 1, 1).max(1);
    println!(
        "\n== first-sync: a {n}-change ledger ({terms} steward term(s)) to an empty follower over loopback TCP =="
    );
    measure(n, terms, runs);
    // A ledger whose old terms are longer than the follower's quarantine (4,096 changes)
    // does not sync (see the report): shown, not measured.
    let check_terms = size("FED_FIRST_CHECK_TERMS", 4, 4);
    if check_terms > 1 && terms == 1 {
        println!("\n-- the same size over {check_terms} steward terms (one follower) --");
        let dir = ledger_dir(n, check_terms);
        let id = LocalCircle::open(&dir).unwrap().circle_id();
        let rt = runtime();
        let local = LocalCircle::open(&dir).unwrap();
        // The generator splits the changes evenly over terms: the real count may be a
        // few under `n`.
        let held = local.store().change_count(&id);
        let node = rt
            .block_on(Node::start(local, tcp_config(Vec::new())))
            .unwrap();
        let addrs = rt.block_on(node.wait_listening(Duration::from_secs(10)));
        let invite = Invite {
            circle_id: id,
            peer_id: Some(node.peer_id()),
            addrs,
        };
        let linger = size("FED_FIRST_CHECK_LINGER", 60, 20);
        let mut child = ChildRun::spawn(
            "follower",
            &[
                ("invite", invite.to_string()),
                ("linger", linger.to_string()),
                ("expect", held.to_string()),
            ],
        );
        let (_, r) = child.json(FOLLOW_LIMIT);
        child.finish(Duration::from_secs(20));
        rt.block_on(node.shutdown());
        println!(
            "follower holds {} of {} changes after {:.1} s and {} pages (follow reported synced={}, compliant={}); peak RSS {:.0} MiB",
            r["changes"], held, f(&r, "elapsed_ms") / 1000.0, r["pages"], r["synced"], r["compliant"],
            f(&r, "hwm_kib") / 1024.0
        );
        println!(
            "after {:.0} s more with a catalog check every second: {} changes",
            f(&r, "lingered_ms") / 1000.0,
            r["changes_after_linger"]
        );
    }
}

/// First sync of an `n`-change ledger over `terms` terms: `runs` follower processes.
fn measure(n: usize, terms: usize, runs: usize) {
    let dir = ledger_dir(n, terms);
    let (t_open, local) = time(|| LocalCircle::open(&dir).unwrap());
    let id = local.circle_id();
    println!("  serving node opened its circle in {t_open:.1?}");

    // What the baseline child loads and applies, and our exact page payload.
    let files = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let save_path = files.path().join("ledger.automerge");
    let bundle_path = files.path().join("ledger.bundle");
    let save = local.circle().ledger.doc().save();
    std::fs::write(&save_path, &save).unwrap();
    // Every change with its signature, as a change-by-change sync sends them (the
    // node's own bundle would start from a snapshot it keeps once it has served one).
    let bundle = Bundle {
        circle_id: id,
        certs: local.circle().chain.all_certs().cloned().collect(),
        changes: every_signed_change(&local),
        base: None,
    };
    let chain = local.circle().chain.clone();
    let change_bytes: usize = bundle.changes.iter().map(|c| c.bytes.len()).sum();
    let wire_bytes: usize = bundle
        .changes
        .iter()
        .map(|c| WireChange::from_signed(c, &chain).unwrap().encoded_len())
        .sum();
    let cert_bytes: usize = chain.certs().iter().map(|c| c.encode().len()).sum();
    let changes = bundle.changes.len();
    std::fs::write(&bundle_path, bundle.encode()).unwrap();
    drop(bundle);

    let rt = runtime();
    let node = rt
        .block_on(Node::start(local, tcp_config(Vec::new())))
        .unwrap();
    let addrs = rt.block_on(node.wait_listening(Duration::from_secs(10)));
    assert!(!addrs.is_empty(), "serving node does not listen");
    let invite = Invite {
        circle_id: id,
        peer_id: Some(node.peer_id()),
        addrs,
    };

    let mut elapsed = Vec::new();
    let mut hwm = Vec::new();
    let mut lo = Vec::new();
    let mut pages = 0.0;
    for run in 0..runs {
        let mut child = ChildRun::spawn("follower", &[("invite", invite.to_string())]);
        let (_, r) = child.json(FOLLOW_LIMIT);
        child.finish(Duration::from_secs(20));
        assert!(
            r["synced"].as_bool() == Some(true) && f(&r, "changes") as usize == changes,
            "follower did not get the whole ledger: {r}"
        );
        elapsed.push(Duration::from_secs_f64(f(&r, "elapsed_ms") / 1000.0));
        hwm.push(f(&r, "hwm_kib") as u64);
        lo.push(f(&r, "lo_bytes") as u64);
        pages = f(&r, "pages");
        eprintln!(
            "  follower run {} of {runs}: {:.1} s, peak RSS {:.0} MiB",
            run + 1,
            f(&r, "elapsed_ms") / 1000.0,
            mib(f(&r, "hwm_kib") as u64)
        );
    }
    rt.block_on(node.shutdown());
    drop(rt);

    let mut base = ChildRun::spawn(
        "am-baseline",
        &[
            ("save", path_arg(&save_path)),
            ("bundle", path_arg(&bundle_path)),
        ],
    );
    let (_, b) = base.json(FOLLOW_LIMIT);
    base.finish(Duration::from_secs(20));

    let (sync, hwm, lo) = (median(elapsed), median_u64(hwm), median_u64(lo));
    let load = Duration::from_secs_f64(f(&b, "load_ms") / 1000.0);
    let apply = Duration::from_secs_f64(f(&b, "apply_ms") / 1000.0);
    println!("(median of {runs} follower processes; baseline: median of 3 in one process)");
    println!(
        "first sync, {changes} changes, {pages} pages    : {:>9.1} s",
        sync.as_secs_f64()
    );
    println!(
        "plain Automerge::load of save() ({:.1} MiB)  : {:>9.2} s   (ratio sync / load {:.1}x)",
        save.len() as f64 / 1048576.0,
        load.as_secs_f64(),
        sync.as_secs_f64() / load.as_secs_f64()
    );
    println!(
        "plain decode + apply_changes, one call     : {:>9.2} s   (ratio sync / apply {:.1}x)",
        apply.as_secs_f64(),
        sync.as_secs_f64() / apply.as_secs_f64()
    );
    println!(
        "transferred: page payload before deflate {:.1} MiB (changes {:.1} MiB + signatures/framing {:.1} MiB + certs {} B); \
         loopback bytes during the sync {:.1} MiB (what went over TCP: deflated pages, Noise/Yamux, requests, anything else on lo)",
        (wire_bytes + cert_bytes) as f64 / 1048576.0,
        (change_bytes - 8 * changes) as f64 / 1048576.0,
        (wire_bytes + 8 * changes - change_bytes) as f64 / 1048576.0,
        cert_bytes,
        lo as f64 / 1048576.0
    );
    println!(
        "follower peak RSS (VmHWM)                  : {:>9.0} MiB   (plain load process: {:.0} MiB, {:.2}x; after also applying every change: {:.0} MiB)",
        mib(hwm),
        mib(f(&b, "load_hwm_kib") as u64),
        hwm as f64 / f(&b, "load_hwm_kib"),
        mib(f(&b, "hwm_kib") as u64),
    );
    println!(
        "ratios: time sync / load {:.2}x (target <= 1.5x), bytes on the wire / save() {:.2}x (target <= 1.2x), peak RSS / load {:.2}x (target <= 1.2x)",
        sync.as_secs_f64() / load.as_secs_f64(),
        lo as f64 / save.len() as f64,
        hwm as f64 / f(&b, "load_hwm_kib"),
    );
}

/// The circle's changes in causal order, each with its stored envelope.
fn every_signed_change(local: &LocalCircle) -> Vec<SignedChange> {
    let id = local.circle_id();
    let doc = local.circle().ledger.doc();
    doc.get_changes(&[])
        .into_iter()
        .map(|c| {
            let hash = circle_core::keys::Hash32(c.hash().0);
            let envelope = local.store().envelope(&id, &hash).unwrap().unwrap();
            SignedChange {
                envelope,
                bytes: c.raw_bytes().to_vec(),
            }
        })
        .collect()
}

fn path_arg(p: &Path) -> String {
    p.to_str().unwrap().to_owned()
}

/// A node data directory holding an `n`-change compliant circle, cached under `target/`.
fn ledger_dir(n: usize, terms: usize) -> PathBuf {
    let cache = cache_dir(&format!("first-sync-{n}-{terms}"));
    let dir = cache.join("circle");
    if cache_fresh(&cache, 7 * DAY) && dir.exists() {
        println!("  using the cached ledger in {}", cache.display());
        return dir;
    }
    let _ = std::fs::remove_dir_all(&cache);
    std::fs::create_dir_all(&cache).unwrap();
    let now = now_secs();
    println!("  generating {n} signed changes (cached for reruns)...");
    let (t, g) = time(|| generate("First sync", terms, n, now));
    println!("  generated in {t:.1?}");
    let (t, ()) = time(|| write_local(&dir, &g));
    println!("  stored in {t:.1?}");
    mark_created(&cache, now);
    dir
}

/// Child: an empty node follows the invite's circle; prints time, pages, peak RSS.
pub(crate) fn follower_child(o: &Opts) {
    let invite: Invite = o.get("invite").parse().unwrap();
    let invite_id = invite.circle_id;
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let rt = runtime();
    rt.block_on(async {
        let local = LocalCircle::init(dir.path(), "Follower", 14, now_secs()).unwrap();
        // `--linger S`: keep the node running S more seconds with a 1 s catalog check,
        // to see whether later syncs complete what the follow did not.
        let linger = o.opt("linger").map_or(0, |v| v.parse::<u64>().unwrap());
        let mut cfg = tcp_config(Vec::new());
        if linger > 0 {
            cfg.resync = Duration::from_secs(1);
        }
        // The whole follow may take as long as the bench waits for it: on a loaded
        // machine, or under a memory cap that makes the kernel reclaim, the first sync
        // can run past the node's default budget for one pull (600 s).
        cfg.pull_budget = FOLLOW_LIMIT;
        // `FED_PAGE_KIB=N`: ask for pages of N KiB instead of the node's default, to see
        // what the page size costs in peak RSS (scripts/pi-memory).
        if let Some(kib) = std::env::var("FED_PAGE_KIB")
            .ok()
            .and_then(|v| v.parse::<u32>().ok())
        {
            cfg.page_bytes = kib.saturating_mul(1024);
        }
        let node = Node::start(local, cfg).await.unwrap();
        let pages = AtomicU64::new(0);
        let last = Mutex::new(Instant::now());
        let progress = |p: &SyncProgress| {
            // The follow may wait for the catalog job's pull of the same circle and
            // show its progress, then make its own (short) pull: keep the most pages.
            pages.fetch_max(p.pages, Ordering::Relaxed);
            let mut last = last.lock().unwrap();
            if last.elapsed() > Duration::from_secs(5) {
                *last = Instant::now();
                eprintln!(
                    "    follower: {} pages, {} changes ({} waiting), RSS {:.0} MiB",
                    p.pages,
                    p.changes_received,
                    p.pending,
                    mib(status_kib("VmRSS"))
                );
            }
        };
        let lo0 = loopback_bytes();
        let started = Instant::now();
        let follow = node.follow(invite, Some(&progress));
        let got = tokio::time::timeout(FOLLOW_LIMIT, follow)
            .await
            .expect("follow timed out")
            .unwrap();
        let elapsed = started.elapsed();
        let lo = loopback_bytes() - lo0;
        let expect = o.opt("expect").map_or(0, |v| v.parse::<usize>().unwrap());
        let lingered = Instant::now();
        let mut later = got.changes;
        while lingered.elapsed() < Duration::from_secs(linger) && later < expect {
            tokio::time::sleep(Duration::from_secs(2)).await;
            later = node.store().change_count(&invite_id);
        }
        report(json!({
            "elapsed_ms": ms(elapsed),
            "pages": pages.load(Ordering::Relaxed),
            "changes": got.changes,
            "synced": got.synced,
            "compliant": got.compliant,
            "hwm_kib": status_kib("VmHWM"),
            "rss_kib": status_kib("VmRSS"),
            "lo_bytes": lo,
            "changes_after_linger": later,
            "lingered_ms": ms(lingered.elapsed()),
        }));
        node.shutdown().await;
    });
}

/// Child: plain Automerge on the same ledger (median of 3 loads and of 3 applies).
pub(crate) fn baseline_child(o: &Opts) {
    let save = std::fs::read(o.get("save")).unwrap();
    let bundle = Bundle::decode(&std::fs::read(o.get("bundle")).unwrap()).unwrap();
    let raw: Vec<Vec<u8>> = bundle.changes.into_iter().map(|c| c.bytes).collect();
    let mut loads = Vec::new();
    for _ in 0..3 {
        let (t, doc) = time(|| Automerge::load(&save).unwrap());
        loads.push(t);
        drop(doc);
    }
    // The peak so far is a plain load process's (the RSS target's baseline); applying
    // every change one by one needs more.
    let load_hwm_kib = status_kib("VmHWM");
    let mut applies = Vec::new();
    for _ in 0..3 {
        let (t, doc) = time(|| {
            let changes: Vec<Change> = raw
                .iter()
                .map(|b| Change::try_from(b.as_slice()).unwrap())
                .collect();
            let mut doc = Automerge::new();
            doc.apply_changes(changes).unwrap();
            doc
        });
        applies.push(t);
        drop(doc);
    }
    report(json!({
        "load_ms": ms(median(loads)),
        "apply_ms": ms(median(applies)),
        "load_hwm_kib": load_hwm_kib,
        "hwm_kib": status_kib("VmHWM"),
    }));
}
