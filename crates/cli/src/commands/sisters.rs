//! Content across circles: own and followed sisters, with the protocol enforced.

use std::path::Path;

use anyhow::{bail, Context, Result};
use circle_core::bundle::Bundle;
use circle_core::keys::Hash32;
use circle_core::ledger::{Lineage, NewTactic, Tactic, MIN_ID_PREFIX};
use circle_node::{LocalCircle, NodeError, Shown};
use serde_json::json;

use crate::Report;

/// A circle id as a person gives it: all 64 hex digits, or an unambiguous prefix of at
/// least 8 (lists print 12) of this circle's or a followed circle's id.
pub(crate) fn parse_id(local: &LocalCircle, s: &str) -> Result<Hash32> {
    if let Ok(id) = Hash32::from_hex(s) {
        return Ok(id);
    }
    let prefix = s.to_ascii_lowercase();
    if prefix.len() < MIN_ID_PREFIX
        || prefix.len() > 64
        || !prefix.bytes().all(|b| b.is_ascii_hexdigit())
    {
        bail!("`{s}` is not a circle id (64 hex digits, or the first {MIN_ID_PREFIX} or more of them)");
    }
    let mut known = local.sisters()?;
    known.push(local.circle_id());
    let mut matching = known
        .into_iter()
        .filter(|id| id.to_hex().starts_with(&prefix));
    match (matching.next(), matching.next()) {
        (Some(id), None) => Ok(id),
        (Some(_), Some(_)) => bail!("circle id `{s}` is ambiguous: give more of its digits"),
        (None, _) => Err(NodeError::NotFound(format!(
            "no circle known to this node has an id starting with {s}; import its bundle or follow it first"
        ))
        .into()),
    }
}

/// A circle's name as this node knows it, for text output ("a circle not followed
/// here" when it is neither this circle nor a followed one).
pub(crate) fn circle_name(local: &LocalCircle, id_hex: &str) -> String {
    let Ok(id) = Hash32::from_hex(id_hex) else {
        return "an unknown circle".into();
    };
    if id == local.circle_id() {
        return local.circle().ledger.name();
    }
    match local.sister(&id) {
        Ok(Some(r)) if !r.ledger.name().is_empty() => r.ledger.name(),
        _ => format!("a circle not followed here ({})", &id_hex[..12]),
    }
}

/// The circles in view: `from` (an id or prefix) alone, or own + every compliant
/// sister. The protocol's rule (no content of a circle that does not keep it) is the
/// node's: [`LocalCircle::shown`].
pub(crate) fn held<'a>(
    local: &'a LocalCircle,
    from: Option<&str>,
    now: u64,
) -> Result<Vec<Shown<'a>>> {
    let wanted = from.map(|f| parse_id(local, f)).transpose()?;
    Ok(local.shown(wanted, now)?)
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
        Some((c, id)) => Ok((parse_id(local, c)?, id.to_owned())),
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
    let not_found = || NodeError::NotFound(format!("no tactic {id} in circle {circle}"));
    let h = held.first().ok_or_else(not_found)?;
    let full = h.ledger.resolve_id("tactics", &id).map_err(|e| match e {
        circle_core::error::LedgerError::NotFound { .. } => anyhow::Error::from(not_found()),
        other => other.into(),
    })?;
    let t = h.ledger.tactic(&full).ok_or_else(not_found)?;
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
    let name_of = |id: &str| circle_name(local, id);
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
    let own = bundle.circle_id == local.circle_id();
    let mut r = local.import(bundle, now)?;
    if own {
        // Another device's changes may hold lottery draws waiting for this device's keys.
        local.reveal_open_draws(now)?;
    }
    // The verdict `protocol status` gives, from the ledger as stored: what was kept,
    // not what the bundle claimed (a tampered bundle must not read "compliant").
    r.compliant = local
        .compliance_of(&Hash32::from_hex(&r.circle_id)?, now)?
        .map(|(c, _)| c.compliant)
        .unwrap_or(false);
    let text = format!(
        "{} ({}): {} changes verified and kept, {} already here, {} rejected, {} waiting; {}",
        if r.name.is_empty() {
            "unnamed circle"
        } else {
            &r.name
        },
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

/// `circle unfollow CIRCLE_ID`: no more syncing with that circle, and its replica dropped.
pub(crate) fn unfollow(local: &mut LocalCircle, circle: &str) -> Result<Report> {
    let id = parse_id(local, circle)?;
    let name = circle_name(local, &id.to_hex());
    if !local.unfollow(&id)? {
        return Err(NodeError::NotFound(format!("this node does not follow circle {id}")).into());
    }
    Ok(Report::new(
        json!({ "circle_id": id.to_hex(), "unfollowed": true }),
        format!("no longer following {name} ({id}); its replica is dropped"),
    ))
}
