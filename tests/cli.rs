//! The CLI contract of CLI.md, and bad input that must change nothing.

use std::fs;

use serde_json::Value;

use crate::util::Node;

#[test]
fn a_circle_from_init_to_compliance() {
    let n = Node::new();
    let init = n.ok(&["init", "--name", "Elm Road Tenants", "--term-days", "14"]);
    let circle_id = init["circle_id"].as_str().unwrap().to_owned();
    assert_eq!(circle_id.len(), 64);
    assert!(init["peer_id"].as_str().unwrap().starts_with("12D3KooW"));
    assert_eq!(init["term"], 0);

    let id = n.ok(&["id"]);
    assert_eq!(id["circle_id"], circle_id.as_str());
    assert_eq!(id["peer_id"], init["peer_id"]);
    assert!(id["addrs"].as_array().unwrap().is_empty());
    assert!(id["invite"]
        .as_str()
        .unwrap()
        .starts_with(&format!("circle:{circle_id}")));
    assert_eq!(n.ok(&["invite"])["invite"], id["invite"]);

    let status = n.ok(&["protocol", "status"]);
    assert_eq!(status["compliant"], false);
    assert_eq!(status["items"]["mutual_aid_fund"]["ok"], false);
    assert!(status["items"]["mutual_aid_fund"]["reason"]
        .as_str()
        .unwrap()
        .contains("fund declare"));
    assert_eq!(status["items"]["open_tactics"]["ok"], true);

    n.ok(&["fund", "declare", "--description", "Hardship fund"]);
    let entry = n.ok(&[
        "fund",
        "add",
        "--amount",
        "25.50",
        "--currency",
        "EUR",
        "--memo",
        "Bake sale",
    ]);
    assert!(entry["entry_id"].is_string());
    n.ok(&[
        "fund",
        "add",
        "--amount",
        "10",
        "--currency",
        "EUR",
        "--memo",
        "Bus fares",
        "--disbursement",
    ]);
    assert_eq!(n.ok(&["fund", "show"])["balances"]["EUR"], "15.50");
    assert_eq!(
        n.ok(&["protocol", "status"])["items"]["rapid_defense_pledge"]["ok"],
        false
    );
    n.ok(&[
        "pledge",
        "sign",
        "--text",
        "We answer every call for defense.",
    ]);
    let status = n.ok(&["protocol", "status", &circle_id]);
    assert_eq!(status["compliant"], true, "{status}");
    for item in ["mutual_aid_fund", "rapid_defense_pledge", "open_tactics"] {
        assert_eq!(status["items"][item]["ok"], true);
        assert!(!status["items"][item]["reason"].as_str().unwrap().is_empty());
    }
}

#[test]
fn actions_tactics_tasks_and_zines() {
    let n = Node::compliant("Riverside mutual aid");
    let a = n.ok(&[
        "action",
        "log",
        "--title",
        "Food run",
        "--summary",
        "Forty bags delivered",
        "--tag",
        "food",
        "--tag",
        "mutual-aid",
    ]);
    let action_id = a["entry_id"].as_str().unwrap().to_owned();
    let actions = n.ok(&["actions"]);
    assert_eq!(actions[0]["entry_id"], action_id.as_str());
    assert_eq!(
        actions[0]["tags"],
        serde_json::json!(["food", "mutual-aid"])
    );

    let body = n.path().join("tactic.md");
    fs::write(&body, "# Phone tree\nEach person calls the next three.\n").unwrap();
    let t = n.ok(&[
        "tactic",
        "publish",
        "--title",
        "Phone tree",
        "--body-file",
        body.to_str().unwrap(),
        "--tag",
        "defense",
    ]);
    let tactic_id = t["tactic_id"].as_str().unwrap().to_owned();
    n.ok(&[
        "tactic",
        "publish",
        "--title",
        "Banner drop",
        "--body-file",
        body.to_str().unwrap(),
        "--license",
        "CC0-1.0",
        "--tag",
        "visibility",
    ]);
    let tactics = n.ok(&["tactics"]);
    assert_eq!(tactics.as_array().unwrap().len(), 2);
    let phone = tactics
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tactic_id"] == tactic_id.as_str())
        .unwrap();
    for field in [
        "circle_id",
        "tactic_id",
        "title",
        "license",
        "tags",
        "derived_from",
    ] {
        assert!(phone.get(field).is_some(), "missing {field}");
    }
    assert_eq!(phone["license"], "CC-BY-SA-4.0");
    assert_eq!(phone["derived_from"], Value::Null);
    let defense = n.ok(&["tactics", "--tag", "defense"]);
    assert_eq!(defense.as_array().unwrap().len(), 1);
    assert_eq!(
        n.ok(&["tactic", "show", &tactic_id])["body"],
        "# Phone tree\nEach person calls the next three.\n"
    );
    assert_eq!(n.ok(&["zines"]), serde_json::json!([]));

    let task = n.ok(&["task", "add", "--title", "Print leaflets"]);
    let task_id = task["task_id"].as_str().unwrap();
    n.ok(&["task", "claim", task_id, "--by", "print crew"]);
    assert_eq!(n.ok(&["tasks", "--open"]).as_array().unwrap().len(), 1);
    n.fails(&["task", "close", task_id, "--note", ""]);
    n.ok(&[
        "task",
        "close",
        task_id,
        "--note",
        "Printed 500, ran out of red ink",
    ]);
    assert_eq!(n.ok(&["tasks", "--open"]).as_array().unwrap().len(), 0);
    assert_eq!(
        n.ok(&["tasks"])[0]["note"],
        "Printed 500, ran out of red ink"
    );
    n.ok(&[
        "retro",
        "add",
        "--title",
        "Food run retro",
        "--notes",
        "Start earlier",
        "--action",
        &action_id,
    ]);

    let ledger = n.ledger_json();
    assert_eq!(ledger["schema_version"], 1);
    assert_eq!(ledger["actions"][&action_id]["title"], "Food run");
}

