//! Round 19 of issue 13: the address families set 20 missed, generalised.
//!
//! * A crossing named by its two streets is one place: two address findings joined by
//!   "&", "/", "angolo", "esquina (con)" or "Ecke", or by "and", "y", "et", "e", "und"
//!   after a corner word ("corner of International Blvd and 23rd Ave", "Dundas St W &
//!   Shaw St", "Corso Giulio Cesare angolo Via Andreis"). The corner word is taken in.
//! * A street named after a date is a street after its type ("calle 9 de Julio 1562",
//!   "avenida 18 de Marzo", "via XX Settembre"): the date inside it is not a date.
//! * Streets typed in lower case in a chat, after a word of place ("parked on hope st",
//!   "the lehigh ave location").

use regex::Regex;

use super::push;
use crate::util::{before, compile};
use crate::{Finding, Kind};

/// Joiners that make two streets a crossing on their own.
const CROSSING: &str = r"[ \t]*(?:&|/)[ \t]*|[ \t]+(?:angolo(?:[ \t]+(?:con|di))?|esquina(?:[ \t]+con)?|Ecke|corner(?:[ \t]+of)?)[ \t]+";
/// Joiners that need a corner word before the first street.
const AND: &str = r"[ \t]+(?:and|y|et|e|und|con)[ \t]+";

#[derive(Debug)]
pub(crate) struct Corners {
    crossing: Option<Regex>,
    and: Option<Regex>,
    corner_word: Option<Regex>,
    corner_of: Option<Regex>,
    typed_crossing: Option<Regex>,
    dated_street: Option<Regex>,
    chat_street: Option<Regex>,
}

/// A street's name for a crossing after a corner word: a few capitalised words or an
/// ordinal, then maybe a type and a compass letter ("23rd Ave", "International Blvd").
const CROSS_STREET: &str = r"(?:\d{1,3}(?:st|nd|rd|th)|\p{Lu}[\p{L}'’\-]+)(?:[ \t]+\p{Lu}[\p{L}'’\-]+){0,2}\.?(?:[ \t]+[NSEW]\b)?";

/// Street types of the continental languages, for a crossing written "via X angolo via Y".
const TYPE: &str =
    r"(?i:via|viale|corso|piazza|largo|calle|avenida|av\.|carrer|paseo|rue|avenue|boulevard)";
/// A street's name: an optional particle and up to three capitalised words.
const NAME: &str = r"(?:(?:de|del|della|di|dei|la|el|des|du)[ \t]+)?\p{Lu}[\p{L}'’\-]+(?:[ \t]+\p{Lu}[\p{L}'’\-]+){0,2}";

impl Corners {
    pub(crate) fn new() -> Corners {
        Corners {
            crossing: compile(&format!("^(?:{CROSSING})$")),
            and: compile(&format!("^(?:{AND})$")),
            corner_word: compile(
                r"(?i)(?:\bcorner[ \t]+of|\bcoin[ \t]+(?:de|du|des)|\bangolo(?:[ \t]+(?:tra|fra|di))?|\besquina(?:[ \t]+(?:de|entre))?|\bEcke)[ \t]+$",
            ),
            corner_of: compile(&format!(
                r"\b(?i:corner[ \t]+of|on[ \t]+the[ \t]+corner[ \t]+of)[ \t]+({CROSS_STREET}(?:{AND}|[ \t]*&[ \t]*){CROSS_STREET})"
            )),
            typed_crossing: compile(&format!(
                r"\b{TYPE}[ \t]+{NAME}(?:[ \t]+\d{{1,4}})?[ \t]+(?:angolo(?:[ \t]+(?:con|di))?|esquina(?:[ \t]+con)?|Ecke)[ \t]+(?:{TYPE}[ \t]+)?{NAME}"
            )),
            dated_street: compile(
                r"(?i)\b(?:calle|avenida|av\.|avda\.|plaza|pasaje|via|viale|piazza|corso|rue|avenue|place)[ \t]+(?:(?:del|de|della|du)[ \t]+)?(?:[12]?\d|3[01]|[XVI]{1,5})[ \t]+(?:de[ \t]+)?(?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|novembre|dicembre|janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre)\b(?:[ \t]+\d{1,5}\b)?",
            ),
            chat_street: compile(
                r"\b(?:on|at|the|near|off|from|to|down|up)[ \t]+((?:[a-z][a-z'\-]{2,}[ \t]+){1,2}(?:st|ave|rd|blvd|street|avenue|road|lane|dr)\b)",
            ),
        }
    }

