//! Zines: anonymiser check, publication, export; and the private lexicon.

use std::path::Path;

use anyhow::{bail, Context, Result};
use circle_core::anonymise::{Anonymiser, Finding};
use circle_core::zine::{self, Draft};
use circle_node::{LexiconList, LocalCircle, LocalLexicon};
use serde_json::json;

use crate::args::{LexiconCmd, ZineCmd, ZineFormat};
use crate::Report;

fn anonymiser(local: &LocalCircle) -> Result<Anonymiser> {
    let lexicon = LocalLexicon::load(local.root())?;
    Ok(Anonymiser::new(&lexicon.anonymiser_lexicon()))
}

/// Each finding as `line:col kind "text"`, then the line with the span underlined.
fn describe(text: &str, findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let line_start = text[..f.start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[f.end..].find('\n').map_or(text.len(), |i| f.end + i);
        let line_no = text[..f.start].matches('\n').count() + 1;
        let col = text[line_start..f.start].chars().count();
        let width = text[f.start..f.end].chars().count().max(1);
        out += &format!(
            "{line_no}:{} {} \"{}\"\n  {}\n  {}{}\n",
            col + 1,
            f.kind.as_str(),
            f.text,
            &text[line_start..line_end],
            " ".repeat(col),
            "^".repeat(width)
        );
    }
    out
}

pub(crate) fn zine(local: &mut LocalCircle, cmd: ZineCmd, now: u64) -> Result<Report> {
    match cmd {
        ZineCmd::Check { file } => check(local, &super::entries::read_text_file(&file)?),
        ZineCmd::Publish {
            title,
            file,
            redact,
            action,
        } => {
            let text = super::entries::read_text_file(&file)?;
            publish(local, &title, &text, redact, action, now)
        }
        ZineCmd::Export {
            zine_id,
            format,
            out,
        } => export(local, &zine_id, format, out.as_deref(), now),
    }
}

/// `zine check` on a draft's text: the findings, nothing published.
pub(crate) fn check(local: &LocalCircle, text: &str) -> Result<Report> {
    let findings = zine::check(&anonymiser(local)?, text);
    let summary = if findings.is_empty() {
        "no identifying details found".to_owned()
    } else {
        format!(
            "{} finding(s):\n{}",
            findings.len(),
            describe(text, &findings)
        )
    };
    Ok(Report::new(json!({ "findings": findings }), summary))
}

/// The findings in a title and a draft, as the web editor shows them.
pub(crate) fn findings(
    local: &LocalCircle,
    title: &str,
    text: &str,
) -> Result<(Vec<Finding>, Vec<Finding>)> {
    let anon = anonymiser(local)?;
    Ok((zine::check(&anon, title), zine::check(&anon, text)))
}

/// A draft refused because identifying details remain. The findings travel with the
/// refusal, so the web API answers them (422, for the editor to mark) without checking
/// the draft a second time.
#[derive(Debug)]
pub(crate) struct Identifying {
    pub(crate) in_title: Vec<Finding>,
    pub(crate) in_text: Vec<Finding>,
}

impl Identifying {
    pub(crate) fn count(&self) -> usize {
        self.in_title.len() + self.in_text.len()
    }
}

impl std::fmt::Display for Identifying {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list: Vec<String> = self
            .in_title
            .iter()
            .map(|x| format!("title: {} \"{}\"", x.kind.as_str(), x.text))
            .chain(
                self.in_text
                    .iter()
                    .map(|x| format!("{}..{} {} \"{}\"", x.start, x.end, x.kind.as_str(), x.text)),
            )
            .collect();
        write!(
            f,
            "not published: {} identifying detail(s) remain ({}); fix the draft, or publish with --redact",
            list.len(),
            list.join("; ")
        )
    }
}

impl std::error::Error for Identifying {}

