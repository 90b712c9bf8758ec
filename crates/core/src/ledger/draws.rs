//! Lottery records in the ledger: stewards' chain commitments and draws with their
//! reveals (the protocol is `crate::lottery`; `docs/LOTTERY.md` argues it).
//!
//! Layout under the root key [`LOTTERY_KEY`] (created by the first lottery write, so
//! older ledgers need no migration; concurrent creations on two devices are all read):
//! * `commits/<term>-<steward>-<anchor prefix>`: one JSON [`Commitment`];
//! * `draws/<id>`: a map whose transcript fields (`term`, `seats`, `purpose`, `day`,
//!   and JSON `candidates`, `heads`, `slots`) are each one scalar written by the draw's
//!   own change, so any later edit shows as a value from another change; `reveals`
//!   (steward → hex value) and `closes` (id → JSON) are filled by later changes.
//!
//! What only the change graph shows is checked here: the commitments counted precede
//! the draw, every earlier commitment of the term is counted, each position is the
//! steward's next unused one, and no concurrent draw uses the same position.

mod check;

use check::counted_commitments;

use automerge::transaction::Transactable;
use automerge::{ChangeHash, ObjId, ObjType, ReadDoc, ROOT};
use serde::{Deserialize, Serialize};

use super::{day_of, new_id, Ledger, Signer, LOTTERY_KEY, MIN_ID_PREFIX};
use crate::envelope::SignedChange;
use crate::error::LedgerError;
use crate::keys::{Hash32, PublicKey, Signature};
use crate::lottery::{self, short, Commitment, LotteryError, Reveal, Transcript};

/// Largest JSON field of a draw read (64 names of 64 characters, 4 bytes each, quoted).
const MAX_FIELD_BYTES: usize = 24 * 1024;

/// One counted steward as the draw record names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct SlotRef {
    steward: String,
    anchor: String,
    position: u32,
}

/// A commitment as the ledger keeps it: JSON with hex fields, readable by any tool.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct CommitRecord {
    term: u64,
    steward: String,
    anchor: String,
    length: u32,
    signature: String,
}

impl CommitRecord {
    fn of(c: &Commitment) -> CommitRecord {
        CommitRecord {
            term: c.term,
            steward: c.steward.to_hex(),
            anchor: c.anchor.to_hex(),
            length: c.length,
            signature: hex::encode(c.signature.0),
        }
    }

    fn commitment(&self) -> Option<Commitment> {
        let mut signature = [0u8; 64];
        hex::decode_to_slice(&self.signature, &mut signature).ok()?;
        Some(Commitment {
            term: self.term,
            steward: PublicKey::from_hex(&self.steward).ok()?,
            anchor: Hash32::from_hex(&self.anchor).ok()?,
            length: self.length,
            signature: Signature(signature),
        })
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct CloseRecord {
    day: u64,
    /// The stewards the closing device had no reveal of (what it saw; the ledger's
    /// reveals decide, see `docs/LOTTERY.md`).
    withheld: Vec<String>,
}

/// A draw as the drawer writes it.
#[derive(Clone, Debug)]
pub struct NewDraw {
    pub term: u64,
    pub candidates: Vec<String>,
    pub seats: u32,
    pub purpose: String,
    /// Counted commitments with the position each must reveal ([`Ledger::next_draw_slots`]).
    pub slots: Vec<(Commitment, u32)>,
}

/// A draw read from the ledger and verified there: what `lottery verify` prints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DrawStatus {
    pub draw_id: String,
    pub term: u64,
    pub purpose: String,
    pub day: u64,
    pub seats: u32,
    pub candidates: Vec<String>,
    /// The transcript verifies (so far: a draw still waiting for reveals is valid).
    pub valid: bool,
    /// Why not, when not valid.
    pub reason: Option<String>,
    /// Every counted steward revealed, or the draw was closed.
    pub complete: bool,
    /// In draw order, once complete and valid.
    pub chosen: Option<Vec<String>>,
    /// Counted stewards (first 12 hex digits of the key) not yet revealed.
    pub waiting_for: Vec<String>,
    /// Counted stewards that had not revealed when the draw was closed.
    pub withheld: Vec<String>,
    pub counted: Vec<String>,
    /// Stewards of the term with no commitment before the draw: they had no say.
    pub not_counted: Vec<String>,
    /// Reveal values in the ledger that match no commitment (ignored; a steward wrote
    /// into another's slot, or a bad device).
    pub ignored_reveals: usize,
    /// The full transcript, for anyone recomputing the draw by hand.
    pub transcript: Option<Transcript>,
}

pub(super) struct ParsedDraw {
    id: String,
    change: ChangeHash,
    obj: ObjId,
    term: u64,
    seats: u32,
    purpose: String,
    day: u64,
    candidates: Vec<String>,
    heads: Vec<Hash32>,
    slots: Vec<SlotRef>,
}

impl Ledger {
    /// Every lottery root object (several only after concurrent first writes).
    fn lottery_roots(&self) -> Vec<ObjId> {
        self.doc
            .get_all(ROOT, LOTTERY_KEY)
            .unwrap_or_default()
            .into_iter()
            .filter(|(v, _)| matches!(v, automerge::Value::Object(ObjType::Map)))
            .map(|(_, id)| id)
            .collect()
    }

