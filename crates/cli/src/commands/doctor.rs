//! `circle doctor`: one screen telling an organizer whether the node is healthy — running,
//! reachable, federating, synced, its clock, disk and memory — and what to do otherwise.
//!
//! While `circle serve` runs, the command is forwarded to it like any other, so the
//! network and memory checks describe the running node itself. Every check has a status
//! (`ok`, `warn`, `fail` or `unknown`) and, unless it is ok, advice a person can act on.

use std::path::Path;

use anyhow::Result;
use circle_core::compliance::compliance;
use circle_core::keys::Hash32;
use circle_node::{LocalCircle, NetStatus};
use serde::Serialize;
use serde_json::{json, Value};

use crate::Report;

/// Free space below which writes are at risk (a full disk stops the node).
const DISK_FAIL: u64 = 128 << 20;
const DISK_WARN: u64 = 512 << 20;
/// Memory available to the system below which the kernel may kill the node.
const MEM_FAIL_KIB: u64 = 32 << 10;
const MEM_WARN_KIB: u64 = 128 << 10;
/// Signed times of sister circles this far in our future mean our clock is behind.
/// Alerts carry minute-precision times; certificate times may be rounded (to the day at
/// most), so they need a wider margin.
const ALERT_SLACK: u64 = 10 * 60;
const CERT_SLACK: u64 = 36 * 3600;
/// A steward term ending this soon needs a rotation.
const TERM_WARN: u64 = 2 * 86_400;
/// Followed circles listed one by one; the rest are counted.
const LISTED: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Ok,
    Warn,
    Fail,
    Unknown,
}

#[derive(Debug, Serialize)]
struct Check {
    name: &'static str,
    /// False only for `fail`: a warning or an unknown is not a failure.
    ok: bool,
    status: Status,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    advice: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    items: Vec<Value>,
}

fn check(name: &'static str, status: Status, detail: impl Into<String>) -> Check {
    Check {
        name,
        ok: status != Status::Fail,
        status,
        detail: detail.into(),
        advice: None,
        items: Vec::new(),
    }
}

impl Check {
    fn advise(mut self, advice: impl Into<String>) -> Check {
        self.advice = Some(advice.into());
        self
    }
}

/// Runs every check; `net` is the running node's state (`None`: no node runs).
pub(crate) fn doctor(local: &LocalCircle, now: u64, net: Option<&NetStatus>) -> Result<Report> {
    let sisters = local.sisters()?;
    let checks = vec![
        node_check(net),
        listening_check(net),
        peers_check(net, sisters.len()),
        protocol_check(local, now),
        term_check(local, now),
        synced_check(local, &sisters, net)?,
        clock_check(local, &sisters, now)?,
        disk_check(local.root()),
        memory_check(net.is_some()),
    ];
    let ok = checks.iter().all(|c| c.ok);
    let text = render(&checks, ok);
    Ok(Report::new(json!({ "ok": ok, "checks": checks }), text))
}

fn render(checks: &[Check], ok: bool) -> String {
    let problems = checks.iter().filter(|c| c.status != Status::Ok).count();
    let mut out = if ok && problems == 0 {
        "circle doctor: all good".to_owned()
    } else if ok {
        format!("circle doctor: working, {problems} thing(s) to look at")
    } else {
        format!("circle doctor: NOT healthy, {problems} thing(s) to look at")
    };
    for c in checks {
        let mark = match c.status {
            Status::Ok => "ok  ",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
            Status::Unknown => "??  ",
        };
        out.push_str(&format!("\n{mark}  {:<10} {}", c.name, c.detail));
        if let Some(a) = &c.advice {
            out.push_str(&format!("\n      {:<10} -> {a}", ""));
        }
    }
    out
}

fn node_check(net: Option<&NetStatus>) -> Check {
    match net {
        Some(n) => check(
            "node",
            Status::Ok,
            format!("running, peer id {}", n.peer_id),
        ),
        None => check("node", Status::Fail, "not running for this data directory").advise(
            "start it: `sudo systemctl start circle` (as a service) or `circle serve`; \
             `journalctl -u circle` shows why it stopped",
        ),
    }
}

fn listening_check(net: Option<&NetStatus>) -> Check {
    let Some(n) = net else {
        return check("listening", Status::Unknown, "the node is not running");
    };
    let outside: Vec<&String> = n.addrs.iter().filter(|a| !is_loopback(a)).collect();
    if n.addrs.is_empty() {
        check("listening", Status::Fail, "on no address")
            .advise("another program may hold port 7879; pick others with `serve --listen`")
    } else if outside.is_empty() {
        check(
            "listening",
            Status::Warn,
            format!("on this machine only: {}", n.addrs.join(" ")),
        )
        .advise("sister circles elsewhere cannot reach it; listen on 0.0.0.0 (the default)")
    } else {
        let shown: Vec<&str> = outside.iter().take(4).map(|a| a.as_str()).collect();
        check("listening", Status::Ok, shown.join(" "))
    }
}

