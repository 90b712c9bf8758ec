//! First sync by vouched snapshot through the real `circle` binary (docs/CHECKPOINTS.md):
//! a follower gets the whole ledger as one verified document (the default; a node run
//! with `CIRCLE_SNAPSHOT_SYNC=0` syncs change by change), and later signed changes
//! still flow change by change.

use crate::federation::{eventually, publish_tactic, tactic_titles};
use crate::util::{Node, Serving};

#[test]
fn a_first_sync_by_snapshot_gets_everything_and_later_signed_changes_flow() {
    let a = Node::compliant("Alder");
    let lines: String = (0..500)
        .map(|i| format!("{{\"title\":\"action {i}\",\"summary\":\"done\"}}\n"))
        .collect();
    let file = a.file("actions.jsonl", &lines);
    a.ok(&["action", "import", "--file", file.to_str().unwrap()]);
    publish_tactic(&a, "Phone tree");
    let a_count = a.ok(&["status"])["changes"].as_u64().unwrap();
    let sa = Serving::start(&a, &[], &[]);
    let a_id = sa.info["circle_id"].as_str().unwrap().to_owned();

    let b = Node::compliant("Birch");
    let sb = Serving::start(&b, &[&sa], &[]);
    let r = b.ok(&["follow", sa.invite()]);
    assert_eq!(r["synced"], true, "{r}");
    assert_eq!(r["compliant"], true, "{r}");
    assert_eq!(r["changes"].as_u64(), Some(a_count), "{r}");
    assert_eq!(
        tactic_titles(&b, Some(&a_id)),
        vec!["Phone tree".to_owned()]
    );
    // It came vouched, as one document: every change is counted, all of them vouched
    // for by the snapshot's checkpoint, none with a signature of its own.
    let counts = |n: &Node| {
        n.ok(&["status"])["following"].as_array().and_then(|f| {
            f.iter()
                .find(|x| x["circle_id"] == a_id.as_str())
                .map(|x| (x["changes"].as_u64(), x["vouched"].as_u64()))
        })
    };
    assert_eq!(counts(&b), Some((Some(a_count), Some(a_count))));

    // A later change comes signed, through the ordinary pull.
    publish_tactic(&a, "Banner drop");
    eventually("A's later tactic at B", || {
        tactic_titles(&b, Some(&a_id))
            .contains(&"Banner drop".to_owned())
            .then_some(())
    });
    assert_eq!(counts(&b), Some((Some(a_count + 1), Some(a_count))));
    sb.stop();
    sa.stop();
}
