//! `sync-diff`: two replicas of a 100,000-change ledger that differ by 10 changes (5 new
//! on each side), reconciled with our pull protocol and with plain Automerge sync, both
//! starting from state persisted after a previous full sync. Real bytes both ways.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use automerge::sync::{Message, State, SyncDoc};
use automerge::{ActorId, Automerge};
use circle_core::envelope::{Envelope, SignedChange};
use circle_core::keys::Hash32;
use circle_core::ledger::{Ledger, Signer};
use circle_core::sync::{
    answer_pull, open_page, pull_request, shared_after, Request, Response, WireChange,
};
use circle_core::term::TermChain;
use circle_core::testing::{scenario, Scenario};
use circle_core::validate::ingest;

use super::common::{median, ms, size, time};

/// The node's page budget and cap (`circle_node`'s `PAGE_BYTES`).
const PAGE_BYTES: u32 = 2 * 1024 * 1024;
const RUNS: usize = 3;
/// Bound on messages in one sync (each protocol needs a handful).
const MAX_MESSAGES: usize = 100;

/// One replica: its ledger and the envelopes it stores.
#[derive(Clone)]
struct Side {
    ledger: Ledger,
    envelopes: HashMap<Hash32, Envelope>,
}

#[derive(Clone, Copy, Default, Debug)]
struct Traffic {
    /// Requests (ours) or messages (Automerge) from A to B, and their bytes.
    a_to_b: usize,
    a_to_b_bytes: usize,
    b_to_a: usize,
    b_to_a_bytes: usize,
    round_trips: usize,
    /// Automerge's messages deflated as our codec deflates frames (reference only).
    deflated_bytes: usize,
}

impl Traffic {
    fn bytes(&self) -> usize {
        self.a_to_b_bytes + self.b_to_a_bytes
    }
}

pub(crate) fn run() {
    let n = size("FED_SYNC_CHANGES", 100_000, 10_000);
    let per_side = size("FED_SYNC_NEW", 5, 5);
    println!("\n== sync-diff: two replicas of a {n}-change ledger, {per_side} new changes on each side ==");
    let (t, s) = time(|| scenario(4, n / 4));
    println!("  built the ledger in {t:.1?}");
    let chain = s.chain();
    let base_env: HashMap<Hash32, Envelope> = s
        .changes
        .iter()
        .map(|c| (c.envelope.change_hash, c.envelope.clone()))
        .collect();
    let (a, a_new) = fork(&s, &base_env, "A", per_side);
    let (b, b_new) = fork(&s, &base_env, "B", per_side);
    let new_changes: Vec<&SignedChange> = a_new.iter().chain(&b_new).collect();

    // A previous full sync of the identical replicas, as the node persists it: each
    // side keeps `shared_after` for the other.
    let base = Side {
        ledger: s.circle.ledger.clone(),
        envelopes: base_env.clone(),
    };
    let mut warm = base.clone();
    let mut shared_base = Vec::new();
    let mut t0 = Traffic::default();
    pull(
        &mut warm,
        &base,
        &chain,
        &mut shared_base,
        &mut t0,
        s.now,
        true,
    );
    assert_eq!(shared_base.len(), s.circle.ledger.heads().len());

    // Plain Automerge: the same full sync of identical docs, then both States persisted
    // (encode/decode) as a real peer would keep them.
    let (state_a, state_b) = {
        let mut da = s.circle.ledger.doc().clone();
        let mut db = s.circle.ledger.doc().clone();
        let (mut sa, mut sb) = (State::new(), State::new());
        let mut t = Traffic::default();
        automerge_sync(&mut da, &mut db, &mut sa, &mut sb, &mut t);
        println!(
            "  previous full sync of identical replicas: ours {} B, plain Automerge {} B ({} messages)",
            t0.bytes(),
            t.bytes(),
            t.a_to_b + t.b_to_a
        );
        (sa.encode(), sb.encode())
    };

    let mut ours = Vec::new();
    let mut ours_t = Traffic::default();
    let mut sampled = Vec::new();
    let mut sampled_t = Traffic::default();
    let mut plain = Vec::new();
    let mut plain_t = Traffic::default();
    for run in 0..RUNS {
        // Ours, with shared heads persisted from the previous sync.
        let (mut ra, mut rb) = (a.clone(), b.clone());
        let mut t = Traffic::default();
        let (d, ()) = time(|| {
            ours_sync(
                &mut ra,
                &mut rb,
                &chain,
                &shared_base,
                &shared_base,
                &mut t,
                s.now,
            )
        });
        check_converged(&ra.ledger, &rb.ledger, &new_changes);
        ours.push(d);
        ours_t = t;

        // Ours without persisted shared heads: the history-sample fallback.
        let (mut ra, mut rb) = (a.clone(), b.clone());
        let mut t = Traffic::default();
        let (d, ()) = time(|| ours_sync(&mut ra, &mut rb, &chain, &[], &[], &mut t, s.now));
        check_converged(&ra.ledger, &rb.ledger, &new_changes);
        sampled.push(d);
        sampled_t = t;

        // Plain Automerge sync on the same two documents.
        let mut da = a.ledger.doc().clone();
        let mut db = b.ledger.doc().clone();
        let mut sa = State::decode(&state_a).unwrap();
        let mut sb = State::decode(&state_b).unwrap();
        let mut t = Traffic::default();
        let (d, ()) = time(|| automerge_sync(&mut da, &mut db, &mut sa, &mut sb, &mut t));
        assert_eq!(sorted(da.get_heads()), sorted(db.get_heads()));
        assert_eq!(sorted(da.get_heads()), sorted(ra.ledger.heads()));
        plain.push(d);
        plain_t = t;
        eprintln!("  run {} of {RUNS} done", run + 1);
    }
    let (ours, sampled, plain) = (median(ours), median(sampled), median(plain));

    println!("(median of {RUNS} runs; bytes are identical run to run)");
    println!("                               round trips   msgs A->B / B->A     bytes A->B / B->A    total      time");
    let line = |name: &str, t: &Traffic, d: Duration| {
        println!(
            "{name:<30} {:>7}      {:>5} / {:<5}       {:>8} / {:<8}  {:>7} B  {:>8.1} ms",
            t.round_trips,
            t.a_to_b,
            t.b_to_a,
            t.a_to_b_bytes,
            t.b_to_a_bytes,
            t.bytes(),
            ms(d)
        );
    };
    line("plain Automerge sync (baseline)", &plain_t, plain);
    line("ours, persisted shared heads", &ours_t, ours);
    line("ours, no shared heads (sample)", &sampled_t, sampled);
    let ratio_b = ours_t.bytes() as f64 / plain_t.bytes() as f64;
    println!(
        "ratio ours / plain: bytes {:.2}x (target <= 1.20x), time {:.2}x; total {:.1} KiB (target: a few KB)",
        ratio_b,
        ours.as_secs_f64() / plain.as_secs_f64(),
        ours_t.bytes() as f64 / 1024.0
    );
    println!(
        "ratio sample fallback / plain: bytes {:.2}x, time {:.2}x",
        sampled_t.bytes() as f64 / plain_t.bytes() as f64,
        sampled.as_secs_f64() / plain.as_secs_f64()
    );
    explain(&new_changes, &chain, &ours_t, &plain_t);
}

