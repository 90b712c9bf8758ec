//! `circle lottery draw|verify|reveal` (docs/LOTTERY.md).

use anyhow::Result;
use circle_core::ledger::DrawStatus;
use circle_core::public_text::Field;
use circle_node::LocalCircle;
use serde_json::{json, Value};

use crate::args::LotteryCmd;
use crate::Report;

/// Said whenever one steward's chain alone fixes a draw's seed.
pub(crate) const SINGLE_STEWARD: &str = "only one steward's commitment counts in this draw: that steward (the drawer) knew its own reveal in advance and could have picked the purpose or candidates to steer the outcome; this draw is NOT protected against the drawer (draws are protected only when several stewards, on their own devices, take part)";

pub(crate) fn lottery(local: &mut LocalCircle, cmd: LotteryCmd, now: u64) -> Result<Report> {
    match cmd {
        LotteryCmd::Draw {
            seats,
            from,
            purpose,
        } => {
            let mut screen = local.public_text()?;
            let candidates = screen.check_all(Field::LotteryCandidate, &from)?;
            let purpose = screen.check(Field::LotteryPurpose, purpose.trim())?;
            let status = local.lottery_draw(&candidates, seats, &purpose, now)?;
            Ok(report(&status, false).with_warnings(&screen))
        }
        LotteryCmd::Verify { draw_id, circle } => {
            let circle = match circle {
                Some(c) => Some(super::sisters::parse_id(local, &c)?),
                None => None,
            };
            let status = local.lottery_status(circle, &draw_id)?;
            Ok(report(&status, true))
        }
        LotteryCmd::Reveal => {
            let written = local.reveal_open_draws(now)?;
            Ok(Report::new(
                json!({ "changes": written }),
                format!("{written} lottery change(s) written"),
            ))
        }
    }
}

fn report(s: &DrawStatus, verifying: bool) -> Report {
    let single = s.counted.len() == 1;
    let mut out = json!({
        "draw_id": s.draw_id,
        "valid": s.valid,
        "chosen": s.chosen,
        "complete": s.complete,
        "reason": s.reason,
        "term": s.term,
        "purpose": s.purpose,
        "day": s.day,
        "seats": s.seats,
        "candidates": s.candidates,
        "waiting_for": s.waiting_for,
        "withheld": s.withheld,
        "counted": s.counted,
        "not_counted": s.not_counted,
        "ignored_reveals": s.ignored_reveals,
        "single_steward": single,
        "transcript": s.transcript,
    });
    if single {
        if let Value::Object(o) = &mut out {
            o.insert("warning".into(), SINGLE_STEWARD.into());
        }
    }
    let mut text = format!("draw {}", s.draw_id);
    if s.purpose.is_empty() {
        text.push('\n');
    } else {
        text += &format!(" ({})\n", s.purpose);
    }
    if !s.valid {
        text += &format!(
            "NOT VALID: {}",
            s.reason.as_deref().unwrap_or("unknown reason")
        );
        return Report::new(out, text);
    }
    match &s.chosen {
        Some(chosen) => {
            if verifying {
                text += "valid: recomputed from the public transcript\n";
            }
            text += &format!("chosen: {}", chosen.join(", "));
        }
        None => {
            text += &format!(
                "waiting for the reveals of {} steward(s): {} (their devices reveal after syncing; closed as withheld after {} days)",
                s.waiting_for.len(),
                s.waiting_for.join(", "),
                circle_core::lottery::REVEAL_WINDOW_DAYS
            );
        }
    }
    if !s.withheld.is_empty() {
        text += &format!(
            "\nwithheld (public, and their chain positions are burned): {}",
            s.withheld.join(", ")
        );
    }
    if !s.not_counted.is_empty() {
        text += &format!(
            "\nstewards with no commitment before the draw (no say in it): {}",
            s.not_counted.join(", ")
        );
    }
    if single {
        text += &format!("\nwarning: {SINGLE_STEWARD}");
    }
    Report::new(out, text)
}
