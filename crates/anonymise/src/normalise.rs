//! Undoing the tricks that hide a detail from pattern matching, while keeping a map back to
//! the original text so findings still point at what the writer typed.
//!
//! Applied before every detector, in this order:
//! 1. invisible characters (zero-width space/joiners, soft hyphen, BOM, bidi controls: the
//!    Unicode *default ignorable* set, via `unicode-security`) are dropped;
//! 2. compatibility forms are folded with NFKC one character at a time (fullwidth `Ｍ`,
//!    ligatures, no-break spaces), except `º ª °`, which Spanish and Italian floors use;
//! 3. letters from another script that look like a Latin letter (Cyrillic `а`, Greek `ο`)
//!    become that letter (their UTS 39 skeleton) inside words that mix scripts, and in
//!    wholly look-alike words of a mostly Latin text;
//! 4. digits typed one by one with spaces (`5 5 5 – 0 1 9 9`) are closed up, and a number
//!    broken over a line (`555-⏎0147`) is joined.
//!
//! Each byte of the normalised text remembers the original span it came from, so a finding
//! `start..end` in the normalised text maps to `orig_start(start)..orig_end(end - 1)`.

use std::sync::LazyLock;

use regex::Regex;
use unicode_normalization::UnicodeNormalization;
use unicode_security::skeleton;

use crate::util::{compile, is_mark};

/// A normalised text and, per byte, the original byte range it stands for.
#[derive(Debug)]
pub(crate) struct Normalised {
    pub(crate) text: String,
    starts: Vec<usize>,
    ends: Vec<usize>,
}

impl Normalised {
    fn with_capacity(n: usize) -> Normalised {
        Normalised {
            text: String::with_capacity(n),
            starts: Vec::with_capacity(n),
            ends: Vec::with_capacity(n),
        }
    }

    fn push(&mut self, s: &str, orig_start: usize, orig_end: usize) {
        self.text.push_str(s);
        for _ in 0..s.len() {
            self.starts.push(orig_start);
            self.ends.push(orig_end);
        }
    }

    /// The original byte range of the normalised range `start..end` (`end > start`).
    pub(crate) fn original(&self, start: usize, end: usize) -> Option<(usize, usize)> {
        let s = *self.starts.get(start)?;
        let e = *self.ends.get(end.checked_sub(1)?)?;
        (s < e).then_some((s, e))
    }

    /// Applies replacements (sorted, non-overlapping byte ranges of `self.text`).
    fn rewrite(self, edits: &[(usize, usize, String)]) -> Normalised {
        if edits.is_empty() {
            return self;
        }
        let mut out = Normalised::with_capacity(self.text.len());
        let mut pos = 0;
        for (start, end, with) in edits {
            let (start, end) = (*start, *end);
            if start < pos || end <= start || end > self.text.len() {
                continue;
            }
            out.copy_from(&self, pos, start);
            if !with.is_empty() {
                out.push(with, self.starts[start], self.ends[end - 1]);
            }
            pos = end;
        }
        out.copy_from(&self, pos, self.text.len());
        out
    }

    fn copy_from(&mut self, src: &Normalised, start: usize, end: usize) {
        if let Some(s) = src.text.get(start..end) {
            self.text.push_str(s);
            self.starts.extend_from_slice(&src.starts[start..end]);
            self.ends.extend_from_slice(&src.ends[start..end]);
        }
    }
}

/// Runs of single digits separated by spaces (and at most a dash): `5 5 5 – 0 1 9 9`.
static SPACED_DIGITS: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(r"(?:^|[^\d\p{L}])(\d(?:[ \t]*[-–—./][ \t]*\d|[ \t]+\d){3,})(?:$|[^\d\p{L}])")
});
/// Two or more spaces between digit groups: `07700  900  317`.
static WIDE_GAP: LazyLock<Option<Regex>> = LazyLock::new(|| compile(r"\d([ \t]{2,})\d"));
/// Four or more single letters typed with spaces: `M o t h` (an alias spelt out).
static SPACED_LETTERS: LazyLock<Option<Regex>> =
    LazyLock::new(|| compile(r"(?:^|[^\p{L}\d])(\p{L}(?:[ \t]\p{L}){3,})(?:$|[^\p{L}\d])"));
