//! Actions, tactics, zines and retrospectives.

use automerge::transaction::Transactable;
use automerge::{ObjId, ObjType};
use serde::Serialize;

use super::MAX_TAGS;
use super::{
    check_tags, check_text, check_title, day_of, new_id, read_list, read_str, read_u64, write_list,
    write_text, Ledger, Signer,
};
use crate::compliance::OPEN_LICENSES;
use crate::envelope::SignedChange;
use crate::error::LedgerError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Action {
    pub entry_id: String,
    pub title: String,
    pub summary: String,
    pub tags: Vec<String>,
    pub day: u64,
}

/// Where a forked tactic came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Lineage {
    pub circle_id: String,
    pub tactic_id: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Tactic {
    pub tactic_id: String,
    pub title: String,
    pub body: String,
    pub license: String,
    pub tags: Vec<String>,
    /// The tactic this one was forked from, if any.
    pub derived_from: Option<Lineage>,
    /// Every ancestor, nearest first (`derived_from` is the first), so the chain of
    /// circles that adapted a tactic travels with it even when they are not followed.
    pub lineage: Vec<Lineage>,
    pub day: u64,
}

#[derive(Clone, Debug)]
pub struct NewTactic {
    pub title: String,
    pub body: String,
    pub license: String,
    pub tags: Vec<String>,
    /// Ancestors, nearest first; empty for an original tactic.
    pub lineage: Vec<Lineage>,
}

/// Longest lineage kept: a fork of a fork of … beyond this is cut at the far end.
const MAX_LINEAGE: usize = 64;

impl Lineage {
    fn encode(&self) -> String {
        format!("{}/{}", self.circle_id, self.tactic_id)
    }

