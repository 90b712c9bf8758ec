//! Running the `circle` binary against a throw-away data directory.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_circle");

/// A data directory and the commands run against it.
pub(crate) struct Node {
    pub(crate) dir: tempfile::TempDir,
}

impl Node {
    pub(crate) fn new() -> Node {
        Node {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A node with a circle already created.
    pub(crate) fn init(name: &str) -> Node {
        let n = Node::new();
        n.ok(&["init", "--name", name]);
        n
    }

    /// A compliant circle: fund declared, pledge signed.
    pub(crate) fn compliant(name: &str) -> Node {
        let n = Node::init(name);
        n.ok(&[
            "fund",
            "declare",
            "--description",
            "Hardship fund for strikers",
        ]);
        n.ok(&[
            "pledge",
            "sign",
            "--text",
            "We answer every call for defense.",
        ]);
        n
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn cmd(&self) -> Command {
        let mut c = Command::new(BIN);
        c.arg("--data-dir")
            .arg(self.path())
            .env_remove("CIRCLE_DATA_DIR");
        c
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    /// Runs with `--json`, asserts success, returns the parsed output.
    pub(crate) fn ok(&self, args: &[&str]) -> Value {
        let out = self.cmd().arg("--json").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "circle {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "circle {args:?}: bad JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// Asserts failure with exactly one line on stderr; returns that line.
    pub(crate) fn fails(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().unwrap();
        assert!(
            !out.status.success(),
            "circle {args:?} unexpectedly succeeded"
        );
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err:?}");
        assert!(!err.contains("panicked"), "{err}");
        err
    }

    /// This node's circle id.
    pub(crate) fn circle_id(&self) -> String {
        self.ok(&["id"])["circle_id"].as_str().unwrap().to_owned()
    }

    /// Writes `content` to a file in the data directory's parent-free scratch space.
    pub(crate) fn file(&self, name: &str, content: &str) -> PathBuf {
        let p = self.path().join(name);
        std::fs::write(&p, content).unwrap();
        p
    }

    /// The full ledger as JSON (to check that failed commands changed nothing).
    pub(crate) fn ledger_json(&self) -> Value {
        let out = self.path().join("snapshot.json");
        self.ok(&["export", "--format", "json", out.to_str().unwrap()]);
        serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap()
    }
}

/// Installs the JS clients once (`npm ci` in tests/js: JS Automerge, playwright-core)
/// and returns the path of tests/js.
pub(crate) fn js_dir() -> PathBuf {
    static READY: OnceLock<PathBuf> = OnceLock::new();
    READY
        .get_or_init(|| {
            let js = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js");
            let installed = ["@automerge/automerge", "playwright-core"]
                .iter()
                .all(|p| js.join("node_modules").join(p).exists());
            if !installed {
                let st = Command::new("npm")
                    .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                    .current_dir(&js)
                    .status()
                    .expect("npm is needed for the interop and web tests");
                assert!(st.success(), "npm ci failed in tests/js");
            }
            js
        })
        .clone()
}

/// The JS Automerge loader script.
pub(crate) fn js_loader() -> PathBuf {
    js_dir().join("load.mjs")
}

/// Loads an `.automerge` file with the official JS Automerge.
pub(crate) fn load_with_js(file: &Path) -> Value {
    let out = Command::new("node")
        .arg(js_loader())
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "JS Automerge could not load {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// How long a node may take to start or stop on a loaded 2-core machine.
const SERVE_WAIT: Duration = Duration::from_secs(60);

/// A running `circle serve` on 127.0.0.1 (random ports, mDNS off, web page on), stopped
/// with SIGTERM (then SIGKILL) when dropped.
pub(crate) struct Serving {
    child: Option<Child>,
    /// What `serve --json` printed first: circle id, peer id, addresses, invite, `http`.
    pub(crate) info: Value,
}

impl Serving {
    /// Starts serving `n`, dialing `peers` at start, with `extra` serve flags.
    pub(crate) fn start(n: &Node, peers: &[&Serving], extra: &[&str]) -> Serving {
        Serving::start_with(n.cmd(), peers, extra)
    }

    /// Like [`Serving::start`], with `cmd` (the binary with its data directory) given.
    pub(crate) fn start_with(cmd: Command, peers: &[&Serving], extra: &[&str]) -> Serving {
        Serving::spawn(cmd, "/ip4/127.0.0.1/tcp/0", peers, extra)
    }

    /// As [`Serving::start`], listening on `listen` (a 127.0.0.1 TCP multiaddr).
    pub(crate) fn start_on(n: &Node, listen: &str, peers: &[&Serving], extra: &[&str]) -> Serving {
        Serving::spawn(n.cmd(), listen, peers, extra)
    }

    fn spawn(mut cmd: Command, listen: &str, peers: &[&Serving], extra: &[&str]) -> Serving {
        cmd.args([
            "--json",
            "serve",
            "--listen",
            listen,
            "--no-mdns",
            "--resync-secs",
            "1",
            "--http",
            "127.0.0.1:0",
        ]);
        for p in peers {
            cmd.args(["--peer", p.addr()]);
        }
        cmd.args(extra).env_remove("CIRCLE_TOKEN");
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let info: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("serve printed no JSON line ({e}): {line:?}"));
        // Listeners report in no fixed order: some address is loopback TCP.
        assert!(
            info["addrs"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a.as_str().unwrap().starts_with("/ip4/127.0.0.1/tcp/")),
            "{info}"
        );
        let http = info["http"].as_str().unwrap_or_default();
        assert!(http.starts_with("http://127.0.0.1:"), "{info}");
        Serving {
            child: Some(child),
            info,
        }
    }

    /// The first loopback TCP listen address (listeners report in no fixed order).
    pub(crate) fn addr(&self) -> &str {
        let addrs = self.info["addrs"].as_array().unwrap();
        addrs
            .iter()
            .filter_map(|a| a.as_str())
            .find(|a| a.starts_with("/ip4/127.0.0.1/tcp/"))
            .unwrap_or_else(|| panic!("no loopback TCP address in {addrs:?}"))
    }

    /// The TCP port of that address.
    pub(crate) fn port(&self) -> u16 {
        let addr = self.addr();
        let port = addr.split("/tcp/").nth(1).and_then(|r| r.split('/').next());
        port.and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no TCP port in {addr}"))
    }

    pub(crate) fn invite(&self) -> &str {
        self.info["invite"].as_str().unwrap()
    }

    pub(crate) fn http(&self) -> &str {
        self.info["http"].as_str().unwrap()
    }

    pub(crate) fn circle_id(&self) -> &str {
        self.info["circle_id"].as_str().unwrap()
    }

    /// SIGTERM, and the node (page and alert streams included) must shut down cleanly
    /// (exit 0) within a bound.
    pub(crate) fn stop(mut self) {
        let mut child = self.child.take().unwrap();
        signal(&child, "-TERM");
        let status = wait_exit(&mut child, SERVE_WAIT).expect("serve ignored SIGTERM");
        assert!(
            status.success(),
            "serve did not shut down cleanly: {status}"
        );
    }

    /// SIGKILL: no shutdown at all.
    pub(crate) fn kill(mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            signal(&c, "-TERM");
            let _ = wait_exit(&mut c, SERVE_WAIT);
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The entry ids in `actions --json` output.
pub(crate) fn entry_ids(actions: &Value) -> HashSet<String> {
    actions
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["entry_id"].as_str().map(str::to_owned))
        .collect()
}

/// Waits up to `within` for `child` to exit; `None` (and the child killed) if it did not.
pub(crate) fn wait_exit(child: &mut Child, within: Duration) -> Option<ExitStatus> {
    let started = Instant::now();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if started.elapsed() > within {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn signal(child: &Child, sig: &str) {
    let _ = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status();
}

/// Copies a data directory as a file manager would (a backup, or a seized device).
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
