//! The protocol section: mutual aid fund, its ledger, and the rapid defense pledge.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use automerge::transaction::Transactable;
use automerge::ObjType;
use rust_decimal::Decimal;
use serde::Serialize;

use super::{check_text, check_title, day_of, new_id, read_str, read_u64, Ledger, Signer};
use crate::envelope::SignedChange;
use crate::error::LedgerError;
use crate::keys::{Hash32, PublicKey, Signature};

/// Largest amount one entry may carry; guards against typos and overflow.
const MAX_AMOUNT: i64 = 1_000_000_000_000;
const MAX_DECIMALS: u32 = 8;

/// An exact, positive decimal amount. Parsed from plain digits with at most one
/// point (`12`, `12.50`); no signs, exponents, separators or locale forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Amount(Decimal);

impl Amount {
    pub fn value(&self) -> Decimal {
        self.0
    }
}

impl FromStr for Amount {
    type Err = LedgerError;

    fn from_str(s: &str) -> Result<Amount, LedgerError> {
        // One rule for every front-end (CLI, page, API): digits, at most one point.
        let bad = || {
            let hint = if s.starts_with('-') {
                ": give the amount without a sign, and add --disbursement for money paid out"
            } else if s.contains(',') {
                ": use a point for decimals and no thousands separators"
            } else {
                ""
            };
            LedgerError::Invalid(format!(
                "amount `{s}` is not a positive decimal like 12 or 12.50{hint}"
            ))
        };
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() || !digits(int) || !digits(frac) || (s.contains('.') && frac.is_empty()) {
            return Err(bad());
        }
        if frac.len() > MAX_DECIMALS as usize || int.len() > 13 {
            return Err(LedgerError::Invalid(format!(
                "amount `{s}` has too many digits (at most 13 before and {MAX_DECIMALS} after the point)"
            )));
        }
        let d = Decimal::from_str_exact(s).map_err(|_| bad())?;
        if d.is_zero() {
            return Err(LedgerError::Invalid("amount must be more than zero".into()));
        }
        if d > Decimal::from(MAX_AMOUNT) {
            return Err(LedgerError::Invalid(format!(
                "amount `{s}` is implausibly large"
            )));
        }
        Ok(Amount(d))
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A currency: an ISO 4217 code (`EUR`, `GBP`), case-insensitive on input, kept upper case.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Currency(String);

impl FromStr for Currency {
    type Err = LedgerError;

    /// The rule for new entries: only codes ISO 4217 lists (a typo such as `XYZ` or
    /// `EUO` would otherwise open a second, meaningless balance).
    fn from_str(s: &str) -> Result<Currency, LedgerError> {
        let upper = s.to_ascii_uppercase();
        match iso_currency::Currency::from_code(&upper) {
            Some(c) if s.len() == 3 => Ok(Currency(c.code().to_owned())),
            _ => Err(LedgerError::Invalid(format!(
                "currency `{s}` is not an ISO 4217 code like EUR, GBP or USD"
            ))),
        }
    }
}

impl Currency {
    /// How an entry already in a ledger is read: any three letters, so entries written
    /// by older versions (or another implementation) still count in the balance.
    pub(crate) fn read_stored(s: &str) -> Option<Currency> {
        (s.len() == 3 && s.bytes().all(|b| b.is_ascii_alphabetic()))
            .then(|| Currency(s.to_ascii_uppercase()))
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FundKind {
    Contribution,
    Disbursement,
}

impl FundKind {
    fn as_str(self) -> &'static str {
        match self {
            FundKind::Contribution => "contribution",
            FundKind::Disbursement => "disbursement",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FundEntry {
    pub entry_id: String,
    pub kind: FundKind,
    pub amount: String,
    pub currency: String,
    pub memo: String,
    pub day: u64,
}

/// The fund as the protocol sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FundSummary {
    pub declared: bool,
    pub description: Option<String>,
    pub entries: Vec<FundEntry>,
    /// Balance per currency (contributions minus disbursements), exact decimals.
    pub balances: BTreeMap<String, String>,
    /// Entries whose amount or kind could not be read (written by a faulty peer).
    pub unreadable: usize,
}

/// A term's signed rapid defense pledge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Pledge {
    pub term: u64,
    pub text: String,
    pub steward: PublicKey,
    #[serde(skip)]
    pub signature: Signature,
}

/// What a steward signs when pledging: binds circle, term and exact text.
pub fn pledge_message(circle_id: &Hash32, term: u64, text: &str) -> Vec<u8> {
    let mut m = b"circle-ledger/pledge/v1\0".to_vec();
    m.extend_from_slice(&circle_id.0);
    m.extend_from_slice(&term.to_le_bytes());
    m.extend_from_slice(text.as_bytes());
    m
}

impl Ledger {
    pub fn declare_fund(
        &mut self,
        signer: &Signer<'_>,
        now: u64,
        description: &str,
    ) -> Result<SignedChange, LedgerError> {
        check_text("description", description)?;
        if description.trim().is_empty() {
            return Err(LedgerError::Invalid("fund description is empty".into()));
        }
        let protocol = self.collection("protocol")?;
        let term = signer.term;
        self.write(signer, now, |tx| {
            let fund = tx.put_object(&protocol, "fund", ObjType::Map)?;
            tx.put(&fund, "description", description)?;
            tx.put(&fund, "declared_term", term)?;
            tx.put(&fund, "declared_day", day_of(now))?;
            Ok(())
        })
    }

    pub fn add_fund_entry(
        &mut self,
        signer: &Signer<'_>,
        now: u64,
        kind: FundKind,
        amount: Amount,
        currency: &Currency,
        memo: &str,
    ) -> Result<(String, SignedChange), LedgerError> {
        check_title("memo", memo)?;
        if !self.fund().declared {
            return Err(LedgerError::Invalid(
                "declare the fund first with `circle fund declare`".into(),
            ));
        }
        if kind == FundKind::Disbursement {
            self.check_covered(amount, currency)?;
        }
        let entries = self.protocol_object("fund_ledger")?;
        let id = new_id();
        let signed = self.write(signer, now, |tx| {
            let e = tx.put_object(&entries, id.as_str(), ObjType::Map)?;
            tx.put(&e, "kind", kind.as_str())?;
            tx.put(&e, "amount", amount.to_string())?;
            tx.put(&e, "currency", currency.to_string())?;
            tx.put(&e, "memo", memo)?;
            tx.put(&e, "day", day_of(now))?;
            Ok(())
        })?;
        Ok((id, signed))
    }

    /// A payout may not take a balance below zero: the fund holds no money it was not
    /// given, and a typo in a disbursement would otherwise show as a debt.
    fn check_covered(&self, amount: Amount, currency: &Currency) -> Result<(), LedgerError> {
        let balance = self
            .fund()
            .balances
            .get(&currency.0)
            .and_then(|b| Decimal::from_str_exact(b).ok())
            .unwrap_or_default();
        if amount.value() > balance {
            return Err(LedgerError::Invalid(format!(
                "a disbursement of {amount} {currency} would overdraw the fund: its {currency} balance is {balance}"
            )));
        }
        Ok(())
    }

    pub fn fund(&self) -> FundSummary {
        let fund = self
            .collection("protocol")
            .ok()
            .and_then(|p| self.object(&p, "fund"));
        let description = fund
            .as_ref()
            .and_then(|f| read_str(&self.doc, f, "description"));
        let mut entries = Vec::new();
        let mut balances: BTreeMap<String, Decimal> = BTreeMap::new();
        let mut unreadable = 0;
        if let Ok(list) = self.protocol_object("fund_ledger") {
            for id in self.ids(&list) {
                match self.fund_entry(&list, &id) {
                    Some((entry, amount)) => {
                        let bal = balances.entry(entry.currency.clone()).or_default();
                        match entry.kind {
                            FundKind::Contribution => *bal += amount,
                            FundKind::Disbursement => *bal -= amount,
                        }
                        entries.push(entry);
                    }
                    None => unreadable += 1,
                }
            }
        }
        // `ids` gives creation order; a stable sort by day keeps it within a day.
        entries.sort_by_key(|e| e.day);
        FundSummary {
            declared: description.is_some(),
            description,
            entries,
            balances: balances
                .into_iter()
                .map(|(k, v)| (k, v.to_string()))
                .collect(),
            unreadable,
        }
    }

    fn fund_entry(&self, list: &automerge::ObjId, id: &str) -> Option<(FundEntry, Decimal)> {
        let e = self.object(list, id)?;
        let kind = match read_str(&self.doc, &e, "kind")?.as_str() {
            "contribution" => FundKind::Contribution,
            "disbursement" => FundKind::Disbursement,
            _ => return None,
        };
        let amount_str = read_str(&self.doc, &e, "amount")?;
        let amount: Amount = amount_str.parse().ok()?;
        let currency = Currency::read_stored(&read_str(&self.doc, &e, "currency")?)?;
        Some((
            FundEntry {
                entry_id: id.to_owned(),
                kind,
                amount: amount.to_string(),
                currency: currency.to_string(),
                memo: read_str(&self.doc, &e, "memo").unwrap_or_default(),
                day: read_u64(&self.doc, &e, "day").unwrap_or(0),
            },
            amount.value(),
        ))
    }

    /// Signs the rapid defense pledge for the signer's term.
    pub fn sign_pledge(
        &mut self,
        signer: &Signer<'_>,
        now: u64,
        text: &str,
    ) -> Result<SignedChange, LedgerError> {
        check_text("pledge", text)?;
        if text.trim().is_empty() {
            return Err(LedgerError::Invalid("pledge text is empty".into()));
        }
        let pledges = self.protocol_object("pledges")?;
        let sig = signer
            .key
            .sign(&pledge_message(&self.circle_id, signer.term, text));
        let term = signer.term;
        let steward = signer.key.public();
        self.write(signer, now, |tx| {
            let p = tx.put_object(&pledges, term.to_string(), ObjType::Map)?;
            tx.put(&p, "term", term)?;
            tx.put(&p, "text", text)?;
            tx.put(&p, "steward", steward.to_hex())?;
            tx.put(&p, "signature", hex::encode(sig.0))?;
            tx.put(&p, "day", day_of(now))?;
            Ok(())
        })
    }

    /// The pledge recorded for a term, if any and readable (not yet verified).
    pub fn pledge(&self, term: u64) -> Option<Pledge> {
        let pledges = self.protocol_object("pledges").ok()?;
        let p = self.object(&pledges, &term.to_string())?;
        let text = read_str(&self.doc, &p, "text")?;
        let steward = PublicKey::from_hex(&read_str(&self.doc, &p, "steward")?).ok()?;
        let mut sig = [0u8; 64];
        hex::decode_to_slice(read_str(&self.doc, &p, "signature")?, &mut sig).ok()?;
        Some(Pledge {
            term,
            text,
            steward,
            signature: Signature(sig),
        })
    }

    pub fn tactics_license(&self) -> Option<String> {
        let protocol = self.collection("protocol").ok()?;
        read_str(&self.doc, &protocol, "tactics_license")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts() {
        for ok in ["1", "12.50", "0.01", "1000000"] {
            assert!(ok.parse::<Amount>().is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-1",
            "1e5",
            "1,5",
            "1.2.3",
            "12.",
            ".5",
            "0",
            "0.00",
            "abc",
            " 1",
            "99999999999999",
        ] {
            assert!(bad.parse::<Amount>().is_err(), "{bad}");
        }
        assert_eq!("12.50".parse::<Amount>().unwrap().to_string(), "12.50");
        let neg = "-5".parse::<Amount>().unwrap_err().to_string();
        assert!(neg.contains("--disbursement"), "{neg}");
        let comma = "12,50".parse::<Amount>().unwrap_err().to_string();
        assert!(comma.contains("point"), "{comma}");
    }

    #[test]
    fn currencies() {
        assert_eq!("eur".parse::<Currency>().unwrap().to_string(), "EUR");
        assert_eq!("gbp".parse::<Currency>().unwrap().to_string(), "GBP");
        for bad in ["EURO", "E1R", "", "€", "US", "XYZ", "EUO", "€UR"] {
            assert!(bad.parse::<Currency>().is_err(), "{bad}");
        }
        // Entries already stored are read by the older, looser rule.
        assert!(Currency::read_stored("XYZ").is_some());
    }
}
