//! Actions, tactics, zines, tasks and retrospectives.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use anyhow::{bail, Context, Result};
use circle_core::ledger::{NewTactic, TaskStatus};
use circle_core::public_text::Field;
use circle_node::LocalCircle;
use serde::Deserialize;
use serde_json::json;

use crate::args::{ActionCmd, RetroCmd, TacticCmd, TaskCmd};
use crate::Report;

/// Largest file read for a body (the ledger refuses larger texts anyway).
const MAX_FILE: u64 = 1024 * 1024;
/// An import commits (and acknowledges) when this many entries are staged…
const IMPORT_GROUP: usize = 256;
/// …or when the oldest staged entry has waited this long.
const IMPORT_LINGER: std::time::Duration = std::time::Duration::from_millis(10);

pub(crate) fn read_text_file(path: &Path) -> Result<String> {
    let f = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut buf = Vec::new();
    f.take(MAX_FILE + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > MAX_FILE {
        bail!("{} is larger than 1 MiB", path.display());
    }
    String::from_utf8(buf).with_context(|| format!("{} is not UTF-8 text", path.display()))
}

pub(crate) fn action(
    local: &mut LocalCircle,
    cmd: ActionCmd,
    now: u64,
    json: bool,
) -> Result<Report> {
    match cmd {
        ActionCmd::Log {
            title,
            summary,
            tags,
        } => {
            let mut screen = local.public_text()?;
            let title = screen.check(Field::ActionTitle, &title)?;
            let summary = screen.check(Field::ActionSummary, &summary)?;
            let tags = screen.check_all(Field::ActionTag, &tags)?;
            let id = local.write(now, |l, s| l.log_action(s, now, &title, &summary, &tags))?;
            Ok(
                Report::new(json!({ "entry_id": id }), format!("action logged: {id}"))
                    .with_warnings(&screen),
            )
        }
        ActionCmd::Import { file } => import(local, &file, now, !json),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportLine {
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    tags: Vec<String>,
}

/// Logs one action per JSON line. In text mode each id is printed as soon as the group
/// it belongs to is durable, so every printed id survives a crash; with `--json` the
/// ids come in the one final document.
fn import(local: &mut LocalCircle, file: &Path, now: u64, stream: bool) -> Result<Report> {
    let reader: Box<dyn BufRead> = if file == Path::new("-") {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        let f =
            std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
        Box::new(BufReader::new(f))
    };
    let mut pending: Vec<String> = Vec::new();
    let mut done: Vec<String> = Vec::new();
    let mut oldest = std::time::Instant::now();
    let mut total = 0usize;
    let mut screen = local.public_text()?;
    let flush = |local: &mut LocalCircle,
                 pending: &mut Vec<String>,
                 done: &mut Vec<String>|
     -> Result<()> {
        local.commit()?;
        if stream {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            for id in pending.iter() {
                writeln!(out, "{id}")?;
            }
            out.flush()?;
        }
        done.append(pending);
        Ok(())
    };
    for (n, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("line {}", n + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        if line.len() > MAX_FILE as usize {
            bail!("line {} is longer than 1 MiB", n + 1);
        }
        let entry: ImportLine = serde_json::from_str(&line).with_context(|| {
            format!(
                "line {} is not an action ({{\"title\", \"summary\", \"tags\"}})",
                n + 1
            )
        })?;
        let line_no = || format!("line {}", n + 1);
        let title = screen
            .check(Field::ActionTitle, &entry.title)
            .with_context(line_no)?;
        let summary = screen
            .check(Field::ActionSummary, &entry.summary)
            .with_context(line_no)?;
        let tags = screen
            .check_all(Field::ActionTag, &entry.tags)
            .with_context(line_no)?;
        let id = local
            .stage(now, |l, s| l.log_action(s, now, &title, &summary, &tags))
            .with_context(line_no)?;
        if pending.is_empty() {
            oldest = std::time::Instant::now();
        }
        pending.push(id);
        total += 1;
        if pending.len() >= IMPORT_GROUP || oldest.elapsed() >= IMPORT_LINGER {
            flush(local, &mut pending, &mut done)?;
        }
    }
    flush(local, &mut pending, &mut done)?;
    Ok(Report::new(
        json!({ "imported": total, "entry_ids": done }),
        format!("{total} actions imported"),
    )
    .with_warnings(&screen))
}

pub(crate) fn actions(local: &LocalCircle) -> Result<Report> {
    let actions = local.circle().ledger.actions();
    let text: String = actions
        .iter()
        .map(|a| format!("{}  {}  [{}]\n", a.entry_id, a.title, a.tags.join(", ")))
        .collect();
    Ok(Report::new(&actions, text))
}

pub(crate) fn tactic(local: &mut LocalCircle, cmd: TacticCmd, now: u64) -> Result<Report> {
    match cmd {
        TacticCmd::Publish(p) => {
            let body = read_text_file(&p.body_file)?;
            publish_tactic(
                local,
                NewTactic {
                    title: p.title,
                    body,
                    license: p.license,
                    tags: p.tags,
                    lineage: Vec::new(),
                },
                now,
            )
        }
        TacticCmd::Show { tactic_id } => {
            let (circle, t) = super::sisters::find_tactic(local, &tactic_id, now)?;
            let text = format!(
                "{}\n{} · {}\n\n{}",
                t.title,
                t.license,
                t.tags.join(", "),
                t.body
            );
            let mut json = serde_json::to_value(&t)?;
            json["circle_id"] = json!(circle.to_hex());
            Ok(Report::new(json, text))
        }
        TacticCmd::Fork { source } => super::sisters::fork(local, &source, now),
        TacticCmd::Lineage { tactic_id } => super::sisters::lineage(local, &tactic_id, now),
    }
}

/// `tactic publish` with the body as text.
pub(crate) fn publish_tactic(
    local: &mut LocalCircle,
    mut new: NewTactic,
    now: u64,
) -> Result<Report> {
    let mut screen = local.public_text()?;
    new.title = screen.check(Field::TacticTitle, &new.title)?;
    new.body = screen.check(Field::TacticBody, &new.body)?;
    // Reported as stored: the canonical spelling (`cc0-1.0` is kept as CC0-1.0).
    new.license = circle_core::ledger::accepted_license(&new.license)?.to_owned();
    let id = local.write(now, |l, s| l.publish_tactic(s, now, &new))?;
    Ok(Report::new(
        json!({ "tactic_id": id, "license": new.license }),
        format!("tactic published: {id} ({})", new.license),
    )
    .with_warnings(&screen))
}

pub(crate) fn task(local: &mut LocalCircle, cmd: TaskCmd, now: u64) -> Result<Report> {
    match cmd {
        TaskCmd::Add { title } => {
            let title = local.public_text()?.check(Field::TaskTitle, &title)?;
            let id = local.write(now, |l, s| l.add_task(s, now, &title))?;
            Ok(Report::new(
                json!({ "task_id": id }),
                format!("task added: {id}"),
            ))
        }
        TaskCmd::Claim { task_id, by } => {
            let task_id = local.circle().ledger.resolve_id("tasks", &task_id)?;
            let by = local.public_text()?.check(Field::TaskClaim, &by)?;
            local.write(now, |l, s| Ok(((), l.claim_task(s, now, &task_id, &by)?)))?;
            Ok(Report::new(
                json!({ "task_id": task_id, "status": "claimed" }),
                format!("task {task_id} claimed by {by}"),
            ))
        }
        TaskCmd::Close { task_id, note } => {
            let task_id = local.circle().ledger.resolve_id("tasks", &task_id)?;
            let mut screen = local.public_text()?;
            let note = screen.check(Field::TaskNote, &note)?;
            local.write(now, |l, s| Ok(((), l.close_task(s, now, &task_id, &note)?)))?;
            Ok(Report::new(
                json!({ "task_id": task_id, "status": "closed" }),
                format!("task {task_id} closed"),
            )
            .with_warnings(&screen))
        }
    }
}

pub(crate) fn tasks(local: &LocalCircle, open_only: bool) -> Result<Report> {
    let tasks: Vec<_> = local
        .circle()
        .ledger
        .tasks()
        .into_iter()
        .filter(|t| !open_only || t.status != TaskStatus::Closed)
        .collect();
    let text: String = tasks
        .iter()
        .map(|t| format!("{}  {:?}  {}\n", t.task_id, t.status, t.title))
        .collect();
    Ok(Report::new(&tasks, text))
}

pub(crate) fn retro(local: &mut LocalCircle, cmd: RetroCmd, now: u64) -> Result<Report> {
    let RetroCmd::Add {
        title,
        notes,
        action,
    } = cmd;
    let action = resolve_action(local, action)?;
    let mut screen = local.public_text()?;
    let title = screen.check(Field::RetroTitle, &title)?;
    let notes = screen.check(Field::RetroNotes, &notes)?;
    let id = local.write(now, |l, s| {
        l.add_retro(s, now, &title, &notes, action.as_deref())
    })?;
    Ok(Report::new(
        json!({ "entry_id": id }),
        format!("retrospective recorded: {id}"),
    )
    .with_warnings(&screen))
}

/// `--action ID`: the full id of one of this circle's actions (a prefix is accepted).
pub(crate) fn resolve_action(
    local: &LocalCircle,
    action: Option<String>,
) -> Result<Option<String>> {
    action
        .map(|a| local.circle().ledger.resolve_id("actions", &a))
        .transpose()
        .map_err(Into::into)
}

/// `circle retros`: the circle's retrospectives, oldest first.
pub(crate) fn retros(local: &LocalCircle) -> Result<Report> {
    let retros = local.circle().ledger.retros();
    let json: Vec<_> = retros
        .iter()
        .map(|r| {
            json!({ "retro_id": r.entry_id, "title": r.title, "notes": r.notes,
                    "action_id": r.action_id, "day": r.day })
        })
        .collect();
    let text = if retros.is_empty() {
        "no retrospectives yet (record one with `circle retro add`)".to_owned()
    } else {
        retros
            .iter()
            .map(|r| format!("{}  {}\n", r.entry_id, r.title))
            .collect()
    };
    Ok(Report::new(json, text))
}
