//! After-action zines: drafts, the publication check, and printable renderings.
//!
//! A draft is plain text (Markdown); headings named *what worked*, *what failed* and
//! *open questions* (or their Spanish, French and German forms) split it into the
//! zine's sections, and what comes before the first of them is the body. The whole draft
//! is checked by the anonymiser; nothing of it enters the ledger until the check is
//! clean (or every finding is redacted), and then only as one fresh change.

use circle_anonymise::{redact, Anonymiser, Finding};

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

/// Paragraphs of escaped text.
fn paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", escape_html(p).replace('\n', "<br>")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Print rules for an A5 booklet: A5 pages, so two sit side by side on A4 and the
/// stack folds in half. No external fonts or scripts: the page must work offline.
const BOOKLET_CSS: &str = r#"
@page { size: A5; margin: 14mm 12mm 16mm 12mm; }
@page :first { margin-top: 30mm; }
* { box-sizing: border-box; }
html { font-family: Georgia, "DejaVu Serif", serif; font-size: 11pt; line-height: 1.45; color: #111; }
body { margin: 0 auto; max-width: 148mm; padding: 8mm; background: #fff; }
header.cover { text-align: center; padding: 10mm 0 8mm; border-bottom: 3px double #111; margin-bottom: 8mm; }
header.cover h1 { font-size: 22pt; line-height: 1.15; margin: 0 0 4mm; letter-spacing: .02em; }
header.cover p { font-style: italic; margin: 0; }
section { break-inside: avoid-page; margin-bottom: 6mm; }
h2 { font-size: 13pt; text-transform: uppercase; letter-spacing: .08em; border-bottom: 1px solid #111; padding-bottom: 1mm; }
p { margin: 0 0 3mm; text-align: justify; hyphens: auto; }
footer { margin-top: 10mm; font-size: 8.5pt; text-align: center; border-top: 1px solid #999; padding-top: 2mm; }
@media print {
  body { padding: 0; max-width: none; }
  section.questions { break-before: page; }
  footer { position: fixed; bottom: 6mm; left: 0; right: 0; border: 0; }
}
"#;

/// The zine as a printable, foldable A5 booklet (self-contained HTML).
pub fn to_html(circle_name: &str, z: &Zine) -> String {
    let mut sections = String::new();
    if !z.body.is_empty() {
        sections += &format!(
            "<section class=\"body\">\n{}\n</section>\n",
            paragraphs(&z.body)
        );
    }
    for (class, heading, text) in [
        ("worked", "What worked", &z.worked),
        ("failed", "What failed", &z.failed),
        ("questions", "Open questions", &z.questions),
    ] {
        if !text.is_empty() {
            sections += &format!(
                "<section class=\"{class}\">\n<h2>{heading}</h2>\n{}\n</section>\n",
                paragraphs(text)
            );
        }
    }
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{BOOKLET_CSS}</style>\n</head>\n<body>\n\
         <header class=\"cover\">\n<h1>{title}</h1>\n<p>An after-action zine from {circle}</p>\n</header>\n\
         {sections}<footer>Copy, adapt, share. Knowledge travels, evidence evaporates.</footer>\n</body>\n</html>\n",
        title = escape_html(&z.title),
        circle = escape_html(circle_name),
    )
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
