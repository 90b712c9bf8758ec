//! `scale`: one node following 1,000 circles of 1,000 changes each, served by 4
//! in-process peers (250 circles each, imported from bundles) over loopback TCP. The
//! follower is a child process (its RSS is its own); then a second child cold-starts a
//! node on the follower's data directory and asks it for its catalog.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use circle_core::bundle::Bundle;
use circle_core::keys::Hash32;
use circle_core::sync::{Request, Response};
use circle_net::{Keypair, NetConfig, Transport};
use circle_node::{LocalCircle, Node};
use serde_json::json;
use tokio::time::sleep;

use super::common::{
    cache_dir, cache_fresh, f, generate, mark_created, median, mib, ms, now_secs, report, runtime,
    size, small_local, status_kib, tcp_config, time, ChildRun, Opts, DAY,
};

pub(crate) fn run() {
    let circles = size("FED_SCALE_CIRCLES", 1000, 100);
    let per = size("FED_SCALE_CHANGES", 1000, 100).max(4);
    let servers = size("FED_SCALE_SERVERS", 4, 4).clamp(1, circles);
    let limit = size("FED_SCALE_LIMIT_SECS", 3600, 600) as u64;
    println!(
        "\n== scale: one node following {circles} circles of {per} changes, served by {servers} peers =="
    );
    let cache = prepare(circles, per, servers);
    let ids_path = cache.join("ids.txt");

    let rt = runtime();
    let (t, nodes) = time(|| {
        rt.block_on(async {
            let mut nodes = Vec::new();
            for s in 0..servers {
                let local = LocalCircle::open(&cache.join("servers").join(s.to_string())).unwrap();
                nodes.push(Node::start(local, tcp_config(Vec::new())).await.unwrap());
            }
            nodes
        })
    });
    let mut peers = Vec::new();
    for n in &nodes {
        let a = rt.block_on(n.wait_listening(Duration::from_secs(10)));
        peers.push(a.first().expect("server does not listen").clone());
    }
    println!("  {servers} serving nodes started in {t:.1?}");

    let follower_dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let dir = follower_dir.path().join("node");
    let mut child = ChildRun::spawn(
        "scale-follower",
        &[
            ("dir", path_arg(&dir)),
            ("peers", peers.join(",")),
            ("ids", path_arg(&ids_path)),
            ("limit", limit.to_string()),
        ],
    );
    let (_, r) = child.json(Duration::from_secs(limit + 120));
    child.finish(Duration::from_secs(30));
    let expect = circles * per;
    let complete = f(&r, "done") as usize == circles && f(&r, "changes") as usize == expect;

    // Cold starts: the follower's directory, and (baseline) a node following nothing.
    let empty = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    drop(small_local(empty.path(), "Nothing followed", 1));
    let cold = |dir: &Path, expect: usize| {
        let mut starts = Vec::new();
        let mut catalogs = Vec::new();
        let mut spawned = Vec::new();
        let mut hwm = 0.0;
        let mut last = serde_json::Value::Null;
        for _ in 0..3 {
            let mut c = ChildRun::spawn(
                "cold",
                &[("dir", path_arg(dir)), ("expect", expect.to_string())],
            );
            let (at, v) = c.json(Duration::from_secs(120));
            c.finish(Duration::from_secs(30));
            starts.push(Duration::from_secs_f64(f(&v, "start_ms") / 1000.0));
            catalogs.push(Duration::from_secs_f64(f(&v, "catalog_ms") / 1000.0));
            spawned.push(at);
            hwm = f(&v, "hwm_kib");
            last = v;
        }
        (median(starts), median(catalogs), median(spawned), hwm, last)
    };
    let (c_start, c_cat, c_spawn, c_hwm, c_last) = cold(&dir, circles + 1);
    let (b_start, b_cat, b_spawn, _, _) = cold(empty.path(), 1);

    // Where the follower's memory goes: the same writes into sled, default cache
    // (what `Store::open` uses) and a 16 MiB cache, no network, no Automerge.
    let probe = |cache: u64| {
        let mut c = ChildRun::spawn(
            "sled-probe",
            &[
                ("circles", circles.to_string()),
                ("per", per.to_string()),
                ("cache", cache.to_string()),
            ],
        );
        let (_, v) = c.json(Duration::from_secs(1800));
        c.finish(Duration::from_secs(60));
        v
    };
    let probing = size("FED_SCALE_PROBE", 1, 1) == 1;
    let (probe_default, probe_small) = if probing {
        (probe(0), probe(16))
    } else {
        (serde_json::Value::Null, serde_json::Value::Null)
    };

    rt.block_on(async {
        for n in &nodes {
            n.shutdown().await;
        }
    });
    // The same cold start with the remembered peers gone: no DHT peers to send the
    // node's 1,000 provider records to, no catalog exchanges at start.
    let (d_start, d_cat, _, _, d_last) = cold(&dir, circles + 1);

    println!(
        "full sync of {circles} circles ({} of {expect} changes{})  : {:>8.1} s",
        f(&r, "changes"),
        if complete { "" } else { ", INCOMPLETE" },
        f(&r, "sync_ms") / 1000.0
    );
    println!(
        "  per circle: {:.1} ms; rate {:.0} changes/s",
        f(&r, "sync_ms") / circles as f64,
        f(&r, "changes") / (f(&r, "sync_ms") / 1000.0)
    );
    println!(
        "follower peak RSS (VmHWM)                  : {:>8.0} MiB   (target < 256 MiB; RSS after Node::start, before any pull: {:.0} MiB; at the end {:.0} MiB)",
        mib(f(&r, "hwm_kib") as u64),
        mib(f(&r, "rss_start_kib") as u64),
        mib(f(&r, "rss_kib") as u64)
    );
    println!("cold start (median of 3 processes; baseline: a node following nothing)");
    println!(
        "  process start -> Node::start returned   : {:>8.0} ms   (baseline {:.0} ms, {:.1}x)",
        ms(c_start),
        ms(b_start),
        c_start.as_secs_f64() / b_start.as_secs_f64()
    );
    println!(
        "  process start -> catalog answered       : {:>8.0} ms   (target < 1000 ms; baseline {:.0} ms, {:.1}x; {} entries)",
        ms(c_cat),
        ms(b_cat),
        c_cat.as_secs_f64() / b_cat.as_secs_f64(),
        circles + 1
    );
    println!(
        "  spawn -> report, seen by the parent     : {:>8.0} ms   (baseline {:.0} ms); cold node peak RSS {:.0} MiB",
        ms(c_spawn),
        ms(b_spawn),
        mib(c_hwm as u64)
    );
    println!(
        "  last run: open {:.0} ms, Node::start {:.0} ms, dial done {:.0} ms, catalog {:.0} ms; a second catalog takes {:.1} ms",
        f(&c_last, "open_ms"),
        f(&c_last, "start_ms"),
        f(&c_last, "dialed_ms"),
        f(&c_last, "catalog_ms"),
        f(&c_last, "again_ms")
    );
    println!(
        "  with the serving peers shut down: Node::start {:.0} ms, catalog answered {:.0} ms (dial done {:.0} ms, second catalog {:.1} ms)",
        ms(d_start),
        ms(d_cat),
        f(&d_last, "dialed_ms"),
        f(&d_last, "again_ms")
    );
    if !probing {
        return;
    }
    println!(
        "sled alone, the same {} writes: VmHWM {:.0} MiB with the default cache (Store::open), {:.0} MiB with a 16 MiB cache ({:.1} s vs {:.1} s)",
        circles * per,
        mib(f(&probe_default, "hwm_kib") as u64),
        mib(f(&probe_small, "hwm_kib") as u64),
        f(&probe_default, "ms") / 1000.0,
        f(&probe_small, "ms") / 1000.0
    );
}