    fn lottery_maps(&self, name: &str) -> Vec<ObjId> {
        self.lottery_roots()
            .iter()
            .filter_map(|root| self.object(root, name))
            .collect()
    }

    /// Every well-formed commitment in the ledger, with the change that wrote it.
    pub fn lottery_commitments(&self) -> Vec<(Commitment, Hash32)> {
        let mut out = Vec::new();
        for map in self.lottery_maps("commits") {
            for key in self.doc.keys(&map) {
                for (v, exid) in self.doc.get_all(&map, key.as_str()).unwrap_or_default() {
                    let parsed = v.as_str().and_then(parse_json::<CommitRecord>);
                    let Some(c) = parsed.and_then(|r| r.commitment()) else {
                        continue;
                    };
                    if let Some(h) = self.doc.hash_for_opid(&exid) {
                        out.push((c, Hash32(h.0)));
                    }
                }
            }
        }
        out
    }

    /// Publishes chain commitments (one change for all keys of this device).
    pub fn add_lottery_commitments(
        &mut self,
        signer: &Signer<'_>,
        now: u64,
        commitments: &[Commitment],
    ) -> Result<SignedChange, LedgerError> {
        if commitments.is_empty() || commitments.len() > lottery::MAX_DRAW_STEWARDS {
            return Err(LedgerError::Invalid(
                "between 1 and 32 commitments per change".into(),
            ));
        }
        let entries: Vec<(String, String)> = commitments
            .iter()
            .map(|c| {
                let key = format!(
                    "{}-{}-{}",
                    c.term,
                    c.steward.to_hex(),
                    &c.anchor.to_hex()[..16]
                );
                (key, to_json(&CommitRecord::of(c)))
            })
            .collect();
        self.write_lottery(signer, now, move |tx, commits, _| {
            for (k, v) in &entries {
                tx.put(commits, k.as_str(), v.as_str())?;
            }
            Ok(())
        })
    }

    /// Runs `f` in one signed write with the lottery maps (created if absent).
    fn write_lottery<F>(
        &mut self,
        signer: &Signer<'_>,
        now: u64,
        f: F,
    ) -> Result<SignedChange, LedgerError>
    where
        F: FnOnce(
            &mut automerge::transaction::Transaction<'_>,
            &ObjId,
            &ObjId,
        ) -> Result<(), automerge::AutomergeError>,
    {
        let existing = self
            .object(&ROOT, LOTTERY_KEY)
            .and_then(|root| Some((self.object(&root, "commits")?, self.object(&root, "draws")?)));
        self.write(signer, now, |tx| {
            let (commits, draws) = match existing {
                Some(maps) => maps,
                None => {
                    let root = tx.put_object(ROOT, LOTTERY_KEY, ObjType::Map)?;
                    let c = tx.put_object(&root, "commits", ObjType::Map)?;
                    let d = tx.put_object(&root, "draws", ObjType::Map)?;
                    (c, d)
                }
            };
            f(tx, &commits, &draws)
        })
    }

