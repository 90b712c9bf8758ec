//! Capitalised words that name a product or a firm, not a person (round 14 of issue 13,
//! from set 13's false names):
//!
//! * a make or model after a model word or a product noun ("Modelo de bici: Babboe Big",
//!   "drucker Brother HL-2130", "caldaia modello Beretta Mynute 24", "Lastenrad Modell
//!   Urban Arrow Family"): neither a person nor an address;
//! * a surname that is also a firm's name, before a company word or after a company form
//!   ("Brandt Immobilien GmbH", "Gallina Immobiliare S.r.l.", "Pike Lettings Ltd", "SCI
//!   Perrin", "Perrin & Fils"). The person is still found where the text names them ("Herr
//!   Klaus-Dieter Brandt"); the firm is public record.

use std::sync::LazyLock;

use regex::Regex;

use crate::util::{before, compile, prev_word};
use crate::{Finding, Kind};

/// Words after which a capitalised run is a make or a model.
const PRODUCT_WORDS: &[&str] = &[
    "model",
    "modelo",
    "modello",
    "modell",
    "modèle",
    "marca",
    "marque",
    "marke",
    "brand",
    "make",
    "printer",
    "drucker",
    "imprimante",
    "impresora",
    "stampante",
    "boiler",
    "caldaia",
    "chaudière",
    "caldera",
    "therme",
    "lastenrad",
    "cargobike",
    "bici",
    "vélo",
    "fahrrad",
    "bike",
];

/// Company words after a firm's name, lower-cased, without their dots.
const COMPANY_AFTER: &[&str] = &[
    "lettings",
    "ltd",
    "limited",
    "plc",
    "llc",
    "inc",
    "immobilien",
    "immobiliare",
    "inmobiliaria",
    "immobilier",
    "gmbh",
    "srl",
    "spa",
    "sl",
    "sa",
    "sarl",
    "sas",
    "ag",
    "kg",
    "holdings",
    "properties",
    "estates",
    "hausverwaltung",
    "verwaltung",
    "gestioni",
];

/// Company forms before a firm's name, and the family words of a firm after "&".
const COMPANY_BEFORE: &[&str] = &["sci", "sarl", "sas", "sasu", "eurl", "snc", "sccv"];
const FIRM_FAMILY: &[&str] = &["fils", "sons", "söhne", "figli", "hijos", "co", "cie"];

/// The word before `pos`, over spaces and a colon ("bici: Babboe"), lower-cased.
fn word_before(text: &str, pos: usize) -> String {
    let head = before(text, pos, 40).trim_end_matches(|c: char| c.is_whitespace() || c == ':');
    let word: Vec<char> = head
        .chars()
        .rev()
        .take_while(|c| c.is_alphabetic())
        .collect();
    word.into_iter().rev().collect::<String>().to_lowercase()
}

/// The word after `pos`, letters only, lower-cased, dots dropped ("S.r.l." -> "srl").
fn next_company_word(text: &str, pos: usize) -> String {
    let rest = text.get(pos..).unwrap_or("").trim_start();
    rest.chars()
        .take_while(|c| c.is_alphabetic() || *c == '.')
        .filter(|c| *c != '.')
        .collect::<String>()
        .to_lowercase()
}

/// Words of a company register or tax number: the number after one is a firm's, public
/// ("HRB 118822", "P.IVA 01234560017", "n° SIRET 512 334 221", "company no. 08812345").
static REGISTRY: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(
        r"(?i)(?:\b(?:HRB|HRA|P\.[ \t]?IVA|partita[ \t]+IVA|SIRET|SIREN|RCS|CIF|NIF|VAT(?:[ \t]+no\.?)?|company[ \t]+(?:no\.?|number)|Steuernummer|USt-IdNr\.?|Handelsregister|TVA)(?:[ \t]*(?::|n°|no\.|nr\.))?[ \t]*$)",
    )
});

/// A finding that starts with a register word ("HRB 118822").
static REGISTRY_START: LazyLock<Option<Regex>> =
    LazyLock::new(|| compile(r"^(?:HRB|HRA|SIRET|SIREN|RCS|P\.[ \t]?IVA)\b"));

/// A 24-hour block, then the rest of the line ("1150 Unit Green: …").
static LEADING_BLOCK: LazyLock<Option<Regex>> =
    LazyLock::new(|| compile(r"^(?:[01]\d|2[0-3])[0-5]\d\b"));

/// In a log whose lines open with 24-hour blocks, a block that opens a line is its time,
/// not a house number ("1150 Unit Green: …" was taken for a street called Green).
pub(crate) fn fix_log_blocks(text: &str, found: &mut [Finding]) {
    let Some(block) = LEADING_BLOCK.as_ref() else {
        return;
    };
    let line_start = |pos: usize| pos == 0 || text.get(..pos).is_some_and(|h| h.ends_with('\n'));
    let leading_times = found
        .iter()
        .filter(|f| f.kind == Kind::DateTime && line_start(f.start) && block.is_match(&f.text))
        .count();
    if leading_times < 2 {
        return;
    }
    for f in found.iter_mut() {
        if f.kind != Kind::Address || !line_start(f.start) {
            continue;
        }
        if let Some(m) = block.find(&f.text) {
            f.kind = Kind::DateTime;
            f.end = f.start + m.end();
            f.text.truncate(m.end());
        }
    }
}