/// Where our bytes go: per change, the signature and framing beside the change itself.
fn explain(new: &[&SignedChange], chain: &TermChain, ours: &Traffic, plain: &Traffic) {
    let wires: Vec<WireChange> = new
        .iter()
        .map(|c| WireChange::from_signed(c, chain).unwrap())
        .collect();
    let raw: usize = new.iter().map(|c| c.bytes.len()).sum();
    let chunks: usize = wires.iter().map(|w| w.chunk.len()).sum();
    let wire: usize = wires.iter().map(WireChange::encoded_len).sum();
    let k = new.len();
    println!(
        "  the {k} new changes: {raw} B as Automerge changes ({:.0} B each); on our wire {wire} B \
         = {chunks} B of chunks (8-byte header rebuilt) + {} B of signature, signer and framing \
         ({:.0} B per change)",
        raw as f64 / k as f64,
        wire - chunks,
        (wire - chunks) as f64 / k as f64
    );
    println!(
        "  the whole exchange on our wire: {} B: frames of 256 B or more go deflated (core's codec), \
         so it can be less than the changes' own {wire} B",
        ours.bytes()
    );
    println!(
        "  for reference, plain Automerge's messages deflated the same way (Automerge does not \
         compress them): {} B; ours / that {:.2}x",
        plain.deflated_bytes,
        ours.bytes() as f64 / plain.deflated_bytes as f64
    );
}

/// Size of `bytes` as our codec would send them: deflated (default level, plus one
/// marker byte) when 256 B or longer and smaller so, else as they are.
fn deflated_len(bytes: &[u8]) -> usize {
    use std::io::Write;
    if bytes.len() < 256 {
        return bytes.len();
    }
    let mut z = flate2::write::DeflateEncoder::new(vec![0xD1], flate2::Compression::default());
    z.write_all(bytes).unwrap();
    z.finish().unwrap().len().min(bytes.len())
}

fn sorted(mut v: Vec<automerge::ChangeHash>) -> Vec<automerge::ChangeHash> {
    v.sort();
    v
}

fn check_converged(a: &Ledger, b: &Ledger, new: &[&SignedChange]) {
    assert_eq!(
        sorted(a.heads()),
        sorted(b.heads()),
        "replicas did not converge"
    );
    for c in new {
        let h = automerge::ChangeHash(c.envelope.change_hash.0);
        assert!(circle_core::validate::has_change(a.doc(), &h));
        assert!(circle_core::validate::has_change(b.doc(), &h));
    }
}

