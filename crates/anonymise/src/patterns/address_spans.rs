//! Whole address spans (round 14 of issue 13), the families behind the addresses set 13
//! missed: most of them were found in part, and the label is the whole door.
//!
//! * before an address, the room or premises it is the room of, joined by a preposition
//!   or a comma ("the car park at 40-44 …", "the back room of 7 …", "Room 4, …", "salle 2
//!   de la …", "Raum 5 im Erdgeschoss der …", "Hinterhof der …", "appartement 12, 61 rue
//!   …", "4th floor, 61 …", "la sala 3 del …");
//! * after an address, a Spanish floor written with a dot ("3.º izquierda", "1.º dcha.",
//!   "5.º B"), a portal or staircase, a French floor, a rear or front part ("rear unit"),
//!   Italian "all'altezza del civico 120", each after a comma, several in a row;
//! * post-office boxes in the five languages ("Apartado de Correos 1127", "Casella Postale
//!   212", "Postfach 35 04 12", "PO Box 118", "BP 47"), which the postcode after them
//!   joins as any address;
//! * US house numbers with a compass point before the street ("2200 W. Grand Ave",
//!   "2204 W. Grand"), which were taken for a 24-hour time and an initial.

use regex::Regex;

use super::{push, widen_addresses};
use crate::util::{after, before, compile};
use crate::{Finding, Kind};

#[derive(Debug)]
pub(crate) struct AddressSpans {
    head: Option<Regex>,
    floor_dot: Option<Regex>,
    tail: Option<Regex>,
    po_box: Option<Regex>,
    us_compass: Option<Regex>,
    street_at_height: Option<Regex>,
    floor_then_house: Option<Regex>,
}

/// Rooms, premises and building parts of the five languages that an address can be the
/// address of.
const ROOMS: &str = r"(?:(?:back|front|rear|side|upstairs|downstairs|main|top|community|meeting|function)[ \t]+)?(?:room|rm\.?|hall|car[ \t]+park|yard|courtyard|basement|garage|office|studio|kitchen|shop|unit|suite|flat|apartment|apt\.?|salle|pièce|local|bureau|appartement|appt\.?|cour|arrière-cour|sous-sol|sala|despacho|oficina|habitación|aula|patio|trastienda|bajo|stanza|sede|cortile|scantinato|ufficio|locale|interno|Raum|Zimmer|Saal|Büro|Laden|Keller|Hinterhof|Innenhof|Hof|Hinterhaus|Vorderhaus|Seitenflügel|Erdgeschoss|Dachgeschoss|Souterrain)";

/// An ordinal floor of the five languages ("4th floor", "2e étage", "1. Stock", "3.º").
const FLOORS: &str = r"(?:(?:ground|first|second|third|fourth|fifth|sixth|top|\d{1,2}(?:st|nd|rd|th))[ \t]+floor|\d{1,2}(?:e|è|ème|er)[ \t]+étage|rez-de-chaussée|\d{1,2}\.?[ºª°][ \t]*(?:piso|planta)?|\d{1,2}\.[ \t]*(?:OG|Stock|Etage|Obergeschoss)|(?:primo|secondo|terzo|quarto|quinto)[ \t]+piano|piano[ \t]+(?:terra|\d{1,2}))";

