//! The task map: unfinished work, each task closed with an after-action note.

use automerge::transaction::Transactable;
use automerge::ObjType;
use serde::Serialize;

use super::{check_text, check_title, day_of, new_id, read_str, read_u64, Ledger, Signer};
use crate::envelope::SignedChange;
use crate::error::LedgerError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Open,
    Claimed,
    Closed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Task {
    pub task_id: String,
    pub title: String,
    pub status: TaskStatus,
    /// A role or alias, never a legal name (the task map is public to sister circles).
    pub claimed_by: Option<String>,
    pub note: Option<String>,
    pub day: u64,
}

impl Ledger {
    pub fn add_task(
        &mut self,
        signer: &Signer<'_>,
        now: u64,
        title: &str,
    ) -> Result<(String, SignedChange), LedgerError> {
        check_title("title", title)?;
        let tasks = self.collection("tasks")?;
        let id = new_id();
        let signed = self.write(signer, now, |tx| {
            let t = tx.put_object(&tasks, id.as_str(), ObjType::Map)?;
            tx.put(&t, "title", title)?;
            tx.put(&t, "status", "open")?;
            tx.put(&t, "day", day_of(now))?;
            Ok(())
        })?;
        Ok((id, signed))
    }

    pub fn claim_task(
        &mut self,
        signer: &Signer<'_>,
        now: u64,
        id: &str,
        by: &str,
    ) -> Result<SignedChange, LedgerError> {
        check_title("claimed by", by)?;
        let task = self.task(id).ok_or_else(|| not_found(id))?;
        if task.status == TaskStatus::Closed {
            return Err(LedgerError::Conflict(format!(
                "task {id} is already closed"
            )));
        }
        let obj = self.task_obj(id)?;
        self.write(signer, now, |tx| {
            tx.put(&obj, "status", "claimed")?;
            tx.put(&obj, "claimed_by", by)?;
            Ok(())
        })
    }

    /// Closes a task; an after-action note is required, so that nothing is closed
    /// without the circle learning from it.
    pub fn close_task(
        &mut self,
        signer: &Signer<'_>,
        now: u64,
        id: &str,
        note: &str,
    ) -> Result<SignedChange, LedgerError> {
        if note.trim().is_empty() {
            return Err(LedgerError::Invalid(
                "closing a task needs an after-action note (--note)".into(),
            ));
        }
        check_text("note", note)?;
        let task = self.task(id).ok_or_else(|| not_found(id))?;
        if task.status == TaskStatus::Closed {
            return Err(LedgerError::Conflict(format!(
                "task {id} is already closed"
            )));
        }
        let obj = self.task_obj(id)?;
        self.write(signer, now, |tx| {
            tx.put(&obj, "status", "closed")?;
            tx.put(&obj, "note", note)?;
            tx.put(&obj, "closed_day", day_of(now))?;
            Ok(())
        })
    }

    fn task_obj(&self, id: &str) -> Result<automerge::ObjId, LedgerError> {
        let tasks = self.collection("tasks")?;
        self.object(&tasks, id).ok_or_else(|| not_found(id))
    }

    pub fn task(&self, id: &str) -> Option<Task> {
        let tasks = self.collection("tasks").ok()?;
        let t = self.object(&tasks, id)?;
        let status = match read_str(&self.doc, &t, "status")?.as_str() {
            "open" => TaskStatus::Open,
            "claimed" => TaskStatus::Claimed,
            "closed" => TaskStatus::Closed,
            _ => return None,
        };
        Some(Task {
            task_id: id.to_owned(),
            title: read_str(&self.doc, &t, "title")?,
            status,
            claimed_by: read_str(&self.doc, &t, "claimed_by"),
            note: read_str(&self.doc, &t, "note"),
            day: read_u64(&self.doc, &t, "day").unwrap_or(0),
        })
    }

    pub fn tasks(&self) -> Vec<Task> {
        let Ok(tasks) = self.collection("tasks") else {
            return Vec::new();
        };
        let mut out: Vec<Task> = self
            .ids(&tasks)
            .into_iter()
            .filter_map(|id| self.task(&id))
            .collect();
        out.sort_by_key(|t| t.day);
        out
    }
}

fn not_found(id: &str) -> LedgerError {
    LedgerError::NotFound {
        kind: "task",
        id: id.to_owned(),
    }
}
