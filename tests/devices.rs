//! Devices of one circle (`circle join`), end to end through the real binary on
//! 127.0.0.1: a joined device holds the circle as its own, keeps in sync with the
//! device it joined, and reads only until it holds a steward key.

use serde_json::Value;

use crate::federation::{eventually, publish_tactic, tactic_titles};
use crate::util::{Node, Serving};

#[test]
fn a_joined_device_holds_the_circle_syncs_it_and_reads_only() {
    let a = Node::compliant("Alder");
    publish_tactic(&a, "Phone tree");
    let sa = Serving::start(&a, &[], &[]);
    let b = Node::new();
    let joined = b.ok(&["join", sa.invite()]);
    assert_eq!(joined["circle_id"], a_id(&sa), "{joined}");
    assert!(!joined["device"].as_str().unwrap().is_empty(), "{joined}");
    assert_eq!(joined["writes"], false, "{joined}");
    assert!(
        !b.path().join("joining").exists(),
        "the scratch node is cleared"
    );
    // Its own circle in every command: id, the ledger, the protocol's verdict.
    assert_eq!(b.circle_id(), sa.circle_id());
    assert_eq!(tactic_titles(&b, None), vec!["Phone tree".to_owned()]);
    assert_eq!(b.ok(&["protocol", "status"])["compliant"], true);
    // No steward key here: a write says so, and what to do.
    let err = b.fails(&["action", "log", "--title", "Picket", "--summary", "We held"]);
    assert!(err.contains("steward"), "{err}");
    // A second join into the same directory is refused.
    let again = b.fails(&["join", sa.invite()]);
    assert!(again.contains("already"), "{again}");
    // Serving, it stays in sync with the device it joined (a remembered peer).
    let sb = Serving::start(&b, &[], &[]);
    publish_tactic(&a, "Banner drop");
    eventually("the new tactic reaches the joined device", || {
        tactic_titles(&b, None)
            .contains(&"Banner drop".to_owned())
            .then_some(())
    });
    let status = b.ok(&["status"]);
    assert_eq!(status["circle_id"], sa.circle_id(), "{status}");
    sb.stop();
    sa.stop();
}

#[test]
fn a_join_that_reaches_no_device_leaves_the_directory_empty() {
    let a = Node::compliant("Alder");
    let sa = Serving::start(&a, &[], &[]);
    let invite = sa.invite().to_owned();
    sa.stop();
    let b = Node::new();
    let err = b.fails(&["join", &invite]);
    assert!(err.contains("no device"), "{err}");
    assert!(!b.path().join("store").join("db").exists(), "nothing kept");
    assert!(
        !b.path().join("joining").exists(),
        "the scratch node is cleared"
    );
    // Bad invites are refused before anything is made.
    for bad in ["circle:zz", "not an invite", &invite[..invite.len() / 2]] {
        let out = b.run(&["join", bad]);
        assert!(!out.status.success(), "{bad}");
    }
    // Then, the device back up, the same directory joins.
    let sa = Serving::start(&a, &[], &[]);
    let joined: Value = b.ok(&["join", sa.invite()]);
    assert_eq!(joined["circle_id"], a.circle_id(), "{joined}");
    sa.stop();
}

fn a_id(s: &Serving) -> Value {
    Value::String(s.circle_id().to_owned())
}
