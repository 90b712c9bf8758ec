//! `alerts`: rapid-defense alerts across 50 in-process nodes in a sparse mesh over the
//! memory transport (each node dials ~3 random earlier ones, so the graph is connected),
//! all following node 0's compliant circle. Baseline: one hop between two nodes.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use circle_core::invite::Invite;
use circle_node::Node;
use tokio::time::{sleep, timeout};

use super::common::{memory_config, ms, now_secs, quantile, runtime, size, small_local, Rng};

const WAIT: Duration = Duration::from_secs(30);
/// Arrivals: alert id → (node index, when).
type Arrivals = Arc<Mutex<HashMap<String, Vec<(usize, Instant)>>>>;

pub(crate) fn run() {
    let nodes = size("FED_ALERT_NODES", 50, 10).max(3);
    let alerts = size("FED_ALERTS", 50, 10).max(1);
    let degree = size("FED_ALERT_DEGREE", 3, 3).max(1);
    let every = Duration::from_millis(size("FED_ALERT_EVERY_MS", 200, 200) as u64);
    println!(
        "\n== alerts: {nodes} in-process nodes, each dialing ~{degree} others, {alerts} alerts every {every:?} =="
    );
    let rt = runtime();
    rt.block_on(async {
        let base = one_hop(alerts.min(20), every).await;
        let mesh = mesh(nodes, alerts, degree, every).await;
        let mut all = mesh.latencies.clone();
        all.sort();
        let pairs = alerts * (nodes - 1);
        println!(
            "one hop, 2 nodes (baseline)   : p50 {:>7.1} ms  p99 {:>7.1} ms  max {:>7.1} ms  ({} of {} delivered)",
            ms(quantile(&base.0, 0.5)),
            ms(quantile(&base.0, 0.99)),
            ms(quantile(&base.0, 1.0)),
            base.0.len(),
            base.1
        );
        println!(
            "{nodes}-node sparse mesh          : p50 {:>7.1} ms  p99 {:>7.1} ms  max {:>7.1} ms  (target p99 < 1000 ms)",
            ms(quantile(&all, 0.5)),
            ms(quantile(&all, 0.99)),
            ms(quantile(&all, 1.0)),
        );
        println!(
            "delivery ratio                : {:.4} ({} of {} alert-node pairs); ratio mesh p50 / one-hop p50 {:.1}x",
            all.len() as f64 / pairs as f64,
            all.len(),
            pairs,
            quantile(&all, 0.5).as_secs_f64() / quantile(&base.0, 0.5).as_secs_f64().max(1e-9)
        );
        println!(
            "mesh: {} dial edges, hops from node 0: max {}, mean {:.2}; setup (start + follow + mesh warm-up) {:.1} s",
            mesh.edges,
            mesh.max_hops,
            mesh.mean_hops,
            mesh.setup.as_secs_f64()
        );
    });
}

/// Records every alert each node shows, with its arrival time.
fn listen(node: &Node, index: usize, arrivals: &Arrivals) {
    let mut rx = node.subscribe_alerts();
    let arrivals = arrivals.clone();
    tokio::spawn(async move {
        while let Ok(view) = rx.recv().await {
            if view.own {
                continue;
            }
            let at = Instant::now();
            let mut a = arrivals.lock().unwrap();
            a.entry(view.alert_id).or_default().push((index, at));
        }
    });
}

