//! Round 17 of issue 13: capitalised words set 16 took for people, as families.
//!
//! * Two surnames joined by "&" with no given name are a firm: "Kellan & Ross",
//!   "Harrow & Stone" (solicitors, letting agents). "Santi & Tejón" keeps its people,
//!   since one of them is a given name.
//! * A short capitalised word with a period and then a number is an abbreviation: "Art.
//!   104 GG", "Abs. 2", "Nr. 14".
//! * A given name that is also a place, in a list of places, is a place ("Jordan,
//!   Florence and Georgia").

use super::Names;

/// Words right before "A & B" that make it a firm: where someone is from, or what.
const FIRM_CUES: &[&str] = &[
    "from",
    "at",
    "of",
    "agency",
    "firm",
    "company",
    "is",
    "solicitors",
    "de",
    "chez",
    "del",
    "von",
    "bei",
    "da",
    "di",
    "cabinet",
    "despacho",
    "studio",
    "kanzlei",
    "bufete",
];
use crate::util::char_at;
use crate::{Finding, Kind};

impl Names {
    /// Drops the person findings the module docs describe.
    pub(crate) fn drop_firms(&self, text: &str, found: &mut Vec<Finding>) {
        // "Ms Harriet Lowe of Lowe & Partners": a surname the text gives a person keeps.
        let name_words: std::collections::HashSet<&str> = found
            .iter()
            .filter(|f| f.kind == Kind::PersonName && f.text.contains(' '))
            .flat_map(|f| f.text.split_whitespace())
            .collect();
        let mut firm_words: Vec<(usize, usize)> = found
            .iter()
            .filter(|f| f.kind == Kind::PersonName && !name_words.contains(f.text.as_str()))
            .filter_map(|f| self.firm_pair(text, f))
            .collect();
        firm_words.sort_unstable();
        found.retain(|f| {
            if f.kind != Kind::PersonName {
                return true;
            }
            // The last firm starting at or before the finding is the only one that can hold it.
            let at = firm_words.partition_point(|&(s, _)| s <= f.start);
            let in_firm = at > 0 && firm_words[at - 1].1 >= f.end;
            !(in_firm || self.abbreviation(text, f))
        });
        self.drop_places_in_lists(text, found);
    }

    /// "… Jordan, Florence and Georgia came up": a given name that is also a place, in a
    /// list of places, is a place, whoever found it (the rules already know; the tagger
    /// must not add it back).
    fn drop_places_in_lists(&self, text: &str, found: &mut Vec<Finding>) {
        let place_word = |f: &Finding| {
            f.kind == Kind::PersonName
                && super::lists::PLACE_NAMES.contains(&f.text.to_lowercase().as_str())
        };
        if !found.iter().any(place_word) {
            return;
        }
        let tokens = self.tokens(text);
        found.retain(|f| {
            !place_word(f)
                || !tokens
                    .iter()
                    .find(|t| t.start == f.start)
                    .is_some_and(|t| self.in_place_list(text, t))
        });
    }

    /// The span of "A & B" around a one-word finding, when neither word is a given name.
    fn firm_pair(&self, text: &str, f: &Finding) -> Option<(usize, usize)> {
        if f.text.contains(char::is_whitespace) {
            return None;
        }
        let (start, end) = if text.get(f.end..)?.starts_with(" & ") {
            let other_end = f.end + 3 + word_len(text.get(f.end + 3..)?);
            (f.start, other_end)
        } else if text.get(..f.start)?.ends_with(" & ") {
            let head = text.get(..f.start - 3)?;
            let other_start = head.len()
                - head
                    .chars()
                    .rev()
                    .take_while(|c| c.is_alphabetic())
                    .map(char::len_utf8)
                    .sum::<usize>();
            (other_start, f.end)
        } else {
            return None;
        };
        let pair = text.get(start..end)?;
        let words: Vec<&str> = pair.split(" & ").collect();
        let clear_first = |w: &str| {
            let lower = w.to_lowercase();
            self.first.contains(&lower) && !self.ambiguous.contains(&lower)
        };
        // "from Kellan & Ross", "agency is Harrow & Stone": a firm's cue allows given names.
        let cue = FIRM_CUES.contains(&crate::util::prev_word(text, start).to_lowercase().as_str());
        let ok = words.len() == 2
            && words
                .iter()
                .all(|w| w.starts_with(char::is_uppercase) && w.chars().count() >= 2)
            && (cue || !words.iter().any(|w| clear_first(w)));
        ok.then_some((start, end))
    }
}

fn word_len(text: &str) -> usize {
    text.chars()
        .take_while(|c| c.is_alphabetic() || matches!(c, '\'' | '’' | '-'))
        .map(char::len_utf8)
        .sum()
}

impl Names {
    /// "Art. 104": a short word, not a given name for sure, with a period and a number.
    fn abbreviation(&self, text: &str, f: &Finding) -> bool {
        let lower = f.text.to_lowercase();
        let clear_first = self.first.contains(&lower) && !self.ambiguous.contains(&lower);
        f.text.chars().count() <= 4
            && !clear_first
            && !f.text.contains(char::is_whitespace)
            && char_at(text, f.end) == Some('.')
            && text.get(f.end + 1..).is_some_and(|rest| {
                rest.trim_start_matches([' ', '\u{a0}'])
                    .starts_with(|c: char| c.is_ascii_digit())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(text: &str, spans: &[&str]) -> Vec<String> {
        super::super::kept_after(text, spans, Names::drop_firms)
    }

    #[test]
    fn firms_and_abbreviations_are_not_people() {
        assert!(kept("a solicitor from Kellan & Ross, good", &["Kellan", "Ross"]).is_empty());
        assert!(kept("agency is Harrow & Stone.", &["Harrow"]).is_empty());
        assert_eq!(
            kept("Ana & Ross brought food", &["Ana", "Ross"]),
            ["Ana", "Ross"]
        );
        assert!(kept("geregelt (Art. 104 GG)", &["Art"]).is_empty());
        assert_eq!(kept("Maria & Okafor are coming", &["Maria"]), ["Maria"]);
        assert_eq!(kept("ask Omar. 3 of us", &["Omar"]), ["Omar"]);
        assert_eq!(kept("ask Maria. Then go", &["Maria"]), ["Maria"]);
    }
}
