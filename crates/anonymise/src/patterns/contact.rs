//! E-mail addresses, URLs, social handles and IP addresses: the "online"
//! identifiers, which share boundary rules around `@`, `.` and `/`.

use std::net::{Ipv4Addr, Ipv6Addr};

use regex::Regex;

use super::push;
use crate::util::{char_before, compile, prev_word};
use crate::{Finding, Kind};

/// Top-level domains we accept for bare domains (no scheme, no `www.`).
/// Kept to real, common TLDs so that file names ("wp-login.php") and
/// abbreviations ("e.g.", "ver.di") are not mistaken for domains.
const TLDS: &str = "com|org|net|info|biz|io|co|uk|de|fr|es|nl|it|eu|cat|be|at|ch|pt|ie|pl|se|no|dk|fi|us|ca|au|nz|in|me|tv|app|dev|social|online|site|xyz|club|earth|coop|gov|edu|example|berlin|london|scot|wales|eus|gal";

/// Bare domains of large public services, left alone when they appear with
/// no path: naming the platform identifies nobody.
const WELL_KNOWN: &[&str] = &[
    "signal.org",
    "signal.me",
    "telegram.org",
    "whatsapp.com",
    "gov.uk",
    "nhs.uk",
    "google.com",
    "wikipedia.org",
    "facebook.com",
    "instagram.com",
    "twitter.com",
    "x.com",
    "reddit.com",
    "youtube.com",
    "tiktok.com",
    "bsky.app",
    "mastodon.social",
    "riseup.net",
    "protonmail.com",
    "proton.me",
    "gmail.com",
    "outlook.com",
    "amazon.com",
    "amazon.co.uk",
    "deliveroo.co.uk",
];

#[derive(Debug)]
pub(crate) struct Contact {
    email: Option<Regex>,
    url_scheme: Option<Regex>,
    url_bare: Option<Regex>,
    handle_at: Option<Regex>,
    handle_path: Option<Regex>,
    ipv4: Option<Regex>,
    ipv6: Option<Regex>,
}

impl Contact {
    pub(crate) fn new() -> Contact {
        Contact {
            email: compile(
                r"(?i)[\p{L}\p{N}._%+\-]+@[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}\-]*[\p{L}\p{N}])?)*\.[\p{L}]{2,24}",
            ),
            url_scheme: compile(
                r#"(?i)\b(?:https?|ftp)://[^\s<>"'\[\]{}|\\^`]+|\bwww\.[a-z0-9\-]+(?:\.[a-z0-9\-]+)+(?:[/?#][^\s<>"'\[\]{}|\\^`]*)?"#,
            ),
            url_bare: compile(&format!(
                r#"(?i)\b[a-z0-9](?:[a-z0-9\-]{{0,62}}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]{{0,62}}[a-z0-9])?)*\.(?:{TLDS})\b(?:[/?#][^\s<>"'\[\]{{}}|\\^`]*)?"#
            )),
            handle_at: compile(
                r"@[\p{L}\p{N}_](?:[\p{L}\p{N}_.\-]{0,60}[\p{L}\p{N}_])?(?:@[a-zA-Z0-9\-]+(?:\.[a-zA-Z0-9\-]+)+)?",
            ),
            handle_path: compile(r"(?i)\b(?:[ur]/[a-z0-9_\-]{2,40}|t\.me/[a-z0-9_]{3,40})"),
            ipv4: compile(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?:/\d{1,2})?\b"),
            ipv6: compile(r"(?i)[0-9a-f:]*:[0-9a-f:]*:[0-9a-f:.]*(?:/\d{1,3})?"),
        }
    }

