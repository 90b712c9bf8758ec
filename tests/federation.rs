//! Federation end to end: real `circle serve` processes on 127.0.0.1 ports, driven by
//! the `circle` command as users would. Every wait is bounded; nothing leaves loopback
//! (mDNS is off, every listen address is 127.0.0.1).

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{Node, Serving};

/// Upper bound for anything to propagate on a loaded 2-core machine.
const WAIT: Duration = Duration::from_secs(60);

/// Polls `check` until it returns `Some`, for at most [`WAIT`].
pub(crate) fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(started.elapsed() < WAIT, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

pub(crate) fn tactic_titles(n: &Node, from: Option<&str>) -> Vec<String> {
    let mut args = vec!["tactics"];
    if let Some(f) = from {
        args.extend(["--from", f]);
    }
    let out = n.cmd().arg("--json").args(&args).output().unwrap();
    if !out.status.success() {
        return Vec::new();
    }
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_owned())
        .collect()
}

pub(crate) fn alert_texts(n: &Node) -> Vec<String> {
    n.ok(&["alerts"])
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["text"].as_str().unwrap().to_owned())
        .collect()
}

pub(crate) fn publish_tactic(n: &Node, title: &str) {
    let body = n.file("tactic.md", &format!("# {title}\n\nHow we did it."));
    n.ok(&[
        "tactic",
        "publish",
        "--title",
        title,
        "--body-file",
        body.to_str().unwrap(),
        "--tag",
        "defense",
    ]);
}

#[test]
fn three_circles_federate_and_a_fundless_one_is_isolated_until_it_complies() {
    let (a, b, c) = (
        Node::compliant("Alder"),
        Node::compliant("Birch"),
        Node::compliant("Cedar"),
    );
    let d = Node::init("Dogwood");
    d.ok(&["pledge", "sign", "--text", "We answer every call."]);
    publish_tactic(&a, "Phone tree");
    publish_tactic(&d, "Banner drop");
    let sa = Serving::start(&a, &[], &[]);
    let sb = Serving::start(&b, &[&sa], &[]);
    let sc = Serving::start(&c, &[&sb], &[]);
    let sd = Serving::start(&d, &[&sa], &[]);
    // While serving, commands talk to the node: no "database locked".
    assert_eq!(a.ok(&["status"])["serving"], true);
    for (n, invites) in [
        (&b, vec![sa.invite(), sd.invite()]),
        (&c, vec![sa.invite(), sb.invite(), sd.invite()]),
    ] {
        for inv in invites {
            n.ok(&["follow", inv]);
        }
    }
    // Tactics reach the followers.
    for n in [&b, &c] {
        eventually("A's tactic at a follower", || {
            tactic_titles(n, None)
                .contains(&"Phone tree".to_owned())
                .then_some(())
        });
    }
    // An alert from A reaches B and C through the gossip mesh.
    a.ok(&[
        "alert",
        "send",
        "--text",
        "Eviction on Elm Road at 8, come now",
    ]);
    for n in [&b, &c] {
        eventually("A's alert at a follower", || {
            alert_texts(n)
                .iter()
                .any(|t| t.contains("Elm Road"))
                .then_some(())
        });
    }
    // The fund-less circle: its own node refuses to send alerts, and nobody lists its
    // tactics; `protocol status` says why.
    let err = d.fails(&["alert", "send", "--text", "help"]);
    assert!(err.contains("protocol"), "{err}");
    let d_id = sd.info["circle_id"].as_str().unwrap().to_owned();
    for n in [&b, &c] {
        let status = eventually("D's ledger at a follower", || {
            let s = n.ok(&["protocol", "status", &d_id]);
            s["items"].is_object().then_some(s)
        });
        assert_eq!(status["compliant"], false);
        assert_eq!(status["items"]["mutual_aid_fund"]["ok"], false);
        assert!(!status["items"]["mutual_aid_fund"]["reason"]
            .as_str()
            .unwrap()
            .is_empty());
        assert!(!tactic_titles(n, None).contains(&"Banner drop".to_owned()));
        assert!(n.fails(&["tactics", "--from", &d_id]).contains("protocol"));
    }
    // D declares its fund: federation resumes by itself.
    d.ok(&["fund", "declare", "--description", "Bail fund"]);
    for n in [&b, &c] {
        eventually("D's tactic once D complies", || {
            tactic_titles(n, None)
                .contains(&"Banner drop".to_owned())
                .then_some(())
        });
    }
    for s in [sd, sc, sb, sa] {
        s.stop();
    }
}

