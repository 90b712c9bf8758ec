//! After-action zines: drafts, the publication check, and printable renderings.
//!
//! A draft is plain text (Markdown); headings named *what worked*, *what failed* and
//! *open questions* (or their Spanish, French and German forms) split it into the
//! zine's sections, and what comes before the first of them is the body. The whole draft
//! is checked by the anonymiser; nothing of it enters the ledger until the check is
//! clean (or every finding is redacted), and then only as one fresh change.
//!
//! Printed, a zine is an A5 booklet ([`to_html`]) or the same booklet imposed for
//! fold-and-staple printing on A4 ([`to_booklet`]); its Markdown is rendered with
//! raw HTML shown as text (see `markdown`).

mod booklet;
mod markdown;

use circle_anonymise::{redact, Anonymiser, Finding};

pub use booklet::{imposition, to_booklet, to_html};

use crate::ledger::{NewZine, Zine};

/// The sections of a draft.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Draft {
    pub body: String,
    pub worked: String,
    pub failed: String,
    pub questions: String,
}

#[derive(Clone, Copy)]
enum Section {
    Body,
    Worked,
    Failed,
    Questions,
}

fn heading_section(line: &str) -> Option<Section> {
    let t = line.trim_start();
    if !t.starts_with('#') {
        return None;
    }
    let h = t.trim_start_matches('#').trim().to_lowercase();
    let any = |words: &[&str]| words.iter().any(|w| h.contains(w));
    if any(&[
        "worked",
        "funcionó",
        "a marché",
        "funktioniert",
        "went well",
    ]) {
        Some(Section::Worked)
    } else if any(&[
        "failed",
        "didn't work",
        "went wrong",
        "falló",
        "n'a pas marché",
        "schiefgelaufen",
    ]) {
        Some(Section::Failed)
    } else if any(&["question", "pregunta", "offene fragen"]) {
        Some(Section::Questions)
    } else {
        None
    }
}

impl Draft {
    /// Splits a draft into sections at recognised headings.
    pub fn parse(text: &str) -> Draft {
        let mut d = Draft::default();
        let mut current = Section::Body;
        for line in text.split_inclusive('\n') {
            if let Some(s) = heading_section(line) {
                current = s;
                continue;
            }
            let target = match current {
                Section::Body => &mut d.body,
                Section::Worked => &mut d.worked,
                Section::Failed => &mut d.failed,
                Section::Questions => &mut d.questions,
            };
            target.push_str(line);
        }
        for s in [&mut d.body, &mut d.worked, &mut d.failed, &mut d.questions] {
            *s = s.trim().to_owned();
        }
        d
    }

    pub fn into_zine(self, title: String, action_id: Option<String>) -> NewZine {
        NewZine {
            title,
            body: self.body,
            worked: self.worked,
            failed: self.failed,
            questions: self.questions,
            action_id,
        }
    }
}

/// The anonymiser's findings in a text (title and draft are checked alike).
pub fn check(anonymiser: &Anonymiser, text: &str) -> Vec<Finding> {
    anonymiser.scan(text)
}

/// Replaces every finding with `[REDACTED:kind]`, then checks again, because a
/// replacement can join words into something new; gives up after a few rounds.
pub fn redact_all(anonymiser: &Anonymiser, text: &str) -> (String, Vec<Finding>) {
    let mut out = text.to_owned();
    for _ in 0..4 {
        let findings = anonymiser.scan(&out);
        if findings.is_empty() {
            return (out, findings);
        }
        out = redact(&out, &findings);
    }
    let left = anonymiser.scan(&out);
    (out, left)
}

/// The zine as Markdown, for sharing as text.
pub fn to_markdown(circle_name: &str, z: &Zine) -> String {
    let mut out = format!(
        "# {}\n\n*An after-action zine from {circle_name}.*\n\n",
        z.title
    );
    if !z.body.is_empty() {
        out += &format!("{}\n\n", z.body);
    }
    for (heading, text) in [
        ("What worked", &z.worked),
        ("What failed", &z.failed),
        ("Open questions", &z.questions),
    ] {
        if !text.is_empty() {
            out += &format!("## {heading}\n\n{text}\n\n");
        }
    }
    out.trim_end().to_owned() + "\n"
}

/// Text made safe inside HTML elements and quoted attributes.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_split_into_sections() {
        let d = Draft::parse(
            "We held the picket.\n\n## What worked\nSoup.\n## What failed\nRain.\n### Open questions\nTents?\n",
        );
        assert_eq!(d.body, "We held the picket.");
        assert_eq!(d.worked, "Soup.");
        assert_eq!(d.failed, "Rain.");
        assert_eq!(d.questions, "Tents?");
    }

    #[test]
    fn html_is_escaped() {
        let z = Zine {
            zine_id: "z".into(),
            title: "<script>alert(1)</script>".into(),
            body: "a & b".into(),
            worked: String::new(),
            failed: String::new(),
            questions: String::new(),
            action_id: None,
            day: 0,
        };
        let html = to_html("C", &z);
        assert!(!html.contains("<script>"));
        assert!(html.contains("a &amp; b"));
    }

    #[test]
    fn redaction_leaves_nothing_behind() {
        let a = Anonymiser::new(&circle_anonymise::Lexicon::default());
        let (out, left) = redact_all(&a, "Call Maria on +44 7700 900123 at 14:30.");
        assert!(left.is_empty());
        assert!(out.contains("[REDACTED:phone]"), "{out}");
    }
}