    pub(crate) fn find(&self, text: &str, out: &mut Vec<Finding>) {
        if let Some(re) = &self.email {
            for m in re.find_iter(text) {
                // Must not be glued to a preceding word char or dot.
                if char_before(text, m.start()).is_some_and(|c| c == '@') {
                    continue;
                }
                push(out, Kind::Email, text, m.start(), m.end());
            }
        }
        if let Some(re) = &self.url_scheme {
            for m in re.find_iter(text) {
                let end = m.start() + trim_url_tail(m.as_str());
                push(out, Kind::Url, text, m.start(), end);
            }
        }
        if let Some(re) = &self.url_bare {
            for m in re.find_iter(text) {
                self.bare_domain(text, m.start(), m.end(), out);
            }
        }
        if let Some(re) = &self.handle_at {
            for m in re.find_iter(text) {
                let glued = char_before(text, m.start())
                    .is_some_and(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'));
                let body = m.as_str().trim_end_matches('.');
                // "@10" is "at ten", not a handle.
                if glued || !body.chars().any(char::is_alphabetic) {
                    continue;
                }
                push(out, Kind::Handle, text, m.start(), m.start() + body.len());
            }
        }
        if let Some(re) = &self.handle_path {
            for m in re.find_iter(text) {
                // Part of a longer path or URL ("and/or", "example.org/u/x").
                if char_before(text, m.start()).is_some_and(|c| matches!(c, '/' | '.' | '-')) {
                    continue;
                }
                push(out, Kind::Handle, text, m.start(), m.end());
            }
        }
        self.find_ips(text, out);
    }

    fn bare_domain(&self, text: &str, start: usize, end: usize, out: &mut Vec<Finding>) {
        // Inside an e-mail, a URL path or a handle: skip, the longer match
        // from the other pattern covers it.
        if char_before(text, start).is_some_and(|c| matches!(c, '@' | '.' | '/' | '-' | '_')) {
            return;
        }
        let Some(raw) = text.get(start..end) else {
            return;
        };
        let len = trim_url_tail(raw);
        let Some(found) = raw.get(..len) else {
            return;
        };
        let host_len = found.find(['/', '?', '#']).unwrap_or(found.len());
        let host = found.get(..host_len).unwrap_or(found).to_ascii_lowercase();
        let has_path = found.len() > host_len + 1;
        if host.starts_with("t.me") && has_path {
            return; // a Telegram handle, reported by the handle pattern
        }
        if !has_path && WELL_KNOWN.contains(&host.as_str()) {
            return;
        }
        // A domain needs a letter outside the TLD: "1.de" is not a domain.
        let label = host.rsplit_once('.').map(|(l, _)| l).unwrap_or("");
        if !label.chars().any(|c| c.is_ascii_alphabetic()) {
            return;
        }
        push(out, Kind::Url, text, start, start + len);
    }

    fn find_ips(&self, text: &str, out: &mut Vec<Finding>) {
        if let Some(re) = &self.ipv4 {
            for m in re.find_iter(text) {
                let s = m.as_str();
                let addr = s.split('/').next().unwrap_or(s);
                if addr.parse::<Ipv4Addr>().is_err() {
                    continue;
                }
                // A fifth dotted part or a leading dot means a version or a
                // longer number ("1.2.3.4.5", "v.1.2.3.4").
                let glued_left = char_before(text, m.start()).is_some_and(|c| c == '.');
                let glued_right = text.get(m.end()..).is_some_and(|r| {
                    r.starts_with('.') && r[1..].starts_with(|c: char| c.is_ascii_digit())
                });
                if glued_left || glued_right || is_version_context(text, m.start()) {
                    continue;
                }
                push(out, Kind::IpAddress, text, m.start(), m.start() + s.len());
            }
        }
        if let Some(re) = &self.ipv6 {
            for m in re.find_iter(text) {
                let s = m.as_str().trim_end_matches([':', '.']);
                let (addr, _prefix) = s.split_once('/').unwrap_or((s, ""));
                let colons = addr.matches(':').count();
                let plausible = (addr.contains("::") || colons == 7) && colons >= 2;
                let glued = char_before(text, m.start()).is_some_and(|c| c.is_alphanumeric());
                if !plausible || glued || addr.parse::<Ipv6Addr>().is_err() {
                    continue;
                }
                // Require a hex digit group: "::" alone or "a::b" in prose is
                // too weak; real addresses have at least three groups.
                let groups = addr.split(':').filter(|g| !g.is_empty()).count();
                if groups < 2 {
                    continue;
                }
                push(out, Kind::IpAddress, text, m.start(), m.start() + s.len());
            }
        }
    }
}

/// "v1.2.3.4", "version 1.2.3.4", "versión", "Version": a release, not an IP.
fn is_version_context(text: &str, start: usize) -> bool {
    if char_before(text, start).is_some_and(|c| c == 'v' || c == 'V') {
        return true;
    }
    let word = prev_word(text, start);
    matches!(
        word.as_str(),
        "version"
            | "versión"
            | "versione"
            | "versie"
            | "ver"
            | "release"
            | "build"
            | "firmware"
            | "v"
    )
}

/// Length of a URL match after dropping trailing sentence punctuation and an
/// unbalanced closing bracket.
fn trim_url_tail(s: &str) -> usize {
    let mut end = s.len();
    while let Some(c) = s.get(..end).and_then(|p| p.chars().next_back()) {
        let unbalanced_paren = c == ')' && {
            let body = s.get(..end).unwrap_or("");
            body.matches('(').count() < body.matches(')').count()
        };
        if matches!(
            c,
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '"' | '»' | '…'
        ) || unbalanced_paren
        {
            end -= c.len_utf8();
        } else {
            break;
        }
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_tails() {
        assert_eq!(trim_url_tail("https://x.org/a)."), "https://x.org/a".len());
        assert_eq!(
            trim_url_tail("https://x.org/(a)"),
            "https://x.org/(a)".len()
        );
    }
}
