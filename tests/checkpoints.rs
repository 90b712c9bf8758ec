//! First sync by vouched snapshot through the real `circle` binary (docs/CHECKPOINTS.md):
//! a follower whose node runs with `CIRCLE_SNAPSHOT_SYNC=1` gets the whole ledger as one
//! verified document, and later signed changes still flow change by change.

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
    let mut serve_b = b.cmd();
    serve_b.env("CIRCLE_SNAPSHOT_SYNC", "1");
    let sb = Serving::start_with(serve_b, &[&sa], &[]);
    let r = b.ok(&["follow", sa.invite()]);
    assert_eq!(r["synced"], true, "{r}");
    assert_eq!(r["compliant"], true, "{r}");
    assert_eq!(r["changes"].as_u64(), Some(a_count), "{r}");
    assert_eq!(
        tactic_titles(&b, Some(&a_id)),
        vec!["Phone tree".to_owned()]
    );
    // It came vouched, as one document: no per-change signature is held for it.
    let signed = |n: &Node| {
        n.ok(&["status"])["following"].as_array().and_then(|f| {
            f.iter()
                .find(|x| x["circle_id"] == a_id.as_str())
                .and_then(|x| x["changes"].as_u64())
        })
    };
    assert_eq!(signed(&b), Some(0));

    // A later change comes signed, through the ordinary pull.
    publish_tactic(&a, "Banner drop");
    eventually("A's later tactic at B", || {
        tactic_titles(&b, Some(&a_id))
            .contains(&"Banner drop".to_owned())
            .then_some(())
    });
    assert_eq!(signed(&b), Some(1));
    sb.stop();
    sa.stop();
}
