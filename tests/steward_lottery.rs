//! Stewards drawn by lottery through the real binary: `steward propose --draw SEATS
//! --from CANDIDATE...` on three steward devices. The draw waits for the other
//! stewards' reveals, the proposal carries its transcript, the certificate names the
//! drawn and nobody else, and a follower verifies the draw on its own copy.

use serde_json::Value;

use crate::devices::{keys_held, term_of, three_stewards, volunteer, Devices};
use crate::federation::eventually;
use crate::util::{Node, Serving};

fn propose_draw(n: &Node, seats: &str, from: &[&str], threshold: &str) -> Value {
    let mut args = vec!["steward", "propose", "--draw", seats, "--from"];
    args.extend(from);
    args.extend(["--threshold", threshold]);
    n.ok(&args)
}

/// The steward keys of the current term that have a chain commitment in `n`'s ledger.
fn commitments(n: &Node) -> usize {
    let ledger = n.ledger_json();
    ledger["lottery"]["commits"]
        .as_object()
        .map_or(0, |m| m.len())
}

#[test]
fn stewards_drawn_by_lottery_across_three_devices_are_certified_and_verified_elsewhere() {
    let Devices {
        a,
        b,
        c,
        sa,
        sb,
        sc,
    } = three_stewards();
    // B and C commit to their hash chains when their devices sync (A commits when it
    // draws): the draw then counts all three, and its seed is unknown to A until B and
    // C reveal.
    eventually("A holds B's and C's commitments", || {
        (commitments(&a) >= 2).then_some(())
    });
    let (code_a, code_b, code_c) = (volunteer(&a), volunteer(&b), volunteer(&c));
    let from = [code_a.as_str(), code_b.as_str(), code_c.as_str()];
    let first = propose_draw(&a, "2", &from, "1");
    assert_eq!(first["state"], "drawing", "{first}");
    assert_eq!(first["proposal_id"], Value::Null, "{first}");
    assert_eq!(first["waiting_for"].as_array().unwrap().len(), 2, "{first}");
    let draw_id = first["draw_id"].as_str().unwrap().to_owned();
    // B and C reveal when they sync; A runs the same command again until it opens.
    let opened = eventually("the draw completes and the proposal opens", || {
        let p = propose_draw(&a, "2", &from, "1");
        (p["state"] == "open").then_some(p)
    });
    assert_eq!(opened["draw_id"], draw_id.as_str(), "{opened}");
    assert_eq!(
        (opened["signatures"].as_u64(), opened["needed"].as_u64()),
        (Some(1), Some(2))
    );
    assert!(
        opened.get("single_steward").is_none(),
        "three counted: {opened}"
    );
    let id = opened["proposal_id"].as_str().unwrap().to_owned();

    eventually("the proposal reaches B", || {
        let list = b.ok(&["steward", "proposals"]);
        list.as_array()
            .unwrap()
            .iter()
            .any(|p| p["proposal_id"] == id.as_str() && p["draw_id"] == draw_id.as_str())
            .then_some(())
    });
    let approved = b.ok(&["steward", "approve", &id[..12]]);
    assert_eq!(approved["term"], 2, "{approved}");

    // The draw, recomputed on C from its own ledger, chose exactly the term's stewards.
    let verified = c.ok(&["lottery", "verify", &draw_id]);
    assert_eq!(
        (verified["valid"].as_bool(), verified["complete"].as_bool()),
        (Some(true), Some(true)),
        "{verified}"
    );
    assert_eq!(
        verified["counted"].as_array().unwrap().len(),
        3,
        "{verified}"
    );
    let chosen: Vec<String> = verified["chosen"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(chosen.len(), 2);
    let devices = [(&a, &code_a, "A"), (&b, &code_b, "B"), (&c, &code_c, "C")];
    for (n, code, who) in devices {
        let drawn = chosen.contains(code);
        eventually(
            &format!("{who} is at term 2 holding {} key", u8::from(drawn)),
            || (term_of(n) == 2 && keys_held(n) == u64::from(drawn)).then_some(()),
        );
    }
    let stewards = a.ok(&["steward", "show"])["stewards"].clone();
    for code in &chosen {
        let named = stewards
            .as_array()
            .unwrap()
            .iter()
            .any(|k| code.starts_with(k.as_str().unwrap()));
        assert!(named, "{code} is a steward of term 2: {stewards}");
    }

    // A follower of the circle verifies the draw on its replica.
    let f = Node::compliant("Fir");
    let sf = Serving::start(&f, &[&sa], &[]);
    f.ok(&["follow", sa.invite()]);
    let circle = sa.circle_id().to_owned();
    let seen = eventually("the follower holds the draw", || {
        let out = f.run(&["--json", "lottery", "verify", &draw_id, "--circle", &circle]);
        let v: Value = serde_json::from_slice(&out.stdout).ok()?;
        (out.status.success() && v["valid"] == true).then_some(v)
    });
    assert_eq!(seen["chosen"], verified["chosen"]);
    for s in [sf, sc, sb, sa] {
        s.stop();
    }
}
