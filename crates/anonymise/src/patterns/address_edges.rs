//! The edges of an address (round 12 of issue 13): what sets 10 and 11 wrote around a
//! street the other rules found, in the five languages.
//!
//! Before a street with its house number:
//! * the part of the building: "the basement flat at 19 …", "the flats above 3 …", "the
//!   flat above the shop, 17 …", "rez-de-chaussée du 16 …", "3e gauche au 22 …", "salle
//!   3, 2e étage, 9 …", "niveau -1 du parking, 40 …", "el bajo de …";
//!
//! Before any address, a named premises and a comma: "the Bluebell Launderette, 88 …",
//! "St Columba's, 5 …", "Casa delle Donne, via …" (it starts with "the" or a saint, ends
//! in a premises word or a possessive, or starts with a Romance premises word).
//!
//! After any address: a kilometre post ("carretera de Andalucía, km 12") or a doorbell
//! ("citofono Sportello", "Klingel Kaya"); after a Dutch postcode, its town ("1053 ED
//! Amsterdam", as the continental "75019 Paris" already was).
//!
//! New findings: a capitalised word and a house number before a comma and a floor or unit
//! ("Falkenried 12, 3. Stock"): the floor says the word is a street even with no street
//! type; a Spanish floor with its door alone ("4º C", "4º centro"); and city gates named
//! like squares ("Puerta del Sol", "Porta Venezia", "Porte de Clignancourt"); a named
//! German "-hof" after a place preposition ("am Besenbinderhof").

use regex::Regex;

use super::place_context::NOT_PLACE_WORDS;
use super::{push, widen_addresses};
use crate::util::{before, compile};
use crate::{Finding, Kind};

/// Last words of a named premises before its street address.
const PREMISES: &[&str] = &[
    "launderette",
    "laundrette",
    "centre",
    "center",
    "hall",
    "house",
    "church",
    "chapel",
    "mosque",
    "temple",
    "synagogue",
    "café",
    "cafe",
    "pub",
    "arms",
    "inn",
    "tavern",
    "library",
    "school",
    "works",
    "mill",
    "studios",
    "studio",
    "club",
    "institute",
    "bakery",
    "shop",
    "stores",
    "depot",
    "garage",
    "surgery",
    "clinic",
    "hostel",
    "hotel",
    "kitchen",
    "rooms",
    "lodge",
    "bar",
    "ateneo",
    "ateneu",
    "casal",
    "centro",
    "circolo",
    "casa",
    "maison",
    "salle",
    "bourse",
    "haus",
    "zentrum",
    "laden",
    "kneipe",
    // Round 16: eating places, shops and public services named before a street.
    "diner",
    "laundromat",
    "restaurant",
    "canteen",
    "deli",
    "market",
    "warehouse",
    "office",
    "offices",
    "hospital",
    "theatre",
    "theater",
    "cinema",
    "gym",
    "bookshop",
    "store",
    "pharmacy",
    "chemist",
    "station",
    "yard",
    "estate",
    "block",
    "tower",
    "court",
];

/// Titles that make a capitalised phrase a person ("Mrs Ada Hall").
const PERSON_TITLES: &[&str] = &[
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sr", "sra", "srta", "don", "doña", "herr",
    "frau", "m", "mme", "mlle", "me", "sig", "sig.ra", "signor", "signora", "dott", "avv",
];

/// First words of a named premises in the Romance languages.
const ROMANCE_PREMISES: &[&str] = &[
    "casa",
    "centro",
    "circolo",
    "ateneo",
    "ateneu",
    "casal",
    "maison",
    "salle",
    "bourse",
    "espace",
    "café",
    "bar",
    "librería",
    "libreria",
    "librairie",
    "parroquia",
    "parrocchia",
    "église",
    "iglesia",
    "chiesa",
    "escuela",
    "école",
    "scuola",
    "local",
    "hogar",
    "foyer",
];

#[derive(Debug)]
pub(crate) struct AddressEdges {
    part_lead_en: Option<Regex>,
    part_lead_fr: Option<Regex>,
    part_lead_es_it_de: Option<Regex>,
    premises_lead: Option<Regex>,
    premises_lower: Option<Regex>,
    tail: Option<Regex>,
    word_number_part: Option<Regex>,
    floor_door_es: Option<Regex>,
    gate: Option<Regex>,
    /// A named German "-hof" after a place preposition ("am Besenbinderhof"); not a
    /// station, a yard or a cemetery ([`GENERIC_HOF`]).
    named_hof: Option<Regex>,
    nl_postcode: Option<Regex>,
    town_after: Option<Regex>,
}

