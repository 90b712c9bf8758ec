//! Steward terms: show, rotate on one device, and the k-of-n handover between devices
//! (volunteer, propose, approve, proposals, withdraw, revoke; see docs/HANDOVER.md).

use anyhow::Result;
use circle_core::handover::HandoverError;
use circle_core::keys::PublicKey;
use circle_node::{
    DrawRequest, LocalCircle, NodeError, Nominee, ProposalView, ProposeOptions, Retention,
};
use serde_json::json;

use crate::args::{NextTerm, StewardCmd};
use crate::report::{days, days_left};
use crate::Report;

/// Warn this many days before a term runs out: time enough to gather the stewards.
pub(crate) const EXPIRY_WARNING_DAYS: u64 = 3;

pub(crate) fn steward(local: &mut LocalCircle, cmd: StewardCmd, now: u64) -> Result<Report> {
    match cmd {
        StewardCmd::Rotate {
            term_days,
            stewards,
        } => rotate(local, term_days, stewards, now),
        StewardCmd::Show => show(local, now),
        StewardCmd::Volunteer => {
            let code = local.volunteer()?;
            Ok(Report::new(
                json!({ "candidate": code }),
                format!(
                    "candidate key made on this device; its secret half never leaves it.\n\
                     Give this code to a steward of the current term:\n  {code}\n\
                     They name you with `circle steward propose --steward {code}`"
                ),
            ))
        }
        StewardCmd::Propose { next } => {
            let options = options(&next, false)?;
            let shown = local.propose(options, now)?;
            Ok(proposal_report(&shown, "proposed"))
        }
        StewardCmd::Approve { proposal_id } => {
            let shown = local.approve(&proposal_id, now)?;
            Ok(proposal_report(&shown, "approved"))
        }
        StewardCmd::Withdraw { proposal_id } => {
            let shown = local.withdraw(&proposal_id, now)?;
            Ok(Report::new(
                json!({ "proposal_id": shown.proposal_id, "state": shown.state }),
                format!(
                    "proposal {} withdrawn; writes resume here, and on the other devices once they sync",
                    short(&shown.proposal_id)
                ),
            ))
        }
        StewardCmd::Proposals => proposals(local, now),
        StewardCmd::Revoke { key, reason, next } => {
            let options = options(&next, true)?;
            let shown = local.revoke(&key, &reason, options, now)?;
            Ok(proposal_report(&shown, "revocation proposed"))
        }
    }
}

