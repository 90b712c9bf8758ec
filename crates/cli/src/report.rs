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
            writeln!(out, "{}", self.text.trim_end())
        };
        // A closed pipe (`circle tactics | head`) is not an error worth reporting.
        let _ = res;
    }
}