/// German "-hof" compounds that name a kind of place, not one place.
const GENERIC_HOF: &[&str] = &[
    "bahnhof",
    "friedhof",
    "hinterhof",
    "innenhof",
    "schulhof",
    "bauernhof",
    "wertstoffhof",
    "betriebshof",
    "recyclinghof",
    "gasthof",
    "vorhof",
    "kirchhof",
    "hühnerhof",
    "reiterhof",
    "gutshof",
    "klosterhof",
    "busbahnhof",
    "güterbahnhof",
];

impl AddressEdges {
    pub(crate) fn new() -> AddressEdges {
        AddressEdges {
            part_lead_en: compile(
                r"(?i)(?:\bthe[ \t]+)?(?:(?:basement|ground[- ]floor|top[- ]floor|first[- ]floor|upstairs|downstairs|back|front|attic|rear)[ \t]+)?\b(?:flats?|rooms?|studio|bedsit|maisonette|apartment|shop|garage|lock-?up|unit)[ \t]+(?:at|above|below|over|behind|of|in|next[ \t]+to)(?:[ \t]+the[ \t]+(?:shop|café|cafe|pub|launderette|bookies|garage|chemist|pharmacy),)?[ \t]+$",
            ),
            part_lead_fr: compile(
                r"(?i)(?:\brez-de-chaussée|\bsous-sol|\b\d{1,2}(?:e|er|ème)(?:[ \t]+étage)?(?:[ \t]+(?:gauche|droite|fond))?|\bniveau[ \t]+-?\d{1,2}(?:[ \t]+du[ \t]+parking)?|\bsalle[ \t]+\d{1,3}|\bcave|\bloge)(?:[ \t]*,[ \t]*\d{1,2}(?:e|er|ème)[ \t]+étage)?(?:[ \t]*,[ \t]*|[ \t]+(?:du|au|de)[ \t]+)$",
            ),
            part_lead_es_it_de: compile(
                r"(?i)(?:\b(?:el|la|il|lo)[ \t]+)?(?:\bbajo|\bsótano|\bático|\bentresuelo|\bplanta[ \t]+baja|\bpiano[ \t]+terra|\bseminterrato|\b(?:primo|secondo|terzo|quarto|quinto|ultimo)[ \t]+piano|\bErdgeschoss|\bDachgeschoss|\bHinterhaus|\bVorderhaus|\bSeitenflügel)(?:[ \t]*,[ \t]*|[ \t]+(?:de|del|en|di|in|im|der)[ \t]+)$",
            ),
            premises_lead: compile(
                r"(?:\b[Tt]he[ \t]+)?\b\p{Lu}[\p{L}'’.\-]*(?:[ \t]+(?:(?:and|&|of|de|du|des|del|de[ \t]+la|de[ \t]+los|de[ \t]+las|di|della|delle|dei|degli|der)[ \t]+)?\p{Lu}[\p{L}'’.\-]*){0,3},[ \t]*$",
            ),
            // Round 16: a premises named in lowercase, after "the" or a capitalised
            // name: "the community centre, 2 …", "St Anne's church hall, …".
            premises_lower: compile(
                r"(?:\b[Tt]he[ \t]+|\b(?:St\.?|Saint)[ \t]+\p{Lu}[\p{L}'’\-]*[ \t]+|\b\p{Lu}[\p{L}\-]*['’]s[ \t]+)(?:\p{Ll}[\p{L}\-]*[ \t]+){0,2}(\p{Ll}[\p{L}\-]*),[ \t]*$",
            ),
            tail: compile(
                r"^(?:,?[ \t]+(?:km|Km|KM|pk|PK)\.?[ \t]?\d{1,4}(?:[.,]\d{1,3})?\b|,?[ \t]+(?i:citofono|campanello|Klingel|buzzer|timbre|portero|interphone|sonnette|digicode)[ \t]+(?:\p{Lu}[\p{L}'’\-]+(?:[ \t]*/[ \t]*\p{Lu}[\p{L}'’\-]+)?|\d{1,6}[A-Z]?\b))",
            ),
            word_number_part: compile(
                r"\b(\p{Lu}[\p{L}'’\-]{2,})[ \t]\d{1,4}[a-z]?,[ \t]*(?:\d{1,2}\.[ \t]?(?:OG|Obergeschoss|Stock|Etage)|\d{1,2}(?:e|er|ème)[ \t]+étage|\d{1,2}[ \t]?º(?:[ \t]?(?:[A-H]\b|izquierda|derecha|izda\.?|dcha\.?|centro))?|(?:primo|secondo|terzo|quarto|quinto|sesto|ultimo)[ \t]+piano|piano[ \t]+terra|scala[ \t]+[A-H]|interno[ \t]+\d{1,3}|Vorderhaus|Hinterhaus|Seitenflügel|(?i:flat|apt\.?|apartment|unit)[ \t]+\d{1,4}[A-Z]?|(?i:ground|first|second|third|top|basement)[ \t]+floor|bajo|ático|entresuelo)(?:[ \t]+(?:links|rechts|Mitte|gauche|droite|izquierda|derecha))?\b",
            ),
            floor_door_es: compile(
                r"\b\d{1,2}[ \t]?º[ \t](?:[A-H]\b|centro\b|interior\b|exterior\b)|\b\d{1,2}º(?:centro|interior|exterior)\b|\b\d{1,2}[ \t]?º[ \t]?\d{1,2}[ \t]?ª",
            ),
            named_hof: compile(r"\b(?:am|im|vom|zum|auf[ \t]+dem)[ \t]+(\p{Lu}\p{Ll}{3,}hof)\b"),
            nl_postcode: compile(r"^[1-9]\d{3}[ \t]?[A-Z]{2}$"),
            town_after: compile(r"^[ \t]+\p{Lu}\p{Ll}[\p{L}\-]+"),
            gate: compile(
                r"\b(?:Puerta|Porta|Porte)[ \t]+(?:(?:de[ \t]+la|de[ \t]+l['’]|del|de|di|della|dei|d['’])[ \t]*)?\p{Lu}[\p{L}'’\-]+",
            ),
        }
    }