    /// The slots a draw written now in `term` must name: for every steward of the term
    /// with a valid commitment in the ledger (the smallest anchor if it has several), its
    /// next unused chain position. Everything in the ledger now precedes the next change.
    pub fn next_draw_slots(
        &self,
        term: u64,
        stewards: &[PublicKey],
    ) -> Result<Vec<(Commitment, u32)>, LotteryError> {
        let commitments: Vec<Commitment> = self
            .lottery_commitments()
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        let counted = counted_commitments(&self.circle_id, term, stewards, commitments.iter());
        let draws = self.parsed_draws();
        let mut out = Vec::new();
        for c in counted {
            let anchor = c.anchor.to_hex();
            // One position per earlier draw counting this chain, valid or not (the rule
            // `draw_status` checks): every draw in the ledger precedes the next change.
            let used = draws
                .iter()
                .filter(|d| d.slots.iter().any(|s| s.anchor == anchor))
                .count();
            let position = u32::try_from(used).unwrap_or(u32::MAX).saturating_add(1);
            if position > c.length {
                return Err(LotteryError::ChainExhausted(short(&c.steward)));
            }
            out.push((c.clone(), position));
        }
        Ok(out)
    }

    /// Writes a draw record on the current heads; `reveal` gives the reveals of the
    /// stewards this device holds, signed for the draw's digest it is passed. Returns
    /// the draw's id.
    pub fn add_draw(
        &mut self,
        signer: &Signer<'_>,
        now: u64,
        draw: &NewDraw,
        reveal: impl FnOnce(&Hash32) -> Vec<(PublicKey, Reveal)>,
    ) -> Result<(String, SignedChange), LedgerError> {
        lottery::check_request(&draw.candidates, draw.seats, &draw.purpose)
            .map_err(|e| LedgerError::Invalid(e.to_string()))?;
        let mut head_hashes: Vec<Hash32> = self.heads().iter().map(|h| Hash32(h.0)).collect();
        head_hashes.sort();
        let heads: Vec<String> = head_hashes.iter().map(Hash32::to_hex).collect();
        let mut ordered = draw.slots.clone();
        ordered.sort_by_key(|a| a.0.steward);
        let digest = lottery::fixed_digest(
            &self.circle_id,
            draw.term,
            &draw.candidates,
            draw.seats,
            &draw.purpose,
            &head_hashes,
            ordered.iter().map(|(c, p)| (c, *p)),
        );
        let reveals = reveal(&digest);
        let mut slots: Vec<SlotRef> = draw
            .slots
            .iter()
            .map(|(c, position)| SlotRef {
                steward: c.steward.to_hex(),
                anchor: c.anchor.to_hex(),
                position: *position,
            })
            .collect();
        slots.sort_by(|a, b| a.steward.cmp(&b.steward));
        let id = new_id();
        let signed = self.write_lottery(signer, now, |tx, _, draws| {
            let d = tx.put_object(draws, id.as_str(), ObjType::Map)?;
            tx.put(&d, "term", draw.term)?;
            tx.put(&d, "seats", u64::from(draw.seats))?;
            tx.put(&d, "purpose", draw.purpose.as_str())?;
            tx.put(&d, "day", day_of(now))?;
            tx.put(&d, "candidates", to_json(&draw.candidates).as_str())?;
            tx.put(&d, "heads", to_json(&heads).as_str())?;
            tx.put(&d, "slots", to_json(&slots).as_str())?;
            let map = tx.put_object(&d, "reveals", ObjType::Map)?;
            for (k, r) in &reveals {
                tx.put(&map, k.to_hex().as_str(), encode_reveal(r).as_str())?;
            }
            tx.put_object(&d, "closes", ObjType::Map)?;
            Ok(())
        })?;
        Ok((id, signed))
    }