fn path_arg(p: &Path) -> String {
    p.to_str().unwrap().to_owned()
}

/// Generated bundles and the serving nodes' data directories, cached under `target/`.
fn prepare(circles: usize, per: usize, servers: usize) -> PathBuf {
    let cache = cache_dir(&format!("scale-{circles}x{per}-{servers}"));
    if cache_fresh(&cache, 7 * DAY) {
        println!("  using cached circles and servers in {}", cache.display());
        return cache;
    }
    let _ = std::fs::remove_dir_all(&cache);
    let bundles = cache.join("bundles");
    std::fs::create_dir_all(&bundles).unwrap();
    let now = now_secs();
    println!(
        "  generating {circles} circles of {per} signed changes (cached for reruns under {})...",
        cache.display()
    );
    let started = Instant::now();
    let ids: Vec<Hash32> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|w| {
                let bundles = &bundles;
                scope.spawn(move || {
                    let mut ids = Vec::new();
                    for i in (w..circles).step_by(2) {
                        let g = generate(&format!("Circle {i}"), 1, per, now);
                        let b = Bundle {
                            circle_id: g.circle.circle_id(),
                            certs: g.circle.chain.certs().to_vec(),
                            changes: g.changes,
                            base: None,
                        };
                        std::fs::write(bundles.join(format!("{i}.bundle")), b.encode()).unwrap();
                        ids.push((i, b.circle_id));
                        if w == 0 && i % 100 == 0 {
                            eprintln!("    generated {i} of {circles} ({:.0?})", started.elapsed());
                        }
                    }
                    ids
                })
            })
            .collect();
        let mut all: Vec<(usize, Hash32)> = workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect();
        all.sort_by_key(|(i, _)| *i);
        all.into_iter().map(|(_, id)| id).collect()
    });
    let text: String = ids.iter().map(|id| id.to_hex() + "\n").collect();
    std::fs::write(cache.join("ids.txt"), text).unwrap();
    println!(
        "  generated in {:.1?}; importing into {servers} servers...",
        started.elapsed()
    );
    let started = Instant::now();
    std::thread::scope(|scope| {
        for w in 0..2 {
            let (cache, bundles) = (&cache, &bundles);
            scope.spawn(move || {
                for s in (w..servers).step_by(2) {
                    let dir = cache.join("servers").join(s.to_string());
                    let mut local = small_local(&dir, &format!("Server {s}"), 1);
                    for (k, i) in (s..circles).step_by(servers).enumerate() {
                        let bytes = std::fs::read(bundles.join(format!("{i}.bundle"))).unwrap();
                        let r = local.import(Bundle::decode(&bytes).unwrap(), now).unwrap();
                        assert!(r.rejected == 0 && r.pending == 0 && r.compliant, "{r:?}");
                        if k % 50 == 49 {
                            eprintln!(
                                "    server {s}: imported {} circles ({:.0?})",
                                k + 1,
                                started.elapsed()
                            );
                        }
                    }
                }
            });
        }
    });
    println!("  imported (verified) in {:.1?}", started.elapsed());
    mark_created(&cache, now);
    cache
}