/// The base ledger plus `k` new changes by the current term's steward, from a device of
/// its own (a fresh actor), chained one after another.
fn fork(
    s: &Scenario,
    base_env: &HashMap<Hash32, Envelope>,
    side: &str,
    k: usize,
) -> (Side, Vec<SignedChange>) {
    let mut ledger = s.circle.ledger.clone();
    ledger.set_actor(ActorId::random());
    let signer = Signer {
        key: &s.circle.keys[0],
        term: s.circle.term(),
    };
    let mut new = Vec::new();
    let mut envelopes = base_env.clone();
    for i in 0..k {
        let (_, c) = ledger
            .log_action(&signer, s.now, &format!("{side} action {i}"), "", &[])
            .unwrap();
        envelopes.insert(c.envelope.change_hash, c.envelope.clone());
        new.push(c);
    }
    (Side { ledger, envelopes }, new)
}

/// Our protocol as two nodes run it: A pulls from B; B's page says A has changes B
/// lacks, so B pulls back from A (the node enqueues that pull).
fn ours_sync(
    a: &mut Side,
    b: &mut Side,
    chain: &TermChain,
    shared_ab: &[Hash32],
    shared_ba: &[Hash32],
    t: &mut Traffic,
    now: u64,
) {
    let mut shared_ab = shared_ab.to_vec();
    let mut shared_ba = shared_ba.to_vec();
    let missing = pull(a, b, chain, &mut shared_ab, t, now, true);
    if missing {
        pull(b, a, chain, &mut shared_ba, t, now, false);
    }
}

/// `r` pulls from `p` page by page, through encoded bytes; returns whether `p` said it
/// lacks some of `r`'s changes. `a_asks`: whether `r` is A (for the byte columns).
fn pull(
    r: &mut Side,
    p: &Side,
    chain: &TermChain,
    shared: &mut Vec<Hash32>,
    t: &mut Traffic,
    now: u64,
    a_asks: bool,
) -> bool {
    let cid = chain.circle_id();
    let mut missing_on_responder = false;
    for _ in 0..MAX_MESSAGES {
        let req = pull_request(Some(&r.ledger), Some(chain), cid, shared, PAGE_BYTES);
        let sent = req.heads.clone();
        let req_bytes = Request::Pull(req).encode();
        let Request::Pull(req) = Request::decode(&req_bytes).unwrap() else {
            unreachable!()
        };
        let mut envelope = |h: &Hash32| p.envelopes.get(h).cloned();
        let page = answer_pull(&p.ledger, chain, &req, &mut envelope, PAGE_BYTES as usize);
        let resp_bytes = Response::Page(page).encode();
        t.round_trips += 1;
        if a_asks {
            t.a_to_b += 1;
            t.a_to_b_bytes += req_bytes.len();
            t.b_to_a_bytes += resp_bytes.len();
        } else {
            t.b_to_a += 1;
            t.b_to_a_bytes += req_bytes.len();
            t.a_to_b_bytes += resp_bytes.len();
        }
        let Response::Page(page) = Response::decode(&resp_bytes).unwrap() else {
            unreachable!()
        };
        let opened = open_page(page, &cid, Some(chain)).unwrap();
        assert!(opened.certs.is_empty());
        let report = ingest(&mut r.ledger, chain, opened.changes, now);
        assert!(report.rejected.is_empty() && report.pending.is_empty());
        for c in report.applied {
            r.envelopes.insert(c.envelope.change_hash, c.envelope);
        }
        missing_on_responder |= opened.missing_on_responder;
        if opened.more {
            *shared = opened.resume;
            continue;
        }
        let ours: &[Hash32] = if opened.missing_on_responder {
            &[]
        } else {
            &sent
        };
        *shared = shared_after(ours, &opened.heads, &r.ledger);
        return missing_on_responder;
    }
    panic!("pull did not finish within {MAX_MESSAGES} pages");
}

/// Plain Automerge sync: each side sends whatever message it has, through encoded
/// bytes, until neither has anything to say.
fn automerge_sync(
    a: &mut Automerge,
    b: &mut Automerge,
    sa: &mut State,
    sb: &mut State,
    t: &mut Traffic,
) {
    let started = Instant::now();
    for _ in 0..MAX_MESSAGES {
        let mut quiet = true;
        if let Some(m) = a.generate_sync_message(sa) {
            let bytes = m.encode();
            t.a_to_b += 1;
            t.a_to_b_bytes += bytes.len();
            t.deflated_bytes += deflated_len(&bytes);
            b.receive_sync_message(sb, Message::decode(&bytes).unwrap())
                .unwrap();
            quiet = false;
        }
        if let Some(m) = b.generate_sync_message(sb) {
            let bytes = m.encode();
            t.b_to_a += 1;
            t.b_to_a_bytes += bytes.len();
            t.deflated_bytes += deflated_len(&bytes);
            a.receive_sync_message(sa, Message::decode(&bytes).unwrap())
                .unwrap();
            quiet = false;
        }
        if quiet {
            return;
        }
        t.round_trips += 1;
    }
    panic!(
        "Automerge sync did not finish within {MAX_MESSAGES} messages ({:?})",
        started.elapsed()
    );
}
