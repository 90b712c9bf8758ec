//! What a command prints.

use std::io::Write;

use serde::{Deserialize, Serialize};

/// The result of a command: one JSON document and its human rendering.
#[derive(Debug, Serialize, Deserialize)]
pub struct Report {
    json: serde_json::Value,
    text: String,
}

impl Report {
    pub fn new(json: impl Serialize, text: impl Into<String>) -> Report {
        Report {
            json: serde_json::to_value(json).unwrap_or(serde_json::Value::Null),
            text: text.into(),
        }
    }

    /// Adds what the public-text check redacted or let through (`"warnings"` in JSON,
    /// `warning:` lines in text); see `circle_core::public_text`.
    pub(crate) fn with_warnings(mut self, screen: &circle_core::public_text::Screen) -> Report {
        let warnings = screen.warnings();
        if warnings.is_empty() {
            return self;
        }
        if let Some(obj) = self.json.as_object_mut() {
            let list = serde_json::to_value(warnings).unwrap_or_default();
            obj.insert("warnings".into(), list);
        }
        for w in warnings {
            self.text.push_str("\nwarning: ");
            self.text.push_str(&w.message);
        }
        if screen.omitted() > 0 {
            self.text += &format!("\nwarning: and {} more", screen.omitted());
        }
        self
    }

    pub(crate) fn print(&self, json: bool) {
        let mut out = std::io::stdout().lock();
        let res = if json {
            serde_json::to_writer_pretty(&mut out, &self.json)
                .map_err(std::io::Error::other)
                .and_then(|_| writeln!(out))
        } else if self.text.is_empty() {
            Ok(())
        } else {
            writeln!(out, "{}", printable(self.text.trim_end()))
        };
        // A closed pipe (`circle tactics | head`) is not an error worth reporting.
        let _ = res;
    }
}

/// Text safe for a terminal: control characters (escape sequences, carriage returns,
/// bells) and bidirectional overrides removed, newlines and tabs kept. Titles, names
/// and alerts come from sister circles; none of them may drive the reader's terminal.
pub(crate) fn printable(text: &str) -> String {
    text.chars()
        .filter(|&c| {
            c == '\n'
                || c == '\t'
                || !(c.is_control()
                    || ('\u{202a}'..='\u{202e}').contains(&c)
                    || ('\u{2066}'..='\u{2069}').contains(&c))
        })
        .collect()
}

/// "1 day", "3 days".
pub(crate) fn days(n: u64) -> String {
    if n == 1 {
        "1 day".to_owned()
    } else {
        format!("{n} days")
    }
}

/// Whole days left until `end`, counted down (at least 1 while any time is left).
/// A certificate's expiry is rounded up to a midnight (core `circle::term_period`), so a
/// term of 14 days has 14 whole days and part of a day left when it starts: it reads
/// "14 days" through its first day, and `init`, `status` and `rotate` agree.
pub(crate) fn days_left(end: u64, now: u64) -> u64 {
    match end.saturating_sub(now) {
        0 => 0,
        left => (left / 86_400).max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_removed_and_lines_kept() {
        assert_eq!(
            printable("a\u{1b}[31mred\u{1b}[0m\r\u{7}\nb\tc\u{202e}d"),
            "a[31mred[0m\nb\tcd"
        );
        assert_eq!(days(1), "1 day");
        assert_eq!(days(0), "0 days");
        // A 14-day term started 100 s after midnight expires at the 15th midnight.
        assert_eq!(days_left(15 * 86_400, 100), 14);
        assert_eq!(days_left(15 * 86_400, 86_399), 14);
        assert_eq!(days_left(15 * 86_400, 14 * 86_400 + 1), 1);
        assert_eq!(days_left(100, 200), 0);
    }
}
