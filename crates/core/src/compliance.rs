//! The common rebellion protocol: three items a ledger must show to federate.
//!
//! A pure function over a ledger and its verified term chain. Every node runs it for
//! itself; nothing here trusts what a circle says about its own compliance.

use serde::Serialize;

use crate::ledger::{pledge_message, Ledger};
use crate::term::TermChain;

/// Licences a published tactic may carry.
pub const OPEN_LICENSES: [&str; 3] = ["CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0"];
/// The licence a tactic gets when none is given.
pub const DEFAULT_LICENSE: &str = "CC-BY-SA-4.0";

pub fn is_open_license(license: &str) -> bool {
    OPEN_LICENSES.contains(&license)
}

/// One protocol item: whether it holds, and why in words a person can act on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Item {
    pub ok: bool,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Items {
    pub mutual_aid_fund: Item,
    pub rapid_defense_pledge: Item,
    pub open_tactics: Item,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Compliance {
    pub compliant: bool,
    pub items: Items,
}

/// Judges a ledger against the protocol at `now` (unix seconds).
pub fn compliance(ledger: &Ledger, chain: &TermChain, now: u64) -> Compliance {
    let items = Items {
        mutual_aid_fund: fund_item(ledger),
        rapid_defense_pledge: pledge_item(ledger, chain, now),
        open_tactics: tactics_item(ledger),
    };
    Compliance {
        compliant: items.mutual_aid_fund.ok
            && items.rapid_defense_pledge.ok
            && items.open_tactics.ok,
        items,
    }
}

fn item(ok: bool, reason: impl Into<String>) -> Item {
    Item {
        ok,
        reason: reason.into(),
    }
}

fn fund_item(ledger: &Ledger) -> Item {
    let fund = ledger.fund();
    if !fund.declared {
        return item(
            false,
            "no mutual aid fund declared; declare one with `circle fund declare`",
        );
    }
    let balances = if fund.balances.is_empty() {
        "no entries yet".to_owned()
    } else {
        fund.balances
            .iter()
            .map(|(c, b)| format!("{b} {c}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    item(
        true,
        format!(
            "fund declared with {} ledger entries; balance {balances}",
            fund.entries.len()
        ),
    )
}

fn pledge_item(ledger: &Ledger, chain: &TermChain, now: u64) -> Item {
    let latest = chain.latest();
    let term = latest.body.term;
    if chain.is_flagged() {
        return item(
            false,
            "stewards issued conflicting term certificates; federation is suspended",
        );
    }
    if !chain.frozen_actors().is_empty() {
        return item(
            false,
            "a steward signed two versions of one change; that writer is frozen",
        );
    }
    if chain.latest_expired(now) {
        return item(
            false,
            format!("steward term {term} has expired; rotate stewards and re-sign the pledge"),
        );
    }
    let Some(pledge) = ledger.pledge(term) else {
        return item(
            false,
            format!("the pledge is not signed for the current term {term}; sign it with `circle pledge sign`"),
        );
    };
    if !latest.body.stewards.contains(&pledge.steward) {
        return item(
            false,
            format!("the pledge for term {term} is signed by someone who is not a steward of it"),
        );
    }
    let msg = pledge_message(&ledger.circle_id(), term, &pledge.text);
    if pledge.steward.verify(&msg, &pledge.signature).is_err() {
        return item(
            false,
            format!("the pledge signature for term {term} does not verify"),
        );
    }
    item(true, format!("pledge signed for current term {term}"))
}

fn tactics_item(ledger: &Ledger) -> Item {
    match ledger.tactics_license() {
        Some(l) if is_open_license(&l) => {}
        Some(l) => {
            return item(
                false,
                format!("the circle's tactics licence `{l}` is not open"),
            )
        }
        None => return item(false, "the ledger declares no tactics licence"),
    }
    let tactics = ledger.tactics();
    let closed: Vec<String> = tactics
        .iter()
        .filter(|t| !is_open_license(&t.license))
        .map(|t| format!("{} ({})", t.tactic_id, t.license))
        .collect();
    if closed.is_empty() {
        item(
            true,
            format!("all {} tactics carry an open licence", tactics.len()),
        )
    } else {
        item(
            false,
            format!("tactics without an open licence: {}", closed.join(", ")),
        )
    }
}
