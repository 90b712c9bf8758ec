//! What a new organizer meets in daily use (issue 9, items 3 and 5-14), through the
//! real binary.

use std::fs;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::util::{wait_exit, Node, BIN};

fn serve_cmd(n: &Node, extra: &[&str]) -> Command {
    let mut c = n.cmd();
    c.args([
        "serve",
        "--listen",
        "/ip4/127.0.0.1/tcp/0",
        "--no-mdns",
        "--http",
        "127.0.0.1:0",
    ])
    .args(extra)
    .env_remove("CIRCLE_TOKEN")
    .env_remove("RUST_LOG");
    c
}

fn stop(mut child: std::process::Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(
        wait_exit(&mut child, Duration::from_secs(60)).is_some(),
        "serve ignored SIGTERM"
    );
}

#[test]
fn commands_typed_while_serve_starts_reach_the_node() {
    let n = Node::compliant("Starting circle");
    let log = n.path().join("serve.log");
    for round in 0..3 {
        let mut child = serve_cmd(&n, &[])
            .stdout(Stdio::piped())
            .stderr(fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        // No wait at all: the node is still opening its store and binding its socket.
        let clients: Vec<_> = ["invite", "status", "invite", "status"]
            .iter()
            .map(|c| {
                n.cmd()
                    .args(["--json", c])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in clients {
            let out = c.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "round {round}: {err}");
            assert!(!err.contains("in use"), "{err}");
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert!(v["invite"].is_string() || v["peers"].is_array(), "{v}");
        }
        // Once the node has announced itself, commands are served by it.
        let mut first = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut first,
        )
        .unwrap();
        assert!(first.starts_with("serving circle"), "{first}");
        assert_eq!(n.ok(&["status"])["serving"], true);
        stop(child);
    }
    // The node's logs, written to a file, carry no terminal colour codes.
    let logged = fs::read_to_string(&log).unwrap();
    assert!(!logged.contains('\u{1b}'), "{logged:?}");
}

#[test]
fn serve_name_says_it_created_the_circle_and_what_comes_next() {
    let n = Node::new();
    let mut child = serve_cmd(&n, &["--name", "New Street"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut first,
    )
    .unwrap();
    stop(child);
    assert!(
        first.starts_with("created circle \"New Street\""),
        "{first}"
    );
}

fn key_bytes(n: &Node) -> Vec<u8> {
    fs::read(n.path().join("keys/steward-0-0.key")).unwrap()
}

#[test]
fn a_damaged_store_is_named_and_restored_never_reinitialised() {
    let n = Node::compliant("Fragile circle");
    let id = n.circle_id();
    n.ok(&["action", "log", "--title", "Kept through the damage"]);
    let bundle = n.path().join("backup.bundle");
    n.ok(&["export", "--format", "bundle", bundle.to_str().unwrap()]);
    let key = key_bytes(&n);
    for (round, damage) in ["garbage", "empty", "gone"].into_iter().enumerate() {
        let store = n.path().join("store");
        match damage {
            "garbage" => fs::write(store.join("db"), vec![0x5a; 4096]).unwrap(),
            "empty" => fs::write(store.join("db"), b"").unwrap(),
            _ => fs::remove_dir_all(&store).unwrap(),
        }
        let err = n.fails(&["status"]);
        assert!(err.contains("damaged"), "{damage}: {err}");
        assert!(err.contains("keys"), "{damage}: {err}");
        assert!(err.contains("circle restore"), "{damage}: {err}");
        assert!(!err.contains("not a circle-ledger store"), "{err}");
        assert!(!err.contains("create one"), "{err}");
        // Following the old advice must not cost the steward key.
        n.fails(&["init", "--name", "Fragile circle"]);
        assert_eq!(
            key_bytes(&n),
            key,
            "{damage}: init overwrote the steward key"
        );
        if store.exists() {
            fs::rename(&store, n.path().join(format!("store.{damage}"))).unwrap();
        }
        let restored = n.ok(&["restore", bundle.to_str().unwrap()]);
        assert_eq!(restored["circle_id"], id.as_str());
        assert_eq!(n.circle_id(), id);
        assert_eq!(n.ok(&["actions"]).as_array().unwrap().len(), round + 1);
        assert_eq!(n.ok(&["protocol", "status"])["compliant"], true);
        // Write access survived: the kept key still signs.
        n.ok(&[
            "action",
            "log",
            "--title",
            format!("after {damage}").as_str(),
        ]);
        n.ok(&["export", "--format", "bundle", bundle.to_str().unwrap()]);
    }
    // Another circle's bundle is not this directory's circle.
    let other = Node::compliant("Other circle");
    let foreign = other.path().join("other.bundle");
    other.ok(&["export", "--format", "bundle", foreign.to_str().unwrap()]);
    let fresh = Node::new();
    fs::create_dir_all(fresh.path().join("keys")).unwrap();
    fs::copy(
        n.path().join("keys/steward-1-0.key"),
        fresh.path().join("keys/steward-0-0.key"),
    )
    .ok();
    let err = fresh.fails(&["restore", foreign.to_str().unwrap()]);
    assert!(err.contains("steward key"), "{err}");
}

#[test]
fn a_data_dir_that_is_a_file_or_relative_is_explained() {
    let parent = tempfile::tempdir().unwrap();
    let file = parent.path().join("not-a-dir");
    fs::write(&file, "x").unwrap();
    let out = Command::new(BIN)
        .args(["--data-dir", file.to_str().unwrap(), "status"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("not a directory"), "{err}");
    assert!(!err.contains("circle init"), "{err}");
    let out = Command::new(BIN)
        .args(["--data-dir", "my-circle", "status"])
        .current_dir(parent.path())
        .env_remove("CIRCLE_DATA_DIR")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let full = parent.path().join("my-circle");
    assert!(err.contains(full.to_str().unwrap()), "{err}");
    assert!(
        err.contains("elsewhere") && err.contains("relative"),
        "{err}"
    );
    assert!(!full.exists());
}

#[test]
fn usage_errors_name_what_is_missing() {
    let n = Node::compliant("Forgetful circle");
    let cases: [(&[&str], &str); 5] = [
        (&["init"], "--name"),
        (&["task", "close", "abcdef12"], "--note"),
        (&["fund", "add", "--amount", "5"], "--currency"),
        (
            &[
                "fund",
                "add",
                "--amount",
                "-5",
                "--currency",
                "EUR",
                "--memo",
                "m",
            ],
            "--disbursement",
        ),
        (
            &[
                "fund",
                "add",
                "--amount",
                "12,50",
                "--currency",
                "EUR",
                "--memo",
                "m",
            ],
            "point",
        ),
    ];
    for (args, needle) in cases {
        let err = n.fails(args);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.trim_end().ends_with("provided:"), "{err}");
    }
}

#[test]
fn the_ids_lists_print_are_accepted_and_lists_run_oldest_first() {
    let n = Node::compliant("Listing circle");
    let ids: Vec<String> = (0..6)
        .map(|i| {
            let t = n.ok(&["task", "add", "--title", &format!("task {i}")]);
            t["task_id"].as_str().unwrap().to_owned()
        })
        .collect();
    let listed: Vec<String> = n
        .ok(&["tasks"])
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["task_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, ids, "tasks not in time order");
    n.ok(&["task", "claim", &ids[2][..8]]);
    n.ok(&["task", "close", &ids[2][..10], "--note", "done"]);
    assert_eq!(n.ok(&["tasks"])[2]["status"], "closed");
    assert!(n
        .fails(&["task", "claim", &ids[3][..7]])
        .contains("no task"));

    let body = n.file("t.md", "Call two people.");
    let t = n.ok(&[
        "tactic",
        "publish",
        "--title",
        "Phone tree",
        "--body-file",
        body.to_str().unwrap(),
    ]);
    let tactic = t["tactic_id"].as_str().unwrap();
    // The reference `tactics` prints: a 12-digit circle prefix and the tactic id.
    let out = n.run(&["tactics"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let printed = text.split_whitespace().next().unwrap();
    assert!(printed.ends_with(tactic), "{text}");
    assert_eq!(n.ok(&["tactic", "show", printed])["tactic_id"], tactic);
    assert_eq!(n.ok(&["tactic", "show", &tactic[..8]])["tactic_id"], tactic);
    let id = n.circle_id();
    assert_eq!(
        n.ok(&["protocol", "status", &id[..12]])["circle_id"],
        id.as_str()
    );
    assert!(n
        .fails(&["protocol", "status", &id[..7]])
        .contains("circle id"));

    let action = n.ok(&["action", "log", "--title", "March"])["entry_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut retros = Vec::new();
    for title in ["First look back", "Second look back"] {
        let r = n.ok(&[
            "retro",
            "add",
            "--title",
            title,
            "--notes",
            "n",
            "--action",
            &action[..8],
        ]);
        retros.push(r["entry_id"].as_str().unwrap().to_owned());
    }
    let listed = n.ok(&["retros"]);
    let listed: Vec<(&str, &str)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["retro_id"].as_str().unwrap(),
                r["title"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            (retros[0].as_str(), "First look back"),
            (retros[1].as_str(), "Second look back")
        ]
    );
}

#[test]
fn fund_and_licence_rules() {
    let n = Node::compliant("Careful fund");
    let add = |amount: &str, currency: &str, out: bool| {
        let mut args = vec![
            "fund",
            "add",
            "--amount",
            amount,
            "--currency",
            currency,
            "--memo",
            "m",
        ];
        if out {
            args.push("--disbursement");
        }
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let run = |a: Vec<String>| n.fails(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(run(add("400", "GBP", true)).contains("overdraw"));
    assert!(run(add("5", "XYZ", false)).contains("ISO 4217"));
    n.ok(&[
        "fund",
        "add",
        "--amount",
        "50",
        "--currency",
        "gbp",
        "--memo",
        "m",
    ]);
    assert!(run(add("50.01", "GBP", true)).contains("overdraw"));
    assert_eq!(n.ok(&["fund", "show"])["balances"]["GBP"], "50");

    let body = n.file("t.md", "Share it.");
    let publish = |license: &str| {
        vec![
            "tactic",
            "publish",
            "--title",
            "T",
            "--body-file",
            body.to_str().unwrap(),
            "--license",
            license,
        ]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>()
    };
    let p = publish("cc0-1.0");
    let t = n.ok(&p.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(t["license"], "CC0-1.0");
    let err = run(publish("MIT"));
    assert!(
        err.contains("one of the three") && err.contains("CC-BY-SA-4.0"),
        "{err}"
    );
}

#[test]
fn zines_invites_unfollow_import_and_remote_text() {
    let n = Node::compliant("Home circle");
    let empty = n.file("empty.md", "\n## What worked\n\n");
    let err = n.fails(&[
        "zine",
        "publish",
        "--title",
        "Nothing",
        "--file",
        empty.to_str().unwrap(),
    ]);
    assert!(err.contains("empty"), "{err}");
    assert!(n.ok(&["zines"]).as_array().unwrap().is_empty());

    let garbage = format!("circle:{}?peer=not-a-peer", "ab".repeat(32));
    let err = n.fails(&["follow", &garbage]);
    assert!(err.contains("peer"), "{err}");
    assert!(n.ok(&["status"])["following"]
        .as_array()
        .unwrap()
        .is_empty());

    // A sister whose texts carry terminal escapes.
    let sister = Node::compliant("Escaping sister");
    let body = sister.file(
        "t.md",
        "Body \u{1b}]0;owned\u{7} \u{1b}[31mred\u{1b}[0m text",
    );
    let tactic = sister.ok(&[
        "tactic",
        "publish",
        "--title",
        "Red alert",
        "--body-file",
        body.to_str().unwrap(),
    ]);
    let bundle = sister.path().join("s.bundle");
    sister.ok(&["export", "--format", "bundle", bundle.to_str().unwrap()]);
    let sister_id = sister.circle_id();
    let imported = n.ok(&["import", bundle.to_str().unwrap()]);
    assert_eq!(imported["compliant"], true);
    let reference = format!("{sister_id}/{}", tactic["tactic_id"].as_str().unwrap());
    let out = n.run(&["tactic", "show", &reference]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("red") && text.contains("Body"), "{text:?}");
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    let out = n.run(&["tactics"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Escaping sister"));
    let status = String::from_utf8_lossy(&n.run(&["status"]).stdout).into_owned();
    assert!(
        status.contains("following 1 circle:") && status.contains("compliant"),
        "{status}"
    );
    assert!(status.contains("expires in 14 days"), "{status}");
    // JSON keeps the text as written.
    assert!(n
        .ok(&["tactic", "show", &reference])
        .to_string()
        .contains("\\u001b[31m"));

    let gone = n.ok(&["unfollow", &sister_id[..12]]);
    assert_eq!(gone["circle_id"], sister_id.as_str());
    assert!(n.ok(&["status"])["following"]
        .as_array()
        .unwrap()
        .is_empty());
    assert!(n
        .fails(&["protocol", "status", &sister_id])
        .contains("not known"));
    assert_eq!(n.ok(&["tactics"]).as_array().unwrap().len(), 0);

    // A tampered bundle: the import summary says what `protocol status` says.
    let mut b = circle_core::bundle::Bundle::decode(&fs::read(&bundle).unwrap()).unwrap();
    for c in b.changes.iter_mut() {
        if let Some(last) = c.bytes.last_mut() {
            *last ^= 0xff;
        }
    }
    let tampered = n.path().join("tampered.bundle");
    fs::write(&tampered, b.encode()).unwrap();
    let r = n.ok(&["import", tampered.to_str().unwrap()]);
    {
        let verdict = n.run(&["--json", "protocol", "status", &sister_id]);
        let verdict = serde_json::from_slice::<Value>(&verdict.stdout)
            .map(|v| v["compliant"].clone())
            .unwrap_or(Value::Bool(false));
        assert_eq!(r["compliant"], verdict, "{r}");
        assert_eq!(
            r["compliant"], false,
            "a tampered bundle read as compliant: {r}"
        );
    }
}

#[test]
fn day_counts_agree_and_read_well() {
    let n = Node::new();
    let init = String::from_utf8_lossy(
        &n.run(&["init", "--name", "Short term", "--term-days", "1"])
            .stdout,
    )
    .into_owned();
    assert!(init.contains("ends in 1 day\n"), "{init}");
    let status = String::from_utf8_lossy(&n.run(&["status"]).stdout).into_owned();
    assert!(status.contains("expires in 1 day\n"), "{status}");
}
