//! Interop: the official JS Automerge loads our `.automerge` exports.

use std::fs;

use crate::util::{load_with_js, Node};

#[test]
fn js_automerge_loads_the_exported_ledger() {
    let n = Node::compliant("Interop circle");
    n.ok(&[
        "action",
        "log",
        "--title",
        "Picket at the depot",
        "--summary",
        "Two shifts",
    ]);
    let entry = n.ok(&[
        "fund",
        "add",
        "--amount",
        "42.10",
        "--currency",
        "GBP",
        "--memo",
        "Solidarity gig",
    ]);
    let body = n.path().join("body.md");
    let text = "Bring a flask.\nRotate every two hours.\nNever picket alone. ✊";
    fs::write(&body, text).unwrap();
    let t = n.ok(&[
        "tactic",
        "publish",
        "--title",
        "Warm pickets",
        "--body-file",
        body.to_str().unwrap(),
    ]);
    let file = n.path().join("ledger.automerge");
    n.ok(&["export", "--format", "automerge", file.to_str().unwrap()]);

    let js = load_with_js(&file);
    let doc = &js["doc"];
    assert_eq!(doc["circle"]["name"], "Interop circle");
    let titles: Vec<&str> = doc["actions"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|a| a["title"].as_str())
        .collect();
    assert_eq!(titles, ["Picket at the depot"]);
    let fund_entry = &doc["protocol"]["fund_ledger"][entry["entry_id"].as_str().unwrap()];
    assert_eq!(fund_entry["amount"], "42.10");
    assert_eq!(fund_entry["currency"], "GBP");
    let tactic = &doc["tactics"][t["tactic_id"].as_str().unwrap()];
    assert_eq!(tactic["body"], text);
    assert_eq!(tactic["license"], "CC-BY-SA-4.0");
    // Every change JS sees carries a day-rounded timestamp.
    for c in js["changes"].as_array().unwrap() {
        assert_eq!(c["time"].as_i64().unwrap() % 86_400, 0, "{c}");
    }
}