/// Sends alerts from `sender` until one reaches all `expect` listeners (the gossip mesh
/// has formed), bounded in time.
async fn warm_up(sender: &Node, arrivals: &Arrivals, expect: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    for k in 0.. {
        assert!(
            Instant::now() < deadline,
            "the gossip mesh did not form in 60 s"
        );
        let Ok((view, true)) = sender.send_alert(format!("warm-up {k}")).await else {
            sleep(Duration::from_millis(200)).await;
            continue;
        };
        let until = Instant::now() + Duration::from_secs(2);
        while Instant::now() < until {
            let n = arrivals
                .lock()
                .unwrap()
                .get(&view.alert_id)
                .map_or(0, Vec::len);
            if n >= expect {
                return;
            }
            sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Sends `count` alerts from `sender`, one every `every`; returns (send time, id).
async fn send_alerts(sender: &Node, count: usize, every: Duration) -> Vec<(Instant, String)> {
    let mut sent = Vec::new();
    let start = Instant::now();
    for k in 0..count {
        let at = Instant::now();
        let (view, _) = sender
            .send_alert(format!("Eviction at Elm Road, call {k} at {}", now_secs()))
            .await
            .unwrap();
        sent.push((at, view.alert_id));
        let next = start + every * (k as u32 + 1);
        sleep(next.saturating_duration_since(Instant::now())).await;
    }
    sent
}

/// Latencies of every delivered (alert, node) pair, waiting (bounded) for stragglers.
async fn collect(
    sent: &[(Instant, String)],
    arrivals: &Arrivals,
    listeners: usize,
) -> Vec<Duration> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let done = {
            let a = arrivals.lock().unwrap();
            sent.iter()
                .all(|(_, id)| a.get(id).map_or(0, Vec::len) >= listeners)
        };
        if done || Instant::now() > deadline {
            break;
        }
        sleep(Duration::from_millis(50)).await;
    }
    let a = arrivals.lock().unwrap();
    let mut out = Vec::new();
    for (at, id) in sent {
        for (_, got) in a.get(id).map(Vec::as_slice).unwrap_or_default() {
            out.push(got.saturating_duration_since(*at));
        }
    }
    out
}

/// Two directly connected nodes; returns sorted latencies and how many were sent.
async fn one_hop(count: usize, every: Duration) -> (Vec<Duration>, usize) {
    let (da, db) = (tempdir(), tempdir());
    let a = Node::start(
        small_local(da.path(), "Alder", 3),
        memory_config(Vec::new()),
    )
    .await
    .unwrap();
    let addrs = a.wait_listening(WAIT).await;
    let b = Node::start(
        small_local(db.path(), "Birch", 3),
        memory_config(Vec::new()),
    )
    .await
    .unwrap();
    let arrivals = Arrivals::default();
    listen(&b, 1, &arrivals);
    let inv = Invite {
        circle_id: a.circle_id(),
        peer_id: Some(a.peer_id()),
        addrs,
    };
    let r = timeout(WAIT, b.follow(inv, None)).await.unwrap().unwrap();
    assert!(r.synced && r.compliant, "{r:?}");
    warm_up(&a, &arrivals, 1).await;
    let sent = send_alerts(&a, count, every).await;
    let mut lat = collect(&sent, &arrivals, 1).await;
    lat.sort();
    a.shutdown().await;
    b.shutdown().await;
    (lat, count)
}

struct Mesh {
    latencies: Vec<Duration>,
    edges: usize,
    max_hops: usize,
    mean_hops: f64,
    setup: Duration,
}

async fn mesh(n: usize, count: usize, degree: usize, every: Duration) -> Mesh {
    let setup = Instant::now();
    let dirs: Vec<tempfile::TempDir> = (0..n).map(|_| tempdir()).collect();
    let mut rng = Rng::new(0x5eed);
    let mut nodes: Vec<Node> = Vec::new();
    let mut addrs: Vec<String> = Vec::new();
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    let arrivals = Arrivals::default();
    for i in 0..n {
        // Each node dials up to `degree` distinct random earlier nodes: connected.
        let mut picks: Vec<usize> = Vec::new();
        while picks.len() < degree.min(i) {
            let p = rng.below(i);
            if !picks.contains(&p) {
                picks.push(p);
            }
        }
        for &p in &picks {
            adj[i].push(p);
            adj[p].push(i);
        }
        let peers = picks.iter().map(|&p| addrs[p].clone()).collect();
        let local = small_local(dirs[i].path(), &format!("Circle {i}"), 1);
        let node = Node::start(local, memory_config(peers)).await.unwrap();
        let a = node.wait_listening(WAIT).await;
        assert!(!a.is_empty());
        addrs.push(a[0].clone());
        listen(&node, i, &arrivals);
        nodes.push(node);
    }
    eprintln!("  {n} nodes started in {:.1?}", setup.elapsed());
    // Follow circle 0 in index order: every node's earlier neighbours already hold it,
    // so the follow pulls it from a connected peer (no invite address: no star).
    let c0 = nodes[0].circle_id();
    for (i, node) in nodes.iter().enumerate().skip(1) {
        let deadline = Instant::now() + WAIT;
        while node.status().peers.is_empty() {
            assert!(Instant::now() < deadline, "node {i} connected to no one");
            sleep(Duration::from_millis(20)).await;
        }
        let inv = Invite {
            circle_id: c0,
            peer_id: None,
            addrs: Vec::new(),
        };
        let r = timeout(Duration::from_secs(60), node.follow(inv, None))
            .await
            .unwrap()
            .unwrap();
        assert!(r.synced && r.compliant, "node {i}: {r:?}");
    }
    eprintln!("  all following circle 0 after {:.1?}", setup.elapsed());
    warm_up(&nodes[0], &arrivals, n - 1).await;
    let setup = setup.elapsed();
    eprintln!("  gossip mesh formed after {setup:.1?}");
    let sent = send_alerts(&nodes[0], count, every).await;
    let latencies = collect(&sent, &arrivals, n - 1).await;
    for node in &nodes {
        node.shutdown().await;
    }
    let (max_hops, mean_hops) = hops(&adj);
    Mesh {
        latencies,
        edges: adj.iter().map(Vec::len).sum::<usize>() / 2,
        max_hops,
        mean_hops,
        setup,
    }
}

/// Breadth-first hop counts from node 0 in the dial graph: (max, mean over others).
fn hops(adj: &[Vec<usize>]) -> (usize, f64) {
    let mut dist = vec![usize::MAX; adj.len()];
    dist[0] = 0;
    let mut queue = VecDeque::from([0]);
    while let Some(u) = queue.pop_front() {
        for &v in &adj[u] {
            if dist[v] == usize::MAX {
                dist[v] = dist[u] + 1;
                queue.push_back(v);
            }
        }
    }
    let others = &dist[1..];
    let max = others.iter().copied().max().unwrap_or(0);
    let mean = others.iter().sum::<usize>() as f64 / others.len().max(1) as f64;
    (max, mean)
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}
