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