/// A digit (or digit and hyphen) at a line end followed by a digit on the next line.
static LINE_BROKEN: LazyLock<Option<Regex>> =
    LazyLock::new(|| compile(r"\d([-–]?)([ \t]*\r?\n[ \t]*)(\d+[.)]?[ \t]?)"));

/// Normalises `text` for matching; returns `None` if nothing changed.
pub(crate) fn normalise(text: &str) -> Option<Normalised> {
    let chars = fold_chars(text);
    let mut n = chars?;
    n = close_spaced_digits(n);
    n = narrow_wide_gaps(n);
    n = close_spaced_letters(n);
    n = join_line_broken(n);
    Some(n)
}

/// Also used for lexicon words, so an alias registered with odd characters still matches.
pub(crate) fn normalise_word(word: &str) -> String {
    match normalise(word) {
        Some(n) => n.text,
        None => word.to_owned(),
    }
}

/// Steps 1-3; `None` if the text needs none of them (and no digit step can apply).
fn fold_chars(text: &str) -> Option<Normalised> {
    let plain = text.is_ascii();
    let digit_tricks = [&SPACED_DIGITS, &LINE_BROKEN, &WIDE_GAP, &SPACED_LETTERS]
        .iter()
        .any(|re| re.as_ref().is_some_and(|re| re.is_match(text)));
    if plain && !digit_tricks {
        return None;
    }
    let latin_dominant = latin_dominant(text);
    let mut out = Normalised::with_capacity(text.len());
    let mut changed = digit_tricks;
    let mut word: Vec<(usize, char)> = Vec::new();
    let mut buf = [0u8; 4];
    for (i, c) in text.char_indices() {
        if c.is_alphabetic() || is_mark(c) {
            word.push((i, c));
            continue;
        }
        changed |= flush_word(&mut out, &mut word, latin_dominant);
        let end = i + c.len_utf8();
        if c.is_ascii() {
            out.push(c.encode_utf8(&mut buf), i, end);
        } else if is_invisible(c) {
            changed = true;
        } else {
            let folded: String = fold(c);
            changed |= folded.len() != c.len_utf8() || !folded.starts_with(c);
            out.push(&folded, i, end);
        }
    }
    changed |= flush_word(&mut out, &mut word, latin_dominant);
    changed.then_some(out)
}

fn is_invisible(c: char) -> bool {
    skeleton(c.encode_utf8(&mut [0u8; 4])).next().is_none()
}

/// NFKC of one character, keeping the ordinal indicators and the degree sign.
/// Hyphen look-alikes (non-breaking hyphen, figure dash, minus sign) become the ASCII
/// hyphen, which NFKC leaves alone: "FT‑350‑RW" is the plate "FT-350-RW". En and em
/// dashes stay, since they also mark ranges and pauses.
fn fold(c: char) -> String {
    if matches!(c, 'º' | 'ª' | '°') || is_mark(c) {
        return c.to_string();
    }
    if matches!(
        c,
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2212}' | '\u{FE63}'
    ) {
        return "-".to_owned();
    }
    c.to_string().nfkc().collect()
}

/// The Latin letter a letter of another script is confusable with, if it is one letter.
fn latin_lookalike(c: char) -> Option<char> {
    if c.is_ascii() || is_latin(c) {
        return None;
    }
    let mut buf = [0u8; 4];
    let mut sk = skeleton(c.encode_utf8(&mut buf));
    let first = sk.next()?;
    (first.is_ascii_alphabetic() && sk.next().is_none()).then_some(first)
}

/// Latin letters outside ASCII: Latin-1 Supplement to Latin Extended Additional.
fn is_latin(c: char) -> bool {
    matches!(c as u32, 0xC0..=0x24F | 0x1E00..=0x1EFF)
}

