//! A detail found once is a detail everywhere in the same text.
//!
//! The rules and the tagger judge each occurrence by its context, and a context that
//! gives a plate, a name or a square away once ("IL plates EV 10977") may not do so the
//! next time ("the EV 10977 one parked again"). A writer who names the same car, person
//! or square twice means the same thing twice, so once every detector has run, every
//! other occurrence of a found surface, written exactly the same and standing as a whole
//! word, is found as the same kind. Dates and times are not echoed (a time's surface,
//! "8.30", is also a price's), nor surfaces too short or too bare to carry their kind
//! on their own (a lone house number "8").
//!
//! One Aho-Corasick pass over the text finds every echo, so the work is linear in the
//! text whatever the number of findings; at most [`MAX_SURFACES`] surfaces are echoed.

use aho_corasick::{AhoCorasick, MatchKind};

use crate::util::{char_at, char_before, is_word};
use crate::{Finding, Kind};

/// Distinct surfaces echoed per text: far above what one zine names, and a bound on the
/// automaton built for a hostile text full of plates.
const MAX_SURFACES: usize = 512;

/// Whether a finding's surface carries its kind wherever it stands.
fn echoable(f: &Finding) -> bool {
    let letters = f.text.chars().filter(|c| c.is_alphabetic()).count();
    let alnum = f.text.chars().filter(|c| c.is_alphanumeric()).count();
    match f.kind {
        Kind::Phone | Kind::LicencePlate | Kind::IpAddress => alnum >= 5,
        Kind::Email | Kind::Handle => alnum >= 3,
        // A name or a place written with a capital, of at least three letters: "Jo" or
        // "la" as a name once is too thin a reason to take them everywhere.
        Kind::PersonName | Kind::Address => letters >= 3 && f.text.starts_with(char::is_uppercase),
        _ => false,
    }
}

/// Adds every other whole-word occurrence of an echoable finding's surface that no
/// finding covers yet. `findings` is sorted and non-overlapping, and stays so.
pub(crate) fn echo(text: &str, findings: &mut Vec<Finding>) {
    let mut surfaces: Vec<(&str, Kind)> = Vec::new();
    for f in findings.iter().filter(|f| echoable(f)) {
        if surfaces.len() == MAX_SURFACES {
            break;
        }
        if !surfaces.iter().any(|(s, _)| *s == f.text) {
            surfaces.push((f.text.as_str(), f.kind));
        }
    }
    if surfaces.is_empty() {
        return;
    }
    let Ok(automaton) = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(surfaces.iter().map(|(s, _)| *s))
    else {
        return;
    };
    let mut added = Vec::new();
    let mut next = 0; // index of the first finding that may overlap the current match
    for m in automaton.find_iter(text) {
        let (start, end) = (m.start(), m.end());
        let whole_word = !char_before(text, start).is_some_and(is_word)
            && !char_at(text, end).is_some_and(is_word);
        while next < findings.len() && findings[next].end <= start {
            next += 1;
        }
        let covered = findings.get(next).is_some_and(|f| f.start < end);
        if whole_word && !covered {
            added.push(Finding {
                kind: surfaces[m.pattern().as_usize()].1,
                start,
                end,
                text: text[start..end].to_owned(),
            });
        }
    }
    if !added.is_empty() {
        findings.extend(added);
        findings.sort_by_key(|f| f.start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(text: &str, kind: Kind, surface: &str) -> Finding {
        let start = text.find(surface).unwrap_or(0);
        Finding {
            kind,
            start,
            end: start + surface.len(),
            text: surface.to_owned(),
        }
    }

    #[test]
    fn repeats_are_found_as_the_first() {
        let text = "IL plates EV 10977 seen. Later the EV 10977 one and Fliss saw Fliss's car.";
        let mut found = vec![
            finding(text, Kind::LicencePlate, "EV 10977"),
            finding(text, Kind::PersonName, "Fliss"),
        ];
        found.sort_by_key(|f| f.start);
        echo(text, &mut found);
        let plates = found
            .iter()
            .filter(|f| f.kind == Kind::LicencePlate)
            .count();
        let names = found.iter().filter(|f| f.kind == Kind::PersonName).count();
        assert_eq!((plates, names), (2, 2), "{found:?}");
        assert!(found.windows(2).all(|w| w[0].end <= w[1].start));
    }

    #[test]
    fn parts_of_words_and_bare_numbers_are_not_echoed() {
        let text = "Brühl 8 and 8 chairs; Anna and Annabel, Hannah";
        let mut found = vec![
            finding(text, Kind::Address, "8"),
            finding(text, Kind::PersonName, "Anna"),
        ];
        echo(text, &mut found);
        assert_eq!(found.len(), 2, "{found:?}");
    }
}