    /// Adds reveals to a draw (one change for every key of this device).
    pub fn add_draw_reveals(
        &mut self,
        signer: &Signer<'_>,
        now: u64,
        draw_id: &str,
        reveals: &[(PublicKey, Reveal)],
    ) -> Result<SignedChange, LedgerError> {
        let draw = self.draw_obj(draw_id)?;
        let map = self
            .object(&draw, "reveals")
            .ok_or_else(|| LedgerError::Invalid(format!("draw {draw_id} has no reveals map")))?;
        self.write(signer, now, |tx| {
            for (k, r) in reveals {
                tx.put(&map, k.to_hex().as_str(), encode_reveal(r).as_str())?;
            }
            Ok(())
        })
    }

    /// Closes a draw after its reveal window, naming the stewards not revealed.
    pub fn close_draw(
        &mut self,
        signer: &Signer<'_>,
        now: u64,
        draw_id: &str,
        withheld: &[PublicKey],
    ) -> Result<SignedChange, LedgerError> {
        let draw = self.draw_obj(draw_id)?;
        let map = self
            .object(&draw, "closes")
            .ok_or_else(|| LedgerError::Invalid(format!("draw {draw_id} has no closes map")))?;
        let record = CloseRecord {
            day: day_of(now),
            withheld: withheld.iter().map(PublicKey::to_hex).collect(),
        };
        self.write(signer, now, |tx| {
            tx.put(&map, new_id().as_str(), to_json(&record).as_str())?;
            Ok(())
        })
    }

    fn draw_obj(&self, draw_id: &str) -> Result<ObjId, LedgerError> {
        self.lottery_maps("draws")
            .iter()
            .find_map(|m| self.object(m, draw_id))
            .ok_or_else(|| not_found(draw_id))
    }

    /// Draw ids, oldest first.
    pub fn draw_ids(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .lottery_maps("draws")
            .iter()
            .flat_map(|m| self.ids(m))
            .collect();
        all.dedup();
        all
    }

    /// Ids of the draws of one term, oldest first (a device reveals only in these).
    pub fn draw_ids_of_term(&self, term: u64) -> Vec<String> {
        let mut out: Vec<String> = self
            .parsed_draws()
            .into_iter()
            .filter(|d| d.term == term)
            .map(|d| d.id)
            .collect();
        out.dedup();
        out
    }

    /// The full id of a draw given its id or a prefix of at least 8 hex digits.
    pub fn resolve_draw(&self, id: &str) -> Result<String, LedgerError> {
        let ids = self.draw_ids();
        if ids.iter().any(|d| d == id) {
            return Ok(id.to_owned());
        }
        let prefix = id.to_ascii_lowercase();
        if prefix.len() < MIN_ID_PREFIX || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(not_found(id));
        }
        let mut found = ids.into_iter().filter(|k| k.starts_with(&prefix));
        match (found.next(), found.next()) {
            (Some(one), None) => Ok(one),
            (Some(_), Some(_)) => Err(LedgerError::Invalid(format!(
                "draw id `{id}` is ambiguous: give more of its digits"
            ))),
            (None, _) => Err(not_found(id)),
        }
    }

    pub(super) fn parsed_draws(&self) -> Vec<ParsedDraw> {
        self.draw_ids()
            .iter()
            .filter_map(|id| self.parse_draw(id).ok())
            .collect()
    }

