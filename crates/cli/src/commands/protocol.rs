//! Fund, pledge and protocol status.

use anyhow::Result;
use circle_core::compliance::Item;
use circle_core::ledger::{Amount, Currency, FundKind};
use circle_core::public_text::Field;
use circle_node::{LocalCircle, NodeError};
use serde_json::json;

use crate::args::{FundCmd, PledgeCmd, ProtocolCmd};
use crate::Report;

pub(crate) fn fund(local: &mut LocalCircle, cmd: FundCmd, now: u64) -> Result<Report> {
    match cmd {
        FundCmd::Declare { description } => {
            let description = local
                .public_text()?
                .check(Field::FundDescription, &description)?;
            local.write(now, |l, s| Ok(((), l.declare_fund(s, now, &description)?)))?;
            Ok(Report::new(
                json!({ "declared": true }),
                "mutual aid fund declared",
            ))
        }
        FundCmd::Add {
            amount,
            currency,
            memo,
            disbursement,
        } => {
            // Parse before touching the ledger: bad input changes nothing.
            let amount: Amount = amount.parse()?;
            let currency: Currency = currency.parse()?;
            let memo = local.public_text()?.check(Field::FundMemo, &memo)?;
            let kind = if disbursement {
                FundKind::Disbursement
            } else {
                FundKind::Contribution
            };
            let id = local.write(now, |l, s| {
                l.add_fund_entry(s, now, kind, amount, &currency, &memo)
            })?;
            let what = if disbursement {
                "disbursement"
            } else {
                "contribution"
            };
            Ok(Report::new(
                json!({ "entry_id": id, "kind": what, "amount": amount.to_string(), "currency": currency.to_string() }),
                format!("{what} of {amount} {currency} recorded as {id}"),
            ))
        }
        FundCmd::Show => {
            let fund = local.circle().ledger.fund();
            let mut text = match &fund.description {
                Some(d) => format!("fund: {d}\n"),
                None => "no fund declared\n".to_owned(),
            };
            for e in &fund.entries {
                let sign = if e.kind == FundKind::Disbursement {
                    "-"
                } else {
                    "+"
                };
                text += &format!(
                    "  {} {sign}{} {}  {}\n",
                    e.entry_id, e.amount, e.currency, e.memo
                );
            }
            for (c, b) in &fund.balances {
                text += &format!("balance: {b} {c}\n");
            }
            Ok(Report::new(&fund, text))
        }
    }
}

pub(crate) fn pledge(local: &mut LocalCircle, cmd: PledgeCmd, now: u64) -> Result<Report> {
    let PledgeCmd::Sign { text } = cmd;
    let text = local.public_text()?.check(Field::PledgeText, &text)?;
    let term = local.circle().term();
    local.write(now, |l, s| Ok(((), l.sign_pledge(s, now, &text)?)))?;
    Ok(Report::new(
        json!({ "term": term, "signed": true }),
        format!("rapid defense pledge signed for term {term}"),
    ))
}

pub(crate) fn protocol(local: &mut LocalCircle, cmd: ProtocolCmd, now: u64) -> Result<Report> {
    let ProtocolCmd::Status { circle_id } = cmd;
    let id = match &circle_id {
        Some(s) => super::sisters::parse_id(local, s)?,
        None => local.circle_id(),
    };
    let (comp, name) = local
        .compliance_of(&id, now)?
        .ok_or_else(|| NodeError::NotFound(format!("circle {id} is not known to this node")))?;
    let line = |name: &str, i: &Item| {
        format!(
            "  [{}] {name}: {}\n",
            if i.ok { "ok" } else { "!!" },
            i.reason
        )
    };
    let text = format!(
        "{name} ({id}): {}\n{}{}{}",
        if comp.compliant {
            "compliant: federates"
        } else {
            "NOT compliant: sister circles will not replicate or relay it"
        },
        line("mutual aid fund", &comp.items.mutual_aid_fund),
        line("rapid defense pledge", &comp.items.rapid_defense_pledge),
        line("open-source tactics", &comp.items.open_tactics),
    );
    let mut json = serde_json::to_value(&comp)?;
    json["circle_id"] = json!(id.to_hex());
    json["name"] = json!(name);
    Ok(Report::new(json, text))
}