fn is_loopback(addr: &str) -> bool {
    addr.starts_with("/ip4/127.") || addr.starts_with("/ip6/::1/") || addr.starts_with("/memory/")
}

fn peers_check(net: Option<&NetStatus>, following: usize) -> Check {
    let Some(n) = net else {
        return check("peers", Status::Unknown, "the node is not running");
    };
    let detail = format!(
        "{} peer(s) connected, following {following} circle(s)",
        n.peers.len()
    );
    match (n.peers.len(), following) {
        (0, 0) => check("peers", Status::Warn, detail)
            .advise("federate: give a sister circle `circle invite`, or `circle follow` theirs"),
        (0, _) => check("peers", Status::Warn, detail).advise(
            "no sister's node is reachable now: check this machine's network; \
             they sync again once one is",
        ),
        (_, 0) => check("peers", Status::Warn, detail)
            .advise("connected, but following no circle: `circle follow INVITE`"),
        _ => check("peers", Status::Ok, detail),
    }
}

fn protocol_check(local: &LocalCircle, now: u64) -> Check {
    let c = local.circle();
    let comp = compliance(&c.ledger, &c.chain, now);
    if comp.compliant {
        return check("protocol", Status::Ok, "this circle keeps the protocol");
    }
    let items = &comp.items;
    let missing: Vec<&str> = [
        &items.mutual_aid_fund,
        &items.rapid_defense_pledge,
        &items.open_tactics,
    ]
    .into_iter()
    .filter(|i| !i.ok)
    .map(|i| i.reason.as_str())
    .collect();
    check(
        "protocol",
        Status::Fail,
        "this circle does not keep the protocol, so sisters do not show its content",
    )
    .advise(missing.join("; "))
}

fn term_check(local: &LocalCircle, now: u64) -> Check {
    let body = &local.circle().chain.latest().body;
    let left = body.expires.saturating_sub(now);
    if body.expires <= now {
        check(
            "term",
            Status::Fail,
            format!(
                "steward term {} has ended: the circle cannot write",
                body.term
            ),
        )
        .advise("rotate: `circle steward rotate`, then sign the pledge again")
    } else if left < TERM_WARN {
        check(
            "term",
            Status::Warn,
            format!("steward term {} ends in {} hour(s)", body.term, left / 3600),
        )
        .advise("rotate soon: `circle steward rotate`, then sign the pledge again")
    } else {
        check(
            "term",
            Status::Ok,
            format!(
                "steward term {} ends in {} day(s)",
                body.term,
                left / 86_400
            ),
        )
    }
}

fn synced_check(local: &LocalCircle, sisters: &[Hash32], net: Option<&NetStatus>) -> Result<Check> {
    if sisters.is_empty() {
        return Ok(check("synced", Status::Ok, "follows no circle yet"));
    }
    let mut items = Vec::new();
    let mut never = 0;
    for id in sisters {
        let hex = id.to_hex();
        let changes = local.store().change_count(id);
        let syncing = net
            .and_then(|n| n.syncing.iter().find(|s| s.circle_id == hex && !s.done))
            .is_some();
        let name = match local.sister(id)? {
            Some(r) => r.ledger.name(),
            None => {
                never += 1;
                String::new()
            }
        };
        if items.len() < LISTED {
            items.push(json!({ "circle_id": hex, "name": name, "changes": changes,
                               "syncing": syncing, "synced": !name.is_empty() }));
        }
    }
    let detail = format!(
        "{} of {} followed circle(s) synced",
        sisters.len() - never,
        sisters.len()
    );
    let mut c = if never == 0 {
        check("synced", Status::Ok, detail)
    } else {
        check("synced", Status::Warn, detail).advise(
            "no peer has served the others yet; they sync when one of their nodes is reachable",
        )
    };
    c.items = items;
    Ok(c)
}

/// The clock can be shown to be behind: a time this node or a sister signed is in our
/// future. That it is ahead cannot be shown from signed data, so that stays unknown.
fn clock_check(local: &LocalCircle, sisters: &[Hash32], now: u64) -> Result<Check> {
    let own = local.circle().chain.latest().body.start;
    if own > now + CERT_SLACK {
        return Ok(clock_behind(own - now, "this circle's own steward term"));
    }
    let mut newest_cert = None;
    for id in sisters {
        if let Some(r) = local.sister(id)? {
            let start = r.chain.latest().body.start;
            newest_cert = newest_cert.max(Some(start));
        }
    }
    let alerts = circle_node::stored_alerts(local.store(), &local.circle_id())?;
    let newest_alert = alerts.iter().filter(|a| !a.own).map(|a| a.sent).max();
    if let Some(t) = newest_cert.filter(|t| *t > now + CERT_SLACK) {
        return Ok(clock_behind(t - now, "a sister circle's steward term"));
    }
    if let Some(t) = newest_alert.filter(|t| *t > now + ALERT_SLACK) {
        return Ok(clock_behind(t - now, "a sister circle's alert"));
    }
    if newest_cert.is_none() && newest_alert.is_none() {
        return Ok(check(
            "clock",
            Status::Unknown,
            "no sister's signed time to compare with",
        )
        .advise("keep network time on (`timedatectl`): a Pi has no clock battery"));
    }
    Ok(check(
        "clock",
        Status::Ok,
        "not behind any time a sister circle signed",
    ))
}