impl AddressSpans {
    pub(crate) fn new() -> AddressSpans {
        AddressSpans {
            head: compile(&format!(
                r"(?i)(?:\b(?:the|la|le|el|il|l')[ \t]*)?\b(?:{ROOMS}(?:[ \t]+(?:n[º°o]\.?[ \t]?)?\d{{1,3}}[A-Za-z]?)?|{FLOORS})(?:[ \t]*,[ \t]*|[ \t]+(?:of|at|behind|above|below|in|on|de[ \t]+la|de[ \t]+l'|del|de|du|des|au|à[ \t]+la|im|in[ \t]+der|der|des|vom|von[ \t]+der|del|della|dello|di|al|nel|nella)[ \t]+)$"
            )),
            floor_dot: compile(r"\d{1,2}\.[ \t]*$"),
            tail: compile(&format!(
                r"(?i)^(?:,?[ \t]*(?:{FLOORS})(?:[ \t]*(?:izquierda|izda\.?|izq\.?|derecha|dcha\.?|drcha\.?|centro|ctro\.?|[A-H]\b|gauche|droite|links|rechts|Mitte))?(?:[ \t]+sans[ \t]+ascenseur)?|,[ \t]*(?:portal|escalera|esc\.|escalier|bâtiment|bât\.|scala|Aufgang|Treppenhaus)[ \t]+[0-9A-H]{{1,3}}\b|,[ \t]*(?:rear|front|back|side|upper|lower)[ \t]+(?:unit|flat|entrance|door|building|yard)\b|,?[ \t]+all'altezza[ \t]+del(?:[ \t]+civico|[ \t]+numero|[ \t]+n\.)?[ \t]+\d{{1,4}}\b|,?[ \t]+au[ \t]+niveau[ \t]+du[ \t]+(?:n°[ \t]?)?\d{{1,4}}\b|,?[ \t]+(?:auf[ \t]+)?Höhe[ \t]+(?:der[ \t]+)?(?:Hausnummer[ \t]+|Nr\.[ \t]?)?\d{{1,4}}\b)"
            )),
            po_box: compile(
                r"\b(?:Apartado(?:[ \t]+de)?[ \t]+Correos|Apdo\.?(?:[ \t]+de)?[ \t]+Correos|Casella[ \t]+Postale|Casella[ \t]+postale|Postfach|Boîte[ \t]+postale|P\.?[ \t]?O\.?[ \t]+Box|BP)[ \t]+\d{1,6}(?:[ \t]\d{2,3}){0,3}\b",
            ),
            street_at_height: compile(
                r"(?i)\b(?:via|viale|corso|piazza|calle|avenida|rue|avenue|boulevard)[ \t]+\p{Lu}\p{L}+(?:[ \t]+\p{Lu}\p{L}+)?[ \t]+(?:all'altezza|all’altezza|a[ \t]+la[ \t]+altura|à[ \t]+la[ \t]+hauteur|au[ \t]+niveau)[ \t]+$",
            ),
            floor_then_house: compile(&format!(
                r"(?i:\b(?:{FLOORS}|(?:flat|apartment|apt\.?|unit|suite|appartement|appt\.?|Wohnung|interno)[ \t]+\d{{1,3}}[A-Za-z]?))[ \t]*,[ \t]*\d{{1,4}}[a-z]?[ \t]+\p{{Lu}}\p{{Ll}}{{3,}}\b"
            )),
            us_compass: compile(
                r"\b\d{2,5}[ \t]+(?:[NSEW]\.|N|S|E|W|NE|NW|SE|SW|North|South|East|West)[ \t]+\p{Lu}\p{Ll}+(?:[ \t]+(?:Ave|Avenue|St|Street|Blvd|Boulevard|Rd|Road|Dr|Drive|Pl|Place|Ct|Court|Ln|Lane|Way|Pkwy|Parkway|Hwy|Highway)\b\.?)?",
            ),
        }
    }

    pub(crate) fn find(&self, text: &str, out: &mut Vec<Finding>) {
        if let Some(re) = &self.po_box {
            for m in re.find_iter(text) {
                push(out, Kind::Address, text, m.start(), m.end());
            }
        }
        // "4th floor, 61 Deansgate": a floor or a flat, a comma, then a house number and
        // one capitalised word is a street the lists need not know.
        if let Some(re) = &self.floor_then_house {
            for m in re.find_iter(text) {
                push(out, Kind::Address, text, m.start(), m.end());
            }
        }
        if let Some(re) = &self.us_compass {
            for m in re.find_iter(text) {
                // "at 2200 W. Grand": a compass point and a capitalised word after a number
                // only make a street with a street type, or after a full stop initial.
                let s = m.as_str();
                let typed = s.split_whitespace().count() >= 4;
                let dotted = s.contains(". ");
                if typed || dotted {
                    push(out, Kind::Address, text, m.start(), m.end());
                }
            }
        }
    }

    pub(crate) fn widen(&self, text: &str, out: &mut Vec<Finding>) {
        widen_addresses(text, out, |f| {
            let (mut start, mut end) = (f.start, f.end);
            if super::lone_floor::is_floor_only(&f.text) {
                return (start, end);
            }
            // "Zimmer 3, 1. Stock, Bürgerhaus …" found from "Stock": the floor's number first.
            let first = text.get(start..end).unwrap_or("");
            if ["Stock", "OG", "Etage", "Obergeschoss"]
                .iter()
                .any(|w| first.starts_with(w))
            {
                let head = before(text, start, 8);
                if let Some(m) = self.floor_dot.as_ref().and_then(|re| re.find(head)) {
                    start -= head.len() - m.start();
                }
            }
            // Several parts in a row: "321, escalera 2, 5.º B", "Raum 5 im Erdgeschoss der".
            for _ in 0..3 {
                let rest = after(text, end, 80);
                if let Some(m) = self.tail.as_ref().and_then(|re| re.find(rest)) {
                    end += m.end();
                }
                let head = before(text, start, 60);
                if let Some(m) = self.head.as_ref().and_then(|re| re.find(head)) {
                    start -= head.len() - m.start();
                }
            }
            // "via Merulana all'altezza" + "del civico 120": the street the number is on.
            let own = text.get(start..end).unwrap_or("");
            if own.starts_with("del ") || own.starts_with("du ") || own.starts_with("de ") {
                let head = before(text, start, 60);
                if let Some(m) = self.street_at_height.as_ref().and_then(|re| re.find(head)) {
                    start -= head.len() - m.start();
                }
            }
            (start, end)
        });
    }

    /// The widening again over final findings (the tagger's addresses too), then the
    /// overlaps settled: a rule or the tagger may have found the street this widens.
    pub(crate) fn rewiden(&self, text: &str, found: &mut Vec<Finding>) {
        let mut all = std::mem::take(found);
        self.widen(text, &mut all);
        join_commas(text, &mut all);
        crate::resolve::unite_overlaps(text, &mut all, Kind::Address);
        *found = crate::resolve::resolve(all);
    }
}