#[test]
fn rotation_hands_over_and_retires_old_keys() {
    let n = Node::compliant("Northside refusal circle");
    let keys = n.path().join("keys");
    assert!(keys.join("steward-0-0.key").exists());
    let r = n.ok(&["steward", "rotate", "--term-days", "7", "--stewards", "3"]);
    assert_eq!(r["term"], 1);
    assert!(
        !keys.join("steward-0-0.key").exists(),
        "old key must be destroyed"
    );
    assert!(keys.join("steward-1-2.key").exists());
    let show = n.ok(&["steward", "show"]);
    assert_eq!(show["term"], 1);
    assert_eq!(show["stewards"].as_array().unwrap().len(), 3);
    assert_eq!(show["threshold"], 2);
    // The pledge must be re-signed by the new term.
    let status = n.ok(&["protocol", "status"]);
    assert_eq!(status["compliant"], false);
    assert!(status["items"]["rapid_defense_pledge"]["reason"]
        .as_str()
        .unwrap()
        .contains("term 1"));
    n.ok(&["pledge", "sign", "--text", "We answer every call, term 1."]);
    assert_eq!(n.ok(&["protocol", "status"])["compliant"], true);
    // The new term writes; the ledger still holds everything from before.
    n.ok(&["action", "log", "--title", "After handover"]);
    let ledger = n.ledger_json();
    assert!(ledger["protocol"]["pledges"]["0"].is_object());
    assert!(ledger["protocol"]["pledges"]["1"].is_object());
    n.ok(&["steward", "rotate", "--term-days", "14"]);
    assert_eq!(n.ok(&["steward", "show"])["term"], 2);
}

