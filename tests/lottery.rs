//! The verifiable lottery through the real binary: a draw, verified on the node that
//! drew it and on a node holding the circle as a sister; a tampered transcript refused
//! everywhere; bad requests refused, each with its reason.

use std::os::unix::fs::PermissionsExt;

use serde_json::Value;

use crate::util::{copy_dir, Node};

const NAMES: [&str; 5] = ["ana", "ben", "cy", "dee", "eli"];

fn draw(n: &Node, seats: &str, names: &[&str], purpose: &str) -> Value {
    let mut args = vec!["lottery", "draw", "--seats", seats];
    for name in names {
        args.extend(["--from", name]);
    }
    args.extend(["--purpose", purpose]);
    n.ok(&args)
}

fn draw_id(v: &Value) -> String {
    v["draw_id"].as_str().unwrap().to_owned()
}

/// `a`'s own ledger, imported into `b` as a sister.
fn carry(a: &Node, b: &Node) {
    let bundle = a.path().join("own.bundle");
    a.ok(&["export", "--format", "bundle", bundle.to_str().unwrap()]);
    b.ok(&["import", bundle.to_str().unwrap()]);
}

#[test]
fn a_draw_is_verified_where_it_was_drawn_and_on_a_sister() {
    let a = Node::compliant("Circle A");
    let d = draw(&a, "2", &NAMES, "facilitators, June meeting");
    let id = draw_id(&d);
    let chosen = d["chosen"].as_array().unwrap().clone();
    assert_eq!(chosen.len(), 2, "{d}");
    assert!(chosen.iter().all(|c| NAMES.contains(&c.as_str().unwrap())));
    assert_eq!(d["valid"], true);
    // One steward: said plainly, in JSON and text.
    assert_eq!(d["single_steward"], true);
    assert!(d["warning"]
        .as_str()
        .unwrap()
        .contains("NOT protected against the drawer"));

    let here = a.ok(&["lottery", "verify", &id[..8]]);
    assert_eq!(here["draw_id"], id.as_str());
    assert_eq!(here["valid"], true);
    assert_eq!(here["chosen"].as_array().unwrap(), &chosen);

    let b = Node::compliant("Circle B");
    carry(&a, &b);
    let there = b.ok(&["lottery", "verify", &id]);
    assert_eq!(there["valid"], true, "{there}");
    assert_eq!(there["chosen"].as_array().unwrap(), &chosen);
    let a_id = a.circle_id();
    let named = b.ok(&["lottery", "verify", &id, "--circle", &a_id[..12]]);
    assert_eq!(named["chosen"].as_array().unwrap(), &chosen);
    // Its own circle holds no such draw.
    let err = b.fails(&["lottery", "verify", &id, "--circle", &b.circle_id()]);
    assert!(err.contains("no draw"), "{err}");
    let text = b.run(&["lottery", "verify", &id]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("valid: recomputed"), "{text}");
}

#[test]
fn a_draw_among_three_stewards_on_this_device_completes_at_once() {
    let a = Node::init("Three");
    a.ok(&["steward", "rotate", "--term-days", "30", "--stewards", "3"]);
    let d = draw(&a, "3", &NAMES, "");
    assert_eq!(d["complete"], true, "{d}");
    assert_eq!(d["counted"].as_array().unwrap().len(), 3);
    assert_eq!(d["single_steward"], false);
    assert!(d.get("warning").is_none());
    assert_eq!(d["chosen"].as_array().unwrap().len(), 3);
    // Nothing left to reveal on this device.
    assert_eq!(a.ok(&["lottery", "reveal"])["changes"], 0);
    // Each draw uses the next chain position.
    let second = draw(&a, "1", &NAMES, "");
    let slots = second["transcript"]["slots"].as_array().unwrap();
    assert!(slots.iter().all(|s| s["position"] == 2), "{second}");
}

/// Only a steward can write to the ledger (changes are signed), so the tamperer here is
/// one: it edits a draw's candidates after the draw with a validly signed change.
/// Every node holding the ledger refuses the draw.
#[test]
fn a_transcript_changed_after_the_draw_is_refused_everywhere() {
    use circle_core::automerge::transaction::Transactable;
    use circle_core::automerge::{ReadDoc, Value as AmValue, ROOT};

    let a = Node::compliant("Circle A");
    let id = draw_id(&draw(&a, "1", &NAMES, "facilitator"));
    {
        let mut local = circle_node::LocalCircle::open(a.path()).unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let doc = local.circle().ledger.doc();
        let obj = |parent: &circle_core::automerge::ObjId, key: &str| match doc.get(parent, key) {
            Ok(Some((AmValue::Object(_), o))) => o,
            other => panic!("{key}: {other:?}"),
        };
        let draws = obj(&obj(&ROOT, "lottery"), "draws");
        let d = obj(&draws, &id);
        local
            .write(now, |l, s| {
                let c = l.write(s, now, |tx| {
                    tx.put(
                        &d,
                        "candidates",
                        r#"["ana","ben","cy","dee","eli","mallory"]"#,
                    )
                })?;
                Ok(((), c))
            })
            .unwrap();
    }
    let here = a.ok(&["lottery", "verify", &id]);
    assert_eq!(here["valid"], false, "{here}");
    assert_eq!(here["chosen"], Value::Null);
    assert!(here["reason"]
        .as_str()
        .unwrap()
        .contains("changed after the draw"));
    let text = a.run(&["lottery", "verify", &id]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("NOT VALID"));

    let b = Node::compliant("Circle B");
    carry(&a, &b);
    let there = b.ok(&["lottery", "verify", &id]);
    assert_eq!(there["valid"], false, "{there}");
}

