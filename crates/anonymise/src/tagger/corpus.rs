//! Reading the labelled corpus for training (the file format is `src/corpus.rs`, shared
//! with the corpus test).

use std::fs;
use std::io;
use std::path::Path;

use super::{train_tagger, LabelledText};
use crate::corpus::{corpus_file_number, parse_corpus_file};
use crate::Anonymiser;

/// One corpus file as a training text: its labels and what the rules alone find in it.
fn parse(raw: &str) -> Result<LabelledText, String> {
    let file = parse_corpus_file(raw)?;
    let rule_findings = Anonymiser::new(&file.lexicon).scan_rules(&file.text);
    Ok(LabelledText {
        text: file.text,
        labels: file.labels,
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
        .filter(|p| {
            p.file_name()
                .and_then(|n| corpus_file_number(&n.to_string_lossy()))
                .is_some_and(|n| trainable(n, below, skip))
        })
        .collect();
    paths.sort();
    let mut docs = Vec::with_capacity(paths.len());
    for p in &paths {
        let raw = fs::read_to_string(p)?;
        let doc = parse(&raw).map_err(|e| {
            io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", p.display()))
        })?;
        docs.push(doc);
    }
    Ok((docs.len(), train_tagger(&docs)))
}
