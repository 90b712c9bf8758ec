//! The node's web page and JSON API, end to end: real `circle serve` processes with
//! `--http 127.0.0.1:0`, the API driven over plain HTTP/1.1 on a `TcpStream`, and the
//! page driven in Debian's headless Chromium by `tests/js/web.mjs` (playwright-core).
//! Every wait is bounded; nothing leaves loopback (mDNS off, 127.0.0.1 everywhere).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};

use crate::util::{js_dir, wait_exit, Node, Serving};

/// Upper bound for anything to happen on a loaded 2-core machine.
const WAIT: Duration = Duration::from_secs(60);

// ---- a small HTTP/1.1 client ------------------------------------------------------------

pub(crate) struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// Asserts the status, and that an error is `{ "error": "..." }` JSON.
    pub(crate) fn expect(self, status: u16) -> Response {
        assert_eq!(self.status, status, "{}", self.text());
        if status >= 400 && self.header("content-type") == Some("application/json") {
            let e = self.json();
            assert!(
                e["error"].as_str().is_some_and(|m| !m.is_empty()),
                "error without a message: {e}"
            );
        }
        self
    }
}

/// A node's page: its address, and the bearer token requests carry (if any).
pub(crate) struct Web {
    base: String,
    bearer: Option<String>,
}

impl Web {
    /// The page of a running node, with the token `circle token` prints for it.
    pub(crate) fn of(n: &Node, s: &Serving) -> Web {
        let t = n.ok(&["token"]);
        Web {
            base: s.http().to_owned(),
            bearer: Some(format!("Bearer {}", t["token"].as_str().unwrap())),
        }
    }

    /// The page, without credentials (each request gives its own).
    fn anonymous(s: &Serving) -> Web {
        Web {
            base: s.http().to_owned(),
            bearer: None,
        }
    }

    fn host(&self) -> &str {
        self.base.trim_start_matches("http://")
    }
}

/// One request on a fresh connection, with the page's bearer token unless `headers`
/// give an `Authorization`. `headers` may override Host.
fn request(web: &Web, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
    let addr = web.host().to_owned();
    let mut stream = TcpStream::connect(&addr).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    stream.set_write_timeout(Some(WAIT)).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        head += &format!("Host: {addr}\r\n");
    }
    for (k, v) in headers {
        head += &format!("{k}: {v}\r\n");
    }
    if let Some(bearer) = &web.bearer {
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        {
            head += &format!("Authorization: {bearer}\r\n");
        }
    }
    if !body.is_empty() || method != "GET" {
        head += &format!("Content-Length: {}\r\n", body.len());
    }
    head += "\r\n";
    stream.write_all(head.as_bytes()).unwrap();
    // The body goes from another thread: a server may answer (413) before reading it.
    let mut writer = stream.try_clone().unwrap();
    let body = body.to_vec();
    let sending = std::thread::spawn(move || {
        let _ = writer.write_all(&body);
    });
    let mut raw = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            // A reset after a complete answer (a refused body left unread) is fine.
            Err(e) if !raw.is_empty() && e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("{method} {path}: {e}"),
        }
    }
    let _ = sending.join();
    parse(&raw).unwrap_or_else(|| panic!("{method} {path}: unreadable answer {raw:?}"))
}