/// `zine publish` on a draft's text.
pub(crate) fn publish(
    local: &mut LocalCircle,
    title: &str,
    text: &str,
    redact: bool,
    action: Option<String>,
    now: u64,
) -> Result<Report> {
    let anon = anonymiser(local)?;
    let (title, text, redacted) = if redact {
        let (t, left_t) = zine::redact_all(&anon, title);
        let (b, left_b) = zine::redact_all(&anon, text);
        if !left_t.is_empty() || !left_b.is_empty() {
            bail!("redaction did not converge; edit the draft by hand");
        }
        let n = zine::check(&anon, title).len() + zine::check(&anon, text).len();
        (t, b, n)
    } else {
        let in_title = zine::check(&anon, title);
        let in_text = zine::check(&anon, text);
        if !in_title.is_empty() || !in_text.is_empty() {
            return Err(Identifying { in_title, in_text }.into());
        }
        (title.to_owned(), text.to_owned(), 0)
    };
    let action = super::entries::resolve_action(local, action)?;
    let new = Draft::parse(&text).into_zine(title, action);
    let id = local.write(now, |l, s| l.add_zine(s, now, &new))?;
    Ok(Report::new(
        json!({ "zine_id": id, "redacted": redacted }),
        format!(
            "zine published: {id}{}",
            if redacted > 0 {
                format!(" ({redacted} details redacted)")
            } else {
                String::new()
            }
        ),
    ))
}

fn export(
    local: &LocalCircle,
    reference: &str,
    format: ZineFormat,
    out: Option<&Path>,
    now: u64,
) -> Result<Report> {
    let (circle, id) = super::sisters::split_ref(local, reference)?;
    let hex = circle.to_hex();
    let held = super::sisters::held(local, Some(&hex), now)?;
    let h = held.first().context("circle not held")?;
    let not_found = || circle_node::NodeError::NotFound(format!("no zine {id} in circle {circle}"));
    let full = match h.ledger.resolve_id("zines", &id) {
        Ok(full) => full,
        Err(circle_core::error::LedgerError::NotFound { .. }) => return Err(not_found().into()),
        Err(e) => return Err(e.into()),
    };
    let id = full;
    let z = h
        .ledger
        .zines()
        .into_iter()
        .find(|z| z.zine_id == id)
        .ok_or_else(not_found)?;
    let name = h.ledger.name();
    let rendered = match format {
        ZineFormat::Markdown => zine::to_markdown(&name, &z),
        ZineFormat::Html => zine::to_html(&name, &z),
        ZineFormat::Booklet => zine::to_booklet(&name, &z),
    };
    match out {
        Some(path) => {
            std::fs::write(path, &rendered)
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(Report::new(
                json!({ "zine_id": id, "path": path.display().to_string(), "bytes": rendered.len() }),
                format!("wrote {}", path.display()),
            ))
        }
        None => Ok(Report::new(
            json!({ "zine_id": id, "content": rendered }),
            rendered,
        )),
    }
}

pub(crate) fn lexicon(local: &LocalCircle, which: LexiconList, cmd: LexiconCmd) -> Result<Report> {
    let mut lex = LocalLexicon::load(local.root())?;
    let what = match which {
        LexiconList::MemberAliases => "member alias",
        LexiconList::RedactWords => "redact word",
    };
    let message = match cmd {
        LexiconCmd::Add { word } => {
            let added = lex.add(which, &word)?;
            lex.save(local.root())?;
            if added {
                format!("{what} added (kept on this node only)")
            } else {
                format!("{what} already listed")
            }
        }
        LexiconCmd::Remove { word } => {
            let removed = lex.remove(which, &word);
            lex.save(local.root())?;
            if removed {
                format!("{what} removed")
            } else {
                format!("no such {what}")
            }
        }
        LexiconCmd::List => String::new(),
    };
    let list = match which {
        LexiconList::MemberAliases => &lex.member_aliases,
        LexiconList::RedactWords => &lex.redact_words,
    };
    let text = if message.is_empty() {
        list.join("\n")
    } else {
        message
    };
    Ok(Report::new(json!({ "entries": list }), text))
}
