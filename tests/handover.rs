//! Stewards on their own devices, through the real binary: candidate codes, proposals,
//! approvals and their refusals. Devices are copies of one data directory without its
//! keys (what `circle join` makes); certificates travel by the own circle's bundle, so
//! no network is needed. Proposals between devices travel by the circle's own sync
//! (the lead's tests); here a device holding two keys approves on its own.

use serde_json::Value;

use crate::util::{copy_dir, Node};

/// Another device of `origin`'s circle, holding none of its keys.
fn device_of(origin: &Node) -> Node {
    let n = Node::new();
    copy_dir(origin.path(), n.path());
    for entry in std::fs::read_dir(n.path().join("keys")).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
    n
}

/// Carries the own circle's certificates and changes from one device to another.
fn carry(from: &Node, to: &Node) {
    let file = from.path().join("own.bundle");
    from.ok(&["export", "--format", "bundle", file.to_str().unwrap()]);
    to.ok(&["import", file.to_str().unwrap()]);
}

fn code(n: &Node) -> String {
    n.ok(&["steward", "volunteer"])["candidate"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn log(n: &Node, title: &str) -> std::process::Output {
    n.run(&["action", "log", "--title", title])
}

#[test]
fn stewards_on_their_own_devices_hand_over_and_write() {
    let a = Node::init("Devices");
    let (b, c) = (device_of(&a), device_of(&a));
    // B holds no key: it reads, and says how to get one.
    let refused = b.fails(&["action", "log", "--title", "from b"]);
    assert!(refused.contains("circle steward volunteer"), "{refused}");
    let (code_b, code_c) = (code(&b), code(&c));
    assert_eq!(code_b.len(), 64 + 1 + 8);
    // A's one key of term 0 certifies term 1 at once.
    let p = a.ok(&[
        "steward",
        "propose",
        "--steward",
        "self",
        "--steward",
        &code_b,
        "--steward",
        &code_c,
    ]);
    assert_eq!(
        (p["signatures"].as_u64(), p["needed"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(p["term"], 1);
    assert!(p["proposal_id"].as_str().unwrap().len() == 64);
    carry(&a, &b);
    carry(&a, &c);
    for n in [&a, &b, &c] {
        let show = n.ok(&["steward", "show"]);
        assert_eq!(show["term"], 1);
        assert_eq!(show["threshold"], 2);
        assert_eq!(show["keys_held_here"], 1);
        assert_eq!(show["captures_circle"], false);
    }
    assert!(log(&b, "b writes with its own key").status.success());
    // A proposes term 2: one of two signatures. It lists, pauses writes, and waits.
    let p = a.ok(&["steward", "propose", "--steward", "self"]);
    assert_eq!(
        (p["signatures"].as_u64(), p["needed"].as_u64()),
        (Some(1), Some(2))
    );
    assert!(p.get("term").is_none());
    let id = p["proposal_id"].as_str().unwrap().to_owned();
    let list = a.ok(&["steward", "proposals"]);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1);
    for field in ["proposal_id", "term", "signatures", "needed", "kind"] {
        assert!(list[0].get(field).is_some(), "{field}");
    }
    assert_eq!(list[0]["kind"], "handover");
    assert_eq!(list[0]["missing"].as_array().unwrap().len(), 2);
    let paused = a.fails(&["action", "log", "--title", "while pending"]);
    assert!(
        paused.contains(&id[..12]) && paused.contains("withdraw"),
        "{paused}"
    );
    let twice = a.fails(&["steward", "approve", &id[..8]]);
    assert!(twice.contains("signed this proposal already"), "{twice}");
    let second = a.fails(&["steward", "propose", "--steward", "self"]);
    assert!(second.contains("already open"), "{second}");
    // Withdrawn, writes resume, and the proposal is no longer approvable.
    let w = a.ok(&["steward", "withdraw", &id]);
    assert_eq!(w["state"], "withdrawn");
    assert!(log(&a, "a writes again").status.success());
    let gone = a.fails(&["steward", "approve", &id]);
    assert!(gone.contains("withdrawn"), "{gone}");
}

#[test]
fn one_device_with_two_keys_certifies_and_is_warned() {
    let a = Node::init("Two keys");
    // Today's single-device rotation: three keys of term 1, all here.
    a.ok(&["steward", "rotate", "--stewards", "3"]);
    let show = a.ok(&["steward", "show"]);
    assert_eq!(show["keys_held_here"], 3);
    assert_eq!(show["captures_circle"], true);
    let status = a.run(&["status"]);
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(
        text.contains("seizing this device captures the circle"),
        "{text}"
    );
    // Its keys alone reach the threshold: the proposal is certified at once.
    let b = device_of(&a);
    let code_b = code(&b);
    let p = a.ok(&[
        "steward",
        "propose",
        "--steward",
        &code_b,
        "--steward",
        "self",
        "--threshold",
        "2",
    ]);
    assert_eq!(p["signatures"], 3);
    assert_eq!(p["term"], 2);
    carry(&a, &b);
    assert_eq!(b.ok(&["steward", "show"])["keys_held_here"], 1);
    assert_eq!(a.ok(&["steward", "show"])["keys_held_here"], 1);
}

#[test]
fn handover_refusals_fail_with_one_line_and_change_nothing() {
    let a = Node::init("Refusals");
    let b = device_of(&a);
    let good = code(&b);
    let before = a.ledger_json();
    let mut typo: Vec<char> = good.chars().collect();
    typo[3] = if typo[3] == 'a' { 'b' } else { 'a' };
    let typo: String = typo.into_iter().collect();
    for (args, says) in [
        (
            vec!["steward", "propose", "--steward", typo.as_str()],
            "checksum",
        ),
        (
            vec!["steward", "propose", "--steward", "nonsense"],
            "malformed",
        ),
        (vec!["steward", "propose"], "at least one steward"),
        (
            vec![
                "steward",
                "propose",
                "--steward",
                "self",
                "--threshold",
                "0",
            ],
            "threshold 0",
        ),
        (
            vec![
                "steward",
                "propose",
                "--steward",
                "self",
                "--threshold",
                "2",
            ],
            "threshold 2",
        ),
        (
            vec!["steward", "propose", "--steward", &good, "--steward", &good],
            "named twice",
        ),
        (vec!["steward", "approve", "abc"], "at least 8 hex"),
        (vec!["steward", "approve", "0123456789"], "no open proposal"),
        (
            vec!["steward", "withdraw", "0123456789"],
            "no open proposal",
        ),
        (
            vec!["steward", "revoke", &"ab".repeat(32), "--reason", "lost"],
            "not a steward",
        ),
    ] {
        let err = a.fails(&args);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    // A device with no key of the term cannot propose, and says why.
    let err = b.fails(&["steward", "propose", "--steward", "self"]);
    assert!(err.contains("no steward key of term 0"), "{err}");
    // The only steward cannot be revoked: nobody else could certify.
    let show = a.ok(&["steward", "show"]);
    let only = show["stewards"][0].as_str().unwrap();
    let err = a.fails(&["steward", "revoke", only, "--reason", "lost"]);
    assert!(err.contains("cannot certify without it"), "{err}");
    assert_eq!(a.ledger_json(), before);
    assert!(a
        .ok(&["steward", "proposals"])
        .as_array()
        .unwrap()
        .is_empty());
    // The candidate's secret stays on B: not in the bundle B exports.
    let bundle = b.path().join("b.bundle");
    b.ok(&["export", "--format", "bundle", bundle.to_str().unwrap()]);
    let bytes = std::fs::read(&bundle).unwrap();
    let secret = std::fs::read_dir(b.path().join("keys"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("candidate-")
        })
        .map(|p| std::fs::read(p).unwrap())
        .unwrap();
    assert!(!bytes.windows(32).any(|w| w == secret.as_slice()));
}

#[test]
fn an_expired_term_can_still_hand_over() {
    let a = Node::new();
    let made = std::process::Command::new("faketime")
        .args(["-f", "-20d", crate::util::BIN, "--data-dir"])
        .arg(a.path())
        .args(["init", "--name", "Lapsed", "--term-days", "1"])
        .output()
        .expect("faketime is needed (.ci/test installs it)");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let expired = a.fails(&["action", "log", "--title", "too late"]);
    assert!(expired.contains("has expired"), "{expired}");
    let status: Value = a.ok(&["status"]);
    let warnings = status["steward_warnings"].as_array().unwrap();
    assert!(warnings
        .iter()
        .any(|w| w.as_str().unwrap().contains("has expired")));
    let p = a.ok(&["steward", "propose", "--steward", "self"]);
    assert_eq!(p["term"], 1);
    assert!(log(&a, "back").status.success());
}

#[test]
fn a_revocation_certified_by_the_other_keys_leaves_the_key_out() {
    let a = Node::init("Revoked");
    a.ok(&["steward", "rotate", "--stewards", "3"]);
    let show = a.ok(&["steward", "show"]);
    let seized = show["stewards"][2].as_str().unwrap().to_owned();
    // Naming the revoked key again is refused.
    let again = a.fails(&[
        "steward",
        "revoke",
        &seized,
        "--reason",
        "x",
        "--steward",
        "nonsense",
    ]);
    assert!(again.contains("malformed"), "{again}");
    let p = a.ok(&["steward", "revoke", &seized, "--reason", "phone seized"]);
    // The two other keys held here sign; the seized one does not count.
    assert_eq!(p["kind"], "revoke");
    assert_eq!(p["signatures"], 2);
    assert_eq!(p["term"], 2);
    let show = a.ok(&["steward", "show"]);
    assert_eq!(show["term"], 2);
    let now_stewards: Vec<&str> = show["stewards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(!now_stewards.contains(&seized.as_str()));
    assert_eq!(show["keys_held_here"], 1);
    assert!(log(&a, "after the revocation").status.success());
}
