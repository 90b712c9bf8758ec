//! Sister circles offline: bundles carried between nodes, verified end to end, the
//! protocol enforced, tactics forked with their lineage.

use crate::util::Node;

fn publish(n: &Node, title: &str, license: &str, tag: &str) -> String {
    let body = n.file("body.md", &format!("{title}: how we did it, step by step."));
    let t = n.ok(&[
        "tactic",
        "publish",
        "--title",
        title,
        "--body-file",
        body.to_str().unwrap(),
        "--license",
        license,
        "--tag",
        tag,
    ]);
    t["tactic_id"].as_str().unwrap().to_owned()
}

fn bundle_of(n: &Node, circle: Option<&str>) -> std::path::PathBuf {
    let out = n.path().join(format!("{}.bundle", circle.unwrap_or("own")));
    let mut args = vec!["export", "--format", "bundle"];
    if let Some(c) = circle {
        args.extend(["--circle", c]);
    }
    args.push(out.to_str().unwrap());
    n.ok(&args);
    out
}

#[test]
fn tactics_travel_fork_and_keep_their_lineage() {
    let a = Node::compliant("Circle A");
    let b = Node::compliant("Circle B");
    let c = Node::compliant("Circle C");
    let a_id = a.circle_id();
    let b_id = b.circle_id();
    let t = publish(&a, "Warm pickets", "CC-BY-SA-4.0", "picket");
    publish(&a, "Banner drops", "CC0-1.0", "visibility");

    let report = b.ok(&["import", bundle_of(&a, None).to_str().unwrap()]);
    assert_eq!(report["circle_id"], a_id.as_str());
    assert_eq!(report["rejected"], 0);
    assert_eq!(report["compliant"], true);
    let all = b.ok(&["tactics"]);
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert!(all
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["circle_id"] == a_id.as_str()));
    assert_eq!(
        b.ok(&["tactics", "--tag", "picket"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        b.ok(&["tactics", "--search", "BANNER"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        b.ok(&["tactics", "--from", &a_id])
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let fork = b.ok(&["tactic", "fork", &format!("{a_id}/{t}")]);
    let forked = fork["tactic_id"].as_str().unwrap().to_owned();
    assert_eq!(
        fork["license"], "CC-BY-SA-4.0",
        "a CC-BY-SA tactic stays CC-BY-SA"
    );
    let own = b.ok(&["tactics", "--from", &b_id]);
    assert_eq!(own[0]["derived_from"]["circle_id"], a_id.as_str());
    assert_eq!(own[0]["derived_from"]["tactic_id"], t.as_str());

    // C follows only B, yet sees where B's tactic came from.
    c.ok(&["import", bundle_of(&b, None).to_str().unwrap()]);
    let fork2 = c.ok(&["tactic", "fork", &format!("{b_id}/{forked}")]);
    let lineage = c.ok(&["tactic", "lineage", fork2["tactic_id"].as_str().unwrap()]);
    let chain: Vec<&str> = lineage["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["circle_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        chain,
        [c.circle_id().as_str(), b_id.as_str(), a_id.as_str()]
    );
    assert_eq!(lineage["chain"][1]["circle_name"], "Circle B");
    assert_eq!(lineage["license"], "CC-BY-SA-4.0");
}

#[test]
fn a_circles_ledger_travels_through_a_sister_and_still_verifies() {
    let a = Node::compliant("Circle A");
    let b = Node::compliant("Circle B");
    let c = Node::compliant("Circle C");
    publish(&a, "Phone tree", "CC-BY-4.0", "defense");
    a.ok(&["steward", "rotate", "--term-days", "14"]);
    a.ok(&["pledge", "sign", "--text", "Term one answers too."]);
    b.ok(&["import", bundle_of(&a, None).to_str().unwrap()]);
    // A is gone; C gets A's ledger from B and verifies it end to end.
    let a_id = a.circle_id();
    drop(a);
    let via_b = bundle_of(&b, Some(&a_id));
    let r = c.ok(&["import", via_b.to_str().unwrap()]);
    assert_eq!(r["rejected"], 0);
    assert_eq!(r["compliant"], true);
    assert_eq!(c.ok(&["protocol", "status", &a_id])["compliant"], true);
    assert_eq!(
        c.ok(&["tactics", "--from", &a_id])[0]["title"],
        "Phone tree"
    );
    let status = c.ok(&["status"]);
    assert_eq!(status["following"][0]["circle_id"], a_id.as_str());
    assert_eq!(status["following"][0]["term"], 1);
}

#[test]
fn a_circle_without_a_fund_is_not_listed_and_says_why() {
    let b = Node::compliant("Circle B");
    let d = Node::init("Fundless circle");
    d.ok(&["pledge", "sign", "--text", "We pledge."]);
    publish(&d, "Secret tactic", "CC0-1.0", "x");
    let r = b.ok(&["import", bundle_of(&d, None).to_str().unwrap()]);
    assert_eq!(r["compliant"], false);
    let d_id = d.circle_id();
    assert!(b.ok(&["tactics"]).as_array().unwrap().is_empty());
    let err = b.fails(&["tactics", "--from", &d_id]);
    assert!(err.contains("protocol"), "{err}");
    let status = b.ok(&["protocol", "status", &d_id]);
    assert_eq!(status["compliant"], false);
    assert_eq!(status["items"]["mutual_aid_fund"]["ok"], false);
    assert!(b
        .fails(&["tactic", "fork", &format!("{d_id}/whatever")])
        .contains("protocol"));
    // Once the circle declares a fund, its content shows again.
    d.ok(&["fund", "declare", "--description", "At last"]);
    b.ok(&["import", bundle_of(&d, None).to_str().unwrap()]);
    assert_eq!(b.ok(&["tactics"]).as_array().unwrap().len(), 1);
}

#[test]
fn a_tampered_bundle_changes_nothing_it_cannot_prove() {
    let a = Node::compliant("Circle A");
    let b = Node::compliant("Circle B");
    publish(&a, "Honest title", "CC0-1.0", "x");
    let path = bundle_of(&a, None);
    let mut bytes = std::fs::read(&path).unwrap();
    let pos = bytes
        .windows(12)
        .position(|w| w == b"Honest title")
        .unwrap();
    bytes[pos..pos + 12].copy_from_slice(b"Forged title");
    std::fs::write(&path, &bytes).unwrap();
    let r = b.ok(&["import", path.to_str().unwrap()]);
    assert!(r["rejected"].as_u64().unwrap() >= 1, "{r}");
    let listed = b.ok(&["tactics"]).to_string();
    assert!(!listed.contains("Forged"), "{listed}");
    // Garbage is refused outright with one line.
    let junk = b.file("junk.bundle", "not a bundle at all");
    assert!(b
        .fails(&["import", junk.to_str().unwrap()])
        .contains("bundle"));
}