fn latin_dominant(text: &str) -> bool {
    let (mut latin, mut other) = (0usize, 0usize);
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        if c.is_ascii() || is_latin(c) {
            latin += 1;
        } else {
            other += 1;
        }
    }
    latin > other
}

/// Emits a word, replacing look-alike letters when it mixes scripts (or, in a mostly Latin
/// text, when every letter is a look-alike). Returns whether anything changed.
fn flush_word(out: &mut Normalised, word: &mut Vec<(usize, char)>, latin_dominant: bool) -> bool {
    if word.is_empty() {
        return false;
    }
    let has_latin = word
        .iter()
        .any(|&(_, c)| c.is_ascii_alphabetic() || is_latin(c));
    let lookalikes: Vec<Option<char>> = word.iter().map(|&(_, c)| latin_lookalike(c)).collect();
    let foreign = word
        .iter()
        .filter(|&&(_, c)| !(c.is_ascii() || is_latin(c) || is_mark(c)))
        .count();
    let all_lookalike = foreign > 0 && lookalikes.iter().filter(|l| l.is_some()).count() == foreign;
    let map = all_lookalike && (has_latin || latin_dominant);
    let mut changed = false;
    let mut buf = [0u8; 4];
    for (&(i, c), look) in word.iter().zip(&lookalikes) {
        let end = i + c.len_utf8();
        match look {
            Some(l) if map => {
                // Keep the case of the original letter: skeletons are mostly lowercase.
                let l = if c.is_uppercase() {
                    l.to_ascii_uppercase()
                } else {
                    *l
                };
                out.push(l.encode_utf8(&mut buf), i, end);
                changed = true;
            }
            _ if c.is_ascii() => out.push(c.encode_utf8(&mut buf), i, end),
            _ => {
                let folded = fold(c);
                changed |= folded.len() != c.len_utf8() || !folded.starts_with(c);
                out.push(&folded, i, end);
            }
        }
    }
    word.clear();
    changed
}

fn close_spaced_digits(n: Normalised) -> Normalised {
    let Some(re) = SPACED_DIGITS.as_ref() else {
        return n;
    };
    let mut edits = Vec::new();
    for caps in re.captures_iter(&n.text) {
        let Some(run) = caps.get(1) else { continue };
        for (i, c) in run.as_str().char_indices() {
            let at = run.start() + i;
            if c == ' ' || c == '\t' {
                edits.push((at, at + 1, String::new()));
            } else if matches!(c, '–' | '—') {
                // The phone patterns join groups with an ASCII hyphen.
                edits.push((at, at + c.len_utf8(), "-".to_owned()));
            }
        }
    }
    n.rewrite(&edits)
}

/// "07700  900  317" -> "07700 900 317": the phone patterns join groups with one space.
fn narrow_wide_gaps(n: Normalised) -> Normalised {
    let Some(re) = WIDE_GAP.as_ref() else {
        return n;
    };
    let mut edits = Vec::new();
    let mut from = 0;
    // Overlapping matches ("1  2  3") share digits, so search on from each gap's end.
    while let Some(caps) = n.text.get(from..).and_then(|rest| re.captures(rest)) {
        let Some(gap) = caps.get(1) else { break };
        edits.push((from + gap.start(), from + gap.end(), " ".to_owned()));
        from += gap.end();
    }
    n.rewrite(&edits)
}

/// "M o t h" -> "Moth", so a spelt-out alias or name still matches.
fn close_spaced_letters(n: Normalised) -> Normalised {
    let Some(re) = SPACED_LETTERS.as_ref() else {
        return n;
    };
    let mut edits = Vec::new();
    for caps in re.captures_iter(&n.text) {
        let Some(run) = caps.get(1) else { continue };
        for (i, c) in run.as_str().char_indices() {
            if c == ' ' || c == '\t' {
                let at = run.start() + i;
                edits.push((at, at + 1, String::new()));
            }
        }
    }
    n.rewrite(&edits)
}