fn options(next: &NextTerm, default_self: bool) -> Result<ProposeOptions> {
    let mut named = next
        .stewards
        .iter()
        .map(|s| Nominee::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(NodeError::from)?;
    let draw = match (next.draw, next.from.is_empty()) {
        (None, true) => None,
        (None, false) => return Err(NodeError::from(HandoverError::FromWithoutDraw).into()),
        (Some(seats), _) => Some(DrawRequest {
            seats,
            from: candidates(&next.from)?,
        }),
    };
    if named.is_empty() && default_self && draw.is_none() {
        named.push(Nominee::Myself);
    }
    let retain = next
        .retain_terms
        .as_deref()
        .map(Retention::parse)
        .transpose()
        .map_err(NodeError::from)?;
    Ok(ProposeOptions {
        term_days: next.term_days,
        stewards: named,
        threshold: next.threshold,
        draw,
        retain,
    })
}

/// The candidates of a draw: codes only (`self` would make a new key at every run,
/// and a draw's candidates are fixed before it).
fn candidates(from: &[String]) -> Result<Vec<PublicKey>> {
    from.iter()
        .map(|s| match Nominee::parse(s).map_err(NodeError::from)? {
            Nominee::Candidate(k) => Ok(k),
            Nominee::Myself => Err(NodeError::from(HandoverError::SelfInDraw).into()),
        })
        .collect()
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

fn proposal_report(p: &ProposalView, what: &str) -> Report {
    if p.state == "drawing" {
        return drawing_report(p);
    }
    let mut json = json!({
        "proposal_id": p.proposal_id, "signatures": p.signatures, "needed": p.needed,
        "kind": p.kind, "missing": p.missing, "state": p.state, "draw_id": p.draw_id,
        "stewards": p.stewards,
    });
    let text = match p.certified {
        Some(term) => {
            json["term"] = json!(term);
            format!(
                "{what}: proposal {} has {} of {} signatures: term {term} is certified. \
                 Devices named by it write once they have the certificate; the old keys are destroyed here.",
                short(&p.proposal_id),
                p.signatures,
                p.needed
            )
        }
        None => format!(
            "{what}: proposal {} for term {} has {} of {} signatures; writes pause until it is certified or withdrawn.\n\
             Missing (each approves on their own device with `circle steward approve {}`):\n  {}",
            short(&p.proposal_id),
            p.term,
            p.signatures,
            p.needed,
            short(&p.proposal_id),
            p.missing.join("\n  ")
        ),
    };
    let text = match &p.draw_id {
        Some(d) => format!("{text}\nThe stewards were drawn by lottery: anyone checks it with `circle lottery verify {d}`."),
        None => text,
    };
    // One counted steward knew its own reveal, so the outcome, before drawing.
    let text = if p.draw_counted == 1 {
        json["single_steward"] = json!(true);
        format!("{text}\nwarning: {}", super::lottery::SINGLE_STEWARD)
    } else {
        text
    };
    Report::new(json, text)
}

/// A steward draw written but still waiting for the reveals of stewards on other
/// devices: no proposal exists yet (its stewards are not known).
fn drawing_report(p: &ProposalView) -> Report {
    let draw = p.draw_id.clone().unwrap_or_default();
    Report::new(
        json!({
            "proposal_id": null, "signatures": 0, "needed": p.needed, "kind": p.kind,
            "state": p.state, "draw_id": draw, "waiting_for": p.waiting_for,
            "term": p.term,
        }),
        format!(
            "steward draw {draw} for term {} is written and waits for the reveals of {} steward(s): {}.\n\
             Their devices reveal by themselves when they sync with this one; then run the same \
             `circle steward propose --draw ...` again to open the proposal with the drawn stewards.",
            p.term,
            p.waiting_for.len(),
            p.waiting_for.join(", ")
        ),
    )
}

fn proposals(local: &LocalCircle, now: u64) -> Result<Report> {
    let list = local.proposals(now)?;
    let json: Vec<serde_json::Value> = list
        .iter()
        .map(|p| {
            json!({
                "proposal_id": p.proposal_id, "term": p.term, "signatures": p.signatures,
                "needed": p.needed, "kind": p.kind, "state": p.state, "signed": p.signed,
                "missing": p.missing, "proposer": p.proposer, "stewards": p.stewards,
                "threshold": p.threshold, "expires": p.expires, "revoked": p.revoked,
                "reason": p.reason, "draw_id": p.draw_id,
            })
        })
        .collect();
    let mut text = String::new();
    for p in &list {
        text += &format!(
            "{} {} for term {} ({}): {} of {} signatures, expires in {}\n  signed:  {}\n  missing: {}\n",
            short(&p.proposal_id),
            p.kind,
            p.term,
            p.state,
            p.signatures,
            p.needed,
            days(days_left(p.expires, now)),
            p.signed.join(", "),
            p.missing.join(", "),
        );
    }
    if list.is_empty() {
        text = "no pending proposals".into();
    }
    Ok(Report::new(json, text))
}

fn rotate(local: &mut LocalCircle, term_days: u64, stewards: usize, now: u64) -> Result<Report> {
    let cert = local.rotate(term_days, stewards, now)?;
    let term = cert.body.term;
    let left = days(days_left(cert.body.expires, now));
    Ok(Report::new(
        json!({ "term": term, "stewards": stewards, "expires": cert.body.expires }),
        format!(
            "term {term} certified with {stewards} fresh steward key(s), ending in {left}; the old keys are destroyed.\n\
             The pledge must be signed again for this term: `circle pledge sign --text ...`"
        ),
    ))
}

/// Plain warnings about the term: one device holding the threshold, expiry near or
/// past. Shared by `steward show` and `status`.
pub(crate) fn term_warnings(local: &LocalCircle, now: u64) -> Vec<String> {
    let c = local.circle();
    let b = &c.chain.latest().body;
    let held = c.current_keys().len();
    let mut out = Vec::new();
    if held >= b.threshold as usize && b.stewards.len() > 1 {
        out.push(format!(
            "this one device holds {held} of the {} steward keys, enough to certify the next term alone: seizing this device captures the circle. Hand over to stewards on their own devices (`circle steward volunteer` on each, then `circle steward propose`)",
            b.stewards.len()
        ));
    } else if held >= b.threshold as usize {
        out.push(
            "the circle's only steward key is on this device: seizing it captures the circle. Name stewards on other devices (`circle steward volunteer` there, then `circle steward propose` here)".into(),
        );
    }
    let left = days_left(b.expires, now);
    if b.expires <= now {
        out.push(format!(
            "term {} has expired: writes stop until a handover (`circle steward propose`, approved by {} steward(s))",
            b.term, b.threshold
        ));
    } else if left <= EXPIRY_WARNING_DAYS {
        out.push(format!(
            "term {} expires in {}: propose the next term now (`circle steward propose`), {} steward(s) must approve",
            b.term,
            days(left),
            b.threshold
        ));
    }
    out
}

fn show(local: &LocalCircle, now: u64) -> Result<Report> {
    let c = local.circle();
    let b = &c.chain.latest().body;
    let stewards: Vec<String> = b.stewards.iter().map(|k| k.to_hex()).collect();
    let held = c.current_keys().len();
    let candidates = local.candidate_codes()?;
    let pending = local.pending_proposal(now)?;
    let warnings = term_warnings(local, now);
    let captures = held >= b.threshold as usize;
    let mut text = format!(
        "term {} ({} of {} stewards must sign the next term), expires in {}\nstewards:\n  {}\nkeys held on this device: {held}",
        b.term,
        b.threshold,
        stewards.len(),
        days(days_left(b.expires, now)),
        stewards.join("\n  ")
    );
    if !candidates.is_empty() {
        text += &format!("\ncandidate keys held here: {}", candidates.join(", "));
    }
    if let Some(p) = &pending {
        text += &format!(
            "\npending: proposal {} for term {} ({} of {} signatures)",
            short(&p.proposal_id),
            p.term,
            p.signatures,
            p.needed
        );
    }
    text += &match c.chain.retain_terms() {
        Some(n) => format!(
            "\nevidence is kept for {n} term(s); epoch {} began at term {}",
            c.chain.epoch(),
            c.chain.epoch_first_term()
        ),
        None => "\nevidence is kept for ever (`propose --retain-terms N` forgets it)".to_owned(),
    };
    for w in &warnings {
        text += &format!("\nwarning: {w}");
    }
    Ok(Report::new(
        json!({
            "term": b.term, "start": b.start, "expires": b.expires,
            "threshold": b.threshold, "stewards": stewards, "keys_held_here": held,
            "equivocations": c.chain.equivocations().len(),
            "retain_terms": c.chain.retain_terms(), "epoch": c.chain.epoch(),
            "epoch_first_term": c.chain.epoch_first_term(),
            "candidates": candidates, "captures_circle": captures,
            "pending_proposal": pending.map(|p| p.proposal_id), "warnings": warnings,
        }),
        text,
    ))
}