pub(crate) fn drop_not_people(text: &str, found: &mut Vec<Finding>) {
    found.retain(|f| {
        if matches!(f.kind, Kind::Address | Kind::Phone) {
            let head = before(text, f.start, 24);
            let starts = REGISTRY_START
                .as_ref()
                .is_some_and(|re| re.is_match(&f.text));
            if starts || REGISTRY.as_ref().is_some_and(|re| re.is_match(head)) {
                return false;
            }
        }
        if f.kind != Kind::PersonName && f.kind != Kind::Address {
            return true;
        }
        // Round 19: a word glued to a number by a hyphen is the second half of a compound
        // noun ("ein 9-Sitzer", "3-Zimmer-Wohnung", "2-Personen-Zelt"), not a name.
        let mut head = before(text, f.start, 2).chars().rev();
        if f.kind == Kind::PersonName
            && head.next() == Some('-')
            && head.next().is_some_and(|c| c.is_ascii_digit())
        {
            return false;
        }
        let prev = prev_word(text, f.start);
        let product = PRODUCT_WORDS.contains(&word_before(text, f.start).as_str())
            && f.text.chars().next().is_some_and(char::is_uppercase)
            && (f.kind == Kind::PersonName || !f.text.chars().any(|c| c.is_ascii_digit()));
        if product {
            return false;
        }
        if f.kind != Kind::PersonName {
            // "Gallina Immobiliare S.r.l." read as a street: a firm, not a door.
            let first = crate::util::first_word_lower(&f.text);
            return !COMPANY_AFTER.contains(&first.as_str())
                || f.text.chars().any(|c| c.is_ascii_digit());
        }
        let one_word = !f.text.contains(char::is_whitespace);
        let next = next_company_word(text, f.end);
        if one_word && COMPANY_AFTER.contains(&next.as_str()) {
            return false;
        }
        let first = crate::util::first_word_lower(&f.text);
        if COMPANY_BEFORE.contains(&prev.as_str()) || COMPANY_BEFORE.contains(&first.as_str()) {
            return false;
        }
        let head = before(text, f.start, 4);
        !(head.trim_end().ends_with('&') && FIRM_FAMILY.contains(&f.text.to_lowercase().as_str()))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patterns::push;

    fn kept(text: &str, kind: Kind, spans: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        let mut from = 0;
        for s in spans {
            let at = text[from..].find(s).map_or(0, |i| i + from);
            push(&mut out, kind, text, at, at + s.len());
            from = at + s.len();
        }
        drop_not_people(text, &mut out);
        out.into_iter().map(|f| f.text).collect()
    }

    #[test]
    fn makes_and_models_are_not_people() {
        assert!(kept(
            "la stampante modello Canon Pixma è rotta",
            Kind::PersonName,
            &["Canon Pixma"]
        )
        .is_empty());
        assert!(kept(
            "Drucker Epson Ecotank geht",
            Kind::PersonName,
            &["Epson Ecotank"]
        )
        .is_empty());
        assert!(kept("Modelo: Riese Muller", Kind::Address, &["Riese Muller"]).is_empty());
        // A person after a model word is rare but a name after other words stays.
        assert_eq!(
            kept("ask Maria Lopez today", Kind::PersonName, &["Maria Lopez"]),
            ["Maria Lopez"]
        );
    }

    #[test]
    fn register_numbers_and_log_blocks() {
        let t = "Firma (HRB 55120) und P.IVA 01234567890";
        let mut out = Vec::new();
        push(&mut out, Kind::Address, t, 7, 16);
        push(&mut out, Kind::Phone, t, 29, 40);
        drop_not_people(t, &mut out);
        assert!(out.is_empty(), "{out:?}");
        let t = "0900 Base: go\n0915 Base: ok\n0930 Unit Red: here";
        let mut out = Vec::new();
        push(&mut out, Kind::DateTime, t, 0, 4);
        push(&mut out, Kind::DateTime, t, 14, 18);
        push(&mut out, Kind::Address, t, 28, 40);
        fix_log_blocks(t, &mut out);
        assert_eq!(out[2].kind, Kind::DateTime);
        assert_eq!(out[2].text, "0930");
    }

    #[test]
    fn a_firm_named_after_a_surname_is_not_a_person() {
        let t = "owner Ms Jane Frost (Frost Lettings Ltd, company no. 1)";
        assert_eq!(
            kept(t, Kind::PersonName, &["Ms Jane Frost", "Frost"]),
            ["Ms Jane Frost"]
        );
        let t = "bailleur SCI Marchand & Fils";
        assert!(kept(t, Kind::PersonName, &["Marchand", "Fils"]).is_empty());
        let t = "Vermieter Kunze Immobilien GmbH";
        assert!(kept(t, Kind::PersonName, &["Kunze"]).is_empty());
        // A person before a verb is a person.
        assert_eq!(
            kept("Kunze said no", Kind::PersonName, &["Kunze"]),
            ["Kunze"]
        );
    }
}
