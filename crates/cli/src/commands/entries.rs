//! Actions, tactics, zines, tasks and retrospectives.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use anyhow::{bail, Context, Result};
use circle_core::ledger::{NewTactic, Tactic, TaskStatus};
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
            let id = local.write(now, |l, s| l.log_action(s, now, &title, &summary, &tags))?;
            Ok(Report::new(
                json!({ "entry_id": id }),
                format!("action logged: {id}"),
            ))
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
        let id = local
            .stage(now, |l, s| {
                l.log_action(s, now, &entry.title, &entry.summary, &entry.tags)
            })
            .with_context(|| format!("line {}", n + 1))?;
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
    ))
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
            let new = NewTactic {
                title: p.title,
                body,
                license: p.license,
                tags: p.tags,
                derived_from: None,
            };
            let id = local.write(now, |l, s| l.publish_tactic(s, now, &new))?;
            Ok(Report::new(
                json!({ "tactic_id": id, "license": new.license }),
                format!("tactic published: {id} ({})", new.license),
            ))
        }
        TacticCmd::Show { tactic_id } => {
            let c = local.circle();
            let t = c
                .ledger
                .tactic(&tactic_id)
                .with_context(|| format!("no tactic with id {tactic_id}"))?;
            let text = format!(
                "{}\n{} · {}\n\n{}",
                t.title,
                t.license,
                t.tags.join(", "),
                t.body
            );
            Ok(Report::new(
                tactic_json(&c.circle_id().to_hex(), &t, true),
                text,
            ))
        }
    }
}

fn tactic_json(circle_id: &str, t: &Tactic, with_body: bool) -> serde_json::Value {
    let mut v = json!({
        "circle_id": circle_id,
        "tactic_id": t.tactic_id,
        "title": t.title,
        "license": t.license,
        "tags": t.tags,
        "derived_from": t.derived_from,
    });
    if with_body {
        v["body"] = json!(t.body);
    }
    v
}

pub(crate) fn tactics(
    local: &LocalCircle,
    from: Option<&str>,
    tag: Option<&str>,
) -> Result<Report> {
    super::known_circle(local, from)?;
    let c = local.circle();
    let id = c.circle_id().to_hex();
    let list: Vec<Tactic> = c
        .ledger
        .tactics()
        .into_iter()
        .filter(|t| tag.is_none_or(|tag| t.tags.iter().any(|x| x == tag)))
        .collect();
    let json: Vec<_> = list.iter().map(|t| tactic_json(&id, t, false)).collect();
    let text: String = list
        .iter()
        .map(|t| {
            format!(
                "{}/{}  {}  ({}) [{}]\n",
                &id[..12],
                t.tactic_id,
                t.title,
                t.license,
                t.tags.join(", ")
            )
        })
        .collect();
    Ok(Report::new(json, text))
}

pub(crate) fn zines(local: &LocalCircle, from: Option<&str>) -> Result<Report> {
    super::known_circle(local, from)?;
    let c = local.circle();
    let id = c.circle_id().to_hex();
    let zines = c.ledger.zines();
    let json: Vec<_> = zines
        .iter()
        .map(|z| json!({ "circle_id": id, "zine_id": z.zine_id, "title": z.title, "body": z.body }))
        .collect();
    let text: String = zines
        .iter()
        .map(|z| format!("{}  {}\n", z.zine_id, z.title))
        .collect();
    Ok(Report::new(json, text))
}

pub(crate) fn task(local: &mut LocalCircle, cmd: TaskCmd, now: u64) -> Result<Report> {
    match cmd {
        TaskCmd::Add { title } => {
            let id = local.write(now, |l, s| l.add_task(s, now, &title))?;
            Ok(Report::new(
                json!({ "task_id": id }),
                format!("task added: {id}"),
            ))
        }
        TaskCmd::Claim { task_id, by } => {
            local.write(now, |l, s| Ok(((), l.claim_task(s, now, &task_id, &by)?)))?;
            Ok(Report::new(
                json!({ "task_id": task_id, "status": "claimed" }),
                format!("task {task_id} claimed by {by}"),
            ))
        }
        TaskCmd::Close { task_id, note } => {
            local.write(now, |l, s| Ok(((), l.close_task(s, now, &task_id, &note)?)))?;
            Ok(Report::new(
                json!({ "task_id": task_id, "status": "closed" }),
                format!("task {task_id} closed"),
            ))
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
    let id = local.write(now, |l, s| {
        l.add_retro(s, now, &title, &notes, action.as_deref())
    })?;
    Ok(Report::new(
        json!({ "entry_id": id }),
        format!("retrospective recorded: {id}"),
    ))
}
