//! Helpers shared by the federation benchmarks: sizes, timing, /proc readings, circle
//! generation at the current time, data directories, child processes.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use circle_core::circle::Circle;
use circle_core::envelope::SignedChange;
use circle_node::{LocalCircle, NodeConfig};
use circle_store::{KeyDir, Store};

pub(crate) const DAY: u64 = 86_400;

/// Whether `FED_SMALL=1` asks for a smoke run.
pub(crate) fn small() -> bool {
    std::env::var("FED_SMALL").is_ok_and(|v| v == "1")
}

/// `name` from the environment, else `full` (or `small` under `FED_SMALL=1`).
pub(crate) fn size(name: &str, full: usize, small_size: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if small() { small_size } else { full })
}

pub(crate) fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

pub(crate) fn median_u64(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v[v.len() / 2]
}

pub(crate) fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let t = Instant::now();
    let out = f();
    (t.elapsed(), out)
}

pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub(crate) fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// A field of /proc/self/status in KiB (`VmRSS`, `VmHWM`).
pub(crate) fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Bytes received on the loopback interface so far (every loopback byte is counted once
/// as received): the whole machine's loopback traffic, so a delta is an upper bound.
pub(crate) fn loopback_bytes() -> u64 {
    let dev = std::fs::read_to_string("/proc/net/dev").unwrap_or_default();
    dev.lines()
        .find_map(|l| l.trim_start().strip_prefix("lo:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Where generated ledgers are cached between runs (under `target/`).
pub(crate) fn cache_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("fed-bench-cache")
        .join(name)
}

/// A cache directory is usable if it was completed less than `max_age` ago (generated
/// terms last 14 days; an expired term would stop the circle federating).
pub(crate) fn cache_fresh(dir: &Path, max_age: u64) -> bool {
    std::fs::read_to_string(dir.join("created"))
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .is_some_and(|t| now_secs().saturating_sub(t) < max_age)
}

pub(crate) fn mark_created(dir: &Path, at: u64) {
    std::fs::write(dir.join("created"), at.to_string()).unwrap();
}

/// A generated circle: its in-memory state and every signed change in causal order.
pub(crate) struct Gen {
    pub(crate) circle: Circle,
    pub(crate) changes: Vec<SignedChange>,
}

/// A compliant circle of about `total` changes over `terms` steward terms, the same shape
/// as `circle_core::testing::scenario` (logged actions, rotations), but dated so that the
/// latest term started at `now` and is live for 14 days: a node validates with the real
/// clock, and `scenario`'s fixed 2023 dates would leave every latest-term change pending.
/// Ends with a fund and a pledge of the latest term (the protocol).
pub(crate) fn generate(name: &str, terms: usize, total: usize, now: u64) -> Gen {
    let terms = terms.max(1);
    let mut t = now - (terms as u64 - 1) * DAY;
    let (mut circle, genesis) = Circle::create(name, 14, t).unwrap();
    let mut changes = Vec::with_capacity(total + 3);
    changes.push(genesis);
    let per_term = total.saturating_sub(3) / terms;
    for term in 0..terms {
        if term > 0 {
            t += DAY;
            circle.rotate(14, 1, t).unwrap();
        }
        for i in 0..per_term {
            let title = format!("action {term}.{i}");
            let c = circle
                .with_writer(t, |l, s| {
                    l.log_action(s, t, &title, "summary", &[]).map(|(_, c)| c)
                })
                .unwrap();
            changes.push(c);
        }
    }
    let fund = circle
        .with_writer(t, |l, s| l.declare_fund(s, t, "Hardship fund"))
        .unwrap();
    changes.push(fund);
    let pledge = circle
        .with_writer(t, |l, s| l.sign_pledge(s, t, "We answer every call."))
        .unwrap();
    changes.push(pledge);
    Gen { circle, changes }
}

/// Writes a generated circle as a node's own circle in data directory `root` (what
/// `LocalCircle::open` reads), staging the signed changes directly: they are ours.
pub(crate) fn write_local(root: &Path, g: &Gen) {
    let id = g.circle.circle_id();
    let store = Store::open(&root.join("store")).unwrap();
    store
        .create_circle(g.circle.chain.genesis(), &g.changes[0])
        .unwrap();
    for cert in &g.circle.chain.certs()[1..] {
        store.put_cert(cert).unwrap();
    }
    for chunk in g.changes[1..].chunks(2_000) {
        store.stage_changes(&id, chunk).unwrap();
    }
    store.compact(&id, g.circle.ledger.doc()).unwrap();
    store.sync().unwrap();
    let keys = KeyDir::open(&root.join("keys")).unwrap();
    keys.put_stewards(g.circle.term(), &g.circle.keys).unwrap();
    keys.node_secret().unwrap();
}

/// A small compliant circle in `root`, as a node's own.
pub(crate) fn small_local(root: &Path, name: &str, actions: usize) -> LocalCircle {
    let t = now_secs();
    let mut local = circle_node::fixtures::protocol_circle(root, name, t, true).unwrap();
    for i in 0..actions {
        let title = format!("action {i}");
        local
            .stage(t, |l, s| l.log_action(s, t, &title, "summary", &[]))
            .unwrap();
    }
    local.commit().unwrap();
    local
}

/// A node on loopback TCP: listens on 127.0.0.1 (ephemeral port), no mDNS, no QUIC.
pub(crate) fn tcp_config(peers: Vec<String>) -> NodeConfig {
    NodeConfig {
        listen: vec!["/ip4/127.0.0.1/tcp/0".into()],
        peers,
        mdns: false,
        memory: false,
        ..NodeConfig::default()
    }
}

/// A node on libp2p's in-process memory transport.
pub(crate) fn memory_config(peers: Vec<String>) -> NodeConfig {
    NodeConfig {
        listen: vec!["/memory/0".into()],
        peers,
        mdns: false,
        memory: true,
        ..NodeConfig::default()
    }
}

/// The runtime `circle serve` uses: two workers. `FED_BLOCKING_THREADS=N` caps tokio's
/// blocking pool (default 512 threads), an experiment on the RSS that glibc's per-thread
/// malloc arenas hold.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    let mut b = tokio::runtime::Builder::new_multi_thread();
    b.worker_threads(2).enable_all();
    if let Some(n) = std::env::var("FED_BLOCKING_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        b.max_blocking_threads(n);
    }
    b.build().unwrap()
}

/// `--key value` options of a child role.
pub(crate) struct Opts(HashMap<String, String>);

impl Opts {
    pub(crate) fn parse(args: &[String]) -> Opts {
        let mut map = HashMap::new();
        let mut it = args.iter();
        while let Some(k) = it.next() {
            if let Some(k) = k.strip_prefix("--") {
                if let Some(v) = it.next() {
                    map.insert(k.to_owned(), v.clone());
                }
            }
        }
        Opts(map)
    }

    pub(crate) fn get(&self, k: &str) -> &str {
        self.0
            .get(k)
            .unwrap_or_else(|| panic!("missing --{k}"))
            .as_str()
    }

    pub(crate) fn opt(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str)
    }

    pub(crate) fn num(&self, k: &str) -> u64 {
        self.get(k).parse().unwrap()
    }
}

/// A child process: this binary again, in a role.
pub(crate) struct ChildRun {
    child: Child,
    lines: mpsc::Receiver<String>,
    started: Instant,
}

impl ChildRun {
    pub(crate) fn spawn(role: &str, args: &[(&str, String)]) -> ChildRun {
        let exe = std::env::current_exe().unwrap();
        let mut cmd = Command::new(exe);
        cmd.arg("--role").arg(role);
        for (k, v) in args {
            cmd.arg(format!("--{k}")).arg(v);
        }
        cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
        let started = Instant::now();
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        ChildRun {
            child,
            lines,
            started,
        }
    }

    /// The child's next JSON line, and how long after spawning it came; kills the child
    /// and panics when it does not come within `within`.
    pub(crate) fn json(&mut self, within: Duration) -> (Duration, serde_json::Value) {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.trim_start().starts_with('{') => {
                    let at = self.started.elapsed();
                    return (at, serde_json::from_str(&line).unwrap());
                }
                Ok(_) => {}
                Err(_) => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    panic!("child gave no report within {within:?}");
                }
            }
        }
    }

    /// Waits (bounded) for the child to exit; kills it after `within`.
    pub(crate) fn finish(mut self, within: Duration) {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Prints one JSON line for the parent (a child's only stdout output).
pub(crate) fn report(v: serde_json::Value) {
    println!("{v}");
}

pub(crate) fn f(v: &serde_json::Value, k: &str) -> f64 {
    v[k].as_f64()
        .unwrap_or_else(|| panic!("child report lacks `{k}`: {v}"))
}

/// Seeded splitmix64: reproducible random choices without a dependency.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

/// The `q` quantile (nearest rank) of sorted values.
pub(crate) fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}
