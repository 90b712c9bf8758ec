//! Tokens for the tagger: words, numbers and single punctuation marks, each with its
//! byte range and where it sits (line start, sentence start).

use std::sync::LazyLock;

use regex::Regex;

use crate::util::compile;

/// Words (inner apostrophes and hyphens kept), numbers with a glued suffix ("20th",
/// "4º", "3e", "10.30"), or one mark that is neither a letter, a digit nor a space.
static TOKEN: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r"[\p{L}\p{M}](?:[\p{L}\p{M}'’\-]*[\p{L}\p{M}])?|\d+(?:[.:]\d+)?[\p{L}ºª°ᵉ]*|[^\s\p{L}\p{M}\d]",
    )
});

/// Elided articles and prepositions written before a word ("l'", "dell'", "d'").
const ELIDED: &[&str] = &[
    "l'", "d'", "j'", "qu'", "s'", "n'", "c'", "m'", "t'", "dell'", "all'", "nell'", "sull'",
    "dall'", "un'", "quell'", "l’", "d’", "dell’", "all’", "nell’", "sull’", "dall’", "un’",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Starts with an upper-case letter, has a lower-case one.
    Cap,
    /// Only upper-case letters (two or more).
    Upper,
    /// One upper-case letter.
    Letter,
    /// Starts with a lower-case letter.
    Lower,
    /// Starts with a digit.
    Number,
    /// A punctuation mark or symbol.
    Mark,
    /// Letters glued to digits ("X5", "MA19"): a code, never a name or a street.
    Code,
}

impl Shape {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Shape::Cap => "Xx",
            Shape::Upper => "XX",
            Shape::Letter => "X",
            Shape::Lower => "x",
            Shape::Number => "9",
            Shape::Mark => ".",
            Shape::Code => "code",
        }
    }

    pub(crate) fn is_word(self) -> bool {
        matches!(
            self,
            Shape::Cap | Shape::Upper | Shape::Letter | Shape::Lower
        )
    }

    pub(crate) fn is_capitalised(self) -> bool {
        matches!(self, Shape::Cap | Shape::Upper | Shape::Letter)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Tok {
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// The token lowercased ("'s" of a possessive dropped).
    pub(crate) lower: String,
    pub(crate) shape: Shape,
    /// First token of its line.
    pub(crate) line_start: bool,
    /// First word of a sentence: line start, or after `.`, `!`, `?`, `:` or a bullet.
    pub(crate) sentence_start: bool,
}

fn shape_of(s: &str) -> Shape {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return Shape::Mark;
    };
    if first.is_ascii_digit() {
        return Shape::Number;
    }
    if !first.is_alphabetic() {
        return Shape::Mark;
    }
    if first.is_lowercase() {
        return Shape::Lower;
    }
    let letters: Vec<char> = s.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.len() == 1 {
        Shape::Letter
    } else if letters.iter().all(|c| !c.is_lowercase()) {
        Shape::Upper
    } else {
        Shape::Cap
    }
}

/// Splits `text` into tokens. Linear in the text; a possessive "'s" is left out of the
/// word and an elided article ("l'avvocato") is a token of its own.
pub(crate) fn tokenise(text: &str) -> Vec<Tok> {
    let Some(re) = TOKEN.as_ref() else {
        return Vec::new();
    };
    let mut out: Vec<Tok> = Vec::new();
    let mut last_end = 0;
    let mut line_start = true;
    let mut sentence_start = true;
    for m in re.find_iter(text) {
        let gap = text.get(last_end..m.start()).unwrap_or("");
        if gap.contains('\n') {
            line_start = true;
            sentence_start = true;
        }
        last_end = m.end();
        let mut pieces: Vec<(usize, usize)> = Vec::with_capacity(2);
        let s = m.as_str();
        let lower_s = s.to_lowercase();
        let elided = ELIDED.iter().find(|e| {
            lower_s.starts_with(**e) && lower_s.len() > e.len() && s.is_char_boundary(e.len())
        });
        match elided {
            Some(e) => {
                pieces.push((m.start(), m.start() + e.len()));
                pieces.push((m.start() + e.len(), m.end()));
            }
            None => pieces.push((m.start(), m.end())),
        }
        for (start, mut end) in pieces {
            let Some(mut word) = text.get(start..end) else {
                continue;
            };
            for suffix in ["'s", "’s"] {
                if word.len() > suffix.len() + 1 {
                    if let Some(stripped) = word.strip_suffix(suffix) {
                        word = stripped;
                        end -= suffix.len();
                    }
                }
            }
            let mut shape = shape_of(word);
            let glued_digit = text
                .get(end..)
                .and_then(|r| r.chars().next())
                .is_some_and(|c| c.is_ascii_digit());
            let glued_letter = text
                .get(..start)
                .and_then(|r| r.chars().next_back())
                .is_some_and(|c| c.is_ascii_digit());
            if shape.is_word() && (glued_digit || glued_letter) {
                shape = Shape::Code;
            }
            out.push(Tok {
                start,
                end,
                lower: word.to_lowercase(),
                shape,
                line_start,
                sentence_start: sentence_start && shape != Shape::Mark,
            });
            if shape == Shape::Mark {
                if matches!(
                    word,
                    "." | "!" | "?" | ":" | "•" | "*" | "#" | "-" | "–" | "—"
                ) {
                    sentence_start = true;
                }
                // A bullet or a heading mark at a line start keeps the line start.
                if !matches!(word, "-" | "*" | "•" | "#" | "–" | "—" | ">") {
                    line_start = false;
                }
            } else {
                line_start = false;
                sentence_start = false;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_numbers_marks_and_positions() {
        let toks = tokenise("- Gaz's van, dell'Industria 21.\nSid: at 20th");
        let words: Vec<&str> = toks
            .iter()
            .map(|t| &"- Gaz's van, dell'Industria 21.\nSid: at 20th"[t.start..t.end])
            .collect();
        assert_eq!(
            words,
            [
                "-",
                "Gaz",
                "van",
                ",",
                "dell'",
                "Industria",
                "21",
                ".",
                "Sid",
                ":",
                "at",
                "20th"
            ]
        );
        assert!(toks[1].line_start && toks[1].sentence_start);
        assert!(!toks[2].sentence_start);
        assert!(toks[8].line_start);
        assert_eq!(toks[1].shape, Shape::Cap);
        assert_eq!(toks[11].shape, Shape::Number);
    }

    #[test]
    fn any_input_tokenises_on_char_boundaries() {
        for s in ["", "’", "l'", "a'b'", "😀x", "ᵉ4ᵉ", "d'’", "İstanbul's"] {
            for t in tokenise(s) {
                assert!(s.get(t.start..t.end).is_some(), "{s:?}");
            }
        }
    }
}