#[test]
fn bad_input_gets_one_line_and_changes_nothing() {
    let n = Node::compliant("Careful circle");
    let task = n.ok(&["task", "add", "--title", "Open task"]);
    let task_id = task["task_id"].as_str().unwrap().to_owned();
    let missing = n.path().join("no-such-file.md");
    let not_utf8 = n.path().join("binary.md");
    fs::write(&not_utf8, [0xff, 0xfe, 0x00]).unwrap();
    let stranger = "ab".repeat(32);
    let before = n.ledger_json();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "fund",
                "add",
                "--amount",
                "12,50",
                "--currency",
                "EUR",
                "--memo",
                "m",
            ],
            "amount",
        ),
        (
            vec![
                "fund",
                "add",
                "--amount=-3",
                "--currency",
                "EUR",
                "--memo",
                "m",
            ],
            "amount",
        ),
        (
            vec![
                "fund",
                "add",
                "--amount",
                "1e9",
                "--currency",
                "EUR",
                "--memo",
                "m",
            ],
            "amount",
        ),
        (
            vec![
                "fund",
                "add",
                "--amount",
                "0",
                "--currency",
                "EUR",
                "--memo",
                "m",
            ],
            "amount",
        ),
        (
            vec![
                "fund",
                "add",
                "--amount",
                "5",
                "--currency",
                "EURO",
                "--memo",
                "m",
            ],
            "currency",
        ),
        (
            vec![
                "fund",
                "add",
                "--amount",
                "5",
                "--currency",
                "€",
                "--memo",
                "m",
            ],
            "currency",
        ),
        (
            vec![
                "fund",
                "add",
                "--amount",
                "5",
                "--currency",
                "EUR",
                "--memo",
                "",
            ],
            "memo",
        ),
        (
            vec![
                "tactic",
                "publish",
                "--title",
                "T",
                "--body-file",
                missing.to_str().unwrap(),
            ],
            "no-such-file",
        ),
        (
            vec![
                "tactic",
                "publish",
                "--title",
                "T",
                "--body-file",
                not_utf8.to_str().unwrap(),
            ],
            "UTF-8",
        ),
        (
            vec![
                "tactic",
                "publish",
                "--title",
                "T",
                "--body-file",
                "Cargo.toml",
                "--license",
                "MIT",
            ],
            "one of the three",
        ),
        (vec!["task", "claim", "0123456789abcdef"], "no task"),
        (
            vec!["task", "close", "0123456789abcdef", "--note", "n"],
            "no task",
        ),
        (vec!["task", "close", &task_id, "--note", " "], "note"),
        (vec!["tactic", "show", "nope"], "no tactic"),
        (
            vec![
                "retro", "add", "--title", "R", "--notes", "n", "--action", "nope",
            ],
            "no action",
        ),
        (vec!["action", "log", "--title", ""], "title"),
        (
            vec!["action", "log", "--title", "ok", "--tag", "two words"],
            "tag",
        ),
        (vec!["protocol", "status", &stranger], "not known"),
        (vec!["tactics", "--from", "not-a-circle"], "circle id"),
        (vec!["export", "--format", "bogus", "out"], "bogus"),
        (vec!["steward", "rotate", "--term-days", "0"], "term"),
        (vec!["init", "--name", "Second circle"], "already exists"),
        (vec!["frobnicate"], "frobnicate"),
    ];
    for (args, needle) in cases {
        let err = n.fails(&args);
        assert!(
            err.to_lowercase().contains(&needle.to_lowercase()),
            "{args:?}: {err}"
        );
    }
    assert_eq!(
        n.ledger_json(),
        before,
        "a failed command changed the ledger"
    );
}

#[test]
fn uninitialised_directory_is_explained_and_left_alone() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("nothing-here");
    let out = std::process::Command::new(crate::util::BIN)
        .args([
            "--data-dir",
            dir.to_str().unwrap(),
            "action",
            "log",
            "--title",
            "x",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("circle init"), "{err}");
    assert!(!dir.exists(), "a failed command created the data directory");
}

#[test]
fn corrupted_or_foreign_store_is_refused_without_panic() {
    // A store whose log file is garbage.
    let n = Node::compliant("Soon corrupted");
    let db = n.path().join("store/db");
    let len = fs::metadata(&db).unwrap().len() as usize;
    fs::write(&db, vec![0x5a; len]).unwrap();
    let err = n.fails(&["actions"]);
    assert!(err.contains("damaged"), "{err}");

    // A truncated log file.
    let n = Node::compliant("Soon truncated");
    let db = n.path().join("store/db");
    let bytes = fs::read(&db).unwrap();
    fs::write(&db, &bytes[..bytes.len() / 3]).unwrap();
    let out = n.run(&["actions"]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));

    // Somebody else's sled database where the store should be.
    let n = Node::new();
    {
        let other = sled::open(n.path().join("store")).unwrap();
        other.insert("invoices", "2024").unwrap();
        other.flush().unwrap();
    }
    let err = n.fails(&["init", "--name", "x"]);
    assert!(err.contains("not a circle-ledger store"), "{err}");
}

#[test]
fn concurrent_commands_wait_for_each_other() {
    let n = Node::compliant("Busy circle");
    let children: Vec<_> = (0..4)
        .map(|i| {
            n.cmd()
                .args([
                    "--json",
                    "action",
                    "log",
                    "--title",
                    &format!("parallel {i}"),
                ])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(n.ok(&["actions"]).as_array().unwrap().len(), 4);
}