    /// New address candidates: a word and number before a floor, a floor with its door,
    /// a city gate.
    pub(crate) fn find(&self, text: &str, out: &mut Vec<Finding>) {
        if let Some(re) = &self.word_number_part {
            for caps in re.captures_iter(text) {
                let (Some(all), Some(word)) = (caps.get(0), caps.get(1)) else {
                    continue;
                };
                let lower = word.as_str().to_lowercase();
                if !NOT_PLACE_WORDS.contains(&lower.as_str()) {
                    push(out, Kind::Address, text, all.start(), all.end());
                }
            }
        }
        if let Some(re) = &self.named_hof {
            for caps in re.captures_iter(text) {
                let Some(name) = caps.get(1) else { continue };
                let lower = name.as_str().to_lowercase();
                if !GENERIC_HOF.iter().any(|g| lower.ends_with(g)) {
                    push(out, Kind::Address, text, name.start(), name.end());
                }
            }
        }
        for re in [&self.floor_door_es, &self.gate].into_iter().flatten() {
            for m in re.find_iter(text) {
                push(out, Kind::Address, text, m.start(), m.end());
            }
        }
    }

    /// Widens address findings over the building part or premises before them and the
    /// kilometre post or doorbell after them.
    pub(crate) fn widen(&self, text: &str, out: &mut Vec<Finding>) {
        widen_addresses(text, out, |f| {
            let (mut start, mut end) = (f.start, f.end);
            let numbered = f.text.starts_with(|c: char| c.is_ascii_digit());
            if numbered {
                for re in [
                    &self.part_lead_en,
                    &self.part_lead_fr,
                    &self.part_lead_es_it_de,
                ]
                .into_iter()
                .flatten()
                {
                    let head = before(text, start, 48);
                    if let Some(m) = re.find(head) {
                        start -= head.len() - m.start();
                    }
                }
            }
            let head = before(text, start, 64);
            if let Some(m) = self.premises_lead.as_ref().and_then(|re| re.find(head)) {
                if premises(&head[m.start()..]) {
                    start -= head.len() - m.start();
                }
            } else if let Some(caps) = self
                .premises_lower
                .as_ref()
                .and_then(|re| re.captures(head))
            {
                let last = caps.get(1).map(|m| m.as_str().to_lowercase());
                if let (Some(all), Some(last)) = (caps.get(0), last) {
                    if PREMISES.contains(&last.as_str()) {
                        start -= head.len() - all.start();
                    }
                }
            }
            let rest = text.get(end..).unwrap_or("");
            if let Some(m) = self.tail.as_ref().and_then(|re| re.find(rest)) {
                end += m.end();
            }
            // "1053 ED Amsterdam": the town after a Dutch postcode, as "75019 Paris".
            if self
                .nl_postcode
                .as_ref()
                .is_some_and(|re| re.is_match(&f.text))
            {
                let rest = text.get(end..).unwrap_or("");
                if let Some(m) = self.town_after.as_ref().and_then(|re| re.find(rest)) {
                    end += m.end();
                }
            }
            (start, end)
        });
    }
}

