//! The `/api/…` handlers: each turns a request into the CLI command that does the same,
//! and answers with that command's `--json` output (see `docs/api.md`).

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{created, ok, report_json, ApiError, AppState, Body, Path, Query};
use crate::args::{
    ActionCmd, AlertCmd, Command, ExportFormat, FundCmd, LexiconCmd, PledgeCmd, ProtocolCmd,
    RetroCmd, StewardCmd, TacticCmd, TaskCmd, ZineCmd, ZineFormat,
};
use crate::commands::{circle, entries, zines};

type Answer = Result<Response, ApiError>;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/status", get(status))
        .route("/api/id", get(id))
        .route("/api/peers", get(peers))
        .route("/api/following", get(following).post(follow))
        .route("/api/invite", get(invite))
        .route("/api/invite.svg", get(invite_svg))
        .route("/api/actions", get(actions).post(log_action))
        .route("/api/fund", get(fund))
        .route("/api/fund/declare", post(declare_fund))
        .route("/api/fund/entries", post(add_fund_entry))
        .route("/api/pledge", post(sign_pledge))
        .route("/api/protocol", get(own_protocol))
        .route("/api/protocol/{circle_id}", get(protocol))
        .route("/api/tactics", get(tactics).post(publish_tactic))
        .route("/api/tactics/{circle_id}/{tactic_id}", get(show_tactic))
        .route("/api/tactics/{circle_id}/{tactic_id}/lineage", get(lineage))
        .route("/api/tactics/{circle_id}/{tactic_id}/fork", post(fork))
        .route("/api/zines", get(list_zines).post(publish_zine))
        .route("/api/zines/check", post(check_zine))
        .route("/api/zines/{circle_id}/{zine_id}/export", get(export_zine))
        .route("/api/tasks", get(tasks).post(add_task))
        .route("/api/retros", get(retros).post(add_retro))
        .route("/api/tasks/{task_id}/claim", post(claim_task))
        .route("/api/tasks/{task_id}/close", post(close_task))
        .route("/api/alerts", get(alerts).post(send_alert))
        .route("/api/alerts/stream", get(super::events::stream))
        .route("/api/lexicon/{list}", get(lexicon).post(lexicon_add))
        .route("/api/lexicon/{list}/{word}", delete(lexicon_remove))
        .route("/api/steward", get(steward))
        .route("/api/steward/rotate", post(rotate))
        .route("/api/export", get(export))
}