    /// A draw's fixed fields, each checked to come from the draw's own change.
    pub(super) fn parse_draw(&self, id: &str) -> Result<ParsedDraw, LotteryError> {
        let obj = self
            .draw_obj(id)
            .map_err(|_| LotteryError::Malformed(format!("no draw {id}")))?;
        let change = self
            .doc
            .hash_for_opid(&obj)
            .ok_or_else(|| LotteryError::Malformed("no change wrote it".into()))?;
        let field = |key: &'static str| -> Result<automerge::Value<'_>, LotteryError> {
            let mut all = self.doc.get_all(&obj, key).unwrap_or_default();
            if all.len() != 1 {
                return Err(if all.is_empty() {
                    LotteryError::Malformed(format!("`{key}` is missing"))
                } else {
                    LotteryError::ChangedAfterDraw(key)
                });
            }
            let (v, exid) = all.remove(0);
            if self.doc.hash_for_opid(&exid) != Some(change) {
                return Err(LotteryError::ChangedAfterDraw(key));
            }
            Ok(v)
        };
        let num = |key: &'static str| -> Result<u64, LotteryError> {
            field(key)?
                .as_u64()
                .ok_or_else(|| LotteryError::Malformed(format!("`{key}` is not a number")))
        };
        let text = |key: &'static str| -> Result<String, LotteryError> {
            let v = field(key)?;
            let s = v
                .as_str()
                .ok_or_else(|| LotteryError::Malformed(format!("`{key}` is not text")))?;
            if s.len() > MAX_FIELD_BYTES {
                return Err(LotteryError::Malformed(format!("`{key}` is too large")));
            }
            Ok(s.to_owned())
        };
        let json = |key: &'static str| -> Result<serde_json::Value, LotteryError> {
            serde_json::from_str(&text(key)?)
                .map_err(|_| LotteryError::Malformed(format!("`{key}` is not JSON")))
        };
        let decode = |key: &'static str| {
            let v = json(key)?;
            Ok::<_, LotteryError>((key, v))
        };
        let candidates: Vec<String> = from_value(decode("candidates")?)?;
        let heads: Vec<String> = from_value(decode("heads")?)?;
        let slots: Vec<SlotRef> = from_value(decode("slots")?)?;
        if heads.len() > lottery::MAX_DRAW_HEADS {
            return Err(LotteryError::TooManyHeads(heads.len()));
        }
        if slots.len() > lottery::MAX_DRAW_STEWARDS {
            return Err(LotteryError::TooManyStewards(slots.len()));
        }
        let heads = heads
            .iter()
            .map(|h| Hash32::from_hex(h))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| LotteryError::Malformed("a head is not a hash".into()))?;
        let seats = u32::try_from(num("seats")?)
            .map_err(|_| LotteryError::Malformed("`seats` is out of range".into()))?;
        Ok(ParsedDraw {
            id: id.to_owned(),
            change,
            term: num("term")?,
            seats,
            purpose: text("purpose")?,
            day: num("day")?,
            candidates,
            heads,
            slots,
            obj,
        })
    }
}

fn from_value<T: serde::de::DeserializeOwned>(
    (key, v): (&'static str, serde_json::Value),
) -> Result<T, LotteryError> {
    serde_json::from_value(v).map_err(|_| LotteryError::Malformed(format!("`{key}` is malformed")))
}

pub(super) fn parse_json<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
    if s.len() > MAX_FIELD_BYTES {
        return None;
    }
    serde_json::from_str(s).ok()
}

/// A reveal as the ledger keeps it: `VALUE.SIGNATURE`, both hex.
fn encode_reveal(r: &Reveal) -> String {
    format!("{}.{}", r.value.to_hex(), hex::encode(r.signature.0))
}

pub(super) fn decode_reveal(s: &str) -> Option<Reveal> {
    let (v, sig) = s.split_once('.')?;
    let mut signature = [0u8; 64];
    hex::decode_to_slice(sig, &mut signature).ok()?;
    Some(Reveal {
        value: Hash32::from_hex(v).ok()?,
        signature: Signature(signature),
    })
}

fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn not_found(id: &str) -> LedgerError {
    LedgerError::NotFound {
        kind: "draw",
        id: id.to_owned(),
    }
}

#[cfg(test)]
mod tests;