fn parse(raw: &[u8]) -> Option<Response> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body)?;
    }
    Some(Response {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

const JSON: (&str, &str) = ("Content-Type", "application/json");

pub(crate) fn get(web: &Web, path: &str) -> Response {
    request(web, "GET", path, &[], b"")
}

pub(crate) fn post(web: &Web, path: &str, body: Value) -> Response {
    request(web, "POST", path, &[JSON], body.to_string().as_bytes())
}

// ---- the API ------------------------------------------------------------------------------

#[test]
fn the_api_does_what_the_cli_does_and_refuses_bad_requests_as_json() {
    let n = Node::compliant("Alder");
    let s = Serving::start(&n, &[], &[]);
    let base = &Web::of(&n, &s);
    let own = s.circle_id().to_owned();

    let status = get(base, "/api/status").expect(200).json();
    assert_eq!(status["circle_id"], own.as_str());
    assert_eq!(status["serving"], true);
    assert_eq!(status["compliance"]["compliant"], true);
    assert!(status["following"].as_array().unwrap().is_empty());
    let peers = get(base, "/api/peers").expect(200).json();
    assert!(peers["peers"].is_array() && peers["addrs"].is_array());
    assert!(get(base, "/api/following").expect(200).json().is_array());

    // Actions: the API and the CLI (through the node's socket) see the same ledger.
    let id = post(
        base,
        "/api/actions",
        json!({ "title": "Rent strike meeting", "summary": "Forty came.", "tags": ["rent"] }),
    )
    .expect(201)
    .json()["entry_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let listed = get(base, "/api/actions").expect(200).json();
    assert_eq!(listed, n.ok(&["actions"]), "API and --json differ");
    assert_eq!(listed[0]["entry_id"], id.as_str());
    assert_eq!(listed[0]["tags"], json!(["rent"]));

    // Fund and pledge.
    let entry = post(
        base,
        "/api/fund/entries",
        json!({ "amount": "12.50", "currency": "EUR", "memo": "Solidarity dinner" }),
    )
    .expect(201)
    .json();
    assert_eq!(entry["kind"], "contribution");
    let fund = get(base, "/api/fund").expect(200).json();
    assert_eq!(fund["balances"]["EUR"], "12.50");
    post(
        base,
        "/api/fund/entries",
        json!({ "amount": "lots", "currency": "EUR", "memo": "x" }),
    )
    .expect(400);
    post(base, "/api/fund/declare", json!({ "description": "" })).expect(400);
    post(
        base,
        "/api/pledge",
        json!({ "text": "We answer every call." }),
    )
    .expect(200);

    // Protocol status: own, unknown sister, malformed id.
    let p = get(base, "/api/protocol").expect(200).json();
    assert_eq!(p["compliant"], true);
    for item in ["mutual_aid_fund", "rapid_defense_pledge", "open_tactics"] {
        assert_eq!(p["items"][item]["ok"], true, "{p}");
    }
    get(base, &format!("/api/protocol/{}", "0".repeat(64))).expect(404);
    get(base, "/api/protocol/not-a-circle").expect(400);

    // Tactics: publish from text, filter, show, lineage; unknown ids.
    let t = post(
        base,
        "/api/tactics",
        json!({ "title": "Phone tree", "body": "Each person calls three others.", "tags": ["defense"] }),
    )
    .expect(201)
    .json();
    let tactic = t["tactic_id"].as_str().unwrap();
    assert_eq!(t["license"], "CC-BY-SA-4.0");
    post(
        base,
        "/api/tactics",
        json!({ "title": "Closed", "body": "x", "license": "all rights reserved" }),
    )
    .expect(400);
    let all = get(base, "/api/tactics").expect(200).json();
    assert_eq!(all.as_array().unwrap().len(), 1);
    assert_eq!(
        get(base, "/api/tactics?search=CALLS%20three&tag=defense")
            .expect(200)
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(get(base, "/api/tactics?tag=other")
        .expect(200)
        .json()
        .as_array()
        .unwrap()
        .is_empty());
    let shown = get(base, &format!("/api/tactics/{own}/{tactic}"))
        .expect(200)
        .json();
    assert_eq!(shown["body"], "Each person calls three others.");
    get(base, &format!("/api/tactics/{own}/{tactic}/lineage")).expect(200);
    get(base, &format!("/api/tactics/{own}/nope")).expect(404);
    get(base, &format!("/api/tactics/{}/x", "ab".repeat(32))).expect(404);
    // Forking one's own tactic is refused, as on the command line.
    request(
        base,
        "POST",
        &format!("/api/tactics/{own}/{tactic}/fork"),
        &[JSON],
        b"{}",
    )
    .expect(400);

    // Zines: findings with byte offsets; refused with findings (422); redacted; exported.
    let draft = "Dawn came — the café rota: call 0612 345 678 for shifts.\n\n## What worked\nSoup.";
    let check = post(
        base,
        "/api/zines/check",
        json!({ "text": draft, "title": "The long night" }),
    )
    .expect(200)
    .json();
    let phone = check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "phone")
        .unwrap_or_else(|| panic!("no phone finding: {check}"));
    let (start, end) = (
        phone["start"].as_u64().unwrap() as usize,
        phone["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(&draft[start..end], "0612 345 678");
    assert!(check["title_findings"].as_array().unwrap().is_empty());
    let refused = post(
        base,
        "/api/zines",
        json!({ "title": "The long night", "text": draft }),
    )
    .expect(422)
    .json();
    assert!(refused["error"].as_str().unwrap().contains("not published"));
    assert_eq!(refused["findings"], check["findings"]);
    assert!(get(base, "/api/zines")
        .expect(200)
        .json()
        .as_array()
        .unwrap()
        .is_empty());
    let published = post(
        base,
        "/api/zines",
        json!({ "title": "The long night", "text": draft, "redact": true }),
    )
    .expect(201)
    .json();
    assert!(published["redacted"].as_u64().unwrap() >= 1);
    let zine = published["zine_id"].as_str().unwrap();
    let zines = get(base, "/api/zines").expect(200).json();
    assert_eq!(zines, n.ok(&["zines"]), "API and --json differ");
    let body = zines[0]["body"].as_str().unwrap();
    assert!(
        body.contains("[REDACTED:phone]") && !body.contains("0612"),
        "{body}"
    );
    let md = get(
        base,
        &format!("/api/zines/{own}/{zine}/export?format=markdown"),
    )
    .expect(200);
    assert!(md
        .header("content-type")
        .unwrap()
        .starts_with("text/markdown"));
    assert!(md.text().starts_with("# The long night"), "{}", md.text());
    let html = get(base, &format!("/api/zines/{own}/{zine}/export?format=html")).expect(200);
    assert!(html
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(html
        .header("content-security-policy")
        .unwrap()
        .contains("default-src 'none'"));
    assert!(html.text().contains("size: A5"));
    let booklet = get(
        base,
        &format!("/api/zines/{own}/{zine}/export?format=booklet"),
    )
    .expect(200);
    assert!(booklet.text().contains("size: A4 landscape"));
    assert!(
        booklet.text().contains("data-pages=\"4\""),
        "{}",
        booklet.text()
    );
    get(base, &format!("/api/zines/{own}/nope/export?format=html")).expect(404);
    get(base, &format!("/api/zines/{own}/{zine}/export?format=pdf")).expect(400);

    // Task map: add, claim, close with a note; conflicts and unknown ids.
    let task = post(base, "/api/tasks", json!({ "title": "Print flyers" }))
        .expect(201)
        .json()["task_id"]
        .as_str()
        .unwrap()
        .to_owned();
    post(
        base,
        &format!("/api/tasks/{task}/claim"),
        json!({ "by": "the print crew" }),
    )
    .expect(200);
    let open = get(base, "/api/tasks?open=true").expect(200).json();
    assert_eq!(open[0]["status"], "claimed");
    assert_eq!(open[0]["claimed_by"], "the print crew");
    post(
        base,
        &format!("/api/tasks/{task}/close"),
        json!({ "note": " " }),
    )
    .expect(400);
    post(
        base,
        &format!("/api/tasks/{task}/close"),
        json!({ "note": "Done; the copy shop gave us a discount." }),
    )
    .expect(200);
    post(
        base,
        &format!("/api/tasks/{task}/close"),
        json!({ "note": "again" }),
    )
    .expect(409);
    post(base, &format!("/api/tasks/{task}/claim"), json!({})).expect(409);
    post(base, "/api/tasks/nope/claim", json!({})).expect(404);
    assert!(get(base, "/api/tasks?open=true")
        .expect(200)
        .json()
        .as_array()
        .unwrap()
        .is_empty());

    // Invite, QR code, steward term, exports, alerts.
    let invite = get(base, "/api/invite").expect(200).json();
    assert!(invite["invite"].as_str().unwrap().starts_with("circle:"));
    let qr = get(base, "/api/invite.svg").expect(200);
    assert_eq!(qr.header("content-type"), Some("image/svg+xml"));
    assert!(qr.text().contains("<svg"));
    assert_eq!(get(base, "/api/steward").expect(200).json()["term"], 0);
    let exported = get(base, "/api/export?format=json").expect(200).json();
    assert!(exported.is_object());
    let doc = get(base, "/api/export?format=automerge").expect(200);
    assert!(doc.body.len() > 100);
    get(base, "/api/export?format=xml").expect(400);
    assert!(get(base, "/api/alerts").expect(200).json().is_array());
    // Alone on the network, an alert has no one to go to: kept here, and the node says so.
    let alone = post(base, "/api/alerts", json!({ "text": "Eviction at 8" }));
    assert!(
        alone.status == 201 && alone.json()["delivered"] == false,
        "{} {}",
        alone.status,
        alone.text()
    );

    // The steward term from the page: a bad length is refused; the next term voids the
    // pledge, which must be signed again.
    post(base, "/api/steward/rotate", json!({ "term_days": 0 })).expect(400);
    let rotated = post(base, "/api/steward/rotate", json!({}))
        .expect(200)
        .json();
    assert_eq!(rotated["term"], 1, "{rotated}");
    assert_eq!(n.ok(&["steward", "show"])["term"], 1);
    let p = get(base, "/api/protocol").expect(200).json();
    assert_eq!(p["items"]["rapid_defense_pledge"]["ok"], false, "{p}");

    // The private lexicon: kept on this node, used by the anonymiser, never published.
    post(base, "/api/lexicon/members", json!({ "word": "Marisol" })).expect(201);
    assert_eq!(
        get(base, "/api/lexicon/members").expect(200).json()["entries"],
        json!(["Marisol"])
    );
    let found = post(
        base,
        "/api/zines/check",
        json!({ "text": "Marisol brought soup" }),
    );
    assert_eq!(
        found.expect(200).json()["findings"][0]["kind"],
        "member_alias"
    );
    request(base, "DELETE", "/api/lexicon/members/Marisol", &[JSON], b"").expect(200);
    assert_eq!(
        get(base, "/api/lexicon/members").expect(200).json()["entries"],
        json!([])
    );
    get(base, "/api/lexicon/nope").expect(404);

    // Bad requests: each a JSON error with its own status.
    post(base, "/api/tasks", json!({ "titel": "typo" })).expect(400);
    request(base, "POST", "/api/tasks", &[JSON], b"{\"title\":").expect(400);
    request(
        base,
        "POST",
        "/api/tasks",
        &[("Content-Type", "text/plain")],
        b"{\"title\":\"x\"}",
    )
    .expect(415);
    // A form on another website cannot write, even on loopback.
    request(
        base,
        "POST",
        "/api/tasks",
        &[JSON, ("Origin", "https://example.org")],
        b"{\"title\":\"x\"}",
    )
    .expect(403);
    request(
        base,
        "POST",
        "/api/tasks",
        &[JSON, ("Sec-Fetch-Site", "cross-site")],
        b"{\"title\":\"x\"}",
    )
    .expect(403);
    // A rebound DNS name pointing at 127.0.0.1 is not this page.
    request(
        base,
        "GET",
        "/api/status",
        &[("Host", "attacker.example")],
        b"",
    )
    .expect(403);
    let big = json!({ "title": "x".repeat(2 * 1024 * 1024) }).to_string();
    let too_big = request(base, "POST", "/api/tasks", &[JSON], big.as_bytes()).expect(413);
    assert!(too_big.json()["error"].as_str().unwrap().contains("larger"));
    get(base, "/api/nothing-here").expect(404);
    request(base, "DELETE", "/api/status", &[JSON], b"").expect(405);
    // None of the refused writes reached the ledger.
    let tasks = get(base, "/api/tasks").expect(200).json();
    assert_eq!(tasks.as_array().unwrap().len(), 1, "{tasks}");

    // The page and its assets: served from the binary, with a strict policy.
    let page = get(base, "/").expect(200);
    assert!(page.text().contains("<h1>Alder</h1>"));
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert!(get(base, "/assets/app.js")
        .expect(200)
        .text()
        .contains("EventSource"));
    get(base, "/assets/app.css").expect(200);

    // The live alert stream answers as server-sent events, and shutdown is not held up
    // by it.
    let mut stream = TcpStream::connect(base.host()).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let host = base.host();
    let bearer = base.bearer.as_deref().unwrap();
    write!(
        stream,
        "GET /api/alerts/stream HTTP/1.1\r\nHost: {host}\r\nAuthorization: {bearer}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    let mut head = [0u8; 512];
    let got = stream.read(&mut head).unwrap();
    let head = String::from_utf8_lossy(&head[..got]);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("text/event-stream"), "{head}");
    s.stop();
}

/// One refusal, one kind, one wording: a command refused by the ledger or the node reads
/// the same on the CLI (through the running node's socket) and in the API, and the API's
/// status is its kind's. Neither re-checks the rule: the ledger refuses a closed task,
/// the node an alert from a circle out of the protocol.
#[test]
fn a_refusal_reads_the_same_on_the_cli_and_the_api_with_the_status_of_its_kind() {
    let same = |cli: String, api: Response, status: u16| -> String {
        let api = api.expect(status).json();
        let words = api["error"].as_str().unwrap().to_owned();
        assert_eq!(
            cli.trim_end(),
            format!("error: {words}"),
            "CLI and API differ"
        );
        words
    };
    let n = Node::compliant("Alder");
    let s = Serving::start(&n, &[], &[]);
    let base = &Web::of(&n, &s);
    let task = n.ok(&["task", "add", "--title", "Print leaflets"])["task_id"]
        .as_str()
        .unwrap()
        .to_owned();
    n.ok(&["task", "close", &task, "--note", "Printed 500."]);
    // A closed task, closed again (conflict: 409), by the CLI and by the API.
    let cli = n.fails(&["task", "close", &task, "--note", "again"]);
    let api = post(
        base,
        &format!("/api/tasks/{task}/close"),
        json!({ "note": "again" }),
    );
    let words = same(cli, api, 409);
    assert_eq!(words, format!("task {task} is already closed"));
    // Claimed once closed: the same rule, the same words.
    let cli = n.fails(&["task", "claim", &task]);
    let api = post(base, &format!("/api/tasks/{task}/claim"), json!({}));
    same(cli, api, 409);
    // A task that does not exist (not found: 404).
    let cli = n.fails(&["task", "close", "0123456789abcdef", "--note", "x"]);
    let api = post(
        base,
        "/api/tasks/0123456789abcdef/close",
        json!({ "note": "x" }),
    );
    assert!(same(cli, api, 404).contains("no task"));
    // A tactic of a circle this node does not know (not found: 404).
    let unknown = "ab".repeat(32);
    let cli = n.fails(&["tactic", "show", &format!("{unknown}/0123456789abcdef")]);
    let api = get(base, &format!("/api/tactics/{unknown}/0123456789abcdef"));
    same(cli, api, 404);
    // A retrospective, recorded by the API as by the CLI, refused with the same words.
    let cli = n.fails(&["retro", "add", "--title", "", "--notes", "x"]);
    let api = post(base, "/api/retros", json!({ "title": "", "notes": "x" }));
    same(cli, api, 400);
    let cli = n.fails(&[
        "retro",
        "add",
        "--title",
        "The print run",
        "--notes",
        "x",
        "--action",
        "0123456789abcdef",
    ]);
    let api = post(
        base,
        "/api/retros",
        json!({ "title": "The print run", "notes": "x", "action_id": "0123456789abcdef" }),
    );
    assert!(same(cli, api, 404).contains("no action"));
    let id = post(
        base,
        "/api/retros",
        json!({ "title": "The print run", "notes": "Order paper a week ahead." }),
    )
    .expect(201)
    .json()["entry_id"]
        .clone();
    assert_eq!(n.ok(&["retros"])[0]["retro_id"], id);
    // The bundle of a circle this node does not hold (not found: 404, not bad input).
    let file = n.path().join("unknown.bundle");
    let cli = n.fails(&[
        "export",
        "--format",
        "bundle",
        "--circle",
        &unknown,
        file.to_str().unwrap(),
    ]);
    let api = get(base, &format!("/api/export?format=bundle&circle={unknown}"));
    same(cli, api, 404);
    s.stop();

    // An alert from a circle that does not keep the protocol (not compliant: 409).
    let out = Node::init("Birch");
    let s = Serving::start(&out, &[], &[]);
    let base = &Web::of(&out, &s);
    let cli = out.fails(&["alert", "send", "--text", "Eviction at 8"]);
    let api = post(base, "/api/alerts", json!({ "text": "Eviction at 8" }));
    let words = same(cli, api, 409);
    assert!(
        words.starts_with("sister circles relay alerts only from circles that keep the protocol"),
        "{words}"
    );
    assert!(
        out.ok(&["alerts"]).as_array().unwrap().is_empty(),
        "no alert was kept"
    );
    s.stop();
}

#[test]
fn a_token_guards_every_request_and_an_exposed_address_needs_one() {
    let n = Node::init("Birch");
    // Other machines could reach these: refused without a token, in one line.
    let err = n.fails(&["serve", "--no-mdns", "--http", "0.0.0.0:0"]);
    assert!(err.contains("--token"), "{err}");
    let err = n.fails(&[
        "serve",
        "--no-mdns",
        "--http",
        "0.0.0.0:0",
        "--token",
        "short",
    ]);
    assert!(err.contains("16"), "{err}");

    let token = "correct-horse-battery-staple";
    let s = Serving::start(&n, &[], &["--token", token]);
    let base = &Web::anonymous(&s);
    let refused = get(base, "/api/status").expect(401);
    assert_eq!(refused.header("www-authenticate"), Some("Bearer"));
    request(
        base,
        "GET",
        "/api/status",
        &[("Authorization", "Bearer not-the-token-at-all")],
        b"",
    )
    .expect(401);
    let bearer = format!("Bearer {token}");
    let ok = request(
        base,
        "GET",
        "/api/status",
        &[("Authorization", &bearer)],
        b"",
    )
    .expect(200);
    assert_eq!(ok.json()["circle_id"], s.circle_id());
    // Writes too, and the token does not lift the same-origin rule.
    request(
        base,
        "POST",
        "/api/tasks",
        &[("Authorization", &bearer), JSON],
        b"{\"title\":\"Paint banner\"}",
    )
    .expect(201);
    request(
        base,
        "POST",
        "/api/tasks",
        &[
            JSON,
            ("Authorization", &bearer),
            ("Origin", "http://evil.example"),
        ],
        b"{\"title\":\"x\"}",
    )
    .expect(403);
    // The page: 401 without it; `?token=` once sets a strict, script-proof cookie.
    let page = get(base, "/").expect(401);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    get(base, "/?token=wrong-token-wrong-token").expect(401);
    let login = get(base, &format!("/?token={token}")).expect(200);
    let cookie = login.header("set-cookie").unwrap().to_owned();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    assert!(
        !login.text().contains(token),
        "the token must leave the page"
    );
    let pair = cookie.split(';').next().unwrap();
    let page = request(base, "GET", "/", &[("Cookie", pair)], b"").expect(200);
    assert!(page.text().contains("<h1>Birch</h1>"));
    request(base, "GET", "/api/tasks", &[("Cookie", pair)], b"").expect(200);
    s.stop();
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn loopback_needs_the_token_too_and_circle_token_gives_the_sign_in_link() {
    let n = Node::init("Cedar");
    let s = Serving::start(&n, &[], &[]);
    let anyone = &Web::anonymous(&s);
    // Any local account could reach these on loopback: none answers without the token.
    for path in [
        "/api/status",
        "/api/lexicon/members",
        "/api/export?format=json",
    ] {
        let r = get(anyone, path).expect(401);
        assert_eq!(r.header("www-authenticate"), Some("Bearer"), "{path}");
    }
    post(anyone, "/api/alerts", json!({ "text": "fake alert" })).expect(401);
    let page = get(anyone, "/").expect(401);
    assert!(page.text().contains("circle token"), "{}", page.text());

    // `circle token`, answered by the running node: the token and the sign-in link.
    let t = n.ok(&["token"]);
    let token = t["token"].as_str().unwrap().to_owned();
    let url = t["url"].as_str().unwrap().to_owned();
    assert_eq!(t["serving"], true);
    assert_eq!(url, format!("{}/?token={token}", s.http()));
    let kept = n.path().join("web-token");
    assert_eq!(std::fs::read_to_string(&kept).unwrap().trim(), token);
    assert_eq!(mode(&kept), 0o600);

    // The link signs a browser in: it sets the cookie, which then opens everything.
    let login = get(anyone, url.trim_start_matches(s.http())).expect(200);
    let cookie = login.header("set-cookie").unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let pair = cookie.split(';').next().unwrap();
    let members = request(
        anyone,
        "GET",
        "/api/lexicon/members",
        &[("Cookie", pair)],
        b"",
    );
    assert!(members.expect(200).json()["entries"].is_array());
    let page = request(anyone, "GET", "/", &[("Cookie", pair)], b"").expect(200);
    assert!(page.text().contains("<h1>Cedar</h1>"));
    // A rebound DNS name is refused even with the token.
    let bearer = format!("Bearer {token}");
    request(
        anyone,
        "GET",
        "/api/status",
        &[("Host", "attacker.example"), ("Authorization", &bearer)],
        b"",
    )
    .expect(403);
    s.stop();

    // Kept across restarts; offline, `circle token` reads the same one.
    let offline = n.ok(&["token"]);
    assert_eq!(offline["token"], token.as_str());
    assert_eq!(offline["serving"], false);
    let s = Serving::start(&n, &[], &[]);
    get(&Web::of(&n, &s), "/api/status").expect(200);
    assert!(get(&Web::of(&n, &s), "/api/status")
        .header("set-cookie")
        .is_none());
    assert_eq!(n.ok(&["token"])["token"], token.as_str());
    s.stop();
}

/// `circle` run with umask 022, as most accounts have it.
fn with_umask_022(data: &Path) -> std::process::Command {
    let mut c = std::process::Command::new("sh");
    c.args(["-c", "umask 022 && exec \"$0\" \"$@\"", crate::util::BIN])
        .arg("--data-dir")
        .arg(data)
        .env_remove("CIRCLE_DATA_DIR");
    c
}

#[test]
fn the_data_directory_token_and_temporary_files_are_private_under_umask_022() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("home/share/circle");
    let init = with_umask_022(&data)
        .args(["init", "--name", "Damson"])
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    assert_eq!(mode(&data), 0o700, "the data directory");
    // An export goes through a temporary file beside it: 0600 from the start.
    let out = root.path().join("circle.json");
    let export = with_umask_022(&data)
        .args(["export", "--format", "json"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    assert_eq!(mode(&out), 0o600, "the export's temporary file");

    // A data directory left open by an older version is closed before the socket is
    // bound in it and the token written.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let s = Serving::start_with(with_umask_022(&data), &[], &[]);
    assert_eq!(mode(&data), 0o700, "the data directory, before the socket");
    assert!(data.join("node.sock").exists());
    assert_eq!(mode(&data.join("web-token")), 0o600);
    s.stop();
}

#[test]
fn serve_on_a_terminal_prints_the_link_that_signs_a_browser_in() {
    let n = Node::init("Elder");
    let cmd = format!(
        "exec {} --data-dir {} serve --listen /ip4/127.0.0.1/tcp/0 --no-mdns --http 127.0.0.1:0",
        crate::util::BIN,
        n.path().display()
    );
    // `script` gives serve a terminal for its output.
    let mut child = std::process::Command::new("script")
        .args(["-qefc", &cmd, "/dev/null"])
        .env_remove("CIRCLE_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("script (util-linux) is needed");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout).lines().take(40) {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut link = None;
    let deadline = std::time::Instant::now() + WAIT;
    while link.is_none() {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let Ok(line) = rx.recv_timeout(left) else {
            break;
        };
        if let Some(at) = line.find("http://127.0.0.1:") {
            link = line[at..].split_whitespace().next().map(str::to_owned);
        }
    }
    let link = link.expect("serve printed no page address");
    assert!(link.contains("/?token="), "no sign-in link: {link}");
    let (base, path) = link.split_at(link.find("/?token=").unwrap());
    let web = Web {
        base: base.to_owned(),
        bearer: None,
    };
    let login = get(&web, path).expect(200);
    assert!(login
        .header("set-cookie")
        .unwrap()
        .starts_with("circle_token="));
    // Ctrl-C on its terminal stops the node cleanly.
    child.stdin.take().unwrap().write_all(b"\x03").unwrap();
    let status = wait_exit(&mut child, WAIT);
    if status.is_none() {
        let _ = child.kill();
    }
    assert!(
        status.is_some_and(|s| s.success()),
        "serve did not stop on Ctrl-C: {status:?}"
    );
}

// ---- the page in a real browser -------------------------------------------------------

#[test]
fn the_page_works_in_headless_chromium_with_a_live_alert_from_a_second_node() {
    // A starts out of the protocol, its steward term expired 19 days ago (all fixed in
    // the page); B is a compliant sister.
    let a = Node::new();
    let made = std::process::Command::new("faketime")
        .args(["-f", "-20d", crate::util::BIN, "--data-dir"])
        .arg(a.path())
        .args(["init", "--name", "Alder", "--term-days", "1"])
        .output()
        .expect("faketime is needed (.ci/test installs it)");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    assert_eq!(
        a.ok(&["protocol", "status"])["items"]["rapid_defense_pledge"]["ok"],
        false
    );
    let b = Node::compliant("Birch");
    let body = b.file(
        "tactic.md",
        "# Phone tree\n\nEach person calls three others.",
    );
    b.ok(&[
        "tactic",
        "publish",
        "--title",
        "Phone tree",
        "--body-file",
        body.to_str().unwrap(),
        "--tag",
        "defense",
    ]);
    let sa = Serving::start(&a, &[], &[]);
    let sb = Serving::start(&b, &[], &[]);
    let shots = tempfile::tempdir().unwrap();
    let cfg = json!({
        "a": sa.http(), "a_url": a.ok(&["token"])["url"], "b": sb.http(),
        "b_token": b.ok(&["token"])["token"], "b_invite": sb.info["invite"], "b_name": "Birch",
        "b_tactic": "Phone tree", "shots": shots.path(),
    });
    let js = js_dir();
    let mut child = std::process::Command::new("node")
        .arg(js.join("web.mjs"))
        .arg(cfg.to_string())
        .current_dir(&js)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node is needed for the web test");
    let status = wait_exit(&mut child, Duration::from_secs(300))
        .expect("the browser test did not finish in 300 s");
    let mut out = String::new();
    let mut err = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "web.mjs failed:\n{err}\n{out}");
    let report: Value = serde_json::from_str(out.trim())
        .unwrap_or_else(|e| panic!("web.mjs printed no report ({e}): {out}"));
    assert_eq!(report["ok"], true);

    // What the page did is in A's ledger, as the CLI sees it. The page's handover kept
    // evidence for one term: the actions and retrospectives it recorded (the page showed
    // them, web.mjs checked) are forgotten; zines and tactics, knowledge, stay.
    let actions = a.ok(&["actions"]);
    assert_eq!(
        actions.as_array().map(Vec::len),
        Some(0),
        "forgotten: {actions}"
    );
    let retros = a.ok(&["retros"]);
    assert_eq!(
        retros.as_array().map(Vec::len),
        Some(0),
        "forgotten: {retros}"
    );
    let status = a.ok(&["status"]);
    assert_eq!(
        (status["retain_terms"].as_u64(), status["epoch"].as_u64()),
        (Some(1), Some(2)),
        "{status}"
    );
    let zines = a.ok(&["zines", "--from", sa.circle_id()]);
    let zine = zines
        .as_array()
        .unwrap()
        .iter()
        .find(|z| z["title"] == "The long night")
        .unwrap_or_else(|| panic!("no zine in {zines}"))["body"]
        .as_str()
        .unwrap();
    assert!(zine.contains("[REDACTED:phone]"), "{zine}");
    let own = a.ok(&["tactics", "--from", sa.circle_id()]);
    let forked = own
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["title"] == "Phone tree")
        .unwrap_or_else(|| panic!("no fork in {own}"));
    assert_eq!(forked["derived_from"]["circle_id"], sb.circle_id());
    assert_eq!(a.ok(&["protocol", "status"])["compliant"], true);
    // The page started the new term (30 days, as typed in the form), proposed the next
    // one with a key volunteered on the page (certified at once, both keys here), then
    // drew the one steward of term 3 by lottery among two codes volunteered on it.
    let term = a.ok(&["steward", "show"]);
    assert_eq!(term["term"], 3, "{term}");
    assert_eq!(term["keys_held_here"], 1, "{term}");
    assert_eq!(term["captures_circle"], true, "{term}");
    assert_eq!(
        term["candidates"].as_array().unwrap().len(),
        1,
        "the undrawn: {term}"
    );
    let cert = a.ok(&["steward", "proposals"]);
    assert!(cert.as_array().unwrap().is_empty(), "{cert}");

    // The long zine, imposed for folding and printed to PDF by Chromium: one A4
    // landscape page per sheet side, the text in its pages, the heading as a heading.
    let n = report["imposed"]["pages"].as_u64().unwrap() as usize;
    let pdf = shots.path().join("booklet.pdf");
    let info = poppler("pdfinfo", &[pdf.to_str().unwrap()]);
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("{info}"));
    assert_eq!(
        pages,
        n / 2,
        "{n} booklet pages go on {} sheet sides",
        n / 2
    );
    // A4 landscape is 841.9 x 595.3 points (Chromium: 841.92 x 594.96).
    let size = info
        .lines()
        .find_map(|l| l.strip_prefix("Page size:"))
        .unwrap_or_else(|| panic!("{info}"));
    let wh: Vec<f64> = size
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert!(
        wh.len() >= 2 && (wh[0] - 841.9).abs() < 2.0 && (wh[1] - 595.3).abs() < 2.0,
        "not A4 landscape: {size}"
    );
    let text = poppler("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"]);
    assert!(text.contains("Supplies and kitchen"), "{text}");
    assert!(
        !text.contains("# Supplies") && !text.contains("**"),
        "Markdown left raw: {text}"
    );
    // The first side: the back cover (colophon) on the left, the cover on the right.
    let first = poppler(
        "pdftotext",
        &["-f", "1", "-l", "1", "-layout", pdf.to_str().unwrap(), "-"],
    );
    let colophon = first
        .find("Copy, adapt, share")
        .unwrap_or_else(|| panic!("{first}"));
    let line_start = first[..colophon].rfind('\n').map_or(0, |i| i + 1);
    assert!(
        colophon - line_start < 40,
        "the back cover is not on the left: {first}"
    );
    assert!(first.contains("Kitchen notes"), "{first}");
    // Rendered as an image, both halves of the first side carry ink, the cover's title
    // (large, dark) on the right.
    let png = shots.path().join("side");
    poppler(
        "pdftoppm",
        &[
            "-f",
            "1",
            "-l",
            "1",
            "-r",
            "40",
            "-png",
            "-singlefile",
            pdf.to_str().unwrap(),
            png.to_str().unwrap(),
        ],
    );
    let (left, right) = halves_inked(&shots.path().join("side.png"));
    assert!(
        left > 0.001 && right > 0.004,
        "blank half: left {left:.4}, right {right:.4}"
    );
    // The page-after-page booklet prints its colophon once, at the end, not over the
    // text of every page.
    let flow = shots.path().join("flow.pdf");
    let all = poppler("pdftotext", &[flow.to_str().unwrap(), "-"]);
    assert_eq!(all.matches("Copy, adapt, share").count(), 1, "{all}");
    assert!(
        all.matches('\u{c}').count() >= 3,
        "a long zine takes several A5 pages"
    );

    // The screenshots show a page, not a blank: many colours, plenty of ink.
    for shot in ["desktop.png", "phone.png"] {
        let (colours, inked) = looks(&shots.path().join(shot));
        assert!(colours > 40, "{shot}: only {colours} colours");
        assert!(inked > 0.02, "{shot}: only {inked:.3} of the pixels inked");
    }
    sb.stop();
    sa.stop();
}

/// Runs a poppler-utils tool (installed by .ci/test) and gives its output.
fn poppler(tool: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} (poppler-utils) is needed: {e}"));
    assert!(
        out.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The share of dark pixels in the left and right halves of an image.
fn halves_inked(png_file: &Path) -> (f64, f64) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_file).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let samples = info.color_type.samples();
    let (w, h) = (info.width as usize, info.height as usize);
    let mut dark = [0usize; 2];
    for y in 0..h {
        for x in 0..w {
            let p = &buf[(y * w + x) * samples..][..samples];
            let v = if samples >= 3 {
                p[..3].iter().map(|&c| c as u32).sum::<u32>() / 3
            } else {
                p[0] as u32
            };
            if v < 128 {
                dark[usize::from(x >= w / 2)] += 1;
            }
        }
    }
    let half = (w / 2 * h) as f64;
    (dark[0] as f64 / half, dark[1] as f64 / half)
}

/// Distinct colours (quantised) and the share of pixels darker than the page's paper.
fn looks(png_file: &Path) -> (usize, f64) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_file).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let samples = info.color_type.samples();
    assert!(samples >= 3, "{:?}", info.color_type);
    let px = &buf[..info.buffer_size()];
    let mut colours = std::collections::HashSet::new();
    let mut inked = 0usize;
    let total = px.len() / samples;
    for p in px.chunks(samples) {
        colours.insert((p[0] >> 3, p[1] >> 3, p[2] >> 3));
        if p[..3].iter().map(|&c| c as u32).sum::<u32>() < 3 * 160 {
            inked += 1;
        }
    }
    (colours.len(), inked as f64 / total as f64)
}
