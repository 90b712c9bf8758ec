//! The labelled corpus's file format, read in one place for the tagger's training
//! (`src/tagger/corpus.rs`) and the corpus test (`tests/corpus.rs`), so the two cannot
//! disagree about what a file says.
//!
//! One text per file, `NNN-slug.txt` (three or more digits before the first `-`), labels
//! inline as `[[kind|surface]]`. An optional first line `#lexicon aliases=A,B; redact=C,D`
//! gives the circle lexicon for that file and is not part of the text.

use crate::{Kind, Lexicon};

/// One corpus file with its label markup taken out.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct CorpusFile {
    /// The lexicon from the `#lexicon` line (empty without one).
    pub lexicon: Lexicon,
    /// The text as the anonymiser sees it.
    pub text: String,
    /// Labelled spans: kind and byte range in `text`.
    pub labels: Vec<(Kind, usize, usize)>,
}

/// The leading number of a corpus file name (`042-…`, `1003-…`), or `None` if the name
/// does not start with three or more digits and a `-`.
#[doc(hidden)]
pub fn corpus_file_number(name: &str) -> Option<usize> {
    let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
    if digits.len() < 3 || !name[digits.len()..].starts_with('-') {
        return None;
    }
    digits.parse().ok()
}

/// Parses one corpus file; the error names what is malformed (an unknown lexicon key, a
/// bad kind, an unclosed label).
#[doc(hidden)]
pub fn parse_corpus_file(raw: &str) -> Result<CorpusFile, String> {
    let (lexicon, body) = match raw.strip_prefix("#lexicon") {
        Some(_) => {
            let (first, rest) = raw.split_once('\n').unwrap_or((raw, ""));
            (parse_lexicon(first)?, rest)
        }
        None => (Lexicon::default(), raw),
    };
    let mut text = String::new();
    let mut labels = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find("[[") {
        text.push_str(&rest[..open]);
        let inner = &rest[open + 2..];
        let close = inner.find("]]").ok_or("a label without its closing ]]")?;
        let (kind, surface) = inner[..close]
            .split_once('|')
            .ok_or("a label without its |")?;
        let kind: Kind = kind.parse().map_err(|_| format!("bad kind {kind:?}"))?;
        let start = text.len();
        text.push_str(surface);
        labels.push((kind, start, text.len()));
        rest = &inner[close + 2..];
    }
    text.push_str(rest);
    Ok(CorpusFile {
        lexicon,
        text,
        labels,
    })
}

fn parse_lexicon(line: &str) -> Result<Lexicon, String> {
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
            other => return Err(format!("unknown lexicon key {other:?}")),
        }
    }
    Ok(lex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_numbers_of_three_and_four_digits() {
        assert_eq!(corpus_file_number("042-notes.txt"), Some(42));
        assert_eq!(corpus_file_number("929-heldout8-x.txt"), Some(929));
        assert_eq!(corpus_file_number("1003-heldout9-x.txt"), Some(1003));
        assert_eq!(corpus_file_number("42-short.txt"), None);
        assert_eq!(corpus_file_number("notes.txt"), None);
    }

    #[test]
    fn labels_and_lexicon() {
        let file = parse_corpus_file(
            "#lexicon aliases=Wren; redact=the shed\nmet [[person_name|Ana]] at 5\n",
        )
        .unwrap();
        assert_eq!(file.lexicon.member_aliases, ["Wren"]);
        assert_eq!(file.lexicon.redact_words, ["the shed"]);
        assert_eq!(file.text, "met Ana at 5\n");
        assert_eq!(file.labels, [(Kind::PersonName, 4, 7)]);
    }

    #[test]
    fn malformed_files_are_errors() {
        assert!(parse_corpus_file("[[nokind|x]]").is_err());
        assert!(parse_corpus_file("[[person_name|x").is_err());
        assert!(parse_corpus_file("#lexicon colours=red\ntext").is_err());
    }
}
