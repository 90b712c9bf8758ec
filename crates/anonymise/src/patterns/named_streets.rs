//! Round 17 of issue 13: places that the name rules took for people.
//!
//! * A street named after someone, right after its street type: "Av. Juárez", "calle
//!   Dr. Lavista 114", "via Ugo Bassi", "rue Jean Moulin".
//! * A street that keeps a title and takes a house number: "Dr. Vértiz 210", "Gral.
//!   Prim 12".
//! * A prison, garden, farmhouse, neighbourhood centre or palace by its name: "HMP
//!   Carrickstane", "Reclusorio Oriente", "Jardín del Carmen", "Mas Ribes", "Casal de
//!   Barri Can Fabra", "Palazzo Gondi".
//!
//! Each such person finding becomes an address over the same words (with the street type
//! and the house number around them).

use std::sync::LazyLock;

use regex::Regex;

use crate::util::compile;
use crate::{Finding, Kind};

/// A street type right before the name ("Av. ", "calle ", "via ").
static TYPE_BEFORE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r"(?i)(?:^|[^\p{L}])(calle|c/|av\.|avda\.|avenida|paseo|plaza|calzada|via|viale|corso|piazza|largo|rue|avenue|boulevard|bd|place|quai|straße|strasse|hmp|hmyoi|reclusorio|cárcel|prisión|carcere)[ \t]+$",
    )
});

/// A house number right after the name (" 114", ", 12").
static NUMBER_AFTER: LazyLock<Option<Regex>> =
    LazyLock::new(|| compile(r"^,?[ \t]+\d{1,4}[A-Za-z]?\b"));

/// Titles that streets keep in their names.
const STREET_TITLES: &[&str] = &["dr.", "dr", "gral."];

/// First words that make a name a place.
const PLACE_HEADS: &[&str] = &[
    "hmp",
    "hmyoi",
    "reclusorio",
    "penal",
    "cárcel",
    "carcel",
    "prisión",
    "prision",
    "carcere",
    "jardín",
    "jardin",
    "jardines",
    "casal",
    "mas",
    "masía",
    "masia",
    "palazzo",
    "parroquia",
    "cortijo",
    "cascina",
    "masseria",
    // A street type that the name run took in ("Vía Carpetana").
    "vía",
    "calle",
    "avenida",
    "paseo",
    "camino",
    "carrer",
    "travesía",
    "rue",
    "avenue",
    "boulevard",
    "viale",
    "corso",
    "strada",
];

/// Turns the person findings the module docs describe into addresses.
pub(crate) fn streets_for_people(text: &str, found: &mut [Finding]) {
    for f in found.iter_mut().filter(|f| f.kind == Kind::PersonName) {
        let head = crate::util::before(text, f.start, 24);
        let rest = text.get(f.end..).unwrap_or("");
        // A number followed by more digit groups is a phone ("Lic. Ruiz, 55 5550 0187").
        let number_end = NUMBER_AFTER
            .as_ref()
            .and_then(|re| re.find(rest))
            .filter(|m| {
                !rest[m.end()..]
                    .trim_start_matches([' ', '\t'])
                    .starts_with(|c: char| c.is_ascii_digit())
            })
            .map(|m| f.end + m.end());
        let first = crate::util::first_word_lower(&f.text);
        let type_start = TYPE_BEFORE
            .as_ref()
            .and_then(|re| re.captures(head))
            .and_then(|c| c.get(1))
            .map(|m| f.start - (head.len() - m.start()));
        let (start, end) = if let Some(s) = type_start {
            (s, number_end.unwrap_or(f.end))
        } else if STREET_TITLES.contains(&first.as_str()) && number_end.is_some() {
            (f.start, number_end.unwrap_or(f.end))
        } else if PLACE_HEADS.contains(&first.as_str()) && f.text.contains(' ') {
            (f.start, f.end)
        } else {
            continue;
        };
        if let Some(t) = text.get(start..end) {
            *f = Finding {
                kind: Kind::Address,
                start,
                end,
                text: t.to_owned(),
            };
        }
    }
}
