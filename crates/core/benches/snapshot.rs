//! First sync by checkpoint snapshot against plain `Automerge::load` of the same
//! document, for 1 and 4 steward terms (issue 11, item 1).
//!
//! `cargo bench -p circle-core --features test-utils --bench snapshot` (release).
//! `SNAP_CHANGES=N` sets the ledger size (default 100,000), `SNAP_TERMS=1,4` the terms.
//!
//! What is measured: the follower side of the core path — decode the wire message
//! (certificates and snapshot), build and verify the certificate chain, verify the
//! checkpoint, bounded inflate, pre-scan, Automerge load in Check mode, derived heads,
//! frozen writers, ledger shape — in a child process of its own (its peak RSS is its
//! own), against a child that only runs `Automerge::load` of `save()`. Not measured
//! here: TCP transfer and the node's store write (see docs/CHECKPOINTS.md).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use automerge::Automerge;
use circle_core::checkpoint::{Checkpoint, CheckpointBody, Snapshot, SnapshotLimits, Vouch};
use circle_core::keys::Hash32;
use circle_core::term::{TermCert, TermChain};
use circle_core::testing::scenario;
use serde_json::json;

const RUNS: usize = 3;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--role") {
        let role = args[i + 1].as_str();
        let path = Path::new(&args[i + 2]);
        match role {
            "snapshot-follower" => follower(path, args[i + 3].parse().unwrap()),
            "am-load" => plain_load(path),
            other => panic!("unknown role {other}"),
        }
        return;
    }
    let n: usize = env_or("SNAP_CHANGES", "100000").parse().unwrap();
    let terms: Vec<usize> = env_or("SNAP_TERMS", "1,4")
        .split(',')
        .map(|t| t.trim().parse().unwrap())
        .collect();
    for t in terms {
        measure(n, t);
    }
}

fn env_or(k: &str, d: &str) -> String {
    std::env::var(k).unwrap_or_else(|_| d.to_owned())
}

fn measure(n: usize, terms: usize) {
    println!("\n== first sync by snapshot: {n} changes over {terms} term(s) ==");
    let started = Instant::now();
    let s = scenario(terms, n / terms);
    println!("  generated in {:.1?}", started.elapsed());
    let doc = s.circle.ledger.doc();
    let mut heads: Vec<Hash32> = doc.get_heads().iter().map(|h| Hash32(h.0)).collect();
    heads.sort();
    let body = CheckpointBody::new(s.circle_id(), s.circle.term(), &heads);
    let checkpoint = Checkpoint::sign(body, &s.circle.current_keys()).unwrap();
    let (t_build, snap) = time(|| Snapshot::build(doc, Vouch::Checkpoint(checkpoint)).unwrap());
    let certs: Vec<TermCert> = s.circle.chain.certs().to_vec();
    let wire = postcard::to_stdvec(&(certs, &snap)).unwrap();
    let save = doc.save();
    let dir = std::env::temp_dir().join(format!("circle-snapshot-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wire_path = dir.join("snapshot.wire");
    let save_path = dir.join("ledger.automerge");
    std::fs::write(&wire_path, &wire).unwrap();
    std::fs::write(&save_path, &save).unwrap();
    let ours = child("snapshot-follower", &wire_path, &s.now.to_string());
    let base = child("am-load", &save_path, "");
    let _ = std::fs::remove_dir_all(&dir);
    let (t_ours, t_base) = (f(&ours, "open_ms"), f(&base, "load_ms"));
    let (m_ours, m_base) = (f(&ours, "hwm_kib"), f(&base, "hwm_kib"));
    println!("  responder: snapshot built in {t_build:.1?} (save_nocompress + deflate, once per checkpoint)");
    println!(
        "  follower, decode + chain + verified load : {t_ours:>8.0} ms   plain Automerge::load of save(): {t_base:>6.0} ms   ratio {:.2}x (target <= 1.5x)",
        t_ours / t_base
    );
    println!(
        "  bytes: snapshot message {} (certs + checkpoint + deflated document)   save(): {}   ratio {:.2}x (target <= 1.2x)",
        wire.len(),
        save.len(),
        wire.len() as f64 / save.len() as f64
    );
    println!(
        "  peak RSS (VmHWM): follower {:.0} MiB   plain load process {:.0} MiB   ratio {:.2}x (target <= 1.2x)",
        m_ours / 1024.0,
        m_base / 1024.0,
        m_ours / m_base
    );
    println!("  (medians of {RUNS} runs in each child; same machine, same run)");
}

fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let t = Instant::now();
    let out = f();
    (t.elapsed(), out)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn f(v: &serde_json::Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or_else(|| panic!("no {k} in {v}"))
}

fn child(role: &str, path: &Path, extra: &str) -> serde_json::Value {
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .args(["--role", role, path.to_str().unwrap(), extra])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{role} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(line.trim()).unwrap()
}

fn hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap()
}

/// Child: what a follower does with the snapshot message, from its bytes to a ledger.
fn follower(path: &Path, now: u64) {
    let wire = std::fs::read(path).unwrap();
    let mut times = Vec::new();
    let mut heads = 0;
    for _ in 0..RUNS {
        let (t, ledger) = time(|| {
            let (certs, snap): (Vec<TermCert>, Snapshot) = postcard::from_bytes(&wire).unwrap();
            let chain = TermChain::from_certs(certs).unwrap();
            snap.open(&chain, now, SnapshotLimits::default()).unwrap()
        });
        heads = ledger.heads().len();
        times.push(t.as_secs_f64() * 1000.0);
        drop(ledger);
    }
    println!(
        "{}",
        json!({"open_ms": median(times), "hwm_kib": hwm_kib(), "heads": heads})
    );
}

/// Child: plain `Automerge::load` of the same history's `save()`.
fn plain_load(path: &Path) {
    let save = std::fs::read(path).unwrap();
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let (t, doc) = time(|| Automerge::load(&save).unwrap());
        times.push(t.as_secs_f64() * 1000.0);
        drop(doc);
    }
    println!(
        "{}",
        json!({"load_ms": median(times), "hwm_kib": hwm_kib()})
    );
}
