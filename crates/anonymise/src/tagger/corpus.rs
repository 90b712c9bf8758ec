//! Reading the labelled corpus for training: `[[kind|surface]]` labels inline, an optional
//! `#lexicon aliases=…; redact=…` first line (see `tests/corpus.rs`).

use std::fs;
use std::io;
use std::path::Path;

use super::{train_tagger, LabelledText};
use crate::{Anonymiser, Kind, Lexicon};

/// The file number (the leading digits of `NNN-slug.txt`).
fn number(path: &Path) -> Option<usize> {
    let name = path.file_name()?.to_str()?;
    let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn parse_lexicon(line: &str) -> Lexicon {
    let mut lex = Lexicon::default();
    for part in line.trim_start_matches("#lexicon").split(';') {
        let Some((key, values)) = part.split_once('=') else {
            continue;
        };
        let words: Vec<String> = values
            .split(',')
            .map(|w| w.trim().to_string())
            .filter(|w| !w.is_empty())
            .collect();
        match key.trim() {
            "aliases" => lex.member_aliases = words,
            "redact" => lex.redact_words = words,
            _ => {}
        }
    }
    lex
}

/// One corpus file as a training text; `None` if a label is malformed.
fn parse(raw: &str) -> Option<LabelledText> {
    let (lexicon, body) = match raw.strip_prefix("#lexicon") {
        Some(_) => {
            let (first, rest) = raw.split_once('\n').unwrap_or((raw, ""));
            (parse_lexicon(first), rest)
        }
        None => (Lexicon::default(), raw),
    };
    let mut text = String::new();
    let mut labels = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find("[[") {
        text.push_str(&rest[..open]);
        let inner = &rest[open + 2..];
        let close = inner.find("]]")?;
        let (kind, surface) = inner[..close].split_once('|')?;
        let kind: Kind = kind.parse().ok()?;
        let start = text.len();
        text.push_str(surface);
        labels.push((kind, start, text.len()));
        rest = &inner[close + 2..];
    }
    text.push_str(rest);
    let rule_findings = Anonymiser::new(&lexicon).scan_rules(&text);
    Some(LabelledText {
        text,
        labels,
        rule_findings,
    })
}

/// Whether corpus file `n` may be trained on: below `below` (the current held-out set
/// starts there), not every fifth file below 199 (the older held-out part), not in `skip`.
fn trainable(n: usize, below: usize, skip: Option<(usize, usize)>) -> bool {
    n < below && !(n < 199 && n.is_multiple_of(5)) && skip.is_none_or(|(a, b)| n < a || n > b)
}

/// Trains the tagger on the trainable files of the corpus in `dir` (sorted by name) and
/// returns how many files it used and the weights.
#[doc(hidden)]
pub fn train_tagger_on_corpus(
    dir: &Path,
    below: usize,
    skip: Option<(usize, usize)>,
) -> io::Result<(usize, String)> {
    let mut paths: Vec<_> = fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .filter(|p| number(p).is_some_and(|n| trainable(n, below, skip)))
        .collect();
    paths.sort();
    let mut docs = Vec::with_capacity(paths.len());
    for p in &paths {
        let raw = fs::read_to_string(p)?;
        let doc = parse(&raw).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: bad label", p.display()),
            )
        })?;
        docs.push(doc);
    }
    Ok((docs.len(), train_tagger(&docs)))
}