    fn decode(s: &str) -> Option<Lineage> {
        let (c, t) = s.split_once('/')?;
        Some(Lineage {
            circle_id: c.to_owned(),
            tactic_id: t.to_owned(),
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Zine {
    pub zine_id: String,
    pub title: String,
    pub body: String,
    pub worked: String,
    pub failed: String,
    pub questions: String,
    pub action_id: Option<String>,
    pub day: u64,
}

#[derive(Clone, Debug, Default)]
pub struct NewZine {
    pub title: String,
    pub body: String,
    pub worked: String,
    pub failed: String,
    pub questions: String,
    pub action_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Retro {
    pub entry_id: String,
    pub title: String,
    pub notes: String,
    pub action_id: Option<String>,
    pub day: u64,
}

/// The licence a tactic may be published under, in its canonical spelling: one of the
/// three the protocol accepts, named in any case (`cc0-1.0` is CC0-1.0). Other licences,
/// open ones such as MIT included, are refused: the protocol lists these three.
pub fn accepted_license(name: &str) -> Result<&'static str, LedgerError> {
    OPEN_LICENSES
        .iter()
        .find(|l| l.eq_ignore_ascii_case(name.trim()))
        .copied()
        .ok_or_else(|| {
            LedgerError::Invalid(format!(
                "licence `{name}` is not one of the three the protocol accepts: {}",
                OPEN_LICENSES.join(", ")
            ))
        })
}

impl Ledger {
    pub fn log_action(
        &mut self,
        signer: &Signer<'_>,
        now: u64,
        title: &str,
        summary: &str,
        tags: &[String],
    ) -> Result<(String, SignedChange), LedgerError> {
        check_title("title", title)?;
        check_text("summary", summary)?;
        check_tags(tags)?;
        let actions = self.collection("actions")?;
        let id = new_id();
        let signed = self.write(signer, now, |tx| {
            let a = tx.put_object(&actions, id.as_str(), ObjType::Map)?;
            tx.put(&a, "title", title)?;
            tx.put(&a, "summary", summary)?;
            write_list(tx, &a, "tags", tags)?;
            tx.put(&a, "day", day_of(now))?;
            Ok(())
        })?;
        Ok((id, signed))
    }

    pub fn actions(&self) -> Vec<Action> {
        let Ok(actions) = self.collection("actions") else {
            return Vec::new();
        };
        let mut out: Vec<Action> = self
            .ids(&actions)
            .into_iter()
            .filter_map(|id| {
                let a = self.object(&actions, &id)?;
                Some(Action {
                    title: read_str(&self.doc, &a, "title")?,
                    summary: read_str(&self.doc, &a, "summary").unwrap_or_default(),
                    tags: read_list(&self.doc, &a, "tags", MAX_TAGS),
                    day: read_u64(&self.doc, &a, "day").unwrap_or(0),
                    entry_id: id,
                })
            })
            .collect();
        out.sort_by_key(|a| a.day);
        out
    }

    pub fn has_action(&self, id: &str) -> bool {
        self.collection("actions")
            .ok()
            .and_then(|a| self.object(&a, id))
            .is_some()
    }

    /// Publishes a tactic. Only open licences are accepted (the third protocol item).
    pub fn publish_tactic(
        &mut self,
        signer: &Signer<'_>,
        now: u64,
        tactic: &NewTactic,
    ) -> Result<(String, SignedChange), LedgerError> {
        check_title("title", &tactic.title)?;
        check_text("body", &tactic.body)?;
        check_tags(&tactic.tags)?;
        let license = accepted_license(&tactic.license)?;
        let tactics = self.collection("tactics")?;
        let id = new_id();
        let signed = self.write(signer, now, |tx| {
            let t = tx.put_object(&tactics, id.as_str(), ObjType::Map)?;
            tx.put(&t, "title", tactic.title.as_str())?;
            write_text(tx, &t, "body", &tactic.body)?;
            tx.put(&t, "license", license)?;
            write_list(tx, &t, "tags", &tactic.tags)?;
            if let Some(l) = tactic.lineage.first() {
                let d = tx.put_object(&t, "derived_from", ObjType::Map)?;
                tx.put(&d, "circle_id", l.circle_id.as_str())?;
                tx.put(&d, "tactic_id", l.tactic_id.as_str())?;
                let chain: Vec<String> = tactic
                    .lineage
                    .iter()
                    .take(MAX_LINEAGE)
                    .map(Lineage::encode)
                    .collect();
                write_list(tx, &t, "lineage", &chain)?;
            }
            tx.put(&t, "day", day_of(now))?;
            Ok(())
        })?;
        Ok((id, signed))
    }

    pub fn tactics(&self) -> Vec<Tactic> {
        let Ok(tactics) = self.collection("tactics") else {
            return Vec::new();
        };
        let mut out: Vec<Tactic> = self
            .ids(&tactics)
            .into_iter()
            .filter_map(|id| self.read_tactic(&tactics, id))
            .collect();
        out.sort_by_key(|t| t.day);
        out
    }

    pub fn tactic(&self, id: &str) -> Option<Tactic> {
        let tactics = self.collection("tactics").ok()?;
        self.read_tactic(&tactics, id.to_owned())
    }

    fn read_tactic(&self, tactics: &ObjId, id: String) -> Option<Tactic> {
        let t = self.object(tactics, &id)?;
        let derived_from = self.object(&t, "derived_from").and_then(|d| {
            Some(Lineage {
                circle_id: read_str(&self.doc, &d, "circle_id")?,
                tactic_id: read_str(&self.doc, &d, "tactic_id")?,
            })
        });
        let mut lineage: Vec<Lineage> = read_list(&self.doc, &t, "lineage", MAX_LINEAGE)
            .iter()
            .filter_map(|s| Lineage::decode(s))
            .collect();
        if lineage.is_empty() {
            lineage.extend(derived_from.clone());
        }
        Some(Tactic {
            lineage,
            title: read_str(&self.doc, &t, "title")?,
            body: read_str(&self.doc, &t, "body").unwrap_or_default(),
            license: read_str(&self.doc, &t, "license").unwrap_or_default(),
            tags: read_list(&self.doc, &t, "tags", MAX_TAGS),
            derived_from,
            day: read_u64(&self.doc, &t, "day").unwrap_or(0),
            tactic_id: id,
        })
    }

    /// Adds a finished zine as one fresh change under a throw-away actor id: no
    /// drafting history and nothing that links it to the steward's other changes.
    /// The caller is responsible for having anonymised the text.
    pub fn add_zine(
        &mut self,
        signer: &Signer<'_>,
        now: u64,
        zine: &NewZine,
    ) -> Result<(String, SignedChange), LedgerError> {
        check_title("title", &zine.title)?;
        for (what, text) in [
            ("body", &zine.body),
            ("what worked", &zine.worked),
            ("what failed", &zine.failed),
            ("open questions", &zine.questions),
        ] {
            check_text(what, text)?;
        }
        if [&zine.body, &zine.worked, &zine.failed, &zine.questions]
            .iter()
            .all(|t| t.trim().is_empty())
        {
            return Err(LedgerError::Invalid(
                "the zine is empty: write what happened (or what worked, what failed, open questions) first".into(),
            ));
        }
        if let Some(a) = &zine.action_id {
            if !self.has_action(a) {
                return Err(LedgerError::NotFound {
                    kind: "action",
                    id: a.clone(),
                });
            }
        }
        let zines = self.collection("zines")?;
        let id = new_id();
        let signed = self.write_unlinkable(signer, now, |tx| {
            let z = tx.put_object(&zines, id.as_str(), ObjType::Map)?;
            tx.put(&z, "title", zine.title.as_str())?;
            tx.put(&z, "body", zine.body.as_str())?;
            tx.put(&z, "worked", zine.worked.as_str())?;
            tx.put(&z, "failed", zine.failed.as_str())?;
            tx.put(&z, "questions", zine.questions.as_str())?;
            if let Some(a) = &zine.action_id {
                tx.put(&z, "action_id", a.as_str())?;
            }
            tx.put(&z, "day", day_of(now))?;
            Ok(())
        })?;
        Ok((id, signed))
    }

    pub fn zines(&self) -> Vec<Zine> {
        let Ok(zines) = self.collection("zines") else {
            return Vec::new();
        };
        let mut out: Vec<Zine> = self
            .ids(&zines)
            .into_iter()
            .filter_map(|id| {
                let z = self.object(&zines, &id)?;
                let get = |k| read_str(&self.doc, &z, k).unwrap_or_default();
                Some(Zine {
                    title: read_str(&self.doc, &z, "title")?,
                    body: get("body"),
                    worked: get("worked"),
                    failed: get("failed"),
                    questions: get("questions"),
                    action_id: read_str(&self.doc, &z, "action_id"),
                    day: read_u64(&self.doc, &z, "day").unwrap_or(0),
                    zine_id: id,
                })
            })
            .collect();
        out.sort_by_key(|z| z.day);
        out
    }

    pub fn add_retro(
        &mut self,
        signer: &Signer<'_>,
        now: u64,
        title: &str,
        notes: &str,
        action_id: Option<&str>,
    ) -> Result<(String, SignedChange), LedgerError> {
        check_title("title", title)?;
        check_text("notes", notes)?;
        if let Some(a) = action_id {
            if !self.has_action(a) {
                return Err(LedgerError::NotFound {
                    kind: "action",
                    id: a.to_owned(),
                });
            }
        }
        let retros = self.collection("retros")?;
        let id = new_id();
        let signed = self.write(signer, now, |tx| {
            let r = tx.put_object(&retros, id.as_str(), ObjType::Map)?;
            tx.put(&r, "title", title)?;
            tx.put(&r, "notes", notes)?;
            if let Some(a) = action_id {
                tx.put(&r, "action_id", a)?;
            }
            tx.put(&r, "day", day_of(now))?;
            Ok(())
        })?;
        Ok((id, signed))
    }

    pub fn retros(&self) -> Vec<Retro> {
        let Ok(retros) = self.collection("retros") else {
            return Vec::new();
        };
        let mut out: Vec<Retro> = self
            .ids(&retros)
            .into_iter()
            .filter_map(|id| {
                let r = self.object(&retros, &id)?;
                Some(Retro {
                    title: read_str(&self.doc, &r, "title")?,
                    notes: read_str(&self.doc, &r, "notes").unwrap_or_default(),
                    action_id: read_str(&self.doc, &r, "action_id"),
                    day: read_u64(&self.doc, &r, "day").unwrap_or(0),
                    entry_id: id,
                })
            })
            .collect();
        out.sort_by_key(|r| r.day);
        out
    }
}