fn clock_behind(by: u64, what: &str) -> Check {
    check(
        "clock",
        Status::Fail,
        format!(
            "behind: {what} starts {} minute(s) in this machine's future",
            by / 60
        ),
    )
    .advise("set the time: enable network time (`sudo timedatectl set-ntp true`)")
}

fn disk_check(dir: &Path) -> Check {
    let stat = match nix::sys::statvfs::statvfs(dir) {
        Ok(s) => s,
        Err(e) => {
            return check(
                "disk",
                Status::Unknown,
                format!("cannot read free space: {e}"),
            )
        }
    };
    let unit = stat.fragment_size() as u64;
    let free = (stat.blocks_available() as u64).saturating_mul(unit);
    let total = (stat.blocks() as u64).saturating_mul(unit);
    let detail = format!("{} free of {} at {}", mib(free), mib(total), dir.display());
    let advice = "free space on this disk: when it is full the node stops taking writes";
    if free < DISK_FAIL {
        check("disk", Status::Fail, detail).advise(advice)
    } else if free < DISK_WARN {
        check("disk", Status::Warn, detail).advise(advice)
    } else {
        check("disk", Status::Ok, detail)
    }
}

fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes >> 20)
}

/// The system's available memory and, inside the running node, its own resident size
/// against its cgroup limit (the service's MemoryMax).
fn memory_check(in_node: bool) -> Check {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let available = kib_field(&meminfo, "MemAvailable:");
    let total = kib_field(&meminfo, "MemTotal:");
    let (rss, cap) = if in_node {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        (kib_field(&status, "VmRSS:"), cgroup_memory_max())
    } else {
        (None, None)
    };
    let Some(available) = available else {
        return check("memory", Status::Unknown, "cannot read /proc/meminfo");
    };
    let mut detail = format!("{} MiB available", available >> 10);
    if let Some(t) = total {
        detail.push_str(&format!(" of {} MiB", t >> 10));
    }
    if let Some(r) = rss {
        detail.push_str(&format!("; the node uses {} MiB", r >> 10));
        if let Some(c) = cap {
            detail.push_str(&format!(" of its {} MiB limit", c >> 20));
        }
    }
    let near_cap = match (rss, cap) {
        (Some(r), Some(c)) => (r << 10) as f64 / c as f64,
        _ => 0.0,
    };
    if available < MEM_FAIL_KIB || near_cap > 0.9 {
        check("memory", Status::Fail, detail)
            .advise("stop other programs on this machine, or raise MemoryMax in circle.service")
    } else if available < MEM_WARN_KIB || near_cap > 0.75 {
        check("memory", Status::Warn, detail)
            .advise("memory is short: the node may be slow or stopped during a large sync")
    } else {
        check("memory", Status::Ok, detail)
    }
}

/// A `Name:   1234 kB` line of a /proc file, in KiB.
fn kib_field(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// This process's cgroup v2 memory limit in bytes, if it has one.
fn cgroup_memory_max() -> Option<u64> {
    let cgroup = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let path = cgroup.lines().find_map(|l| l.strip_prefix("0::"))?;
    let max = std::fs::read_to_string(format!("/sys/fs/cgroup{}/memory.max", path.trim())).ok()?;
    max.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_proc_fields_in_kib() {
        let text = "MemTotal:        1000 kB\nMemAvailable:     250 kB\n";
        assert_eq!(kib_field(text, "MemAvailable:"), Some(250));
        assert_eq!(kib_field(text, "MemTotal:"), Some(1000));
        assert_eq!(kib_field(text, "SwapTotal:"), None);
        assert_eq!(kib_field("MemAvailable: lots", "MemAvailable:"), None);
    }

    #[test]
    fn loopback_addresses_are_not_reachable_from_the_lan() {
        assert!(is_loopback("/ip4/127.0.0.1/tcp/7879"));
        assert!(is_loopback("/ip6/::1/udp/7879/quic-v1"));
        assert!(!is_loopback("/ip4/192.168.1.20/tcp/7879"));
    }

    #[test]
    fn a_failed_check_makes_the_screen_unhealthy() {
        let checks = vec![
            check("node", Status::Ok, "running"),
            check("disk", Status::Fail, "1 MiB free").advise("free space"),
        ];
        let text = render(&checks, false);
        assert!(text.starts_with("circle doctor: NOT healthy, 1 thing(s)"));
        assert!(text.contains("FAIL  disk"));
        assert!(text.contains("-> free space"));
        let all_good = render(&checks[..1], true);
        assert_eq!(all_good.lines().next(), Some("circle doctor: all good"));
    }
}
