//! A disk that fills up under a running node (THREATS.md, bad input 24): the write that
//! does not fit fails with a clear error, nothing unacknowledged is kept, the node stops
//! rather than serve a change its disk does not hold, and it starts again, whole, once
//! there is room.
//!
//! The full disk is a file size limit (`ulimit -f`, with SIGXFSZ ignored so the write
//! fails with EFBIG instead of killing the process): no root, no mount, and the data
//! directory grows only by sled's 512 KiB segments, so the limit is hit mid-run.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::util::{entry_ids, wait_exit, Node, BIN};

/// Room left above the store's size when the node starts.
const HEADROOM_KIB: u64 = 600;
/// Each entry's summary: a tenth of the headroom, so the disk fills within a few writes.
const ENTRY_BYTES: usize = 60_000;
/// Writes tried before giving up on filling the disk.
const MAX_WRITES: usize = 60;
const WAIT: Duration = Duration::from_secs(60);

#[test]
fn a_full_disk_fails_the_write_stops_the_node_and_loses_nothing_acknowledged() {
    let n = Node::compliant("Full disk");
    let before = n.ok(&["status"])["changes"].as_u64().unwrap();
    let db = std::fs::metadata(n.path().join("store").join("db")).unwrap();
    let limit_kib = db.len() / 1024 + HEADROOM_KIB;
    let mut serve = Command::new("bash")
        .arg("-c")
        .arg(r#"trap '' XFSZ; ulimit -f "$1"; shift; exec "$@""#)
        .arg("bash")
        .arg(limit_kib.to_string())
        .arg(BIN)
        .arg("--data-dir")
        .arg(n.path())
        .args(["--json", "serve", "--listen", "/ip4/127.0.0.1/tcp/0"])
        .args(["--no-mdns", "--no-http"])
        .env_remove("CIRCLE_DATA_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(serve.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    assert!(info["circle_id"].is_string(), "{info}");

    let summary = "y".repeat(ENTRY_BYTES);
    let mut acked = Vec::new();
    let mut refusal = None;
    for i in 0..MAX_WRITES {
        let title = format!("entry {i}");
        let out = n
            .cmd()
            .args(["--json", "action", "log", "--title", &title])
            .args(["--summary", &summary])
            .output()
            .unwrap();
        if !out.status.success() {
            refusal = Some(String::from_utf8_lossy(&out.stderr).into_owned());
            break;
        }
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        acked.push(v["entry_id"].as_str().unwrap().to_owned());
    }
    let refusal = refusal.expect("the disk never filled up");
    assert!(acked.len() >= 2, "the limit was hit too early: {refusal}");
    assert_eq!(refusal.trim_end().lines().count(), 1, "{refusal}");
    assert!(refusal.contains("no room left"), "{refusal}");
    assert!(!refusal.contains("panicked"), "{refusal}");

    // The node stops by itself, saying why.
    let status = wait_exit(&mut serve, WAIT)
        .expect("the node kept running after a write failed to reach the disk");
    let mut stderr = String::new();
    serve
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(!status.success(), "{stderr}");
    assert!(
        stderr.contains("the node stopped: a write could not be stored"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    // Room again (no limit): every acknowledged entry is there, the refused one is not.
    let status = n.ok(&["status"]);
    assert_eq!(
        status["changes"].as_u64().unwrap(),
        before + acked.len() as u64,
        "the ledger holds a change nobody was told about"
    );
    let ids = entry_ids(&n.ok(&["actions"]));
    for id in &acked {
        assert!(ids.contains(id), "acknowledged entry {id} is gone");
    }
    assert_eq!(ids.len(), acked.len());
    n.ok(&["action", "log", "--title", "after the disk was freed"]);
}