#[test]
fn bad_draw_requests_are_refused_each_with_its_reason() {
    let a = Node::compliant("Circle A");
    a.ok(&["member", "add", "Red Fox"]);
    let before = a.ledger_json();
    let many: Vec<String> = (0..65).map(|i| format!("c{i}")).collect();
    let mut too_many = vec!["lottery", "draw", "--seats", "1"];
    for m in &many {
        too_many.extend(["--from", m.as_str()]);
    }
    let long = "p".repeat(201);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["lottery", "draw", "--seats", "0", "--from", "a"],
            "at least one seat",
        ),
        (
            vec![
                "lottery", "draw", "--seats", "3", "--from", "a", "--from", "b",
            ],
            "3 seats but only 2 candidates",
        ),
        (
            vec![
                "lottery", "draw", "--seats", "1", "--from", "ana", "--from", "Ana",
            ],
            "named twice",
        ),
        (too_many, "at most 64"),
        (
            vec!["lottery", "draw", "--seats", "1", "--from", " "],
            "empty",
        ),
        (
            vec![
                "lottery", "draw", "--seats", "1", "--from", "Red Fox", "--from", "b",
            ],
            "member_alias",
        ),
        (
            vec![
                "lottery",
                "draw",
                "--seats",
                "1",
                "--from",
                "a",
                "--purpose",
                &long,
            ],
            "longer than 200",
        ),
        (vec!["lottery", "verify", "0123456789abcdef"], "no draw"),
        (vec!["lottery", "verify", "abc"], "no draw"),
    ];
    for (args, why) in cases {
        let err = a.fails(&args);
        assert!(err.contains(why), "{args:?}: {err}");
    }
    assert_eq!(a.ledger_json(), before, "a refused draw wrote nothing");
}

#[test]
fn the_chain_seed_stays_in_the_keys_directory() {
    let a = Node::compliant("Circle A");
    draw(&a, "1", &NAMES, "");
    let seeds: Vec<_> = std::fs::read_dir(a.path().join("keys"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seed"))
        .collect();
    assert_eq!(seeds.len(), 1, "{seeds:?}");
    let mode = std::fs::metadata(&seeds[0]).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let seed = std::fs::read(&seeds[0]).unwrap();
    let bundle = a.path().join("own.bundle");
    a.ok(&["export", "--format", "bundle", bundle.to_str().unwrap()]);
    let bytes = std::fs::read(bundle).unwrap();
    assert!(!bytes.windows(32).any(|w| w == seed.as_slice()));
    assert!(!String::from_utf8_lossy(&bytes).contains(&hex_of(&seed)));
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Two steward devices, each with its own key of a two-steward term: the draw on one
/// waits for the other's reveal, which its device writes when it imports the draw.
#[test]
fn a_draw_between_two_steward_devices_completes_with_the_other_reveal() {
    let a = Node::init("Two devices");
    a.ok(&["steward", "rotate", "--term-days", "30", "--stewards", "2"]);
    let b = Node::new();
    copy_dir(a.path(), b.path());
    let keys = |n: &Node, f: &str| n.path().join("keys").join(f);
    std::fs::remove_file(keys(&a, "steward-1-1.key")).unwrap();
    std::fs::remove_file(keys(&b, "steward-1-0.key")).unwrap();
    std::fs::rename(keys(&b, "steward-1-1.key"), keys(&b, "steward-1-0.key")).unwrap();
    let own = |n: &Node| {
        let p = n.path().join("own.bundle");
        n.ok(&["export", "--format", "bundle", p.to_str().unwrap()]);
        p
    };
    // b's device publishes its commitment; a learns it.
    assert_eq!(b.ok(&["lottery", "reveal"])["changes"], 1);
    a.ok(&["import", own(&b).to_str().unwrap()]);
    let d = draw(&a, "2", &NAMES, "facilitators");
    let id = draw_id(&d);
    assert_eq!(d["chosen"], Value::Null, "{d}");
    assert_eq!(d["waiting_for"].as_array().unwrap().len(), 1);
    assert_eq!(d["single_steward"], false);
    // b imports the draw and reveals; a imports the reveal.
    b.ok(&["import", own(&a).to_str().unwrap()]);
    let on_b = b.ok(&["lottery", "verify", &id]);
    assert_eq!(on_b["complete"], true, "{on_b}");
    a.ok(&["import", own(&b).to_str().unwrap()]);
    let on_a = a.ok(&["lottery", "verify", &id]);
    assert_eq!(on_a["valid"], true, "{on_a}");
    assert_eq!(on_a["chosen"], on_b["chosen"]);
    assert_eq!(on_a["chosen"].as_array().unwrap().len(), 2);
}
