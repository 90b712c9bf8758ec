//! The `/api/steward/…` handlers of stewards on their own devices (volunteering, proposals
//! and their approvals, withdrawal and revocation) and `/api/lottery/…` (verifiable
//! draws). Each runs the CLI command that does the same and answers with its `--json`
//! output (see `docs/api.md`).

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::{created, ok, ApiError, AppState, Body, Path};
use crate::args::{Command, LotteryCmd, NextTerm, StewardCmd};

type Answer = Result<Response, ApiError>;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/steward/volunteer", post(volunteer))
        .route("/api/steward/proposals", get(proposals).post(propose))
        .route(
            "/api/steward/proposals/{proposal_id}/approve",
            post(approve),
        )
        .route(
            "/api/steward/proposals/{proposal_id}/withdraw",
            post(withdraw),
        )
        .route("/api/steward/revoke", post(revoke))
        .route("/api/lottery/draws", post(draw))
        .route("/api/lottery/draws/{draw_id}", get(verify))
}

fn default_term_days() -> u64 {
    circle_core::circle::DEFAULT_TERM_DAYS
}

/// `circle steward volunteer`: a candidate key made on this device (its code only).
async fn volunteer(State(s): State<AppState>) -> Answer {
    s.command(Command::Steward(StewardCmd::Volunteer))
        .await
        .map(created)
}

async fn proposals(State(s): State<AppState>) -> Answer {
    s.command(Command::Steward(StewardCmd::Proposals))
        .await
        .map(ok)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Propose {
    #[serde(default = "default_term_days")]
    term_days: u64,
    /// Candidate codes, or `self` (empty when the stewards are drawn).
    #[serde(default)]
    stewards: Vec<String>,
    #[serde(default)]
    threshold: Option<u32>,
    /// Seats to draw by lottery among `from` (candidate codes).
    #[serde(default)]
    draw: Option<u32>,
    #[serde(default)]
    from: Vec<String>,
    /// Terms evidence is kept for (a number), or `"all"`.
    #[serde(default)]
    retain_terms: Option<RetainTerms>,
}

/// `retain_terms` as JSON users write it: `2` or `"2"` or `"all"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum RetainTerms {
    Number(u64),
    Text(String),
}

impl RetainTerms {
    fn into_arg(self) -> String {
        match self {
            RetainTerms::Number(n) => n.to_string(),
            RetainTerms::Text(s) => s,
        }
    }
}

/// `circle steward propose`.
async fn propose(State(s): State<AppState>, Body(b): Body<Propose>) -> Answer {
    let command = Command::Steward(StewardCmd::Propose {
        next: NextTerm {
            term_days: b.term_days,
            stewards: b.stewards,
            threshold: b.threshold,
            draw: b.draw,
            from: b.from,
            retain_terms: b.retain_terms.map(RetainTerms::into_arg),
        },
    });
    s.command(command).await.map(created)
}

async fn approve(State(s): State<AppState>, Path(proposal_id): Path<String>) -> Answer {
    let command = Command::Steward(StewardCmd::Approve { proposal_id });
    s.command(command).await.map(ok)
}

async fn withdraw(State(s): State<AppState>, Path(proposal_id): Path<String>) -> Answer {
    let command = Command::Steward(StewardCmd::Withdraw { proposal_id });
    s.command(command).await.map(ok)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Revoke {
    key: String,
    reason: String,
    #[serde(default = "default_term_days")]
    term_days: u64,
    #[serde(default)]
    stewards: Vec<String>,
    #[serde(default)]
    threshold: Option<u32>,
}

/// `circle steward revoke KEY --reason TEXT`: the emergency handover.
async fn revoke(State(s): State<AppState>, Body(b): Body<Revoke>) -> Answer {
    let command = Command::Steward(StewardCmd::Revoke {
        key: b.key,
        reason: b.reason,
        next: NextTerm {
            term_days: b.term_days,
            stewards: b.stewards,
            threshold: b.threshold,
            draw: None,
            from: Vec::new(),
            retain_terms: None,
        },
    });
    s.command(command).await.map(created)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Draw {
    seats: u32,
    from: Vec<String>,
    #[serde(default)]
    purpose: String,
}

/// `circle lottery draw`: a verifiable draw recorded in the ledger.
async fn draw(State(s): State<AppState>, Body(b): Body<Draw>) -> Answer {
    let command = Command::Lottery(LotteryCmd::Draw {
        seats: b.seats,
        from: b.from,
        purpose: b.purpose,
    });
    s.command(command).await.map(created)
}

/// `circle lottery verify DRAW_ID`: recomputed from its transcript, this circle's or a
/// sister's.
async fn verify(State(s): State<AppState>, Path(draw_id): Path<String>) -> Answer {
    let command = Command::Lottery(LotteryCmd::Verify {
        draw_id,
        circle: None,
    });
    s.command(command).await.map(ok)
}
