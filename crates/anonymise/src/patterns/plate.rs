//! Vehicle registration plates.
//!
//! Only formats that are distinctive enough on their own are matched:
//! UK current (AB12 CDE), German (B-AB 1234, HH AB 123), French SIV
//! (AB-123-CD), Spanish (1234 BCD, consonants only) and the common US
//! seven-character shape (7ABC123). Old and vanity formats are left out.

use regex::Regex;

use super::push;
use crate::util::{char_at, char_before, compile};
use crate::{Finding, Kind};

/// Index of the German pattern in `Plate::patterns`.
const GERMAN: usize = 1;

#[derive(Debug)]
pub(crate) struct Plate {
    patterns: Vec<Regex>,
    spanish: Option<Regex>,
}

impl Plate {
    pub(crate) fn new() -> Plate {
        let patterns = [
            // UK: two letters, two digits (age identifier), three letters.
            r"\b[A-HJ-PR-Y][A-HJ-Y]\d{2}\s?[A-HJ-PR-Z]{3}\b",
            // Germany: district code, hyphen or space, 1-2 letters, 1-4 digits, optional E/H.
            r"\b[A-ZÄÖÜ]{1,3}[\- ][A-Z]{1,2}\s?[1-9]\d{0,3}[EH]?\b",
            // France SIV.
            r"\b[A-HJ-NP-TV-Z]{2}-\d{3}-[A-HJ-NP-TV-Z]{2}\b",
            // US (California and similar): digit, three letters, three digits.
            r"\b[1-9][A-Z]{3}\d{3}\b",
        ];
        Plate {
            // Keep positions stable (GERMAN indexes into this): a pattern that
            // failed to compile becomes one that never matches.
            patterns: patterns
                .iter()
                .filter_map(|p| compile(p).or_else(|| compile("[^\\s\\S]")))
                .collect(),
            // Spain since 2000: four digits and three consonants (no vowels, Ñ or Q).
            spanish: compile(r"\b\d{4}[\s\-]?[BCDFGHJKLMNPRSTVWXYZ]{3}\b"),
        }
    }

    pub(crate) fn find(&self, text: &str, out: &mut Vec<Finding>) {
        for (i, re) in self.patterns.iter().enumerate() {
            for m in re.find_iter(text) {
                let german = i == GERMAN;
                if glued(text, m.start(), m.end()) || (german && german_false_friend(m.as_str())) {
                    continue;
                }
                push(out, Kind::LicencePlate, text, m.start(), m.end());
            }
        }
        if let Some(re) = &self.spanish {
            for m in re.find_iter(text) {
                // "2023 CGT": a year followed by an acronym, not a plate.
                let year = m
                    .as_str()
                    .get(..4)
                    .and_then(|y| y.parse::<u32>().ok())
                    .is_some_and(|y| (1900..=2099).contains(&y));
                if year || glued(text, m.start(), m.end()) {
                    continue;
                }
                push(out, Kind::LicencePlate, text, m.start(), m.end());
            }
        }
    }
}

fn glued(text: &str, start: usize, end: usize) -> bool {
    char_before(text, start)
        .is_some_and(|c| c.is_alphanumeric() || matches!(c, '-' | '/' | '.' | '@'))
        || char_at(text, end).is_some_and(|c| c.is_alphanumeric() || matches!(c, '-' | '/' | '@'))
}

/// Shapes the German pattern also matches in ordinary prose: a capitalised
/// word fragment such as "A 1" or room/route codes written with a space
/// ("Raum B 12", "U 8"). A real plate has a 1-3 letter district and at least
/// three characters after it.
fn german_false_friend(s: &str) -> bool {
    let Some((district, rest)) = s.split_once(['-', ' ']) else {
        return true;
    };
    let rest_len = rest.chars().filter(|c| !c.is_whitespace()).count();
    let hyphen = s.contains('-');
    // With a space instead of the hyphen, demand the full letters+digits shape.
    let letters = rest.chars().take_while(char::is_ascii_uppercase).count();
    district.is_empty() || rest_len < 3 || (!hyphen && (letters == 0 || rest_len < 4))
}
