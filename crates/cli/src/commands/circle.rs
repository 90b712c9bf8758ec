//! Identity, invite, status, export and steward terms.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use circle_core::compliance::compliance;
use circle_core::invite::Invite;
use circle_node::{LocalCircle, NetStatus};
use serde_json::json;

use crate::args::ExportFormat;
use crate::report::{days, days_left};
use crate::Report;

pub(crate) fn init(dir: &Path, name: &str, term_days: u64, now: u64) -> Result<Report> {
    // Keys without a readable circle mean a damaged store, never room for a new circle.
    if super::damage::holds_steward_keys(dir) {
        super::open(dir)?;
    }
    let local = LocalCircle::init(dir, name, term_days, now)
        .with_context(|| format!("cannot create a circle in {}", dir.display()))?;
    let circle_id = local.circle_id().to_hex();
    let peer_id = local.peer_id()?;
    let term = local.circle().term();
    let left = days(days_left(local.circle().chain.latest().body.expires, now));
    Ok(Report::new(
        json!({ "circle_id": circle_id, "peer_id": peer_id, "term": term, "name": name }),
        format!(
            "created circle \"{name}\"\ncircle id: {circle_id}\npeer id:   {peer_id}\nsteward term {term} ends in {left}\n\
             next: declare a fund (`circle fund declare`) and sign the pledge (`circle pledge sign`)"
        ),
    ))
}

fn invite_of(local: &LocalCircle, net: Option<&NetStatus>) -> Result<Invite> {
    Ok(Invite {
        circle_id: local.circle_id(),
        peer_id: Some(local.peer_id()?),
        addrs: net.map(|n| n.invite_addrs.clone()).unwrap_or_default(),
    })
}

pub(crate) fn id(local: &LocalCircle, net: Option<&NetStatus>) -> Result<Report> {
    let invite = invite_of(local, net)?.to_string();
    let (serving, addrs, _) = super::network::net_json(net);
    let c = local.circle();
    let json = json!({
        "circle_id": c.circle_id().to_hex(),
        "peer_id": local.peer_id()?,
        "addrs": addrs,
        "serving": serving,
        "invite": invite,
        "name": c.ledger.name(),
        "term": c.term(),
    });
    let text = format!(
        "circle:  {} ({})\ncircle id: {}\npeer id:   {}\nterm:      {}\ninvite:    {invite}",
        c.ledger.name(),
        local.root().display(),
        c.circle_id(),
        local.peer_id()?,
        c.term()
    );
    Ok(Report::new(json, text))
}

pub(crate) fn invite(local: &LocalCircle, net: Option<&NetStatus>) -> Result<Report> {
    let invite = invite_of(local, net)?.to_string();
    let hint = match net {
        Some(n) if n.invite_addrs.is_empty() => {
            format!("\n{}", super::network::NO_SHAREABLE_ADDR)
        }
        Some(_) => String::new(),
        None => "\n(no addresses: the node is not running; start it with `circle serve`)".into(),
    };
    let qr = qrcode::QrCode::new(invite.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::unicode::Dense1x2>()
                .quiet_zone(true)
                .build()
        })
        .unwrap_or_default();
    Ok(Report::new(
        json!({ "invite": invite }),
        format!("{qr}\n{invite}{hint}"),
    ))
}