fn read_ids(path: &str) -> Vec<Hash32> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| Hash32::from_hex(l.trim()).unwrap())
        .collect()
}

/// Child: a fresh node follows every circle, dials the servers, and syncs them all.
pub(crate) fn follower_child(o: &Opts) {
    let dir = PathBuf::from(o.get("dir"));
    let peers: Vec<String> = o.get("peers").split(',').map(str::to_owned).collect();
    let ids = read_ids(o.get("ids"));
    let limit = Duration::from_secs(o.num("limit"));
    let rt = runtime();
    rt.block_on(async {
        let now = now_secs();
        let local = LocalCircle::init(&dir, "Follower", 14, now).unwrap();
        let day = circle_core::ledger::day_of(now);
        for id in &ids {
            local.store().follow(id, day).unwrap();
        }
        local.store().sync().unwrap();
        let started = Instant::now();
        let node = Node::start(local, tcp_config(peers)).await.unwrap();
        let rss_start = status_kib("VmRSS");
        let mut last = Instant::now();
        let done = loop {
            let done = node.status().syncing.iter().filter(|p| p.done).count();
            if done >= ids.len() || started.elapsed() > limit {
                break done;
            }
            if last.elapsed() > Duration::from_secs(10) {
                last = Instant::now();
                eprintln!(
                    "    follower: {done} of {} circles after {:.0?}, RSS {:.0} MiB",
                    ids.len(),
                    started.elapsed(),
                    mib(status_kib("VmRSS"))
                );
            }
            sleep(Duration::from_millis(100)).await;
        };
        let elapsed = started.elapsed();
        let store = node.store().clone();
        let changes: usize = ids.iter().map(|id| store.change_count(id)).sum();
        report(json!({
            "sync_ms": ms(elapsed),
            "done": done,
            "changes": changes,
            "hwm_kib": status_kib("VmHWM"),
            "rss_kib": status_kib("VmRSS"),
            "rss_start_kib": rss_start,
        }));
        node.shutdown().await;
    });
}