    /// New address findings: a corner of two streets after "corner of", a street named
    /// after a date, a street typed in lower case.
    pub(crate) fn find(&self, text: &str, out: &mut Vec<Finding>) {
        if let Some(re) = &self.corner_of {
            for m in re.find_iter(text) {
                push(out, Kind::Address, text, m.start(), m.end());
            }
        }
        for re in [&self.typed_crossing, &self.dated_street]
            .into_iter()
            .flatten()
        {
            for m in re.find_iter(text) {
                push(out, Kind::Address, text, m.start(), m.end());
            }
        }
        if let Some(re) = &self.chat_street {
            for caps in re.captures_iter(text) {
                let Some(street) = caps.get(1) else { continue };
                // "at the lehigh ave": the article is no part of the name.
                let mut start = street.start();
                let mut words: Vec<&str> = street.as_str().split([' ', '\t']).collect();
                if words.len() == 3 && NOT_STREET_NAMES.contains(&words[0]) {
                    start += words[0].len() + 1;
                    words.remove(0);
                }
                let (name, _) = words.split_at(words.len() - 1);
                if !name.iter().any(|w| NOT_STREET_NAMES.contains(w)) {
                    push(out, Kind::Address, text, start, street.end());
                }
            }
        }
    }

    /// Joins two address findings that name a crossing into one, with its corner word.
    pub(crate) fn join(&self, text: &str, out: &mut Vec<Finding>) {
        let mut streets: Vec<(usize, usize)> = out
            .iter()
            .filter(|f| f.kind == Kind::Address)
            .map(|f| (f.start, f.end))
            .collect();
        streets.sort_unstable();
        streets.dedup();
        let mut joined = Vec::new();
        for (i, &(s1, e1)) in streets.iter().enumerate() {
            // The next street that starts after this one ends (not a wider span of it).
            let Some(&(s2, e2)) = streets[i + 1..].iter().find(|(s, _)| *s >= e1) else {
                continue;
            };
            let Some(gap) = text.get(e1..s2) else {
                continue;
            };
            let lead = self
                .corner_word
                .as_ref()
                .and_then(|re| re.find(before(text, s1, 32)));
            let crossing = self.crossing.as_ref().is_some_and(|re| re.is_match(gap));
            let and = self.and.as_ref().is_some_and(|re| re.is_match(gap)) && lead.is_some();
            if crossing || and {
                let start = lead.map_or(s1, |m| s1 - (before(text, s1, 32).len() - m.start()));
                joined.push((start, e2));
            }
        }
        for (s, e) in joined {
            push(out, Kind::Address, text, s, e);
        }
    }
}

/// Lowercase words before "st", "ave", "road" that make no street's name ("this road",
/// "the next street", "across the road", "the fire lane").
const NOT_STREET_NAMES: &[&str] = &[
    "this", "that", "the", "same", "next", "other", "our", "your", "my", "their", "his", "her",
    "main", "high", "busy", "quiet", "side", "back", "wrong", "right", "one", "each", "every",
    "any", "some", "old", "new", "long", "dirt", "toll", "ring", "slip", "service", "access",
    "across", "along", "over", "fire", "bus", "bike", "cycle", "car", "dead", "private", "a",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn addresses(text: &str, seed: &[&str]) -> Vec<String> {
        let c = Corners::new();
        let mut out = Vec::new();
        for s in seed {
            let start = text.find(s).unwrap_or(0);
            push(&mut out, Kind::Address, text, start, start + s.len());
        }
        c.find(text, &mut out);
        c.join(text, &mut out);
        out.into_iter().map(|f| f.text).collect()
    }

    #[test]
    fn crossings_are_one_place() {
        let a = addresses(
            "meet at Dundas St W & Shaw St at 6",
            &["Dundas St W", "Shaw St"],
        );
        assert!(a.contains(&"Dundas St W & Shaw St".to_string()), "{a:?}");
        let a = addresses("corner of Halsted and 18th St tonight", &[]);
        assert!(
            a.contains(&"corner of Halsted and 18th St".to_string()),
            "{a:?}"
        );
        // Two streets in a list are two places.
        let a = addresses(
            "Kent Road and Mill Lane are closed",
            &["Kent Road", "Mill Lane"],
        );
        assert_eq!(a.len(), 2, "{a:?}");
    }

    #[test]
    fn dated_and_lowercase_streets() {
        let a = addresses("vive en calle 9 de Julio 1562, Lanús", &[]);
        assert_eq!(a, ["calle 9 de Julio 1562"]);
        let a = addresses("parked on hope st facing south", &[]);
        assert_eq!(a, ["hope st"]);
        assert!(addresses("cross at the next street", &[]).is_empty());
        assert!(addresses("they waited from across the road", &[]).is_empty());
        assert!(addresses("vans parked on the fire lane", &[]).is_empty());
    }
}