/// Empty filter fields (as a form sends them) mean no filter.
fn given(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

// ---- circle, network, invite ------------------------------------------------------

async fn status(State(s): State<AppState>) -> Answer {
    s.command(Command::Status).await.map(ok)
}

async fn id(State(s): State<AppState>) -> Answer {
    s.command(Command::Id).await.map(ok)
}

async fn peers(State(s): State<AppState>) -> Answer {
    let net = s.exec.node().status();
    let v = serde_json::to_value(&net).map_err(|e| ApiError::unavailable(e.to_string()))?;
    Ok(ok(v))
}

async fn following(State(s): State<AppState>) -> Answer {
    let mut status = s.command(Command::Status).await?;
    Ok(ok(status["following"].take()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Follow {
    invite: String,
}

async fn follow(State(s): State<AppState>, Body(b): Body<Follow>) -> Answer {
    let command = Command::Follow {
        invite: b.invite.trim().to_owned(),
    };
    network(&s, command).await.map(ok)
}

/// Runs a command that needs the network, by the same executor as the local socket.
async fn network(s: &AppState, command: Command) -> Result<Value, ApiError> {
    s.command(command).await
}

async fn invite(State(s): State<AppState>) -> Answer {
    s.command(Command::Invite).await.map(ok)
}

/// The invite as a QR code, for the printable card.
async fn invite_svg(State(s): State<AppState>) -> Answer {
    let v = s.command(Command::Invite).await?;
    let code = v["invite"].as_str().unwrap_or_default();
    let qr = qrcode::QrCode::new(code.as_bytes())
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let svg = qr
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

async fn steward(State(s): State<AppState>) -> Answer {
    s.command(Command::Steward(StewardCmd::Show)).await.map(ok)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rotate {
    #[serde(default = "default_term_days")]
    term_days: u64,
    #[serde(default = "one")]
    stewards: usize,
}

fn default_term_days() -> u64 {
    circle_core::circle::DEFAULT_TERM_DAYS
}

fn one() -> usize {
    1
}

/// `circle steward rotate`: the next term, with fresh keys on this node (how an expired
/// term is fixed from the page).
async fn rotate(State(s): State<AppState>, Body(b): Body<Rotate>) -> Answer {
    let command = Command::Steward(StewardCmd::Rotate {
        term_days: b.term_days,
        stewards: b.stewards,
    });
    s.command(command).await.map(ok)
}

// ---- actions, fund, pledge, protocol ------------------------------------------------

async fn actions(State(s): State<AppState>) -> Answer {
    s.command(Command::Actions).await.map(ok)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAction {
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    tags: Vec<String>,
}

async fn log_action(State(s): State<AppState>, Body(b): Body<NewAction>) -> Answer {
    let command = Command::Action(ActionCmd::Log {
        title: b.title,
        summary: b.summary,
        tags: b.tags,
    });
    s.command(command).await.map(created)
}

async fn fund(State(s): State<AppState>) -> Answer {
    s.command(Command::Fund(FundCmd::Show)).await.map(ok)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeclareFund {
    description: String,
}

async fn declare_fund(State(s): State<AppState>, Body(b): Body<DeclareFund>) -> Answer {
    let command = Command::Fund(FundCmd::Declare {
        description: b.description,
    });
    s.command(command).await.map(ok)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FundEntry {
    /// An exact decimal as text ("12.50"): no binary floating point near money.
    amount: String,
    currency: String,
    memo: String,
    #[serde(default)]
    disbursement: bool,
}

async fn add_fund_entry(State(s): State<AppState>, Body(b): Body<FundEntry>) -> Answer {
    let command = Command::Fund(FundCmd::Add {
        amount: b.amount,
        currency: b.currency,
        memo: b.memo,
        disbursement: b.disbursement,
    });
    s.command(command).await.map(created)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Pledge {
    text: String,
}

async fn sign_pledge(State(s): State<AppState>, Body(b): Body<Pledge>) -> Answer {
    let command = Command::Pledge(PledgeCmd::Sign { text: b.text });
    s.command(command).await.map(ok)
}

async fn own_protocol(State(s): State<AppState>) -> Answer {
    let command = Command::Protocol(ProtocolCmd::Status { circle_id: None });
    s.command(command).await.map(ok)
}

async fn protocol(State(s): State<AppState>, Path(circle_id): Path<String>) -> Answer {
    let command = Command::Protocol(ProtocolCmd::Status {
        circle_id: Some(circle_id),
    });
    s.command(command).await.map(ok)
}

// ---- tactics ----------------------------------------------------------------------------

#[derive(Deserialize)]
struct TacticFilter {
    from: Option<String>,
    tag: Option<String>,
    search: Option<String>,
}

async fn tactics(State(s): State<AppState>, Query(q): Query<TacticFilter>) -> Answer {
    let command = Command::Tactics {
        from: given(q.from),
        tag: given(q.tag),
        search: given(q.search),
    };
    s.command(command).await.map(ok)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTactic {
    title: String,
    body: String,
    #[serde(default = "default_license")]
    license: String,
    #[serde(default)]
    tags: Vec<String>,
}

fn default_license() -> String {
    circle_core::compliance::DEFAULT_LICENSE.to_owned()
}

async fn publish_tactic(State(s): State<AppState>, Body(b): Body<NewTactic>) -> Answer {
    let now = crate::commands::now();
    let new = circle_core::ledger::NewTactic {
        title: b.title,
        body: b.body,
        license: b.license,
        tags: b.tags,
        lineage: Vec::new(),
    };
    s.local(move |local, _| {
        entries::publish_tactic(local, new, now)
            .map(report_json)
            .map_err(ApiError::from_command)
    })
    .await
    .map(created)
}

async fn show_tactic(State(s): State<AppState>, Path(r): Path<(String, String)>) -> Answer {
    let command = Command::Tactic(TacticCmd::Show {
        tactic_id: format!("{}/{}", r.0, r.1),
    });
    s.command(command).await.map(ok)
}

async fn lineage(State(s): State<AppState>, Path(r): Path<(String, String)>) -> Answer {
    let command = Command::Tactic(TacticCmd::Lineage {
        tactic_id: format!("{}/{}", r.0, r.1),
    });
    s.command(command).await.map(ok)
}

async fn fork(State(s): State<AppState>, Path(r): Path<(String, String)>) -> Answer {
    let command = Command::Tactic(TacticCmd::Fork {
        source: format!("{}/{}", r.0, r.1),
    });
    s.command(command).await.map(created)
}

// ---- zines ------------------------------------------------------------------------------

#[derive(Deserialize)]
struct ZineFilter {
    from: Option<String>,
}

async fn list_zines(State(s): State<AppState>, Query(q): Query<ZineFilter>) -> Answer {
    let command = Command::Zines {
        from: given(q.from),
    };
    s.command(command).await.map(ok)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ZineCheck {
    text: String,
    #[serde(default)]
    title: String,
}

/// The anonymiser's findings in a draft (byte offsets into `text`) and in its title.
async fn check_zine(State(s): State<AppState>, Body(b): Body<ZineCheck>) -> Answer {
    s.local(move |local, _| {
        let (in_title, in_text) =
            zines::findings(local, &b.title, &b.text).map_err(ApiError::from_command)?;
        Ok(ok(
            json!({ "findings": in_text, "title_findings": in_title }),
        ))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewZine {
    title: String,
    text: String,
    #[serde(default)]
    redact: bool,
    #[serde(default)]
    action_id: Option<String>,
}

/// Publishes a draft; without `redact`, any finding refuses it (422, with the findings
/// the command found: the rule is `zine publish`'s, not checked again here).
async fn publish_zine(State(s): State<AppState>, Body(b): Body<NewZine>) -> Answer {
    let now = crate::commands::now();
    s.local(move |local, _| {
        zines::publish(local, &b.title, &b.text, b.redact, b.action_id, now)
            .map(report_json)
            .map_err(|e| match e.downcast_ref::<zines::Identifying>() {
                Some(found) => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!(
                        "not published: {} identifying detail(s) remain; resolve them, or publish with \"redact\": true",
                        found.count()
                    ),
                )
                .with("findings", json!(found.in_text))
                .with("title_findings", json!(found.in_title)),
                None => ApiError::from_command(e),
            })
    })
    .await
    .map(created)
}

#[derive(Deserialize)]
struct ExportAs {
    format: Option<String>,
    circle: Option<String>,
}

/// A zine as Markdown (a download), as its A5 booklet, or imposed for folding (a page).
async fn export_zine(
    State(s): State<AppState>,
    Path(r): Path<(String, String)>,
    Query(q): Query<ExportAs>,
) -> Answer {
    let format = match q.format.as_deref().unwrap_or("html") {
        "html" => ZineFormat::Html,
        "booklet" => ZineFormat::Booklet,
        "markdown" | "md" => ZineFormat::Markdown,
        other => {
            return Err(ApiError::bad_request(format!(
                "format `{other}`: use markdown, html or booklet"
            )))
        }
    };
    let command = Command::Zine(ZineCmd::Export {
        zine_id: format!("{}/{}", r.0, r.1),
        format,
        out: None,
    });
    let v = s.command(command).await?;
    let content = v["content"].as_str().unwrap_or_default().to_owned();
    let mut resp = content.into_response();
    let h = resp.headers_mut();
    match format {
        ZineFormat::Html | ZineFormat::Booklet => {
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            // The booklet is self-contained: its own inline style, no script at all.
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
                ),
            );
        }
        ZineFormat::Markdown => {
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/markdown; charset=utf-8"),
            );
            attach(h, &format!("zine-{}.md", safe_name(&r.1)));
        }
    }
    Ok(resp)
}

/// Offers a download under `name`.
fn attach(h: &mut axum::http::HeaderMap, name: &str) {
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
}

/// An id as a file name: letters, digits and dashes only.
fn safe_name(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(64)
        .collect()
}

/// The ledger as `circle export` writes it: `.automerge`, JSON, or a bundle.
async fn export(State(s): State<AppState>, Query(q): Query<ExportAs>) -> Answer {
    let (format, mime, ext) = match q.format.as_deref().unwrap_or("json") {
        "json" => (ExportFormat::Json, "application/json", "json"),
        "automerge" => (
            ExportFormat::Automerge,
            "application/octet-stream",
            "automerge",
        ),
        "bundle" => (ExportFormat::Bundle, "application/octet-stream", "bundle"),
        other => {
            return Err(ApiError::bad_request(format!(
                "format `{other}`: use automerge, json or bundle"
            )))
        }
    };
    let which = given(q.circle);
    let bytes = s
        .local(move |local, _| {
            circle::export_bytes(local, format, which.as_deref()).map_err(ApiError::from_command)
        })
        .await?;
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    attach(h, &format!("circle.{ext}"));
    Ok(resp)
}

// ---- tasks ------------------------------------------------------------------------------

#[derive(Deserialize)]
struct TaskFilter {
    #[serde(default)]
    open: bool,
}

/// `circle retros`: the retrospectives, oldest first.
async fn retros(State(s): State<AppState>) -> Answer {
    s.command(Command::Retros).await.map(ok)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewRetro {
    title: String,
    #[serde(default)]
    notes: String,
    /// One of this circle's actions (an id or prefix), if the retrospective is about one.
    #[serde(default)]
    action_id: Option<String>,
}

/// `circle retro add`: a retrospective recorded in the ledger.
async fn add_retro(State(s): State<AppState>, Body(b): Body<NewRetro>) -> Answer {
    let command = Command::Retro(RetroCmd::Add {
        title: b.title,
        notes: b.notes,
        action: given(b.action_id),
    });
    s.command(command).await.map(created)
}

async fn tasks(State(s): State<AppState>, Query(q): Query<TaskFilter>) -> Answer {
    s.command(Command::Tasks { open: q.open }).await.map(ok)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTask {
    title: String,
}

async fn add_task(State(s): State<AppState>, Body(b): Body<NewTask>) -> Answer {
    let command = Command::Task(TaskCmd::Add { title: b.title });
    s.command(command).await.map(created)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Claim {
    /// A role or alias, never a legal name.
    #[serde(default)]
    by: Option<String>,
}

async fn claim_task(
    State(s): State<AppState>,
    Path(task_id): Path<String>,
    Body(b): Body<Claim>,
) -> Answer {
    let by = given(b.by).unwrap_or_else(|| "a steward".to_owned());
    let command = Command::Task(TaskCmd::Claim { task_id, by });
    on_open_task(&s, command).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Close {
    note: String,
}

async fn close_task(
    State(s): State<AppState>,
    Path(task_id): Path<String>,
    Body(b): Body<Close>,
) -> Answer {
    let command = Command::Task(TaskCmd::Close {
        task_id,
        note: b.note,
    });
    on_open_task(&s, command).await
}

/// Runs a task command. A task that does not exist (404) or is closed already (409) is
/// refused by the ledger itself, with the words the CLI prints.
async fn on_open_task(s: &AppState, command: Command) -> Answer {
    s.command(command).await.map(ok)
}

// ---- alerts -----------------------------------------------------------------------------

async fn alerts(State(s): State<AppState>) -> Answer {
    s.command(Command::Alerts).await.map(ok)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SendAlert {
    text: String,
}

/// Sends an alert; a circle that does not keep the protocol cannot (409: the node
/// refuses it, as it does for `circle alert send`).
async fn send_alert(State(s): State<AppState>, Body(b): Body<SendAlert>) -> Answer {
    let command = Command::Alert(AlertCmd::Send { text: b.text });
    // With no peer connected yet the alert is kept here and `delivered` is false.
    network(&s, command).await.map(created)
}

/// The private lexicon (`circle member …`, `circle redact-word …`): kept on this node
/// only, never in the ledger; the anonymiser redacts what it lists.
fn lexicon_command(list: &str, cmd: LexiconCmd) -> Result<Command, ApiError> {
    match list {
        "members" => Ok(Command::Member(cmd)),
        "redact-words" => Ok(Command::RedactWord(cmd)),
        _ => Err(ApiError::not_found(format!(
            "no lexicon list `{list}`: use members or redact-words"
        ))),
    }
}

async fn lexicon(State(s): State<AppState>, Path(list): Path<String>) -> Answer {
    s.command(lexicon_command(&list, LexiconCmd::List)?)
        .await
        .map(ok)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Word {
    word: String,
}

async fn lexicon_add(
    State(s): State<AppState>,
    Path(list): Path<String>,
    Body(b): Body<Word>,
) -> Answer {
    let command = lexicon_command(&list, LexiconCmd::Add { word: b.word })?;
    s.command(command).await.map(created)
}

async fn lexicon_remove(
    State(s): State<AppState>,
    Path((list, word)): Path<(String, String)>,
) -> Answer {
    s.command(lexicon_command(&list, LexiconCmd::Remove { word })?)
        .await
        .map(ok)
}
