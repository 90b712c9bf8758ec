//! Generated attacks at scale: 10^6 invalid changes (forged, outsider, wrong circle,
//! wrong term, future term, after handover, expired, equivocating, withheld root)
//! against an honest three-term history, through `validate::ingest` and into a sled
//! store, in bounded batches. Prints outcomes per family, accepted and persisted
//! counts (both must be 0), throughput beside honest ingest of the same run, peak RSS,
//! and the cost of strict signature verification beside dalek's batch verification.
//!
//! `cargo bench -p circle-store --bench attacks` (release). `ATTACKS` sets the count
//! (default 1,000,000), `ATTACKS_BATCH` the batch (default 10,000).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/attacks/drive.rs"]
mod drive;

use std::time::Instant;

use circle_core::keys::{verify_many, PublicKey, Signature};
use circle_core::testing::scenario;
use circle_core::validate::ingest;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let total = env("ATTACKS", 1_000_000);
    let batch = env("ATTACKS_BATCH", 10_000);
    let s = scenario(3, 2_000);
    println!("honest history: {} changes over 3 terms", s.changes.len());

    // Baseline: honest ingest of the same history, same build, same machine.
    let mut replica = s.empty_replica();
    let t = Instant::now();
    let report = ingest(&mut replica, &s.chain(), s.changes.clone(), s.now);
    let honest = t.elapsed();
    assert_eq!(report.applied.len(), s.changes.len());
    println!(
        "baseline honest ingest: {:.0} changes/s ({:.2?} for {})",
        s.changes.len() as f64 / honest.as_secs_f64(),
        honest,
        s.changes.len()
    );

    // Strict verification of every signature (what ingest does) vs dalek's batch.
    let items: Vec<(PublicKey, [u8; 96], Signature)> = s
        .changes
        .iter()
        .map(|c| {
            (
                c.envelope.signer,
                c.envelope.message(),
                c.envelope.signature,
            )
        })
        .collect();
    let refs: Vec<(PublicKey, &[u8], Signature)> = items
        .iter()
        .map(|(k, m, s)| (*k, m.as_slice(), *s))
        .collect();
    let t = Instant::now();
    assert!(verify_many(&refs).iter().all(|r| r.is_ok()));
    let strict = t.elapsed();
    let keys: Vec<_> = items
        .iter()
        .map(|(k, _, _)| ed25519_dalek::VerifyingKey::from_bytes(&k.0).unwrap())
        .collect();
    let msgs: Vec<&[u8]> = items.iter().map(|(_, m, _)| m.as_slice()).collect();
    let sigs: Vec<_> = items
        .iter()
        .map(|(_, _, s)| ed25519_dalek::Signature::from_bytes(&s.0))
        .collect();
    let t = Instant::now();
    assert!(ed25519_dalek::verify_batch(&msgs, &sigs, &keys).is_ok());
    let batched = t.elapsed();
    let per = |d: std::time::Duration| d.as_secs_f64() * 1e6 / items.len() as f64;
    println!(
        "signatures: strict {:.1} µs each, dalek batch (unsound, not used) {:.1} µs each",
        per(strict),
        per(batched)
    );

    let dir = tempfile::tempdir().unwrap();
    let store = circle_store::Store::open(dir.path()).unwrap();
    println!("feeding {total} attacks in batches of {batch}...");
    let t = Instant::now();
    let tally = drive::run(&s, &store, total, batch);
    let took = t.elapsed();
    for ((attack, outcome), n) in &tally.outcomes {
        println!("  {attack:?} {outcome}: {n}");
    }
    println!(
        "generated {} in {:.1?} ({:.0}/s, generation and signing included)",
        tally.generated,
        took,
        tally.generated as f64 / took.as_secs_f64()
    );
    println!("accepted: {}", tally.accepted);
    println!(
        "persisted: {} (stored beyond the honest history: {})",
        tally.persisted, tally.stored_beyond_honest
    );
    match drive::peak_rss_kib() {
        Some(kib) => println!("peak RSS: {:.1} MiB", kib as f64 / 1024.0),
        None => println!("peak RSS: unknown (no /proc/self/status)"),
    }
    assert_eq!(tally.accepted, 0);
    assert_eq!(tally.persisted, 0);
    assert_eq!(tally.stored_beyond_honest, 0);
}
