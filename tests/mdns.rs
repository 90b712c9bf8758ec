//! LAN discovery, proven: mDNS cannot be seen on loopback, so two network namespaces
//! joined by a veth pair stand for two machines on one LAN. One `circle serve` runs in
//! each, with mDNS on: they find each other and connect with no address given, and the
//! node started with `--follow-lan` follows the other's circle with no invite typed.
//!
//! Needs root (CI runs as root); elsewhere the test prints why it is skipped and passes.
//! The namespaces, their veth pair and addresses (10.233.0.0/16, which exists only inside
//! them) are deleted at the end, on failure too.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{wait_exit, Node, BIN};

/// How long discovery, connection and the first sync may take on a loaded machine.
const LAN_WAIT: Duration = Duration::from_secs(90);

fn ip(args: &[&str]) -> Output {
    Command::new("ip").args(args).output().unwrap()
}

/// Two namespaces `<tag>a` and `<tag>b` joined by a veth pair; deleted when dropped.
struct Lan {
    names: [String; 2],
    addrs: [String; 2],
}

impl Lan {
    /// `Err(why)` where namespaces cannot be made here (not root, no `ip`, a sandbox).
    fn new() -> Result<Lan, String> {
        // Unique per process, so runs side by side do not meet.
        let id = std::process::id();
        let tag = format!("cl{id}");
        let subnet = format!("10.233.{}", id % 250 + 1);
        let lan = Lan {
            names: [format!("{tag}a"), format!("{tag}b")],
            addrs: [format!("{subnet}.1"), format!("{subnet}.2")],
        };
        let out = Command::new("ip")
            .args(["netns", "add", &lan.names[0]])
            .output()
            .map_err(|e| format!("cannot run `ip`: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "`ip netns add` failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        // From here on, Drop cleans up whatever was made.
        let (va, vb) = (format!("{tag}va"), format!("{tag}vb"));
        let steps: Vec<Vec<&str>> = vec![
            vec!["netns", "add", &lan.names[1]],
            vec!["link", "add", &va, "type", "veth", "peer", "name", &vb],
            vec!["link", "set", &va, "netns", &lan.names[0]],
            vec!["link", "set", &vb, "netns", &lan.names[1]],
        ];
        for s in steps {
            let out = ip(&s);
            if !out.status.success() {
                return Err(format!(
                    "`ip {}` failed: {}",
                    s.join(" "),
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
        }
        for (i, dev) in [&va, &vb].into_iter().enumerate() {
            let ns = &lan.names[i];
            let cidr = format!("{}/24", lan.addrs[i]);
            for s in [
                vec!["-n", ns, "addr", "add", &cidr, "dev", dev],
                vec!["-n", ns, "link", "set", dev, "up"],
                vec!["-n", ns, "link", "set", "lo", "up"],
            ] {
                let out = ip(&s);
                assert!(out.status.success(), "ip {s:?}: {out:?}");
            }
        }
        Ok(lan)
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        // Deleting a namespace deletes the veth end in it, and so the pair.
        for ns in &self.names {
            let _ = ip(&["netns", "del", ns]);
        }
    }
}

/// `circle serve` with mDNS on, inside a namespace; SIGTERM (then SIGKILL) when dropped.
struct LanNode {
    child: Option<Child>,
    info: Value,
}

impl LanNode {
    fn start(n: &Node, ns: &str, addr: &str, extra: &[&str]) -> LanNode {
        // `ip netns exec` execs the command, so the child's pid is the node's.
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns, BIN, "--data-dir"])
            .arg(n.path())
            .args(["--json", "serve", "--listen"])
            .arg(format!("/ip4/{addr}/tcp/0"))
            .args(["--resync-secs", "1", "--http", "127.0.0.1:0"])
            .args(extra)
            .env_remove("CIRCLE_DATA_DIR")
            .env_remove("CIRCLE_TOKEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let info: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("serve printed no JSON line ({e}): {line:?}"));
        LanNode {
            child: Some(child),
            info,
        }
    }

    fn stop(mut self) {
        let mut child = self.child.take().unwrap();
        sigterm(&child);
        let status = wait_exit(&mut child, Duration::from_secs(60)).expect("serve ignored SIGTERM");
        assert!(status.success(), "serve did not stop cleanly: {status}");
    }
}

impl Drop for LanNode {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            sigterm(&c);
            let _ = wait_exit(&mut c, Duration::from_secs(30));
        }
    }
}

fn sigterm(child: &Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
}

/// Polls `status` (through the running node's socket) until `done` holds, within a bound.
fn wait_status(n: &Node, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let status = n.ok(&["status"]);
        if done(&status) {
            return status;
        }
        assert!(
            started.elapsed() < LAN_WAIT,
            "not within {LAN_WAIT:?}: {what}; last status: {status}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn follows(status: &Value, circle: &str) -> bool {
    status["following"]
        .as_array()
        .is_some_and(|f| f.iter().any(|c| c["circle_id"] == circle))
}

#[test]
fn nodes_on_one_lan_find_each_other_and_follow_with_no_invite() {
    let lan = match Lan::new() {
        Ok(lan) => lan,
        Err(why) => {
            println!("skipped: network namespaces are not permitted here ({why})");
            return;
        }
    };
    let depot = Node::compliant("Depot Workers");
    let body = depot.file("tactic.md", "Call the list, then the next name.");
    depot.ok(&[
        "tactic",
        "publish",
        "--title",
        "Phone tree",
        "--body-file",
        body.to_str().unwrap(),
    ]);
    let centre = Node::compliant("Community Centre");
    let depot_id = depot.circle_id();
    let centre_id = centre.circle_id();

    // The depot's node only connects (today's default); the centre's follows the LAN.
    let depot_node = LanNode::start(&depot, &lan.names[0], &lan.addrs[0], &[]);
    let centre_node = LanNode::start(&centre, &lan.names[1], &lan.addrs[1], &["--follow-lan"]);
    assert_eq!(centre_node.info["circle_id"], centre_id.as_str());

    // Found by mDNS and connected: no `--peer`, no invite, no address typed.
    wait_status(&depot, "the depot's node connects to the centre's", |s| {
        s["peers"].as_array().is_some_and(|p| !p.is_empty())
    });
    // Federated: the centre follows the depot and syncs its ledger and tactic.
    let status = wait_status(&centre, "the centre follows the depot's circle", |s| {
        s["following"].as_array().is_some_and(|f| {
            f.iter()
                .any(|c| c["circle_id"] == depot_id.as_str() && c["compliant"] == true)
        })
    });
    assert!(!follows(&status, &centre_id), "{status}");
    let tactics = centre.ok(&["tactics", "--from", &depot_id]);
    assert_eq!(tactics[0]["title"], "Phone tree", "{tactics}");

    // Without --follow-lan a node follows nothing by itself.
    let depot_status = depot.ok(&["status"]);
    assert!(!follows(&depot_status, &centre_id), "{depot_status}");

    centre_node.stop();
    depot_node.stop();
    drop(lan);
}
