//! Content across circles: own and followed sisters, with the protocol enforced.

use std::borrow::Cow;
use std::path::Path;

use anyhow::{bail, Context, Result};
use circle_core::bundle::Bundle;
use circle_core::keys::Hash32;
use circle_core::ledger::{Ledger, Lineage, NewTactic, Tactic};
use circle_node::LocalCircle;
use serde_json::json;

use super::Refusal;
use crate::Report;

/// A circle whose content this node may show: its own, or a compliant sister.
pub(crate) struct Held<'a> {
    pub(crate) id: Hash32,
    pub(crate) ledger: Cow<'a, Ledger>,
}

pub(crate) fn parse_id(s: &str) -> Result<Hash32> {
    Hash32::from_hex(s).with_context(|| format!("`{s}` is not a circle id (64 hex digits)"))
}

/// The circles in view: `from` alone, or own + every compliant sister. Content of a
/// non-compliant circle is never listed: the protocol is enforced here, not trusted.
pub(crate) fn held<'a>(
    local: &'a LocalCircle,
    from: Option<&str>,
    now: u64,
) -> Result<Vec<Held<'a>>> {
    let own = Held {
        id: local.circle_id(),
        ledger: Cow::Borrowed(&local.circle().ledger),
    };
    let wanted = from.map(parse_id).transpose()?;
    if wanted == Some(local.circle_id()) {
        return Ok(vec![own]);
    }
    let ids = match wanted {
        Some(id) => vec![id],
        None => local.sisters()?,
    };
    let mut out = if wanted.is_none() {
        vec![own]
    } else {
        Vec::new()
    };
    for id in ids {
        let Some(r) = local.sister(&id)? else {
            return Err(Refusal::NotFound(format!(
                "circle {id} is not known to this node; import its bundle or follow it first"
            ))
            .into());
        };
        let c = r.compliance(now);
        if c.compliant {
            out.push(Held {
                id,
                ledger: Cow::Owned(r.ledger),
            });
        } else if wanted.is_some() {
            return Err(Refusal::Conflict(format!(
                "circle {id} does not keep the common rebellion protocol, so its content is not shown (see `circle protocol status {id}`)"
            ))
            .into());
        }
    }
    Ok(out)
}

fn tactic_json(circle_id: &Hash32, t: &Tactic) -> serde_json::Value {
    json!({
        "circle_id": circle_id.to_hex(),
        "tactic_id": t.tactic_id,
        "title": t.title,
        "license": t.license,
        "tags": t.tags,
        "derived_from": t.derived_from,
        "lineage": t.lineage,
    })
}

pub(crate) fn tactics(
    local: &LocalCircle,
    from: Option<&str>,
    tag: Option<&str>,
    search: Option<&str>,
    now: u64,
) -> Result<Report> {
    let needle = search.map(str::to_lowercase);
    let mut json = Vec::new();
    let mut text = String::new();
    for h in held(local, from, now)? {
        let name = h.ledger.name();
        for t in h.ledger.tactics() {
            let tag_ok = tag.is_none_or(|tag| t.tags.iter().any(|x| x == tag));
            let text_ok = needle.as_ref().is_none_or(|n| {
                t.title.to_lowercase().contains(n) || t.body.to_lowercase().contains(n)
            });
            if tag_ok && text_ok {
                text += &format!(
                    "{}/{}  {}  ({}, {name}) [{}]\n",
                    &h.id.to_hex()[..12],
                    t.tactic_id,
                    t.title,
                    t.license,
                    t.tags.join(", ")
                );
                json.push(tactic_json(&h.id, &t));
            }
        }
    }
    Ok(Report::new(json, text))
}

pub(crate) fn zines(local: &LocalCircle, from: Option<&str>, now: u64) -> Result<Report> {
    let mut json = Vec::new();
    let mut text = String::new();
    for h in held(local, from, now)? {
        for z in h.ledger.zines() {
            text += &format!("{}/{}  {}\n", &h.id.to_hex()[..12], z.zine_id, z.title);
            json.push(json!({
                "circle_id": h.id.to_hex(), "zine_id": z.zine_id, "title": z.title, "body": z.body,
                "worked": z.worked, "failed": z.failed, "questions": z.questions, "action_id": z.action_id,
            }));
        }
    }
    Ok(Report::new(json, text))
}

/// Splits `CIRCLE_ID/ID`, or takes a bare `ID` as this circle's.
pub(crate) fn split_ref(local: &LocalCircle, s: &str) -> Result<(Hash32, String)> {
    match s.split_once('/') {
        Some((c, id)) => Ok((parse_id(c)?, id.to_owned())),
        None => Ok((local.circle_id(), s.to_owned())),
    }
}

