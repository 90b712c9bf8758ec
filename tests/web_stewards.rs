//! The page's API for stewards on their own devices (`/api/steward/…`): each route does
//! what its CLI command does, and refuses bad requests as JSON with its own status.

use serde_json::json;

use crate::util::{Node, Serving};
use crate::web::{get, post, Web};

#[test]
fn the_steward_api_volunteers_proposes_approves_and_refuses_as_the_cli_does() {
    let a = Node::compliant("Alder");
    let s = Serving::start(&a, &[], &[]);
    let web = &Web::of(&a, &s);
    // Volunteer: a candidate code, nothing secret.
    let v = post(web, "/api/steward/volunteer", json!({}))
        .expect(201)
        .json();
    let code = v["candidate"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 64 + 1 + 8, "{v}");
    assert_eq!(v.as_object().unwrap().len(), 1, "only the code: {v}");
    // Refusals, each with its status: threshold 0 or above n, no steward, a bad code.
    for (body, status) in [
        (json!({ "stewards": ["self"], "threshold": 0 }), 400),
        (json!({ "stewards": ["self"], "threshold": 2 }), 400),
        (json!({ "stewards": [] }), 400),
        (json!({ "stewards": ["deadbeef"] }), 400),
        (json!({ "stewards": ["self"], "surprise": 1 }), 400),
    ] {
        let r = post(web, "/api/steward/proposals", body.clone())
            .expect(status)
            .json();
        assert!(
            r["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{body}: {r}"
        );
    }
    assert!(get(web, "/api/steward/proposals")
        .expect(200)
        .json()
        .as_array()
        .unwrap()
        .is_empty());
    // Term 1 of two keys, threshold 2: certified at once by this device's one key.
    let p = post(
        web,
        "/api/steward/proposals",
        json!({ "stewards": ["self", code], "threshold": 2 }),
    )
    .expect(201)
    .json();
    assert_eq!(p["term"], 1, "{p}");
    let show = get(web, "/api/steward").expect(200).json();
    assert_eq!(
        (show["term"].as_u64(), show["keys_held_here"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(show, a.ok(&["steward", "show"]), "API and CLI differ");
    // Two of two: revoking one key leaves too few to certify, refused with its reason.
    let key = show["stewards"][1].as_str().unwrap().to_owned();
    let revoke = json!({ "key": key, "reason": "phone seized" });
    let r = post(web, "/api/steward/revoke", revoke.clone())
        .expect(409)
        .json();
    assert!(
        r["error"]
            .as_str()
            .unwrap()
            .contains("fewer than the threshold"),
        "{r}"
    );
    // Term 2: one of two may certify; then a revocation of the second key certifies at
    // once with this device's other key.
    let code = post(web, "/api/steward/volunteer", json!({}))
        .expect(201)
        .json()["candidate"]
        .as_str()
        .unwrap()
        .to_owned();
    let p = post(
        web,
        "/api/steward/proposals",
        json!({ "stewards": ["self", code], "threshold": 1 }),
    )
    .expect(201)
    .json();
    assert_eq!(p["term"], 2, "{p}");
    let listed = get(web, "/api/steward/proposals").expect(200).json();
    assert_eq!(
        listed,
        a.ok(&["steward", "proposals"]),
        "API and CLI differ"
    );
    let show = get(web, "/api/steward").expect(200).json();
    let key = show["stewards"][1].as_str().unwrap().to_owned();
    let r = post(
        web,
        "/api/steward/revoke",
        json!({ "key": key, "reason": "phone seized" }),
    )
    .expect(201)
    .json();
    assert_eq!(r["term"], 3, "{r}");
    // A draw by lot through the API, verified by the API as `lottery verify` does.
    let bad = json!({ "seats": 0, "from": ["north table", "south table"] });
    post(web, "/api/lottery/draws", bad).expect(400);
    let d = post(
        web,
        "/api/lottery/draws",
        json!({ "seats": 1, "from": ["north table", "south table"], "purpose": "facilitators" }),
    )
    .expect(201)
    .json();
    let id = d["draw_id"].as_str().unwrap().to_owned();
    let v = get(web, &format!("/api/lottery/draws/{id}"))
        .expect(200)
        .json();
    assert_eq!(
        (v["valid"].as_bool(), &v["chosen"]),
        (Some(true), &d["chosen"]),
        "{v}"
    );
    assert_eq!(v, a.ok(&["lottery", "verify", &id]), "API and CLI differ");
    // Unknown proposals and bad revocations are refused.
    let missing = post(
        web,
        "/api/steward/proposals/0123456789abcdef/approve",
        json!({}),
    );
    assert!(missing.expect(404).json()["error"].as_str().is_some());
    let unknown = json!({ "key": "00".repeat(32), "reason": "lost" });
    post(web, "/api/steward/revoke", unknown).expect(400);

    // Term 4 drawn by lottery among two candidates: every counted steward is here, so
    // the draw completes and this device's keys certify at once.
    let codes: Vec<String> = (0..2)
        .map(|_| {
            post(web, "/api/steward/volunteer", json!({}))
                .expect(201)
                .json()["candidate"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    for bad in [
        json!({ "draw": 3, "from": codes }),
        json!({ "draw": 1, "from": codes, "stewards": ["self"] }),
        json!({ "draw": 1, "from": ["self", codes[0]] }),
        json!({ "from": codes }),
    ] {
        let r = post(web, "/api/steward/proposals", bad.clone())
            .expect(400)
            .json();
        assert!(
            r["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{bad}: {r}"
        );
    }
    let p = post(
        web,
        "/api/steward/proposals",
        json!({ "draw": 1, "from": codes, "threshold": 1 }),
    )
    .expect(201)
    .json();
    assert_eq!(p["term"], 4, "{p}");
    assert_eq!(
        p["single_steward"], true,
        "one counted steward is said: {p}"
    );
    let draw = p["draw_id"].as_str().unwrap().to_owned();
    let v = get(web, &format!("/api/lottery/draws/{draw}"))
        .expect(200)
        .json();
    assert_eq!(v["valid"], true, "{v}");
    let chosen = v["chosen"][0].as_str().unwrap().to_owned();
    let show = get(web, "/api/steward").expect(200).json();
    assert_eq!(show["stewards"].as_array().unwrap().len(), 1, "{show}");
    assert!(
        chosen.starts_with(show["stewards"][0].as_str().unwrap()),
        "{chosen} {show}"
    );
    s.stop();
}
