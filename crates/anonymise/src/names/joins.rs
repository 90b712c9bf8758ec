//! Round 17 of issue 13: one person's name written in parts the runs stop at.
//!
//! * A Catalan double surname joined by "i": "Pau Ferrer i Soler", "Laia Puigdomènech i
//!   Ros".
//! * A nickname in quotes between the given name and the surname: `Andrés "el Rubio"
//!   Peña`, `Matteo "Teo" Zanardi`, `Hugh «Shuggie» Mac`.
//! * Round 18: a given name and the initial of a surname, the way lists and chats shorten
//!   people ("Deb O.", "Constanza R.", lowercase "fatima b."), and an initial before a
//!   surname after a lowercase word ("mit G. Frischknecht").

use std::sync::LazyLock;

use regex::Regex;

use super::Names;
use crate::util::{char_at, char_before, compile};
use crate::{Finding, Kind};

/// A word, a space and one letter with a full stop: "Deb O.", "fatima b.".
static NAME_INITIAL: LazyLock<Option<Regex>> =
    LazyLock::new(|| compile(r"\b(\p{L}[\p{L}'’\-]{1,})[ \t]+(\p{L})\."));

/// An initial with its full stop and a capitalised word: "G. Frischknecht".
static INITIAL_NAME: LazyLock<Option<Regex>> =
    LazyLock::new(|| compile(r"\b(\p{Lu})\.[ \t]?(\p{Lu}\p{Ll}[\p{L}'’\-]+)"));

/// Words that a letter follows as a label, not as a surname's initial ("Plan B.", "Block
/// C.", "Gate A.", "scala B.").
const LETTERED: &[&str] = &[
    "plan",
    "block",
    "blk",
    "gate",
    "hall",
    "room",
    "option",
    "type",
    "vitamin",
    "phase",
    "level",
    "grade",
    "zone",
    "group",
    "team",
    "section",
    "part",
    "wing",
    "site",
    "stage",
    "floor",
    "unit",
    "lot",
    "row",
    "bus",
    "line",
    "platform",
    "table",
    "figure",
    "box",
    "form",
    "class",
    "category",
    "annex",
    "appendix",
    "exhibit",
    "entrance",
    "door",
    "stair",
    "staircase",
    "tower",
    "court",
    "ward",
    "bay",
    "pitch",
    "field",
    "plot",
    "bed",
    "flat",
    "apartment",
    "apt",
    "house",
    "haus",
    "aufgang",
    "eingang",
    "treppe",
    "stiege",
    "tür",
    "raum",
    "saal",
    "halle",
    "gruppe",
    "bloque",
    "escalera",
    "portal",
    "puerta",
    "sala",
    "grupo",
    "zona",
    "letra",
    "bâtiment",
    "bât",
    "escalier",
    "porte",
    "salle",
    "groupe",
    "scala",
    "interno",
    "piano",
    "lotto",
    "settore",
    "padiglione",
    "aula",
    "gruppo",
    "vitamine",
    "vitamina",
    "kategorie",
    "anlage",
    "anhang",
    "punkt",
    "point",
    "punto",
];

/// What may follow a name and still belong to it: " i Soler", ` "Teo" Zanardi`.
static TAIL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r#"^(?:[ \t]+i[ \t]+\p{Lu}[\p{L}'’\-]+|[ \t]+["“«'‘][\p{L} .'’\-]{1,24}["”»'’][ \t]+\p{Lu}[\p{L}'’\-]+)"#,
    )
});