pub(crate) fn find_tactic(
    local: &LocalCircle,
    reference: &str,
    now: u64,
) -> Result<(Hash32, Tactic)> {
    let (circle, id) = split_ref(local, reference)?;
    let hex = circle.to_hex();
    let held = held(local, Some(&hex), now)?;
    let t = held
        .first()
        .and_then(|h| h.ledger.tactic(&id))
        .ok_or_else(|| Refusal::NotFound(format!("no tactic {id} in circle {circle}")))?;
    Ok((circle, t))
}

pub(crate) fn fork(local: &mut LocalCircle, source: &str, now: u64) -> Result<Report> {
    let (circle, parent) = find_tactic(local, source, now)?;
    if circle == local.circle_id() {
        bail!("that tactic is already this circle's; fork a sister's tactic (CIRCLE_ID/TACTIC_ID)");
    }
    let mut lineage = vec![Lineage {
        circle_id: circle.to_hex(),
        tactic_id: parent.tactic_id.clone(),
    }];
    lineage.extend(parent.lineage.iter().cloned());
    // The licence travels unchanged: a CC-BY-SA tactic stays CC-BY-SA.
    let new = NewTactic {
        title: parent.title.clone(),
        body: parent.body.clone(),
        license: parent.license.clone(),
        tags: parent.tags.clone(),
        lineage,
    };
    let id = local.write(now, |l, s| l.publish_tactic(s, now, &new))?;
    Ok(Report::new(
        json!({ "tactic_id": id, "license": new.license, "derived_from": new.lineage.first() }),
        format!(
            "forked as {id} ({}), derived from {}/{}",
            new.license, circle, parent.tactic_id
        ),
    ))
}

pub(crate) fn lineage(local: &LocalCircle, reference: &str, now: u64) -> Result<Report> {
    let (circle, t) = find_tactic(local, reference, now)?;
    let name_of = |id: &str| -> String {
        let Ok(h) = Hash32::from_hex(id) else {
            return "unknown circle".into();
        };
        if h == local.circle_id() {
            return local.circle().ledger.name();
        }
        match local.sister(&h) {
            Ok(Some(r)) => r.ledger.name(),
            _ => "a circle not followed here".into(),
        }
    };
    let mut chain = vec![json!({
        "circle_id": circle.to_hex(), "tactic_id": t.tactic_id, "circle_name": name_of(&circle.to_hex()),
    })];
    for l in &t.lineage {
        chain.push(json!({ "circle_id": l.circle_id, "tactic_id": l.tactic_id, "circle_name": name_of(&l.circle_id) }));
    }
    let text = chain
        .iter()
        .enumerate()
        .map(|(i, c)| {
            format!(
                "{}{} — {}/{}",
                if i == 0 { "" } else { "  ↳ derived from " },
                c["circle_name"].as_str().unwrap_or_default(),
                &c["circle_id"]
                    .as_str()
                    .unwrap_or_default()
                    .get(..12)
                    .unwrap_or_default(),
                c["tactic_id"].as_str().unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    Ok(Report::new(
        json!({ "title": t.title, "license": t.license, "chain": chain }),
        text,
    ))
}

pub(crate) fn import(local: &mut LocalCircle, file: &Path, now: u64) -> Result<Report> {
    let bytes = read_capped(file, circle_core::bundle::MAX_BUNDLE_BYTES)?;
    let bundle =
        Bundle::decode(&bytes).with_context(|| format!("cannot import {}", file.display()))?;
    let r = local.import(bundle, now)?;
    let text = format!(
        "{} ({}): {} changes verified and kept, {} already here, {} rejected, {} waiting; {}",
        r.name,
        r.circle_id,
        r.applied,
        r.duplicates,
        r.rejected,
        r.pending,
        if r.compliant {
            "compliant"
        } else {
            "NOT compliant: its content will not be shown or relayed"
        }
    );
    Ok(Report::new(&r, text))
}

pub(crate) fn read_capped(file: &Path, cap: usize) -> Result<Vec<u8>> {
    use std::io::Read;
    let f = std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut buf = Vec::new();
    f.take(cap as u64 + 1).read_to_end(&mut buf)?;
    if buf.len() > cap {
        bail!(
            "{} is larger than {} MiB",
            file.display(),
            cap / (1024 * 1024)
        );
    }
    Ok(buf)
}