/// A capitalised phrase before a comma names a premises: "the …", "St …", "… Hall",
/// "… Columba's".
fn premises(phrase: &str) -> bool {
    let words: Vec<&str> = phrase
        .trim_end_matches([',', ' ', '\t'])
        .split_whitespace()
        .collect();
    let (Some(first), Some(last)) = (words.first(), words.last()) else {
        return false;
    };
    // "Ms. Patricia Hall, Apt 4C": a title makes it a person, whatever the last word.
    if words.iter().any(|w| {
        let w = w.trim_end_matches('.').to_lowercase();
        PERSON_TITLES.contains(&w.as_str())
    }) {
        return false;
    }
    let last_lower = last.to_lowercase();
    // English puts the premises word last ("… Hall"), the Romance languages first
    // ("Casa delle Donne", "Maison des Femmes").
    let first_lower = first.to_lowercase();
    matches!(
        *first,
        "the" | "The" | "St" | "St." | "Saint" | "San" | "Santa" | "Sainte"
    ) && words.len() > 1
        || PREMISES.contains(&last_lower.as_str())
        || words.len() > 1 && ROMANCE_PREMISES.contains(&first_lower.as_str())
        || words
            .iter()
            .any(|w| w.to_lowercase().ends_with("'s") || w.to_lowercase().ends_with("’s"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widened(text: &str, street: &str) -> Vec<String> {
        let p = AddressEdges::new();
        let start = text.find(street).unwrap();
        let mut out = Vec::new();
        push(&mut out, Kind::Address, text, start, start + street.len());
        p.find(text, &mut out);
        p.widen(text, &mut out);
        out.into_iter().map(|f| f.text).collect()
    }

    #[test]
    fn building_parts_before_a_street() {
        let w = widened("we met in the back room at 4 Mill Lane.", "4 Mill Lane");
        assert!(
            w.contains(&"the back room at 4 Mill Lane".to_string()),
            "{w:?}"
        );
        let w = widened("elle habite au 2e droite du 8 rue Caron", "8 rue Caron");
        assert!(w.contains(&"2e droite du 8 rue Caron".to_string()), "{w:?}");
    }

    #[test]
    fn premises_before_a_street() {
        let w = widened("Soup at the Railway Arms, 3 Dock Road.", "3 Dock Road");
        assert!(
            w.contains(&"the Railway Arms, 3 Dock Road".to_string()),
            "{w:?}"
        );
        let w = widened("pranzo alla Casa del Popolo, via Roma 3", "via Roma 3");
        assert!(
            w.contains(&"Casa del Popolo, via Roma 3".to_string()),
            "{w:?}"
        );
        let w = widened("Case of Mrs Ada Hall, 3 Dock Road", "3 Dock Road");
        assert_eq!(w, ["3 Dock Road"]);
        let w = widened("Thanks Maria, 3 Dock Road is fine", "3 Dock Road");
        assert_eq!(w, ["3 Dock Road"]);
    }

    #[test]
    fn a_floor_makes_a_street_of_a_word_and_number() {
        let w = widened("wohnt im Birkenhain 7, 2. OG links", "2. OG");
        assert!(
            w.contains(&"Birkenhain 7, 2. OG links".to_string()),
            "{w:?}"
        );
        let w = widened("see Page 12, flat 3 of the form", "flat 3");
        assert!(!w.iter().any(|t| t.starts_with("Page")), "{w:?}");
    }

    #[test]
    fn named_hofs_but_not_stations() {
        let w = widened("Treffen am Kranichhof, dann zum Bahnhof", "dann");
        assert!(w.contains(&"Kranichhof".to_string()), "{w:?}");
        assert!(!w.iter().any(|t| t.contains("Bahnhof")), "{w:?}");
    }

    #[test]
    fn kilometre_posts_and_doorbells() {
        let w = widened(
            "en la carretera de Burgos, km 14, a la izquierda",
            "carretera de Burgos",
        );
        assert!(
            w.contains(&"carretera de Burgos, km 14".to_string()),
            "{w:?}"
        );
        let w = widened("via Nomentana 5, citofono Rossi", "via Nomentana 5");
        assert!(
            w.contains(&"via Nomentana 5, citofono Rossi".to_string()),
            "{w:?}"
        );
    }
}