/// Child: opens a data directory, starts the node, and asks it for its catalog over
/// loopback TCP from a bare peer in the same process. Times are from process start.
pub(crate) fn cold_child(o: &Opts) {
    let t0 = Instant::now();
    let dir = PathBuf::from(o.get("dir"));
    let expect = o.num("expect") as usize;
    let rt = runtime();
    rt.block_on(async {
        let local = LocalCircle::open(&dir).unwrap();
        let t_open = t0.elapsed();
        let node = Node::start(local, tcp_config(Vec::new())).await.unwrap();
        let t_start = t0.elapsed();
        let addrs = node.wait_listening(Duration::from_secs(5)).await;
        let mut cfg = NetConfig::new(Keypair::generate_ed25519(), Transport::Tcp);
        cfg.mdns = false;
        let (client, mut events, event_loop) = circle_net::new(cfg).unwrap();
        tokio::spawn(event_loop.run(std::future::pending::<()>()));
        tokio::spawn(async move { while events.recv().await.is_some() {} });
        let peer = client.dial(addrs[0].parse().unwrap()).await.unwrap();
        let t_dialed = t0.elapsed();
        let bytes = client
            .request(peer, Request::Catalog.encode())
            .await
            .unwrap();
        let Response::Catalog(entries) = Response::decode(&bytes).unwrap() else {
            panic!("not a catalog")
        };
        let t_catalog = t0.elapsed();
        // A second catalog right after: what answering costs once start-up work is done.
        let again = Instant::now();
        let _ = client.request(peer, Request::Catalog.encode()).await;
        let t_again = again.elapsed();
        if entries.len() != expect {
            eprintln!(
                "    cold node: catalog has {} entries, expected {expect}",
                entries.len()
            );
        }
        report(json!({
            "open_ms": ms(t_open),
            "start_ms": ms(t_start),
            "catalog_ms": ms(t_catalog),
            "dialed_ms": ms(t_dialed),
            "again_ms": ms(t_again),
            "entries": entries.len(),
            "hwm_kib": status_kib("VmHWM"),
        }));
        let _ = client.shutdown().await;
        node.shutdown().await;
    });
}

/// Child: the follower's writes without the network. Inserts, like `Store::stage_changes`
/// does, an envelope and a log entry per change, one transaction per circle, into sled
/// with its default cache (what `Store::open` uses) or with `--cache` MiB; reports the
/// RSS after the writes. Tells how much of the follower's RSS is sled's page cache.
pub(crate) fn sled_probe_child(o: &Opts) {
    use sled::Transactional;
    let circles = o.num("circles") as usize;
    let per = o.num("per") as usize;
    let cache_mib = o.num("cache");
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let mut cfg = sled::Config::new()
        .path(dir.path())
        .mode(sled::Mode::HighThroughput);
    if cache_mib > 0 {
        cfg = cfg.cache_capacity(cache_mib * 1024 * 1024);
    }
    let db = cfg.open().unwrap();
    let envs = db.open_tree("envelopes").unwrap();
    let log = db.open_tree("doc_log").unwrap();
    // Sizes of the scale circles: ~170 B envelopes, ~250 B changes behind a 32 B hash.
    let env = vec![7u8; 170];
    let change = vec![9u8; 282];
    let started = Instant::now();
    for c in 0..circles {
        let circle = Hash32::digest(b"probe", &[&c.to_be_bytes()]);
        let rows: Vec<(Vec<u8>, Vec<u8>)> = (0..per)
            .map(|i| {
                let h = Hash32::digest(b"change", &[&c.to_be_bytes(), &i.to_be_bytes()]);
                let seq = db.generate_id().unwrap();
                (
                    [&circle.0[..], &h.0[..]].concat(),
                    [&circle.0[..], &seq.to_be_bytes()[..]].concat(),
                )
            })
            .collect();
        (&envs, &log)
            .transaction(|(e, l)| {
                for (ek, lk) in &rows {
                    e.insert(ek.as_slice(), env.as_slice())?;
                    l.insert(lk.as_slice(), change.as_slice())?;
                }
                Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
            })
            .unwrap();
        db.flush().unwrap();
    }
    report(json!({
        "rss_kib": status_kib("VmRSS"),
        "hwm_kib": status_kib("VmHWM"),
        "ms": ms(started.elapsed()),
    }));
}
