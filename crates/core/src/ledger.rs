//! The circle ledger: one Automerge document with a typed schema.
//!
//! Every write runs in one Automerge transaction, is committed with a timestamp rounded
//! down to the day (no public change reveals when a steward was at work), and is
//! wrapped in an [`Envelope`] signed by a steward of the current term.
//!
//! Collections are Automerge *maps* keyed by random ids, never lists: a list's
//! `length()` is O(n) in automerge 0.12 and concurrent appends interleave.

mod draws;
mod fund;
mod records;
mod tasks;

use automerge::transaction::{CommitOptions, Transactable, Transaction};
use automerge::{ActorId, Automerge, ChangeHash, ObjId, ObjType, ReadDoc, ScalarValue, ROOT};

pub use draws::{DrawStatus, NewDraw};
pub use fund::{pledge_message, Amount, Currency, FundEntry, FundKind, FundSummary, Pledge};
pub use records::{accepted_license, Action, Lineage, NewTactic, NewZine, Retro, Tactic, Zine};
pub use tasks::{Task, TaskStatus};

use crate::envelope::{Envelope, SignedChange};
use crate::error::LedgerError;
use crate::keys::{Hash32, StewardKey};

/// Schema version written into every ledger; loading refuses newer ones.
pub const SCHEMA_VERSION: u64 = 1;
pub(crate) const DAY: u64 = 86_400;
pub(crate) const MAX_TITLE: usize = 200;
pub(crate) const MAX_TEXT: usize = 256 * 1024;
pub(crate) const MAX_TAGS: usize = 16;
pub(crate) const MAX_TAG: usize = 48;

/// Shortest id prefix a command accepts for an id (CLI.md: "at least 8 hex digits").
pub const MIN_ID_PREFIX: usize = 8;

/// The collections at the ledger root, created once by the genesis change.
const COLLECTIONS: [&str; 5] = ["actions", "tactics", "zines", "tasks", "retros"];

/// The root key of the lottery's commitments and draws (`ledger/draws.rs`), created by
/// the first lottery write rather than at genesis, so older ledgers load unchanged.
const LOTTERY_KEY: &str = "lottery";

/// Who is writing: a steward key of a given term.
#[derive(Debug)]
pub struct Signer<'a> {
    pub key: &'a StewardKey,
    pub term: u64,
}

/// A circle's ledger document.
#[derive(Debug, Clone)]
pub struct Ledger {
    doc: Automerge,
    circle_id: Hash32,
    /// Highest sequence number per actor, built on first ingest (see `validate`).
    seqs: Option<crate::validate::SeqIndex>,
}

/// Rounds unix seconds down to the start of the day: the only time granularity that
/// ever leaves this node.
pub fn day_of(now: u64) -> u64 {
    now - now % DAY
}

/// A fresh random entry id (64 bits, hex): unguessable, collision-free in practice.
pub fn new_id() -> String {
    let b = crate::keys::random_bytes();
    hex::encode(&b[..8])
}

impl Ledger {
    /// Creates the genesis change of a new circle's ledger.
    pub fn genesis(
        circle_id: Hash32,
        name: &str,
        actor: ActorId,
        signer: &Signer<'_>,
        now: u64,
    ) -> Result<(Ledger, SignedChange), LedgerError> {
        check_title("circle name", name)?;
        let mut ledger = Ledger {
            doc: Automerge::new().with_actor(actor),
            circle_id,
            seqs: None,
        };
        let name = name.to_owned();
        let signed = ledger.write(signer, now, |tx| {
            tx.put(ROOT, "schema_version", SCHEMA_VERSION)?;
            let circle = tx.put_object(ROOT, "circle", ObjType::Map)?;
            tx.put(&circle, "id", circle_id.to_hex())?;
            tx.put(&circle, "name", name.as_str())?;
            tx.put(&circle, "created_day", day_of(now))?;
            let protocol = tx.put_object(ROOT, "protocol", ObjType::Map)?;
            tx.put(
                &protocol,
                "tactics_license",
                crate::compliance::DEFAULT_LICENSE,
            )?;
            tx.put_object(&protocol, "fund_ledger", ObjType::Map)?;
            tx.put_object(&protocol, "pledges", ObjType::Map)?;
            for c in COLLECTIONS {
                tx.put_object(ROOT, c, ObjType::Map)?;
            }
            Ok(())
        })?;
        Ok((ledger, signed))
    }