fn join_line_broken(n: Normalised) -> Normalised {
    let Some(re) = LINE_BROKEN.as_ref() else {
        return n;
    };
    let mut edits = Vec::new();
    for caps in re.captures_iter(&n.text) {
        let (Some(dash), Some(gap), Some(next)) = (caps.get(1), caps.get(2), caps.get(3)) else {
            continue;
        };
        // "…at 8:00⏎2. Next item": a numbered list, not the rest of a number.
        let s = next.as_str();
        if (s.contains('.') || s.contains(')')) && s.ends_with([' ', '\t']) {
            continue;
        }
        // "…B-GV 4410⏎20:06 Jonas: …": the next line opens with a clock time (a chat or
        // log line), not with the rest of a number.
        let digits = next
            .as_str()
            .chars()
            .take_while(char::is_ascii_digit)
            .count();
        if opens_with_clock_time(&n.text[next.start() + digits..])
            || opens_with_date(&n.text[next.start() + digits..])
        {
            continue;
        }
        // "555-⏎0147" joins up; "020 7946⏎0018" becomes one line with a space.
        let with = if dash.is_empty() { " " } else { "" };
        edits.push((gap.start(), gap.end(), with.to_owned()));
    }
    n.rewrite(&edits)
}

/// Round 17: what follows the day of "14/03/25, 08:16 - Gufo: …" (a chat export's line) or
/// the year of "2025-03-14": a date separator and a digit.
fn opens_with_date(rest: &str) -> bool {
    let mut chars = rest.chars();
    matches!(chars.next(), Some('/' | '-')) && chars.next().is_some_and(|c| c.is_ascii_digit())
}

/// What follows the hour of "20:06", "7.45" or "14h30": a separator and two digits.
fn opens_with_clock_time(rest: &str) -> bool {
    let mut chars = rest.chars();
    matches!(chars.next(), Some(':' | '.' | 'h' | 'H'))
        && chars.next().is_some_and(|c| c.is_ascii_digit())
        && chars.next().is_some_and(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        normalise(s).map_or_else(|| s.to_owned(), |n| n.text)
    }

    #[test]
    fn folds_the_tricks() {
        assert_eq!(norm("Kes\u{200b}trel"), "Kestrel");
        assert_eq!(norm("M\u{0430}rmot"), "Marmot");
        assert_eq!(norm("ＭＡＲＭＯＴ"), "MARMOT");
        assert_eq!(norm("call 5 5 5 – 0 1 9 9 now"), "call 555-0199 now");
        assert_eq!(norm("ring (212) 555-\n0147"), "ring (212) 555-0147");
        assert_eq!(norm("2º derecha"), "2º derecha");
        assert_eq!(norm("plate FT\u{2011}350\u{2011}RW"), "plate FT-350-RW");
        // Nor one that opens with a date.
        assert_eq!(
            norm("chiamami al 340 118 2256\n14/03/25, 08:33 - Gufo: ciao"),
            "chiamami al 340 118 2256\n14/03/25, 08:33 - Gufo: ciao"
        );
        // A chat line that opens with a time is not the rest of the number above it.
        assert_eq!(
            norm("plate B-GV 4410\n20:06 Jonas"),
            "plate B-GV 4410\n20:06 Jonas"
        );
        // A Russian sentence stays Russian; a plain one is untouched.
        assert_eq!(norm("Встреча в парке"), "Встреча в парке");
        assert!(normalise("plain ascii, 12 3").is_none());
    }

    #[test]
    fn maps_back_to_the_original() {
        let text = "ask Kes\u{200b}trel or M\u{0430}rmot";
        let n = normalise(text).unwrap();
        let at = n.text.find("Marmot").unwrap();
        let (s, e) = n.original(at, at + "Marmot".len()).unwrap();
        assert_eq!(&text[s..e], "M\u{0430}rmot");
        let at = n.text.find("Kestrel").unwrap();
        let (s, e) = n.original(at, at + 7).unwrap();
        assert_eq!(&text[s..e], "Kes\u{200b}trel");
    }
}