#[test]
fn a_follower_pulls_a_ledger_through_a_sister_while_its_circle_is_down() {
    let (a, b, c) = (
        Node::compliant("Alder"),
        Node::compliant("Birch"),
        Node::compliant("Cedar"),
    );
    publish_tactic(&a, "Rent strike ledger");
    let sa = Serving::start(&a, &[], &[]);
    let sb = Serving::start(&b, &[&sa], &[]);
    b.ok(&["follow", sa.invite()]);
    let a_invite = sa.invite().to_owned();
    let a_id = sa.info["circle_id"].as_str().unwrap().to_owned();
    sa.stop();
    let sc = Serving::start(&c, &[&sb], &[]);
    let r = c.ok(&["follow", &a_invite]);
    assert_eq!(r["circle_id"], a_id.as_str());
    assert_eq!(r["synced"], true);
    assert_eq!(
        tactic_titles(&c, Some(&a_id)),
        vec!["Rent strike ledger".to_owned()]
    );
    // Verified end to end: the replica carries A's signatures, so it exports as a
    // bundle that imports cleanly elsewhere.
    let bundle = c.path().join("a.bundle");
    c.ok(&[
        "export",
        "--format",
        "bundle",
        "--circle",
        &a_id,
        bundle.to_str().unwrap(),
    ]);
    let fresh = Node::init("Elm");
    let imported = fresh.ok(&["import", bundle.to_str().unwrap()]);
    assert_eq!(imported["rejected"], 0);
    assert_eq!(imported["compliant"], true);
    sc.stop();
    sb.stop();
}

#[test]
fn a_node_killed_mid_sync_restarts_and_converges() {
    let a = Node::compliant("Alder");
    let lines: String = (0..3_000)
        .map(|i| {
            format!(
                "{{\"title\":\"action {i}\",\"summary\":\"{}\"}}\n",
                "x".repeat(200)
            )
        })
        .collect();
    let file = a.file("actions.jsonl", &lines);
    a.ok(&["action", "import", "--file", file.to_str().unwrap()]);
    let a_count = a.ok(&["status"])["changes"].as_u64().unwrap();
    let sa = Serving::start(&a, &[], &[]);
    let b = Node::compliant("Birch");
    let small_pages = ["--sync-page-kib", "8"];
    // Change by change, in small pages: a first sync by snapshot is one response, with
    // no "part-way" to be killed in (tests/crash.rs kills nodes at random moments).
    let change_by_change = || {
        let mut serve = b.cmd();
        serve.env("CIRCLE_SNAPSHOT_SYNC", "0");
        serve
    };
    let sb = Serving::start_with(change_by_change(), &[&sa], &small_pages);
    // The follow runs inside B's node; the client waits for it in the background.
    let mut follow = b
        .cmd()
        .args(["follow", sa.invite()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let a_id = sa.info["circle_id"].as_str().unwrap().to_owned();
    eventually("B to be part-way through the sync", || {
        let s = b.ok(&["status"]);
        s["syncing"].as_array().and_then(|all| {
            all.iter()
                .find(|p| p["circle_id"] == a_id.as_str() && p["pages"].as_u64() >= Some(3))
                .map(|p| assert_eq!(p["done"], false, "sync finished before the kill"))
        })
    });
    sb.kill();
    let _ = follow.wait();
    // Restarted, B remembers whom it follows and where A is, and finishes the sync.
    let sb = Serving::start_with(change_by_change(), &[], &small_pages);
    eventually("B to hold all of A's ledger", || {
        let s = b.ok(&["status"]);
        s["following"].as_array().and_then(|f| {
            f.iter()
                .find(|x| x["circle_id"] == a_id.as_str() && x["changes"].as_u64() == Some(a_count))
                .map(|_| ())
        })
    });
    // A's ledger is listed as a compliant sister's (it has actions, no tactics).
    assert_eq!(b.ok(&["tactics", "--from", &a_id]), serde_json::json!([]));
    sb.stop();
    sa.stop();
}

#[test]
fn serve_refuses_a_second_node_and_an_uninitialised_directory() {
    let n = Node::new();
    let out = n
        .cmd()
        .args(["serve", "--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("circle init"));
    // `serve --name` creates the circle first: the README's one command.
    let s = Serving::start(&n, &[], &["--name", "Fresh circle"]);
    assert_eq!(n.ok(&["id"])["circle_id"], s.info["circle_id"]);
    assert!(n.fails(&["init", "--name", "again"]).contains("running"));
    let err = n.fails(&["serve", "--listen", "/ip4/127.0.0.1/tcp/0", "--no-mdns"]);
    assert!(err.contains("already running"), "{err}");
    s.stop();
}