pub(crate) fn status(local: &LocalCircle, now: u64, net: Option<&NetStatus>) -> Result<Report> {
    let (serving, addrs, peers) = super::network::net_json(net);
    let c = local.circle();
    let comp = compliance(&c.ledger, &c.chain, now);
    let latest = &c.chain.latest().body;
    let syncing = net.map(|n| n.syncing.clone()).unwrap_or_default();
    let mut following = Vec::new();
    let mut lines = String::new();
    for id in local.sisters()? {
        if let Some(r) = local.sister(&id)? {
            let sc = r.compliance(now);
            let changes = local.store().change_count(&id);
            // Of those, the changes a snapshot's checkpoint vouched for (no envelope each).
            let vouched = local.store().vouched_changes(&id)?;
            let hex = id.to_hex();
            let in_flight = syncing.iter().find(|p| p.circle_id == hex && !p.done);
            let sync = match (in_flight, net.is_some()) {
                (Some(p), _) => format!("syncing ({} changes received)", p.changes_received),
                (None, true) => "in sync with connected peers".to_owned(),
                (None, false) => "syncs while `circle serve` runs".to_owned(),
            };
            let name = r.ledger.name();
            lines += &format!(
                "\n  {} ({}): {}, {changes} changes, {sync}",
                if name.is_empty() {
                    "not synced yet"
                } else {
                    &name
                },
                &hex[..12],
                if sc.compliant {
                    "compliant"
                } else {
                    "NOT compliant"
                },
            );
            following.push(json!({
                "circle_id": hex, "name": name, "compliant": sc.compliant,
                "changes": changes, "vouched": vouched, "term": r.chain.latest().body.term,
                "epoch": r.chain.epoch(), "retain_terms": r.chain.retain_terms(),
                "syncing": in_flight.is_some(),
            }));
        }
    }
    let json = json!({
        "circle_id": c.circle_id().to_hex(),
        "name": c.ledger.name(),
        "serving": serving,
        "addrs": addrs,
        "peers": peers,
        "syncing": syncing,
        "following": following,
        "term": latest.term,
        "term_expires": latest.expires,
        "changes": local.store().change_count(&c.circle_id()),
        "epoch": c.chain.epoch(),
        "epoch_first_term": c.chain.epoch_first_term(),
        "retain_terms": c.chain.retain_terms(),
        "compliance": comp,
        "steward_warnings": super::steward::term_warnings(local, now),
        // First syncs of this circle start from its kept checkpoint (docs/CHECKPOINTS.md).
        "checkpoint": local.checkpoint_status(now)?,
    });
    let expiry = if latest.expires <= now {
        "has expired: hand over with `circle steward propose`".to_owned()
    } else {
        format!("expires in {}", days(days_left(latest.expires, now)))
    };
    let text = format!(
        "circle {} ({})\nterm {} {expiry}\n{} signed changes\nprotocol: {}\n{}\n{}{lines}",
        c.ledger.name(),
        c.circle_id(),
        latest.term,
        local.store().change_count(&c.circle_id()),
        if comp.compliant {
            "compliant"
        } else {
            "NOT compliant (see `circle protocol status`)"
        },
        if serving {
            format!("serving, {} peer(s) connected", peers.len())
        } else {
            "not serving".to_owned()
        },
        match following.len() {
            0 => "following no sister circle (`circle follow INVITE`)".to_owned(),
            1 => "following 1 circle:".to_owned(),
            n => format!("following {n} circles:"),
        },
    );
    let mut text = text;
    text += &match c.chain.retain_terms() {
        Some(n) => format!(
            "\nforgetting: evidence is kept for {n} term(s); epoch {} began at term {}",
            c.chain.epoch(),
            c.chain.epoch_first_term()
        ),
        None => {
            "\nforgetting: off, every action and memo is kept (`steward propose --retain-terms N`)"
                .to_owned()
        }
    };
    for w in super::steward::term_warnings(local, now) {
        text += &format!("\nwarning: {w}");
    }
    Ok(Report::new(json, text))
}

pub(crate) fn export(
    local: &LocalCircle,
    format: ExportFormat,
    circle: Option<&str>,
    out: &Path,
) -> Result<Report> {
    let bytes = export_bytes(local, format, circle)?;
    if out == Path::new("-") {
        std::io::stdout().lock().write_all(&bytes)?;
        return Ok(Report::new(json!({ "bytes": bytes.len() }), ""));
    }
    write_atomically(out, &bytes).with_context(|| format!("cannot write {}", out.display()))?;
    Ok(Report::new(
        json!({ "path": out.display().to_string(), "bytes": bytes.len() }),
        format!("wrote {} bytes to {}", bytes.len(), out.display()),
    ))
}

/// The bytes `circle export` writes.
pub(crate) fn export_bytes(
    local: &LocalCircle,
    format: ExportFormat,
    circle: Option<&str>,
) -> Result<Vec<u8>> {
    let doc = local.circle().ledger.doc();
    if circle.is_some() && !matches!(format, ExportFormat::Bundle) {
        anyhow::bail!("--circle works with --format bundle only");
    }
    Ok(match format {
        ExportFormat::Bundle => {
            let id = match circle {
                Some(c) => super::sisters::parse_id(local, c)?,
                None => local.circle_id(),
            };
            local.bundle(&id)?.encode()
        }
        ExportFormat::Automerge => doc.save(),
        ExportFormat::Json => {
            let mut v = serde_json::to_vec_pretty(&automerge::AutoSerde::from(doc))?;
            v.push(b'\n');
            v
        }
    })
}

/// Writes to a temporary file beside `out`, syncs, then renames over it.
pub(crate) fn write_atomically(out: &Path, bytes: &[u8]) -> Result<()> {
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = out.file_name().context("output path has no file name")?;
    let tmp = dir.join(format!(".{}.tmp", name.to_string_lossy()));
    // 0600 whatever the umask: the ledger's export is the circle's own business.
    let mut f = crate::private::replace_file(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, out)?;
    Ok(())
}