/// Address findings written one after another with only a comma between them are one
/// address ("Hermannstraße 212, Vorderhaus, 4. OG rechts" + ", " + "12049 Berlin").
fn join_commas(text: &str, out: &mut Vec<Finding>) {
    let mut spans: Vec<(usize, usize)> = out
        .iter()
        .filter(|f| f.kind == Kind::Address)
        .map(|f| (f.start, f.end))
        .collect();
    spans.sort_unstable();
    spans.dedup();
    let mut joined = Vec::new();
    let mut i = 0;
    while i < spans.len() {
        let (start, mut end) = spans[i];
        let mut j = i + 1;
        let mut grew = false;
        while j < spans.len() {
            let (s2, e2) = spans[j];
            if s2 < end {
                j += 1;
                continue;
            }
            let gap = text.get(end..s2).unwrap_or("x");
            if gap == "," || gap == ", " {
                end = e2;
                grew = true;
                j += 1;
            } else {
                break;
            }
        }
        if grew {
            joined.push((start, end));
        }
        i += 1;
    }
    for (s, e) in joined {
        push(out, Kind::Address, text, s, e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widened(text: &str, found: &str) -> Vec<String> {
        let mut out = Vec::new();
        let at = text.find(found).unwrap_or(0);
        push(&mut out, Kind::Address, text, at, at + found.len());
        AddressSpans::new().widen(text, &mut out);
        out.into_iter().map(|f| f.text).collect()
    }

    fn found(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        AddressSpans::new().find(text, &mut out);
        out.into_iter().map(|f| f.text).collect()
    }

    #[test]
    fn rooms_and_premises_before_an_address() {
        let w = widened("we met in the side room of 12 Ash Row later", "12 Ash Row");
        assert!(w.contains(&"the side room of 12 Ash Row".into()), "{w:?}");
        let w = widened("vans in the car park at 3 Dale Street.", "3 Dale Street");
        assert!(w.contains(&"the car park at 3 Dale Street".into()), "{w:?}");
        let w = widened(
            "rendez-vous salle 4 du Foyer Carnot, 9 rue Pasteur",
            "Foyer Carnot, 9 rue Pasteur",
        );
        assert!(
            w.contains(&"salle 4 du Foyer Carnot, 9 rue Pasteur".into()),
            "{w:?}"
        );
        let w = widened(
            "Treffen Saal 2 im Dachgeschoss der Weserstraße 4 heute",
            "Weserstraße 4",
        );
        assert!(
            w.contains(&"Saal 2 im Dachgeschoss der Weserstraße 4".into()),
            "{w:?}"
        );
        let w = widened(
            "deliver to 2nd floor, 40 Quay Street please",
            "40 Quay Street",
        );
        assert!(w.contains(&"2nd floor, 40 Quay Street".into()), "{w:?}");
        // A count before a street is no room.
        let w = widened("three rooms at 5 Elm Road", "5 Elm Road");
        assert_eq!(w, ["5 Elm Road"]);
    }

    #[test]
    fn floors_doors_and_parts_after_an_address() {
        let w = widened(
            "vive en Calle Olmo 14, 2.º izquierda, desde",
            "Calle Olmo 14",
        );
        assert!(w.contains(&"Calle Olmo 14, 2.º izquierda".into()), "{w:?}");
        let w = widened("en c/ Pez 3, portal 1, 4.º B hoy", "c/ Pez 3");
        assert!(w.contains(&"c/ Pez 3, portal 1, 4.º B".into()), "{w:?}");
        let w = widened("at 9 Mill Road, rear unit, by 6", "9 Mill Road");
        assert!(w.contains(&"9 Mill Road, rear unit".into()), "{w:?}");
        let w = widened("in via Appia all'altezza del civico 31 ci", "via Appia");
        assert!(
            w.contains(&"via Appia all'altezza del civico 31".into()),
            "{w:?}"
        );
        // Words after the street that are not a part stay out.
        assert_eq!(
            widened("at 9 Mill Road, rear of the queue", "9 Mill Road"),
            ["9 Mill Road"]
        );
    }

    #[test]
    fn post_office_boxes_and_compass_streets() {
        let f = found("escribid al Apartado de Correos 412, 41080 Sevilla o a Postfach 12 03 44");
        assert_eq!(f, ["Apartado de Correos 412", "Postfach 12 03 44"]);
        assert_eq!(found("c/o PO Box 118, Leeds"), ["PO Box 118"]);
        assert_eq!(
            found("to 2nd floor, 14 Moorgate, ring"),
            ["2nd floor, 14 Moorgate"]
        );
        assert_eq!(
            found("meet at 1400 N. Clark St tonight"),
            ["1400 N. Clark St"]
        );
        // A number and a capital letter are no street ("at 1900 W Brandt said").
        assert!(found("at 1900 W Brandt said").is_empty());
        assert!(found("the postbox at the corner").is_empty());
    }
}