/// Widens each person finding over the parts the module docs describe, dropping the
/// person findings the wider one now covers.
pub(crate) fn join_name_parts(text: &str, out: &mut Vec<Finding>) {
    let Some(tail) = TAIL.as_ref() else { return };
    let mut widened: Vec<(usize, usize)> = Vec::new();
    for f in out.iter().filter(|f| f.kind == Kind::PersonName) {
        let Some(rest) = text.get(f.end..) else {
            continue;
        };
        let Some(m) = tail.find(rest) else { continue };
        // "Ferrer i Soler" needs a full name before it: a lone "Pau i Marta" are two people.
        let catalan = m.as_str().trim_start().starts_with("i ");
        if catalan && !f.text.contains(' ') {
            continue;
        }
        widened.push((f.start, f.end + m.end()));
    }
    if widened.is_empty() {
        return;
    }
    widened.sort_unstable();
    out.retain(|f| {
        let at = widened.partition_point(|&(s, _)| s <= f.start);
        f.kind != Kind::PersonName || !(at > 0 && widened[at - 1].1 >= f.end)
    });
    for (start, end) in widened {
        crate::patterns::push(out, Kind::PersonName, text, start, end);
    }
}

impl Names {
    /// Finds the shortened names the module docs describe: a given name and the initial of
    /// a surname, or an initial and a surname after a lowercase word.
    pub(crate) fn find_initialled(&self, text: &str, out: &mut Vec<Finding>) {
        let ends_word = |pos: usize| !char_at(text, pos).is_some_and(char::is_alphanumeric);
        if let Some(re) = NAME_INITIAL.as_ref() {
            for caps in re.captures_iter(text) {
                let (Some(whole), Some(word), Some(letter)) =
                    (caps.get(0), caps.get(1), caps.get(2))
                else {
                    continue;
                };
                let lower = word.as_str().to_lowercase();
                let cap = word.as_str().starts_with(char::is_uppercase);
                let initial_cap = letter.as_str().starts_with(char::is_uppercase);
                let labelled = LETTERED.contains(&lower.as_str())
                    || self.stop.contains(&lower)
                    || self.org_place.contains(&lower)
                    || self.is_title(&lower);
                // Capitalised, any unlisted word will do ("Deb O."); lowercase, only a
                // clear given name ("fatima b.", not "plan b." nor "see p.").
                let person = if cap {
                    initial_cap && lower.chars().count() >= 2
                } else {
                    lower.chars().count() >= 3
                        && self.first.contains(&lower)
                        && !self.ambiguous.contains(&lower)
                };
                if person && !labelled && ends_word(whole.end()) {
                    crate::patterns::push(out, Kind::PersonName, text, word.start(), whole.end());
                }
            }
        }
        if let Some(re) = INITIAL_NAME.as_ref() {
            for caps in re.captures_iter(text) {
                let (Some(whole), Some(surname)) = (caps.get(0), caps.get(2)) else {
                    continue;
                };
                // The word before the initial must be lowercase or absent: after a
                // capitalised word the letter labels it ("Plan B. Danach").
                let head = text.get(..whole.start()).unwrap_or("").trim_end();
                let prev_lower = head
                    .rsplit(|c: char| !c.is_alphabetic())
                    .next()
                    .is_none_or(|w| w.is_empty() || w.starts_with(char::is_lowercase));
                let before_ok = char_before(text, whole.start())
                    .is_none_or(|c| c.is_whitespace() || matches!(c, '(' | ',' | ':' | '-'));
                let lower = surname.as_str().to_lowercase();
                let labelled = self.stop.contains(&lower)
                    || self.org_place.contains(&lower)
                    || self.is_title(&lower);
                // "C. Rosalva Tamarit 96", "V. Garibaldi 12": a street type's letter
                // before a street whose number follows.
                let street_type = matches!(caps.get(1).map(|m| m.as_str()), Some("C" | "P" | "V"))
                    && crate::util::after(text, whole.end(), 30)
                        .split('\n')
                        .next()
                        .is_some_and(|line| line.contains(|c: char| c.is_ascii_digit()));
                if prev_lower && before_ok && !labelled && !street_type && ends_word(whole.end()) {
                    crate::patterns::push(out, Kind::PersonName, text, whole.start(), whole.end());
                }
            }
        }
    }
}
