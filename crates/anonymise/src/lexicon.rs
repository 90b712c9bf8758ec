//! Matching a circle's own aliases and redact words.
//!
//! These words come from users, so nothing here may panic: every word is
//! regex-escaped, and if the combined pattern is too large to compile we fall
//! back to one pattern per word and finally to a plain substring search.
//! Recall matters more than precision here: an alias that slips through
//! identifies a member, an extra redaction only costs readability.

use regex::{Regex, RegexBuilder};

use crate::util::{char_at, char_before, is_word};
use crate::{Finding, Kind};

/// Compiled matcher for one lexicon list (aliases or redact words).
#[derive(Debug)]
pub(crate) struct WordMatcher {
    kind: Kind,
    combined: Option<Regex>,
    per_word: Vec<Regex>,
    /// Words no regex could be built for; searched literally.
    literal: Vec<String>,
}

const SIZE_LIMIT: usize = 64 << 20;

impl WordMatcher {
    pub(crate) fn new(kind: Kind, words: &[String]) -> WordMatcher {
        // Words are normalised like the scanned text, so an alias typed with a look-alike
        // letter or an invisible character still meets its plain spelling.
        let normalised: Vec<String> = words
            .iter()
            .map(|w| crate::normalise::normalise_word(w.trim()))
            .collect();
        let mut cleaned: Vec<&str> = normalised
            .iter()
            .map(|w| w.trim())
            .filter(|w| w.chars().any(|c| !c.is_whitespace()))
            .collect();
        // Longer words first so that "Red Fox" wins over "Red" at the same
        // position (the regex alternation is leftmost-first).
        cleaned.sort_by_key(|w| std::cmp::Reverse(w.len()));
        cleaned.dedup();
        let patterns: Vec<String> = cleaned.iter().map(|w| word_pattern(w)).collect();
        let mut matcher = WordMatcher {
            kind,
            combined: None,
            per_word: Vec::new(),
            literal: Vec::new(),
        };
        if patterns.is_empty() {
            return matcher;
        }
        let joined = format!("(?i:{})", patterns.join("|"));
        if let Ok(re) = build(&joined) {
            matcher.combined = Some(re);
            return matcher;
        }
        for (word, pattern) in cleaned.iter().zip(&patterns) {
            match build(&format!("(?i:{pattern})")) {
                Ok(re) => matcher.per_word.push(re),
                Err(_) => matcher.literal.push((*word).to_string()),
            }
        }
        matcher
    }

    pub(crate) fn find(&self, text: &str, out: &mut Vec<Finding>) {
        if let Some(re) = &self.combined {
            for m in re.find_iter(text) {
                push(out, self.kind, text, m.start(), m.end());
            }
        }
        for re in &self.per_word {
            for m in re.find_iter(text) {
                push(out, self.kind, text, m.start(), m.end());
            }
        }
        for word in &self.literal {
            for (start, found) in text.match_indices(word.as_str()) {
                let end = start + found.len();
                let ok_left = char_before(text, start).is_none_or(|c| !is_word(c));
                let ok_right = char_at(text, end).is_none_or(|c| !is_word(c));
                if ok_left && ok_right {
                    push(out, self.kind, text, start, end);
                }
            }
        }
    }
}

fn build(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .size_limit(SIZE_LIMIT)
        .dfa_size_limit(SIZE_LIMIT)
        .build()
}

/// Escaped pattern for one word: inner whitespace matches any run of
/// whitespace (line breaks in a wrapped text), word boundaries only where the
/// word itself starts/ends with a word character, and an optional possessive
/// or plural `'s`/`’s`/`s` so "Kit's" and German "Igels" are caught.
fn word_pattern(word: &str) -> String {
    let parts: Vec<String> = word.split_whitespace().map(regex::escape).collect();
    let body = parts.join(r"\s+");
    let first_is_word = word.chars().next().is_some_and(is_word);
    let last_is_word = word.chars().next_back().is_some_and(is_word);
    let mut pattern = String::with_capacity(body.len() + 24);
    if first_is_word {
        pattern.push_str(r"\b");
    }
    pattern.push_str(&body);
    if last_is_word {
        pattern.push_str(r"(?:['’]s|s)?\b");
    }
    pattern
}

fn push(out: &mut Vec<Finding>, kind: Kind, text: &str, start: usize, end: usize) {
    if let Some(found) = text.get(start..end) {
        out.push(Finding {
            kind,
            start,
            end,
            text: found.to_string(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(words: &[&str], text: &str) -> Vec<String> {
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        let m = WordMatcher::new(Kind::MemberAlias, &words);
        let mut out = Vec::new();
        m.find(text, &mut out);
        out.into_iter().map(|f| f.text).collect()
    }

    #[test]
    fn matches_case_insensitively_on_boundaries() {
        assert_eq!(
            spans(&["Kit", "Red Fox"], "kit's van, (Red  Fox), skit, KIT."),
            vec!["kit's", "Red  Fox", "KIT"]
        );
        assert_eq!(spans(&["Igel"], "Igels Rezept"), vec!["Igels"]);
        assert_eq!(spans(&["Mésange"], "MÉSANGE a dit"), vec!["MÉSANGE"]);
    }

    #[test]
    fn hostile_words_do_not_panic() {
        let nasty = ["(", "[a-z]+", "\\", "   ", "", "$^", "*?", "😀", "a\u{301}"];
        let _ = spans(&nasty, "( [a-z]+ \\ $^ *? 😀 a\u{301} text");
        let long = "x".repeat(200_000);
        let _ = spans(&[long.as_str()], "xx");
    }
}