    /// Wraps a loaded document, checking that it is a ledger of the expected circle.
    pub fn from_doc(doc: Automerge, circle_id: Hash32) -> Result<Ledger, LedgerError> {
        let version = doc
            .get(ROOT, "schema_version")?
            .and_then(|(v, _)| v.as_u64())
            .ok_or_else(|| LedgerError::NotALedger("no schema version".into()))?;
        if version > SCHEMA_VERSION {
            return Err(LedgerError::SchemaTooNew {
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        let ledger = Ledger {
            doc,
            circle_id,
            seqs: None,
        };
        let id = ledger.circle_field("id");
        if id.as_deref() != Some(circle_id.to_hex().as_str()) {
            return Err(LedgerError::NotALedger("circle id does not match".into()));
        }
        for c in COLLECTIONS {
            ledger.collection(c)?;
        }
        Ok(ledger)
    }

    /// An empty replica of a circle, to be filled by verified changes from peers.
    pub fn empty_replica(circle_id: Hash32) -> Ledger {
        Ledger {
            doc: Automerge::new(),
            circle_id,
            seqs: None,
        }
    }

    pub fn circle_id(&self) -> Hash32 {
        self.circle_id
    }

    pub fn doc(&self) -> &Automerge {
        &self.doc
    }

    /// The document and its sequence index, for verified ingest.
    pub(crate) fn doc_and_seqs(&mut self) -> (&mut Automerge, &mut crate::validate::SeqIndex) {
        let doc = &mut self.doc;
        let seqs = self
            .seqs
            .get_or_insert_with(|| crate::validate::SeqIndex::build(doc));
        (doc, seqs)
    }

    /// Drops the sequence index (rebuilt from the document when next needed).
    pub(crate) fn forget_seqs(&mut self) {
        self.seqs = None;
    }

    /// Swaps in a rebuilt document (see [`crate::validate::rebuild_without`]).
    pub(crate) fn replace_doc(&mut self, doc: Automerge) {
        self.doc = doc;
        self.seqs = None;
    }

    pub fn into_doc(self) -> Automerge {
        self.doc
    }

    pub fn heads(&self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    pub fn set_actor(&mut self, actor: ActorId) {
        self.doc.set_actor(actor);
    }

    pub fn name(&self) -> String {
        self.circle_field("name").unwrap_or_default()
    }

    fn circle_field(&self, key: &str) -> Option<String> {
        let circle = self.object(&ROOT, "circle")?;
        read_str(&self.doc, &circle, key)
    }

    pub(crate) fn object(&self, parent: &ObjId, key: &str) -> Option<ObjId> {
        match self.doc.get(parent, key) {
            Ok(Some((automerge::Value::Object(_), id))) => Some(id),
            _ => None,
        }
    }

    pub(crate) fn collection(&self, name: &str) -> Result<ObjId, LedgerError> {
        self.object(&ROOT, name)
            .ok_or_else(|| LedgerError::NotALedger(format!("missing `{name}`")))
    }

    pub(crate) fn protocol_object(&self, name: &str) -> Result<ObjId, LedgerError> {
        let protocol = self
            .object(&ROOT, "protocol")
            .ok_or_else(|| LedgerError::NotALedger("missing `protocol`".into()))?;
        self.object(&protocol, name)
            .ok_or_else(|| LedgerError::NotALedger(format!("missing `protocol.{name}`")))
    }

    /// Runs `f` in one transaction, commits it with a day-rounded timestamp and signs it.
    pub fn write<F>(
        &mut self,
        signer: &Signer<'_>,
        now: u64,
        f: F,
    ) -> Result<SignedChange, LedgerError>
    where
        F: FnOnce(&mut Transaction<'_>) -> Result<(), automerge::AutomergeError>,
    {
        let mut tx = self.doc.transaction();
        if let Err(e) = f(&mut tx) {
            tx.rollback();
            return Err(e.into());
        }
        let day = i64::try_from(day_of(now)).unwrap_or(0);
        let (hash, _) = tx.commit_with(CommitOptions::default().with_time(day));
        let hash = hash.ok_or_else(|| LedgerError::Invalid("nothing to write".into()))?;
        let change = self
            .doc
            .get_change_by_hash(&hash)
            .ok_or_else(|| LedgerError::Invalid("committed change vanished".into()))?;
        if let Some(seqs) = &mut self.seqs {
            seqs.note(change.actor_id(), change.seq());
        }
        let envelope = Envelope::sign(self.circle_id, Hash32(hash.0), signer.term, signer.key);
        Ok(SignedChange {
            envelope,
            bytes: change.raw_bytes().to_vec(),
        })
    }

    /// Like [`Ledger::write`] but under a throw-away actor id, so that the change cannot
    /// be linked to any other change in the public ledger (used for zines).
    pub fn write_unlinkable<F>(
        &mut self,
        signer: &Signer<'_>,
        now: u64,
        f: F,
    ) -> Result<SignedChange, LedgerError>
    where
        F: FnOnce(&mut Transaction<'_>) -> Result<(), automerge::AutomergeError>,
    {
        let actor = self.doc.get_actor().clone();
        self.doc.set_actor(ActorId::random());
        let result = self.write(signer, now, f);
        self.doc.set_actor(actor);
        result
    }

    /// Keys of a collection map in the order their entries were created. Ids are random,
    /// so their own order means nothing; the counter of the operation that created an
    /// entry is a Lamport clock, which orders every entry after those its writer had
    /// seen (concurrent entries fall back to the id, the same on every node).
    pub(crate) fn ids(&self, collection: &ObjId) -> Vec<String> {
        ids_of(&self.doc, collection)
    }

    /// The full id of an entry of `collection` given its id or an unambiguous prefix of
    /// at least [`MIN_ID_PREFIX`] hex digits (lists may print ids shortened).
    pub fn resolve_id(&self, collection: &'static str, id: &str) -> Result<String, LedgerError> {
        let kind = collection.strip_suffix('s').unwrap_or(collection);
        let not_found = || LedgerError::NotFound {
            kind,
            id: id.to_owned(),
        };
        let obj = self.collection(collection)?;
        if self.object(&obj, id).is_some() {
            return Ok(id.to_owned());
        }
        let prefix = id.to_ascii_lowercase();
        if prefix.len() < MIN_ID_PREFIX || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(not_found());
        }
        let mut found = self.doc.keys(&obj).filter(|k| k.starts_with(&prefix));
        match (found.next(), found.next()) {
            (Some(one), None) => Ok(one),
            (Some(_), Some(_)) => Err(LedgerError::Invalid(format!(
                "{kind} id `{id}` is ambiguous: give more of its digits"
            ))),
            (None, _) => Err(not_found()),
        }
    }
}

/// Keys of a collection map in creation order (see [`Ledger::ids`]).
pub(crate) fn ids_of(doc: &Automerge, collection: &ObjId) -> Vec<String> {
    let mut keyed: Vec<(u64, String)> = doc
        .map_range(collection, ..)
        .map(|item| {
            let counter = match item.id() {
                automerge::ObjId::Id(counter, _, _) => counter,
                automerge::ObjId::Root => 0,
            };
            (counter, item.key.into_owned())
        })
        .collect();
    keyed.sort();
    keyed.into_iter().map(|(_, id)| id).collect()
}

/// Reads a string field of a map object.
pub(crate) fn read_str(doc: &Automerge, obj: &ObjId, key: &str) -> Option<String> {
    match doc.get(obj, key) {
        Ok(Some((automerge::Value::Scalar(s), _))) => match s.as_ref() {
            ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        },
        Ok(Some((automerge::Value::Object(ObjType::Text), id))) => doc.text(&id).ok(),
        _ => None,
    }
}

pub(crate) fn read_u64(doc: &Automerge, obj: &ObjId, key: &str) -> Option<u64> {
    match doc.get(obj, key) {
        Ok(Some((v, _))) => v
            .as_u64()
            .or_else(|| v.as_i64().and_then(|i| u64::try_from(i).ok())),
        _ => None,
    }
}

/// Reads up to `max` strings of a list (a peer's list may be longer than ours allow).
pub(crate) fn read_list(doc: &Automerge, obj: &ObjId, key: &str, max: usize) -> Vec<String> {
    let Ok(Some((automerge::Value::Object(ObjType::List), list))) = doc.get(obj, key) else {
        return Vec::new();
    };
    doc.list_range(&list, ..)
        .filter_map(|item| match item.value {
            automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(s)) => Some(s.into_owned()),
            _ => None,
        })
        .take(max)
        .collect()
}

/// Writes a list of strings; an empty list is simply absent (two fewer ops per entry,
/// which every load and apply of a large ledger pays for).
pub(crate) fn write_list(
    tx: &mut Transaction<'_>,
    obj: &ObjId,
    key: &str,
    items: &[String],
) -> Result<(), automerge::AutomergeError> {
    if items.is_empty() {
        return Ok(());
    }
    let list = tx.put_object(obj, key, ObjType::List)?;
    for (i, item) in items.iter().enumerate() {
        tx.insert(&list, i, item.as_str())?;
    }
    Ok(())
}

pub(crate) fn write_text(
    tx: &mut Transaction<'_>,
    obj: &ObjId,
    key: &str,
    text: &str,
) -> Result<(), automerge::AutomergeError> {
    let t = tx.put_object(obj, key, ObjType::Text)?;
    tx.splice_text(&t, 0, 0, text)?;
    Ok(())
}

pub(crate) fn check_title(what: &str, s: &str) -> Result<(), LedgerError> {
    if s.trim().is_empty() {
        return Err(LedgerError::Invalid(format!("{what} is empty")));
    }
    if s.chars().count() > MAX_TITLE {
        return Err(LedgerError::Invalid(format!(
            "{what} is longer than {MAX_TITLE} characters"
        )));
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(LedgerError::Invalid(format!(
            "{what} contains control characters"
        )));
    }
    Ok(())
}

pub(crate) fn check_text(what: &str, s: &str) -> Result<(), LedgerError> {
    if s.len() > MAX_TEXT {
        return Err(LedgerError::Invalid(format!(
            "{what} is larger than {} KiB",
            MAX_TEXT / 1024
        )));
    }
    Ok(())
}

pub(crate) fn check_tags(tags: &[String]) -> Result<(), LedgerError> {
    if tags.len() > MAX_TAGS {
        return Err(LedgerError::Invalid(format!("at most {MAX_TAGS} tags")));
    }
    for t in tags {
        let ok = !t.is_empty()
            && t.chars().count() <= MAX_TAG
            && t.chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
        if !ok {
            return Err(LedgerError::Invalid(format!(
                "tag `{t}` must be 1-{MAX_TAG} letters, digits, `-` or `_`"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
